/**
 * The Prometheus side of `npm run bench -- slo`: the benchmark's SLI counts as real
 * counters in a Prometheus TSDB (backfilled once with promtool and cached), and the SLO
 * questions asked of it in PromQL.
 *
 * Each SLI becomes two counters, `sextant_bench_requests_total{sli, code="200"}` (good)
 * and `{code="500"}` (bad), sampled once a minute on the minute: exactly the information
 * Sextant stores, and Prometheus's best case (a 15 s scrape would give it 4× the samples
 * to read for the same answer). With samples on every window edge `increase()` does not
 * extrapolate, so both sides must give the same numbers (see
 * test/integration/prometheus-equivalence.test.ts for what happens otherwise).
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  backfillOpenMetrics,
  type InstantQueryResult,
  type PrometheusServer,
  startPrometheus,
} from '../test/support/prometheus.ts';

export type { PrometheusServer } from '../test/support/prometheus.ts';

export const PROM_METRIC = 'sextant_bench_requests_total';

/** promtool block range: what a Prometheus with >= 28 d retention compacts to (10 % of retention, on the 2h·3^k ladder). */
const BLOCK_MS = 54 * 3600_000;

/** Per-minute counts of one SLI over `[0, minutes)` minutes after the dataset start. */
export type SeriesGenerator = (index: number, good: Float64Array, total: Float64Array) => void;

/** What building (or finding) the cached TSDB cost. */
export interface PrometheusDataset {
  /** The cached blocks; copy them before starting a server on them. */
  blocksDir: string;
  fromCache: boolean;
  /** Writing OpenMetrics text, then promtool, when built in this run (else as recorded when built). */
  writeMs: number;
  backfillMs: number;
  blocks: number;
  bytes: number;
  /** Samples stored: 2 counters × (minutes + 1) per SLI. */
  samples: number;
}

/** Recursive size of a directory in bytes. */
export function directoryBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return bytes;
}

/**
 * Returns the TSDB for SLIs `[0, slis)` of the dataset, from `cacheDir` or built there:
 * OpenMetrics text files, one per 54h block range (promtool 2.42 re-reads an input file
 * once per block it spans, so one file per block keeps that to one extra read), turned
 * into blocks by promtool two at a time.
 */
export async function ensurePrometheusDataset(options: {
  cacheDir: string;
  slis: number;
  startMs: number;
  minutes: number;
  generate: SeriesGenerator;
  log: (line: string) => void;
}): Promise<PrometheusDataset> {
  const { cacheDir, slis, startMs, minutes } = options;
  const blocksDir = join(cacheDir, 'blocks');
  const metaFile = join(cacheDir, 'dataset.json');
  const samples = 2 * slis * (minutes + 1);
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { writeMs: number; backfillMs: number };
    return {
      blocksDir,
      fromCache: true,
      writeMs: meta.writeMs,
      backfillMs: meta.backfillMs,
      blocks: readdirSync(blocksDir).length,
      bytes: directoryBytes(blocksDir),
      samples,
    };
  }
  rmSync(cacheDir, { recursive: true, force: true });
  const textDir = join(cacheDir, 'openmetrics');
  mkdirSync(textDir, { recursive: true });
  options.log(`prometheus: writing OpenMetrics for ${slis} SLIs × ${minutes + 1} samples × 2 counters`);
  const writeStarted = performance.now();
  const endMs = startMs + minutes * 60_000;
  const firstBlock = Math.floor(startMs / BLOCK_MS);
  const lastBlock = Math.floor(endMs / BLOCK_MS);
  const files: string[] = [];
  const fds: number[] = [];
  for (let b = firstBlock; b <= lastBlock; b++) {
    const file = join(textDir, `block-${b}.om.txt`);
    files.push(file);
    const fd = openSync(file, 'w');
    writeSync(
      fd,
      `# HELP ${PROM_METRIC.replace(/_total$/, '')} Requests.\n# TYPE ${PROM_METRIC.replace(/_total$/, '')} counter\n`,
    );
    fds.push(fd);
  }
  const good = new Float64Array(minutes);
  const total = new Float64Array(minutes);
  for (let i = 0; i < slis; i++) {
    good.fill(0);
    total.fill(0);
    options.generate(i, good, total);
    const sli = sliName(i);
    for (const [code, isBad] of [
      ['200', false],
      ['500', true],
    ] as const) {
      const prefix = `${PROM_METRIC}{sli="${sli}",code="${code}"} `;
      let value = 0;
      let block = firstBlock;
      let chunk = '';
      for (let k = 0; k <= minutes; k++) {
        const t = startMs + k * 60_000;
        const b = Math.floor(t / BLOCK_MS);
        if (b !== block) {
          writeSync(fds[block - firstBlock]!, chunk);
          chunk = '';
          block = b;
        }
        // OpenMetrics timestamps are seconds; these are whole seconds.
        chunk += prefix + value + ' ' + t / 1000 + '\n';
        if (k < minutes) value += isBad ? total[k]! - good[k]! : good[k]!;
      }
      writeSync(fds[block - firstBlock]!, chunk);
    }
  }
  for (const fd of fds) {
    writeSync(fd, '# EOF\n');
    closeSync(fd);
  }
  const writeMs = performance.now() - writeStarted;
  options.log(`prometheus: promtool backfill of ${files.length} block files`);
  const backfillStarted = performance.now();
  const staging = join(cacheDir, 'staging');
  const blocks = await backfillOpenMetrics(files, staging, { maxBlockDuration: '54h', concurrency: 2 });
  const backfillMs = performance.now() - backfillStarted;
  renameSync(staging, blocksDir);
  rmSync(textDir, { recursive: true, force: true });
  writeFileSync(metaFile, JSON.stringify({ slis, startMs, minutes, writeMs, backfillMs, blocks }));
  return {
    blocksDir,
    fromCache: false,
    writeMs,
    backfillMs,
    blocks,
    bytes: directoryBytes(blocksDir),
    samples,
  };
}

