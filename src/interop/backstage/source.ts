/** YAML documents with positions: from a path inside a document to file:line:column. */

import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import type { BackstageIssue, BackstageIssueCode, BackstageSeverity } from './issues.ts';

/** Where a document came from, able to turn paths inside it into positions. */
export interface DocumentLocator {
  file: string;
  /** 0-based index of the document in its file. */
  documentIndex: number;
  /** Position of the node at `path`, or of its closest existing ancestor. */
  position(path: readonly (string | number)[], options?: { key?: boolean }): { line: number; column: number };
}

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
  const lineCounter = new LineCounter();
  const documents: ParsedDocument[] = [];
  const issues: BackstageIssue[] = [];
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(parsed) ? parsed : [];
  list.forEach((document, index) => {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        issues.push({
          code: 'yaml.syntax',
          severity: 'error',
          file,
          line,
          column: col,
          path: [],
          message: error.message.split('\n')[0] ?? error.message,
        });
      }
      return;
    }
    const locator = locatorFor(file, index, document, lineCounter);
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

function locatorFor(
  file: string,
  documentIndex: number,
  document: Document.Parsed,
  lineCounter: LineCounter,
): DocumentLocator {
  return {
    file,
    documentIndex,
    position(path, options = {}) {
      const offset = offsetOf(document.contents, path, options.key ?? false) ?? document.range[0];
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    },
  };
}

function offsetOf(root: unknown, path: readonly (string | number)[], wantKey: boolean): number | undefined {
  let node: unknown = root;
  let best = rangeStart(root);
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part),
      );
      if (!pair) return best;
      if (i === path.length - 1 && wantKey) return rangeStart(pair.key) ?? best;
      node = pair.value;
      best = rangeStart(pair.value) ?? rangeStart(pair.key) ?? best;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) return best;
      node = item;
      best = rangeStart(item) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
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
