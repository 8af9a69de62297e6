/**
 * The catalog the hub distributes (docs/hub.md, "Catalog distribution"): fetched when a
 * push answer names a version the unit does not run, validated completely before it
 * replaces anything, and stored in `<dataDir>/hub-catalog/` by writing a new directory and
 * renaming it into place, so a crash leaves either the old catalog or the new one. A hub
 * that is unreachable or sends a broken catalog leaves the running catalog in force.
 */

import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { buildCatalog, type Catalog, formatIssue, type SourceFile } from '../catalog/index.ts';
import { listManifestFiles } from '../catalog-files/index.ts';
import { canonicalJson } from '../sync/converge.ts';
import {
  type CatalogBundle,
  isCompatibleProtocol,
  SYNC_PROTOCOL_HEADER,
  SYNC_PROTOCOL_VERSION,
  syncSchemas,
  UNIT_OVERRIDE_KEYS,
} from '../sync/protocol.ts';
import { toError } from '../util/index.ts';
import { sha256Hex } from '../util/sha256.ts';
import { parseDurationMs } from './config.ts';
import type { HttpFetch } from './sync-client.ts';

/** The directory in the data directory that holds the last valid hub catalog. */
export const HUB_CATALOG_DIR = 'hub-catalog';
/** Version and overrides of the stored catalog (a dot file: catalog loaders skip it). */
const BUNDLE_META = '.sextant-bundle.json';
const MAX_FILES = 10_000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

/** A validated hub catalog, ready to run. */
export interface HubCatalog {
  version: string;
  files: SourceFile[];
  catalog: Catalog;
  overrides: Record<string, unknown>;
}

/** The settings a hub may override on a unit (`UNIT_OVERRIDE_KEYS`), parsed. */
export interface UnitOverrides {
  evaluationIntervalMs?: number;
  pushIntervalMs?: number;
  exportResolutionMinutes?: number;
}

/** What a catalog fetch came to. */
export type CatalogFetch =
  | { kind: 'not_modified' }
  | { kind: 'fetched'; bundle: CatalogBundle }
  | { kind: 'error'; message: string };

