/**
 * The PromQL pull source and `sextant backfill` against a real Prometheus (Debian's 2.42).
 *
 * Known counters, a histogram and a gauge, scraped every 15 s on the minute grid, are
 * written into Prometheus's TSDB with `promtool`. A unit pulls the last hour through its
 * schedule; `sextant backfill` loads the two hours before it, is interrupted with SIGTERM
 * half-way and run again. The counts of selector SLIs must equal the schedule's events
 * exactly (every increment in the minute of its later scrape, the reset included), the
 * `$window` SLI must equal Prometheus's own `increase()` at each minute end, and nothing
 * may be counted twice where the runs meet.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MemoryNotificationQueue } from '../../src/notify/index.ts';
import { resolveUnitConfig } from '../../src/unit/config.ts';
import { pullCoverage } from '../../src/unit/promql-pull.ts';
import { UnitState } from '../../src/unit/state.ts';
import { startUnit } from '../../src/unit/unit.ts';
import { runSextant } from '../support/cli.ts';
import { requirePeer } from '../support/peers.ts';
import {
  backfillOpenMetrics,
  PROMETHEUS_PEER,
  sampleLine,
  seriesText,
  startPrometheus,
} from '../support/prometheus.ts';

const MINUTE = 60_000;
const SCRAPE = 15_000;
const HOUR = 60 * MINUTE;
// Whole hours in the past, so every minute is closed for a backfill run now.
const END = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
const START = END - 3 * HOUR;
const UNIT_FROM = END - HOUR; // the unit's schedule starts 60 minutes back
const FIRST_SCRAPE = START - 10 * MINUTE;
const LAST_SCRAPE = END + 10 * MINUTE;
const RESET_AT = START + 100 * MINUTE + 7 * SCRAPE; // instance a restarts just before this scrape
const B_FROM = START + 70 * MINUTE; // instance b appears, its counter at 0

const SLIS = ['availability', 'availability-promql', 'latency', 'queue'].map((name) => `api/${name}`);

/** Requests between scrape `k - 1` and scrape `k` (k counts scrapes from FIRST_SCRAPE). */
const okA = (k: number) => 5 + ((k * 7) % 11);
const badA = (k: number) => (k % 13 === 0 ? 3 : 0);
const okB = () => 2;
/** Per scrape interval, cumulative per bucket: 2 under 0.1 s, 6 under 0.25, 7, 9 under 1, 10. */
const BUCKETS: [string, number][] = [
  ['0.1', 2],
  ['0.25', 6],
  ['0.5', 7],
  ['1', 9],
  ['+Inf', 10],
];
const queue = (k: number) => (k * 13) % 70;

interface Series {
  name: string;
  labels: Record<string, string>;
  times: number[];
  values: number[];
  /** Events per interval ending at each sample (counters), or the value (gauges). */
  steps: number[];
}

/** A counter from its per-interval events; with `resetAt` its process restarts (value = events since). */
function counter(
  name: string,
  labels: Record<string, string>,
  step: (k: number) => number,
  fromMs = FIRST_SCRAPE,
  options: { start?: number; resetAt?: number } = {},
): Series {
  const s: Series = { name, labels, times: [], values: [], steps: [] };
  let value = options.start ?? 1000;
  for (let t = fromMs, k = 0; t <= LAST_SCRAPE; t += SCRAPE, k++) {
    const events = k === 0 ? 0 : step(k);
    if (k > 0) value = t === options.resetAt ? events : value + events;
    s.times.push(t);
    s.values.push(value);
    s.steps.push(events);
  }
  return s;
}

function schedule(): Series[] {
  const api = { job: 'api', instance: 'a' };
  const series: Series[] = [
    counter('http_requests_total', { ...api, code: '200' }, okA, FIRST_SCRAPE, { resetAt: RESET_AT }),
    counter('http_requests_total', { ...api, code: '500' }, badA),
    counter('http_requests_total', { job: 'api', instance: 'b', code: '200' }, okB, B_FROM, { start: 0 }),
  ];
  for (const [le, per] of BUCKETS) {
    series.push(counter('http_request_duration_seconds_bucket', { ...api, le }, () => per));
  }
  const gauge: Series = { name: 'queue_depth', labels: api, times: [], values: [], steps: [] };
  for (let t = FIRST_SCRAPE, k = 0; t <= LAST_SCRAPE; t += SCRAPE, k++) {
    gauge.times.push(t);
    gauge.values.push(queue(k));
    gauge.steps.push(queue(k));
  }
  series.push(gauge);
  return series;
}

