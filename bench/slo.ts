/**
 * `npm run bench -- slo [--series N] [--days D] [--subset K] [--runs R] [--json]`: the full
 * status of every SLO from Sextant's SQLite store, next to a real Prometheus answering the
 * same questions in PromQL.
 *
 * - Dataset: N SLI series (default 10,000) × D days (default 28) of per-minute counts from
 *   a deterministic generator: diurnal and weekly traffic, heavy-tailed rates, error
 *   bursts, outages (zero-traffic gaps), silent and low-traffic series, a few incidents
 *   still burning at the evaluation instant. One 28-day SLO per series; its full status is
 *   the budget, the burn rates over 5m/30m/1h/2h/6h/1d/3d, and the alert states.
 * - Sextant (src/store, SQLite; built once, cached under the cache dir): every run is a
 *   fresh child process, so its peak RSS is the evaluation's alone. Cold = open the store
 *   (its file evicted from the page cache first) and evaluate every SLO; restart = the same
 *   on a warm page cache; warm = the same instant again; one minute later = write the next
 *   minute of every series (one batch), then evaluate at the next minute.
 * - Prometheus (Debian's 2.42, same machine): the first K series (default 500) only, since
 *   backfilling N × 28 days would take long. Both sides are compared on those K; Sextant's
 *   figures for all N are reported too. See prometheus-peer.ts for the data and queries.
 * - Ratios are of window sums on both sides (`sum bad / sum total`; PromQL
 *   `increase(bad[w]) / increase(total[w])`, not a mean of 5-minute ratios); the largest
 *   difference over the subset is reported as a sanity check.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AlertState,
  DEFAULT_ALERT_TIERS,
  evaluateSlo,
  type SloDefinition,
  type SloStatus,
} from '../src/slo/index.ts';
import { type CountWrite, type DenseWrite, openSqliteCountStore } from '../src/store/index.ts';
import {
  type BenchFlag,
  type BenchOptions,
  type BenchResult,
  environment,
  type Figure,
  figure,
  median,
  type Ratio,
  readChildReport,
  reportToParent,
  runProcess,
} from './harness.ts';
import {
  askRatios,
  askStatus,
  dropFileCache,
  ensurePrometheusDataset,
  type PromAnswers,
  type PrometheusDataset,
  type PrometheusServer,
  type PromWindow,
  peakRssBytes,
  processIo,
  sliName,
  startPrometheusPeer,
} from './prometheus-peer.ts';

export const description =
  'full status of every SLO (28d budget, burn rates 5m..3d, alerts) from the SQLite store, cold/warm/one minute later, vs Prometheus 2.42 PromQL over the same counters';

export const options = {
  series: { type: 'string', default: '10000', description: 'SLI series (one SLO each) in the dataset' },
  days: { type: 'string', default: '28', description: 'days of per-minute counts per series' },
  subset: {
    type: 'string',
    default: '500',
    description: 'first series also loaded into Prometheus and compared',
  },
  cache: {
    type: 'string',
    default: join(tmpdir(), 'sextant-bench-cache'),
    description: 'where the generated store and TSDB blocks are kept between runs',
  },
  'no-peer': { type: 'boolean', description: 'skip the Prometheus side' },
  rebuild: { type: 'boolean', description: 'regenerate the cached store and TSDB blocks' },
} as const satisfies Record<string, BenchFlag>;

function positiveInteger(value: string | boolean | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new Error(`--${flag} must be a positive integer`);
  return number;
}

// ---------------------------------------------------------------------------------------
// The dataset: a deterministic, random-access generator (any minute of any series can be
// computed on its own, so the live step can write "the next minute").

const GENERATOR_VERSION = 1;
/** Monday 2026-01-05T00:00Z. */
const DATA_START_MS = Date.UTC(2026, 0, 5);
const DATA_START_MINUTE = DATA_START_MS / 60_000;

/** lowbias32 (Chris Wellons): a fast integer hash, the generator's only source of noise. */
function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_32 = 4_294_967_296;

interface Burst {
  /** Minute offsets from the dataset start, `[from, to)`. */
  from: number;
  to: number;
  errorRatio: number;
}

/** How one synthetic SLI behaves. */
interface Profile {
  kind: 'silent' | 'low' | 'business' | 'web';
  seed: number;
  ratePerMinute: number;
  /** Local time minus UTC, in minutes. */
  zoneMinutes: number;
  errorRatio: number;
  bursts: Burst[];
  outages: { from: number; to: number }[];
}

/** Traffic share by minute of the local day: 15 % at 03:00, 100 % at 15:00. */
const DIURNAL = Float64Array.from({ length: 1440 }, (_, m) => {
  const wave = 0.5 + 0.5 * Math.sin((2 * Math.PI * (m / 60 - 9)) / 24);
  return 0.15 + 0.85 * wave ** 1.5;
});

