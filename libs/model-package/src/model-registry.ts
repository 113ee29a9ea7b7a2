import { type EpochMs, InvalidInputError, PlatformError } from '@platform/domain';
import { type ModelManifest } from './model-manifest';

/** candidate → active → retired; a retired version can be made active again (promote or rollback). */
export type ModelVersionState = 'candidate' | 'active' | 'retired';

/** One state change of a model version; a version's state is its latest record. */
export interface ModelRegistryRecord {
  readonly model: string;
  readonly version: string;
  readonly state: ModelVersionState;
  /** SHA-256 of the package's files: a version's bytes never change. */
  readonly contentHash: string;
  readonly at: EpochMs;
  readonly actor: string;
}

/** Where registry records are kept (ClickHouse in production). */
export interface ModelRegistryRecords {
  append(records: readonly ModelRegistryRecord[]): Promise<void>;
  /** Every record of a model, oldest first. */
  history(model: string): Promise<ModelRegistryRecord[]>;
  /** Names of every model with at least one record. */
  models(): Promise<string[]>;
}

export interface StoredPackage {
  readonly manifest: ModelManifest;
  readonly contentHash: string;
  /** Directory the runtime loads the version from. */
  readonly packageDir: string;
}

/** Where package files are kept (a directory now; an object store can be another adapter). */
export interface ModelPackageStore {
  /** Reads and validates a package directory without storing it. */
  inspect(sourceDir: string): Promise<StoredPackage>;
  /** The stored version, if any. */
  get(model: string, version: string): Promise<StoredPackage | undefined>;
  /** Stores a package under its manifest's name and version; never overwrites a stored version. */
  put(sourceDir: string): Promise<StoredPackage>;
}

export class ModelVersionConflictError extends InvalidInputError {
  override readonly code = 'MODEL_VERSION_CONFLICT';
}

export class ModelRegistryStateError extends PlatformError {
  readonly code = 'MODEL_REGISTRY_STATE';
  readonly retriable = false;
}

export interface ModelVersionEntry {
  readonly model: string;
  readonly version: string;
  readonly state: ModelVersionState;
  readonly contentHash: string;
  readonly registeredAt: EpochMs;
  readonly updatedAt: EpochMs;
}

/** Latest state per version, in registration order. */
function entriesOf(history: readonly ModelRegistryRecord[]): ModelVersionEntry[] {
  const entries = new Map<string, ModelVersionEntry>();
  for (const record of history) {
    const previous = entries.get(record.version);
    entries.set(record.version, {
      model: record.model,
      version: record.version,
      state: record.state,
      contentHash: record.contentHash,
      registeredAt: previous?.registeredAt ?? record.at,
      updatedAt: record.at,
    });
  }
  return [...entries.values()];
}

/**
 * Model versions side by side, immutable, with one active version per model. Use cases over two
 * ports: records (states, in ClickHouse) and package files (a directory).
 */
export class ModelRegistry {
  constructor(
    private readonly records: ModelRegistryRecords,
    private readonly packages: ModelPackageStore,
    private readonly clock: () => EpochMs = Date.now,
  ) {}

  /**
   * Registers a package as a candidate. Registering the same bytes again is a no-op; the same
   * name and version with different bytes is refused: versions are immutable.
   */
  async register(sourceDir: string, actor: string): Promise<ModelVersionEntry> {
    const incoming = await this.packages.inspect(sourceDir);
    const { name, version } = incoming.manifest;
    const history = await this.records.history(name);
    const known = entriesOf(history).find((entry) => entry.version === version);
    const stored = await this.packages.get(name, version);
    const existingHash = known?.contentHash ?? stored?.contentHash;
    if (existingHash !== undefined && existingHash !== incoming.contentHash) {
      throw new ModelVersionConflictError(
        `model ${name}@${version} is already registered with content ${existingHash.slice(0, 12)}…, ` +
          `and ${sourceDir} has ${incoming.contentHash.slice(0, 12)}…: versions are immutable, register a new version`,
      );
    }
    if (stored === undefined) await this.packages.put(sourceDir);
    if (known !== undefined) return known;
    const record: ModelRegistryRecord = {
      model: name,
      version,
      state: 'candidate',
      contentHash: incoming.contentHash,
      at: this.nextTime(history),
      actor,
    };
    await this.records.append([record]);
    return entriesOf([...history, record]).find((entry) => entry.version === version)!;
  }

