/**
 * OTLP/HTTP metrics (`POST /v1/metrics`): protobuf and JSON bodies decoded to a
 * normalized batch of gauge, sum and histogram points with Prometheus-style labels,
 * partial-success accounting for what cannot be used, and the response bodies.
 * Pure: no I/O, no clock; body size limits and HTTP statuses belong to the caller.
 */

export {
  type AttributeInput,
  anyValueOf,
  attributesOf,
  metricOf,
  requestOf,
  resourceMetricsOf,
  scopeMetricsOf,
} from './build.ts';
export { decodeMetricsJson, decodeMetricsProtobuf, encodeMetricsResponse } from './decode.ts';
export {
  decodeMetricsRequestJson,
  decodeMetricsResponseJson,
  encodeMetricsRequestJson,
} from './json-codec.ts';
export * from './model.ts';
export { nanosToMs, normalizeMetricsRequest } from './normalize.ts';
export {
  anyValueToString,
  labelName,
  type MetricNameKind,
  prometheusMetricName,
} from './prometheus-names.ts';
export {
  decodeMetricsRequestProtobuf,
  decodeMetricsResponseProtobuf,
  encodeMetricsRequestProtobuf,
} from './protobuf-codec.ts';
