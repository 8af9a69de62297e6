/**
 * PromQL series selectors (`http_requests_total{job="api",code=~"5.."}`): parsed once
 * from the catalog, used to generate PromQL and to match ingested series.
 * Grammar: https://prometheus.io/docs/prometheus/latest/querying/basics/#time-series-selectors
 */

import type { Result } from './issues.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher. For regex operators the value is the (fully anchored) pattern. */
export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** A parsed selector; `metric` is the metric name when one was given. */
export interface SeriesSelector {
  metric?: string;
  matchers: LabelMatcher[];
}

/** A selector error with the 0-based offset in the selector text where it was noticed. */
export interface SelectorError {
  message: string;
  offset: number;
}

/**
 * A PromQL (RE2) regex as a fully anchored JavaScript RegExp. RE2's leading flag group
 * (`(?i)`, `(?s)`, `(?is)`) becomes JS flags; the rest of the syntax is shared.
 */
export function selectorRegExp(pattern: string): RegExp {
  const flags = /^\(\?([ims]+)\)/.exec(pattern);
  const body = flags ? pattern.slice(flags[0].length) : pattern;
  const jsFlags = `u${flags ? [...new Set(flags[1]!)].join('') : ''}`;
  return new RegExp(`^(?:${body})$`, jsFlags);
}

const METRIC_START = /[a-zA-Z_:]/;
const METRIC_PART = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_PART = /[a-zA-Z0-9_]/;

/**
 * Parses a series selector.
 * @example parseSelector('up{job="api"}') // { ok: true, value: { metric: 'up', matchers: [...] } }
 */
export function parseSelector(text: string): Result<SeriesSelector, SelectorError> {
  let pos = 0;
  const fail = (message: string, at = pos): Result<SeriesSelector, SelectorError> => ({
    ok: false,
    issues: [{ message, offset: at }],
  });
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  skipSpace();
  let metric: string | undefined;
  if (pos < text.length && METRIC_START.test(text[pos]!)) {
    const start = pos;
    while (pos < text.length && METRIC_PART.test(text[pos]!)) pos++;
    metric = text.slice(start, pos);
  }
  skipSpace();
  const matchers: LabelMatcher[] = [];
  if (text[pos] === '{') {
    pos++;
    skipSpace();
    while (text[pos] !== '}') {
      if (pos >= text.length) return fail('unclosed "{": add "}" after the last matcher');
      let name: string;
      if (text[pos] === '"' || text[pos] === "'" || text[pos] === '`') {
        const quoted = readString(text, pos);
        if (!quoted.ok) return quoted;
        name = quoted.value.text;
        pos = quoted.value.end;
      } else {
        if (!LABEL_START.test(text[pos]!)) {
          return fail(`expected a label name, found "${text[pos]}"`);
        }
        const start = pos;
        while (pos < text.length && LABEL_PART.test(text[pos]!)) pos++;
        name = text.slice(start, pos);
      }
      skipSpace();
      const op = (['=~', '!~', '!=', '='] as const).find((candidate) => text.startsWith(candidate, pos));
      if (op === undefined) {
        if (text[pos] === ',' || text[pos] === '}') {
          matchers.push({ name: '__name__', op: '=', value: name });
          if (text[pos] === ',') pos++;
          skipSpace();
          continue;
        }
        return fail(`expected one of =, !=, =~, !~ after label "${name}"`);
      }
      pos += op.length;
      skipSpace();
      const valueStart = pos;
      const value = readString(text, pos);
      if (!value.ok) return value;
      pos = value.value.end;
      if (op === '=~' || op === '!~') {
        try {
          selectorRegExp(value.value.text);
        } catch (error) {
          return fail(
            `label "${name}" has an invalid regular expression: ${(error as Error).message}`,
            valueStart,
          );
        }
      }
      matchers.push({ name, op, value: value.value.text });
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        skipSpace();
      } else if (text[pos] !== '}') {
        if (pos >= text.length) return fail('unclosed "{": add "}" after the last matcher');
        return fail(`expected "," or "}" after a matcher, found "${text[pos]}"`);
      }
    }
    pos++;
  }
  skipSpace();
  if (pos < text.length) {
    return fail(
      `unexpected "${text.slice(pos, pos + 10)}": a selector is a metric name with optional {label matchers}; use a promql source for full expressions`,
    );
  }
  const nameMatchers = matchers.filter((m) => m.name === '__name__' && m.op === '=');
  const namedOutside = metric !== undefined && matchers.some((m) => m.name === '__name__');
  if (namedOutside || nameMatchers.length > 1) {
    return fail('the metric name is set twice (before the braces and as __name__, or twice as __name__)', 0);
  }
  const nameMatcher = nameMatchers[0];
  if (metric === undefined && nameMatcher) metric = nameMatcher.value;
  if (metric === undefined && !matchers.some((m) => !matchesEmpty(m))) {
    return fail(
      'a selector needs a metric name or at least one matcher that does not match the empty string',
      0,
    );
  }
  const selector: SeriesSelector = {
    matchers: matchers.filter((m) => !(m.name === '__name__' && m.op === '=')),
  };
  if (metric !== undefined) selector.metric = metric;
  return { ok: true, value: selector };
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return selectorRegExp(m.value).test('');
    case '!~':
      return !selectorRegExp(m.value).test('');
  }
}

