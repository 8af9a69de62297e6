/**
 * The unit's durable state, all in one SQLite file so a batch commits atomically with
 * everything it moves: SLI counts (the count store's tables), ingest cursors (the last
 * sample of each raw series), per-minute role sums, and alert states.
 *
 * That single transaction is the exactly-once promise: after a crash, a batch is either
 * counted with its cursors moved (a resend is then a duplicate) or not at all (a resend
 * counts it). See docs/unit.md, "Durability".
 */

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  IngestPlan,
  OutcomeCounts,
  ReducerStateSource,
  RoleSums,
  SeriesCursor,
} from '../ingest/index.ts';
import {
  BatchReducer,
  cursorEnded,
  cursorTimestampMs,
  decodeCursor,
  ENDED_CURSOR_RETENTION_MS,
  encodeCursorHistory,
} from '../ingest/index.ts';
import type { AlertState } from '../slo/index.ts';
import {
  type CountReader,
  openSqliteCountStore,
  type RetentionPolicy,
  type SqliteCountStore,
} from '../store/index.ts';
import { Outbox, type OutboxSettings, type UnsequencedRecord } from './outbox.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS unit_cursors (
  key TEXT PRIMARY KEY, ts INTEGER NOT NULL, value REAL NOT NULL, history BLOB
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unit_sums (
  sli TEXT NOT NULL, labels TEXT NOT NULL, minute INTEGER NOT NULL, sums BLOB NOT NULL,
  PRIMARY KEY (sli, labels, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unit_sums_minute ON unit_sums (minute);
CREATE TABLE IF NOT EXISTS unit_alerts (slo TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unit_kv (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/** Role sums older than this are final: late samples for them count as too old. */
export const LATE_SAMPLE_HORIZON_MINUTES = 180;
/** Minutes of role sums kept in memory, counted back from the newest one written. */
const SUMS_CACHE_MINUTES = 5;

/** The result of applying one batch. */
export interface ApplyResult {
  outcomes: OutcomeCounts & { too_old: number };
  buckets: number;
}

/**
 * Where `encodeSums` writes: every batch writes the role sums it moved, and a statement
 * binding a blob copies it, so one buffer serves them all.
 */
const sumsFloats = new Float64Array(11);
const sumsBytes = new Uint8Array(sumsFloats.buffer);

/** The role sums as 11 float64s: a view on `sumsFloats`, valid until the next call. */
function encodeSums(sums: RoleSums): Uint8Array {
  const values = sumsFloats;
  values[0] = sums.good;
  values[1] = sums.bad;
  values[2] = sums.total;
  values[3] = sums.satisfied;
  values[4] = sums.tolerated;
  values[5] = sums.gaugeCount;
  values[6] = sums.gaugeSum;
  values[7] = sums.gaugeMin;
  values[8] = sums.gaugeMax;
  values[9] = sums.gaugeLast;
  values[10] = sums.gaugeLastMs;
  return sumsBytes;
}

function decodeSums(blob: Uint8Array): RoleSums {
  const copy = new Uint8Array(blob); // aligned copy
  const v = new Float64Array(copy.buffer, 0, 11);
  return {
    good: v[0]!,
    bad: v[1]!,
    total: v[2]!,
    satisfied: v[3]!,
    tolerated: v[4]!,
    gaugeCount: v[5]!,
    gaugeSum: v[6]!,
    gaugeMin: v[7]!,
    gaugeMax: v[8]!,
    gaugeLast: v[9]!,
    gaugeLastMs: v[10]!,
  };
}

/** The unit's state over one database file. */
export class UnitState implements ReducerStateSource {
  readonly store: SqliteCountStore;
  readonly db: DatabaseSync;
  #outbox: Outbox | undefined;
  readonly #cursors = new Map<string, SeriesCursor>();
  /**
   * Role sums of the newest `SUMS_CACHE_MINUTES` minutes written, by minute then SLI series:
   * a cache of `unit_sums`, which holds every minute of the late-sample horizon. Keeping
   * all of those in memory would cost 180 entries per SLI series (about 300 bytes each: an
   * estimated 500 MB for 10,000 series); samples arrive in time order per series, so older
   * minutes are rarely asked for again and are read from the table when they are.
   */
  readonly #sums = new Map<number, Map<string, RoleSums>>();
  #newestSumsMinute = Number.NEGATIVE_INFINITY;
  readonly #stmt: Record<
    'putCursor' | 'deleteCursor' | 'putSums' | 'getSums' | 'pruneSums' | 'putAlert' | 'getKv' | 'putKv',
    StatementSync
  >;

  private constructor(store: SqliteCountStore) {
    this.store = store;
    this.db = store.database;
    this.db.exec(SCHEMA);
    const db = this.db;
    // Cursor histories (retry detection, src/ingest/reducer.ts) came after the table.
    if (
      !(db.prepare('PRAGMA table_info(unit_cursors)').all() as { name: string }[]).some(
        (c) => c.name === 'history',
      )
    )
      db.exec('ALTER TABLE unit_cursors ADD COLUMN history BLOB');
    this.#stmt = {
      putCursor: db.prepare(
        'INSERT OR REPLACE INTO unit_cursors (key, ts, value, history) VALUES (?, ?, ?, ?)',
      ),
      deleteCursor: db.prepare('DELETE FROM unit_cursors WHERE key = ?'),
      putSums: db.prepare('INSERT OR REPLACE INTO unit_sums (sli, labels, minute, sums) VALUES (?, ?, ?, ?)'),
      getSums: db.prepare('SELECT sums FROM unit_sums WHERE sli = ? AND labels = ? AND minute = ?'),
      pruneSums: db.prepare('DELETE FROM unit_sums WHERE minute < ?'),
      putAlert: db.prepare('INSERT OR REPLACE INTO unit_alerts (slo, state) VALUES (?, ?)'),
      getKv: db.prepare('SELECT value FROM unit_kv WHERE name = ?'),
      putKv: db.prepare('INSERT OR REPLACE INTO unit_kv (name, value) VALUES (?, ?)'),
    };
    // A database a hub-connected unit left behind keeps marking, whoever writes to it.
    this.#outbox = Outbox.stored(db);
    for (const row of db.prepare('SELECT key, ts, value, history FROM unit_cursors').all() as {
      key: string;
      ts: number;
      value: number;
      history: Uint8Array | null;
    }[]) {
      this.#cursors.set(row.key, decodeCursor(row.ts, row.value, row.history));
    }
  }

  /** Opens (or creates) the state in `path` (`:memory:` for tests). */
  static open(
    path: string,
    options: { retention?: RetentionPolicy } = {},
  ): { ok: true; value: UnitState } | { ok: false; message: string } {
    const opened = openSqliteCountStore({
      path,
      ...(options.retention ? { retention: options.retention } : {}),
    });
    if (!opened.ok) return { ok: false, message: opened.issues.map((issue) => issue.message).join('; ') };
    try {
      return { ok: true, value: new UnitState(opened.value) };
    } catch (error) {
      opened.value.closeSync();
      return { ok: false, message: `cannot prepare the unit tables in ${path}: ${(error as Error).message}` };
    }
  }

  cursor(key: string): SeriesCursor | undefined {
    return this.#cursors.get(key);
  }

  sums(
    sli: string,
    labels: Record<string, string>,
    minute: number,
    labelsText = JSON.stringify(labels),
  ): RoleSums | undefined {
    const cached = this.#sums.get(minute)?.get(`${sli}\u0000${labelsText}`);
    if (cached) return cached;
    const row = this.#stmt.getSums.get(sli, labelsText, minute) as { sums: Uint8Array } | undefined;
    return row ? decodeSums(row.sums) : undefined;
  }

  /**
   * Reduces one batch and commits its counts, cursors and role sums together. Samples for
   * minutes older than the late-sample horizon or the store's minute resolution are
   * refused as `too_old` (the minute is final or no longer kept).
   */
  apply(plan: IngestPlan, nowMs: number, feed: (reducer: BatchReducer) => void): ApplyResult {
    const reducer = new BatchReducer(plan, this);
    feed(reducer);
    const changes = reducer.changes();
    const nowMinute = Math.floor(nowMs / 60_000);
    const oldest = Math.max(
      nowMinute - LATE_SAMPLE_HORIZON_MINUTES,
      this.store.readerSync().resolution.minuteResolutionFromMinute,
    );
    let tooOld = 0;
    const buckets = changes.buckets.filter((bucket) => {
      if (bucket.minute >= oldest) return true;
      tooOld += 1;
      return false;
    });
    const sums = [...changes.sums.values()].filter((entry) => entry.minute >= oldest);
    const outcomes = { ...changes.outcomes, too_old: tooOld };
    if (buckets.length === 0 && changes.cursors.size === 0) return { outcomes, buckets: 0 };
    const outbox = this.#outbox;
    const statements = this.#stmt;
    // `forEach`, not `for...of` with destructuring: the iterator makes an entry array per
    // cursor, twice per batch, for every series the batch moved.
    const result = this.store.putSyncWith(buckets, () => {
      // Marked in the data's own transaction: no crash can separate a count from its mark.
      outbox?.markCounts(buckets);
      changes.cursors.forEach((cursor, key) => {
        if (cursor === undefined) statements.deleteCursor.run(key);
        else
          statements.putCursor.run(
            key,
            cursorTimestampMs(cursor),
            cursorEnded(cursor) ? 0 : cursor[1]!,
            encodeCursorHistory(cursor),
          );
      });
      for (const entry of sums) {
        statements.putSums.run(entry.sli, entry.labelsText, entry.minute, encodeSums(entry.sums));
      }
    });
    if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('; '));
    // Committed: now the in-memory view may move. Values are copied into the arrays and
    // objects already held, not swapped for the batch's: those die young, while a swap
    // would promote every batch's copies to the old generation only to drop them there
    // one batch later (tens of MB of resident garbage at 400,000 samples/s).
    const cursors = this.#cursors;
    changes.cursors.forEach((cursor, key) => {
      if (cursor === undefined) {
        cursors.delete(key);
        return;
      }
      const held = cursors.get(key) as number[] | undefined;
      if (held === undefined || held.length !== cursor.length) cursors.set(key, cursor);
      else for (let i = 0; i < cursor.length; i++) held[i] = cursor[i]!;
    });
    for (const entry of sums) {
      let minute = this.#sums.get(entry.minute);
      if (minute === undefined) {
        minute = new Map();
        this.#sums.set(entry.minute, minute);
      }
      const key = `${entry.sli}\u0000${entry.labelsText}`;
      const held = minute.get(key);
      if (held === undefined) minute.set(key, entry.sums);
      else Object.assign(held, entry.sums);
      if (entry.minute > this.#newestSumsMinute) this.#newestSumsMinute = entry.minute;
    }
    for (const minute of this.#sums.keys()) {
      if (minute <= this.#newestSumsMinute - SUMS_CACHE_MINUTES) this.#sums.delete(minute);
    }
    return { outcomes, buckets: buckets.length };
  }

  /**
   * Drops role sums that can no longer change, in memory and on disk, and the cursors of
   * series a stale marker ended longer ago than a retry of that batch could come.
   */
  pruneSums(nowMs: number): void {
    const oldest = Math.floor(nowMs / 60_000) - LATE_SAMPLE_HORIZON_MINUTES;
    for (const minute of this.#sums.keys()) if (minute < oldest) this.#sums.delete(minute);
    this.#stmt.pruneSums.run(oldest);
    const ended: string[] = [];
    for (const [key, cursor] of this.#cursors) {
      if (cursorEnded(cursor) && cursorTimestampMs(cursor) < nowMs - ENDED_CURSOR_RETENTION_MS)
        ended.push(key);
    }
    if (ended.length === 0) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const key of ended) this.#stmt.deleteCursor.run(key);
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
    for (const key of ended) this.#cursors.delete(key);
  }

  /** A reader over the counts as of now. */
  reader(): CountReader {
    return this.store.readerSync();
  }

  /** Persisted alert states by SLO id, for a restart that neither re-pages nor forgets. */
  alertStates(): Map<string, AlertState> {
    const out = new Map<string, AlertState>();
    for (const row of this.db.prepare('SELECT slo, state FROM unit_alerts').all() as {
      slo: string;
      state: string;
    }[]) {
      out.set(row.slo, JSON.parse(row.state) as AlertState);
    }
    return out;
  }

  /** Saves the alert states of one evaluation in one transaction. */
  saveAlertStates(states: ReadonlyMap<string, AlertState>): void {
    this.saveEvaluation(states, []);
  }

  /**
   * Saves the alert states of one evaluation and marks its records for the hub (SLO
   * status, alert changes) in one transaction.
   */
  saveEvaluation(states: ReadonlyMap<string, AlertState>, records: readonly UnsequencedRecord[]): void {
    if (states.size === 0 && (records.length === 0 || !this.#outbox)) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const [slo, state] of states) this.#stmt.putAlert.run(slo, JSON.stringify(state));
      for (const record of records) this.#outbox?.markRecord(record);
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** The outbox, when this unit replicates to a hub (see `enableOutbox`). */
  get outbox(): Outbox | undefined {
    return this.#outbox;
  }

  /**
   * Starts (or reconfigures) marking changes for the hub, from this transaction on. The
   * first time, and after a disable, a resynchronisation is due (`Outbox.resyncPending`).
   */
  enableOutbox(settings: OutboxSettings, nowMs: number): Outbox {
    const nowMinute = Math.floor(nowMs / 60_000);
    if (this.#outbox) this.#outbox.configure(settings, nowMinute);
    else this.#outbox = Outbox.enable(this.db, settings, nowMinute);
    return this.#outbox;
  }

  /** Stops marking (no hub configured any more); drops pending rows, keeps the version counter. */
  disableOutbox(): boolean {
    this.#outbox = undefined;
    return Outbox.disable(this.db);
  }

  getValue(name: string): string | undefined {
    return (this.#stmt.getKv.get(name) as { value: string } | undefined)?.value;
  }

  setValue(name: string, value: string): void {
    this.#stmt.putKv.run(name, value);
  }

  /** Number of raw series being tracked (for /metrics). */
  get trackedSeries(): number {
    return this.#cursors.size;
  }

  close(): void {
    this.store.closeSync();
  }
}
