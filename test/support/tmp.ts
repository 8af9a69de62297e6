/** Temporary directories for tests and benchmarks, removed however the work inside them ends. */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Runs `fn` with a fresh empty directory and removes the directory afterwards, also
 * when `fn` throws.
 * @example await withTempDir(async (dir) => { await writeFiles(dir, { 'a.yaml': text }); ... })
 */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T> | T,
  prefix = 'sextant-test-',
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `files` (relative path to text) under `dir`, creating folders as needed. */
export async function writeFiles(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text);
  }
}
