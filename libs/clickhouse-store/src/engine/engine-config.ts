/** Where the store lives: a ClickHouse server over HTTP, or chDB inside this process. */
export type EngineConfig = ServerEngineConfig | ChdbEngineConfig;

export interface ServerEngineConfig {
  readonly kind: 'server';
  /** e.g. http://127.0.0.1:8123 */
  readonly url: string;
  readonly database: string;
  readonly username?: string;
  readonly password?: string;
  readonly requestTimeoutMs?: number;
}

export interface ChdbEngineConfig {
  readonly kind: 'chdb';
  /**
   * Directory of the embedded engine. chDB allows one engine per process: a second, different
   * path while one is open is refused, so isolate by `database`, not by path.
   */
  readonly path: string;
  readonly database: string;
}

export type EngineKind = EngineConfig['kind'];
