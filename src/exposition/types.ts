/**
 * The data model shared by the parser, the formatter and the reducers. It follows the
 * OpenMetrics 1.0 data model (MetricFamily → samples), which is a superset of what the
 * Prometheus text format 0.0.4 can say.
 */

/** The two text formats Sextant reads and writes. */
export type ExpositionFormat = 'openmetrics' | 'prometheus';

/**
 * OpenMetrics family types. The Prometheus format's `untyped` is read as `unknown` (the
 * OpenMetrics name for the same thing) and written back as `untyped`.
 */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'stateset'
  | 'info'
  | 'unknown';

/** Label name → value. Labels with an empty value are absent (OpenMetrics: "treated as if not present"). */
export type Labels = Record<string, string>;

/** A reference to data outside the exposition, usually a trace id (OpenMetrics only). */
export interface Exemplar {
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch; the wire carries float seconds. */
  timestampMs?: number;
}

/** One line of the exposition: a value for one label set of one sample name. */
export interface Sample {
  /** The full sample name, suffix included: `http_requests_total`, `latency_seconds_bucket`. */
  name: string;
  /** `le` and `quantile` are canonical numbers (`1` and `1.0` both read as `"1.0"`). */
  labels: Labels;
  value: number;
  /**
   * Milliseconds since the epoch, only when the exposition gave one. OpenMetrics float
   * seconds are converted exactly in decimal, so the result may have a fraction of a ms;
   * Prometheus integer milliseconds are kept as they are.
   */
  timestampMs?: number;
  exemplar?: Exemplar;
}

/** Every sample of one metric, with its metadata. `help` and `unit` are `''` when absent. */
export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  unit: string;
  samples: Sample[];
}
