import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AlertState } from './alerts.ts';
import { evaluateSlo, type SloStatus } from './evaluate.ts';
import type { MinuteCounts } from './prefix-series.ts';
import {
  assertClose,
  definition,
  minuteOf,
  nonFinitePaths,
  overlay,
  seriesOf,
  steady,
  unwrap,
} from './test-support.ts';
import type { AlertTier, SloDefinition } from './types.ts';

const AT_MS = Date.parse('2026-05-15T12:00:00Z');
const A = AT_MS / 60_000;
const D28 = 28 * 1440;
const D30 = 30 * 1440;

const tier = (status: SloStatus, name: string) => {
  const t = status.tiers.find((x) => x.name === name);
  assert.ok(t, `tier ${name}`);
  return t;
};

describe('evaluateSlo: occurrences', () => {
  test('0.05% errors over a 28d window at 99.9% use half the budget and burn at 0.5', () => {
    // Hand calculation: 2,000 requests a minute, 1 bad. Error ratio 0.0005, e = 0.001:
    // consumed 0.5; budget 0.001 * 80,640,000 = 80,640 events; burn rate 0.5; time to
    // exhaustion = remaining 0.5 * 40,320 min / 0.5 = 40,320 minutes.
    const s = unwrap(evaluateSlo(definition(), seriesOf(steady(A - D28, A, 1999, 2000)), AT_MS));
    assert.equal(s.total, 80_640_000);
    assert.equal(s.bad, 40_320);
    assertClose(s.sliRatio, 0.9995);
    assertClose(s.budget.soFar.total, 80_640);
    assertClose(s.budget.soFar.consumedRatio, 0.5);
    assertClose(s.budget.period.remainingRatio, 0.5);
    assert.equal(s.budget.unit, 'events');
    assertClose(s.burnRate1h, 0.5);
    assertClose(s.timeToExhaustionMinutes, 40_320);
    assert.equal(s.budgetExhausted, false);
    assert.deepEqual(s.alerts.transitions, []);
  });

  test('data outside the window is ignored', () => {
    const s = unwrap(
      evaluateSlo(
        definition(),
        overlay(steady(A - D28 - 100, A - D28, 0, 10), steady(A, A + 100, 0, 10)),
        AT_MS,
      ),
    );
    assert.equal(s.total, 0);
    assert.equal(s.sliRatio, null);
  });

  test('a 99.9% SLO at a 1.5% error ratio pages after the 2-minute for, having spent 2% of its 30d budget', () => {
    // SRE Workbook: a 14.4x burn for 1 hour spends 2% of a 30-day budget. Here b = 0.015 / 0.001
    // = 15 > 14.4 in both the 1h and the 5m window; budget spent = 900 / 43,200 = 2.08%.
    const def = definition({ window: { kind: 'rolling', minutes: D30 } });
    const series = overlay(steady(A - D30, A + 10, 1000, 1000), steady(A - 60, A + 5, 985, 1000));
    let state: AlertState | undefined;
    const log: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = unwrap(evaluateSlo(def, series, AT_MS + i * 60_000, state));
      state = s.alerts.state;
      for (const t of s.alerts.transitions) log.push(`${t.name}:${t.from}>${t.to}@${i}`);
      if (i === 0) {
        const page = tier(s, 'page-1h');
        assertClose(page.factor, 14.4);
        assertClose(page.long.burnRate, 15);
        assertClose(page.short.burnRate, 15);
        assert.equal(page.conditionMet, true);
        // 6h: 900 bad of 360,000 = 0.25% -> 2.5 < 6.
        assertClose(tier(s, 'page-6h').long.burnRate, 2.5);
        assert.equal(tier(s, 'page-6h').conditionMet, false);
        assertClose(s.budget.soFar.consumedRatio, 900 / 43_200);
      }
    }
    assert.deepEqual(log, ['page-1h:inactive>pending@0', 'page-1h:pending>firing@2']);
  });

  test('a 90% SLO can never meet the 14.4x tier, but total failure meets the 6x tier', () => {
    // SRE Workbook: for a 90% SLO the highest possible burn rate is 1 / 0.1 = 10.
    const def = definition({ objectiveRatio: 0.9, window: { kind: 'rolling', minutes: D30 } });
    const series = overlay(steady(A - D30, A, 1000, 1000), steady(A - 360, A, 0, 1000));
    const s = unwrap(evaluateSlo(def, series, AT_MS));
    assertClose(tier(s, 'page-1h').long.burnRate, 10);
    assert.equal(tier(s, 'page-1h').conditionMet, false);
    assert.equal(tier(s, 'page-6h').conditionMet, true);
  });

  test('a 99.999% SLO pages on a 0.02% error ratio but not on 0.01%', () => {
    // e = 0.00001: 0.02% is a burn of 20 > 14.4; 0.01% is 10 < 14.4.
    const def = definition({ objectiveRatio: 0.99999, window: { kind: 'rolling', minutes: D30 } });
    const base = steady(A - D30, A, 100_000, 100_000);
    const high = unwrap(evaluateSlo(def, overlay(base, steady(A - 60, A, 99_980, 100_000)), AT_MS));
    const low = unwrap(evaluateSlo(def, overlay(base, steady(A - 60, A, 99_990, 100_000)), AT_MS));
    assertClose(tier(high, 'page-1h').long.burnRate, 20);
    assert.equal(tier(high, 'page-1h').conditionMet, true);
    assertClose(tier(low, 'page-1h').long.burnRate, 10);
    assert.equal(tier(low, 'page-1h').conditionMet, false);
  });

  test('10 requests an hour with one failure do not page while T(1h) is below minEvents', () => {
    // SRE Workbook "low-traffic services": one failure in 10 is a 10% error ratio, a burn of
    // 100 at 99.9%; only low-traffic gating (3,600 events) keeps it from paging.
    const buckets: MinuteCounts[] = [];
    for (let m = A - 2; m >= A - D28; m -= 6) buckets.push({ minute: m, good: 1, total: 1 });
    buckets.push({ minute: A - 2, good: 0, total: 1 });
    const series = seriesOf(buckets);
    const gated = unwrap(evaluateSlo(definition(), series, AT_MS));
    const page = tier(gated, 'page-1h');
    assert.equal(page.long.total, 10);
    assertClose(page.long.burnRate, 100);
    assert.equal(page.enoughTraffic, false);
    assert.equal(page.conditionMet, false);
    const ungatedDef = definition();
    ungatedDef.alerting.minEvents = 0;
    assert.equal(tier(unwrap(evaluateSlo(ungatedDef, series, AT_MS)), 'page-1h').conditionMet, true);
  });

  test('with Wilson gating, 20 failures in 100 requests do not page at 99% but 200 in 1,000 do', () => {
    // Observed burn 0.2 / 0.01 = 20 > 14.4 in both cases. Wilson 95% lower bound (z = 1.96), by hand:
    // n = 100:  (0.2 + 3.8416/200 - 1.96 * sqrt(0.0016 + 3.8416/40000)) / (1 + 3.8416/100) = 0.13337 -> 13.34 < 14.4
    // n = 1000: (0.2 + 3.8416/2000 - 1.96 * sqrt(0.00016 + 3.8416/4e6)) / (1 + 3.8416/1000) = 0.17638 -> 17.64 > 14.4
    const oneTier: AlertTier = {
      name: 'page-1h',
      severity: 'page',
      budgetShare: 0.02,
      longMinutes: 60,
      shortMinutes: 60,
      forMinutes: 0,
    };
    const def = definition({ objectiveRatio: 0.99, window: { kind: 'rolling', minutes: D30 } });
    def.alerting = { ...def.alerting, tiers: [oneTier], minEvents: 0, wilsonConfidence: 0.95 };
    const small = tier(
      unwrap(evaluateSlo(def, seriesOf([{ minute: A - 1, good: 80, total: 100 }]), AT_MS)),
      'page-1h',
    );
    assertClose(small.long.burnRate, 20);
    assertClose(small.long.gatingBurnRate, 13.337, 1e-3);
    assert.equal(small.conditionMet, false);
    const s = unwrap(evaluateSlo(def, seriesOf([{ minute: A - 1, good: 800, total: 1000 }]), AT_MS));
    const large = tier(s, 'page-1h');
    assertClose(large.long.gatingBurnRate, 17.638, 1e-3);
    assert.equal(large.conditionMet, true);
    assert.deepEqual(
      s.alerts.transitions.filter((t) => t.name === 'page-1h').map((t) => t.to),
      ['firing'],
    );
    const clean = unwrap(evaluateSlo(def, seriesOf([{ minute: A - 1, good: 100, total: 100 }]), AT_MS));
    assert.equal(tier(clean, 'page-1h').long.gatingBurnRate, 0);
  });

  test('a budget spent by a handful of events in a young window is reported but does not alert', () => {
    // 2 bad of 1,000 at 99.9%: the budget is 1 event, 200% consumed; but 1,000 < 3,600 events.
    const s = unwrap(evaluateSlo(definition(), seriesOf([{ minute: A - 1, good: 998, total: 1000 }]), AT_MS));
    assertClose(s.budget.period.remainingRatio, -1);
    assert.equal(s.budgetExhausted, true);
    assert.ok(!s.alerts.transitions.some((t) => t.name === 'budget-exhausted'));
  });

  test('an overspent budget is reported below zero and raises budget-exhausted at once', () => {
    // 0.2% errors at 99.9%: consumed 2, remaining -1.
    const s = unwrap(evaluateSlo(definition(), seriesOf(steady(A - D28, A, 998, 1000)), AT_MS));
    assertClose(s.budget.period.remainingRatio, -1);
    assert.equal(s.budgetExhausted, true);
    assert.equal(s.timeToExhaustionMinutes, 0);
    assert.deepEqual(
      s.alerts.transitions.filter((t) => t.name === 'budget-exhausted').map((t) => t.to),
      ['firing'],
    );
  });

  test('disabled alerting still reports burn rates but raises nothing', () => {
    const def = definition();
    def.alerting.enabled = false;
    const s = unwrap(evaluateSlo(def, seriesOf(steady(A - D28, A, 0, 1000)), AT_MS));
    assertClose(tier(s, 'page-1h').long.burnRate, 1000);
    assert.equal(tier(s, 'page-1h').conditionMet, false);
    assert.deepEqual(s.alerts.state.alerts, []);
    assert.deepEqual(s.alerts.transitions, []);
  });

  test('a restart with the persisted alert state does not fire again', () => {
    const series = seriesOf(steady(A - D28, A + 10, 0, 1000));
    const first = unwrap(evaluateSlo(definition(), series, AT_MS));
    const persisted = JSON.parse(JSON.stringify(first.alerts.state)) as AlertState;
    const later = unwrap(evaluateSlo(definition(), series, AT_MS + 60 * 60_000, persisted));
    assert.ok(!later.alerts.transitions.some((t) => t.to === 'firing' && t.name === 'budget-exhausted'));
    assert.equal(later.alerts.state.alerts.find((a) => a.name === 'budget-exhausted')!.phase, 'firing');
  });
});

