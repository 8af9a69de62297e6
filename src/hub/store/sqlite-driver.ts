/**
 * The SQLite `SqlDriver`: one `node:sqlite` connection, every statement prepared once and
 * cached by its text, every operation run through one promise queue.
 *
 * `DatabaseSync` is synchronous, so a statement never interleaves with another; a
 * transaction, though, spans `await`s in the store's code, and without the queue another
 * caller's statement could run inside it (and commit or roll back with it). The queue runs
 * one operation at a time: a whole transaction is one operation, and the `SqlExecutor` it
 * hands to its work runs statements directly. The work must use that executor only: a call
 * to the driver itself from inside a transaction would wait for the transaction to end.
 *
 * Group commit: transactions that wait while one runs join it, each in its own savepoint,
 * and are committed together (at most 32, or 50 ms of work). A transaction that throws rolls
 * back to its savepoint alone; every transaction settles after the COMMIT, so a resolved one
 * is durable. Under load this spreads the fsync of one COMMIT over several pushes; alone, a
 * transaction is a plain BEGIN ... COMMIT.
 *
 * Settings:
 * - `journal_mode = WAL`: readers never block the writer nor the reverse, and a crash never
 *   leaves a half-applied push.
 * - `synchronous = FULL` by default. A push's answer tells the unit that every record up to
 *   `ackedSeq` is durable, and the unit then prunes its outbox (docs/hub.md). Under `NORMAL`
 *   a power loss may roll back the last commits (never corrupting the file): the hub's mark
 *   would move back below records the unit already pruned, and the unit would have to
 *   resynchronise. FULL costs one WAL fsync per push (about 1 ms on an SSD), which the push
 *   rate affords (67 pushes/s in the fleet benchmark). `normal` is an option for a hub
 *   whose units can resynchronise cheaply.
 * - `busy_timeout = 5000`, set first: a second process opening the file (or migrating it)
 *   waits for the lock instead of failing.
 * - `temp_store = MEMORY`, `cache_size` 64 MiB.
 * - Transactions begin `IMMEDIATE` (they take the write lock at once), so two processes
 *   never deadlock upgrading read locks.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqlDriver, SqlExecutor, SqlRow, SqlValue } from './types.ts';

/** Options of `openSqliteDriver`. */
export interface SqliteDriverOptions {
  /** Database file, or `':memory:'`. */
  path: string;
  /** Default `'full'`; see the module comment. */
  synchronous?: 'full' | 'normal';
  /** How long to wait for another connection's lock, default 5000 ms. */
  busyTimeoutMs?: number;
}

const PLACEHOLDER = /\$(\d+)/g;
const MAX_CACHED_STATEMENTS = 512;
/** Bounds of one commit group: a job's answer waits for its group's COMMIT. */
const MAX_GROUP_JOBS = 32;
const MAX_GROUP_MS = 50;

/**
 * Binds safe integers as SQLite integers: `node:sqlite` binds every JS number as REAL, so
 * `$1 / 60` would divide in floating point where PostgreSQL divides a BIGINT.
 */
function bindable(value: SqlValue): SQLInputValue {
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
}

/** Opens (creating if needed) a SQLite database as a `SqlDriver`. */
export function openSqliteDriver(options: SqliteDriverOptions): SqlDriver {
  const db = new DatabaseSync(options.path);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.exec('PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;');
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteDriver(db);
}

interface TransactionJob {
  work: (tx: SqlExecutor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Transactions waiting for the next group, and whether a group is queued or running. */
  readonly #waiting: TransactionJob[] = [];
  #groupQueued = false;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.#enqueue(() => this.#query(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#enqueue(() => this.#run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.#enqueue(() => this.#db.exec(sql));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (!this.#groupQueued) {
        this.#groupQueued = true;
        // #runGroup settles every job itself; the queue only orders it.
        void this.#enqueue(() => this.#runGroup()).catch((error: unknown) => this.#failWaiting(error));
      }
    });
  }

  /**
   * Runs the waiting transactions in one SQLite transaction (group commit), each inside
   * its own savepoint: a job that throws rolls back to its savepoint alone, the others
   * commit together, and every job settles only after the COMMIT, so an answer still
   * means "on disk". Transactions arriving while the group runs join it, up to
   * MAX_GROUP_JOBS jobs or MAX_GROUP_MS of work; later ones form the next group.
   */
  async #runGroup(): Promise<void> {
    const settled: { job: TransactionJob; ok: boolean; value: unknown }[] = [];
    const startedMs = performance.now();
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      // The write lock stayed with another connection past busy_timeout: every waiting
      // transaction fails now rather than queueing behind it indefinitely.
      this.#failWaiting(error);
      return;
    }
    try {
      for (;;) {
        const job = this.#waiting.shift();
        if (job === undefined) break;
        let open = true;
        const guard = () => {
          if (!open) throw new Error('sqlite: statement on a finished transaction');
        };
        const tx: SqlExecutor = {
          query: async (sql, params = []) => {
            guard();
            return this.#query(sql, params);
          },
          run: async (sql, params = []) => {
            guard();
            return this.#run(sql, params);
          },
        };
        this.#db.exec('SAVEPOINT job');
        try {
          const value = await job.work(tx);
          open = false;
          this.#db.exec('RELEASE job');
          settled.push({ job, ok: true, value });
        } catch (error) {
          open = false;
          settled.push({ job, ok: false, value: error });
          // Some errors (disk full, I/O) end the whole transaction: then nothing of the
          // group is stored and the outer catch fails every job.
          if (!this.#db.isTransaction) throw error;
          this.#db.exec('ROLLBACK TO job');
          this.#db.exec('RELEASE job');
        }
        if (settled.length >= MAX_GROUP_JOBS || performance.now() - startedMs >= MAX_GROUP_MS) break;
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      for (const { job, ok, value } of settled) job.reject(ok ? error : value);
      return;
    } finally {
      this.#groupQueued = false;
      if (this.#waiting.length > 0) {
        this.#groupQueued = true;
        void this.#enqueue(() => this.#runGroup()).catch((error: unknown) => this.#failWaiting(error));
      }
    }
    for (const { job, ok, value } of settled) {
      if (ok) job.resolve(value);
      else job.reject(value);
    }
  }

  /** Fails the transactions that could not run (the driver was closed under them). */
  #failWaiting(error: unknown): void {
    this.#groupQueued = false;
    for (const job of this.#waiting.splice(0)) job.reject(error);
  }

  close(): Promise<void> {
    return this.#enqueue(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#statements.clear();
      this.#db.close();
    }, true);
  }

  #enqueue<T>(operation: () => T | Promise<T>, whenClosed = false): Promise<T> {
    const result = this.#tail.then(() => {
      if (this.#closed && !whenClosed) throw new Error('sqlite: driver is closed');
      return operation();
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      // The store's statements are a fixed set; the bound only guards against a caller
      // that builds statement text from data.
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear();
      statement = this.#db.prepare(sql.replace(PLACEHOLDER, '?$1'));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #query(sql: string, params: readonly SqlValue[]): SqlRow[] {
    return this.#statement(sql).all(...params.map(bindable)) as SqlRow[];
  }

  #run(sql: string, params: readonly SqlValue[]): number {
    return Number(this.#statement(sql).run(...params.map(bindable)).changes);
  }
}
