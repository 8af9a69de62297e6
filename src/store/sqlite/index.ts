/** The SQLite count store, Sextant's default embedded backend. */

export { checkSqliteIntegrity, type IntegrityOptions, type IntegrityReport } from './integrity.ts';
export type { Durability, SqliteCountStoreOptions } from './sqlite-count-store.ts';
export { openSqliteCountStore, SqliteCountStore } from './sqlite-count-store.ts';