describe('evaluateSlo: zero and low traffic', () => {
  test('no traffic at all is "no data": null SLI, zero burn, full budget, nothing firing', () => {
    const s = unwrap(evaluateSlo(definition(), seriesOf([]), AT_MS));
    assert.equal(s.sliRatio, null);
    assert.equal(s.eventRatio, null);
    assert.equal(s.burnRate1h, 0);
    assert.equal(s.timeToExhaustionMinutes, null);
    assert.equal(s.budget.period.remainingRatio, 1);
    assert.ok(s.tiers.every((t) => t.long.burnRate === 0 && t.short.burnRate === 0));
    assert.deepEqual(s.alerts.transitions, []);
    assert.deepEqual(nonFinitePaths(s), []);
  });

  test('traffic stopping for 30 minutes after 300 requests an hour earlier raises traffic-cessation', () => {
    // Baseline window [at-90m, at-60m): 10 a minute = 300; nothing in [at-30m, at).
    const series = seriesOf(steady(A - 120, A - 30, 10, 10));
    const s = unwrap(evaluateSlo(definition(), series, AT_MS));
    assert.deepEqual(s.trafficCessation, { recentTotal: 0, baselineTotal: 300, conditionMet: true });
    assert.deepEqual(
      s.alerts.transitions.map((t) => [t.name, t.severity, t.to]),
      [['traffic-cessation', 'page', 'firing']],
    );
  });

  test('a baseline of 299 requests is too quiet to call silence a cessation', () => {
    const series = overlay(steady(A - 120, A - 30, 10, 10), [{ minute: A - 80, good: 9, total: 9 }]);
    const s = unwrap(evaluateSlo(definition(), series, AT_MS));
    assert.equal(s.trafficCessation.baselineTotal, 299);
    assert.equal(s.trafficCessation.conditionMet, false);
  });

  test('silence during maintenance is not a cessation', () => {
    const def = definition({ maintenance: [{ kind: 'once', startMinute: A - 20, endMinute: A + 60 }] });
    const s = unwrap(evaluateSlo(def, seriesOf(steady(A - 120, A - 30, 10, 10)), AT_MS));
    assert.equal(s.trafficCessation.conditionMet, false);
  });

  test('random series, objectives and methods never produce NaN or Infinity', () => {
    const bucketArb = fc
      .record({ offset: fc.integer({ min: -200, max: 0 }), total: fc.nat(5), bad: fc.nat(5) })
      .map(({ offset, total, bad }) => ({
        minute: A - 1 + offset * 7,
        total,
        good: total - Math.min(bad, total),
      }));
    const definitionArb = fc.record({
      objectiveRatio: fc.constantFrom(0.5, 0.9, 0.99, 0.999, 0.99999, 0.999999999),
      window: fc.constantFrom(
        { kind: 'rolling', minutes: 1440 } as const,
        { kind: 'rolling', minutes: D28 } as const,
        { kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' } as const,
        { kind: 'calendar', unit: 'quarter', timeZone: 'America/New_York' } as const,
      ),
      budgeting: fc.constantFrom(
        { method: 'occurrences' } as const,
        { method: 'timeslices', sliceMinutes: 60, sliceTargetRatio: 0.95, emptySlice: 'bad' } as const,
        { method: 'ratioTimeslices', sliceMinutes: 60 } as const,
      ),
      wilson: fc.boolean(),
      maintenance: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(bucketArb, { maxLength: 40 }),
        definitionArb,
        fc.integer({ min: 0, max: 3 }),
        (b, d, k) => {
          const def: SloDefinition = definition({
            objectiveRatio: d.objectiveRatio,
            window: d.window,
            budgeting: d.budgeting,
            maintenance: d.maintenance
              ? [{ kind: 'recurring', cron: '*/30 * * * *', durationMinutes: 10, timeZone: 'Europe/Berlin' }]
              : [],
          });
          def.alerting.minEvents = 0;
          if (d.wilson) def.alerting.wilsonConfidence = 0.99;
          const s = unwrap(evaluateSlo(def, seriesOf(b), AT_MS + k * 17_000));
          assert.deepEqual(nonFinitePaths(s), []);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('evaluateSlo: maintenance', () => {
  test('bad minutes inside a maintenance window burn no budget and are reported as excluded', () => {
    const def = definition({ maintenance: [{ kind: 'once', startMinute: A - 120, endMinute: A - 60 }] });
    const series = overlay(steady(A - D28, A, 1000, 1000), steady(A - 120, A - 60, 0, 1000));
    const s = unwrap(evaluateSlo(def, series, AT_MS));
    assert.equal(s.bad, 0);
    assert.equal(s.includedMinutes, D28 - 60);
    assert.deepEqual(s.excluded, { minutes: 60, ranges: [{ fromMinute: A - 120, toMinute: A - 60 }] });
    assert.equal(tier(s, 'page-6h').long.bad, 0);
    assert.equal(tier(s, 'page-6h').long.total, 300 * 1000);
  });

  test('a nightly cron window removes its minutes from the timeslice count', () => {
    // 28 nightly hours of maintenance: 40,320 - 28 * 60 = 38,640 slice minutes; budget 38.64.
    const def = definition({
      budgeting: { method: 'timeslices', sliceMinutes: 1, sliceTargetRatio: 0.99, emptySlice: 'good' },
      maintenance: [{ kind: 'recurring', cron: '0 2 * * *', durationMinutes: 60, timeZone: 'UTC' }],
    });
    const s = unwrap(evaluateSlo(def, seriesOf(steady(A - D28, A, 1000, 1000)), AT_MS));
    assert.equal(s.excluded.minutes, 28 * 60);
    assert.equal(s.budget.slices!.slices, 38_640);
    assertClose(s.budget.soFar.total, 38.64);
  });

  test('an invalid maintenance cron makes the whole evaluation an error, not a throw', () => {
    const def = definition({
      maintenance: [{ kind: 'recurring', cron: 'every night', durationMinutes: 60, timeZone: 'UTC' }],
    });
    const r = evaluateSlo(def, seriesOf([]), AT_MS);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.issues[0]!.path, ['maintenance', 0, 'cron']);
  });
});

describe('evaluateSlo: timeslices', () => {
  const timeslices = definition({
    budgeting: { method: 'timeslices', sliceMinutes: 1, sliceTargetRatio: 0.99, emptySlice: 'good' },
  });

  test('20 bad minutes in 28 days use 20 of the 40.32 budget minutes', () => {
    const series = overlay(steady(A - D28, A, 1000, 1000), steady(A - 500, A - 480, 900, 1000));
    const s = unwrap(evaluateSlo(timeslices, series, AT_MS));
    assert.equal(s.budget.unit, 'minutes');
    assertClose(s.budget.soFar.total, 40.32);
    assert.equal(s.budget.soFar.consumed, 20);
    assertClose(s.budget.soFar.consumedRatio, 20 / 40.32);
    assertClose(s.sliRatio, (D28 - 20) / D28);
    assert.equal(s.budget.emptySlice, 'good');
  });

  test('empty slices are good or bad as configured, and the output says which', () => {
    const asBad = definition({
      budgeting: { method: 'timeslices', sliceMinutes: 5, sliceTargetRatio: 0.99, emptySlice: 'bad' },
    });
    const s = unwrap(evaluateSlo(asBad, seriesOf([]), AT_MS));
    assert.equal(s.budget.emptySlice, 'bad');
    assert.equal(s.budget.slices!.badSlices, D28 / 5);
    assert.equal(s.sliRatio, 0);
    assert.equal(unwrap(evaluateSlo(timeslices, seriesOf([]), AT_MS)).sliRatio, 1);
  });

  test('ratioTimeslices averages slice ratios over slices with traffic', () => {
    // Two hourly slices with traffic: 1.0 and 0.99 -> mean 0.995; at 99.9% consumed (1 - 0.995)/0.001 = 5.
    const def = definition({ budgeting: { method: 'ratioTimeslices', sliceMinutes: 60 } });
    const series = seriesOf([
      { minute: A - 120, good: 10, total: 10 },
      { minute: A - 60, good: 99, total: 100 },
    ]);
    const s = unwrap(evaluateSlo(def, series, AT_MS));
    assertClose(s.sliRatio, 0.995);
    assertClose(s.budget.soFar.consumedRatio, 5);
    assert.equal(s.eventRatio, 109 / 110);
  });
});

describe('evaluateSlo: calendar windows', () => {
  const march = Date.parse('2026-03-15T12:00:00Z');
  // 1 March 00:00 CET = 28 Feb 23:00 UTC; elapsed to 15 March 12:00 UTC: 14 days 13 hours = 20,940 minutes.
  const elapsed = 14 * 1440 + 13 * 60;
  const periodMinutes = (31 * 24 - 1) * 60;
  const start = minuteOf('2026-02-28T23:00:00Z');

  test('a Berlin March timeslice SLO reports both the budget so far and the whole month', () => {
    const def = definition({
      window: { kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' },
      budgeting: { method: 'timeslices', sliceMinutes: 1, sliceTargetRatio: 0.99, emptySlice: 'good' },
    });
    const series = overlay(steady(start, start + elapsed, 100, 100), steady(start + 10, start + 20, 0, 100));
    const s = unwrap(evaluateSlo(def, series, march));
    assert.equal(s.periodMinutes, periodMinutes);
    assertClose(s.budget.soFar.total, 20.94);
    // Whole month: 0.001 * 44,580 = 44.58 minutes; 10 bad minutes consumed.
    assertClose(s.budget.period.total, 44.58);
    assertClose(s.budget.period.consumedRatio, 10 / 44.58);
    // Factors follow the length of this month: 0.02 * 44,580 / 60 = 14.86.
    assertClose(tier(s, 'page-1h').factor, 14.86);
  });

  test('a calendar occurrences SLO projects the month budget from traffic so far', () => {
    // 100 a minute for 20,940 minutes = 2,094,000 events; scaled to 44,580 minutes = 4,458,000;
    // budget 4,458 events; 1,000 bad use 22.4% of it, 47.8% of the budget so far (2,094).
    const def = definition({ window: { kind: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' } });
    const series = overlay(steady(start, start + elapsed, 100, 100), steady(start + 10, start + 20, 0, 100));
    const s = unwrap(evaluateSlo(def, series, march));
    assertClose(s.budget.projectedPeriodTotal, 4_458_000);
    assertClose(s.budget.period.total, 4458);
    assertClose(s.budget.period.consumedRatio, 1000 / 4458);
    assertClose(s.budget.soFar.consumedRatio, 1000 / 2094);
  });
});

describe('evaluateSlo: invalid definitions', () => {
  test('an impossible objective and duplicate tier names are answered with issues', () => {
    const def = definition({ objectiveRatio: 1 });
    def.alerting.tiers = [def.alerting.tiers[0]!, def.alerting.tiers[0]!];
    const r = evaluateSlo(def, seriesOf([]), AT_MS);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.path]),
      [
        ['invalid_value', ['objectiveRatio']],
        ['duplicate', ['alerting', 'tiers', 1, 'name']],
      ],
    );
  });

  test('an unknown time zone is answered with an issue', () => {
    const def = definition({ window: { kind: 'calendar', unit: 'month', timeZone: 'Europe/Atlantis' } });
    const r = evaluateSlo(def, seriesOf([]), AT_MS);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.issues[0]!.code, 'invalid_time_zone');
  });
});
