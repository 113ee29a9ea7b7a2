import { type StringColumn, StringColumnBuilder } from '@platform/columnar';
import { CATEGORY_MISSING, CATEGORY_UNKNOWN } from '@platform/model-package';
import { RunAccumulator } from './run-accumulator';
import { simulateRun, testManifest } from './testing/simulated-run';
import { VerificationInputError } from './verification-errors';
import { type VerificationReport } from './verification-report';

function stringColumn(values: readonly string[]): StringColumn {
  const encoded = values.map((value) => new TextEncoder().encode(value));
  const offsets = new Int32Array(values.length + 1);
  encoded.forEach((bytes, index) => (offsets[index + 1] = offsets[index]! + bytes.length));
  const bytes = new Uint8Array(offsets[values.length]!);
  encoded.forEach((value, index) => bytes.set(value, offsets[index]!));
  return { kind: 'string', offsets, bytes };
}

/** The report with every number and message blanked: what remains is its structure (array lengths, keys). */
function shapeOf(report: VerificationReport): string {
  return JSON.stringify(report, (key, value: unknown) => (typeof value === 'number' ? 0 : key === 'message' ? '' : value));
}

describe('RunAccumulator', () => {
  const manifest = testManifest();

  it('gives the same observations whatever the chunking', () => {
    const reference = simulateRun({ runId: 'r1', seed: 1, rows: 20_000 });
    for (const withReference of [null, reference]) {
      const reports = [20_000, 65_536, 7_001, 1_000].map((chunkRows) =>
        simulateRun({ runId: 'r2', seed: 2, rows: 20_000, chunkRows, reference: withReference }),
      );
      for (const report of reports.slice(1)) expect(report).toEqual(reports[0]);
    }
  });

  it('keeps a structure that does not grow with the row count', () => {
    const reference = simulateRun({ runId: 'r1', seed: 1, rows: 20_000 });
    const small = simulateRun({ runId: 'r2', seed: 2, rows: 20_000, reference });
    const large = simulateRun({ runId: 'r2', seed: 3, rows: 200_000, reference });
    expect(shapeOf(large)).toEqual(shapeOf(small));
    expect(large.rows.scored).toBe(200_000);
  });

  it('counts categorical codes per category, unknown (also out-of-range codes) and missing', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null });
    const plan = Int32Array.of(0, 0, 1, 2, CATEGORY_UNKNOWN, 7, CATEGORY_MISSING);
    accumulator.observeSource({ rowCount: plan.length, features: { tenure: new Float64Array(plan.length), plan } });
    expect(accumulator.observations().features[1]).toEqual({
      kind: 'categorical',
      name: 'plan',
      labels: ['basic', 'pro', 'max', '(unknown)', '(missing)'],
      counts: [2, 1, 1, 2, 1],
    });
  });

  it('summarizes each output: NaN, ±Inf, out of range, min/max/mean over finite values, display histogram', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null });
    const outputs = Float32Array.of(0, 0.5, 1, 1.5, -0.5, NaN, Infinity, -Infinity);
    accumulator.observeScored({ rowCount: outputs.length, outputs, segments: {} });
    const [summary] = accumulator.observations().outputs;
    expect(summary).toMatchObject({
      count: 8,
      nanCount: 1,
      infiniteCount: 2,
      outOfRangeCount: 2,
      observedMin: -0.5,
      observedMax: 1.5,
      mean: 0.5,
    });
    expect(summary!.histogram.counts).toHaveLength(20);
    expect(summary!.histogram.counts.reduce((sum, count) => sum + count, 0)).toBe(3);
  });

  it('aggregates count and mean score per segment tuple of codes, strings and text bytes', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null, segmentColumns: ['plan', 'region', 'city'] });
    accumulator.observeScored({
      rowCount: 5,
      outputs: Float32Array.of(0.25, 0.75, NaN, 0.5, 1),
      segments: {
        plan: Int32Array.of(0, 0, 0, 1, 0),
        // Values that look like the key's separators must not merge tuples.
        region: ['a|1', 'a|1', 'a|1', 'b', '1:a|1'],
        city: stringColumn(['Orléans', 'Orléans', 'Orléans', 'Lyon', 'Orléans']),
        ignored: ['x', 'x', 'x', 'x', 'x'],
      },
    });
    expect(accumulator.observations().segments).toEqual({
      columns: ['plan', 'region', 'city'],
      groups: [
        { values: [0, '1:a|1', 'Orléans'], count: 1, outputMeans: { churn_probability: 1 } },
        { values: [0, 'a|1', 'Orléans'], count: 3, outputMeans: { churn_probability: 0.5 } },
        { values: [1, 'b', 'Lyon'], count: 1, outputMeans: { churn_probability: 0.5 } },
      ],
      overflow: null,
    });
  });

  it('keeps segments apart whose keys share a hash, as text bytes and as strings', () => {
    // 'k4uzx' and 'kf2ad' have the same 32-bit FNV-1a hash, the accumulator's first lookup.
    const accumulator = new RunAccumulator(manifest, { reference: null, segmentColumns: ['city', 'region'] });
    const values = ['k4uzx', 'kf2ad', 'k4uzx'];
    accumulator.observeScored({ rowCount: 3, outputs: Float32Array.of(0.2, 0.4, 0.6), segments: { city: stringColumn(values), region: values } });
    expect(accumulator.observations().segments.groups).toEqual([
      { values: ['k4uzx', 'k4uzx'], count: 2, outputMeans: { churn_probability: expect.closeTo(0.4, 6) as number } },
      { values: ['kf2ad', 'kf2ad'], count: 1, outputMeans: { churn_probability: expect.closeTo(0.4, 6) as number } },
    ]);
  });

  it('summarizes each output of a model with several, from row-major outputs', () => {
    const twoOutputs = { ...manifest, outputs: [...manifest.outputs, { name: 'lifetime_value', min: 0, max: 100 }] };
    const accumulator = new RunAccumulator(twoOutputs, { reference: null });
    accumulator.observeScored({ rowCount: 3, outputs: Float32Array.of(0.25, 10, 0.5, 20, 0.75, 30), segments: {} });
    const [probability, value] = accumulator.observations().outputs;
    expect(probability).toMatchObject({ name: 'churn_probability', count: 3, mean: 0.5, observedMin: 0.25, observedMax: 0.75 });
    expect(value).toMatchObject({ name: 'lifetime_value', count: 3, mean: 20, observedMin: 10, observedMax: 30 });
  });

  it('keys a text segment by a copy of its bytes: a chunk buffer reused afterwards changes nothing', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null, segmentColumns: ['city'] });
    const chunk = (): StringColumn => {
      const builder = new StringColumnBuilder(2);
      builder.add('oslo');
      builder.add('oslo');
      return builder.build(); // bytes: a Buffer, whose slice() is a view
    };
    const first = chunk();
    accumulator.observeScored({ rowCount: 2, outputs: Float32Array.of(0.5, 0.5), segments: { city: first } });
    first.bytes.fill(0x78); // the reader reuses the buffer: 'xxxxxxxx'
    accumulator.observeScored({ rowCount: 2, outputs: Float32Array.of(0.5, 0.5), segments: { city: chunk() } });
    expect(accumulator.observations().segments.groups).toEqual([{ values: ['oslo'], count: 4, outputMeans: { churn_probability: 0.5 } }]);
  });

  it('pools segments past the cap into one overflow aggregate', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null, segmentColumns: ['zip'], maxSegments: 2 });
    const zip = Int32Array.from({ length: 10 }, (_, index) => index % 5);
    accumulator.observeScored({ rowCount: 10, outputs: new Float32Array(10).fill(0.5), segments: { zip } });
    const { groups, overflow } = accumulator.observations().segments;
    expect(groups.map((group) => group.values)).toEqual([[0], [1]]);
    expect(overflow).toEqual({ count: 6, outputMeans: { churn_probability: 0.5 } });
  });

  it('counts every one of many segments exactly, across chunks, as the lookup table grows', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null, segmentColumns: ['city'] });
    const cities = Array.from({ length: 3000 }, (_, index) => `city-${(index * 7) % 1000}`);
    for (let chunk = 0; chunk < 3; chunk++) {
      const rows = cities.slice(chunk * 1000, (chunk + 1) * 1000);
      accumulator.observeScored({ rowCount: rows.length, outputs: new Float32Array(rows.length).fill(0.5), segments: { city: stringColumn(rows) } });
    }
    const { groups, overflow } = accumulator.observations().segments;
    expect(overflow).toBeNull();
    expect(groups).toHaveLength(1000);
    expect(groups.every((group) => group.count === 3)).toBe(true);
  });

  it('counts rows read, scored and rejected separately, rejects by reason', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null });
    accumulator.observeSource({ rowCount: 4, features: { tenure: new Float32Array(4), plan: new Int32Array(4) } });
    accumulator.observeScored({ rowCount: 1, outputs: Float32Array.of(0.5), segments: {} });
    accumulator.observeRejects([{ reason: 'missing' }, { reason: 'id-too-long' }, { reason: 'missing' }]);
    const observations = accumulator.observations();
    expect(observations.rows).toEqual({ read: 4, scored: 1, rejected: 3 });
    expect(observations.rejectsByReason).toEqual({ 'id-too-long': 1, missing: 2 });
  });

  it('refuses chunks that do not match the model or the deployment', () => {
    const accumulator = new RunAccumulator(manifest, { reference: null, segmentColumns: ['plan'] });
    const plan = new Int32Array(2);
    expect(() => accumulator.observeSource({ rowCount: 2, features: { plan } })).toThrow(/lacks key feature tenure/);
    expect(() => accumulator.observeSource({ rowCount: 2, features: { tenure: plan, plan } })).toThrow(/tenure is numeric/);
    const floatPlan = { tenure: new Float32Array(2), plan: new Float32Array(2) };
    expect(() => accumulator.observeSource({ rowCount: 2, features: floatPlan })).toThrow(/plan is categorical/);
    expect(() => accumulator.observeScored({ rowCount: 2, outputs: new Float32Array(1), segments: { plan } })).toThrow(
      VerificationInputError,
    );
    expect(() => accumulator.observeScored({ rowCount: 2, outputs: new Float32Array(2), segments: {} })).toThrow(
      'scored chunk lacks segment column plan',
    );
    expect(() => accumulator.observeScored({ rowCount: 2, outputs: new Float32Array(2), segments: { plan: ['x'] } })).toThrow(
      'segment column plan has 1 values, the chunk needs 2',
    );
  });
});
