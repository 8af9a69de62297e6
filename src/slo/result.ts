/**
 * Expected failures as data (STYLE.md, "Errors are data"): parse and validation
 * functions return a `Result` instead of throwing.
 */

/** The closed set of issue codes the SLO engine reports. */
export const SLO_ISSUE_CODES = {
  invalidValue: 'invalid_value',
  invalidCron: 'invalid_cron',
  invalidTimeZone: 'invalid_time_zone',
  duplicate: 'duplicate',
  tooLarge: 'too_large',
} as const;

/** One of `SLO_ISSUE_CODES`. */
export type SloIssueCode = (typeof SLO_ISSUE_CODES)[keyof typeof SLO_ISSUE_CODES];

/** A precise complaint about an input: what is wrong and where (field path). */
export interface Issue {
  code: SloIssueCode;
  path: (string | number)[];
  message: string;
}

/** Success with a value, or failure with every issue found. */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** Builds an issue; kept tiny so call sites read as one line. */
export function issue(code: SloIssueCode, path: (string | number)[], message: string): Issue {
  return { code, path, message };
}

/** Prefixes the path of every issue, for nesting a sub-validation under a field. */
export function withPathPrefix(issues: readonly Issue[], prefix: readonly (string | number)[]): Issue[] {
  return issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));
}
