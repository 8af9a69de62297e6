/**
 * A private PostgreSQL server for integration tests: `initdb` into a fresh temporary
 * directory, `postgres` on a free loopback port (its socket in that directory too, fsync
 * off), a database to connect to, and everything stopped and removed when the test ends.
 *
 * PostgreSQL refuses to run as root, and test machines often are root: then both programs
 * run as the `postgres` system user the Debian package creates (`setpriv`, util-linux),
 * owning the directory. `postgres` gets a parent-death signal, so a test process that dies
 * without cleaning up takes its server with it instead of leaving an orphan.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { findPeer, requirePeer } from './peers.ts';
import { freePort } from './prometheus.ts';

/** Debian's PostgreSQL server, whose binaries live in `/usr/lib/postgresql/<major>/bin`. */
export const POSTGRES_PEER = Object.freeze({
  binary: 'postgres',
  debianPackage: 'postgresql',
  searchDirs: ['/usr/lib/postgresql/*/bin'],
});

/** A running private server. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/sextant`, trust authentication. */
  url: string;
  /**
   * A new empty database on this server and its URL; `drop` removes it, forcing sessions
   * out. About 100-300 ms (PostgreSQL copies `template1`).
   */
  createDatabase(name?: string): Promise<Scratch>;
  /**
   * A new empty schema in the `sextant` database, with a URL whose sessions have it as
   * `search_path`, so unqualified names land in it; `drop` removes it with its contents.
   * About 1 ms: the cheap way to give each test an empty store.
   */
  createSchema(name?: string): Promise<Scratch>;
  /** The tail of the server's log, for failure messages. */
  log(): string;
  /** Fast shutdown (SIGINT, then SIGKILL after 10 s) and removal of the directory; idempotent. */
  stop(): Promise<void>;
}

/** A database or schema made for one test. */
export interface Scratch {
  name: string;
  url: string;
  drop(): Promise<void>;
}

interface Account {
  uid: number;
  gid: number;
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

/** The uid and gid of a system user, or undefined when there is none. */
async function account(name: string): Promise<Account | undefined> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  if (!uid.ok || !gid.ok) return undefined;
  return { uid: Number(uid.output), gid: Number(gid.output) };
}

/**
 * The command prefix that runs a PostgreSQL program: as the `postgres` user when we are
 * root, with `deathSignal` delivered to it when this process dies (Linux `setpriv`).
 */
