/**
 * Runs one exported function in a child process with a deadline and a heap limit, so a
 * test can assert that code stays bounded: a hang becomes `timed-out` and a memory
 * blow-up `out-of-memory` instead of a stuck or crashed test run. A process rather than
 * a worker thread, because a single huge allocation in a worker can still abort the
 * whole process.
 */

import { fork } from 'node:child_process';

/** How an isolated call ended. `ms` is the call alone, without process start-up and imports. */
export type IsolatedOutcome<T> =
  | { status: 'returned'; value: T; ms: number; maxRssMb: number }
  | { status: 'threw'; error: { name: string; message: string }; ms: number; maxRssMb: number }
  | { status: 'timed-out'; ms: number }
  | { status: 'out-of-memory'; ms: number };

export interface IsolateOptions {
  /** Deadline for the call, counted once the module is imported. */
  timeoutMs: number;
  /** V8 heap limit of the child, far below the machine's memory. Default 256. */
  maxHeapMb?: number;
}

/** Messages from `isolate-child.ts`. */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'returned'; value: unknown; ms: number; maxRssMb: number }
  | { type: 'threw'; error: { name: string; message: string }; ms: number; maxRssMb: number };

const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Calls `exportName` of `module` with `args` in a fresh Node process; arguments and the
 * result travel by structured clone.
 * @example await runIsolated(new URL('./catalog-invariants.ts', import.meta.url), 'buildAndCheck', [files], { timeoutMs: 2000 })
 */
export function runIsolated<T>(
  module: URL,
  exportName: string,
  args: readonly unknown[],
  options: IsolateOptions,
): Promise<IsolatedOutcome<T>> {
  const child = fork(new URL('./isolate-child.ts', import.meta.url), [], {
    // Only the heap limit: the parent's flags may belong to the test runner.
    execArgv: [`--max-old-space-size=${options.maxHeapMb ?? 256}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  return new Promise((resolve, reject) => {
    let startedAt = performance.now();
    let settled = false;
    let timer: NodeJS.Timeout;
    const finish = (outcome: IsolatedOutcome<T> | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    timer = setTimeout(
      () => finish(new Error(`child did not import ${module.href} within ${STARTUP_TIMEOUT_MS} ms`)),
      STARTUP_TIMEOUT_MS,
    );
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        startedAt = performance.now();
        timer = setTimeout(
          () => finish({ status: 'timed-out', ms: performance.now() - startedAt }),
          options.timeoutMs,
        );
      } else if (message.type === 'returned') {
        finish({ status: 'returned', value: message.value as T, ms: message.ms, maxRssMb: message.maxRssMb });
      } else {
        finish({ status: 'threw', error: message.error, ms: message.ms, maxRssMb: message.maxRssMb });
      }
    });
    child.on('error', (error) => finish(error));
    // 'close' comes after the streams end, so V8's dying words about memory are in stderr.
    child.on('close', (code, signal) => {
      if (/heap out of memory|Allocation failed/.test(stderr))
        finish({ status: 'out-of-memory', ms: performance.now() - startedAt });
      else
        finish(new Error(`child exited (${signal ?? code}) before answering: ${stderr.trim().slice(-500)}`));
    });
    child.send({ module: module.href, exportName, args });
  });
}
