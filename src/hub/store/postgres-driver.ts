/**
 * The PostgreSQL driver of the hub store, over a `pg` pool. Values come back as the SQLite
 * driver gives them (`SqlValue`): integers, NUMERIC and floating point as JS numbers,
 * booleans as 1/0, BYTEA as bytes, every other type as its text form (JSON, timestamps),
 * so one SQL implementation reads the same rows from both drivers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { toError } from '../../util/index.ts';
import type { SqlDriver, SqlExecutor, SqlRow, SqlValue } from './types.ts';

/** Tuning of the PostgreSQL driver; the defaults suit one hub process. */
export interface PostgresDriverOptions {
  /** Most connections the pool holds (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection, from the server or the pool (default 10 000). */
  connectTimeoutMs?: number;
  /**
   * Isolation level of `transaction` (default `read committed`, PostgreSQL's own). The
   * store serialises what must not interleave with locks taken first in its transactions
   * (`SELECT ... FOR UPDATE` on the unit row, `pg_advisory_xact_lock` for migrations), a
   * pattern that needs each statement to see what committed before it: under REPEATABLE
   * READ or SERIALIZABLE the snapshot is taken by the locking statement itself, before it
   * waits, so a migration would not see the tables another process created meanwhile.
   */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /**
   * Attempts of a statement or transaction that PostgreSQL aborts with a serialization
   * failure or deadlock (SQLSTATE 40001, 40P01), including the first (default 5).
   */
  maxAttempts?: number;
  /** Shown in `pg_stat_activity` (default `sextant-hub`). */
  applicationName?: string;
  /**
   * Told about errors of idle pooled connections (a server restart, a network cut); the
   * pool drops such a connection and opens a new one when needed. Ignored by default.
   */
  onIdleError?: (error: Error) => void;
}

/** Where a URL points, for messages: never the password. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

// OIDs of pg_type (src/include/catalog/pg_type.dat).
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  numeric: 1700,
} as const;

/** BIGINT as a number: the store keeps values below 2^53, so a larger one is a bug to report. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`BIGINT value ${text} is beyond 2^53 and cannot be read as a JS number`);
  }
  return value;
}

const byteaParser: (text: string) => Uint8Array = pg.types.getTypeParser(OID.bytea, 'text');

const PARSERS = new Map<number, (text: string) => SqlValue>([
  [OID.bool, (text) => (text === 't' ? 1 : 0)],
  [OID.bytea, byteaParser],
  [OID.int8, parseInt8],
  [OID.int2, Number],
  [OID.int4, Number],
  [OID.oid, Number],
  [OID.float4, Number],
  [OID.float8, Number],
  // NUMERIC is what SUM(bigint) gives; sums of counts are integers far below 2^53.
  [OID.numeric, Number],
]);

const asText = (text: string): string => text;

/**
 * Per-pool parsers (pg's global `types` stays untouched, so other `pg` users in the
 * process keep their own behaviour).
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => PARSERS.get(oid) ?? asText) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The URL with its password replaced by `***`, in the userinfo and in a `password` query
 * parameter; works on strings that do not parse as URLs too.
 * @example redactPostgresUrl('postgres://hub:s3cret@db:5432/hub') // 'postgres://hub:***@db:5432/hub'
 */
export function redactPostgresUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Host, port, database and user a URL connects to, with libpq's defaults and `PG*` variables. */
export function postgresTarget(url: string): PostgresTarget {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url });
  } catch (error) {
    // pg's parser redacts the input, but the message may still quote parts of it.
    throw new Error(`invalid PostgreSQL URL ${redactPostgresUrl(url)}`, {
      cause: new Error(error instanceof Error ? error.name : 'parse error'),
    });
  }
  return {
    host: client.host,
    port: client.port,
    database: client.database ?? '',
    user: client.user ?? '',
  };
}

/** `host:port, database "d", user "u"`; a Unix socket directory stands for the host. */
export function describePostgresTarget(target: PostgresTarget): string {
  return `${target.host}:${target.port}, database "${target.database}", user "${target.user}"`;
}

