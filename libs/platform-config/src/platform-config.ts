import { join } from 'node:path';
import { z } from 'zod';
import { type EngineConfig } from '@platform/clickhouse-store';

const inWorkingDir = (...parts: string[]): string => join(process.cwd(), ...parts);

const port = z.coerce.number().int().min(0).max(65_535);

/**
 * Every setting of the platform's processes, read once from the environment and validated; a bad
 * value stops the process with a message naming the variable. With CLICKHOUSE_URL set the store is
 * that server, otherwise chDB in-process (the embedded default); with KAFKA_BROKERS set, runs are
 * coordinated through Kafka, otherwise through file locks.
 */
export const environmentSchema = z.object({
  CLICKHOUSE_URL: z.url().optional().describe('ClickHouse server HTTP endpoint; unset = embedded chDB'),
  CLICKHOUSE_USER: z.string().optional().describe('ClickHouse user'),
  CLICKHOUSE_PASSWORD: z.string().optional().describe('ClickHouse password'),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/).default('platform').describe('database of every platform table'),
  CHDB_PATH: z.string().min(1).default(inWorkingDir('.run', 'chdb')).describe('chDB data directory (embedded mode only)'),
  MODEL_STORE_DIR: z.string().min(1).default(inWorkingDir('.run', 'model-store')).describe('directory of registered model packages'),
  DEPLOYMENTS_FILE: z.string().min(1).default(inWorkingDir('config', 'deployments.json')).describe('JSON list of deployments'),
  RUN_LOCK_DIR: z.string().min(1).default(inWorkingDir('.run', 'locks')).describe('file locks of batch runs (without Kafka)'),
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, 'comma-separated host:port list')
    .optional()
    .describe('Kafka bootstrap brokers; unset = no Kafka (embedded mode)'),
  KAFKA_CLIENT_ID: z.string().min(1).default('lambda-platform').describe('Kafka client id'),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(6_000)
    .default(30_000)
    .describe("ms without heartbeat after which a group member is removed: how long a killed speed consumer's partitions (or a killed batch run's lock) stall before another member takes them"),
  BATCH_CONTROL_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('platform.batch-control').describe('one-partition topic whose consumer groups lock batch runs'),
  API_KEYS_FILE: z.string().min(1).default(inWorkingDir('.run', 'api-keys.json')).describe('JSON list of API keys (name, sha256, scopes)'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1').describe('address the HTTP services bind'),
  BATCH_HTTP_PORT: port.default(8081).describe('batch layer admin API port'),
  BATCH_SCHEDULER: z.enum(['on', 'off']).default('on').describe('run deployments on their cron schedules'),
  BATCH_INITIAL_RUN: z.enum(['on', 'off']).default('on').describe('at start, run every deployment that has no published run yet'),
  RETENTION_SCHEDULE: z
    .string()
    .regex(/^(\S+\s+){4}\S+$/, 'a five-field cron expression')
    .default('23 * * * *')
    .describe('cron (UTC) of the retention sweep that drops superseded or expired partitions'),
  RETENTION_SPEED_ROWS_DAYS: z.coerce.number().min(0).default(7).describe('days speed predictions are kept after every run their model could serve supersedes them'),
  RETENTION_FAILED_RUN_REJECTS_DAYS: z.coerce.number().min(0).default(14).describe("days a failed run's rejected rows are kept for diagnosis"),
  RETENTION_AUDIT_DAYS: z.coerce.number().min(0).default(365).describe('days audit log rows are kept (whole months are dropped)'),
  FEATURE_EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('feature-events').describe('topic the speed layer consumes (key = entity id)'),
  DEAD_LETTER_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('feature-events.dlq').describe('where invalid feature events go, with the reason'),
  DEAD_LETTER_RETENTION_DAYS: z.coerce.number().positive().default(14).describe('days the broker keeps dead letters (retention.ms of the dead-letter topic when the speed layer creates it)'),
  SPEED_OUTPUT_TOPICS: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}=[A-Za-z0-9._-]{1,249}(,[a-z][a-z0-9_-]{0,63}=[A-Za-z0-9._-]{1,249})*$/, 'comma-separated model=topic pairs')
    .optional()
    .describe('models whose speed predictions are also published to a topic, e.g. churn=predictions.churn (created when absent); with KAFKA_BROKERS the query layer tails them too'),
  SPEED_GROUP_ID: z.string().min(1).default('speed-layer').describe('consumer group of the speed layer'),
  SPEED_BATCH_MAX_COUNT: z.coerce.number().int().min(1).default(20_000).describe('events per micro-batch, at most (before the minimum interval); fewer, larger inserts carry a backlog faster'),
  SPEED_BATCH_MAX_WAIT_MS: z.coerce.number().int().min(1).default(250).describe('ms an event waits for its micro-batch, at most'),
  SPEED_BATCH_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(200).describe('ms between two micro-batch writes, at least (too many parts)'),
  SPEED_CLOCK_SKEW_MS: z.coerce.number().int().min(0).default(60_000).describe('how far in the future an event time may be'),
  SPEED_HTTP_PORT: port.default(8082).describe('speed layer health and metrics port'),
  QUERY_HTTP_PORT: port.default(8083).describe('query layer API port'),
  QUERY_POINTER_POLL_MS: z.coerce.number().int().min(10).default(1_000).describe('ms between reads of the serving pointer (publishes and rollbacks reach the query layer within it plus a load)'),
  QUERY_SPEED_POLL_MS: z.coerce.number().int().min(10).default(200).describe('ms between two tail polls of speed predictions (a speed row is served within it plus a poll)'),
  QUERY_SPEED_OVERLAP_MS: z.coerce.number().int().min(0).default(5_000).describe('ms of speed rows each tail poll re-reads (rows become visible out of scored-at order)'),
  QUERY_STATE_MAX_BYTES: z.coerce.number().int().min(1_048_576).default(1_073_741_824).describe('bytes the in-memory serving state of all models may take; a run beyond it is served from ClickHouse through an LRU cache'),
  QUERY_STORE_BACKED_CACHE_ENTRIES: z.coerce.number().int().min(1).default(100_000).describe('entities whose batch row (or its absence) a model served from ClickHouse keeps in its LRU cache (about 400 bytes each)'),
  QUERY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).default(4_194_304).describe('largest query layer request body in bytes (413 beyond it); 10,000 ids fit in the default'),
  QUERY_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(1_000).describe('query layer requests per second per API key, sustained (429 beyond it)'),
  QUERY_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(2_000).describe('query layer requests an API key may make at once above its sustained rate'),
  QUERY_REQUEST_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.01).describe('share of query layer prediction requests that get a request log line (0-1)'),
  DEMO_SOURCE_ROWS: z.coerce.number().int().min(1).default(1_000_000).describe('customers the quick start generates when the demo source is empty'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('log level'),
});