  /** Makes a registered version the active one; the previously active version is retired. */
  async promote(model: string, version: string, actor: string): Promise<ModelVersionEntry> {
    const history = await this.records.history(model);
    const entries = entriesOf(history);
    const target = entries.find((entry) => entry.version === version);
    if (target === undefined) {
      throw new ModelRegistryStateError(`model ${model}@${version} is not registered`);
    }
    if (target.state === 'active') return target;
    return this.activate(history, target, actor);
  }

  /** Makes the version that was active before the current one active again. */
  async rollback(model: string, actor: string): Promise<ModelVersionEntry> {
    const history = await this.records.history(model);
    const entries = entriesOf(history);
    const current = entries.find((entry) => entry.state === 'active');
    if (current === undefined) throw new ModelRegistryStateError(`model ${model} has no active version to roll back`);
    const previous = [...history]
      .reverse()
      .find((record) => record.state === 'active' && record.version !== current.version);
    if (previous === undefined) {
      throw new ModelRegistryStateError(`model ${model} has no version that was active before ${current.version}`);
    }
    return this.activate(history, entries.find((entry) => entry.version === previous.version)!, actor);
  }

  async retire(model: string, version: string, actor: string): Promise<ModelVersionEntry> {
    const history = await this.records.history(model);
    const target = entriesOf(history).find((entry) => entry.version === version);
    if (target === undefined) throw new ModelRegistryStateError(`model ${model}@${version} is not registered`);
    if (target.state === 'retired') return target;
    const record = { ...this.recordOf(target, 'retired', actor), at: this.nextTime(history) };
    await this.records.append([record]);
    return { ...target, state: 'retired', updatedAt: record.at };
  }

  async list(model?: string): Promise<ModelVersionEntry[]> {
    const models = model === undefined ? await this.records.models() : [model];
    const lists = await Promise.all(models.map(async (name) => entriesOf(await this.records.history(name))));
    return lists.flat();
  }

  async active(model: string): Promise<ModelVersionEntry | undefined> {
    return entriesOf(await this.records.history(model)).find((entry) => entry.state === 'active');
  }

  /** A version's state with its manifest and where its files are. */
  async describe(model: string, version: string): Promise<ModelVersionEntry & { readonly package: StoredPackage }> {
    const entry = entriesOf(await this.records.history(model)).find((e) => e.version === version);
    const stored = await this.packages.get(model, version);
    if (entry === undefined || stored === undefined) {
      throw new ModelRegistryStateError(`model ${model}@${version} is not registered`);
    }
    return { ...entry, package: stored };
  }

  private async activate(
    history: readonly ModelRegistryRecord[],
    target: ModelVersionEntry,
    actor: string,
  ): Promise<ModelVersionEntry> {
    const at = this.nextTime(history);
    const current = entriesOf(history).find((entry) => entry.state === 'active');
    const records = [
      ...(current === undefined ? [] : [{ ...this.recordOf(current, 'retired', actor), at }]),
      // Ordered after the retirement: history then reads as retire-then-activate.
      { ...this.recordOf(target, 'active', actor), at: at + 1 },
    ];
    await this.records.append(records);
    return { ...target, state: 'active', updatedAt: at + 1 };
  }

  private recordOf(entry: ModelVersionEntry, state: ModelVersionState, actor: string): Omit<ModelRegistryRecord, 'at'> {
    return { model: entry.model, version: entry.version, state, contentHash: entry.contentHash, actor };
  }

  /** Strictly after every record of the model, so the latest record is unambiguous. */
  private nextTime(history: readonly ModelRegistryRecord[]): EpochMs {
    const last = history.reduce((latest, record) => Math.max(latest, record.at), 0);
    return Math.max(this.clock(), last + 2);
  }
}
