/**
 * The default `CountStore`: SQLite through the built-in `node:sqlite`.
 *
 * ## Layout: one row per (series, hour)
 *
 * ```sql
 * hours(series_id, hour,            -- primary key, WITHOUT ROWID: rows of a series are adjacent
 *       base_good, base_total,      -- cumulative counts of the series before this hour
 *       good, total,                -- this hour's sums
 *       minutes BLOB)               -- the 60 buckets (minute-blob.ts); NULL once folded to hourly
 * ```
 *
 * The prefix sum `P(m)` (SLO-MATH.md, "Counts") is one row: take the last row with
 * `hour <= floor(m / 60)`; if it is m's own hour, `P(m) = base + sum of its first m % 60
 * buckets`; otherwise `P(m) = base + hour sum`. So `sum(from, to) = P(to) - P(from)` is two
 * row reads for a 5-minute window and for a quarter alike. Data before the retention
 * horizon is summed into the series row (`dropped_*`), the base of the first kept hour.
 *
 * Writes keep the bases right: writing an hour shifts the bases of the series' later hours
 * by the change of its sums. In-order ingest writes the newest hour (nothing to shift); a
 * late bucket into an older hour updates that row plus one indexed `UPDATE` over the later
 * hours of that series only (672 rows for 28 days; rare by nature). A batch carries its
 * changes forward as a running shift, so each later row is rewritten once per batch.
 *
 * ## Bytes per series-minute
 *
 * Stored: the blob is 3 bytes plus, per minute, the width of `total` and of `bad` (1, 2, 4
 * or 8 bytes; 0 for an all-zero array): 2 bytes for totals under 65,536/min in an hour
 * without errors, 3 with a few errors. The row adds about 45 bytes per hour (key varints, 4
 * REALs that SQLite stores as small integers, cell overhead). So 2.8-4 bytes per
 * series-minute; measured 3.96 with `benchmark.ts` (100-4,000 requests/min, errors in 5 % of
 * minutes): 1.5 GiB for 10,000 series x 28 days. A 28-day series is about 160 KB. Hours
 * folded to hourly resolution keep about 45 bytes per series-hour.
 *
 * Read per evaluation: an occurrences SLO with the four Workbook tiers reads the prefix at
 * 11 boundaries (at, at-5m, -30m, -1h, -90m, -2h, -6h, -1d, -3d, and the window start),
 * which fall in 7-9 distinct hour rows: 1.6-2.1 KB per series cold, about 0.05 bytes per
 * series-minute of a 28-day window. Warm (the hour rows at the current boundaries are
 * cached, decoded into cumulative arrays, about 1.1 KB each) it reads nothing from SQLite.
 *
 * ## The cache: one entry per (series, lookup hour), kept right by writes
 *
 * An entry holds what `P(m)` needs for the minutes of one lookup hour L: the row found (the
 * last at or before L), its base and sums, and, when that row is L itself, its cumulative
 * minutes (in a shared slab, so a cold status allocates no array per row). Writes through
 * this store correct the entries in place instead of dropping them, so a status one minute
 * after a write reads only boundary hours it never read before. A batch leaving rows
 * W1 < ... < Wk of a series written (updated or inserted; an empty hour it did not insert
 * changed nothing), each with its new base and sums and the batch's running shift after it,
 * changes an entry at L >= W1 as follows, with Wj the last written row <= L:
 *
 * - Wj = L: the entry becomes row L with its new minutes (set while writing it);
 * - the entry's row is at or before Wj: Wj is now the last row <= L (rows inserted <= L are
 *   at or before Wj too): the entry becomes Wj's base and sums;
 * - the entry's row R is after Wj: R is still the last row <= L and was not written; its
 *   base moved by the shift after Wj (the written hours in (Wj, L] inserted nothing, so
 *   they changed nothing), exactly as the `UPDATE` that moved it in SQLite.
 *
 * Entries before W1 are unchanged. The patched entry holds the same numbers, computed by
 * the same operations, as a fresh read, so results do not depend on what was cached. At the
 * `cacheHours` limit the entries not read during the last `cacheHours / 2` misses (boundary
 * hours the clock has moved past) are dropped; everything only when that frees less than a
 * quarter. Commits of other connections and retention runs drop the cache.
 *
 * A miss reads one row (about 7 µs with `node:sqlite`, most of it per-statement cost). When
 * the series before it, in the order series became known (the order a status walks them),
 * missed the same lookup hour last, a status of many series is under way: the rows of that
 * hour of the next 32 series are read with one statement (about 4 µs a row) and staged until
 * each series asks; any write discards them. Entries are still made when a series asks, so
 * each series' entries stay together in memory; building them in bursts, or reading ahead
 * 128 or 256 series, made the following warm statuses slower (V8 then pretenured the SLO
 * engine's allocations). A cold status of 10,000 SLOs on a warm page cache: 20-25 % faster.
 *
 * Series are looked up by key when first asked for (about 10 µs each), so a process that
 * evaluates a few SLOs of a large store does not load every series; past 1,024 lookups, and
 * for `listSeries`, `sliSeries` and retention, all series are loaded at once.
 *
 * ## SQLite settings
 *
 * - `page_size = 8192`: a page holds about 35 typical rows, so the boundaries at, -5m .. -6h
 *   of one series share one or two pages; rows up to 2 KB (the largest blob is 963 bytes)
 *   stay in-page, never in overflow pages.
 * - `journal_mode = WAL`: readers (API, portal) never block the ingest writer nor the
 *   reverse; a crash never leaves a half-written batch.
 * - `synchronous = FULL` by default: a batch acknowledged is on disk (ARCHITECTURE.md,
 *   principle 5); the cost is one fsync per batch, and batches are per scrape, not per
 *   bucket. `NORMAL` (may lose the last batches on power loss, never corrupts) and `OFF`
 *   (bulk loads into a file you can rebuild) are options.
 * - `cache_size` 8 MiB by default (`pageCacheBytes`); no `mmap_size`. The page cache is
 *   resident memory of the process that owns the store, and what it saves is small: the
 *   decoded hours a status needs are in this store's own cache (below), a miss reads
 *   rows of one or two leaf pages per series, and writes touch the newest leaf page of
 *   each series written (10,000 series: about 290 pages, 2.3 MiB). The kernel's page
 *   cache keeps the file's pages anyway, outside the process. A cold status of 10,000
 *   series touches about 400 MB of leaf pages, which 64 MiB could not hold either; on a
 *   unit with 10,000 series × 35 days, 8 MiB instead of 64 MiB took 58 MB off the
 *   resident memory after the first evaluation, with the same evaluation time
 *   (`npm run bench -- unit-startup`). Memory mapping would add those 400 MB to RSS and
 *   measured no faster.
 * - `auto_vacuum = INCREMENTAL`: space freed by retention is returned after each run.
 * - `temp_store = MEMORY`, `busy_timeout = 5000`.
 * - Every statement is prepared once; every batch is one `BEGIN IMMEDIATE` transaction.
 *
 * One `SqliteCountStore` should own a database file for writing (one writer per record,
 * ARCHITECTURE.md principle 3). Other connections may read and write; a reader notices
 * their commits (`PRAGMA data_version`) and drops its cache.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { type CountSeries, type CountTotals, sumSeries } from '../../slo/index.ts';
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
  type StoreIssue,
  type StoreResult,
  type WriteSummary,
} from '../types.ts';
import { checkDenseWrites, checkRetention, checkWrites, nextResolution, seriesKeyOf } from '../validate.ts';
import { decodeMinutes, encodeMinutes, encodeMinutesTransient, MINUTES_PER_HOUR } from './minute-blob.ts';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  sli TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  labels TEXT NOT NULL,
  dropped_good REAL NOT NULL DEFAULT 0,
  dropped_total REAL NOT NULL DEFAULT 0
);
CREATE TABLE hours (
  series_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  base_good REAL NOT NULL,
  base_total REAL NOT NULL,
  good REAL NOT NULL,
  total REAL NOT NULL,
  minutes BLOB,
  PRIMARY KEY (series_id, hour)
) WITHOUT ROWID;
CREATE TABLE meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('minute_resolution_from', 0), ('retained_from', 0);
`;

/** How hard a committed batch is pushed to disk (SQLite `synchronous`). */
export type Durability = 'full' | 'normal' | 'off';

