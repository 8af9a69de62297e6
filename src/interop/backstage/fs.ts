/**
 * The disk edge of the Backstage importer: the real `read` and `list` that
 * `collectBackstageInputs` takes, and writing the resulting manifests. Everything else
 * in this folder is pure.
 */

import { readdir, readFile } from 'node:fs/promises';
import type { SourceFile } from '../../catalog/index.ts';
import type { BackstageIssue } from './issues.ts';
import { collectBackstageInputs } from './locations.ts';

/** Reads a UTF-8 file, or undefined when it is missing, a directory or unreadable. */
export async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The entry names of a directory, or undefined when `dir` is not a readable directory. */
export async function listDirectory(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch {
    return undefined;
  }
}

/** `collectBackstageInputs` over the real file system. */
export function collectBackstageInputsFromDisk(
  paths: readonly string[],
): Promise<{ inputs: SourceFile[]; issues: BackstageIssue[] }> {
  return collectBackstageInputs(paths, readTextFile, listDirectory);
}

/** Writing imported manifests is shared with the other importers. */
export { writeManifestFiles as writeImportedFiles } from '../../catalog-files/index.ts';
