/**
 * Counts CSV: exact per-minute SLI counts as a file, for backfills, tests and
 * `sextant slo status`.
 *
 * ```csv
 * sli,labels,minute,good,total
 * web/requests,"{""route_id"":""projects""}",2026-11-01T10:05Z,998,1000
 * web/latency,,2026-11-01T10:05:00Z,850.5,900
 * ```
 *
 * - `sli`: `service/sli`; checked against the catalog when one is given.
 * - `labels`: a JSON object of the SLI's significant labels (string values), or empty for an
 *   SLI without any. RFC 4180 quoting: the JSON's quotes are doubled inside a quoted field.
 * - `minute`: ISO 8601 UTC on a minute boundary, `YYYY-MM-DDTHH:MMZ` or `...:00Z`.
 * - `good`, `total`: decimal numbers, `0 <= good <= total` (halves allowed: apdex).
 * - Columns may come in any order; a bucket given twice keeps its last row (as the store's
 *   `put` does).
 */
import { closestName } from '../catalog/index.ts';
import type { CountWrite } from '../store/index.ts';
import { type CsvRecord, CsvTokenizer } from './csv.ts';

/** Stable issue codes and their meaning. */
export const COUNTS_CSV_ISSUE_CODES = {
  'csv.syntax': 'The CSV quoting is malformed (RFC 4180).',
  'csv.header': 'The header is not sli,labels,minute,good,total (a column is missing, unknown or repeated).',
  'csv.field-count': 'A row has more or fewer fields than the header.',
  'counts.sli': 'The sli field is not a known service/sli id.',
  'counts.labels': "The labels field is not a JSON object of the SLI's significant labels.",
  'counts.minute': 'The minute is not an ISO 8601 UTC instant on a minute boundary.',
  'counts.value': 'good or total is not a finite number >= 0, or good exceeds total.',
} as const;

/** One of `COUNTS_CSV_ISSUE_CODES`. */
export type CountsCsvIssueCode = keyof typeof COUNTS_CSV_ISSUE_CODES;

/** A problem in the file, located at the field it is about (1-based line and column). */
export interface CountsCsvIssue {
  code: CountsCsvIssueCode;
  /** The column name the issue is about, when there is one. */
  path: string[];
  message: string;
  line: number;
  column: number;
}

/** A valid row: a store write plus the line it came from. */
export interface CountsCsvRow extends CountWrite {
  line: number;
}

/** Options of the parser. */
export interface CountsCsvOptions {
  /**
   * Known SLIs (`service/sli`) and their significant labels. When given, unknown SLIs and
   * labels other than exactly the significant ones are errors.
   */
  slis?: ReadonlyMap<string, readonly string[]>;
  /** Issues kept in `issues` (the count goes on). Default 1,000. */
  maxIssues?: number;
}

const COLUMNS = ['sli', 'labels', 'minute', 'good', 'total'] as const;
type Column = (typeof COLUMNS)[number];
const HEADER = COLUMNS.join(',');

const SLI_ID = /^[^/\s]+\/[^/\s]+$/;
const ISO_MINUTE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses an ISO 8601 UTC minute (`2026-11-01T10:05Z`, `2026-11-01T10:05:00Z`, `...:00.000Z`)
 * to an epoch minute; otherwise says what to fix.
 * @example parseIsoMinute('2026-11-01T10:05Z') // { ok: true, minute: 29_892_125 }
 */
