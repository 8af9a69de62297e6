/**
 * The simulator's state as a scrape target's exposition, written by the exposition
 * module's formatter (which its parser reads back).
 *
 * `_total` handling: a counter named `foo_total` is the OpenMetrics counter family `foo`
 * with samples `foo_total`, and `# TYPE foo_total counter` in Prometheus text. A counter
 * whose name does not end in `_total` (exporters have them: Stackdriver's `..._count`,
 * Sidekiq's `..._seconds_count`) cannot be an OpenMetrics counter, so it is written as an
 * `unknown` family there and as a `counter` in Prometheus text; scrapers keep the same
 * series name and values either way.
 */

import type { MetricFamily, Sample } from '../exposition/index.ts';
import { formatExposition } from '../exposition/index.ts';
import type { RawSeries } from './series.ts';
import type { SimulatorState } from './simulator.ts';

/** `prometheus`: text format 0.0.4; `openmetrics`: OpenMetrics 1.0 text (ends with `# EOF`). */
export type MetricsFormat = 'prometheus' | 'openmetrics';

/** Options for {@link renderMetrics}. */
export interface RenderOptions {
  /** Write the state's time on every sample (scrapers then use it instead of their own clock). */
  timestamps?: boolean;
}

/**
 * Renders the state as an exposition.
 * @example renderMetrics(simulator.simulate(now), 'openmetrics')
 */
export function renderMetrics(
  state: SimulatorState,
  format: MetricsFormat,
  options: RenderOptions = {},
): string {
  const families = new Map<
    string,
    { family: MetricFamily; slis: Set<string>; series: Map<string, Sample[]> }
  >();
  state.raw.forEach((raw, index) => {
    const { name, type } = familyOf(raw, format);
    let entry = families.get(name);
    if (entry === undefined) {
      entry = { family: { name, type, help: '', unit: '', samples: [] }, slis: new Set(), series: new Map() };
      families.set(name, entry);
    }
    entry.slis.add(raw.source.sli);
    const { __name__: sampleName = '', ...labels } = raw.labels;
    const sample: Sample = { name: sampleName, labels, value: state.values[index]! };
    if (options.timestamps) sample.timestampMs = state.atMs;
    // Samples of one series (a histogram's buckets, sum and count) stay together.
    const seriesKey = JSON.stringify(raw.source.labels);
    const samples = entry.series.get(seriesKey) ?? [];
    samples.push(sample);
    entry.series.set(seriesKey, samples);
  });
  const sorted = [...families.values()].sort((a, b) => (a.family.name < b.family.name ? -1 : 1));
  for (const entry of sorted) {
    entry.family.help = `Simulated by Sextant for ${[...entry.slis].sort().join(', ')}.`;
    const keys = [...entry.series.keys()].sort();
    entry.family.samples = keys.flatMap((key) => entry.series.get(key)!);
  }
  return formatExposition(
    sorted.map((entry) => entry.family),
    format,
  );
}

function familyOf(raw: RawSeries, format: MetricsFormat): { name: string; type: MetricFamily['type'] } {
  const source = raw.source;
  if (source.type === 'histogram') return { name: source.metric, type: 'histogram' };
  if (source.type === 'gauge') return { name: source.metric, type: 'gauge' };
  if (source.metric.endsWith('_total') && format === 'openmetrics') {
    return { name: source.metric.slice(0, -'_total'.length), type: 'counter' };
  }
  return { name: source.metric, type: format === 'openmetrics' ? 'unknown' : 'counter' };
}