/** Events per minute of one counter: each interval's events in the minute of its later scrape. */
function perMinute(s: Series): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 1; i < s.times.length; i++) {
    const minute = Math.floor(s.times[i]! / MINUTE);
    out.set(minute, (out.get(minute) ?? 0) + s.steps[i]!);
  }
  return out;
}

/** The expected good/total of each selector SLI per minute of [START, END), from the schedule. */
function expected(series: Series[]): Record<string, Map<number, [number, number]>> {
  const requests = series.filter((s) => s.name === 'http_requests_total').map(perMinute);
  const bad = perMinute(series.find((s) => s.labels['code'] === '500')!);
  const availability = new Map<number, [number, number]>();
  const latency = new Map<number, [number, number]>();
  const queueSlices = new Map<number, [number, number]>();
  const gauge = series.find((s) => s.name === 'queue_depth')!;
  for (let m = START / MINUTE; m < END / MINUTE; m++) {
    const total = requests.reduce((sum, r) => sum + (r.get(m) ?? 0), 0);
    availability.set(m, [total - (bad.get(m) ?? 0), total]);
    // 4 scrapes a minute: satisfied (le 0.25) 24, tolerated (le 1) 36, total 40: 24 + 12 / 2.
    latency.set(m, [30, 40]);
    const values = gauge.values.filter((_, i) => Math.floor(gauge.times[i]! / MINUTE) === m);
    queueSlices.set(m, [Math.max(...values) < 50 ? 1 : 0, 1]);
  }
  return { 'api/availability': availability, 'api/latency': latency, 'api/queue': queueSlices };
}

function openMetrics(series: Series[]): string {
  let text = '# TYPE http_requests counter\n# TYPE queue_depth gauge\n';
  for (const s of series) {
    const name = seriesText(s.name, s.labels);
    for (let i = 0; i < s.times.length; i++) text += sampleLine(name, s.values[i]!, s.times[i]!);
  }
  return `${text}# EOF\n`;
}

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: api}
spec:
  owner: core
  tier: critical
  slis:
    - name: availability
      kind: ratio
      bad: {selector: 'http_requests_total{job="api",code=~"5.."}'}
      total: {selector: 'http_requests_total{job="api"}'}
    - name: availability-promql
      kind: ratio
      bad: {promql: 'sum(increase(http_requests_total{job="api",code=~"5.."}[$window]))'}
      total: {promql: 'sum(increase(http_requests_total{job="api"}[$window]))'}
    - name: latency
      kind: latency
      histogram: 'http_request_duration_seconds{job="api"}'
      satisfiedSeconds: 0.25
      toleratedSeconds: 1
    - name: queue
      kind: threshold
      gauge: {selector: 'queue_depth{job="api"}'}
      operator: '<'
      bound: 50
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
`;

function minutesOf(state: UnitState, sli: string, from: number, to: number): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  state
    .reader()
    .sliSeries(sli)
    .forEachMinute(from / MINUTE, to / MINUTE, (minute, good, total) => out.set(minute, [good, total]));
  return out;
}

function only(map: Map<number, [number, number]>, from: number, to: number): Map<number, [number, number]> {
  return new Map([...map].filter(([m]) => m >= from / MINUTE && m < to / MINUTE));
}

const iso = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', 'Z');

test('PromQL pulls and sextant backfill record exact counts from a real Prometheus', async (t) => {
  const prometheus = await requirePeer(t, PROMETHEUS_PEER);
  if (prometheus === undefined) return;
  const promtool = await requirePeer(t, { binary: 'promtool', debianPackage: 'prometheus' });
  if (promtool === undefined) return;
  const dir = await mkdtemp(join(tmpdir(), 'sextant-promql-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const series = schedule();
  const want = expected(series);
  await writeFile(join(dir, 'metrics.om.txt'), openMetrics(series));
  await backfillOpenMetrics([join(dir, 'metrics.om.txt')], join(dir, 'tsdb'), { promtool });
  const server = await startPrometheus({ dataDir: join(dir, 'tsdb'), binary: prometheus });
  t.after(() => server.stop());

  await writeFile(join(dir, 'catalog.yaml'), CATALOG);
  const unitYaml = join(dir, 'unit.yaml');
  await writeFile(
    unitYaml,
    `unit: {id: pull-test}
catalog: ${join(dir, 'catalog.yaml')}
dataDir: ${join(dir, 'data')}
listen: 127.0.0.1:0
sources:
  promql:
    - {name: prom, url: '${server.baseUrl}', interval: 1s, delay: 2m, timeout: 10s, headers: {x-scope-orgid: test}}
