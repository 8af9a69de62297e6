/**
 * Problems found in an exposition. Severity follows the specs' wording: a violated MUST
 * is an `error`, a violated SHOULD or a tolerated deviation is a `warning`.
 */

/** Stable issue codes with their one-line meaning. */
export const EXPOSITION_ISSUE_CODES = {
  syntax: 'A line does not follow the grammar of its format; the message names the expected token.',
  number: 'A value or timestamp is not a number in the form the format allows.',
  escape: 'Warning: a backslash starts an escape the format does not define; it is kept literally.',
  encoding: 'A string holds an unpaired UTF-16 surrogate (the body was not valid UTF-8).',
  'byte-order-mark': 'The body starts with a byte order mark.',
  'line-ending': 'A line ends in CR LF; OpenMetrics forbids CR, the Prometheus format expects LF only.',
  'missing-newline': 'Warning: the last line does not end with a line feed.',
  'missing-eof': 'An OpenMetrics exposition does not end with `# EOF`, so it may be truncated.',
  'after-eof': 'Something follows the `# EOF` line of an OpenMetrics exposition.',
  comment: 'OpenMetrics allows no `#` line other than TYPE, HELP, UNIT and EOF.',
  'content-type': 'Warning: the content type was missing or unknown, so the format was guessed.',
  'metadata.duplicate': 'A family has two TYPE, HELP or UNIT lines.',
  'metadata.late': 'A TYPE, HELP or UNIT line comes after samples of its family.',
  'metadata.type': 'A TYPE line names a type the format does not have.',
  'metadata.unit': 'A unit is not the suffix of its family name, or is set on a stateset or info family.',
  'metadata.order': 'Warning: OpenMetrics metadata should come in the order TYPE, UNIT, HELP.',
  'family.interleaved': 'Samples of one family are not in one contiguous group.',
  'family.suffix':
    'A sample name does not fit the type of its family (a counter sample without _total, ...).',
  'metric.interleaved': 'Samples of one label set are not contiguous within their family (OpenMetrics).',
  'series.duplicate': 'The same sample name and label set appear twice (at the same timestamp).',
  'timestamp.order': 'The points of one metric do not have increasing timestamps.',
  'timestamp.unit': 'Warning: a timestamp is far from the scrape time but close once read in the other unit.',
  'label.duplicate': 'A label set names the same label twice.',
  'label.reserved': 'Warning: a name starts with `_`, which OpenMetrics reserves.',
  'histogram.le': 'A bucket has no `le` label, its `le` is not a number, or a non-bucket sample has one.',
  'histogram.buckets': 'Buckets are not in increasing `le` order, not cumulative, or lack `le="+Inf"`.',
  'histogram.count': 'The count differs from the +Inf bucket, or count and sum do not come together.',
  'summary.quantile': 'A quantile sample has no `quantile` label, or it is not a number between 0 and 1.',
  'value.invalid': 'A value is not allowed for its type (NaN or negative counter, info not 1, ...).',
  'exemplar.invalid': 'An exemplar is on a sample that cannot carry one, too long, or outside its bucket.',
  'exemplar.format': 'Warning: an exemplar appeared in the Prometheus text format, which has none.',
  'issues.truncated': 'Warning: too many issues; the rest were not listed.',
} as const;

export type ExpositionIssueCode = keyof typeof EXPOSITION_ISSUE_CODES;

/** One problem at a 1-based line and column (column counts UTF-16 code units). */
export interface ExpositionIssue {
  code: ExpositionIssueCode;
  severity: 'error' | 'warning';
  line: number;
  column: number;
  message: string;
}