/** The SQLSTATE of a `pg` error, also when another error wraps it (`cause`). */
export function sqlState(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    // SQLSTATEs are five characters; Node's own codes (ECONNRESET) are longer.
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** A serialization failure or deadlock: PostgreSQL rolled back, and running again may succeed. */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40001' || state === '40P01';
}

/** The reason of a connection failure; Node gives an empty AggregateError when every address fails. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(reason))].join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message !== '' ? error.message : typeof code === 'string' ? code : error.name;
  const state = sqlState(error);
  return state !== undefined && !message.includes(state) ? `${message} (SQLSTATE ${state})` : message;
}

/** Full jitter over an exponential ceiling (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(250, 5 * 2 ** attempt);
}

type Queryable = Pick<pg.ClientBase, 'query'>;

async function rows(
  client: Queryable,
  sql: string,
  params: readonly SqlValue[] | undefined,
): Promise<SqlRow[]> {
  const result = await client.query<SqlRow>(sql, params === undefined ? undefined : [...params]);
  return result.rows;
}

async function changed(
  client: Queryable,
  sql: string,
  params: readonly SqlValue[] | undefined,
): Promise<number> {
  const result = await client.query(sql, params === undefined ? undefined : [...params]);
  return result.rowCount ?? 0;
}

/**
 * Opens a pool on `url` (`postgres://user:password@host:port/database`, libpq parameters
 * such as `sslmode` in the query) and checks that it connects, so a wrong URL or password
 * fails at start with a message naming host, port and database (never the password).
 * @example
 * const driver = await openPostgresDriver('postgres://hub@db.internal/hub');
 * const store = await openHubStore({ driver });
 */
export async function openPostgresDriver(
  url: string,
  options: PostgresDriverOptions = {},
): Promise<SqlDriver> {
  const target = postgresTarget(url);
  const where = describePostgresTarget(target);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const begin = `BEGIN ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}`;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? 'sextant-hub',
    types: TYPES,
  });
  // Without a listener, an idle connection's error (server restart) would crash the process.
  pool.on('error', (error) => options.onIdleError?.(error));

  async function acquire(): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw new Error(`cannot connect to PostgreSQL at ${where}: ${reason(error)}`, { cause: error });
    }
  }

  /** Runs `attempt` again after a serialization failure or deadlock, with jittered backoff. */
  async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (n >= maxAttempts || !isRetryable(error)) throw error;
        await sleep(backoffMs(n));
      }
    }
  }

  /** Runs `use` on a pooled client; a client that failed outside SQL (a dead socket) is destroyed. */
  async function withClient<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await acquire();
    try {
      const result = await use(client);
      client.release();
      return result;
    } catch (error) {
      client.release(error instanceof pg.DatabaseError ? undefined : toError(error));
      throw error;
    }
  }

  async function attemptTransaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await acquire();
    let open = true;
    // The executor refuses use after the transaction ended (a leaked reference would run
    // outside it, on a connection another caller may hold by then).
    const guard = (): void => {
      if (!open) throw new Error('transaction already ended: its executor cannot be used');
    };
    const tx: SqlExecutor = {
      query: async (sql, params) => {
        guard();
        return rows(client, sql, params);
      },
      run: async (sql, params) => {
        guard();
        return changed(client, sql, params);
      },
    };
    try {
      await client.query(begin);
      const result = await work(tx);
      await client.query('COMMIT');
      open = false;
      client.release();
      return result;
    } catch (error) {
      open = false;
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch (rollbackError) {
        // The connection's state is unknown: destroy it rather than hand it out again.
        client.release(toError(rollbackError));
      }
      throw error;
    }
  }

  let closed: Promise<void> | undefined;
  const driver: SqlDriver = {
    dialect: 'postgres',
    query: (sql, params) => retrying(() => withClient((client) => rows(client, sql, params))),
    run: (sql, params) => retrying(() => withClient((client) => changed(client, sql, params))),
    // Without parameters pg uses the simple query protocol, which takes several statements
    // and runs them in one implicit transaction.
    exec: async (sql) => {
      await withClient((client) => client.query(sql));
    },
    transaction: (work) => retrying(() => attemptTransaction(work)),
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };

  try {
    await withClient((client) => client.query('SELECT 1'));
  } catch (error) {
    await driver.close();
    throw error;
  }
  return driver;
}