/** Options of `openSqliteCountStore`. */
export interface SqliteCountStoreOptions {
  /** Database file, or `':memory:'` for a throwaway store. */
  path: string;
  retention?: RetentionPolicy;
  /** Default 'full'; see the module comment. */
  durability?: Durability;
  /** Hour rows kept decoded in memory (about 1.1 KB each). Default 200,000 (< 250 MB). */
  cacheHours?: number;
  /** SQLite's own page cache (`cache_size`), in bytes. Default 8 MiB; see the module comment. */
  pageCacheBytes?: number;
}

/** Default `pageCacheBytes`. */
const PAGE_CACHE_BYTES = 8 << 20;

/** One cached lookup: the prefix data for minutes of one lookup hour (module comment). */
interface HourEntry {
  /** Hour of the row found (the last one at or before the lookup hour), or -1 for none. */
  rowHour: number;
  baseGood: number;
  baseTotal: number;
  /** The row's sums (0 without a row). */
  hourGood: number;
  hourTotal: number;
  /** `base + hour sum`. */
  endGood: number;
  endTotal: number;
  /** Slab slot of the row's cumulative minutes when `rowHour` is the lookup hour, else -1. */
  slot: number;
  /** `#misses` when last read: how recently (in cache misses) the entry was used. */
  usedAt: number;
}

interface SeriesRecord {
  /** -1 once the series is gone (its creation rolled back). */
  id: number;
  /** Index in `#order`. */
  position: number;
  sli: string;
  /** The canonical key (`seriesKeyOf`). */
  key: string;
  /** As stored (JSON) until first asked for: opening a store parses no labels. */
  labels: Record<string, string> | string;
  droppedGood: number;
  droppedTotal: number;
  /** Lookup hour -> entry. */
  cache: Map<number, HourEntry>;
  /** Newest stored hour, -1 for none, undefined until asked. */
  maxHour: number | undefined;
}

/** A row as a batch left it, for correcting cached entries (module comment). */
interface WrittenRow {
  hour: number;
  baseGood: number;
  baseTotal: number;
  hourGood: number;
  hourTotal: number;
  /** The batch's change of the series' counts up to and including this hour. */
  shiftGood: number;
  shiftTotal: number;
}

type Row = [number, number, number, number, number, Uint8Array | null];
type SeriesRow = [number, string, string, string, number, number];

/** Cumulative minutes of one cached hour: good before minute i at `i`, total at `61 + i`. */
const STRIDE = 2 * (MINUTES_PER_HOUR + 1);
/** Slots per slab, as a power of two (256 slots, 244 KiB). */
const SLAB_BITS = 8;
const SLAB_MASK = (1 << SLAB_BITS) - 1;
/** Series whose row of one lookup hour is read at once when a status sweeps series (`#read`). */
const READ_AHEAD_SERIES = 32;
/** Series looked up one by one before all are loaded at once (module comment). */
const LAZY_LOOKUPS = 1024;

function newRecord(
  id: number,
  sli: string,
  key: string,
  labels: Record<string, string> | string,
  droppedGood: number,
  droppedTotal: number,
): SeriesRecord {
  return {
    id,
    position: -1,
    sli,
    key,
    labels,
    droppedGood,
    droppedTotal,
    cache: new Map(),
    maxHour: undefined,
  };
}

const EMPTY_SERIES: CountSeries = sumSeries([]);

/**
 * Opens (creating when needed) a SQLite count store.
 * @example const store = openSqliteCountStore({ path: '.sextant/counts.db' });
 */
export function openSqliteCountStore(options: SqliteCountStoreOptions): StoreResult<SqliteCountStore> {
  const retention = options.retention ?? DEFAULT_RETENTION;
  const issues = checkRetention(retention);
  const cacheHours = options.cacheHours ?? 200_000;
  if (!(Number.isSafeInteger(cacheHours) && cacheHours > 0)) {
    issues.push({
      code: STORE_ISSUE_CODES.invalidOption,
      path: ['cacheHours'],
      message: 'cacheHours must be a positive integer',
    });
  }
  const pageCacheBytes = options.pageCacheBytes ?? PAGE_CACHE_BYTES;
  if (!(Number.isSafeInteger(pageCacheBytes) && pageCacheBytes >= 0)) {
    issues.push({
      code: STORE_ISSUE_CODES.invalidOption,
      path: ['pageCacheBytes'],
      message: 'pageCacheBytes must be a non-negative integer',
    });
  }
  const durability = options.durability ?? 'full';
  if (!DURABILITIES.includes(durability)) {
    issues.push({
      code: STORE_ISSUE_CODES.invalidOption,
      path: ['durability'],
      message: `durability must be one of ${DURABILITIES.join(', ')}`,
    });
  }
  if (issues.length > 0) return { ok: false, issues };
  try {
    return {
      ok: true,
      value: new SqliteCountStore(options.path, retention, { durability, cacheHours, pageCacheBytes }),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [
        {
          code: STORE_ISSUE_CODES.invalidOption,
          path: ['path'],
          message: `cannot open ${options.path}: ${message}`,
        },
      ],
    };
  }
}

const DURABILITIES: readonly Durability[] = ['full', 'normal', 'off'];