export function parseIsoMinute(text: string): { ok: true; minute: number } | { ok: false; message: string } {
  const m = ISO_MINUTE.exec(text);
  if (m === null) {
    return {
      ok: false,
      message: `minute "${text}" is not an ISO 8601 UTC minute; write it like 2026-11-01T10:05Z`,
    };
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  if (zone === undefined || zone !== 'Z') {
    return {
      ok: false,
      message: `minute "${text}" must be in UTC: end it with Z${zone === undefined ? '' : ` instead of ${zone}`}`,
    };
  }
  if ((s !== undefined && s !== '00') || (fraction !== undefined && !/^\.0+$/.test(fraction))) {
    return {
      ok: false,
      message: `minute "${text}" is not on a minute boundary: counts are per whole minute, so seconds must be 00`,
    };
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const ms = Date.UTC(year, month - 1, day, hour, minute);
  const back = new Date(ms);
  if (
    hour > 23 ||
    minute > 59 ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    year < 1970
  ) {
    return { ok: false, message: `minute "${text}" is not a real UTC date and time (after 1970)` };
  }
  return { ok: true, minute: ms / 60_000 };
}

function describeLabels(names: readonly string[]): string {
  return names.length === 0 ? 'none (leave labels empty)' : names.join(', ');
}

/**
 * Streaming counts-CSV parser: `push` text chunks, then `end`; valid rows go to `onRow` as
 * their line ends, problems collect in `issues`. Never throws on bad input.
 * @example
 * const parser = new CountsCsvParser((row) => batch.push(row), { slis });
 * for await (const chunk of createReadStream(file, 'utf8')) parser.push(chunk);
 * parser.end();
 */
export class CountsCsvParser {
  /** The first `maxIssues` problems, in file order. */
  readonly issues: CountsCsvIssue[] = [];
  /** Every problem found, including those beyond `maxIssues`. */
  issueCount = 0;
  /** Valid rows seen. */
  rowCount = 0;
  /** The latest minute among valid rows; null before any. */
  lastMinute: number | null = null;
  readonly #onRow: (row: CountsCsvRow) => void;
  readonly #slis: ReadonlyMap<string, readonly string[]> | undefined;
  readonly #maxIssues: number;
  readonly #tokenizer: CsvTokenizer;
  /** Field index of each column once the header is read; null when the header is unusable. */
  #index: Record<Column, number> | null | undefined;
  #width = 0;
  #sawHeader = false;
  // Rows repeat the same minute and the same labels many times: parse each text once.
  #minuteText = '';
  #minute: ReturnType<typeof parseIsoMinute> = { ok: false, message: '' };
  readonly #labelCache = new Map<string, Record<string, string> | string>();

  constructor(onRow: (row: CountsCsvRow) => void, options: CountsCsvOptions = {}) {
    this.#onRow = onRow;
    this.#slis = options.slis;
    this.#maxIssues = options.maxIssues ?? 1000;
    this.#tokenizer = new CsvTokenizer((record) => this.#record(record));
  }

  push(chunk: string): void {
    this.#tokenizer.push(chunk);
  }

  end(): void {
    this.#tokenizer.end();
    if (!this.#sawHeader) {
      this.#issue('csv.header', [], `the file is empty; it needs the header ${HEADER}`, 1, 1);
    }
  }

  #issue(code: CountsCsvIssueCode, path: string[], message: string, line: number, column: number): void {
    this.issueCount++;
    if (this.issues.length < this.#maxIssues) this.issues.push({ code, path, message, line, column });
  }

  #record(record: CsvRecord): void {
    if (record.syntaxError !== undefined) {
      const e = record.syntaxError;
      this.#issue('csv.syntax', [], e.message, e.line, e.column);
      if (this.#sawHeader) return;
    }
    if (!this.#sawHeader) {
      this.#sawHeader = true;
      this.#header(record);
      return;
    }
    if (this.#index === null || this.#index === undefined) return;
    this.#row(record, this.#index);
  }

  #header(record: CsvRecord): void {
    const index: Partial<Record<Column, number>> = {};
    let usable = true;
    record.fields.forEach((name, i) => {
      const column = record.columns[i] ?? 1;
      if (!(COLUMNS as readonly string[]).includes(name)) {
        const close = closestName(name.trim(), COLUMNS);
        this.#issue(
          'csv.header',
          [],
          `unknown column "${name}"${close !== undefined ? `; did you mean "${close}"?` : ''}; the header must be ${HEADER}`,
          record.line,
          column,
        );
        usable = false;
      } else if (index[name as Column] !== undefined) {
        this.#issue('csv.header', [name], `column "${name}" appears twice`, record.line, column);
        usable = false;
      } else index[name as Column] = i;
    });
    const missing = COLUMNS.filter((c) => index[c] === undefined);
    if (missing.length > 0) {
      this.#issue(
        'csv.header',
        [],
        `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the header must be ${HEADER}`,
        record.line,
        1,
      );
      usable = false;
    }
    this.#width = record.fields.length;
    this.#index = usable ? (index as Record<Column, number>) : null;
  }

  #row(record: CsvRecord, index: Record<Column, number>): void {
    const { fields, columns, line } = record;
    if (fields.length !== this.#width) {
      const column = fields.length > this.#width ? (columns[this.#width] ?? 1) : 1;
      this.#issue(
        'csv.field-count',
        [],
        `the row has ${fields.length} field(s) but the header has ${this.#width}; quote a field that contains commas`,
        line,
        column,
      );
      return;
    }
    const before = this.issueCount;
    const at = (c: Column) => columns[index[c]] ?? 1;
    const field = (c: Column) => fields[index[c]]!;

    const sli = field('sli');
    let significant: readonly string[] | undefined;
    if (!SLI_ID.test(sli)) {
      this.#issue(
        'counts.sli',
        ['sli'],
        sli === ''
          ? 'sli is empty; write the SLI as service/sli'
          : `sli "${sli}" is not of the form service/sli`,
        line,
        at('sli'),
      );
    } else if (this.#slis !== undefined) {
      significant = this.#slis.get(sli);
      if (significant === undefined) {
        const close = closestName(sli, this.#slis.keys());
        this.#issue(
          'counts.sli',
          ['sli'],
          `unknown SLI "${sli}"${close !== undefined ? `; did you mean "${close}"?` : '; it must be service/sli of an SLI in the catalog'}`,
          line,
          at('sli'),
        );
      }
    }

    const labels = this.#labels(field('labels'), sli, significant, line, at('labels'));
    const minuteText = field('minute');
    if (minuteText !== this.#minuteText) {
      this.#minuteText = minuteText;
      this.#minute = parseIsoMinute(minuteText);
    }
    const minute = this.#minute;
    if (!minute.ok) this.#issue('counts.minute', ['minute'], minute.message, line, at('minute'));
    const good = this.#number(field('good'), 'good', line, at('good'));
    const total = this.#number(field('total'), 'total', line, at('total'));
    if (good !== undefined && total !== undefined && good > total) {
      this.#issue(
        'counts.value',
        ['good'],
        `good (${good}) exceeds total (${total}); good counts a subset of total`,
        line,
        at('good'),
      );
    }
    if (
      this.issueCount !== before ||
      labels === undefined ||
      !minute.ok ||
      good === undefined ||
      total === undefined
    )
      return;
    this.rowCount++;
    if (this.lastMinute === null || minute.minute > this.lastMinute) this.lastMinute = minute.minute;
    this.#onRow({ sli, labels, minute: minute.minute, good, total, line });
  }

  #labels(
    text: string,
    sli: string,
    significant: readonly string[] | undefined,
    line: number,
    column: number,
  ): Record<string, string> | undefined {
    const cacheKey = `${sli}\n${text}`;
    let parsed = this.#labelCache.get(cacheKey);
    if (parsed === undefined) {
      parsed = parseLabels(text, sli, significant);
      if (this.#labelCache.size >= 4096) this.#labelCache.clear();
      this.#labelCache.set(cacheKey, parsed);
    }
    if (typeof parsed === 'string') {
      this.#issue('counts.labels', ['labels'], parsed, line, column);
      return undefined;
    }
    return parsed;
  }

  #number(text: string, name: 'good' | 'total', line: number, column: number): number | undefined {
    if (text.trim() === '') {
      this.#issue('counts.value', [name], `${name} is empty; write a count such as 998`, line, column);
      return undefined;
    }
    const value = Number(text.trim());
    if (!DECIMAL.test(text.trim()) || !Number.isFinite(value)) {
      this.#issue('counts.value', [name], `${name} "${text}" is not a finite decimal number`, line, column);
      return undefined;
    }
    if (value < 0) {
      this.#issue('counts.value', [name], `${name} is ${value}; counts cannot be negative`, line, column);
      return undefined;
    }
    return value === 0 ? 0 : value; // "-0" reads as 0
  }
}

