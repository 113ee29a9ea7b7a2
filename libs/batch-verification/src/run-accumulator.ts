import { type FeatureColumns, type ModelFeature, type ModelManifest } from '@platform/model-package';
import { createFeatureAccumulator, type FeatureAccumulator } from './feature-accumulator';
import { OutputAccumulator } from './output-accumulator';
import { ReservoirRows } from './reservoir-sample';
import { DEFAULT_MAX_SEGMENTS, SegmentAccumulator, type SegmentColumn, segmentColumnLength } from './segment-accumulator';
import { VerificationInputError } from './verification-errors';
import {
  type FeatureDistribution,
  type OutputSummary,
  type SegmentsSummary,
  type VerificationReport,
} from './verification-report';

export interface RunAccumulatorOptions {
  /** The previous published run's report, whose edges this run is binned on; null for a first run. */
  readonly reference: VerificationReport | null;
  /** The deployment's segment columns: `OutputChunk.segments` must carry each of them. */
  readonly segmentColumns?: readonly string[];
  /** Seeds the samples that yield the next run's edges: same rows, same seed, same edges. */
  readonly seed?: number;
  readonly maxSegments?: number;
}

/** Rows as read from the source, before anything is rejected. */
export interface FeatureChunk {
  readonly rowCount: number;
  /** At least the manifest's `psiFeatures`: floats (NaN = missing) or Int32 category codes. */
  readonly features: FeatureColumns;
}

/** Exactly the rows written to the run's partition (rejected rows left out). */
export interface OutputChunk {
  readonly rowCount: number;
  /** rowCount × outputs, row-major, as the model runtime returns them. */
  readonly outputs: Float32Array;
  /** The deployment's segment columns by name (others are ignored), rowCount values each. */
  readonly segments: Readonly<Record<string, SegmentColumn>>;
}

/** What a run observed: the input of `buildVerificationReport`. Plain data, JSON-serializable. */
export interface RunObservations {
  readonly referenceRunId: string | null;
  readonly rows: { readonly read: number; readonly scored: number; readonly rejected: number };
  readonly rejectsByReason: Readonly<Record<string, number>>;
  readonly outputs: OutputSummary[];
  readonly features: FeatureDistribution[];
  readonly segments: SegmentsSummary;
}

const DEFAULT_SEED = 0x5eed;

/**
 * Gathers everything verification needs while a run streams its chunks, in memory that does not
 * grow with the row count. Read, scored and rejected rows are counted at three separate calls, so
 * the row-parity gate catches rows lost or duplicated between reading and writing.
 */
export class RunAccumulator {
  private rowsRead = 0;
  private rowsScored = 0;
  private rowsRejected = 0;
  private readonly rejectsByReason = new Map<string, number>();
  private readonly outputs: OutputAccumulator[];
  private readonly features: { readonly name: string; readonly accumulator: FeatureAccumulator }[];
  private readonly segments: SegmentAccumulator;
  /** One sample of rows per stream: the features' (rows read) and the outputs' (rows scored). */
  private readonly sourceSample: ReservoirRows;
  private readonly scoredSample: ReservoirRows;
  /** One output's values of a chunk, when outputs are interleaved. */
  private outputColumn = new Float32Array(0);

  constructor(
    private readonly manifest: ModelManifest,
    private readonly options: RunAccumulatorOptions,
  ) {
    const seed = options.seed ?? DEFAULT_SEED;
    this.sourceSample = new ReservoirRows(seed);
    this.scoredSample = new ReservoirRows(seed);
    const reference = options.reference;
    this.outputs = manifest.outputs.map((output) => new OutputAccumulator(output, referenceOutputEdges(reference, output.name)));
    this.features = manifest.verification.psiFeatures.map((name) => {
      const feature = featureOf(manifest, name);
      return { name, accumulator: createFeatureAccumulator(feature, referenceFeatureEdges(reference, name)) };
    });
    const outputNames = manifest.outputs.map((output) => output.name);
    const maxSegments = options.maxSegments ?? DEFAULT_MAX_SEGMENTS;
    this.segments = new SegmentAccumulator(options.segmentColumns ?? [], outputNames, maxSegments);
  }

