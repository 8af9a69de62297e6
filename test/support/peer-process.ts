/**
 * Real peer programs (Prometheus, Alertmanager, ...) as child processes for integration
 * tests: started on loopback, their stderr tail kept for failure messages, stopped with
 * SIGTERM (then SIGKILL), and waited for until `/-/ready` answers.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './prometheus.ts';

/** Debian's Alertmanager, for `requirePeer`. */
export const ALERTMANAGER_PEER = Object.freeze({
  binary: 'prometheus-alertmanager',
  debianPackage: 'prometheus-alertmanager',
});

/** A running peer. */
export interface Peer {
  child: ChildProcess;
  /** The tail of its stderr, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Polls `probe` every 250 ms until it gives a value; throws after `deadlineMs` (epoch). */
export async function until<T>(
  what: string,
  deadlineMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts a peer program, keeps the tail of its stderr, and stops it with SIGTERM (then SIGKILL). */
export function spawnPeer(binary: string, args: readonly string[]): Peer {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    child,
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits for a peer's `/-/ready`; fails at once if the peer exits. */
export async function waitReady(peer: Peer, baseUrl: string, name: string): Promise<void> {
  await until(`${name} to be ready`, Date.now() + 30_000, async () => {
    if (peer.child.exitCode !== null || peer.child.signalCode !== null) {
      throw new Error(`${name} exited during start-up: ${peer.log()}`);
    }
    const ready = await fetch(`${baseUrl}/-/ready`).then(
      async (r) => {
        await r.body?.cancel();
        return r.ok;
      },
      () => false,
    );
    return ready ? true : undefined;
  });
}

/**
 * A ready Alertmanager on a free loopback port with clustering off, routing every alert
 * to `webhookUrl` at once (group_wait 200ms), resolutions included. The caller stops it.
 */
export async function startAlertmanager(
  binary: string,
  dir: string,
  webhookUrl: string,
): Promise<{ baseUrl: string; peer: Peer }> {
  const port = await freePort();
  const config = join(dir, 'alertmanager.yml');
  await writeFile(
    config,
    [
      'route:',
      '  receiver: hook',
      "  group_by: ['alertname', 'sextant_slo']",
      '  group_wait: 200ms',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: hook',
      '    webhook_configs:',
      `      - url: ${webhookUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const peer = spawnPeer(binary, [
    `--config.file=${config}`,
    `--storage.path=${join(dir, 'alertmanager-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(peer, baseUrl, 'alertmanager');
  } catch (error) {
    await peer.stop();
    throw error;
  }
  return { baseUrl, peer };
}
