/** Fixtures shared by this folder's tests and the queue conformance suite; not public surface. */
import type { AlertNotice, NoticeContext } from './types.ts';

/** 2026-11-01T10:00:00Z. */
export const T0 = Date.UTC(2026, 10, 1, 10, 0, 0);
export const MINUTE = 60_000;

/** A checkout service owned by team payments, on unit eu-1 of tenant acme. */
export const CONTEXT: NoticeContext = {
  unit: { id: 'eu-1', tenant: 'acme', environment: 'production' },
  slo: { id: 'checkout/availability', name: 'availability', objectiveRatio: 0.999, windowText: '30d' },
  service: 'checkout',
  team: { name: 'payments', chat: '#payments-oncall', onCallUrl: 'https://oncall.example.com/payments' },
  links: {
    runbookUrl: 'https://runbooks.example.com/checkout',
    dashboardUrl: 'https://grafana.example.com/d/checkout',
    sloUrl: 'https://sextant.example.com/slos/checkout%2Favailability',
  },
};

/**
 * The page-1h tier of a 99.9 % / 30d SLO firing at T0: 2 % errors over the last hour and
 * 5 minutes give burn rate 0.02 / 0.001 = 20 over both, above 0.02 * 43200 / 60 = 14.4.
 */
export function firingNotice(overrides: Partial<AlertNotice> = {}): AlertNotice {
  return {
    kind: 'burn-rate',
    name: 'page-1h',
    severity: 'page',
    event: 'firing',
    atMs: T0,
    startsAtMs: T0,
    resolvedAtMs: null,
    window: '1h',
    burn: { factor: 14.4, longWindow: '1h', longBurnRate: 20, shortWindow: '5m', shortBurnRate: 20 },
    budget: { remainingRatio: 0.5, burnRate1h: 20, timeToExhaustionMinutes: 1080 },
    traffic: null,
    context: CONTEXT,
    ...overrides,
  };
}

/** The same alert resolved ten minutes later. */
export function resolvedNotice(overrides: Partial<AlertNotice> = {}): AlertNotice {
  return firingNotice({
    event: 'resolved',
    atMs: T0 + 10 * MINUTE,
    resolvedAtMs: T0 + 10 * MINUTE,
    burn: { factor: 14.4, longWindow: '1h', longBurnRate: 12, shortWindow: '5m', shortBurnRate: 0 },
    budget: { remainingRatio: 0.4, burnRate1h: 12, timeToExhaustionMinutes: 1440 },
    ...overrides,
  });
}

/** The still-firing alert at a later evaluation. */
export function refreshNotice(minutesAfter: number): AlertNotice {
  return firingNotice({ event: 'refresh', atMs: T0 + minutesAfter * MINUTE });
}
