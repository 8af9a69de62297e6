/**
 * `sextant unit` as a real child process for integration tests: its own temporary catalog
 * and data directory, started with `node src/cli/main.ts unit` on a kernel-chosen loopback
 * port, killed with SIGKILL or stopped with SIGTERM, restarted on the same data directory.
 * Whatever a test does, every process it started is killed and the directory removed when
 * the test ends (`t.after`), also when it fails.
 */

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ProcessExit, type ServiceProcess, type StartFailure, spawnService } from './service-process.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** How a unit process ended: its exit code, or the signal that ended it. */
export type UnitExit = ProcessExit;
/** A unit process that is (or was) listening. */
export type UnitProcess = ServiceProcess;
/** A unit that exited before it listened, with what it printed. */
export type UnitStartFailure = StartFailure;

/** A data directory and catalog that unit processes are started on, one after another. */
export interface UnitFixture {
  /** The temporary directory holding everything below. */
  dir: string;
  catalogDir: string;
  dataDir: string;
  /** `sextant-unit.db` in `dataDir` (docs/unit.md, "Durability"). */
  databasePath: string;
  /** Starts a unit process; gives how it exited instead when it ends before listening. */
  start(): Promise<{ ok: true; value: UnitProcess } | { ok: false; failure: UnitStartFailure }>;
}

export interface UnitFixtureOptions {
  /** Catalog files by name, written to the catalog directory. */
  catalog: Readonly<Record<string, string>>;
  /** Unit id; default `durability-test`. */
  id?: string;
  /** Extra `sextant unit` flags, e.g. `['--evaluation-interval', '5s']`. */
  args?: readonly string[];
  /**
   * Mount a tmpfs of this many bytes as the data directory (Linux, root only), to fill
   * the disk under the unit. When the mount fails, `unitFixture` returns why.
   */
  tmpfsBytes?: number;
}

/**
 * Creates the fixture's directories and catalog and registers the clean-up on `t`.
 * Returns why when a requested tmpfs cannot be mounted.
 * @example
 * const fixture = await unitFixture(t, { catalog: { 'catalog.yaml': text } });
 * if (typeof fixture === 'string') return t.skip(fixture);
 * const started = await fixture.start();
 */
export async function unitFixture(
  t: TestContext,
  options: UnitFixtureOptions,
): Promise<UnitFixture | string> {
  const dir = await mkdtemp(join(tmpdir(), 'sextant-unit-process-'));
  const catalogDir = join(dir, 'catalog');
  const dataDir = join(dir, 'data');
  const running = new Set<UnitProcess>();
  let mounted = false;
  t.after(async () => {
    await Promise.all([...running].map((unit) => unit.kill()));
    if (mounted) {
      const unmounted = await run('umount', [dataDir]);
      if (!unmounted.ok) throw new Error(`cannot unmount the tmpfs at ${dataDir}: ${unmounted.output}`);
    }
    await rm(dir, { recursive: true, force: true });
  });
  await mkdir(catalogDir);
  await mkdir(dataDir);
  for (const [name, text] of Object.entries(options.catalog)) await writeFile(join(catalogDir, name), text);
  if (options.tmpfsBytes !== undefined) {
    const problem = await mountTmpfs(dataDir, options.tmpfsBytes);
    if (problem !== undefined) return problem;
    mounted = true;
  }
  const args = [
    MAIN,
    'unit',
    '--id',
    options.id ?? 'durability-test',
    '--catalog',
    catalogDir,
    '--data-dir',
    dataDir,
    '--listen',
    '127.0.0.1:0',
    ...(options.args ?? []),
  ];
  return {
    dir,
    catalogDir,
    dataDir,
    databasePath: join(dataDir, 'sextant-unit.db'),
    async start() {
      // An empty environment apart from PATH: the caller's SEXTANT_* variables must not leak in.
      const started = await spawnService(args, { PATH: process.env['PATH'] ?? '' });
      if (started.ok) {
        running.add(started.value);
        void started.value.exited.then(() => running.delete(started.value));
      }
      return started;
    },
  };
}

/** Mounts a tmpfs of `bytes` at `path`; returns why it could not, or undefined. */
export async function mountTmpfs(path: string, bytes: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return `not Linux (${process.platform}): no tmpfs`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root: cannot mount a tmpfs';
  const result = await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path]);
  return result.ok ? undefined : `mount -t tmpfs failed: ${result.output}`;
}

function run(command: string, args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) =>
      resolve({ ok: error === null, output: `${error?.message ?? ''} ${stdout}${stderr}`.trim() }),
    );
  });
}
