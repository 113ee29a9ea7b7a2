import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { featureEventV1Schema, MAX_EPOCH_MS } from './feature-event-contract';
import { acceptFeatureEventV1 } from './feature-event-fast-path';

const valid = {
  schema: 'feature-event/v1',
  eventId: 'evt-1',
  entityId: 'customer-42',
  eventTime: 1_735_689_600_000,
  model: 'churn',
  features: { tenure_months: 7, plan: 'pro', monthly_spend: null },
};

/**
 * The fast path must never accept what zod refuses, must give zod's output when it accepts, and
 * must accept every event zod accepts with a numeric time (else it would not be the fast path).
 */
function expectAgreement(json: unknown): void {
  const fast = acceptFeatureEventV1(json);
  const zod = featureEventV1Schema.safeParse(json);
  if (fast !== undefined) {
    expect(zod.success).toBe(true);
    expect(fast).toEqual(zod.data);
    expect(Object.is(fast.eventTime, zod.data!.eventTime)).toBe(true);
  } else if (zod.success) {
    // Among events zod accepts, only an RFC 3339 time is left to it, and a feature named
    // __proto__ (which zod drops and the validator refuses before either check).
    const { eventTime, features } = json as { eventTime: unknown; features: object };
    expect(typeof eventTime === 'string' || Object.hasOwn(features, '__proto__')).toBe(true);
  }
}

/** As the consumer sees it: through JSON text, so keys like __proto__ are own keys. */
const throughJson = (text: string): unknown => JSON.parse(text);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const edgeText = fc.oneof(
  fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate) }),
  fc.constantFrom('', 'e'.repeat(128), 'e'.repeat(129), '€'.repeat(85) + 'a', '€'.repeat(86), '😀', '\ud83d', 'x\udc00', '__proto__', 'feature-event/v1'),
);
const edgeNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 0, -1, 1.5, MAX_EPOCH_MS, MAX_EPOCH_MS + 1, Number.MAX_SAFE_INTEGER, 2 ** 53, Infinity, -Infinity, 5e-324),
);
const edgeValue = fc.oneof(edgeText, edgeNumber, fc.constantFrom(null, true, false, [], {}, [1], { a: 1 }), fc.jsonValue({ maxDepth: 2 }));

describe('acceptFeatureEventV1 against the zod contract', () => {
  it('agrees on the valid event and gives zod its output', () => {
    expect(acceptFeatureEventV1(valid)).toEqual(featureEventV1Schema.parse(valid));
  });

  it('leaves an RFC 3339 event time to zod', () => {
    expect(acceptFeatureEventV1({ ...valid, eventTime: '2024-12-31T23:59:59Z' })).toBeUndefined();
  });

  it.each([
    ['an entity id of exactly the byte cap', { entityId: '€'.repeat(85) + 'a' }, true],
    ['an entity id one byte over the cap', { entityId: '€'.repeat(85) + 'ab' }, false],
    ['an event id of 128 characters', { eventId: 'e'.repeat(128) }, true],
    ['an event id of 129 characters', { eventId: 'e'.repeat(129) }, false],
    ['the latest time a Date holds', { eventTime: MAX_EPOCH_MS }, true],
    ['a time past it', { eventTime: MAX_EPOCH_MS + 1 }, false],
    ['a feature value of -0', { features: { a: -0 } }, true],
    ['a feature value of Infinity (1e400 parses to it)', { features: { a: Infinity } }, false],
    ['a feature value of NaN', { features: { a: NaN } }, false],
    ['a feature value that is a list', { features: { a: [1] } }, false],
    ['a fractional time', { eventTime: 1.5 }, false],
    ['a time of -0', { eventTime: -0 }, true],
    ['no features', { features: {} }, true],
    ['a lone surrogate in the model', { model: 'churn\ud800' }, false],
    ['a surrogate pair in a feature value', { features: { plan: '😀' } }, true],
    ['a lone surrogate in a feature value', { features: { plan: '\udc00' } }, false],
    ['an extra field', { extra: 1 }, false],
  ])('agrees on %s', (_label, change, accepted) => {
    const event = { ...valid, ...change };
    expect(acceptFeatureEventV1(event) !== undefined).toBe(accepted);
    expectAgreement(event);
  });

  it('agrees on events with a field replaced, removed or added, edge values included', () => {
    const fields = ['schema', 'eventId', 'entityId', 'eventTime', 'model', 'features', 'extra', '__proto__'] as const;
    const mutation = fc.record({
      field: fc.constantFrom(...fields),
      feature: fc.oneof(fc.constantFrom('tenure_months', 'plan', '__proto__', '', 'constructor'), fc.string()),
      value: edgeValue,
      remove: fc.boolean(),
      inFeatures: fc.boolean(),
    });
    fc.assert(
      fc.property(mutation, ({ field, feature, value, remove, inFeatures }) => {
        const event: Record<string, unknown> = { ...valid };
        if (inFeatures) event['features'] = Object.fromEntries([...Object.entries(valid.features), [feature, value]]);
        else if (remove) delete event[field];
        else event[field] = value;
        const text = JSON.stringify(Object.fromEntries(Object.entries(event))) as string | undefined;
        if (text !== undefined) expectAgreement(throughJson(text));
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees on generated events that keep or nearly keep the contract', () => {
    // Each field valid more often than not, so that whole events often pass and the edge of one field decides.
    const mostlyValid = <T, U>(good: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 3 }, { arbitrary: edge, weight: 1 });
    const event = fc.record({
      schema: mostlyValid(fc.constant('feature-event/v1'), fc.constant('feature-event/v2')),
      eventId: mostlyValid(fc.string({ minLength: 1, maxLength: 128 }), edgeText),
      entityId: mostlyValid(fc.string({ minLength: 1, maxLength: 64 }), fc.oneof(edgeText, fc.string({ minLength: 250, maxLength: 260 }))),
      eventTime: mostlyValid(fc.integer({ min: 0, max: MAX_EPOCH_MS }), fc.oneof(edgeNumber, fc.constant('2024-12-31T23:59:59Z'))),
      model: mostlyValid(fc.constant('churn'), edgeText),
      features: fc.dictionary(fc.string(), fc.oneof(edgeNumber, edgeText, fc.constant(null)), { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(event, (generated) => {
        expectAgreement(throughJson(JSON.stringify(generated)));
        expectAgreement(generated);
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees on random JSON', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 3 }), (text) => expectAgreement(throughJson(text))), { numRuns: 1_000 });
  });

  it('decodes UTF-8 as strictly as a fatal TextDecoder (the check the validator replaced)', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const strict = (bytes: Uint8Array): boolean => {
      try {
        fatal.decode(bytes);
        return true;
      } catch {
        return false;
      }
    };
    const tricky = fc.constantFrom(
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xef, 0xbb, 0xbf],
      [0xf0, 0x9f, 0x98, 0x80],
    );
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.array(tricky, { maxLength: 3 }).map((parts) => Uint8Array.from(parts.flat())));
    fc.assert(fc.property(bytes, (value) => expect(isUtf8(value)).toBe(strict(value))), { numRuns: 3_000 });
  });
});
