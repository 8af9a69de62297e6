/**
 * OTLP names and values as Prometheus sees them, per the OpenTelemetry spec
 * "Prometheus and OpenMetrics Compatibility" (section "OTLP Metric points to Prometheus")
 * and "AnyValue representation for non-OTLP protocols" (common/README.md).
 */

import { encodeBase64 } from './base64.ts';
import type { OtlpAnyValue } from './model.ts';

// ---------------------------------------------------------------------------------------
// Attribute values

/**
 * An attribute value as a label value: strings as-is, booleans and numbers as JSON
 * literals (NaN/Infinity/-Infinity bare), bytes as base64, empty as '', arrays and
 * kvlists as JSON whose members follow the same rules quoted.
 * @example anyValueToString({ type: 'int', value: 42 }) // '42'
 */
export function anyValueToString(value: OtlpAnyValue): string {
  switch (value.type) {
    case 'string':
      return value.value;
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return String(value.value);
    case 'double':
      return doubleText(value.value);
    case 'bytes':
      return encodeBase64(value.value);
    case 'empty':
      return '';
    case 'array':
    case 'kvlist':
      return jsonValue(value);
  }
}

/** A double as a JSON number; the three non-finite values by name (the spec's spelling). */
function doubleText(value: number): string {
  if (Number.isFinite(value)) return JSON.stringify(value);
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** An AnyValue nested in an array or map: JSON, with special doubles as JSON strings. */
function jsonValue(value: OtlpAnyValue): string {
  switch (value.type) {
    case 'string':
      return JSON.stringify(value.value);
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return String(value.value);
    case 'double':
      return Number.isFinite(value.value) ? JSON.stringify(value.value) : `"${doubleText(value.value)}"`;
    case 'bytes':
      return `"${encodeBase64(value.value)}"`;
    case 'empty':
      return 'null';
    case 'array':
      return `[${value.values.map(jsonValue).join(',')}]`;
    case 'kvlist':
      return `{${value.values.map((kv) => `${JSON.stringify(kv.key)}:${jsonValue(kv.value)}`).join(',')}}`;
  }
}

// ---------------------------------------------------------------------------------------
// Label names

const INVALID_LABEL_CHARS = /[^a-zA-Z0-9_]+/g;
const REPEATED_UNDERSCORES = /__+/g;

/**
 * An attribute key as a Prometheus label name: characters outside `[a-zA-Z0-9_]` become
 * `_` and runs of `_` collapse to one (spec); a name starting with a digit or `_` gets a
 * `key` / `key_` prefix (Prometheus's translator), so no attribute can produce a reserved
 * `__name__`-style label. '' stays ''.
 * @example labelName('http.response.status_code') // 'http_response_status_code'
 */
export function labelName(key: string): string {
  let name = key.replace(INVALID_LABEL_CHARS, '_').replace(REPEATED_UNDERSCORES, '_');
  if (name === '') return name;
  const first = name.charCodeAt(0);
  if (first >= 48 && first <= 57) name = `key_${name}`;
  else if (first === 95) name = `key${name}`;
  return name;
}

// ---------------------------------------------------------------------------------------
// Metric names

/**
 * UCUM units to Prometheus unit words: the spec's table ("Metric Metadata"), read in the
 * OTLP-to-Prometheus direction.
 */
const UNIT_WORDS: ReadonlyMap<string, string> = mapOf({
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  kBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
  // Dimensionless: no unit word (gauges get `ratio` instead, below).
  '1': '',
});

/** Denominators of rate units ("By/s" -> "bytes_per_second"), singular. */
const PER_UNIT_WORDS: ReadonlyMap<string, string> = mapOf({
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
});

/** A Map, not an object: units are input text, and `valueOf` must not find Object.prototype's. */
function mapOf(entries: Record<string, string>): ReadonlyMap<string, string> {
  return new Map(Object.entries(entries));
}

/** What decides the type suffix of a metric name. */
export type MetricNameKind = 'gauge' | 'counter' | 'sum' | 'histogram';

const INVALID_METRIC_CHARS = /[^a-zA-Z0-9:]+/;

function tokens(text: string): string[] {
  return text.split(INVALID_METRIC_CHARS).filter((t) => t !== '');
}

function endsWith(list: readonly string[], suffix: readonly string[]): boolean {
  if (suffix.length === 0 || suffix.length > list.length) return false;
  const offset = list.length - suffix.length;
  return suffix.every((t, i) => list[offset + i] === t);
}

/** The unit's name tokens: the main unit word, and `per` plus the denominator word. */
function unitTokens(unit: string): { main: string[]; per: string[] } {
  // "Portions of the Unit within brackets (e.g. {packet}) MUST be dropped."
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  const slash = bare.indexOf('/');
  const main = (slash < 0 ? bare : bare.slice(0, slash)).trim();
  const per = slash < 0 ? '' : bare.slice(slash + 1).trim();
  const perTokens = tokens(PER_UNIT_WORDS.get(per) ?? per);
  return {
    main: tokens(UNIT_WORDS.get(main) ?? main),
    per: perTokens.length > 0 ? ['per', ...perTokens] : [],
  };
}

/**
 * The Prometheus metric name for an OTLP metric: invalid characters become `_` (runs
 * collapsed), the unit word is appended unless the name already ends with it, then
 * `_total` for counters (monotonic sums) and `_ratio` for gauges in unit "1" (as
 * Prometheus's OTLP translator does), and a leading digit gets a `_` prefix.
 * @example prometheusMetricName('http.server.request.duration', 's', 'histogram') // 'http_server_request_duration_seconds'
 */
export function prometheusMetricName(name: string, unit: string, kind: MetricNameKind): string {
  const parts = tokens(name);
  const typeSuffix = kind === 'counter' ? 'total' : kind === 'gauge' && unit.trim() === '1' ? 'ratio' : '';
  // A name that already ends in its type suffix keeps it in place, after the unit.
  if (typeSuffix !== '' && parts[parts.length - 1] === typeSuffix) parts.pop();
  const { main, per } = unitTokens(unit);
  if (!endsWith(parts, [...main, ...per])) {
    if (!endsWith(parts, main)) parts.push(...main);
    parts.push(...per);
  }
  if (typeSuffix !== '') parts.push(typeSuffix);
  const joined = parts.join('_');
  const first = joined.charCodeAt(0);
  return first >= 48 && first <= 57 ? `_${joined}` : joined;
}
