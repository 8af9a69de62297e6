/** The unit's own Prometheus metrics: a tiny registry rendered in the text format 0.0.4. */

type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  collect?: () => Iterable<{ labels: Labels; value: number }>;
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join(',');
}

function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeValue(labels[name]!)}"`).join(',')}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Counters and gauges, set directly or collected at scrape time. */
export class MetricsRegistry {
  readonly #families = new Map<string, Family>();

  #family(name: string, help: string, type: Family['type']): Family {
    let family = this.#families.get(name);
    if (!family) {
      family = { name, help, type, values: new Map() };
      this.#families.set(name, family);
    }
    return family;
  }

  /** Adds to a counter. */
  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const family = this.#family(name, help, 'counter');
    const key = labelKey(labels);
    const entry = family.values.get(key);
    if (entry) entry.value += by;
    else family.values.set(key, { labels, value: by });
  }

  /** Sets a gauge. */
  set(name: string, help: string, value: number, labels: Labels = {}): void {
    this.#family(name, help, 'gauge').values.set(labelKey(labels), { labels, value });
  }

  /** Registers values computed when /metrics is read. */
  collect(name: string, help: string, type: Family['type'], collect: Family['collect']): void {
    const family = this.#family(name, help, type);
    if (collect) family.collect = collect;
  }

  /** Current value of a counter or gauge (0 when never set), for tests and logs. */
  value(name: string, labels: Labels = {}): number {
    return this.#families.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  /** The Prometheus text exposition of every family. */
  render(): string {
    const lines: string[] = [];
    for (const family of [...this.#families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      lines.push(`# TYPE ${family.name} ${family.type}`);
      const values = family.collect ? [...family.collect()] : [...family.values.values()];
      for (const { labels, value } of values)
        lines.push(`${family.name}${formatLabels(labels)} ${formatNumber(value)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
