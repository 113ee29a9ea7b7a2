import { type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { API_KEY_HEADER } from './api-key.guard';

const QUIET_ROUTES = new Set(['/metrics', '/health/live', '/health/ready']);

/** Hot routes whose request lines are sampled rather than all written. */
export interface RequestLogSampling {
  /** Paths starting with one of these are hot routes. */
  readonly pathPrefixes: readonly string[];
  /** Share of their requests that get a log line, 0-1. */
  readonly rate: number;
}

/**
 * JSON logs through pino for the service and its requests. Keys never reach a log line; scrapes
 * and probes are not logged per request (they would drown the rest); requests to hot routes are
 * sampled (a line per request would cost more than answering it). Errors a filter answers with a
 * 5xx are logged by the filter with their stack, sampled or not.
 */
export function platformLoggerModule(service: string, level: string, sampling?: RequestLogSampling): DynamicModule {
  const skip = requestLogSkipper(sampling);
  return LoggerModule.forRoot({
    pinoHttp: {
      name: service,
      level,
      redact: [`req.headers["${API_KEY_HEADER}"]`, 'req.headers.authorization'],
      autoLogging: { ignore: (request) => skip(request.url ?? '') },
    },
  });
}

/** Decides from a request's URL whether it gets no request log line. */
export function requestLogSkipper(sampling: RequestLogSampling | undefined, random: () => number = Math.random): (url: string) => boolean {
  return (url) => {
    const path = url.split('?')[0] ?? '';
    if (QUIET_ROUTES.has(path)) return true;
    const hot = sampling?.pathPrefixes.some((prefix) => path.startsWith(prefix)) ?? false;
    return hot && random() >= sampling!.rate;
  };
}
