/**
 * Convergence, property-based: whatever order, duplicates, replays, refused pushes and
 * splitting a unit's records arrive in, the store ends with exactly `resolveRecords` of
 * everything the unit sent (docs/hub.md, "Replication"), and its aggregates (totals over
 * any window, series at any step) sum exactly those records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalChecksum, resolveRecords, type SyncRecord } from '../../sync/index.ts';
import { openSqlHubStore } from './sql-store.ts';
import { openSqliteDriver } from './sqlite-driver.ts';
import type { HubStore } from './types.ts';

/** 2026-11-01T00:00Z as an epoch minute; pushes are stamped a day later. */
const T0 = Date.UTC(2026, 10, 1) / 60_000;
const AT_MS = (T0 + 1440) * 60_000;
const SLIS = ['checkout/availability', 'search/latency'] as const;
const LABELS = [{ route: '/pay' }, { route: '/cart', method: 'GET' }, {}] as const;

/** A record without its seq: the seq is its position in the unit's history. */
type Shape = Record<string, unknown> & { kind: SyncRecord['kind'] };

// Counts in two hours of few series, aligned to 5 minutes or not, 5-minute, hourly or any
// length, so keys collide and overlaps of every kind happen (records hidden, then hidden
// records replaced, groups longer than a push); integer counts keep every sum exact.
const countsShape = fc
  .record({
    sli: fc.constantFrom(...SLIS),
    labels: fc.oneof({ weight: 4, arbitrary: fc.constant(LABELS[0]) }, fc.constantFrom(...LABELS)),
    start: fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(0, 5, 30, 60) },
      fc.integer({ min: 0, max: 23 }).map((k) => k * 5),
      fc.integer({ min: 0, max: 120 }),
    ),
    minutes: fc.oneof(fc.constant(5), fc.constant(60), fc.integer({ min: 1, max: 60 })),
    good: fc.integer({ min: 0, max: 50 }),
    bad: fc.integer({ min: 0, max: 50 }),
  })
  .map(
    (c): Shape => ({
      kind: 'counts',
      sli: c.sli,
      labels: { ...c.labels },
      startMinute: T0 + c.start,
      minutes: c.minutes,
      good: c.good,
      total: c.good + c.bad,
    }),
  );
const slo = fc.constantFrom('checkout/avail-999', 'search/fast-99');
const otherShape = fc.oneof(
  fc.record({ slo, n: fc.integer({ min: 0, max: 9 }) }).map(
    ({ slo, n }): Shape =>
      n === 0
        ? { kind: 'slo_status', slo, deleted: true }
        : {
            kind: 'slo_status',
            slo,
            status: {
              atMs: AT_MS,
              objectiveRatio: 0.999,
              windowMinutes: 40_320,
              good: n,
              total: 10,
              sliRatio: n / 10,
              budgetRemainingRatio: null,
              burnRates: [],
              firing: [],
            },
          },
  ),
  fc
    .record({
      slo,
      alert: fc.constantFrom('page-1h', 'ticket-3d'),
      state: fc.constantFrom('inactive', 'pending', 'firing', 'resolved'),
    })
    .map((a): Shape => ({ kind: 'alert', ...a, sinceMs: AT_MS })),
  fc
    .constantFrom('sha256:a', 'sha256:b')
    .map((version): Shape => ({ kind: 'catalog', version, source: 'hub' })),
);
const shape = fc.oneof({ weight: 5, arbitrary: countsShape }, { weight: 1, arbitrary: otherShape });

/** How one unit's records travel: order, resent copies, cuts into pushes, refused pushes. */
function delivery(n: number) {
  return fc.record({
    sortKeys: fc.array(fc.nat(), { minLength: n, maxLength: n }),
    copies: fc.array(fc.tuple(fc.nat({ max: Math.max(0, n - 1) }), fc.nat()), { maxLength: n === 0 ? 0 : 8 }),
    cuts: fc.array(fc.boolean(), { minLength: n + 8, maxLength: n + 8 }),
    gaps: fc.array(fc.boolean(), { minLength: n + 8, maxLength: n + 8 }),
  });
}

const scenario = fc.array(fc.array(shape, { maxLength: 40 }), { minLength: 1, maxLength: 3 }).chain((units) =>
  fc.record({
    units: fc.constant(units),
    deliveries: fc.tuple(...units.map((records) => delivery(records.length))),
    window: fc.tuple(fc.integer({ min: -10, max: 200 }), fc.integer({ min: -10, max: 200 })),
  }),
);

type DeliveryPlan = { sortKeys: number[]; copies: [number, number][]; cuts: boolean[]; gaps: boolean[] };

/** The pushes of one unit: every record at least once, shuffled, some twice, in chunks. */
function plan(records: readonly SyncRecord[], d: DeliveryPlan) {
  const sends = [
    ...records.map((record, i) => ({ record, key: d.sortKeys[i]! })),
    ...d.copies.map(([i, key]) => ({ record: records[i]!, key })),
  ].sort((a, b) => a.key - b.key);
  const chunks: { records: SyncRecord[]; gapFirst: boolean }[] = [];
  let current: SyncRecord[] = [];
  sends.forEach(({ record }, i) => {
    current.push(record);
    if (d.cuts[i] || i === sends.length - 1) {
      chunks.push({ records: current, gapFirst: d.gaps[i] ?? false });
      current = [];
    }
  });
  return chunks;
}

