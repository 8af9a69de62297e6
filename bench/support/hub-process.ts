/**
 * `sextant hub` as a separate process for `npm run bench -- hub`, so that its CPU time and
 * memory can be read from /proc without the load generator's: a generated `hub.yaml` and
 * catalog in a temporary directory, a bootstrap admin token in the environment, a
 * kernel-chosen loopback port. Also its optional CPU profile over the measured window
 * only, taken through the inspector protocol (`--inspect` on a random port, then
 * `Profiler.start`/`Profiler.stop` over a WebSocket), so that start-up and history
 * preloading do not dilute it.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceFile } from '../../src/catalog/index.ts';
import { cpuSeconds } from './ingest-targets.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const LISTENING = /listening on (http:\/\/\S+)/;
const INSPECTOR = /Debugger listening on (ws:\/\/\S+)/;

/** A running hub. */
export interface HubProcess {
  baseUrl: string;
  pid: number;
  adminToken: string;
  /** utime + stime of the hub process (all its threads), seconds. */
  cpuSeconds(): number;
  /** VmHWM and VmRSS now, MB. */
  memory(): { peakMb: number; residentMb: number };
  /** The process's I/O counters so far (`/proc/PID/io`): bytes through read/write calls, bytes that reached the disk. */
  io(): ProcessIo;
  /** Resets VmHWM to the current RSS (Linux `clear_refs` 5), so a later peak covers only what follows. */
  resetPeak(): boolean;
  /** Why it exited, if it did. */
  exited(): string | undefined;
  logTail(): string;
  /** Starts the CPU profiler (only when started with `inspect`). */
  startProfile(): Promise<void>;
  /** Stops it and writes the `.cpuprofile` to `path`. */
  stopProfile(path: string): Promise<void>;
  stop(): Promise<void>;
}

/** `/proc/PID/io` counters. */
export interface ProcessIo {
  readChars: number;
  writtenChars: number;
  readCalls: number;
  writeCalls: number;
  /** Bytes the process caused to be read from and written to storage. */
  readBytes: number;
  writtenBytes: number;
}

/** Reads `/proc/PID/io` (zeros where unavailable). */
export function processIo(pid: number): ProcessIo {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch {
    // Not Linux, or the process is gone.
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    readChars: field('rchar'),
    writtenChars: field('wchar'),
    readCalls: field('syscr'),
    writeCalls: field('syscw'),
    readBytes: field('read_bytes'),
    writtenBytes: field('write_bytes'),
  };
}

/** Writes the catalog and `hub.yaml` into `dir` and starts the hub on them. */
export async function startHub(options: {
  dir: string;
  catalog: readonly SourceFile[];
  /** `undefined`: SQLite in the data directory; else a `postgres://` URL. */
  database: string | undefined;
  /** Extra lines of `hub.yaml` (already indented at top level). */
  extraConfig?: string;
  inspect?: boolean;
  nodeFlags?: readonly string[];
}): Promise<HubProcess> {
  const catalogDir = join(options.dir, 'catalog');
  for (const file of options.catalog) {
    const path = join(catalogDir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
  }
  const dataDir = join(options.dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const configPath = join(options.dir, 'hub.yaml');
  const database = options.database === undefined ? '' : `database: '${options.database}'\n`;
  await writeFile(
    configPath,
    `listen: 127.0.0.1:0\ndataDir: ${dataDir}\n${database}catalog: ${catalogDir}\nlogLevel: warn\n${options.extraConfig ?? ''}`,
  );
  const adminToken = `sxt_${randomBytes(32).toString('base64url')}`;
  const inspect = options.inspect ? ['--inspect=127.0.0.1:0'] : [];
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), ...inspect, MAIN, 'hub', '--config', configPath],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SEXTANT_HUB_ADMIN_TOKEN: adminToken },
    },
  );
  let log = '';
  const keep = (chunk: string) => {
    log = (log + chunk).slice(-200_000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  let exit: string | undefined;
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = `exit ${signal ?? code}`;
      resolve();
    });
    child.once('error', (error) => {
      exit = error.message;
      resolve();
    });
  });
  const tail = () => log.slice(-3000);
  const deadline = Date.now() + 60_000;
  let baseUrl: string | undefined;
  for (;;) {
    if (exit !== undefined) throw new Error(`the hub exited during start-up (${exit}): ${tail()}`);
    baseUrl ??= LISTENING.exec(log)?.[1];
    if (baseUrl !== undefined) {
      const ok = await fetch(`${baseUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the hub did not listen within 60 s: ${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid!;
  let inspector: Inspector | undefined;
  return {
    baseUrl,
    pid,
    adminToken,
    cpuSeconds: () => cpuSeconds(pid),
    memory: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const mb = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) / 1024;
      return { peakMb: mb('VmHWM'), residentMb: mb('VmRSS') };
    },
    io: () => processIo(pid),
    resetPeak: () => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    exited: () => (exit === undefined ? undefined : `${exit}: ${tail()}`),
    logTail: tail,
    startProfile: async () => {
      const url = INSPECTOR.exec(log)?.[1];
      if (url === undefined) throw new Error('the hub was not started with the inspector');
      inspector = await Inspector.connect(url);
      await inspector.call('Profiler.enable');
      await inspector.call('Profiler.setSamplingInterval', { interval: 1000 });
      await inspector.call('Profiler.start');
    },
    stopProfile: async (path) => {
      if (inspector === undefined) throw new Error('no profile was started');
      const { profile } = (await inspector.call('Profiler.stop')) as { profile: unknown };
      writeFileSync(path, JSON.stringify(profile));
      inspector.close();
      inspector = undefined;
    },
    stop: async () => {
      inspector?.close();
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** A minimal Chrome DevTools protocol client over Node's built-in WebSocket. */
class Inspector {
  readonly #socket: WebSocket;
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      if (message.id === undefined) return;
      const waiter = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    });
  }

  static connect(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.addEventListener('open', () => resolve(new Inspector(socket)), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), {
        once: true,
      });
    });
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.#socket.close();
  }
}
