/**
 * The reference `CountStore`: a map of buckets per series, summed by brute force. It is the
 * executable statement of the contract that faster backends are checked against, and a
 * store for tests and tiny data sets. `sum` costs O(buckets of the series).
 */
import { type CountSeries, type CountTotals, sumSeries } from '../slo/index.ts';
import {
  type CountReader,
  type CountStore,
  type CountWrite,
  DEFAULT_RETENTION,
  type DenseWrite,
  type Resolution,
  type RetentionPolicy,
  type RetentionReport,
  type SeriesInfo,
  type SeriesKey,
  STORE_ISSUE_CODES,
  type StoreResult,
  type WriteSummary,
} from './types.ts';
import { checkDenseWrites, checkRetention, checkWrites, nextResolution, seriesKeyOf } from './validate.ts';

interface MemorySeries {
  info: SeriesInfo;
  /** minute -> [good, total]; compacted hours hold their sum at the hour's first minute. */
  buckets: Map<number, [number, number]>;
}

const NO_BUCKETS: ReadonlyMap<number, [number, number]> = new Map();

/** One series looked up at every call, so writes after the view was made are seen. */
class MemorySeriesView implements CountSeries {
  readonly #key: string;
  readonly #store: MemoryCountStore;

  constructor(key: string, store: MemoryCountStore) {
    this.#key = key;
    this.#store = store;
  }

  get #buckets(): ReadonlyMap<number, [number, number]> {
    return this.#store.bucketsOf(this.#key);
  }

  /** Boundaries in the hourly zone are rounded down to the hour, as `Resolution` says. */
  #boundary(minute: number): number {
    return minute < this.#store.resolution.minuteResolutionFromMinute ? Math.floor(minute / 60) * 60 : minute;
  }

  sum(fromMinute: number, toMinute: number): CountTotals {
    const from = this.#boundary(fromMinute);
    const to = this.#boundary(toMinute);
    let good = 0;
    let total = 0;
    if (to <= from) return { good, total };
    for (const [minute, [g, t]] of this.#buckets) {
      if (minute >= from && minute < to) {
        good += g;
        total += t;
      }
    }
    return { good, total };
  }

  forEachMinute(
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void {
    const buckets = this.#buckets;
    const minutes = [...buckets.keys()].filter((m) => m >= fromMinute && m < toMinute).sort((a, b) => a - b);
    for (const minute of minutes) {
      const [good, total] = buckets.get(minute)!;
      if (good !== 0 || total !== 0) visit(minute, good, total);
    }
  }
}

/** Options of the reference store. */
export interface MemoryCountStoreOptions {
  retention?: RetentionPolicy;
}

/** The reference store; see the module comment. */
export class MemoryCountStore implements CountStore {
  resolution: Resolution = { minuteResolutionFromMinute: 0, retainedFromMinute: 0 };
  readonly #retention: RetentionPolicy;
  readonly #series = new Map<string, MemorySeries>();
  #nextId = 1;

  constructor(options: MemoryCountStoreOptions = {}) {
    this.#retention = options.retention ?? DEFAULT_RETENTION;
    const issues = checkRetention(this.#retention);
    if (issues.length > 0) throw new TypeError(issues.map((i) => i.message).join('; '));
  }

  #ensure(key: SeriesKey, created: { count: number }): MemorySeries {
    const canonical = seriesKeyOf(key);
    let series = this.#series.get(canonical);
    if (series === undefined) {
      series = {
        info: { id: this.#nextId++, sli: key.sli, labels: { ...key.labels }, key: canonical },
        buckets: new Map(),
      };
      this.#series.set(canonical, series);
      created.count++;
    }
    return series;
  }

  #apply(writes: readonly CountWrite[], additive: boolean): StoreResult<WriteSummary> {
    const issues = checkWrites(writes, this.resolution);
    if (issues.length > 0) return { ok: false, issues };
    const created = { count: 0 };
    for (const w of writes) {
      const series = this.#ensure(w, created);
      const before = series.buckets.get(w.minute);
      if (additive && before !== undefined)
        series.buckets.set(w.minute, [before[0] + w.good, before[1] + w.total]);
      else series.buckets.set(w.minute, [w.good, w.total]);
    }
    return { ok: true, value: { buckets: writes.length, createdSeries: created.count } };
  }