/** The SLI label value of series `index` (also Sextant's SLI id suffix). */
export function sliName(index: number): string {
  return `sli-${String(index).padStart(5, '0')}`;
}

/** Evicts files from the page cache (`dd iflag=nocache`: posix_fadvise DONTNEED); false when it cannot. */
export function dropFileCache(paths: readonly string[]): boolean {
  try {
    for (const path of paths) {
      if (!existsSync(path)) continue;
      if (statSync(path).isDirectory()) {
        const ok = dropFileCache(readdirSync(path).map((name) => join(path, name)));
        if (!ok) return false;
        continue;
      }
      // Dirty pages cannot be dropped: write them back first.
      const fd = openSync(path, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: 'ignore' });
    }
    return true;
  } catch {
    return false;
  }
}

/** The chunk and index files of every block under `dataDir` (not the WAL Prometheus writes). */
function blockFiles(dataDir: string): string[] {
  const files: string[] = [];
  for (const block of readdirSync(dataDir)) {
    if (!/^[0-9A-Z]{26}$/.test(block)) continue;
    files.push(join(dataDir, block, 'index'), join(dataDir, block, 'chunks'));
  }
  return files;
}

/** A private Prometheus over a fresh copy of the cached blocks. */
export interface PrometheusPeer {
  server: PrometheusServer;
  dataDir: string;
  startMs: number;
  /** Whether the block files could be evicted from the page cache after start. */
  evicted: boolean;
  stop(): Promise<void>;
}

