/** Helpers and fast-check arbitraries shared by this folder's tests; not public. */

import assert from 'node:assert/strict';
import fc from 'fast-check';
import type {
  Exemplar,
  Histogram,
  Label,
  MetricMetadata,
  RemoteWriteIssue,
  Result,
  Sample,
  TimeSeries,
  TimeSeriesV2,
} from './types.ts';
import { METRIC_TYPES, REMOTE_WRITE_ISSUE_CODES } from './types.ts';

/** Seed for every property test, so failures reproduce; override with FUZZ_SEED. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);

/** Runs per property: FUZZ_RUNS scales the fuzzers up for long sessions. */
export function runs(defaultRuns: number): number {
  const env = Number(process.env.FUZZ_RUNS);
  return Number.isFinite(env) && env > 0 ? env : defaultRuns;
}

/** The value of a successful result; fails the test otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got issues: ${JSON.stringify(result.issues)}`);
  return result.value;
}

/** The issues of a failed result; fails the test otherwise. */
export function issuesOf(result: { ok: boolean; issues?: RemoteWriteIssue[] }): RemoteWriteIssue[] {
  if (result.ok || result.issues === undefined) assert.fail('expected issues, got ok');
  return result.issues;
}

/** Hex string → bytes; whitespace and `|` separators are ignored so goldens can be laid out. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s|]/g, '');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** Bytes → lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Compares strings by their UTF-8 bytes, the order the spec requires for label names. */
export function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Checks that every issue has a known code and an offset inside the buffer. */
export function assertWellFormedIssues(issues: readonly RemoteWriteIssue[], length: number): void {
  assert.ok(issues.length > 0);
  for (const i of issues) {
    assert.ok(i.code in REMOTE_WRITE_ISSUE_CODES, `unknown code ${i.code}`);
    assert.ok(i.offset >= 0 && i.offset <= length, `offset ${i.offset} outside 0..${length}`);
    assert.equal(typeof i.message, 'string');
  }
}

/** fc.record with ordinary prototypes, so deepStrictEqual compares like decoded objects. */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { noNullPrototype: true });

const text = (minLength: number) => fc.string({ unit: 'binary', minLength, maxLength: 12 });
const safeInt = fc.maxSafeInteger();

/** A valid label set: unique non-empty names sorted by UTF-8 bytes, non-empty values. */
export const labelsArb: fc.Arbitrary<Label[]> = fc
  .uniqueArray(fc.oneof(text(1), fc.constantFrom('__name__', 'job', 'instance', 'le')), {
    minLength: 1,
    maxLength: 8,
  })
  .chain((names) =>
    fc.tuple(fc.constant(names), fc.array(text(1), { minLength: names.length, maxLength: names.length })),
  )
  .map(([names, values]) =>
    names.map((name, i) => ({ name, value: values[i]! })).sort((a, b) => byUtf8(a.name, b.name)),
  );

/** A sample as decoded: stale markers come back as NaN with `stale: true`. */
export const sampleArb: fc.Arbitrary<Sample> = record({
  value: fc.double(),
  timestampMs: safeInt,
  stale: fc.boolean(),
}).map((s) => (s.stale ? { ...s, value: Number.NaN } : s));

export const exemplarArb: fc.Arbitrary<Exemplar> = record({
  labels: fc.array(record({ name: text(0), value: text(0) }), { maxLength: 3 }),
  value: fc.double(),
  timestampMs: safeInt,
});

const spanArb = record({ offset: fc.integer(), length: fc.nat() });

export const histogramArb: fc.Arbitrary<Histogram> = record({
  countIsFloat: fc.boolean(),
  countInt: fc.maxSafeNat(),
  countFloat: fc.double(),
  sum: fc.double(),
  schema: fc.integer(),
  zeroThreshold: fc.double(),
  zeroCountIsFloat: fc.boolean(),
  zeroCountInt: fc.maxSafeNat(),
  zeroCountFloat: fc.double(),
  negativeSpans: fc.array(spanArb, { maxLength: 3 }),
  negativeDeltas: fc.array(safeInt, { maxLength: 4 }),
  negativeCounts: fc.array(fc.double(), { maxLength: 4 }),
  positiveSpans: fc.array(spanArb, { maxLength: 3 }),
  positiveDeltas: fc.array(safeInt, { maxLength: 4 }),
  positiveCounts: fc.array(fc.double(), { maxLength: 4 }),
  resetHint: fc.constantFrom('unknown', 'yes', 'no', 'gauge' as const),
  timestampMs: safeInt,
  customValues: fc.array(fc.double(), { maxLength: 4 }),
}).map(({ countInt, countFloat, zeroCountInt, zeroCountFloat, ...h }) => ({
  ...h,
  count: h.countIsFloat ? countFloat : countInt,
  zeroCount: h.zeroCountIsFloat ? zeroCountFloat : zeroCountInt,
}));

/** A v1 series as decoded. */
export const seriesArb: fc.Arbitrary<TimeSeries> = record({
  labels: labelsArb,
  samples: fc.array(sampleArb, { maxLength: 4 }),
  exemplars: fc.array(exemplarArb, { maxLength: 2 }),
  histograms: fc.array(histogramArb, { maxLength: 2 }),
});

const metricTypeArb = fc.constantFrom(...METRIC_TYPES);

export const metadataArb: fc.Arbitrary<MetricMetadata> = record({
  type: metricTypeArb,
  metricFamilyName: text(0),
  help: text(0),
  unit: text(0),
});

/** A v2 series as decoded: samples or histograms, never both (spec 2.0). */
export const seriesV2Arb: fc.Arbitrary<TimeSeriesV2> = record({
  labels: labelsArb,
  useHistograms: fc.boolean(),
  samples: fc.array(sampleArb, { minLength: 1, maxLength: 4 }),
  histograms: fc.array(histogramArb, { minLength: 1, maxLength: 2 }),
  exemplars: fc.array(exemplarArb, { maxLength: 2 }),
  metadata: record({ type: metricTypeArb, help: text(0), unit: text(0) }),
  createdTimestampMs: safeInt,
}).map(({ useHistograms, ...s }) => ({
  ...s,
  samples: useHistograms ? [] : s.samples,
  histograms: useHistograms ? s.histograms : [],
}));
