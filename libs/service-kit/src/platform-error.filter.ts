import { PlatformError, InvalidInputError } from '@platform/domain';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import { type FastifyReply } from 'fastify';

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
  readonly retriable: boolean;
}

/**
 * Answers platform errors with a status that says what the caller can do: bad input 400, the
 * statuses a service maps by error code (404 unknown, 409 conflict...), 503 for retriable faults
 * (engine down), 500 for the rest. A 500 is a defect and is logged as an error with its stack; a
 * 503 is an outage the caller rides out, logged as a warning so an outage does not read as a bug.
 */
@Catch(PlatformError)
export class PlatformErrorFilter implements ExceptionFilter<PlatformError> {
  private readonly logger = new Logger(PlatformErrorFilter.name);

  constructor(private readonly statusByCode: Readonly<Record<string, HttpStatus>> = {}) {}

  catch(error: PlatformError, host: ArgumentsHost): void {
    const status = this.statusOf(error);
    if (status === HttpStatus.SERVICE_UNAVAILABLE) this.logger.warn({ err: error }, `request refused for now: ${error.message}`);
    else if (status >= 500) this.logger.error({ err: error }, `request failed: ${error.message}`);
    const body: ErrorBody = { statusCode: status, error: error.code, message: error.message, retriable: error.retriable };
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (status === HttpStatus.SERVICE_UNAVAILABLE) void reply.header('retry-after', '5');
    void reply.status(status).send(body);
  }

  private statusOf(error: PlatformError): HttpStatus {
    const mapped = this.statusByCode[error.code];
    if (mapped !== undefined) return mapped;
    if (error instanceof InvalidInputError) return HttpStatus.BAD_REQUEST;
    return error.retriable ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
  }
}
