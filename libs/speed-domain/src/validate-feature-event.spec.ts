import { ENTITY_ID_MAX_BYTES } from '@platform/domain';
import { parseModelManifest } from '@platform/model-package';
import fc from 'fast-check';
import { DEAD_LETTER_REASONS } from './dead-letter';
import { MAX_DETAIL_CHARS } from './issue-detail';
import { type FeatureEventValidationContext, validateFeatureEvent } from './validate-feature-event';

const churn = parseModelManifest(
  {
    manifestVersion: 1,
    name: 'churn',
    version: '1.0.0',
    format: 'layers-model',
    features: [
      { name: 'tenure_months', type: 'numeric', impute: 12 },
      { name: 'monthly_spend', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ['basic', 'pro'] },
    ],
    outputs: [{ name: 'churn_probability', min: 0, max: 1 }],
  },
  'test',
);

const NOW = Date.UTC(2025, 0, 1);
const context: FeatureEventValidationContext = {
  now: NOW,
  allowedClockSkewMs: 5_000,
  manifests: new Map([['churn', churn]]),
};

const valid = {
  schema: 'feature-event/v1',
  eventId: 'evt-1',
  entityId: 'customer-42',
  eventTime: NOW - 1_000,
  model: 'churn',
  features: { tenure_months: 7, plan: 'pro', monthly_spend: null },
};

const bytesOf = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const validate = (value: unknown) => validateFeatureEvent(bytesOf(value), context);
const withChange = (change: Record<string, unknown>) => validate({ ...valid, ...change });

