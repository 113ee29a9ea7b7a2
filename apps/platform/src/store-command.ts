import { ClickHouseEngine, runMigrations } from '@platform/clickhouse-store';
import { PlatformError } from '@platform/domain';
import { loadPlatformConfig, type PlatformConfig } from '@platform/platform-config';
import { runCommand } from './run-command';

/** The command line was wrong: exit 2 with the usage text. */
export class UsageError extends Error {}

function usageFailure(usage: string, error: unknown): number {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
  return 2;
}

/**
 * Runs a command-line entry point against the configured store: parses its arguments (a parse
 * error is bad usage), opens the engine and applies migrations, runs the command, and closes the
 * engine. Exit codes: the command's own, 2 on bad usage, 1 when the platform refuses (a
 * non-retriable platform error, printed with its reason). Anything else is a crash with a stack.
 */
export function runStoreCommand<Args>(
  usage: string,
  parse: () => Args,
  command: (args: Args, engine: ClickHouseEngine, config: PlatformConfig) => Promise<number>,
): void {
  runCommand(async () => {
    let args: Args;
    try {
      args = parse();
    } catch (error) {
      return usageFailure(usage, error);
    }
    const config = loadPlatformConfig();
    const engine = await ClickHouseEngine.open(config.engine);
    try {
      await runMigrations(engine);
      return await command(args, engine, config);
    } catch (error) {
      if (error instanceof UsageError) return usageFailure(usage, error);
      if (error instanceof PlatformError && !error.retriable) {
        process.stderr.write(`${error.name}: ${error.message}\n`);
        return 1;
      }
      throw error;
    } finally {
      await engine.close();
    }
  });
}
