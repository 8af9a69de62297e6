/**
 * `npm run bench -- hub [--units N] [--series S] [--seconds T] [--backend sqlite|postgres|both]
 * [--shared-buffers SIZE] [--smoke] [--profile] [--json]`: the hub under a simulated fleet, on
 * SQLite and on PostgreSQL.
 *
 * - Fleet (bench/support/hub-fleet.ts): N units (default 1,000), each exporting S count
 *   series (default 200: 20 SLIs of a generated catalog times 10 label sets), all running
 *   the catalog the hub distributes (20 services, one 28-day SLO each).
 * - Hub (bench/support/hub-process.ts): `sextant hub` as its own process, so that its CPU
 *   (utime + stime) and peak RSS (VmHWM, reset before the measured window) come from /proc
 *   without the load generator's. Units are registered, and their tokens issued, through
 *   the admin API. On PostgreSQL the server is a private one (bench/support/postgres.ts)
 *   with durable settings and the `shared_buffers` docs/hub.md asks for (2GB), and its CPU
 *   is reported beside the hub's.
 * - History: 28 days of hourly records (`minutes: 60`) per unit and SLI for the first
 *   label set of each SLI, through the real push path in bounded batches, oldest first,
 *   so the fleet budget query has a month of data behind every (unit, SLI) pair.
 * - Load (bench/support/hub-load.ts): every unit pushes the current 5-minute bucket of
 *   each of its series every 15 s with its own random phase (N / 15 pushes a second),
 *   gzip JSON bodies encoded before the clock starts; one warm-up interval, then the
 *   measured window. Offered and accepted pushes per second, push latency percentiles of
 *   2xx answers, 429s, the generator's queueing lag ("keeps up" means accepted = offered
 *   with no backlog building), hub CPU and peak RSS.
 * - Fleet budget query: `GET /api/v1/fleet/budgets` with an admin token (every unit and
 *   SLO, each SLO's 28-day window), --runs times idle after the history, and again spread
 *   over the measured window; `?groupBy=unit` (one row per unit and SLO) after the load.
 *   The hub keeps window starts in memory, so those repeat queries read little; each run is
 *   paired with a "cold" one whose window (`?window=`, 28 days less k steps) starts where no
 *   query started before: the first query after a window start moves (every 5 minutes)
 *   seeks every (unit, SLI) pair, and the target holds for both.
 * - Where the time goes: the hub's /proc I/O counters over the window, the CPU of other
 *   processes (a busy machine inflates every latency), PostgreSQL's top statements
 *   (`pg_stat_statements`), and with --profile the hub's CPU profile of the window.
 */

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCatalog, formatIssue } from '../src/catalog/index.ts';
import {
  type BenchFlag,
  type BenchOptions,
  type BenchResult,
  environment,
  type Figure,
  figure,
  finishEnvironment,
  formatNumber,
  hotSpots,
  median,
  table,
} from './harness.ts';
import { encodePush, type Fleet, generateFleet, historyBatches, random } from './support/hub-fleet.ts';
import {
  type LoadResult,
  PUSH_INTERVAL_MS,
  planLoad,
  postPush,
  quantile,
  runLoad,
} from './support/hub-load.ts';
import { type HubProcess, type ProcessIo, startHub } from './support/hub-process.ts';
import { inclusiveSpots, selfByArea } from './support/ingest-profile.ts';
import {
  type BenchPostgres,
  findPostgres,
  type StatementStats,
  startBenchPostgres,
} from './support/postgres.ts';

export const description =
  'hub under a fleet (1,000 units x 200 SLI series pushing every 15 s) on SQLite and PostgreSQL: pushes/s, p50/p99 push latency, hub CPU and RSS, fleet budget query time';

export const options = {
  units: { type: 'string', description: 'simulated units (default 1000; --smoke 20)' },
  series: { type: 'string', default: '200', description: 'count series per unit' },
  slis: { type: 'string', default: '20', description: 'SLIs (and services, SLOs) in the catalog' },
  seconds: { type: 'string', description: 'measured seconds of steady load (default 90; --smoke 5)' },
  warmup: {
    type: 'string',
    description: 'warm-up seconds before the measured window (default 15, one push interval; --smoke 3)',
  },
  backend: { type: 'string', default: 'both', description: 'sqlite, postgres or both' },
  'history-days': {
    type: 'string',
    description: 'days of hourly history per unit and SLI, preloaded by push (default 28; --smoke 2)',
  },
  'history-label-sets': {
    type: 'string',
    default: '1',
    description: 'label sets per SLI in the history (the query cost is per unit and SLI)',
  },
  'history-batch': { type: 'string', default: '10000', description: 'records per history push' },
  'preload-concurrency': {
    type: 'string',
    default: '4',
    description: 'history pushes in flight (different units)',
  },
  concurrency: {
    type: 'string',
    default: '64',
    description: 'pushes in flight at most during the steady load (keep-alive sockets)',
  },
  'shared-buffers': {
    type: 'string',
    default: '2GB',
    description: "PostgreSQL's shared_buffers (docs/hub.md: at least the hub's hot set, 2GB for 1,000 units)",
  },
  seed: { type: 'string', default: '1', description: 'seed of the fleet and the phases' },
  smoke: { type: 'boolean', description: 'a quick reduced run: 20 units, 5 s, 2 days of history' },
  profile: {
    type: 'boolean',
    description: 'CPU-profile the hub over the measured window (inspector) and list its hot spots',
  },
} as const satisfies Record<string, BenchFlag>;

