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
import { ModelRegistryRepository } from '@platform/clickhouse-store';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { runStoreCommand, UsageError } from './store-command';

const USAGE = 'usage: models register <dir> | promote <model> <version> | rollback <model> | retire <model> <version> | list [model] | describe <model> <version>  [--actor NAME]';

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

runStoreCommand(
  USAGE,
  () => parseArgs({ allowPositionals: true, options: { actor: { type: 'string' } } }),
  async ({ positionals, values }, engine, config) => {
    const [command, ...args] = positionals;
    const registry = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(config.modelStoreDir));
    const result = await execute(registry, command, args, values.actor ?? userInfo().username);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  },
);
