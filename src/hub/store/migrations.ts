/**
 * The hub store's schema as numbered migrations, applied on open and recorded in
 * `hub_migrations` (docs/hub.md, "Storage").
 *
 * Running them is safe twice and safe from two processes at once: everything happens in
 * one transaction that first takes a lock (SQLite: `BEGIN IMMEDIATE`, the database's write
 * lock; PostgreSQL: a transaction-scoped advisory lock), then reads which migrations are
 * recorded, so the second process waits and then finds nothing to do. A database migrated
 * by a newer build (a version this build does not know) is refused rather than written.
 *
 * The SQL is portable: TEXT, BIGINT, INTEGER and DOUBLE PRECISION columns, booleans as
 * integers, JSON as TEXT. Only the audit log's generated key and SQLite's `WITHOUT ROWID`
 * (rows of one series adjacent on disk) depend on the dialect.
 */
import type { SqlDriver } from './types.ts';

type Dialect = SqlDriver['dialect'];

/** One schema step. Never edit a released migration: add the next one. */
export interface Migration {
  version: number;
  name: string;
  /** Single statements (no `;` separators), in order. */
  statements(dialect: Dialect): string[];
}

/** A lock id for `pg_advisory_xact_lock`, any constant the hub owns ("sextant-hub"). */
const MIGRATION_LOCK_ID = 0x5e7a47_0001;

