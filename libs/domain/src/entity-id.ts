import { InvalidInputError } from './platform-error';

/**
 * Upper bound on an entity id, in UTF-8 bytes. ClickHouse's max_query_size (256 KiB on both
 * engines) bounds every statement; capping ids keeps point lookups and chunked `IN (...)` lists
 * far below it, and keeps a hostile producer from blowing up the serving state.
 */
export const ENTITY_ID_MAX_BYTES = 256;

export class InvalidEntityIdError extends InvalidInputError {
  override readonly code = 'INVALID_ENTITY_ID';
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Returns the id unchanged when it can be stored and served, else throws a clear error.
 * A lone UTF-16 surrogate has no UTF-8 encoding: storing it would silently change the id.
 */
export function assertEntityId(id: string): string {
  if (id.length === 0) {
    throw new InvalidEntityIdError('entity id is empty');
  }
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > ENTITY_ID_MAX_BYTES) {
    throw new InvalidEntityIdError(
      `entity id is ${bytes} bytes in UTF-8, over the cap of ${ENTITY_ID_MAX_BYTES} (starts with ${JSON.stringify(id.slice(0, 32))})`,
    );
  }
  if (LONE_SURROGATE.test(id)) {
    throw new InvalidEntityIdError(
      `entity id ${JSON.stringify(id.slice(0, 32))} contains a lone UTF-16 surrogate, which has no UTF-8 form`,
    );
  }
  return id;
}
