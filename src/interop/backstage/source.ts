/** YAML documents with positions: from a path inside a document to file:line:column. */

import { type Document, parseAllDocuments } from 'yaml';
import { LineIndex, locatorFor, type SourceLocator } from '../../catalog/index.ts';
import type { BackstageIssue, BackstageIssueCode, BackstageSeverity } from './issues.ts';

/** Where a document came from, able to turn paths inside it into positions (the catalog's own locator). */
export type DocumentLocator = SourceLocator;

/** One parsed document: its plain value, or the syntax issues that stopped it. */
export interface ParsedDocument {
  locator: DocumentLocator;
  value: unknown;
}

/**
 * Splits a file into documents. Syntax errors are reported per document, so one broken
 * document does not hide the others; the yaml library recovers at document boundaries.
 */
export function parseDocuments(
  file: string,
  text: string,
): { documents: ParsedDocument[]; issues: BackstageIssue[] } {
  const lines = new LineIndex(text);
  const documents: ParsedDocument[] = [];
  const issues: BackstageIssue[] = [];
  let list: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
    list = Array.isArray(parsed) ? parsed : [];
  } catch (thrown) {
    // The yaml composer recurses per nesting level: absurd nesting overflows the stack.
    const message = `the file cannot be parsed: ${(thrown as Error).message} (nesting too deep?)`;
    return {
      documents,
      issues: [{ code: 'yaml.syntax', severity: 'error', file, line: 1, column: 1, path: [], message }],
    };
  }
  list.forEach((document, index) => {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const { line, column } = lines.position(error.pos[0]);
        issues.push({
          code: 'yaml.syntax',
          severity: 'error',
          file,
          line,
          column,
          path: [],
          message: error.message.split('\n')[0] ?? error.message,
        });
      }
      return;
    }
    const locator = locatorFor(file, index, document, lines);
    let value: unknown;
    try {
      // Alias expansion is bounded so a "billion laughs" document cannot exhaust memory.
      value = document.toJS({ maxAliasCount: 100 });
    } catch (thrown) {
      issues.push(
        at(locator, 'yaml.syntax', 'error', [], thrown instanceof Error ? thrown.message : String(thrown)),
      );
      return;
    }
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    documents.push({ locator, value });
  });
  return { documents, issues };
}

/** Makes an issue located at `path` in the document of `locator` (when there is one). */
export function at(
  locator: DocumentLocator | undefined,
  code: BackstageIssueCode,
  severity: BackstageSeverity,
  path: (string | number)[],
  message: string,
  options: { key?: boolean } = {},
): BackstageIssue {
  const issue: BackstageIssue = { code, severity, path, message };
  if (locator) {
    const { line, column } = locator.position(path, options);
    issue.file = locator.file;
    issue.line = line;
    issue.column = column;
  }
  return issue;
}
