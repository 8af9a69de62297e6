import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Sli } from '../catalog/index.ts';
import { compileIngestPlan } from '../ingest/index.ts';
import {
  createSimulator,
  expectedCounts,
  type Scenario,
  type Schedule,
  type ScheduledMinute,
  samplesAt,
} from './index.ts';
import { loadFleet, MemoryState, scrape } from './test-support.ts';

const M0 = 29_000_000; // an epoch minute (2025-02-20)
const START_MS = M0 * 60_000;
const minuteOf = (ms: number) => Math.floor(ms / 60_000);

/** 1000 requests a minute, 1 % bad; apdex 900 satisfied, 80 tolerated, 20 slow; fixed gauges. */
const steady: Schedule = (sli) => {
  switch (sli.kind) {
    case 'ratio':
      return { good: 990, bad: 10 };
    case 'latency':
      return { satisfied: 900, tolerated: 80, slow: 20 };
    case 'threshold':
      return { value: sli.id === 'database/replication-lag' ? 45 : sli.id === 'database/primary-up' ? 1 : 0 };
    default:
      return undefined;
  }
};

/** Counts that change every minute, so a count landing in the wrong minute shows. */
const varying: Schedule = (sli, minute) => {
  switch (sli.kind) {
    case 'ratio':
      return { good: 1000 + (minute % 17) * 7, bad: minute % 11 };
    case 'latency':
      return { satisfied: 500 + (minute % 13), tolerated: minute % 7, slow: minute % 3 };
    case 'threshold':
      return { value: minute % 2 === 0 ? 100 : -100 };
    default:
      return undefined;
  }
};

/** The good/total a minute of `schedule` stands for (SLO-MATH.md "Counts"), by hand. */
function scheduledCounts(sli: Sli, scheduled: ScheduledMinute): { good: number; total: number } {
  if ('good' in scheduled) return { good: scheduled.good, total: scheduled.good + scheduled.bad };
  if ('satisfied' in scheduled) {
    const tolerated = scheduled.tolerated ?? 0;
    return {
      good: scheduled.satisfied + tolerated / 2,
      total: scheduled.satisfied + tolerated + scheduled.slow,
    };
  }
  assert.equal(sli.kind, 'threshold');
  if (sli.kind !== 'threshold') return { good: 0, total: 0 };
  const ok = sli.operator === '<' ? scheduled.value < sli.bound : scheduled.value >= sli.bound;
  assert.ok(sli.operator === '<' || sli.operator === '>=', 'the fleet uses < and >=');
  return { good: ok ? 1 : 0, total: 1 };
}

const catalog = await loadFleet();
const ingest = compileIngestPlan(catalog);

describe('known schedule', () => {
  const fedSlis = () => createSimulator(catalog, { seed: 1, startMs: START_MS }).plan.feeds.map((f) => f.sli);
  const ownParts = (sliId: string) => (labels: Record<string, string>) =>
    // search/indexing's jobs are background jobs too; they land under urgency "" (series.test.ts).
    sliId !== 'background-jobs/job-execution' || labels['urgency'] !== '';

  test('two scrapes a minute apart see 1000 requests with 1 % bad: good 990, total 1000', () => {
    const simulator = createSimulator(catalog, { seed: 1, startMs: START_MS, schedule: steady });
    const state = new MemoryState();
    const first = scrape(ingest, state, simulator, START_MS + 5_000);
    assert.equal(first.outcomes.counted, 3, 'the three gauges count from their first sample');
    scrape(ingest, state, simulator, START_MS + 65_000);
    const minute = M0 + 1;
    for (const sli of fedSlis()) {
      const totals = state.sliTotals(sli.id, minute, ownParts(sli.id));
      if (sli.kind === 'ratio') assert.deepEqual(totals, { good: 990, total: 1000 }, sli.id);
      // Apdex: 900 + 80 / 2 = 940 good of 1000.
      if (sli.kind === 'latency') assert.deepEqual(totals, { good: 940, total: 1000 }, sli.id);
    }
    assert.deepEqual(
      state.sliTotals('background-jobs/job-execution', minute, (labels) => labels['urgency'] === ''),
      { good: 990, total: 1000 },
      "search/indexing's 1000 jobs",
    );
    // Lag 45 s against < 30 s is a bad minute; primary up (1 >= 1) and health red 0 (< 1) are good.
    assert.deepEqual(state.sliTotals('database/replication-lag', minute), { good: 0, total: 1 });
    assert.deepEqual(state.sliTotals('database/primary-up', minute), { good: 1, total: 1 });
    assert.deepEqual(state.sliTotals('search/cluster-health', minute), { good: 1, total: 1 });
  });

  for (const phaseMs of [0, 7_000, 59_999]) {
    test(`a 15 s scraper starting ${phaseMs} ms into a minute sees the schedule exactly from its second minute on`, () => {
      const simulator = createSimulator(catalog, { seed: 1, startMs: START_MS, schedule: varying });
      const state = new MemoryState();
      const firstMs = START_MS + phaseMs;
      for (let atMs = firstMs; atMs < firstMs + 8 * 60_000; atMs += 15_000)
        scrape(ingest, state, simulator, atMs);
      const baseline = minuteOf(firstMs);
      for (const sli of fedSlis()) {
        if (sli.kind !== 'threshold') {
          assert.deepEqual(
            state.sliTotals(sli.id, baseline),
            { good: 0, total: 0 },
            `${sli.id}: baseline minute`,
          );
        }
        for (let minute = baseline + 1; minute <= minuteOf(firstMs + 8 * 60_000 - 15_000); minute++) {
          const want = scheduledCounts(sli, varying(sli, minute)!);
          assert.deepEqual(
            state.sliTotals(sli.id, minute, ownParts(sli.id)),
            want,
            `${sli.id} minute ${minute}`,
          );
        }
      }
    });
  }

  test('a schedule of the wrong shape or with a fractional count is a RangeError', () => {
    const wrongShape = createSimulator(catalog, {
      seed: 1,
      startMs: START_MS,
      schedule: (sli) => (sli.kind === 'ratio' ? { value: 1 } : undefined),
    });
    assert.throws(() => wrongShape.simulate(START_MS), RangeError);
    const fractional = createSimulator(catalog, {
      seed: 1,
      startMs: START_MS,
      schedule: (sli) => (sli.kind === 'ratio' ? { good: 1.5, bad: 0 } : undefined),
    });
    assert.throws(() => fractional.simulate(START_MS), /good must be a non-negative integer/);
  });

  test('counts of an SLI with significant labels are split evenly over its parts', () => {
    const simulator = createSimulator(catalog, { seed: 1, startMs: START_MS, schedule: steady });
    // web/requests has three routes: 990 good = 330 × 3, 10 bad = 4 + 3 + 3.
    assert.deepEqual(simulator.eventsAt('web/requests', M0), [
      { kind: 'ratio', good: 330, bad: 4 },
      { kind: 'ratio', good: 330, bad: 3 },
      { kind: 'ratio', good: 330, bad: 3 },
    ]);
  });
});