/** The targets of the issue. */
const TARGET_P99_MS = 250;
const TARGET_QUERY_MS = 500;
/** "Keeps up": at least this share of offered pushes accepted... */
const KEEP_UP_RATIO = 0.99;
/** ...and no push waited this long in the generator for a slot or its unit's previous push. */
const KEEP_UP_LAG_MS = 1000;
const FLEET_ROUTE = '/api/v1/fleet/budgets';
/** The same query with one row per (unit, SLO): a far larger answer, reported beside it. */
const FLEET_ROUTE_PER_UNIT = '/api/v1/fleet/budgets?groupBy=unit';
/** Minutes of the 28-day window and of the hub's step. */
const WINDOW_MINUTES = 28 * 24 * 60;
const STEP_MINUTES = 5;

/** A fleet query over 28 days less `k` steps: a window start no earlier query used. */
function coldRoute(k: number): string {
  return `${FLEET_ROUTE}?window=${WINDOW_MINUTES - k * STEP_MINUTES}m`;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function positiveInteger(value: string | boolean | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new Error(`--${flag} must be a positive integer`);
  return number;
}

function nonNegativeInteger(value: string | boolean | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0)
    throw new Error(`--${flag} must be a non-negative integer`);
  return number;
}

interface Settings {
  units: number;
  series: number;
  slis: number;
  seconds: number;
  warmup: number;
  historyDays: number;
  historyLabelSets: number;
  historyBatch: number;
  preloadConcurrency: number;
  concurrency: number;
  queryRuns: number;
  seed: number;
  profile: boolean;
  sharedBuffers: string;
}

/** One fleet budget query: wall time over HTTP, answer size. */
interface QueryRun {
  ms: number;
  bytes: number;
}

/** Everything measured on one backend. */
interface BackendRun {
  backend: 'sqlite' | 'postgres';
  version: string;
  registerMs: number;
  preload: {
    records: number;
    pushes: number;
    seconds: number;
    hubCpuSeconds: number;
    databaseCpuSeconds: number;
    refused: number;
  };
  idleQueries: QueryRun[];
  loadedQueries: QueryRun[];
  /** Queries whose window starts where no query started before (the hub has no prefix in memory). */
  coldIdleQueries: QueryRun[];
  coldLoadedQueries: QueryRun[];
  load: LoadResult;
  encode: { ms: number; pushes: number; gzipBytes: number; jsonBytes: number };
  hubCpuSeconds: number;
  databaseCpuSeconds: number;
  /** VmHWM over the hub's life before the window (start-up, registration, history) and within it. */
  hubPeakRssLifetimeMb: number;
  hubPeakRssWindowMb: number;
  peakReset: boolean;
  databaseRssMb: number;
  profile: string[];
  /** The hub process's I/O over the window (`/proc/PID/io`). */
  hubIo: ProcessIo;
  /** CPU seconds of every other process on the machine during the window (/proc/stat busy time minus ours). */
  otherCpuSeconds: number;
  /** The 1-minute load average at the end of the window. */
  windowLoadAverage: number;
  /** PostgreSQL's statements with the most execution time: fleet queries idle, and the window. */
  queryStatements: StatementStats[];
  windowStatements: StatementStats[];
  /** What the first answer covered, to show the query saw the whole fleet. */
  answer: AnswerSummary;
  perUnitQueries: QueryRun[];
}

interface AnswerSummary {
  groups: number;
  rows: number;
  /** Largest `units.applicable` and `units.withData` over the rows (each SLO runs on every unit). */
  unitsApplicable: number;
  unitsWithData: number;
  totalEvents: number;
  windowDays: number;
}

/** Reads a fleet budgets answer: how many rows, units and events it covered. */
function summarizeAnswer(text: string): AnswerSummary {
  const view = JSON.parse(text) as {
    groups: {
      slos: {
        total: number;
        units: { applicable: number; withData: number };
        window: { fromMs: number; toMs: number };
      }[];
    }[];
  };
  const rows = view.groups.flatMap((group) => group.slos);
  return {
    groups: view.groups.length,
    rows: rows.length,
    unitsApplicable: Math.max(0, ...rows.map((row) => row.units.applicable)),
    unitsWithData: Math.max(0, ...rows.map((row) => row.units.withData)),
    totalEvents: rows.reduce((sum, row) => sum + row.total, 0),
    windowDays: rows[0] ? (rows[0].window.toMs - rows[0].window.fromMs) / 86_400_000 : 0,
  };
}

