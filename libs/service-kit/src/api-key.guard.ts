import { type ApiKeyRing, type ApiPrincipal, type ApiScope, hasScope } from '@platform/access';
import { type AuditLog } from '@platform/domain';
import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type FastifyRequest } from 'fastify';

export const API_KEY_RING = Symbol('API_KEY_RING');
export const AUDIT_LOG = Symbol('AUDIT_LOG');

/** The scope a route (or every route of a controller) requires; routes without it are public. */
export const RequireScope = Reflector.createDecorator<ApiScope>();

/** The header carrying the key; `Authorization: Bearer <key>` is accepted as well. */
export const API_KEY_HEADER = 'x-api-key';

type AuthenticatedRequest = FastifyRequest & { principal?: ApiPrincipal };

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers[API_KEY_HEADER];
  if (typeof header === 'string') return header;
  const authorization = request.headers.authorization;
  return authorization?.startsWith('Bearer ') === true ? authorization.slice('Bearer '.length) : undefined;
}

/**
 * Checks the API key of routes marked with @RequireScope: 401 without a valid key, 403 when the
 * key lacks the scope (and an audit row says who tried what). The principal is then available to
 * the handler through @CurrentPrincipal().
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(API_KEY_RING) private readonly ring: ApiKeyRing,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride(RequireScope, [context.getHandler(), context.getClass()]);
    if (scope === undefined) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = this.ring.authenticate(presentedKey(request));
    if (principal === undefined) {
      throw new UnauthorizedException(`this route requires an API key with scope ${scope} in the ${API_KEY_HEADER} header`);
    }
    if (!hasScope(principal, scope)) {
      const params = request.params as Record<string, string> | undefined;
      await this.audit
        .append({
          actor: principal.name,
          action: `${request.method} ${request.routeOptions.url ?? request.url}`,
          model: params?.['model'] ?? '',
          target: '',
          outcome: 'rejected',
          detail: `the key lacks scope ${scope}`,
        })
        .catch((error: unknown) => this.logger.error({ err: error }, 'audit row of a refused request not written'));
      throw new ForbiddenException(`the API key ${principal.name} lacks scope ${scope}`);
    }
    request.principal = principal;
    return true;
  }
}

/** The principal ApiKeyGuard authenticated; only on routes with @RequireScope. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): ApiPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (principal === undefined) throw new Error('CurrentPrincipal used on a route without @RequireScope');
  return principal;
});
