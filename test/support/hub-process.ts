/**
 * The hub for integration tests, in this process (`startTestHub`, plus small API helpers)
 * or as a real child process. `sextant hub` as a child process: its own temporary data
 * directory (and catalog, when given), started with `node src/cli/main.ts hub` on a
 * kernel-chosen loopback port with a bootstrap admin token, killed with SIGKILL or stopped
 * with SIGTERM, restarted on the same database. `sextant hub unit add` runs as a process
 * too, on the same database, and gives the token it prints (other commands go through `cli`).
 * Whatever a test does, every process it started is killed and the directory removed when
 * the test ends (`t.after`), also when it fails.
 */

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generateToken, type HubHandle, resolveHubConfig, startHub } from '../../src/hub/index.ts';
import { SYNC_PROTOCOL_VERSION } from '../../src/sync/index.ts';
import type { Logger } from '../../src/unit/index.ts';
import { type ProcessExit, type ServiceProcess, spawnService } from './service-process.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export type { ProcessExit } from './service-process.ts';
/** A hub process that is (or was) listening. */
export type HubProcess = ServiceProcess;

/** A data directory hub processes are started on, one after another. */
export interface HubFixture {
  dir: string;
  dataDir: string;
  /** `sextant-hub.db` in `dataDir` (docs/hub.md, "Storage"). */
  databasePath: string;
  /** The bootstrap admin token (`sxt_...`, admin of `*`) every start installs. */
  adminToken: string;
  /** Starts a hub process; gives how it exited and what it said when it ends before listening. */
  start(): Promise<{ ok: true; value: HubProcess } | { ok: false; exit: ProcessExit; stderr: string }>;
  /** Runs `sextant <args...>` to completion with this fixture's environment. */
  cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** `sextant hub unit add` on this database: registers a unit and gives its token. */
  addUnit(unit: { id: string; tenant: string; environment?: string }): Promise<string>;
}

export interface HubFixtureOptions {
  /** Catalog files by name, written to a catalog directory given with `--catalog`. */
  catalog?: Readonly<Record<string, string>>;
  /** Extra `sextant hub` flags. */
  args?: readonly string[];
}

/**
 * Creates the fixture's directory and registers the clean-up on `t`.
 * @example
 * const hub = await hubFixture(t, {});
 * const token = await hub.addUnit({ id: 'cell-1', tenant: 'acme' });
 * const started = await hub.start();
 */
export async function hubFixture(t: TestContext, options: HubFixtureOptions = {}): Promise<HubFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'sextant-hub-process-'));
  const dataDir = join(dir, 'data');
  const running = new Set<HubProcess>();
  t.after(async () => {
    await Promise.all([...running].map((hub) => hub.kill()));
    await rm(dir, { recursive: true, force: true });
  });
  await mkdir(dataDir);
  const adminToken = generateToken('api').token;
  // Only PATH, the admin token and Node's compile cache (which makes each start 2-3 times
  // faster): the caller's SEXTANT_* variables must not leak in.
  const env = {
    PATH: process.env['PATH'] ?? '',
    SEXTANT_HUB_ADMIN_TOKEN: adminToken,
    NODE_COMPILE_CACHE: join(tmpdir(), 'sextant-test-node-compile-cache'),
  };
  const base = ['--data-dir', dataDir];
  const runArgs = [MAIN, 'hub', ...base, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  if (options.catalog !== undefined) {
    const catalogDir = join(dir, 'catalog');
    await mkdir(catalogDir);
    for (const [name, text] of Object.entries(options.catalog)) await writeFile(join(catalogDir, name), text);
    runArgs.push('--catalog', catalogDir);
  }
  runArgs.push(...(options.args ?? []));
  const cli = (args: readonly string[]) => runNode([MAIN, ...args], env);
  return {
    dir,
    dataDir,
    databasePath: join(dataDir, 'sextant-hub.db'),
    adminToken,
    async start() {
      const started = await spawnHub(runArgs, env);
      if (started.ok) {
        running.add(started.value);
        void started.value.exited.then(() => running.delete(started.value));
      }
      return started;
    },
    cli,
    async addUnit(unit) {
      const result = await cli([
        'hub',
        'unit',
        'add',
        ...base,
        '--id',
        unit.id,
        '--tenant',
        unit.tenant,
        '--environment',
        unit.environment ?? 'production',
      ]);
      const token = result.stdout.trim();
      if (result.code !== 0 || !/^sxu_/.test(token)) {
        throw new Error(`sextant hub unit add ${unit.id} failed (${result.code}): ${result.stderr}`);
      }
      return token;
    },
  };
}

