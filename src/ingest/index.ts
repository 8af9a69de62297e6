/** Ingestion: which samples feed which SLI, and how samples become exact per-minute counts. */

export { compileIngestPlan, type IngestPlan, parseLe, type Role, type Route } from './plan.ts';
export {
  type BatchChanges,
  BatchReducer,
  type DerivedBucket,
  deriveCounts,
  isStaleMarker,
  type OutcomeCounts,
  type ReducerStateSource,
  type RoleSums,
  rawSeriesKey,
  type SampleOutcome,
  type SeriesCursor,
  STALE_NAN_BITS,
} from './reducer.ts';
