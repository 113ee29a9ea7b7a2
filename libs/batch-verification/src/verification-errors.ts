import { InvalidInputError } from '@platform/domain';

/** A chunk or a call that does not match the model being verified: a bug in the caller, never retriable. */
export class VerificationInputError extends InvalidInputError {
  override readonly code = 'INVALID_VERIFICATION_INPUT';
}

/** A stored report that cannot serve as a reference (not JSON, or not the report format). */
export class InvalidVerificationReportError extends InvalidInputError {
  override readonly code = 'INVALID_VERIFICATION_REPORT';
}
