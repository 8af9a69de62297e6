/**
 * In-memory `CountSeries` over prefix sums (SLO-MATH.md, "Counts"): any window is two
 * reads per count, whatever its length.
 */
import type { CountSeries, CountTotals } from './counts.ts';
import { type Issue, issue, type Result } from './result.ts';
import { WeightedSumSeries } from './weighted-series.ts';

/** Good and total events recorded for one epoch minute. */
export interface MinuteCounts {
  minute: number;
  good: number;
  total: number;
}

/** Options for building a prefix series. */
export interface PrefixSeriesOptions {
  /** Refuse inputs spanning more minutes than this (memory guard). Default: two years. */
  maxSpanMinutes?: number;
}

/** Default span guard: two leap years of minutes, 16 bytes each (about 17 MB). */
export const DEFAULT_MAX_SPAN_MINUTES = 2 * 366 * 1440;

/**
 * A dense series over `[startMinute, endMinute)` stored as two `Float64Array` prefix sums:
 * `prefixGood[i] = good[startMinute] + ... + good[startMinute + i - 1]`.
 * Counts are exact while they stay multiples of 0.5 (apdex halves) below 2^52.
 * Build it with `createPrefixSeries` or `createPrefixSeriesFromDense`.
 */
export class PrefixSeries implements CountSeries {
  readonly startMinute: number;
  readonly endMinute: number;
  readonly prefixGood: Float64Array;
  readonly prefixTotal: Float64Array;

  constructor(startMinute: number, prefixGood: Float64Array, prefixTotal: Float64Array) {
    this.startMinute = startMinute;
    this.endMinute = startMinute + prefixGood.length - 1;
    this.prefixGood = prefixGood;
    this.prefixTotal = prefixTotal;
  }

  sum(fromMinute: number, toMinute: number): CountTotals {
    const n = this.prefixGood.length - 1;
    let a = fromMinute - this.startMinute;
    let b = toMinute - this.startMinute;
    if (a < 0) a = 0;
    else if (a > n) a = n;
    if (b < 0) b = 0;
    else if (b > n) b = n;
    if (b <= a) return { good: 0, total: 0 };
    return {
      good: this.prefixGood[b]! - this.prefixGood[a]!,
      total: this.prefixTotal[b]! - this.prefixTotal[a]!,
    };
  }

