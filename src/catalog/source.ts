/** Positions in manifest files: from a path inside a YAML document to file:line:column. */

import { type Document, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { CatalogIssue, IssueCode, Severity } from './issues.ts';

/** A catalog input: a file name (for messages) and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** Where an entity was defined, able to turn document paths into positions. */
export interface SourceLocator {
  file: string;
  /** 0-based index of the YAML document in the file. */
  documentIndex: number;
  /** Position of the node at `path`, or of its closest existing ancestor. */
  position(path: readonly (string | number)[], options?: { key?: boolean }): { line: number; column: number };
}

/**
 * Line starts of a text, for offset -> line:column. Computed from the text itself: yaml's
 * LineCounter misses newlines inside multi-line tokens while it recovers from a syntax
 * error, which shifted every later position of the file (found by fuzzing).
 */
export class LineIndex {
  readonly #starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 10) this.#starts.push(i + 1);
      else if (code === 13 && text.charCodeAt(i + 1) !== 10) this.#starts.push(i + 1);
    }
  }
  /** 1-based line and column of a 0-based offset. */
  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - this.#starts[low]! + 1 };
  }
}

/** Builds a locator over one parsed YAML document. */
export function locatorFor(
  file: string,
  documentIndex: number,
  document: Document.Parsed,
  lines: LineIndex,
): SourceLocator {
  return {
    file,
    documentIndex,
    position(path, options = {}) {
      const offset = offsetOf(document.contents, path, options.key ?? false) ?? document.range[0];
      return lines.position(offset);
    },
  };
}

function offsetOf(root: unknown, path: readonly (string | number)[], wantKey: boolean): number | undefined {
  let node: unknown = root;
  let best = rangeStart(root);
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part),
      );
      if (!pair) return best;
      if (last && wantKey) return rangeStart(pair.key) ?? best;
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

/** Makes an issue located through `locator` (when there is one). */
export function issueAt(
  locator: SourceLocator | undefined,
  code: IssueCode,
  path: (string | number)[],
  message: string,
  options: { severity?: Severity; key?: boolean } = {},
): CatalogIssue {
  const issue: CatalogIssue = { code, severity: options.severity ?? 'error', message, path };
  if (locator) {
    const { line, column } = locator.position(path, options.key === undefined ? {} : { key: options.key });
    issue.file = locator.file;
    issue.line = line;
    issue.column = column;
  }
  return issue;
}