function runNode(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

async function spawnHub(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ ok: true; value: HubProcess } | { ok: false; exit: ProcessExit; stderr: string }> {
  const started = await spawnService(args, env);
  return started.ok ? started : { ok: false, ...started.failure };
}

// ---- the hub in this process ------------------------------------------------------------

/** A hub started in this process on a loopback port, restartable on the same database. */
export interface TestHub {
  /** The running hub; replaced by `restart()`. */
  readonly hub: HubHandle;
  readonly url: string;
  /** The bootstrap admin token (`sxt_...`, admin of `*`). */
  readonly adminToken: string;
  readonly dataDir: string;
  /**
   * Closes the hub (gracefully) and starts it again on the same database (a new port);
   * `whileStopped` runs in between (to copy or replace the database files).
   */
  restart(whileStopped?: () => Promise<void>): Promise<HubHandle>;
  close(): Promise<void>;
}

export interface TestHubOptions {
  /** The clock the hub reads (credential expiry, audit, push times); default `Date.now`. */
  now?: () => number;
  /** hub.yaml text merged under the flags (limits, retention, ...). */
  configText?: string;
  /** A catalog directory to distribute. */
  catalog?: string;
  /** A data directory to use (and keep); default a fresh temporary one, removed by `close()`. */
  dataDir?: string;
  log?: Logger;
}

/**
 * Starts a hub in this process with a fresh admin token and SQLite database, listening on
 * 127.0.0.1 at a free port, with its timers off. `close()` stops it and removes the
 * temporary directory it made; call it from the test's or suite's `after`.
 */
export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  let dataDir = options.dataDir;
  let ownDir: string | undefined;
  if (dataDir === undefined) {
    ownDir = await mkdtemp(join(tmpdir(), 'sextant-hub-'));
    dataDir = ownDir;
  }
  const adminToken = generateToken('api').token;
  const resolved = resolveHubConfig({
    ...(options.configText === undefined ? {} : { file: { path: 'hub.yaml', text: options.configText } }),
    flags: {
      'data-dir': dataDir,
      listen: '127.0.0.1:0',
      ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
    },
    env: { SEXTANT_HUB_ADMIN_TOKEN: adminToken },
  });
  if (!resolved.ok) throw new Error(`bad test hub config: ${JSON.stringify(resolved.issues)}`);
  const config = resolved.value;
  const hubOptions = {
    manual: true,
    log: options.log ?? (() => {}),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  const open = async (): Promise<HubHandle> => {
    const started = await startHub(config, hubOptions);
    if (!started.ok) throw new Error(`the test hub did not start: ${started.message}`);
    return started.value;
  };
  let hub = await open();
  let closed = false;
  const testHub: TestHub = {
    get hub() {
      return hub;
    },
    get url() {
      return hub.url;
    },
    adminToken,
    dataDir,
    async restart(whileStopped) {
      await hub.close();
      await whileStopped?.();
      hub = await open();
      return hub;
    },
    async close() {
      if (closed) return;
      closed = true;
      await hub.close();
      if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true });
    },
  };
  return testHub;
}

/** A JSON call to the hub API: status, parsed body (or text) and the raw text. */
export async function hubApi(
  url: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

/** Registers a unit through the admin API; gives its token and the token's credential id. */
export async function registerUnit(
  url: string,
  adminToken: string,
  unit: { id: string; tenant: string; environment?: string; expiresAt?: string },
): Promise<{ token: string; credentialId: string }> {
  const answer = await hubApi(url, adminToken, 'POST', '/api/v1/units', {
    id: unit.id,
    tenant: unit.tenant,
    environment: unit.environment ?? 'production',
    ...(unit.expiresAt === undefined ? {} : { expiresAt: unit.expiresAt }),
  });
  if (answer.status !== 201)
    throw new Error(`POST /api/v1/units ${unit.id}: ${answer.status} ${answer.text}`);
  const created = answer.json as { token: { token: string; id: string } };
  return { token: created.token.token, credentialId: created.token.id };
}

/** Issues an API token through the admin API (as `issuer`). */
export async function issueToken(
  url: string,
  issuer: string,
  request: { name: string; role: 'viewer' | 'responder' | 'admin'; tenants: string[]; expiresAt?: string },
): Promise<{ token: string; credentialId: string }> {
  const answer = await hubApi(url, issuer, 'POST', '/api/v1/tokens', request);
  if (answer.status !== 201)
    throw new Error(`POST /api/v1/tokens ${request.name}: ${answer.status} ${answer.text}`);
  const issued = answer.json as { token: string; id: string };
  return { token: issued.token, credentialId: issued.id };
}

/** The headers of a well-formed push with `token`. */
export function pushHeaders(
  token: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'sextant-sync-protocol': SYNC_PROTOCOL_VERSION,
    ...extra,
  };
}

/** An HTTP answer as the tests read it. */
export interface RawAnswer {
  status: number;
  json: unknown;
  text: string;
  headers: Headers;
}

/**
 * POSTs a push body (an object is sent as gzip JSON, or as JSON with `content-encoding:
 * identity`; bytes as they are; an iterable of chunks with chunked transfer encoding) to
 * `/api/v1/sync/push`, on a connection of its own: a hub that answers before reading a
 * whole body may close that connection, which must not fail the next request.
 */
export function postPush(url: string, body: unknown, headers: Record<string, string>): Promise<RawAnswer> {
  let chunks: Iterable<Uint8Array>;
  let length: number | undefined;
  if (isChunks(body)) chunks = body;
  else {
    const bytes =
      body instanceof Uint8Array
        ? body
        : headers['content-encoding'] === 'gzip'
          ? gzipSync(typeof body === 'string' ? body : JSON.stringify(body))
          : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    chunks = [bytes];
    length = bytes.length;
  }
  const target = new URL('/api/v1/sync/push', url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent: false,
        headers: { ...headers, ...(length === undefined ? {} : { 'content-length': String(length) }) },
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.once('error', reject);
        response.once('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: response.statusCode ?? 0, json, text, headers: answerHeaders });
        });
      },
    );
    // The hub may answer and close before the whole body is written; the answer counts.
    request.on('error', (error) => setTimeout(() => reject(error), 200));
    void (async () => {
      for (const chunk of chunks) {
        if (request.destroyed) return;
        if (!request.write(chunk)) await new Promise((done) => request.once('drain', done));
      }
      request.end();
    })();
  });
}

function isChunks(body: unknown): body is Iterable<Uint8Array> {
  return (
    typeof body === 'object' &&
    body !== null &&
    !(body instanceof Uint8Array) &&
    !Array.isArray(body) &&
    Symbol.iterator in body
  );
}
