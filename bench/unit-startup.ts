/**
 * `npm run bench -- unit-startup [--series N] [--days D] [--runs R] [--json]`: how long
 * `sextant unit` takes to answer `/readyz` (the first evaluation of every SLO done) on an
 * empty data directory and on a full one, and its resident memory then.
 *
 * - Full data directory (built once, cached under --cache): the unit's own database with
 *   N SLI series (default 10,000: 250 services × availability and latency SLIs × 20
 *   routes) × D days (default 35, the default minute retention) of per-minute counts from
 *   the generator of `npm run bench -- slo`, plus the ingest cursors of the raw series
 *   that feed them (4 request counters per availability series, 3 histogram buckets per
 *   latency series), made through the unit's own ingest path.
 * - Each run starts the `sextant` bin as deployed on a fresh copy of that directory:
 *   cold (the copy evicted from the page cache first: a host that just booted) and warm (a
 *   restart). Its minute retention is set to the data's age, so the start does the
 *   retention work of a unit that kept running, not of one that was down for the days
 *   since the cache was built; the data ends when the cache was built.
 * - Measured from spawn: the "listening" line, `/readyz` answering 200 (polled every
 *   10 ms), peak RSS until then (VmHWM), and the first evaluation's own duration
 *   (`sextant_unit_evaluation_duration_seconds`).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { constants, existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalog, type Catalog, formatIssue, type SourceFile } from '../src/catalog/index.ts';
import { compileIngestPlan } from '../src/ingest/index.ts';
import { type DenseWrite, openSqliteCountStore } from '../src/store/index.ts';
import {
  type BenchFlag,
  type BenchOptions,
  type BenchResult,
  environment,
  type Figure,
  figure,
  finishEnvironment,
  formatNumber,
} from './harness.ts';
import { dropFileCache } from './prometheus-peer.ts';
import { fillSeries } from './slo.ts';
import { cpuSeconds, metricSum } from './support/ingest-targets.ts';

export const description =
  'sextant unit start-up to /readyz on an empty and on a full data directory (10,000 SLI series × 35 days), cold and warm page cache; time and peak RSS';

export const options = {
  series: { type: 'string', default: '10000', description: 'SLI series in the store (a multiple of 40)' },
  days: { type: 'string', default: '35', description: 'days of per-minute counts' },
  cache: {
    type: 'string',
    default: join(tmpdir(), 'sextant-bench-cache'),
    description: 'where the full data directory is built once and kept',
  },
  rebuild: { type: 'boolean', description: 'regenerate the cached data directory' },
} as const satisfies Record<string, BenchFlag>;

const BIN = fileURLToPath(new URL('../bin/sextant.js', import.meta.url));
const DB_FILE = 'sextant-unit.db';
/** Bump when the dataset's shape changes, so an old cache is rebuilt. */
const DATASET_VERSION = 1;
const ROUTES = 20;
const READY_TIMEOUT_MS = 300_000;

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function positiveInteger(value: string | boolean | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new Error(`--${flag} must be a positive integer`);
  return number;
}

const serviceName = (i: number) => `svc-${String(i).padStart(4, '0')}`;
const routeName = (r: number) => `/api/v1/resource-${String(r).padStart(2, '0')}`;

/** One team and `services` services, each with an availability and a latency SLO by route. */
function catalogFiles(services: number): SourceFile[] {
  const files: SourceFile[] = [
    {
      path: 'teams.yaml',
      text: `apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: platform
spec:
  onCall: {email: platform-oncall@example.com}
`,
    },
  ];
  for (let i = 0; i < services; i++) {
    const name = serviceName(i);
    files.push({
      path: `services/${name}.yaml`,
      text: `apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: ${name}
spec:
  owner: platform
  tier: high
  slis:
    - name: availability
      kind: ratio
      significantLabels: [route]
      bad:
        selector: 'http_requests_total{job="${name}",code=~"5.."}'
      total:
        selector: 'http_requests_total{job="${name}"}'
    - name: latency
      kind: latency
      significantLabels: [route]
      histogram: 'http_request_duration_seconds{job="${name}"}'
      satisfiedSeconds: 0.25
      toleratedSeconds: 1
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
    - {name: latency, sli: latency, objectivePercent: 99, window: 28d}
`,
    });
  }
  return files;
}

/** The raw series that feed one SLI series, as a Prometheus scraping the service would send them. */
function rawSeries(
  service: string,
  route: string,
  sli: 'availability' | 'latency',
): Record<string, string>[] {
  const base = { job: service, instance: `${service}-0:8080`, route };
  if (sli === 'availability')
    return ['200', '404', '500', '503'].map((code) => ({
      __name__: 'http_requests_total',
      ...base,
      code,
    }));
  return ['0.25', '1', '+Inf'].map((le) => ({
    __name__: 'http_request_duration_seconds_bucket',
    ...base,
    le,
  }));
}

