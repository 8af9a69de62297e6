/**
 * A real Prometheus as a test and benchmark peer: backfill OpenMetrics files with
 * `promtool`, start a private server on a free loopback port over that TSDB, ask it
 * instant queries through its HTTP API, stop it. Nothing here touches a system service.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';

/** Debian's package providing both `prometheus` and `promtool` (2.42 on bookworm). */
export const PROMETHEUS_PEER = Object.freeze({ binary: 'prometheus', debianPackage: 'prometheus' });

/** A port nobody listens on right now (the kernel's pick on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Label values escaped as the OpenMetrics text format requires (backslash, quote, newline). */
function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** `name{a="x",b="y"}`: the series part of an exposition line, in the given label order. */
export function seriesText(name: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/**
 * One OpenMetrics sample line. Timestamps are seconds (OpenMetrics), written with
 * millisecond precision because that is what the TSDB keeps.
 */
export function sampleLine(series: string, value: number, timestampMs: number): string {
  return `${series} ${value} ${(timestampMs / 1000).toFixed(3)}\n`;
}

/** Runs a command to completion; rejects with its stderr when it exits non-zero. */
function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

/** Options for `backfillOpenMetrics`. */
export interface BackfillOptions {
  /** Largest block promtool may write, e.g. '24h'; it picks the largest compatible range (2h·3^k). */
  maxBlockDuration?: string;
  /** promtool processes run at once. Default 2. */
  concurrency?: number;
  promtool?: string;
}

/**
 * Turns OpenMetrics files (each ending in `# EOF`) into TSDB blocks under `dataDir` with
 * `promtool tsdb create-blocks-from openmetrics`. promtool 2.42 re-reads its whole input
 * once per output block, so callers should keep each file to about one block's span
 * (a day or less); the files are independent and converted in parallel.
 * @returns the number of blocks in `dataDir` afterwards.
 */
export async function backfillOpenMetrics(
  files: readonly string[],
  dataDir: string,
  options: BackfillOptions = {},
): Promise<number> {
  mkdirSync(dataDir, { recursive: true });
  const promtool = options.promtool ?? 'promtool';
  const extra =
    options.maxBlockDuration === undefined ? [] : [`--max-block-duration=${options.maxBlockDuration}`];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', ...extra, file, dataDir]);
    }
  };
  const workers = Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker);
  await Promise.all(workers);
  return readdirSync(dataDir).filter((name) => /^[0-9A-Z]{26}$/.test(name)).length;
}

/** One element of an instant vector. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

/** An instant query's answer and, when asked for, how many samples Prometheus loaded. */
export interface InstantQueryResult {
  vector: VectorSample[];
  /** `stats=all` → `data.stats.samples.totalQueryableSamples`; null otherwise. */
  queryableSamples: number | null;
}

const apiResponse = z.object({
  status: z.string(),
  error: z.string().optional(),
  data: z
    .object({
      resultType: z.string(),
      result: z.array(
        z.object({
          metric: z.record(z.string(), z.string()),
          value: z.tuple([z.number(), z.string()]),
        }),
      ),
      stats: z.object({ samples: z.object({ totalQueryableSamples: z.number() }).optional() }).optional(),
    })
    .optional(),
});

/** A running private Prometheus. */
export interface PrometheusServer {
  baseUrl: string;
  pid: number;
  /**
   * `GET /api/v1/query` at `atMs` (sent as seconds). Throws on any non-success answer:
   * the callers are tests and benchmarks, where a failed query is a failed run.
   */
  query(expr: string, atMs: number, options?: { stats?: boolean }): Promise<InstantQueryResult>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Options for `startPrometheus`. */
export interface StartPrometheusOptions {
  /** The TSDB directory: backfilled blocks must be there before start. */
  dataDir: string;
  /** Where the config file and log go. Default: `dataDir`. */
  workDir?: string;
  binary?: string;
  /** Raise `--query.max-samples` (default 50 M) for long windows over many series. */
  maxSamples?: number;
  readyTimeoutMs?: number;
}

const READY_POLL_MS = 100;

/**
 * Starts `prometheus` on 127.0.0.1 over `dataDir` with no scrape targets, and waits for
 * `/-/ready`. Retention is ten years (it is measured from the newest block, so backfilled
 * history stays), and compaction is switched off by pinning the block range to 2h, so
 * no background work runs while a test or benchmark queries it.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const workDir = options.workDir ?? options.dataDir;
  mkdirSync(workDir, { recursive: true });
  const configFile = join(workDir, 'prometheus.yml');
  writeFileSync(configFile, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
  const port = await freePort();
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${options.dataDir}`,
    '--storage.tsdb.retention.time=10y',
    '--storage.tsdb.min-block-duration=2h',
    '--storage.tsdb.max-block-duration=2h',
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    `--query.max-samples=${options.maxSamples ?? 50_000_000}`,
    '--query.timeout=10m',
  ];
  const child = spawn(options.binary ?? 'prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-4000);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = () => stopChild(child, exited);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited during start-up: ${spawnError?.message ?? log}`);
    }
    const ready = await fetch(`${baseUrl}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after ${options.readyTimeoutMs ?? 60_000} ms: ${log}`);
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  return {
    baseUrl,
    pid: child.pid ?? -1,
    stop,
    async query(expr, atMs, queryOptions = {}) {
      const body = new URLSearchParams({ query: expr, time: (atMs / 1000).toFixed(3) });
      if (queryOptions.stats === true) body.set('stats', 'all');
      const response = await fetch(`${baseUrl}/api/v1/query`, { method: 'POST', body });
      const parsed = apiResponse.safeParse(await response.json());
      if (!parsed.success) throw new Error(`unexpected answer to ${expr}: ${parsed.error.message}`);
      const answer = parsed.data;
      if (answer.status !== 'success' || answer.data === undefined) {
        throw new Error(`query ${expr} failed: ${answer.error ?? response.status}`);
      }
      if (answer.data.resultType !== 'vector') {
        throw new Error(`query ${expr} gave a ${answer.data.resultType}, not a vector`);
      }
      return {
        vector: answer.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) })),
        queryableSamples: answer.data.stats?.samples?.totalQueryableSamples ?? null,
      };
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The values of one vector by the value of one label (`''` when the label is absent). */
export function byLabel(vector: readonly VectorSample[], label: string): Map<string, number> {
  return new Map(vector.map((s) => [s.metric[label] ?? '', s.value]));
}
