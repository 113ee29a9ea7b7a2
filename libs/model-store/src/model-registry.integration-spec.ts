import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistryRepository } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { ModelRegistry, ModelVersionConflictError } from '@platform/model-package';
import { DirectoryModelPackageStore } from './directory-model-package-store';

function packageDir(name: string, version: string, weights: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'package-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      manifestVersion: 1,
      name,
      version,
      format: 'layers-model',
      features: [{ name: 'x', type: 'numeric' }],
      outputs: [{ name: 'p', min: 0, max: 1 }],
    }),
  );
  writeFileSync(join(dir, 'weights.bin'), weights);
  return dir;
}

describe.each(ENGINE_KINDS)('model registry on %s', (kind) => {
  const engine = useTestEngine(kind);
  let registry: ModelRegistry;
  let storeRoot: string;

  beforeAll(() => {
    storeRoot = mkdtempSync(join(tmpdir(), 'model-store-'));
    registry = new ModelRegistry(new ModelRegistryRepository(engine()), new DirectoryModelPackageStore(storeRoot));
  });

  it('keeps several models and versions, one active per model, with states in ClickHouse', async () => {
    await registry.register(packageDir('churn', '1.0.0', 'a'), 'alice');
    await registry.register(packageDir('churn', '1.1.0', 'b'), 'alice');
    await registry.register(packageDir('fraud', '0.1.0', 'c'), 'alice');
    await registry.promote('churn', '1.0.0', 'alice');
    await registry.promote('churn', '1.1.0', 'bob');
    await registry.promote('fraud', '0.1.0', 'alice');

    const states = (await registry.list()).map((e) => `${e.model}@${e.version}:${e.state}`);
    expect(states).toEqual(['churn@1.0.0:retired', 'churn@1.1.0:active', 'fraud@0.1.0:active']);

    // A second registry over the same database sees the same states: they live in ClickHouse.
    const reopened = new ModelRegistry(new ModelRegistryRepository(engine()), new DirectoryModelPackageStore(storeRoot));
    expect((await reopened.active('churn'))?.version).toBe('1.1.0');

    await reopened.rollback('churn', 'carol');
    expect((await registry.active('churn'))?.version).toBe('1.0.0');
    expect((await registry.describe('churn', '1.0.0')).package.packageDir).toBe(join(storeRoot, 'churn', '1.0.0'));
  });

  it('refuses to register an existing version with different bytes, checked by content hash', async () => {
    await registry.register(packageDir('immutable', '1.0.0', 'original'), 'alice');
    await expect(registry.register(packageDir('immutable', '1.0.0', 'tampered'), 'mallory')).rejects.toThrow(
      ModelVersionConflictError,
    );
    await expect(registry.register(packageDir('immutable', '1.0.0', 'original'), 'alice')).resolves.toMatchObject({
      state: 'candidate',
    });
  });
});
