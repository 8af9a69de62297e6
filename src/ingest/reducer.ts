/**
 * Samples in, exact per-minute SLI counts out.
 *
 * Counters become increments: each increment between two samples of one raw series is
 * attributed to the minute of the later sample, so the sum over any set of whole minutes
 * is exactly the counter's increase (no extrapolation, unlike PromQL's `increase()`).
 * A value below the previous one is a counter reset: the increment is the new value. The
 * first sample of a series is its baseline and adds nothing (we cannot know what happened
 * before we saw it). A stale marker ends a series; its next sample is a new baseline.
 *
 * Per SLI series (an SLI plus its significant label values) and minute, the reducer keeps
 * the sums of each role (good, bad, total, satisfied, tolerated, gauge aggregates). The
 * bucket's good/total are derived from them (SLO-MATH.md: ratio, apdex, threshold), so
 * samples of one minute may arrive in any number of batches and the bucket is exact once
 * all have arrived.
 *
 * The reducer is pure state + logic; the unit persists `changes()` in the same transaction
 * as the counts, which is what makes every acknowledged sample count exactly once.
 */

import type { Sli } from '../catalog/index.ts';
import { type IngestPlan, parseLe, type Role, type Route } from './plan.ts';

/** The last sample seen of one raw series. */
export interface SeriesCursor {
  timestampMs: number;
  value: number;
}

/** Role sums of one SLI series in one minute. */
export interface RoleSums {
  good: number;
  bad: number;
  total: number;
  satisfied: number;
  tolerated: number;
  /** Gauge samples (threshold SLIs): count, sum, min, max and the latest. */
  gaugeCount: number;
  gaugeSum: number;
  gaugeMin: number;
  gaugeMax: number;
  gaugeLast: number;
  gaugeLastMs: number;
}

/** A bucket of the count store, derived from role sums. */
export interface DerivedBucket {
  sli: string;
  labels: Record<string, string>;
  minute: number;
  good: number;
  total: number;
}

/** Why a sample did not count; each is a `/metrics` counter and an HTTP answer. */
export type SampleOutcome =
  | 'counted'
  | 'baseline'
  | 'duplicate'
  | 'out_of_order'
  | 'conflict'
  | 'stale'
  | 'not_a_number'
  | 'unmatched';

export type OutcomeCounts = Record<SampleOutcome, number>;

/** Prometheus's stale marker: a NaN with this exact bit pattern. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleView = new DataView(new ArrayBuffer(8));
/** True for Prometheus's stale-marker NaN (not for other NaNs). */
export function isStaleMarker(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  staleView.setFloat64(0, value);
  return staleView.getBigUint64(0) === STALE_NAN_BITS;
}

/** A raw series' identity: its sorted label pairs. */
export function rawSeriesKey(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const name of names) key += `${name}\u0001${labels[name]}\u0002`;
  return key;
}

/** An SLI series' identity: the SLI id and its significant label values. */
function sliSeriesLabels(sli: Sli, labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of sli.significantLabels) out[name] = labels[name] ?? '';
  return out;
}

function bucketKey(sli: string, labels: Record<string, string>, minute: number): string {
  return `${sli}\u0000${JSON.stringify(labels)}\u0000${minute}`;
}

function emptySums(): RoleSums {
  return {
    good: 0,
    bad: 0,
    total: 0,
    satisfied: 0,
    tolerated: 0,
    gaugeCount: 0,
    gaugeSum: 0,
    gaugeMin: Number.POSITIVE_INFINITY,
    gaugeMax: Number.NEGATIVE_INFINITY,
    gaugeLast: 0,
    gaugeLastMs: Number.NEGATIVE_INFINITY,
  };
}

