import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type FeatureColumn, type FeatureColumns, type LoadedModel, type ModelManifest, type ScoreResult } from '@platform/model-package';
import { deserializeError, type WorkerReply, type WorkerRequest } from './scoring-worker-protocol';

const WORKER_ENTRY = join(__dirname, `scoring-worker${extname(__filename)}`);
const TSCONFIG = join(__dirname, '..', '..', '..', 'tsconfig.base.json');

function startWorker(): Worker {
  if (extname(__filename) !== '.ts') return new Worker(WORKER_ENTRY);
  // Running from TypeScript source (scripts/run-ts.sh, jest): the worker compiles it as the main thread does.
  const bootstrap = `process.env.TS_NODE_PROJECT ??= ${JSON.stringify(TSCONFIG)}; require('@swc-node/register'); require(${JSON.stringify(WORKER_ENTRY)});`;
  return new Worker(bootstrap, { eval: true });
}

/** The next reply of a worker, or why none will come. */
function nextReply(worker: Worker, what: string): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => settle(() => reject(new Error(`scoring worker failed ${what}: ${error.message}`, { cause: error })));
    const onExit = (code: number): void => settle(() => reject(new Error(`scoring worker exited (code ${code}) ${what}`)));
    const onMessage = (reply: WorkerReply): void => settle(() => resolve(reply));
    const settle = (done: () => void): void => {
      worker.off('error', onError).off('exit', onExit).off('message', onMessage);
      done();
    };
    worker.on('error', onError).on('exit', onExit).on('message', onMessage);
  });
}

/**
 * A worker thread with TensorFlow started and no model yet. Starting one takes about half a
 * second of CPU (a V8 isolate, TensorFlow, the code), so the runtime keeps one spare, warmed up
 * between runs rather than during one. A spare does not keep the process alive.
 */
export class ScoringThread {
  private constructor(
    private readonly worker: Worker,
    private readonly ready: Promise<void>,
  ) {}

  static start(): ScoringThread {
    const worker = startWorker();
    worker.unref();
    const ready = nextReply(worker, 'while starting').then((reply) => {
      if (reply.kind !== 'ready') throw new Error(`scoring worker sent ${reply.kind} before it was ready`);
    });
    // A spare nobody takes must not fail the process; a taker sees the error.
    ready.catch(() => undefined);
    return new ScoringThread(worker, ready);
  }

  /** Resolves once TensorFlow is up on the thread; rejects if the thread could not start. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Loads the package on this thread, which from then on scores it only; `onDisposed` runs when the model is. */
  async load(packageDir: string, maxBatchRows: number, onDisposed: () => void): Promise<WorkerLoadedModel> {
    await this.ready;
    this.worker.ref();
    const request: WorkerRequest = { kind: 'load', packageDir, maxBatchRows };
    this.worker.postMessage(request);
    try {
      const reply = await nextReply(this.worker, `loading ${packageDir}`);
      if (reply.kind === 'load-failed') throw deserializeError(reply.error);
      if (reply.kind !== 'loaded') throw new Error(`scoring worker sent ${reply.kind} while loading ${packageDir}`);
      return new WorkerLoadedModel(reply.manifest, packageDir, this.worker, onDisposed);
    } catch (error) {
      void this.worker.terminate();
      throw error;
    }
  }

}

/** Copies a column's first rowCount values into `buffer` when it is large enough, else into a new one. */
function compactCopy(values: FeatureColumn, rowCount: number, buffer: ArrayBuffer | undefined): FeatureColumn {
  const target = buffer !== undefined && buffer.byteLength >= rowCount * values.BYTES_PER_ELEMENT ? buffer : new ArrayBuffer(rowCount * values.BYTES_PER_ELEMENT);
  if (values instanceof Int32Array) return copyInto(new Int32Array(target, 0, rowCount), values);
  if (values instanceof Float32Array) return copyInto(new Float32Array(target, 0, rowCount), values);
  return copyInto(new Float64Array(target, 0, rowCount), values);
}

function copyInto<T extends FeatureColumn>(copy: T, values: T): T {
  copy.set(values.subarray(0, copy.length) as never);
  return copy;
}

/** Buffers kept per column: one per chunk in flight is enough. */
const SPENT_BUFFERS_KEPT = 4;

interface PendingScore {
  readonly rowCount: number;
  resolve(result: ScoreResult): void;
  reject(error: Error): void;
}

/**
 * A model loaded on a scoring thread of its own (see TfjsModelRuntimeOptions.scoringThread). If
 * the thread dies, every waiting score and every later one fails with the reason.
 */
export class WorkerLoadedModel implements LoadedModel {
  private readonly pending = new Map<number, PendingScore>();
  /** Column buffers the worker handed back, by position in the request: reused for later copies (less GC). */
  private readonly spentBuffers: ArrayBuffer[][] = [];
  private nextId = 0;
  private failure: Error | null = null;

  constructor(
    readonly manifest: ModelManifest,
    readonly packageDir: string,
    private readonly worker: Worker,
    private readonly onDisposed: () => void,
  ) {
    const model = `${manifest.name}@${manifest.version}`;
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(new Error(`scoring worker of model ${model} failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.fail(new Error(`scoring worker of model ${model} exited (code ${code})`)));
  }

  score(columns: FeatureColumns, rowCount: number): Promise<ScoreResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    // Columns are often views into a larger read buffer, and a message would carry the whole
    // buffer: each goes as a compact copy whose buffer is handed over, not cloned again.
    const copies: Record<string, FeatureColumn> = {};
    const transfer: ArrayBuffer[] = [];
    Object.entries(columns).forEach(([name, values], index) => {
      const copy = compactCopy(values, rowCount, this.spentBuffers[index]?.pop());
      copies[name] = copy;
      transfer.push(copy.buffer as ArrayBuffer);
    });
    const id = this.nextId++;
    return new Promise<ScoreResult>((resolve, reject) => {
      this.pending.set(id, { rowCount, resolve, reject });
      const request: WorkerRequest = { kind: 'score', id, columns: copies, rowCount };
      this.worker.postMessage(request, transfer);
    });
  }

  dispose(): void {
    this.fail(new Error(`model ${this.manifest.name}@${this.manifest.version} was disposed`));
    void this.worker.terminate();
    this.onDisposed();
  }

  private settle(reply: WorkerReply): void {
    if (reply.kind !== 'scored' && reply.kind !== 'score-failed') return;
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    this.pending.delete(reply.id);
    if (reply.kind === 'scored') {
      reply.spentColumns.forEach((buffer, index) => {
        const kept = (this.spentBuffers[index] ??= []);
        if (kept.length < SPENT_BUFFERS_KEPT) kept.push(buffer);
      });
      waiting.resolve({ outputs: reply.outputs, rowCount: waiting.rowCount, rejections: reply.rejections });
    }
    else waiting.reject(deserializeError(reply.error));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }
}