interface Dataset {
  dir: string;
  catalogDir: string;
  /** The newest minute of data, epoch ms (the end of the data, when the cache was built). */
  endMs: number;
  startMs: number;
  bytes: number;
  cursors: number;
  fromCache: boolean;
  buildMs: number;
}

async function writeFiles(dir: string, files: readonly SourceFile[]): Promise<void> {
  for (const file of files) {
    const path = join(dir, file.path);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, file.text);
  }
}

/** Builds (or finds in the cache) the full data directory and its catalog. */
async function ensureDataset(
  cacheDir: string,
  series: number,
  days: number,
  rebuild: boolean,
  log: (message: string) => void,
): Promise<Dataset> {
  const services = series / (2 * ROUTES);
  const dir = join(cacheDir, `unit-startup-v${DATASET_VERSION}-s${series}-d${days}`);
  const catalogDir = join(dir, 'catalog');
  const metaFile = join(dir, 'dataset.json');
  if (rebuild) await rm(dir, { recursive: true, force: true });
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Omit<Dataset, 'fromCache'>;
    return { ...meta, fromCache: true };
  }
  // The counts take minutes to load: they are kept when only the cursors are missing.
  const countsFile = join(dir, 'counts.json');
  if (!existsSync(countsFile)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
  const files = catalogFiles(services);
  const built = buildCatalog(files);
  const errors = built.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0)
    throw new Error(`the generated catalog is invalid:\n${errors.slice(0, 5).map(formatIssue).join('\n')}`);
  await writeFiles(catalogDir, files);

  const started = performance.now();
  const minutes = days * 1440;
  const path = join(dir, DB_FILE);
  if (existsSync(countsFile)) {
    const { endMinute } = JSON.parse(readFileSync(countsFile, 'utf8')) as { endMinute: number };
    return addCursors(dir, catalogDir, built.catalog, services, endMinute - minutes, endMinute, started);
  }
  const endMinute = Math.floor(Date.now() / 60_000);
  const startMinute = endMinute - minutes;
  log(`generating ${int(series)} SLI series × ${days} days into ${path} (once; cached)`);
  // Durability 'off': a bulk load into a file that can be rebuilt (the store's own advice).
  const opened = openSqliteCountStore({ path, durability: 'off' });
  if (!opened.ok) throw new Error(`cannot open ${path}: ${JSON.stringify(opened.issues)}`);
  const store = opened.value;
  const keys: { sli: string; labels: Record<string, string> }[] = [];
  for (let s = 0; s < services; s++)
    for (const sli of ['availability', 'latency'])
      for (let r = 0; r < ROUTES; r++)
        keys.push({ sli: `${serviceName(s)}/${sli}`, labels: { route: routeName(r) } });
  const batch = 20;
  for (let first = 0; first < keys.length; first += batch) {
    const writes: DenseWrite[] = [];
    for (let i = first; i < Math.min(keys.length, first + batch); i++) {
      const good = new Float64Array(minutes);
      const total = new Float64Array(minutes);
      fillSeries(i, minutes, good, total);
      writes.push({ ...keys[i]!, startMinute, good, total });
    }
    const written = store.putDenseSync(writes);
    if (!written.ok) throw new Error(`bulk load failed: ${JSON.stringify(written.issues.slice(0, 3))}`);
    if ((first / batch) % 50 === 0) log(`${int(first + writes.length)}/${int(keys.length)} series loaded`);
  }
  store.closeSync();
  await writeFile(countsFile, JSON.stringify({ endMinute }));
  return addCursors(dir, catalogDir, built.catalog, services, startMinute, endMinute, started);
}

/** Adds the ingest cursors to the counts of `ensureDataset` and records the finished dataset. */
async function addCursors(
  dir: string,
  catalogDir: string,
  catalog: Catalog,
  services: number,
  startMinute: number,
  endMinute: number,
  started: number,
): Promise<Dataset> {
  const path = join(dir, DB_FILE);
  // The ingest cursors, through the unit's own ingest path: one sample of every raw series.
  // Imported here: bench/main.ts loads every benchmark to list them.
  const { UnitState } = await import('../src/unit/index.ts');
  const state = UnitState.open(path);
  if (!state.ok) throw new Error(state.message);
  const plan = compileIngestPlan(catalog);
  const endMs = endMinute * 60_000;
  let cursors = 0;
  for (let s = 0; s < services; s++) {
    state.value.apply(plan, endMs, (reducer) => {
      for (const sli of ['availability', 'latency'] as const)
        for (let r = 0; r < ROUTES; r++)
          for (const labels of rawSeries(serviceName(s), routeName(r), sli)) {
            reducer.series(labels, [{ timestampMs: endMs - 15_000, value: 1000 + r }]);
          }
    });
  }
  cursors = state.value.trackedSeries;
  state.value.close();
  const meta: Omit<Dataset, 'fromCache'> = {
    dir,
    catalogDir,
    endMs,
    startMs: startMinute * 60_000,
    bytes: statSync(path).size,
    cursors,
    buildMs: performance.now() - started,
  };
  await writeFile(join(dir, 'dataset.json'), JSON.stringify(meta));
  return { ...meta, fromCache: false };
}

