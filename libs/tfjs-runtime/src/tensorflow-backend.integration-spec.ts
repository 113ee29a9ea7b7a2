import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTensorflowBackend } from './tensorflow-backend';

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Loads the backend in a fresh process, optionally with native TensorFlow made unloadable. */
async function backendInChildProcess(breakNative: boolean): Promise<{ report: Record<string, unknown>; stderr: string }> {
  const preload = breakNative ? ['-r', join(__dirname, 'testing', 'break-native-tensorflow.cjs')] : [];
  const script = `require('./libs/tfjs-runtime/src').loadTensorflowBackend().then((b) => process.stdout.write(JSON.stringify({ name: b.name, native: b.native, fallbackReason: b.fallbackReason ?? null })))`;
  const { stdout, stderr } = await run(process.execPath, [...preload, '-r', '@swc-node/register', '-e', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.base.json', TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  return { report: JSON.parse(stdout) as Record<string, unknown>, stderr };
}

describe('loadTensorflowBackend', () => {
  it('is native TensorFlow here: the set-up provisions libtensorflow', async () => {
    const backend = await loadTensorflowBackend();
    expect({ name: backend.name, native: backend.native }).toEqual({ name: 'tensorflow', native: true });
  });

  it('falls back to pure-JS TensorFlow.js with a loud warning when native TensorFlow cannot load', async () => {
    const { report, stderr } = await backendInChildProcess(true);
    expect(report).toEqual({ name: 'cpu', native: false, fallbackReason: expect.stringMatching(/libtensorflow/) });
    expect(stderr).toMatch(/NATIVE TENSORFLOW UNAVAILABLE: scoring on pure-JS TensorFlow\.js/);
  });

  it('loads native TensorFlow in a fresh process too', async () => {
    const { report } = await backendInChildProcess(false);
    expect(report).toEqual({ name: 'tensorflow', native: true, fallbackReason: null });
  });
});
