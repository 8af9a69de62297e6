/**
 * Reading catalog files from disk: the I/O edge in front of the pure `catalog` domain.
 * A path may be a file or a directory (searched recursively for .yaml and .yml files,
 * skipping hidden directories and node_modules).
 */

import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { buildCatalog, type CatalogBuild, type SourceFile } from '../catalog/index.ts';
import { compareText } from '../util/index.ts';

/** A path that could not be read, said plainly. */
export interface ReadProblem {
  path: string;
  message: string;
}

/** Lists the manifest files under each path, in a stable order. */
export async function listManifestFiles(
  paths: readonly string[],
): Promise<{ files: string[]; problems: ReadProblem[] }> {
  const files: string[] = [];
  const problems: ReadProblem[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      problems.push({ path, message: describeFsError(error) });
      continue;
    }
    if (info.isDirectory()) {
      files.push(...(await walk(path)));
    } else {
      files.push(path);
    }
  }
  return { files: [...new Set(files)], problems };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => compareText(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(full);
  }
  return out;
}

/** Reads files as UTF-8 text; paths in the result are relative to `cwd` for readable messages. */
export async function readSourceFiles(
  paths: readonly string[],
  cwd = process.cwd(),
): Promise<{ files: SourceFile[]; problems: ReadProblem[] }> {
  const listed = await listManifestFiles(paths);
  const files: SourceFile[] = [];
  const problems = [...listed.problems];
  for (const path of listed.files) {
    try {
      const text = await readFile(path, 'utf8');
      const shown = relative(cwd, path);
      files.push({ path: shown.startsWith('..') ? path : shown, text });
    } catch (error) {
      problems.push({ path, message: describeFsError(error) });
    }
  }
  return { files, problems };
}

/** Reads and builds a catalog from paths; unreadable paths come back as problems. */
export async function loadCatalogFromPaths(
  paths: readonly string[],
): Promise<{ build: CatalogBuild; files: SourceFile[]; problems: ReadProblem[] }> {
  const { files, problems } = await readSourceFiles(paths);
  return { build: buildCatalog(files), files, problems };
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Writes manifests (e.g. from an importer) under `outDir`, creating directories.
 * Existing files are left alone unless `overwrite` is set, so a re-import never clobbers
 * hand edits by accident; they are returned in `skipped`.
 */
export async function writeManifestFiles(
  outDir: string,
  files: readonly SourceFile[],
  options: { overwrite?: boolean } = {},
): Promise<{ written: string[]; skipped: string[] }> {
  const root = resolve(outDir);
  const written: string[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    const target = resolve(join(root, file.path));
    // Paths come from importers, but a writer must never leave its directory.
    if (target !== root && !target.startsWith(root + sep)) {
      throw new Error(`refusing to write outside ${root}: ${file.path}`);
    }
    if (!options.overwrite && (await exists(target))) {
      skipped.push(target);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.text, 'utf8');
    written.push(target);
  }
  return { written, skipped };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export { watchCatalog } from './watch.ts';
