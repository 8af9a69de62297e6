/**
 * The SLI count store: exact per-minute good/total counts per SLI series, durable, read back
 * as the SLO engine's `CountSeries` with prefix sums. SQLite (`./sqlite/index.ts`) is the
 * default backend; `MemoryCountStore` is the reference every backend is checked against.
 */

export type { MemoryCountStoreOptions } from './memory-store.ts';
export { MemoryCountStore } from './memory-store.ts';
export type {
  Durability,
  IntegrityOptions,
  IntegrityReport,
  SqliteCountStoreOptions,
} from './sqlite/index.ts';
export { checkSqliteIntegrity, openSqliteCountStore, SqliteCountStore } from './sqlite/index.ts';
export type {
  CountReader,
  CountStore,
  CountWrite,
  DenseWrite,
  Resolution,
  RetentionPolicy,
  RetentionReport,
  SeriesInfo,
  SeriesKey,
  StoreIssue,
  StoreIssueCode,
  StoreResult,
  WriteSummary,
} from './types.ts';
export { DEFAULT_RETENTION, STORE_ISSUE_CODES } from './types.ts';
export { MAX_DENSE_MINUTES, seriesKeyOf } from './validate.ts';
