import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseExposition } from '../exposition/index.ts';
import { createSimulator, renderMetrics } from './index.ts';
import { loadFleet } from './test-support.ts';

const START_MS = 29_000_000 * 60_000;
const catalog = await loadFleet();

/** 600 good and 6 bad requests a minute per ratio SLI, 300 satisfied, 20 tolerated, 1 slow per latency SLI. */
function simulator() {
  return createSimulator(catalog, {
    seed: 1,
    startMs: START_MS,
    schedule: (sli) =>
      sli.kind === 'ratio'
        ? { good: 600, bad: 6 }
        : sli.kind === 'latency'
          ? { satisfied: 300, tolerated: 20, slow: 1 }
          : undefined,
  });
}

/** Sample name + labels → value, from a parsed exposition. */
function values(text: string, format: 'prometheus' | 'openmetrics'): Map<string, number> {
  const parsed = parseExposition(text, { format, scrapeTimeMs: START_MS });
  assert.deepEqual(parsed.issues, []);
  assert.equal(parsed.rejected, false);
  const out = new Map<string, number>();
  for (const family of parsed.families) {
    for (const sample of family.samples)
      out.set(`${sample.name}${JSON.stringify(sample.labels)}`, sample.value);
  }
  return out;
}

describe('renderMetrics', () => {
  // Two minutes of the schedule: the start minute and the next.
  const state = simulator().simulate(START_MS + 60_000);

  test('Prometheus text names counters with _total and types them counter', () => {
    const text = renderMetrics(state, 'prometheus');
    assert.match(
      text,
      /^# HELP gitlab_pages_http_requests_total Simulated by Sextant for pages\/requests\.$/m,
    );
    assert.match(text, /^# TYPE gitlab_pages_http_requests_total counter$/m);
    assert.match(text, /^gitlab_pages_http_requests_total\{code="200",job="gitlab-pages"\} 1200$/m);
    assert.match(text, /^gitlab_pages_http_requests_total\{code="500",job="gitlab-pages"\} 12$/m);
    assert.doesNotMatch(text, /# EOF/);
  });

  test('OpenMetrics names the counter family without _total, its samples with it, and ends with # EOF', () => {
    const text = renderMetrics(state, 'openmetrics');
    assert.match(text, /^# TYPE gitlab_pages_http_requests counter$/m);
    assert.match(text, /^gitlab_pages_http_requests_total\{code="200",job="gitlab-pages"\} 1200$/m);
    assert.ok(text.endsWith('# EOF\n'));
  });

  test('a counter without the _total suffix is an unknown family in OpenMetrics and a counter in Prometheus text', () => {
    assert.match(renderMetrics(state, 'openmetrics'), /^# TYPE redis_commands_failed_calls counter$/m);
    assert.match(
      renderMetrics(state, 'openmetrics'),
      /^# TYPE sidekiq_jobs_completion_seconds_count unknown$/m,
    );
    assert.match(
      renderMetrics(state, 'prometheus'),
      /^# TYPE sidekiq_jobs_completion_seconds_count counter$/m,
    );
  });

  test('histograms have cumulative buckets with the thresholds, le as clients write it, then _sum and _count', () => {
    const text = renderMetrics(state, 'prometheus');
    const lines = text
      .split('\n')
      .filter((line) => line.startsWith('gitlab_pages_http_request_duration_seconds'));
    // pages/latency: satisfied 0.5 s, tolerated 2 s. Per minute 300 in (0.25, 0.5], 20 in (1, 2],
    // 1 in (2, 2.5]; two minutes double that. _sum: 2 × (300 × 0.375 + 20 × 1.5 + 1 × 2.25) = 289.5.
    assert.deepEqual(lines, [
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="0.005"} 0',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="0.01"} 0',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="0.025"} 0',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="0.05"} 0',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="0.1"} 0',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="0.25"} 0',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="0.5"} 600',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="1"} 600',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="2"} 640',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="2.5"} 642',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="5"} 642',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="10"} 642',
      'gitlab_pages_http_request_duration_seconds_bucket{job="gitlab-pages",le="+Inf"} 642',
      'gitlab_pages_http_request_duration_seconds_sum{job="gitlab-pages"} 289.5',
      'gitlab_pages_http_request_duration_seconds_count{job="gitlab-pages"} 642',
    ]);
  });

  test('both formats parse without issues to the same samples', () => {
    const prometheus = values(renderMetrics(state, 'prometheus'), 'prometheus');
    const openmetrics = values(renderMetrics(state, 'openmetrics'), 'openmetrics');
    assert.equal(prometheus.size, state.raw.length);
    assert.deepEqual(openmetrics, prometheus);
  });

  test('with timestamps, every sample carries the state time', () => {
    const text = renderMetrics(state, 'prometheus', { timestamps: true });
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    assert.ok(samples.every((line) => line.endsWith(` ${START_MS + 60_000}`)));
    assert.match(renderMetrics(state, 'openmetrics', { timestamps: true }), / 1740000060(\.0+)?\n/);
  });

  test('the same simulation renders byte for byte the same', () => {
    assert.equal(
      renderMetrics(simulator().simulate(START_MS + 90_000), 'openmetrics'),
      renderMetrics(simulator().simulate(START_MS + 90_000), 'openmetrics'),
    );
  });
});
