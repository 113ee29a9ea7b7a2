import { type CurrentRun, type ServingPointer } from '@platform/domain';
import { type LoadedModel, type ModelManifest } from '@platform/model-package';
import { type ServingModel } from './serving-model';

export interface ServingModelCatalogDependencies {
  /** The deployed models the speed layer accepts events for; read at each refresh, so models registered later join. */
  readonly models: () => Promise<readonly string[]>;
  readonly pointers: { current(model: string): Promise<ServingPointer | undefined> };
  /** Loads a version of a model; the catalog disposes what it no longer serves. */
  readonly loadModel: (model: string, version: string) => Promise<LoadedModel>;
}

/** A model's serving pointer moved (publish or rollback): what the catch-up must re-score after. */
export interface ServingChange {
  readonly model: string;
  readonly previous: CurrentRun | undefined;
  /** The pointer row now followed. */
  readonly current: CurrentRun & Pick<ServingPointer, 'at'>;
}

interface Held {
  readonly run: CurrentRun;
  readonly model: LoadedModel;
}

/**
 * Which model version the speed layer scores each deployment with: the current run's, as the
 * merge rule requires (a speed row of another version is never served). `refresh()` follows the
 * serving pointers; a moved pointer swaps the model for the next micro-batch and is reported, so a
 * catch-up can re-score the events newer than the new cut-off. Call it between micro-batches: the
 * version it replaces is disposed at once. A model without a published run has no entry, so its
 * events are refused as of an unknown model (dead-lettered, replayable once a run is published).
 */
export class ServingModelCatalog {
  private held = new Map<string, Held>();

  constructor(private readonly deps: ServingModelCatalogDependencies) {}

  async refresh(): Promise<ServingChange[]> {
    const changes: ServingChange[] = [];
    const next = new Map(this.held);
    const retired: LoadedModel[] = [];
    for (const model of await this.deps.models()) {
      const pointer = await this.deps.pointers.current(model);
      const before = this.held.get(model);
      if (pointer === undefined || (before !== undefined && before.run.runId === pointer.runId)) continue;
      const run: CurrentRun = { runId: pointer.runId, modelVersion: pointer.modelVersion, dataCutoff: pointer.dataCutoff };
      const loaded = before?.run.modelVersion === run.modelVersion ? before.model : await this.deps.loadModel(model, run.modelVersion);
      if (before !== undefined && loaded !== before.model) retired.push(before.model);
      next.set(model, { run, model: loaded });
      changes.push({ model, previous: before?.run, current: { ...run, at: pointer.at } });
    }
    this.held = next;
    for (const model of retired) model.dispose();
    return changes;
  }

  servingModels(): ReadonlyMap<string, ServingModel> {
    return new Map([...this.held].map(([name, { run, model }]) => [name, { modelVersion: run.modelVersion, dataCutoff: run.dataCutoff, model }]));
  }

  manifests(): ReadonlyMap<string, ModelManifest> {
    return new Map([...this.held].map(([name, { model }]) => [name, model.manifest]));
  }

  dispose(): void {
    for (const { model } of this.held.values()) model.dispose();
    this.held = new Map();
  }
}
