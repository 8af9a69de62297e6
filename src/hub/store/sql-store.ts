/**
 * The hub store: one implementation of `HubStore` in portable SQL over a `SqlDriver`
 * (SQLite or PostgreSQL). Where the dialects differ (expanding a JSON array parameter into
 * rows, row locks, LATERAL) the text branches on `driver.dialect`; everything else is
 * the same statement on both.
 *
 * ## Count records: exactly `resolveRecords`
 *
 * `hub_counts` keeps one row per record key (unit, SLI, labels, start minute) with the
 * highest version received, and a `live` flag: the row is live when it is in
 * `resolveRecords` of everything the unit sent, dead when an overlapping record of the same
 * series with a higher version hides it. Keeping the dead rows (the finer records under a
 * rolled-up hour, mostly) is what makes the result independent of arrival order: a record
 * arriving late must lose to a key's higher version even when that version is itself
 * hidden, and a hidden record comes back when the record hiding it is replaced by a shorter
 * one. `resolveRecords` decides per connected group of overlapping records (highest version
 * first, keep what overlaps nothing kept), so a push recomputes only the groups its records
 * touch: it loads the stored rows overlapping its records' span per series (one statement
 * for the whole push), widens the span when a group reaches past it (rare: a group longer
 * than the push), and writes the rows whose version or flag changed (one statement).
 *
 * ## Aggregates: prefix sums per (unit, SLI)
 *
 * `hub_sli_agg` holds, per (unit, SLI) and step bucket (the epoch minute of a record's start
 * rounded down to `stepMinutes`), the sum of the live records starting in it and the running
 * cumulative `cum_*` of all buckets up to and including it. A push turns its flag and value
 * changes into one delta per (SLI, bucket), upserts those rows with their new cumulative in
 * one statement, and shifts the cumulative of the later rows that are not delta buckets
 * (one `UPDATE` per delta bucket, and only when that bucket is not the newest of its SLI:
 * in-order ingest shifts nothing). A window is then `C(to) - C(from)` with `C(m)` the
 * cumulative of the last row before `m`: at most two index seeks per (unit, SLI) whatever
 * the window's length. A record's counts belong to the step of its start minute, so a
 * rolled-up hour counts entirely in its first step.
 *
 * `hub_unit_slis` lists the (unit, SLI) pairs (a fleet query walks them instead of scanning
 * aggregates) with each pair's base, the cumulative before its first kept row (what `C` is
 * when retention has deleted every row before a boundary), and a copy of its newest row,
 * which answers `C(m)` without a seek for every `m` at or after that row's start: the fleet
 * query's windows end now, at the step in progress (the newest row while units push) or
 * after it. That uses one invariant: no aggregate row reaches past the start of the next one
 * (rows of pushes are one step; folded hours lie before the detail horizon, where pushes
 * write nothing).
 *
 * ## Cached prefixes
 *
 * What is left is a seek per pair and window start (20,000 of them for a 1,000-unit fleet
 * query), into rows spread over the whole table. The store keeps the prefixes it sought in
 * memory (`PrefixCache`), each with the pair's `late_rev`, a counter that moves in the
 * transaction of a push with counts for a bucket older than the pair's newest row (the same
 * condition as shifting cumulatives). Other pushes write at or after the newest row, which
 * leaves every `C(m)` with `m` before it as it was. Retention changes `C(m)` only before the
 * detail horizon (it folds rows before it, and deletes rows and moves the base before the
 * aggregate horizon, which is not later), and it records the horizon in `hub_meta` before it
 * changes a row: prefixes before the horizon are not taken from memory. A read takes the
 * pairs with their revisions, newest rows and the horizon in one statement (which also seeks
 * the boundaries memory has nothing for), answers from the copy or from memory where it can,
 * and seeks the rest in a second statement that returns the revisions again: a pair whose
 * revision moved in between is read again, all its boundaries in one statement, so each
 * pair is read from one consistent state. The counter and the horizon live in the database,
 * so hub processes sharing one see each other's late data and retention.
 *
 * A steady push of 200 count records of one bucket is six statements: lock the unit, load
 * the stored rows, write the changed ones, read the pairs, upsert the aggregates, refresh
 * the pairs' newest rows (plus the acknowledgement). Batches travel as one JSON parameter
 * (`json_each` / `jsonb_array_elements`), so no statement depends on the batch size.
 *
 * ## Retention
 *
 * Per unit, in its own short transaction: count rows before the detail horizon are deleted
 * (and pushes ignore counts before it); aggregate rows before it are folded into one row per
 * hour (`minutes = 60`, cumulative of the hour's last row, so prefix sums at hour boundaries
 * are unchanged); rows before the aggregate horizon are deleted after their cumulative is
 * moved into the pair's base. Horizons are whole hours. `hub_meta` remembers the horizons,
 * so pushes racing a retention run ignore what it deleted, and the next run starts folding
 * where the last one ended.
 *
 * ## Portal sessions
 *
 * `hub_sessions` holds hashes only (the session id's, its CSRF token's and the token's it was
 * opened with), so every hub on the database sees the same sessions and a restart keeps them.
 * A session is read together with its credential (one statement per cookie request), the
 * caller checks that credential's state, and revoking a credential deletes its sessions in
 * the same transaction. Expired rows are never returned; `sweepSessions` deletes them.
 *
 * Transactions may run more than once (the PostgreSQL driver retries serialization
 * failures), so their work keeps no state outside its own call.
 */
import { type CountsRecord, canonicalChecksum, recordKey, type SyncRecord } from '../../sync/index.ts';
import { migrate } from './migrations.ts';
import { PrefixCache } from './prefix-cache.ts';
import {
  type ApplyOutcome,
  type AuditEntry,
  type Credential,
  DEFAULT_HUB_RETENTION,
  type HubRetention,
  type HubStore,
  type MinuteWindow,
  ROLES,
  type Role,
  type SessionRefusal,
  type SliPoint,
  type SliTotals,
  type SqlDriver,
  type SqlExecutor,
  type SqlRow,
  type SqlValue,
  type StoredCatalog,
  type StoredRecord,
  type StoredSession,
  type UnitInfo,
  type UnitRegistration,
  type UnknownRecord,
} from './types.ts';

type Dialect = SqlDriver['dialect'];

/** Options of `openSqlHubStore`. */
export interface SqlHubStoreOptions {
  retention?: HubRetention;
  /** Aggregation step in minutes, a divisor of 60 (default 5). */
  stepMinutes?: number;
}

/** Longest count record (protocol: `minutes <= 60`): bounds every overlap search. */
const MAX_RECORD_MINUTES = 60;
const MINUTES_PER_HOUR = 60;
/** Above every bucket (epoch minutes are below 2^40): the open end of a range. */
const END_OF_TIME = Number.MAX_SAFE_INTEGER;
/** Series steps from which points come from prefix sums at the boundaries, not row sums. */
const PREFIX_SERIES_MIN_STEP = 6 * 60;
/** Units per `sliTotals` statement on SQLite (20 SLIs each: about 4,000 pairs, 30 ms). */
const TOTALS_UNITS_PER_STATEMENT = 200;
/** A boundary missed by more than 1 / DENSE_MISSES of the pairs is read for all of them. */
const DENSE_MISSES = 4;
/** `pairsAt` statement texts kept (one per number of boundaries and set of sought ones). */
const PAIRS_AT_STATEMENTS = 64;
/** Audit rows deleted per statement, so retention never holds the write lock for long. */
const AUDIT_DELETE_CHUNK = 10_000;

type ColumnType = 'text' | 'bigint' | 'integer' | 'double';
const PG_TYPE: Record<ColumnType, string> = {
  text: 'text',
  bigint: 'bigint',
  integer: 'integer',
  double: 'double precision',
};

/**
 * A derived table of the rows of a JSON array of arrays bound as one text parameter: one
 * statement carries a whole batch (no parameter limits, one round trip on PostgreSQL).
 */
function jsonRows(
  dialect: Dialect,
  param: string,
  columns: readonly (readonly [string, ColumnType])[],
): string {
  if (dialect === 'sqlite') {
    const list = columns.map(([name], i) => `value ->> ${i} AS ${name}`).join(', ');
    return `(SELECT ${list} FROM json_each(${param}))`;
  }
  const list = columns.map(([name, type], i) => `CAST(e.value ->> ${i} AS ${PG_TYPE[type]}) AS ${name}`);
  return `(SELECT ${list.join(', ')} FROM jsonb_array_elements(CAST(${param} AS jsonb)) AS e(value))`;
}

/** `IN (...)` over a JSON array of strings bound as one parameter. */
function inJsonList(dialect: Dialect, param: string): string {
  return dialect === 'sqlite'
    ? `IN (SELECT value FROM json_each(${param}))`
    : `IN (SELECT jsonb_array_elements_text(CAST(${param} AS jsonb)))`;
}

