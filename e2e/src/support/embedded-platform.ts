import { join } from 'node:path';
import { REPO_ROOT, ServiceProcess } from './service-process';

/**
 * `npm start` as a user runs it, on the embedded default: chDB, model store, run locks and the key
 * file under `workDir`, the HTTP server on `port`, the servers npm test exported left out.
 */
export function startEmbeddedPlatform(workDir: string, port: number, settings: Record<string, string>): ServiceProcess {
  const { CLICKHOUSE_URL, KAFKA_BROKERS, ...inheritedEnv } = process.env;
  return new ServiceProcess([join(REPO_ROOT, 'scripts', 'start.sh')], {
    ...inheritedEnv,
    CHDB_PATH: join(workDir, 'chdb'),
    MODEL_STORE_DIR: join(workDir, 'store'),
    RUN_LOCK_DIR: join(workDir, 'locks'),
    API_KEYS_FILE: join(workDir, 'api-keys.json'),
    BATCH_HTTP_PORT: String(port),
    ...settings,
  });
}