const ZONES = [0, -300, -480, 60, 330, 480, 540];

function profileOf(index: number, minutes: number): Profile {
  const seed = hash32(Math.imul(index + 1, 0x9e3779b1) ^ GENERATOR_VERSION);
  let draws = 0;
  const u = () => hash32(seed ^ Math.imul(++draws, 0x85ebca6b)) / TWO_32;
  const logUniform = (lo: number, hi: number) => 10 ** (lo + (hi - lo) * u());
  const r = u();
  const kind: Profile['kind'] = r < 0.03 ? 'silent' : r < 0.13 ? 'low' : r < 0.28 ? 'business' : 'web';
  const ratePerMinute =
    kind === 'silent'
      ? 0
      : kind === 'low'
        ? logUniform(-1.5, 0.3)
        : kind === 'business'
          ? logUniform(0.7, 3.3)
          : logUniform(0.3, 4.3);
  const zoneMinutes = ZONES[Math.floor(u() * ZONES.length)]!;
  const errorRatio = logUniform(-5, -3);
  const bursts: Burst[] = [];
  const burstCount = Math.floor(u() * 5 * (minutes / 40_320) + 0.5);
  for (let i = 0; i < burstCount; i++) {
    const from = Math.floor(u() * minutes);
    bursts.push({ from, to: from + 3 + Math.floor(u() * 87), errorRatio: logUniform(-2, -0.3) });
  }
  // About 1 % of SLIs are in an incident at the evaluation instant: their page tier fires.
  if (u() < 0.01) bursts.push({ from: minutes - 120, to: minutes + 1440, errorRatio: 0.05 });
  const outages: { from: number; to: number }[] = [];
  if (u() < 0.08) {
    const from = Math.floor(u() * minutes);
    outages.push({ from, to: from + 20 + Math.floor(u() * 220) });
  }
  return { kind, seed, ratePerMinute, zoneMinutes, errorRatio, bursts, outages };
}

/** A Poisson draw from one uniform (inverse CDF) or, for large means, a normal approximation. */
function poisson(mean: number, u: number, v: number, w: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    while (u > cdf && k < 200) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * (u + v + w - 1.5) * 2));
}

/** Counts of one minute (offset from the dataset start) into `out` as [good, total]. */
function minuteCounts(p: Profile, m: number, out: [number, number]): void {
  out[0] = 0;
  out[1] = 0;
  if (p.ratePerMinute === 0) return;
  for (const o of p.outages) if (m >= o.from && m < o.to) return;
  const local = m + p.zoneMinutes + 7 * 1440; // non-negative
  const minuteOfDay = local % 1440;
  const weekday = Math.floor(local / 1440) % 7; // 0 = Monday
  let factor: number;
  if (p.kind === 'business') {
    factor = weekday < 5 && minuteOfDay >= 480 && minuteOfDay < 1080 ? 1 : 0;
  } else {
    factor = DIURNAL[minuteOfDay]! * (weekday < 5 ? 1 : 0.6);
  }
  if (factor === 0) return;
  const h1 = hash32(p.seed ^ Math.imul(m + 1, 0x85ebca6b));
  const h2 = hash32(h1 ^ 0x27d4eb2f);
  const h3 = hash32(h2 + 0x165667b1);
  const v = (h2 & 0xffff) / 65_536;
  const w = (h2 >>> 16) / 65_536;
  const total = poisson(p.ratePerMinute * factor, h1 / TWO_32, v, w);
  if (total === 0) return;
  let errorRatio = p.errorRatio;
  for (const b of p.bursts)
    if (m >= b.from && m < b.to && b.errorRatio > errorRatio) errorRatio = b.errorRatio;
  const bad = Math.min(total, poisson(total * errorRatio, h3 / TWO_32, w, v));
  out[0] = total - bad;
  out[1] = total;
}

/** Fills minutes `[0, good.length)` of series `index` (arrays must be zeroed); also used by unit-startup.ts. */
export function fillSeries(index: number, minutes: number, good: Float64Array, total: Float64Array): void {
  const p = profileOf(index, minutes);
  const out: [number, number] = [0, 0];
  for (let m = 0; m < good.length; m++) {
    minuteCounts(p, m, out);
    good[m] = out[0];
    total[m] = out[1];
  }
}

/** The SLO of series `index`: 28 days rolling, the Workbook tiers, a spread of objectives. */
function definitionOf(index: number): SloDefinition {
  return {
    id: `bench/${sliName(index)}`,
    objectiveRatio: [0.99, 0.995, 0.999, 0.9995][index % 4]!,
    window: { kind: 'rolling', minutes: 28 * 1440 },
    budgeting: { method: 'occurrences' },
    alerting: {
      enabled: true,
      tiers: DEFAULT_ALERT_TIERS.map((t) => ({ ...t })),
      minEvents: 3600,
      budgetExhausted: true,
      trafficCessation: true,
    },
    maintenance: [],
  };
}

