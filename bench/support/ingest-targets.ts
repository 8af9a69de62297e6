/**
 * The receivers `npm run bench -- ingest` drives, each a real process on a free loopback
 * port with fresh storage in a temp directory: the Sextant unit, Prometheus 2.42 with its
 * remote-write receiver, and VictoriaMetrics single-node. Also what Linux says about a
 * process: CPU time (`/proc/PID/stat`) and peak resident memory (`VmHWM`).
 */

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPeer } from '../../test/support/peers.ts';
import { freePort } from '../../test/support/prometheus.ts';

/** The receivers, in the order they run. */
export const TARGET_NAMES = ['sextant', 'prometheus', 'victoria'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** A receiver process that is up and accepting remote write. */
export interface RunningTarget {
  name: TargetName;
  pid: number;
  baseUrl: string;
  /** `POST` remote write 1.0 here. */
  writeUrl: URL;
  /** Whether the process has exited (a crash during the run fails it). */
  exited(): boolean;
  /** The last lines of its stderr, for error messages. */
  logTail(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a process, all its threads (`/proc/PID/stat` utime + stime). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name start at field 3 (state); utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident memory of a process so far, in MB (`VmHWM`, the kernel's high-water mark). */
export function peakRssMb(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) / 1024;
}

/** Resident memory of a process now, in MB: all of it, anonymous (heaps) and file-backed (code). */
export function residentMb(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) / 1024;
  return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') };
}

/** Keeps the child's stderr tail and its exit, shared by every launcher. */
function watch(child: ChildProcess): { tail: () => string; exited: () => boolean; done: Promise<void> } {
  let tail = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
  });
  let exited = false;
  const done = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  return { tail: () => tail, exited: () => exited, done };
}

