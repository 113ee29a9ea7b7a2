import { parseModelManifest } from './model-manifest';
import {
  ModelRegistry,
  type ModelPackageStore,
  type ModelRegistryRecord,
  type ModelRegistryRecords,
  ModelRegistryStateError,
  ModelVersionConflictError,
  type StoredPackage,
} from './model-registry';

/** Fakes of the two ports: a source directory is named `<name>@<version>#<content>`. */
class InMemoryRecords implements ModelRegistryRecords {
  readonly rows: ModelRegistryRecord[] = [];
  async append(records: readonly ModelRegistryRecord[]): Promise<void> {
    this.rows.push(...records);
  }
  async history(model: string): Promise<ModelRegistryRecord[]> {
    return this.rows.filter((row) => row.model === model).sort((a, b) => a.at - b.at);
  }
  async models(): Promise<string[]> {
    return [...new Set(this.rows.map((row) => row.model))].sort();
  }
}

class InMemoryPackages implements ModelPackageStore {
  readonly stored = new Map<string, StoredPackage>();
  async inspect(sourceDir: string): Promise<StoredPackage> {
    const [, name, version, content] = /^(.+)@(.+)#(.+)$/.exec(sourceDir)!;
    const manifest = parseModelManifest(
      {
        manifestVersion: 1,
        name,
        version,
        format: 'layers-model',
        features: [{ name: 'x', type: 'numeric' }],
        outputs: [{ name: 'p', min: 0, max: 1 }],
      },
      sourceDir,
    );
    return { manifest, contentHash: `hash-${content!}`, packageDir: `/store/${name!}/${version!}` };
  }
  async get(model: string, version: string): Promise<StoredPackage | undefined> {
    return this.stored.get(`${model}@${version}`);
  }
  async put(sourceDir: string): Promise<StoredPackage> {
    const stored = await this.inspect(sourceDir);
    this.stored.set(`${stored.manifest.name}@${stored.manifest.version}`, stored);
    return stored;
  }
}

describe('ModelRegistry', () => {
  let records: InMemoryRecords;
  let registry: ModelRegistry;

  beforeEach(() => {
    records = new InMemoryRecords();
    registry = new ModelRegistry(records, new InMemoryPackages(), () => 1_000);
  });

  it('registers candidates side by side, idempotently for the same bytes', async () => {
    await registry.register('churn@1.0.0#a', 'alice');
    await registry.register('churn@1.0.0#a', 'alice');
    await registry.register('fraud@1.0.0#b', 'alice');
    expect((await registry.list()).map((e) => `${e.model}@${e.version}:${e.state}`)).toEqual([
      'churn@1.0.0:candidate',
      'fraud@1.0.0:candidate',
    ]);
    expect(records.rows).toHaveLength(2);
  });

  it('refuses the same version with different bytes', async () => {
    await registry.register('churn@1.0.0#a', 'alice');
    await expect(registry.register('churn@1.0.0#changed', 'bob')).rejects.toThrow(ModelVersionConflictError);
    await expect(registry.register('churn@1.0.0#changed', 'bob')).rejects.toThrow(/versions are immutable/);
  });

  it('keeps one active version: promote retires the previous one, rollback restores it', async () => {
    await registry.register('churn@1.0.0#a', 'alice');
    await registry.register('churn@2.0.0#b', 'alice');
    await registry.promote('churn', '1.0.0', 'alice');
    await registry.promote('churn', '2.0.0', 'bob');
    const states = async (): Promise<string[]> => (await registry.list('churn')).map((e) => `${e.version}:${e.state}`);
    expect(await states()).toEqual(['1.0.0:retired', '2.0.0:active']);

    await registry.rollback('churn', 'carol');
    expect(await states()).toEqual(['1.0.0:active', '2.0.0:retired']);
    expect((await registry.active('churn'))?.version).toBe('1.0.0');
    expect(records.rows.at(-1)).toMatchObject({ version: '1.0.0', state: 'active', actor: 'carol' });
  });

  it('orders records strictly even when the clock stands still', async () => {
    await registry.register('churn@1.0.0#a', 'alice');
    await registry.promote('churn', '1.0.0', 'alice');
    await registry.retire('churn', '1.0.0', 'alice');
    const times = records.rows.map((row) => row.at);
    expect(new Set(times).size).toBe(times.length);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('explains what cannot be done', async () => {
    await expect(registry.promote('churn', '9.9.9', 'alice')).rejects.toThrow(new ModelRegistryStateError('model churn@9.9.9 is not registered'));
    await expect(registry.rollback('churn', 'alice')).rejects.toThrow(/has no active version/);
    await registry.register('churn@1.0.0#a', 'alice');
    await registry.promote('churn', '1.0.0', 'alice');
    await expect(registry.rollback('churn', 'alice')).rejects.toThrow(/no version that was active before 1.0.0/);
  });

  it('describes a version with its stored package', async () => {
    await registry.register('churn@1.0.0#a', 'alice');
    expect(await registry.describe('churn', '1.0.0')).toMatchObject({
      state: 'candidate',
      contentHash: 'hash-a',
      package: { packageDir: '/store/churn/1.0.0' },
    });
  });
});
