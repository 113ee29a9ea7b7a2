import { type SamplePlacements, SampledValues } from './reservoir-sample';
import { type BinCounts, type QuantileBins } from './verification-report';

/**
 * Edges at the 1/bins … (bins − 1)/bins quantiles of a sorted sample, so each bin holds about the
 * same share of it. Ties collapse to one edge (a feature that is 0 in 40 % of rows gets one edge
 * at 0, not four), leaving fewer, still meaningful bins.
 */
export function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  if (sorted.length === 0) return edges;
  for (let quantile = 1; quantile < bins; quantile++) {
    const edge = sorted[Math.floor((quantile * sorted.length) / bins)]!;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

/** Edges a value is binned by without a branch on the data: up to 15, padded with +Infinity to 16. */
const PADDED_EDGES = 16;

/**
 * Sorted edges that bin finite values: a value's bin is the number of edges ≤ it, so bin i is
 * [edges[i−1], edges[i]). Up to 15 edges (psiBins' default of 10 gives 9) a bin takes four
 * comparisons and no branch that depends on the data: counting 9 edges one by one cost 3-4x as
 * much, and a binary search's branches mispredict. More edges take a binary search.
 */
export class BinEdges {
  readonly count: number;
  private readonly edges: Float64Array;
  private readonly padded: boolean;

  constructor(edges: ArrayLike<number>) {
    this.padded = edges.length < PADDED_EDGES;
    this.edges = this.padded ? new Float64Array(PADDED_EDGES).fill(Infinity) : new Float64Array(edges.length);
    this.edges.set(edges);
    this.count = edges.length;
  }

  binOf(value: number): number {
    const edges = this.edges;
    if (this.padded) {
      let bin = 8 * +(edges[7]! <= value);
      bin += 4 * +(edges[bin + 3]! <= value);
      bin += 2 * +(edges[bin + 1]! <= value);
      return bin + +(edges[bin]! <= value);
    }
    let low = 0;
    let high = edges.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (edges[middle]! <= value) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The real edges, padding left out. */
  toArray(): number[] {
    return Array.from(this.edges.subarray(0, this.count));
  }
}

interface ReferenceBinning {
  readonly edges: BinEdges;
  /** edges + 1 value bins, then the non-finite bin. */
  readonly counts: Float64Array;
}

/**
 * The PSI histogram of one numeric quantity (an output or a feature). Edges must not come from
 * the run being judged, or every run would look like its own reference: values are counted on the
 * reference run's edges, while a fixed-size sample of this run yields the edges (and estimated
 * counts) the next run will be counted on. Memory is fixed: the sample and one count per bin.
 */
export class QuantileHistogram {
  private readonly sample = new SampledValues();
  private readonly reference: ReferenceBinning | null;
  private finiteCount = 0;
  private nonFiniteCount = 0;

  constructor(referenceEdges: readonly number[] | null) {
    this.reference =
      referenceEdges === null
        ? null
        : { edges: new BinEdges(referenceEdges), counts: new Float64Array(referenceEdges.length + 2) };
  }

  /** The first `count` values of a chunk; the placements say which of them the run's sample keeps. */
  observeColumn(values: ArrayLike<number>, count: number, placements: SamplePlacements): void {
    this.sample.take(values, placements);
    const reference = this.reference;
    let finite = 0;
    if (reference === null) {
      for (let index = 0; index < count; index++) if (Number.isFinite(values[index])) finite++;
    } else {
      const { edges, counts } = reference;
      const nonFiniteBin = counts.length - 1;
      for (let index = 0; index < count; index++) {
        const value = values[index]!;
        if (Number.isFinite(value)) {
          finite++;
          counts[edges.binOf(value)]! += 1;
        } else {
          counts[nonFiniteBin]! += 1;
        }
      }
    }
    this.finiteCount += finite;
    this.nonFiniteCount += count - finite;
  }

  summarize(bins: number): QuantileBins {
    return {
      onReferenceEdges:
        this.reference === null ? null : { edges: this.reference.edges.toArray(), counts: Array.from(this.reference.counts) },
      nextReference: this.nextReference(bins),
    };
  }

  private nextReference(bins: number): BinCounts {
    const sorted = this.sample.sortedFinite();
    const edges = quantileEdges(sorted, bins);
    const binEdges = new BinEdges(edges);
    const sampleCounts = new Array<number>(edges.length + 1).fill(0);
    for (const value of sorted) sampleCounts[binEdges.binOf(value)]! += 1;
    // The sample stands for every finite value seen; scaling it keeps the non-finite bin's true weight.
    // Should no sampled row hold a finite value, the one bin left holds them all.
    const valueCounts = sorted.length === 0 ? [this.finiteCount] : sampleCounts.map((sampled) => (sampled * this.finiteCount) / sorted.length);
    return { edges, counts: [...valueCounts, this.nonFiniteCount] };
  }
}
