import { type ApiPrincipal, KeyRateLimiter } from '@platform/access';
import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { type FastifyReply, type FastifyRequest } from 'fastify';

/** The query layer's per-key limiter (QUERY_RATE_LIMIT_PER_SECOND, QUERY_RATE_LIMIT_BURST). */
export const QUERY_RATE_LIMITER = Symbol('QUERY_RATE_LIMITER');

/**
 * 429 with `retry-after` (seconds) once a key has spent its burst and exceeds its sustained rate.
 * Runs after the global ApiKeyGuard, so the request's principal is known; a bulk lookup counts as
 * one request.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(@Inject(QUERY_RATE_LIMITER) private readonly limiter: KeyRateLimiter) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const principal = http.getRequest<FastifyRequest & { principal?: ApiPrincipal }>().principal;
    if (principal === undefined) return true;
    const waitMs = this.limiter.take(principal.name);
    if (waitMs === 0) return true;
    http.getResponse<FastifyReply>().header('retry-after', String(Math.ceil(waitMs / 1000)));
    throw new HttpException(`API key ${principal.name} is over its rate limit; retry in ${waitMs} ms`, HttpStatus.TOO_MANY_REQUESTS);
  }
}