/** Good and total of the resolved counts of one SLI whose start step is in [from, to). */
function expectedTotals(
  records: readonly SyncRecord[],
  sli: string,
  from: number,
  to: number,
): [number, number] {
  let good = 0;
  let total = 0;
  for (const record of records) {
    if (record.kind !== 'counts' || record.sli !== sli) continue;
    const step = Math.floor(record.startMinute / 5) * 5;
    if (step >= from && step < to) {
      good += record.good;
      total += record.total;
    }
  }
  return [good, total];
}

/** The resolved counts of one SLI per `step` (as points, empty steps left out). */
function expectedSeries(records: readonly SyncRecord[], sli: string, step: number) {
  const sums = new Map<number, [number, number]>();
  for (const record of records) {
    if (record.kind !== 'counts' || record.sli !== sli) continue;
    const minute = Math.floor(record.startMinute / step) * step;
    const [good, total] = sums.get(minute) ?? [0, 0];
    sums.set(minute, [good + record.good, total + record.total]);
  }
  return [...sums]
    .filter(([, [good, total]]) => good !== 0 || total !== 0)
    .sort(([a], [b]) => a - b)
    .map(([minute, [good, total]]) => ({ minute, good, total }));
}

async function totalsOf(store: HubStore, unitId: string, sli: string, from: number, to: number) {
  const [found] = await store.sliTotals({ unitIds: [unitId], slis: [sli], fromMinute: from, toMinute: to });
  return found === undefined ? [0, 0] : [found.good, found.total];
}

test('any delivery of a unit’s records converges to resolveRecords of them', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ units, deliveries, window }) => {
      const store = await openSqlHubStore(openSqliteDriver({ path: ':memory:' }), {}, AT_MS);
      try {
        const histories = units.map((shapes) =>
          shapes.map((s, i) => ({ ...s, seq: i + 1 }) as unknown as SyncRecord),
        );
        const pushes = histories.map((records, u) => plan(records, deliveries[u]!));
        for (let u = 0; u < units.length; u++) {
          await store.createUnit({ id: `unit-${u}`, tenant: 'acme', environment: 'prod' }, AT_MS);
        }
        // Round robin over the units, one push each per round.
        const rounds = Math.max(...pushes.map((p) => p.length));
        for (let round = 0; round < rounds; round++) {
          for (let u = 0; u < units.length; u++) {
            const chunk = pushes[u]![round];
            if (chunk === undefined) continue;
            const unitId = `unit-${u}`;
            const acked = (await store.getUnit(unitId))!.ackedSeq;
            const throughSeq = Math.max(...chunk.records.map((r) => r.seq));
            if (chunk.gapFirst) {
              const refused = await store.applyPush(
                unitId,
                { afterSeq: acked + 1, throughSeq, records: chunk.records },
                AT_MS,
              );
              assert.deepEqual(refused, { ok: false, gap: { ackedSeq: acked } });
            }
            // Any afterSeq at or below the mark is accepted: after a refusal the unit resends
            // from 0 (it lost track), otherwise from the mark.
            const afterSeq = chunk.gapFirst ? 0 : acked;
            const outcome = await store.applyPush(
              unitId,
              { afterSeq, throughSeq, records: chunk.records },
              AT_MS,
            );
            assert.equal(outcome.ok, true);
          }
        }
        const [a, b] = window;
        const from = Math.floor(Math.min(a, b) / 5) * 5 + T0;
        const to = Math.floor(Math.max(a, b) / 5) * 5 + T0;
        for (let u = 0; u < units.length; u++) {
          const unitId = `unit-${u}`;
          const resolved = resolveRecords(histories[u]!);
          assert.equal(await store.checksum(unitId), canonicalChecksum(resolved));
          assert.equal((await store.getUnit(unitId))!.ackedSeq, histories[u]!.length);
          for (const sli of SLIS) {
            assert.deepEqual(
              await totalsOf(store, unitId, sli, T0 - 60, T0 + 240),
              expectedTotals(resolved, sli, T0 - 60, T0 + 240),
            );
            assert.deepEqual(
              await totalsOf(store, unitId, sli, from, to),
              expectedTotals(resolved, sli, from, to),
            );
          }
        }
        // The fleet's series: 5-minute and hour steps sum rows, day steps difference prefixes.
        const everything = histories.flatMap((records) => resolveRecords(records));
        const unitIds = units.map((_, u) => `unit-${u}`);
        for (const sli of SLIS) {
          for (const stepMinutes of [5, 60, 1440]) {
            const series = await store.sliSeries({
              unitIds,
              sli,
              fromMinute: T0 - 1440,
              toMinute: T0 + 1440,
              stepMinutes,
            });
            assert.deepEqual(series, expectedSeries(everything, sli, stepMinutes));
          }
        }
      } finally {
        await store.close();
      }
    }),
    { numRuns: 200 },
  );
});