/** The SQLite `CountStore`; open it with `openSqliteCountStore`. */
export class SqliteCountStore implements CountStore {
  readonly #db: DatabaseSync;
  readonly #retention: RetentionPolicy;
  readonly #cacheLimit: number;
  #cachedHours = 0;
  /** Cache misses so far: the clock of `HourEntry.usedAt`. */
  #misses = 0;
  #resolution: Resolution = { minuteResolutionFromMinute: 0, retainedFromMinute: 0 };
  #dataVersion = 0;
  /** Every series when `#allLoaded`, else those asked for so far. */
  readonly #byKey = new Map<string, SeriesRecord>();
  readonly #bySli = new Map<string, SeriesRecord[]>();
  /** The series of `#byKey` in the order they became known (by id once all are loaded). */
  readonly #order: SeriesRecord[] = [];
  /** Per lookup hour, the series that missed it last (`#read`). */
  readonly #lastMiss = new Map<number, SeriesRecord>();
  /** Per lookup hour, rows read ahead by series id (null: no row); cleared by every write. */
  readonly #staged = new Map<number, Map<number, Row | null>>();
  /** Series keys of frozen labels objects (the unit's SLI series), for every batch (`#write`). */
  readonly #frozenKeys = new WeakMap<object, { sli: string; key: string }>();
  #allLoaded = false;
  /** Series looked up one by one since the last `#loadState` (`#find`). */
  #lookups = 0;
  /** Keys looked up and not found since the last `#loadState`. */
  readonly #absent = new Set<string>();
  // Cumulative minutes of cached hours, `STRIDE` doubles per slot, `1 << SLAB_BITS` slots per slab.
  readonly #slabs: Float64Array[] = [];
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  readonly #stmt: {
    seriesByKey: StatementSync;
    allSeries: StatementSync;
    meta: StatementSync;
    rowAtOrBefore: StatementSync;
    rowsAtOrBefore: StatementSync;
    rowAt: StatementSync;
    endBefore: StatementSync;
    maxHour: StatementSync;
    insertRow: StatementSync;
    updateRow: StatementSync;
    shiftBetween: StatementSync;
    shiftAfter: StatementSync;
    insertSeries: StatementSync;
    rowsBetween: StatementSync;
    compact: StatementSync;
    dropBefore: StatementSync;
    setDropped: StatementSync;
    setMeta: StatementSync;
    dataVersion: StatementSync;
  };
  // Scratch buffers: every write decodes into them, so the write path allocates little.
  readonly #good = new Float64Array(MINUTES_PER_HOUR);
  readonly #total = new Float64Array(MINUTES_PER_HOUR);
  readonly #priorGood = new Float64Array(MINUTES_PER_HOUR);
  readonly #priorTotal = new Float64Array(MINUTES_PER_HOUR);
  readonly #readGood = new Float64Array(MINUTES_PER_HOUR);
  readonly #readTotal = new Float64Array(MINUTES_PER_HOUR);
  readonly #access: SeriesAccess = {
    good: 0,
    total: 0,
    prefix: (record, minute) => this.#prefix(record, minute),
    visit: (record, fromMinute, toMinute, visit) => this.#visitMinutes(record, fromMinute, toMinute, visit),
    recordOf: (canonical) => this.#find(canonical),
  };

  constructor(
    path: string,
    retention: RetentionPolicy,
    settings: { durability: Durability; cacheHours: number; pageCacheBytes: number },
  ) {
    this.#retention = retention;
    this.#cacheLimit = settings.cacheHours;
    const db = new DatabaseSync(path);
    this.#db = db;
    try {
      SqliteCountStore.#prepareDatabase(db, path, settings.durability, settings.pageCacheBytes);
    } catch (error) {
      db.close();
      throw error;
    }
    const rows = (sql: string) => {
      const statement = db.prepare(sql);
      statement.setReturnArrays(true);
      return statement;
    };
    const columns = 'hour, base_good, base_total, good, total, minutes';
    this.#stmt = {
      seriesByKey: rows('SELECT id, sli, key, labels, dropped_good, dropped_total FROM series WHERE key = ?'),
      allSeries: rows('SELECT id, sli, key, labels, dropped_good, dropped_total FROM series ORDER BY id'),
      meta: rows('SELECT name, value FROM meta'),
      // The minutes only of the lookup hour's own row: an older row needs its sums alone.
      rowAtOrBefore: rows(
        `SELECT hour, base_good, base_total, good, total, CASE WHEN hour = ?2 THEN minutes END
         FROM hours WHERE series_id = ?1 AND hour <= ?2 ORDER BY hour DESC LIMIT 1`,
      ),
      // `rowAtOrBefore` for a JSON array of series ids (a `Row` plus the id); `json_each`
      // drives the outer loop.
      rowsAtOrBefore: rows(
        `SELECT h.hour, h.base_good, h.base_total, h.good, h.total,
                CASE WHEN h.hour = ?1 THEN h.minutes END, j.value
         FROM json_each(?2) AS j JOIN hours AS h ON h.series_id = j.value
          AND h.hour = (SELECT max(hour) FROM hours WHERE series_id = j.value AND hour <= ?1)`,
      ),
      rowAt: rows(`SELECT ${columns} FROM hours WHERE series_id = ? AND hour = ?`),
      endBefore: rows(
        'SELECT base_good + good, base_total + total FROM hours WHERE series_id = ? AND hour < ? ORDER BY hour DESC LIMIT 1',
      ),
      maxHour: rows('SELECT max(hour) FROM hours WHERE series_id = ?'),
      insertRow: db.prepare(
        'INSERT INTO hours (series_id, hour, base_good, base_total, good, total, minutes) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      updateRow: db.prepare(
        `UPDATE hours SET base_good = base_good + ?, base_total = base_total + ?, good = ?, total = ?, minutes = ?
         WHERE series_id = ? AND hour = ?`,
      ),
      shiftBetween: db.prepare(
        'UPDATE hours SET base_good = base_good + ?, base_total = base_total + ? WHERE series_id = ? AND hour > ? AND hour < ?',
      ),
      shiftAfter: db.prepare(
        'UPDATE hours SET base_good = base_good + ?, base_total = base_total + ? WHERE series_id = ? AND hour > ?',
      ),
      insertSeries: rows('INSERT INTO series (sli, key, labels) VALUES (?, ?, ?) RETURNING id'),
      rowsBetween: rows(
        `SELECT ${columns} FROM hours WHERE series_id = ? AND hour >= ? AND hour < ? ORDER BY hour`,
      ),
      compact: db.prepare(
        'UPDATE hours SET minutes = NULL WHERE series_id = ? AND hour >= ? AND hour < ? AND minutes IS NOT NULL',
      ),
      dropBefore: db.prepare('DELETE FROM hours WHERE series_id = ? AND hour < ?'),
      setDropped: db.prepare('UPDATE series SET dropped_good = ?, dropped_total = ? WHERE id = ?'),
      setMeta: db.prepare('UPDATE meta SET value = ? WHERE name = ?'),
      dataVersion: rows('PRAGMA data_version'),
    };
    this.#loadState();
  }

  /** Applies the settings of the module comment and creates the schema on first use. */
  static #prepareDatabase(
    db: DatabaseSync,
    path: string,
    durability: Durability,
    pageCacheBytes: number,
  ): void {
    const userVersion = () =>
      (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    const version = userVersion();
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${path}: count store schema ${version} is newer than this Sextant (${SCHEMA_VERSION})`,
      );
    }
    // page_size and auto_vacuum only take effect before the first table exists.
    if (version === 0) db.exec('PRAGMA page_size = 8192; PRAGMA auto_vacuum = INCREMENTAL;');
    db.exec(`PRAGMA journal_mode = WAL;
      PRAGMA synchronous = ${durability.toUpperCase()};
      PRAGMA cache_size = -${Math.floor(pageCacheBytes / 1024)};
      PRAGMA temp_store = MEMORY;
      PRAGMA busy_timeout = 5000;`);
    if (version === 0) {
      db.exec('BEGIN IMMEDIATE');
      try {
        // Another process may have created the schema while we waited for the lock.
        if (userVersion() === 0) {
          db.exec(SCHEMA);
          db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        }
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    }
  }

  /**
   * (Re)reads watermarks and the series known so far from the database and empties the
   * cache. Records are updated in place, so series views handed out earlier stay connected
   * to the live cache.
   */
  #loadState(): void {
    const previous = new Map(this.#byKey);
    for (const record of previous.values()) {
      record.cache.clear();
      record.maxHour = undefined;
    }
    this.#dropCache();
    this.#byKey.clear();
    this.#bySli.clear();
    this.#order.length = 0;
    this.#absent.clear();
    this.#lookups = 0;
    if (this.#allLoaded || previous.size > LAZY_LOOKUPS) this.#loadAll(previous);
    else {
      for (const record of previous.values()) {
        const row = this.#stmt.seriesByKey.get(record.key) as unknown as SeriesRow | undefined;
        if (row === undefined) record.id = -1;
        else this.#remember(this.#refresh(record, row));
      }
    }
    const meta = new Map(this.#stmt.meta.all() as unknown as [string, number][]);
    this.#resolution = {
      minuteResolutionFromMinute: meta.get('minute_resolution_from') ?? 0,
      retainedFromMinute: meta.get('retained_from') ?? 0,
    };
    this.#dataVersion = this.#readDataVersion();
  }

  /**
   * Loads every series, reusing the records of `previous` by key. A record that vanished (its
   * creation rolled back) gets id -1, so views handed out before cannot read another series'
   * rows by a reused id.
   */
  #loadAll(previous: ReadonlyMap<string, SeriesRecord> = new Map(this.#byKey)): void {
    const rows = this.#stmt.allSeries.all() as unknown as SeriesRow[];
    this.#byKey.clear();
    this.#bySli.clear();
    this.#order.length = 0;
    for (const row of rows) {
      const record = previous.get(row[2]);
      this.#remember(
        record === undefined
          ? newRecord(row[0], row[1], row[2], row[3], row[4], row[5])
          : this.#refresh(record, row),
      );
    }
    for (const [key, record] of previous) if (!this.#byKey.has(key)) record.id = -1;
    this.#allLoaded = true;
    this.#absent.clear();
  }

  #refresh(record: SeriesRecord, row: SeriesRow): SeriesRecord {
    record.id = row[0];
    record.droppedGood = row[4];
    record.droppedTotal = row[5];
    return record;
  }

  /** The record of a canonical key, looking it up in the database when not known yet. */
  #find(canonical: string): SeriesRecord | undefined {
    const known = this.#byKey.get(canonical);
    if (known !== undefined || this.#allLoaded || this.#absent.has(canonical)) return known;
    if (++this.#lookups > LAZY_LOOKUPS) {
      this.#loadAll();
      return this.#byKey.get(canonical);
    }
    const row = this.#stmt.seriesByKey.get(canonical) as unknown as SeriesRow | undefined;
    if (row === undefined) {
      this.#absent.add(canonical);
      return undefined;
    }
    const record = newRecord(row[0], row[1], row[2], row[3], row[4], row[5]);
    this.#remember(record);
    return record;
  }

  /** Every series (loading them all first). */
  #all(): IterableIterator<SeriesRecord> {
    if (!this.#allLoaded) this.#loadAll();
    return this.#byKey.values();
  }

  #labelsOf(record: SeriesRecord): Record<string, string> {
    if (typeof record.labels === 'string')
      record.labels = JSON.parse(record.labels) as Record<string, string>;
    return record.labels;
  }

  #readDataVersion(): number {
    return (this.#stmt.dataVersion.get() as unknown as [number])[0];
  }

  #remember(record: SeriesRecord): void {
    this.#byKey.set(record.key, record);
    record.position = this.#order.length;
    this.#order.push(record);
    const list = this.#bySli.get(record.sli);
    if (list === undefined) this.#bySli.set(record.sli, [record]);
    else list.push(record);
  }

  #ensureSeries(key: SeriesKey, canonical: string, created: { count: number }): SeriesRecord {
    const existing = this.#find(canonical);
    if (existing !== undefined) return existing;
    const labels: Record<string, string> = {};
    for (const name of Object.keys(key.labels).sort()) labels[name] = key.labels[name]!;
    const [id] = this.#stmt.insertSeries.get(key.sli, canonical, JSON.stringify(labels)) as unknown as [
      number,
    ];
    const record = newRecord(id, key.sli, canonical, labels, 0, 0);
    record.maxHour = -1;
    this.#absent.delete(canonical);
    this.#remember(record);
    created.count++;
    return record;
  }

  /** Runs `work` in one write transaction; on any throw rolls back and reloads state. */
  #transaction<T>(work: () => T): T {
    // Rows read ahead may be what this write changes.
    this.#staged.clear();
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      // Under the write lock: if another connection committed, our series and cache are stale.
      if (this.#readDataVersion() !== this.#dataVersion) this.#loadState();
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      this.#loadState();
      throw error;
    }
  }

  // ---- reads --------------------------------------------------------------------------

  #entry(record: SeriesRecord, hour: number): HourEntry {
    const cached = record.cache.get(hour);
    if (cached !== undefined) {
      cached.usedAt = this.#misses;
      return cached;
    }
    // A series that vanished reads as its dropped counts, uncached: nothing would drop them.
    if (record.id < 0) return this.#newEntry(record, undefined);
    if (this.#cachedHours >= this.#cacheLimit) this.#evict();
    const entry = this.#newEntry(record, this.#read(record, hour));
    record.cache.set(hour, entry);
    this.#cachedHours++;
    return entry;
  }

  /**
   * The row of lookup `hour` of a series. When the series before it (in the order series
   * became known) missed the same hour last, a status of many series is under way: the
   * rows of that hour of the next `READ_AHEAD_SERIES` series are read with one statement and
   * staged until asked for (entries are still made per series, in the order of reads).
   */
  #read(record: SeriesRecord, hour: number): Row | undefined {
    const before = this.#lastMiss.get(hour);
    if (this.#lastMiss.size >= 64) this.#lastMiss.clear();
    this.#lastMiss.set(hour, record);
    const staged = this.#staged.get(hour);
    if (staged?.has(record.id)) {
      const row = staged.get(record.id)!;
      staged.delete(record.id);
      return row ?? undefined;
    }
    if (before === undefined || this.#order[record.position - 1] !== before) {
      return this.#stmt.rowAtOrBefore.get(record.id, hour) as unknown as Row | undefined;
    }
    const batch = new Map<number, Row | null>();
    for (let i = record.position; i < this.#order.length && batch.size < READ_AHEAD_SERIES; i++) {
      const next = this.#order[i]!;
      if (next.id >= 0 && !next.cache.has(hour)) batch.set(next.id, null);
    }
    // Rows with the series id after the `Row` columns.
    const rows = this.#stmt.rowsAtOrBefore.all(hour, JSON.stringify([...batch.keys()])) as unknown as [
      ...Row,
      number,
    ][];
    for (const row of rows) batch.set(row[6], row as unknown as Row);
    const row = batch.get(record.id) ?? undefined;
    batch.delete(record.id);
    if (this.#staged.size >= 64) this.#staged.clear();
    this.#staged.set(hour, batch);
    return row;
  }

  /** The entry of a row found for a lookup (with minutes when it is the lookup hour's own). */
  #newEntry(record: SeriesRecord, row: Row | undefined): HourEntry {
    if (row === undefined) {
      return {
        rowHour: -1,
        baseGood: record.droppedGood,
        baseTotal: record.droppedTotal,
        hourGood: 0,
        hourTotal: 0,
        endGood: record.droppedGood,
        endTotal: record.droppedTotal,
        slot: -1,
        usedAt: ++this.#misses,
      };
    }
    const [rowHour, baseGood, baseTotal, good, total, minutes] = row;
    const entry: HourEntry = {
      rowHour,
      baseGood,
      baseTotal,
      hourGood: good,
      hourTotal: total,
      endGood: baseGood + good,
      endTotal: baseTotal + total,
      slot: -1,
      usedAt: ++this.#misses,
    };
    // `minutes` is selected for the lookup hour's own row only; null once folded.
    if (minutes !== null) {
      decodeMinutes(minutes, this.#readGood, this.#readTotal);
      entry.slot = this.#allocateSlot();
      this.#accumulate(entry.slot, this.#readGood, this.#readTotal);
    }
    return entry;
  }

  /** Sets `#access.good`/`.total` to the counts of the series before `minute`. */
  #prefix(record: SeriesRecord, minute: number): void {
    const out = this.#access;
    const hour = Math.floor(minute / MINUTES_PER_HOUR);
    const entry = this.#entry(record, hour);
    if (entry.rowHour !== hour) {
      out.good = entry.endGood;
      out.total = entry.endTotal;
      return;
    }
    const offset = minute - hour * MINUTES_PER_HOUR;
    const slot = entry.slot;
    if (slot < 0 || offset === 0) {
      // An hour folded to hourly resolution: the boundary is rounded down to the hour.
      out.good = entry.baseGood;
      out.total = entry.baseTotal;
      return;
    }
    const slab = this.#slabs[slot >>> SLAB_BITS]!;
    const at = (slot & SLAB_MASK) * STRIDE + offset;
    out.good = entry.baseGood + slab[at]!;
    out.total = entry.baseTotal + slab[at + MINUTES_PER_HOUR + 1]!;
  }

  /** Visits stored minutes with counts in `[fromMinute, toMinute)`; folded hours at their first minute. */
  #visitMinutes(
    record: SeriesRecord,
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void {
    if (toMinute <= fromMinute) return;
    const firstHour = Math.floor(fromMinute / MINUTES_PER_HOUR);
    const endHour = Math.ceil(toMinute / MINUTES_PER_HOUR);
    const rows = this.#stmt.rowsBetween.all(record.id, firstHour, endHour) as unknown as Row[];
    const good = new Float64Array(MINUTES_PER_HOUR);
    const total = new Float64Array(MINUTES_PER_HOUR);
    for (const [hour, , , hourGood, hourTotal, minutes] of rows) {
      const start = hour * MINUTES_PER_HOUR;
      if (minutes === null) {
        if (start >= fromMinute && start < toMinute && (hourGood !== 0 || hourTotal !== 0))
          visit(start, hourGood, hourTotal);
        continue;
      }
      decodeMinutes(minutes, good, total);
      for (let i = 0; i < MINUTES_PER_HOUR; i++) {
        const minute = start + i;
        if (minute < fromMinute || minute >= toMinute) continue;
        if (good[i] !== 0 || total[i] !== 0) visit(minute, good[i]!, total[i]!);
      }
    }
  }

  #allocateSlot(): number {
    const free = this.#freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.#nextSlot++;
    if (slot >>> SLAB_BITS === this.#slabs.length)
      this.#slabs.push(new Float64Array((SLAB_MASK + 1) * STRIDE));
    return slot;
  }

  /** Writes the cumulative sums of one hour's minutes into `slot`. */
  #accumulate(slot: number, good: Float64Array, total: Float64Array): void {
    const slab = this.#slabs[slot >>> SLAB_BITS]!;
    const at = (slot & SLAB_MASK) * STRIDE;
    const totalAt = at + MINUTES_PER_HOUR + 1;
    let g = 0;
    let t = 0;
    slab[at] = 0;
    slab[totalAt] = 0;
    for (let i = 0; i < MINUTES_PER_HOUR; i++) {
      g += good[i]!;
      t += total[i]!;
      slab[at + 1 + i] = g;
      slab[totalAt + 1 + i] = t;
    }
  }

  #dropCache(): void {
    for (const record of this.#byKey.values()) record.cache.clear();
    this.#cachedHours = 0;
    this.#nextSlot = 0;
    this.#freeSlots.length = 0;
    this.#lastMiss.clear();
    this.#staged.clear();
  }

  /**
   * Makes room at the cache limit: drops the entries not read during the last `cacheHours / 2`
   * misses (boundary hours the clock has moved past), or everything when that frees less than
   * a quarter of the cache (what is read exceeds it), so a sweep is paid for by as many misses.
   */
  #evict(): void {
    const before = this.#cachedHours;
    const recent = this.#misses - this.#cacheLimit / 2;
    for (const record of this.#byKey.values()) {
      for (const [hour, entry] of record.cache) {
        if (entry.usedAt >= recent) continue;
        record.cache.delete(hour);
        if (entry.slot >= 0) this.#freeSlots.push(entry.slot);
        this.#cachedHours--;
      }
    }
    if (before - this.#cachedHours < this.#cacheLimit / 4) this.#dropCache();
  }

  /**
   * Brings the cached entry of lookup `hour` to row `hour` as a batch left it (base, sums,
   * minutes `good`/`total`). With no entry there, makes one when `hour` is the newest row of a
   * series being read: the next status asks for it.
   */
  #patchOwnHour(record: SeriesRecord, row: WrittenRow, good: Float64Array, total: Float64Array): void {
    let entry = record.cache.get(row.hour);
    if (entry === undefined) {
      const newest = record.maxHour !== undefined && row.hour >= record.maxHour;
      if (!newest || this.#cachedHours >= this.#cacheLimit) return;
      entry = {
        rowHour: row.hour,
        baseGood: 0,
        baseTotal: 0,
        hourGood: 0,
        hourTotal: 0,
        endGood: 0,
        endTotal: 0,
        slot: -1,
        usedAt: ++this.#misses,
      };
      record.cache.set(row.hour, entry);
      this.#cachedHours++;
    }
    entry.rowHour = row.hour;
    entry.baseGood = row.baseGood;
    entry.baseTotal = row.baseTotal;
    entry.hourGood = row.hourGood;
    entry.hourTotal = row.hourTotal;
    entry.endGood = row.baseGood + row.hourGood;
    entry.endTotal = row.baseTotal + row.hourTotal;
    if (entry.slot < 0) entry.slot = this.#allocateSlot();
    this.#accumulate(entry.slot, good, total);
  }

  /** Corrects the cached entries of lookup hours other than `written` ones (module comment). */
  #patchLater(record: SeriesRecord, written: readonly WrittenRow[]): void {
    if (written.length === 0) return;
    const first = written[0]!.hour;
    for (const [hour, entry] of record.cache) {
      if (hour < first) continue;
      // The last written row at or before the lookup hour.
      let lo = 0;
      let hi = written.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (written[mid]!.hour <= hour) lo = mid;
        else hi = mid - 1;
      }
      const row = written[lo]!;
      if (row.hour === hour) continue; // #patchOwnHour set it
      if (row.hour >= entry.rowHour) {
        // The entry's row was before the lookup hour, so it had no minutes (slot -1).
        entry.rowHour = row.hour;
        entry.baseGood = row.baseGood;
        entry.baseTotal = row.baseTotal;
        entry.hourGood = row.hourGood;
        entry.hourTotal = row.hourTotal;
      } else {
        entry.baseGood += row.shiftGood;
        entry.baseTotal += row.shiftTotal;
      }
      entry.endGood = entry.baseGood + entry.hourGood;
      entry.endTotal = entry.baseTotal + entry.hourTotal;
    }
  }

  // ---- writes -------------------------------------------------------------------------

  #maxHour(record: SeriesRecord): number {
    if (record.maxHour === undefined) {
      const [max] = this.#stmt.maxHour.get(record.id) as unknown as [number | null];
      record.maxHour = max ?? -1;
    }
    return record.maxHour;
  }

  /** Counts of the series before `hour`: the end of the previous row, or the dropped base. */
  #baseBefore(record: SeriesRecord, hour: number): [number, number] {
    const end = this.#stmt.endBefore.get(record.id, hour) as unknown as [number, number] | undefined;
    return end ?? [record.droppedGood, record.droppedTotal];
  }

  /**
   * Applies `mutate` to the 60 buckets of each of `hours` (ascending) of one series and keeps
   * every base consistent. The invariant: `base(row) = dropped + sum of the series' earlier
   * rows`. Changes are carried forward as a running shift, so each later row is updated once
   * per batch (a range `UPDATE` between written hours), not once per written hour. Cached
   * entries of the series are corrected as the module comment says.
   */
  #applyHours(
    record: SeriesRecord,
    hours: readonly number[],
    mutate: (hour: number, good: Float64Array, total: Float64Array) => void,
  ): void {
    if (hours.length === 0) return;
    const id = record.id;
    const good = this.#good;
    const total = this.#total;
    // Rows as this batch leaves them, when the series has cached entries to correct.
    const written: WrittenRow[] | null = record.cache.size > 0 ? [] : null;
    let shiftGood = 0;
    let shiftTotal = 0;
    let previous: number | undefined;
    for (const hour of hours) {
      if (previous !== undefined && (shiftGood !== 0 || shiftTotal !== 0)) {
        this.#stmt.shiftBetween.run(shiftGood, shiftTotal, id, previous, hour);
      }
      previous = hour;
      const row = this.#stmt.rowAt.get(id, hour) as unknown as Row | undefined;
      let oldGood = 0;
      let oldTotal = 0;
      if (row === undefined) {
        good.fill(0);
        total.fill(0);
      } else {
        const minutes = row[5];
        // Writes before the minute-resolution watermark are refused before we get here; a
        // folded hour means another connection moved the watermark.
        if (minutes === null) throw new Error(`hour ${hour} of series ${id} is folded to hourly resolution`);
        decodeMinutes(minutes, good, total);
        oldGood = row[3];
        oldTotal = row[4];
      }
      this.#priorGood.set(good);
      this.#priorTotal.set(total);
      mutate(hour, good, total);
      let changed = false;
      let newGood = 0;
      let newTotal = 0;
      for (let i = 0; i < MINUTES_PER_HOUR; i++) {
        if (good[i] !== this.#priorGood[i] || total[i] !== this.#priorTotal[i]) changed = true;
        newGood += good[i]!;
        newTotal += total[i]!;
      }
      let baseGood: number;
      let baseTotal: number;
      if (row === undefined) {
        if (!changed) continue;
        // Earlier rows are already corrected, so the previous row's end is this row's base.
        [baseGood, baseTotal] = this.#baseBefore(record, hour);
        this.#stmt.insertRow.run(
          id,
          hour,
          baseGood,
          baseTotal,
          newGood,
          newTotal,
          encodeMinutesTransient(good, total),
        );
        if (record.maxHour !== undefined && hour > record.maxHour) record.maxHour = hour;
      } else {
        // The same additions as the UPDATE's `base_good + ?`: the cache gets SQLite's numbers.
        baseGood = row[1] + shiftGood;
        baseTotal = row[2] + shiftTotal;
        if (changed || shiftGood !== 0 || shiftTotal !== 0) {
          const blob = changed ? encodeMinutesTransient(good, total) : row[5];
          this.#stmt.updateRow.run(shiftGood, shiftTotal, newGood, newTotal, blob, id, hour);
        }
      }
      shiftGood += newGood - oldGood;
      shiftTotal += newTotal - oldTotal;
      if (written !== null) {
        const done = {
          hour,
          baseGood,
          baseTotal,
          hourGood: newGood,
          hourTotal: newTotal,
          shiftGood,
          shiftTotal,
        };
        written.push(done);
        this.#patchOwnHour(record, done, good, total);
      }
    }
    const last = hours[hours.length - 1]!;
    if ((shiftGood !== 0 || shiftTotal !== 0) && last < this.#maxHour(record)) {
      this.#stmt.shiftAfter.run(shiftGood, shiftTotal, id, last);
    }
    if (written !== null) this.#patchLater(record, written);
  }

  #write(
    writes: readonly CountWrite[],
    additive: boolean,
    alongside?: (db: DatabaseSync) => void,
  ): StoreResult<WriteSummary> {
    const issues = checkWrites(writes, this.#resolution);
    if (issues.length > 0) return { ok: false, issues };
    // Group by series (in order of first appearance), then hour, keeping batch order inside
    // a bucket (last write wins): write indexes sorted by series, hour and position. Typed
    // arrays and one sort instead of a map of hours and a list per series: the unit writes
    // every batch, and those were a fifth of what it allocated under load.
    const count = writes.length;
    const groupOf = new Int32Array(count);
    const groupIds = new Map<string, number>();
    const canonicals: string[] = [];
    const firsts: number[] = [];
    // Batches from parsers share one labels object per distinct label set: key it once.
    const keys = new Map<object, { sli: string; key: string }>();
    for (let i = 0; i < count; i++) {
      const w = writes[i]!;
      // A frozen labels object cannot change, so its key holds across batches too.
      const known = Object.isFrozen(w.labels) ? this.#frozenKeys : keys;
      let key = known.get(w.labels);
      if (key === undefined || key.sli !== w.sli) {
        key = { sli: w.sli, key: seriesKeyOf(w) };
        known.set(w.labels, key);
      }
      let group = groupIds.get(key.key);
      if (group === undefined) {
        group = canonicals.length;
        groupIds.set(key.key, group);
        canonicals.push(key.key);
        firsts.push(i);
      }
      groupOf[i] = group;
    }
    const hourOf = (i: number) => Math.floor(writes[i]!.minute / MINUTES_PER_HOUR);
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((a, b) => groupOf[a]! - groupOf[b]! || hourOf(a) - hourOf(b) || a - b);
    // The writes of the series being applied are `order[from, to)`, by hour: `#applyHours`
    // asks for its hours in ascending order, each once, so `next` walks them.
    let from = 0;
    let to = 0;
    let next = 0;
    const mutate = (hour: number, good: Float64Array, total: Float64Array) => {
      const start = hour * MINUTES_PER_HOUR;
      while (next < to && hourOf(order[next]!) < hour) next++;
      for (; next < to && hourOf(order[next]!) === hour; next++) {
        const w = writes[order[next]!]!;
        const i = w.minute - start;
        if (additive) {
          good[i]! += w.good;
          total[i]! += w.total;
        } else {
          good[i] = w.good;
          total[i] = w.total;
        }
      }
    };
    const created = { count: 0 };
    this.#transaction(() => {
      for (from = 0; from < count; from = to) {
        const group = groupOf[order[from]!]!;
        const hours: number[] = [];
        for (to = from; to < count && groupOf[order[to]!] === group; to++) {
          const hour = hourOf(order[to]!);
          if (hours[hours.length - 1] !== hour) hours.push(hour);
        }
        const record = this.#ensureSeries(writes[firsts[group]!]!, canonicals[group]!, created);
        next = from;
        this.#applyHours(record, hours, mutate);
      }
      alongside?.(this.#db);
    });
    return { ok: true, value: { buckets: writes.length, createdSeries: created.count } };
  }

  /**
   * `put` and the caller's own statements in one transaction: the Observability Unit
   * keeps its ingest cursors and alert states in the same file, so a batch is either
   * counted with its cursors moved, or not at all (exactly once across crashes). If
   * `alongside` throws, nothing of the batch is written.
   */
  putSyncWith(
    writes: readonly CountWrite[],
    alongside: (db: DatabaseSync) => void,
  ): StoreResult<WriteSummary> {
    return this.#write(writes, false, alongside);
  }

  /**
   * The connection, for tables that must share this file's transactions (see
   * `putSyncWith`). Callers must not touch the `hours`, `series` and `meta` tables.
   */
  get database(): DatabaseSync {
    return this.#db;
  }

  /** Sets buckets; the last write of a bucket wins. See `CountStore`. */
  async put(writes: readonly CountWrite[]): Promise<StoreResult<WriteSummary>> {
    return this.#write(writes, false);
  }

  /** Adds to buckets. See `CountStore`. */
  async add(writes: readonly CountWrite[]): Promise<StoreResult<WriteSummary>> {
    return this.#write(writes, true);
  }

  /**
   * Sets every minute of ranges of series in one transaction. Appending after a series'
   * newest hour (backfills, bulk loads) inserts rows directly with running bases: no reads.
   */
  async putDense(writes: readonly DenseWrite[]): Promise<StoreResult<WriteSummary>> {
    return this.putDenseSync(writes);
  }

  /** `putDense` without the promise, for bulk loaders that drive many batches in a loop. */
  putDenseSync(writes: readonly DenseWrite[]): StoreResult<WriteSummary> {
    const issues = checkDenseWrites(writes, this.#resolution);
    if (issues.length > 0) return { ok: false, issues };
    const created = { count: 0 };
    let buckets = 0;
    this.#transaction(() => {
      for (const w of writes) {
        buckets += w.good.length;
        if (w.good.length === 0) continue;
        const record = this.#ensureSeries(w, seriesKeyOf(w), created);
        const end = w.startMinute + w.good.length;
        const firstHour = Math.floor(w.startMinute / MINUTES_PER_HOUR);
        const lastHour = Math.floor((end - 1) / MINUTES_PER_HOUR);
        const fill = (hour: number, good: Float64Array, total: Float64Array) => {
          const start = hour * MINUTES_PER_HOUR;
          const from = Math.max(start, w.startMinute);
          const to = Math.min(start + MINUTES_PER_HOUR, end);
          for (let m = from; m < to; m++) {
            good[m - start] = w.good[m - w.startMinute]!;
            total[m - start] = w.total[m - w.startMinute]!;
          }
        };
        if (this.#maxHour(record) < firstHour) this.#append(record, firstHour, lastHour, fill);
        else {
          const hours: number[] = [];
          for (let hour = firstHour; hour <= lastHour; hour++) hours.push(hour);
          this.#applyHours(record, hours, fill);
        }
      }
    });
    return { ok: true, value: { buckets, createdSeries: created.count } };
  }

  /** Inserts hours after the series' newest one, carrying the base forward. */
  #append(
    record: SeriesRecord,
    firstHour: number,
    lastHour: number,
    fill: (hour: number, good: Float64Array, total: Float64Array) => void,
  ): void {
    const id = record.id;
    let [baseGood, baseTotal] = this.#baseBefore(record, firstHour);
    const good = this.#good;
    const total = this.#total;
    const written: WrittenRow[] | null = record.cache.size > 0 ? [] : null;
    let shiftGood = 0;
    let shiftTotal = 0;
    for (let hour = firstHour; hour <= lastHour; hour++) {
      good.fill(0);
      total.fill(0);
      fill(hour, good, total);
      let hourGood = 0;
      let hourTotal = 0;
      for (let i = 0; i < MINUTES_PER_HOUR; i++) {
        hourGood += good[i]!;
        hourTotal += total[i]!;
      }
      if (hourTotal === 0 && hourGood === 0) continue;
      this.#stmt.insertRow.run(
        id,
        hour,
        baseGood,
        baseTotal,
        hourGood,
        hourTotal,
        encodeMinutes(good, total),
      );
      record.maxHour = hour;
      if (written !== null) {
        shiftGood += hourGood;
        shiftTotal += hourTotal;
        const done = { hour, baseGood, baseTotal, hourGood, hourTotal, shiftGood, shiftTotal };
        written.push(done);
        this.#patchOwnHour(record, done, good, total);
      }
      baseGood += hourGood;
      baseTotal += hourTotal;
    }
    if (written !== null) this.#patchLater(record, written);
  }

  async listSeries(sli?: string): Promise<SeriesInfo[]> {
    const all = this.#all();
    const records = sli === undefined ? [...all] : (this.#bySli.get(sli) ?? []);
    return records
      .map((r) => ({ id: r.id, sli: r.sli, labels: { ...this.#labelsOf(r) }, key: r.key }))
      .sort((a, b) => a.id - b.id);
  }

  async reader(): Promise<CountReader> {
    return this.readerSync();
  }

  /** `reader` without the promise. */
  readerSync(): CountReader {
    // Another connection committed since we last looked: what we cached may be stale.
    if (this.#readDataVersion() !== this.#dataVersion) this.#loadState();
    return {
      resolution: { ...this.#resolution },
      series: (key) => {
        const canonical = seriesKeyOf(key);
        const record = this.#find(canonical);
        return record === undefined
          ? new PendingSeries(this.#access, canonical)
          : new StoredSeries(this.#access, record);
      },
      sliSeries: (sli) => {
        if (!this.#allLoaded) this.#loadAll();
        const records = this.#bySli.get(sli) ?? [];
        if (records.length === 1) return new StoredSeries(this.#access, records[0]!);
        return sumSeries(records.map((record) => new StoredSeries(this.#access, record)));
      },
    };
  }

  async applyRetention(nowMinute: number): Promise<StoreResult<RetentionReport>> {
    if (!(Number.isSafeInteger(nowMinute) && nowMinute >= 0)) {
      const issue: StoreIssue = {
        code: STORE_ISSUE_CODES.invalidValue,
        path: ['nowMinute'],
        message: 'nowMinute must be a non-negative integer epoch minute',
      };
      return { ok: false, issues: [issue] };
    }
    const before = this.#resolution;
    const next = nextResolution(before, this.#retention, nowMinute);
    const fromHourBefore = before.minuteResolutionFromMinute / MINUTES_PER_HOUR;
    const fromHour = next.minuteResolutionFromMinute / MINUTES_PER_HOUR;
    const retainedHour = next.retainedFromMinute / MINUTES_PER_HOUR;
    let compactedHours = 0;
    let droppedHours = 0;
    this.#transaction(() => {
      for (const record of this.#all()) {
        const id = record.id;
        if (fromHour > fromHourBefore) {
          compactedHours += Number(this.#stmt.compact.run(id, fromHourBefore, fromHour).changes);
        }
        if (next.retainedFromMinute > before.retainedFromMinute) {
          const end = this.#stmt.endBefore.get(id, retainedHour) as unknown as [number, number] | undefined;
          if (end !== undefined) {
            droppedHours += Number(this.#stmt.dropBefore.run(id, retainedHour).changes);
            this.#stmt.setDropped.run(end[0], end[1], id);
            record.droppedGood = end[0];
            record.droppedTotal = end[1];
          }
        }
      }
      this.#stmt.setMeta.run(next.minuteResolutionFromMinute, 'minute_resolution_from');
      this.#stmt.setMeta.run(next.retainedFromMinute, 'retained_from');
    });
    this.#resolution = next;
    this.#dropCache();
    if (droppedHours > 0 || compactedHours > 0) this.#db.exec('PRAGMA incremental_vacuum');
    return { ok: true, value: { ...next, compactedHours, droppedHours } };
  }

  /** Current watermarks. */
  get resolution(): Resolution {
    return { ...this.#resolution };
  }

  /** Pragma values in effect, for diagnostics and tests. */
  settings(): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const name of [
      'page_size',
      'journal_mode',
      'synchronous',
      'cache_size',
      'mmap_size',
      'auto_vacuum',
    ]) {
      const row = this.#db.prepare(`PRAGMA ${name}`).get() as Record<string, string | number> | undefined;
      if (row !== undefined) out[name] = Object.values(row)[0]!;
    }
    return out;
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** `close` without the promise. */
  closeSync(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** What series views need from their store, kept off the store's public surface. */
interface SeriesAccess {
  /** Sets `good`/`total` to the counts before `minute` (output fields: no allocation per read). */
  prefix(record: SeriesRecord, minute: number): void;
  good: number;
  total: number;
  visit(
    record: SeriesRecord,
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void;
  recordOf(canonical: string): SeriesRecord | undefined;
}

/** A stored series as the engine's `CountSeries`: two prefix reads per `sum`. */
class StoredSeries implements CountSeries {
  readonly #access: SeriesAccess;
  readonly #record: SeriesRecord;

  constructor(access: SeriesAccess, record: SeriesRecord) {
    this.#access = access;
    this.#record = record;
  }

  sum(fromMinute: number, toMinute: number): CountTotals {
    if (toMinute <= fromMinute) return { good: 0, total: 0 };
    const access = this.#access;
    access.prefix(this.#record, toMinute);
    const good = access.good;
    const total = access.total;
    access.prefix(this.#record, fromMinute);
    return { good: good - access.good, total: total - access.total };
  }

  forEachMinute(
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void {
    this.#access.visit(this.#record, fromMinute, toMinute, visit);
  }
}

/** A series not written yet when asked for: zeros until it appears. */
class PendingSeries implements CountSeries {
  readonly #access: SeriesAccess;
  readonly #key: string;
  #found: StoredSeries | undefined;

  constructor(access: SeriesAccess, key: string) {
    this.#access = access;
    this.#key = key;
  }

  #resolve(): CountSeries {
    if (this.#found !== undefined) return this.#found;
    const record = this.#access.recordOf(this.#key);
    if (record === undefined) return EMPTY_SERIES;
    this.#found = new StoredSeries(this.#access, record);
    return this.#found;
  }

  sum(fromMinute: number, toMinute: number): CountTotals {
    return this.#resolve().sum(fromMinute, toMinute);
  }

  forEachMinute(
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void {
    this.#resolve().forEachMinute(fromMinute, toMinute, visit);
  }
}
