/**
 * Sextant's exact window sums next to a real Prometheus (Debian's 2.42) answering the same
 * SLO questions with `increase()` over the same synthetic counters.
 *
 * One generator makes per-second request events for two instances of a checkout API over
 * ten days. Sextant gets them as exact per-minute good/total counts; Prometheus gets them as
 * counters scraped every 15 s by an HA pair: replica "a" scrapes on the minute grid (so
 * samples fall exactly on every window boundary), replica "b" 4.25 s later with ±125 ms
 * jitter (the usual case). The events include:
 * - a counter reset: instance B restarts 7 s after a scrape, between two scrapes;
 * - a zero-traffic gap: instance A is drained and out of service discovery for 3 hours
 *   (no traffic, no scrapes; its process and counters live on);
 * - an error burst: instance A answers 30 % 503 for 25 minutes; like most client libraries,
 *   its `code="503"` series is created by the first 503, so it appears mid-window.
 *
 * Why Prometheus's answers differ from the exact counts (promql/functions.go,
 * `extrapolatedRate`, and the range selection of Prometheus 2.x, where `[w]` at `T` holds
 * the samples with `T - w <= t <= T`). Sextant does none of this: it sums exact per-minute
 * counts and never extrapolates, so its window sums are the events in the window.
 * 1. Prometheus sees events only as increases between samples inside the range. Events
 *    between `T - w` and the first sample, and between the last sample and `T`, are not
 *    seen; instead the observed increase is scaled up towards the window edges: all the way
 *    to an edge closer than 1.1 × the mean sample spacing, by half a spacing otherwise.
 *    With scrapes 4.25 s off the grid (replica b) the samples of every window span about
 *    `w − 15 s`, scaled by `w / (w − 15 s)`: the 15 s at the edges are estimated from the
 *    window's average rate, not counted.
 * 2. Counter reset: a decrease is read as a restart from 0 and the last value before it is
 *    added back, so events counted by the old process after its last scrape are lost.
 *    (Sextant is fed exact counts here, as from pushed events; counts derived from the same
 *    scrapes could not know those events either. This one is about the source, not the math.)
 * 3. A series first appearing inside the window (the 503 counter at the start of the burst):
 *    its first sample is a starting point, so the events before it are not counted, except
 *    what the extrapolation towards the counter's zero point puts back. That rule extends
 *    the start by `s × v1 / R` (first value `v1`), which adds back exactly `v1`, but only
 *    while that is under 1.1 spacings, i.e. while `v1` is below 1.1 × the window's mean
 *    increase per scrape: a 30 m window in the burst gets the first 31 errors back, the
 *    1 h window around it (whose mean rate is lower) only about 9 of them.
 * 4. The first sample after a scrape gap: a window starting (or ending) inside instance A's
 *    gap has its first (last) sample far from the edge, so Prometheus extrapolates half a
 *    sample spacing of the average rate into the gap, in which there was no traffic at all.
 *    A gap inside the window only stretches the mean spacing (and so the 1.1 threshold).
 * With samples exactly on the window edges (replica a) only 2 and 3 remain, plus 4 when an
 * edge falls inside the gap; everywhere else Prometheus's sums equal the exact sums.
 *
 * The bound asserted for each series is derived from those rules and the samples alone:
 * `increase = R × (1 + x / s)` where `R` is the reset-corrected increase between the first
 * and last sample, `s` their distance, and `x >= 0` the extension to the edges, at most
 * `d` for an edge at distance `d < 1.1 × mean spacing`, half a spacing at the end edge
 * otherwise, and 1.1 spacings at the start edge otherwise (the zero-point rule may move the
 * start below the threshold). So `increase − exact ∈ [−lost, −lost + R × xMax / s]`, where
 * `lost = exact − R` are the events no pair of samples saw (1, 2, 3 above).
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createPrefixSeriesFromDense,
  DEFAULT_ALERT_TIERS,
  evaluateSlo,
  type SloDefinition,
  type SloStatus,
} from '../../src/slo/index.ts';
import { openSqliteCountStore } from '../../src/store/index.ts';
import { requirePeer } from '../support/peers.ts';
import {
  backfillOpenMetrics,
  byLabel,
  PROMETHEUS_PEER,
  type PrometheusServer,
  sampleLine,
  seriesText,
  startPrometheus,
} from '../support/prometheus.ts';

const MINUTE_MS = 60_000;
const START_MS = Date.UTC(2024, 2, 4); // Monday 2024-03-04T00:00Z
const DAYS = 10;
const SECONDS = DAYS * 86_400;
const END_MS = START_MS + SECONDS * 1000;
const SCRAPE_MS = 15_000;

/** Instant `day` days and hh:mm:ss after the start. */
function at(day: number, hh = 0, mm = 0, ss = 0): number {
  return START_MS + (((day * 24 + hh) * 60 + mm) * 60 + ss) * 1000;
}