async function launcher(deathSignal: string | undefined): Promise<{ prefix: string[]; owner?: Account }> {
  const setpriv = findPeer({ binary: 'setpriv', debianPackage: 'util-linux' });
  const death = deathSignal === undefined ? [] : ['--pdeathsig', deathSignal];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return { prefix: setpriv === undefined ? [] : [setpriv, ...death, '--'] };
  if (setpriv === undefined) throw new Error('running PostgreSQL as root needs setpriv (Debian util-linux)');
  const owner = await account('postgres');
  if (owner === undefined) {
    throw new Error('running PostgreSQL as root needs the postgres system user (Debian package postgresql)');
  }
  // The credential change comes first: Linux clears the parent-death signal on a uid change.
  const prefix = [setpriv, `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', ...death, '--'];
  return { prefix, owner };
}

/** A child process with the tail of its output kept. */
interface Spawned {
  child: ChildProcess;
  log(): string;
  exited: Promise<void>;
}

function spawnLogged(argv: readonly string[], env: NodeJS.ProcessEnv): Spawned {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('empty command');
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  const keep = (chunk: string): void => {
    log = (log + chunk).slice(-20_000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      keep(`\n${error.message}`);
      resolve();
    });
  });
  return { child, log: () => log, exited };
}

const isRunning = (child: ChildProcess): boolean =>
  child.pid !== undefined && child.exitCode === null && child.signalCode === null;

/** `postgres://postgres@127.0.0.1:<port>/<database>`. */
function urlOf(port: number, database: string): string {
  return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

let scratches = 0;

/** A fresh lowercase identifier, unique in this process (and across processes by pid). */
function scratchName(): string {
  return `t_${process.pid}_${++scratches}`;
}

const DIR_PREFIX = 'sextant-pg-';

/** Whether a process runs (a zombie, dead but not reaped, does not). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Removes the directories of servers whose test process was killed (SIGKILL skips every
 * cleanup; the parent-death signal stopped the server, but its files stay): older than
 * ten minutes, with no live postmaster.
 */
async function sweepAbandoned(): Promise<void> {
  const root = tmpdir();
  const names = await readdir(root).catch(() => []);
  for (const name of names.filter((entry) => entry.startsWith(DIR_PREFIX))) {
    const dir = join(root, name);
    try {
      if (Date.now() - (await stat(dir)).mtimeMs < 10 * 60_000) continue;
      const pidFile = await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8').catch(() => '');
      const pid = Number(pidFile.split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
      await rm(dir, { recursive: true, force: true });
    } catch {
      // Another process may be sweeping the same directory.
    }
  }
}

/**
 * Starts a private PostgreSQL for one test, installing Debian's package when it is
 * missing; stopped by the test's `after`. Gives undefined when the test was skipped
 * (PostgreSQL unavailable outside CI); on CI (`CI=true`) an unavailable PostgreSQL fails.
 * The stop is the test's first `after` hook and hooks run in order, so work that needs the
 * server at the end (dropping a database) belongs in the test body or a subtest's hooks.
 * @example
 * const server = await startPostgres(t);
 * if (server === undefined) return;
 * const driver = await openPostgresDriver(server.url);
 */
export async function startPostgres(t: TestContext): Promise<PostgresServer | undefined> {
  const found = await requirePeer(t, POSTGRES_PEER);
  if (found === undefined) return undefined;
  const server = await launchPostgres(found);
  t.after(() => server.stop());
  return server;
}

/**
 * Starts a private PostgreSQL from the `postgres` binary at `binary` (with `initdb` beside
 * it). The caller stops it; a process exit stops it too.
 */
export async function launchPostgres(binary: string): Promise<PostgresServer> {
  // /usr/local/bin/postgres may be a link; initdb sits beside the real binary.
  const bin = dirname(realpathSync(binary));
  await sweepAbandoned();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' };
  let stopped = false;
  let server: Spawned | undefined;
  // Runs even when the test process exits without its after hooks (a crash, process.exit);
  // SIGKILL of this process is covered by the parent-death signal instead.
  const onExit = (): void => {
    if (server !== undefined && isRunning(server.child)) server.child.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', onExit);

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    if (server !== undefined && isRunning(server.child)) {
      // SIGINT is PostgreSQL's fast shutdown: SIGTERM ("smart") would wait for every
      // client, and a test that forgot to close its pool would hang here.
      server.child.kill('SIGINT');
      const timer = setTimeout(() => server?.child.kill('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  try {
    const init = await launcher(undefined);
    const start = await launcher('SIGINT');
    await mkdir(dataDir, { mode: 0o700 });
    if (init.owner !== undefined) {
      await chown(dir, init.owner.uid, init.owner.gid);
      await chown(dataDir, init.owner.uid, init.owner.gid);
    }
    const [initCommand = '', ...initArgs] = [
      ...init.prefix,
      join(bin, 'initdb'),
      '--pgdata',
      dataDir,
      '--username=postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      // No fsync of the new cluster: it lives as long as one test run.
      '--no-sync',
    ];
    const initdb = await run(initCommand, initArgs);
    if (!initdb.ok) throw new Error(`initdb failed: ${initdb.output.split('\n').slice(-5).join('\n')}`);

    // The port is free when chosen but another process can take it before postgres binds:
    // then try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      server = spawnLogged(
        [
          ...start.prefix,
          join(bin, 'postgres'),
          '-D',
          dataDir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${dir}`,
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=200',
          '-c',
          'lc_messages=C',
          '-c',
          'timezone=UTC',
          // Deadlock tests wait this long before PostgreSQL picks a victim (default 1 s).
          '-c',
          'deadlock_timeout=100ms',
          // Everything in the temp directory, nothing in /dev/shm that a SIGKILL would leave.
          '-c',
          'dynamic_shared_memory_type=mmap',
        ],
        env,
      );
      const ready = await waitForStart(server, port);
      if (ready === 'ready') {
        const launched = server;
        const admin = urlOf(port, 'postgres');
        const createDatabase = async (name = scratchName()): Promise<Scratch> => {
          await adminQuery(admin, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
          return {
            name,
            url: urlOf(port, name),
            drop: () =>
              adminQuery(admin, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
          };
        };
        const main = await createDatabase('sextant');
        const createSchema = async (name = scratchName()): Promise<Scratch> => {
          if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain schema name: ${name}`);
          await adminQuery(main.url, `CREATE SCHEMA ${name}`);
          return {
            name,
            // libpq's `options`: server settings for every session of this URL.
            url: `${main.url}?options=${encodeURIComponent(`-c search_path=${name}`)}`,
            drop: () => adminQuery(main.url, `DROP SCHEMA IF EXISTS ${name} CASCADE`),
          };
        };
        return { url: main.url, createDatabase, createSchema, log: () => launched.log(), stop };
      }
      if (ready === 'port taken' && attempt < 5) {
        await server.exited;
        continue;
      }
      throw new Error(`postgres did not start (${ready}): ${server.log().split('\n').slice(-10).join('\n')}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits for the server's "ready to accept connections", then checks a client gets in. */
async function waitForStart(
  server: Spawned,
  port: number,
): Promise<'ready' | 'port taken' | 'exited' | 'timed out'> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!isRunning(server.child)) {
      return /could not bind|Address already in use/i.test(server.log()) ? 'port taken' : 'exited';
    }
    if (server.log().includes('ready to accept connections')) {
      const probe = new pg.Client({ connectionString: urlOf(port, 'postgres') });
      try {
        await probe.connect();
        return 'ready';
      } catch {
        // Not yet: the log line and the listening socket are close but not simultaneous.
      } finally {
        await probe.end().catch(() => {});
      }
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
  server.child.kill('SIGKILL');
  return 'timed out';
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
