import type * as tfjs from '@tensorflow/tfjs';

export type Tf = typeof tfjs;

/** pino-compatible: the runtime only ever warns. */
export interface WarningLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface TensorflowBackend {
  readonly tf: Tf;
  /** 'tensorflow' when native TensorFlow scores; 'cpu' on the pure-JS fallback. */
  readonly name: string;
  readonly native: boolean;
  /** Why native TensorFlow is not in use, when it is not. */
  readonly fallbackReason?: string;
}

/** Set to `cpu` to score on pure JS on purpose (benchmarks compare the two). */
export const FORCE_BACKEND_ENV = 'PLATFORM_TFJS_BACKEND';

let loading: Promise<TensorflowBackend> | undefined;

async function loadNative(): Promise<Tf> {
  const tf = (await import('@tensorflow/tfjs-node')) as unknown as Tf;
  await tf.ready();
  if (tf.getBackend() !== 'tensorflow') throw new Error(`tfjs-node loaded but the active backend is ${tf.getBackend()}`);
  return tf;
}

async function loadFallback(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

/**
 * Native TensorFlow (@tensorflow/tfjs-node) when it loads, else pure-JS TensorFlow.js with a loud
 * warning: the fallback scores 10-100x slower, which an operator must notice, but a machine
 * without libtensorflow can still serve. Loaded once per process.
 */
export function loadTensorflowBackend(logger?: WarningLogger): Promise<TensorflowBackend> {
  loading ??= (async () => {
    if (process.env[FORCE_BACKEND_ENV] === 'cpu') {
      return { tf: await loadFallback(), name: 'cpu', native: false, fallbackReason: `${FORCE_BACKEND_ENV}=cpu` };
    }
    try {
      const tf = await loadNative();
      return { tf, name: tf.getBackend(), native: true };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n', 1)[0]! : String(error);
      const tf = await loadFallback();
      const details = { backend: 'cpu', reason };
      const message =
        'NATIVE TENSORFLOW UNAVAILABLE: scoring on pure-JS TensorFlow.js, 10-100x slower. ' +
        'Run `npm start` or `npm test` once to provision libtensorflow (infra/tensorflow).';
      if (logger === undefined) process.emitWarning(`${message} (${reason})`, 'TensorflowFallbackWarning');
      else logger.warn(details, message);
      return { tf, name: 'cpu', native: false, fallbackReason: reason };
    }
  })();
  return loading;
}
