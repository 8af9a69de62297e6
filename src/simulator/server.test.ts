import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONTENT_TYPES, parseExposition } from '../exposition/index.ts';
import { createSimulator, type MetricsServer, negotiateFormat, startMetricsServer } from './index.ts';
import { loadFleet } from './test-support.ts';

const START_MS = 29_000_000 * 60_000;
const catalog = await loadFleet();

describe('negotiateFormat', () => {
  test("Prometheus's scrape Accept header gets OpenMetrics", () => {
    const accept =
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
    assert.equal(negotiateFormat(accept), 'openmetrics');
  });

  test('no Accept, text/plain, */* or an OpenMetrics q below text get Prometheus text', () => {
    assert.equal(negotiateFormat(undefined), 'prometheus');
    assert.equal(negotiateFormat('text/plain'), 'prometheus');
    assert.equal(negotiateFormat('*/*'), 'prometheus');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0.2,text/plain;q=0.5'), 'prometheus');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0'), 'prometheus');
  });
});

describe('startMetricsServer', () => {
  let nowMs = START_MS + 5_000;
  let server: MetricsServer;
  before(async () => {
    const simulator = createSimulator(catalog, {
      seed: 1,
      startMs: START_MS,
      schedule: (sli) => (sli.id === 'api/requests' ? { good: 990, bad: 10 } : undefined),
    });
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, simulator, clock: () => nowMs });
  });
  after(() => server.close());

  const apiTotal = async (accept?: string) => {
    const response = await fetch(`${server.url}/metrics`, accept ? { headers: { accept } } : {});
    assert.equal(response.status, 200);
    const body = await response.text();
    const parsed = parseExposition(body, {
      format: 'auto',
      contentType: response.headers.get('content-type'),
      scrapeTimeMs: nowMs,
    });
    assert.deepEqual(parsed.issues, []);
    const family = parsed.families.find(
      (f) => f.name === 'http_requests' || f.name === 'http_requests_total',
    );
    const total = (family?.samples ?? []).reduce((sum, sample) => sum + sample.value, 0);
    return { contentType: response.headers.get('content-type'), body, total };
  };

  test('serves Prometheus text by default', async () => {
    const { contentType, body } = await apiTotal();
    assert.equal(contentType, CONTENT_TYPES.prometheus);
    assert.match(body, /^# TYPE http_requests_total counter$/m);
  });

  test('serves OpenMetrics when the scraper asks for it', async () => {
    const { contentType, body } = await apiTotal('application/openmetrics-text;version=1.0.0');
    assert.equal(contentType, CONTENT_TYPES.openmetrics);
    assert.ok(body.endsWith('# EOF\n'));
  });

  test('advances the simulation to the clock: an hour later api has 60 more minutes of 1000 requests', async () => {
    const first = await apiTotal();
    nowMs += 3_600_000;
    const second = await apiTotal('application/openmetrics-text');
    assert.equal(second.total - first.total, 60_000);
  });

  test('answers 404 elsewhere and 405 for other methods', async () => {
    const missing = await fetch(`${server.url}/`);
    assert.equal(missing.status, 404);
    await missing.text();
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.text();
  });
});
