/**
 * A private PostgreSQL server for benchmarks: `initdb` into a fresh temporary directory,
 * `postgres` on a free loopback port, one database, stopped and removed at the end.
 *
 * Unlike the test server (test/support/postgres.ts, fsync off), this one keeps
 * PostgreSQL's durable defaults (`fsync`, `synchronous_commit`, `full_page_writes` on), so
 * a 2xx from a hub on it means what it means in production, as on SQLite with
 * `synchronous = FULL`. As root, the programs run as Debian's `postgres` user through
 * `setpriv` (which execs, so the child's pid is the postmaster's), with a parent-death
 * signal so that a killed benchmark takes its server with it.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { findPeer } from '../../test/support/peers.ts';
import { freePort } from '../../test/support/prometheus.ts';

/** A running server. */
export interface BenchPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/sextant_hub`, trust authentication on loopback. */
  url: string;
  version: string;
  /** The postmaster's pid. */
  pid: number;
  /**
   * CPU seconds of the whole server: the postmaster, its live children (backends, WAL
   * writer, checkpointer) and the children it has reaped (cutime + cstime).
   */
  cpuSeconds(): number;
  /** Resident memory of the server's processes, summed, in MB (shared buffers count once per process that touched them). */
  residentMb(): number;
  log(): string;
  /** Forgets the statement statistics gathered so far (`pg_stat_statements_reset`). */
  resetStatements(): Promise<void>;
  /** The statements with the most execution time since the last reset, for the report. */
  topStatements(limit: number): Promise<StatementStats[]>;
  stop(): Promise<void>;
}

/** One normalised statement's totals from `pg_stat_statements`. */
export interface StatementStats {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Share of the execution time of every statement since the reset, percent. */
  percent: number;
}

/** Why PostgreSQL cannot run here, or where its binaries are. */
export function findPostgres(): { ok: true; bin: string } | { ok: false; reason: string } {
  const binary = findPeer({
    binary: 'postgres',
    debianPackage: 'postgresql',
    searchDirs: ['/usr/lib/postgresql/*/bin'],
  });
  if (binary === undefined)
    return {
      ok: false,
      reason: 'postgres is not installed (Debian package postgresql: apt-get install postgresql)',
    };
  return { ok: true, bin: dirname(realpathSync(binary)) };
}

function run(command: string, args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

/** `setpriv` to the postgres user when root (PostgreSQL refuses root), with a parent-death signal. */
async function launcher(
  deathSignal: string | undefined,
): Promise<{ prefix: string[]; uid?: number; gid?: number }> {
  const setpriv = findPeer({ binary: 'setpriv', debianPackage: 'util-linux' });
  const death = deathSignal === undefined ? [] : ['--pdeathsig', deathSignal];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return { prefix: setpriv === undefined ? [] : [setpriv, ...death, '--'] };
  if (setpriv === undefined) throw new Error('running PostgreSQL as root needs setpriv (util-linux)');
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  if (!uid.ok || !gid.ok) throw new Error('running PostgreSQL as root needs the postgres system user');
  return {
    // The credential change first: Linux clears the parent-death signal on a uid change.
    prefix: [setpriv, `--reuid=${uid.output}`, `--regid=${gid.output}`, '--clear-groups', ...death, '--'],
    uid: Number(uid.output),
    gid: Number(gid.output),
  };
}

const TICKS = 100;

/** utime + stime (+ cutime + cstime) of one process, in seconds; 0 when it is gone. */
function processCpu(pid: number, withReaped: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const reaped = withReaped ? Number(fields[13]) + Number(fields[14]) : 0;
    return (own + reaped) / TICKS;
  } catch {
    return 0;
  }
}

/** The pids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

/**
 * Starts the server with production-like durability and `sharedBuffers` (default 2GB, what
 * docs/hub.md asks of a hub's PostgreSQL for 1,000 units: the hot set of pushes and fleet
 * queries, about 1.4 GB, fits; PostgreSQL's own default is 128MB).
 */
export async function startBenchPostgres(options: { sharedBuffers?: string } = {}): Promise<BenchPostgres> {
  const found = findPostgres();
  if (!found.ok) throw new Error(found.reason);
  const dir = await mkdtemp(join(tmpdir(), 'sextant-bench-pg-'));
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' };
  let child: ChildProcess | undefined;
  let log = '';
  let exited = Promise.resolve();
  const onExit = () => {
    child?.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child?.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const init = await launcher(undefined);
    const start = await launcher('SIGINT');
    await mkdir(dataDir, { mode: 0o700 });
    if (init.uid !== undefined && init.gid !== undefined) {
      await chown(dir, init.uid, init.gid);
      await chown(dataDir, init.uid, init.gid);
    }
    const [initCommand = '', ...initArgs] = [
      ...init.prefix,
      join(found.bin, 'initdb'),
      '--pgdata',
      dataDir,
      '--username=postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
    ];
    const initdb = await run(initCommand, initArgs);
    if (!initdb.ok) throw new Error(`initdb failed: ${initdb.output.split('\n').slice(-5).join('\n')}`);
    const version = (await run(join(found.bin, 'postgres'), ['--version'])).output;
    const port = await freePort();
    const [command = '', ...args] = [
      ...start.prefix,
      join(found.bin, 'postgres'),
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      `shared_buffers=${options.sharedBuffers ?? '2GB'}`,
      '-c',
      'max_connections=100',
      '-c',
      'lc_messages=C',
      '-c',
      'dynamic_shared_memory_type=mmap',
      // Per-statement execution time, to say where the database's time goes.
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'pg_stat_statements.track=all',
    ];
    const spawned = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    child = spawned;
    const keep = (chunk: string) => {
      log = (log + chunk).slice(-20_000);
    };
    spawned.stdout?.setEncoding('utf8').on('data', keep);
    spawned.stderr?.setEncoding('utf8').on('data', keep);
    exited = new Promise((resolve) => {
      spawned.once('exit', () => resolve());
      spawned.once('error', () => resolve());
    });
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (spawned.exitCode !== null || spawned.signalCode !== null)
        throw new Error(`postgres exited during start-up: ${log.split('\n').slice(-10).join('\n')}`);
      if (Date.now() > deadline) throw new Error('postgres not ready after 60 s');
      const probe = new pg.Client({ connectionString: admin });
      try {
        await probe.connect();
        await probe.query('CREATE DATABASE sextant_hub');
        await probe.end();
        break;
      } catch {
        await probe.end().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const url = `postgres://postgres@127.0.0.1:${port}/sextant_hub`;
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    await query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const pid = spawned.pid!;
    return {
      url,
      version,
      pid,
      cpuSeconds: () =>
        processCpu(pid, true) + childrenOf(pid).reduce((sum, child) => sum + processCpu(child, false), 0),
      residentMb: () => rssMb(pid) + childrenOf(pid).reduce((sum, child) => sum + rssMb(child), 0),
      log: () => log,
      resetStatements: async () => {
        await query('SELECT pg_stat_statements_reset()');
      },
      topStatements: async (limit) => {
        const rows = await query(
          `SELECT query, calls, total_exec_time, rows, sum(total_exec_time) OVER () AS all_time
           FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'sextant_hub')
           ORDER BY total_exec_time DESC LIMIT ${Math.trunc(limit)}`,
        );
        return rows.map((row) => ({
          query: String(row['query']).replace(/\s+/g, ' ').trim(),
          calls: Number(row['calls']),
          totalMs: Number(row['total_exec_time']),
          meanMs: Number(row['total_exec_time']) / Math.max(1, Number(row['calls'])),
          rows: Number(row['rows']),
          percent: (100 * Number(row['total_exec_time'])) / Math.max(1e-9, Number(row['all_time'])),
        }));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
