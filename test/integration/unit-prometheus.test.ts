/**
 * A unit between real peers: Debian's Prometheus 2.42 scrapes a test app (the simulator's
 * `/metrics`, on the wall clock, with a known schedule of good and bad requests) and
 * remote-writes to the unit; a second unit scrapes the same app itself; a third pages
 * through Debian's Alertmanager 0.25 when a burst of errors burns its budget.
 *
 * Which minutes are comparable. A counter's increase between two samples is attributed to
 * the minute of the later sample, and the first sample of a series is only a baseline
 * (docs/unit.md, "How samples become counts"). The app's counters jump once a minute, at
 * one instant (all of a minute's events happen together, see src/simulator/simulator.ts),
 * so the unit's count for a minute is exactly that minute's schedule when the instant
 * falls after the first sample and a later sample of the same minute reaches the unit.
 * The minute of the first sample is the baseline minute: what happened in it (and before)
 * is inside the baseline value and is never counted. Every later minute is comparable once
 * a sample from it has arrived: with a 1 s scrape interval every minute has about sixty.
 *
 * Where in the minute the instant falls. The app's clock runs `eventPhaseMs` behind the
 * wall clock, so a minute's events happen that far into the wall-clock minute rather than
 * at its first millisecond. That keeps the exact equality independent of the few
 * milliseconds between the scraper stamping a sample (Prometheus: when the scrape starts)
 * and the app reading its clock: events at a minute's first millisecond would land in the
 * previous minute whenever a scrape starts just before it. The phase is also chosen so
 * that the first instant comes a few seconds after start-up, which makes the test last
 * about 85 s instead of up to two and a half minutes.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { Catalog } from '../../src/catalog/index.ts';
import { loadCatalogFromPaths } from '../../src/catalog-files/index.ts';
import { parseExposition } from '../../src/exposition/index.ts';
import { decodeWriteRequest, snappyDecompress } from '../../src/remote-write/index.ts';
import {
  createSimulator,
  expectedCounts,
  type MetricsServer,
  type Schedule,
  type Simulator,
  startMetricsServer,
} from '../../src/simulator/index.ts';
import { resolveUnitConfig } from '../../src/unit/config.ts';
import { startUnit, type UnitHandle, type UnitOptions } from '../../src/unit/unit.ts';
import {
  ALERTMANAGER_PEER,
  spawnPeer,
  startAlertmanager,
  until,
  waitReady,
} from '../support/peer-process.ts';
import { requirePeer } from '../support/peers.ts';
import { freePort, PROMETHEUS_PEER } from '../support/prometheus.ts';

const MINUTE_MS = 60_000;

/**
 * One ratio SLI and one latency SLI (apdex: up to 250 ms satisfied, up to 1 s tolerated).
 * The availability SLO has a tiny page tier so that a burst pages within a minute of wall
 * time: burn-rate factor = budget share × period / long window = 10 % × 60 m / 2 m = 3,
 * i.e. it fires when both the last 2 minutes and the last minute run above 3 % errors.
 * `minEvents: 0` because a test minute holds about a thousand requests, not 3600.
 */
const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: web}
spec: {onCall: {schedule: web-primary}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: shop}
spec:
  owner: web
  tier: critical
  slis:
    - name: requests
      kind: ratio
      bad: {selector: 'http_requests_total{app="shop",code=~"5.."}'}
      total: {selector: 'http_requests_total{app="shop"}'}
    - name: latency
      kind: latency
      histogram: 'http_request_duration_seconds{app="shop"}'
      satisfiedSeconds: 0.25
      toleratedSeconds: 1
  slos:
    - name: availability
      sli: requests
      objectivePercent: 99
      window: 1h
      alerting:
        minEvents: 0
        budgetExhausted: false
        trafficCessation: false
        tiers:
          page-1h: {enabled: false}
          page-fast: {severity: page, budgetPercent: 10, longWindow: 2m, shortWindow: 1m}
    - name: latency
      sli: latency
      objectivePercent: 90
      window: 28d