export async function startPrometheusPeer(
  dataset: PrometheusDataset,
  workDir: string,
  options: { evictAfterStart: boolean },
): Promise<PrometheusPeer> {
  rmSync(workDir, { recursive: true, force: true });
  const dataDir = join(workDir, 'tsdb');
  // A copy: Prometheus writes its WAL and lock next to the blocks; the cache stays pristine.
  cpSync(dataset.blocksDir, dataDir, { recursive: true });
  dropFileCache([dataDir]);
  const started = performance.now();
  const server = await startPrometheus({
    dataDir,
    workDir,
    // Every sample of the longest window of every series, with room to spare.
    maxSamples: Math.max(50_000_000, 2 * dataset.samples),
  });
  const startMs = performance.now() - started;
  // Opening the blocks pulls every file into the page cache: evict them again, so the
  // first query reads from disk like Sextant's cold run does.
  const evicted = options.evictAfterStart && dropFileCache(blockFiles(dataDir));
  return {
    server,
    dataDir,
    startMs,
    evicted,
    async stop() {
      await server.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** One PromQL window of the status, `[range]` at the evaluation instant. */
export interface PromWindow {
  minutes: number;
  range: string;
}

/** Per SLI and window: PromQL's `increase()` of the bad and of all requests. */
export interface PromAnswers {
  /** `sli -> [bad, total]` per window, in `windows` order. */
  windows: Map<string, [number, number]>[];
  /** `sli -> total` over `[at - 90m, at - 60m)` (traffic-cessation baseline). */
  baseline: Map<string, number>;
  /** Samples Prometheus loaded for all queries (`stats=all`). */
  queryableSamples: number;
}

/**
 * Asks every question of the SLO status for all SLIs at once: per window one
 * `sum by (sli, code) (increase(x[w]))`, which reads each counter once and gives both bad
 * (code 500) and total (their sum), plus the cessation baseline (`[30m] offset 1h`).
 * Batched `sum by` is Prometheus's best shot: one selector per window instead of one
 * query per SLO per window, and no sample read twice (separate bad and total queries
 * would read the bad counters twice). `concurrent` sends all queries at once (Prometheus
 * runs up to 20 in parallel); otherwise one by one.
 */
export async function askStatus(
  server: PrometheusServer,
  atMs: number,
  windows: readonly PromWindow[],
  concurrent: boolean,
): Promise<PromAnswers> {
  const expressions = windows.map((w) => `sum by (sli, code) (increase(${PROM_METRIC}[${w.range}]))`);
  expressions.push(`sum by (sli) (increase(${PROM_METRIC}[30m] offset 1h))`);
  const ask = (expr: string) => server.query(expr, atMs, { stats: true });
  const results: InstantQueryResult[] = [];
  if (concurrent) results.push(...(await Promise.all(expressions.map(ask))));
  else for (const expr of expressions) results.push(await ask(expr));
  const out: PromAnswers = {
    windows: [],
    baseline: new Map(results.at(-1)!.vector.map((s) => [s.metric['sli'] ?? '', s.value])),
    queryableSamples: 0,
  };
  for (let w = 0; w < windows.length; w++) {
    const map = new Map<string, [number, number]>();
    for (const sample of results[w]!.vector) {
      const sli = sample.metric['sli'] ?? '';
      const counts = map.get(sli) ?? [0, 0];
      if (sample.metric['code']?.startsWith('5')) counts[0] += sample.value;
      counts[1] += sample.value;
      map.set(sli, counts);
    }
    out.windows.push(map);
  }
  for (const r of results) out.queryableSamples += r.queryableSamples ?? 0;
  return out;
}

/**
 * The error ratio per SLI and window exactly as an SLO rule would write it in PromQL,
 * `sum by (sli) (increase(x{code=~"5.."}[w])) / sum by (sli) (increase(x[w]))`: a ratio of
 * window sums, not a mean of 5-minute ratios. NaN where a window has no traffic (0/0).
 */
export async function askRatios(
  server: PrometheusServer,
  atMs: number,
  windows: readonly PromWindow[],
): Promise<Map<string, number>[]> {
  const out: Map<string, number>[] = [];
  for (const w of windows) {
    const bad = `sum by (sli) (increase(${PROM_METRIC}{code=~"5.."}[${w.range}]))`;
    const total = `sum by (sli) (increase(${PROM_METRIC}[${w.range}]))`;
    const result = await server.query(`${bad} / ${total}`, atMs);
    out.push(new Map(result.vector.map((s) => [s.metric['sli'] ?? '', s.value])));
  }
  return out;
}

/** `read_bytes` and `rchar` of a process (Linux `/proc/PID/io`); null where unreadable. */
export function processIo(pid: number | 'self'): { readBytes: number; rchar: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { readBytes: field('read_bytes'), rchar: field('rchar') };
  } catch {
    return null;
  }
}

/** Peak resident set of a process (`VmHWM`), in bytes; null where unreadable. */
export function peakRssBytes(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
