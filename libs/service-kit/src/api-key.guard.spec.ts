import 'reflect-metadata';
import { ApiKeyRing, type ApiPrincipal, hashApiKey } from '@platform/access';
import { type AuditEntry, InvalidInputError, PlatformError } from '@platform/domain';
import { Controller, Get, HttpStatus, Logger, Param, UseFilters } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { API_KEY_RING, ApiKeyGuard, AUDIT_LOG, CurrentPrincipal, RequireScope } from './api-key.guard';
import { PlatformErrorFilter } from './platform-error.filter';
import { ZodValidationPipe } from './zod-validation.pipe';

class GoneError extends PlatformError {
  readonly code = 'GONE_FOR_GOOD';
  readonly retriable = false;
}
class EngineDownError extends PlatformError {
  readonly code = 'ENGINE_DOWN';
  readonly retriable = true;
}
class DefectError extends PlatformError {
  readonly code = 'DEFECT';
  readonly retriable = false;
}

@UseFilters(new PlatformErrorFilter({ GONE_FOR_GOOD: HttpStatus.GONE }))
@Controller()
class ProbeController {
  @Get('public')
  open(): string {
    return 'anyone';
  }

  @Get('models/:model/secret')
  @RequireScope('admin')
  secret(@CurrentPrincipal() principal: ApiPrincipal): string {
    return principal.name;
  }

  @Get('read/:n')
  @RequireScope('read')
  read(@Param(new ZodValidationPipe(z.object({ n: z.coerce.number().int().max(9) }), 'path')) { n }: { n: number }): number {
    if (n === 1) throw new InvalidInputError('one is not allowed');
    if (n === 2) throw new GoneError('gone');
    if (n === 3) throw new EngineDownError('engine down');
    if (n === 5) throw new DefectError('a bug');
    return n;
  }
}

describe('ApiKeyGuard, PlatformErrorFilter and ZodValidationPipe on a fastify app', () => {
  const audit: Omit<AuditEntry, 'at'>[] = [];
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const ring = new ApiKeyRing([
      { name: 'ops', sha256: hashApiKey('admin-key'), scopes: ['admin'] },
      { name: 'dash', sha256: hashApiKey('read-key'), scopes: ['read'] },
    ]);
    const module = await Test.createTestingModule({
      controllers: [ProbeController],
      providers: [
        { provide: API_KEY_RING, useValue: ring },
        { provide: AUDIT_LOG, useValue: { append: async (entry: Omit<AuditEntry, 'at'>) => (audit.push(entry), { ...entry, at: 0 }), list: async () => [] } },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    }).compile();
    app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('lets public routes through and asks for a key on protected ones', async () => {
    expect((await get('/public')).body).toBe('anyone');
    const missing = await get('/models/churn/secret');
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ message: expect.stringContaining('scope admin in the x-api-key header') });
    expect((await get('/models/churn/secret', { 'x-api-key': 'wrong' })).statusCode).toBe(401);
  });

  it('accepts the key in x-api-key or as a bearer token and hands the principal to the handler', async () => {
    expect((await get('/models/churn/secret', { 'x-api-key': 'admin-key' })).body).toBe('ops');
    expect((await get('/models/churn/secret', { authorization: 'Bearer admin-key' })).body).toBe('ops');
    expect((await get('/read/4', { 'x-api-key': 'admin-key' })).body).toBe('4');
  });

  it('answers 403 to a key without the scope and audits the attempt', async () => {
    const refused = await get('/models/churn/secret', { 'x-api-key': 'read-key' });
    expect(refused.statusCode).toBe(403);
    expect(audit.at(-1)).toEqual({ actor: 'dash', action: 'GET /models/:model/secret', model: 'churn', target: '', outcome: 'rejected', detail: 'the key lacks scope admin' });
  });

  it('answers a bad parameter with a 400 naming it', async () => {
    const bad = await get('/read/ten', { 'x-api-key': 'read-key' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ message: expect.stringMatching(/^invalid request: path\.n: /) });
  });

  it('maps platform errors: bad input 400, mapped codes, retriable 503 with retry-after, the rest 500', async () => {
    const key = { 'x-api-key': 'read-key' };
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      expect((await get('/read/1', key)).json()).toEqual({ statusCode: 400, error: 'INVALID_INPUT', message: 'one is not allowed', retriable: false });
      expect((await get('/read/2', key)).statusCode).toBe(410);
      const down = await get('/read/3', key);
      expect(down.statusCode).toBe(503);
      expect(down.headers['retry-after']).toBe('5');
      expect((await get('/read/5', key)).statusCode).toBe(500);
      // An outage is a warning; only the defect is logged as an error.
      expect(warn.mock.calls.map(([, message]) => message)).toEqual(['request refused for now: engine down']);
      expect(error.mock.calls.map(([, message]) => message)).toEqual(['request failed: a bug']);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });
});
