/** Helpers shared by this folder's tests; not part of the public surface. */
import assert from 'node:assert/strict';
import type { CountSeries } from './counts.ts';
import { createPrefixSeries, type MinuteCounts, type PrefixSeries } from './prefix-series.ts';
import type { Result } from './result.ts';
import { DEFAULT_ALERT_TIERS, type SloDefinition } from './types.ts';

/** The value of a successful result; fails the test otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got issues: ${JSON.stringify(result.issues)}`);
  return result.value;
}

/** Epoch minute of an ISO instant. */
export function minuteOf(iso: string): number {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), `bad instant ${iso}`);
  return Math.floor(ms / 60_000);
}

/** A prefix series from buckets. */
export function seriesOf(buckets: readonly MinuteCounts[]): PrefixSeries {
  return unwrap(createPrefixSeries(buckets));
}

/** Per-minute buckets with the same counts over `[fromMinute, toMinute)`. */
export function steady(fromMinute: number, toMinute: number, good: number, total: number): MinuteCounts[] {
  const out: MinuteCounts[] = [];
  for (let m = fromMinute; m < toMinute; m++) out.push({ minute: m, good, total });
  return out;
}

/** Later buckets replace earlier ones for the same minute. */
export function overlay(...layers: readonly MinuteCounts[][]): PrefixSeries {
  return seriesOf(layers.flat());
}

/** Brute-force sum, the reference for property tests. */
export function bruteSum(
  buckets: readonly MinuteCounts[],
  fromMinute: number,
  toMinute: number,
): { good: number; total: number } {
  const last = new Map<number, MinuteCounts>();
  for (const b of buckets) last.set(b.minute, b);
  let good = 0;
  let total = 0;
  for (const b of last.values()) {
    if (b.minute >= fromMinute && b.minute < toMinute) {
      good += b.good;
      total += b.total;
    }
  }
  return { good, total };
}

/** A 28-day rolling occurrences SLO at 99.9 % with the Workbook tiers; override what a test needs. */
export function definition(overrides: Partial<SloDefinition> = {}): SloDefinition {
  return {
    id: 'checkout/availability',
    objectiveRatio: 0.999,
    window: { kind: 'rolling', minutes: 28 * 1440 },
    budgeting: { method: 'occurrences' },
    alerting: {
      enabled: true,
      tiers: DEFAULT_ALERT_TIERS.map((t) => ({ ...t })),
      minEvents: 3600,
      budgetExhausted: true,
      trafficCessation: true,
    },
    maintenance: [],
    ...overrides,
  };
}

/** Asserts `actual` is within `tolerance` (relative, or absolute near 0) of `expected`. */
export function assertClose(actual: number | null | undefined, expected: number, tolerance = 1e-9): void {
  assert.ok(typeof actual === 'number', `expected a number, got ${actual}`);
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance * scale, `expected ${expected}, got ${actual}`);
}

/** Every number reachable from `value` is finite (null is fine); returns offending paths. */
export function nonFinitePaths(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${path} = ${value}`];
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) out.push(...nonFinitePaths(child, `${path}.${key}`));
  return out;
}

/** A series that is not a `PrefixSeries`, to exercise the lazy code paths. */
export function opaque(series: CountSeries): CountSeries {
  return {
    sum: (from, to) => series.sum(from, to),
    forEachMinute: (from, to, visit) => series.forEachMinute(from, to, visit),
  };
}
