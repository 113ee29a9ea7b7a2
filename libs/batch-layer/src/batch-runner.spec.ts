import { type ModelRegistry, type ModelRuntime } from '@platform/model-package';
import { NoActiveModelVersionError, registryModelLoader } from './batch-runner';

describe('registryModelLoader', () => {
  const runtime = { backend: 'tensorflow', load: jest.fn(async (dir: string) => ({ packageDir: dir })) } as unknown as ModelRuntime;

  it('loads the pinned version, else the active one', async () => {
    const registry = {
      active: jest.fn(async () => ({ version: '2.0.0' })),
      describe: jest.fn(async (model: string, version: string) => ({ package: { packageDir: `/store/${model}/${version}` } })),
    } as unknown as ModelRegistry;
    const load = registryModelLoader(registry, runtime);
    await expect(load('churn', '1.0.0')).resolves.toEqual({ packageDir: '/store/churn/1.0.0' });
    await expect(load('churn', undefined)).resolves.toEqual({ packageDir: '/store/churn/2.0.0' });
  });

  it('says how to fix a model without an active version', async () => {
    const registry = { active: jest.fn(async () => undefined) } as unknown as ModelRegistry;
    await expect(registryModelLoader(registry, runtime)('churn', undefined)).rejects.toThrow(NoActiveModelVersionError);
    await expect(registryModelLoader(registry, runtime)('churn', undefined)).rejects.toThrow(/npm run models -- register/);
  });
});
