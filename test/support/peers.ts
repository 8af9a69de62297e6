/**
 * Real programs as test peers (promtool, postgres, chromium, alertmanager, ...): find the
 * binary, install its Debian package when the machine allows it, and otherwise skip the
 * test with the reason, or fail it on CI, where a silently skipped peer test would hide a
 * regression.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** A program a test needs and where Debian ships it. */
export interface Peer {
  /** Executable name, e.g. `promtool`, `postgres`, `chromium`. */
  binary: string;
  /** Debian package providing it, e.g. `prometheus`, `postgresql`, `chromium`. */
  debianPackage: string;
  /**
   * Directories searched after PATH; one `*` segment is expanded, newest name last wins
   * (`/usr/lib/postgresql/*\/bin` finds the highest installed major version).
   */
  searchDirs?: readonly string[];
}

/** Directories Debian uses for binaries that are not on a user's PATH. */
const DEFAULT_SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Expands one `*` path segment; matches sorted so that `16` comes after `15` and `9`. */
function expandDir(pattern: string): string[] {
  const star = pattern.indexOf('*');
  if (star < 0) return [pattern];
  const parent = pattern.slice(0, pattern.lastIndexOf('/', star));
  const rest = pattern.slice(pattern.indexOf('/', star) < 0 ? pattern.length : pattern.indexOf('/', star));
  const segment = pattern.slice(parent.length + 1, pattern.length - rest.length);
  const re = new RegExp(`^${segment.split('*').map(escapeRegExp).join('.*')}$`);
  let names: string[];
  try {
    names = readdirSync(parent).filter((name) => re.test(name));
  } catch {
    return [];
  }
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return names.map((name) => `${parent}/${name}${rest}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The absolute path of `peer.binary`: `SEXTANT_PEER_<BINARY>` if set, then PATH, then the
 * search directories (the last match of a `*` pattern first). Undefined when absent.
 */
export function findPeer(peer: Peer, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env[`SEXTANT_PEER_${peer.binary.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`];
  if (override !== undefined && override !== '') return isExecutable(override) ? override : undefined;
  const pathDirs = (env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  const extra = (peer.searchDirs ?? []).flatMap((pattern) => expandDir(pattern).reverse());
  for (const dir of [...pathDirs, ...extra, ...DEFAULT_SEARCH_DIRS]) {
    const candidate = join(dir, peer.binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

interface Outcome {
  ok: boolean;
  output: string;
}

function run(command: string, args: readonly string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

// One install per package per process, however many tests ask at once.
const installs = new Map<string, Promise<string | undefined>>();

/** Installs a Debian package; returns why it could not, or undefined on success. */
function installDebianPackage(name: string): Promise<string | undefined> {
  let pending = installs.get(name);
  if (pending === undefined) {
    pending = (async () => {
      if (process.platform !== 'linux') return `not Linux (${process.platform}), no apt-get`;
      if (findPeer({ binary: 'apt-get', debianPackage: 'apt' }) === undefined) return 'apt-get not found';
      if (typeof process.getuid === 'function' && process.getuid() !== 0) {
        return `not root, so apt-get cannot install ${name} (run: sudo apt-get install ${name})`;
      }
      // Other test processes may hold the dpkg lock: wait for it rather than fail.
      const install = [
        '-o',
        'DPkg::Lock::Timeout=600',
        'install',
        '-y',
        '--no-install-recommends',
        name,
      ] as const;
      let result = await run('apt-get', install);
      if (
        !result.ok &&
        /Unable to locate package|no installation candidate|404\s+Not Found/i.test(result.output)
      ) {
        const update = await run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update']);
        if (!update.ok) return `apt-get update failed: ${update.output.split('\n').slice(-3).join(' ')}`;
        result = await run('apt-get', install);
      }
      return result.ok
        ? undefined
        : `apt-get install ${name} failed: ${result.output.split('\n').slice(-3).join(' ')}`;
    })();
    installs.set(name, pending);
  }
  return pending;
}

/**
 * The path of a peer binary for a test, installing its Debian package if needed. When it
 * stays unavailable the test fails on CI (`CI=true`) and is skipped elsewhere; callers
 * return when this gives undefined.
 * @example
 * const promtool = await requirePeer(t, { binary: 'promtool', debianPackage: 'prometheus' });
 * if (promtool === undefined) return;
 */
export async function requirePeer(t: TestContext, peer: Peer): Promise<string | undefined> {
  const found = findPeer(peer);
  if (found !== undefined) return found;
  const problem = await installDebianPackage(peer.debianPackage);
  const installed = findPeer(peer);
  if (installed !== undefined) return installed;
  const reason = `${peer.binary} is not installed (Debian package ${peer.debianPackage}): ${problem ?? `the package does not provide ${peer.binary} on PATH or in ${(peer.searchDirs ?? []).join(', ') || 'the usual directories'}`}`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}. CI must provide this peer.`);
  t.skip(reason);
  return undefined;
}
