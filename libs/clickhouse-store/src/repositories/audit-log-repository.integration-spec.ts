import { type AuditEntry, InvalidInputError } from '@platform/domain';
import { ENGINE_KINDS, useTestEngine } from '../testing';
import { AuditLogRepository } from './audit-log-repository';

/** Text that breaks naive quoting or line-based formats. */
const HOSTILE = [
  "O'Brien",
  'back\\slash \\n \\x00',
  "\\'; DROP TABLE audit_log; --",
  'new\nline\r\ttab',
  'nul\u0000byte \u0007\u001b[31m',
  'ünïcødé 中文 😀 \u{10ffff}',
  '{"json": "in \\"text\\""}',
];

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    at: 1_700_000_000_000,
    actor: 'ops',
    action: 'publish',
    model: 'churn',
    target: 'churn-r1',
    outcome: 'accepted',
    detail: '',
    ...overrides,
  };
}

describe.each(ENGINE_KINDS)('audit log on %s', (kind) => {
  const engine = useTestEngine(kind);

  it('round-trips hostile text in every string column', async () => {
    const repository = new AuditLogRepository(engine());
    const entries = HOSTILE.map((text, index) =>
      entry({ at: 1_000 + index, actor: text, action: text, model: `hostile ${text}`, target: text, detail: text }),
    );
    for (const e of entries) expect(await repository.append(e)).toEqual(e);
    for (const e of entries) {
      expect(await repository.list({ model: e.model, limit: 10 })).toEqual([e]);
    }
  });

  it('lists newest first, of one model or of all, up to the limit', async () => {
    const repository = new AuditLogRepository(engine());
    const base = 1_800_000_000_000;
    await repository.append(entry({ at: base, model: 'listed-a', action: 'trigger' }));
    await repository.append(entry({ at: base + 2, model: 'listed-a', action: 'rollback', outcome: 'rejected', detail: 'no previous run' }));
    await repository.append(entry({ at: base + 1, model: 'listed-b', action: 'publish', outcome: 'failed', detail: 'store down' }));
    // Months apart: a different partition, read the same.
    await repository.append(entry({ at: base - 90 * 86_400_000, model: 'listed-a', action: 'trigger' }));

    expect((await repository.list({ model: 'listed-a', limit: 10 })).map((e) => [e.at, e.action, e.outcome])).toEqual([
      [base + 2, 'rollback', 'rejected'],
      [base, 'trigger', 'accepted'],
      [base - 90 * 86_400_000, 'trigger', 'accepted'],
    ]);
    expect((await repository.list({ limit: 2 })).map((e) => [e.model, e.at])).toEqual([
      ['listed-a', base + 2],
      ['listed-b', base + 1],
    ]);
    expect(await repository.list({ model: 'no-such-model', limit: 10 })).toEqual([]);
  });

  it('stamps entries without a time with now', async () => {
    const repository = new AuditLogRepository(engine());
    const before = Date.now();
    const { at: _omitted, ...rest } = entry({ model: 'stamped' });
    const stored = await repository.append(rest);
    expect(stored.at).toBeGreaterThanOrEqual(before);
    expect(stored.at).toBeLessThanOrEqual(Date.now());
    expect(await repository.list({ model: 'stamped', limit: 1 })).toEqual([stored]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s before it reaches the engine', async (limit) => {
    await expect(new AuditLogRepository(engine()).list({ limit })).rejects.toThrow(InvalidInputError);
  });
});
