import { quoteValue, type SqlValue } from './sql-literal';

/**
 * Both engines refuse statements over max_query_size (256 KiB). Long `IN (...)` lists are split
 * so each chunk's quoted text stays under a budget that leaves room for the rest of the statement.
 */
export const IN_LIST_CHUNK_MAX_BYTES = 128 * 1024;

export function chunkInList<T extends SqlValue>(values: readonly T[], maxBytes = IN_LIST_CHUNK_MAX_BYTES): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const value of values) {
    const size = Buffer.byteLength(quoteValue(value)) + 2;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(value);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