const seriesKey = (index: number) => ({ sli: `bench/${sliName(index)}`, labels: {} });

/** The windows compared with Prometheus, in the order of `statusWindows`. */
const WINDOWS: readonly PromWindow[] = [
  { minutes: 28 * 1440, range: '28d' },
  { minutes: 5, range: '5m' },
  { minutes: 30, range: '30m' },
  { minutes: 60, range: '1h' },
  { minutes: 120, range: '2h' },
  { minutes: 360, range: '6h' },
  { minutes: 1440, range: '1d' },
  { minutes: 4320, range: '3d' },
];

/** `[bad, total]` per window of `WINDOWS`, read from a status. */
function statusWindows(s: SloStatus): number[] {
  const out: number[] = [s.bad, s.total];
  for (const w of WINDOWS.slice(1)) {
    const burn = s.tiers.flatMap((t) => [t.long, t.short]).find((b) => b.minutes === w.minutes);
    out.push(burn?.bad ?? Number.NaN, burn?.total ?? Number.NaN);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The store: built once per dataset and store implementation, and cached.

interface StoreDataset {
  path: string;
  fromCache: boolean;
  loadMs: number;
  bytes: number;
}

function fileBytes(path: string): number {
  let bytes = 0;
  for (const p of [path, `${path}-wal`]) if (existsSync(p)) bytes += statSync(p).size;
  return bytes;
}

/** A digest of the store's source: a cached database is reused only by the code that wrote it. */
function storeFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
        hash.update(readFileSync(path));
    }
  };
  walk(fileURLToPath(new URL('../src/store/', import.meta.url)));
  return hash.digest('hex').slice(0, 16);
}

async function ensureStore(
  dir: string,
  series: number,
  minutes: number,
  log: (l: string) => void,
): Promise<StoreDataset> {
  const path = join(dir, 'counts.db');
  const metaFile = join(dir, 'store.json');
  const fingerprint = storeFingerprint();
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { loadMs: number; fingerprint?: string };
    if (meta.fingerprint === fingerprint) {
      return { path, fromCache: true, loadMs: meta.loadMs, bytes: fileBytes(path) };
    }
    log('sextant: the store code changed since the cached database was built: rebuilding it');
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`sextant: generating and bulk-loading ${series} series × ${minutes} minutes into ${path}`);
  // Durability 'off': a bulk load into a file that can be rebuilt (the store's own advice).
  const opened = openSqliteCountStore({ path, durability: 'off' });
  if (!opened.ok) throw new Error(`cannot open store: ${JSON.stringify(opened.issues)}`);
  const store = opened.value;
  const started = performance.now();
  const batch = 20;
  for (let first = 0; first < series; first += batch) {
    const writes: DenseWrite[] = [];
    for (let i = first; i < Math.min(series, first + batch); i++) {
      const good = new Float64Array(minutes);
      const total = new Float64Array(minutes);
      fillSeries(i, minutes, good, total);
      writes.push({ ...seriesKey(i), startMinute: DATA_START_MINUTE, good, total });
    }
    const written = await store.putDense(writes);
    if (!written.ok) throw new Error(`bulk load failed: ${JSON.stringify(written.issues.slice(0, 3))}`);
    if ((first / batch) % 100 === 0) log(`sextant: ${first + writes.length}/${series} series loaded`);
  }
  await store.close();
  const loadMs = performance.now() - started;
  writeFileSync(metaFile, JSON.stringify({ series, minutes, loadMs, fingerprint }));
  return { path, fromCache: false, loadMs, bytes: fileBytes(path) };
}

// ---------------------------------------------------------------------------------------
// One Sextant run, in a child process (this file with `--child CONFIG`).

interface ChildConfig {
  path: string;
  slos: number;
  minutes: number;
  runs: number;
  windows: boolean;
}

interface ChildReport {
  openMs: number;
  coldMs: number;
  warmMs: number[];
  liveWriteMs: number[];
  liveMs: number[];
  maxRssMb: number;
  /** Before the store is closed: anonymous memory, and file-backed (node itself, SQLite's mapped pages). */
  rssAnonMb: number | null;
  rssFileMb: number | null;
  /** `/proc/self/io` `read_bytes` over open + cold evaluation: what the kernel read from disk. */
  coldReadBytes: number | null;
  summary: { noData: number; conditionsMet: number; firing: number; exhausted: number };
  /** `[bad, total]` per window of `WINDOWS` per SLO, when asked. */
  windows: number[] | null;
}

function residentMb(): { rssAnonMb: number | null; rssFileMb: number | null } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const mb = (name: string) => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
      return match === null ? null : Number(match[1]) / 1024;
    };
    return { rssAnonMb: mb('RssAnon'), rssFileMb: mb('RssFile') };
  } catch {
    return { rssAnonMb: null, rssFileMb: null };
  }
}