/** Whether a bundle path is a plain relative path: forward slashes, no `..`, no hidden parts. */
export function isSafeBundlePath(path: string): boolean {
  if (path.length === 0 || path.startsWith('/') || path.includes('\\') || path.includes('\u0000'))
    return false;
  if (/^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((part) => part.length > 0 && !part.startsWith('.'));
}

const isManifest = (path: string) => /\.ya?ml$/i.test(path);

/**
 * Checks a bundle completely: protocol, paths, sizes and the catalog it builds. Only the
 * YAML files are the catalog (as when loading a directory); other files are ignored.
 */
export function validateBundle(
  input: unknown,
): { ok: true; value: HubCatalog } | { ok: false; issues: string[] } {
  const parsed = syncSchemas().catalogBundle.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'bundle'}: ${issue.message}`),
    };
  }
  const bundle = parsed.data;
  const issues: string[] = [];
  if (!isCompatibleProtocol(bundle.protocol)) {
    issues.push(`protocol ${bundle.protocol} is not compatible with ${SYNC_PROTOCOL_VERSION}`);
  }
  const paths = Object.keys(bundle.files);
  if (paths.length > MAX_FILES) issues.push(`${paths.length} files; at most ${MAX_FILES}`);
  let total = 0;
  for (const path of paths) {
    if (!isSafeBundlePath(path)) issues.push(`${JSON.stringify(path)}: not a plain relative path`);
    total += Buffer.byteLength(bundle.files[path]!);
  }
  if (total > MAX_TOTAL_BYTES) issues.push(`${total} bytes of files; at most ${MAX_TOTAL_BYTES}`);
  const files = paths
    .filter(isManifest)
    .sort()
    .map((path) => ({ path, text: bundle.files[path]! }));
  if (issues.length > 0) return { ok: false, issues };
  const build = buildCatalog(files);
  if (!build.valid) {
    return { ok: false, issues: build.issues.filter((issue) => issue.severity === 'error').map(formatIssue) };
  }
  return {
    ok: true,
    value: { version: bundle.version, files, catalog: build.catalog, overrides: bundle.overrides },
  };
}

/**
 * `GET /api/v1/sync/catalog` with `If-None-Match` of the running version. Never throws.
 */
export async function fetchHubCatalog(options: {
  hubUrl: string;
  token: string;
  runningVersion: string | undefined;
  timeoutMs: number;
  fetch: HttpFetch;
}): Promise<CatalogFetch> {
  const base = options.hubUrl.endsWith('/') ? options.hubUrl : `${options.hubUrl}/`;
  const url = new URL('api/v1/sync/catalog', base).toString();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  timer.unref();
  try {
    const response = await options.fetch(url, {
      method: 'GET',
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
        [SYNC_PROTOCOL_HEADER]: SYNC_PROTOCOL_VERSION,
        ...(options.runningVersion === undefined ? {} : { 'if-none-match': `"${options.runningVersion}"` }),
      },
      signal: controller.signal,
    });
    const text = await response.text();
    if (response.status === 304) return { kind: 'not_modified' };
    if (response.status !== 200)
      return { kind: 'error', message: `the hub answered ${response.status}: ${text.slice(0, 300)}` };
    try {
      return { kind: 'fetched', bundle: JSON.parse(text) as CatalogBundle };
    } catch (error) {
      return { kind: 'error', message: `the catalog is not JSON: ${toError(error).message}` };
    }
  } catch (error) {
    return {
      kind: 'error',
      message: controller.signal.aborted ? `timed out after ${options.timeoutMs}ms` : toError(error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes a validated catalog to `<dataDir>/hub-catalog/` atomically: a new directory is
 * written and synced, then renamed into place (the previous one is moved aside first and
 * removed after, and `loadStoredHubCatalog` recovers it if a crash falls in between).
 */
export async function storeHubCatalog(dataDir: string, hub: HubCatalog): Promise<void> {
  const suffix = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const staging = join(dataDir, `.${HUB_CATALOG_DIR}.new-${suffix}`);
  const target = join(dataDir, HUB_CATALOG_DIR);
  const aside = join(dataDir, `.${HUB_CATALOG_DIR}.old-${suffix}`);
  await mkdir(staging, { recursive: true });
  try {
    for (const file of hub.files) {
      const path = join(staging, ...file.path.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeSynced(path, file.text);
    }
    await writeSynced(
      join(staging, BUNDLE_META),
      `${JSON.stringify({ version: hub.version, overrides: hub.overrides }, null, 2)}\n`,
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const hadOne = await exists(target);
  if (hadOne) await rename(target, aside);
  await rename(staging, target);
  await syncDirectory(dataDir);
  if (hadOne) await rm(aside, { recursive: true, force: true });
}

/**
 * The stored hub catalog, rebuilt and validated; undefined when there is none. Recovers a
 * catalog moved aside by an interrupted `storeHubCatalog` and removes unfinished ones.
 */
export async function loadStoredHubCatalog(
  dataDir: string,
): Promise<{ ok: true; value: HubCatalog } | { ok: false; issues: string[] } | undefined> {
  const target = join(dataDir, HUB_CATALOG_DIR);
  const entries = await readdir(dataDir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (entry.startsWith(`.${HUB_CATALOG_DIR}.new-`))
      await rm(join(dataDir, entry), { recursive: true, force: true });
  }
  if (!(await exists(target))) {
    const aside = entries.filter((entry) => entry.startsWith(`.${HUB_CATALOG_DIR}.old-`)).sort();
    const last = aside[aside.length - 1];
    if (last === undefined) return undefined;
    await rename(join(dataDir, last), target);
  }
  for (const entry of entries) {
    if (entry.startsWith(`.${HUB_CATALOG_DIR}.old-`))
      await rm(join(dataDir, entry), { recursive: true, force: true });
  }
  let meta: { version: string; overrides: Record<string, unknown> };
  try {
    meta = JSON.parse(await readFile(join(target, BUNDLE_META), 'utf8')) as typeof meta;
  } catch (error) {
    return { ok: false, issues: [`${join(target, BUNDLE_META)}: ${toError(error).message}`] };
  }
  const listed = await listManifestFiles([target]);
  const files: Record<string, string> = {};
  for (const path of listed.files) {
    files[relative(target, path).split(sep).join('/')] = await readFile(path, 'utf8');
  }
  return validateBundle({
    protocol: SYNC_PROTOCOL_VERSION,
    version: meta.version,
    files,
    overrides: meta.overrides ?? {},
  });
}

/** The version of a local catalog: a digest of its files' paths and texts. */
export function catalogVersionOf(files: readonly SourceFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const digest = sha256Hex(canonicalJson(sorted.map((file) => [file.path, file.text])));
  return `sha256:${digest}`;
}

/**
 * The overrides a unit applies from a bundle: only `UNIT_OVERRIDE_KEYS`, each checked;
 * everything else is reported, never applied.
 */
export function parseOverrides(overrides: Record<string, unknown>): {
  value: UnitOverrides;
  ignored: string[];
} {
  const value: UnitOverrides = {};
  const ignored: string[] = [];
  const known = new Set<string>(UNIT_OVERRIDE_KEYS);
  const interval = (raw: unknown): number | undefined => {
    const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDurationMs(raw) : undefined;
    return ms !== undefined && Number.isFinite(ms) && ms >= 1000 && ms <= 86_400_000 ? ms : undefined;
  };
  for (const [key, raw] of Object.entries(overrides)) {
    if (!known.has(key)) {
      ignored.push(`${key}: not a setting the hub may override`);
      continue;
    }
    if (key === 'evaluationInterval' || key === 'pushInterval') {
      const ms = interval(raw);
      if (ms === undefined) ignored.push(`${key}: not a duration between 1s and 1d`);
      else if (key === 'evaluationInterval') value.evaluationIntervalMs = ms;
      else value.pushIntervalMs = ms;
    } else if (key === 'exportResolutionMinutes') {
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && 60 % raw === 0) {
        value.exportResolutionMinutes = raw;
      } else ignored.push(`${key}: not a whole number of minutes dividing 60`);
    }
  }
  return { value, ignored };
}

async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a directory; the rename is still atomic.
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
