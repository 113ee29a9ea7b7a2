/** Writes docs/configuration.md from the config schema (`npm run docs:config`); a unit test of platform-config fails when it is stale. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigurationDoc } from '@platform/platform-config';
import { runCommand } from './run-command';

runCommand(() => {
  const target = join(process.cwd(), 'docs', 'configuration.md');
  writeFileSync(target, renderConfigurationDoc());
  process.stdout.write(`wrote ${target}\n`);
  return Promise.resolve(0);
});
