/**
 * The hub's durable state (docs/hub.md, "Storage"): units, credentials, replicated records
 * and their aggregates, catalogs and the audit log. One SQL implementation over two
 * drivers: SQLite (`node:sqlite`, the default, one file) and PostgreSQL (`pg`).
 */
import { openSqlHubStore, type SqlHubStoreOptions } from './sql-store.ts';
import { openSqliteDriver } from './sqlite-driver.ts';
import type { HubStore, SqlDriver } from './types.ts';

export { describeHubStoreConformance } from './conformance.ts';
export { MIGRATIONS, type Migration, type MigrationReport, migrate } from './migrations.ts';
export { matchesTenantPattern, type SqlHubStoreOptions } from './sql-store.ts';
export { openSqliteDriver, type SqliteDriverOptions } from './sqlite-driver.ts';
export type {
  ApplyOutcome,
  ApplyReport,
  AuditEntry,
  Credential,
  HubRetention,
  HubStore,
  MinuteWindow,
  Role,
  SessionRefusal,
  SliPoint,
  SliTotals,
  SqlDriver,
  SqlExecutor,
  SqlRow,
  SqlValue,
  StoredCatalog,
  StoredRecord,
  StoredSession,
  UnitInfo,
  UnitRegistration,
  UnknownRecord,
} from './types.ts';
export { DEFAULT_HUB_RETENTION, ROLES } from './types.ts';

/** Where the store lives: a SQLite file (or `':memory:'`), or any driver (PostgreSQL). */
export type HubStoreLocation =
  | { sqlitePath: string; synchronous?: 'full' | 'normal'; driver?: never }
  | { driver: SqlDriver; sqlitePath?: never };

/**
 * Opens the hub store, migrating its schema first; the store owns (and closes) the driver.
 * @example const store = await openHubStore({ sqlitePath: 'hub.db' })
 * @example const store = await openHubStore({ driver: await openPostgresDriver(url) })
 */
export async function openHubStore(location: HubStoreLocation & SqlHubStoreOptions): Promise<HubStore> {
  const driver =
    location.driver ??
    openSqliteDriver({
      path: location.sqlitePath,
      ...(location.synchronous === undefined ? {} : { synchronous: location.synchronous }),
    });
  try {
    const options: SqlHubStoreOptions = {};
    if (location.retention !== undefined) options.retention = location.retention;
    if (location.stepMinutes !== undefined) options.stepMinutes = location.stepMinutes;
    return await openSqlHubStore(driver, options);
  } catch (error) {
    await driver.close();
    throw error;
  }
}
export { openPostgresDriver, type PostgresDriverOptions, redactPostgresUrl } from './postgres-driver.ts';
