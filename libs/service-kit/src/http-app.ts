import { type INestApplication } from '@nestjs/common';
import { type IEntryNestModule, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { API_KEY_HEADER } from './api-key.guard';
import { recordHttpMetrics } from './metrics';

export interface HttpAppOptions {
  readonly title: string;
  readonly description: string;
  readonly version: string;
  /** Largest request body accepted, in bytes (fastify answers 413 beyond it). */
  readonly bodyLimit?: number;
  /** Longest path parameter in characters as sent (URL-encoded); fastify answers 404 beyond it. Default 100. */
  readonly maxParamLength?: number;
}

export const API_DOCS_PATH = 'docs';

/**
 * A service's Nest application on fastify: pino as its logger, per-route latency metrics, a clean
 * stop on SIGTERM and SIGINT, OpenAPI at /docs-json and Swagger UI at /docs.
 */
export async function createHttpApp(module: IEntryNestModule, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ bodyLimit: options.bodyLimit ?? 1_048_576, routerOptions: { maxParamLength: options.maxParamLength ?? 100 } }), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  recordHttpMetrics(app.getHttpAdapter().getInstance(), app.get(Registry));
  closeOnSignals(app);
  setUpApiDocs(app, options);
  return app;
}

/**
 * SIGTERM or SIGINT (Ctrl-C) closes the application: every module's shutdown hooks run in order
 * (runs in flight cancelled, consumers leave their groups, the engine closes), then the process
 * exits 0, or 1 when closing failed. Nest's own shutdown hooks would re-raise the signal instead,
 * which hides whether the stop was clean.
 */
function closeOnSignals(app: INestApplication): void {
  const logger = app.get(Logger);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: shutting down`);
    app.close().then(
      () => {
        logger.log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function setUpApiDocs(app: INestApplication, options: HttpAppOptions): void {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion(options.version)
    .addApiKey({ type: 'apiKey', in: 'header', name: API_KEY_HEADER }, 'api-key')
    .build();
  SwaggerModule.setup(API_DOCS_PATH, app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: `${API_DOCS_PATH}-json` });
}
