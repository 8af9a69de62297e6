import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CounterState,
  counterIncrease,
  counterIncrements,
  parseExposition,
  seriesKey,
} from './index.ts';

const MINUTE_MS = 60_000;
const T0 = 1_700_000_000_000;

function scrape(text: string, atMs: number) {
  const result = parseExposition(text, { format: 'auto', scrapeTimeMs: atMs });
  assert.equal(result.rejected, false);
  return result.families;
}

describe('counterIncrease', () => {
  test('a counter that went up increased by the difference', () => {
    assert.deepEqual(counterIncrease({ value: 10 }, { value: 25 }), { increase: 15, reset: false });
  });

  test('a lower value is a reset: the new value is all new', () => {
    assert.deepEqual(counterIncrease({ value: 100 }, { value: 7 }), { increase: 7, reset: true });
  });

  test('an unchanged value is no increase', () => {
    assert.deepEqual(counterIncrease({ value: 5 }, { value: 5 }), { increase: 0, reset: false });
  });

  test('a changed _created is a reset even when the value is higher', () => {
    // Restarted at 1000 s and counted 120 since; 120 > 100 hides the reset from the values.
    assert.deepEqual(
      counterIncrease({ value: 100, createdSeconds: 900 }, { value: 120, createdSeconds: 1000 }),
      {
        increase: 120,
        reset: true,
      },
    );
  });

  test('NaN readings give no increase', () => {
    assert.equal(counterIncrease({ value: Number.NaN }, { value: 1 }), undefined);
    assert.equal(counterIncrease({ value: 1 }, { value: Number.NaN }), undefined);
  });
});

describe('counterIncrements over successive scrapes', () => {
  test('Prometheus counters and histograms give per-interval increments; gauges none', () => {
    const first = counterIncrements(
      undefined,
      scrape(
        `# TYPE http_requests_total counter
http_requests_total{code="200"} 100
http_requests_total{code="500"} 4
# TYPE temperature gauge
temperature 20
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.5"} 9
latency_seconds_bucket{le="+Inf"} 10
latency_seconds_sum 3
latency_seconds_count 10
`,
        T0,
      ),
      T0,
    );
    assert.deepEqual(first.increments, [], 'the first scrape only sets the baseline');
    const second = counterIncrements(
      first.state,
      scrape(
        `# TYPE http_requests_total counter
http_requests_total{code="200"} 160
http_requests_total{code="500"} 2
# TYPE temperature gauge
temperature 25
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.5"} 15
latency_seconds_bucket{le="+Inf"} 17
latency_seconds_sum 4.5
latency_seconds_count 17
`,
        T0 + MINUTE_MS,
      ),
      T0 + MINUTE_MS,
    );
    assert.deepEqual(
      second.increments.map((i) => [i.name, i.labels, i.increase, i.reset, i.fromMs, i.toMs]),
      [
        ['http_requests_total', { code: '200' }, 60, false, T0, T0 + MINUTE_MS],
        ['http_requests_total', { code: '500' }, 2, true, T0, T0 + MINUTE_MS], // 4 → 2: restarted, 2 new
        ['latency_seconds_bucket', { le: '0.5' }, 6, false, T0, T0 + MINUTE_MS],
        ['latency_seconds_bucket', { le: '+Inf' }, 7, false, T0, T0 + MINUTE_MS],
        ['latency_seconds_sum', {}, 1.5, false, T0, T0 + MINUTE_MS],
        ['latency_seconds_count', {}, 7, false, T0, T0 + MINUTE_MS],
      ],
    );
  });

  test('an OpenMetrics _created change marks a reset', () => {
    const at = (created: number, total: number) =>
      `# TYPE jobs counter\njobs_total ${total}\njobs_created ${created}\n# EOF\n`;
    const first = counterIncrements(undefined, scrape(at(1000, 50), T0), T0);
    const second = counterIncrements(first.state, scrape(at(1000, 80), T0 + MINUTE_MS), T0 + MINUTE_MS);
    const third = counterIncrements(
      second.state,
      scrape(at(1_700_000_090, 90), T0 + 2 * MINUTE_MS),
      T0 + 2 * MINUTE_MS,
    );
    assert.deepEqual(
      second.increments.map((i) => [i.increase, i.reset]),
      [[30, false]],
    );
    assert.deepEqual(
      third.increments.map((i) => [i.increase, i.reset]),
      [[90, true]],
    );
  });

  test('a series created after the previous scrape counts from zero', () => {
    const first = counterIncrements(undefined, scrape('# TYPE jobs counter\n# EOF\n', T0), T0);
    // Created at T0 + 30 s, between the scrapes: all of its 5 happened in this interval.
    const second = counterIncrements(
      first.state,
      scrape('# TYPE jobs counter\njobs_total 5\njobs_created 1700000030\n# EOF\n', T0 + MINUTE_MS),
      T0 + MINUTE_MS,
    );
    assert.deepEqual(
      second.increments.map((i) => [i.increase, i.fromMs, i.toMs]),
      [[5, T0 + 30_000, T0 + MINUTE_MS]],
    );
  });

  test('a series first seen without a recent _created only sets its baseline', () => {
    const first = counterIncrements(undefined, scrape('a_total 1\n', T0), T0);
    const second = counterIncrements(
      first.state,
      scrape('# TYPE a_total counter\na_total 1\n# TYPE b_total counter\nb_total 9\n', T0 + MINUTE_MS),
      T0 + MINUTE_MS,
    );
    assert.deepEqual(second.increments, [], 'a_total was untyped before, so it is new as a counter too');
    assert.equal(second.state.series.size, 2);
  });

  test('a NaN reading keeps the last good one for the next interval', () => {
    const text = (v: string) => `# TYPE c counter\nc ${v}\n`;
    let state: CounterState | undefined;
    ({ state } = counterIncrements(state, scrape(text('10'), T0), T0));
    ({ state } = counterIncrements(state, scrape(text('NaN'), T0 + MINUTE_MS), T0 + MINUTE_MS));
    const last = counterIncrements(state, scrape(text('15'), T0 + 2 * MINUTE_MS), T0 + 2 * MINUTE_MS);
    assert.deepEqual(
      last.increments.map((i) => [i.increase, i.fromMs]),
      [[5, T0]],
    );
  });

  test('series keys do not depend on label order', () => {
    assert.equal(seriesKey('up', { a: '1', b: '2' }), seriesKey('up', { b: '2', a: '1' }));
    assert.notEqual(seriesKey('up', { a: '1' }), seriesKey('up', { a: '2' }));
  });
});
