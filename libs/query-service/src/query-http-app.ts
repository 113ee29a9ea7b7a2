import { type PlatformConfig } from '@platform/platform-config';
import { createHttpApp, PlatformCoreModule } from '@platform/service-kit';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { QueryLayerModule } from './query-layer.module';

/** An entity id of 256 UTF-8 bytes, percent-encoded, is at most 768 characters in a path. */
export const MAX_ENTITY_ID_PATH_CHARS = 768;

/** Prediction lookups are the hot routes: their request logs are sampled (wherever the query layer is mounted). */
export function queryRequestLogSampling(config: PlatformConfig): { readonly pathPrefixes: readonly string[]; readonly rate: number } {
  return { pathPrefixes: ['/models/'], rate: config.query.requestLogSampleRate };
}

/** The query layer service's application: what apps/query-layer runs and the tests drive. */
export function createQueryHttpApp(config: PlatformConfig): Promise<NestFastifyApplication> {
  return createHttpApp(
    {
      module: class QueryLayerService {},
      imports: [
        PlatformCoreModule.forRoot('query-layer', config, { requestLogSampling: queryRequestLogSampling(config) }),
        QueryLayerModule,
      ],
    },
    {
      title: 'Query layer',
      description: 'Merged predictions (speed over batch over cold start) with provenance, served from memory',
      version: '1',
      bodyLimit: config.query.bodyLimitBytes,
      maxParamLength: MAX_ENTITY_ID_PATH_CHARS,
    },
  );
}