const GO_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

function readString(text: string, start: number): Result<{ text: string; end: number }, SelectorError> {
  const quote = text[start];
  if (quote !== '"' && quote !== "'" && quote !== '`') {
    return { ok: false, issues: [{ message: 'expected a quoted string', offset: start }] };
  }
  let pos = start + 1;
  let out = '';
  while (pos < text.length && text[pos] !== quote) {
    const ch = text[pos]!;
    if (ch === '\\' && quote !== '`') {
      const next = text[pos + 1];
      if (next !== undefined && next in GO_ESCAPES) {
        out += GO_ESCAPES[next];
        pos += 2;
        continue;
      }
      // \xHH, \uHHHH, \UHHHHHHHH and octal \NNN, as Go's strconv.Unquote reads them.
      const hex = /^(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3}))/.exec(
        text.slice(pos + 1, pos + 10),
      );
      if (hex) {
        const code = hex[1] ?? hex[2] ?? hex[3];
        const value = code !== undefined ? Number.parseInt(code, 16) : Number.parseInt(hex[4]!, 8);
        if (value > 0x10ffff)
          return { ok: false, issues: [{ message: 'an escape beyond Unicode', offset: pos }] };
        out += String.fromCodePoint(value);
        pos += 1 + hex[0].length;
        continue;
      }
      // PromQL keeps unknown escapes in regexes (e.g. "\\.") as written by the user.
      out += ch;
      pos++;
      continue;
    }
    out += ch;
    pos++;
  }
  if (pos >= text.length)
    return { ok: false, issues: [{ message: `unterminated string starting with ${quote}`, offset: start }] };
  return { ok: true, value: { text: out, end: pos + 1 } };
}

/** Renders a selector back to PromQL text, with extra matchers appended. */
export function formatSelector(selector: SeriesSelector, extra: LabelMatcher[] = []): string {
  const all = [...selector.matchers, ...extra];
  const body = all.map((m) => `${formatLabelName(m.name)}${m.op}${JSON.stringify(m.value)}`).join(',');
  if (selector.metric === undefined) return `{${body}}`;
  return all.length === 0 ? selector.metric : `${selector.metric}{${body}}`;
}

function formatLabelName(name: string): string {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) ? name : JSON.stringify(name);
}

/** Builds a predicate over a label set (with `__name__`) that applies the selector. */
export function compileSelector(
  selector: SeriesSelector,
): (labels: Readonly<Record<string, string>>) => boolean {
  const tests = selector.matchers.map((m) => {
    if (m.op === '=') return (labels: Readonly<Record<string, string>>) => (labels[m.name] ?? '') === m.value;
    if (m.op === '!=')
      return (labels: Readonly<Record<string, string>>) => (labels[m.name] ?? '') !== m.value;
    const re = selectorRegExp(m.value);
    if (m.op === '=~') return (labels: Readonly<Record<string, string>>) => re.test(labels[m.name] ?? '');
    return (labels: Readonly<Record<string, string>>) => !re.test(labels[m.name] ?? '');
  });
  const metric = selector.metric;
  // A loop, not `tests.every((t) => t(labels))`: ingest runs this for every route of every
  // sample, and that closure per call was most of the unit's allocation under load.
  return (labels) => {
    if (metric !== undefined && labels['__name__'] !== metric) return false;
    for (const test of tests) if (!test(labels)) return false;
    return true;
  };
}
