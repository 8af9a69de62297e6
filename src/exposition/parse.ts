/**
 * A single-pass parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0 text.
 *
 * The scanner walks the string once with charCodeAt, line by line (`indexOf('\n')`), and
 * hands each sample to a family assembler that knows the format's grouping rules.
 * Strictness follows each spec:
 *
 * - Prometheus text is lenient: a line that cannot be read is reported and skipped, and
 *   every other line is kept. Semantic problems (unsorted buckets, ...) are reported and
 *   the data is kept.
 * - OpenMetrics says "Partial or invalid expositions MUST be considered erroneous in their
 *   entirety", so any error rejects the whole exposition: `families` is empty and
 *   `rejected` is true. Parsing still runs to the end so that every problem is listed.
 *   A missing `# EOF` is such an error (it is how truncation shows).
 */
import { contentTypeFormat } from './content-type.ts';
import { escapeString } from './format.ts';
import type { ExpositionIssue, ExpositionIssueCode } from './issues.ts';
import { formatCanonicalFloat, parseFloatToken, parseInt64, parseSecondsToMs } from './number.ts';
import { PointCheck, type PointIssue } from './points.ts';
import type { Exemplar, ExpositionFormat, Labels, MetricFamily, MetricType, Sample } from './types.ts';

/** Options for {@link parseExposition}. */
export interface ParseExpositionOptions {
  /** `auto` reads the format from `contentType`, and guesses from the body when it names none. */
  format: ExpositionFormat | 'auto';
  /** When the scrape was taken; samples without a timestamp happened at this time. */
  scrapeTimeMs: number;
  /** The response's `Content-Type`, used when `format` is `auto`. */
  contentType?: string | null | undefined;
  /** Stop listing issues after this many (default 1000); errors are still counted. */
  maxIssues?: number;
}

/** What {@link parseExposition} read, and every problem it found. */
export interface ParseExpositionResult {
  format: ExpositionFormat;
  /** Empty when `rejected`. */
  families: MetricFamily[];
  issues: ExpositionIssue[];
  /** True when an OpenMetrics exposition had an error: the spec rejects it as a whole. */
  rejected: boolean;
  /** Echo of the option, the time of samples that carry no timestamp. */
  scrapeTimeMs: number;
}

/**
 * Parses a scraped exposition into metric families.
 * @example
 * const { families, issues, rejected } = parseExposition(body, {
 *   format: 'auto', contentType: res.headers.get('content-type'), scrapeTimeMs: now,
 * });
 */
export function parseExposition(text: string, options: ParseExpositionOptions): ParseExpositionResult {
  let format: ExpositionFormat;
  let guessed = false;
  if (options.format !== 'auto') format = options.format;
  else {
    const named = contentTypeFormat(options.contentType);
    guessed = named === undefined;
    format = named ?? (endsWithEof(text) ? 'openmetrics' : 'prometheus');
  }
  const parser = new Parser(text, format, options.scrapeTimeMs, options.maxIssues ?? 1000);
  if (guessed) {
    parser.report(
      'content-type',
      'warning',
      1,
      1,
      `content type ${options.contentType ? `"${options.contentType}" is not a text exposition format` : 'is missing'}; ` +
        `read as ${format === 'openmetrics' ? 'OpenMetrics (the body ends with # EOF)' : 'Prometheus text'}`,
    );
  }
  parser.run();
  // Whole-family checks run last; list every issue in reading order (the sort is stable).
  parser.issues.sort((a, b) => a.line - b.line || a.column - b.column);
  const rejected = format === 'openmetrics' && parser.errorCount > 0;
  return {
    format,
    families: rejected ? [] : parser.families,
    issues: parser.issues,
    rejected,
    scrapeTimeMs: options.scrapeTimeMs,
  };
}

function endsWithEof(text: string): boolean {
  return /(?:^|\n)# EOF\r?\n?\s*$/.test(text.slice(-64));
}

// ---------------------------------------------------------------------------------------
// Character classes

const SP = 32;
const TAB = 9;
const HASH = 35;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const EQ = 61;
const LBRACE = 123;
const RBRACE = 125;
const CR = 13;

const NAME_START = 1;
const NAME_CHAR = 2;
const LABEL_START = 4;
const LABEL_CHAR = 8;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) CHAR_CLASS[c] = NAME_START | NAME_CHAR | LABEL_START | LABEL_CHAR;
  else if (/[0-9]/.test(ch)) CHAR_CLASS[c] = NAME_CHAR | LABEL_CHAR;
  else if (ch === ':') CHAR_CLASS[c] = NAME_START | NAME_CHAR;
}

function hasClass(c: number, cls: number): boolean {
  return c < 128 && ((CHAR_CLASS[c] as number) & cls) !== 0;
}

/** OpenMetrics sample-name suffixes of each type (section "Suffixes"). */
const OM_SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  unknown: [''],
  stateset: [''],
  info: ['_info'],
  summary: ['', '_count', '_sum', '_created'],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
};
const ALL_OM_SUFFIXES = ['_total', '_created', '_info', '_count', '_sum', '_bucket', '_gcount', '_gsum'];

/** Prometheus 0.0.4: counters and gauges keep their whole name; "Histograms and summaries". */
const PROM_SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  unknown: [''],
  summary: ['', '_count', '_sum'],
  histogram: ['_bucket', '_count', '_sum'],
};
const PROM_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};
const OM_TYPES = new Set<string>([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'stateset',
  'info',
  'summary',
  'unknown',
]);

const MAX_EXEMPLAR_CODE_POINTS = 128;
const DAY_MS = 86_400_000;

/** Sets a label without letting `__proto__` (a valid label name) reach the prototype. */
function setLabel(labels: Labels, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true });
  else labels[name] = value;
}

