import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MemoryNotificationQueue } from '../notify/index.ts';
import { encodeWriteRequest, snappyCompress } from '../remote-write/index.ts';
import { resolveUnitConfig, type UnitConfig } from './config.ts';
import { startUnit, type UnitHandle } from './unit.ts';

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
    - name: batch
      kind: events
      significantLabels: [job_name]
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
    - {name: batch, sli: batch, objectivePercent: 99, window: 7d}
`;

const START = Date.UTC(2026, 10, 24, 10, 0); // a whole minute
let clock = START;
let dir = '';
let unit: UnitHandle;
let config: UnitConfig;

async function start(): Promise<UnitHandle> {
  const started = await startUnit(config, {
    now: () => clock,
    manual: true,
    log: () => {},
    queue: () => new MemoryNotificationQueue(),
  });
  assert.ok(started.ok, !started.ok ? started.message : '');
  return started.value;
}

function remoteWrite(series: { labels: Record<string, string>; samples: [number, number][] }[]): Uint8Array {
  return snappyCompress(
    encodeWriteRequest({
      timeseries: series.map((s) => ({
        labels: Object.entries(s.labels)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, value]) => ({ name, value })),
        samples: s.samples.map(([timestampMs, value]) => ({ timestampMs, value })),
      })),
    }),
  );
}

async function post(path: string, body: Uint8Array | string, headers: Record<string, string>) {
  return fetch(`${unit.url}${path}`, { method: 'POST', body, headers });
}

const RW_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-unit-'));
  await writeFile(join(dir, 'catalog.yaml'), CATALOG);
  const resolved = resolveUnitConfig({
    flags: { id: 'test-unit', catalog: dir, 'data-dir': join(dir, 'data'), listen: '127.0.0.1:0' },
    env: {},
  });
  assert.ok(resolved.ok);
  config = resolved.value;
  unit = await start();
});
after(async () => {
  await unit.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the unit', () => {
  test('is live at once and ready after its first evaluation', async () => {
    assert.equal((await fetch(`${unit.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${unit.url}/readyz`)).status, 503);
    await unit.evaluateNow();
    assert.equal((await fetch(`${unit.url}/readyz`)).status, 200);
  });

  test('remote-write counters become exact per-minute counts, and a retried batch changes nothing', async () => {
    const ok = { __name__: 'http_requests_total', job: 'api', code: '200' };
    const bad = { __name__: 'http_requests_total', job: 'api', code: '500' };
    const other = { __name__: 'node_cpu_seconds_total', cpu: '0' };
    // Baselines at 10:00:00, then +1000 ok and +4 bad by 10:00:30, +1000/+6 by 10:01:00.
    const body = remoteWrite([
      {
        labels: ok,
        samples: [
          [START, 5000],
          [START + 30_000, 6000],
          [START + 60_000, 7000],
        ],
      },
      {
        labels: bad,
        samples: [
          [START, 10],
          [START + 30_000, 14],
          [START + 60_000, 20],
        ],
      },
      { labels: other, samples: [[START, 1]] },
    ]);
    clock = START + 90_000;
    const first = await post('/api/v1/write', body, RW_HEADERS);
    assert.equal(first.status, 204, await first.text());
    const retry = await post('/api/v1/write', body, RW_HEADERS);
    assert.equal(retry.status, 204, 'a retried batch is a success, not "out of order"');
    const reader = unit.state.reader();
    const sli = reader.sliSeries('api/availability');
    // Minute 10:00: 1000 ok + 4 bad = 1004 total, 1000 good. Minute 10:01: 1006 total, 1000 good.
    const m = START / 60_000;
    assert.deepEqual(sli.sum(m, m + 1), { good: 1000, total: 1004 });
    assert.deepEqual(sli.sum(m + 1, m + 2), { good: 1000, total: 1006 });
    const metrics = await (await fetch(`${unit.url}/metrics`)).text();
    // Every sample of the retry was applied by the first request: 3 + 3 duplicates.
    assert.match(metrics, /sextant_unit_samples_total\{outcome="duplicate",source="remote_write"\} 6/);
    assert.doesNotMatch(metrics, /outcome="out_of_order"/);
    assert.match(metrics, /sextant_unit_series_skipped_total 2/);
  });

  test('the read API reports the SLO with its budget', async () => {
    clock = START + 3 * 60_000;
    await unit.evaluateNow();
    const body = (await (await fetch(`${unit.url}/api/v1/slos/api/availability`)).json()) as {
      status: { sliRatio: number; good: number; total: number };
    };
    // 2000 good of 2010: 0.995024...
    assert.equal(body.status.total, 2010);
    assert.ok(Math.abs(body.status.sliRatio - 2000 / 2010) < 1e-12);
    const list = (await (await fetch(`${unit.url}/api/v1/slos`)).json()) as { slos: { id: string }[] };
    assert.deepEqual(
      list.slos.map((slo) => slo.id),
      ['api/availability', 'api/batch'],
    );
    const missing = await fetch(`${unit.url}/api/v1/slos/api/availabilty`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /did you mean api\/availability/);
    const series = (await (
      await fetch(
        `${unit.url}/api/v1/slos/api/availability/series?step=1m&from=2026-11-24T10:00:00Z&to=2026-11-24T10:02:00Z`,
      )
    ).json()) as {
      points: { good: number; total: number }[];
    };
    assert.deepEqual(
      series.points.map((p) => [p.good, p.total]),
      [
        [1000, 1004],
        [1000, 1006],
      ],
    );
  });

  test('events are validated against the catalog and counted', async () => {
    const good = await post(
      '/api/v1/events',
      JSON.stringify({
        events: [
          {
            sli: 'api/batch',
            labels: { job_name: 'nightly' },
            time: '2026-11-24T10:01:00Z',
            good: 9,
            total: 10,
          },
        ],
      }),
      { 'content-type': 'application/json' },
    );
    assert.equal(good.status, 200, await good.text());
    const wrongKind = await post(
      '/api/v1/events',
      JSON.stringify({
        events: [{ sli: 'api/availability', time: '2026-11-24T10:01:00Z', good: 1, total: 1 }],
      }),
      { 'content-type': 'application/json' },
    );
    assert.equal(wrongKind.status, 422);
    assert.match(await wrongKind.text(), /ratio SLI fed by metrics/);
    const badShape = await post(
      '/api/v1/events',
      JSON.stringify({ events: [{ sli: 'api/batch', good: -1 }] }),
      {
        'content-type': 'application/json',
      },
    );
    assert.equal(badShape.status, 400);
    assert.match(await badShape.text(), /events\.0\.time/);
    const m = Date.UTC(2026, 10, 24, 10, 1) / 60_000;
    assert.deepEqual(
      unit.state
        .reader()
        .sliSeries('api/batch')
        .sum(m, m + 1),
      { good: 9, total: 10 },
    );
  });

  test('OTLP cumulative sums are counters, named as the Prometheus compatibility spec says', async () => {
    const t0 = Date.UTC(2026, 10, 24, 10, 5);
    const request = (atMs: number, ok: number, bad: number) =>
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
            scopeMetrics: [
              {
                scope: { name: 'test' },
                metrics: [
                  {
                    name: 'http_requests',
                    sum: {
                      aggregationTemporality: 2,
                      isMonotonic: true,
                      dataPoints: [
                        {
                          attributes: [{ key: 'code', value: { stringValue: '200' } }],
                          timeUnixNano: `${atMs}000000`,
                          asInt: String(ok),
                        },
                        {
                          attributes: [{ key: 'code', value: { stringValue: '503' } }],
                          timeUnixNano: `${atMs}000000`,
                          asInt: String(bad),
                        },
                      ],
                    },
                  },
                  {
                    name: 'temperature',
                    exponentialHistogram: {
                      aggregationTemporality: 2,
                      dataPoints: [{ timeUnixNano: `${atMs}000000`, count: '1' }],
                    },
                  },
                ],
              },
            ],
          },
        ],
      });
    clock = t0 + 90_000;
    const first = await post('/v1/metrics', request(t0, 100, 1), { 'content-type': 'application/json' });
    assert.equal(first.status, 200);
    const second = await post('/v1/metrics', request(t0 + 60_000, 200, 3), {
      'content-type': 'application/json',
    });
    const answer = (await second.json()) as { partialSuccess?: { rejectedDataPoints?: string | number } };
    assert.equal(
      Number(answer.partialSuccess?.rejectedDataPoints),
      1,
      'the exponential histogram is reported, not absorbed',
    );
    const m = t0 / 60_000 + 1;
    // +100 ok and +2 bad in the second minute: good 100 of 102.
    assert.deepEqual(
      unit.state
        .reader()
        .sliSeries('api/availability')
        .sum(m, m + 1),
      { good: 100, total: 102 },
    );
    const unsupported = await post('/v1/metrics', 'x', { 'content-type': 'text/plain' });
    assert.equal(unsupported.status, 415);
    const broken = await post('/v1/metrics', '{"resourceMetrics": [', { 'content-type': 'application/json' });
    assert.equal(broken.status, 400);
  });

  test('bad remote-write bodies get 4xx that senders do not retry', async () => {
    assert.equal((await post('/api/v1/write', 'not snappy', RW_HEADERS)).status, 400);
    assert.equal(
      (await post('/api/v1/write', remoteWrite([]), { ...RW_HEADERS, 'content-type': 'application/json' }))
        .status,
      415,
    );
    const huge = new Uint8Array(config.limits.maxBodyBytes + 1);
    assert.equal((await post('/api/v1/write', huge, RW_HEADERS)).status, 413);
  });

  test('the HTTP surface: gzip OTLP, gzip bombs, unknown encodings, methods and paths', async () => {
    const empty = JSON.stringify({ resourceMetrics: [] });
    const gzipped = await post('/v1/metrics', gzipSync(empty), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(gzipped.status, 200);
    // Zeros compress about 1000:1: a small body that inflates past the limit.
    const bomb = gzipSync(new Uint8Array(config.limits.maxDecompressedBytes + 1));
    assert.ok(bomb.length < config.limits.maxBodyBytes);
    const bombed = await post('/v1/metrics', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(bombed.status, 413);
    const notGzip = await post('/v1/metrics', empty, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(notGzip.status, 400);
    assert.match(((await notGzip.json()) as { error: string }).error, /invalid gzip body/);
    const brotli = await post('/v1/metrics', empty, {
      'content-type': 'application/json',
      'content-encoding': 'br',
    });
    assert.equal(brotli.status, 415);

    const wrongMethod = await fetch(`${unit.url}/api/v1/write`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    const head = await fetch(`${unit.url}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const missing = await fetch(`${unit.url}/api/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /no route GET \/api\/v1\/nothing/);
    const badEscape = await fetch(`${unit.url}/api/v1/slos/api/%E0%A4%A`);
    assert.equal(badEscape.status, 400);
    const escaped = await fetch(`${unit.url}/api/v1/slos/api/availabilit%79`);
    assert.equal(escaped.status, 200);
    assert.equal(((await escaped.json()) as { id: string }).id, 'api/availability');
    // A refused body is drained: the next request on the same keep-alive connection works.
    const huge = new Uint8Array(config.limits.maxBodyBytes + 1);
    assert.equal((await post('/api/v1/events', huge, { 'content-type': 'application/json' })).status, 413);
    assert.equal((await fetch(`${unit.url}/healthz`)).status, 200);
  });

  test('a broken catalog edit keeps the last valid catalog in force', async () => {
    await writeFile(
      join(dir, 'catalog.yaml'),
      CATALOG.replace('objectivePercent: 99.9', 'objectivePercent: 199.9'),
    );
    assert.equal(await unit.reloadCatalog(), false);
    assert.equal(unit.catalog().services.get('api')!.slos[0]!.objectiveRatio, 0.999);
    assert.match(unit.metrics.render(), /sextant_unit_catalog_valid 0/);
    await writeFile(
      join(dir, 'catalog.yaml'),
      CATALOG.replace('objectivePercent: 99.9', 'objectivePercent: 99.5'),
    );
    assert.equal(await unit.reloadCatalog(), true);
    assert.equal(unit.catalog().services.get('api')!.slos[0]!.objectiveRatio, 0.995);
  });

  test('a restart keeps counts, cursors and alert states', async () => {
    await unit.close();
    unit = await start();
    const m = START / 60_000;
    assert.deepEqual(
      unit.state
        .reader()
        .sliSeries('api/availability')
        .sum(m, m + 2),
      { good: 2000, total: 2010 },
    );
    // The cursor survived: resending the first batch is still a duplicate.
    const ok = { __name__: 'http_requests_total', job: 'api', code: '200' };
    const again = await post(
      '/api/v1/write',
      remoteWrite([{ labels: ok, samples: [[START + 60_000, 7000]] }]),
      RW_HEADERS,
    );
    assert.equal(again.status, 204);
    assert.deepEqual(
      unit.state
        .reader()
        .sliSeries('api/availability')
        .sum(m, m + 2),
      { good: 2000, total: 2010 },
    );
  });
});

describe('catalog hot reload', () => {
  test('an edited catalog file takes effect without a restart, and a broken edit does not', async () => {
    const hotDir = await mkdtemp(join(tmpdir(), 'sextant-unit-hot-'));
    await writeFile(join(hotDir, 'catalog.yaml'), CATALOG);
    const resolved = resolveUnitConfig({
      flags: { id: 'hot', catalog: hotDir, 'data-dir': join(hotDir, 'data'), listen: '127.0.0.1:0' },
      env: {},
    });
    assert.ok(resolved.ok);
    const started = await startUnit(resolved.value, {
      log: () => {},
      queue: () => new MemoryNotificationQueue(),
    });
    assert.ok(started.ok);
    const hot = started.value;
    const objective = () => hot.catalog().services.get('api')!.slos[0]!.objectiveRatio;
    const waitFor = async (condition: () => boolean) => {
      for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      return condition();
    };
    try {
      await writeFile(
        join(hotDir, 'catalog.yaml'),
        CATALOG.replace('objectivePercent: 99.9', 'objectivePercent: 99.5'),
      );
      assert.ok(await waitFor(() => objective() === 0.995), 'the edit took effect');
      await writeFile(
        join(hotDir, 'catalog.yaml'),
        CATALOG.replace('objectivePercent: 99.9', 'objectivePercent: 199'),
      );
      assert.ok(
        await waitFor(() => /sextant_unit_catalog_valid 0/.test(hot.metrics.render())),
        'the broken edit was seen',
      );
      assert.equal(objective(), 0.995, 'the last valid catalog stays in force');
    } finally {
      await hot.close();
      await rm(hotDir, { recursive: true, force: true });
    }
  });
});
