import { parentPort } from 'node:worker_threads';
import { type LoadedModel } from '@platform/model-package';
import { type LoadRequest, type ScoreRequest, serializeError, type WorkerReply, type WorkerRequest } from './scoring-worker-protocol';
import { TfjsModelRuntime } from './tfjs-model-runtime';

/**
 * A scoring worker's thread: starts TensorFlow and says it is ready (a spare thread warms up before
 * any model needs it), loads the one package it is sent, then scores every request.
 */
async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('scoring-worker.ts runs as a worker thread only');
  const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  let model: Promise<LoadedModel> | undefined;

  const load = async (request: LoadRequest): Promise<LoadedModel> => {
    const loaded = await (await TfjsModelRuntime.create({ maxBatchRows: request.maxBatchRows })).loadHere(request.packageDir);
    reply({ kind: 'loaded', manifest: loaded.manifest });
    return loaded;
  };
  const score = async (request: ScoreRequest): Promise<void> => {
    try {
      if (model === undefined) throw new Error('scoring worker asked to score before loading a model');
      const { outputs, rejections } = await (await model).score(request.columns, request.rowCount);
      const spentColumns = Object.values(request.columns).map((column) => column.buffer as ArrayBuffer);
      reply({ kind: 'scored', id: request.id, outputs, rejections, spentColumns }, [outputs.buffer as ArrayBuffer, ...spentColumns]);
    } catch (error) {
      reply({ kind: 'score-failed', id: request.id, error: serializeError(error) });
    }
  };

  port.on('message', (request: WorkerRequest) => {
    if (request.kind === 'score') {
      void score(request);
    } else {
      model = load(request);
      model.catch((error: unknown) => reply({ kind: 'load-failed', error: serializeError(error) }));
    }
  });
  await TfjsModelRuntime.create();
  reply({ kind: 'ready' });
}

void serve();
