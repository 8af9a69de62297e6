/**
 * OpenSLO YAML in: every object with its file position, and a record of which fields the
 * importer read, so that whatever it did not read can be reported instead of dropped.
 */

import { type Document, parseAllDocuments } from 'yaml';
import { LineIndex, locatorFor } from '../../catalog/index.ts';
import type { ImportNote, InteropFile } from './notes.ts';

export type Path = (string | number)[];

/** OpenSLO v1 kinds (README, "General Schema"). */
export const OPENSLO_KINDS = [
  'Service',
  'SLO',
  'SLI',
  'DataSource',
  'AlertPolicy',
  'AlertCondition',
  'AlertNotificationTarget',
] as const;
export type OpenSloKind = (typeof OPENSLO_KINDS)[number];
export const OPENSLO_API_VERSION = 'openslo/v1';

/** One top-level OpenSLO object and where it was written. */
export interface OpenSloObject {
  kind: OpenSloKind;
  name: string;
  file: string;
  /** 0-based index of the YAML document in the file. */
  document: number;
  /** Path of the object in its document: [] for a mapping, [i] for item i of a list of objects. */
  base: Path;
  raw: Record<string, unknown>;
  /**
   * 1-based line and column of the node at `path` (relative to the object), or of its
   * closest ancestor; with `key`, of the key that introduces it.
   */
  locate(path: Path, options?: { key?: boolean }): { line: number; column: number };
  /** Paths (relative to the object) the importer has accounted for. */
  used: Set<string>;
}

