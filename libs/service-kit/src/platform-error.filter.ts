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
 * (engine down), 500 for the rest, which is logged with its stack.
 */
@Catch(PlatformError)
export class PlatformErrorFilter implements ExceptionFilter<PlatformError> {
  private readonly logger = new Logger(PlatformErrorFilter.name);

  constructor(private readonly statusByCode: Readonly<Record<string, HttpStatus>> = {}) {}

  catch(error: PlatformError, host: ArgumentsHost): void {
    const status = this.statusOf(error);
    if (status >= 500) this.logger.error({ err: error }, `request failed: ${error.message}`);
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