describe('traffic model', () => {
  test('the unit gets exactly the expected counts, overlaps and gauges included', () => {
    const scenario: Scenario = {
      seed: 7,
      startMs: START_MS,
      incidents: [
        { service: 'web', fromMs: START_MS + 3 * 60_000, toMs: START_MS + 5 * 60_000, errorRatio: 0.2 },
      ],
    };
    const simulator = createSimulator(catalog, scenario);
    const state = new MemoryState();
    for (let atMs = START_MS + 20_000; atMs < START_MS + 10 * 60_000; atMs += 30_000) {
      scrape(ingest, state, simulator, atMs);
    }
    let checked = 0;
    for (let minute = M0 + 1; minute < M0 + 10; minute++) {
      for (const bucket of expectedCounts(simulator, minute)) {
        if (bucket.total === 0) continue;
        assert.deepEqual(
          state.bucket(bucket.sli, bucket.labels, minute),
          { good: bucket.good, total: bucket.total },
          `${bucket.sli} ${JSON.stringify(bucket.labels)} minute ${minute}`,
        );
        checked++;
      }
    }
    assert.ok(checked > 9 * 30, `checked ${checked} buckets`);
  });

  test('a day of traffic averages the configured rate and error ratio', () => {
    const simulator = createSimulator(catalog, {
      seed: 3,
      startMs: START_MS,
      defaults: { requestsPerMinute: 600, errorRatio: 0.001 },
    });
    let requests = 0;
    let bad = 0;
    for (let minute = M0; minute < M0 + 1440; minute++) {
      for (const event of simulator.eventsAt('api/requests', minute) ?? []) {
        assert.equal(event.kind, 'ratio');
        if (event.kind !== 'ratio') continue;
        requests += event.good + event.bad;
        bad += event.bad;
      }
    }
    // 600 × 1440 = 864 000 requests; the diurnal sine and the noise average out over a day.
    assert.ok(Math.abs(requests - 864_000) < 864_000 * 0.01, `requests ${requests}`);
    // 0.1 % of them: 864, give or take the rounding of 1440 minutes (σ ≈ 19).
    assert.ok(Math.abs(bad - 864) < 100, `bad ${bad}`);
  });

  test('the rate follows the day: noon UTC is busier than midnight', () => {
    const simulator = createSimulator(catalog, {
      seed: 3,
      startMs: START_MS,
      defaults: { noiseRatio: 0, diurnalAmplitudeRatio: 0.5, requestsPerMinute: 1000 },
    });
    const requestsAt = (minuteOfDay: number) => {
      const minute = Math.floor(M0 / 1440) * 1440 + 1440 + minuteOfDay;
      const [event] = simulator.eventsAt('api/requests', minute) ?? [];
      return event?.kind === 'ratio' ? event.good + event.bad : -1;
    };
    // 1000 × (1 ± 0.5), up to one request of rounding.
    assert.ok(Math.abs(requestsAt(720) - 1500) <= 1);
    assert.ok(Math.abs(requestsAt(0) - 500) <= 1);
  });

  test('latencies are log-normal around a quarter of the satisfied threshold: about 1 % are slower', () => {
    const simulator = createSimulator(catalog, { seed: 5, startMs: START_MS });
    let slower = 0;
    let total = 0;
    for (let minute = M0; minute < M0 + 600; minute++) {
      const [event] = simulator.eventsAt('api/latency', minute) ?? [];
      if (event?.kind !== 'latency') continue;
      // api/latency: satisfied 1 s; bounds …, 0.5, 1, 2.5, … so intervals after index 7 are > 1 s.
      slower += event.intervals.slice(8).reduce((a, b) => a + b, 0);
      total += event.intervals.reduce((a, b) => a + b, 0);
    }
    // P(ln X > ln 4·median) = 1 − Φ(ln 4 / 0.6) = 1 − Φ(2.31) ≈ 1.04 %.
    assert.ok(slower / total > 0.007 && slower / total < 0.014, `slower ${slower / total}`);
  });

  test('an incident changes only its targets, only in its minutes', () => {
    const fromMs = START_MS + 10 * 60_000;
    const toMs = fromMs + 5 * 60_000;
    const simulator = createSimulator(catalog, {
      seed: 9,
      startMs: START_MS,
      incidents: [
        { service: 'web', fromMs, toMs, errorRatio: 0.5, latencyFactor: 8 },
        { sli: 'database/primary-up', fromMs, toMs, gaugeValue: 0 },
      ],
    });
    const inside = minuteOf(fromMs) + 1;
    for (const event of simulator.eventsAt('web/requests', inside) ?? []) {
      assert.ok(event.kind === 'ratio' && Math.abs(event.bad - (event.good + event.bad) / 2) <= 1);
    }
    const [latency] = simulator.eventsAt('web/latency', inside) ?? [];
    assert.ok(latency?.kind === 'latency');
    // Median 8 × 0.25 s = 2 s against satisfied 1 s: P(X > 1 s) = Φ(ln 2 / 0.6) ≈ 88 %.
    const slow = latency.intervals.slice(8).reduce((a, b) => a + b, 0);
    assert.ok(slow / latency.intervals.reduce((a, b) => a + b, 0) > 0.8);
    const [api] = simulator.eventsAt('api/requests', inside) ?? [];
    assert.ok(api?.kind === 'ratio' && api.bad < 5, 'api is not part of the incident');
    assert.deepEqual(simulator.eventsAt('database/primary-up', inside), [{ kind: 'gauge', value: 0 }]);
    assert.deepEqual(simulator.eventsAt('database/primary-up', minuteOf(toMs)), [
      { kind: 'gauge', value: 1 },
    ]);
    const after = minuteOf(toMs);
    for (const event of simulator.eventsAt('web/requests', after) ?? []) {
      assert.ok(event.kind === 'ratio' && event.bad <= 2);
    }
  });
});