const GAP = { fromMs: at(8, 1), toMs: at(8, 4) };
const RESTART_MS = at(7, 12, 0, 37);
const BURST = { fromMs: at(9, 14, 10), toMs: at(9, 14, 35) };

/** The SLO the engine evaluates: 99.9 % over a rolling 7 days, the Workbook alert tiers. */
const SLO_WINDOW_MINUTES = 7 * 1440;
const ERROR_BUDGET = 0.001;
const DEFINITION: SloDefinition = {
  id: 'checkout/availability',
  objectiveRatio: 0.999,
  window: { kind: 'rolling', minutes: SLO_WINDOW_MINUTES },
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

/** Every window the SLO's status reads (tiers' long and short windows, the SLO window), with its PromQL range. */
const WINDOWS: readonly { minutes: number; range: string }[] = [
  { minutes: 5, range: '5m' },
  { minutes: 30, range: '30m' },
  { minutes: 60, range: '1h' },
  { minutes: 120, range: '2h' },
  { minutes: 360, range: '6h' },
  { minutes: 1440, range: '1d' },
  { minutes: 4320, range: '3d' },
  { minutes: SLO_WINDOW_MINUTES, range: '7d' },
];

/** Evaluation instants (minute-aligned), chosen around each anomaly. */
const INSTANTS: readonly { label: string; atMs: number }[] = [
  { label: '3 min after B restarts', atMs: at(7, 12, 3) },
  { label: 'inside A gap', atMs: at(8, 2) },
  { label: '20 min after A gap', atMs: at(8, 4, 20) },
  { label: 'mid burst', atMs: at(9, 14, 20) },
  { label: '25 min after burst', atMs: at(9, 15) },
  { label: 'quiet morning', atMs: at(9, 9, 17) },
  { label: 'end of data', atMs: END_MS },
];

// ---------------------------------------------------------------------------------------
// The events.

/** mulberry32: a small deterministic PRNG, so every run sees the same events. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Instance = 'A' | 'B';

/** One counter of the exposition: an instance and a status code. */
interface Counter {
  instance: Instance;
  code: string;
  labels: Record<string, string>;
  /** Events in each second since the start; an event of second `s` happens at `s + 0.5 s`. */
  perSecond: Uint16Array;
  /** `cumulative[k]`: events in seconds `[0, k)`. */
  cumulative: Float64Array;
  /** When the series comes to exist: the start, or (lazily created counters) its first event. */
  createdMs: number;
}

const INSTANCE_ADDRESS: Record<Instance, string> = { A: '10.0.1.11:8080', B: '10.0.1.12:8080' };
const CODES: Record<Instance, readonly string[]> = { A: ['200', '404', '503'], B: ['200', '404', '500'] };

/** The request rate of an instance at a second: diurnal, 10 % of peak at 03:00 UTC, peak at 15:00. */
function ratePerSecond(instance: Instance, second: number): number {
  const hour = (second % 86_400) / 3600;
  return (instance === 'A' ? 8 : 6) * (0.55 + 0.45 * Math.sin((2 * Math.PI * (hour - 9)) / 24));
}

function generateCounters(): Counter[] {
  const counters: Counter[] = [];
  for (const instance of ['A', 'B'] as const) {
    const random = prng(instance === 'A' ? 11 : 12);
    const perCode = CODES[instance].map(() => new Uint16Array(SECONDS));
    for (let s = 0; s < SECONDS; s++) {
      const eventMs = START_MS + s * 1000 + 500;
      if (instance === 'A' && eventMs >= GAP.fromMs && eventMs < GAP.toMs) continue;
      const n = Math.floor(ratePerSecond(instance, s) + random());
      const burst = instance === 'A' && eventMs >= BURST.fromMs && eventMs < BURST.toMs;
      const pError = burst ? 0.3 : instance === 'B' ? 0.0008 : 0;
      for (let i = 0; i < n; i++) {
        const u = random();
        const code = u < pError ? 2 : u < pError + 0.01 ? 1 : 0;
        perCode[code]![s]!++;
      }
    }
    CODES[instance].forEach((code, i) => {
      const perSecond = perCode[i]!;
      const cumulative = new Float64Array(SECONDS + 1);
      let firstEvent = -1;
      for (let s = 0; s < SECONDS; s++) {
        cumulative[s + 1] = cumulative[s]! + perSecond[s]!;
        if (firstEvent < 0 && perSecond[s]! > 0) firstEvent = s;
      }
      const lazy = instance === 'A' && code === '503';
      counters.push({
        instance,
        code,
        labels: {
          job: 'checkout',
          instance: INSTANCE_ADDRESS[instance],
          method: 'POST',
          handler: '/api/v1/orders',
          code,
        },
        perSecond,
        cumulative,
        createdMs: lazy ? START_MS + firstEvent * 1000 + 500 : START_MS,
      });
    });
  }
  return counters;
}

/** Seconds whose event (at `s + 0.5 s`) happens before `ms`. */
function secondsBefore(ms: number): number {
  return Math.min(SECONDS, Math.max(0, Math.ceil((ms - START_MS - 500) / 1000)));
}

/** Events of a counter in `[fromMs, toMs)`: the exact count, by brute force over seconds. */
function eventsIn(counter: Counter, fromMs: number, toMs: number): number {
  let n = 0;
  for (let s = secondsBefore(fromMs), end = secondsBefore(toMs); s < end; s++) n += counter.perSecond[s]!;
  return n;
}

/** The counter's value as the process exposes it at `ms` (instance B's process restarts). */
function counterValue(counter: Counter, ms: number): number {
  const processStartMs = counter.instance === 'B' && ms >= RESTART_MS ? RESTART_MS : START_MS;
  return counter.cumulative[secondsBefore(ms)]! - counter.cumulative[secondsBefore(processStartMs)]!;
}

type Replica = 'a' | 'b';
const REPLICAS: readonly Replica[] = ['a', 'b'];

/** The scrape instants of a replica: "a" on the grid, "b" 4.25 s later ± 125 ms (exact in binary, so promtool keeps them to the ms). */
function scrapeTimes(replica: Replica): number[] {
  const random = prng(replica === 'a' ? 21 : 22);
  const times: number[] = [];
  for (let k = 0; ; k++) {
    const t = START_MS + k * SCRAPE_MS + (replica === 'a' ? 0 : 4250 + 125 * (Math.floor(random() * 3) - 1));
    if (t > END_MS) break;
    times.push(t);
  }
  return times;
}

/** Samples of one counter as one replica stored them. */
interface Samples {
  counter: Counter;
  timesMs: number[];
  values: number[];
}

function scrape(counter: Counter, times: readonly number[]): Samples {
  const timesMs: number[] = [];
  const values: number[] = [];
  for (const t of times) {
    if (t <= counter.createdMs) continue;
    if (counter.instance === 'A' && t >= GAP.fromMs && t < GAP.toMs) continue;
    timesMs.push(t);
    values.push(counterValue(counter, t));
  }
  return { counter, timesMs, values };
}

/** One OpenMetrics file per day: promtool re-reads a whole file for each block it writes. */
function writeOpenMetrics(dir: string, samples: ReadonlyMap<Replica, Samples[]>): string[] {
  const files: string[] = [];
  for (let day = 0; day < DAYS; day++) {
    const fromMs = at(day);
    const toMs = day === DAYS - 1 ? END_MS + 1 : at(day + 1);
    const file = join(dir, `day-${day}.om.txt`);
    const fd = openSync(file, 'w');
    writeSync(fd, '# HELP http_requests Requests handled.\n# TYPE http_requests counter\n');
    for (const [replica, list] of samples) {
      for (const s of list) {
        const series = seriesText('http_requests_total', { ...s.counter.labels, replica });
        let chunk = '';
        for (let i = 0; i < s.timesMs.length; i++) {
          const t = s.timesMs[i]!;
          if (t >= fromMs && t < toMs) chunk += sampleLine(series, s.values[i]!, t);
        }
        writeSync(fd, chunk);
      }
    }
    writeSync(fd, '# EOF\n');
    closeSync(fd);
    files.push(file);
  }
  return files;
}

// ---------------------------------------------------------------------------------------
// What Prometheus can see, per series and window: the bound, and the causes of the difference.

/** One series' part of `increase(x[w])` at `T`, next to the exact events. */
interface SeriesWindow {
  exact: number;
  /** Reset-corrected increase between the first and last sample in `[T - w, T]` (0 with < 2 samples). */
  raw: number;
  /** Events before the first sample / after the last sample in the window. */
  lostAtStart: number;
  lostAtEnd: number;
  /** Events between two samples that no increase shows (a reset). */
  lostInside: number;
  /** Largest extrapolation the rules allow: `R × xMax / s`. */
  extrapolationMax: number;
  /** The rules applied exactly (`extrapolatedRate`), to show they explain the whole difference. */
  modelled: number;
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function seriesWindow(s: Samples, fromMs: number, toMs: number): SeriesWindow {
  const exact = eventsIn(s.counter, fromMs, toMs);
  const first = lowerBound(s.timesMs, fromMs);
  const last = lowerBound(s.timesMs, toMs + 1) - 1;
  if (last - first < 1) {
    return {
      exact,
      raw: 0,
      lostAtStart: exact,
      lostAtEnd: 0,
      lostInside: 0,
      extrapolationMax: 0,
      modelled: 0,
    };
  }
  let raw = s.values[last]! - s.values[first]!;
  for (let i = first + 1; i <= last; i++) if (s.values[i]! < s.values[i - 1]!) raw += s.values[i - 1]!;
  const t0 = s.timesMs[first]!;
  const t1 = s.timesMs[last]!;
  const lostAtStart = eventsIn(s.counter, fromMs, t0);
  const lostAtEnd = eventsIn(s.counter, t1, toMs);
  const sampled = (t1 - t0) / 1000;
  const spacing = sampled / (last - first);
  const threshold = 1.1 * spacing;
  const toStart = (t0 - fromMs) / 1000;
  const toEnd = (toMs - t1) / 1000;
  const xMax = (toStart < threshold ? toStart : threshold) + (toEnd < threshold ? toEnd : spacing / 2);
  const v1 = s.values[first]!;
  const start = raw > 0 ? Math.min(toStart, (sampled * v1) / raw) : toStart;
  const extendTo =
    sampled + (start < threshold ? start : spacing / 2) + (toEnd < threshold ? toEnd : spacing / 2);
  return {
    exact,
    raw,
    lostAtStart,
    lostAtEnd,
    lostInside: exact - raw - lostAtStart - lostAtEnd,
    extrapolationMax: (raw * xMax) / sampled,
    modelled: raw * (extendTo / sampled),
  };
}

/** The sum over series of `increase − exact`: its bound and its causes. */
interface Explained {
  exact: number;
  modelled: number;
  low: number;
  high: number;
  causes: string[];
}

function explain(parts: readonly SeriesWindow[]): Explained {
  let exact = 0;
  let modelled = 0;
  let lost = 0;
  let extrapolation = 0;
  let atStart = 0;
  let atEnd = 0;
  let inside = 0;
  for (const p of parts) {
    exact += p.exact;
    modelled += p.modelled;
    lost += p.exact - p.raw;
    extrapolation += p.extrapolationMax;
    atStart += p.lostAtStart;
    atEnd += p.lostAtEnd;
    inside += p.lostInside;
  }
  const causes: string[] = [];
  if (atStart > 0) causes.push(`${atStart} before first sample`);
  if (atEnd > 0) causes.push(`${atEnd} after last sample`);
  if (inside > 0) causes.push(`${inside} lost at reset`);
  if (extrapolation > 0) causes.push(`extrapolation ≤ +${extrapolation.toFixed(2)}`);
  return { exact, modelled, low: -lost, high: -lost + extrapolation, causes };
}

// ---------------------------------------------------------------------------------------
// Sextant's side: exact per-minute counts into the engine.

function minuteCounts(counters: readonly Counter[]): { good: Float64Array; total: Float64Array } {
  const minutes = SECONDS / 60;
  const good = new Float64Array(minutes);
  const total = new Float64Array(minutes);
  for (const c of counters) {
    const bad = c.code.startsWith('5');
    for (let s = 0; s < SECONDS; s++) {
      const n = c.perSecond[s]!;
      if (n === 0) continue;
      const m = Math.floor(s / 60);
      total[m]! += n;
      if (!bad) good[m]! += n;
    }
  }
  return { good, total };
}

/** The engine's counts for a window of the status: the SLO window or a tier's long/short window. */
function statusWindow(status: SloStatus, minutes: number): { good: number; total: number; burnRate: number } {
  if (minutes === SLO_WINDOW_MINUTES) {
    return {
      good: status.good,
      total: status.total,
      burnRate: status.total > 0 ? status.bad / status.total / ERROR_BUDGET : 0,
    };
  }
  for (const tier of status.tiers) {
    for (const w of [tier.long, tier.short]) if (w.minutes === minutes) return w;
  }
  throw new Error(`no ${minutes}-minute window in the status`);
}

const relClose = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

test(
  'Sextant and Prometheus answer the same SLO questions over the same counters',
  { timeout: 120_000 },
  async (t) => {
    const prometheusBinary = await requirePeer(t, PROMETHEUS_PEER);
    if (prometheusBinary === undefined) return;
    const promtool = await requirePeer(t, {
      binary: 'promtool',
      debianPackage: PROMETHEUS_PEER.debianPackage,
    });
    if (promtool === undefined) return;
    const counters = generateCounters();
    const samples = new Map<Replica, Samples[]>(
      REPLICAS.map((r) => {
        const times = scrapeTimes(r);
        return [r, counters.map((c) => scrape(c, times))];
      }),
    );

    const dir = mkdtempSync(join(tmpdir(), 'sextant-prom-eq-'));
    let prometheus: PrometheusServer | undefined;
    t.after(async () => {
      await prometheus?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const files = writeOpenMetrics(dir, samples);
    await backfillOpenMetrics(files, join(dir, 'tsdb'), { maxBlockDuration: '24h', promtool });
    const server = await startPrometheus({
      dataDir: join(dir, 'tsdb'),
      workDir: dir,
      binary: prometheusBinary,
    });
    prometheus = server;

    const { good, total } = minuteCounts(counters);
    const startMinute = START_MS / MINUTE_MS;
    const built = createPrefixSeriesFromDense(startMinute, good, total);
    assert.ok(built.ok);
    // The same counts through the SQLite count store (an in-memory database).
    const opened = openSqliteCountStore({ path: ':memory:' });
    assert.ok(opened.ok);
    const store = opened.value;
    t.after(() => store.close());
    const key = { sli: 'checkout/availability', labels: { job: 'checkout' } };
    const loaded = await store.putDense([{ ...key, startMinute, good, total }]);
    assert.ok(loaded.ok, JSON.stringify(loaded));
    const stored = (await store.reader()).series(key);
    const engines = [
      { name: 'prefix series', series: built.value },
      { name: 'SQLite store', series: stored },
    ];

    await t.test('the engine’s window sums and burn rates equal brute-force sums of the events', () => {
      for (const instant of INSTANTS) {
        for (const engine of engines) {
          const evaluated = evaluateSlo(DEFINITION, engine.series, instant.atMs);
          assert.ok(evaluated.ok, JSON.stringify(evaluated));
          for (const w of WINDOWS) {
            const fromMs = instant.atMs - w.minutes * MINUTE_MS;
            let exactTotal = 0;
            let exactBad = 0;
            for (const c of counters) {
              const n = eventsIn(c, fromMs, instant.atMs);
              exactTotal += n;
              if (c.code.startsWith('5')) exactBad += n;
            }
            const got = statusWindow(evaluated.value, w.minutes);
            const where = `${engine.name}, ${instant.label}, ${w.range}`;
            assert.equal(got.total, exactTotal, `total ${where}`);
            assert.equal(got.good, exactTotal - exactBad, `good ${where}`);
            assert.ok(relClose(got.burnRate, exactBad / exactTotal / ERROR_BUDGET), `burn rate ${where}`);
          }
        }
      }
    });

    // Every Prometheus answer, with the exact sums and the bound of each replica.
    interface Row {
      instant: string;
      range: string;
      replica: Replica;
      total: Explained;
      bad: Explained;
      promTotal: number;
      promBad: number;
      promRatio: number | null;
    }
    const rows: Row[] = [];
    for (const instant of INSTANTS) {
      for (const w of WINDOWS) {
        const sel = `job="checkout"`;
        const totalExpr = `sum by (replica) (increase(http_requests_total{${sel}}[${w.range}]))`;
        const badExpr = `sum by (replica) (increase(http_requests_total{${sel},code=~"5.."}[${w.range}]))`;
        const [totalAnswer, badAnswer, ratioAnswer] = await Promise.all([
          server.query(totalExpr, instant.atMs),
          server.query(badExpr, instant.atMs),
          server.query(`${badExpr} / ${totalExpr}`, instant.atMs),
        ]);
        const totals = byLabel(totalAnswer.vector, 'replica');
        const bads = byLabel(badAnswer.vector, 'replica');
        const ratios = byLabel(ratioAnswer.vector, 'replica');
        const fromMs = instant.atMs - w.minutes * MINUTE_MS;
        for (const replica of REPLICAS) {
          const list = samples.get(replica)!;
          const parts = list.map((s) => seriesWindow(s, fromMs, instant.atMs));
          rows.push({
            instant: instant.label,
            range: w.range,
            replica,
            total: explain(parts),
            bad: explain(parts.filter((_, i) => list[i]!.counter.code.startsWith('5'))),
            promTotal: totals.get(replica) ?? 0,
            promBad: bads.get(replica) ?? 0,
            promRatio: ratios.get(replica) ?? null,
          });
        }
      }
    }

    await t.test('Prometheus differs from the exact sums only within its extrapolation bound', () => {
      const slack = (x: number) => 1e-9 * Math.max(1, Math.abs(x));
      for (const r of rows) {
        const where = `${r.instant}, ${r.range}, replica ${r.replica}`;
        for (const [name, e, got] of [
          ['total', r.total, r.promTotal],
          ['bad', r.bad, r.promBad],
        ] as const) {
          const diff = got - e.exact;
          assert.ok(
            diff >= e.low - slack(got) && diff <= e.high + slack(got),
            `${name} ${where}: Prometheus ${got}, exact ${e.exact}, diff ${diff} outside [${e.low}, ${e.high}]`,
          );
        }
        // The ratio of bounded sums: bad and total move together, so this interval is loose but sound.
        const ratioLow = (r.bad.exact + r.bad.low) / (r.total.exact + r.total.high);
        const ratioHigh = (r.bad.exact + r.bad.high) / (r.total.exact + r.total.low);
        assert.ok(r.promRatio !== null, `ratio ${where}: no answer`);
        assert.ok(
          r.promRatio >= ratioLow - 1e-12 && r.promRatio <= ratioHigh + 1e-12,
          `ratio ${where}: ${r.promRatio} outside [${ratioLow}, ${ratioHigh}]`,
        );
      }
    });

    await t.test('those rules applied exactly reproduce every Prometheus answer', () => {
      for (const r of rows) {
        const where = `${r.instant}, ${r.range}, replica ${r.replica}`;
        assert.ok(
          relClose(r.promTotal, r.total.modelled),
          `total ${where}: ${r.promTotal} vs ${r.total.modelled}`,
        );
        assert.ok(relClose(r.promBad, r.bad.modelled), `bad ${where}: ${r.promBad} vs ${r.bad.modelled}`);
      }
    });

    await t.test(
      'with samples on the window edges Prometheus equals the exact sums unless events escape its samples',
      () => {
        const lines: string[] = [];
        for (const r of rows.filter((x) => x.replica === 'a')) {
          const residualTotal = r.promTotal - r.total.exact;
          const residualBad = r.promBad - r.bad.exact;
          const clean = r.total.low === 0 && r.total.high === 0;
          if (clean) {
            assert.equal(residualTotal, 0, `${r.instant}, ${r.range}: total`);
            assert.equal(residualBad, 0, `${r.instant}, ${r.range}: bad`);
          }
          const exactRatio = r.bad.exact / r.total.exact;
          lines.push(
            `${r.instant.padEnd(24)} ${r.range.padStart(3)}  total ${String(r.total.exact).padStart(8)} ` +
              `Δ ${residualTotal.toFixed(3).padStart(9)}  bad ${String(r.bad.exact).padStart(5)} ` +
              `Δ ${residualBad.toFixed(3).padStart(9)}  ratio ${exactRatio.toExponential(4)} vs ` +
              `${r.promRatio?.toExponential(4) ?? 'none'}  ${clean ? 'exact' : [...new Set([...r.total.causes, ...r.bad.causes])].join('; ')}`,
          );
        }
        t.diagnostic(`replica a (samples on window edges): Prometheus − exact\n${lines.join('\n')}`);
        // The windows hit by an anomaly do show a difference: the test data do exercise each cause.
        assert.ok(rows.some((r) => r.replica === 'a' && r.total.low < 0));
        assert.ok(rows.some((r) => r.replica === 'a' && r.total.high > 0));
      },
    );

    await t.test('with unaligned scrapes every window is an estimate, within the bound', () => {
      const lines: string[] = [];
      for (const r of rows.filter((x) => x.replica === 'b')) {
        const d = r.promTotal - r.total.exact;
        lines.push(
          `${r.instant.padEnd(24)} ${r.range.padStart(3)}  total Δ ${d.toFixed(2).padStart(8)} ` +
            `(${((100 * d) / r.total.exact).toFixed(4)} %) in [${r.total.low.toFixed(2)}, ${r.total.high.toFixed(2)}]  ` +
            `bad Δ ${(r.promBad - r.bad.exact).toFixed(2).padStart(6)}  ratio ${(r.bad.exact / r.total.exact).toExponential(4)} ` +
            `vs ${r.promRatio?.toExponential(4) ?? 'none'}`,
        );
      }
      t.diagnostic(`replica b (scrapes 4.25 s off the grid): Prometheus − exact\n${lines.join('\n')}`);
      // Not exact by construction: most answers are fractional estimates.
      const unaligned = rows.filter((r) => r.replica === 'b');
      assert.ok(unaligned.filter((r) => !Number.isInteger(r.promTotal)).length > unaligned.length / 2);
    });
  },
);
