/** The Observability Unit: configuration, start/stop, and the pieces tests and the demo drive. */

export {
  CONFIG_OVERRIDES,
  durationSetting,
  HUB_TOKEN_ENV,
  type HubConfig,
  parseBytes,
  parseDurationMs,
  resolveUnitConfig,
  type SyncConfig,
  sizeSetting,
  type UnitConfig,
} from './config.ts';
export { catalogSlos, type EvaluationReport, type SloEvaluation } from './evaluator.ts';
export {
  DROPPABLE_FIELDS,
  type ExportPolicy,
  type ExportPolicyConfig,
  exportPolicyOf,
  exportView,
  type LabelPolicy,
  reduceLabels,
} from './export-policy.ts';
export { exportedRecords } from './exported.ts';
export {
  catalogVersionOf,
  HUB_CATALOG_DIR,
  type HubCatalog,
  isSafeBundlePath,
  loadStoredHubCatalog,
  validateBundle,
} from './hub-catalog.ts';
export { jsonLogger, type Logger } from './logger.ts';
export {
  type AckResult,
  type ExportSegment,
  Outbox,
  type OutboxBatch,
  type OutboxSettings,
  type UnsequencedRecord,
} from './outbox.ts';
export {
  type FillReport,
  isSourceError,
  MAX_CHUNK_MINUTES,
  PromqlPuller,
  type PromqlSource,
  pullableSlis,
} from './promql-pull.ts';
export { UnitState } from './state.ts';
export {
  type HttpFetch,
  type PushOutcome,
  type QuotaState,
  SyncClient,
  type SyncClientOptions,
  type SyncStatus,
  type SyncTimers,
} from './sync-client.ts';
export { type RunningCatalog, startUnit, type UnitHandle, type UnitOptions } from './unit.ts';