/** The good/total a bucket's role sums stand for (SLO-MATH.md, "Counts"). */
export function deriveCounts(sli: Sli, sums: RoleSums): { good: number; total: number } {
  switch (sli.kind) {
    case 'ratio': {
      const total = sums.total;
      // Counters of one scrape arrive together, but a batch may carry bad before total:
      // until both are in, keep the bucket valid; the role sums stay exact.
      const good = sli.good !== undefined ? sums.good : total - sums.bad;
      return { good: clamp(good, 0, total), total };
    }
    case 'latency': {
      const total = sums.total;
      const good =
        sli.toleratedSeconds === undefined
          ? sums.satisfied
          : sums.satisfied + (sums.tolerated - sums.satisfied) / 2;
      return { good: clamp(good, 0, total), total };
    }
    case 'threshold': {
      if (sums.gaugeCount === 0) return { good: 0, total: 0 };
      const value =
        sli.aggregation === 'max'
          ? sums.gaugeMax
          : sli.aggregation === 'min'
            ? sums.gaugeMin
            : sli.aggregation === 'avg'
              ? sums.gaugeSum / sums.gaugeCount
              : sums.gaugeLast;
      const ok =
        sli.operator === '<'
          ? value < sli.bound
          : sli.operator === '<='
            ? value <= sli.bound
            : sli.operator === '>'
              ? value > sli.bound
              : value >= sli.bound;
      return { good: ok ? 1 : 0, total: 1 };
    }
    case 'events':
      return { good: clamp(sums.good, 0, sums.total), total: sums.total };
  }
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

/** Where the reducer reads state it does not hold (the unit's store) and writes changes. */
export interface ReducerStateSource {
  cursor(key: string): SeriesCursor | undefined;
  sums(sli: string, labels: Record<string, string>, minute: number): RoleSums | undefined;
}

/** The effect of one batch: what the unit must persist atomically. */
export interface BatchChanges {
  /** New cursors (undefined: the series ended with a stale marker). */
  cursors: Map<string, SeriesCursor | undefined>;
  sums: Map<string, { sli: string; labels: Record<string, string>; minute: number; sums: RoleSums }>;
  buckets: DerivedBucket[];
  outcomes: OutcomeCounts;
}

/** One batch's worth of reduction, over state read from `source`. */
export class BatchReducer {
  readonly #plan: IngestPlan;
  readonly #source: ReducerStateSource;
  readonly #cursors = new Map<string, SeriesCursor | undefined>();
  readonly #sums = new Map<
    string,
    { sli: string; labels: Record<string, string>; minute: number; sums: RoleSums }
  >();
  readonly #outcomes: OutcomeCounts = {
    counted: 0,
    baseline: 0,
    duplicate: 0,
    out_of_order: 0,
    conflict: 0,
    stale: 0,
    not_a_number: 0,
    unmatched: 0,
  };

  constructor(plan: IngestPlan, source: ReducerStateSource) {
    this.#plan = plan;
    this.#source = source;
  }

  /**
   * Feeds the samples of one raw series (labels include `__name__`), in timestamp order
   * as senders send them. Returns whether any route matched.
   */
  series(
    labels: Readonly<Record<string, string>>,
    samples: readonly { timestampMs: number; value: number; stale?: boolean }[],
  ): boolean {
    const metric = labels['__name__'] ?? '';
    const routes = this.#plan.routesFor(metric).filter((route) => routeMatches(route, labels));
    if (routes.length === 0) {
      this.#outcomes.unmatched += samples.length;
      return false;
    }
    const key = rawSeriesKey(labels);
    const isGauge = routes.every((route) => route.role === 'gauge');
    for (const sample of samples) {
      // Decoders flag stale markers explicitly: a NaN's payload bits may not survive JS.
      const stale = sample.stale === true || isStaleMarker(sample.value);
      this.#sample(
        key,
        labels,
        routes,
        isGauge,
        sample.timestampMs,
        stale ? Number.NaN : sample.value,
        stale,
      );
    }
    return true;
  }

  /**
   * A delta increment (OTLP delta temporality): added to the minute of `timestampMs` as it
   * is, with no cursor. Senders deliver deltas at least once, so a resent delta counts
   * twice; prefer cumulative temporality where the sender allows it.
   */
  delta(labels: Readonly<Record<string, string>>, timestampMs: number, increment: number): boolean {
    const metric = labels['__name__'] ?? '';
    const routes = this.#plan.routesFor(metric).filter((route) => routeMatches(route, labels));
    if (routes.length === 0) {
      this.#outcomes.unmatched += 1;
      return false;
    }
    if (!Number.isFinite(increment) || increment < 0) {
      this.#outcomes.not_a_number += 1;
      return true;
    }
    const minute = Math.floor(timestampMs / 60_000);
    for (const route of routes) {
      if (route.role === 'gauge') continue;
      const sums = this.#sumsFor(route.sli.id, sliSeriesLabels(route.sli, labels), minute);
      sums[route.role as Exclude<Role, 'gauge'>] += increment;
    }
    this.#outcomes.counted += 1;
    return true;
  }

  /** Events pushed directly: good/total added to a minute of an SLI series. */
  events(sli: Sli, labels: Record<string, string>, minute: number, good: number, total: number): void {
    const sums = this.#sumsFor(sli.id, labels, minute);
    sums.good += good;
    sums.total += total;
    this.#outcomes.counted += 1;
  }

  #cursor(key: string): SeriesCursor | undefined {
    return this.#cursors.has(key) ? this.#cursors.get(key) : this.#source.cursor(key);
  }

  #sumsFor(sli: string, labels: Record<string, string>, minute: number): RoleSums {
    const key = bucketKey(sli, labels, minute);
    let entry = this.#sums.get(key);
    if (!entry) {
      const existing = this.#source.sums(sli, labels, minute);
      entry = { sli, labels, minute, sums: existing ? { ...existing } : emptySums() };
      this.#sums.set(key, entry);
    }
    return entry.sums;
  }

  #sample(
    key: string,
    labels: Readonly<Record<string, string>>,
    routes: readonly Route[],
    isGauge: boolean,
    timestampMs: number,
    value: number,
    stale: boolean,
  ): void {
    if (stale) {
      this.#cursors.set(key, undefined);
      this.#outcomes.stale += 1;
      return;
    }
    if (Number.isNaN(value)) {
      this.#outcomes.not_a_number += 1;
      return;
    }
    const previous = this.#cursor(key);
    if (previous !== undefined) {
      if (timestampMs === previous.timestampMs) {
        // A retried batch resends what was applied: that is a success, not an error.
        this.#outcomes[value === previous.value ? 'duplicate' : 'conflict'] += 1;
        return;
      }
      if (timestampMs < previous.timestampMs) {
        this.#outcomes.out_of_order += 1;
        return;
      }
    }
    this.#cursors.set(key, { timestampMs, value });
    const minute = Math.floor(timestampMs / 60_000);
    if (isGauge) {
      for (const route of routes) {
        const sums = this.#sumsFor(route.sli.id, sliSeriesLabels(route.sli, labels), minute);
        sums.gaugeCount += 1;
        sums.gaugeSum += value;
        if (value < sums.gaugeMin) sums.gaugeMin = value;
        if (value > sums.gaugeMax) sums.gaugeMax = value;
        if (timestampMs >= sums.gaugeLastMs) {
          sums.gaugeLast = value;
          sums.gaugeLastMs = timestampMs;
        }
      }
      this.#outcomes.counted += 1;
      return;
    }
    if (previous === undefined) {
      this.#outcomes.baseline += 1;
      return;
    }
    const increase = value >= previous.value ? value - previous.value : value;
    this.#outcomes.counted += 1;
    if (increase === 0) return;
    for (const route of routes) {
      if (route.role === 'gauge') continue;
      const sums = this.#sumsFor(route.sli.id, sliSeriesLabels(route.sli, labels), minute);
      sums[route.role as Exclude<Role, 'gauge'>] += increase;
    }
  }

  /** Everything to persist for this batch, with the derived buckets. */
  changes(): BatchChanges {
    const buckets: DerivedBucket[] = [];
    for (const entry of this.#sums.values()) {
      const sli = this.#plan.slis.get(entry.sli);
      if (!sli) continue;
      const { good, total } = deriveCounts(sli, entry.sums);
      buckets.push({ sli: entry.sli, labels: entry.labels, minute: entry.minute, good, total });
    }
    return { cursors: this.#cursors, sums: this.#sums, buckets, outcomes: this.#outcomes };
  }
}

function routeMatches(route: Route, labels: Readonly<Record<string, string>>): boolean {
  if (!route.matches(labels)) return false;
  if (route.le === undefined) return true;
  return parseLe(labels['le']) === route.le;
}