/** What one start measured. */
interface Start {
  listeningMs: number;
  readyMs: number;
  /** User + system CPU of the unit until ready: less disturbed than wall time by other processes. */
  cpuMs: number;
  peakRssMb: number;
  rssMb: number;
  evaluationMs: number;
}

function status(pid: number, field: string): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  )?.[1];
  return Number(kb) / 1024;
}

/** Starts the unit with `config`, waits for /readyz, reads its figures, stops it. */
async function timeStart(configPath: string): Promise<Start> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'unit', '--config', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  let baseUrl: string | undefined;
  let listeningMs = Number.NaN;
  let exited = false;
  const done = new Promise<void>((resolve) => child.once('exit', resolve));
  void done.then(() => {
    exited = true;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
    if (baseUrl === undefined) {
      baseUrl = /listening on (http:\/\/\S+)/.exec(tail)?.[1];
      if (baseUrl !== undefined) listeningMs = performance.now() - started;
    }
  });
  try {
    let readyMs = Number.NaN;
    while (Number.isNaN(readyMs)) {
      if (exited) throw new Error(`the unit exited during start-up: ${tail}`);
      if (performance.now() - started > READY_TIMEOUT_MS)
        throw new Error(`not ready after ${READY_TIMEOUT_MS} ms: ${tail}`);
      if (baseUrl !== undefined) {
        const ok = await fetch(`${baseUrl}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) readyMs = performance.now() - started;
      }
      if (Number.isNaN(readyMs)) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const cpuMs = 1000 * cpuSeconds(child.pid!);
    const peakRssMb = status(child.pid!, 'VmHWM');
    const rssMb = status(child.pid!, 'VmRSS');
    const metrics = await fetch(`${baseUrl}/metrics`).then((r) => r.text());
    const evaluationMs = 1000 * metricSum(metrics, 'sextant_unit_evaluation_duration_seconds');
    return { listeningMs, readyMs, cpuMs, peakRssMb, rssMb, evaluationMs };
  } finally {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await done;
      clearTimeout(timer);
    }
  }
}

async function writeConfig(
  dir: string,
  catalogDir: string,
  dataDir: string,
  retentionHours?: number,
): Promise<string> {
  const path = join(dir, 'unit.yaml');
  const retention = retentionHours === undefined ? '' : `retention: {minutes: ${retentionHours}h}\n`;
  await writeFile(
    path,
    `unit: {id: startup-bench}\ncatalog: ${JSON.stringify(catalogDir)}\ndataDir: ${JSON.stringify(dataDir)}\nlisten: 127.0.0.1:0\n${retention}`,
  );
  return path;
}

/** Reads a file once so its pages are in the page cache (a restart's warm start). */
async function readThrough(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    while ((await file.read(buffer, 0, buffer.length)).bytesRead > 0);
  } finally {
    await file.close();
  }
}

/** A fresh copy of the cached database (a reflink where the file system has them). */
async function copyDataDir(dataset: Dataset, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await copyFile(join(dataset.dir, DB_FILE), join(dataDir, DB_FILE), constants.COPYFILE_FICLONE);
}

export async function run(bench: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const machine = environment();
  const { log, runs } = bench;
  const series = positiveInteger(bench.values['series'], 'series');
  if (series % (2 * ROUTES) !== 0) throw new Error(`--series must be a multiple of ${2 * ROUTES}`);
  const days = positiveInteger(bench.values['days'], 'days');
  const cacheDir = String(bench.values['cache'] ?? options.cache.default);
  const dataset = await ensureDataset(cacheDir, series, days, bench.values['rebuild'] === true, log);
  log(
    `data directory: ${formatNumber(dataset.bytes / 2 ** 20)} MB, ${int(dataset.cursors)} ingest cursors, ` +
      `data ends ${formatNumber((Date.now() - dataset.endMs) / 3_600_000)} h ago` +
      (dataset.fromCache ? ' (cached)' : ` (built in ${formatNumber(dataset.buildMs / 1000)} s)`),
  );

  const work = await mkdtemp(join(tmpdir(), 'sextant-bench-unit-startup-'));
  const empty: Start[] = [];
  const cold: Start[] = [];
  const warm: Start[] = [];
  let evicted = true;
  try {
    // One start not measured: it fills the bin's compile cache, as an installed Sextant's is.
    const warmUp = join(work, 'warm-up');
    await timeStart(await writeConfig(await mkdtemp(join(work, 'c-')), dataset.catalogDir, warmUp));
    for (let r = 0; r < runs; r++) {
      const configDir = await mkdtemp(join(work, 'c-'));
      const emptyDir = join(configDir, 'data');
      empty.push(await timeStart(await writeConfig(configDir, dataset.catalogDir, emptyDir)));
      await rm(configDir, { recursive: true, force: true });
      log(`empty: ready in ${int(empty.at(-1)!.readyMs)} ms (${int(empty.at(-1)!.cpuMs)} ms CPU)`);
      for (const kind of ['cold', 'warm'] as const) {
        const dir = await mkdtemp(join(work, 'c-'));
        const dataDir = join(dir, 'data');
        await copyDataDir(dataset, dataDir);
        const path = join(dataDir, DB_FILE);
        if (kind === 'cold') evicted = dropFileCache([path]) && evicted;
        else await readThrough(path);
        // Retention covers the data's age, so no hour is folded at start (module comment).
        const retentionHours = Math.ceil((Date.now() - dataset.startMs) / 3_600_000) + 1;
        const result = await timeStart(await writeConfig(dir, dataset.catalogDir, dataDir, retentionHours));
        (kind === 'cold' ? cold : warm).push(result);
        log(
          `full, ${kind}: listening in ${int(result.listeningMs)} ms, ready in ${int(result.readyMs)} ms ` +
            `(first evaluation ${int(result.evaluationMs)} ms, ${int(result.cpuMs)} ms CPU), peak RSS ${int(result.peakRssMb)} MB`,
        );
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const pick = (starts: Start[], key: keyof Start) => starts.map((s) => s[key]);
  const figures: Figure[] = [
    figure(
      'ready, empty data dir',
      'ms',
      pick(empty, 'readyMs'),
      'spawn to /readyz 200, empty data directory',
    ),
    figure(
      'ready, full data dir, cold',
      'ms',
      pick(cold, 'readyMs'),
      'spawn to /readyz 200, full data directory evicted from the page cache',
    ),
    figure(
      'ready, full data dir, warm',
      'ms',
      pick(warm, 'readyMs'),
      'spawn to /readyz 200, full data directory in the page cache (a restart)',
    ),
    figure(
      'CPU until ready, empty',
      'CPU ms',
      pick(empty, 'cpuMs'),
      'user + system CPU of the unit until ready',
    ),
    figure(
      'CPU until ready, full, warm',
      'CPU ms',
      pick(warm, 'cpuMs'),
      'user + system CPU of the unit until ready (wall time less waits for other processes)',
    ),
    figure(
      'listening, full data dir, cold',
      'ms',
      pick(cold, 'listeningMs'),
      'spawn to the "listening" line (the start has returned)',
    ),
    figure(
      'first evaluation, full, cold',
      'ms',
      pick(cold, 'evaluationMs'),
      "the unit's own duration of its first evaluation of every SLO",
    ),
    figure(
      'peak RSS, empty data dir',
      'MB',
      pick(empty, 'peakRssMb'),
      'VmHWM when /readyz first answers 200',
    ),
    figure(
      'peak RSS, full data dir, cold',
      'MB',
      pick(cold, 'peakRssMb'),
      'VmHWM when /readyz first answers 200',
    ),
    figure('RSS, full data dir, cold', 'MB', pick(cold, 'rssMb'), 'VmRSS when /readyz first answers 200'),
  ];
  const notes = [
    `Full data directory: ${int(series)} SLI series (${int(series / (2 * ROUTES))} services × 2 SLIs × ${ROUTES} routes), ` +
      `${days} days of minutes, ${formatNumber(dataset.bytes / 2 ** 20)} MB, ${int(dataset.cursors)} ingest cursors; ` +
      `its data ends ${formatNumber((Date.now() - dataset.endMs) / 3_600_000)} hours before this run (the cache's age).`,
    `Cold runs: ${evicted ? 'the database copy was evicted from the page cache (dd iflag=nocache)' : 'eviction FAILED, cold runs may be warm'}. ` +
      'Every run is a fresh copy of the cached directory, started through bin/sextant.js with a warm compile cache.',
  ];
  return {
    benchmark: 'unit-startup',
    description,
    params: { series, days, runs, cache: cacheDir },
    environment: finishEnvironment(machine),
    input: {
      sliSeries: series,
      days,
      databaseBytes: dataset.bytes,
      cursors: dataset.cursors,
      slos: series / ROUTES,
    },
    figures,
    peers: [],
    ratios: [],
    notes,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
}