  /** Visits minutes with non-zero counts: a recorded 0/0 minute is the same as no record. */
  forEachMinute(
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void {
    const from = Math.max(fromMinute, this.startMinute);
    const to = Math.min(toMinute, this.endMinute);
    const pg = this.prefixGood;
    const pt = this.prefixTotal;
    for (let m = from; m < to; m++) {
      const i = m - this.startMinute;
      const total = pt[i + 1]! - pt[i]!;
      const good = pg[i + 1]! - pg[i]!;
      if (total !== 0 || good !== 0) visit(m, good, total);
    }
  }
}

function checkCounts(good: number, total: number, path: (string | number)[], issues: Issue[]): void {
  const goodValid = Number.isFinite(good) && good >= 0;
  const totalValid = Number.isFinite(total) && total >= 0;
  if (!goodValid) issues.push(issue('invalid_value', [...path, 'good'], 'good must be a finite number >= 0'));
  if (!totalValid)
    issues.push(issue('invalid_value', [...path, 'total'], 'total must be a finite number >= 0'));
  if (goodValid && totalValid && good > total) {
    issues.push(issue('invalid_value', [...path, 'good'], `good (${good}) exceeds total (${total})`));
  }
}

/** Turns per-minute values (in place) into a prefix array one longer. */
function toPrefix(values: Float64Array): Float64Array {
  const prefix = new Float64Array(values.length + 1);
  let acc = 0;
  for (let i = 0; i < values.length; i++) {
    acc += values[i]!;
    prefix[i + 1] = acc;
  }
  return prefix;
}

/**
 * Builds a series from sparse per-minute buckets in any order. When the same minute
 * appears more than once, the last bucket in iteration order wins (a re-scrape or a
 * corrected count replaces the earlier value; it is not added).
 * @example createPrefixSeries([{ minute: 29_000_000, good: 99, total: 100 }])
 */
export function createPrefixSeries(
  buckets: Iterable<MinuteCounts>,
  options: PrefixSeriesOptions = {},
): Result<PrefixSeries> {
  const list = Array.isArray(buckets) ? (buckets as readonly MinuteCounts[]) : [...buckets];
  const issues: Issue[] = [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < list.length; i++) {
    const b = list[i]!;
    if (!Number.isSafeInteger(b.minute)) {
      issues.push(issue('invalid_value', [i, 'minute'], 'minute must be an integer epoch minute'));
    }
    checkCounts(b.good, b.total, [i], issues);
    if (b.minute < min) min = b.minute;
    if (b.minute > max) max = b.minute;
  }
  if (issues.length > 0) return { ok: false, issues };
  if (list.length === 0) {
    return { ok: true, value: new PrefixSeries(0, new Float64Array(1), new Float64Array(1)) };
  }
  const span = max - min + 1;
  const maxSpan = options.maxSpanMinutes ?? DEFAULT_MAX_SPAN_MINUTES;
  if (span > maxSpan) {
    return {
      ok: false,
      issues: [issue('too_large', [], `buckets span ${span} minutes, more than the limit of ${maxSpan}`)],
    };
  }
  const good = new Float64Array(span);
  const total = new Float64Array(span);
  for (const b of list) {
    good[b.minute - min] = b.good;
    total[b.minute - min] = b.total;
  }
  return { ok: true, value: new PrefixSeries(min, toPrefix(good), toPrefix(total)) };
}

/** Builds a series from dense arrays where index `i` is minute `startMinute + i`. */
export function createPrefixSeriesFromDense(
  startMinute: number,
  good: ArrayLike<number>,
  total: ArrayLike<number>,
): Result<PrefixSeries> {
  const issues: Issue[] = [];
  if (!Number.isSafeInteger(startMinute)) {
    issues.push(issue('invalid_value', ['startMinute'], 'startMinute must be an integer epoch minute'));
  }
  if (good.length !== total.length) {
    issues.push(issue('invalid_value', ['good'], 'good and total must have the same length'));
  }
  if (issues.length > 0) return { ok: false, issues };
  for (let i = 0; i < good.length; i++) {
    const g = good[i]!;
    const t = total[i]!;
    // Fast path: only build a path array when something is wrong.
    if (!(g >= 0 && t >= g && Number.isFinite(t))) checkCounts(g, t, [i], issues);
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: new PrefixSeries(
      startMinute,
      toPrefix(Float64Array.from(good)),
      toPrefix(Float64Array.from(total)),
    ),
  };
}

/**
 * Sums several series of one SLI (instances, labels, teams) into one: counts are added,
 * ratios are formed afterwards (SLO-MATH.md, "Composites"). Prefix series over nearby
 * ranges are merged into a new prefix series; anything else is summed lazily.
 */
export function sumSeries(parts: readonly CountSeries[]): CountSeries {
  const prefixParts = parts.filter((p): p is PrefixSeries => p instanceof PrefixSeries);
  if (prefixParts.length === parts.length && parts.length > 0) {
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    let stored = 0;
    for (const p of prefixParts) {
      if (p.endMinute === p.startMinute) continue;
      start = Math.min(start, p.startMinute);
      end = Math.max(end, p.endMinute);
      stored += p.endMinute - p.startMinute;
    }
    if (end < start) return new PrefixSeries(0, new Float64Array(1), new Float64Array(1));
    const span = end - start;
    // Merging far-apart ranges would allocate mostly zeros; stay lazy then.
    if (span <= 2 * stored) {
      const good = new Float64Array(span + 1);
      const total = new Float64Array(span + 1);
      for (const p of prefixParts) {
        const n = p.endMinute - p.startMinute;
        if (n === 0) continue;
        const offset = p.startMinute - start;
        const lastGood = p.prefixGood[n]!;
        const lastTotal = p.prefixTotal[n]!;
        for (let i = offset + 1; i <= span; i++) {
          const j = i - offset;
          good[i]! += j <= n ? p.prefixGood[j]! : lastGood;
          total[i]! += j <= n ? p.prefixTotal[j]! : lastTotal;
        }
      }
      return new PrefixSeries(start, good, total);
    }
  }
  return new WeightedSumSeries(parts.map((series) => ({ series, weight: 1 })));
}
