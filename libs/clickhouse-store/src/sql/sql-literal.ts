import { assertEntityId, InvalidInputError } from '@platform/domain';

/**
 * ClickHouse 18.16 has no query parameters, so every value reaches SQL as a literal. This is the
 * one place literals are made: callers use the `sql` template tag (values are quoted, never
 * concatenated) or the quote functions below; raw SQL text comes only from `trustedSql`.
 */

export class InvalidSqlValueError extends InvalidInputError {
  override readonly code = 'INVALID_SQL_VALUE';
}

/** SQL text written by us, never derived from input. */
export class SqlFragment {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type SqlValue = string | number | bigint | boolean | Uint8Array | SqlFragment;

const HEX = '0123456789abcdef';

function hexEscape(byte: number): string {
  return `\\x${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

/**
 * Quotes text as a ClickHouse string literal. Backslash and quote are escaped; control bytes become
 * `\xHH` so a literal never spans lines; other characters pass through as UTF-8. Text with a lone
 * UTF-16 surrogate is refused: it has no UTF-8 form and would reach the engine altered.
 */
export function quoteString(value: string): string {
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === 0x5c) out += '\\\\';
    else if (unit === 0x27) out += "\\'";
    else if (unit < 0x20 || unit === 0x7f) out += hexEscape(unit);
    else if (unit >= 0xd800 && unit <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += value[i]! + value[i + 1]!;
        i++;
      } else {
        throw new InvalidSqlValueError(`string value has a lone UTF-16 surrogate at index ${i}: it has no UTF-8 form`);
      }
    } else out += value[i]!;
  }
  return out + "'";
}

/** Quotes arbitrary bytes (e.g. a non-UTF-8 id read from the store) as a pure-ASCII literal. */
export function quoteBytes(value: Uint8Array): string {
  let out = "'";
  for (const byte of value) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x27) out += "\\'";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += hexEscape(byte);
  }
  return out + "'";
}

/** An entity id as a literal, after the same checks every entry point applies (length cap included). */
export function quoteEntityId(id: string): string {
  return quoteString(assertEntityId(id));
}

/**
 * Numbers as literals. Integers print exactly; other finite numbers print with the shortest text
 * that reads back to the same double; NaN and infinities use ClickHouse's `nan`/`inf` literals.
 */
export function quoteNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Object.is(value, -0)) return '-0.';
  return String(value);
}

const IDENTIFIER_MAX_LENGTH = 255;

/**
 * Quotes a database, table or column name with backticks. Names come from configuration, not
 * from events, but are still checked: empty, over-long or NUL-bearing names are refused.
 */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.length > IDENTIFIER_MAX_LENGTH || name.includes('\u0000')) {
    throw new InvalidSqlValueError(
      `invalid SQL identifier ${JSON.stringify(name.slice(0, 64))}: it must be 1-${IDENTIFIER_MAX_LENGTH} characters without NUL`,
    );
  }
  return '`' + name.replace(/[\\`]/g, (c) => '\\' + c) + '`';
}

export function identifier(name: string): SqlFragment {
  return new SqlFragment(quoteIdentifier(name));
}

export function trustedSql(text: string): SqlFragment {
  return new SqlFragment(text);
}

export function quoteValue(value: SqlValue): string {
  if (value instanceof SqlFragment) return value.text;
  if (value instanceof Uint8Array) return quoteBytes(value);
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'number') return quoteNumber(value);
  if (typeof value === 'bigint') return value.toString();
  return value ? '1' : '0';
}

/** A parenthesised, comma-separated list for `IN (...)`; an empty list is a caller bug. */
export function quoteList(values: readonly SqlValue[]): string {
  if (values.length === 0) {
    throw new InvalidSqlValueError('an IN list needs at least one value');
  }
  return `(${values.map(quoteValue).join(', ')})`;
}

/** An array literal, `[a, b]`; an empty one is `[]`. */
export function quoteArray(values: readonly SqlValue[]): string {
  return `[${values.map(quoteValue).join(', ')}]`;
}

/**
 * Template tag that quotes every interpolated value: sql`SELECT * FROM t WHERE id = ${id}`.
 * Arrays become IN lists; SqlFragment values (identifiers, trusted SQL) are inserted as they are.
 */
export function sql(strings: TemplateStringsArray, ...values: readonly (SqlValue | readonly SqlValue[])[]): string {
  let out = strings[0]!;
  values.forEach((value, index) => {
    out += (Array.isArray(value) ? quoteList(value) : quoteValue(value as SqlValue)) + strings[index + 1]!;
  });
  return out;
}
