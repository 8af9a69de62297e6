/**
 * Prefix sums C(m) of (unit, SLI) pairs that needed an index seek into `hub_sli_agg`, kept in
 * memory with the pair's `late_rev` at the time they were read (sql-store.ts, "Cached
 * prefixes"). An entry answers only while the pair's revision is unchanged; the store
 * checks that against the revision it reads with the rest of the query.
 *
 * Bounded: the boundaries used least recently are dropped first (a fleet query's window
 * starts move with the clock, so old boundaries are never asked again). Each pair has a slot,
 * and each boundary one array of [revision, good, total] per slot: 24 bytes per pair and
 * boundary, about 0.5 MB per window start of a 1,000-unit x 20-SLI fleet. At most 16
 * boundaries and 64 MiB are kept: a fleet of a million pairs keeps two boundaries (24 MB
 * each), and a boundary dropped early is only sought again, never answered wrongly.
 */

/** One pair's prefix at one boundary, and the revision it is valid for. */
export interface CachedPrefix {
  rev: number;
  good: number;
  total: number;
}

/** Boundaries kept by default: a budgets query's window starts and burning-now's six or seven. */
const DEFAULT_MAX_BOUNDARIES = 16;
/** Bytes kept by default, over all boundaries (the newest one is kept whatever its size). */
const DEFAULT_MAX_BYTES = 64 << 20;
/** Slots a boundary's array starts with; it doubles as needed. */
const INITIAL_SLOTS = 64;

export class PrefixCache {
  /** unit -> SLI -> slot; pairs are never deleted, so slots are never reused. */
  readonly #slots = new Map<string, Map<string, number>>();
  #slotCount = 0;
  /** m -> [rev, good, total] per slot (rev NaN: nothing kept); Map order is the use order. */
  readonly #byMinute = new Map<number, Float64Array>();
  readonly #maxBoundaries: number;
  readonly #maxBytes: number;

  constructor(maxBoundaries = DEFAULT_MAX_BOUNDARIES, maxBytes = DEFAULT_MAX_BYTES) {
    this.#maxBoundaries = maxBoundaries;
    this.#maxBytes = maxBytes;
  }

  /** Bytes the kept prefixes take. */
  get bytes(): number {
    let bytes = 0;
    for (const values of this.#byMinute.values()) bytes += values.byteLength;
    return bytes;
  }

  /** Drops the boundaries used least recently, other than `keep`, while over a bound. */
  #evict(keep: number): void {
    let bytes = this.bytes;
    for (const [minute, values] of this.#byMinute) {
      if (this.#byMinute.size <= this.#maxBoundaries && bytes <= this.#maxBytes) break;
      if (minute === keep) continue;
      this.#byMinute.delete(minute);
      bytes -= values.byteLength;
    }
  }

  /** The prefix of (unit, SLI) at `m` read at revision `rev`, if kept. */
  get(minute: number, unitId: string, sli: string, rev: number): CachedPrefix | undefined {
    const slot = this.#slots.get(unitId)?.get(sli);
    const values = this.#byMinute.get(minute);
    if (slot === undefined || values === undefined || 3 * slot >= values.length) return undefined;
    if (values[3 * slot] !== rev) return undefined;
    return { rev, good: values[3 * slot + 1]!, total: values[3 * slot + 2]! };
  }

  /** Whether prefixes at `m` were kept (for some pairs). */
  has(minute: number): boolean {
    return this.#byMinute.has(minute);
  }

  /** Marks `m` as just used, so that it is dropped last. */
  touch(minute: number): void {
    const values = this.#byMinute.get(minute);
    if (values === undefined) return;
    this.#byMinute.delete(minute);
    this.#byMinute.set(minute, values);
  }

  set(minute: number, unitId: string, sli: string, prefix: CachedPrefix): void {
    let slis = this.#slots.get(unitId);
    if (slis === undefined) {
      slis = new Map();
      this.#slots.set(unitId, slis);
    }
    let slot = slis.get(sli);
    if (slot === undefined) {
      slot = this.#slotCount++;
      slis.set(sli, slot);
    }
    let values = this.#byMinute.get(minute);
    if (values === undefined) {
      values = new Float64Array(3 * Math.max(INITIAL_SLOTS, this.#slotCount)).fill(Number.NaN);
      this.#byMinute.set(minute, values);
      this.#evict(minute);
    } else if (3 * slot >= values.length) {
      const grown = new Float64Array(Math.max(2 * values.length, 3 * this.#slotCount)).fill(Number.NaN);
      grown.set(values);
      values = grown;
      this.#byMinute.set(minute, values);
      this.#evict(minute);
    }
    values[3 * slot] = prefix.rev;
    values[3 * slot + 1] = prefix.good;
    values[3 * slot + 2] = prefix.total;
  }

  /** How many prefixes are kept (for tests and metrics). */
  get size(): number {
    let size = 0;
    for (const values of this.#byMinute.values()) {
      for (let i = 0; i < values.length; i += 3) if (!Number.isNaN(values[i])) size++;
    }
    return size;
  }

  clear(): void {
    this.#byMinute.clear();
  }
}
