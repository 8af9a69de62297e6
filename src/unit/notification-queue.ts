/**
 * The unit's durable `NotificationQueue`: the semantics of `MemoryNotificationQueue` (the
 * reference, src/notify/queue.ts) kept in SQLite tables of the database the unit already
 * writes its counts to, so a notice and the counts that raised it can commit together.
 *
 * ## Layout: one row per entry, kept until `prune` forgets it
 *
 * ```sql
 * unit_notifications(seq,                  -- rowid: enqueue order (ties in due() and streams)
 *   key UNIQUE, receiver, stream, supersedes, event_at_ms,
 *   notice,                                -- the Notice as JSON; NULL once finished
 *   enqueued_at_ms, attempts, next_attempt_ms, last_error,
 *   state,                                 -- pending | delivered | dropped | superseded
 *   finished_at_ms)                        -- NULL exactly while pending
 * ```
 *
 * Finished rows stay for dedup (days of them: an Alertmanager stream gains one row per
 * evaluation while its alert fires). They keep only what dedup and the stale check read (the
 * notice, about 1 KB, is dropped), and every hot query reads an index that holds pending rows
 * only or one that answers in a single probe:
 * - `unit_notifications_key` (unique): dedup and the `mark*` updates;
 * - `unit_notifications_stream (stream, event_at_ms)`: the stale check, one probe;
 * - `unit_notifications_pending_stream (stream, event_at_ms, seq) WHERE pending`: a stream's
 *   head (its first pending entry) and the entries a superseding enqueue replaces;
 * - `unit_notifications_pending_due (next_attempt_ms, seq) WHERE pending`: `due` walks it in
 *   the order it returns, so it stops after `limit` heads;
 * - `unit_notifications_finished (finished_at_ms) WHERE finished`: `prune`.
 * So `due` costs O(pending due entries), whatever the number of delivered rows.
 *
 * `node:sqlite` is synchronous: a statement blocks the event loop (ingest, HTTP) and holds the
 * write lock the count store needs. So `prune` deletes in batches of `PRUNE_BATCH` rows, each
 * its own transaction, yielding to the event loop between them.
 *
 * ## Transactions
 *
 * Each mutating call is atomic. Outside a transaction it runs in its own `BEGIN IMMEDIATE`
 * (taking the write lock before reading, so the dedup and stale checks cannot race another
 * connection). When the connection is already in a transaction (`db.isTransaction`) the call
 * joins it inside a savepoint: its writes commit or roll back with the caller's, and a call
 * that throws undoes its own writes only, leaving the caller's transaction open. Reads
 * (`due`, `stats`) are single statements and need no transaction. A joined `prune` deletes in
 * one statement, without yielding: other code must not run inside the caller's transaction.
 * Joining is by connection, not by caller: while a caller keeps a transaction open across an
 * `await`, any queue call that runs meanwhile (the dispatcher's, a prune batch) joins it too.
 *
 * The queue does not own the connection: whoever opened it sets the pragmas (WAL,
 * `synchronous = FULL`) and closes it. Timestamps must be finite numbers. Strings are stored
 * as UTF-8, so a key holding a lone surrogate (not valid Unicode) would not round-trip; the
 * dispatcher's keys are `JSON.stringify` output, which never holds one.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  EnqueueResult,
  NewNotification,
  Notice,
  NotificationQueue,
  QueuedNotification,
  QueueStats,
} from '../notify/index.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS unit_notifications (
  seq INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  receiver TEXT NOT NULL,
  stream TEXT NOT NULL,
  supersedes INTEGER NOT NULL CHECK (supersedes IN (0, 1)),
  event_at_ms INTEGER NOT NULL,
  notice TEXT,
  enqueued_at_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dropped', 'superseded')),
  finished_at_ms INTEGER,
  CHECK ((state = 'pending') = (finished_at_ms IS NULL)),
  CHECK ((state = 'pending') = (notice IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS unit_notifications_key ON unit_notifications (key);
CREATE INDEX IF NOT EXISTS unit_notifications_stream ON unit_notifications (stream, event_at_ms);
CREATE INDEX IF NOT EXISTS unit_notifications_pending_stream
  ON unit_notifications (stream, event_at_ms, seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS unit_notifications_pending_due
  ON unit_notifications (next_attempt_ms, seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS unit_notifications_finished
  ON unit_notifications (finished_at_ms) WHERE finished_at_ms IS NOT NULL;
`;

/** The objects SCHEMA creates; the constructor takes the write lock only when one is missing. */
const SCHEMA_OBJECTS = [...SCHEMA.matchAll(/IF NOT EXISTS (\w+)/g)].map((match) => match[1] ?? '');

