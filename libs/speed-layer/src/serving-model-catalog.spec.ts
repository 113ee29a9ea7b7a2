import { type ServingPointer } from '@platform/domain';
import { type LoadedModel, parseModelManifest } from '@platform/model-package';
import { ServingModelCatalog } from './serving-model-catalog';

function fakeModel(version: string, disposed: string[]): LoadedModel {
  const manifest = parseModelManifest(
    { manifestVersion: 1, name: 'churn', version, format: 'layers-model', features: [{ name: 'x', type: 'numeric' }], outputs: [{ name: 'p', min: 0, max: 1 }] },
    'test',
  );
  return { manifest, packageDir: `/models/churn/${version}`, score: async () => ({ outputs: new Float32Array(), rowCount: 0, rejections: [] }), dispose: () => void disposed.push(version) };
}

const pointer = (runId: string, modelVersion: string, dataCutoff: number): ServingPointer => ({
  model: 'churn',
  runId,
  modelVersion,
  dataCutoff,
  action: 'publish',
  at: 0,
  actor: 'test',
});

describe('ServingModelCatalog', () => {
  it('follows the serving pointer: loads a new version once, reports each move, disposes what it replaced', async () => {
    let current: ServingPointer | undefined;
    const loads: string[] = [];
    const disposed: string[] = [];
    const catalog = new ServingModelCatalog({
      models: async () => ['churn'],
      pointers: { current: async () => current },
      loadModel: async (_model, version) => (loads.push(version), fakeModel(version, disposed)),
    });

    expect(await catalog.refresh()).toEqual([]);
    expect(catalog.servingModels().size).toBe(0);

    current = pointer('run-1', '1.0.0', 100);
    expect(await catalog.refresh()).toEqual([{ model: 'churn', previous: undefined, current: { runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 100, at: 0 } }]);
    expect(await catalog.refresh()).toEqual([]);

    current = pointer('run-2', '1.0.0', 200);
    const sameVersion = await catalog.refresh();
    expect(sameVersion.map((change) => change.current.dataCutoff)).toEqual([200]);
    expect(catalog.servingModels().get('churn')).toMatchObject({ modelVersion: '1.0.0', dataCutoff: 200 });

    current = pointer('run-3', '2.0.0', 300);
    await catalog.refresh();
    expect(catalog.servingModels().get('churn')).toMatchObject({ modelVersion: '2.0.0', dataCutoff: 300 });
    expect(catalog.manifests().get('churn')?.version).toBe('2.0.0');
    expect(loads).toEqual(['1.0.0', '2.0.0']);
    expect(disposed).toEqual(['1.0.0']);

    catalog.dispose();
    expect(disposed).toEqual(['1.0.0', '2.0.0']);
  });
});