/** The statements of one dialect, built once. */
function statements(dialect: Dialect) {
  const forUpdate = dialect === 'postgres' ? ' FOR UPDATE' : '';
  const units = inJsonList(dialect, '$1');
  // C(m): the cumulative of the last aggregate row before m, less its own counts when it
  // reaches past m (an hour of folded data: a boundary inside it falls at its start), or the
  // pair's base without such a row. The pair's copy of its newest row answers when m is at or
  // after that row's start (windows ending now: the newest row is the step in progress or the
  // one before), since no row reaches past the start of the next one; otherwise one index
  // seek finds the row (SQLite: a correlated subquery per measure, evaluated only in that
  // CASE branch; PostgreSQL: a LATERAL row whose one-time filter skips the scan).
  const rowBefore = (row: string, m: string, column: 'good' | 'total') =>
    `${row}cum_${column} - CASE WHEN ${row}bucket + ${row}minutes > ${m} THEN ${row}${column} ELSE 0 END`;
  const fromNewest = (m: string, column: 'good' | 'total') =>
    `WHEN p.last_bucket < ${m} THEN ${rowBefore('p.last_', m, column)}
      WHEN p.last_bucket = ${m} THEN p.last_cum_${column} - p.last_${column}`;
  const pairAgg = 'x.unit_id = p.unit_id AND x.sli = p.sli';
  const sqlitePrefix = (m: string, column: 'good' | 'total') =>
    `CASE ${fromNewest(m, column)}
      ELSE COALESCE((SELECT ${rowBefore('x.', m, column)} FROM hub_sli_agg x
        WHERE ${pairAgg} AND x.bucket < ${m} ORDER BY x.bucket DESC LIMIT 1), p.base_${column}) END`;
  const pgLateral = (alias: string, m: string) =>
    `LEFT JOIN LATERAL (SELECT ${rowBefore('x.', m, 'good')} AS cum_good, ${rowBefore('x.', m, 'total')} AS cum_total
      FROM hub_sli_agg x WHERE p.last_bucket > ${m} AND ${pairAgg} AND x.bucket < ${m}
      ORDER BY x.bucket DESC LIMIT 1) ${alias} ON true`;
  const pgPrefix = (alias: string, m: string, column: 'good' | 'total') =>
    `CASE ${fromNewest(m, column)}
      ELSE COALESCE(${alias}.cum_${column}, p.base_${column}) END`;
  const detailFrom = "(SELECT value FROM hub_meta WHERE name = 'detail_from')";
  const prefixRequests = jsonRows(dialect, '$1', [
    ['unit_id', 'text'],
    ['sli', 'text'],
    ['m', 'bigint'],
  ]);
  /**
   * The pairs of the units ($1) and SLIs ($2 when `withSlis`) with their revision, newest
   * bucket, the detail horizon (the same in every row) and, per boundary (the parameters after those), `C(m)` as `g<k>`, `t<k>`: from
   * the pair's newest row where it answers, else sought for the `seek` boundaries and NULL
   * for the others (the store has them in memory). One scalar parameter per boundary: a
   * join with a list of them is estimated at 100 boundaries, which makes PostgreSQL
   * JIT-compile the statement (over 100 ms).
   */
  const pairsAt = (seek: readonly boolean[], withSlis: boolean): string => {
    const first = withSlis ? 3 : 2;
    const laterals: string[] = [];
    const columns = seek.map((sought, k) => {
      const m = dialect === 'sqlite' ? `$${first + k}` : `CAST($${first + k} AS bigint)`;
      if (sought && dialect === 'postgres') laterals.push(pgLateral(`t${k}`, m));
      const value = (column: 'good' | 'total') => {
        const otherwise = !sought
          ? 'NULL'
          : dialect === 'sqlite'
            ? `COALESCE((SELECT ${rowBefore('x.', m, column)} FROM hub_sli_agg x
                WHERE ${pairAgg} AND x.bucket < ${m} ORDER BY x.bucket DESC LIMIT 1), p.base_${column})`
            : `COALESCE(t${k}.cum_${column}, p.base_${column})`;
        return `CASE WHEN p.last_bucket IS NULL THEN p.base_${column} ${fromNewest(m, column)} ELSE ${otherwise} END`;
      };
      return `${value('good')} AS g${k}, ${value('total')} AS t${k}`;
    });
    return `SELECT p.unit_id, p.sli, p.late_rev, p.last_bucket, ${detailFrom} AS detail_from${columns.map((c) => `, ${c}`).join('')}
      FROM hub_unit_slis p ${laterals.join(' ')}
      WHERE p.unit_id ${units}${withSlis ? ` AND p.sli ${inJsonList(dialect, '$2')}` : ''}`;
  };
  const unitSlis = 'sli IN (SELECT s.sli FROM hub_unit_slis s WHERE s.unit_id = $1)';
  return {
    insertUnit: `INSERT INTO hub_units (id, tenant, environment, product_line, created_at_ms, acked_seq)
      VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (id) DO NOTHING`,
    unitById: 'SELECT * FROM hub_units WHERE id = $1',
    allUnits: 'SELECT * FROM hub_units',
    unitIds: 'SELECT id FROM hub_units',
    lockUnit: `SELECT acked_seq, (SELECT value FROM hub_meta WHERE name = 'detail_from') AS detail_from
      FROM hub_units WHERE id = $1${forUpdate}`,
    lockUnitForRetention: `SELECT id FROM hub_units WHERE id = $1${forUpdate}`,
    finishPush: `UPDATE hub_units SET acked_seq = $2, last_push_at_ms = $3,
      catalog_version = COALESCE($4, catalog_version) WHERE id = $1`,

    putCredential: `INSERT INTO hub_credentials (id, kind, unit_id, role, tenants, name, secret_sha256,
        created_at_ms, expires_at_ms, revoked_at_ms)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, unit_id = excluded.unit_id, role = excluded.role,
        tenants = excluded.tenants, name = excluded.name, secret_sha256 = excluded.secret_sha256,
        created_at_ms = excluded.created_at_ms, expires_at_ms = excluded.expires_at_ms,
        revoked_at_ms = excluded.revoked_at_ms`,
    credentialBySecret: 'SELECT * FROM hub_credentials WHERE secret_sha256 = $1',
    allCredentials: 'SELECT * FROM hub_credentials',
    // The first revocation time stays: revoking twice changes nothing.
    revokeCredential: 'UPDATE hub_credentials SET revoked_at_ms = COALESCE(revoked_at_ms, $2) WHERE id = $1',
    deleteSessionsOfCredential: `DELETE FROM hub_sessions
      WHERE secret_sha256 = (SELECT secret_sha256 FROM hub_credentials WHERE id = $1)`,

    // Opening a session locks its credential's row (PostgreSQL; SQLite transactions are
    // serial), as revoking does by updating it: a session is never stored for a token whose
    // revocation has committed, and a revocation deletes every session stored before it.
    lockCredential: `SELECT revoked_at_ms FROM hub_credentials WHERE secret_sha256 = $1${forUpdate}`,
    deleteExpiredSessionsOfToken: 'DELETE FROM hub_sessions WHERE secret_sha256 = $1 AND expires_at_ms <= $2',
    // All but the token's newest $2 sessions (the ones left are all live after the statement above).
    trimSessionsOfToken: `DELETE FROM hub_sessions WHERE secret_sha256 = $1 AND id_sha256 NOT IN
      (SELECT id_sha256 FROM hub_sessions WHERE secret_sha256 = $1
        ORDER BY created_at_ms DESC, id_sha256 DESC LIMIT $2)`,
    insertSession: `INSERT INTO hub_sessions
        (id_sha256, credential_id, secret_sha256, csrf_sha256, created_at_ms, expires_at_ms)
      VALUES ($1, $2, $3, $4, $5, $6)`,
    // The credential's columns as credentialFromRow reads them, the session's prefixed.
    sessionById: `SELECT s.id_sha256 AS session_id_sha256, s.credential_id AS session_credential_id,
        s.csrf_sha256 AS session_csrf_sha256, s.created_at_ms AS session_created_at_ms,
        s.expires_at_ms AS session_expires_at_ms, c.*
      FROM hub_sessions s JOIN hub_credentials c ON c.secret_sha256 = s.secret_sha256
      WHERE s.id_sha256 = $1 AND s.expires_at_ms > $2`,
    deleteSession: 'DELETE FROM hub_sessions WHERE id_sha256 = $1',
    sweepSessions: 'DELETE FROM hub_sessions WHERE expires_at_ms <= $1',
    countSessions: 'SELECT count(*) AS n FROM hub_sessions WHERE expires_at_ms > $1',

    // Stored rows overlapping each window [lo, hi) of a series: a record overlaps it when it
    // starts before hi and ends after lo, so (minutes <= 60) it starts after lo - 60.
    // CROSS JOIN makes SQLite loop over the windows and seek the key, whatever its statistics.
    loadCounts: `SELECT c.sli, c.labels, c.start_minute, c.minutes, c.good, c.total, c.version, c.live
      FROM ${jsonRows(dialect, '$2', [
        ['sli', 'text'],
        ['labels', 'text'],
        ['lo', 'bigint'],
        ['hi', 'bigint'],
      ])} w
      CROSS JOIN hub_counts c
      WHERE c.unit_id = $1 AND c.sli = w.sli AND c.labels = w.labels
        AND c.start_minute > w.lo - ${MAX_RECORD_MINUTES} AND c.start_minute < w.hi
        AND c.start_minute + c.minutes > w.lo`,
    writeCounts: `INSERT INTO hub_counts (unit_id, sli, labels, start_minute, minutes, good, total, version, live)
      SELECT $1, d.sli, d.labels, d.start_minute, d.minutes, d.good, d.total, d.version, d.live
      FROM ${jsonRows(dialect, '$2', [
        ['sli', 'text'],
        ['labels', 'text'],
        ['start_minute', 'bigint'],
        ['minutes', 'integer'],
        ['good', 'double'],
        ['total', 'double'],
        ['version', 'bigint'],
        ['live', 'integer'],
      ])} d WHERE true
      ON CONFLICT (unit_id, sli, labels, start_minute) DO UPDATE SET minutes = excluded.minutes,
        good = excluded.good, total = excluded.total, version = excluded.version, live = excluded.live`,
    // Per SLI of a push: whether the pair exists, and its newest bucket (later rows to shift).
    pairInfo: `SELECT s.sli, p.base_good, p.last_bucket AS max_bucket
      FROM ${jsonRows(dialect, '$2', [['sli', 'text']])} s
      LEFT JOIN hub_unit_slis p ON p.unit_id = $1 AND p.sli = s.sli`,
    insertPairs: `INSERT INTO hub_unit_slis (unit_id, sli, base_good, base_total)
      SELECT $1, s.sli, 0, 0 FROM ${jsonRows(dialect, '$2', [['sli', 'text']])} s WHERE true
      ON CONFLICT (unit_id, sli) DO NOTHING`,
    // Each delta row's new cumulative is the prefix through its bucket before this statement
    // (the cumulative of the last row at or before it, or the pair's base) plus the push's
    // deltas through it (cdg, cdt). Both engines evaluate the SELECT before inserting (SQLite
    // materialises an INSERT that reads its own table; PostgreSQL reads one snapshot).
    upsertAgg: `INSERT INTO hub_sli_agg (unit_id, sli, bucket, minutes, good, total, cum_good, cum_total)
      SELECT $1, d.sli, d.bucket, CAST($3 AS INTEGER), d.dg, d.dt,
        COALESCE((SELECT a.cum_good FROM hub_sli_agg a WHERE a.unit_id = $1 AND a.sli = d.sli
            AND a.bucket <= d.bucket ORDER BY a.bucket DESC LIMIT 1),
          (SELECT p.base_good FROM hub_unit_slis p WHERE p.unit_id = $1 AND p.sli = d.sli), 0) + d.cdg,
        COALESCE((SELECT a.cum_total FROM hub_sli_agg a WHERE a.unit_id = $1 AND a.sli = d.sli
            AND a.bucket <= d.bucket ORDER BY a.bucket DESC LIMIT 1),
          (SELECT p.base_total FROM hub_unit_slis p WHERE p.unit_id = $1 AND p.sli = d.sli), 0) + d.cdt
      FROM ${jsonRows(dialect, '$2', [
        ['sli', 'text'],
        ['bucket', 'bigint'],
        ['dg', 'double'],
        ['dt', 'double'],
        ['cdg', 'double'],
        ['cdt', 'double'],
      ])} d WHERE true
      ON CONFLICT (unit_id, sli, bucket) DO UPDATE SET good = hub_sli_agg.good + excluded.good,
        total = hub_sli_agg.total + excluded.total, cum_good = excluded.cum_good, cum_total = excluded.cum_total`,
    // Copies each pair's newest aggregate row (NULLs when it has none) into the pair row, and
    // moves the revision of the pairs whose older prefixes changed ($3).
    refreshNewest: `UPDATE hub_unit_slis SET
        (last_bucket, last_minutes, last_good, last_total, last_cum_good, last_cum_total) =
        (SELECT a.bucket, a.minutes, a.good, a.total, a.cum_good, a.cum_total FROM hub_sli_agg a
          WHERE a.unit_id = hub_unit_slis.unit_id AND a.sli = hub_unit_slis.sli ORDER BY a.bucket DESC LIMIT 1),
        late_rev = late_rev + CASE WHEN sli ${inJsonList(dialect, '$3')} THEN 1 ELSE 0 END
      WHERE unit_id = $1 AND sli ${inJsonList(dialect, '$2')}`,
    refreshNewestOfUnit: `UPDATE hub_unit_slis SET
        (last_bucket, last_minutes, last_good, last_total, last_cum_good, last_cum_total) =
        (SELECT a.bucket, a.minutes, a.good, a.total, a.cum_good, a.cum_total FROM hub_sli_agg a
          WHERE a.unit_id = hub_unit_slis.unit_id AND a.sli = hub_unit_slis.sli ORDER BY a.bucket DESC LIMIT 1)
      WHERE unit_id = $1`,
    shiftAgg: `UPDATE hub_sli_agg SET cum_good = cum_good + $4, cum_total = cum_total + $5
      WHERE unit_id = $1 AND sli = $2 AND bucket > $3 AND bucket < $6`,
    upsertRecords: `INSERT INTO hub_records (unit_id, kind, key, version, body)
      SELECT $1, d.kind, d.key, d.version, d.body
      FROM ${jsonRows(dialect, '$2', [
        ['kind', 'text'],
        ['key', 'text'],
        ['version', 'bigint'],
        ['body', 'text'],
      ])} d WHERE true
      ON CONFLICT (unit_id, kind, key) DO UPDATE SET version = excluded.version, body = excluded.body
        WHERE hub_records.version < excluded.version
      RETURNING kind, key`,

    pairsAt,
    // C(m) of each requested [unit, SLI, m], with the pair's revision and newest bucket, in
    // one snapshot. CROSS JOIN makes SQLite loop over the requests and seek the pair.
    prefixes:
      dialect === 'sqlite'
        ? `SELECT q.unit_id, q.sli, q.m, p.late_rev, p.last_bucket, ${detailFrom} AS detail_from,
              ${sqlitePrefix('q.m', 'good')} AS good,
              ${sqlitePrefix('q.m', 'total')} AS total
            FROM ${prefixRequests} q CROSS JOIN hub_unit_slis p
            WHERE p.unit_id = q.unit_id AND p.sli = q.sli`
        : `SELECT q.unit_id, q.sli, q.m, p.late_rev, p.last_bucket, ${detailFrom} AS detail_from,
              ${pgPrefix('t', 'q.m', 'good')} AS good,
              ${pgPrefix('t', 'q.m', 'total')} AS total
            FROM ${prefixRequests} q JOIN hub_unit_slis p ON p.unit_id = q.unit_id AND p.sli = q.sli
            ${pgLateral('t', 'q.m')}`,
    // GROUP BY 1: the step expression once, as both engines accept.
    sliSeries: `SELECT (a.bucket / $3) * $3 AS minute, sum(a.good) AS good, sum(a.total) AS total
      FROM hub_sli_agg a
      WHERE a.unit_id ${units} AND a.sli = $2 AND a.bucket >= $4 AND a.bucket < $5
      GROUP BY 1 HAVING sum(a.good) <> 0 OR sum(a.total) <> 0`,
    // The sum over the units of C(m) at each boundary m (a JSON array), as sliTotals.
    sliPrefixes:
      dialect === 'sqlite'
        ? `SELECT b.value AS minute, sum(${sqlitePrefix('b.value', 'good')}) AS good,
              sum(${sqlitePrefix('b.value', 'total')}) AS total
            FROM hub_unit_slis p CROSS JOIN json_each($3) b
            WHERE p.unit_id ${units} AND p.sli = $2
            GROUP BY b.value`
        : `SELECT b.m AS minute, sum(${pgPrefix('t', 'b.m', 'good')}) AS good,
              sum(${pgPrefix('t', 'b.m', 'total')}) AS total
            FROM hub_unit_slis p
            CROSS JOIN (SELECT CAST(jsonb_array_elements_text(CAST($3 AS jsonb)) AS bigint) AS m) b
            ${pgLateral('t', 'b.m')}
            WHERE p.unit_id ${units} AND p.sli = $2
            GROUP BY b.m`,
    records: `SELECT unit_id, kind, key, version, body FROM hub_records
      WHERE unit_id ${units} AND kind ${inJsonList(dialect, '$2')}`,
    // One statement, so the checksum reads one consistent state on both engines.
    checksumRows: `SELECT 0 AS part, sli, labels, start_minute, minutes, good, total, NULL AS body
        FROM hub_counts WHERE unit_id = $1 AND live = 1
      UNION ALL
      SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, body FROM hub_records WHERE unit_id = $1`,

    putCatalog: `INSERT INTO hub_catalogs (version, files, created_at_ms, put_seq)
      VALUES ($1, $2, $3, (SELECT COALESCE(max(put_seq), 0) + 1 FROM hub_catalogs))
      ON CONFLICT (version) DO UPDATE SET files = excluded.files, created_at_ms = excluded.created_at_ms,
        put_seq = excluded.put_seq`,
    latestCatalog: 'SELECT version, files, created_at_ms FROM hub_catalogs ORDER BY put_seq DESC LIMIT 1',

    appendAudit: `INSERT INTO hub_audit (at_ms, actor, action, resource, outcome, detail)
      SELECT d.at_ms, d.actor, d.action, d.resource, d.outcome, d.detail
      FROM ${jsonRows(dialect, '$1', [
        ['at_ms', 'bigint'],
        ['actor', 'text'],
        ['action', 'text'],
        ['resource', 'text'],
        ['outcome', 'text'],
        ['detail', 'text'],
      ])} d WHERE true`,
    listAudit: `SELECT at_ms, actor, action, resource, outcome, detail FROM hub_audit
      WHERE at_ms >= $1 ORDER BY at_ms, id LIMIT $2`,
    deleteAudit: `DELETE FROM hub_audit WHERE id IN
      (SELECT id FROM hub_audit WHERE at_ms < $1 ORDER BY at_ms LIMIT ${AUDIT_DELETE_CHUNK})`,

    meta: 'SELECT name, value FROM hub_meta',
    setMeta: `INSERT INTO hub_meta (name, value) VALUES ($1, $2)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    deleteCounts: 'DELETE FROM hub_counts WHERE unit_id = $1 AND start_minute < $2',
    // `sli IN (pairs)` lets both engines seek (unit, sli, bucket) ranges instead of scanning
    // the unit's rows. Rows of [$2, $3) of each hour become one: counts summed, cumulative of
    // the hour's last row (the largest: counts are not negative), minutes 60.
    foldAgg: `INSERT INTO hub_sli_agg (unit_id, sli, bucket, minutes, good, total, cum_good, cum_total)
      SELECT unit_id, sli, (bucket / ${MINUTES_PER_HOUR}) * ${MINUTES_PER_HOUR}, ${MINUTES_PER_HOUR},
        sum(good), sum(total), max(cum_good), max(cum_total)
      FROM hub_sli_agg WHERE unit_id = $1 AND ${unitSlis} AND bucket >= $2 AND bucket < $3
      GROUP BY unit_id, sli, (bucket / ${MINUTES_PER_HOUR}) * ${MINUTES_PER_HOUR}
      ON CONFLICT (unit_id, sli, bucket) DO UPDATE SET minutes = excluded.minutes, good = excluded.good,
        total = excluded.total, cum_good = excluded.cum_good, cum_total = excluded.cum_total`,
    deleteFolded: `DELETE FROM hub_sli_agg WHERE unit_id = $1 AND ${unitSlis}
      AND bucket >= $2 AND bucket < $3 AND minutes < ${MINUTES_PER_HOUR}`,
    moveBase: `UPDATE hub_unit_slis SET
        base_good = COALESCE((SELECT a.cum_good FROM hub_sli_agg a WHERE a.unit_id = hub_unit_slis.unit_id
          AND a.sli = hub_unit_slis.sli AND a.bucket < $2 ORDER BY a.bucket DESC LIMIT 1), base_good),
        base_total = COALESCE((SELECT a.cum_total FROM hub_sli_agg a WHERE a.unit_id = hub_unit_slis.unit_id
          AND a.sli = hub_unit_slis.sli AND a.bucket < $2 ORDER BY a.bucket DESC LIMIT 1), base_total)
      WHERE unit_id = $1`,
    deleteAgg: `DELETE FROM hub_sli_agg WHERE unit_id = $1 AND ${unitSlis} AND bucket < $2`,
  };
}

type Statements = ReturnType<typeof statements>;

// Reading rows. Both drivers give numbers for numeric columns; anything else is a bug.
function num(row: SqlRow, column: string): number {
  const value = row[column];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`hub store: column ${column} is ${value === null ? 'NULL' : typeof value}, not a number`);
}

function optNum(row: SqlRow, column: string): number | null {
  const value = row[column];
  return value === null || value === undefined ? null : num(row, column);
}

function str(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value === 'string') return value;
  throw new Error(`hub store: column ${column} is ${value === null ? 'NULL' : typeof value}, not text`);
}

function optStr(row: SqlRow, column: string): string | null {
  const value = row[column];
  return value === null || value === undefined ? null : str(row, column);
}

/**
 * The step a series is computed at: the smallest at least `requested` that is a multiple of
 * the store's step and either divides the hour or is a whole number of hours, so step
 * boundaries never cut an hour of folded data.
 * @example seriesStep(7, 5) // 10
 * @example seriesStep(90, 5) // 120
 */
function seriesStep(requested: number, storeStep: number): number {
  if (!(requested > storeStep)) return storeStep;
  for (let step = storeStep; step <= MINUTES_PER_HOUR; step += storeStep) {
    if (step >= requested && MINUTES_PER_HOUR % step === 0) return step;
  }
  return Math.ceil(requested / MINUTES_PER_HOUR) * MINUTES_PER_HOUR;
}

/** Code-unit order, the same on both engines (PostgreSQL's collation may differ). */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step;
}

/**
 * True when `tenant` matches `pattern`, where `*` matches any run of characters (possibly
 * empty) and everything else matches itself. Linear in practice and never exponential:
 * the pieces between stars are found left to right, each at its earliest position.
 * @example matchesTenantPattern('dedicated-*', 'dedicated-acme') // true
 */
export function matchesTenantPattern(pattern: string, tenant: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === tenant;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (tenant.length < first.length + last.length) return false;
  if (!tenant.startsWith(first) || !tenant.endsWith(last)) return false;
  let at = first.length;
  const end = tenant.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    const found = tenant.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** Label pairs sorted by name, as JSON: the series identity `recordKey` uses. */
function canonicalLabels(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((name) => [name, labels[name]]),
  );
}

function unitFromRow(row: SqlRow): UnitInfo {
  return {
    id: str(row, 'id'),
    tenant: str(row, 'tenant'),
    environment: str(row, 'environment'),
    productLine: optStr(row, 'product_line'),
    createdAtMs: num(row, 'created_at_ms'),
    ackedSeq: num(row, 'acked_seq'),
    lastPushAtMs: optNum(row, 'last_push_at_ms'),
    catalogVersion: optStr(row, 'catalog_version'),
  };
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

function credentialFromRow(row: SqlRow): Credential {
  const common = {
    id: str(row, 'id'),
    name: str(row, 'name'),
    secretSha256: str(row, 'secret_sha256'),
    createdAtMs: num(row, 'created_at_ms'),
    expiresAtMs: optNum(row, 'expires_at_ms'),
    revokedAtMs: optNum(row, 'revoked_at_ms'),
  };
  const kind = str(row, 'kind');
  if (kind === 'unit') {
    const { id, ...rest } = common;
    return { id, kind, unitId: str(row, 'unit_id'), ...rest };
  }
  const role = str(row, 'role');
  const tenants: unknown = JSON.parse(str(row, 'tenants'));
  if (kind !== 'api' || !isRole(role) || !Array.isArray(tenants)) {
    throw new Error(`hub store: credential ${common.id} is malformed (kind ${kind}, role ${role})`);
  }
  const { id, ...rest } = common;
  return { id, kind, role, tenants: tenants.map(String), ...rest };
}

/** One stored or incoming count record of a series, keyed in its series by `start`. */
interface CountRow {
  start: number;
  minutes: number;
  good: number;
  total: number;
  version: number;
  live: boolean;
}

/** A series a push writes to: its incoming winners and the stored rows around them. */
interface SeriesWork {
  sli: string;
  labels: string;
  /** Per start minute, the highest version in the push. */
  incoming: Map<number, CountsRecord>;
  /** The stored rows overlapping [lo, hi) are in `stored`. */
  lo: number;
  hi: number;
  stored: Map<number, CountRow>;
}

/** What resolving one series changed. */
interface SeriesPlan {
  writes: CountRow[];
  /** [bucket start minute, good delta, total delta] */
  deltas: [number, number, number][];
  applied: number;
  superseded: number;
}

function overlaps(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  return aStart < bEnd && bStart < aEnd;
}

/**
 * Applies a series' incoming records to its stored rows as `resolveRecords` would: per start
 * minute the highest version, then per group of overlapping rows, highest version first,
 * live when it overlaps no live row. Returns the span to load when a group it must
 * recompute reaches outside the loaded window.
 */
function planSeries(work: SeriesWork, stepMinutes: number): SeriesPlan | { widen: [number, number] } {
  const next = new Map(work.stored);
  const replaced = new Set<number>();
  const dirty: [number, number][] = [];
  let superseded = 0;
  for (const [start, record] of work.incoming) {
    const held = work.stored.get(start);
    // An equal version is the same record again (a duplicate or replay).
    if (held !== undefined && held.version >= record.seq) {
      superseded++;
      continue;
    }
    next.set(start, {
      start,
      minutes: record.minutes,
      good: record.good,
      total: record.total,
      version: record.seq,
      live: false,
    });
    replaced.add(start);
    dirty.push([start, start + record.minutes]);
    if (held !== undefined) dirty.push([start, start + held.minutes]);
  }
  const plan: SeriesPlan = { writes: [], deltas: [], applied: 0, superseded };
  if (replaced.size === 0) return plan;
  // The changed spans as sorted disjoint intervals, walked alongside the sorted groups.
  dirty.sort((a, b) => a[0] - b[0]);
  const changed: [number, number][] = [];
  for (const [s, e] of dirty) {
    const last = changed[changed.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else changed.push([s, e]);
  }
  // A replaced record may have hidden rows beyond the window (it was longer than its
  // replacement): they must be loaded to be recomputed.
  const changedFrom = changed[0]![0];
  const changedTo = changed[changed.length - 1]![1];
  if (changedFrom < work.lo || changedTo > work.hi) {
    return { widen: [Math.min(changedFrom, work.lo), Math.max(changedTo, work.hi)] };
  }

  const rows = [...next.values()].sort((a, b) => a.start - b.start);
  let c = 0;
  for (let i = 0; i < rows.length; ) {
    let j = i;
    let end = rows[i]!.start + rows[i]!.minutes;
    while (j + 1 < rows.length && rows[j + 1]!.start < end) {
      j++;
      end = Math.max(end, rows[j]!.start + rows[j]!.minutes);
    }
    const begin = rows[i]!.start;
    const group = rows.slice(i, j + 1);
    i = j + 1;
    while (c < changed.length && changed[c]![1] <= begin) c++;
    if (c === changed.length || changed[c]![0] >= end) continue;
    // Every stored row overlapping [lo, hi) is loaded, so a group inside it is complete.
    if (begin < work.lo || end > work.hi) {
      return { widen: [Math.min(begin, work.lo), Math.max(end, work.hi)] };
    }
    group.sort((a, b) => b.version - a.version || a.start - b.start);
    const kept: CountRow[] = [];
    for (const row of group) {
      const live = !kept.some((k) =>
        overlaps(k.start, k.start + k.minutes, row.start, row.start + row.minutes),
      );
      if (live) kept.push(row);
      const before = work.stored.get(row.start);
      const isNew = replaced.has(row.start);
      if (isNew) {
        if (live) plan.applied++;
        else plan.superseded++;
      }
      if (!isNew && before !== undefined && before.live === live) continue;
      plan.writes.push({ ...row, live });
      const bucket = floorTo(row.start, stepMinutes);
      if (before?.live) plan.deltas.push([bucket, -before.good, -before.total]);
      if (live) plan.deltas.push([bucket, row.good, row.total]);
    }
  }
  return plan;
}

/** A non-count record's body as stored: the record without its version. */
function bodyOf(record: SyncRecord): string {
  const { seq: _seq, ...body } = record;
  return JSON.stringify(body);
}

/** `HubStore` over a `SqlDriver`; see the module comment. */
export class SqlHubStore implements HubStore {
  readonly dialect: Dialect;
  readonly stepMinutes: number;
  /** The driver this store runs on (and closes). */
  readonly driver: SqlDriver;
  readonly #driver: SqlDriver;
  readonly #sql: Statements;
  readonly #retention: HubRetention;
  readonly #prefixCache = new PrefixCache();
  readonly #pairsAtCache = new Map<string, string>();

  constructor(driver: SqlDriver, options: SqlHubStoreOptions = {}) {
    const step = options.stepMinutes ?? 5;
    if (!Number.isInteger(step) || step < 1 || MINUTES_PER_HOUR % step !== 0) {
      throw new Error(`hub store: stepMinutes must divide 60, got ${step}`);
    }
    this.dialect = driver.dialect;
    this.stepMinutes = step;
    this.driver = driver;
    this.#driver = driver;
    this.#sql = statements(driver.dialect);
    this.#retention = { ...DEFAULT_HUB_RETENTION, ...options.retention };
  }

  // Units and credentials.

  async createUnit(
    unit: UnitRegistration,
    atMs: number,
  ): Promise<{ ok: true; value: UnitInfo } | { ok: false; message: string }> {
    const changed = await this.#driver.run(this.#sql.insertUnit, [
      unit.id,
      unit.tenant,
      unit.environment,
      unit.productLine ?? null,
      atMs,
    ]);
    if (changed === 0) return { ok: false, message: `unit ${unit.id} already exists` };
    return {
      ok: true,
      value: {
        id: unit.id,
        tenant: unit.tenant,
        environment: unit.environment,
        productLine: unit.productLine ?? null,
        createdAtMs: atMs,
        ackedSeq: 0,
        lastPushAtMs: null,
        catalogVersion: null,
      },
    };
  }

  async getUnit(id: string): Promise<UnitInfo | undefined> {
    const [row] = await this.#driver.query(this.#sql.unitById, [id]);
    return row === undefined ? undefined : unitFromRow(row);
  }

  async listUnits(tenantPatterns: readonly string[]): Promise<UnitInfo[]> {
    if (tenantPatterns.length === 0) return [];
    const rows = await this.#driver.query(this.#sql.allUnits);
    return rows
      .map(unitFromRow)
      .filter((unit) => tenantPatterns.some((pattern) => matchesTenantPattern(pattern, unit.tenant)))
      .sort((a, b) => byText(a.id, b.id));
  }

  async putCredential(credential: Credential): Promise<void> {
    await this.#driver.run(this.#sql.putCredential, [
      credential.id,
      credential.kind,
      credential.kind === 'unit' ? credential.unitId : null,
      credential.kind === 'api' ? credential.role : null,
      credential.kind === 'api' ? JSON.stringify(credential.tenants) : null,
      credential.name,
      credential.secretSha256,
      credential.createdAtMs,
      credential.expiresAtMs,
      credential.revokedAtMs,
    ]);
  }

  async findCredentialBySecretHash(secretSha256: string): Promise<Credential | undefined> {
    const [row] = await this.#driver.query(this.#sql.credentialBySecret, [secretSha256]);
    return row === undefined ? undefined : credentialFromRow(row);
  }

  async listCredentials(): Promise<Credential[]> {
    const rows = await this.#driver.query(this.#sql.allCredentials);
    return rows.map(credentialFromRow).sort((a, b) => a.createdAtMs - b.createdAtMs || byText(a.id, b.id));
  }

  async revokeCredential(id: string, atMs: number): Promise<boolean> {
    return this.#driver.transaction(async (tx) => {
      const found = (await tx.run(this.#sql.revokeCredential, [id, atMs])) > 0;
      if (found) await tx.run(this.#sql.deleteSessionsOfCredential, [id]);
      return found;
    });
  }

  // Portal sessions.

  openSession(
    session: StoredSession,
    options: { maxPerToken: number },
  ): Promise<{ ok: true; value: { dropped: number } } | { ok: false; reason: SessionRefusal }> {
    const keep = Math.trunc(options.maxPerToken) - 1;
    if (!(keep >= 0))
      throw new Error(`hub store: maxPerToken must be at least 1, got ${options.maxPerToken}`);
    return this.#driver.transaction(async (tx) => {
      const [credential] = await tx.query(this.#sql.lockCredential, [session.secretSha256]);
      if (credential === undefined) return { ok: false, reason: 'unknown' };
      const revokedAtMs = optNum(credential, 'revoked_at_ms');
      if (revokedAtMs !== null && revokedAtMs <= session.createdAtMs) return { ok: false, reason: 'revoked' };
      await tx.run(this.#sql.deleteExpiredSessionsOfToken, [session.secretSha256, session.createdAtMs]);
      const dropped = await tx.run(this.#sql.trimSessionsOfToken, [session.secretSha256, keep]);
      await tx.run(this.#sql.insertSession, [
        session.idSha256,
        session.credentialId,
        session.secretSha256,
        session.csrfSha256,
        session.createdAtMs,
        session.expiresAtMs,
      ]);
      return { ok: true, value: { dropped } };
    });
  }

  async getSession(
    idSha256: string,
    nowMs: number,
  ): Promise<{ session: StoredSession; credential: Credential } | undefined> {
    const [row] = await this.#driver.query(this.#sql.sessionById, [idSha256, nowMs]);
    if (row === undefined) return undefined;
    const credential = credentialFromRow(row);
    return {
      session: {
        idSha256: str(row, 'session_id_sha256'),
        credentialId: str(row, 'session_credential_id'),
        secretSha256: credential.secretSha256,
        csrfSha256: str(row, 'session_csrf_sha256'),
        createdAtMs: num(row, 'session_created_at_ms'),
        expiresAtMs: num(row, 'session_expires_at_ms'),
      },
      credential,
    };
  }

  async deleteSession(idSha256: string): Promise<boolean> {
    return (await this.#driver.run(this.#sql.deleteSession, [idSha256])) > 0;
  }

  sweepSessions(nowMs: number): Promise<number> {
    return this.#driver.run(this.#sql.sweepSessions, [nowMs]);
  }

  async countSessions(nowMs: number): Promise<number> {
    const [row] = await this.#driver.query(this.#sql.countSessions, [nowMs]);
    return row === undefined ? 0 : num(row, 'n');
  }

  // Replication.

  applyPush(
    unitId: string,
    push: { afterSeq: number; throughSeq: number; records: readonly (SyncRecord | UnknownRecord)[] },
    atMs: number,
  ): Promise<ApplyOutcome> {
    return this.#driver.transaction(async (tx) => {
      const [unit] = await tx.query(this.#sql.lockUnit, [unitId]);
      if (unit === undefined) throw new Error(`hub store: no unit ${unitId}`);
      const ackedSeq = num(unit, 'acked_seq');
      if (push.afterSeq > ackedSeq) return { ok: false, gap: { ackedSeq } };

      const detailFrom = Math.max(
        optNum(unit, 'detail_from') ?? 0,
        floorTo(Math.floor(atMs / 60_000) - this.#retention.detailMinutes, MINUTES_PER_HOUR),
      );
      const counts: CountsRecord[] = [];
      const others = new Map<string, SyncRecord>();
      let ignored = 0;
      let superseded = 0;
      for (const record of push.records) {
        switch (record.kind) {
          case 'counts':
            if (record.startMinute < detailFrom) ignored++;
            else counts.push(record);
            break;
          case 'slo_status':
          case 'alert':
          case 'catalog': {
            const key = recordKey(record);
            const held = others.get(key);
            if (held === undefined || held.seq < record.seq) others.set(key, record);
            if (held !== undefined) superseded++;
            break;
          }
          default:
            ignored++;
        }
      }
      const countReport = await this.#applyCounts(tx, unitId, counts);
      const recordReport = await this.#applyRecords(tx, unitId, others);
      const newAcked = Math.max(ackedSeq, push.throughSeq);
      await tx.run(this.#sql.finishPush, [unitId, newAcked, atMs, recordReport.catalogVersion]);
      return {
        ok: true,
        value: {
          ackedSeq: newAcked,
          applied: countReport.applied + recordReport.applied,
          superseded: superseded + countReport.superseded + recordReport.superseded,
          ignored,
        },
      };
    });
  }

  async #applyCounts(
    tx: SqlExecutor,
    unitId: string,
    records: readonly CountsRecord[],
  ): Promise<{ applied: number; superseded: number }> {
    let superseded = 0;
    const bySeries = new Map<string, SeriesWork>();
    for (const record of records) {
      const labels = canonicalLabels(record.labels);
      const id = JSON.stringify([record.sli, labels]);
      let work = bySeries.get(id);
      if (work === undefined) {
        work = {
          sli: record.sli,
          labels,
          incoming: new Map(),
          lo: record.startMinute,
          hi: record.startMinute + record.minutes,
          stored: new Map(),
        };
        bySeries.set(id, work);
      }
      work.lo = Math.min(work.lo, record.startMinute);
      work.hi = Math.max(work.hi, record.startMinute + record.minutes);
      const held = work.incoming.get(record.startMinute);
      if (held === undefined || held.seq < record.seq) work.incoming.set(record.startMinute, record);
      if (held !== undefined) superseded++;
    }
    if (bySeries.size === 0) return { applied: 0, superseded };

    await this.#loadCounts(tx, unitId, [...bySeries.values()]);
    let applied = 0;
    const writes: SqlValue[][] = [];
    /** sli -> bucket -> [good delta, total delta] */
    const deltas = new Map<string, Map<number, [number, number]>>();
    for (const work of bySeries.values()) {
      let plan = planSeries(work, this.stepMinutes);
      while ('widen' in plan) {
        [work.lo, work.hi] = plan.widen;
        await this.#loadCounts(tx, unitId, [work]);
        plan = planSeries(work, this.stepMinutes);
      }
      applied += plan.applied;
      superseded += plan.superseded;
      for (const row of plan.writes) {
        writes.push([
          work.sli,
          work.labels,
          row.start,
          row.minutes,
          row.good,
          row.total,
          row.version,
          row.live ? 1 : 0,
        ]);
      }
      let perBucket = deltas.get(work.sli);
      if (perBucket === undefined) {
        perBucket = new Map();
        deltas.set(work.sli, perBucket);
      }
      for (const [bucket, good, total] of plan.deltas) {
        const sum = perBucket.get(bucket) ?? [0, 0];
        perBucket.set(bucket, [sum[0] + good, sum[1] + total]);
      }
    }
    if (writes.length > 0) await tx.run(this.#sql.writeCounts, [unitId, JSON.stringify(writes)]);
    await this.#applyDeltas(tx, unitId, deltas);
    return { applied, superseded };
  }

  /** Loads into each series the stored rows overlapping its window [lo, hi). */
  async #loadCounts(tx: SqlExecutor, unitId: string, series: readonly SeriesWork[]): Promise<void> {
    const byId = new Map<string, SeriesWork>();
    for (const work of series) {
      work.stored.clear();
      byId.set(JSON.stringify([work.sli, work.labels]), work);
    }
    const windows = series.map((work) => [work.sli, work.labels, work.lo, work.hi]);
    const rows = await tx.query(this.#sql.loadCounts, [unitId, JSON.stringify(windows)]);
    for (const row of rows) {
      const work = byId.get(JSON.stringify([str(row, 'sli'), str(row, 'labels')]));
      if (work === undefined) continue;
      const start = num(row, 'start_minute');
      work.stored.set(start, {
        start,
        minutes: num(row, 'minutes'),
        good: num(row, 'good'),
        total: num(row, 'total'),
        version: num(row, 'version'),
        live: num(row, 'live') !== 0,
      });
    }
  }

  /** Adds per-(SLI, bucket) deltas to the aggregates and their cumulative sums. */
  async #applyDeltas(
    tx: SqlExecutor,
    unitId: string,
    deltas: ReadonlyMap<string, ReadonlyMap<number, [number, number]>>,
  ): Promise<void> {
    const perSli = new Map<string, [number, number, number][]>();
    for (const [sli, buckets] of deltas) {
      const list = [...buckets]
        .filter(([, [good, total]]) => good !== 0 || total !== 0)
        .map(([bucket, [good, total]]): [number, number, number] => [bucket, good, total])
        .sort((a, b) => a[0] - b[0]);
      if (list.length > 0) perSli.set(sli, list);
    }
    if (perSli.size === 0) return;
    const slis = JSON.stringify([...perSli.keys()].map((sli) => [sli]));
    // The newest bucket of each pair before this push: delta buckets before it shift rows.
    const info = await tx.query(this.#sql.pairInfo, [unitId, slis]);
    const maxBucket = new Map<string, number | null>();
    let missingPairs = false;
    for (const row of info) {
      maxBucket.set(str(row, 'sli'), optNum(row, 'max_bucket'));
      if (row['base_good'] === null) missingPairs = true;
    }
    if (missingPairs) await tx.run(this.#sql.insertPairs, [unitId, slis]);

    const upserts: [string, number, number, number, number, number][] = [];
    const shifts: [string, number, number, number, number][] = [];
    /** SLIs with a delta before their newest bucket: prefixes up to that bucket changed. */
    const late: string[] = [];
    for (const [sli, list] of perSli) {
      const newest = maxBucket.get(sli) ?? null;
      let cumGood = 0;
      let cumTotal = 0;
      list.forEach(([bucket, good, total], i) => {
        cumGood += good;
        cumTotal += total;
        upserts.push([sli, bucket, good, total, cumGood, cumTotal]);
        // Rows strictly between this delta bucket and the next one move by the deltas so far.
        if (newest !== null && bucket < newest) {
          shifts.push([sli, bucket, list[i + 1]?.[0] ?? END_OF_TIME, cumGood, cumTotal]);
        }
      });
      if (newest !== null && list[0]![0] < newest) late.push(sli);
    }
    await tx.run(this.#sql.upsertAgg, [unitId, JSON.stringify(upserts), this.stepMinutes]);
    for (const [sli, after, before, good, total] of shifts) {
      if (good === 0 && total === 0) continue;
      await tx.run(this.#sql.shiftAgg, [unitId, sli, after, good, total, before]);
    }
    await tx.run(this.#sql.refreshNewest, [unitId, JSON.stringify([...perSli.keys()]), JSON.stringify(late)]);
  }

  async #applyRecords(
    tx: SqlExecutor,
    unitId: string,
    records: ReadonlyMap<string, SyncRecord>,
  ): Promise<{ applied: number; superseded: number; catalogVersion: string | null }> {
    if (records.size === 0) return { applied: 0, superseded: 0, catalogVersion: null };
    const rows = [...records].map(([key, record]) => [record.kind, key, record.seq, bodyOf(record)]);
    const won = await tx.query(this.#sql.upsertRecords, [unitId, JSON.stringify(rows)]);
    let catalogVersion: string | null = null;
    for (const row of won) {
      const record = records.get(str(row, 'key'));
      if (record?.kind === 'catalog') catalogVersion = record.version;
    }
    return { applied: won.length, superseded: records.size - won.length, catalogVersion };
  }

  // Queries.

  async sliTotals(query: {
    unitIds: readonly string[];
    slis?: readonly string[];
    fromMinute: number;
    toMinute: number;
  }): Promise<SliTotals[]> {
    const { fromMinute, toMinute, ...rest } = query;
    const [totals] = await this.sliWindowTotals({ ...rest, windows: [{ fromMinute, toMinute }] });
    return totals ?? [];
  }

  async sliWindowTotals(query: {
    unitIds: readonly string[];
    slis?: readonly string[];
    windows: readonly MinuteWindow[];
  }): Promise<SliTotals[][]> {
    const windows = query.windows.map((w) => ({
      from: floorTo(w.fromMinute, this.stepMinutes),
      to: floorTo(w.toMinute, this.stepMinutes),
    }));
    const out: SliTotals[][] = windows.map(() => []);
    const boundaries = [...new Set(windows.filter((w) => w.to > w.from).flatMap((w) => [w.from, w.to]))].sort(
      (a, b) => a - b,
    );
    if (query.unitIds.length === 0 || boundaries.length === 0 || query.slis?.length === 0) return out;
    const index = new Map(boundaries.map((m, k) => [m, k]));
    const at = windows.map((w) => (w.to > w.from ? [index.get(w.from)!, index.get(w.to)!] : undefined));
    const slis = query.slis === undefined ? undefined : JSON.stringify(query.slis);
    // SQLite runs on the event loop's thread: a fleet query in slices lets pushes through
    // between them. Each (unit, SLI) is still read from one consistent state.
    const slice = this.dialect === 'sqlite' ? TOTALS_UNITS_PER_STATEMENT : query.unitIds.length;
    // Boundaries the store has not seen are sought for every pair in the first statement.
    const seekFirst = boundaries.map((m) => !this.#prefixCache.has(m));
    for (let i = 0; i < query.unitIds.length; i += slice) {
      const units = JSON.stringify(query.unitIds.slice(i, i + slice));
      for (const pair of await this.#prefixesAt(units, slis, boundaries, seekFirst)) {
        at.forEach((k, w) => {
          if (k === undefined) return;
          const good = pair.prefixes[2 * k[1]!]! - pair.prefixes[2 * k[0]!]!;
          const total = pair.prefixes[2 * k[1]! + 1]! - pair.prefixes[2 * k[0]! + 1]!;
          if (good !== 0 || total !== 0) out[w]!.push({ unitId: pair.unitId, sli: pair.sli, good, total });
        });
      }
    }
    for (const list of out) list.sort((a, b) => byText(a.unitId, b.unitId) || byText(a.sli, b.sli));
    return out;
  }

  /**
   * C(m) at each boundary of every pair of the units (and SLIs), as [good, total] pairs in
   * boundary order; see "Cached prefixes" in the module comment.
   */
  async #prefixesAt(
    units: string,
    slis: string | undefined,
    boundaries: readonly number[],
    seekFirst: readonly boolean[],
  ): Promise<{ unitId: string; sli: string; prefixes: Float64Array }[]> {
    // The `seekFirst` boundaries are sought for every pair in the first statement; for the
    // others, the store answers what it holds at the pairs' revisions.
    const pairsAt = (mask: readonly boolean[]) =>
      this.#driver.query(this.#pairsAtSql(mask, slis !== undefined), [
        units,
        ...(slis === undefined ? [] : [slis]),
        ...boundaries,
      ]);
    const rows = await pairsAt(seekFirst);
    // Retention changes prefixes before the detail horizon only (folding, deleting): what
    // memory holds before it is not used.
    const horizon = rows.length === 0 ? 0 : (optNum(rows[0]!, 'detail_from') ?? 0);
    const pairs = rows.map((row) => ({
      unitId: str(row, 'unit_id'),
      sli: str(row, 'sli'),
      rev: num(row, 'late_rev'),
      prefixes: new Float64Array(2 * boundaries.length),
    }));
    const goodColumns = boundaries.map((_, k) => `g${k}`);
    const totalColumns = boundaries.map((_, k) => `t${k}`);
    /** Per boundary, the pairs whose prefix there is neither in the row nor in memory. */
    const missing: number[][] = boundaries.map(() => []);
    /** Stores C(m) of pair i at boundary k, and keeps it when it came from a seek. */
    const put = (i: number, k: number, rev: number, last: number | null, good: number, total: number) => {
      const pair = pairs[i]!;
      pair.prefixes[2 * k] = good;
      pair.prefixes[2 * k + 1] = total;
      // C(m) before the newest row moves only with late_rev; the newest row's copy is read anew.
      const m = boundaries[k]!;
      if (last !== null && m < last && m >= horizon) {
        this.#prefixCache.set(m, pair.unitId, pair.sli, { rev, good, total });
      }
    };
    for (const m of boundaries) this.#prefixCache.touch(m);
    rows.forEach((row, i) => {
      const pair = pairs[i]!;
      const last = optNum(row, 'last_bucket');
      boundaries.forEach((m, k) => {
        const good = optNum(row, goodColumns[k]!);
        if (good !== null) {
          put(i, k, pair.rev, last, good, num(row, totalColumns[k]!));
          return;
        }
        const cached = m >= horizon ? this.#prefixCache.get(m, pair.unitId, pair.sli, pair.rev) : undefined;
        if (cached === undefined) missing[k]!.push(i);
        else put(i, k, pair.rev, null, cached.good, cached.total);
      });
    });
    if (missing.every((list) => list.length === 0)) return pairs;

    // What memory lacks: a boundary most pairs miss (for other units, or once the pairs'
    // revisions moved) is sought for all pairs again, scattered misses (after late data) one
    // by one. A pair whose revision moved since the first statement had late data in between:
    // all its prefixes are read again below, together, from one state. Should retention move
    // the horizon in between, everything is read again in one statement.
    let horizonMoved = false;
    const sameHorizon = (row: SqlRow) => {
      if ((optNum(row, 'detail_from') ?? 0) !== horizon) horizonMoved = true;
      return !horizonMoved;
    };
    const moved = new Set<number>();
    const byPair = new Map(pairs.map((pair, i) => [`${pair.unitId}\0${pair.sli}`, i]));
    const dense = missing.map((list) => list.length * DENSE_MISSES > pairs.length);
    // Only what is missing is taken from the second statement: a prefix the first one read
    // from the newest row may have moved since without a new revision.
    const missingAt = missing.map((list, k) => (dense[k] ? new Set(list) : undefined));
    const denseRead = new Set<number>();
    if (dense.some(Boolean)) {
      for (const row of await pairsAt(dense)) {
        if (!sameHorizon(row)) break;
        const i = byPair.get(`${str(row, 'unit_id')}\0${str(row, 'sli')}`);
        if (i === undefined) continue;
        denseRead.add(i);
        const rev = num(row, 'late_rev');
        if (rev !== pairs[i]!.rev) {
          moved.add(i);
          continue;
        }
        const last = optNum(row, 'last_bucket');
        missingAt.forEach((set, k) => {
          if (set?.has(i)) put(i, k, rev, last, num(row, goodColumns[k]!), num(row, totalColumns[k]!));
        });
      }
    }
    const requests: [string, string, number][] = [];
    const wanted = new Set<string>();
    missing.forEach((list, k) => {
      if (dense[k]) {
        for (const i of list) if (!denseRead.has(i)) moved.add(i);
        return;
      }
      for (const i of list) {
        requests.push([pairs[i]!.unitId, pairs[i]!.sli, boundaries[k]!]);
        wanted.add(`${i}:${k}`);
      }
    });
    const column = new Map(boundaries.map((m, k) => [m, k]));
    const seek = async (list: readonly [string, string, number][], check: boolean) => {
      const found = new Set<string>();
      for (const row of await this.#driver.query(this.#sql.prefixes, [JSON.stringify(list)])) {
        if (!sameHorizon(row)) break;
        const i = byPair.get(`${str(row, 'unit_id')}\0${str(row, 'sli')}`);
        const k = column.get(num(row, 'm'));
        if (i === undefined || k === undefined) continue;
        const rev = num(row, 'late_rev');
        if (check && rev !== pairs[i]!.rev) {
          moved.add(i);
          continue;
        }
        put(i, k, rev, optNum(row, 'last_bucket'), num(row, 'good'), num(row, 'total'));
        found.add(`${i}:${k}`);
      }
      return found;
    };
    const restart = () =>
      this.#prefixesAt(
        units,
        slis,
        boundaries,
        boundaries.map(() => true),
      );
    if (horizonMoved) return restart();
    if (requests.length > 0) {
      const found = await seek(requests, true);
      if (horizonMoved) return restart();
      for (const key of wanted) if (!found.has(key)) moved.add(Number(key.slice(0, key.indexOf(':'))));
    }
    if (moved.size === 0) return pairs;
    const again: [string, string, number][] = [];
    for (const i of moved) for (const m of boundaries) again.push([pairs[i]!.unitId, pairs[i]!.sli, m]);
    const found = await seek(again, false);
    if (horizonMoved) return restart();
    // Pairs are never deleted; one missing now was not there to read.
    return pairs.filter((_, i) => !moved.has(i) || found.has(`${i}:0`));
  }

  /** `pairsAt` of this dialect for a seek mask, built once per mask. */
  #pairsAtSql(seek: readonly boolean[], withSlis: boolean): string {
    const key = `${withSlis ? 's' : ''}${seek.map((sought) => (sought ? 1 : 0)).join('')}`;
    let sql = this.#pairsAtCache.get(key);
    if (sql === undefined) {
      sql = this.#sql.pairsAt(seek, withSlis);
      if (this.#pairsAtCache.size >= PAIRS_AT_STATEMENTS) this.#pairsAtCache.clear();
      this.#pairsAtCache.set(key, sql);
    }
    return sql;
  }

  async sliSeries(query: {
    unitIds: readonly string[];
    sli: string;
    fromMinute: number;
    toMinute: number;
    stepMinutes: number;
  }): Promise<SliPoint[]> {
    const step = seriesStep(query.stepMinutes, this.stepMinutes);
    const from = floorTo(query.fromMinute, step);
    const to = floorTo(query.toMinute, step);
    if (query.unitIds.length === 0 || to <= from) return [];
    const units = JSON.stringify(query.unitIds);
    const points: SliPoint[] = [];
    if (step < PREFIX_SERIES_MIN_STEP) {
      const rows = await this.#driver.query(this.#sql.sliSeries, [units, query.sli, step, from, to]);
      for (const row of rows) {
        points.push({ minute: num(row, 'minute'), good: num(row, 'good'), total: num(row, 'total') });
      }
    } else {
      // Coarse steps: the fleet's prefix sums at each boundary, two seeks per unit and
      // boundary, instead of reading every row (a 28-day series of 1,000 units at day steps
      // reads 29,000 prefixes instead of 670,000 hour rows).
      const boundaries: number[] = [];
      for (let m = from; m <= to; m += step) boundaries.push(m);
      const rows = await this.#driver.query(this.#sql.sliPrefixes, [
        units,
        query.sli,
        JSON.stringify(boundaries),
      ]);
      const prefix = new Map(rows.map((row) => [num(row, 'minute'), [num(row, 'good'), num(row, 'total')]]));
      for (let i = 0; i + 1 < boundaries.length; i++) {
        const [fromGood, fromTotal] = prefix.get(boundaries[i]!) ?? [0, 0];
        const [toGood, toTotal] = prefix.get(boundaries[i + 1]!) ?? [0, 0];
        const good = toGood! - fromGood!;
        const total = toTotal! - fromTotal!;
        if (good !== 0 || total !== 0) points.push({ minute: boundaries[i]!, good, total });
      }
    }
    return points.sort((a, b) => a.minute - b.minute);
  }

  async records(query: { unitIds: readonly string[]; kinds: readonly string[] }): Promise<StoredRecord[]> {
    if (query.unitIds.length === 0 || query.kinds.length === 0) return [];
    const rows = await this.#driver.query(this.#sql.records, [
      JSON.stringify(query.unitIds),
      JSON.stringify(query.kinds),
    ]);
    return rows
      .map((row) => ({
        unitId: str(row, 'unit_id'),
        kind: str(row, 'kind'),
        key: str(row, 'key'),
        version: num(row, 'version'),
        body: JSON.parse(str(row, 'body')) as Record<string, unknown>,
      }))
      .sort((a, b) => byText(a.unitId, b.unitId) || byText(a.kind, b.kind) || byText(a.key, b.key));
  }

  async checksum(unitId: string): Promise<string> {
    const rows = await this.#driver.query(this.#sql.checksumRows, [unitId]);
    const records = rows.map((row): Record<string, unknown> => {
      if (num(row, 'part') === 1) return JSON.parse(str(row, 'body')) as Record<string, unknown>;
      return {
        kind: 'counts',
        sli: str(row, 'sli'),
        labels: Object.fromEntries(JSON.parse(str(row, 'labels')) as [string, string][]),
        startMinute: num(row, 'start_minute'),
        minutes: num(row, 'minutes'),
        good: num(row, 'good'),
        total: num(row, 'total'),
      };
    });
    return canonicalChecksum(records);
  }

  // Catalog distribution.

  async putCatalog(catalog: StoredCatalog): Promise<void> {
    await this.#driver.run(this.#sql.putCatalog, [
      catalog.version,
      JSON.stringify(catalog.files),
      catalog.createdAtMs,
    ]);
  }

  async latestCatalog(): Promise<StoredCatalog | undefined> {
    const [row] = await this.#driver.query(this.#sql.latestCatalog);
    if (row === undefined) return undefined;
    return {
      version: str(row, 'version'),
      files: JSON.parse(str(row, 'files')) as Record<string, string>,
      createdAtMs: num(row, 'created_at_ms'),
    };
  }

  // Audit.

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((entry) => [
      entry.atMs,
      entry.actor,
      entry.action,
      entry.resource,
      entry.outcome,
      entry.detail === undefined ? null : JSON.stringify(entry.detail),
    ]);
    await this.#driver.run(this.#sql.appendAudit, [JSON.stringify(rows)]);
  }

  async listAudit(query: { fromMs?: number; limit: number }): Promise<AuditEntry[]> {
    const limit = Math.max(0, Math.trunc(query.limit));
    if (limit === 0) return [];
    const rows = await this.#driver.query(this.#sql.listAudit, [
      query.fromMs ?? Number.MIN_SAFE_INTEGER,
      limit,
    ]);
    return rows.map((row) => {
      const detail = optStr(row, 'detail');
      const entry: AuditEntry = {
        atMs: num(row, 'at_ms'),
        actor: str(row, 'actor'),
        action: str(row, 'action'),
        resource: str(row, 'resource'),
        outcome: str(row, 'outcome'),
      };
      if (detail !== null) entry.detail = JSON.parse(detail) as Record<string, unknown>;
      return entry;
    });
  }

  async applyRetention(
    nowMs: number,
  ): Promise<{ deletedDetail: number; foldedAggregates: number; deletedAudit: number }> {
    const nowMinute = Math.floor(nowMs / 60_000);
    const meta = new Map(
      (await this.#driver.query(this.#sql.meta)).map((row) => [str(row, 'name'), num(row, 'value')]),
    );
    const detailFrom = Math.max(
      meta.get('detail_from') ?? 0,
      floorTo(nowMinute - this.#retention.detailMinutes, MINUTES_PER_HOUR),
    );
    const aggregateFrom = Math.min(
      detailFrom,
      Math.max(
        meta.get('aggregate_from') ?? 0,
        floorTo(nowMinute - this.#retention.aggregateMinutes, MINUTES_PER_HOUR),
      ),
    );
    const foldedBefore = meta.get('folded_before') ?? 0;
    // From here on, pushes ignore counts before the horizon this run deletes.
    await this.#driver.run(this.#sql.setMeta, ['detail_from', detailFrom]);

    let deletedDetail = 0;
    let foldedAggregates = 0;
    const unitIds = (await this.#driver.query(this.#sql.unitIds)).map((row) => str(row, 'id'));
    for (const unitId of unitIds) {
      const report = await this.#driver.transaction(async (tx) => {
        await tx.query(this.#sql.lockUnitForRetention, [unitId]);
        const deleted = await tx.run(this.#sql.deleteCounts, [unitId, detailFrom]);
        let folded = 0;
        if (foldedBefore < detailFrom) {
          await tx.run(this.#sql.foldAgg, [unitId, foldedBefore, detailFrom]);
          folded = await tx.run(this.#sql.deleteFolded, [unitId, foldedBefore, detailFrom]);
        }
        if (aggregateFrom > (meta.get('aggregate_from') ?? 0)) {
          await tx.run(this.#sql.moveBase, [unitId, aggregateFrom]);
          await tx.run(this.#sql.deleteAgg, [unitId, aggregateFrom]);
        }
        // A pair silent since before a horizon may have had its newest row folded or deleted.
        if (foldedBefore < detailFrom || aggregateFrom > (meta.get('aggregate_from') ?? 0)) {
          await tx.run(this.#sql.refreshNewestOfUnit, [unitId]);
        }
        return { deleted, folded };
      });
      deletedDetail += report.deleted;
      foldedAggregates += report.folded;
    }
    await this.#driver.run(this.#sql.setMeta, ['folded_before', detailFrom]);
    await this.#driver.run(this.#sql.setMeta, ['aggregate_from', aggregateFrom]);

    let deletedAudit = 0;
    const auditBeforeMs = nowMs - this.#retention.auditMinutes * 60_000;
    for (;;) {
      const deleted = await this.#driver.run(this.#sql.deleteAudit, [auditBeforeMs]);
      deletedAudit += deleted;
      if (deleted < AUDIT_DELETE_CHUNK) break;
    }
    return { deletedDetail, foldedAggregates, deletedAudit };
  }

  close(): Promise<void> {
    return this.#driver.close();
  }
}

/**
 * Runs the migrations and returns the store.
 * @example const store = await openSqlHubStore(openSqliteDriver({ path: ':memory:' }), {}, Date.now())
 */
export async function openSqlHubStore(
  driver: SqlDriver,
  options: SqlHubStoreOptions = {},
  nowMs: number = Date.now(),
): Promise<SqlHubStore> {
  await migrate(driver, nowMs);
  return new SqlHubStore(driver, options);
}