async function childMain(config: ChildConfig): Promise<void> {
  const atMs = DATA_START_MS + config.minutes * 60_000;
  const definitions = Array.from({ length: config.slos }, (_, i) => definitionOf(i));
  const io0 = processIo('self');
  const openStarted = performance.now();
  // The product's defaults (durability 'full': the write one minute later pays its fsync).
  const opened = openSqliteCountStore({ path: config.path });
  if (!opened.ok) throw new Error(JSON.stringify(opened.issues));
  const store = opened.value;
  const reader = await store.reader();
  const series = definitions.map((_, i) => reader.series(seriesKey(i)));
  const openMs = performance.now() - openStarted;

  const states: (AlertState | undefined)[] = new Array(config.slos);
  const summary = { noData: 0, conditionsMet: 0, firing: 0, exhausted: 0 };
  const windows: number[] | null = config.windows ? [] : null;
  const evaluateAll = (at: number, record: boolean) => {
    for (let i = 0; i < definitions.length; i++) {
      const result = evaluateSlo(definitions[i]!, series[i]!, at, states[i]);
      if (!result.ok) throw new Error(`${definitions[i]!.id}: ${JSON.stringify(result.issues)}`);
      const s = result.value;
      states[i] = s.alerts.state;
      if (!record) continue;
      if (s.sliRatio === null) summary.noData++;
      if (s.tiers.some((t) => t.conditionMet)) summary.conditionsMet++;
      if (s.alerts.state.alerts.some((a) => a.phase === 'firing')) summary.firing++;
      if (s.budgetExhausted) summary.exhausted++;
      windows?.push(...statusWindows(s));
    }
  };
  const coldStarted = performance.now();
  evaluateAll(atMs, true);
  const coldMs = performance.now() - coldStarted;
  const io1 = processIo('self');

  const warmMs: number[] = [];
  for (let r = 0; r < config.runs; r++) {
    const started = performance.now();
    evaluateAll(atMs, false);
    warmMs.push(performance.now() - started);
  }

  // One minute later: the next minute of every series arrives in one batch, then every SLO
  // is evaluated at the next minute. Afterwards those minutes are cleared (0/0), so the
  // cached store reads the same for the next run.
  const liveWriteMs: number[] = [];
  const liveMs: number[] = [];
  const profiles = definitions.map((_, i) => profileOf(i, config.minutes));
  const counts: [number, number] = [0, 0];
  for (let r = 0; r < config.runs; r++) {
    const m = config.minutes + r;
    const writes: CountWrite[] = profiles.map((p, i) => {
      minuteCounts(p, m, counts);
      return { ...seriesKey(i), minute: DATA_START_MINUTE + m, good: counts[0], total: counts[1] };
    });
    const writeStarted = performance.now();
    const written = await store.put(writes);
    liveWriteMs.push(performance.now() - writeStarted);
    if (!written.ok) throw new Error(JSON.stringify(written.issues.slice(0, 3)));
    const started = performance.now();
    evaluateAll(atMs + (r + 1) * 60_000, false);
    liveMs.push(performance.now() - started);
  }
  const resident = residentMb();
  const cleared: CountWrite[] = [];
  for (let r = 0; r < config.runs; r++) {
    const minute = DATA_START_MINUTE + config.minutes + r;
    for (let i = 0; i < config.slos; i++) cleared.push({ ...seriesKey(i), minute, good: 0, total: 0 });
  }
  const undone = await store.put(cleared);
  if (!undone.ok) throw new Error(JSON.stringify(undone.issues.slice(0, 3)));
  await store.close();

  const report: ChildReport = {
    openMs,
    coldMs,
    warmMs,
    liveWriteMs,
    liveMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    ...resident,
    coldReadBytes: io0 && io1 ? io1.readBytes - io0.readBytes : null,
    summary,
    windows,
  };
  reportToParent(report as unknown as Record<string, unknown>);
}

const SELF = fileURLToPath(import.meta.url);

async function runChild(config: ChildConfig): Promise<ChildReport> {
  const run = await runProcess(process.execPath, [SELF, '--child', JSON.stringify(config)]);
  return readChildReport<ChildReport>(run);
}

// ---------------------------------------------------------------------------------------
// Measurements

/** Sextant's figures over one set of SLOs: one child process per run. */
interface SextantRuns {
  slos: number;
  reports: ChildReport[];
  pageCacheDropped: boolean;
}

async function measureSextant(
  path: string,
  slos: number,
  minutes: number,
  runs: number,
  options: { windows: boolean; evict: boolean },
): Promise<SextantRuns> {
  const reports: ChildReport[] = [];
  let pageCacheDropped = options.evict;
  for (let r = 0; r < runs; r++) {
    if (options.evict) pageCacheDropped = dropFileCache([path, `${path}-wal`]) && pageCacheDropped;
    reports.push(await runChild({ path, slos, minutes, runs, windows: options.windows && r === 0 }));
  }
  return { slos, reports, pageCacheDropped };
}