/**
 * Rows one `prune` batch deletes. Deleting dirties index pages scattered by key and stream, and
 * each batch writes its own to the WAL, so smaller batches cost more in all (measured, 100,000
 * rows, file in WAL: one statement 0.8-2.4 s; batches of 10,000 1.7-3.3 s, 0.2-0.3 s each;
 * of 2,000 3.6-5.3 s). An hourly prune at the dispatcher's cadence is usually one batch.
 */
const PRUNE_BATCH = 10_000;

/** Savepoint name used when joining the caller's transaction. */
const SAVEPOINT = 'unit_notifications';

const PUBLIC_COLUMNS = `key, receiver, stream, supersedes, event_at_ms AS eventAtMs, notice,
  enqueued_at_ms AS enqueuedAtMs, attempts, next_attempt_ms AS nextAttemptMs, last_error AS lastError`;

/** A pending row as the public columns read it. */
interface PublicRow {
  key: string;
  receiver: string;
  stream: string;
  supersedes: number;
  eventAtMs: number;
  notice: string;
  enqueuedAtMs: number;
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
}

/** What a superseding enqueue takes over from a pending entry. */
interface BackoffRow {
  key: string;
  enqueuedAtMs: number;
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
}

interface Statements {
  known: StatementSync;
  laterInStream: StatementSync;
  pendingOfStream: StatementSync;
  supersede: StatementSync;
  insert: StatementSync;
  due: StatementSync;
  finish: StatementSync;
  fail: StatementSync;
  stats: StatementSync;
  prune: StatementSync;
  pruneBatch: StatementSync;
}

/** `LIMIT` for a `due` limit, as `Array.prototype.slice(0, limit)` reads it; null for none. */
function sqlLimit(limit: number): number | null {
  const n = Math.max(0, limit);
  if (!(n >= 1)) return null;
  // SQLite reads a negative LIMIT as "no limit".
  return n === Number.POSITIVE_INFINITY ? -1 : Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER);
}

function publicView(row: PublicRow): QueuedNotification {
  return {
    key: row.key,
    receiver: row.receiver,
    stream: row.stream,
    supersedes: row.supersedes === 1,
    eventAtMs: row.eventAtMs,
    notice: JSON.parse(row.notice) as Notice,
    enqueuedAtMs: row.enqueuedAtMs,
    attempts: row.attempts,
    nextAttemptMs: row.nextAttemptMs,
    lastError: row.lastError,
  };
}

/**
 * A `NotificationQueue` in SQLite tables named `unit_notifications*` of a database the
 * caller opened and owns; see the module comment for the layout and transactions.
 * @example
 * const db = new DatabaseSync('.sextant/unit.db'); // WAL, synchronous = FULL set by the opener
 * const queue = new SqliteNotificationQueue(db);
 * const dispatcher = createDispatcher({ queue, receivers });
 */
export class SqliteNotificationQueue implements NotificationQueue {
  readonly #db: DatabaseSync;
  readonly #stmt: Statements;

