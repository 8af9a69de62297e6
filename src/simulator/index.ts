/**
 * Catalog-driven synthetic traffic: series that match every selector-based SLI as intended,
 * a deterministic traffic model (diurnal rate, errors, log-normal latency, incidents) or a
 * known schedule of exact counts, and the outputs a unit reads — a `/metrics` scrape
 * target (Prometheus text and OpenMetrics) and samples for in-process feeding or
 * remote-write. Used by `sextant demo`, integration tests and the ingest benchmark.
 *
 * Events of minute m all happen at its first millisecond (see `simulator.ts`), so a
 * scraper with a sample in every minute sees exactly the scheduled counts per minute.
 */

export { type MetricsFormat, type RenderOptions, renderMetrics } from './render.ts';
export {
  DEFAULT_BUCKETS_SECONDS,
  formatLe,
  histogramBounds,
  planSeries,
  type RawSeries,
  type SeriesCounts,
  type SeriesPlan,
  SIMULATION_ISSUE_CODES,
  type SimulatedSeries,
  type SimulationIssue,
  type SimulationIssueCode,
  type SliFeed,
} from './series.ts';
export {
  type MetricsServer,
  type MetricsServerOptions,
  negotiateFormat,
  startMetricsServer,
} from './server.ts';
export {
  createSimulator,
  type ExpectedBucket,
  expectedCounts,
  type SimulatedSample,
  type Simulator,
  type SimulatorState,
  samplesAt,
} from './simulator.ts';
export {
  DEFAULT_PROFILE,
  type GaugeMinute,
  type Incident,
  type LatencyMinute,
  type PartEvents,
  type RatioMinute,
  type Scenario,
  type Schedule,
  type ScheduledMinute,
  type TrafficProfile,
} from './traffic.ts';