/** Parses every document of every file; invalid YAML, wrong apiVersion or kind become notes. */
export function loadOpenSlo(files: readonly InteropFile[]): {
  objects: OpenSloObject[];
  notes: ImportNote[];
} {
  const objects: OpenSloObject[] = [];
  const notes: ImportNote[] = [];
  for (const file of files) {
    const lines = new LineIndex(file.text);
    let documents: Document.Parsed[];
    try {
      const parsed = parseAllDocuments(file.text, { prettyErrors: false, uniqueKeys: true });
      documents = Array.isArray(parsed) ? parsed : [];
    } catch (error) {
      // The yaml composer recurses per nesting level: absurd nesting overflows the stack.
      notes.push({
        severity: 'warning',
        file: file.path,
        line: 1,
        column: 1,
        path: [],
        message: `invalid YAML, file skipped: ${(error as Error).message} (nesting too deep?)`,
      });
      continue;
    }
    documents.forEach((document, documentIndex) => {
      if (document.errors.length > 0) {
        for (const error of document.errors) {
          const { line, column: col } = lines.position(error.pos[0]);
          notes.push({
            severity: 'warning',
            file: file.path,
            line,
            column: col,
            path: [],
            message: `invalid YAML, document skipped: ${error.message.split('\n')[0] ?? error.message}`,
          });
        }
        return;
      }
      let value: unknown;
      try {
        value = document.toJS({ maxAliasCount: 100 });
      } catch (error) {
        // Alias bombs and unresolved aliases are refused by yaml; say so instead of crashing.
        const { line, column: col } = lines.position(document.range[0]);
        notes.push({
          severity: 'warning',
          file: file.path,
          line,
          column: col,
          path: [],
          message: `YAML document skipped: ${(error as Error).message}`,
        });
        return;
      }
      if (value === null || value === undefined) return;
      const locator = locatorFor(file.path, documentIndex, document, lines);
      const at =
        (base: Path) =>
        (path: Path, options: { key?: boolean } = {}) =>
          locator.position([...base, ...path], options);
      // The OpenSLO repository's own examples are YAML lists of objects; accept both forms.
      const items: [Path, unknown][] = Array.isArray(value)
        ? value.map((item, i) => [[i], item])
        : [[[], value]];
      for (const [base, item] of items) {
        const locate = at(base);
        const reject = (path: Path, message: string) => {
          notes.push({
            severity: 'warning',
            file: file.path,
            ...locate(path),
            path: [...base, ...path],
            message,
          });
        };
        if (typeof item !== 'object' || item === null || Array.isArray(item)) {
          reject([], 'not an OpenSLO object (a mapping with apiVersion, kind, metadata and spec); skipped');
          continue;
        }
        const raw = item as Record<string, unknown>;
        if (raw['apiVersion'] !== OPENSLO_API_VERSION) {
          const found = raw['apiVersion'] === undefined ? 'missing' : `"${String(raw['apiVersion'])}"`;
          reject(
            ['apiVersion'],
            `apiVersion is ${found}; only ${OPENSLO_API_VERSION} is imported, so this object is skipped`,
          );
          continue;
        }
        const kind = raw['kind'];
        if (typeof kind !== 'string' || !(OPENSLO_KINDS as readonly string[]).includes(kind)) {
          const found = kind === undefined ? 'missing' : `"${String(kind)}"`;
          reject(
            ['kind'],
            `kind is ${found}, which OpenSLO v1 does not define (${OPENSLO_KINDS.join(', ')}); skipped`,
          );
          continue;
        }
        const metadata = raw['metadata'];
        const name = isRecord(metadata) ? metadata['name'] : undefined;
        if (typeof name !== 'string' || name === '') {
          reject(['metadata'], `${kind} has no metadata.name; skipped`);
          continue;
        }
        const used = new Set<string>();
        for (const path of [['apiVersion'], ['kind'], ['metadata', 'name']]) used.add(key(path));
        objects.push({
          kind: kind as OpenSloKind,
          name,
          file: file.path,
          document: documentIndex,
          base,
          raw,
          locate,
          used,
        });
      }
    });
  }
  return { objects, notes };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function key(path: Path): string {
  return JSON.stringify(path);
}

/**
 * A read cursor at one node of an object. Reading a scalar marks it used; `take` marks a
 * whole subtree (copied wholesale into the output or explained by a note).
 */
export class View {
  readonly object: OpenSloObject;
  readonly path: Path;
  readonly value: unknown;
  readonly #notes: ImportNote[];

  constructor(object: OpenSloObject, path: Path, value: unknown, notes: ImportNote[]) {
    this.object = object;
    this.path = path;
    this.value = value;
    this.#notes = notes;
  }

  static of(object: OpenSloObject, notes: ImportNote[]): View {
    return new View(object, [], object.raw, notes);
  }

  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  child(name: string | number): View {
    const value = isRecord(this.value)
      ? this.value[String(name)]
      : Array.isArray(this.value) && typeof name === 'number'
        ? this.value[name]
        : undefined;
    return new View(this.object, [...this.path, name], value, this.#notes);
  }

  /** Marks this node and everything below it as accounted for. */
  take(): unknown {
    this.object.used.add(key(this.path));
    return this.value;
  }

  string(name: string): string | undefined {
    const child = this.child(name);
    if (!child.present) return undefined;
    child.take();
    if (typeof child.value === 'string') return child.value;
    if (typeof child.value === 'number' || typeof child.value === 'boolean') return String(child.value);
    child.note('warning', `expected a string, found ${describe(child.value)}; ignored`);
    return undefined;
  }

  number(name: string): number | undefined {
    const child = this.child(name);
    if (!child.present) return undefined;
    child.take();
    if (typeof child.value === 'number' && Number.isFinite(child.value)) return child.value;
    if (
      typeof child.value === 'string' &&
      child.value.trim() !== '' &&
      Number.isFinite(Number(child.value))
    ) {
      return Number(child.value);
    }
    child.note('warning', `expected a number, found ${describe(child.value)}; ignored`);
    return undefined;
  }

  boolean(name: string): boolean | undefined {
    const child = this.child(name);
    if (!child.present) return undefined;
    child.take();
    if (typeof child.value === 'boolean') return child.value;
    if (child.value === 'true' || child.value === 'false') return child.value === 'true';
    child.note('warning', `expected true or false, found ${describe(child.value)}; ignored`);
    return undefined;
  }

  /** The items of a list field (a single mapping is read as a list of one). */
  list(name: string): View[] {
    const child = this.child(name);
    if (!child.present) return [];
    if (Array.isArray(child.value)) return child.value.map((_, index) => child.child(index));
    if (isRecord(child.value)) return [child];
    child.take();
    child.note('warning', `expected a list, found ${describe(child.value)}; ignored`);
    return [];
  }

  /** A string map; list values (allowed for OpenSLO labels) are joined with commas. */
  stringMap(name: string): Record<string, string> | undefined {
    const child = this.child(name);
    if (!child.present) return undefined;
    if (!isRecord(child.value)) {
      child.take();
      child.note('warning', `expected a mapping, found ${describe(child.value)}; ignored`);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(child.value)) {
      const entry = child.child(k);
      if (Array.isArray(v) && v.every((item) => typeof item === 'string')) {
        entry.take();
        out[k] = v.join(',');
      } else {
        const text = child.string(k);
        if (text !== undefined) out[k] = text;
      }
    }
    child.take();
    return out;
  }

  note(severity: ImportNote['severity'], message: string): void {
    this.#notes.push(noteAt(this.object, this.path, severity, message));
  }
}

/** A note located at `path` inside `object`. */
export function noteAt(
  object: OpenSloObject,
  path: Path,
  severity: ImportNote['severity'],
  message: string,
): ImportNote {
  return { severity, file: object.file, ...object.locate(path), path: [...object.base, ...path], message };
}

/**
 * Notes for every field the importer never read: the highest subtree in which nothing was
 * used is reported once, so an unknown block gives one note, not one per leaf.
 */
export function unusedFieldNotes(object: OpenSloObject): ImportNote[] {
  const notes: ImportNote[] = [];
  const usedKeys = [...object.used];
  const walk = (value: unknown, path: Path) => {
    const k = key(path);
    if (object.used.has(k)) return;
    const prefix = k.slice(0, -1) + (path.length > 0 ? ',' : '');
    const anyBelow = usedKeys.some((used) => used.startsWith(prefix));
    if (anyBelow && isRecord(value)) {
      for (const [name, child] of Object.entries(value)) walk(child, [...path, name]);
      return;
    }
    if (anyBelow && Array.isArray(value)) {
      value.forEach((child, index) => {
        walk(child, [...path, index]);
      });
      return;
    }
    if (value === null || value === undefined) return;
    // An empty mapping or list says nothing, so nothing is lost.
    if ((isRecord(value) && Object.keys(value).length === 0) || (Array.isArray(value) && value.length === 0))
      return;
    // Labels, annotations, names and descriptions are descriptive; an unknown spec field may change meaning.
    const last = path[path.length - 1];
    const descriptive = path.includes('metadata') || last === 'description' || last === 'displayName';
    const { line, column } = object.locate(path, { key: true });
    notes.push({
      severity: descriptive ? 'info' : 'warning',
      file: object.file,
      line,
      column,
      path: [...object.base, ...path],
      message: `${object.kind} "${object.name}": field "${formatPath(path)}" has no Sextant counterpart and was not imported`,
    });
  };
  walk(object.raw, []);
  return notes;
}

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