  observeSource(chunk: FeatureChunk): void {
    const columns = this.features.map(({ name }) => {
      const column = chunk.features[name];
      if (column === undefined) {
        throw new VerificationInputError(`source chunk of model ${this.manifest.name} lacks key feature ${name}`);
      }
      assertLength(`feature column ${name}`, column.length, chunk.rowCount);
      return column;
    });
    const placements = this.sourceSample.place(chunk.rowCount);
    this.features.forEach(({ accumulator }, index) => accumulator.observeColumn(columns[index]!, chunk.rowCount, placements));
    this.rowsRead += chunk.rowCount;
  }

  observeScored(chunk: OutputChunk): void {
    assertLength('outputs matrix', chunk.outputs.length, chunk.rowCount * this.outputs.length);
    const segments = this.segmentColumnsOf(chunk);
    const placements = this.scoredSample.place(chunk.rowCount);
    this.outputs.forEach((output, index) => output.observeColumn(this.outputValues(chunk, index), chunk.rowCount, placements));
    this.segments.observe(segments, chunk.outputs, chunk.rowCount);
    this.rowsScored += chunk.rowCount;
  }

  /** Rows not scored, each with its reason ('missing', 'id-too-long', …); the preprocessor's rejections fit. */
  observeRejects(rejects: readonly { readonly reason: string }[]): void {
    for (const { reason } of rejects) this.rejectsByReason.set(reason, (this.rejectsByReason.get(reason) ?? 0) + 1);
    this.rowsRejected += rejects.length;
  }

  /** A snapshot; the accumulator may keep observing afterwards. */
  observations(): RunObservations {
    const psiBins = this.manifest.verification.psiBins;
    return {
      referenceRunId: this.options.reference?.runId ?? null,
      rows: { read: this.rowsRead, scored: this.rowsScored, rejected: this.rowsRejected },
      rejectsByReason: Object.fromEntries([...this.rejectsByReason.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
      outputs: this.outputs.map((output) => output.summarize(psiBins)),
      features: this.features.map(({ accumulator }) => accumulator.summarize(psiBins)),
      segments: this.segments.summarize(),
    };
  }

  /** Output `index` of each row: the outputs themselves for a single-output model. */
  private outputValues(chunk: OutputChunk, index: number): Float32Array {
    const width = this.outputs.length;
    if (width === 1) return chunk.outputs;
    if (this.outputColumn.length < chunk.rowCount) this.outputColumn = new Float32Array(chunk.rowCount);
    for (let row = 0; row < chunk.rowCount; row++) this.outputColumn[row] = chunk.outputs[row * width + index]!;
    return this.outputColumn;
  }

  private segmentColumnsOf(chunk: OutputChunk): SegmentColumn[] {
    return (this.options.segmentColumns ?? []).map((name) => {
      const column = chunk.segments[name];
      if (column === undefined) throw new VerificationInputError(`scored chunk lacks segment column ${name}`);
      assertLength(`segment column ${name}`, segmentColumnLength(column), chunk.rowCount);
      return column;
    });
  }
}

function assertLength(what: string, length: number, needed: number): void {
  if (length < needed) throw new VerificationInputError(`${what} has ${length} values, the chunk needs ${needed}`);
}

function featureOf(manifest: ModelManifest, name: string): ModelFeature {
  const feature = manifest.features.find((candidate) => candidate.name === name);
  if (feature === undefined) throw new VerificationInputError(`model ${manifest.name} has no feature ${name} to watch for drift`);
  return feature;
}

function referenceOutputEdges(reference: VerificationReport | null, name: string): readonly number[] | null {
  return reference?.outputs.find((output) => output.name === name)?.psiBins.nextReference.edges ?? null;
}

/** Categorical features need no edges; a numeric feature needs the reference to have it as numeric too. */
function referenceFeatureEdges(reference: VerificationReport | null, name: string): readonly number[] | null {
  const feature = reference?.features.find((candidate) => candidate.name === name);
  return feature?.kind === 'numeric' ? feature.psiBins.nextReference.edges : null;
}