describe('validateFeatureEvent', () => {
  it('accepts a valid event, splitting features by type and leaving nulls out as missing', () => {
    expect(validate(valid)).toEqual({
      ok: true,
      event: {
        model: 'churn',
        entityId: 'customer-42',
        eventId: 'evt-1',
        eventTime: NOW - 1_000,
        numericFeatures: { tenure_months: 7 },
        categoricalFeatures: { plan: 'pro' },
      },
    });
  });

  it('accepts an event that leaves features out, and a byte order mark', () => {
    expect(withChange({ features: {} })).toMatchObject({ ok: true, event: { numericFeatures: {}, categoricalFeatures: {} } });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(valid)]);
    expect(validateFeatureEvent(bom, context).ok).toBe(true);
  });

  it.each([
    ['2024-12-31T23:59:59Z', NOW - 1_000],
    ['2025-01-01T00:59:59.5+01:00', NOW - 500],
    ['2024-12-31T23:59:59.999999Z', NOW - 1],
  ])('normalizes the RFC 3339 time %s to epoch milliseconds', (eventTime, expected) => {
    expect(withChange({ eventTime })).toMatchObject({ ok: true, event: { eventTime: expected } });
  });

  it('accepts an entity id of exactly the byte cap in multi-byte characters', () => {
    const entityId = '€'.repeat(85) + 'a';
    expect(Buffer.byteLength(entityId)).toBe(ENTITY_ID_MAX_BYTES);
    expect(withChange({ entityId })).toMatchObject({ ok: true, event: { entityId } });
  });

  it('refuses a tombstone and an empty value as empty', () => {
    expect(validateFeatureEvent(null, context)).toEqual({ ok: false, reason: 'empty', detail: 'the message has no value (a tombstone)' });
    expect(validateFeatureEvent(Buffer.alloc(0), context)).toEqual({ ok: false, reason: 'empty', detail: 'the message value is empty' });
  });

  it.each([
    ['text that is not JSON', Buffer.from('customer-42,7,pro'), /not valid JSON|Unexpected/],
    ['truncated JSON', bytesOf(valid).subarray(0, 20), /JSON/],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not valid UTF-8/],
  ])('refuses %s as not-json', (_label, bytes, detail) => {
    const result = validateFeatureEvent(bytes, context);
    expect(result).toMatchObject({ ok: false, reason: 'not-json' });
    expect(!result.ok && result.detail).toMatch(detail);
  });

  it.each([
    ['JSON that is not an object', [1, 2], /^\(event\): .*expected object/],
    ['another schema version', { ...valid, schema: 'feature-event/v2' }, /^schema: /],
    ['a field the contract does not have', { ...valid, entity: 'x' }, /^\(event\): Unrecognized key: "entity"/],
    ['a missing field', { ...valid, eventId: undefined }, /^eventId: /],
    ['an empty event id', { ...valid, eventId: '' }, /^eventId: /],
    ['an event id over 128 characters', { ...valid, eventId: 'e'.repeat(129) }, /^eventId: /],
    ['an empty entity id', { ...valid, entityId: '' }, /^entityId: entity id is empty/],
    ['an entity id that is a number', { ...valid, entityId: 42 }, /^entityId: /],
    ['a fractional epoch time', { ...valid, eventTime: 1.5 }, /^eventTime: expected epoch milliseconds/],
    ['a negative epoch time', { ...valid, eventTime: -1 }, /^eventTime: the event time is before 1970/],
    ['an epoch time beyond a Date', { ...valid, eventTime: 9e15 }, /^eventTime: the event time is after/],
    ['a date without a time', { ...valid, eventTime: '2024-12-31' }, /^eventTime: /],
    ['a date-time without an offset', { ...valid, eventTime: '2024-12-31T23:59:59' }, /^eventTime: /],
    ['a date-time before 1970', { ...valid, eventTime: '1969-12-31T23:59:59Z' }, /^eventTime: the event time is before 1970/],
    ['an impossible date', { ...valid, eventTime: '2023-02-29T00:00:00Z' }, /^eventTime: /],
    ['an empty model', { ...valid, model: '' }, /^model: /],
    ['features that are a list', { ...valid, features: [7] }, /^features: /],
    ['a feature value that is a list', { ...valid, features: { tenure_months: [7] } }, /^features\.tenure_months: expected a number, a string or null/],
    ['a feature value that is a boolean', { ...valid, features: { plan: true } }, /^features\.plan: /],
  ])('refuses %s as schema, naming the field', (_label, value, detail) => {
    const result = validate(value);
    expect(result).toMatchObject({ ok: false, reason: 'schema' });
    expect(!result.ok && result.detail).toMatch(detail);
  });

  it('refuses numbers JSON parses to Infinity', () => {
    const bytes = Buffer.from(JSON.stringify(valid).replace('"tenure_months":7', '"tenure_months":1e400'));
    expect(validateFeatureEvent(bytes, context)).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^features\.tenure_months: /) });
  });

  it.each([
    ['eventId', '"evt-\\ud800"', /^eventId: contains a lone UTF-16 surrogate/],
    ['entityId', '"c-\\udc00"', /^entityId: .*lone UTF-16 surrogate/],
    ['model', '"churn\\ud800"', /^model: contains a lone UTF-16 surrogate/],
  ])('refuses a lone surrogate escaped into %s', (field, escaped, detail) => {
    const bytes = Buffer.from(JSON.stringify({ ...valid, [field]: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', escaped));
    expect(validateFeatureEvent(bytes, context)).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(detail) });
  });

  it('refuses a feature named __proto__, which a parsed record would drop without a word', () => {
    const bytes = Buffer.from(JSON.stringify(valid).replace('"tenure_months"', '"__proto__"'));
    expect(validateFeatureEvent(bytes, context)).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^features\.__proto__/) });
  });

  it('names every bad field at once', () => {
    const result = withChange({ eventId: '', model: 7, features: { plan: [] } });
    expect(result).toMatchObject({ ok: false, reason: 'schema' });
    expect(!result.ok && result.detail.split('; ').map((part) => part.split(':')[0])).toEqual(['eventId', 'model', 'features.plan']);
  });

  it('refuses an entity id over the byte cap with a reason of its own', () => {
    const entityId = '😀'.repeat(ENTITY_ID_MAX_BYTES / 4) + 'x';
    expect(withChange({ entityId })).toEqual({
      ok: false,
      reason: 'entity-id-too-long',
      detail: expect.stringMatching(/^entityId: entity id is 257 bytes in UTF-8, over the cap of 256/),
    });
  });

  it('reports schema when the entity id is not the only problem, naming both fields', () => {
    const result = withChange({ entityId: 'x'.repeat(ENTITY_ID_MAX_BYTES + 1), eventId: '' });
    expect(result).toMatchObject({ ok: false, reason: 'schema' });
    expect(!result.ok && result.detail).toMatch(/^eventId: .*; entityId: entity id is 257 bytes/);
  });

  it('refuses a model that is not deployed', () => {
    expect(withChange({ model: 'fraud' })).toEqual({ ok: false, reason: 'unknown-model', detail: 'model "fraud" is not deployed' });
  });

  it('refuses features the manifest does not know, naming them', () => {
    expect(withChange({ features: { tenure_months: 7, tenure_days: 210, region: null } })).toEqual({
      ok: false,
      reason: 'unknown-feature',
      detail: 'model churn has no feature "tenure_days", "region"',
    });
  });

  it.each([
    ['a string for a numeric feature', { tenure_months: '7' }, 'features.tenure_months: numeric feature of model churn takes a number or null, got a string'],
    ['a number for a categorical feature', { plan: 2 }, 'features.plan: categorical feature of model churn takes a string or null, got a number'],
  ])('refuses %s as schema, naming the feature', (_label, features, detail) => {
    expect(withChange({ features })).toEqual({ ok: false, reason: 'schema', detail });
  });

  it('accepts an event time up to now + the allowed skew, and refuses one beyond', () => {
    expect(withChange({ eventTime: NOW + 5_000 }).ok).toBe(true);
    expect(withChange({ eventTime: NOW + 5_001 })).toEqual({
      ok: false,
      reason: 'event-time-in-future',
      detail: "eventTime 2025-01-01T00:00:05.001Z is 5001 ms ahead of the consumer's clock; 5000 ms of skew are allowed",
    });
  });

  it('reports the first reason in check order', () => {
    expect(withChange({ model: 'fraud', eventTime: NOW + 60_000 })).toMatchObject({ reason: 'unknown-model' });
    expect(withChange({ features: { x: 1, plan: 3 } })).toMatchObject({ reason: 'unknown-feature' });
    expect(withChange({ features: { plan: 3 }, eventTime: NOW + 60_000 })).toMatchObject({ reason: 'schema' });
  });

  it('keeps details short whatever the producer sent', () => {
    const result = withChange({ features: { ['k'.repeat(100_000)]: 1 }, extra: 'x'.repeat(100_000), ['y'.repeat(100_000)]: 1 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS);
  });
});