function clustered(dialect: Dialect): string {
  return dialect === 'sqlite' ? ' WITHOUT ROWID' : '';
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'hub store',
    statements: (dialect) => [
      `CREATE TABLE hub_units (
        id TEXT NOT NULL PRIMARY KEY,
        tenant TEXT NOT NULL,
        environment TEXT NOT NULL,
        product_line TEXT,
        created_at_ms BIGINT NOT NULL,
        acked_seq BIGINT NOT NULL DEFAULT 0,
        last_push_at_ms BIGINT,
        catalog_version TEXT
      )`,
      `CREATE TABLE hub_credentials (
        id TEXT NOT NULL PRIMARY KEY,
        kind TEXT NOT NULL,
        unit_id TEXT,
        role TEXT,
        tenants TEXT,
        name TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL UNIQUE,
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT,
        revoked_at_ms BIGINT
      )`,
      // put_seq orders catalogs put in the same millisecond.
      `CREATE TABLE hub_catalogs (
        version TEXT NOT NULL PRIMARY KEY,
        files TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        put_seq BIGINT NOT NULL
      )`,
      `CREATE TABLE hub_audit (
        id ${dialect === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'},
        at_ms BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        resource TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT
      )`,
      'CREATE INDEX hub_audit_at ON hub_audit (at_ms, id)',
      `CREATE TABLE hub_records (
        unit_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        version BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (unit_id, kind, key)
      )${clustered(dialect)}`,
      // One row per record key ever received (within retention): live = 1 when it is in
      // resolveRecords' result, 0 when an overlapping record of higher version hides it.
      `CREATE TABLE hub_counts (
        unit_id TEXT NOT NULL,
        sli TEXT NOT NULL,
        labels TEXT NOT NULL,
        start_minute BIGINT NOT NULL,
        minutes INTEGER NOT NULL,
        good DOUBLE PRECISION NOT NULL,
        total DOUBLE PRECISION NOT NULL,
        version BIGINT NOT NULL,
        live INTEGER NOT NULL,
        PRIMARY KEY (unit_id, sli, labels, start_minute)
      )${clustered(dialect)}`,
      'CREATE INDEX hub_counts_start ON hub_counts (unit_id, start_minute)',
      // The (unit, SLI) pairs with aggregates; the cumulative counts before the first
      // aggregate row kept (rows past the aggregate retention are deleted); a copy of the
      // newest aggregate row (last_*, NULL without one), which answers windows ending now.
      `CREATE TABLE hub_unit_slis (
        unit_id TEXT NOT NULL,
        sli TEXT NOT NULL,
        base_good DOUBLE PRECISION NOT NULL,
        base_total DOUBLE PRECISION NOT NULL,
        last_bucket BIGINT,
        last_minutes INTEGER,
        last_good DOUBLE PRECISION,
        last_total DOUBLE PRECISION,
        last_cum_good DOUBLE PRECISION,
        last_cum_total DOUBLE PRECISION,
        PRIMARY KEY (unit_id, sli)
      )${clustered(dialect)}`,
      // minutes: the span the row covers, the step or 60 once folded to an hour.
      `CREATE TABLE hub_sli_agg (
        unit_id TEXT NOT NULL,
        sli TEXT NOT NULL,
        bucket BIGINT NOT NULL,
        minutes INTEGER NOT NULL,
        good DOUBLE PRECISION NOT NULL,
        total DOUBLE PRECISION NOT NULL,
        cum_good DOUBLE PRECISION NOT NULL,
        cum_total DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (unit_id, sli, bucket)
      )${clustered(dialect)}`,
      `CREATE TABLE hub_meta (
        name TEXT NOT NULL PRIMARY KEY,
        value BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'room on the pages of rows pushes rewrite',
    // PostgreSQL writes a new row version on every update; when it fits on the row's own page
    // and no indexed column changes (true of every update the store makes), it is a HOT
    // update: no index entry is added, and later reads of the key do not wade through dead
    // ones. A steady push rewrites the current bucket of each series (hub_counts), of each
    // SLI (hub_sli_agg), the pair rows and the unit row, about 20 times per 5-minute bucket,
    // so their pages are left part empty. Only pages written from now on are affected
    // (nothing is rewritten, a quick catalog change). SQLite rewrites pages in place.
    statements: (dialect) =>
      dialect === 'sqlite'
        ? []
        : [
            'ALTER TABLE hub_counts SET (fillfactor = 70)',
            'ALTER TABLE hub_sli_agg SET (fillfactor = 70)',
            'ALTER TABLE hub_unit_slis SET (fillfactor = 50)',
            'ALTER TABLE hub_units SET (fillfactor = 50)',
          ],
  },
  {
    version: 3,
    name: 'revision of each pair for cached prefixes',
    // Incremented by a push with counts for a bucket older than the pair's newest aggregate
    // row, the one change (besides retention, before its horizon) that moves a prefix C(m)
    // before that row: prefixes read earlier are valid while it has not moved (sql-store.ts,
    // "Cached prefixes").
    statements: () => ['ALTER TABLE hub_unit_slis ADD COLUMN late_rev BIGINT NOT NULL DEFAULT 0'],
  },
  {
    version: 4,
    name: 'portal sessions',
    // Sessions survive a restart and are shared by the hubs on one database. Only hashes are
    // kept: a reader of the database gets neither a cookie nor a CSRF token. secret_sha256 is
    // the token the session was opened with (revoking it deletes its sessions, and each
    // request checks that credential again); the second index serves both that and the cap
    // of sessions per token (its oldest first), the first one the sweep of expired sessions.
    statements: () => [
      `CREATE TABLE hub_sessions (
        id_sha256 TEXT NOT NULL PRIMARY KEY,
        credential_id TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL,
        csrf_sha256 TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL
      )`,
      'CREATE INDEX hub_sessions_expires ON hub_sessions (expires_at_ms)',
      'CREATE INDEX hub_sessions_secret ON hub_sessions (secret_sha256, created_at_ms)',
    ],
  },
];

/** What `migrate` did. */
export interface MigrationReport {
  /** Versions applied by this call (empty when the schema was current). */
  applied: number[];
  /** The schema version afterwards. */
  version: number;
}

/**
 * Brings the database to the latest schema; throws when it was migrated by a newer build.
 * @example await migrate(driver, Date.now()) // { applied: [1], version: 1 } on a new database
 */
export async function migrate(
  driver: SqlDriver,
  nowMs: number,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  const latest = migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
  return driver.transaction(async (tx) => {
    if (driver.dialect === 'postgres') {
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    }
    await tx.run(
      `CREATE TABLE IF NOT EXISTS hub_migrations (
        version INTEGER NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at_ms BIGINT NOT NULL
      )`,
    );
    const rows = await tx.query('SELECT version FROM hub_migrations');
    const done = new Set(rows.map((row) => Number(row['version'])));
    const newest = Math.max(0, ...done);
    if (newest > latest) {
      throw new Error(`hub store schema ${newest} is newer than this Sextant (${latest})`);
    }
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements(driver.dialect)) await tx.run(statement);
      await tx.run('INSERT INTO hub_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        nowMs,
      ]);
      applied.push(migration.version);
    }
    return { applied, version: Math.max(newest, ...applied) };
  });
}
