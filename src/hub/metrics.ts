/**
 * The hub's own Prometheus metrics, rendered in the text format 0.0.4. Like the unit's
 * registry plus histograms (push latency); labels never carry unit ids or tenants, so the
 * series count stays flat however large the fleet grows and /metrics leaks no names.
 */

type Labels = Readonly<Record<string, string>>;

interface Series {
  labels: Labels;
  value: number;
}

interface HistogramSeries {
  labels: Labels;
  /** Cumulative counts per bucket upper bound (same order as the family's bounds). */
  counts: number[];
  sum: number;
  count: number;
}

type Family =
  | { type: 'counter' | 'gauge'; help: string; values: Map<string, Series>; collect?: () => Iterable<Series> }
  | { type: 'histogram'; help: string; bounds: readonly number[]; values: Map<string, HistogramSeries> };

/** Default latency buckets in seconds (5 ms to 30 s). */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join(',');
}

function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  const escapeValue = (value: string) =>
    value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${names.map((name) => `${name}="${escapeValue(labels[name]!)}"`).join(',')}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Counters, gauges and histograms, set directly or collected at scrape time. */
export class HubMetrics {
  readonly #families = new Map<string, Family>();
  readonly #beforeScrape: (() => Promise<void>)[] = [];

  #plain(name: string, help: string, type: 'counter' | 'gauge') {
    let family = this.#families.get(name);
    if (!family) {
      family = { type, help, values: new Map() };
      this.#families.set(name, family);
    }
    if (family.type === 'histogram') throw new Error(`${name} is a histogram`);
    return family;
  }

  /** Adds to a counter. */
  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const family = this.#plain(name, help, 'counter');
    const key = labelKey(labels);
    const entry = family.values.get(key);
    if (entry) entry.value += by;
    else family.values.set(key, { labels, value: by });
  }

  /** Sets a gauge. */
  set(name: string, help: string, value: number, labels: Labels = {}): void {
    this.#plain(name, help, 'gauge').values.set(labelKey(labels), { labels, value });
  }

  /** Registers a gauge or counter computed when /metrics is read. */
  collect(name: string, help: string, type: 'counter' | 'gauge', collect: () => Iterable<Series>): void {
    this.#plain(name, help, type).collect = collect;
  }

  /**
   * Registers work that sets gauges from elsewhere (the store) before each scrape. It must
   * not throw: on failure it leaves the gauge at its last value, so /metrics still answers.
   */
  beforeScrape(refresh: () => Promise<void>): void {
    this.#beforeScrape.push(refresh);
  }

  /** Runs the `beforeScrape` work, then renders: what /metrics answers. */
  async scrape(): Promise<string> {
    await Promise.all(this.#beforeScrape.map((refresh) => refresh()));
    return this.render();
  }

  /** Records one observation in a histogram. */
  observe(
    name: string,
    help: string,
    value: number,
    labels: Labels = {},
    bounds: readonly number[] = LATENCY_BUCKETS_SECONDS,
  ): void {
    let family = this.#families.get(name);
    if (!family) {
      family = { type: 'histogram', help, bounds, values: new Map() };
      this.#families.set(name, family);
    }
    if (family.type !== 'histogram') throw new Error(`${name} is not a histogram`);
    const key = labelKey(labels);
    let series = family.values.get(key);
    if (!series) {
      series = { labels, counts: family.bounds.map(() => 0), sum: 0, count: 0 };
      family.values.set(key, series);
    }
    family.bounds.forEach((bound, index) => {
      if (value <= bound) series.counts[index]! += 1;
    });
    series.sum += value;
    series.count += 1;
  }

  /** Current value of a counter or gauge, or a histogram's count (0 when never set), for tests. */
  value(name: string, labels: Labels = {}): number {
    const family = this.#families.get(name);
    const series = family?.values.get(labelKey(labels));
    if (!series) return 0;
    return 'count' in series ? series.count : series.value;
  }

  /** The Prometheus text exposition of every family. */
  render(): string {
    const lines: string[] = [];
    for (const [name, family] of [...this.#families].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      lines.push(`# TYPE ${name} ${family.type}`);
      if (family.type === 'histogram') {
        for (const series of family.values.values()) {
          family.bounds.forEach((bound, index) => {
            lines.push(
              `${name}_bucket${formatLabels({ ...series.labels, le: formatNumber(bound) })} ${series.counts[index]}`,
            );
          });
          lines.push(`${name}_bucket${formatLabels({ ...series.labels, le: '+Inf' })} ${series.count}`);
          lines.push(`${name}_sum${formatLabels(series.labels)} ${formatNumber(series.sum)}`);
          lines.push(`${name}_count${formatLabels(series.labels)} ${series.count}`);
        }
        continue;
      }
      const values = family.collect ? [...family.collect()] : [...family.values.values()];
      for (const { labels, value } of values)
        lines.push(`${name}${formatLabels(labels)} ${formatNumber(value)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
