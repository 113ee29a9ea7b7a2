import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type FastifyInstance, type FastifyReply } from 'fastify';

/** Where the dashboard page is served (wherever QueryLayerModule is mounted). */
export const DASHBOARD_PATH = '/dashboard/';

const DASHBOARD_DIR = join(__dirname, '..', 'dashboard');
/** Chart.js from node_modules (its UMD build; dist/ of the package's `require` entry), never from a CDN. */
const CHART_JS_DIR = dirname(require.resolve('chart.js'));
const CHART_JS_FILE = '/chart.umd.min.js';

/**
 * The page talks to this origin only: its own files, Chart.js beside them, the API. No inline
 * script or style, so an injected string in the data cannot run.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the dashboard's static files (libs/query-service/dashboard) and Chart.js under
 * /dashboard/. Registered on fastify before it boots (module init comes before listen).
 */
@Injectable()
export class DashboardAssets implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    const setHeaders = (reply: FastifyReply): void => {
      void reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-content-type-options', 'nosniff');
    };
    // Errors of either registration surface when fastify boots (listen or ready), failing the start.
    void fastify.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: DASHBOARD_PATH, decorateReply: false, setHeaders });
    // The page's relative links need the trailing slash.
    fastify.get(DASHBOARD_PATH.slice(0, -1), (_request, reply) => reply.redirect(DASHBOARD_PATH));
    void fastify.register(fastifyStatic, {
      root: CHART_JS_DIR,
      prefix: `${DASHBOARD_PATH}vendor/chart.js/`,
      decorateReply: false,
      allowedPath: (path) => path === CHART_JS_FILE,
      setHeaders,
    });
  }
}
