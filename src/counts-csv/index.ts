/** Counts CSV: exact per-minute SLI counts as RFC 4180 text, parsed as a stream with located errors. */

export type { CountsCsvIssue, CountsCsvIssueCode, CountsCsvOptions, CountsCsvRow } from './counts-csv.ts';
export {
  COUNTS_CSV_ISSUE_CODES,
  CountsCsvParser,
  formatCountsCsvIssue,
  parseCountsCsv,
  parseIsoMinute,
} from './counts-csv.ts';
export type { CsvRecord, CsvSyntaxError } from './csv.ts';
export { CsvTokenizer } from './csv.ts';
