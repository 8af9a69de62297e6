/**
 * `npm run bench -- ingest [--series N] [--unrelated M] [--seconds S] [--concurrency C]
 * [--targets sextant,prometheus,victoria] [--profile] [--json]`: remote-write ingest at
 * saturation, the Sextant unit against Prometheus 2.42's remote-write receiver and
 * VictoriaMetrics, each a real process on this machine fed the same stream.
 *
 * - Stream (bench/support/ingest-stream.ts): N series (default 10,000) that a generated
 *   catalog's SLIs select (request counters by code, latency histogram buckets) and M
 *   unrelated ones (default 90,000: node exporter, kube-state-metrics, runtime metrics,
 *   histogram sums), realistic sorted label sets, shuffled across requests as Prometheus's
 *   sharding does, one sample per series per request, `--batch` samples per request.
 *   Encoded and snappy-compressed once; each 15 s time step is written over the templates
 *   in place, so the load generator spends nanoseconds per sample.
 * - Load (bench/support/ingest-load.ts): keep-alive connections over loopback taking
 *   (step, batch) items from one queue, each series strictly in order. Saturation: with
 *   no --concurrency, probes 1, 2, 4, 8, 16 connections until two doublings in a row add
 *   under 5 %, keeps the best, then measures for --seconds; the probes are the warm-up.
 * - Measured per target: samples in 2xx-answered requests per second (median over
 *   1-second intervals), CPU seconds per million accepted samples (utime + stime of the
 *   receiver from /proc/PID/stat), peak RSS over its whole life (VmHWM), non-2xx answers
 *   and connection errors. Each target's own counters are read afterwards as a check.
 * - Sextant is started as installed, through bin/sextant.js (its V8 flags and compile cache;
 *   one unmeasured start first fills the cache).
 * - The three do not promise the same: Sextant answers 2xx after an fsync'ed SQLite
 *   commit of the SLI counts and drops other series; Prometheus after appending every
 *   series to its head and WAL (written, not fsync'ed per request); VictoriaMetrics after
 *   buffering in memory (flushed about once a second).
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  type Peer,
  type Ratio,
  ratio,
} from './harness.ts';
import { directoryBytes } from './prometheus-peer.ts';
import { LoadDriver, type PhaseResult } from './support/ingest-load.ts';
import { inclusiveSpots, selfByArea } from './support/ingest-profile.ts';
import {
  type BatchTemplate,
  generateStream,
  SCRAPE_INTERVAL_MS,
  type Stream,
} from './support/ingest-stream.ts';
import {
  ensurePeer,
  metricSum,
  type PeerBinary,
  peakRssMb,
  type RunningTarget,
  residentMb,
  startPrometheusReceiver,
  startSextant,
  startVictoriaMetrics,
  TARGET_NAMES,
  type TargetName,
  warmSextant,
} from './support/ingest-targets.ts';

export const description =
  'remote-write ingest at saturation (10k SLI + 90k unrelated series, 15 s steps): Sextant unit vs Prometheus 2.42 receiver and VictoriaMetrics; samples/s, CPU per sample, peak RSS';

export const options = {
  series: { type: 'string', default: '10000', description: 'series that the catalog SLIs select' },
  unrelated: { type: 'string', default: '90000', description: 'series no SLI selects' },
  seconds: { type: 'string', default: '20', description: 'measured seconds per target' },
  concurrency: {
    type: 'string',
    description: 'fixed number of connections (default: sweep 1, 2, 4, 8, 16 and keep the best)',
  },
  'probe-seconds': { type: 'string', default: '3', description: 'seconds per step of the sweep' },
  warmup: { type: 'string', default: '5', description: 'warm-up seconds with a fixed --concurrency' },
  batch: { type: 'string', default: '5000', description: 'samples per request (max_samples_per_send)' },
  targets: {
    type: 'string',
    default: TARGET_NAMES.join(','),
    description: 'receivers to drive, in this order',
  },
  seed: { type: 'string', default: '1', description: 'seed of the stream generator' },
  'node-flags': {
    type: 'string',
    description: "extra node flags for the Sextant unit, space-separated (e.g. '--max-old-space-size=96')",
  },
  profile: {
    type: 'boolean',
    description: 'drive one more Sextant unit under node --cpu-prof and list its hot spots',
  },
} as const satisfies Record<string, BenchFlag>;

const SWEEP = [1, 2, 4, 8, 16];
/** A doubling of connections that adds less than this does not count as growth. */
const SWEEP_GAIN = 1.05;
/**
 * Step 0 is this long before the target starts: late enough for Sextant's 3-hour late-sample
 * horizon, early enough that a fast target stays within a few hours of now.
 */
