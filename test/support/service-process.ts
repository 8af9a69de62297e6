/**
 * A long-running `sextant` command (`unit`, `hub`) as a real child process: started with
 * `node src/cli/main.ts ...`, ready once it prints "listening on URL", killed with SIGKILL
 * or stopped with SIGTERM (SIGKILL after 15 s). `unit-process.ts` and `hub-process.ts`
 * build their fixtures on it.
 */

import { spawn } from 'node:child_process';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
/** The line `sextant unit` and `sextant hub` print once they accept requests. */
const LISTENING = /listening on (http:\/\/\S+)/;

/** How a process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service process that is (or was) listening. */
export interface ServiceProcess {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  pid: number;
  /** Milliseconds from spawn to the "listening on" line (Node start-up included). */
  startMs: number;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  /** Resolves once the process has exited. */
  exited: Promise<ProcessExit>;
  /** SIGKILL: the process gets no chance to finish anything; resolves once it is gone. */
  kill(): Promise<ProcessExit>;
  /** SIGTERM (graceful stop); SIGKILL if still running after 15 s. */
  stop(): Promise<ProcessExit>;
}

/** A process that exited before it listened, with what it printed. */
export interface StartFailure {
  exit: ProcessExit;
  stderr: string;
}

/** Spawns `node args...` with exactly `env`; resolves once it listens, or with how it ended. */
export function spawnService(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ ok: true; value: ServiceProcess } | { ok: false; failure: StartFailure }> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  const stop = async (): Promise<ProcessExit> => {
    signal('SIGTERM');
    const killer = setTimeout(() => signal('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(killer);
    }
  };
  return new Promise((resolve) => {
    let settled = false;
    const timer = setTimeout(() => {
      signal('SIGKILL');
      void exited.then((exit) =>
        settle({ ok: false, failure: { exit, stderr: `${stderr}\n(start timed out)` } }),
      );
    }, START_TIMEOUT_MS);
    const settle = (
      outcome: { ok: true; value: ServiceProcess } | { ok: false; failure: StartFailure },
    ): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = LISTENING.exec(stderr);
      if (match && !settled) {
        settle({
          ok: true,
          value: {
            url: match[1]!,
            pid: child.pid!,
            startMs: performance.now() - spawnedAt,
            stderr: () => stderr,
            exited,
            kill: () => {
              signal('SIGKILL');
              return exited;
            },
            stop,
          },
        });
      }
    });
    child.once('error', (error) => {
      stderr += `\n${error.message}`;
    });
    void exited.then((exit) => settle({ ok: false, failure: { exit, stderr } }));
  });
}