`;

/** Which SLI each SLO reads. */
const SLO_SLI = { availability: 'shop/requests', latency: 'shop/latency' } as const;
type SloName = keyof typeof SLO_SLI;

/** Counts that differ from minute to minute, so a count landing in the wrong minute shows. */
const varying: Schedule = (sli, minute) =>
  sli.kind === 'ratio'
    ? { good: 600 + (minute % 7) * 13, bad: 1 + (minute % 5) }
    : { satisfied: 400 + (minute % 11) * 3, tolerated: 20 + (minute % 3), slow: 2 + (minute % 4) };

interface Counts {
  good: number;
  total: number;
}

/**
 * The good/total of `varying` in a minute, by hand (SLO-MATH.md, "Counts"): a ratio SLI's
 * good is total − bad; apdex counts a tolerated request as half a good one.
 */
function scheduledCounts(slo: SloName, minute: number): Counts {
  if (slo === 'availability') {
    const good = 600 + (minute % 7) * 13;
    return { good, total: good + 1 + (minute % 5) };
  }
  const satisfied = 400 + (minute % 11) * 3;
  const tolerated = 20 + (minute % 3);
  return { good: satisfied + tolerated / 2, total: satisfied + tolerated + 2 + (minute % 4) };
}

/** What the simulator says an SLI gets in a minute, summed over its series. */
function simulatedCounts(simulator: Simulator, slo: SloName, minute: number): Counts {
  const out = { good: 0, total: 0 };
  for (const bucket of expectedCounts(simulator, minute)) {
    if (bucket.sli !== SLO_SLI[slo]) continue;
    out.good += bucket.good;
    out.total += bucket.total;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Helpers: waiting, processes, the unit, the app, metrics text.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

type Defer = (cleanup: () => unknown) => void;

/**
 * Registers cleanups that run when the test ends, failed or not, last registered first
 * (processes stop before their directories go). `t.after` alone runs hooks in order.
 */
function cleanups(t: TestContext): Defer {
  const stack: (() => unknown)[] = [];
  t.after(async () => {
    for (const cleanup of stack.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`cleanup failed: ${(error as Error).message}\n`);
      }
    }
  });
  return (cleanup) => {
    stack.push(cleanup);
  };
}

/** Starts a unit from a configuration object (written as the YAML file would hold it). */
async function startTestUnit(
  settings: Record<string, unknown>,
  options: UnitOptions = {},
): Promise<{ unit: UnitHandle; logs: string[] }> {
  const resolved = resolveUnitConfig({
    file: { path: 'unit.yaml', text: JSON.stringify(settings) },
    flags: {},
    env: {},
  });
  assert.ok(resolved.ok, resolved.ok ? '' : JSON.stringify(resolved.issues));
  const logs: string[] = [];
  const started = await startUnit(resolved.value, {
    log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
    ...options,
  });
  assert.ok(started.ok, started.ok ? '' : started.message);
  return { unit: started.value, logs };
}

/** The test app: the simulator's `/metrics` on the wall clock minus `lagMs`, noting its first request. */
async function startApp(
  catalog: Catalog,
  schedule: Schedule,
  lagMs: () => number,
): Promise<{ simulator: Simulator; server: MetricsServer; firstRequestMs: () => number | undefined }> {
  // Counters start ten minutes before the test, as in an app that was already running.
  const simulator = createSimulator(catalog, { seed: 1, startMs: Date.now() - 10 * MINUTE_MS, schedule });
  assert.deepEqual(simulator.plan.issues, [], 'every SLI is fed by its own series only');
  let first: number | undefined;
  const server = await startMetricsServer({
    simulator,
    clock: () => {
      const now = Date.now();
      first ??= now;
      return now - lagMs();
    },
  });
  return { simulator, server, firstRequestMs: () => first };
}

/** Per-minute good/total of an SLO over `[fromMinute, toMinute)` from the unit's read API. */
async function unitCounts(unitUrl: string, slo: SloName, fromMinute: number, toMinute: number) {
  const iso = (minute: number) => new Date(minute * MINUTE_MS).toISOString();
  const response = await fetch(
    `${unitUrl}/api/v1/slos/shop/${slo}/series?step=1m&from=${iso(fromMinute)}&to=${iso(toMinute)}`,
  );
  assert.equal(response.status, 200);
  const body = (await response.json()) as { points: (Counts & { time: string })[] };
  return body.points.map(({ good, total }) => ({ good, total }));
}

/**
 * The sum of the samples called `name` whose labels include `labels`, in a metrics text;
 * 0 when there is none, as for a counter never incremented.
 */
function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const parsed = parseExposition(text, { format: 'prometheus', scrapeTimeMs: Date.now() });
  let found = 0;
  for (const family of parsed.families) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) found += sample.value;
    }
  }
  return found;
}

/** The body of a `GET` that must succeed. */
async function text(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return response.text();
}

// ---------------------------------------------------------------------------------------
// A remote-write proxy between Prometheus and the unit: it records every answer, can lose
// one answer (the batch was applied, the sender never hears so), and holds the line while
// the unit restarts.

interface RemoteWriteProxy {
  url: string;
  /** The status of every answer the unit gave. */
  answers: { status: number }[];
  /** Requests cut off because the unit was down. */
  refused: number;
  /** Once an answer was lost: how many samples of the series the SLIs read its batch carried. */
  lost: { readSamples: number } | undefined;
  /** Points the proxy at a unit, or at nothing (requests are then cut off). */
  setTarget(url: string | undefined): void;
  close(): Promise<void>;
}

/**
 * Samples in a remote-write body of the series the SLIs read, by hand from the catalog:
 * both request counters, the buckets at the apdex thresholds (0.25 s, 1 s) and `_count`.
 */
function readSamplesIn(body: Uint8Array): number {
  const protobuf = snappyDecompress(body, 64 * 1024 * 1024);
  assert.ok(protobuf.ok);
  const request = decodeWriteRequest(protobuf.value);
  assert.ok(request.ok);
  let count = 0;
  for (const series of request.value.timeseries) {
    const label = (name: string) => series.labels.find((l) => l.name === name)?.value;
    const name = label('__name__');
    const read =
      name === 'http_requests_total' ||
      name === 'http_request_duration_seconds_count' ||
      (name === 'http_request_duration_seconds_bucket' && (label('le') === '0.25' || label('le') === '1'));
    if (read) count += series.samples.length;
  }
  return count;
}

const FORWARDED_HEADERS = [
  'content-type',
  'content-encoding',
  'user-agent',
  'x-prometheus-remote-write-version',
] as const;

/**
 * Starts the proxy. It loses the answer to the first batch holding at least
 * `loseWithReadSamples` samples of the series the SLIs read: with two samples of a series
 * in it, the resent batch starts below the unit's cursor, which is where a Prometheus
 * receiver answers 400 "out of order sample" and the sender drops the batch.
 */
async function startRemoteWriteProxy(loseWithReadSamples: number): Promise<RemoteWriteProxy> {
  let target: string | undefined;
  const proxy: RemoteWriteProxy = {
    url: '',
    answers: [],
    refused: 0,
    lost: undefined,
    setTarget: (url) => {
      target = url;
    },
    close: async () => {},
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let answer: Response;
    try {
      if (target === undefined) throw new Error('the unit is down');
      answer = await fetch(`${target}${request.url ?? '/'}`, {
        method: request.method ?? 'POST',
        headers,
        body: Buffer.concat(chunks),
      });
    } catch {
      // What Prometheus sees of a unit that is not there: the connection breaks.
      proxy.refused += 1;
      request.socket.destroy();
      return;
    }
    const body = Buffer.from(await answer.arrayBuffer());
    proxy.answers.push({ status: answer.status });
    const readSamples = answer.ok ? readSamplesIn(Buffer.concat(chunks)) : 0;
    if (proxy.lost === undefined && readSamples >= loseWithReadSamples) {
      // Applied and committed by the unit, but the sender never hears so: it must retry.
      proxy.lost = { readSamples };
      request.socket.destroy();
      return;
    }
    const out: Record<string, string> = {};
    for (const [name, value] of answer.headers) {
      if (name === 'content-type' || name.startsWith('x-prometheus-')) out[name] = value;
    }
    response.writeHead(answer.status, out);
    response.end(body);
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => request.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

// ---------------------------------------------------------------------------------------

/** Prometheus scraping `target` every second and remote-writing to `remoteWriteUrl`. */
async function startScrapingPrometheus(
  defer: Defer,
  binary: string,
  dir: string,
  target: string,
  remoteWriteUrl: string,
) {
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: shop',
      '    static_configs:',
      `      - targets: ['${new URL(target).host}']`,
      'remote_write:',
      `  - url: ${remoteWriteUrl}`,
      '    queue_config:',
      // Two scrapes per batch, so that a resent batch holds samples older than the last.
      '      batch_send_deadline: 2s',
      '      min_backoff: 50ms',
      '      max_backoff: 1s',
      '',
    ].join('\n'),
  );
  const peer = spawnPeer(binary, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=info',
  ]);
  defer(() => peer.stop());
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(peer, baseUrl, 'prometheus');
  const query = async (expr: string): Promise<{ metric: Record<string, string>; value: number }[]> => {
    const response = await fetch(`${baseUrl}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: expr }),
    });
    const body = (await response.json()) as {
      status: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    assert.equal(body.status, 'success', `query ${expr}`);
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return { baseUrl, peer, query };
}

