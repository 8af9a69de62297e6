/**
 * Writes metric families in either text format; `parseExposition` reads the output back to
 * the same families (see format.test.ts for what survives the Prometheus format).
 */
import { formatMsAsSeconds, formatValue } from './number.ts';
import type { ExpositionFormat, Labels, MetricFamily, Sample } from './types.ts';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const UNIT = /^[a-zA-Z0-9_:]*$/;
const INT64_LIMIT = 2 ** 63;

/**
 * Renders families as an exposition: OpenMetrics 1.0 (TYPE, UNIT, HELP, samples, `# EOF`)
 * or Prometheus text 0.0.4 (HELP, TYPE, samples). Throws RangeError for data the format
 * cannot carry (a name outside the charset in OpenMetrics, a non-finite timestamp), which
 * is a bug in the caller, not an input problem.
 *
 * The Prometheus format has no units, exemplars, `_created` on counters, or stateset, info
 * and gaugehistogram types. Units and exemplars are left out; an OpenMetrics-style counter
 * `foo` is written as `foo_total` (counter) and `foo_created` (gauge); stateset and info
 * become gauges (info named `foo_info`), as Prometheus itself ingests them; gauge
 * histograms are written without metadata. Timestamps are rounded to whole milliseconds.
 * @example formatExposition(families, 'openmetrics') // '# TYPE up gauge\nup 1\n# EOF\n'
 */
export function formatExposition(families: readonly MetricFamily[], format: ExpositionFormat): string {
  const out: string[] = [];
  if (format === 'openmetrics') {
    for (const family of families) writeOpenMetricsFamily(out, family);
    out.push('# EOF\n');
  } else {
    for (const family of families) writePrometheusFamily(out, family);
  }
  return out.join('');
}

function writeOpenMetricsFamily(out: string[], family: MetricFamily): void {
  const name = family.name;
  if (!METRIC_NAME.test(name))
    throw new RangeError(`metric name ${JSON.stringify(name)} is not valid in OpenMetrics`);
  if (!UNIT.test(family.unit))
    throw new RangeError(`unit ${JSON.stringify(family.unit)} is not valid in OpenMetrics`);
  out.push(`# TYPE ${name} ${family.type}\n`);
  if (family.unit !== '') out.push(`# UNIT ${name} ${family.unit}\n`);
  if (family.help !== '') out.push(`# HELP ${name} ${escapeString(family.help)}\n`);
  for (const sample of family.samples) {
    if (!METRIC_NAME.test(sample.name)) {
      throw new RangeError(`sample name ${JSON.stringify(sample.name)} is not valid in OpenMetrics`);
    }
    let line = sample.name + formatLabels(sample.labels, 'openmetrics', false);
    line += ` ${formatValue(sample.value)}`;
    if (sample.timestampMs !== undefined) line += ` ${formatMsAsSeconds(sample.timestampMs)}`;
    const exemplar = sample.exemplar;
    if (exemplar !== undefined) {
      line += ` # ${formatLabels(exemplar.labels, 'openmetrics', true)} ${formatValue(exemplar.value)}`;
      if (exemplar.timestampMs !== undefined) line += ` ${formatMsAsSeconds(exemplar.timestampMs)}`;
    }
    out.push(`${line}\n`);
  }
}

function writePrometheusFamily(out: string[], family: MetricFamily): void {
  const { name, type, samples } = family;
  switch (type) {
    case 'counter': {
      if (samples.every((sample) => sample.name === name)) {
        writePrometheusGroup(out, name, 'counter', family.help, samples);
        break;
      }
      const created = samples.filter((sample) => sample.name === `${name}_created`);
      const totals = samples.filter((sample) => sample.name !== `${name}_created`);
      writePrometheusGroup(out, `${name}_total`, 'counter', family.help, totals);
      if (created.length > 0) writePrometheusGroup(out, `${name}_created`, 'gauge', '', created);
      break;
    }
    case 'gauge':
    case 'histogram':
    case 'summary':
    case 'stateset':
      writePrometheusGroup(out, name, type === 'stateset' ? 'gauge' : type, family.help, samples);
      break;
    case 'info':
      writePrometheusGroup(out, `${name}_info`, 'gauge', family.help, samples);
      break;
    case 'unknown':
      writePrometheusGroup(out, name, 'untyped', family.help, samples);
      break;
    case 'gaugehistogram':
      writePrometheusGroup(out, name, undefined, '', samples);
      break;
  }
}

function writePrometheusGroup(
  out: string[],
  name: string,
  type: string | undefined,
  help: string,
  samples: readonly Sample[],
): void {
  const quotedName = METRIC_NAME.test(name) ? name : quote(name);
  if (type !== undefined) {
    if (help !== '') out.push(`# HELP ${quotedName} ${escapeHelp(help)}\n`);
    out.push(`# TYPE ${quotedName} ${type}\n`);
  }
  for (const sample of samples) {
    let line: string;
    if (METRIC_NAME.test(sample.name)) line = sample.name + formatLabels(sample.labels, 'prometheus', false);
    else {
      const rest = formatLabels(sample.labels, 'prometheus', false);
      line = `{${quote(sample.name)}${rest === '' ? '' : `,${rest.slice(1, -1)}`}}`;
    }
    line += ` ${formatValue(sample.value)}`;
    if (sample.timestampMs !== undefined) line += ` ${formatIntegerMs(sample.timestampMs)}`;
    out.push(`${line}\n`);
  }
}

function formatIntegerMs(ms: number): string {
  const rounded = Math.round(ms);
  if (!Number.isFinite(rounded) || Math.abs(rounded) >= INT64_LIMIT) {
    throw new RangeError(`timestamp ${ms} ms does not fit the Prometheus format's int64`);
  }
  return BigInt(rounded).toString();
}

function formatLabels(labels: Labels, format: ExpositionFormat, braces: boolean): string {
  let text = '';
  for (const name of Object.keys(labels)) {
    const value = labels[name] as string;
    if (value === '') continue;
    let renderedName = name;
    if (!LABEL_NAME.test(name)) {
      if (format === 'openmetrics')
        throw new RangeError(`label name ${JSON.stringify(name)} is not valid in OpenMetrics`);
      renderedName = quote(name);
    }
    text += `${text === '' ? '' : ','}${renderedName}="${escapeString(value)}"`;
  }
  return text === '' && !braces ? '' : `{${text}}`;
}

/** Label values (both formats) and OpenMetrics HELP: backslash, double quote, line feed. */
export function escapeString(text: string): string {
  if (!/[\\"\n]/.test(text)) return text;
  return text.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

/** Prometheus HELP escapes only backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (ch) => (ch === '\n' ? '\\n' : '\\\\'));
}

function quote(name: string): string {
  return `"${escapeString(name)}"`;
}
