import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFileError, modelArtifactsWriter, readModelArtifacts } from './model-files';

function packageDir(): string {
  return mkdtempSync(join(tmpdir(), 'model-files-'));
}

describe('model files', () => {
  it('reads back what the writer wrote, weights byte for byte', async () => {
    const dir = packageDir();
    const weights = Float32Array.of(0.5, -0, NaN, 3);
    await modelArtifactsWriter(dir).save({
      modelTopology: { class_name: 'Sequential' },
      weightSpecs: [{ name: 'w', shape: [4], dtype: 'float32' }],
      weightData: weights.buffer,
      format: 'layers-model',
      generatedBy: 'test',
    });
    const artifacts = await readModelArtifacts(join(dir, 'model.json'));
    expect(artifacts.modelTopology).toEqual({ class_name: 'Sequential' });
    expect(artifacts.weightSpecs).toEqual([{ name: 'w', shape: [4], dtype: 'float32' }]);
    expect(Buffer.from(artifacts.weightData as ArrayBuffer).equals(Buffer.from(weights.buffer))).toBe(true);
  });

  it('names the file when model.json is missing or not a TF.js model', async () => {
    const dir = packageDir();
    await expect(readModelArtifacts(join(dir, 'model.json'))).rejects.toThrow(/cannot read model file .*model\.json/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ hello: 'world' }));
    await expect(readModelArtifacts(join(dir, 'model.json'))).rejects.toThrow(ModelFileError);
    await expect(readModelArtifacts(join(dir, 'model.json'))).rejects.toThrow(/not a TF\.js model\.json/);
  });

  it('refuses weight shards outside the package directory', async () => {
    const dir = packageDir();
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }),
    );
    await expect(readModelArtifacts(join(dir, 'model.json'))).rejects.toThrow(/points outside the package/);
  });

  it('names a missing weight shard', async () => {
    const dir = packageDir();
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }));
    await expect(readModelArtifacts(join(dir, 'model.json'))).rejects.toThrow(/cannot read weight shard .*w\.bin/);
  });
});