/** Prometheus's figures over the subset: a fresh server per run. */
interface PrometheusRuns {
  version: string;
  cold: number[];
  restart: number[];
  warmConcurrent: number[];
  warmSequential: number[];
  starts: number[];
  reads: number[];
  peakRssMb: number[];
  pageCacheDropped: boolean;
  answers: PromAnswers;
  /** The PromQL ratio expression per window (untimed), for the sanity check. */
  ratios: Map<string, number>[];
}

async function measurePrometheus(
  dataset: PrometheusDataset,
  workDir: string,
  atMs: number,
  runs: number,
  log: (line: string) => void,
): Promise<PrometheusRuns> {
  const out: Omit<PrometheusRuns, 'answers' | 'ratios'> & {
    answers?: PromAnswers;
    ratios?: Map<string, number>[];
  } = {
    version: '',
    cold: [],
    restart: [],
    warmConcurrent: [],
    warmSequential: [],
    starts: [],
    reads: [],
    peakRssMb: [],
    pageCacheDropped: true,
  };
  const timed = async (server: PrometheusServer, concurrent: boolean, into: number[]) => {
    const started = performance.now();
    const answer = await askStatus(server, atMs, WINDOWS, concurrent);
    into.push(performance.now() - started);
    return answer;
  };
  for (let r = 0; r < runs; r++) {
    // Cold: a fresh server, its block files evicted from the page cache after start-up.
    let peer = await startPrometheusPeer(dataset, workDir, { evictAfterStart: true });
    try {
      out.pageCacheDropped &&= peer.evicted;
      if (out.version === '') out.version = await buildVersion(peer.server);
      out.starts.push(peer.startMs);
      const io0 = processIo(peer.server.pid);
      const first = await timed(peer.server, true, out.cold);
      const io1 = processIo(peer.server.pid);
      if (io0 && io1) out.reads.push(io1.readBytes - io0.readBytes);
      out.answers ??= first;
      out.ratios ??= await askRatios(peer.server, atMs, WINDOWS);
      await timed(peer.server, true, out.warmConcurrent);
      await timed(peer.server, false, out.warmSequential);
      const rss = peakRssBytes(peer.server.pid);
      if (rss !== null) out.peakRssMb.push(rss / 2 ** 20);
    } finally {
      await peer.stop();
    }
    // Restart: a fresh server on a warm page cache (its start-up reads the blocks in).
    peer = await startPrometheusPeer(dataset, workDir, { evictAfterStart: false });
    try {
      await timed(peer.server, true, out.restart);
    } finally {
      await peer.stop();
    }
    log(
      `prometheus: run ${r + 1}: cold ${Math.round(out.cold.at(-1)!)} ms, warm ${Math.round(out.warmConcurrent.at(-1)!)} ms`,
    );
  }
  return { ...out, answers: out.answers!, ratios: out.ratios! };
}

async function buildVersion(server: PrometheusServer): Promise<string> {
  const info = (await fetch(`${server.baseUrl}/api/v1/status/buildinfo`).then((r) => r.json())) as {
    data?: { version?: string };
  };
  return String(info.data?.version ?? 'unknown');
}

/**
 * Sextant's window sums and ratios over the subset next to Prometheus's: the counts of the
 * timed status queries, and the ratios of the PromQL ratio expression (`askRatios`).
 */
function compareAnswers(
  sextant: readonly number[],
  prom: PromAnswers,
  promRatios: readonly Map<string, number>[],
  slis: number,
) {
  let maxRatioDiff = 0;
  let maxCountDiff = 0;
  let compared = 0;
  let noDataBoth = 0;
  let noDataOneSide = 0;
  for (let i = 0; i < slis; i++) {
    const sli = sliName(i);
    for (let w = 0; w < WINDOWS.length; w++) {
      const bad = sextant[(i * WINDOWS.length + w) * 2]!;
      const total = sextant[(i * WINDOWS.length + w) * 2 + 1]!;
      const [pBad, pTotal] = prom.windows[w]!.get(sli) ?? [0, 0];
      maxCountDiff = Math.max(maxCountDiff, Math.abs(total - pTotal), Math.abs(bad - pBad));
      // PromQL gives NaN for 0/0 (and nothing for a series it does not have): "no data".
      const pRatio = promRatios[w]!.get(sli) ?? Number.NaN;
      if (total === 0 || Number.isNaN(pRatio)) {
        if (total === 0 && Number.isNaN(pRatio)) noDataBoth++;
        else noDataOneSide++;
        continue;
      }
      compared++;
      maxRatioDiff = Math.max(maxRatioDiff, Math.abs(bad / total - pRatio));
    }
  }
  return { compared, noDataBoth, noDataOneSide, maxRatioDiff, maxCountDiff };
}

