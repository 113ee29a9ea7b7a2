import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryModelPackageStore, packageContentHash } from './directory-model-package-store';

function packageDir(version: string, weights: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'package-'));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      manifestVersion: 1,
      name: 'churn',
      version,
      format: 'layers-model',
      features: [{ name: 'x', type: 'numeric' }],
      outputs: [{ name: 'p', min: 0, max: 1 }],
    }),
  );
  mkdirSync(join(dir, 'shards'));
  writeFileSync(join(dir, 'model.json'), '{}');
  writeFileSync(join(dir, 'shards', 'weights.bin'), weights);
  return dir;
}

describe('DirectoryModelPackageStore', () => {
  it('stores a version once under <model>/<version> and reads it back with the same hash', async () => {
    const store = new DirectoryModelPackageStore(mkdtempSync(join(tmpdir(), 'store-')));
    const source = packageDir('1.0.0', 'abc');
    const stored = await store.put(source);
    expect(stored.packageDir).toMatch(/churn\/1\.0\.0$/);
    expect(stored.contentHash).toBe(await packageContentHash(source));
    expect(await store.get('churn', '1.0.0')).toEqual(stored);
    expect(await store.get('churn', '2.0.0')).toBeUndefined();
    await expect(store.put(packageDir('1.0.0', 'abc'))).resolves.toEqual(stored);
  });

  it('never overwrites a stored version with different bytes', async () => {
    const store = new DirectoryModelPackageStore(mkdtempSync(join(tmpdir(), 'store-')));
    await store.put(packageDir('1.0.0', 'abc'));
    await expect(store.put(packageDir('1.0.0', 'abd'))).rejects.toThrow(/already holds different bytes for churn@1.0.0/);
  });

  it('hashes paths as well as bytes', async () => {
    const a = packageDir('1.0.0', 'same');
    const b = packageDir('1.0.0', 'same');
    expect(await packageContentHash(a)).toBe(await packageContentHash(b));
    writeFileSync(join(b, 'extra.txt'), '');
    expect(await packageContentHash(a)).not.toBe(await packageContentHash(b));
  });

  it('names the manifest it cannot read', async () => {
    const store = new DirectoryModelPackageStore(mkdtempSync(join(tmpdir(), 'store-')));
    await expect(store.inspect(mkdtempSync(join(tmpdir(), 'empty-')))).rejects.toThrow(/cannot read .*manifest\.json/);
  });
});
