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
 * A sample at or before the series' newest one changes nothing. It is a `duplicate` when
 * the series applied that very sample (a retried batch: a success, counted once), a
 * `conflict` when it applied another value at that timestamp, and `out_of_order` when it is
 * new. Telling these apart needs the samples applied, not only the newest: each cursor keeps
 * the last `CURSOR_HISTORY` applied samples besides the newest (about 50 bytes). A sample
 * older than all of them is `out_of_order`, unless the same call carries, after it, a
 * remembered sample with its value: that run is a resend of applied samples (a retried
 * catch-up batch holds many per series), so all of it is `duplicate`. A stale marker is
 * remembered too: the cursor stays (ended) for `ENDED_CURSOR_RETENTION_MS`, so a retried
 * batch that ended a series neither counts its samples again nor takes them as a baseline.
 *
 * Routes of an SLI another path records (`Route.ownedBy`, see `compileIngestPlan`) count
 * nothing: their samples are `owned_by_promql`, so one SLI is never fed twice.
 *
 * The reducer is pure state + logic; the unit persists `changes()` in the same transaction
 * as the counts, which is what makes every acknowledged sample count exactly once.
 */

import type { Sli } from '../catalog/index.ts';
import { type IngestPlan, parseLe, type Role, type Route } from './plan.ts';

/** Applied samples a cursor remembers besides its newest one (see the module comment). */
export const CURSOR_HISTORY = 3;

/** Numbers in a full cursor: the newest sample and `CURSOR_HISTORY` earlier ones. */
const CURSOR_LENGTH = 2 * (1 + CURSOR_HISTORY);

/** How long a series ended by a stale marker keeps its cursor, for retries of that batch. */
export const ENDED_CURSOR_RETENTION_MS = 60 * 60_000;

/**
 * The newest samples applied to one raw series, newest first, flattened into one array:
 * `[timestampMs, value, timestampMs, value, ...]`, at most `1 + CURSOR_HISTORY` pairs. A
 * NaN value is a stale marker; a NaN newest value means the series ended (its next sample
 * is a baseline). One flat array of unboxed doubles: a full history costs about 50 bytes
 * more than the newest sample alone (measured at 100,000 series), objects over 100.
 */
export type SeriesCursor = readonly number[];

/** The time of the newest sample applied. */
export function cursorTimestampMs(cursor: SeriesCursor): number {
  return cursor[0]!;
}

/** Whether a stale marker ended the series at the cursor. */
export function cursorEnded(cursor: SeriesCursor): boolean {
  return Number.isNaN(cursor[1]);
}

/**
 * Where `encodeCursorHistory` writes, with a byte view per number of values: the unit
 * writes every cursor a batch moved, and two fresh typed arrays (plus an off-heap buffer)
 * per cursor were a tenth of what it allocated per sample. A statement binding a blob copies it.
 */
const historyFloats = new Float64Array(CURSOR_LENGTH - 1);
const historyBytes = Array.from(
  { length: CURSOR_LENGTH },
  (_, count) => new Uint8Array(historyFloats.buffer, 0, 8 * count),
);

/**
 * What the store's cursor row keeps besides the newest timestamp: float64s of the newest
 * value and the earlier pairs (the row's own value column cannot hold NaN: SQLite stores
 * NULL). Null when the row's timestamp and value say everything. The bytes are a view on
 * a buffer the next call overwrites: bind or copy them at once.
 */
export function encodeCursorHistory(cursor: SeriesCursor): Uint8Array | null {
  if (cursor.length <= 2 && !cursorEnded(cursor)) return null;
  const count = cursor.length - 1;
  if (count >= historyBytes.length) return new Uint8Array(new Float64Array(cursor.slice(1)).buffer);
  for (let i = 0; i < count; i++) historyFloats[i] = cursor[i + 1]!;
  return historyBytes[count]!;
}

