import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildChurnModelPackage } from '@platform/demo-churn';
import { MANIFEST_FILE } from '@platform/model-store';

const DEMO_MODEL_DIR = join(__dirname, '..', '..', '.run', 'models', 'churn', '1.0.0');

/** The demo churn model package, trained (seeded, deterministic) the first time it is needed. */
export async function ensureDemoModel(): Promise<string> {
  if (!existsSync(join(DEMO_MODEL_DIR, MANIFEST_FILE))) {
    process.stderr.write(`training the demo churn model into ${DEMO_MODEL_DIR}\n`);
    await buildChurnModelPackage(DEMO_MODEL_DIR, { version: '1.0.0', seed: 42 });
  }
  return DEMO_MODEL_DIR;
}
