/**
 * Problems found in a catalog. Every issue has a stable code (safe to grep for and to
 * document), a severity, a message that says how to fix it and, when it comes from a
 * file, the position it points at.
 */

import { compareText } from '../util/index.ts';

/** Stable issue codes, with the one-line meaning shown by `sextant validate --codes`. */
export const ISSUE_CODES = {
  'yaml.syntax': 'The file is not valid YAML.',
  'yaml.duplicate-key': 'A mapping has the same key twice.',
  'yaml.alias': 'An alias (*name) has no anchor (&name), or aliases expand beyond reason.',
  'manifest.not-object': 'A document is not a mapping with apiVersion, kind, metadata and spec.',
  'manifest.api-version': 'apiVersion is missing or not sextant.dev/v1.',
  'manifest.kind': 'kind is missing or not one of Service, Team, Journey, Tenant.',
  'schema.required': 'A required field is missing.',
  'schema.type': 'A field has the wrong type.',
  'schema.value': 'A field has a value outside the allowed set.',
  'schema.format': 'A string does not have the required format.',
  'schema.range': 'A number, string or list is too small or too large.',
  'schema.unknown-field': 'A field is not part of the schema (often a typo).',
  'schema.invalid': 'A value does not match any accepted form.',
  'name.invalid': 'A name is not 1-63 characters of [a-z0-9-] starting and ending with a letter or digit.',
  'name.duplicate': 'Two entities of the same kind (or two SLIs/SLOs of one service) share a name.',
  'ref.unknown-team': 'A team reference names no Team in the catalog.',
  'ref.unknown-service': 'A service reference names no Service in the catalog.',
  'ref.unknown-tenant': 'A tenant reference (or pattern) matches no Tenant in the catalog.',
  'ref.self': 'A service depends on itself.',
  'dependency.cycle': 'Services depend on each other in a cycle.',
  'slo.unknown-sli': 'An SLO names an SLI that its service does not define.',
  'journey.unknown-sli': 'A journey part names a service/SLI pair that does not exist.',
  'objective.ambiguous': 'A bare `objective` was given; say objectivePercent or objectiveRatio.',
  'objective.both': 'Both objectivePercent and objectiveRatio were given.',
  'objective.missing': 'An SLO has no objective.',
  'objective.out-of-range': 'An objective is not strictly between 0 and 100 % (ratio 0 to 1).',
  'objective.percent-as-ratio': 'A percent was written where a ratio (0 to 1) belongs.',
  'objective.ratio-as-percent': 'Warning: objectivePercent is at most 1, which looks like a ratio.',
  'duration.invalid': 'A duration is not of the form 5m, 1h, 28d, 4w or a sum like 1h30m.',
  'window.invalid': 'A window is neither a rolling duration nor a calendar period with a time zone.',
  'window.time-zone': 'A time zone is not a known IANA zone name.',
  'budgeting.invalid': 'A budgeting method is unknown or its slice settings are wrong.',
  'alerting.invalid':
    'An alert tier is inconsistent (short window not shorter than long, share out of range).',
  'selector.invalid': 'A metric selector is not a valid PromQL series selector.',
  'promql.window-placeholder': 'A PromQL expression lacks the $window placeholder Sextant substitutes.',
  'sli.invalid': 'An SLI is inconsistent (ratio without total, tolerated below satisfied, ...).',
  'saturation.thresholds': 'A saturation point has soft >= hard, or thresholds outside 0 to 1.',
  'maintenance.invalid': 'A maintenance window is inconsistent (end before start, bad cron).',
  'team.parent-cycle': 'Teams are each other’s parents in a cycle.',
  'service.no-slos': 'Warning: a service has no SLOs.',
  'slo.no-alerting': 'Warning: an SLO has alerting turned off (no tier enabled).',
  'team.no-on-call': 'Warning: a team that owns services has no on-call contact.',
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;
export type Severity = 'error' | 'warning';

/** One problem, located as precisely as the input allows. */
export interface CatalogIssue {
  code: IssueCode;
  severity: Severity;
  message: string;
  /** Path of keys/indices inside the document, e.g. ['spec', 'slos', 0, 'window']. */
  path: (string | number)[];
  file?: string;
  /** 1-based line and column. */
  line?: number;
  column?: number;
}

/** Result of an operation whose expected failures are data, not exceptions. */
export type Result<T, I = CatalogIssue> = { ok: true; value: T } | { ok: false; issues: I[] };

/** Orders issues by file, then position, then code, so output is stable. */
export function sortIssues(issues: CatalogIssue[]): CatalogIssue[] {
  return [...issues].sort(
    (a, b) =>
      compareText(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compareText(a.code, b.code),
  );
}

/** Formats an issue the way compilers do: `file:line:column: error code: message`. */
export function formatIssue(issue: CatalogIssue): string {
  const where = issue.file
    ? `${issue.file}${issue.line !== undefined ? `:${issue.line}:${issue.column ?? 1}` : ''}: `
    : '';
  const at = issue.path.length > 0 ? ` (at ${formatPath(issue.path)})` : '';
  return `${where}${issue.severity} ${issue.code}: ${issue.message}${at}`;
}

/** Renders a path like `spec.slos[0].window`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
