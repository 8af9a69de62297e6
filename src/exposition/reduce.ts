/**
 * Successive scrapes of counters → increments, so the unit can sum exact per-minute
 * deltas. A counter only goes up, so a lower value means the process restarted and counted
 * again from 0: the increment is then the new value itself. In OpenMetrics a changed
 * `_created` also marks a reset, even when the new value happens to be higher
 * ("If present, the corresponding Created time MUST also be set to the timestamp of the
 * reset"). Counter-like samples are counter totals, histogram `_bucket`/`_count`/`_sum`
 * and summary `_count`/`_sum`.
 */
import type { Labels, MetricFamily, Sample } from './types.ts';

/** One reading of one counter series. */
export interface CounterReading {
  value: number;
  /** The series' `_created` value (OpenMetrics, seconds since the epoch), when exposed. */
  createdSeconds?: number;
}

/** How much a counter went up between two readings. */
export interface CounterIncrease {
  increase: number;
  /** The counter was reset (value went down, or `_created` changed) between the readings. */
  reset: boolean;
}

/**
 * The increase between two readings of one counter; undefined when either is NaN.
 * @example counterIncrease({ value: 10 }, { value: 3 }) // { increase: 3, reset: true }
 */
export function counterIncrease(
  previous: CounterReading,
  current: CounterReading,
): CounterIncrease | undefined {
  if (Number.isNaN(previous.value) || Number.isNaN(current.value)) return undefined;
  const createdChanged =
    previous.createdSeconds !== undefined &&
    current.createdSeconds !== undefined &&
    previous.createdSeconds !== current.createdSeconds;
  if (createdChanged || current.value < previous.value) return { increase: current.value, reset: true };
  return { increase: current.value - previous.value, reset: false };
}

/** What {@link counterIncrements} remembers between scrapes of one target. */
export interface CounterState {
  /** When the remembered scrape was taken. */
  atMs: number;
  series: ReadonlyMap<string, CounterReading & { atMs: number }>;
}

/** The increase of one counter series over one scrape interval. */
export interface CounterIncrement {
  /** {@link seriesKey} of the sample. */
  key: string;
  family: string;
  /** Sample name, suffix included (`http_requests_total`, `latency_seconds_bucket`). */
  name: string;
  labels: Labels;
  increase: number;
  reset: boolean;
  /** The interval the increase happened in: previous reading (or `_created`) to this one. */
  fromMs: number;
  toMs: number;
}

/**
 * Turns one scrape into increments against the state left by the previous scrape of the
 * same target, and returns the new state. Pure: the caller keeps the state.
 *
 * A series seen for the first time gives no increment (its earlier history is unknown),
 * except when its `_created` lies after the previous scrape: it was born in the interval,
 * so all of its value is new. Series missing from this scrape are forgotten; if they come
 * back they start again from a baseline.
 * @example
 * let state: CounterState | undefined;
 * const { state: next, increments } = counterIncrements(state, parsed.families, parsed.scrapeTimeMs);
 */
export function counterIncrements(
  previous: CounterState | undefined,
  families: readonly MetricFamily[],
  atMs: number,
): { state: CounterState; increments: CounterIncrement[] } {
  const series = new Map<string, CounterReading & { atMs: number }>();
  const increments: CounterIncrement[] = [];
  for (const family of families) {
    const counterSuffixes = COUNTER_SUFFIXES[family.type];
    if (counterSuffixes === undefined) continue;
    const created = createdByMetric(family);
    for (const sample of family.samples) {
      const suffix = sample.name.slice(family.name.length);
      if (!sample.name.startsWith(family.name) || !counterSuffixes.includes(suffix)) continue;
      const key = seriesKey(sample.name, sample.labels);
      const sampleAtMs = sample.timestampMs ?? atMs;
      const reading: CounterReading & { atMs: number } = { value: sample.value, atMs: sampleAtMs };
      const createdSeconds = created.get(metricKey(sample.labels));
      if (createdSeconds !== undefined) reading.createdSeconds = createdSeconds;
      const before = previous?.series.get(key);
      if (Number.isNaN(sample.value)) {
        if (before !== undefined) series.set(key, before);
        continue;
      }
      series.set(key, reading);
      const base = { key, family: family.name, name: sample.name, labels: sample.labels, toMs: sampleAtMs };
      if (before !== undefined) {
        if (sampleAtMs <= before.atMs) continue; // the same point again (explicit timestamps)
        const change = counterIncrease(before, reading);
        if (change !== undefined) increments.push({ ...base, ...change, fromMs: before.atMs });
      } else if (
        previous !== undefined &&
        createdSeconds !== undefined &&
        createdSeconds * 1000 >= previous.atMs
      ) {
        increments.push({ ...base, increase: sample.value, reset: false, fromMs: createdSeconds * 1000 });
      }
    }
  }
  return { state: { atMs, series }, increments };
}

/** Sample suffixes that are counters, per family type (Prometheus counters keep their name). */
const COUNTER_SUFFIXES: Partial<Record<MetricFamily['type'], readonly string[]>> = {
  counter: ['', '_total'],
  histogram: ['_bucket', '_count', '_sum'],
  summary: ['_count', '_sum'],
};

/** `_created` values of a family by label set (without `le`/`quantile`). */
function createdByMetric(family: MetricFamily): Map<string, number> {
  const created = new Map<string, number>();
  const name = `${family.name}_created`;
  for (const sample of family.samples as readonly Sample[]) {
    if (sample.name === name) created.set(metricKey(sample.labels), sample.value);
  }
  return created;
}

function metricKey(labels: Labels): string {
  const entries = Object.entries(labels).filter(([name]) => name !== 'le' && name !== 'quantile');
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/**
 * A stable identity for a sample name and label set, whatever the label order.
 * @example seriesKey('up', { job: 'api' }) === seriesKey('up', { job: 'api' })
 */
export function seriesKey(name: string, labels: Labels): string {
  const entries = Object.entries(labels);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([name, entries]);
}