const HISTORY_MS = 170 * 60_000;

function positiveInteger(value: string | boolean | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) throw new Error(`--${flag} must be a positive integer`);
  return number;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Everything measured on one target. */
interface TargetRun {
  name: TargetName;
  version: string;
  sweep: PhaseResult[];
  measured: PhaseResult;
  peakRssMb: number;
  /** Resident memory one second after start-up, before any load, and at the end. */
  startupRss: ReturnType<typeof residentMb>;
  endRss: ReturnType<typeof residentMb>;
  /** Bytes in the target's data directory at the end. */
  storageBytes: number;
  /** Steps sent in all (each a scrape interval of simulated time). */
  steps: number;
  loadAverageAtStart: number[];
  checks: string[];
}

const round2 = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');

/** Starts one target, finds its saturation concurrency, measures, reads its counters, stops it. */
async function driveTarget(
  name: TargetName,
  version: string,
  start: (dir: string) => Promise<RunningTarget>,
  stream: Stream,
  settings: { seconds: number; probeSeconds: number; warmupSeconds: number; concurrency: number | undefined },
  log: (message: string) => void,
): Promise<TargetRun> {
  const dir = await mkdtemp(join(tmpdir(), `sextant-bench-ingest-${name}-`));
  const loadAverageAtStart = loadavg();
  let target: RunningTarget | undefined;
  let driver: LoadDriver | undefined;
  try {
    target = await start(dir);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const startupRss = residentMb(target.pid);
    const startMs = Math.floor((Date.now() - HISTORY_MS) / SCRAPE_INTERVAL_MS) * SCRAPE_INTERVAL_MS;
    driver = new LoadDriver(stream.batches, target, startMs);
    const sweep: PhaseResult[] = [];
    let concurrency = settings.concurrency;
    const rate = (phase: PhaseResult) => phase.acceptedSamples / phase.seconds;
    if (concurrency === undefined) {
      // Up the connections until two doublings in a row add less than 5 % (one may be noise).
      let best: PhaseResult | undefined;
      let flat = 0;
      for (const connections of SWEEP.filter((c) => c <= stream.batches.length)) {
        const probe = await driver.phase(connections, settings.probeSeconds);
        sweep.push(probe);
        log(`${name}: ${connections} connection(s): ${int(rate(probe))} samples/s`);
        const gained = best === undefined || rate(probe) >= SWEEP_GAIN * rate(best);
        if (best === undefined || rate(probe) > rate(best)) best = probe;
        flat = gained ? 0 : flat + 1;
        if (flat === 2) break;
      }
      concurrency = best!.concurrency;
    } else {
      log(`${name}: warm-up, ${settings.warmupSeconds} s on ${concurrency} connection(s)`);
      await driver.phase(concurrency, settings.warmupSeconds);
    }
    log(`${name}: measuring ${settings.seconds} s on ${concurrency} connection(s)`);
    const measured = await driver.phase(concurrency, settings.seconds);
    log(
      `${name}: ${int(rate(measured))} samples/s, CPU ${formatNumber(measured.targetCpuSeconds / measured.seconds)} cores, ` +
        `${measured.status4xx} 4xx, ${measured.status5xx} 5xx, ${measured.errors} errors`,
    );
    const peak = peakRssMb(target.pid);
    const endRss = residentMb(target.pid);
    const checks = await crossCheck(target, driver);
    let storageBytes = Number.NaN;
    try {
      storageBytes = directoryBytes(dir);
    } catch {
      // A file vanished while walking (Prometheus rotates its WAL): leave it unknown.
    }
    return {
      name,
      version,
      sweep,
      measured,
      peakRssMb: peak,
      startupRss,
      endRss,
      storageBytes,
      steps: driver.steps,
      loadAverageAtStart,
      checks,
    };
  } finally {
    driver?.close();
    await target?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the target's own /metrics says it took in, against what the driver saw answered. */
async function crossCheck(target: RunningTarget, driver: LoadDriver): Promise<string[]> {
  // Let answers still in flight and background flushes land.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const text = await fetch(`${target.baseUrl}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const acked = driver.acknowledged;
  if (text === '') return [`${target.name}: /metrics unreadable`];
  switch (target.name) {
    case 'sextant': {
      const outcomes = [
        'counted',
        'baseline',
        'duplicate',
        'out_of_order',
        'conflict',
        'too_old',
        'unmatched',
      ];
      const parts = outcomes.map(
        (outcome) =>
          `${outcome} ${int(metricSum(text, 'sextant_unit_samples_total', `outcome="${outcome}"`))}`,
      );
      const skipped = metricSum(text, 'sextant_unit_series_skipped_total');
      return [
        `sextant: ${int(acked.sliSamples)} SLI samples acknowledged; the unit's outcomes: ${parts.join(', ')}; ` +
          `${int(skipped)} unrelated series skipped of ${int(acked.samples - acked.sliSamples)} acknowledged ` +
          '(unmatched: histogram buckets whose le no SLI threshold uses).',
      ];
    }
    case 'prometheus': {
      const appended = metricSum(text, 'prometheus_tsdb_head_samples_appended_total');
      const oooRejected = metricSum(text, 'prometheus_tsdb_out_of_order_samples_total');
      const bounds = metricSum(text, 'prometheus_tsdb_out_of_bound_samples_total');
      const compactions = metricSum(text, 'prometheus_tsdb_compactions_total');
      const series = metricSum(text, 'prometheus_tsdb_head_series');
      return [
        `prometheus: ${int(acked.samples)} samples acknowledged, ${int(appended)} appended to the head ` +
          `(${int(series)} head series), ${int(oooRejected)} out of order, ${int(bounds)} out of bounds, ${int(compactions)} compactions.`,
      ];
    }
    case 'victoria': {
      const inserted = metricSum(text, 'vm_rows_inserted_total', 'type="promremotewrite"');
      return [`victoria: ${int(acked.samples)} samples acknowledged, ${int(inserted)} rows inserted.`];
    }
  }
}

/** Figures of one target, named alike for every target so that ratios line up. */
function figuresOf(run: TargetRun): Figure[] {
  const m = run.measured;
  const counted = m.intervals.filter((i) => i.acceptedSamples > 0);
  return [
    figure(
      'accepted samples/s',
      'samples/s',
      m.intervals.map((i) => i.acceptedSamples / i.seconds),
      'samples in 2xx-answered requests per second, per 1 s interval at saturation',
      'higher',
    ),
    figure(
      'CPU per million samples',
      'CPU s',
      counted.map((i) => i.targetCpuSeconds / (i.acceptedSamples / 1e6)),
      'receiver user + system CPU seconds per million accepted samples (/proc/PID/stat)',
    ),
    figure(
      'CPU used',
      'cores',
      m.intervals.map((i) => i.targetCpuSeconds / i.seconds),
      'receiver CPU seconds per second while measured',
    ),
    figure('peak RSS', 'MB', [run.peakRssMb], 'receiver VmHWM over its whole life (start, sweep, measure)'),
    figure(
      'RSS after start-up',
      'MB',
      [run.startupRss.rss],
      'receiver VmRSS 1 s after start, before any load',
    ),
    figure('connections', 'conns', [m.concurrency], 'concurrency measured at (the sweep picks it)', 'higher'),
    figure('4xx answers', 'requests', [m.status4xx], 'requests answered 4xx while measured'),
    figure('5xx answers', 'requests', [m.status5xx], 'requests answered 5xx while measured'),
    figure('errors', 'requests', [m.errors], 'connection errors and timeouts while measured'),
  ];
}

async function writeCatalog(dir: string, stream: Stream): Promise<void> {
  for (const file of stream.catalog) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
  }
}

/** One more Sextant unit under --cpu-prof, driven like the measured one; its hot spots. */
async function profileSextant(
  stream: Stream,
  catalogDir: string,
  concurrency: number,
  seconds: number,
  nodeFlags: readonly string[],
  log: (message: string) => void,
): Promise<string[]> {
  const profileDir = await mkdtemp(join(tmpdir(), 'sextant-bench-ingest-profile-'));
  try {
    log(`sextant --cpu-prof: 3 s warm-up, then ${seconds} s on ${concurrency} connection(s)`);
    const run = await driveTarget(
      'sextant',
      'profiled',
      (dir) => startSextant({ catalogDir, dataDir: join(dir, 'data'), profileDir, nodeFlags }),
      stream,
      { seconds, probeSeconds: 0, warmupSeconds: 3, concurrency },
      log,
    );
    const path = join(profileDir, 'unit.cpuprofile');
    const self = await hotSpots(path, 15);
    const own = await inclusiveSpots(path, (location) => location.startsWith('src/'), 15);
    const areas = await selfByArea(path);
    const pct = (v: number) => `${formatNumber(v).padStart(5)} %`;
    return [
      `Profile of one more unit under --cpu-prof (${int(run.measured.acceptedSamples / run.measured.seconds)} samples/s while profiled; ` +
        `${formatNumber(own.totalMs / 1000)} s profiled, ${formatNumber(own.idlePercent)} % idle, ${formatNumber(own.gcPercent)} % GC):`,
      'Self time:',
      ...self.map(
        (s) => `  ${pct(s.selfPercent)} self, ${pct(s.totalPercent)} total  ${s.function}  ${s.location}`,
      ),
      'Inclusive time of src/ functions:',
      ...own.spots.map((s) => `  ${pct(s.totalPercent)}  ${s.function}  ${s.location}`),
      'Self time by area (native calls such as SQLite count in their JS caller):',
      ...areas.map((a) => `  ${pct(a.percent)}  ${a.area}`),
    ];
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
}

export async function run(bench: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const machine = environment();
  const { log, values } = bench;
  const sliSeries = positiveInteger(values['series'], 'series');
  const unrelatedSeries = Number(values['unrelated']);
  if (!Number.isSafeInteger(unrelatedSeries) || unrelatedSeries < 0)
    throw new Error('--unrelated must be a non-negative integer');
  const seconds = positiveInteger(values['seconds'], 'seconds');
  const probeSeconds = positiveInteger(values['probe-seconds'], 'probe-seconds');
  const warmupSeconds = positiveInteger(values['warmup'], 'warmup');
  const batchSamples = positiveInteger(values['batch'], 'batch');
  const seed = positiveInteger(values['seed'], 'seed');
  const concurrency =
    values['concurrency'] === undefined ? undefined : positiveInteger(values['concurrency'], 'concurrency');
  const nodeFlags = String(values['node-flags'] ?? '')
    .split(' ')
    .filter((flag) => flag !== '');
  const targets = String(values['targets'])
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const t of targets)
    if (!(TARGET_NAMES as readonly string[]).includes(t))
      throw new Error(`--targets: unknown target "${t}"; choose from ${TARGET_NAMES.join(', ')}`);

  log(
    `generating ${int(sliSeries)} SLI + ${int(unrelatedSeries)} unrelated series, ${int(batchSamples)} per request`,
  );
  const stream = generateStream({ sliSeries, unrelatedSeries, batchSamples, seed });
  const built = buildCatalog(stream.catalog);
  const errors = built.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0)
    throw new Error(`the generated catalog is invalid:\n${errors.slice(0, 10).map(formatIssue).join('\n')}`);
  if (concurrency !== undefined && concurrency > stream.batches.length)
    throw new Error(`--concurrency ${concurrency} is above the ${stream.batches.length} requests of a step`);
  const { counts } = stream;
  const samplesPerStep = counts.sliSeries + counts.unrelatedSeries;
  log(
    `${counts.batches} requests per step, ${formatNumber(counts.compressedBytesPerStep / samplesPerStep)} compressed bytes per sample, generated in ${int(counts.generateMs)} ms`,
  );

  const catalogDir = await mkdtemp(join(tmpdir(), 'sextant-bench-ingest-catalog-'));
  const notes: string[] = [];
  const runs: TargetRun[] = [];
  try {
    await writeCatalog(catalogDir, stream);
    if (targets.includes('sextant')) {
      log('sextant: warming the compile cache with one start and stop');
      const warmDir = await mkdtemp(join(tmpdir(), 'sextant-bench-ingest-warm-'));
      try {
        await warmSextant({ catalogDir, dataDir: join(warmDir, 'data') });
      } finally {
        await rm(warmDir, { recursive: true, force: true });
      }
    }
    const settings = { seconds, probeSeconds, warmupSeconds, concurrency };
    for (const name of targets as TargetName[]) {
      let binary: PeerBinary = { ok: true, path: process.execPath, version: `node ${process.version}` };
      if (name === 'prometheus') binary = await ensurePeer('prometheus', 'prometheus');
      if (name === 'victoria') binary = await ensurePeer('victoria-metrics', 'victoria-metrics');
      if (!binary.ok) {
        log(`${name}: skipped: ${binary.reason}`);
        notes.push(`${name} not measured: ${binary.reason}`);
        continue;
      }
      const path = binary.path;
      const start =
        name === 'sextant'
          ? (dir: string) => startSextant({ catalogDir, dataDir: join(dir, 'data'), nodeFlags })
          : name === 'prometheus'
            ? (dir: string) => startPrometheusReceiver({ binary: path, dir })
            : (dir: string) => startVictoriaMetrics({ binary: path, dir });
      log(`${name}: starting (${binary.version})`);
      runs.push(await driveTarget(name, binary.version, start, stream, settings, log));
    }
    const sextant = runs.find((r) => r.name === 'sextant');
    if (bench.values['profile'] === true) {
      if (sextant === undefined) notes.push('--profile needs the sextant target.');
      else
        notes.push(
          ...(await profileSextant(
            stream,
            catalogDir,
            sextant.measured.concurrency,
            seconds,
            nodeFlags,
            log,
          )),
        );
    }
  } finally {
    await rm(catalogDir, { recursive: true, force: true });
  }

  const sextant = runs.find((r) => r.name === 'sextant');
  const figures = sextant ? figuresOf(sextant) : [];
  const peers: Peer[] = runs
    .filter((r) => r.name !== 'sextant')
    .map((r) => ({ name: r.name, version: r.version, figures: figuresOf(r) }));
  const ratios: Ratio[] = [];
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  if (sextant) {
    const [rate, cpu, , rss] = figures as [Figure, Figure, Figure, Figure];
    for (const peer of peers) {
      const [peerRate, peerCpu, , peerRss] = peer.figures as [Figure, Figure, Figure, Figure];
      ratios.push(
        ratio(`samples/s sextant/${peer.name}`, rate, peerRate, 'above 1: Sextant accepts more'),
        ratio(`CPU per sample sextant/${peer.name}`, cpu, peerCpu, 'below 1: Sextant needs less CPU'),
        ratio(`peak RSS sextant/${peer.name}`, rss, peerRss, 'below 1: Sextant needs less memory'),
      );
    }
    const prometheus = ratios.filter((r) => r.name.endsWith('/prometheus'));
    if (prometheus.length === 3) {
      const [speed, , memory] = prometheus as [Ratio, Ratio, Ratio];
      notes.push(
        `Targets from the issue: samples/s >= Prometheus ${verdict(speed.value >= 1)} (${formatNumber(speed.value)}x); ` +
          `peak RSS <= 1/5 of Prometheus ${verdict(memory.value <= 0.2)} (${formatNumber(memory.value)}x).`,
      );
    }
  }
  for (const r of runs) {
    const probes = r.sweep.map((p) => `${p.concurrency}: ${int(p.acceptedSamples / p.seconds)}/s`).join(', ');
    const m = r.measured;
    notes.push(
      `${r.name}: load average ${round2(r.loadAverageAtStart)} at start; ${probes ? `sweep ${probes}; ` : ''}` +
        `load generator used ${formatNumber(m.generatorCpuSeconds / m.seconds)} cores while measured; ` +
        `${int(r.steps)} steps sent (${formatNumber((r.steps * SCRAPE_INTERVAL_MS) / 60_000)} simulated minutes); ` +
        `RSS at start-up ${int(r.startupRss.rss)} MB (anon ${int(r.startupRss.anon)}, file ${int(r.startupRss.file)}), ` +
        `at the end ${int(r.endRss.rss)} MB (anon ${int(r.endRss.anon)}, file ${int(r.endRss.file)}); ` +
        `${formatNumber(r.storageBytes / 2 ** 20)} MB on disk.` +
        (m.firstProblem === undefined ? '' : ` First problem: ${m.firstProblem}`),
      ...r.checks,
    );
  }
  notes.push(
    `Medians are over 1-second intervals of the measured window (--runs is not used). Bodies are pre-compressed ` +
      `templates with each sample's value and timestamp kept in a snappy literal so later steps are written in place: ` +
      `${formatNumber(counts.compressedBytesPerStep / samplesPerStep)} bytes per sample compressed, ` +
      `${formatNumber(counts.uncompressedBytesPerStep / samplesPerStep)} uncompressed.`,
    'Sextant runs through bin/sextant.js as installed: it re-executes `sextant unit` with its V8 flags ' +
      '(--max-semi-space-size=2 --no-maglev, each unless --node-flags sets it) and glibc malloc settings, and keeps ' +
      'a compile cache, warmed by one start and stop before the measured unit (every start after the first on an ' +
      'installed Sextant is like that).',
    'A 2xx means different things: Sextant after an fsync-ed SQLite commit of the SLI counts (unrelated series are ' +
      'dropped), Prometheus after the head append and WAL write (no fsync per request), VictoriaMetrics after buffering ' +
      'in memory.',
  );
  const firstBatch: BatchTemplate | undefined = stream.batches[0];
  return {
    benchmark: 'ingest',
    description,
    params: {
      series: sliSeries,
      unrelated: unrelatedSeries,
      seconds,
      concurrency: concurrency ?? 'sweep',
      probeSeconds,
      batch: batchSamples,
      targets: targets.join(','),
      nodeFlags: nodeFlags.join(' '),
      seed,
      scrapeIntervalSeconds: SCRAPE_INTERVAL_MS / 1000,
    },
    environment: finishEnvironment(machine),
    input: {
      services: counts.services,
      slis: counts.slis,
      sliSeries: counts.sliSeries,
      unrelatedSeries: counts.unrelatedSeries,
      requestsPerStep: counts.batches,
      samplesPerRequest: firstBatch?.samples ?? 0,
      compressedBytesPerStep: counts.compressedBytesPerStep,
      uncompressedBytesPerStep: counts.uncompressedBytesPerStep,
    },
    figures,
    peers,
    ratios,
    notes,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
}
