import { InvalidInputError } from '@platform/domain';
import { CATEGORY_MISSING } from '@platform/model-package';
import { CHURN_FEATURES, CHURN_SEGMENT_FEATURE, CONTRACT_TYPES, REGIONS } from './churn-features';
import { CHURN_MISSING_RATES, type ChurnChunk, generateChurnChunk, generateChurnChunks } from './churn-generator';

const ROWS = 50_000;
const data = generateChurnChunk(42, 0, ROWS);

function isMissing(value: number, type: 'numeric' | 'categorical'): boolean {
  return type === 'numeric' ? Number.isNaN(value) : value === CATEGORY_MISSING;
}

/** Rows `start .. start + rows - 1` of a chunk, as a chunk starting there. */
function slice(chunk: ChurnChunk, start: number, rows: number): ChurnChunk {
  const features = Object.fromEntries(Object.entries(chunk.features).map(([name, values]) => [name, values.slice(start, start + rows)]));
  return {
    startIndex: chunk.startIndex + start,
    rowCount: rows,
    entityIds: chunk.entityIds.slice(start, start + rows),
    features: features as unknown as ChurnChunk['features'],
    truth: chunk.truth.slice(start, start + rows),
    labels: chunk.labels.slice(start, start + rows),
  };
}

describe('churn data generator', () => {
  it('has 20+ features, numeric and categorical, with a column of the right type for each', () => {
    expect(CHURN_FEATURES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CHURN_FEATURES.map((f) => f.type))).toEqual(new Set(['numeric', 'categorical']));
    for (const feature of CHURN_FEATURES) {
      const column = data.features[feature.name];
      expect(column).toBeInstanceOf(feature.type === 'numeric' ? Float32Array : Int32Array);
      expect(column).toHaveLength(ROWS);
    }
  });

  it('is deterministic: the same seed gives the same data, another seed other data', () => {
    expect(generateChurnChunk(42, 0, 2_000)).toEqual(slice(data, 0, 2_000));
    expect(generateChurnChunk(43, 0, 2_000).truth).not.toEqual(slice(data, 0, 2_000).truth);
  });

  it('gives each entity the same values whatever the chunking or starting index', () => {
    const chunks = [...generateChurnChunks({ seed: 42, rows: 5_000, startIndex: 1_000, chunkRows: 1_500 })];
    expect(chunks.map((chunk) => [chunk.startIndex, chunk.rowCount])).toEqual([
      [1_000, 1_500],
      [2_500, 1_500],
      [4_000, 1_500],
      [5_500, 500],
    ]);
    for (const chunk of chunks) expect(chunk).toEqual(slice(data, chunk.startIndex, chunk.rowCount));
  });

  it('names entities by their index', () => {
    expect(data.entityIds.slice(0, 2)).toEqual(['cust-0000000000', 'cust-0000000001']);
    expect(new Set(data.entityIds).size).toBe(ROWS);
  });

  it('leaves values missing at the documented rates, and only where documented', () => {
    for (const feature of CHURN_FEATURES) {
      const column: ArrayLike<number> = data.features[feature.name];
      const missing = Array.from(column).filter((value) => isMissing(value, feature.type)).length / ROWS;
      const documented = (CHURN_MISSING_RATES as Record<string, number>)[feature.name] ?? (feature.name === 'allowance_used_pct' ? CHURN_MISSING_RATES.data_usage_gb : 0);
      expect({ feature: feature.name, missing }).toEqual({ feature: feature.name, missing: expect.closeTo(documented, 2) });
    }
  });

  it('keeps categorical codes in range and category frequencies skewed', () => {
    for (const feature of CHURN_FEATURES) {
      if (feature.type !== 'categorical') continue;
      const outOfRange = data.features[feature.name].filter((code) => code !== CATEGORY_MISSING && (code < 0 || code >= feature.categories.length));
      expect({ feature: feature.name, outOfRange: outOfRange.length }).toEqual({ feature: feature.name, outOfRange: 0 });
    }
    const share = (values: Int32Array, code: number): number => values.filter((v) => v === code).length / ROWS;
    const regions = REGIONS.map((_, code) => share(data.features[CHURN_SEGMENT_FEATURE], code));
    expect(regions).toEqual([0.34, 0.26, 0.18, 0.14, 0.08].map((expected) => expect.closeTo(expected, 2)));
    expect(share(data.features.contract_type, CONTRACT_TYPES.indexOf('month_to_month'))).toBeCloseTo(0.55, 2);
  });

  it('draws labels from the true probability: churn rate near 19%, matching the mean truth', () => {
    const churnRate = data.labels.reduce((sum, label) => sum + label, 0) / ROWS;
    const meanTruth = data.truth.reduce((sum, p) => sum + p, 0) / ROWS;
    expect(churnRate).toBeGreaterThan(0.15);
    expect(churnRate).toBeLessThan(0.25);
    expect(churnRate).toBeCloseTo(meanTruth, 2);
  });

  it('rejects ranges outside [0, 2^32) and empty chunks', () => {
    expect(() => generateChurnChunk(1, -1, 10)).toThrow(InvalidInputError);
    expect(() => generateChurnChunk(1, 2 ** 32 - 5, 10)).toThrow(InvalidInputError);
    expect(() => generateChurnChunk(1, 0, 1.5)).toThrow(InvalidInputError);
    expect(() => [...generateChurnChunks({ seed: 1, rows: 10, chunkRows: 0 })]).toThrow(InvalidInputError);
  });
});
