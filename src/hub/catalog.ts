/**
 * The catalog the hub distributes: read from its catalog directory, validated, and
 * versioned by the SHA-256 of its sorted files, so equal versions have equal files on
 * every hub and a unit fetches only when the version it is told differs from its own.
 */

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, relative, sep } from 'node:path';
import { buildCatalog, type Catalog, formatIssue, type SourceFile } from '../catalog/index.ts';
import { listManifestFiles } from '../catalog-files/index.ts';
import { canonicalJson } from '../sync/index.ts';

/** A valid catalog and its version. */
export interface HubCatalog {
  /** `sha256:<hex>` of the files (see `catalogVersion`). */
  version: string;
  /** Relative path (forward slashes) to text. */
  files: Record<string, string>;
  catalog: Catalog;
}

/**
 * The content digest of a set of files: SHA-256 over the canonical JSON of the path→text
 * map (keys sorted), so the version depends on the files and their names, not on the
 * order they were read in.
 * @example catalogVersion({ 'a.yaml': 'x' }) // 'sha256:…'
 */
export function catalogVersion(files: Readonly<Record<string, string>>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(files)).digest('hex')}`;
}

/**
 * The version a unit sees: the catalog's own when no override applies to it, otherwise a
 * digest of the catalog version and the overrides, so changing an override makes the
 * unit fetch again.
 */
export function bundleVersion(version: string, overrides: Readonly<Record<string, unknown>>): string {
  if (Object.keys(overrides).length === 0) return version;
  return `sha256:${createHash('sha256')
    .update(`${version}\n${canonicalJson(overrides)}`)
    .digest('hex')}`;
}

/** Builds a catalog from relative path→text files; the reasons when it is not valid. */
export function hubCatalogFromFiles(
  files: Readonly<Record<string, string>>,
): { ok: true; value: HubCatalog } | { ok: false; reasons: string[] } {
  const sources: SourceFile[] = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, text]) => ({ path, text }));
  if (sources.length === 0) return { ok: false, reasons: ['no catalog files'] };
  const build = buildCatalog(sources);
  if (!build.valid) {
    return {
      ok: false,
      reasons: build.issues.filter((issue) => issue.severity === 'error').map(formatIssue),
    };
  }
  return { ok: true, value: { version: catalogVersion(files), files: { ...files }, catalog: build.catalog } };
}

/**
 * Reads the catalog directory (or single file) into relative path→text files, with
 * forward slashes whatever the platform.
 */
export async function readCatalogFiles(
  path: string,
): Promise<{ ok: true; files: Record<string, string> } | { ok: false; reasons: string[] }> {
  const listed = await listManifestFiles([path]);
  if (listed.problems.length > 0) {
    return { ok: false, reasons: listed.problems.map((problem) => `${problem.path}: ${problem.message}`) };
  }
  const isDirectory = (await stat(path)).isDirectory();
  const files: Record<string, string> = {};
  for (const file of listed.files) {
    const name = isDirectory ? relative(path, file).split(sep).join('/') : basename(file);
    try {
      files[name] = await readFile(file, 'utf8');
    } catch (error) {
      return { ok: false, reasons: [`${file}: ${(error as Error).message}`] };
    }
  }
  return { ok: true, files };
}

/** Reads and validates the catalog at `path`. */
export async function loadHubCatalog(
  path: string,
): Promise<{ ok: true; value: HubCatalog } | { ok: false; reasons: string[] }> {
  const read = await readCatalogFiles(path);
  if (!read.ok) return read;
  return hubCatalogFromFiles(read.files);
}
