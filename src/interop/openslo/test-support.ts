/** Helpers for this folder's tests: fixture files and plain views of outputs. */

import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Catalog } from '../../catalog/index.ts';
import type { ImportNote, InteropFile } from './notes.ts';

/** A value read from YAML in a test, indexed freely: the assertions are its type check. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary YAML and assert on it
export type Yaml = any;

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** The files of `fixtures/<set>/`, named `<set>/<file>`. */
export function fixtures(set: 'openslo' | 'sextant'): InteropFile[] {
  const dir = new URL(`${set}/`, FIXTURES);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({ path: `${set}/${name}`, text: readFileSync(new URL(name, dir), 'utf8') }));
}

/** Every YAML document of the files, as plain values. */
export function documents(files: readonly InteropFile[]): Record<string, unknown>[] {
  return files.flatMap((file) =>
    parseAllDocuments(file.text).map((doc) => doc.toJS() as Record<string, unknown>),
  );
}

/** The OpenSLO object of `kind` named `name` among the files. */
export function openSloObject(
  files: readonly InteropFile[],
  kind: string,
  name: string,
): Record<string, Yaml> {
  const found = documents(files).find(
    (doc) =>
      doc['kind'] === kind && (doc['metadata'] as Record<string, unknown> | undefined)?.['name'] === name,
  );
  if (!found) throw new Error(`no ${kind} "${name}"`);
  return found as Record<string, Yaml>;
}

/** The catalog as plain data without source locators, for deep comparison. */
export function plain(catalog: Catalog): Record<string, unknown> {
  const replacer = (key: string, value: unknown) =>
    key === 'source' ? undefined : value instanceof Map ? Object.fromEntries(value) : value;
  const { services, journeys, teams } = catalog;
  return JSON.parse(JSON.stringify({ services, journeys, teams }, replacer));
}

/** Notes whose message contains `text`. */
export function notesAbout(notes: readonly ImportNote[], text: string): ImportNote[] {
  return notes.filter((note) => note.message.includes(text));
}

/** One OpenSLO file from YAML text (a test writes its own small inputs). */
export function file(path: string, text: string): InteropFile {
  return { path, text };
}