  /** Creates the tables when missing (keeping what is queued) and prepares every statement. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    const present = db.prepare(
      `SELECT count(*) AS n FROM sqlite_schema WHERE name IN (${SCHEMA_OBJECTS.map(() => '?').join(', ')})`,
    );
    // CREATE ... IF NOT EXISTS inside BEGIN IMMEDIATE would wait for the write lock even when
    // there is nothing to create.
    const complete = () => (present.get(...SCHEMA_OBJECTS) as { n: number }).n === SCHEMA_OBJECTS.length;
    if (!complete()) this.#write(() => db.exec(SCHEMA));
    this.#stmt = {
      known: db.prepare('SELECT 1 FROM unit_notifications WHERE key = ?'),
      laterInStream: db.prepare(
        'SELECT 1 FROM unit_notifications WHERE stream = ? AND event_at_ms > ? LIMIT 1',
      ),
      pendingOfStream: db.prepare(
        `SELECT key, enqueued_at_ms AS enqueuedAtMs, attempts, next_attempt_ms AS nextAttemptMs,
           last_error AS lastError
         FROM unit_notifications WHERE stream = ? AND state = 'pending' ORDER BY seq`,
      ),
      supersede: db.prepare(
        `UPDATE unit_notifications SET state = 'superseded', finished_at_ms = ?, notice = NULL
         WHERE stream = ? AND state = 'pending'`,
      ),
      insert: db.prepare(
        `INSERT INTO unit_notifications (key, receiver, stream, supersedes, event_at_ms, notice,
           enqueued_at_ms, attempts, next_attempt_ms, last_error, state, finished_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL)`,
      ),
      // A stream's head is the pending entry with no pending entry before it in
      // (event_at_ms, seq) order; heads wait for their next attempt like any entry.
      due: db.prepare(
        `SELECT ${PUBLIC_COLUMNS} FROM unit_notifications AS n
         WHERE n.state = 'pending' AND n.next_attempt_ms <= ?
           AND NOT EXISTS (
             SELECT 1 FROM unit_notifications AS e
             WHERE e.state = 'pending' AND e.stream = n.stream
               AND (e.event_at_ms, e.seq) < (n.event_at_ms, n.seq))
         ORDER BY n.next_attempt_ms, n.seq
         LIMIT ?`,
      ),
      finish: db.prepare(
        `UPDATE unit_notifications
         SET state = ?, finished_at_ms = ?, notice = NULL, last_error = coalesce(?, last_error)
         WHERE key = ? AND state = 'pending'`,
      ),
      fail: db.prepare(
        `UPDATE unit_notifications SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ?
         WHERE key = ? AND state = 'pending'`,
      ),
      stats: db.prepare(
        `SELECT count(*) AS pending, min(enqueued_at_ms) AS oldest
         FROM unit_notifications WHERE state = 'pending'`,
      ),
      prune: db.prepare(
        'DELETE FROM unit_notifications WHERE finished_at_ms IS NOT NULL AND finished_at_ms < ?',
      ),
      pruneBatch: db.prepare(
        `DELETE FROM unit_notifications WHERE seq IN (
           SELECT seq FROM unit_notifications
           WHERE finished_at_ms IS NOT NULL AND finished_at_ms < ? LIMIT ${PRUNE_BATCH})`,
      ),
    };
  }

  async enqueue(entry: NewNotification, nowMs: number): Promise<EnqueueResult> {
    const notice = JSON.stringify(entry.notice);
    return this.#write((): EnqueueResult => {
      const s = this.#stmt;
      if (s.known.get(entry.key) !== undefined) return { outcome: 'duplicate' };
      if (s.laterInStream.get(entry.stream, entry.eventAtMs) !== undefined) return { outcome: 'stale' };
      const replaced = entry.supersedes
        ? (s.pendingOfStream.all(entry.stream) as unknown as BackoffRow[])
        : [];
      let enqueuedAtMs = nowMs;
      let attempts = 0;
      let nextAttemptMs = nowMs;
      let lastError: string | null = null;
      // As the reference: in enqueue order, the earliest enqueue time wins, the later on a tie.
      for (const old of replaced) {
        if (old.enqueuedAtMs <= enqueuedAtMs) {
          enqueuedAtMs = old.enqueuedAtMs;
          attempts = old.attempts;
          nextAttemptMs = old.nextAttemptMs;
          lastError = old.lastError;
        }
      }
      if (replaced.length > 0) s.supersede.run(nowMs, entry.stream);
      s.insert.run(
        entry.key,
        entry.receiver,
        entry.stream,
        entry.supersedes ? 1 : 0,
        entry.eventAtMs,
        notice,
        enqueuedAtMs,
        attempts,
        nextAttemptMs,
        lastError,
      );
      return { outcome: 'enqueued', replaced: replaced.map((row) => row.key) };
    });
  }

  async due(nowMs: number, limit: number): Promise<QueuedNotification[]> {
    const n = sqlLimit(limit);
    if (n === null) return [];
    return (this.#stmt.due.all(nowMs, n) as unknown as PublicRow[]).map(publicView);
  }

  async markDelivered(key: string, nowMs: number): Promise<void> {
    this.#write(() => this.#stmt.finish.run('delivered', nowMs, null, key));
  }

  async markDropped(key: string, nowMs: number, error: string): Promise<void> {
    this.#write(() => this.#stmt.finish.run('dropped', nowMs, error, key));
  }

  async markFailed(key: string, nextAttemptMs: number, error: string): Promise<void> {
    this.#write(() => this.#stmt.fail.run(nextAttemptMs, error, key));
  }

  async stats(): Promise<QueueStats> {
    const row = this.#stmt.stats.get() as { pending: number; oldest: number | null };
    return { pending: row.pending, oldestPendingEnqueuedAtMs: row.oldest };
  }

  async prune(finishedBeforeMs: number): Promise<number> {
    if (this.#db.isTransaction)
      return this.#write(() => Number(this.#stmt.prune.run(finishedBeforeMs).changes));
    let removed = 0;
    for (;;) {
      const batch = this.#write(() => Number(this.#stmt.pruneBatch.run(finishedBeforeMs).changes));
      removed += batch;
      if (batch < PRUNE_BATCH) return removed;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Runs `work` atomically: in its own transaction, or in a savepoint of the caller's. */
  #write<T>(work: () => T): T {
    const db = this.#db;
    if (db.isTransaction) {
      db.exec(`SAVEPOINT ${SAVEPOINT}`);
      try {
        const result = work();
        db.exec(`RELEASE ${SAVEPOINT}`);
        return result;
      } catch (error) {
        // Some errors (SQLITE_FULL, IOERR) roll the whole transaction back already.
        if (db.isTransaction) db.exec(`ROLLBACK TO ${SAVEPOINT}; RELEASE ${SAVEPOINT}`);
        throw error;
      }
    }
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}