/** What Alertmanager's webhook integration posts (payload version 4). */
interface AlertmanagerWebhook {
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[];
}

/** An alert as `GET /api/v2/alerts` lists it. */
interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
  receivers: { name: string }[];
}

describe('a unit between a real Prometheus and a real Alertmanager', { concurrency: true }, () => {
  test('Prometheus remote-write and the unit’s own scrape both count the schedule exactly', async (t) => {
    const prometheusBinary = await requirePeer(t, PROMETHEUS_PEER);
    if (prometheusBinary === undefined) return;
    const defer = cleanups(t);
    const dir = await mkdtemp(join(tmpdir(), 'sextant-unit-prometheus-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const catalogDir = join(dir, 'catalog');
    await mkdir(catalogDir);
    await writeFile(join(catalogDir, 'shop.yaml'), CATALOG);
    const { build } = await loadCatalogFromPaths([catalogDir]);
    assert.ok(build.valid, JSON.stringify(build.issues));

    // The events' phase in the minute: the first instant about 10 s from now, which leaves
    // time for Prometheus to start and take its baseline sample. The phase stays within
    // [1 s, 50 s] so that it exceeds a scrape's latency and each minute still has ten or
    // more scrapes after its instant.
    const startedAt = Date.now();
    let eventPhaseMs = (startedAt + 10_000) % MINUTE_MS;
    if (eventPhaseMs > 50_000 || eventPhaseMs < 1000) eventPhaseMs = 1000;

    // Two copies of the app with the same schedule: one for Prometheus, one for the unit.
    const forPrometheus = await startApp(build.catalog, varying, () => eventPhaseMs);
    defer(() => forPrometheus.server.close());
    const forUnit = await startApp(build.catalog, varying, () => eventPhaseMs);
    defer(() => forUnit.server.close());

    // Unit "rw" takes Prometheus's remote-write through the proxy; unit "scrape" scrapes.
    const rwSettings = {
      unit: { id: 'it-remote-write' },
      catalog: catalogDir,
      dataDir: join(dir, 'rw-data'),
      listen: '127.0.0.1:0',
      evaluationInterval: '1s',
    };
    let rw = await startTestUnit(rwSettings);
    let rwClosed = false;
    defer(() => (rwClosed ? undefined : rw.unit.close()));
    const proxy = await startRemoteWriteProxy(10);
    defer(() => proxy.close());
    proxy.setTarget(rw.unit.url);
    const scraper = await startTestUnit({
      unit: { id: 'it-scrape' },
      catalog: catalogDir,
      dataDir: join(dir, 'scrape-data'),
      listen: '127.0.0.1:0',
      evaluationInterval: '1s',
      sources: {
        scrape: [{ name: 'shop', url: `${forUnit.server.url}/metrics`, interval: '1s', timeout: '1s' }],
      },
    });
    defer(() => scraper.unit.close());
    const prometheus = await startScrapingPrometheus(
      defer,
      prometheusBinary,
      dir,
      forPrometheus.server.url,
      `${proxy.url}/api/v1/write`,
    );

    // The baseline: the app's minute at each scraper's first request. Events of that minute
    // and earlier are inside the baseline values; the minutes after it are comparable.
    const baselineMinute = async (app: typeof forUnit, who: string) => {
      const first = await until(`${who}'s first scrape`, Date.now() + 15_000, async () =>
        app.firstRequestMs(),
      );
      return Math.floor((first - eventPhaseMs) / MINUTE_MS);
    };
    const rwBaseline = await baselineMinute(forPrometheus, 'Prometheus');
    const scrapeBaseline = await baselineMinute(forUnit, 'the unit');
    // Two comparable minutes for both paths: m1 and m2.
    const m1 = Math.max(rwBaseline, scrapeBaseline) + 1;
    const m2 = m1 + 1;
    const instantMs = (minute: number) => minute * MINUTE_MS + eventPhaseMs;
    const want = (slo: SloName, from: number, to: number) => {
      const out: Counts[] = [];
      for (let minute = from; minute < to; minute++) out.push(scheduledCounts(slo, minute));
      return out;
    };
    /** Waits until the unit has the scheduled counts of `[from, to)`, then asserts them. */
    const expectScheduled = async (unitUrl: () => string, from: number, to: number, who: string) => {
      const deadline = instantMs(to - 1) + 20_000;
      for (const slo of ['availability', 'latency'] as const) {
        const wanted = want(slo, from, to);
        const seen = await until(
          `${who}: ${slo} counts of minutes ${from}..${to - 1}`,
          deadline,
          async () => {
            const counts = await unitCounts(unitUrl(), slo, from, to);
            return JSON.stringify(counts) === JSON.stringify(wanted) ? counts : undefined;
          },
        ).catch(async (error: Error) => {
          assert.deepEqual(await unitCounts(unitUrl(), slo, from, to), wanted, error.message);
          throw error;
        });
        assert.deepEqual(seen, wanted);
      }
    };

    t.diagnostic(
      `events ${eventPhaseMs} ms into each minute; baselines: Prometheus ${rwBaseline}, unit ${scrapeBaseline}; ` +
        `compared: ${m1} ${JSON.stringify([scheduledCounts('availability', m1), scheduledCounts('latency', m1)])}, ` +
        `${m2} ${JSON.stringify([scheduledCounts('availability', m2), scheduledCounts('latency', m2)])}`,
    );

    await t.test('the schedule by hand is what the simulator says', () => {
      for (const minute of [rwBaseline, m1, m2]) {
        for (const slo of ['availability', 'latency'] as const) {
          assert.deepEqual(
            simulatedCounts(forPrometheus.simulator, slo, minute),
            scheduledCounts(slo, minute),
          );
        }
      }
      // E.g. availability in minute 29_000_005 (% 7 = 6, % 5 = 0): 600 + 6 × 13 = 678 good, 1 bad.
      assert.deepEqual(scheduledCounts('availability', 29_000_005), { good: 678, total: 679 });
    });

    await t.test(
      'through Prometheus remote-write, the first minute after the baseline is exact',
      async () => {
        await expectScheduled(() => rw.unit.url, m1, m1 + 1, 'remote-write');
        assert.ok(proxy.lost !== undefined, 'an answer was lost (and its batch sent again)');
        // The baseline minute holds nothing: its events happened before the first sample.
        for (const slo of ['availability', 'latency'] as const) {
          assert.deepEqual(await unitCounts(rw.unit.url, slo, rwBaseline, rwBaseline + 1), [
            { good: 0, total: 0 },
          ]);
        }
      },
    );

    // Stop the remote-write unit across the next minute's events: Prometheus retries what
    // it cannot deliver, and the restarted unit must neither re-baseline its series (its
    // cursors are on disk) nor count a retried sample twice.
    const beforeRestart = await text(`${rw.unit.url}/metrics`);
    await sleep(instantMs(m2) - 2000 - Date.now());
    proxy.setTarget(undefined);
    rwClosed = true;
    await rw.unit.close();
    await sleep(instantMs(m2) + 2000 - Date.now());
    rw = await startTestUnit(rwSettings);
    rwClosed = false;
    proxy.setTarget(rw.unit.url);

    await t.test('a unit restarted while Prometheus keeps sending loses and doubles nothing', async () => {
      await expectScheduled(() => rw.unit.url, m1, m2 + 1, 'remote-write after the restart');
      assert.ok(proxy.refused > 0, 'Prometheus had to retry while the unit was down');
    });

    await t.test('the unit’s own scrape of the same app gives the same counts', async () => {
      await expectScheduled(() => scraper.unit.url, m1, m2 + 1, 'scrape');
      for (const slo of ['availability', 'latency'] as const) {
        assert.deepEqual(
          await unitCounts(scraper.unit.url, slo, m1, m2 + 1),
          await unitCounts(rw.unit.url, slo, m1, m2 + 1),
        );
      }
    });

    await t.test('Prometheus and both units report sane metrics, and no answer was a 4xx', async () => {
      // The app exposes 16 series: 2 request counters, a histogram's 12 buckets, _sum and
      // _count. The SLIs read 5 of them: both counters, the 0.25 s and 1 s buckets and _count.
      const exposed = forPrometheus.simulator.plan.raw.length;
      assert.equal(exposed, 16);
      const read = 5;
      const up = await prometheus.query('up{job="shop"}');
      assert.deepEqual(
        up.map((s) => s.value),
        [1],
      );
      const scraped = await prometheus.query('scrape_samples_scraped{job="shop"}');
      assert.deepEqual(
        scraped.map((s) => s.value),
        [exposed],
      );

      // Every answer the unit gave was a success (none of the 4xx senders drop data on),
      // and Prometheus retried what it did not hear back about, without giving anything up.
      assert.deepEqual([...new Set(proxy.answers.map((a) => a.status))], [204]);
      assert.ok(proxy.lost !== undefined);
      const own = await text(`${prometheus.baseUrl}/metrics`);
      assert.ok(metricValue(own, 'prometheus_remote_storage_samples_total') > 0, own);
      assert.equal(metricValue(own, 'prometheus_remote_storage_samples_failed_total'), 0, own);
      assert.equal(metricValue(own, 'prometheus_remote_storage_metadata_failed_total'), 0, own);
      assert.equal(metricValue(own, 'prometheus_remote_storage_samples_dropped_total'), 0, own);
      assert.ok(metricValue(own, 'prometheus_remote_storage_samples_retried_total') > 0, own);
      assert.doesNotMatch(prometheus.peer.log(), /non-recoverable/i);

      // Before the restart: one baseline per series read; the batch whose answer was lost
      // came again, and all of its samples were recognised as already applied.
      const rwSamples = (metrics: string, outcome: string) =>
        metricValue(metrics, 'sextant_unit_samples_total', { source: 'remote_write', outcome });
      assert.equal(rwSamples(beforeRestart, 'baseline'), read, beforeRestart);
      assert.ok(rwSamples(beforeRestart, 'counted') > 0, beforeRestart);
      assert.equal(
        rwSamples(beforeRestart, 'duplicate') + rwSamples(beforeRestart, 'out_of_order'),
        proxy.lost.readSamples,
        beforeRestart,
      );
      assert.ok(rwSamples(beforeRestart, 'duplicate') > 0, beforeRestart);
      t.diagnostic(
        `lost answer: ${proxy.lost.readSamples} samples read, then ${rwSamples(beforeRestart, 'duplicate')} duplicate, ` +
          `${rwSamples(beforeRestart, 'out_of_order')} out_of_order; ${proxy.refused} requests refused while down; ` +
          `${proxy.answers.length} answers, all 204`,
      );
      // After the restart no series started over: the cursors came back from disk.
      const after = await text(`${rw.unit.url}/metrics`);
      assert.equal(rwSamples(after, 'baseline'), 0, after);
      assert.ok(rwSamples(after, 'counted') > 0, after);
      for (const metrics of [beforeRestart, after]) {
        assert.equal(rwSamples(metrics, 'conflict'), 0, metrics);
        assert.equal(
          metricValue(metrics, 'sextant_unit_remote_write_requests_total', { outcome: 'rejected' }),
          0,
          metrics,
        );
      }

      const scrapeMetrics = await text(`${scraper.unit.url}/metrics`);
      const scrapeSamples = (outcome: string) =>
        metricValue(scrapeMetrics, 'sextant_unit_samples_total', { source: 'scrape', outcome });
      assert.equal(metricValue(scrapeMetrics, 'sextant_unit_scrape_up', { target: 'shop' }), 1);
      assert.equal(metricValue(scrapeMetrics, 'sextant_unit_scrape_samples', { target: 'shop' }), exposed);
      assert.equal(scrapeSamples('baseline'), read, scrapeMetrics);
      // Each scrape: 5 samples counted (or baselines), 11 nobody reads.
      assert.equal(scrapeSamples('unmatched') * read, (scrapeSamples('counted') + read) * (exposed - read));
      for (const outcome of ['duplicate', 'out_of_order', 'conflict', 'stale']) {
        assert.equal(scrapeSamples(outcome), 0, scrapeMetrics);
      }
    });
  });

  test('a burst of errors pages through Alertmanager and resolves a minute later', async (t) => {
    const alertmanagerBinary = await requirePeer(t, ALERTMANAGER_PEER);
    if (alertmanagerBinary === undefined) return;
    const defer = cleanups(t);
    const dir = await mkdtemp(join(tmpdir(), 'sextant-unit-alertmanager-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const catalogDir = join(dir, 'catalog');
    await mkdir(catalogDir);
    await writeFile(join(catalogDir, 'shop.yaml'), CATALOG);
    const { build } = await loadCatalogFromPaths([catalogDir]);
    assert.ok(build.valid, JSON.stringify(build.issues));

    // The webhook Alertmanager routes to, so the resolution is seen as Alertmanager sends it.
    const received: AlertmanagerWebhook[] = [];
    const hook = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(JSON.parse(body) as AlertmanagerWebhook);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    defer(
      () =>
        new Promise<void>((resolve) => {
          hook.closeAllConnections();
          hook.close(() => resolve());
        }),
    );
    const alertmanager = await startAlertmanager(
      alertmanagerBinary,
      dir,
      `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
    );
    defer(() => alertmanager.peer.stop());

    // Burn-rate windows are whole minutes before the evaluation's minute, so the burst
    // minute b pages once minute b + 1 begins, and the page resolves once b + 2 begins
    // (the 1 m short window then holds only b + 1). The unit's clock runs `lagMs` (< 1 min)
    // behind the wall clock, chosen so that b's events, 50 s into b, come 8 s from now and
    // b ends 10 s later; on the wall clock the wait could otherwise be two minutes.
    // Alertmanager sees times at most a minute old, which it takes as they are.
    const EVENT_PHASE_MS = 50_000;
    const burstAtMs = Date.now() + 8000;
    const lagMs = (((burstAtMs - EVENT_PHASE_MS) % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
    const unitClock = () => Date.now() - lagMs;
    const burst = Math.floor((burstAtMs - lagMs) / MINUTE_MS);
    // 1 % errors (burn rate 1) except minute b: 500 of 1000 fail, 50 % errors, burn rate 50.
    const schedule: Schedule = (sli, minute) =>
      sli.kind === 'ratio'
        ? minute === burst
          ? { good: 500, bad: 500 }
          : { good: 990, bad: 10 }
        : { satisfied: 1000, slow: 0 };
    const app = await startApp(build.catalog, schedule, () => lagMs + EVENT_PHASE_MS);
    defer(() => app.server.close());
    const { unit, logs } = await startTestUnit(
      {
        unit: { id: 'it-alerts', tenant: 'acme', environment: 'test' },
        catalog: catalogDir,
        dataDir: join(dir, 'data'),
        listen: '127.0.0.1:0',
        evaluationInterval: '1s',
        sources: {
          scrape: [{ name: 'shop', url: `${app.server.url}/metrics`, interval: '1s', timeout: '1s' }],
        },
        notifiers: [{ kind: 'alertmanager', name: 'am', urls: [alertmanager.baseUrl] }],
      },
      { now: unitClock },
    );
    defer(() => unit.close());
    const first = await until('the first scrape', Date.now() + 10_000, async () => app.firstRequestMs());
    assert.ok(first < burstAtMs, 'the baseline sample comes before the burst');

    const expectedLabels = {
      alertname: 'SextantSloBurnRate',
      sextant_slo: 'shop/availability',
      service: 'shop',
      team: 'web',
      severity: 'page',
      tier: 'page-fast',
      window: '2m',
      unit: 'it-alerts',
      tenant: 'acme',
      environment: 'test',
    };
    const pagesAtMs = (burst + 1) * MINUTE_MS; // on the unit's clock
    const resolvesAtMs = (burst + 2) * MINUTE_MS;
    const filter = `filter=${encodeURIComponent('sextant_slo="shop/availability"')}`;
    const activeAlerts = async () =>
      (await (await fetch(`${alertmanager.baseUrl}/api/v2/alerts?${filter}`)).json()) as GettableAlert[];

    const held = await until('the page in Alertmanager', pagesAtMs + lagMs + 15_000, async () => {
      const alerts = await activeAlerts();
      return alerts.length > 0 ? alerts : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; unit log: ${logs.slice(-10).join('\n')}`);
    });
    assert.equal(held.length, 1);
    const page = held[0]!;
    assert.deepEqual(page.labels, expectedLabels);
    assert.equal(page.status.state, 'active');
    assert.deepEqual(
      page.receivers.map((r) => r.name),
      ['hook'],
    );
    // It started with the first evaluation of minute b + 1 (evaluations run every second).
    const startsAtMs = Date.parse(page.startsAt);
    assert.ok(startsAtMs >= pagesAtMs && startsAtMs < pagesAtMs + 5000, page.startsAt);
    // Both windows hold only minute b (nothing was counted before it): 500 / 1000 = 50 %
    // errors against a 1 % budget is 50x; the factor is 3 (see CATALOG).
    assert.equal(
      page.annotations['summary'],
      'shop/availability: error budget burning 50.0x the sustainable rate (page-fast)',
    );

    const status = (await (await fetch(`${unit.url}/api/v1/slos`)).json()) as {
      slos: { id: string; firing?: string[] }[];
    };
    assert.deepEqual(
      status.slos.map((slo) => [slo.id, slo.firing]),
      [
        ['shop/availability', ['page-fast']],
        ['shop/latency', []],
      ],
    );

    const firing = await until('the page at the webhook', pagesAtMs + lagMs + 20_000, async () =>
      received.find((payload) => payload.status === 'firing'),
    );
    assert.deepEqual(firing.alerts[0]?.labels, expectedLabels);

    const resolved = await until('the resolution at the webhook', resolvesAtMs + lagMs + 20_000, async () =>
      received.find((payload) => payload.status === 'resolved'),
    );
    assert.deepEqual(resolved.alerts[0]?.labels, expectedLabels);
    assert.equal(Date.parse(resolved.alerts[0]?.startsAt ?? ''), startsAtMs);
    // Resolved by the first evaluation of minute b + 2, not before.
    const endsAtMs = Date.parse(resolved.alerts[0]?.endsAt ?? '');
    assert.ok(endsAtMs >= resolvesAtMs && endsAtMs < resolvesAtMs + 5000, resolved.alerts[0]?.endsAt);
    // Alertmanager lists active alerts only: the resolved one is gone.
    assert.deepEqual(await activeAlerts(), []);
    // Every post reached Alertmanager at the first attempt.
    const notify = await text(`${unit.url}/metrics/notify`);
    assert.ok(metricValue(notify, 'sextant_notify_delivered_total', { receiver: 'am' }) >= 2, notify);
    for (const name of ['failed', 'retried', 'dropped']) {
      assert.equal(metricValue(notify, `sextant_notify_${name}_total`, { receiver: 'am' }), 0, notify);
    }
  });
});
