/**
 * OTLP points into the reducer, named as the OTLP-to-Prometheus compatibility spec names
 * them, so catalog selectors written against Prometheus metric names match: cumulative
 * sums are counters, delta sums increments, histograms become `_bucket{le}` series
 * (cumulative bucket counts, `+Inf` = count) and gauges stay gauges.
 */

import type { BatchReducer } from '../ingest/index.ts';
import type { OtlpMetricsBatch, OtlpPoint } from '../otlp/index.ts';

/** Feeds every accepted point of a batch. */
export function feedOtlp(reducer: BatchReducer, batch: OtlpMetricsBatch): void {
  for (const point of batch.points) feedPoint(reducer, point);
}

function feedPoint(reducer: BatchReducer, point: OtlpPoint): void {
  const timestampMs = point.timeMs;
  if (point.type === 'gauge') {
    reducer.series({ ...point.labels, __name__: point.promName }, [
      { timestampMs, value: point.value, stale: point.stale },
    ]);
    return;
  }
  if (point.type === 'sum') {
    const labels = { ...point.labels, __name__: point.promName };
    if (point.temporality === 'delta') {
      if (!point.stale) reducer.delta(labels, timestampMs, point.value);
      return;
    }
    reducer.series(labels, [{ timestampMs, value: point.value, stale: point.stale }]);
    return;
  }
  // Histogram: cumulative counts per upper bound, as Prometheus exposes them.
  const bucketName = `${point.promName}_bucket`;
  const bounds = [...point.explicitBounds, Number.POSITIVE_INFINITY];
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i]!;
    const isLast = i === bounds.length - 1;
    cumulative = isLast ? point.count : cumulative + (point.bucketCounts[i] ?? 0);
    if (point.bucketCounts.length === 0 && !isLast) continue; // count and sum only
    const labels = { ...point.labels, __name__: bucketName, le: isLast ? '+Inf' : String(bound) };
    if (point.temporality === 'delta') {
      if (!point.stale) reducer.delta(labels, timestampMs, cumulative);
    } else {
      reducer.series(labels, [{ timestampMs, value: cumulative, stale: point.stale }]);
    }
  }
  const countLabels = { ...point.labels, __name__: `${point.promName}_count` };
  if (point.temporality === 'delta') {
    if (!point.stale) reducer.delta(countLabels, timestampMs, point.count);
  } else {
    reducer.series(countLabels, [{ timestampMs, value: point.count, stale: point.stale }]);
  }
}