describe('validateFeatureEvent on any input', () => {
  const reasons: readonly string[] = DEAD_LETTER_REASONS;
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
  const anyText = fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate) });
  const anyValue = fc.oneof(fc.anything(), fc.jsonValue(), anyText, fc.double(), fc.integer());

  /** Never throws; a rejection carries a reason of the union and a short detail; an acceptance is a sound event. */
  function checkOutcome(bytes: Buffer | null): void {
    const result = validateFeatureEvent(bytes, context);
    if (result.ok) {
      const { event } = result;
      expect(Buffer.byteLength(event.entityId)).toBeLessThanOrEqual(ENTITY_ID_MAX_BYTES);
      expect(event.eventTime).toBeLessThanOrEqual(NOW + context.allowedClockSkewMs);
      expect(Object.values(event.numericFeatures).every((value) => typeof value === 'number')).toBe(true);
      expect(Object.keys(event.categoricalFeatures).every((name) => name === 'plan')).toBe(true);
    } else {
      expect(reasons).toContain(result.reason);
      expect(result.detail.length).toBeGreaterThan(0);
      expect(result.detail.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS);
    }
  }

  it('handles random bytes', () => {
    fc.assert(fc.property(fc.option(fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array))), checkOutcome), { numRuns: 500 });
  });

  it('handles random JSON', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), (json) => checkOutcome(Buffer.from(json))), { numRuns: 500 });
  });

  it('handles events with any field replaced, removed or added', () => {
    const fields = ['schema', 'eventId', 'entityId', 'eventTime', 'model', 'features', 'extra'] as const;
    const mutated = fc.record({
      field: fc.constantFrom(...fields),
      feature: fc.constantFrom('tenure_months', 'monthly_spend', 'plan', 'other', '__proto__'),
      value: anyValue,
      remove: fc.boolean(),
      inFeatures: fc.boolean(),
    });
    fc.assert(
      fc.property(mutated, ({ field, feature, value, remove, inFeatures }) => {
        const event: Record<string, unknown> = { ...valid };
        // fromEntries, so that "__proto__" becomes a key rather than a prototype.
        if (inFeatures) event['features'] = Object.fromEntries([...Object.entries(valid.features), [feature, value]]);
        else if (remove) delete event[field];
        else event[field] = value;
        const text = JSON.stringify(event) as string | undefined;
        checkOutcome(text === undefined ? null : Buffer.from(text));
      }),
      { numRuns: 1_000 },
    );
  });

  it('accepts every event that keeps the contract, as sent', () => {
    const entityId = anyText.filter((id) => id.length > 0 && Buffer.byteLength(id) <= ENTITY_ID_MAX_BYTES && !/\p{Cs}/u.test(id));
    const event = fc.record({
      eventId: fc.string({ minLength: 1, maxLength: 128 }),
      entityId,
      eventTime: fc.integer({ min: 0, max: NOW + context.allowedClockSkewMs }),
      features: fc.record(
        {
          // + 0 turns -0 into 0, as JSON does.
          tenure_months: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0)),
          monthly_spend: fc.option(fc.integer()),
          plan: fc.option(fc.string()),
        },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(event, ({ eventId, entityId, eventTime, features }) => {
        const result = validate({ schema: 'feature-event/v1', eventId, entityId, eventTime, model: 'churn', features });
        const present = Object.entries(features).filter(([, value]) => value !== null);
        expect(result).toEqual({
          ok: true,
          event: {
            model: 'churn',
            entityId,
            eventId,
            eventTime,
            numericFeatures: Object.fromEntries(present.filter(([name]) => name !== 'plan')),
            categoricalFeatures: Object.fromEntries(present.filter(([name]) => name === 'plan')),
          },
        });
      }),
      { numRuns: 500 },
    );
  });
});