/** One fleet query over HTTP; an answer other than 200 fails the run. */
async function fleetQuery(hub: HubProcess, route = FLEET_ROUTE): Promise<QueryRun & { text: string }> {
  const started = performance.now();
  const response = await fetch(`${hub.baseUrl}${route}`, {
    headers: { Authorization: `Bearer ${hub.adminToken}` },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${route}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return { ms: performance.now() - started, bytes: Buffer.byteLength(text), text };
}

/** Registers every unit through the admin API; their tokens, in unit order. */
async function registerUnits(hub: HubProcess, fleet: Fleet): Promise<string[]> {
  const tokens: string[] = new Array(fleet.unitIds.length);
  let next = 0;
  const worker = async () => {
    for (let u = next++; u < fleet.unitIds.length; u = next++) {
      const response = await fetch(`${hub.baseUrl}/api/v1/units`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${hub.adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          id: fleet.unitIds[u],
          tenant: fleet.tenants[u % fleet.tenants.length],
          environment: 'production',
        }),
      });
      const text = await response.text();
      if (response.status !== 201 && response.status !== 200)
        throw new Error(`registering ${fleet.unitIds[u]}: HTTP ${response.status}: ${text.slice(0, 500)}`);
      tokens[u] = (JSON.parse(text) as { token: { token: string } }).token.token;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return tokens;
}

/**
 * Pushes each unit's history, oldest first, in bounded batches; `preloadConcurrency`
 * units at a time. Returns every unit's acknowledged seq (where its steady pushes start).
 */
async function preloadHistory(
  hub: HubProcess,
  fleet: Fleet,
  tokens: readonly string[],
  settings: Settings,
  log: (message: string) => void,
): Promise<{ ackedSeq: number[]; records: number; pushes: number; refused: number }> {
  const ackedSeq = fleet.unitIds.map(() => 0);
  if (settings.historyDays === 0) return { ackedSeq, records: 0, pushes: 0, refused: 0 };
  const url = new URL('/api/v1/sync/push', hub.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: settings.preloadConcurrency });
  // History ends at the hour before the bench started: steady buckets never overlap it.
  const toMinute = Math.floor(Date.now() / 3_600_000) * 60;
  const fromMinute = toMinute - settings.historyDays * 1440;
  let records = 0;
  let pushes = 0;
  let refused = 0;
  let next = 0;
  let lastLog = performance.now();
  const started = performance.now();
  const worker = async () => {
    for (let u = next++; u < fleet.unitIds.length; u = next++) {
      const batches = historyBatches(
        fleet.series[u]!,
        fleet.slis.length,
        settings.historyLabelSets,
        fromMinute,
        toMinute,
        settings.historyBatch,
      );
      for (const batch of batches) {
        const push = encodePush(fleet.unitIds[u]!, ackedSeq[u]!, Date.now(), batch);
        for (let attempt = 0; ; attempt++) {
          const exit = hub.exited();
          if (exit !== undefined) throw new Error(`the hub exited during the history: ${exit}`);
          const answer = await postPush(agent, url, tokens[u]!, push.body);
          if (answer.status === 200) break;
          if ((answer.status === 429 || answer.status === 503) && attempt < 100) {
            refused++;
            await new Promise((resolve) => setTimeout(resolve, 200 + 300 * Math.random()));
            continue;
          }
          throw new Error(
            `history push of ${fleet.unitIds[u]}: HTTP ${answer.status}: ${answer.text.slice(0, 500)}`,
          );
        }
        ackedSeq[u] = push.throughSeq;
        records += batch.length;
        pushes++;
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        const seconds = (lastLog - started) / 1000;
        log(
          `history: ${int(records)} records (${u + 1} of ${fleet.unitIds.length} units), ${int(records / seconds)} records/s`,
        );
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: settings.preloadConcurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { ackedSeq, records, pushes, refused };
}

/** Runs everything on one backend; the hub (and PostgreSQL) are stopped at the end. */
async function driveBackend(
  backend: 'sqlite' | 'postgres',
  fleet: Fleet,
  settings: Settings,
  log: (message: string) => void,
): Promise<BackendRun> {
  const dir = await mkdtemp(join(tmpdir(), `sextant-bench-hub-${backend}-`));
  let postgres: BenchPostgres | undefined;
  let hub: HubProcess | undefined;
  const profileDir = settings.profile ? join(dir, 'profile') : undefined;
  try {
    let version = `SQLite (node:sqlite, node ${process.version})`;
    if (backend === 'postgres') {
      postgres = await startBenchPostgres({ sharedBuffers: settings.sharedBuffers });
      version = postgres.version;
      log(`postgres: ${version} on ${postgres.url}, shared_buffers ${settings.sharedBuffers}`);
    }
    hub = await startHub({
      dir,
      catalog: fleet.catalog,
      database: postgres?.url,
      inspect: settings.profile,
    });
    log(`${backend}: hub pid ${hub.pid} at ${hub.baseUrl}`);
    const registerStarted = performance.now();
    const tokens = await registerUnits(hub, fleet);
    const registerMs = performance.now() - registerStarted;
    log(`${backend}: ${fleet.unitIds.length} units registered in ${int(registerMs)} ms`);

    const dbCpu = () => postgres?.cpuSeconds() ?? 0;
    const preloadCpu = hub.cpuSeconds();
    const preloadDbCpu = dbCpu();
    const preloadStarted = performance.now();
    const history = await preloadHistory(hub, fleet, tokens, settings, log);
    const preloadSeconds = (performance.now() - preloadStarted) / 1000;
    const preload = {
      records: history.records,
      pushes: history.pushes,
      seconds: preloadSeconds,
      hubCpuSeconds: hub.cpuSeconds() - preloadCpu,
      databaseCpuSeconds: dbCpu() - preloadDbCpu,
      refused: history.refused,
    };
    log(
      `${backend}: history ${int(preload.records)} records in ${formatNumber(preloadSeconds)} s ` +
        `(${int(preload.records / Math.max(preloadSeconds, 1e-9))} records/s)`,
    );

    // Idle fleet queries: one warm-up, then --runs.
    await postgres?.resetStatements();
    const first = await fleetQuery(hub);
    const idleQueries: QueryRun[] = [];
    for (let i = 0; i < settings.queryRuns; i++) {
      const { text: _text, ...run } = await fleetQuery(hub);
      idleQueries.push(run);
    }
    let coldK = 0;
    const coldIdleQueries: QueryRun[] = [];
    for (let i = 0; i < settings.queryRuns; i++) {
      const { text: _text, ...run } = await fleetQuery(hub, coldRoute(++coldK));
      coldIdleQueries.push(run);
    }
    const answer = summarizeAnswer(first.text);
    log(
      `${backend}: fleet budget query idle median ${formatNumber(median(idleQueries.map((q) => q.ms)))} ms ` +
        `(${answer.rows} SLO rows, ${answer.unitsWithData} of ${answer.unitsApplicable} units with data, ${formatNumber(answer.windowDays)} days); ` +
        `window start cold ${formatNumber(median(coldIdleQueries.map((q) => q.ms)))} ms`,
    );
    const queryStatements = (await postgres?.topStatements(5)) ?? [];
    const rand = random(settings.seed + 7);
    const plan = planLoad(fleet, {
      warmupMs: settings.warmup * 1000,
      measuredMs: settings.seconds * 1000,
      ackedSeq: history.ackedSeq,
      rand,
    });
    log(
      `${backend}: ${int(plan.pushes.length)} pushes encoded in ${int(plan.encodeMs)} ms ` +
        `(${int(plan.gzipBytes / plan.pushes.length)} gzip bytes, ${int(plan.jsonBytes / plan.pushes.length)} JSON bytes each); ` +
        `${settings.warmup} s warm-up, ${settings.seconds} s measured`,
    );
    const hubLifetimePeak = hub.memory().peakMb;
    let windowCpu = 0;
    let windowDbCpu = 0;
    let peakReset = false;
    let machineBusy = 0;
    let ioAtStart = hub.io();
    let windowIo = ioAtStart;
    let windowLoadAverage = Number.NaN;
    const loadedQueries: QueryRun[] = [];
    const coldLoadedQueries: QueryRun[] = [];
    let querying = false;
    // Queries spread over the measured window, one at a time, warm and cold in turn.
    const queryEvery = Math.max(1, Math.floor(settings.seconds / (2 * settings.queryRuns + 1)));
    const running = hub;
    const load = await runLoad(
      plan,
      fleet,
      { baseUrl: hub.baseUrl, tokens, concurrency: settings.concurrency, exited: () => running.exited() },
      {
        measureStart: () => {
          peakReset = running.resetPeak();
          void postgres
            ?.resetStatements()
            .catch((error) => log(`pg_stat_statements_reset: ${String(error)}`));
          windowCpu = running.cpuSeconds();
          windowDbCpu = dbCpu();
          machineBusy = machineBusySeconds();
          ioAtStart = running.io();
          if (profileDir !== undefined) void running.startProfile().catch((error) => log(String(error)));
        },
        measureEnd: () => {
          windowCpu = running.cpuSeconds() - windowCpu;
          windowDbCpu = dbCpu() - windowDbCpu;
          machineBusy = machineBusySeconds() - machineBusy;
          const ioAtEnd = running.io();
          windowIo = Object.fromEntries(
            Object.entries(ioAtEnd).map(([key, value]) => [key, value - ioAtStart[key as keyof ProcessIo]]),
          ) as unknown as ProcessIo;
          windowLoadAverage = loadavg()[0] ?? Number.NaN;
        },
        everySecond: (at) => {
          const intoWindow = at - settings.warmup;
          if (
            intoWindow <= 0 ||
            intoWindow >= settings.seconds ||
            intoWindow % queryEvery !== 0 ||
            querying ||
            (loadedQueries.length >= settings.queryRuns && coldLoadedQueries.length >= settings.queryRuns)
          )
            return;
          querying = true;
          const cold = coldLoadedQueries.length < loadedQueries.length;
          void fleetQuery(running, cold ? coldRoute(++coldK) : FLEET_ROUTE)
            .then(({ text: _text, ...run }) => (cold ? coldLoadedQueries : loadedQueries).push(run))
            .catch((error) => log(`fleet query under load failed: ${String(error)}`))
            .finally(() => {
              querying = false;
            });
        },
      },
    );
    const windowPeak = hub.memory().peakMb;
    let profile: string[] = [];
    if (profileDir !== undefined) {
      await mkdir(profileDir, { recursive: true });
      const path = join(profileDir, 'hub.cpuprofile');
      await hub.stopProfile(path);
      profile = await summarizeProfile(path);
    }
    const databaseRssMb = postgres?.residentMb() ?? 0;
    const windowStatements = (await postgres?.topStatements(8)) ?? [];
    // The per-unit query (a ~23 MB answer for 1,000 units) runs after the window, so that
    // the heap it leaves behind is not counted in the window's peak RSS.
    const perUnitQueries: QueryRun[] = [];
    for (let i = 0; i < settings.queryRuns; i++) {
      const { text: _text, ...run } = await fleetQuery(hub, FLEET_ROUTE_PER_UNIT);
      perUnitQueries.push(run);
    }
    log(
      `${backend}: per-unit fleet budget query median ${formatNumber(median(perUnitQueries.map((q) => q.ms)))} ms`,
    );
    const p = (q: number) => formatNumber(quantile(load.latencyMs, q));
    log(
      `${backend}: offered ${formatNumber(load.offered / load.measuredSeconds)}/s, accepted ${formatNumber(load.accepted / load.measuredSeconds)}/s, ` +
        `p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, ${load.status429} x 429, hub CPU ${formatNumber((100 * windowCpu) / load.measuredSeconds)} %`,
    );
    return {
      backend,
      version,
      registerMs,
      preload,
      idleQueries,
      loadedQueries,
      coldIdleQueries,
      coldLoadedQueries,
      load,
      encode: {
        ms: plan.encodeMs,
        pushes: plan.pushes.length,
        gzipBytes: plan.gzipBytes,
        jsonBytes: plan.jsonBytes,
      },
      hubCpuSeconds: windowCpu,
      databaseCpuSeconds: windowDbCpu,
      hubPeakRssLifetimeMb: hubLifetimePeak,
      hubPeakRssWindowMb: windowPeak,
      peakReset,
      databaseRssMb,
      profile,
      answer,
      perUnitQueries,
      hubIo: windowIo,
      otherCpuSeconds: Math.max(0, machineBusy - windowCpu - windowDbCpu - load.generatorCpuSeconds),
      windowLoadAverage,
      queryStatements,
      windowStatements,
    };
  } finally {
    await hub?.stop();
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Busy CPU seconds of the whole machine so far, all cores (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return (total - (fields[3] ?? 0) - (fields[4] ?? 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The hub's hot spots over the measured window. */
async function summarizeProfile(path: string): Promise<string[]> {
  const self = await hotSpots(path, 15);
  const own = await inclusiveSpots(path, (location) => location.startsWith('src/'), 15);
  const areas = await selfByArea(path);
  const pct = (v: number) => `${formatNumber(v).padStart(5)} %`;
  return [
    `${formatNumber(own.totalMs / 1000)} s profiled, ${formatNumber(own.idlePercent)} % idle, ${formatNumber(own.gcPercent)} % GC`,
    'Self time:',
    ...self.map(
      (s) => `  ${pct(s.selfPercent)} self, ${pct(s.totalPercent)} total  ${s.function}  ${s.location}`,
    ),
    'Inclusive time of src/ functions:',
    ...own.spots.map((s) => `  ${pct(s.totalPercent)}  ${s.function}  ${s.location}`),
    'Self time by area (native calls such as SQLite count in their JS caller):',
    ...areas.map((a) => `  ${pct(a.percent)}  ${a.area}`),
  ];
}

/** The verdicts on the issue's targets for one backend. */
function verdicts(run: BackendRun) {
  const load = run.load;
  const p99 = quantile(load.latencyMs, 0.99);
  const lagP99 = quantile(load.lagMs, 0.99);
  const keepsUp =
    load.offered > 0 &&
    load.accepted >= KEEP_UP_RATIO * load.offered &&
    load.errors === 0 &&
    !(lagP99 >= KEEP_UP_LAG_MS);
  const idleQuery = median(run.idleQueries.map((q) => q.ms));
  const loadedQuery = median(run.loadedQueries.map((q) => q.ms));
  const coldIdleQuery = median(run.coldIdleQueries.map((q) => q.ms));
  const coldLoadedQuery = median(run.coldLoadedQueries.map((q) => q.ms));
  const loadedQueryOk = !(loadedQuery >= TARGET_QUERY_MS) && !(coldLoadedQuery >= TARGET_QUERY_MS);
  return {
    keepsUp,
    p99Ok: p99 < TARGET_P99_MS,
    queryOk: idleQuery < TARGET_QUERY_MS && coldIdleQuery < TARGET_QUERY_MS && loadedQueryOk,
    loadedQueryOk,
    p99,
    lagP99,
    idleQuery,
    loadedQuery,
    coldIdleQuery,
    coldLoadedQuery,
  };
}

function figuresOf(run: BackendRun): Figure[] {
  const b = run.backend;
  const load = run.load;
  const seconds = load.measuredSeconds;
  const v = verdicts(run);
  const one = (name: string, unit: string, value: number, what: string, better: Figure['better'] = 'lower') =>
    figure(`${b}: ${name}`, unit, [value], what, better);
  const figures = [
    one(
      'offered pushes/s',
      '1/s',
      load.offered / seconds,
      'pushes scheduled in the measured window per second',
      'higher',
    ),
    one(
      'accepted pushes/s',
      '1/s',
      load.accepted / seconds,
      'of those, answered 2xx (answers after the window included)',
      'higher',
    ),
    one(
      'push latency p50',
      'ms',
      quantile(load.latencyMs, 0.5),
      '2xx pushes: request written to answer read',
    ),
    one('push latency p90', 'ms', quantile(load.latencyMs, 0.9), '2xx pushes'),
    one('push latency p99', 'ms', v.p99, `2xx pushes (target < ${TARGET_P99_MS} ms)`),
    one('push latency max', 'ms', Math.max(...load.latencyMs), '2xx pushes'),
    one(
      'generator lag p99',
      'ms',
      v.lagP99,
      'scheduled moment to request written (queueing in the generator)',
    ),
    one('429 answers', 'pushes', load.status429, 'refused by admission control in the window'),
    one(
      'other refusals',
      'pushes',
      load.status503 + load.otherStatus + load.errors,
      '503, other non-2xx, errors',
    ),
    one('hub CPU', 'CPU s', run.hubCpuSeconds, 'hub process utime + stime over the window'),
    one('hub CPU share', '% core', (100 * run.hubCpuSeconds) / seconds, 'of one core, over the window'),
    one(
      'hub CPU per push',
      'ms',
      (1000 * run.hubCpuSeconds) / Math.max(1, load.accepted),
      'hub CPU over the window / accepted pushes (robust to other load)',
    ),
    one('hub peak RSS', 'MB', run.hubPeakRssWindowMb, 'VmHWM within the window (reset at its start)'),
    one(
      'hub peak RSS lifetime',
      'MB',
      run.hubPeakRssLifetimeMb,
      'VmHWM before the window (start, registration, history)',
    ),
    figure(
      `${b}: fleet query idle`,
      'ms',
      run.idleQueries.map((q) => q.ms),
      `GET ${FLEET_ROUTE}, all units and SLOs, 28 d (target < ${TARGET_QUERY_MS} ms)`,
    ),
  ];
  figures.push(
    figure(
      `${b}: fleet query per unit`,
      'ms',
      run.perUnitQueries.map((q) => q.ms),
      `GET ${FLEET_ROUTE_PER_UNIT}: one row per (unit, SLO), after the load (no target)`,
    ),
  );
  if (run.loadedQueries.length > 0)
    figures.push(
      figure(
        `${b}: fleet query under load`,
        'ms',
        run.loadedQueries.map((q) => q.ms),
        'the same, during the window',
      ),
    );
  figures.push(
    figure(
      `${b}: fleet query cold idle`,
      'ms',
      run.coldIdleQueries.map((q) => q.ms),
      `a window start no query used before (?window=28d less k steps): every (unit, SLI) pair sought (target < ${TARGET_QUERY_MS} ms)`,
    ),
  );
  if (run.coldLoadedQueries.length > 0)
    figures.push(
      figure(
        `${b}: fleet query cold under load`,
        'ms',
        run.coldLoadedQueries.map((q) => q.ms),
        'the same, during the window',
      ),
    );
  figures.push(
    one(
      'history records/s',
      '1/s',
      run.preload.records / Math.max(run.preload.seconds, 1e-9),
      'preload through the push path, 10k-record pushes',
      'higher',
    ),
  );
  if (b === 'postgres')
    figures.push(
      one(
        'PostgreSQL CPU share',
        '% core',
        (100 * run.databaseCpuSeconds) / seconds,
        'server processes over the window',
      ),
      one(
        'PostgreSQL CPU per push',
        'ms',
        (1000 * run.databaseCpuSeconds) / Math.max(1, load.accepted),
        'server CPU over the window / accepted pushes',
      ),
    );
  figures.push(
    one(
      'other processes CPU share',
      '% core',
      (100 * run.otherCpuSeconds) / seconds,
      'CPU used by processes other than the hub, PostgreSQL and the generator: competition',
    ),
  );
  figures.push(
    one(
      'generator CPU share',
      '% core',
      (100 * load.generatorCpuSeconds) / seconds,
      'the load generator (this process)',
    ),
  );
  return figures;
}

const yes = (ok: boolean) => (ok ? 'yes' : 'NO');

/** The per-backend summary the brief asks for, as a table. */
function summaryTable(runs: readonly BackendRun[]): string {
  const rows = runs.map((run) => {
    const load = run.load;
    const s = load.measuredSeconds;
    const v = verdicts(run);
    return [
      run.backend,
      formatNumber(load.offered / s),
      formatNumber(load.accepted / s),
      formatNumber(quantile(load.latencyMs, 0.5)),
      formatNumber(v.p99),
      String(load.status429),
      formatNumber(run.hubCpuSeconds),
      formatNumber((100 * run.hubCpuSeconds) / s),
      run.backend === 'postgres' ? formatNumber((100 * run.databaseCpuSeconds) / s) : '-',
      formatNumber(run.hubPeakRssWindowMb),
      formatNumber(v.idleQuery),
      Number.isNaN(v.loadedQuery) ? '-' : formatNumber(v.loadedQuery),
      formatNumber(v.coldIdleQuery),
      Number.isNaN(v.coldLoadedQuery) ? '-' : formatNumber(v.coldLoadedQuery),
      `${yes(v.keepsUp)}/${yes(v.p99Ok)}/${yes(v.queryOk)}`,
    ];
  });
  return table(
    [
      'backend',
      'offered/s',
      'accepted/s',
      'p50 ms',
      'p99 ms',
      '429s',
      'hub CPU s',
      'hub %core',
      'pg %core',
      'hub RSS MB',
      'query idle ms',
      'query load ms',
      'cold idle ms',
      'cold load ms',
      'keeps up/p99/query',
    ],
    rows,
  );
}

export async function run(bench: BenchOptions): Promise<BenchResult & { backends: unknown[] }> {
  const startedAt = new Date();
  const machine = environment();
  const { log, values } = bench;
  const smoke = values['smoke'] === true;
  const pick = (flag: string, full: string, reduced: string) => values[flag] ?? (smoke ? reduced : full);
  const settings: Settings = {
    units: positiveInteger(pick('units', '1000', '20'), 'units'),
    series: positiveInteger(values['series'], 'series'),
    slis: positiveInteger(values['slis'], 'slis'),
    seconds: positiveInteger(pick('seconds', '90', '5'), 'seconds'),
    warmup: nonNegativeInteger(pick('warmup', '15', '3'), 'warmup'),
    historyDays: nonNegativeInteger(pick('history-days', '28', '2'), 'history-days'),
    historyLabelSets: positiveInteger(values['history-label-sets'], 'history-label-sets'),
    historyBatch: positiveInteger(values['history-batch'], 'history-batch'),
    preloadConcurrency: positiveInteger(values['preload-concurrency'], 'preload-concurrency'),
    concurrency: positiveInteger(values['concurrency'], 'concurrency'),
    queryRuns: bench.runs,
    seed: positiveInteger(values['seed'], 'seed'),
    profile: values['profile'] === true,
    sharedBuffers: String(values['shared-buffers']),
  };
  if (!/^\d+(kB|MB|GB)$/.test(settings.sharedBuffers))
    throw new Error('--shared-buffers is a size such as 256MB or 2GB');
  if (settings.historyBatch > 10_000)
    throw new Error('--history-batch is at most 10000 (MAX_RECORDS_PER_PUSH)');
  if (settings.slis > settings.series) throw new Error('--slis must not exceed --series');
  const backendFlag = String(values['backend']);
  const backends: ('sqlite' | 'postgres')[] =
    backendFlag === 'both'
      ? ['sqlite', 'postgres']
      : backendFlag === 'sqlite' || backendFlag === 'postgres'
        ? [backendFlag]
        : [];
  if (backends.length === 0) throw new Error('--backend must be sqlite, postgres or both');

  const fleet = generateFleet({
    units: settings.units,
    seriesPerUnit: settings.series,
    slis: settings.slis,
    seed: settings.seed,
  });
  const errors = buildCatalog(fleet.catalog).issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0)
    throw new Error(`the generated catalog is invalid:\n${errors.slice(0, 10).map(formatIssue).join('\n')}`);
  const labelSets = Math.ceil(settings.series / settings.slis);
  log(
    `${settings.units} units x ${settings.series} series (${settings.slis} SLIs x ${labelSets} label sets), ` +
      `push every ${PUSH_INTERVAL_MS / 1000} s; backends: ${backends.join(', ')}`,
  );

  const notes: string[] = [];
  const runs: BackendRun[] = [];
  for (const backend of backends) {
    if (backend === 'postgres') {
      const found = findPostgres();
      if (!found.ok) {
        log(`postgres: skipped: ${found.reason}`);
        notes.push(`PostgreSQL not measured: ${found.reason}`);
        continue;
      }
    }
    try {
      runs.push(await driveBackend(backend, fleet, settings, log));
    } catch (error) {
      if (backend === 'postgres' && /postgres|initdb|setpriv/i.test(String(error)) && runs.length > 0) {
        // The SQLite figures still stand; say why PostgreSQL has none.
        log(`postgres: failed: ${String(error)}`);
        notes.push(`PostgreSQL not measured: ${String(error).slice(0, 500)}`);
        continue;
      }
      throw error;
    }
  }

  notes.push('', summaryTable(runs), '');
  for (const run of runs) {
    const v = verdicts(run);
    const load = run.load;
    notes.push(
      `${run.backend}: targets: keeps up ${yes(v.keepsUp)} (accepted ${int(load.accepted)} of ${int(load.offered)} offered, ` +
        `generator lag p99 ${formatNumber(v.lagP99)} ms, max backlog ${load.maxBacklog}), ` +
        `p99 < ${TARGET_P99_MS} ms ${yes(v.p99Ok)} (${formatNumber(v.p99)} ms), ` +
        `fleet query < ${TARGET_QUERY_MS} ms ${yes(v.queryOk)} (idle median ${formatNumber(v.idleQuery)} ms` +
        (Number.isNaN(v.loadedQuery) ? '' : `, under load ${formatNumber(v.loadedQuery)} ms`) +
        `; window start cold: idle ${formatNumber(v.coldIdleQuery)} ms` +
        (Number.isNaN(v.coldLoadedQuery) ? '' : `, under load ${formatNumber(v.coldLoadedQuery)} ms`) +
        `; under load ${yes(v.loadedQueryOk)}).`,
      `${run.backend}: ${run.version}; units registered in ${int(run.registerMs)} ms; history ${int(run.preload.records)} records ` +
        `in ${int(run.preload.pushes)} pushes, ${formatNumber(run.preload.seconds)} s (${int(run.preload.records / Math.max(run.preload.seconds, 1e-9))} records/s, ` +
        `hub CPU ${formatNumber(run.preload.hubCpuSeconds)} s` +
        (run.backend === 'postgres'
          ? `, PostgreSQL CPU ${formatNumber(run.preload.databaseCpuSeconds)} s`
          : '') +
        `, ${run.preload.refused} pushes refused and retried); fleet answer ${int(run.idleQueries[0]?.bytes ?? 0)} bytes, ` +
        `${run.answer.rows} SLO rows over ${formatNumber(run.answer.windowDays)} days, ${run.answer.unitsWithData} of ${run.answer.unitsApplicable} units with data, ` +
        `${int(run.answer.totalEvents)} events; per-unit answer ${int(run.perUnitQueries[0]?.bytes ?? 0)} bytes; ` +
        `${int(run.encode.pushes)} steady pushes pre-encoded in ${int(run.encode.ms)} ms ` +
        `(${int(run.encode.gzipBytes / Math.max(run.encode.pushes, 1))} gzip / ${int(run.encode.jsonBytes / Math.max(run.encode.pushes, 1))} JSON bytes each); ` +
        `most pushes in flight ${load.maxInFlight}; ${load.reencoded} re-encoded after a refusal; ${load.ackMismatches} ack mismatches; ` +
        `peak RSS reset at the window ${run.peakReset ? 'worked' : 'FAILED (peak is lifetime)'}` +
        (run.backend === 'postgres'
          ? `; PostgreSQL RSS at the end ${int(run.databaseRssMb)} MB (shared buffers counted per process)`
          : '') +
        '.',
    );
    const io = run.hubIo;
    const mb = (bytes: number) => formatNumber(bytes / 2 ** 20);
    notes.push(
      `${run.backend}: hub I/O over the window: ${mb(io.writtenChars)} MB written in ${int(io.writeCalls)} calls ` +
        `(${mb(io.writtenChars / Math.max(1, load.accepted))} MB per accepted push), ${mb(io.readChars)} MB read in ${int(io.readCalls)} calls; ` +
        `${mb(io.writtenBytes)} MB reached the disk.`,
    );
    const otherPercent = (100 * run.otherCpuSeconds) / load.measuredSeconds;
    notes.push(
      `${run.backend}: during the window, other processes used ${formatNumber(otherPercent)} % of a core ` +
        `(1-minute load average ${formatNumber(run.windowLoadAverage)} on ${cpus().length} cores)` +
        (otherPercent > 20
          ? ': they competed with the hub for the CPUs, so latencies and throughput are worse than on a quiet machine.'
          : '.'),
    );
    if (load.firstProblems.length > 0)
      notes.push(`${run.backend}: first problems: ${load.firstProblems.join(' | ')}`);
    const statements = (title: string, list: readonly StatementStats[]) =>
      list.length === 0
        ? []
        : [
            title,
            ...list.map(
              (st) =>
                `  ${formatNumber(st.percent).padStart(5)} %  ${int(st.calls)} calls, mean ${formatNumber(st.meanMs)} ms, ${int(st.rows)} rows: ${st.query.slice(0, 200)}`,
            ),
          ];
    notes.push(
      ...statements(
        `${run.backend}: PostgreSQL statements by execution time, fleet queries idle:`,
        run.queryStatements,
      ),
      ...statements(
        `${run.backend}: PostgreSQL statements by execution time, measured window:`,
        run.windowStatements,
      ),
    );
    const slowSeconds = [...load.seconds]
      .filter((second) => second.maxLatencyMs > TARGET_P99_MS)
      .map((second) => `${second.at}s: ${int(second.maxLatencyMs)} ms`);
    if (slowSeconds.length > 0)
      notes.push(
        `${run.backend}: seconds (from the start of the warm-up, window from ${settings.warmup}s) whose slowest answer exceeded ${TARGET_P99_MS} ms: ${slowSeconds.slice(0, 40).join(', ')}${slowSeconds.length > 40 ? ', ...' : ''}`,
      );
    if (run.profile.length > 0)
      notes.push(`${run.backend}: hub CPU profile over the measured window:`, ...run.profile);
  }
  notes.push(
    `History: ${settings.historyDays} days of hourly records (minutes: 60) for ${settings.historyLabelSets} label set(s) of each SLI per unit, ` +
      'pushed through POST /api/v1/sync/push before the hub is measured (the fleet query reads per (unit, SLI) aggregates, ' +
      "so fewer label sets change the table sizes, not the query work). Steady pushes carry every series' current 5-minute " +
      'bucket, so most records replace the previous version of the same key.',
    'Percentiles are over all 2xx pushes scheduled in the measured window (nearest rank). A push refused with 429 is not ' +
      "retried on its own: the unit's next push covers from the hub's mark, as the outbox does.",
  );

  const figures = runs.flatMap(figuresOf);
  return {
    benchmark: 'hub',
    description,
    params: {
      units: settings.units,
      series: settings.series,
      slis: settings.slis,
      seconds: settings.seconds,
      warmup: settings.warmup,
      backend: backendFlag,
      historyDays: settings.historyDays,
      historyLabelSets: settings.historyLabelSets,
      historyBatch: settings.historyBatch,
      preloadConcurrency: settings.preloadConcurrency,
      concurrency: settings.concurrency,
      queryRuns: settings.queryRuns,
      seed: settings.seed,
      smoke,
      profile: settings.profile,
      sharedBuffers: settings.sharedBuffers,
      pushIntervalSeconds: PUSH_INTERVAL_MS / 1000,
    },
    environment: finishEnvironment(machine),
    input: {
      units: settings.units,
      seriesPerUnit: settings.series,
      slis: settings.slis,
      labelSets,
      offeredPushesPerSecond: settings.units / (PUSH_INTERVAL_MS / 1000),
      recordsPerSecond: (settings.units * settings.series) / (PUSH_INTERVAL_MS / 1000),
    },
    figures,
    peers: [],
    ratios: [],
    notes,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    backends: runs.map((r) => {
      const v = verdicts(r);
      return {
        backend: r.backend,
        version: r.version,
        offeredPerSecond: r.load.offered / r.load.measuredSeconds,
        acceptedPerSecond: r.load.accepted / r.load.measuredSeconds,
        acceptedInWindowPerSecond: r.load.acceptedInWindowPerSecond,
        latencyMs: {
          p50: quantile(r.load.latencyMs, 0.5),
          p90: quantile(r.load.latencyMs, 0.9),
          p99: v.p99,
          max: Math.max(...r.load.latencyMs),
        },
        generatorLagMs: { p50: quantile(r.load.lagMs, 0.5), p99: v.lagP99, max: Math.max(...r.load.lagMs) },
        status429: r.load.status429,
        status503: r.load.status503,
        otherStatus: r.load.otherStatus,
        errors: r.load.errors,
        maxBacklog: r.load.maxBacklog,
        maxInFlight: r.load.maxInFlight,
        hubCpuSeconds: r.hubCpuSeconds,
        hubCpuPercentOfCore: (100 * r.hubCpuSeconds) / r.load.measuredSeconds,
        hubCpuMsPerPush: (1000 * r.hubCpuSeconds) / Math.max(1, r.load.accepted),
        databaseCpuMsPerPush: (1000 * r.databaseCpuSeconds) / Math.max(1, r.load.accepted),
        otherProcessesCpuSeconds: r.otherCpuSeconds,
        hubIo: r.hubIo,
        windowLoadAverage: r.windowLoadAverage,
        databaseCpuSeconds: r.databaseCpuSeconds,
        hubPeakRssMb: r.hubPeakRssWindowMb,
        hubPeakRssLifetimeMb: r.hubPeakRssLifetimeMb,
        generatorCpuSeconds: r.load.generatorCpuSeconds,
        fleetQueryIdleMs: r.idleQueries.map((q) => q.ms),
        fleetQueryUnderLoadMs: r.loadedQueries.map((q) => q.ms),
        fleetQueryColdIdleMs: r.coldIdleQueries.map((q) => q.ms),
        fleetQueryColdUnderLoadMs: r.coldLoadedQueries.map((q) => q.ms),
        fleetQueryBytes: r.idleQueries[0]?.bytes ?? 0,
        fleetAnswer: r.answer,
        fleetQueryPerUnitMs: r.perUnitQueries.map((q) => q.ms),
        fleetQueryPerUnitBytes: r.perUnitQueries[0]?.bytes ?? 0,
        preload: r.preload,
        targets: {
          keepsUp: v.keepsUp,
          p99: v.p99Ok,
          fleetQuery: v.queryOk,
          fleetQueryUnderLoad: v.loadedQueryOk,
        },
        perSecond: r.load.seconds,
        profile: r.profile,
        postgresStatements: { fleetQueries: r.queryStatements, window: r.windowStatements },
      };
    }),
  };
}
