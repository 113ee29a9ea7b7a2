/**
 * Root of every error the platform raises on purpose. `retriable` tells the caller whether the
 * same operation may succeed later unchanged (an engine outage) or never will (bad input).
 */
export abstract class PlatformError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that can never be processed as given: a caller or producer must change it. */
export class InvalidInputError extends PlatformError {
  readonly code: string = 'INVALID_INPUT';
  readonly retriable = false;
}
