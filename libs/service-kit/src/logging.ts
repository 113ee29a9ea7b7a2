import { type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { API_KEY_HEADER } from './api-key.guard';

const QUIET_ROUTES = new Set(['/metrics', '/health/live', '/health/ready']);

/**
 * JSON logs through pino for the service and its requests. Keys never reach a log line; scrapes
 * and probes are not logged per request (they would drown the rest).
 */
export function platformLoggerModule(service: string, level: string): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      name: service,
      level,
      redact: [`req.headers["${API_KEY_HEADER}"]`, 'req.headers.authorization'],
      autoLogging: { ignore: (request) => QUIET_ROUTES.has((request.url ?? '').split('?')[0] ?? '') },
    },
  });
}