type Environment = z.infer<typeof environmentSchema>;

const DAY_MS = 86_400_000;

export interface PlatformConfig {
  readonly engine: EngineConfig;
  readonly modelStoreDir: string;
  readonly deploymentsFile: string;
  readonly runLockDir: string;
  /** Absent in embedded mode. */
  readonly kafka?: { readonly brokers: readonly string[]; readonly clientId: string; readonly sessionTimeoutMs: number };
  readonly batchControlTopic: string;
  readonly apiKeysFile: string;
  readonly http: { readonly host: string; readonly batchPort: number };
  readonly batchScheduler: boolean;
  readonly batchInitialRun: boolean;
  readonly retention: {
    readonly schedule: string;
    readonly windows: { readonly speedRowsMs: number; readonly failedRunRejectsMs: number; readonly auditMs: number };
  };
  readonly demoSourceRows: number;
  readonly speed: {
    readonly topic: string;
    readonly deadLetterTopic: string;
    readonly deadLetterRetentionMs: number;
    /** Model → output topic; empty when no model publishes its predictions. */
    readonly outputTopics: ReadonlyMap<string, string>;
    readonly groupId: string;
    readonly batching: { readonly maxCount: number; readonly maxWaitMs: number; readonly minIntervalMs: number };
    readonly allowedClockSkewMs: number;
    readonly httpPort: number;
  };
  readonly query: {
    readonly httpPort: number;
    readonly pointerPollMs: number;
    readonly speedPollMs: number;
    readonly speedOverlapMs: number;
    readonly stateMaxBytes: number;
    readonly storeBackedCacheEntries: number;
    readonly bodyLimitBytes: number;
    readonly rateLimit: { readonly perSecond: number; readonly burst: number };
    readonly requestLogSampleRate: number;
  };
  readonly logLevel: Environment['LOG_LEVEL'];
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
  return {
    engine,
    modelStoreDir: env.MODEL_STORE_DIR,
    deploymentsFile: env.DEPLOYMENTS_FILE,
    runLockDir: env.RUN_LOCK_DIR,
    ...(env.KAFKA_BROKERS === undefined ? {} : { kafka: { brokers: env.KAFKA_BROKERS.split(','), clientId: env.KAFKA_CLIENT_ID, sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS } }),
    batchControlTopic: env.BATCH_CONTROL_TOPIC,
    apiKeysFile: env.API_KEYS_FILE,
    http: { host: env.HTTP_HOST, batchPort: env.BATCH_HTTP_PORT },
    batchScheduler: env.BATCH_SCHEDULER === 'on',
    batchInitialRun: env.BATCH_INITIAL_RUN === 'on',
    retention: {
      schedule: env.RETENTION_SCHEDULE,
      windows: {
        speedRowsMs: env.RETENTION_SPEED_ROWS_DAYS * DAY_MS,
        failedRunRejectsMs: env.RETENTION_FAILED_RUN_REJECTS_DAYS * DAY_MS,
        auditMs: env.RETENTION_AUDIT_DAYS * DAY_MS,
      },
    },
    demoSourceRows: env.DEMO_SOURCE_ROWS,
    speed: {
      topic: env.FEATURE_EVENTS_TOPIC,
      deadLetterTopic: env.DEAD_LETTER_TOPIC,
      deadLetterRetentionMs: Math.round(env.DEAD_LETTER_RETENTION_DAYS * DAY_MS),
      outputTopics: new Map((env.SPEED_OUTPUT_TOPICS?.split(',') ?? []).map((pair) => pair.split('=') as [string, string])),
      groupId: env.SPEED_GROUP_ID,
      batching: { maxCount: env.SPEED_BATCH_MAX_COUNT, maxWaitMs: env.SPEED_BATCH_MAX_WAIT_MS, minIntervalMs: env.SPEED_BATCH_MIN_INTERVAL_MS },
      allowedClockSkewMs: env.SPEED_CLOCK_SKEW_MS,
      httpPort: env.SPEED_HTTP_PORT,
    },
    query: {
      httpPort: env.QUERY_HTTP_PORT,
      pointerPollMs: env.QUERY_POINTER_POLL_MS,
      speedPollMs: env.QUERY_SPEED_POLL_MS,
      speedOverlapMs: env.QUERY_SPEED_OVERLAP_MS,
      stateMaxBytes: env.QUERY_STATE_MAX_BYTES,
      storeBackedCacheEntries: env.QUERY_STORE_BACKED_CACHE_ENTRIES,
      bodyLimitBytes: env.QUERY_BODY_LIMIT_BYTES,
      rateLimit: { perSecond: env.QUERY_RATE_LIMIT_PER_SECOND, burst: env.QUERY_RATE_LIMIT_BURST },
      requestLogSampleRate: env.QUERY_REQUEST_LOG_SAMPLE_RATE,
    },
    logLevel: env.LOG_LEVEL,
  };
}
