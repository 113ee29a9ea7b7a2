import { assertEntityId, ENTITY_ID_MAX_BYTES, InvalidEntityIdError } from './entity-id';

describe('assertEntityId', () => {
  it.each([
    ['quotes and backslashes', `it's a \\'trap\\`],
    ['NUL and newlines', 'a\u0000b\nc\r\td'],
    ['unicode', 'ünïcødé-😀-中文'],
    ['exactly the cap in multi-byte characters', '€'.repeat(85) + 'a'],
  ])('accepts %s', (_label, id) => {
    expect(Buffer.byteLength(id)).toBeLessThanOrEqual(ENTITY_ID_MAX_BYTES);
    expect(assertEntityId(id)).toBe(id);
  });

  it('refuses an id one byte over the cap, naming the cap', () => {
    expect(() => assertEntityId('x'.repeat(ENTITY_ID_MAX_BYTES + 1))).toThrow(
      new InvalidEntityIdError(
        `entity id is ${ENTITY_ID_MAX_BYTES + 1} bytes in UTF-8, over the cap of ${ENTITY_ID_MAX_BYTES} (starts with "${'x'.repeat(32)}")`,
      ),
    );
  });

  it('counts bytes, not characters', () => {
    expect(() => assertEntityId('😀'.repeat(ENTITY_ID_MAX_BYTES / 4 + 1))).toThrow(InvalidEntityIdError);
  });

  it('refuses an empty id and a lone surrogate', () => {
    expect(() => assertEntityId('')).toThrow('entity id is empty');
    expect(() => assertEntityId('a\ud800b')).toThrow(/lone UTF-16 surrogate/);
    expect(() => assertEntityId('\udc00')).toThrow(/lone UTF-16 surrogate/);
  });

  it('marks the error as not retriable', () => {
    try {
      assertEntityId('');
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ENTITY_ID', retriable: false, name: 'InvalidEntityIdError' });
    }
  });
});