describe('state', () => {
  const at = [START_MS - 1, START_MS, START_MS + 61_000, START_MS + 3_600_000, START_MS + 3_600_000 + 59_999];

  test('the same seed gives the same samples; another seed does not', () => {
    const a = createSimulator(catalog, { seed: 42, startMs: START_MS });
    const b = createSimulator(catalog, { seed: 42, startMs: START_MS });
    const c = createSimulator(catalog, { seed: 43, startMs: START_MS });
    for (const atMs of at) assert.deepEqual(samplesAt(a, atMs), samplesAt(b, atMs));
    assert.notDeepEqual(samplesAt(a, START_MS + 3_600_000), samplesAt(c, START_MS + 3_600_000));
  });

  test('going back in time gives what a fresh simulator gives', () => {
    const a = createSimulator(catalog, { seed: 42, startMs: START_MS });
    samplesAt(a, START_MS + 3_600_000);
    const fresh = createSimulator(catalog, { seed: 42, startMs: START_MS });
    assert.deepEqual(samplesAt(a, START_MS + 61_000), samplesAt(fresh, START_MS + 61_000));
  });

  test('counters are 0 before the start and never decrease; buckets are cumulative and +Inf is the count', () => {
    const simulator = createSimulator(catalog, { seed: 42, startMs: START_MS });
    const samples = at.map((atMs) => samplesAt(simulator, atMs));
    samples[0]!.forEach((sample, i) => {
      const raw = simulator.plan.raw[i]!;
      if (raw.source.type === 'gauge') return;
      assert.equal(sample.value, 0, JSON.stringify(sample.labels));
      for (let k = 1; k < samples.length; k++) assert.ok(samples[k]![i]!.value >= samples[k - 1]![i]!.value);
    });
    const last = samples.at(-1)!;
    const byKey = new Map(last.map((s) => [JSON.stringify(s.labels), s.value]));
    for (const sample of last) {
      if (!sample.labels['__name__']?.endsWith('_count')) continue;
      const name = sample.labels['__name__'].slice(0, -'_count'.length);
      const inf = byKey.get(JSON.stringify({ ...sample.labels, __name__: `${name}_bucket`, le: '+Inf' }));
      if (inf === undefined) continue; // a counter named *_count, not a histogram's
      assert.equal(sample.value, inf);
    }
    assert.ok(last.every((s) => s.timestampMs === at.at(-1)));
  });
});
