/**
 * PromQL between OpenSLO and Sextant. OpenSLO leaves a query's window to the tool
 * (`rate(x[5m])`, Sloth's `[{{.window}}]`, or a bare counter with `counter: true`);
 * Sextant needs an expression that counts events over `$window`, which it replaces by
 * 1m for per-minute counts and by each alert window in generated rules.
 */

import { parseSelector, type Source } from '../../catalog/index.ts';

/** A Sextant metric source as written in a manifest. */
export type ManifestSource = { selector: string } | { promql: string };

export type Conversion =
  | { ok: true; source: ManifestSource; change?: string }
  | { ok: false; source: ManifestSource; reason: string };

/** The range an exported expression uses in place of `$window`: the Prometheus default for rate(). */
export const EXPORT_RANGE = '5m';

const RANGE = /^\s*([0-9]+(?:ms|[smhdwy]))+\s*(:\s*([0-9]+(?:ms|[smhdwy]))*\s*)?$/;
const PLACEHOLDER = /\{\{\s*\.window\s*\}\}/g;
const IDENTIFIER_START = /[a-zA-Z_:]/;
const IDENTIFIER_PART = /[a-zA-Z0-9_:]/;
const WORST_CASE = { '<': 'max', '<=': 'max', '>': 'min', '>=': 'min' } as const;

interface Rewrite {
  text: string;
  ranges: number;
  rates: number;
  instant: string[];
}

/**
 * Rewrites every range `[5m]` (or subquery range `[1h:1m]`) to `[$window]` and, when
 * counting, `rate(` to `increase(`: the ratio of two rates over a window equals the ratio
 * of their increases, and increase is the count Sextant needs.
 */
function rewrite(text: string, counting: boolean): Rewrite {
  let out = '';
  let ranges = 0;
  let rates = 0;
  const instant: string[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '"' || char === "'" || char === '`') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (char === '[') {
      const close = text.indexOf(']', i);
      const inner = close < 0 ? '' : text.slice(i + 1, close);
      const match = close < 0 ? null : RANGE.exec(inner);
      if (match) {
        const step = match[2] === undefined ? '' : match[2].replace(/\s+/g, '');
        out += `[$window${step}]`;
        ranges++;
        i = close + 1;
      } else {
        out += char;
        i++;
      }
    } else if (IDENTIFIER_START.test(char) && !IDENTIFIER_PART.test(text[i - 1] ?? ' ')) {
      let end = i;
      while (end < text.length && IDENTIFIER_PART.test(text[end]!)) end++;
      const word = text.slice(i, end);
      const call = /^\s*\(/.test(text.slice(end));
      if (call && counting && word === 'rate') {
        out += 'increase';
        rates++;
      } else {
        if (call && (word === 'irate' || word === 'idelta')) instant.push(word);
        out += word;
      }
      i = end;
    } else {
      out += char;
      i++;
    }
  }
  return { text: out, ranges, rates, instant };
}

