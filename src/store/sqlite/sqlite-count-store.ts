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
 * - `cache_size` 64 MiB; no `mmap_size`: a cold status of 10,000 series touches about
 *   400 MB of leaf pages, which memory mapping adds to RSS, and measured no faster.
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
import { decodeMinutes, encodeMinutes, MINUTES_PER_HOUR } from './minute-blob.ts';

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
}

/** One cached lookup: the prefix data for minutes of one lookup hour. */
interface HourEntry {
  /** Hour of the row found (the last one at or before the lookup hour), or -1 for none. */
  rowHour: number;
  baseGood: number;
  baseTotal: number;
  endGood: number;
  endTotal: number;
  /** Cumulative in-hour counts: `[0..60]` good, `[61..121]` total; null without minutes. */
  cumulative: Float64Array | null;
}

interface SeriesRecord {
  info: SeriesInfo;
  droppedGood: number;
  droppedTotal: number;
  /** Lookup hour -> entry. */
  cache: Map<number, HourEntry>;
  /** Newest stored hour, -1 for none, undefined until asked. */
  maxHour: number | undefined;
}

type Row = [number, number, number, number, number, Uint8Array | null];

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
    return { ok: true, value: new SqliteCountStore(options.path, retention, durability, cacheHours) };
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
  #resolution: Resolution = { minuteResolutionFromMinute: 0, retainedFromMinute: 0 };
  #dataVersion = 0;
  readonly #byKey = new Map<string, SeriesRecord>();
  readonly #bySli = new Map<string, SeriesRecord[]>();
  readonly #stmt: {
    rowAtOrBefore: StatementSync;
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
  readonly #access: SeriesAccess = {
    good: 0,
    total: 0,
    prefix: (record, minute) => this.#prefix(record, minute),
    visit: (record, fromMinute, toMinute, visit) => this.#visitMinutes(record, fromMinute, toMinute, visit),
    recordOf: (canonical) => this.#byKey.get(canonical),
  };

  constructor(path: string, retention: RetentionPolicy, durability: Durability, cacheHours: number) {
    this.#retention = retention;
    this.#cacheLimit = cacheHours;
    const db = new DatabaseSync(path);
    this.#db = db;
    try {
      SqliteCountStore.#prepareDatabase(db, path, durability);
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
      rowAtOrBefore: rows(
        `SELECT ${columns} FROM hours WHERE series_id = ? AND hour <= ? ORDER BY hour DESC LIMIT 1`,
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
  static #prepareDatabase(db: DatabaseSync, path: string, durability: Durability): void {
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
      PRAGMA cache_size = -65536;
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
   * (Re)reads series and watermarks from the database and empties the cache. Records are
   * updated in place, so series views handed out earlier stay connected to the live cache.
   */
  #loadState(): void {
    const rows = this.#db
      .prepare('SELECT id, sli, key, labels, dropped_good, dropped_total FROM series ORDER BY id')
      .all() as {
      id: number;
      sli: string;
      key: string;
      labels: string;
      dropped_good: number;
      dropped_total: number;
    }[];
    const previous = new Map(this.#byKey);
    this.#byKey.clear();
    this.#bySli.clear();
    this.#cachedHours = 0;
    for (const row of rows) {
      const record = previous.get(row.key) ?? {
        info: {
          id: row.id,
          sli: row.sli,
          labels: JSON.parse(row.labels) as Record<string, string>,
          key: row.key,
        },
        droppedGood: 0,
        droppedTotal: 0,
        cache: new Map<number, HourEntry>(),
        maxHour: undefined,
      };
      record.info.id = row.id;
      record.droppedGood = row.dropped_good;
      record.droppedTotal = row.dropped_total;
      record.cache.clear();
      record.maxHour = undefined;
      this.#remember(record);
    }
    // A series that vanished (its creation rolled back) must not read another's rows by a
    // reused id through views handed out before.
    for (const [key, record] of previous) {
      if (this.#byKey.has(key)) continue;
      record.info.id = -1;
      record.cache.clear();
    }
    const meta = new Map(
      (this.#db.prepare('SELECT name, value FROM meta').all() as { name: string; value: number }[]).map(
        (m) => [m.name, m.value],
      ),
    );
    this.#resolution = {
      minuteResolutionFromMinute: meta.get('minute_resolution_from') ?? 0,
      retainedFromMinute: meta.get('retained_from') ?? 0,
    };
    this.#dataVersion = this.#readDataVersion();
  }

  #readDataVersion(): number {
    return (this.#stmt.dataVersion.get() as unknown as [number])[0];
  }

  #remember(record: SeriesRecord): void {
    this.#byKey.set(record.info.key, record);
    const list = this.#bySli.get(record.info.sli);
    if (list === undefined) this.#bySli.set(record.info.sli, [record]);
    else list.push(record);
  }

  #ensureSeries(key: SeriesKey, canonical: string, created: { count: number }): SeriesRecord {
    const existing = this.#byKey.get(canonical);
    if (existing !== undefined) return existing;
    const labels: Record<string, string> = {};
    for (const name of Object.keys(key.labels).sort()) labels[name] = key.labels[name]!;
    const [id] = this.#stmt.insertSeries.get(key.sli, canonical, JSON.stringify(labels)) as unknown as [
      number,
    ];
    const record: SeriesRecord = {
      info: { id, sli: key.sli, labels, key: canonical },
      droppedGood: 0,
      droppedTotal: 0,
      cache: new Map(),
      maxHour: -1,
    };
    this.#remember(record);
    created.count++;
    return record;
  }

  /** Runs `work` in one write transaction; on any throw rolls back and reloads state. */
  #transaction<T>(work: () => T): T {
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
    if (cached !== undefined) return cached;
    const row = this.#stmt.rowAtOrBefore.get(record.info.id, hour) as unknown as Row | undefined;
    let entry: HourEntry;
    if (row === undefined) {
      entry = {
        rowHour: -1,
        baseGood: record.droppedGood,
        baseTotal: record.droppedTotal,
        endGood: record.droppedGood,
        endTotal: record.droppedTotal,
        cumulative: null,
      };
    } else {
      const [rowHour, baseGood, baseTotal, good, total, minutes] = row;
      let cumulative: Float64Array | null = null;
      if (rowHour === hour && minutes !== null) {
        decodeMinutes(minutes, this.#good, this.#total);
        cumulative = new Float64Array(2 * (MINUTES_PER_HOUR + 1));
        let g = 0;
        let t = 0;
        for (let i = 0; i < MINUTES_PER_HOUR; i++) {
          g += this.#good[i]!;
          t += this.#total[i]!;
          cumulative[i + 1] = g;
          cumulative[MINUTES_PER_HOUR + 2 + i] = t;
        }
      }
      entry = {
        rowHour,
        baseGood,
        baseTotal,
        endGood: baseGood + good,
        endTotal: baseTotal + total,
        cumulative,
      };
    }
    if (this.#cachedHours >= this.#cacheLimit) this.#dropCache();
    record.cache.set(hour, entry);
    this.#cachedHours++;
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
    const c = entry.cumulative;
    if (c === null || offset === 0) {
      // An hour folded to hourly resolution: the boundary is rounded down to the hour.
      out.good = entry.baseGood;
      out.total = entry.baseTotal;
      return;
    }
    out.good = entry.baseGood + c[offset]!;
    out.total = entry.baseTotal + c[MINUTES_PER_HOUR + 1 + offset]!;
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
    const rows = this.#stmt.rowsBetween.all(record.info.id, firstHour, endHour) as unknown as Row[];
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

  #dropCache(): void {
    for (const record of this.#byKey.values()) record.cache.clear();
    this.#cachedHours = 0;
  }

  /** Forgets cached lookups of `record` that a write to `hour` may change. */
  #invalidate(record: SeriesRecord, hour: number): void {
    if (record.cache.size === 0) return;
    for (const lookupHour of record.cache.keys()) {
      if (lookupHour >= hour) {
        record.cache.delete(lookupHour);
        this.#cachedHours--;
      }
    }
  }

  // ---- writes -------------------------------------------------------------------------

  #maxHour(record: SeriesRecord): number {
    if (record.maxHour === undefined) {
      const [max] = this.#stmt.maxHour.get(record.info.id) as unknown as [number | null];
      record.maxHour = max ?? -1;
    }
    return record.maxHour;
  }

  /** Counts of the series before `hour`: the end of the previous row, or the dropped base. */
  #baseBefore(record: SeriesRecord, hour: number): [number, number] {
    const end = this.#stmt.endBefore.get(record.info.id, hour) as unknown as [number, number] | undefined;
    return end ?? [record.droppedGood, record.droppedTotal];
  }

  /**
   * Applies `mutate` to the 60 buckets of each of `hours` (ascending) of one series and keeps
   * every base consistent. The invariant: `base(row) = dropped + sum of the series' earlier
   * rows`. Changes are carried forward as a running shift, so each later row is updated once
   * per batch (a range `UPDATE` between written hours), not once per written hour.
   */
  #applyHours(
    record: SeriesRecord,
    hours: readonly number[],
    mutate: (hour: number, good: Float64Array, total: Float64Array) => void,
  ): void {
    if (hours.length === 0) return;
    const id = record.info.id;
    const good = this.#good;
    const total = this.#total;
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
      if (row === undefined) {
        if (!changed) continue;
        // Earlier rows are already corrected, so the previous row's end is this row's base.
        const [baseGood, baseTotal] = this.#baseBefore(record, hour);
        this.#stmt.insertRow.run(
          id,
          hour,
          baseGood,
          baseTotal,
          newGood,
          newTotal,
          encodeMinutes(good, total),
        );
        if (record.maxHour !== undefined && hour > record.maxHour) record.maxHour = hour;
      } else if (changed || shiftGood !== 0 || shiftTotal !== 0) {
        const blob = changed ? encodeMinutes(good, total) : row[5];
        this.#stmt.updateRow.run(shiftGood, shiftTotal, newGood, newTotal, blob, id, hour);
      }
      shiftGood += newGood - oldGood;
      shiftTotal += newTotal - oldTotal;
    }
    const last = hours[hours.length - 1]!;
    if ((shiftGood !== 0 || shiftTotal !== 0) && last < this.#maxHour(record)) {
      this.#stmt.shiftAfter.run(shiftGood, shiftTotal, id, last);
    }
    this.#invalidate(record, hours[0]!);
  }

  #write(
    writes: readonly CountWrite[],
    additive: boolean,
    alongside?: (db: DatabaseSync) => void,
  ): StoreResult<WriteSummary> {
    const issues = checkWrites(writes, this.#resolution);
    if (issues.length > 0) return { ok: false, issues };
    // Group by series, then hour, keeping batch order inside a bucket (last write wins).
    const groups = new Map<string, { key: SeriesKey; hours: Map<number, CountWrite[]> }>();
    // Batches from parsers share one labels object per distinct label set: key it once.
    const keys = new Map<object, { sli: string; key: string }>();
    for (const w of writes) {
      let known = keys.get(w.labels);
      if (known === undefined || known.sli !== w.sli) {
        known = { sli: w.sli, key: seriesKeyOf(w) };
        keys.set(w.labels, known);
      }
      const canonical = known.key;
      let group = groups.get(canonical);
      if (group === undefined) {
        group = { key: w, hours: new Map() };
        groups.set(canonical, group);
      }
      const hour = Math.floor(w.minute / MINUTES_PER_HOUR);
      const list = group.hours.get(hour);
      if (list === undefined) group.hours.set(hour, [w]);
      else list.push(w);
    }
    const created = { count: 0 };
    this.#transaction(() => {
      for (const [canonical, group] of groups) {
        const record = this.#ensureSeries(group.key, canonical, created);
        const hours = [...group.hours.keys()].sort((a, b) => a - b);
        this.#applyHours(record, hours, (hour, good, total) => {
          const start = hour * MINUTES_PER_HOUR;
          for (const w of group.hours.get(hour)!) {
            const i = w.minute - start;
            if (additive) {
              good[i]! += w.good;
              total[i]! += w.total;
            } else {
              good[i] = w.good;
              total[i] = w.total;
            }
          }
        });
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
    const id = record.info.id;
    let [baseGood, baseTotal] = this.#baseBefore(record, firstHour);
    const good = this.#good;
    const total = this.#total;
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
      baseGood += hourGood;
      baseTotal += hourTotal;
      record.maxHour = hour;
    }
    this.#invalidate(record, firstHour);
  }

  async listSeries(sli?: string): Promise<SeriesInfo[]> {
    const records = sli === undefined ? [...this.#byKey.values()] : (this.#bySli.get(sli) ?? []);
    return records.map((r) => ({ ...r.info, labels: { ...r.info.labels } })).sort((a, b) => a.id - b.id);
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
        const record = this.#byKey.get(canonical);
        return record === undefined
          ? new PendingSeries(this.#access, canonical)
          : new StoredSeries(this.#access, record);
      },
      sliSeries: (sli) => {
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
      for (const record of this.#byKey.values()) {
        const id = record.info.id;
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
