/** Ingestion: which samples feed which SLI, and how samples become exact per-minute counts. */

export {
  compileIngestPlan,
  type IngestPlan,
  type IngestPlanOptions,
  parseLe,
  type Role,
  type Route,
} from './plan.ts';
export {
  type BatchChanges,
  BatchReducer,
  CURSOR_HISTORY,
  cursorEnded,
  cursorTimestampMs,
  type DerivedBucket,
  decodeCursor,
  deriveCounts,
  ENDED_CURSOR_RETENTION_MS,
  encodeCursorHistory,
  isStaleMarker,
  type OutcomeCounts,
  type ReducerStateSource,
  type RoleSums,
  rawSeriesKey,
  type SampleOutcome,
  type SeriesCursor,
  STALE_NAN_BITS,
} from './reducer.ts';
