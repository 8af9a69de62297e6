/**
 * The SLI count store contract: exact per-minute good/total counts per SLI series, read
 * back as the SLO engine's `CountSeries`. Every backend (SQLite now, PostgreSQL later)
 * implements `CountStore` and passes `describeCountStoreConformance` (conformance.ts).
 */
import type { CountSeries } from '../slo/index.ts';

/**
 * One SLI series: an SLI id (`service/sli`) plus the values of its significant labels.
 * Two keys name the same series when the SLI and the label pairs are equal, whatever the
 * order the labels were written in.
 */
export interface SeriesKey {
  sli: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * Counts of one bucket `(series, minute)`: `minute` is an epoch minute
 * (`Math.floor(ms / 60_000)`); `0 <= good <= total`, both finite. Threshold SLIs write
 * slice verdicts (good slices, slices). Counts stay exact while they are multiples of 0.5
 * (apdex halves) and their sums stay below 2^52.
 */
export interface CountWrite extends SeriesKey {
  minute: number;
  good: number;
  total: number;
}

/**
 * Every minute of `[startMinute, startMinute + good.length)` of one series, for backfills
 * and bulk loads: each minute is set as by `put` (a 0/0 minute clears the bucket).
 */
export interface DenseWrite extends SeriesKey {
  startMinute: number;
  good: ArrayLike<number>;
  total: ArrayLike<number>;
}

/** A stored series and the integer id the store assigned to it. */
export interface SeriesInfo {
  id: number;
  sli: string;
  labels: Record<string, string>;
  /** The canonical key (`seriesKeyOf`). */
  key: string;
}

/** The closed set of issue codes stores report. */
export const STORE_ISSUE_CODES = {
  /** A count, minute or label is not acceptable (negative, not finite, good > total, ...). */
  invalidValue: 'invalid_value',
  /** A write falls before the store's retention watermarks (see `Resolution`). */
  outsideRetention: 'outside_retention',
  /** A retention policy or option is inconsistent. */
  invalidOption: 'invalid_option',
} as const;

/** One of `STORE_ISSUE_CODES`. */
export type StoreIssueCode = (typeof STORE_ISSUE_CODES)[keyof typeof STORE_ISSUE_CODES];

/** What is wrong with an input and where (`path` indexes into the batch, e.g. `[3, 'good']`). */
export interface StoreIssue {
  code: StoreIssueCode;
  path: (string | number)[];
  message: string;
}

/** Success with a value, or failure with every issue found (STYLE.md, "Errors are data"). */
export type StoreResult<T> = { ok: true; value: T } | { ok: false; issues: StoreIssue[] };

/** What a write batch did. */
export interface WriteSummary {
  /** Buckets in the batch (dense writes: minutes covered). */
  buckets: number;
  /** Series created by this batch. */
  createdSeries: number;
}

/**
 * How long each resolution is kept, in minutes, counted back from the `nowMinute` given
 * to `applyRetention`. Minute buckets older than `minuteRetentionMinutes` are folded into
 * their hour; hours older than `hourRetentionMinutes` are dropped. Both are whole hours.
 */
export interface RetentionPolicy {
  minuteRetentionMinutes: number;
  hourRetentionMinutes: number;
}

/** Per-minute for 35 days, hourly for 400 days. */
export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({
  minuteRetentionMinutes: 35 * 1440,
  hourRetentionMinutes: 400 * 1440,
});

/**
 * Where the store's data is exact. Both are hour-aligned epoch minutes and only move
 * forward (0 until `applyRetention` first moves them).
 *
 * - A window boundary `m >= minuteResolutionFromMinute` is exact to the minute.
 * - A boundary `m < minuteResolutionFromMinute` is rounded **down** to its hour start:
 *   `sum(from, to)` then covers `[floor(from / 60) * 60, ...)`, and `forEachMinute`
 *   reports each such hour's counts at its first minute.
 * - Counts before `retainedFromMinute` are gone: a window reaching back there counts
 *   only what is still kept.
 */
export interface Resolution {
  minuteResolutionFromMinute: number;
  retainedFromMinute: number;
}

/** What one `applyRetention` call changed. */
export interface RetentionReport extends Resolution {
  /** Hour rows whose minute buckets were folded into the hour. */
  compactedHours: number;
  /** Hour rows deleted. */
  droppedHours: number;
}

/**
 * Synchronous reads for the SLO engine. `sum` of every series costs a fixed number of
 * boundary reads whatever the window (5 minutes or a quarter).
 */
export interface CountReader {
  readonly resolution: Resolution;
  /** One series; a series never written reads as zeros. */
  series(key: SeriesKey): CountSeries;
  /**
   * Every series of an SLI summed: counts are added across label values, ratios are formed
   * afterwards (SLO-MATH.md, "Aggregating series of one SLI"). An unknown SLI reads as zeros.
   */
  sliSeries(sli: string): CountSeries;
}

/**
 * A durable store of exact per-minute SLI counts.
 *
 * Write semantics, the same for every backend:
 * - `put` sets a bucket: **the last write wins** (in call order, and in batch order within
 *   a batch). Writing the same value twice changes nothing; late and out-of-order buckets
 *   are accepted and correct every window that contains them.
 * - `add` adds to a bucket, for ingest paths that accumulate deltas; additions commute.
 * - A batch is all-or-nothing: if any write is invalid, nothing is written and every
 *   problem comes back as an issue; state is never half-updated.
 * - Writes before `Resolution.minuteResolutionFromMinute` are refused (`outside_retention`):
 *   the minute they would replace is no longer kept.
 *
 * Methods are asynchronous so network backends fit the same contract; `reader()` returns
 * synchronous series because the engine is synchronous.
 */
export interface CountStore {
  put(writes: readonly CountWrite[]): Promise<StoreResult<WriteSummary>>;
  add(writes: readonly CountWrite[]): Promise<StoreResult<WriteSummary>>;
  putDense(writes: readonly DenseWrite[]): Promise<StoreResult<WriteSummary>>;
  /** Every series, or those of one SLI, ordered by id. */
  listSeries(sli?: string): Promise<SeriesInfo[]>;
  /**
   * A reader over the current data. It sees later writes made through this store; writes
   * by other connections or processes become visible from the next `reader()` call.
   */
  reader(): Promise<CountReader>;
  /** Folds and drops old data per the store's `RetentionPolicy`, as of `nowMinute`. */
  applyRetention(nowMinute: number): Promise<StoreResult<RetentionReport>>;
  close(): Promise<void>;
}