/** The cursor a stored row stands for; `history` null: a row written before histories. */
export function decodeCursor(timestampMs: number, value: number, history: Uint8Array | null): SeriesCursor {
  if (history === null || history.byteLength < 8 || history.byteLength % 16 !== 8) {
    return [timestampMs, value];
  }
  const values = new Float64Array(new Uint8Array(history).buffer); // aligned copy
  const cursor = new Array<number>(Math.min(values.length + 1, CURSOR_LENGTH));
  cursor[0] = timestampMs;
  for (let i = 1; i < cursor.length; i++) cursor[i] = values[i - 1]!;
  return cursor;
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
  | 'unmatched'
  | 'owned_by_promql';

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

/** The key of one SLI series' minute among a batch's role sums. */
function bucketKey(sli: string, labelsText: string, minute: number): string {
  return `${sli}\u0000${labelsText}\u0000${minute}`;
}

/** One SLI series, as routes find it in raw series: the same object batch after batch. */
interface SliSeries {
  sli: string;
  /** `sliSeriesLabels`: the significant labels, in the SLI's order. */
  labels: Record<string, string>;
  /** `JSON.stringify(labels)`, how role sums and their keys name the series. */
  labelsText: string;
}

/**
 * The SLI series of one SLI met so far, by its first significant label's value, then the
 * next one's, down to the series (the root is the series when there are none). Lookups
 * read label strings the decoder interned, so finding a series built before allocates
 * nothing; building its labels and JSON for every sample and route was a tenth of the
 * unit's allocations under load.
 */
interface SliSeriesTree {
  root: SliSeries | SliSeriesLevel | undefined;
  size: number;
}
type SliSeriesLevel = Map<string, SliSeries | SliSeriesLevel>;

/** Series one SLI keeps in its tree; more are built per use (significant labels of runaway cardinality). */
const MAX_SLI_SERIES_KEPT = 100_000;

/** Per SLI, its tree. Weak: the SLIs of a replaced catalog take their trees with them. */
const sliSeriesTrees = new WeakMap<Sli, SliSeriesTree>();

/** The SLI series of `sli` that the raw series `labels` belongs to. */
function sliSeriesOf(sli: Sli, labels: Readonly<Record<string, string>>): SliSeries {
  let tree = sliSeriesTrees.get(sli);
  if (tree === undefined) {
    tree = { root: undefined, size: 0 };
    sliSeriesTrees.set(sli, tree);
  }
  const names = sli.significantLabels;
  if (names.length === 0) {
    if (tree.root === undefined) tree.root = newSliSeries(sli, labels);
    return tree.root as SliSeries;
  }
  let level = tree.root as SliSeriesLevel | undefined;
  if (level === undefined) {
    level = new Map();
    tree.root = level;
  }
  const last = names.length - 1;
  for (let i = 0; i < last; i++) {
    const value = labels[names[i]!] ?? '';
    let next = level.get(value) as SliSeriesLevel | undefined;
    if (next === undefined) {
      if (tree.size >= MAX_SLI_SERIES_KEPT) return newSliSeries(sli, labels);
      next = new Map();
      level.set(value, next);
    }
    level = next;
  }
  const value = labels[names[last]!] ?? '';
  let series = level.get(value) as SliSeries | undefined;
  if (series === undefined) {
    series = newSliSeries(sli, labels);
    if (tree.size >= MAX_SLI_SERIES_KEPT) return series;
    level.set(value, series);
    tree.size += 1;
  }
  return series;
}

function newSliSeries(sli: Sli, labels: Readonly<Record<string, string>>): SliSeries {
  // Frozen: shared by every batch's buckets, and a store may key frozen labels once.
  const out = Object.freeze(sliSeriesLabels(sli, labels));
  return { sli: sli.id, labels: out, labelsText: JSON.stringify(out) };
}

/*
 * What a batch builds per SLI series and minute (role sums, their entry, the derived
 * bucket) lives until the batch is committed, so a scavenge during a batch finds most of
 * it alive. Built by object literals, V8 would track that survival per literal and, with
 * a small young generation (`--max-semi-space-size` 1 or 2), start allocating them in the
 * old generation (allocation-site pretenuring): megabytes a second of old-space garbage,
 * a mark-compact every few seconds and a higher peak. Class instances are not tracked.
 */

/** `RoleSums` of a batch: empty, or a copy of `from`. */
class BatchRoleSums implements RoleSums {
  good: number;
  bad: number;
  total: number;
  satisfied: number;
  tolerated: number;
  gaugeCount: number;
  gaugeSum: number;
  gaugeMin: number;
  gaugeMax: number;
  gaugeLast: number;
  gaugeLastMs: number;

  constructor(from: RoleSums | undefined) {
    this.good = from?.good ?? 0;
    this.bad = from?.bad ?? 0;
    this.total = from?.total ?? 0;
    this.satisfied = from?.satisfied ?? 0;
    this.tolerated = from?.tolerated ?? 0;
    this.gaugeCount = from?.gaugeCount ?? 0;
    this.gaugeSum = from?.gaugeSum ?? 0;
    this.gaugeMin = from?.gaugeMin ?? Number.POSITIVE_INFINITY;
    this.gaugeMax = from?.gaugeMax ?? Number.NEGATIVE_INFINITY;
    this.gaugeLast = from?.gaugeLast ?? 0;
    this.gaugeLastMs = from?.gaugeLastMs ?? Number.NEGATIVE_INFINITY;
  }
}

class BatchSumsEntry implements SumsEntry {
  readonly sli: string;
  readonly labels: Record<string, string>;
  readonly labelsText: string;
  readonly minute: number;
  readonly sums: RoleSums;

  constructor(
    sli: string,
    labels: Record<string, string>,
    labelsText: string,
    minute: number,
    sums: RoleSums,
  ) {
    this.sli = sli;
    this.labels = labels;
    this.labelsText = labelsText;
    this.minute = minute;
    this.sums = sums;
  }
}

class BatchBucket implements DerivedBucket {
  readonly sli: string;
  readonly labels: Record<string, string>;
  readonly minute: number;
  readonly good: number;
  readonly total: number;

  constructor(sli: string, labels: Record<string, string>, minute: number, good: number, total: number) {
    this.sli = sli;
    this.labels = labels;
    this.minute = minute;
    this.good = good;
    this.total = total;
  }
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
  /** `labelsText`: `JSON.stringify(labels)`, when the reducer has it already. */
  sums(
    sli: string,
    labels: Record<string, string>,
    minute: number,
    labelsText?: string,
  ): RoleSums | undefined;
}

/** Role sums of one SLI series in one minute, as a batch leaves them. */
export interface SumsEntry {
  sli: string;
  labels: Record<string, string>;
  /** `JSON.stringify(labels)`: how the unit's sums table names the series. */
  labelsText: string;
  minute: number;
  sums: RoleSums;
}

/** The effect of one batch: what the unit must persist atomically. */
export interface BatchChanges {
  /** New cursors (undefined: the series ended with a stale marker). */
  cursors: Map<string, SeriesCursor | undefined>;
  sums: Map<string, SumsEntry>;
  buckets: DerivedBucket[];
  outcomes: OutcomeCounts;
}

/** One batch's worth of reduction, over state read from `source`. */
export class BatchReducer {
  readonly #plan: IngestPlan;
  readonly #source: ReducerStateSource;
  /** Cursors this batch moved: its own arrays, updated in place (`#advance`). */
  readonly #cursors = new Map<string, number[] | undefined>();
  readonly #sums = new Map<string, SumsEntry>();
  /** Per SLI series routes reached, its entry of `#sums` they reached last (`#routeSums`). */
  readonly #seriesSums = new Map<SliSeries, SumsEntry>();
  readonly #outcomes: OutcomeCounts = {
    counted: 0,
    baseline: 0,
    duplicate: 0,
    out_of_order: 0,
    conflict: 0,
    stale: 0,
    not_a_number: 0,
    unmatched: 0,
    owned_by_promql: 0,
  };

  constructor(plan: IngestPlan, source: ReducerStateSource) {
    this.#plan = plan;
    this.#source = source;
  }

  /**
   * Feeds the samples of one raw series (labels include `__name__`), in timestamp order
   * as senders send them. Returns whether any route matched. `key`: `rawSeriesKey(labels)`
   * when the caller built it more cheaply. Neither `labels` nor `samples` is kept.
   */
  series(
    labels: Readonly<Record<string, string>>,
    samples: readonly { timestampMs: number; value: number; stale?: boolean }[],
    key?: string,
  ): boolean {
    const routes = this.#routes(labels, samples.length);
    if (routes === undefined) return false;
    if (routes.length === 0) return true;
    key ??= rawSeriesKey(labels);
    let isGauge = true;
    for (const route of routes) if (route.role !== 'gauge') isGauge = false;
    const resentBefore = this.#resentRun(key, samples);
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      // Decoders flag stale markers explicitly: a NaN's payload bits may not survive JS.
      const stale = sample.stale === true || isStaleMarker(sample.value);
      if (!stale && Number.isNaN(sample.value)) {
        this.#outcomes.not_a_number += 1;
        continue;
      }
      const value = stale ? Number.NaN : sample.value;
      this.#sample(key, labels, routes, isGauge, sample.timestampMs, value, i < resentBefore);
    }
    return true;
  }

  /**
   * The routes a series feeds; undefined (counted `unmatched`) when none matches, empty
   * (counted `owned_by_promql`) when every one belongs to an SLI the PromQL pull records.
   */
  #routes(labels: Readonly<Record<string, string>>, samples: number): readonly Route[] | undefined {
    const candidates = this.#plan.candidates(labels);
    const list = candidateListOf(candidates);
    // Bit i: candidate i matched and counts. The matched subset of a candidate list is
    // shared (`CandidateList.subsets`), not built per series.
    let mask = 0;
    let matched = false;
    let beyond: Route[] | undefined;
    let le = Number.NaN;
    let leRead = false;
    for (let i = 0; i < candidates.length; i++) {
      const route = candidates[i]!;
      if (!route.matches(labels)) continue;
      if (list.hasLe[i] === 1) {
        if (!leRead) {
          le = leOf(labels);
          leRead = true;
        }
        if (le !== list.le[i]) continue;
      }
      matched = true;
      if (list.owned[i] === 1) continue;
      if (i < MAX_SUBSET_CANDIDATES) mask |= 1 << i;
      else if (beyond === undefined) beyond = [route];
      else beyond.push(route);
    }
    if (!matched) {
      this.#outcomes.unmatched += samples;
      return undefined;
    }
    if (beyond !== undefined) return [...subsetOf(candidates, list, mask), ...beyond];
    if (mask === 0) this.#outcomes.owned_by_promql += samples;
    return subsetOf(candidates, list, mask);
  }

  /**
   * How many leading samples of a call are a resend of applied samples older than the
   * cursor remembers: those before the first remembered sample when that one matches
   * exactly (module comment). 0 when the call is not such a run.
   */
  #resentRun(
    key: string,
    samples: readonly { timestampMs: number; value: number; stale?: boolean }[],
  ): number {
    const cursor = this.#cursor(key);
    if (cursor === undefined || samples.length < 2) return 0;
    const oldest = oldestRemembered(cursor);
    if (!(samples[0]!.timestampMs < oldest)) return 0;
    const first = samples.findIndex((sample) => sample.timestampMs >= oldest);
    if (first <= 0) return 0;
    const next = samples[first]!;
    const value = next.stale === true || isStaleMarker(next.value) ? Number.NaN : next.value;
    return rememberedAs(cursor, next.timestampMs, value) === 'duplicate' ? first : 0;
  }

  /**
   * A delta increment (OTLP delta temporality): added to the minute of `timestampMs` as it
   * is, with no cursor. Senders deliver deltas at least once, so a resent delta counts
   * twice; prefer cumulative temporality where the sender allows it.
   */
  delta(labels: Readonly<Record<string, string>>, timestampMs: number, increment: number): boolean {
    const routes = this.#routes(labels, 1);
    if (routes === undefined) return false;
    if (routes.length === 0) return true;
    if (!Number.isFinite(increment) || increment < 0) {
      this.#outcomes.not_a_number += 1;
      return true;
    }
    const minute = Math.floor(timestampMs / 60_000);
    for (const route of routes) {
      if (route.role === 'gauge') continue;
      const sums = this.#routeSums(route, labels, minute);
      sums[route.role as Exclude<Role, 'gauge'>] += increment;
    }
    this.#outcomes.counted += 1;
    return true;
  }

  /**
   * Drops a raw series' cursor: for bookkeeping series no sample will come for again (a
   * finished PromQL lane). Unlike a stale marker, nothing is kept for retries.
   */
  forget(labels: Readonly<Record<string, string>>): void {
    this.#cursors.set(rawSeriesKey(labels), undefined);
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

  /** Role sums of an SLI series in a minute, for events (their labels as pushed). */
  #sumsFor(sli: string, labels: Record<string, string>, minute: number): RoleSums {
    return this.#entry(sli, labels, JSON.stringify(labels), minute).sums;
  }

  /** Role sums a route feeds in a minute: of the SLI series `labels` belongs to. */
  #routeSums(route: Route, labels: Readonly<Record<string, string>>, minute: number): RoleSums {
    const series = sliSeriesOf(route.sli, labels);
    // A batch mostly holds one minute of a series: its last entry is checked before keys.
    const last = this.#seriesSums.get(series);
    if (last !== undefined && last.minute === minute) return last.sums;
    const entry = this.#entry(series.sli, series.labels, series.labelsText, minute);
    this.#seriesSums.set(series, entry);
    return entry.sums;
  }

  #entry(sli: string, labels: Record<string, string>, labelsText: string, minute: number): SumsEntry {
    const key = bucketKey(sli, labelsText, minute);
    let entry = this.#sums.get(key);
    if (!entry) {
      const existing = this.#source.sums(sli, labels, minute, labelsText);
      entry = new BatchSumsEntry(sli, labels, labelsText, minute, new BatchRoleSums(existing));
      this.#sums.set(key, entry);
    }
    return entry;
  }

  /** One sample (NaN value: a stale marker); `resent`: part of a resent run (`#resentRun`). */
  #sample(
    key: string,
    labels: Readonly<Record<string, string>>,
    routes: readonly Route[],
    isGauge: boolean,
    timestampMs: number,
    value: number,
    resent: boolean,
  ): void {
    const stale = Number.isNaN(value);
    const previous = this.#cursor(key);
    if (previous !== undefined && timestampMs <= cursorTimestampMs(previous)) {
      // Nothing at or before the newest sample counts; what it was decides the outcome.
      const remembered = rememberedAs(previous, timestampMs, value);
      this.#outcomes[remembered === 'unknown' ? (resent ? 'duplicate' : 'out_of_order') : remembered] += 1;
      return;
    }
    if (stale) {
      this.#outcomes.stale += 1;
      // An ended cursor remembers the marker, so a retry neither recounts nor re-baselines.
      if (previous !== undefined) this.#advance(key, previous, timestampMs, value);
      return;
    }
    // Read before `#advance`, which may update the batch's own cursor in place.
    const baseline = previous === undefined || cursorEnded(previous);
    const previousValue = previous?.[1] ?? 0;
    this.#advance(key, previous, timestampMs, value);
    const minute = Math.floor(timestampMs / 60_000);
    if (isGauge) {
      for (const route of routes) {
        const sums = this.#routeSums(route, labels, minute);
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
    if (baseline) {
      this.#outcomes.baseline += 1;
      return;
    }
    const increase = value >= previousValue ? value - previousValue : value;
    this.#outcomes.counted += 1;
    if (increase === 0) return;
    for (const route of routes) {
      if (route.role === 'gauge') continue;
      const sums = this.#routeSums(route, labels, minute);
      sums[route.role as Exclude<Role, 'gauge'>] += increase;
    }
  }

  /**
   * Makes `(timestampMs, value)` the newest sample, keeping `CURSOR_HISTORY` earlier ones.
   * A cursor of the source is copied once per batch, then updated in place (the unit
   * swaps its cursors only after the commit).
   */
  #advance(key: string, previous: SeriesCursor | undefined, timestampMs: number, value: number): void {
    const own = this.#cursors.get(key);
    if (own !== undefined && own === previous && own.length === CURSOR_LENGTH) {
      own.copyWithin(2, 0, CURSOR_LENGTH - 2);
      own[0] = timestampMs;
      own[1] = value;
      return;
    }
    // Sized exactly: `unshift` and `push` leave spare capacity, which every cursor would keep.
    const kept = Math.min(previous?.length ?? 0, CURSOR_LENGTH - 2);
    const cursor = new Array<number>(kept + 2);
    cursor[0] = timestampMs;
    cursor[1] = value;
    for (let i = 0; i < kept; i++) cursor[i + 2] = previous![i]!;
    this.#cursors.set(key, cursor);
  }

  /** Everything to persist for this batch, with the derived buckets. */
  changes(): BatchChanges {
    const buckets: DerivedBucket[] = [];
    for (const entry of this.#sums.values()) {
      const sli = this.#plan.slis.get(entry.sli);
      if (!sli) continue;
      const { good, total } = deriveCounts(sli, entry.sums);
      buckets.push(new BatchBucket(entry.sli, entry.labels, entry.minute, good, total));
    }
    return { cursors: this.#cursors, sums: this.#sums, buckets, outcomes: this.#outcomes };
  }
}

/** Candidates `#routes` tracks in its bit mask (a small integer); matches past these are copied. */
const MAX_SUBSET_CANDIDATES = 30;
/** Subsets kept per candidate list: a series matches one of a few in practice. */
const MAX_SUBSETS = 64;
const NO_ROUTES: readonly Route[] = [];

/**
 * What `#routes` needs of one candidate list of a plan (`IngestPlan.candidates`), read
 * from its routes once: their `le` bounds and owners as typed arrays (routes come in a few
 * shapes, so reading a double `le` off them boxes it anew every time), and the subsets
 * built so far by bit mask. Every series a list is asked for matches one of a few subsets
 * (a bucket's `le` picks its role), so each is built once, not per series and batch.
 */
interface CandidateList {
  hasLe: Uint8Array;
  le: Float64Array;
  owned: Uint8Array;
  subsets: Map<number, readonly Route[]>;
}

/** Weak: a replaced plan takes its lists with it. */
const candidateLists = new WeakMap<readonly Route[], CandidateList>();

function candidateListOf(candidates: readonly Route[]): CandidateList {
  let list = candidateLists.get(candidates);
  if (list === undefined || list.le.length !== candidates.length) {
    const n = candidates.length;
    list = {
      hasLe: new Uint8Array(n),
      le: new Float64Array(n),
      owned: new Uint8Array(n),
      subsets: new Map(),
    };
    for (let i = 0; i < n; i++) {
      const route = candidates[i]!;
      if (route.le !== undefined) {
        list.hasLe[i] = 1;
        list.le[i] = route.le;
      }
      if (route.ownedBy !== undefined) list.owned[i] = 1;
    }
    candidateLists.set(candidates, list);
  }
  return list;
}

/** The routes of `candidates` whose bits are set in `mask`. */
function subsetOf(candidates: readonly Route[], list: CandidateList, mask: number): readonly Route[] {
  if (mask === 0) return NO_ROUTES;
  const known = list.subsets.get(mask);
  if (known !== undefined) return known;
  const routes = buildSubset(candidates, mask);
  if (list.subsets.size < MAX_SUBSETS) list.subsets.set(mask, routes);
  return routes;
}

/** Apart from `subsetOf`, whose every call would otherwise allocate the closure's context. */
function buildSubset(candidates: readonly Route[], mask: number): Route[] {
  return candidates.filter((_, i) => i < MAX_SUBSET_CANDIDATES && (mask & (1 << i)) !== 0);
}

/** The oldest timestamp a cursor remembers a sample at. */
function oldestRemembered(cursor: SeriesCursor): number {
  return cursor[cursor.length - 2]!;
}

/**
 * What a sample at or before the cursor's newest one is: a `duplicate` of a remembered
 * sample, a `conflict` with one (same time, other value), `out_of_order` between remembered
 * samples (new: every applied sample since the oldest remembered one is remembered), or
 * `unknown` when older than anything remembered.
 */
function rememberedAs(
  cursor: SeriesCursor,
  timestampMs: number,
  value: number,
): 'duplicate' | 'conflict' | 'out_of_order' | 'unknown' {
  for (let i = 0; i < cursor.length; i += 2) {
    if (cursor[i] === timestampMs) return sameValue(cursor[i + 1]!, value) ? 'duplicate' : 'conflict';
  }
  return timestampMs > oldestRemembered(cursor) ? 'out_of_order' : 'unknown';
}

/** Equal samples: the same number, or both stale markers (NaN). */
function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * `parseLe` of the `le` values met: a handful of strings that every bucket series of every
 * request repeats, and a number parsed from a string is a fresh heap number each time.
 */
const leValues = new Map<string, number>();

function leOf(labels: Readonly<Record<string, string>>): number {
  const text = labels['le'];
  if (text === undefined) return Number.NaN;
  let value = leValues.get(text);
  if (value === undefined) {
    value = parseLe(text);
    if (leValues.size < 1024) leValues.set(text, value);
  }
  return value;
}