  async put(writes: readonly CountWrite[]): Promise<StoreResult<WriteSummary>> {
    return this.#apply(writes, false);
  }

  async add(writes: readonly CountWrite[]): Promise<StoreResult<WriteSummary>> {
    return this.#apply(writes, true);
  }

  async putDense(writes: readonly DenseWrite[]): Promise<StoreResult<WriteSummary>> {
    const issues = checkDenseWrites(writes, this.resolution);
    if (issues.length > 0) return { ok: false, issues };
    const created = { count: 0 };
    let buckets = 0;
    for (const w of writes) {
      const series = this.#ensure(w, created);
      for (let i = 0; i < w.good.length; i++)
        series.buckets.set(w.startMinute + i, [w.good[i]!, w.total[i]!]);
      buckets += w.good.length;
    }
    return { ok: true, value: { buckets, createdSeries: created.count } };
  }

  async listSeries(sli?: string): Promise<SeriesInfo[]> {
    return [...this.#series.values()]
      .filter((s) => sli === undefined || s.info.sli === sli)
      .map((s) => ({ ...s.info, labels: { ...s.info.labels } }))
      .sort((a, b) => a.id - b.id);
  }

  async reader(): Promise<CountReader> {
    const store = this;
    return {
      get resolution() {
        return { ...store.resolution };
      },
      series: (key) => new MemorySeriesView(seriesKeyOf(key), this),
      sliSeries: (sli) =>
        sumSeries(
          [...this.#series.values()]
            .filter((s) => s.info.sli === sli)
            .map((s) => new MemorySeriesView(s.info.key, this)),
        ),
    };
  }

  /** The buckets of a series by canonical key; empty when it was never written. */
  bucketsOf(key: string): ReadonlyMap<number, [number, number]> {
    return this.#series.get(key)?.buckets ?? NO_BUCKETS;
  }

  async applyRetention(nowMinute: number): Promise<StoreResult<RetentionReport>> {
    if (!(Number.isSafeInteger(nowMinute) && nowMinute >= 0)) {
      return {
        ok: false,
        issues: [
          {
            code: STORE_ISSUE_CODES.invalidValue,
            path: ['nowMinute'],
            message: 'nowMinute must be an epoch minute',
          },
        ],
      };
    }
    const next = nextResolution(this.resolution, this.#retention, nowMinute);
    const compacted = new Set<string>();
    const dropped = new Set<string>();
    for (const series of this.#series.values()) {
      const folded = new Map<number, [number, number]>();
      for (const [minute, counts] of series.buckets) {
        const hourStart = Math.floor(minute / 60) * 60;
        if (minute < next.retainedFromMinute) {
          if (counts[0] !== 0 || counts[1] !== 0) dropped.add(`${series.info.id}:${hourStart}`);
          series.buckets.delete(minute);
        } else if (minute < next.minuteResolutionFromMinute && minute !== hourStart) {
          if (minute >= this.resolution.minuteResolutionFromMinute)
            compacted.add(`${series.info.id}:${hourStart}`);
          const into = folded.get(hourStart) ?? series.buckets.get(hourStart) ?? [0, 0];
          folded.set(hourStart, [into[0] + counts[0], into[1] + counts[1]]);
          series.buckets.delete(minute);
        }
      }
      for (const [hourStart, counts] of folded) series.buckets.set(hourStart, counts);
    }
    this.resolution = next;
    return {
      ok: true,
      value: { ...next, compactedHours: compacted.size, droppedHours: dropped.size },
    };
  }

  async close(): Promise<void> {}
}