function stringEnd(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' && quote !== '`' ? 2 : 1;
  return Math.min(i + 1, text.length);
}

/** A query that already names its window, as `$window` or as Sloth's `{{.window}}`. */
function withWindow(query: string): Conversion | undefined {
  if (query.includes('$window')) return { ok: true, source: { promql: query } };
  const replaced = query.replace(PLACEHOLDER, '$window');
  if (replaced === query) return undefined;
  return { ok: true, source: { promql: replaced }, change: '{{.window}} replaced by $window' };
}

/**
 * `sum(x{...})` or `sum by (l) (x{...})`: one aggregation around one series selector, the
 * shape OpenSLO's own ratioMetric example uses for a raw counter.
 */
function aggregatedSelector(query: string): { before: string; selector: string; after: string } | undefined {
  // Greedy first (`sum(x)`), then lazy for a trailing modifier (`sum(x) by (job)`).
  for (const inner of ['(.*)', '(.*?)']) {
    const shape = new RegExp(
      `^\\s*(sum\\s*(?:(?:by|without)\\s*\\([^()]*\\)\\s*)?\\()${inner}(\\)\\s*(?:(?:by|without)\\s*\\([^()]*\\))?)\\s*$`,
      's',
    );
    const match = shape.exec(query);
    if (match && parseSelector(match[2]!).ok) {
      return { before: match[1]!, selector: match[2]!.trim(), after: match[3]!.trim() };
    }
  }
  return undefined;
}

/**
 * A Sextant source counting events over `$window`, from an OpenSLO ratioMetric query.
 * @example countSource('sum(rate(http_requests_total{code=~"5.."}[5m]))', true)
 * // { ok: true, source: { promql: 'sum(increase(http_requests_total{code=~"5.."}[$window]))' }, change: ... }
 */
export function countSource(query: string, counter: boolean | undefined): Conversion {
  const trimmed = query.trim();
  const windowed = withWindow(trimmed);
  if (windowed) return windowed;
  const rewritten = rewrite(trimmed, true);
  if (rewritten.instant.length > 0) {
    return {
      ok: false,
      source: { promql: trimmed },
      reason: `${rewritten.instant.join(', ')}() looks at the last two samples only, so it cannot count events over a window; rewrite it with increase(...[$window])`,
    };
  }
  if (rewritten.ranges > 0) {
    const changes = [`range${rewritten.ranges > 1 ? 's' : ''} replaced by [$window]`];
    if (rewritten.rates > 0) changes.push('rate() replaced by increase() to count events');
    return { ok: true, source: { promql: rewritten.text }, change: changes.join('; ') };
  }
  if (counter === false) {
    return {
      ok: false,
      source: { promql: trimmed },
      reason:
        'counter: false with no range: a value that goes up and down does not say how many events happened in a window; write a PromQL expression counting events over [$window]',
    };
  }
  if (parseSelector(trimmed).ok) return { ok: true, source: { selector: trimmed } };
  const aggregated = aggregatedSelector(trimmed);
  if (aggregated) {
    return {
      ok: true,
      source: { promql: `${aggregated.before}increase(${aggregated.selector}[$window])${aggregated.after}` },
      change: 'the counter is counted over the window with increase(...[$window])',
    };
  }
  return {
    ok: false,
    source: { promql: trimmed },
    reason:
      'the query has no range to replace by [$window]; rewrite it to count events over the window, e.g. sum(increase(http_requests_total{job="api"}[$window]))',
  };
}

/**
 * A Sextant gauge source from an OpenSLO thresholdMetric query. A plain selector stays a
 * selector; ranges become `[$window]`; anything else is wrapped in a subquery that keeps
 * the window's worst value for the operator (the max for an upper bound).
 */
export function gaugeSource(query: string, operator: '<' | '<=' | '>' | '>='): Conversion {
  const trimmed = query.trim();
  const windowed = withWindow(trimmed);
  if (windowed) return windowed;
  if (parseSelector(trimmed).ok) return { ok: true, source: { selector: trimmed } };
  const rewritten = rewrite(trimmed, false);
  if (rewritten.ranges > 0) {
    return { ok: true, source: { promql: rewritten.text }, change: 'ranges replaced by [$window]' };
  }
  const worst = WORST_CASE[operator];
  return {
    ok: true,
    source: { promql: `${worst}_over_time((${trimmed})[$window:])` },
    change: `wrapped in ${worst}_over_time((...)[$window:]) so each window is judged by its worst value`,
  };
}

/**
 * The query an OpenSLO consumer can run for a Sextant source: a selector as is (with
 * `counter: true`), PromQL with `$window` replaced by a fixed range.
 * @example exportQuery({ kind: 'promql', expression: 'sum(increase(x[$window]))' }) // 'sum(increase(x[5m]))'
 */
export function exportQuery(source: Source): string {
  return source.kind === 'selector' ? source.text : source.expression.replaceAll('$window', EXPORT_RANGE);
}

/** The manifest form of a normalized source. */
export function manifestSource(source: Source): ManifestSource {
  return source.kind === 'selector' ? { selector: source.text } : { promql: source.expression };
}
