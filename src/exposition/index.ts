/**
 * Prometheus text format 0.0.4 and OpenMetrics 1.0: a faithful parser, a formatter that
 * round-trips through it, and counter reducers for the Observability Unit's scrapes.
 *
 * Decisions where the specs leave room (each has a test):
 * - Prometheus text is read leniently: a line that cannot be read is reported and skipped,
 *   every other line kept; semantic problems (unsorted buckets, count ≠ +Inf bucket) are
 *   reported and the data kept. CR LF and a missing final newline are warnings.
 * - OpenMetrics is read as strictly as its ABNF: "Partial or invalid expositions MUST be
 *   considered erroneous in their entirety", so any error — a missing `# EOF`, content
 *   after it, CR LF, a second space — rejects the scrape (`rejected: true`, no families),
 *   with every issue still listed. Violated SHOULDs (metadata order, `_`-prefixed names)
 *   are warnings and do not reject.
 * - `le` and `quantile` become canonical numbers in both formats (`1` → `1.0`), so series
 *   match across scrapes, exporters and formats. Empty label values are dropped ("treated
 *   as if the label was not present").
 * - Timestamps are milliseconds: OpenMetrics seconds are converted exactly in decimal.
 *   A timestamp far from the scrape time that fits once read in the other unit is flagged.
 * - Prometheus `untyped` reads as `unknown`. Quoted UTF-8 names (`{"my.metric"}`) are read
 *   in Prometheus text, which has them since Prometheus 3; OpenMetrics 1.0 has none.
 */
export { CONTENT_TYPES, contentTypeFormat, contentTypeVersion } from './content-type.ts';
export { formatExposition } from './format.ts';
export { EXPOSITION_ISSUE_CODES, type ExpositionIssue, type ExpositionIssueCode } from './issues.ts';
export { formatCanonicalFloat } from './number.ts';
export { type ParseExpositionOptions, type ParseExpositionResult, parseExposition } from './parse.ts';
export {
  type CounterIncrease,
  type CounterIncrement,
  type CounterReading,
  type CounterState,
  counterIncrease,
  counterIncrements,
  seriesKey,
} from './reduce.ts';
export type { Exemplar, ExpositionFormat, Labels, MetricFamily, MetricType, Sample } from './types.ts';
