const ASCII_ONLY = /^\p{ASCII}*$/u;

/**
 * Orders strings as ClickHouse does (bytewise over UTF-8), not as JavaScript does (by UTF-16
 * code unit); the two disagree between U+E000..U+FFFF and astral characters. Every tie-break the
 * merge rule makes in memory must agree with the one the SQL view makes.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  if (ASCII_ONLY.test(a) && ASCII_ONLY.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
