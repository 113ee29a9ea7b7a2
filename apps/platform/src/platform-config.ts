import { join } from 'node:path';
import { z } from 'zod';
import { type EngineConfig } from '@platform/clickhouse-store';

/**
 * The platform's settings, read once from the environment and validated; a bad value stops the
 * process with a message naming the variable. With CLICKHOUSE_URL set the store is that server,
 * otherwise chDB in-process (the embedded default).
 */
const environmentSchema = z.object({
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/).default('platform'),
  CHDB_PATH: z.string().min(1).default(join(process.cwd(), '.run', 'chdb')),
  MODEL_STORE_DIR: z.string().min(1).default(join(process.cwd(), '.run', 'model-store')),
  DEPLOYMENTS_FILE: z.string().min(1).default(join(process.cwd(), 'config', 'deployments.json')),
  RUN_LOCK_DIR: z.string().min(1).default(join(process.cwd(), '.run', 'locks')),
});

export interface PlatformConfig {
  readonly engine: EngineConfig;
  readonly modelStoreDir: string;
  readonly deploymentsFile: string;
  readonly runLockDir: string;
}

export class PlatformConfigError extends Error {
  override readonly name = 'PlatformConfigError';
}

export function loadPlatformConfig(environment: NodeJS.ProcessEnv = process.env): PlatformConfig {
  // An empty variable counts as unset, as shells and compose files commonly leave them.
  const set = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      return `${variable}=${JSON.stringify(environment[variable])}: ${issue.message}`;
    });
    throw new PlatformConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  const engine: EngineConfig =
    env.CLICKHOUSE_URL === undefined
      ? { kind: 'chdb', path: env.CHDB_PATH, database: env.CLICKHOUSE_DATABASE }
      : {
          kind: 'server',
          url: env.CLICKHOUSE_URL,
          database: env.CLICKHOUSE_DATABASE,
          ...(env.CLICKHOUSE_USER === undefined ? {} : { username: env.CLICKHOUSE_USER }),
          ...(env.CLICKHOUSE_PASSWORD === undefined ? {} : { password: env.CLICKHOUSE_PASSWORD }),
        };
  return { engine, modelStoreDir: env.MODEL_STORE_DIR, deploymentsFile: env.DEPLOYMENTS_FILE, runLockDir: env.RUN_LOCK_DIR };
}
