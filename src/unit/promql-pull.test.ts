import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { buildCatalog, type Catalog, compileSelector, parseSelector, type Sli } from '../catalog/index.ts';
import { compileIngestPlan } from '../ingest/index.ts';
import { MemoryNotificationQueue } from '../notify/index.ts';
import { encodeWriteRequest, snappyCompress } from '../remote-write/index.ts';
import { resolveUnitConfig } from './config.ts';
import type { LogLevel } from './logger.ts';
import { MetricsRegistry } from './metrics.ts';
import {
  PromqlPuller,
  type PromqlSource,
  type PullOptions,
  PullOwnership,
  pullCoverage,
  type SourcesConfig,
  splitSeries,
  startPromqlPull,
} from './promql-pull.ts';
import { UnitState } from './state.ts';
import { startUnit } from './unit.ts';

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
    - name: latency-promql
      kind: latency
      promql:
        satisfied: 'sum(increase(d_bucket{le="0.25"}[$window]))'
        tolerated: 'sum(increase(d_bucket{le="1"}[$window]))'
        total: 'sum(increase(d_count[$window]))'
      satisfiedSeconds: 0.25
      toleratedSeconds: 1
    - name: queue
      kind: threshold
      gauge: {selector: 'queue_depth{job="api"}'}
      operator: '<'
      bound: 50
    - name: queue-promql
      kind: threshold
      gauge: {promql: 'max_over_time(queue_depth{job="api"}[$window])'}
      operator: '<'
      bound: 50
    - name: batch
      kind: events
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
`;

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 24, 10, 0);
const M0 = T0 / MINUTE;

// ---- a fake Prometheus HTTP API ----------------------------------------------------------

interface FakeSeries {
  labels: Record<string, string>;
  samples: [number, number][];
}

interface Recorded {
  path: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

interface Canned {
  status?: number;
  body: string;
  delayMs?: number;
}

/**
 * Answers `/api/v1/series`, `/api/v1/query` (a matrix selector `sel[Nms]`, with the
 * closed range `[T - N, T]` of Prometheus 2.x) and `/api/v1/query_range` (canned per
 * query), from series held in memory.
 */
class FakePrometheus {
  series: FakeSeries[] = [];
  ranged = new Map<string, (timeMs: number) => { metric: Record<string, string>; value: number }[]>();
  requests: Recorded[] = [];
  /** Answers given instead of the real one, in order, one per request. */
  canned: Canned[] = [];
  maxSamples = Number.POSITIVE_INFINITY;
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        const path = new URL(request.url ?? '/', 'http://x').pathname;
        const params = Object.fromEntries(new URLSearchParams(body));
        this.requests.push({ path, params, headers: request.headers });
        const canned = this.canned.shift();
        const answer = canned ?? this.#answer(path, params);
        const send = () => {
          if (response.destroyed) return;
          response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
          response.end(answer.body);
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  of(path: string): Recorded[] {
    return this.requests.filter((r) => r.path === path);
  }

  #answer(path: string, params: Record<string, string>): Canned {
    const ok = (data: unknown) => ({ body: JSON.stringify({ status: 'success', data }) });
    if (path === '/api/v1/series') {
      const matches = this.#matcher(params['match[]'] ?? '');
      const from = Number(params['start']) * 1000;
      const to = Number(params['end']) * 1000;
      return ok(
        this.series
          .filter((s) => matches(s.labels) && s.samples.some(([t]) => t >= from && t <= to))
          .map((s) => s.labels),
      );
    }
    if (path === '/api/v1/query') {
      const parts = /^(.*)\[(\d+)ms\]$/.exec(params['query'] ?? '');
      if (!parts) return { status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data' }) };
      const matches = this.#matcher(parts[1]!);
      const at = Math.round(Number(params['time']) * 1000);
      const from = at - Number(parts[2]);
      let loaded = 0;
      const result = [];
      for (const s of this.series) {
        if (!matches(s.labels)) continue;
        const values = s.samples.filter(([t]) => t >= from && t <= at);
        loaded += values.length;
        if (values.length > 0)
          result.push({ metric: s.labels, values: values.map(([t, v]) => [t / 1000, String(v)]) });
      }
      if (loaded > this.maxSamples) {
        return {
          status: 422,
          body: JSON.stringify({
            status: 'error',
            errorType: 'execution',
            error: 'query processing would load too many samples into memory in query execution',
          }),
        };
      }
      return ok({ resultType: 'matrix', result });
    }
    if (path === '/api/v1/query_range') {
      const fn = this.ranged.get(params['query'] ?? '');
      const start = Number(params['start']) * 1000;
      const end = Number(params['end']) * 1000;
      const step = Number(params['step']) * 1000;
      const bySeries = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
      for (let t = start; fn && t <= end; t += step) {
        for (const point of fn(t)) {
          const key = JSON.stringify(point.metric);
          const entry = bySeries.get(key) ?? { metric: point.metric, values: [] };
          entry.values.push([t / 1000, String(point.value)]);
          bySeries.set(key, entry);
        }
      }
      return ok({ resultType: 'matrix', result: [...bySeries.values()] });
    }
    return { status: 404, body: '404 page not found' };
  }

  #matcher(text: string): (labels: Record<string, string>) => boolean {
    const parsed = parseSelector(text);
    assert.ok(parsed.ok, `the fake cannot parse ${text}`);
    return compileSelector(parsed.value);
  }
}

// ---- the known schedule ------------------------------------------------------------------

const OK = { __name__: 'http_requests_total', job: 'api', code: '200', instance: 'a' };
const BAD = { __name__: 'http_requests_total', job: 'api', code: '500', instance: 'a' };

/**
 * A counter scraped every 15 s on the minute grid from 10 minutes before T0, growing by
 * `step` per scrape: 4 scrapes per minute, so `4 * step` per minute. With `resetAtMs`
 * the process restarts just after the previous scrape: that sample reads `step`.
 */
function counter(
  labels: Record<string, string>,
  step: number,
  options: { fromMs?: number; toMs?: number; resetAtMs?: number } = {},
): FakeSeries {
  const samples: [number, number][] = [];
  let value = 1000;
  for (let t = options.fromMs ?? T0 - 10 * MINUTE; t <= (options.toMs ?? T0 + 200 * MINUTE); t += 15_000) {
    if (samples.length > 0) value = t === options.resetAtMs ? step : value + step;
    samples.push([t, value]);
  }
  return { labels, samples };
}

function catalog(): Catalog {
  const build = buildCatalog([{ path: 'api.yaml', text: CATALOG }]);
  assert.ok(build.valid, JSON.stringify(build.issues));
  return build.catalog;
}

function sliOf(cat: Catalog, id: string): Sli {
  const sli = [...cat.services.values()].flatMap((s) => s.slis).find((s) => s.id === id);
  assert.ok(sli);
  return sli;
}

/** `{minute offset from T0: [good, total]}` of every minute holding data in `[from, to)`. */
function minutes(state: UnitState, sli: string, from: number, to: number): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  state
    .reader()
    .sliSeries(sli)
    .forEachMinute(M0 + from, M0 + to, (minute, good, total) => out.set(minute - M0, [good, total]));
  return out;
}

function every(from: number, to: number, value: [number, number]): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (let m = from; m < to; m++) out.set(m, value);
  return out;
}

let prom: FakePrometheus;
let state: UnitState;
let cat: Catalog;
let logs: { level: LogLevel; message: string; fields: Record<string, unknown> }[];
let clock: number;

function source(overrides: Partial<PromqlSource> = {}): PromqlSource {
  return {
    name: 'prom',
    url: prom.url,
    interval: 60_000,
    delay: 2 * MINUTE,
    headers: { authorization: 'Bearer s3cret', 'x-scope-orgid': 'tenant-1' },
    timeout: 2000,
    ...overrides,
  };
}

function puller(options: PullOptions = {}, overrides: Partial<PromqlSource> = {}, target = state) {
  return new PromqlPuller(
    source(overrides),
    {
      state: target,
      catalog: () => cat,
      now: () => clock,
      log: (level, message, fields = {}) => logs.push({ level, message, fields }),
    },
    options,
  );
}

beforeEach(async () => {
  prom = new FakePrometheus();
  await prom.start();
  const opened = UnitState.open(':memory:');
  assert.ok(opened.ok);
  state = opened.value;
  cat = catalog();
  logs = [];
  clock = T0 + 200 * MINUTE;
});
afterEach(async () => {
  state.close();
  await prom.stop();
});

describe('selector sources', () => {
  beforeEach(() => {
    prom.series = [counter(OK, 10, { resetAtMs: T0 + 20 * MINUTE + 15_000 }), counter(BAD, 1)];
  });

  test('every minute gets exactly its increments, across chunks, the first one from the sample before it', async () => {
    const report = await puller({ chunkMinutes: 7 }).fill(sliOf(cat, 'api/availability'), M0, M0 + 30);
    assert.equal(report.error, undefined);
    assert.equal(report.minutes, 30);
    assert.equal(report.chunks, 5); // 7 + 7 + 7 + 7 + 2
    // 4 scrapes a minute: 4 x 10 ok + 4 x 1 bad = 44 requests, 40 good, in every minute
    // (the reset at 10:20:15 reads 10, i.e. 10 requests since the restart).
    assert.deepEqual(minutes(state, 'api/availability', -10, 40), every(0, 30, [40, 44]));
    const queries = prom.of('/api/v1/query');
    // One raw query per chunk (good and bad selectors match the same series: bad's are
    // a subset of total's, but they are asked separately and fed once).
    assert.equal(queries.length, 10);
    assert.equal(queries[0]!.params['time'], ((T0 + 7 * MINUTE - 1) / 1000).toFixed(3));
    // The first chunk reaches 5 minutes back for the baselines; the others start at their minute.
    assert.match(queries[0]!.params['query']!, /\[720000ms\]$/);
    assert.match(queries[2]!.params['query']!, /\[420000ms\]$/);
  });

  test('the counts equal those remote-write of the same samples gives', async () => {
    await puller({ chunkMinutes: 13 }).fill(sliOf(cat, 'api/availability'), M0, M0 + 40);
    const opened = UnitState.open(':memory:');
    assert.ok(opened.ok);
    const pushed = opened.value;
    pushed.apply(compileIngestPlan(cat), T0 + 40 * MINUTE, (reducer) => {
      for (const s of prom.series) {
        reducer.series(
          s.labels,
          s.samples
            .filter(([t]) => t >= T0 - 15_000 && t < T0 + 40 * MINUTE)
            .map(([timestampMs, value]) => ({ timestampMs, value })),
        );
      }
    });
    assert.deepEqual(minutes(state, 'api/availability', 0, 40), minutes(pushed, 'api/availability', 0, 40));
    pushed.close();
  });

  test('a second fill of the same minutes asks nothing and counts nothing twice', async () => {
    const pull = puller({ chunkMinutes: 10 });
    await pull.fill(sliOf(cat, 'api/availability'), M0, M0 + 20);
    const asked = prom.requests.length;
    const again = await pull.fill(sliOf(cat, 'api/availability'), M0, M0 + 20);
    assert.equal(again.minutes, 0);
    assert.equal(prom.requests.length, asked);
    assert.deepEqual(minutes(state, 'api/availability', 0, 20), every(0, 20, [40, 44]));
  });

  test('positions survive a restart: the reopened unit goes on without double counts or gaps', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-pull-'));
    try {
      const path = join(dir, 'unit.db');
      const first = UnitState.open(path);
      assert.ok(first.ok);
      await puller({ chunkMinutes: 10 }, {}, first.value).fill(sliOf(cat, 'api/availability'), M0, M0 + 25);
      first.value.close();
      const second = UnitState.open(path);
      assert.ok(second.ok);
      const before = prom.of('/api/v1/query').length;
      const report = await puller({ chunkMinutes: 10 }, {}, second.value).fill(
        sliOf(cat, 'api/availability'),
        M0,
        M0 + 50,
      );
      assert.equal(report.minutes, 25);
      // Minutes 25..50 in chunks of 10: 3 chunks, 2 selectors each.
      assert.equal(prom.of('/api/v1/query').length - before, 6);
      assert.deepEqual(minutes(second.value, 'api/availability', -10, 60), every(0, 50, [40, 44]));
      assert.deepEqual(pullCoverage(second.value, 'prom', 'api/availability'), [
        { startMinute: M0, endMinute: M0 + 50 },
      ]);
      second.value.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('history filled before recorded minutes joins them exactly, and gaps after them are filled', async () => {
    const pull = puller({ chunkMinutes: 25 });
    const sli = sliOf(cat, 'api/availability');
    await pull.fill(sli, M0 + 60, M0 + 70);
    const report = await pull.fill(sli, M0, M0 + 90);
    assert.equal(report.minutes, 80);
    assert.deepEqual(minutes(state, 'api/availability', -10, 100), every(0, 90, [40, 44]));
    assert.deepEqual(pullCoverage(state, 'prom', 'api/availability'), [
      { startMinute: M0, endMinute: M0 + 60 },
      { startMinute: M0 + 60, endMinute: M0 + 90 },
    ]);
    // The finished lane dropped its two raw cursors; the open lane keeps its two, plus
    // one position per lane.
    assert.equal(state.trackedSeries, 4);
  });

  test('Prometheus refusing the sample count halves the chunk until it fits', async () => {
    // The bad selector loads 4 samples a minute, the total one 8 (two series). The first
    // chunk (45 minutes, all there is) reaches 5 minutes back: 45 + 5 (200 bad samples),
    // 30 + 5 (140 bad, 280 total) and 15 + 5 minutes (160 total) are asked; the last fits,
    // and 15-minute chunks (120) follow.
    prom.maxSamples = 170;
    const report = await puller({ chunkMinutes: 60 }).fill(sliOf(cat, 'api/availability'), M0, M0 + 45);
    assert.equal(report.error, undefined);
    assert.deepEqual(minutes(state, 'api/availability', 0, 45), every(0, 45, [40, 44]));
    const ranges = prom.of('/api/v1/query').map((r) => Number(/\[(\d+)ms\]$/.exec(r.params['query']!)![1]));
    assert.deepEqual(
      [...new Set(ranges)],
      [50, 35, 20, 15].map((m) => m * MINUTE),
    );
  });

  test('more series than a query may hold are asked in groups by label values', async () => {
    prom.series = Array.from({ length: 12 }, (_, i) =>
      counter({ ...OK, instance: `i-${String(i).padStart(2, '0')}` }, 1),
    );
    const report = await puller({ chunkMinutes: 10, maxSeriesPerQuery: 5 }).fill(
      sliOf(cat, 'api/availability'),
      M0,
      M0 + 10,
    );
    assert.equal(report.error, undefined);
    // 12 instances x 4 per minute, all good.
    assert.deepEqual(minutes(state, 'api/availability', 0, 10), every(0, 10, [48, 48]));
    const total = prom.of('/api/v1/query').filter((r) => !r.params['query']!.includes('5..'));
    assert.deepEqual(
      total.map((r) => /instance=~"([^"]*)"/.exec(r.params['query']!)?.[1]),
      ['i-00|i-01|i-02|i-03|i-04', 'i-05|i-06|i-07|i-08|i-09', 'i-10|i-11'],
    );
  });
});

describe('one source of truth per SLI', () => {
  beforeEach(() => {
    prom.series = [counter(OK, 10), counter(BAD, 1)];
  });
  const sources = (overrides: Partial<SourcesConfig> = {}): SourcesConfig => ({
    remoteWrite: true,
    otlp: true,
    scrape: [],
    promql: [source()],
    ...overrides,
  });
  /** What remote-write of the fake Prometheus's samples of `[T0, T0 + 40m)` gives `target`. */
  const pushAll = (target: UnitState, ownership: PullOwnership) =>
    target.apply(ownership.pushPlan(cat), T0 + 40 * MINUTE, (reducer) => {
      for (const s of prom.series) {
        reducer.series(
          s.labels,
          s.samples
            .filter(([t]) => t >= T0 - 15_000 && t < T0 + 40 * MINUTE)
            .map(([timestampMs, value]) => ({ timestampMs, value })),
        );
      }
    });
  const record = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) =>
    logs.push({ level, message, fields });

  test('samples remote-write brings for an SLI the pull records count nothing and say so', async () => {
    await puller({ chunkMinutes: 20 }).fill(sliOf(cat, 'api/availability'), M0, M0 + 40);
    const metrics = new MetricsRegistry();
    const ownership = new PullOwnership(sources(), record, metrics);
    const pushed = pushAll(state, ownership);
    // 2 series x (1 sample before T0 + 4 a minute for 40 minutes) = 322 samples.
    assert.deepEqual([pushed.outcomes.owned_by_promql, pushed.outcomes.counted], [322, 0]);
    // Still 44 requests a minute (4 scrapes x 10 ok + 4 x 1 bad): the pull's, not twice that.
    assert.deepEqual(minutes(state, 'api/availability', 0, 40), every(0, 40, [40, 44]));
    // Every SLI of the catalog but the events one (6 of 7) is the pull's.
    assert.match(metrics.render(), /^sextant_unit_promql_owned_slis 6$/m);
    ownership.observe('remote_write', pushed.outcomes);
    ownership.observe('remote_write', pushed.outcomes);
    ownership.observe('otlp', { owned_by_promql: 0 });
    assert.deepEqual(
      logs.map((l) => [l.level, l.fields['source'] ?? null]),
      [
        ['info', null],
        ['warn', 'remote_write'],
      ],
      'one line at start, one warning the first time a source brings samples for pulled SLIs',
    );
  });

  test('without a PromQL source the push paths count every SLI, and nothing is said', () => {
    const ownership = new PullOwnership(sources({ promql: [] }), record);
    const pushed = pushAll(state, ownership);
    assert.equal(pushed.outcomes.owned_by_promql, 0);
    assert.deepEqual(minutes(state, 'api/availability', 0, 40), every(0, 40, [40, 44]));
    assert.deepEqual(logs, []);
  });

  test('a unit with a PromQL source answers remote-write for pulled SLIs with 204 and counts nothing', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-owned-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'catalog.yaml'), CATALOG);
    const resolved = resolveUnitConfig({
      file: {
        path: join(dir, 'unit.yaml'),
        text: `unit: {id: owned}\ncatalog: ${dir}\ndataDir: ${join(dir, 'data')}\nlisten: 127.0.0.1:0\nsources:\n  promql: [{name: prom, url: '${prom.url}'}]\n`,
      },
      flags: {},
      env: {},
    });
    assert.ok(resolved.ok, JSON.stringify(!resolved.ok && resolved.issues));
    const started = await startUnit(resolved.value, {
      now: () => T0 + 2 * MINUTE,
      manual: true,
      log: record,
      queue: () => new MemoryNotificationQueue(),
    });
    assert.ok(started.ok, !started.ok ? started.message : '');
    const unit = started.value;
    t.after(() => unit.close());
    const body = snappyCompress(
      encodeWriteRequest({
        timeseries: [
          {
            labels: Object.entries(OK)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([name, value]) => ({ name, value })),
            samples: [
              { timestampMs: T0, value: 100 },
              { timestampMs: T0 + 30_000, value: 160 },
            ],
          },
        ],
      }),
    );
    const answer = await fetch(`${unit.url}/api/v1/write`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
    });
    assert.equal(answer.status, 204);
    assert.deepEqual(
      unit.state
        .reader()
        .sliSeries('api/availability')
        .sum(M0, M0 + 1),
      { good: 0, total: 0 },
    );
    const text = await (await fetch(`${unit.url}/metrics`)).text();
    assert.match(text, /sextant_unit_samples_total\{outcome="owned_by_promql",source="remote_write"\} 2/);
    assert.ok(logs.some((l) => l.level === 'warn' && l.fields['source'] === 'remote_write'));
  });

  test('scrape targets next to a PromQL source are a warning at start', () => {
    const target = {
      name: 'app',
      url: 'http://127.0.0.1:1/metrics',
      interval: 15_000,
      timeout: 10_000,
      labels: {},
    };
    new PullOwnership(sources({ remoteWrite: false, otlp: false, scrape: [target] }), record);
    assert.deepEqual(
      logs.map((l) => [l.level, l.fields['ignoredFor']]),
      [['warn', ['scrape']]],
    );
  });
});

describe('histograms and gauges', () => {
  test('histogram buckets become apdex, and only the buckets the SLI uses are read', async () => {
    const base = { __name__: 'http_request_duration_seconds_bucket', job: 'api' };
    // Per scrape: 2 under 0.1 s, 6 under 0.25 s, 7 under 0.5 s, 9 under 1 s, 10 in all.
    prom.series = [
      counter({ ...base, le: '0.1' }, 2),
      counter({ ...base, le: '0.25' }, 6),
      counter({ ...base, le: '0.5' }, 7),
      counter({ ...base, le: '1.0' }, 9),
      counter({ ...base, le: '+Inf' }, 10),
    ];
    await puller({ chunkMinutes: 30 }).fill(sliOf(cat, 'api/latency'), M0, M0 + 5);
    // Per minute: satisfied 24, tolerated 36, total 40: good = 24 + (36 - 24) / 2 = 30.
    assert.deepEqual(minutes(state, 'api/latency', 0, 5), every(0, 5, [30, 40]));
    const query = prom.of('/api/v1/query')[0]!.params['query']!;
    assert.ok(query.includes('le=~"\\\\+Inf|0\\\\.25|1\\\\.0"'), query);
  });

  test('a gauge gives one verdict per minute from the aggregate the SLI names (max under a ceiling)', async () => {
    const labels = { __name__: 'queue_depth', job: 'api' };
    prom.series = [
      {
        labels,
        samples: [
          [T0, 10],
          [T0 + 15_000, 20],
          [T0 + 30_000, 60],
          [T0 + 45_000, 5],
          [T0 + MINUTE, 1],
          [T0 + MINUTE + 30_000, 49],
        ],
      },
    ];
    await puller().fill(sliOf(cat, 'api/queue'), M0, M0 + 3);
    // Minute 0: max 60, not < 50: a bad slice. Minute 1: max 49: good. Minute 2: no sample.
    assert.deepEqual(
      minutes(state, 'api/queue', 0, 3),
      new Map([
        [0, [0, 1]],
        [1, [1, 1]],
      ]),
    );
  });
});

describe('$window expressions', () => {
  test('one query_range per expression and chunk gives each minute its value; bad becomes good = total - bad', async () => {
    prom.ranged.set('sum(increase(http_requests_total{job="api"}[1m]))', () => [{ metric: {}, value: 44.5 }]);
    prom.ranged.set('sum(increase(http_requests_total{job="api",code=~"5.."}[1m]))', (t) =>
      t === T0 + 3 * MINUTE ? [{ metric: {}, value: 4.5 }] : [],
    );
    const report = await puller({ chunkMinutes: 10 }).fill(
      sliOf(cat, 'api/availability-promql'),
      M0,
      M0 + 20,
    );
    assert.equal(report.minutes, 20);
    const expected = every(0, 20, [44.5, 44.5]);
    expected.set(2, [40, 44.5]); // the value at 10:03 is minute 10:02's
    assert.deepEqual(minutes(state, 'api/availability-promql', 0, 20), expected);
    const ranges = prom.of('/api/v1/query_range');
    assert.equal(ranges.length, 4);
    assert.deepEqual(
      { start: ranges[0]!.params['start'], end: ranges[0]!.params['end'], step: ranges[0]!.params['step'] },
      { start: ((T0 + MINUTE) / 1000).toFixed(3), end: ((T0 + 10 * MINUTE) / 1000).toFixed(3), step: '60' },
    );
  });

  test('satisfied, tolerated and total expressions become apdex', async () => {
    prom.ranged.set('sum(increase(d_bucket{le="0.25"}[1m]))', () => [{ metric: {}, value: 24 }]);
    prom.ranged.set('sum(increase(d_bucket{le="1"}[1m]))', () => [{ metric: {}, value: 36 }]);
    prom.ranged.set('sum(increase(d_count[1m]))', () => [{ metric: {}, value: 40 }]);
    await puller().fill(sliOf(cat, 'api/latency-promql'), M0, M0 + 3);
    assert.deepEqual(minutes(state, 'api/latency-promql', 0, 3), every(0, 3, [30, 40]));
  });

  test('a PromQL gauge gives one verdict per minute', async () => {
    prom.ranged.set('max_over_time(queue_depth{job="api"}[1m])', (t) => [
      { metric: {}, value: t === T0 + MINUTE ? 70 : 30 },
    ]);
    await puller().fill(sliOf(cat, 'api/queue-promql'), M0, M0 + 3);
    assert.deepEqual(
      minutes(state, 'api/queue-promql', 0, 3),
      new Map([
        [0, [0, 1]],
        [1, [1, 1]],
        [2, [1, 1]],
      ]),
    );
  });
});

describe('the schedule', () => {
  beforeEach(() => {
    prom.series = [counter(OK, 10), counter(BAD, 1)];
  });

  test('records closed minutes only, and catches up after downtime in bounded chunks', async () => {
    const pull = puller({ chunkMinutes: 30, maxChunksPerTick: 2, startBackMinutes: 10 });
    clock = T0 + 10 * MINUTE + 2 * MINUTE + 59_000; // 10:12:59 minus the 2m delay: 10:10 is open
    await pull.tick();
    assert.deepEqual(pullCoverage(state, 'prom', 'api/availability'), [
      { startMinute: M0, endMinute: M0 + 10 },
    ]);
    clock += 100 * MINUTE; // down for 100 minutes
    await pull.tick();
    assert.deepEqual(pullCoverage(state, 'prom', 'api/availability'), [
      { startMinute: M0, endMinute: M0 + 70 },
    ]);
    await pull.tick();
    assert.deepEqual(pullCoverage(state, 'prom', 'api/availability'), [
      { startMinute: M0, endMinute: M0 + 110 },
    ]);
    assert.deepEqual(minutes(state, 'api/availability', -10, 120), every(0, 110, [40, 44]));
    const longest = Math.max(
      ...prom.of('/api/v1/query').map((r) => Number(/\[(\d+)ms\]$/.exec(r.params['query']!)![1])),
    );
    assert.equal(longest, 30 * MINUTE);
  });

  test('the source headers go with every request', async () => {
    clock = T0 + 5 * MINUTE;
    await puller({ startBackMinutes: 3 }).tick();
    assert.ok(prom.requests.length > 0);
    for (const request of prom.requests) {
      assert.equal(request.headers['authorization'], 'Bearer s3cret');
      assert.equal(request.headers['x-scope-orgid'], 'tenant-1');
    }
  });

  for (const [name, canned, kind] of [
    ['an HTTP error', { status: 503, body: '<html>Service Unavailable</html>' }, 'http'],
    [
      'a Prometheus error',
      { status: 400, body: '{"status":"error","errorType":"bad_data","error":"parse error"}' },
      'prometheus',
    ],
    [
      'a partial answer',
      { body: '{"status":"success","data":[],"warnings":["store gateway unavailable"]}' },
      'partial',
    ],
    ['a timeout', { body: '{"status":"success","data":[]}', delayMs: 400 }, 'timeout'],
  ] as const) {
    test(`${name} leaves the position where it was, is logged, and the next round retries`, async () => {
      const pull = puller({ startBackMinutes: 5, concurrency: 1 }, { timeout: 150 });
      clock = T0 + 7 * MINUTE;
      prom.canned.push(canned);
      const failed = await pull.tick();
      const error = failed.errors.find((e) => e.sli === 'api/availability' || e.sli === '*');
      assert.equal(error?.error.kind, kind);
      assert.deepEqual(pullCoverage(state, 'prom', 'api/availability'), []);
      assert.ok(logs.some((l) => l.level === 'warn' && l.fields['kind'] === kind));
      const retried = await pull.tick();
      assert.deepEqual(retried.errors, []);
      assert.deepEqual(minutes(state, 'api/availability', -10, 10), every(0, 5, [40, 44]));
    });
  }

  test('an unreachable source is one error for the round, not one per SLI', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const pull = puller({ startBackMinutes: 5 }, { url: `http://127.0.0.1:${port}` });
    clock = T0 + 7 * MINUTE;
    const report = await pull.tick();
    assert.deepEqual(
      report.errors.map((e) => [e.sli, e.error.kind]),
      [['*', 'unreachable']],
    );
    assert.equal(logs.filter((l) => l.level === 'warn').length, 1);
  });

  test('stopping aborts requests in flight and records nothing half', async () => {
    prom.canned.push({ body: '{"status":"success","data":[]}', delayMs: 1000 });
    clock = T0 + 7 * MINUTE;
    const stop = startPromqlPull(
      [source()],
      { state, catalog: () => cat, now: () => clock, log: () => {}, metrics: new MetricsRegistry() },
      { concurrency: 1 },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(prom.requests.length, 1);
    await stop();
    assert.deepEqual(pullCoverage(state, 'prom', 'api/availability'), []);
    assert.equal(prom.requests.length, 1);
  });

  test('startPromqlPull reports its rounds as metrics', async () => {
    clock = T0 + 7 * MINUTE;
    const metrics = new MetricsRegistry();
    const stop = startPromqlPull(
      [source()],
      { state, catalog: () => cat, now: () => clock, log: () => {}, metrics },
      { startBackMinutes: 5 },
    );
    for (let i = 0; i < 100 && !metrics.render().includes('sextant_unit_promql_up'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await stop();
    const text = metrics.render();
    assert.match(text, /sextant_unit_promql_up\{source="prom"\} 1/);
    // Six pullable SLIs x 5 minutes; the events SLI is not pulled.
    assert.match(text, /sextant_unit_promql_minutes_total\{source="prom"\} 30/);
    // Lag: now 10:07 minus the end of 10:04 (the last closed minute with a 2m delay) = 120 s.
    assert.match(text, /sextant_unit_promql_lag_seconds\{source="prom"\} 120/);
  });
});

describe('splitSeries', () => {
  test('groups are disjoint, cover every series, and a crowded value is split by another label', () => {
    const series = [
      { instance: 'i0', code: '200' },
      { instance: 'i0', code: '404' },
      { instance: 'i0', code: '500' },
      { instance: 'i1', code: '200' },
      { instance: 'i2', code: '200' },
      { instance: 'i3', code: '200' },
    ];
    // `instance` has the most distinct values (4); i0 alone holds 3 > 2 series, so it is
    // split by `code`; the others are packed two by two.
    assert.deepEqual(
      splitSeries(series, 2).map((group) => group.map((m) => `${m.name}${m.op}${m.value}`)),
      [['instance=i0', 'code=~200|404'], ['instance=i0', 'code=~500'], ['instance=~i1|i2'], ['instance=~i3']],
    );
    // Nothing left to split by: one group.
    assert.deepEqual(splitSeries([{ a: 'x' }, { a: 'x' }, { a: 'x' }], 2), [[]]);
    // Regex metacharacters in values are escaped; a missing label is the empty value.
    assert.deepEqual(splitSeries([{ v: 'a.b' }, { v: 'c+' }, {}], 1), [
      [{ name: 'v', op: '=~', value: '' }],
      [{ name: 'v', op: '=~', value: 'a\\.b' }],
      [{ name: 'v', op: '=~', value: 'c\\+' }],
    ]);
  });
});
