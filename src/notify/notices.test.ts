import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service, Slo, Team } from '../catalog/index.ts';
import {
  type AlertState,
  createPrefixSeries,
  evaluateSlo,
  type MinuteCounts,
  type SloDefinition,
  type SloStatus,
} from '../slo/index.ts';
import { alertNotices, noticeContext } from './index.ts';
import { CONTEXT, MINUTE, T0 } from './test-support.ts';

/** 99.9 % over a rolling 30d with one tier: 2 % of the budget in 1h, factor 0.02 * 43200 / 60 = 14.4. */
const DEFINITION: SloDefinition = {
  id: 'checkout/availability',
  objectiveRatio: 0.999,
  window: { kind: 'rolling', minutes: 30 * 1440 },
  budgeting: { method: 'occurrences' },
  alerting: {
    enabled: true,
    tiers: [
      {
        name: 'page-1h',
        severity: 'page',
        budgetShare: 0.02,
        longMinutes: 60,
        shortMinutes: 5,
        forMinutes: 0,
      },
    ],
    minEvents: 3600,
    budgetExhausted: false,
    trafficCessation: false,
  },
  maintenance: [],
};

const M0 = T0 / MINUTE;

function minutes(from: number, to: number, good: number, total: number): MinuteCounts[] {
  const out: MinuteCounts[] = [];
  for (let minute = from; minute < to; minute++) out.push({ minute, good, total });
  return out;
}

/**
 * A day of 100 requests a minute, all good, then 2 % errors from T0 - 60m to T0 + 1m, then
 * good again.
 */
const SERIES = (() => {
  const built = createPrefixSeries([
    ...minutes(M0 - 1440, M0 - 60, 100, 100),
    ...minutes(M0 - 60, M0 + 1, 98, 100),
    ...minutes(M0 + 1, M0 + 20, 100, 100),
  ]);
  if (!built.ok) throw new Error(JSON.stringify(built.issues));
  return built.value;
})();

function evaluate(atMs: number, state: AlertState | undefined): SloStatus {
  const result = evaluateSlo(DEFINITION, SERIES, atMs, state);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function close(actual: number | null | undefined, expected: number): void {
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) < 1e-9,
    `expected ${expected}, got ${actual}`,
  );
}

describe('alertNotices', () => {
  const first = evaluate(T0, undefined);
  const second = evaluate(T0 + MINUTE, first.alerts.state);
  const third = evaluate(T0 + 10 * MINUTE, second.alerts.state);

  test('the evaluation that fires gives one firing notice with the burn rates and budget', () => {
    const notices = alertNotices(first, undefined, CONTEXT);
    assert.equal(notices.length, 1);
    const [n] = notices;
    assert.ok(n !== undefined);
    assert.deepEqual(
      { ...n, burn: null, budget: null },
      {
        kind: 'burn-rate',
        name: 'page-1h',
        severity: 'page',
        event: 'firing',
        atMs: T0,
        startsAtMs: T0,
        resolvedAtMs: null,
        window: '1h',
        burn: null,
        budget: null,
        traffic: null,
        context: CONTEXT,
      },
    );
    // 2 bad in 100 over both windows: (0.02) / 0.001 = 20.
    assert.equal(n.burn?.longWindow, '1h');
    assert.equal(n.burn?.shortWindow, '5m');
    close(n.burn?.factor, 14.4);
    close(n.burn?.longBurnRate, 20);
    close(n.burn?.shortBurnRate, 20);
    // 30d window holds 1440 * 100 = 144,000 events, budget 144, 120 bad: 1 - 120 / 144 = 1/6 left;
    // at burn rate 20 that is (1/6) * 43,200 / 20 = 360 minutes.
    close(n.budget.remainingRatio, 1 / 6);
    close(n.budget.burnRate1h, 20);
    close(n.budget.timeToExhaustionMinutes, 360);
  });

  test('the next evaluation, still firing, gives a refresh that keeps the start time', () => {
    const notices = alertNotices(second, first.alerts.state, CONTEXT);
    assert.deepEqual(
      notices.map((n) => [n.event, n.atMs, n.startsAtMs, n.resolvedAtMs]),
      [['refresh', T0 + MINUTE, T0, null]],
    );
  });

  test('the resolution starts when the alert started firing and ends at the evaluation that cleared it', () => {
    const notices = alertNotices(third, second.alerts.state, CONTEXT);
    assert.deepEqual(
      notices.map((n) => [n.event, n.startsAtMs, n.resolvedAtMs]),
      [['resolved', T0, T0 + 10 * MINUTE]],
    );
    // Clean last 5 minutes; the last hour [T0 - 50m, T0 + 10m) holds 51 bad minutes: 102 / 6000 / 0.001 = 17.
    close(notices[0]?.burn?.shortBurnRate, 0);
    close(notices[0]?.burn?.longBurnRate, 17);
  });

  test('replaying an evaluation already applied gives refreshes at most, never a new firing', () => {
    const replay = evaluate(T0, first.alerts.state);
    assert.deepEqual(
      alertNotices(replay, first.alerts.state, CONTEXT).map((n) => [n.event, n.startsAtMs]),
      [['refresh', T0]],
    );
  });

  test('pending alerts are not announced', () => {
    const slow: SloDefinition = {
      ...DEFINITION,
      alerting: {
        ...DEFINITION.alerting,
        tiers: DEFINITION.alerting.tiers.map((t) => ({ ...t, forMinutes: 2 })),
      },
    };
    const result = evaluateSlo(slow, SERIES, T0, undefined);
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.alerts.transitions.map((t) => t.to),
      ['pending'],
    );
    assert.deepEqual(alertNotices(result.value, undefined, CONTEXT), []);
  });
});

describe('noticeContext', () => {
  const slo = {
    id: 'checkout/availability',
    name: 'availability',
    objectiveRatio: 0.999,
    windowText: '30d',
  } as Slo;
  const owner = {
    name: 'checkout',
    owner: 'payments',
    links: [
      { url: 'https://grafana.example.com/d/checkout', type: 'dashboard' },
      { url: 'https://runbooks.example.com/checkout', type: 'runbook' },
    ],
  } as Service;
  const team = {
    name: 'payments',
    chat: '#payments-oncall',
    onCall: { url: 'https://oncall.example.com/payments' },
    links: [{ url: 'https://runbooks.example.com/payments', type: 'runbook' }],
  } as Team;

  test('takes the owner runbook and dashboard, the team chat and on-call page', () => {
    assert.deepEqual(
      noticeContext({
        unit: { id: 'eu-1', tenant: 'acme', environment: 'production' },
        slo,
        owner,
        team,
        sloUrl: 'https://sextant.example.com/slos/checkout%2Favailability',
      }),
      CONTEXT,
    );
  });

  test('falls back to the team runbook when the service has none', () => {
    const context = noticeContext({ unit: { id: 'eu-1' }, slo, owner: { ...owner, links: [] }, team });
    assert.deepEqual(context.links, { runbookUrl: 'https://runbooks.example.com/payments' });
  });
});