`,
  );
  const config = resolveUnitConfig({
    file: { path: unitYaml, text: await readFile(unitYaml, 'utf8') },
    flags: {},
    env: {},
  });
  assert.ok(config.ok, JSON.stringify(!config.ok && config.issues));

  // 1. The unit's schedule, with its clock 2 minutes (the delay) after END: the last
  //    hour, exact.
  const started = await startUnit(config.value, {
    now: () => END + 2 * MINUTE,
    log: () => {},
    queue: () => new MemoryNotificationQueue(),
  });
  assert.ok(started.ok, !started.ok ? started.message : '');
  const unit = started.value;
  try {
    const deadline = Date.now() + 20_000;
    const covered = () =>
      SLIS.every((sli) => {
        const lanes = pullCoverage(unit.state, 'prom', sli);
        return (
          lanes.length === 1 &&
          lanes[0]!.startMinute === UNIT_FROM / MINUTE &&
          lanes[0]!.endMinute === END / MINUTE
        );
      });
    while (!covered()) {
      assert.ok(Date.now() < deadline, 'the unit did not pull the last hour within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const sli of ['api/availability', 'api/latency', 'api/queue']) {
      assert.deepEqual(minutesOf(unit.state, sli, START, END), only(want[sli]!, UNIT_FROM, END), sli);
    }

    // 2. A backfill is refused while the unit has the database open.
    const refused = await runSextant(
      ['backfill', '--config', unitYaml, '--from', iso(START), '--to', iso(END)],
      { cwd: dir },
    );
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /in use by another process.*stop the unit first/);
  } finally {
    await unit.close();
  }

  // 3. The backfill in its own process, in 1-minute chunks, stopped with SIGTERM.
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const args = ['backfill', '--config', unitYaml, '--from', iso(START), '--to', iso(END)];
  const interrupted = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args, '--chunk', '1m'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let signalled = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      // Stopped a few percent in: in the middle of the first SLI's history.
      if (!signalled && /^backfill: ([5-9]|\d\d)\.\d%/m.test(stderr)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(interrupted.code, 143, interrupted.stderr);
  const done = /interrupted \(SIGTERM\) after (\d+) SLI-minutes; run the same command again/.exec(
    interrupted.stderr,
  );
  assert.ok(done && Number(done[1]) >= 24 && Number(done[1]) < 120, interrupted.stderr);

  // 4. Run again: it continues where it stopped.
  const resumed = await runSextant(args, { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  // 4 SLIs x 120 minutes, less what the interrupted run recorded.
  assert.match(resumed.stdout, new RegExp(`^recorded ${480 - Number(done[1])} SLI-minutes`));
  const again = await runSextant(args, { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to do: every minute .* is already recorded/);

  const opened = UnitState.open(join(dir, 'data', 'sextant-unit.db'));
  assert.ok(opened.ok);
  const state = opened.value;
  try {
    // Selector SLIs: the schedule's events, minute for minute, across the three runs.
    for (const sli of ['api/availability', 'api/latency', 'api/queue']) {
      assert.deepEqual(minutesOf(state, sli, START - HOUR, END + HOUR), want[sli]!, sli);
    }
    for (const sli of SLIS) {
      assert.deepEqual(pullCoverage(state, 'prom', sli), [
        { startMinute: START / MINUTE, endMinute: UNIT_FROM / MINUTE },
        { startMinute: UNIT_FROM / MINUTE, endMinute: END / MINUTE },
      ]);
    }
    // $window SLI: Prometheus's own increase() at every minute end, as instant queries.
    const pulled = minutesOf(state, 'api/availability-promql', START, END);
    const ends = Array.from({ length: (END - START) / MINUTE }, (_, i) => START + (i + 1) * MINUTE);
    const answers = await Promise.all(
      ends.map(async (at) => {
        const total = await server.query('sum(increase(http_requests_total{job="api"}[1m]))', at);
        const bad = await server.query('sum(increase(http_requests_total{job="api",code=~"5.."}[1m]))', at);
        return [at / MINUTE - 1, bad.vector[0]?.value ?? 0, total.vector[0]?.value ?? 0] as const;
      }),
    );
    for (const [minute, bad, total] of answers) {
      const got = pulled.get(minute) ?? [0, 0];
      assert.ok(Math.abs(got[1] - total) <= 1e-9 * total, `minute ${minute}: total ${got[1]} vs ${total}`);
      assert.ok(
        Math.abs(got[0] - (total - bad)) <= 1e-9 * total,
        `minute ${minute}: good ${got[0]} vs ${total - bad}`,
      );
    }
    // They are extrapolations: not the exact counts (which is why selectors are preferred).
    const exactTotal = [...want['api/availability']!.values()].reduce((sum, [, total]) => sum + total, 0);
    const promTotal = answers.reduce((sum, [, , total]) => sum + total, 0);
    assert.notEqual(promTotal, exactTotal);
  } finally {
    state.close();
  }
});
