/**
 * What every catalog build must satisfy, whatever the input: it returns rather than
 * throws, every issue has a known code, a message and a position inside its file, and
 * `valid` agrees with the issues. Plain data in and out, so it also runs in a child
 * process (see `runIsolated`) when the input may hang or exhaust memory.
 */

import {
  buildCatalog,
  type CatalogBuild,
  type CatalogIssue,
  formatIssue,
  ISSUE_CODES,
  type SourceFile,
} from '../../src/catalog/index.ts';

/** One broken invariant: which rule, said in a sentence, and the issue it concerns. */
export interface Violation {
  rule: 'no-throw' | 'code' | 'severity' | 'message' | 'path' | 'file' | 'position' | 'format' | 'valid';
  message: string;
  /** Index of the issue in `CheckedBuild.issues`. */
  issueIndex?: number;
}

/** A build reduced to plain data: what the invariants need, safe to send between processes. */
export interface CheckedBuild {
  /** Time spent in `buildCatalog`. */
  ms: number;
  /** Set when `buildCatalog` threw, which is itself a violation. */
  threw?: { name: string; message: string };
  valid?: boolean;
  issues: CatalogIssue[];
  /** Issue codes in order, for asserting that an expected problem was reported. */
  codes: string[];
  errors: number;
  /** Broken invariants; empty when the build is sound. */
  violations: Violation[];
}

/** Builds `files` and checks every invariant of the result. */
export function buildAndCheck(files: readonly SourceFile[]): CheckedBuild {
  const startedAt = performance.now();
  let build: CatalogBuild;
  try {
    build = buildCatalog(files);
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const threw = { name: error.name, message: error.message };
    return {
      ms: performance.now() - startedAt,
      threw,
      issues: [],
      codes: [],
      errors: 0,
      violations: [{ rule: 'no-throw', message: `buildCatalog threw ${threw.name}: ${threw.message}` }],
    };
  }
  const ms = performance.now() - startedAt;
  return {
    ms,
    valid: build.valid,
    issues: build.issues,
    codes: build.issues.map((issue) => issue.code),
    errors: build.issues.filter((issue) => issue.severity === 'error').length,
    violations: invariantViolations(files, build),
  };
}

/** The invariants `build` (made from `files`) breaks. */
export function invariantViolations(files: readonly SourceFile[], build: CatalogBuild): Violation[] {
  const violations: Violation[] = [];
  const lineLengths = new Map<string, number[]>();
  for (const file of files) {
    // Lines end at LF, CRLF or a lone CR, as YAML 1.2 (and editors) count them.
    lineLengths.set(
      file.path,
      file.text.split(/\r\n|\r|\n/).map((line) => line.length),
    );
  }
  build.issues.forEach((issue, issueIndex) => {
    const broken = (rule: Violation['rule'], text: string): void => {
      violations.push({ rule, issueIndex, message: `${text}: ${JSON.stringify(issue).slice(0, 300)}` });
    };
    if (!Object.hasOwn(ISSUE_CODES, issue.code)) broken('code', 'the code is not in ISSUE_CODES');
    if (issue.severity !== 'error' && issue.severity !== 'warning')
      broken('severity', 'the severity is unknown');
    if (typeof issue.message !== 'string' || issue.message.trim() === '')
      broken('message', 'the message is empty');
    if (!issue.path.every((part) => typeof part === 'string' || Number.isInteger(part)))
      broken('path', 'the path holds something other than keys and indices');
    let formatted = '';
    try {
      formatted = formatIssue(issue);
    } catch (thrown) {
      broken('format', `formatIssue threw ${String(thrown)}`);
    }
    if (issue.file === undefined) return;
    const lengths = lineLengths.get(issue.file);
    const { line, column } = issue;
    if (lengths === undefined) {
      broken('file', 'the file is none of the input files');
    } else if (line === undefined || column === undefined) {
      broken('position', 'the issue has a file but no line and column');
    } else if (!Number.isInteger(line) || line < 1 || line > lengths.length) {
      broken('position', `line ${line} is outside the file's ${lengths.length} line(s)`);
    } else {
      const length = lengths[line - 1]!;
      if (!Number.isInteger(column) || column < 1 || column > length + 1)
        broken('position', `column ${column} is outside line ${line}, which has ${length} character(s)`);
      if (!formatted.startsWith(`${issue.file}:${line}:${column}: ${issue.severity} ${issue.code}: `))
        broken('format', `formatIssue gave "${formatted.slice(0, 200)}"`);
    }
  });
  const hasError = build.issues.some((issue) => issue.severity === 'error');
  if (build.valid === hasError)
    violations.push({
      rule: 'valid',
      message: `valid is ${build.valid} but errors ${hasError ? 'exist' : 'do not'}`,
    });
  return violations;
}