function stopper(child: ChildProcess, done: Promise<void>, exited: () => boolean) {
  return async (graceMs = 30_000) => {
    if (exited()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  };
}

async function waitUntil(
  ready: () => Promise<boolean>,
  failed: () => string | undefined,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = failed();
    if (problem !== undefined) throw new Error(`${what} exited during start-up: ${problem}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The `sextant` bin as installed: it sets the unit's V8 flags and its compile cache. */
const BIN = fileURLToPath(new URL('../../bin/sextant.js', import.meta.url));

/**
 * Starts `sextant unit` through the `sextant` bin over `catalogDir`, with its database in
 * `dataDir`; with `profileDir`, under `node --cpu-prof` (the profile is written when it
 * stops).
 */
export async function startSextant(options: {
  catalogDir: string;
  dataDir: string;
  profileDir?: string;
  /** Extra node flags, e.g. `--max-old-space-size=96`. */
  nodeFlags?: readonly string[];
}): Promise<RunningTarget> {
  const profile =
    options.profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, '--cpu-prof-name=unit.cpuprofile'];
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      ...profile,
      BIN,
      'unit',
      '--id',
      'bench',
      '--catalog',
      options.catalogDir,
      '--data-dir',
      options.dataDir,
      '--listen',
      '127.0.0.1:0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const { tail, exited, done } = watch(child);
  let baseUrl: string | undefined;
  await waitUntil(
    async () => {
      baseUrl ??= /listening on (http:\/\/\S+)/.exec(tail())?.[1];
      return baseUrl !== undefined && (await fetch(`${baseUrl}/healthz`)).ok;
    },
    () => (exited() ? tail() : undefined),
    120_000,
    'sextant unit',
  );
  return {
    name: 'sextant',
    pid: child.pid!,
    baseUrl: baseUrl!,
    writeUrl: new URL('/api/v1/write', baseUrl),
    exited,
    logTail: tail,
    stop: stopper(child, done, exited),
  };
}

/**
 * Starts and stops one unit so that the compile cache of the `sextant` bin holds every
 * module the unit loads: the measured units then start as every start after the first
 * does on an installed Sextant, without the TypeScript stripper (bin/sextant.js).
 */
export async function warmSextant(options: { catalogDir: string; dataDir: string }): Promise<void> {
  const unit = await startSextant(options);
  await unit.stop();
}

/**
 * Starts Prometheus with `--web.enable-remote-write-receiver` on a fresh TSDB, nothing to
 * scrape, and its default block and retention settings (as a receiver would run).
 */
export async function startPrometheusReceiver(options: {
  binary: string;
  dir: string;
}): Promise<RunningTarget> {
  const dataDir = join(options.dir, 'tsdb');
  mkdirSync(dataDir, { recursive: true });
  const config = join(options.dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
  const port = await freePort();
  const child = spawn(
    options.binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const { tail, exited, done } = watch(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => (await fetch(`${baseUrl}/-/ready`)).ok,
    () => (exited() ? tail() : undefined),
    60_000,
    'prometheus',
  );
  return {
    name: 'prometheus',
    pid: child.pid!,
    baseUrl,
    writeUrl: new URL('/api/v1/write', baseUrl),
    exited,
    logTail: tail,
    stop: stopper(child, done, exited),
  };
}

/** Starts VictoriaMetrics single-node on a fresh storage directory. */
export async function startVictoriaMetrics(options: { binary: string; dir: string }): Promise<RunningTarget> {
  const port = await freePort();
  const child = spawn(
    options.binary,
    [
      `-storageDataPath=${join(options.dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-retentionPeriod=1',
      '-loggerLevel=ERROR',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const { tail, exited, done } = watch(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => (await fetch(`${baseUrl}/health`)).ok,
    () => (exited() ? tail() : undefined),
    60_000,
    'victoria-metrics',
  );
  return {
    name: 'victoria',
    pid: child.pid!,
    baseUrl,
    writeUrl: new URL('/api/v1/write', baseUrl),
    exited,
    logTail: tail,
    stop: stopper(child, done, exited),
  };
}

/** A peer program found on this machine, or why it is missing. */
export type PeerBinary = { ok: true; path: string; version: string } | { ok: false; reason: string };

function debianVersion(pkg: string): string {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's field syntax, not a template.
    const format = '-f=${Version}';
    return execFileSync('dpkg-query', ['-W', format, pkg], { encoding: 'utf8' }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

function aptGet(args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'apt-get',
      ['-o', 'DPkg::Lock::Timeout=600', ...args],
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

/**
 * The binary of a Debian-packaged peer, installing the package with apt-get when it is
 * missing and this process may (root on Linux); otherwise why not.
 */
export async function ensurePeer(binary: string, debianPackage: string): Promise<PeerBinary> {
  const peer = { binary, debianPackage };
  let path = findPeer(peer);
  if (path === undefined) {
    if (process.platform !== 'linux' || process.getuid?.() !== 0)
      return { ok: false, reason: `${binary} is not installed (apt-get install ${debianPackage})` };
    const install = ['install', '-y', '--no-install-recommends', debianPackage];
    let result = await aptGet(install);
    if (!result.ok && /Unable to locate package|no installation candidate/i.test(result.output)) {
      await aptGet(['update']);
      result = await aptGet(install);
    }
    path = findPeer(peer);
    if (path === undefined) {
      const why = result.output.split('\n').slice(-2).join(' ');
      return { ok: false, reason: `apt-get install ${debianPackage} failed: ${why}` };
    }
  }
  return { ok: true, path, version: `${debianPackage} ${debianVersion(debianPackage)}` };
}

/** Sum of every sample of `name` in a Prometheus text exposition whose labels contain `match`. */
export function metricSum(text: string, name: string, match = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (match !== '' && !rest.includes(match)) continue;
    const value = rest[0] === '{' ? rest.slice(rest.lastIndexOf('}') + 1) : rest;
    sum += Number(value.trim().split(/\s+/)[0]);
  }
  return sum;
}
