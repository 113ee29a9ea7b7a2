import { ENTITY_ID_MAX_BYTES, InvalidEntityIdError } from '@platform/domain';
import {
  identifier,
  InvalidSqlValueError,
  quoteArray,
  quoteBytes,
  quoteEntityId,
  quoteIdentifier,
  quoteNumber,
  quoteString,
  sql,
  trustedSql,
} from './sql-literal';

/** Reads a literal the way ClickHouse does, for the escapes quoteString emits. */
function unquote(literal: string): Buffer {
  expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
  const chars = Array.from(literal.slice(1, -1)); // code points, so astral characters stay whole
  const bytes: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === "'") throw new Error(`unescaped quote at ${i} in ${literal}`);
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = chars[++i];
    if (next === 'x') {
      bytes.push(parseInt(chars[i + 1]! + chars[i + 2]!, 16));
      i += 2;
    } else if (next === '\\' || next === "'") bytes.push(next.charCodeAt(0));
    else throw new Error(`unexpected escape \\${next}`);
  }
  return Buffer.from(bytes);
}

const HOSTILE = [
  "'",
  "\\'",
  "'; DROP TABLE t; --",
  '\\',
  '\\\\x41',
  'nul\u0000nul',
  'line\nfeed\rreturn\ttab',
  '\u007f\u001b',
  'ünïcødé 中文 😀 \u{10ffff}',
  '`backtick`',
  '"double"',
  '€'.repeat(85) + 'a',
  'x'.repeat(ENTITY_ID_MAX_BYTES),
];

describe('quoteString', () => {
  it.each(HOSTILE)('round-trips %j exactly and keeps the literal on one line', (value) => {
    const literal = quoteString(value);
    expect(literal.includes('\n') || literal.includes('\r') || literal.includes('\u0000')).toBe(false);
    expect(unquote(literal).equals(Buffer.from(value, 'utf8'))).toBe(true);
  });

  it('refuses text with a lone surrogate instead of altering it', () => {
    expect(() => quoteString('a\ud800')).toThrow(InvalidSqlValueError);
    expect(() => quoteString('\udfff')).toThrow(/lone UTF-16 surrogate at index 0/);
  });
});

describe('quoteBytes', () => {
  it('quotes invalid UTF-8 as a pure-ASCII literal that reads back to the same bytes', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x27, 0x5c, 0x41, 0x0a, 0xc3]);
    const literal = quoteBytes(bytes);
    expect(literal).toMatch(/^[\x20-\x7e]+$/);
    expect(unquote(literal).equals(bytes)).toBe(true);
  });
});

describe('quoteEntityId', () => {
  it('quotes ids up to the cap and refuses longer ones with a clear error', () => {
    expect(unquote(quoteEntityId('x'.repeat(ENTITY_ID_MAX_BYTES))).length).toBe(ENTITY_ID_MAX_BYTES);
    expect(() => quoteEntityId('x'.repeat(ENTITY_ID_MAX_BYTES + 1))).toThrow(InvalidEntityIdError);
  });
});

describe('quoteNumber', () => {
  it.each([
    [42, '42'],
    [-7, '-7'],
    [0.1, '0.1'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [-0, '-0.'],
  ])('prints %p as %s', (value, text) => {
    expect(quoteNumber(value)).toBe(text);
  });
});

describe('quoteIdentifier', () => {
  it('backtick-quotes names and escapes backticks and backslashes', () => {
    expect(quoteIdentifier('batch_runs')).toBe('`batch_runs`');
    expect(quoteIdentifier('we`ird\\name')).toBe('`we\\`ird\\\\name`');
  });

  it('refuses empty, NUL-bearing and over-long names', () => {
    expect(() => quoteIdentifier('')).toThrow(InvalidSqlValueError);
    expect(() => quoteIdentifier('a\u0000b')).toThrow(InvalidSqlValueError);
    expect(() => quoteIdentifier('a'.repeat(256))).toThrow(InvalidSqlValueError);
  });
});

describe('quoteArray', () => {
  it('makes an array literal of quoted values', () => {
    expect(quoteArray(["it's", 'b'])).toBe("['it\\'s', 'b']");
    expect(quoteArray([])).toBe('[]');
  });
});

describe('sql', () => {
  it('quotes every value, expands arrays to IN lists and inserts fragments as they are', () => {
    const statement = sql`SELECT ${trustedSql('count()')} FROM ${identifier('t')} WHERE id = ${"it's"} AND n IN ${[1, 2n]} AND f = ${true}`;
    expect(statement).toBe("SELECT count() FROM `t` WHERE id = 'it\\'s' AND n IN (1, 2) AND f = 1");
  });

  it('refuses an empty IN list', () => {
    expect(() => sql`SELECT 1 WHERE x IN ${[]}`).toThrow(/at least one value/);
  });
});