// ---------------------------------------------------------------------------------------
// The benchmark

const int = (v: number) => v.toLocaleString('en-US');
const ms = (v: number) =>
  v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
const times = (v: number) => (v >= 100 ? `${Math.round(v)}×` : `${v.toFixed(1)}×`);
const mb = (v: number) => `${v.toFixed(0)} MB`;

function sideBySide(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** Runs the benchmark (see the module comment). */
export async function run(bench: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const series = positiveInteger(bench.values['series'], 'series');
  const days = positiveInteger(bench.values['days'], 'days');
  const subset = Math.min(series, positiveInteger(bench.values['subset'], 'subset'));
  const cacheDir = String(bench.values['cache'] ?? options.cache.default);
  const { runs, log } = bench;
  const minutes = days * 1440;
  const seriesMinutes = series * minutes;
  const windowMinutes = 28 * 1440;
  const atMs = DATA_START_MS + minutes * 60_000;
  const datasetDir = join(cacheDir, `slo-g${GENERATOR_VERSION}-s${series}-d${days}`);
  if (bench.values['rebuild'] === true) rmSync(datasetDir, { recursive: true, force: true });

  const store = await ensureStore(join(datasetDir, 'sextant'), series, minutes, log);
  log(`sextant: ${runs} fresh processes over all ${int(series)} SLOs, store evicted from the page cache`);
  const full = await measureSextant(store.path, series, minutes, runs, { windows: false, evict: true });
  log(`sextant: ${runs} fresh processes over the first ${int(subset)} SLOs, evicted`);
  const part = await measureSextant(store.path, subset, minutes, runs, { windows: true, evict: true });
  log(`sextant: ${runs} + ${runs} fresh processes on a warm page cache`);
  const fullRestart = await measureSextant(store.path, series, minutes, runs, {
    windows: false,
    evict: false,
  });
  const partRestart = await measureSextant(store.path, subset, minutes, runs, {
    windows: false,
    evict: false,
  });

  let prom: { runs: PrometheusRuns; dataset: PrometheusDataset } | null = null;
  let peerProblem: string | null = null;
  if (bench.values['no-peer'] === true) peerProblem = 'skipped (--no-peer)';
  else {
    try {
      const dataset = await ensurePrometheusDataset({
        cacheDir: join(datasetDir, `prometheus-k${subset}`),
        slis: subset,
        startMs: DATA_START_MS,
        minutes,
        generate: (i, good, total) => fillSeries(i, minutes, good, total),
        log,
      });
      log(`prometheus: ${runs} runs over ${int(subset)} SLIs, a fresh server for each`);
      prom = {
        runs: await measurePrometheus(dataset, join(cacheDir, 'prometheus-run'), atMs, runs, log),
        dataset,
      };
    } catch (error) {
      peerProblem = `Prometheus peer unavailable (apt-get install prometheus): ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  // Figures: Sextant on the subset and on everything, Prometheus on the subset.
  const sextantFigures = (x: SextantRuns, restart: SextantRuns, label: string): Figure[] => {
    const all = (f: (r: ChildReport) => number[]) => x.reports.flatMap(f);
    const figures = [
      figure(
        `cold full status ${label}`,
        'ms',
        all((r) => [r.openMs + r.coldMs]),
        'new process: open the store (evicted from the page cache) and evaluate every SLO',
      ),
      figure(
        `  of which open ${label}`,
        'ms',
        all((r) => [r.openMs]),
        'open the SQLite store and look up the series',
      ),
      figure(
        `restart full status ${label}`,
        'ms',
        restart.reports.map((r) => r.openMs + r.coldMs),
        'the same on a warm page cache',
      ),
      figure(
        `warm full status ${label}`,
        'ms',
        all((r) => r.warmMs),
        'every SLO again, same instant, same process',
      ),
      figure(
        `next-minute full status ${label}`,
        'ms',
        all((r) => r.liveMs),
        'every SLO one minute later, after that minute was written',
      ),
      figure(
        `  write of that minute ${label}`,
        'ms',
        all((r) => r.liveWriteMs),
        'one put() batch: one bucket per series, durability full',
      ),
      figure(
        `peak RSS ${label}`,
        'MB',
        all((r) => [r.maxRssMb]),
        'the evaluating child process (maxRSS)',
      ),
    ];
    const reads = all((r) => (r.coldReadBytes === null ? [] : [r.coldReadBytes / (x.slos * windowMinutes)]));
    if (reads.length > 0) {
      figures.push(
        figure(
          `disk read cold ${label}`,
          'B/series-min',
          reads,
          'read_bytes of the cold child over SLOs × 40,320 minutes (readahead included)',
        ),
      );
    }
    return figures;
  };
  const storedPerSeriesMinute = store.bytes / seriesMinutes;
  const figures: Figure[] = [
    ...sextantFigures(part, partRestart, `(${int(subset)})`),
    ...sextantFigures(full, fullRestart, `(${int(series)})`),
    figure(
      'stored',
      'B/series-min',
      [storedPerSeriesMinute],
      `SQLite file ${(store.bytes / 2 ** 20).toFixed(0)} MiB over ${int(seriesMinutes)} series-minutes`,
    ),
    figure(
      'bulk load',
      'ms',
      [store.loadMs],
      `generate + putDense of the dataset${store.fromCache ? ' (when it was built; cached since)' : ''}`,
    ),
  ];
  const byName = (list: readonly Figure[], name: string) => list.find((f) => f.name === name)!;
  const s = (name: string) => byName(figures, `${name} (${int(subset)})`);
  const f = (name: string) => byName(figures, `${name} (${int(series)})`);

  const peers = [];
  const ratios: Ratio[] = [];
  let sanity: ReturnType<typeof compareAnswers> | null = null;
  const notes: string[] = [];
  let p: ((name: string) => Figure) | null = null;
  if (prom !== null) {
    const r = prom.runs;
    const d = prom.dataset;
    const warmBest =
      median(r.warmConcurrent) <= median(r.warmSequential) ? r.warmConcurrent : r.warmSequential;
    const promFigures: Figure[] = [
      figure(
        'cold full status',
        'ms',
        r.cold,
        'new server, blocks evicted from the page cache after start-up; queries sent at once',
      ),
      figure('restart full status', 'ms', r.restart, 'new server, page cache warm'),
      figure('warm full status', 'ms', warmBest, 'the better of all-at-once and one-by-one, same server'),
      figure(
        '  queries all at once',
        'ms',
        r.warmConcurrent,
        `${WINDOWS.length + 1} batched queries in parallel`,
      ),
      figure('  queries one by one', 'ms', r.warmSequential, 'the same, sequentially'),
      figure('server start', 'ms', r.starts, 'process start to /-/ready'),
      figure('peak RSS', 'MB', r.peakRssMb, 'VmHWM of the prometheus process'),
      figure(
        'stored',
        'B/series-min',
        [d.bytes / (subset * minutes)],
        `TSDB blocks ${(d.bytes / 2 ** 20).toFixed(1)} MiB over ${int(subset * minutes)} SLI-minutes (2 counters each)`,
      ),
      figure(
        'backfill',
        'ms',
        [d.writeMs + d.backfillMs],
        `OpenMetrics ${ms(d.writeMs)} + promtool ${ms(d.backfillMs)}${d.fromCache ? ' (when built; cached since)' : ''}`,
      ),
    ];
    if (r.reads.length > 0) {
      promFigures.push(
        figure(
          'disk read cold',
          'B/series-min',
          r.reads.map((b) => b / (subset * windowMinutes)),
          'read_bytes of prometheus during the cold status',
        ),
      );
    }
    peers.push({ name: 'prometheus', version: r.version, figures: promFigures });
    p = (name: string) => byName(promFigures, name);
    const ratioOf = (name: string, ours: Figure, theirs: Figure, meaning: string): Ratio => ({
      name,
      value: theirs.median / ours.median,
      numerator: `prometheus:${theirs.name}`,
      denominator: ours.name,
      description: meaning,
    });
    ratios.push(
      ratioOf(
        'speed-up cold',
        s('cold full status'),
        p('cold full status'),
        'both fresh processes, page cache evicted',
      ),
      ratioOf(
        'speed-up restart',
        s('restart full status'),
        p('restart full status'),
        'both fresh processes, page cache warm',
      ),
      ratioOf(
        'speed-up warm',
        s('warm full status'),
        p('warm full status'),
        'both asked again for the same instant',
      ),
      ratioOf(
        'speed-up next minute',
        s('next-minute full status'),
        p('warm full status'),
        'Prometheus has no incremental path: a minute later costs it a warm status',
      ),
    );
    sanity = compareAnswers(part.reports[0]!.windows!, r.answers, r.ratios, subset);
  } else {
    notes.push(peerProblem ?? 'Prometheus peer not run');
  }

  // The readable side-by-side table and the remarks.
  const cell = (x: Figure | null) =>
    x === null ? '-' : x.unit === 'MB' ? mb(x.median) : x.unit === 'ms' ? ms(x.median) : x.median.toFixed(3);
  const pf = (name: string) => (p === null ? null : p(name));
  const ratio = (name: string) => {
    const r = ratios.find((x) => x.name === name);
    return r === undefined ? '-' : times(r.value);
  };
  notes.push(
    sideBySide([
      [
        `median of ${runs}`,
        `Sextant ${int(subset)}`,
        `Prometheus ${int(subset)}`,
        'Prom/Sextant',
        `Sextant ${int(series)}`,
      ],
      [
        'cold: new process, page cache evicted',
        cell(s('cold full status')),
        cell(pf('cold full status')),
        ratio('speed-up cold'),
        cell(f('cold full status')),
      ],
      ['  of which opening the store', cell(s('  of which open')), '', '', cell(f('  of which open'))],
      [
        'restart: new process, page cache warm',
        cell(s('restart full status')),
        cell(pf('restart full status')),
        ratio('speed-up restart'),
        cell(f('restart full status')),
      ],
      [
        'warm: same instant again',
        cell(s('warm full status')),
        cell(pf('warm full status')),
        ratio('speed-up warm'),
        cell(f('warm full status')),
      ],
      [
        'one minute later, after its write',
        cell(s('next-minute full status')),
        cell(pf('warm full status')),
        ratio('speed-up next minute'),
        cell(f('next-minute full status')),
      ],
      [
        '  the write: one batch, one bucket/series',
        cell(s('  write of that minute')),
        '',
        '',
        cell(f('  write of that minute')),
      ],
      ['peak RSS', cell(s('peak RSS')), cell(pf('peak RSS')), '', cell(f('peak RSS'))],
      [
        'stored, B/series-minute',
        cell(byName(figures, 'stored')),
        cell(pf('stored')),
        '',
        cell(byName(figures, 'stored')),
      ],
      [
        'read from disk cold, B/series-minute',
        cell(figures.find((x) => x.name === `disk read cold (${int(subset)})`) ?? null),
        cell(pf('disk read cold') ?? null),
        '',
        cell(figures.find((x) => x.name === `disk read cold (${int(series)})`) ?? null),
      ],
    ]),
  );
  const summary = full.reports[0]!.summary;
  notes.push(
    `SLOs (all ${int(series)}): ${int(summary.noData)} without data, ${int(summary.conditionsMet)} with a burn-rate tier condition met, ` +
      `${int(summary.firing)} with an alert firing at the first evaluation, ${int(summary.exhausted)} with the budget exhausted.`,
  );
  if (prom !== null && sanity !== null) {
    notes.push(
      `Prometheus ${prom.runs.version}: the first ${int(subset)} SLIs as ${int(2 * subset)} counters (code 200 / 500) sampled every minute on the minute, ` +
        `${prom.dataset.blocks} blocks of 54h; per status ${WINDOWS.length + 1} batched queries, ` +
        '`sum by (sli, code) (increase(x[w]))` for 28d, 5m, 30m, 1h, 2h, 6h, 1d, 3d (bad = code 500, total = both) and `sum by (sli) (increase(x[30m] offset 1h))` ' +
        `(traffic-cessation baseline), reading ${int(prom.runs.answers.queryableSamples)} samples.`,
    );
    notes.push(
      `Sanity, Sextant's bad/total vs PromQL \`sum by (sli) (increase(x{code=~"5.."}[w])) / sum by (sli) (increase(x[w]))\`: ${int(sanity.compared)} SLI-windows compared, max |Δratio| ${sanity.maxRatioDiff.toExponential(2)}, ` +
        `max |Δcount| ${sanity.maxCountDiff}; ${sanity.noDataBoth} without traffic on both sides, ${sanity.noDataOneSide} on one side only.`,
    );
  }
  if (!(full.pageCacheDropped && part.pageCacheDropped))
    notes.push('Could not evict the store from the page cache: "cold" ran on a warm page cache.');
  if (prom !== null && !prom.runs.pageCacheDropped)
    notes.push('Could not evict the Prometheus blocks from the page cache.');
  const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL');
  const speedup = (name: string) => ratios.find((r) => r.name === name)?.value ?? null;
  const atLeast100 = (name: string) => {
    const v = speedup(name);
    return v === null ? null : v >= 100;
  };
  notes.push(
    `Targets: >= 100× faster than Prometheus: warm ${verdict(atLeast100('speed-up warm'))}, next minute ${verdict(atLeast100('speed-up next minute'))}, ` +
      `restart ${verdict(atLeast100('speed-up restart'))}, cold ${verdict(atLeast100('speed-up cold'))}; ` +
      `${int(series)} SLOs warm < 100 ms ${verdict(f('warm full status').median < 100)}; peak RSS < 2 GiB ${verdict(f('peak RSS').max < 2048)}.`,
  );
  notes.push(`Cache: ${datasetDir} (delete it or pass --rebuild to regenerate).`);

  return {
    benchmark: 'slo',
    description,
    params: { series, days, subset, runs, cache: cacheDir, peer: prom !== null },
    environment: environment(),
    input: {
      seriesMinutes,
      slos: series,
      generatorVersion: GENERATOR_VERSION,
      dataStart: new Date(DATA_START_MS).toISOString(),
      evaluatedAt: new Date(atMs).toISOString(),
      sextantBackend: 'SQLite count store (src/store)',
    },
    figures,
    peers,
    ratios,
    notes,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
}

if (import.meta.main && process.argv[2] === '--child') {
  await childMain(JSON.parse(process.argv[3]!) as ChildConfig);
}