function describe(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

// ---------------------------------------------------------------------------------------
// Families under construction

interface FamilyState {
  family: MetricFamily;
  line: number;
  typeLine: number;
  helpLine: number;
  unitLine: number;
  unitColumn: number;
  /** OpenMetrics order TYPE(0) < UNIT(1) < HELP(2). */
  lastMetadataRank: number;
  interleaveReported: boolean;
  firstSampleLine: number;
  /** Sample suffix → le/quantile/state value → label key → last timestamp (NaN for none). */
  series: Map<string, Map<string, Map<string, number>>> | undefined;
  /**
   * Histograms and summaries: per sample, parallel to family.samples, what a regrouping
   * of split points needs. Other families, most of them, stay small.
   */
  kept: { suffixes: string[]; lines: number[]; keys: string[]; bounds: number[] } | undefined;
  point: PointCheck | undefined;
  pointKeys: Set<string> | undefined;
  pointIssues: PointIssue[];
  regroup: boolean;
  /** Label sets seen before the current one; created when a second one starts. */
  metricsSeen: Set<string> | undefined;
  currentMetric: string | undefined;
  currentPointMs: number;
}

function newFamilyState(name: string, line: number): FamilyState {
  return {
    family: { name, type: 'unknown', help: '', unit: '', samples: [] },
    line,
    typeLine: 0,
    helpLine: 0,
    unitLine: 0,
    unitColumn: 0,
    lastMetadataRank: -1,
    interleaveReported: false,
    firstSampleLine: 0,
    series: undefined,
    kept: undefined,
    point: undefined,
    pointKeys: undefined,
    pointIssues: [],
    regroup: false,
    metricsSeen: undefined,
    currentMetric: undefined,
    currentPointMs: Number.NEGATIVE_INFINITY,
  };
}

interface CanonicalNumber {
  value: number;
  text: string;
}

type MetadataKind = 'TYPE' | 'HELP' | 'UNIT';
const METADATA_RANK: Record<MetadataKind, number> = { TYPE: 0, UNIT: 1, HELP: 2 };

// ---------------------------------------------------------------------------------------
// The parser

class Parser {
  readonly text: string;
  readonly om: boolean;
  readonly scrapeTimeMs: number;
  readonly maxIssues: number;
  readonly issues: ExpositionIssue[] = [];
  readonly families: MetricFamily[] = [];
  errorCount = 0;

  private readonly once = new Set<string>();
  private readonly byName = new Map<string, FamilyState>();
  private readonly states: FamilyState[] = [];
  /** The suffix by which the last routed sample belongs to its family. */
  private routedSuffix = '';
  /** `le` and `quantile` values seen, read once (buckets repeat across label sets). */
  private readonly numbers = new Map<string, CanonicalNumber | undefined>();
  private current: FamilyState | undefined;

  private line = 0;
  private lineStart = 0;
  /** Position after the last token read by a helper. */
  private at = 0;

  // Scratch label arrays, reused for every sample (series labels, then exemplar labels).
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private readonly exemplarNames: string[] = [];
  private readonly exemplarValues: string[] = [];
  private labelCount = 0;
  private lastName: string | undefined;
  private labelCodePoints = 0;
  // Where each series label's `name="value"` text starts and ends, and whether that text
  // is already the canonical rendering (see metricKeyOf).
  private readonly labelStarts: number[] = [];
  private readonly labelEnds: number[] = [];
  private labelsCanonical = true;
  private readonly order: number[] = [];
  /** Set by readEscaped: the string held a backslash. */
  private sawBackslash = false;

  constructor(text: string, format: ExpositionFormat, scrapeTimeMs: number, maxIssues: number) {
    this.text = text;
    this.om = format === 'openmetrics';
    this.scrapeTimeMs = scrapeTimeMs;
    this.maxIssues = maxIssues;
  }

  report(
    code: ExpositionIssueCode,
    severity: 'error' | 'warning',
    line: number,
    column: number,
    message: string,
  ): void {
    if (severity === 'error') this.errorCount++;
    if (this.issues.length < this.maxIssues) {
      this.issues.push({ code, severity, line, column, message });
    } else if (this.issues.length === this.maxIssues) {
      this.issues.push({
        code: 'issues.truncated',
        severity: 'warning',
        line,
        column,
        message: `more than ${this.maxIssues} issues; the rest are not listed`,
      });
    }
  }

  /** Reports an error at an offset of the current line; returns false for `return this.fail(...)`. */
  private fail(code: ExpositionIssueCode, at: number, message: string): false {
    this.report(code, 'error', this.line, at - this.lineStart + 1, message);
    return false;
  }

  private warnAt(code: ExpositionIssueCode, at: number, message: string): void {
    this.report(code, 'warning', this.line, at - this.lineStart + 1, message);
  }

  /** Reports the first occurrence only, for problems that would repeat on every line. */
  private reportOnce(
    key: string,
    code: ExpositionIssueCode,
    severity: 'error' | 'warning',
    at: number,
    message: string,
  ) {
    if (this.once.has(key)) {
      if (severity === 'error') this.errorCount++;
      return;
    }
    this.once.add(key);
    this.report(code, severity, this.line, at - this.lineStart + 1, message);
  }

  run(): void {
    const text = this.text;
    const length = text.length;
    let pos = 0;
    if (length > 0 && text.charCodeAt(0) === 0xfeff) {
      this.line = 1;
      this.report(
        'byte-order-mark',
        this.om ? 'error' : 'warning',
        1,
        1,
        'the body starts with a byte order mark (U+FEFF); expositions must not use one',
      );
      pos = 1;
    }
    let sawEof = false;
    let lineNo = 0;
    while (pos < length) {
      lineNo++;
      this.line = lineNo;
      this.lineStart = pos;
      if (sawEof) {
        this.report(
          'after-eof',
          'error',
          lineNo,
          1,
          'content after "# EOF"; an exposition ends at its EOF line',
        );
        break;
      }
      let newline = text.indexOf('\n', pos);
      const terminated = newline >= 0;
      if (!terminated) newline = length;
      let end = newline;
      if (end > pos && text.charCodeAt(end - 1) === CR) {
        end--;
        if (this.om) {
          this.reportOnce(
            'cr',
            'line-ending',
            'error',
            end,
            'line ends in CR LF; OpenMetrics lines end with LF only',
          );
        } else {
          this.reportOnce('cr', 'line-ending', 'warning', end, 'line ends in CR LF; the CR was ignored');
        }
      }
      if (this.om) sawEof = this.openMetricsLine(pos, end);
      else {
        if (!terminated) this.warnAt('missing-newline', end, 'the last line does not end with a line feed');
        this.prometheusLine(pos, end);
      }
      pos = newline + 1;
    }
    if (this.om && !sawEof) {
      const line = lineNo === 0 ? 1 : text.charCodeAt(length - 1) === 10 ? lineNo + 1 : lineNo;
      this.report(
        'missing-eof',
        'error',
        line,
        1,
        'no "# EOF" line at the end; the exposition may be truncated',
      );
    }
    for (const state of this.states) this.validateFamily(state);
  }

  // ----- lines -------------------------------------------------------------------------

  /** One OpenMetrics line; returns true for the EOF line. */
  private openMetricsLine(start: number, end: number): boolean {
    if (start === end) {
      this.fail('syntax', start, 'empty line; OpenMetrics has no blank lines');
      return false;
    }
    if (this.text.charCodeAt(start) === HASH) return this.openMetricsComment(start, end);
    this.sampleLine(start, end);
    return false;
  }

  private openMetricsComment(start: number, end: number): boolean {
    const text = this.text;
    if (end - start === 5 && text.startsWith('# EOF', start)) return true;
    let i = start + 1;
    let keywordEnd = i + 1;
    while (keywordEnd < end && text.charCodeAt(keywordEnd) !== SP) keywordEnd++;
    const keyword = text.charCodeAt(i) === SP ? text.slice(i + 1, keywordEnd) : '';
    if (keyword !== 'TYPE' && keyword !== 'HELP' && keyword !== 'UNIT') {
      this.fail(
        'comment',
        start,
        `${describe(text.slice(start, end))} is not allowed: OpenMetrics has no comments, only "# TYPE", "# HELP", "# UNIT" and "# EOF" lines`,
      );
      return false;
    }
    i = keywordEnd;
    if (i >= end) {
      this.fail('syntax', i, `expected a space and a metric name after "# ${keyword}"`);
      return false;
    }
    i++;
    const nameStart = i;
    i = this.metricNameEnd(i, end);
    if (i === nameStart) {
      this.fail('syntax', nameStart, `expected a metric name after "# ${keyword} "`);
      return false;
    }
    const name = text.slice(nameStart, i);
    if (i >= end || text.charCodeAt(i) !== SP) {
      this.fail(
        'syntax',
        i,
        i >= end
          ? `expected a space after the metric name in "# ${keyword}" (the ${keyword.toLowerCase()} may be empty, the space may not)`
          : `unexpected character ${describe(text[i] as string)} in metric name`,
      );
      return false;
    }
    i++;
    if (keyword === 'TYPE') {
      const type = text.slice(i, end);
      if (!OM_TYPES.has(type)) {
        this.fail(
          'metadata.type',
          i,
          `unknown type ${describe(type)}; OpenMetrics types are counter, gauge, histogram, gaugehistogram, stateset, info, summary, unknown`,
        );
        return false;
      }
      this.metadata('TYPE', name, type, nameStart);
    } else if (keyword === 'UNIT') {
      for (let k = i; k < end; k++) {
        if (!hasClass(text.charCodeAt(k), NAME_CHAR)) {
          this.fail(
            'syntax',
            k,
            `unexpected character ${describe(text[k] as string)} in unit; units use [a-zA-Z0-9_:]`,
          );
          return false;
        }
      }
      this.metadata('UNIT', name, text.slice(i, end), nameStart);
    } else {
      const help = this.readEscaped(i, end, -1, true);
      if (help === undefined) return false;
      this.metadata('HELP', name, help, nameStart);
    }
    return false;
  }

  private prometheusLine(start: number, end: number): void {
    const text = this.text;
    start = this.skipBlanks(start, end);
    while (end > start && (text.charCodeAt(end - 1) === SP || text.charCodeAt(end - 1) === TAB)) end--;
    if (start === end) return;
    if (text.charCodeAt(start) !== HASH) {
      this.sampleLine(start, end);
      return;
    }
    let i = this.skipBlanks(start + 1, end);
    const keywordStart = i;
    while (i < end && text.charCodeAt(i) !== SP && text.charCodeAt(i) !== TAB) i++;
    const keyword = text.slice(keywordStart, i);
    if (keyword !== 'HELP' && keyword !== 'TYPE') return; // an ordinary comment
    i = this.skipBlanks(i, end);
    const nameStart = i;
    const name = this.readPrometheusName(i, end, `after "# ${keyword}"`);
    if (name === undefined) return;
    i = this.at;
    if (i < end && text.charCodeAt(i) !== SP && text.charCodeAt(i) !== TAB) {
      this.fail('syntax', i, `unexpected character ${describe(text[i] as string)} in metric name`);
      return;
    }
    i = this.skipBlanks(i, end);
    if (keyword === 'HELP') {
      // Prometheus HELP escapes only backslash and line feed; `\"` stays as written.
      const help = this.readEscaped(i, end, -1, false);
      if (help !== undefined) this.metadata('HELP', name, help, nameStart);
      return;
    }
    const typeStart = i;
    while (i < end && text.charCodeAt(i) !== SP && text.charCodeAt(i) !== TAB) i++;
    const typeToken = text.slice(typeStart, i);
    if (i < end) {
      this.fail(
        'syntax',
        this.skipBlanks(i, end),
        'a TYPE line has exactly two tokens: the metric name and the type',
      );
      return;
    }
    const type = PROM_TYPES[typeToken];
    if (type === undefined || !Object.hasOwn(PROM_TYPES, typeToken)) {
      this.fail(
        'metadata.type',
        typeStart,
        typeToken === ''
          ? 'expected a type after the metric name'
          : `unknown type ${describe(typeToken)}; Prometheus text types are counter, gauge, histogram, summary, untyped`,
      );
      return;
    }
    this.metadata('TYPE', name, type, nameStart);
  }

  // ----- tokens ------------------------------------------------------------------------

  private skipBlanks(i: number, end: number): number {
    const text = this.text;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c !== SP && c !== TAB) break;
      i++;
    }
    return i;
  }

  /** End of a token: the next space or tab, or the end of the line. */
  private tokenEnd(i: number, end: number): number {
    const text = this.text;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === SP || c === TAB) break;
      i++;
    }
    return i;
  }

  /**
   * text[start, end) as a string, reusing `previous` (the name at the same place on the
   * previous line) when it is the same text. Label and metric names repeat line after
   * line; one string object per name keeps property stores and map lookups on their fast
   * paths instead of hashing a fresh slice every time.
   */
  private reuse(previous: string | undefined, start: number, end: number): string {
    if (previous !== undefined && previous.length === end - start && this.text.startsWith(previous, start)) {
      return previous;
    }
    return this.text.slice(start, end);
  }

  private metricNameEnd(i: number, end: number): number {
    const text = this.text;
    if (i >= end || !hasClass(text.charCodeAt(i), NAME_START)) return i;
    i++;
    while (i < end && hasClass(text.charCodeAt(i), NAME_CHAR)) i++;
    return i;
  }

  /** A metric name, or in the Prometheus format a quoted UTF-8 one; sets `at`. */
  private readPrometheusName(i: number, end: number, where: string): string | undefined {
    const text = this.text;
    if (i < end && text.charCodeAt(i) === QUOTE) {
      const name = this.readEscaped(i + 1, end, QUOTE, true);
      if (name === undefined) return undefined;
      if (name === '') {
        this.fail('syntax', i, `empty quoted metric name ${where}`);
        return undefined;
      }
      return name;
    }
    const nameEnd = this.metricNameEnd(i, end);
    if (nameEnd === i) {
      this.fail('syntax', i, `expected a metric name ${where}`);
      return undefined;
    }
    this.at = nameEnd;
    return text.slice(i, nameEnd);
  }

  /**
   * Reads an escaped string from `i` up to the `terminator` quote (or to `end` when
   * terminator is -1) and sets `at` after it. `\\` and `\n` are escapes in both formats,
   * `\"` only when `quoteEscape` (label values; OpenMetrics HELP). Other escapes are kept
   * literally, as the OpenMetrics spec's "\a is equivalent to \\a" says.
   */
  private readEscaped(i: number, end: number, terminator: number, quoteEscape: boolean): string | undefined {
    const text = this.text;
    const start = i;
    let out: string | undefined;
    let chunk = i;
    this.sawBackslash = false;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === terminator) {
        this.at = i + 1;
        return out === undefined ? text.slice(start, i) : out + text.slice(chunk, i);
      }
      if (c === BACKSLASH && i + 1 < end) {
        this.sawBackslash = true;
        const next = text.charCodeAt(i + 1);
        const replacement =
          next === BACKSLASH ? '\\' : next === 110 ? '\n' : next === QUOTE && quoteEscape ? '"' : undefined;
        if (replacement !== undefined) {
          out = (out ?? '') + text.slice(chunk, i) + replacement;
          i += 2;
          chunk = i;
          continue;
        }
        this.warnAt(
          'escape',
          i,
          `"\\${String.fromCodePoint(text.codePointAt(i + 1) as number)}" is not an escape ` +
            `(only \\\\, \\n${quoteEscape ? ' and \\"' : ''}); the backslash is kept`,
        );
        i++;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const low = i + 1 < end ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          i += 2;
          continue;
        }
        this.fail('encoding', i, 'unpaired UTF-16 surrogate; the body was not valid UTF-8');
        return undefined;
      }
      i++;
    }
    if (terminator === -1) {
      if (text.charCodeAt(end - 1) === BACKSLASH && end > start) {
        this.warnAt('escape', end - 1, 'a lone backslash ends the text; it is kept');
      }
      this.at = end;
      return out === undefined ? text.slice(start, end) : out + text.slice(chunk, end);
    }
    this.fail('syntax', start - 1, 'unterminated string: no closing double quote on this line');
    return undefined;
  }

  /**
   * Reads `name="value",...}` after `{` into the scratch arrays; with `nameDone` the
   * Prometheus `{"metric.name", ...}` form has already consumed the name. Sets `at`.
   */
  private readLabels(
    i: number,
    end: number,
    names: string[],
    values: string[],
    labels: Labels,
    afterName: boolean,
  ): boolean {
    const text = this.text;
    const om = this.om;
    let count = 0;
    let codePoints = 0;
    let seen: Set<string> | undefined;
    let first = !afterName;
    const series = names === this.names;
    let canonical = true;
    for (;;) {
      if (!om) i = this.skipBlanks(i, end);
      if (i >= end) return this.fail('syntax', i, 'unterminated label set: expected "}"');
      let c = text.charCodeAt(i);
      if (!first) {
        if (c === RBRACE) break;
        if (c !== COMMA) {
          return this.fail(
            'syntax',
            i,
            `expected "," or "}" after a label, found ${describe(text[i] as string)}`,
          );
        }
        i++;
        if (!om) i = this.skipBlanks(i, end);
        c = text.charCodeAt(i);
        if (c === RBRACE) {
          if (om)
            return this.fail(
              'syntax',
              i - 1,
              'trailing comma in a label set; OpenMetrics does not allow one',
            );
          break;
        }
      } else if (c === RBRACE) break;
      first = false;
      // label name
      const nameStart = i;
      let name: string;
      let plain = true;
      if (!om && c === QUOTE) {
        const quoted = this.readEscaped(i + 1, end, QUOTE, true);
        if (quoted === undefined) return false;
        name = quoted;
        i = this.at;
        plain = false;
      } else {
        if (i >= end || !hasClass(c, LABEL_START)) {
          return this.fail(
            'syntax',
            i,
            i >= end
              ? 'unterminated label set'
              : `expected a label name ([a-zA-Z_][a-zA-Z0-9_]*), found ${describe(text[i] as string)}`,
          );
        }
        i++;
        while (i < end && hasClass(text.charCodeAt(i), LABEL_CHAR)) i++;
        name = this.reuse(names[count], nameStart, i);
      }
      const nameEnd = i;
      if (!om) i = this.skipBlanks(i, end);
      if (i >= end || text.charCodeAt(i) !== EQ) {
        return this.fail(
          'syntax',
          i,
          i < end && hasClass(text.charCodeAt(i), NAME_CHAR)
            ? `unexpected character ${describe(text[i] as string)} in label name`
            : `expected "=" after label name ${describe(name)}`,
        );
      }
      i++;
      if (!om) i = this.skipBlanks(i, end);
      plain &&= i === nameEnd + 1;
      if (i >= end || text.charCodeAt(i) !== QUOTE) {
        return this.fail('syntax', i, `expected a double-quoted value for label ${describe(name)}`);
      }
      const value = this.readEscaped(i + 1, end, QUOTE, true);
      if (value === undefined) return false;
      // A linear scan for the usual handful of labels, a set for wide label sets.
      let duplicate = false;
      if (count < 16) {
        for (let k = 0; k < count && !duplicate; k++) duplicate = names[k] === name;
      } else {
        if (seen === undefined) seen = new Set(names.slice(0, count));
        duplicate = seen.has(name);
        seen.add(name);
      }
      if (duplicate) return this.fail('label.duplicate', nameStart, `label ${describe(name)} appears twice`);
      if (om && name.charCodeAt(0) === 95 /* _ */) {
        this.reportOnce(
          `label:${name}`,
          'label.reserved',
          'warning',
          nameStart,
          `label name ${describe(name)} starts with "_", which OpenMetrics reserves`,
        );
      }
      if (series) {
        plain &&=
          !this.sawBackslash &&
          value !== '' &&
          (count === 0 || nameStart === (this.labelEnds[count - 1] as number) + 1);
        canonical &&= plain;
        this.labelStarts[count] = nameStart;
        this.labelEnds[count] = this.at;
      }
      names[count] = name;
      values[count] = value;
      count++;
      if (!series) codePoints += countCodePoints(name) + countCodePoints(value);
      if (value !== '') setLabel(labels, name, value);
      i = this.at;
    }
    this.labelCount = count;
    this.labelCodePoints = codePoints;
    if (series) this.labelsCanonical = canonical;
    this.at = i + 1;
    return true;
  }

  /**
   * The series labels, less `exclude` and empty values, rendered canonically: sorted by
   * name, `name="value"` escaped as in the text formats, comma-separated. The rendering
   * can be parsed back, so equal keys mean equal label sets. When the exposition already
   * wrote the labels that way (sorted, no escapes, no blanks: the usual case), the key is
   * a slice of the input and costs no rendering.
   */
  private metricKeyOf(exclude: string | undefined): string {
    const count = this.labelCount;
    if (count === 0) return '';
    const names = this.names;
    let sorted = true;
    let excluded = -1;
    let previous = '';
    for (let i = 0; i < count; i++) {
      const name = names[i] as string;
      if (name === exclude) {
        excluded = i;
        continue;
      }
      if (name < previous) sorted = false;
      previous = name;
    }
    if (sorted && this.labelsCanonical) {
      const text = this.text;
      const starts = this.labelStarts;
      const ends = this.labelEnds;
      const last = count - 1;
      if (excluded < 0) return text.slice(starts[0], ends[last]);
      if (count === 1) return '';
      if (excluded === 0) return text.slice(starts[1], ends[last]);
      if (excluded === last) return text.slice(starts[0], ends[last - 1]);
      return `${text.slice(starts[0], ends[excluded - 1])},${text.slice(starts[excluded + 1], ends[last])}`;
    }
    // Label sets are small: an insertion sort of their indices, or a real sort when wide.
    const order = this.order;
    let n = 0;
    for (let i = 0; i < count; i++) {
      if (i === excluded || this.values[i] === '') continue;
      const name = names[i] as string;
      let k = n++;
      while (count <= 16 && k > 0 && (names[order[k - 1] as number] as string) > name) {
        order[k] = order[k - 1] as number;
        k--;
      }
      order[k] = i;
    }
    if (count > 16) {
      order.length = n;
      order.sort((a, b) => ((names[a] as string) < (names[b] as string) ? -1 : 1));
    }
    let key = '';
    for (let k = 0; k < n; k++) {
      const i = order[k] as number;
      const rendered = this.labelsCanonical
        ? this.text.slice(this.labelStarts[i], this.labelEnds[i])
        : `${renderLabelName(names[i] as string)}="${escapeString(this.values[i] as string)}"`;
      key = k === 0 ? rendered : `${key},${rendered}`;
    }
    return key;
  }

  // ----- samples -----------------------------------------------------------------------

  private sampleLine(start: number, end: number): boolean {
    const text = this.text;
    const om = this.om;
    let i = start;
    let name: string;
    const labels: Labels = {};
    this.labelCount = 0;
    if (!om && text.charCodeAt(i) === LBRACE) {
      // `{"my.dotted.metric", "label"="value"}` (Prometheus text with UTF-8 names)
      i = this.skipBlanks(i + 1, end);
      const quoted = this.readPrometheusName(i, end, 'inside "{"');
      if (quoted === undefined) return false;
      name = quoted;
      if (!this.readLabels(this.at, end, this.names, this.values, labels, true)) return false;
      i = this.at;
    } else {
      i = this.metricNameEnd(start, end);
      if (i === start) {
        return this.fail(
          'syntax',
          start,
          `expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), found ${describe(text.slice(start, Math.min(end, start + 20)))}`,
        );
      }
      name = this.reuse(this.lastName, start, i);
      this.lastName = name;
      if (!om) {
        // Go's text parser allows blanks between the name and "{".
        const next = this.skipBlanks(i, end);
        if (next < end && text.charCodeAt(next) === LBRACE) i = next;
      }
      if (i < end && text.charCodeAt(i) === LBRACE) {
        if (!this.readLabels(i + 1, end, this.names, this.values, labels, false)) return false;
        i = this.at;
      }
    }
    // value
    if (i >= end) return this.fail('syntax', i, `expected a space and a value after ${describe(name)}`);
    const c = text.charCodeAt(i);
    if (c !== SP && (om || c !== TAB)) {
      return this.fail(
        'syntax',
        i,
        `unexpected character ${describe(text[i] as string)}; expected a space before the value`,
      );
    }
    i = om ? i + 1 : this.skipBlanks(i, end);
    const valueStart = i;
    i = this.tokenEnd(i, end);
    if (i === valueStart) {
      return this.fail(
        'syntax',
        valueStart,
        om && i < end
          ? 'a second space; OpenMetrics separates tokens by exactly one space'
          : 'expected a value',
      );
    }
    const value = parseFloatToken(text, valueStart, i, !om);
    if (value === undefined) {
      return this.fail(
        'number',
        valueStart,
        `value ${describe(text.slice(valueStart, i))} is not a number${om ? ' (OpenMetrics: decimal, NaN, +Inf or -Inf)' : ''}`,
      );
    }
    // timestamp and exemplar
    let timestampMs: number | undefined;
    let exemplar: Exemplar | undefined;
    if (i < end) {
      if (om && text.charCodeAt(i) !== SP)
        return this.fail('syntax', i, 'expected a single space after the value');
      i = om ? i + 1 : this.skipBlanks(i, end);
      if (i >= end) return this.fail('syntax', i - 1, 'trailing space at the end of the line');
      if (text.charCodeAt(i) !== HASH) {
        const timestampStart = i;
        i = this.tokenEnd(i, end);
        timestampMs = om ? parseSecondsToMs(text, timestampStart, i) : parseInt64(text, timestampStart, i);
        if (timestampMs === undefined) {
          return this.fail(
            'number',
            timestampStart,
            `timestamp ${describe(text.slice(timestampStart, i))} is not ` +
              (om ? 'a decimal number of seconds' : 'an integer number of milliseconds'),
          );
        }
        this.checkTimestampUnit(timestampMs, timestampStart, text.slice(timestampStart, i));
        if (i < end) {
          if (om && text.charCodeAt(i) !== SP)
            return this.fail('syntax', i, 'expected a single space after the timestamp');
          i = om ? i + 1 : this.skipBlanks(i, end);
          if (i >= end) return this.fail('syntax', i - 1, 'trailing space at the end of the line');
          if (text.charCodeAt(i) !== HASH) {
            return this.fail('syntax', i, `unexpected ${describe(text.slice(i, end))} after the timestamp`);
          }
        }
      }
      if (i < end) {
        exemplar = this.readExemplar(i, end);
        if (exemplar === undefined) return false;
      }
    }
    const sample: Sample = { name, labels, value };
    if (timestampMs !== undefined) sample.timestampMs = timestampMs;
    if (exemplar !== undefined) sample.exemplar = exemplar;
    this.addSample(sample, start);
    return true;
  }

  /** ` # {labels} value [timestamp]` starting at the `#`. */
  private readExemplar(i: number, end: number): Exemplar | undefined {
    const text = this.text;
    const om = this.om;
    const hashAt = i;
    if (!om) {
      this.reportOnce(
        'exemplar-format',
        'exemplar.format',
        'warning',
        i,
        'exemplars are not part of the Prometheus text format; read with OpenMetrics syntax (timestamp in seconds)',
      );
    }
    i++;
    if (om) {
      if (text.charCodeAt(i) !== SP || text.charCodeAt(i + 1) !== LBRACE) {
        this.fail('syntax', i, 'an exemplar is " # {labels} value [timestamp]": expected " {" after "#"');
        return undefined;
      }
      i += 2;
    } else {
      i = this.skipBlanks(i, end);
      if (text.charCodeAt(i) !== LBRACE) {
        this.fail('syntax', i, 'an exemplar is " # {labels} value [timestamp]": expected "{" after "#"');
        return undefined;
      }
      i++;
    }
    const labels: Labels = {};
    const seriesLabelCount = this.labelCount;
    const read = this.readLabels(i, end, this.exemplarNames, this.exemplarValues, labels, false);
    this.labelCount = seriesLabelCount;
    if (!read) return undefined;
    i = this.at;
    if (om && this.labelCodePoints > MAX_EXEMPLAR_CODE_POINTS) {
      this.fail(
        'exemplar.invalid',
        hashAt,
        `exemplar labels have ${this.labelCodePoints} characters; OpenMetrics allows at most ${MAX_EXEMPLAR_CODE_POINTS}`,
      );
    }
    const c = text.charCodeAt(i);
    if (i >= end || (c !== SP && (om || c !== TAB))) {
      this.fail('syntax', i, 'expected a space and a value after the exemplar labels');
      return undefined;
    }
    i = om ? i + 1 : this.skipBlanks(i, end);
    const valueStart = i;
    i = this.tokenEnd(i, end);
    const value = parseFloatToken(text, valueStart, i, !om);
    if (value === undefined) {
      this.fail(
        'number',
        valueStart,
        `exemplar value ${describe(text.slice(valueStart, i))} is not a number`,
      );
      return undefined;
    }
    const exemplar: Exemplar = { labels, value };
    if (i < end) {
      if (om && text.charCodeAt(i) !== SP) {
        this.fail('syntax', i, 'expected a single space after the exemplar value');
        return undefined;
      }
      i = om ? i + 1 : this.skipBlanks(i, end);
      const timestampStart = i;
      i = this.tokenEnd(i, end);
      const timestampMs = parseSecondsToMs(text, timestampStart, i);
      if (timestampMs === undefined) {
        this.fail(
          'number',
          timestampStart,
          i === timestampStart
            ? 'trailing space at the end of the line'
            : `exemplar timestamp ${describe(text.slice(timestampStart, i))} is not a decimal number of seconds`,
        );
        return undefined;
      }
      if (i < end) {
        this.fail('syntax', i, `unexpected ${describe(text.slice(i, end))} after the exemplar`);
        return undefined;
      }
      exemplar.timestampMs = timestampMs;
    }
    return exemplar;
  }

  /** Flags the classic unit mix-up: milliseconds in OpenMetrics, seconds in Prometheus text. */
  private checkTimestampUnit(timestampMs: number, at: number, token: string): void {
    const scrape = this.scrapeTimeMs;
    if (Math.abs(timestampMs - scrape) < 365 * DAY_MS) return;
    const other = this.om ? timestampMs / 1000 : timestampMs * 1000;
    if (Math.abs(other - scrape) > DAY_MS) return;
    this.reportOnce(
      'timestamp-unit',
      'timestamp.unit',
      'warning',
      at,
      this.om
        ? `timestamp ${token} looks like milliseconds; OpenMetrics timestamps are seconds`
        : `timestamp ${token} looks like seconds; Prometheus text timestamps are milliseconds`,
    );
  }

  // ----- families ----------------------------------------------------------------------

  private newFamily(name: string, at: number): FamilyState {
    const state = newFamilyState(name, this.line);
    this.byName.set(name, state);
    this.states.push(state);
    this.families.push(state.family);
    if (this.om && name.charCodeAt(0) === 95 /* _ */) {
      this.warnAt(
        'label.reserved',
        at,
        `metric name ${describe(name)} starts with "_", which OpenMetrics reserves`,
      );
    }
    return state;
  }

  private metadata(kind: MetadataKind, name: string, value: string, at: number): void {
    let state = this.byName.get(name);
    if (this.om) {
      const current = this.current;
      if (current === undefined || current.family.name !== name) {
        if (state !== undefined) {
          this.fail(
            'family.interleaved',
            at,
            `family ${describe(name)} already appeared at line ${state.line}; ` +
              'OpenMetrics families must not be split or interleaved',
          );
          return;
        }
        state = this.newFamily(name, at);
        this.current = state;
      } else if (current.family.samples.length > 0) {
        this.fail(
          'metadata.late',
          at,
          `"# ${kind}" for ${describe(name)} comes after its samples; metadata goes first`,
        );
        return;
      }
      state = this.current as FamilyState;
      const rank = METADATA_RANK[kind];
      if (rank < state.lastMetadataRank) {
        this.reportOnce(
          'metadata-order',
          'metadata.order',
          'warning',
          at,
          `"# ${kind}" after ${state.lastMetadataRank === 2 ? '"# HELP"' : '"# UNIT"'}; the order should be TYPE, UNIT, HELP`,
        );
      }
      state.lastMetadataRank = Math.max(rank, state.lastMetadataRank);
    } else if (state === undefined) {
      state = this.newFamily(name, at);
    }
    const previousLine = kind === 'TYPE' ? state.typeLine : kind === 'HELP' ? state.helpLine : state.unitLine;
    if (previousLine > 0) {
      this.fail(
        'metadata.duplicate',
        at,
        `second "# ${kind}" line for ${describe(name)} (first at line ${previousLine})`,
      );
      return;
    }
    if (kind === 'TYPE') {
      // Samples of the metric may already sit in their own families: foo_bucket before
      // "# TYPE foo histogram". The type line must come before all of them.
      const related = value === 'histogram' || value === 'summary' ? ['', '_bucket', '_count', '_sum'] : [''];
      const early = related
        .map((suffix) => this.byName.get(name + suffix))
        .find((other) => other !== undefined && other.family.samples.length > 0);
      if (early !== undefined) {
        this.fail(
          'metadata.late',
          at,
          `"# TYPE" for ${describe(name)} comes after its samples (line ${early.firstSampleLine}); the type line must come first`,
        );
        return;
      }
    }
    if (kind === 'TYPE') {
      state.typeLine = this.line;
      state.family.type = value as MetricType;
    } else if (kind === 'HELP') {
      state.helpLine = this.line;
      state.family.help = value;
    } else {
      state.unitLine = this.line;
      state.unitColumn = at - this.lineStart + 1;
      state.family.unit = value;
      if (value !== '' && !name.endsWith(`_${value}`)) {
        this.fail(
          'metadata.unit',
          at,
          `unit ${describe(value)} must be the suffix of the name: ${name}_${value}`,
        );
      }
    }
  }

  private suffixesOf(state: FamilyState): readonly string[] {
    return (this.om ? OM_SUFFIXES[state.family.type] : PROM_SUFFIXES[state.family.type]) ?? [''];
  }

  /** The suffix by which `sampleName` belongs to the family, or undefined. */
  private suffixIn(state: FamilyState, sampleName: string): string | undefined {
    const familyName = state.family.name;
    if (!sampleName.startsWith(familyName)) return undefined;
    const suffix = sampleName.length === familyName.length ? '' : sampleName.slice(familyName.length);
    if (!this.suffixesOf(state).includes(suffix)) return undefined;
    this.routedSuffix = suffix;
    return suffix;
  }

  private expected(state: FamilyState): string {
    return this.suffixesOf(state)
      .map((suffix) => state.family.name + suffix)
      .join(', ');
  }

  /** The family a sample belongs to, following each format's grouping rules. */
  private route(name: string, at: number): FamilyState | undefined {
    const current = this.current;
    if (current !== undefined && this.suffixIn(current, name) !== undefined) return current;
    if (this.om) {
      for (let k = -1; k < ALL_OM_SUFFIXES.length; k++) {
        const suffix = k < 0 ? '' : (ALL_OM_SUFFIXES[k] as string);
        if (suffix !== '' && !(name.length > suffix.length && name.endsWith(suffix))) continue;
        const owner = this.byName.get(suffix === '' ? name : name.slice(0, -suffix.length));
        if (owner !== undefined && owner !== current && this.suffixIn(owner, name) !== undefined) {
          this.fail(
            'family.interleaved',
            at,
            `sample ${describe(name)} belongs to family ${describe(owner.family.name)} from line ${owner.line}; ` +
              'OpenMetrics families must not be split or interleaved',
          );
          return undefined;
        }
      }
      const clash =
        current !== undefined && (name === current.family.name || isSuffixed(name, current.family.name));
      const sameName = this.byName.get(name);
      if (clash || sameName !== undefined) {
        const owner = (clash ? current : sameName) as FamilyState;
        this.fail(
          'family.suffix',
          at,
          `sample ${describe(name)} does not fit ${owner.family.type} family ${describe(owner.family.name)}; ` +
            `its samples are named ${this.expected(owner)}`,
        );
        return undefined;
      }
      const state = this.newFamily(name, at);
      this.current = state;
      this.routedSuffix = '';
      return state;
    }
    // Prometheus text: a histogram or summary declared by TYPE owns its suffixed samples.
    let state: FamilyState | undefined;
    for (const suffix of ['_bucket', '_count', '_sum']) {
      if (!name.endsWith(suffix)) continue;
      const parent = this.byName.get(name.slice(0, -suffix.length));
      if (parent !== undefined && this.suffixIn(parent, name) !== undefined) state = parent;
      break;
    }
    if (state === undefined) {
      state = this.byName.get(name);
      if (state !== undefined && this.suffixIn(state, name) === undefined) {
        this.fail(
          'family.suffix',
          at,
          `sample ${describe(name)} does not fit ${state.family.type} family ${describe(name)}; ` +
            `its samples are named ${this.expected(state)}; line skipped`,
        );
        return undefined;
      }
      if (state === undefined) {
        state = this.newFamily(name, at);
        this.routedSuffix = '';
      }
    }
    if (state !== current && state.family.samples.length > 0 && !state.interleaveReported) {
      state.interleaveReported = true;
      this.fail(
        'family.interleaved',
        at,
        `sample of ${describe(state.family.name)} after other metrics; all lines of a metric must form one group ` +
          '(kept and merged)',
      );
    }
    this.current = state;
    return state;
  }

  private addSample(sample: Sample, at: number): void {
    const state = this.route(sample.name, at);
    if (state === undefined) return;
    const om = this.om;
    const family = state.family;
    const type = family.type;
    const suffix = this.routedSuffix;
    const labels = sample.labels;
    const value = sample.value;
    let special: string | undefined;
    let bound = Number.NaN;

    if (type === 'histogram' || type === 'gaugehistogram') {
      if (suffix === '_bucket') {
        const le = labels['le'];
        const number = le === undefined ? undefined : this.canonicalNumber(le);
        bound = number?.value ?? Number.NaN;
        if (le === undefined) this.fail('histogram.le', at, 'bucket sample without an "le" label');
        else if (Number.isNaN(bound)) this.fail('histogram.le', at, `le=${describe(le)} is not a number`);
        else if (om && bound === Number.POSITIVE_INFINITY && le !== '+Inf') {
          this.fail('histogram.le', at, `le=${describe(le)} must be written "+Inf"`);
        } else labels['le'] = (number as CanonicalNumber).text;
      } else if (Object.hasOwn(labels, 'le')) {
        this.fail('histogram.le', at, `${describe(sample.name)} has an "le" label; only _bucket samples may`);
      }
      special = 'le'; // keyed like its buckets even when misplaced, so one mistake gives one issue
      if (om && suffix !== '_created' && suffix !== '_gsum') {
        const what = suffix === '_bucket' ? 'bucket' : suffix === '_sum' ? 'sum' : 'count';
        if (Number.isNaN(value) || value < 0 || (what !== 'sum' && !Number.isInteger(value))) {
          this.fail(
            'value.invalid',
            at,
            `histogram ${what} ${value} is invalid: ${what === 'sum' ? 'it must not be NaN or negative' : 'it must be a non-negative integer'}`,
          );
        }
      }
      if (om && suffix === '_gsum' && Number.isNaN(value))
        this.fail('value.invalid', at, 'gauge histogram sum is NaN');
    } else if (type === 'summary') {
      if (suffix === '') {
        special = 'quantile';
        const quantileText = labels['quantile'];
        const quantile = quantileText === undefined ? undefined : this.canonicalNumber(quantileText);
        if (quantileText === undefined)
          this.fail('summary.quantile', at, 'summary sample without a "quantile" label');
        else if (quantile === undefined || !(quantile.value >= 0 && quantile.value <= 1)) {
          this.fail(
            'summary.quantile',
            at,
            `quantile=${describe(quantileText)} is not a number between 0 and 1`,
          );
        } else {
          labels['quantile'] = quantile.text;
          bound = quantile.value;
        }
        if (om && value < 0) this.fail('value.invalid', at, `quantile value ${value} is negative`);
      } else if (Object.hasOwn(labels, 'quantile')) {
        special = 'quantile';
        this.fail(
          'summary.quantile',
          at,
          `${describe(sample.name)} has a "quantile" label; only quantile samples may`,
        );
      } else if (om && suffix !== '_created' && (Number.isNaN(value) || value < 0)) {
        this.fail('value.invalid', at, `summary ${suffix.slice(1)} ${value} must not be NaN or negative`);
      } else if (om && suffix === '_count' && !Number.isInteger(value)) {
        this.fail('value.invalid', at, `summary count ${value} is not an integer`);
      }
    } else if (om && type === 'counter') {
      if (suffix === '_total' && (Number.isNaN(value) || value < 0)) {
        this.fail('value.invalid', at, `counter total ${value} must not be NaN or negative`);
      }
    } else if (om && type === 'stateset') {
      special = family.name;
      if (!Object.hasOwn(labels, family.name)) {
        this.fail(
          'value.invalid',
          at,
          `stateset sample needs a label named after its family (${family.name}="state") to name its state`,
        );
      }
      if (value !== 0 && value !== 1) this.fail('value.invalid', at, `stateset value ${value} is not 0 or 1`);
    } else if (om && type === 'info' && value !== 1) {
      this.fail('value.invalid', at, `info value ${value} is not 1`);
    }
    if (om && sample.exemplar !== undefined) {
      const allowed =
        (type === 'counter' && suffix === '_total') || (type.endsWith('histogram') && suffix === '_bucket');
      if (!allowed) {
        this.fail(
          'exemplar.invalid',
          at,
          'exemplars are allowed only on counter _total and histogram _bucket samples',
        );
      }
    }

    const metricKey = this.metricKeyOf(special);
    const timestampMs = sample.timestampMs ?? Number.NaN;
    const seriesOfSuffix = this.seriesOf(
      state,
      suffix,
      special === undefined ? undefined : (labels[special] ?? ''),
    );
    const previous = seriesOfSuffix.get(metricKey);
    if (om) {
      if (metricKey !== state.currentMetric) {
        if (state.currentMetric !== undefined) {
          state.metricsSeen ??= new Set();
          state.metricsSeen.add(state.currentMetric);
        }
        if (state.metricsSeen?.has(metricKey)) {
          this.fail(
            'metric.interleaved',
            at,
            `samples for this label set already appeared earlier in family ${describe(family.name)}; ` +
              'the samples of one label set must be contiguous',
          );
        }
        state.currentMetric = metricKey;
        state.currentPointMs = Number.NEGATIVE_INFINITY;
      }
      if (previous !== undefined && !(timestampMs > previous)) {
        if (Number.isNaN(previous) || Number.isNaN(timestampMs) || timestampMs === previous) {
          this.fail('series.duplicate', at, `${describe(sample.name)} with these labels appears twice`);
        } else {
          this.fail(
            'timestamp.order',
            at,
            `timestamps of ${describe(sample.name)} with these labels must increase`,
          );
        }
      } else if (timestampMs < state.currentPointMs) {
        this.fail(
          'timestamp.order',
          at,
          'the points of one metric must not interleave; timestamps go back here',
        );
      }
      if (timestampMs > state.currentPointMs) state.currentPointMs = timestampMs;
    } else if (previous !== undefined) {
      this.fail(
        'series.duplicate',
        at,
        `${describe(sample.name)} with these labels appears twice; line skipped`,
      );
      return;
    }
    seriesOfSuffix.set(metricKey, timestampMs);
    if (family.samples.length === 0) state.firstSampleLine = this.line;
    family.samples.push(sample);
    if (type === 'histogram' || type === 'gaugehistogram' || type === 'summary') {
      this.checkPoint(state, sample, suffix, metricKey, bound);
    }
  }

  /**
   * Feeds a histogram or summary sample to the check of its point. Points are normally
   * contiguous, so they are checked as they stream past; when a point's samples turn out
   * to be split (legal in Prometheus text, an error already reported in OpenMetrics), the
   * family is regrouped and checked again at the end from what is kept here.
   */
  private checkPoint(
    state: FamilyState,
    sample: Sample,
    suffix: string,
    metricKey: string,
    bound: number,
  ): void {
    // A metric key ends in `"` or is empty, so `@timestamp` cannot collide.
    const key = sample.timestampMs === undefined ? metricKey : `${metricKey}@${sample.timestampMs}`;
    state.kept ??= { suffixes: [], lines: [], keys: [], bounds: [] };
    const kept = state.kept;
    kept.suffixes.push(suffix);
    kept.lines.push(this.line);
    kept.keys.push(key);
    kept.bounds.push(bound);
    if (state.regroup) return;
    let point = state.point;
    if (point === undefined || point.key !== key) {
      if (point !== undefined) {
        point.finish(state.pointIssues);
        state.pointKeys ??= new Set();
        state.pointKeys.add(point.key);
      }
      if (state.pointKeys?.has(key)) {
        state.regroup = true;
        state.point = undefined;
        return;
      }
      point = new PointCheck(key, state.family.name, state.family.type, this.om, this.line);
      state.point = point;
    }
    point.add(sample, suffix, this.line, bound, state.pointIssues);
  }

  /** Last timestamps of the series of one sample suffix (and `le`/`quantile`/state value) of a family, by label key. */
  private seriesOf(state: FamilyState, suffix: string, special: string | undefined): Map<string, number> {
    state.series ??= new Map();
    let bySpecial = state.series.get(suffix);
    if (bySpecial === undefined) {
      bySpecial = new Map();
      state.series.set(suffix, bySpecial);
    }
    // `undefined` and '' both mean "no such label": the key then holds every label.
    const specialKey = special ?? '';
    let series = bySpecial.get(specialKey);
    if (series === undefined) {
      series = new Map();
      bySpecial.set(specialKey, series);
    }
    return series;
  }

  private canonicalNumber(raw: string): CanonicalNumber | undefined {
    let number = this.numbers.get(raw);
    if (number === undefined && !this.numbers.has(raw)) {
      const value = parseFloatToken(raw, 0, raw.length, true);
      number = value === undefined ? undefined : { value, text: formatCanonicalFloat(value) };
      this.numbers.set(raw, number);
    }
    return number;
  }

  // ----- whole-family checks -----------------------------------------------------------

  private validateFamily(state: FamilyState): void {
    const family = state.family;
    if (this.om && family.unit !== '' && (family.type === 'stateset' || family.type === 'info')) {
      this.report(
        'metadata.unit',
        'error',
        state.unitLine,
        state.unitColumn,
        `a ${family.type} family must not have a unit`,
      );
    }
    const kept = state.kept;
    if (kept === undefined) return;
    let issues = state.pointIssues;
    if (!state.regroup) state.point?.finish(issues);
    else {
      issues = [];
      const points = new Map<string, PointCheck>();
      const samples = family.samples;
      for (let i = 0; i < samples.length; i++) {
        const key = kept.keys[i] as string;
        const line = kept.lines[i] as number;
        let point = points.get(key);
        if (point === undefined) {
          point = new PointCheck(key, family.name, family.type, this.om, line);
          points.set(key, point);
        }
        point.add(samples[i] as Sample, kept.suffixes[i] as string, line, kept.bounds[i] as number, issues);
      }
      for (const point of points.values()) point.finish(issues);
    }
    for (const issue of issues) this.report(issue.code, 'error', issue.line, 1, issue.message);
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function renderLabelName(name: string): string {
  return LABEL_NAME.test(name) ? name : `"${escapeString(name)}"`;
}

function isSuffixed(name: string, familyName: string): boolean {
  return name.startsWith(familyName) && ALL_OM_SUFFIXES.includes(name.slice(familyName.length));
}

function countCodePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) count--;
  }
  return count;
}
