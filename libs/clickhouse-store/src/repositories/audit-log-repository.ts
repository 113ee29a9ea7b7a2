import { type AuditEntry, type AuditLog, type AuditOutcome, type AuditQuery, type EpochMs, InvalidInputError } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql, trustedSql } from '../sql/sql-literal';
import { toNumber } from './row-values';

interface AuditLogRow {
  at: string;
  actor: string;
  action: string;
  model: string;
  target: string;
  outcome: string;
  detail: string;
}

const COLUMNS = trustedSql('at, actor, action, model, target, outcome, detail');

function fromRow(row: AuditLogRow): AuditEntry {
  return {
    at: toNumber(row.at),
    actor: row.actor,
    action: row.action,
    model: row.model,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    detail: row.detail,
  };
}

/** The audit trail of admin actions in `audit_log`. */
export class AuditLogRepository implements AuditLog {
  constructor(private readonly engine: ClickHouseEngine) {}

  async append(entry: Omit<AuditEntry, 'at'> & { readonly at?: EpochMs }): Promise<AuditEntry> {
    const stored: AuditEntry = {
      at: entry.at ?? Date.now(),
      actor: entry.actor,
      action: entry.action,
      model: entry.model,
      target: entry.target,
      outcome: entry.outcome,
      detail: entry.detail,
    };
    // Columns are named as the fields; the spread makes the interface a plain row object.
    await this.engine.insertRows('audit_log', [{ ...stored }], `audit ${stored.action} by ${stored.actor} (${stored.outcome})`);
    return stored;
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    // A fractional or negative LIMIT would only fail in the engine, with a less helpful message.
    if (!Number.isSafeInteger(query.limit) || query.limit < 1) {
      throw new InvalidInputError(`audit log limit must be a positive integer, got ${query.limit}`);
    }
    const where = query.model === undefined ? trustedSql('') : trustedSql(sql`WHERE model = ${query.model}`);
    const rows = await this.engine.queryRows<AuditLogRow>(
      sql`SELECT ${COLUMNS} FROM ${this.engine.table('audit_log')} ${where}
          ORDER BY at DESC LIMIT ${query.limit}`,
      query.model === undefined ? 'read audit log' : `read audit log of model ${query.model}`,
    );
    return rows.map(fromRow);
  }
}
