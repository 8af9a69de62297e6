/**
 * Small PromQL text builders for generated rules: durations, numbers, selectors and the
 * histogram `le` matcher. Pure string functions, no PromQL parser.
 */

import { formatMinutes, formatSelector, type LabelMatcher, type SeriesSelector } from '../catalog/index.ts';

/** A PromQL duration for whole minutes: `5m`, `6h`, `1d`, `1h30m`. */
export function promDuration(minutes: number): string {
  return formatMinutes(minutes);
}

/**
 * A PromQL duration one second shorter than `minutes`: `4m59s` for 5m.
 *
 * Prometheus 2.x range selectors and subqueries are closed at both ends, 3.x ones are
 * open on the left: `[5m:1m]` holds 6 points at an aligned instant on 2.x and 5 on 3.x.
 * `[4m59s:1m]` holds exactly 5 on both, so a subquery over it counts each step once.
 */
export function promDurationMinusOneSecond(minutes: number): string {
  let rest = minutes * 60 - 1;
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

/** A number as PromQL text, without binary floating-point noise (14.4, not 14.400000000000002). */
export function promNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** `sum by (a, b) (inner)`, or `sum (inner)` when there are no labels to keep. */
export function sumBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `sum(${inner})` : `sum by (${labels.join(', ')}) (${inner})`;
}

/** `on(a, b)`: the vector matching that pairs series of one SLI by its significant labels. */
export function onLabels(labels: readonly string[]): string {
  return `on(${labels.join(', ')})`;
}

/** `metric{a="x",b="y"}` for equality matchers, in the given order. */
export function seriesSelector(metric: string, labels: readonly (readonly [string, string])[]): string {
  return formatSelector(
    { metric, matchers: [] },
    labels.map(([name, value]) => ({ name, op: '=', value })),
  );
}

/** A selector with extra matchers and, optionally, a suffix on its metric name (`_bucket`). */
export function selectorWith(selector: SeriesSelector, extra: LabelMatcher[], metricSuffix = ''): string {
  const copy: SeriesSelector = { matchers: selector.matchers };
  if (selector.metric !== undefined) copy.metric = selector.metric + metricSuffix;
  return formatSelector(copy, extra);
}

/**
 * How Go's `strconv.FormatFloat(v, 'g', -1, 64)` writes a number, which is how the Go
 * client library and Prometheus write `le` labels: shortest digits, exponent form below
 * 1e-4 and from 1e6 on (`1e-05`, `2.5e+06`).
 */
export function goFloat(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (value === 0) return '0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

/**
 * Every way an exporter may write the bucket bound `value` as an `le` label: Go and
 * Prometheus 2 write `1`, the Python and Java clients, OpenMetrics and Prometheus 3 write
 * `1.0`; small and large bounds may use exponent form.
 * @example leVariants(1) // ['1', '1.0']
 */
export function leVariants(value: number): string[] {
  const go = goFloat(value);
  const variants = [go];
  if (!/[.e]/.test(go)) variants.push(`${go}.0`);
  const plain = value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
  variants.push(plain);
  if (!plain.includes('.')) variants.push(`${plain}.0`);
  return [...new Set(variants)];
}

/** The `le=~"1|1\\.0"` matcher of a histogram bucket, robust to how the bound was written. */
export function leMatcher(value: number): LabelMatcher {
  return {
    name: 'le',
    op: '=~',
    value: leVariants(value)
      .map((variant) => variant.replace(/[.+*?^$()[\]{}|\\]/g, '\\$&'))
      .join('|'),
  };
}

/** Replaces every `$window` of a PromQL source by a duration. */
export function withWindow(expression: string, window: string): string {
  return expression.replaceAll('$window', window);
}
