/** The SQLite count store, Sextant's default embedded backend. */

export type { Durability, SqliteCountStoreOptions } from './sqlite-count-store.ts';
export { openSqliteCountStore, SqliteCountStore } from './sqlite-count-store.ts';
