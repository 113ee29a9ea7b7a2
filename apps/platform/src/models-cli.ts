/**
 * The model registry from the command line:
 *
 *   npm run models -- register <package-dir> [--actor NAME]
 *   npm run models -- promote <model> <version> [--actor NAME]
 *   npm run models -- rollback <model> [--actor NAME]
 *   npm run models -- retire <model> <version> [--actor NAME]
 *   npm run models -- list [model]
 *   npm run models -- describe <model> <version>
 *
 * States live in ClickHouse (the embedded chDB unless CLICKHOUSE_URL is set), package files in
 * MODEL_STORE_DIR. Prints one JSON document; exits 2 on bad usage, 1 when the registry refuses.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ClickHouseEngine, ModelRegistryRepository, runMigrations } from '@platform/clickhouse-store';
import { PlatformError } from '@platform/domain';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { loadPlatformConfig } from './platform-config';
import { runCommand } from './run-command';

const USAGE = 'usage: models register <dir> | promote <model> <version> | rollback <model> | retire <model> <version> | list [model] | describe <model> <version>  [--actor NAME]';

class UsageError extends Error {}

async function execute(registry: ModelRegistry, command: string | undefined, args: readonly string[], actor: string): Promise<unknown> {
  const need = (count: number): string[] => {
    if (args.length !== count) throw new UsageError(`${command ?? '(none)'} takes ${count} argument(s), got ${args.length}`);
    return [...args];
  };
  switch (command) {
    case 'register':
      return registry.register(need(1)[0]!, actor);
    case 'promote': {
      const [model, version] = need(2);
      return registry.promote(model!, version!, actor);
    }
    case 'rollback':
      return registry.rollback(need(1)[0]!, actor);
    case 'retire': {
      const [model, version] = need(2);
      return registry.retire(model!, version!, actor);
    }
    case 'list':
      return registry.list(args[0]);
    case 'describe': {
      const [model, version] = need(2);
      return registry.describe(model!, version!);
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { actor: { type: 'string' } } });
  const [command, ...args] = positionals;
  const config = loadPlatformConfig();
  const engine = await ClickHouseEngine.open(config.engine);
  try {
    await runMigrations(engine);
    const registry = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(config.modelStoreDir));
    const result = await execute(registry, command, args, values.actor ?? userInfo().username);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof PlatformError && !error.retriable) {
      process.stderr.write(`${error.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await engine.close();
  }
}

runCommand(main);
