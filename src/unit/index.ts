/** The Observability Unit: configuration, start/stop, and the pieces tests and the demo drive. */

export {
  CONFIG_OVERRIDES,
  parseBytes,
  parseDurationMs,
  resolveUnitConfig,
  type UnitConfig,
} from './config.ts';
export { catalogSlos, type EvaluationReport, type SloEvaluation } from './evaluator.ts';
export { jsonLogger, type Logger } from './logger.ts';
export {
  type FillReport,
  isSourceError,
  MAX_CHUNK_MINUTES,
  PromqlPuller,
  type PromqlSource,
  pullableSlis,
} from './promql-pull.ts';
export { UnitState } from './state.ts';
export { startUnit, type UnitHandle, type UnitOptions } from './unit.ts';