/**
 * The labels of a row, or what is wrong with them: a JSON object of strings, with exactly
 * the SLI's significant labels when they are known. The result is shared by equal rows.
 */
function parseLabels(
  text: string,
  sli: string,
  significant: readonly string[] | undefined,
): Record<string, string> | string {
  let labels: Record<string, string> = {};
  if (text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return `labels is not valid JSON (${(error as Error).message}); write a JSON object such as {"route":"/api"} and double its quotes inside a quoted CSV field`;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return `labels must be a JSON object such as {"route":"/api"}; got ${text}`;
    }
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value !== 'string') {
        return `label ${name} must be a string: write "${name}":"${String(value)}"`;
      }
    }
    labels = parsed as Record<string, string>;
  }
  if (significant !== undefined) {
    const names = Object.keys(labels);
    const extra = names.filter((n) => !significant.includes(n));
    const missing = significant.filter((n) => !names.includes(n));
    if (extra.length > 0) {
      return `label${extra.length > 1 ? 's' : ''} ${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} not significant for ${sli}; its significant labels are ${describeLabels(significant)}`;
    }
    if (missing.length > 0) {
      return `missing label${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: counts of ${sli} are per ${significant.join(', ')}`;
    }
  }
  return labels;
}

/**
 * Parses a whole counts CSV held in memory; for files, stream into `CountsCsvParser`.
 * @example parseCountsCsv('sli,labels,minute,good,total\nweb/requests,,2026-11-01T10:05Z,9,10\n')
 */
export function parseCountsCsv(
  text: string,
  options: CountsCsvOptions = {},
): { rows: CountsCsvRow[]; issues: CountsCsvIssue[]; issueCount: number; lastMinute: number | null } {
  const rows: CountsCsvRow[] = [];
  const parser = new CountsCsvParser((row) => rows.push(row), options);
  parser.push(text);
  parser.end();
  return { rows, issues: parser.issues, issueCount: parser.issueCount, lastMinute: parser.lastMinute };
}

/** Renders an issue as `file:line:column: error code: message`. */
export function formatCountsCsvIssue(issue: CountsCsvIssue, file: string): string {
  return `${file}:${issue.line}:${issue.column}: error ${issue.code}: ${issue.message}`;
}
