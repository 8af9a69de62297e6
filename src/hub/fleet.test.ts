import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { buildCatalog, type Catalog } from '../catalog/index.ts';
import type { SyncRecord } from '../sync/index.ts';
import {
  availabilityByTenantMonth,
  burningNow,
  type FleetContext,
  type FleetStore,
  fleetBudgets,
  sliSeries,
} from './fleet.ts';
import {
  availabilityParams,
  availabilityView,
  burningNowParams,
  burningNowView,
  type FleetResult,
  fleetBudgetsParams,
  fleetBudgetsView,
  type SloBudgetView,
  sliSeriesParams,
  sliSeriesView,
  toSliSeriesQuery,
} from './fleet-schemas.ts';
import { type HubStore, openHubStore, type StoredRecord, type UnitInfo } from './store/index.ts';

// ---------------------------------------------------------------------------------------
// Fixtures

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: platform}
spec: {onCall: {email: platform@example.com}}
---
apiVersion: sextant.dev/v1
kind: Team
metadata: {name: web-team}
spec: {parent: platform, onCall: {email: web@example.com}}
---
apiVersion: sextant.dev/v1
kind: Team
metadata: {name: data-team}
spec: {onCall: {email: data@example.com}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: checkout}
spec:
  owner: web-team
  tier: critical
  slis:
    - {name: availability, kind: events}
    - {name: latency, kind: events}
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
    - {name: latency, sli: latency, objectivePercent: 99, window: 28d}
---
apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: search
  annotations: {sextant.dev/availability-weight: '2'}
spec:
  owner: web-team
  tier: high
  instances: {tenants: [acme, dedicated-*]}
  slis:
    - {name: requests, kind: events}
  slos:
    - {name: requests, sli: requests, objectivePercent: 99.5, window: 28d}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: ledger}
spec:
  owner: data-team
  tier: high
  slis:
    - {name: writes, kind: events}
  slos:
    - name: writes
      sli: writes
      objectivePercent: 99.5
      window: {calendar: month, timeZone: Europe/Berlin}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: reports}
spec:
  owner: data-team
  tier: medium
  instances: {tenants: [acme], selector: {cell: a}}
  slis:
    - {name: runs, kind: events}
  slos:
    - name: runs
      sli: runs
      objectivePercent: 99
      window: 1d
      budgeting: {method: timeslices, slice: 5m, sliceTargetPercent: 95}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: batch}
spec:
  owner: data-team
  tier: low
  instances: {environments: [staging]}
  slis:
    - {name: jobs, kind: events}
  slos:
    - {name: jobs, sli: jobs, objectivePercent: 99, window: 28d}
---
apiVersion: sextant.dev/v1
kind: Journey
metadata: {name: purchase}
spec:
  owner: platform
  parts:
    - {sli: checkout/availability}
    - {sli: search/requests, weight: 2}
  slos:
    - {name: overall, objectivePercent: 99}
`;

function catalogOf(text: string): Catalog {
  const build = buildCatalog([{ path: 'catalog.yaml', text }]);
  assert.deepEqual(
    build.issues.filter((i) => i.severity === 'error'),
    [],
  );
  return build.catalog;
}

const catalog = catalogOf(CATALOG);

/** A catalog for the rarer budgeting features: ratio time slices and maintenance. */
const EXTRA = catalogOf(`apiVersion: sextant.dev/v1
kind: Team
metadata: {name: ops}
spec: {onCall: {email: ops@example.com}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: jobs}
spec:
  owner: ops
  tier: high
  slis:
    - {name: runs, kind: events}
    - {name: runs-ok, kind: events}
  slos:
    - name: mean
      sli: runs
      objectivePercent: 99
      window: 1d
      budgeting: {method: ratioTimeslices, slice: 1m}
    - {name: ok, sli: runs-ok, objectivePercent: 99, window: 28d}
  maintenance:
    - {name: upgrade, slos: [ok], start: '2026-11-10T10:02:00Z', end: '2026-11-10T11:01:00Z'}
`);
const MINUTE = 60_000;
const DAY_MINUTES = 1440;
const minuteOf = (ms: number): number => Math.floor(ms / MINUTE);

type TestStore = FleetStore & Pick<HubStore, 'createUnit' | 'listUnits' | 'applyPush' | 'close'>;

/**
 * The few `HubStore` methods the fleet queries use, in memory, with the documented
 * semantics: a record's counts belong to the step of its start minute; windows round down
 * to whole steps; the highest version of a record key wins.
 */
class FakeStore implements TestStore {
  readonly stepMinutes = 5;
  readonly calls = { sliWindowTotals: 0, sliSeries: 0, records: 0 };
  readonly #units = new Map<string, UnitInfo>();
  readonly #counts = new Map<
    string,
    { unitId: string; sli: string; start: number; good: number; total: number; seq: number }
  >();
  readonly #records = new Map<string, StoredRecord>();

  async createUnit(
    unit: { id: string; tenant: string; environment: string },
    atMs: number,
  ): Promise<{ ok: true; value: UnitInfo } | { ok: false; message: string }> {
    if (this.#units.has(unit.id)) return { ok: false, message: 'exists' };
    const info: UnitInfo = {
      ...unit,
      productLine: null,
      createdAtMs: atMs,
      ackedSeq: 0,
      lastPushAtMs: null,
      catalogVersion: null,
    };
    this.#units.set(unit.id, info);
    return { ok: true, value: { ...info } };
  }

  async listUnits(): Promise<UnitInfo[]> {
    return [...this.#units.values()].map((u) => ({ ...u })).sort((a, b) => a.id.localeCompare(b.id));
  }

  async applyPush(
    unitId: string,
    push: {
      afterSeq: number;
      throughSeq: number;
      records: readonly (SyncRecord | { kind: 'unknown'; seq: number })[];
    },
    atMs: number,
  ): Promise<{
    ok: true;
    value: { ackedSeq: number; applied: number; superseded: number; ignored: number };
  }> {
    const unit = this.#units.get(unitId)!;
    for (const record of push.records) {
      if (record.kind === 'counts') {
        const key = JSON.stringify([unitId, record.sli, record.labels, record.startMinute]);
        const held = this.#counts.get(key);
        if (held === undefined || held.seq < record.seq) {
          this.#counts.set(key, {
            unitId,
            sli: record.sli,
            start: record.startMinute,
            good: record.good,
            total: record.total,
            seq: record.seq,
          });
        }
      } else if (record.kind !== 'unknown') {
        const { seq, ...body } = record;
        const key = JSON.stringify([
          unitId,
          record.kind,
          body.kind === 'alert' ? [body.slo, body.alert] : 'slo' in body ? body.slo : '',
        ]);
        const held = this.#records.get(key);
        if (held === undefined || held.version < seq) {
          this.#records.set(key, { unitId, kind: record.kind, key, version: seq, body });
        }
      }
    }
    unit.ackedSeq = Math.max(unit.ackedSeq, push.throughSeq);
    unit.lastPushAtMs = atMs;
    return {
      ok: true,
      value: { ackedSeq: unit.ackedSeq, applied: push.records.length, superseded: 0, ignored: 0 },
    };
  }

  async sliWindowTotals(query: {
    unitIds: readonly string[];
    slis?: readonly string[];
    windows: readonly { fromMinute: number; toMinute: number }[];
  }) {
    this.calls.sliWindowTotals++;
    return query.windows.map((window) => {
      const from = Math.floor(window.fromMinute / this.stepMinutes) * this.stepMinutes;
      const to = Math.floor(window.toMinute / this.stepMinutes) * this.stepMinutes;
      const sums = new Map<string, { unitId: string; sli: string; good: number; total: number }>();
      for (const c of this.#counts.values()) {
        const bucket = Math.floor(c.start / this.stepMinutes) * this.stepMinutes;
        if (!query.unitIds.includes(c.unitId) || (query.slis && !query.slis.includes(c.sli))) continue;
        if (bucket < from || bucket >= to) continue;
        const key = c.unitId + ' ' + c.sli;
        const sum = sums.get(key) ?? { unitId: c.unitId, sli: c.sli, good: 0, total: 0 };
        sum.good += c.good;
        sum.total += c.total;
        sums.set(key, sum);
      }
      return [...sums.values()];
    });
  }

  async sliSeries(query: {
    unitIds: readonly string[];
    sli: string;
    fromMinute: number;
    toMinute: number;
    stepMinutes: number;
  }) {
    this.calls.sliSeries++;
    const step = Math.max(1, Math.ceil(query.stepMinutes / this.stepMinutes)) * this.stepMinutes;
    const from = Math.floor(query.fromMinute / step) * step;
    const to = Math.floor(query.toMinute / step) * step;
    const points = new Map<number, { minute: number; good: number; total: number }>();
    for (const c of this.#counts.values()) {
      const bucket = Math.floor(c.start / step) * step;
      if (!query.unitIds.includes(c.unitId) || c.sli !== query.sli || bucket < from || bucket >= to) continue;
      const point = points.get(bucket) ?? { minute: bucket, good: 0, total: 0 };
      point.good += c.good;
      point.total += c.total;
      points.set(bucket, point);
    }
    return [...points.values()].sort((a, b) => a.minute - b.minute);
  }

  async records(query: { unitIds: readonly string[]; kinds: readonly string[] }) {
    this.calls.records++;
    return [...this.#records.values()].filter(
      (r) => query.unitIds.includes(r.unitId) && query.kinds.includes(r.kind),
    );
  }

  async close(): Promise<void> {}
}

type Body<K extends SyncRecord['kind']> = Omit<Extract<SyncRecord, { kind: K }>, 'seq'>;
type AnyBody = Body<'counts'> | Body<'slo_status'> | Body<'alert'>;

/** Counts of `sli` over the 5 minutes from `startMinute`. */
function counts(
  sli: string,
  startMinute: number,
  good: number,
  total: number,
  labels: Record<string, string> = {},
): Body<'counts'> {
  return { kind: 'counts', sli, labels, startMinute, minutes: 5, good, total };
}

/** A store with units registered at `createdAtMs`, fed through `applyPush` as units would. */
class Fleet {
  readonly store: TestStore;
  readonly nowMs: number;
  readonly #seq = new Map<string, number>();

  constructor(store: TestStore, nowMs: number) {
    this.store = store;
    this.nowMs = nowMs;
  }

  async unit(
    id: string,
    tenant: string,
    environment = 'production',
    createdAtMs = this.nowMs - 90 * DAY_MINUTES * MINUTE,
  ): Promise<void> {
    const created = await this.store.createUnit({ id, tenant, environment }, createdAtMs);
    assert.ok(created.ok);
  }

  async push(unitId: string, bodies: readonly AnyBody[]): Promise<void> {
    const after = this.#seq.get(unitId) ?? 0;
    const records = bodies.map((body, i) => ({ ...body, seq: after + i + 1 }) as SyncRecord);
    const through = after + records.length;
    this.#seq.set(unitId, through);
    const outcome = await this.store.applyPush(
      unitId,
      { afterSeq: after, throughSeq: through, records },
      this.nowMs,
    );
    assert.ok(outcome.ok);
    assert.equal(outcome.value.ignored, 0, 'every record is inside the hub retention');
  }

  async units(...tenants: string[]): Promise<UnitInfo[]> {
    const all = await this.store.listUnits(['*']);
    return tenants.length === 0 ? all : all.filter((unit) => tenants.includes(unit.tenant));
  }

  async context(...tenants: string[]): Promise<FleetContext> {
    return { catalog, store: this.store, units: await this.units(...tenants), nowMs: this.nowMs };
  }
}

function value<T>(result: FleetResult<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.issues)}`);
  return result.value;
}

function near(actual: number | null | undefined, expected: number, message?: string): void {
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${message ?? 'value'}: expected ${expected}, got ${actual}`,
  );
}

function row(
  view: { groups: { key: string; slos: SloBudgetView[] }[] },
  key: string,
  slo: string,
): SloBudgetView {
  const found = view.groups.find((g) => g.key === key)?.slos.find((r) => r.slo === slo);
  assert.ok(found, `no row ${slo} in group ${key}`);
  return found;
}

// 2026-11-10T12:00Z, on a whole 5-minute step.
const NOW = Date.UTC(2026, 10, 10, 12, 0);
const NOW_MINUTE = minuteOf(NOW);

const backends: { name: string; open: () => Promise<TestStore> }[] = [
  { name: 'in-memory fake', open: async () => new FakeStore() },
  { name: 'SQLite HubStore', open: () => openHubStore({ sqlitePath: ':memory:' }) },
];

for (const backend of backends) {
  describe(`fleet queries over the ${backend.name}`, () => {
    async function fleet(nowMs = NOW): Promise<Fleet> {
      return new Fleet(await backend.open(), nowMs);
    }

    // -----------------------------------------------------------------------------------
    describe('fleetBudgets', () => {
      /** Units a and b (acme) share 1,000,000 checkout events with 400 bad; c (globex) has more. */
      async function twoUnits(): Promise<Fleet> {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.unit('b', 'acme');
        await f.unit('c', 'globex');
        await f.push('a', [
          // Two label values of one SLI: summed by the store, 600,000 events with 300 bad.
          counts('checkout/availability', NOW_MINUTE - 10 * DAY_MINUTES, 399_800, 400_000, { route: '/pay' }),
          counts('checkout/availability', NOW_MINUTE - 10 * DAY_MINUTES, 199_900, 200_000, {
            route: '/cart',
          }),
          // 29 days ago: outside the 28-day window.
          counts('checkout/availability', NOW_MINUTE - 29 * DAY_MINUTES, 5_000, 10_000),
        ]);
        await f.push('b', [counts('checkout/availability', NOW_MINUTE - 20 * DAY_MINUTES, 399_900, 400_000)]);
        await f.push('c', [counts('checkout/availability', NOW_MINUTE - 5, 0, 1_000)]);
        return f;
      }

      test('two units at 99.9% over 28 days with 400 bad in 1,000,000 have spent 40% of the budget', async () => {
        const f = await twoUnits();
        const view = value(await fleetBudgets(await f.context('acme'), { groupBy: 'slo' }));
        assert.ok(fleetBudgetsView.safeParse(view).success);
        const r = row(view, 'checkout/availability', 'checkout/availability');
        // G = 399,800 + 199,900 + 399,900 = 999,600; T = 1,000,000; bad = 400.
        assert.equal(r.good, 999_600);
        assert.equal(r.total, 1_000_000);
        assert.equal(r.bad, 400);
        near(r.sliRatio, 0.9996);
        // Budget e * T = 0.001 * 1,000,000 = 1,000 events; 400 consumed: 40 %, 60 % left.
        near(r.budget.soFar.total, 1000);
        near(r.budget.soFar.consumed, 400);
        near(r.budget.soFar.consumedRatio, 0.4);
        near(r.budget.soFar.remainingRatio, 0.6);
        near(r.budget.soFar.remaining, 600);
        assert.deepEqual(r.budget.period, r.budget.soFar, 'a rolling window is its own period');
        // b = (400 / 1,000,000) / 0.001 = 0.4.
        near(r.burnRate, 0.4);
        assert.equal(r.resolution, 'exact');
        assert.deepEqual(r.units, { applicable: 2, withData: 2 });
        assert.equal(r.window.fromMs, NOW - 28 * DAY_MINUTES * MINUTE);
        assert.equal(r.window.toMs, NOW);
        await f.store.close();
      });

      test('units outside the caller scope never contribute, even with data in the store', async () => {
        const f = await twoUnits();
        const acme = row(
          value(await fleetBudgets(await f.context('acme'), {})),
          'checkout/availability',
          'checkout/availability',
        );
        const all = row(
          value(await fleetBudgets(await f.context(), {})),
          'checkout/availability',
          'checkout/availability',
        );
        assert.equal(acme.total, 1_000_000);
        // With globex in scope: 1,000 more events, all bad.
        assert.equal(all.total, 1_001_000);
        assert.equal(all.bad, 1_400);
        const outside = await fleetBudgets(await f.context('acme'), { tenant: 'globex' });
        assert.equal(outside.ok, false);
        assert.deepEqual(!outside.ok && outside.issues.map((i) => [i.code, i.path]), [
          ['not_in_scope', ['tenant']],
        ]);
        const hidden = await fleetBudgets(await f.context('acme'), { unit: 'c' });
        assert.deepEqual(!hidden.ok && hidden.issues.map((i) => i.code), ['not_in_scope']);
        await f.store.close();
      });

      test('a unit whose tenant or environment the SLO instances exclude does not count', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.unit('c', 'globex');
        await f.unit('d', 'dedicated-x');
        await f.unit('s', 'acme', 'staging');
        for (const id of ['a', 'c', 'd', 's']) {
          await f.push(id, [
            counts('search/requests', NOW_MINUTE - 60, 990, 1000),
            counts('batch/jobs', NOW_MINUTE - 60, 90, 100),
          ]);
        }
        const view = value(await fleetBudgets(await f.context(), { groupBy: 'tenant' }));
        // search runs on acme and dedicated-*: a, d and s (s is acme too); c (globex) does not count.
        const search = row(view, 'acme', 'search/requests');
        assert.equal(search.total, 2000);
        assert.equal(row(view, 'dedicated-x', 'search/requests').total, 1000);
        assert.equal(
          view.groups.find((g) => g.key === 'globex')?.slos.some((r) => r.slo === 'search/requests'),
          false,
        );
        // batch runs in staging only: unit s.
        const fleetView = value(await fleetBudgets(await f.context(), { service: 'batch' }));
        const batch = row(fleetView, 'batch/jobs', 'batch/jobs');
        assert.equal(batch.total, 100);
        assert.deepEqual(batch.units, { applicable: 1, withData: 1 });
        await f.store.close();
      });

      test('groupBy team composes a team budget from its SLOs: worst SLO and pooled events', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.push('a', [
          counts('checkout/availability', NOW_MINUTE - DAY_MINUTES, 999_600, 1_000_000),
          counts('checkout/latency', NOW_MINUTE - DAY_MINUTES, 497_500, 500_000),
        ]);
        const view = value(await fleetBudgets(await f.context(), { groupBy: 'team' }));
        const web = view.groups.find((g) => g.key === 'web-team');
        assert.ok(web);
        assert.deepEqual(
          web.slos.map((r) => r.slo),
          ['checkout/availability', 'checkout/latency', 'search/requests'],
        );
        // availability: 400 bad of a budget of 0.001 * 1,000,000 = 1,000 (60 % left);
        // latency: 2,500 bad of 0.01 * 500,000 = 5,000 (50 % left); search: no data.
        assert.equal(web.summary.slos, 3);
        assert.equal(web.summary.slosWithData, 2);
        assert.equal(web.summary.exhausted, 0);
        assert.equal(web.summary.worst?.slo, 'checkout/latency');
        near(web.summary.worst?.remainingRatio, 0.5);
        // Pooled: (400 + 2,500) / (1,000 + 5,000) = 2,900 / 6,000.
        assert.equal(web.summary.pooled?.slos, 2);
        near(web.summary.pooled?.badEvents, 2900);
        near(web.summary.pooled?.allowedBadEvents, 6000);
        near(web.summary.pooled?.consumedRatio, 2900 / 6000);
        near(web.summary.pooled?.remainingRatio, 1 - 2900 / 6000);
        // The team filter takes the teams below it: platform sees its journey and web-team's SLOs.
        const platform = value(await fleetBudgets(await f.context(), { groupBy: 'team', team: 'platform' }));
        assert.deepEqual(
          platform.groups.map((g) => g.key),
          ['platform', 'web-team'],
        );
        await f.store.close();
      });

      test('a journey budget is the weighted composition of its parts summed over units', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.unit('b', 'acme');
        await f.push('a', [
          counts('checkout/availability', NOW_MINUTE - DAY_MINUTES, 599_700, 600_000),
          counts('search/requests', NOW_MINUTE - DAY_MINUTES, 49_500, 50_000),
        ]);
        await f.push('b', [
          counts('checkout/availability', NOW_MINUTE - DAY_MINUTES, 399_900, 400_000),
          counts('search/requests', NOW_MINUTE - DAY_MINUTES, 49_500, 50_000),
        ]);
        const view = value(await fleetBudgets(await f.context(), { groupBy: 'journey' }));
        const r = row(view, 'purchase', 'purchase/overall');
        // checkout: G 999,600 of T 1,000,000 (weight 1); search: G 99,000 of T 100,000 (weight 2).
        // G = 999,600 + 2 * 99,000 = 1,197,600; T = 1,000,000 + 2 * 100,000 = 1,200,000.
        near(r.good, 1_197_600);
        near(r.total, 1_200_000);
        near(r.sliRatio, 0.998);
        // Budget 0.01 * 1,200,000 = 12,000 weighted events; 2,400 bad: 20 % consumed.
        near(r.budget.soFar.total, 12_000);
        near(r.budget.soFar.consumedRatio, 0.2);
        assert.equal(r.sli, null);
        assert.deepEqual(r.owner, { kind: 'journey', name: 'purchase' });
        await f.store.close();
      });

      test('a calendar month in Europe/Berlin starts at local midnight and is an hour short in March', async () => {
        // 2027-03-31T12:00Z; clocks sprang forward on 2027-03-28, so March is 31 days - 1 hour.
        const now = Date.UTC(2027, 2, 31, 12, 0);
        const f = await fleet(now);
        await f.unit('a', 'acme');
        await f.push('a', [
          // 2027-02-28T22:30Z is 23:30 on 28 February in Berlin: before the month.
          counts('ledger/writes', minuteOf(Date.UTC(2027, 1, 28, 22, 30)), 0, 1_000),
          // 2027-02-28T23:00Z is midnight on 1 March in Berlin (CET, +1): inside.
          counts('ledger/writes', minuteOf(Date.UTC(2027, 1, 28, 23, 0)), 5_000, 5_000),
          counts('ledger/writes', minuteOf(Date.UTC(2027, 2, 15, 9, 0)), 4_975, 5_000),
        ]);
        const view = value(await fleetBudgets(await f.context(), { service: 'ledger' }));
        const r = row(view, 'ledger/writes', 'ledger/writes');
        assert.equal(r.window.kind, 'calendar');
        assert.equal(r.window.timeZone, 'Europe/Berlin');
        assert.equal(r.window.fromMs, Date.UTC(2027, 1, 28, 23, 0));
        assert.equal(r.window.toMs, now);
        // 1 April 00:00 CEST (+2) is 31 March 22:00Z.
        assert.equal(r.window.periodToMs, Date.UTC(2027, 2, 31, 22, 0));
        assert.equal(r.total, 10_000);
        assert.equal(r.bad, 25);
        // So far: 0.005 * 10,000 = 50 events of budget, 25 spent.
        near(r.budget.soFar.consumedRatio, 0.5);
        // The period: 44,580 minutes (31 days - 1 hour), of which 43,980 elapsed
        // (30 days 13 hours): projected T = 10,000 * 44,580 / 43,980.
        const projected = (10_000 * 44_580) / 43_980;
        near(r.budget.projectedPeriodTotal, projected);
        near(r.budget.period.total, 0.005 * projected);
        near(r.budget.period.consumedRatio, 25 / (0.005 * projected));
        // The same SLO over a rolling window asked for by the caller.
        const rolling = row(
          value(await fleetBudgets(await f.context(), { service: 'ledger', window: '7d' })),
          'ledger/writes',
          'ledger/writes',
        );
        assert.equal(rolling.window.kind, 'rolling');
        assert.equal(rolling.window.text, '7d');
        assert.equal(rolling.total, 0, 'nothing in the last 7 days');
        assert.equal(rolling.sliRatio, null, 'no traffic is "no data", not 100 %');
        near(rolling.budget.soFar.remainingRatio, 1);
        await f.store.close();
      });

      test('timeslices are cut at hub resolution and evaluated by the engine', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        // Ten 5-minute slices with traffic in the last day, two of them below the 95 % target.
        const records = [];
        for (let k = 1; k <= 10; k++) {
          records.push(counts('reports/runs', NOW_MINUTE - 5 * k, k <= 2 ? 90 : 100, 100));
        }
        await f.push('a', records);
        const r = row(
          value(await fleetBudgets(await f.context(), { service: 'reports' })),
          'reports/runs',
          'reports/runs',
        );
        assert.equal(r.method, 'timeslices');
        assert.equal(r.resolution, 'hub-step');
        // 1 day = 288 slices of 5 minutes: 2 bad, 8 good with traffic, 278 empty (good).
        assert.deepEqual(r.slices, {
          definedSliceMinutes: 5,
          sliceMinutes: 5,
          emptySlice: 'good',
          slices: 288,
          goodSlices: 286,
          badSlices: 2,
          emptySlices: 278,
        });
        // Budget e * |W| = 0.01 * 1,440 = 14.4 minutes; 10 bad minutes spent.
        assert.equal(r.budget.unit, 'minutes');
        near(r.budget.soFar.total, 14.4);
        near(r.budget.soFar.consumed, 10);
        near(r.budget.soFar.consumedRatio, 10 / 14.4);
        near(r.sliRatio, 1430 / 1440);
        near(r.eventRatio, 980 / 1000);
        assert.ok(r.notes.some((n) => n.code === 'instance_selector_not_checked'));
        await f.store.close();
      });

      test('ratioTimeslices with slices finer than the hub step are cut at the step and say so', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.push('a', [
          counts('jobs/runs', NOW_MINUTE - 60, 100, 100),
          counts('jobs/runs', NOW_MINUTE - 30, 50, 100),
        ]);
        const ctx = { ...(await f.context()), catalog: EXTRA };
        const r = row(value(await fleetBudgets(ctx, { service: 'jobs' })), 'jobs/mean', 'jobs/mean');
        assert.equal(r.method, 'ratioTimeslices');
        assert.equal(r.slices?.definedSliceMinutes, 1);
        assert.equal(r.slices?.sliceMinutes, 5);
        assert.ok(r.notes.some((n) => n.code === 'slices_at_hub_step'));
        // Two slices with traffic, ratios 1 and 0.5: the SLI is their mean, 0.75; consumed
        // (1 - 0.75) / e = 0.25 / 0.01 = 25 times the budget of 0.01 * 1,440 = 14.4 minutes.
        near(r.sliRatio, 0.75);
        near(r.budget.soFar.total, 14.4);
        near(r.budget.soFar.consumedRatio, 25);
        near(r.budget.soFar.remainingRatio, -24, 'overspent budgets are not clamped');
        await f.store.close();
      });

      test('maintenance removes its minutes, widened to whole hub steps', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.push('a', [
          // Inside the maintenance (10:02 to 11:01): not counted.
          counts('jobs/runs-ok', NOW_MINUTE - 115, 0, 100),
          // 11:00-11:05 holds 11:00 and is widened in whole: not counted either.
          counts('jobs/runs-ok', NOW_MINUTE - 60, 0, 100),
          counts('jobs/runs-ok', NOW_MINUTE - 50, 99, 100),
        ]);
        const ctx = { ...(await f.context()), catalog: EXTRA };
        const r = row(value(await fleetBudgets(ctx, { service: 'jobs' })), 'jobs/ok', 'jobs/ok');
        assert.equal(r.total, 100);
        assert.equal(r.bad, 1);
        // [10:02, 11:01) widens to [10:00, 11:05): 65 minutes.
        assert.equal(r.window.excludedMinutes, 65);
        assert.equal(r.window.includedMinutes, 28 * DAY_MINUTES - 65);
        assert.ok(r.notes.some((n) => n.code === 'maintenance_excluded'));
        await f.store.close();
      });

      test('groupBy unit carries the unit own slo_status next to the hub numbers', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.push('a', [
          counts('checkout/availability', NOW_MINUTE - 60, 999, 1_000),
          {
            kind: 'slo_status',
            slo: 'checkout/availability',
            status: {
              atMs: NOW - MINUTE,
              objectiveRatio: 0.999,
              windowMinutes: 40_320,
              good: 999,
              total: 1_000,
              sliRatio: 0.999,
              budgetRemainingRatio: 0,
              burnRates: [],
              firing: ['budget-exhausted'],
            },
          },
        ]);
        const view = value(await fleetBudgets(await f.context(), { groupBy: 'unit', service: 'checkout' }));
        assert.deepEqual(
          view.groups.map((g) => g.key),
          ['a'],
        );
        const r = row(view, 'a', 'checkout/availability');
        assert.deepEqual(r.unitReported, {
          atMs: NOW - MINUTE,
          windowMinutes: 40_320,
          sliRatio: 0.999,
          budgetRemainingRatio: 0,
          firing: ['budget-exhausted'],
        });
        assert.equal(row(view, 'a', 'checkout/latency').unitReported, null);
        await f.store.close();
      });

      test('coverage notes name units that never pushed and windows past the retention', async () => {
        const f = await fleet();
        await f.unit('a', 'acme', 'production', NOW - 500 * DAY_MINUTES * MINUTE);
        await f.unit('quiet', 'acme', 'production', NOW - 2 * DAY_MINUTES * MINUTE);
        await f.push('a', [counts('checkout/availability', NOW_MINUTE - 60, 10, 10)]);
        const r = row(
          value(await fleetBudgets(await f.context(), { service: 'checkout', window: '420d' })),
          'checkout/availability',
          'checkout/availability',
        );
        const codes = r.notes.map((n) => n.code);
        assert.ok(codes.includes('before_retention'));
        assert.ok(codes.includes('hourly_resolution'));
        const never = r.notes.find((n) => n.code === 'units_never_pushed');
        assert.deepEqual([never?.unitCount, never?.units], [1, ['quiet']]);
        assert.deepEqual(r.notes.find((n) => n.code === 'units_joined_during_window')?.units, ['quiet']);
        await f.store.close();
      });

      test('bad inputs are answered with issues, not thrown', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        const ctx = await f.context();
        const unknown = await fleetBudgets(ctx, { service: 'chekout' });
        assert.equal(unknown.ok, false);
        assert.equal(!unknown.ok && unknown.issues[0]?.code, 'unknown_service');
        assert.match(!unknown.ok ? (unknown.issues[0]?.message ?? '') : '', /Did you mean "checkout"/);
        const bad = await fleetBudgets(ctx, { window: '28x', zone: 'Mars/Olympus', team: 'nobody' });
        assert.deepEqual(!bad.ok && bad.issues.map((i) => [i.code, i.path.join('.')]), [
          ['invalid_time_zone', 'zone'],
          ['invalid_window', 'window'],
          ['unknown_team', 'team'],
        ]);
        await f.store.close();
      });
    });

    // -----------------------------------------------------------------------------------
    describe('burningNow', () => {
      test('orders pairs by page-tier burn, with what units report firing', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.unit('b', 'acme');
        await f.unit('e', 'acme');
        const a = [];
        const b = [];
        for (let k = 1; k <= 12; k++) {
          // The last hour, uniformly: checkout 10 bad in 500 (2 %), search 10 bad in 1,000 (1 %).
          a.push(counts('checkout/availability', NOW_MINUTE - 5 * k, 490, 500));
          b.push(counts('search/requests', NOW_MINUTE - 5 * k, 990, 1_000));
        }
        await f.push('a', [
          ...a,
          // The alert record wins over the slo_status list for its alert: page-6h is resolved.
          {
            kind: 'alert',
            slo: 'checkout/availability',
            alert: 'page-6h',
            state: 'resolved',
            sinceMs: NOW - 10 * MINUTE,
          },
          {
            kind: 'slo_status',
            slo: 'checkout/availability',
            status: {
              atMs: NOW - 20 * MINUTE,
              objectiveRatio: 0.999,
              windowMinutes: 40_320,
              good: 0,
              total: 0,
              sliRatio: null,
              budgetRemainingRatio: 1,
              burnRates: [],
              firing: ['page-6h'],
            },
          },
          {
            kind: 'slo_status',
            slo: 'checkout/latency',
            status: {
              atMs: NOW - MINUTE,
              objectiveRatio: 0.99,
              windowMinutes: 40_320,
              good: 0,
              total: 0,
              sliRatio: null,
              budgetRemainingRatio: 1,
              burnRates: [],
              firing: ['ticket-1d'],
            },
          },
        ]);
        await f.push('b', [
          ...b,
          {
            kind: 'alert',
            slo: 'search/requests',
            alert: 'page-6h',
            state: 'firing',
            sinceMs: NOW - 5 * MINUTE,
            severity: 'page',
          },
        ]);
        // e: 10 events, 5 bad, in the last 5 minutes: a huge burn, but under the 3,600-event minimum.
        await f.push('e', [counts('checkout/availability', NOW_MINUTE - 5, 5, 10)]);

        // web-team's SLOs (the purchase journey, owned by platform, would burn too).
        const view = value(await burningNow(await f.context(), { team: 'web-team' }));
        assert.ok(burningNowView.safeParse(view).success);
        assert.deepEqual(
          view.entries.map((entry) => [entry.slo, entry.unit]),
          [
            ['checkout/availability', null],
            ['checkout/availability', 'a'],
            ['search/requests', null],
            ['search/requests', 'b'],
            ['checkout/latency', null],
            ['checkout/latency', 'a'],
            ['checkout/availability', 'e'],
          ],
        );
        const unitA = view.entries[1]!;
        // 28-day factors: page-1h 0.02 * 40,320 / 60 = 13.44, page-6h 0.05 * 40,320 / 360 = 5.6.
        const page1h = unitA.tiers.find((t) => t.name === 'page-1h')!;
        near(page1h.factor, 13.44);
        // b(1h) = (120 / 6,000) / 0.001 = 20; b(5m) = (10 / 500) / 0.001 = 20.
        near(page1h.long.burnRate, 20);
        near(page1h.short.burnRate, 20);
        assert.deepEqual(unitA.exceeded, ['page-1h', 'page-6h', 'ticket-1d', 'ticket-3d']);
        // The hottest page tier is page-6h: min(20, 20) / 5.6.
        near(unitA.pageScore, 20 / 5.6);
        assert.deepEqual(unitA.firingOnUnit, [], 'page-6h was resolved by its alert record');
        // Fleet: a + e. b(1h) = (125 / 6,010) / 0.001; b(6h) likewise, b(30m) = (65 / 3,010) / 0.001.
        near(view.entries[0]!.pageScore, 125 / 6010 / 0.001 / 5.6);
        assert.equal(view.entries[0]!.unitsWithData, 2);
        // search: b = (120 / 12,000) / 0.005 = 2 in every window: under both page factors
        // (score 2 / 5.6) and ticket-1d's 2.8, over ticket-3d's 0.1 * 40,320 / 4,320 = 0.9333.
        near(view.entries[3]!.pageScore, 2 / 5.6);
        near(view.entries[3]!.ticketScore, 2 / ((0.1 * 40_320) / 4_320));
        assert.deepEqual(view.entries[3]!.exceeded, ['ticket-3d']);
        assert.deepEqual(view.entries[3]!.firingOnUnit, [
          { unit: 'b', alert: 'page-6h', severity: 'page', sinceMs: NOW - 5 * MINUTE },
        ]);
        // checkout/latency burns nothing at the hub but fires on unit a (slo_status list).
        assert.deepEqual(view.entries[5]!.firingOnUnit, [
          { unit: 'a', alert: 'ticket-1d', severity: null, sinceMs: null },
        ]);
        // e: under minEvents, so no tier counts towards the score and none is exceeded.
        const unitE = view.entries[6]!;
        assert.equal(unitE.pageScore, 0);
        assert.ok(unitE.tiers.every((t) => !t.enoughTraffic && !t.exceeded));
        near(unitE.tiers[0]!.short.burnRate, 500);

        const limited = value(await burningNow(await f.context(), { limit: 2, team: 'web-team' }));
        assert.equal(limited.entries.length, 2);
        assert.equal(limited.leftOff, 5);
        const invalid = await burningNow(await f.context(), { limit: 0 });
        assert.deepEqual(!invalid.ok && invalid.issues.map((i) => i.code), ['invalid_limit']);
        await f.store.close();
      });
    });

    // -----------------------------------------------------------------------------------
    describe('availabilityByTenantMonth', () => {
      // 2026-11-02T12:00Z: October is inside the hub's 35-day detail retention.
      const now = Date.UTC(2026, 10, 2, 12, 0);

      test('October in Europe/Berlin runs from 1 October 00:00 CEST to 1 November 00:00 CET', async () => {
        const f = await fleet(now);
        await f.unit('a', 'acme');
        await f.unit('c', 'globex');
        await f.push('a', [
          // 23:30 on 30 September in Berlin: outside.
          counts('checkout/availability', minuteOf(Date.UTC(2026, 8, 30, 21, 30)), 0, 100),
          // Midnight on 1 October (CEST, +2): inside.
          counts('checkout/availability', minuteOf(Date.UTC(2026, 8, 30, 22, 0)), 1_000, 1_000),
          // One 5-minute slice at 50 %.
          counts('checkout/availability', minuteOf(Date.UTC(2026, 9, 15, 10, 0)), 500, 1_000),
          // 23:55 on 31 October (CET, +1 after the change on the 25th): inside.
          counts('checkout/availability', minuteOf(Date.UTC(2026, 9, 31, 22, 55)), 1_000, 1_000),
          // Midnight on 1 November: outside.
          counts('checkout/availability', minuteOf(Date.UTC(2026, 9, 31, 23, 0)), 0, 100),
          counts('search/requests', minuteOf(Date.UTC(2026, 9, 10, 8, 0)), 2_000, 2_000),
        ]);
        await f.push('c', [counts('checkout/availability', minuteOf(Date.UTC(2026, 9, 5, 8, 0)), 100, 100)]);

        const view = value(
          await availabilityByTenantMonth(await f.context(), { month: '2026-10', zone: 'Europe/Berlin' }),
        );
        assert.ok(availabilityView.safeParse(view).success);
        assert.equal(view.fromMs, Date.UTC(2026, 8, 30, 22, 0));
        assert.equal(view.toMs, Date.UTC(2026, 9, 31, 23, 0));
        assert.equal(view.complete, true);
        assert.deepEqual(
          view.tenants.map((t) => t.tenant),
          ['acme', 'globex'],
        );
        const acme = view.tenants[0]!;
        const checkout = acme.slos.find((s) => s.slo === 'checkout/availability')!;
        // (1,000 + 500 + 1,000) / 3,000.
        assert.equal(checkout.total, 3_000);
        near(checkout.ratio, 2500 / 3000);
        assert.equal(checkout.met, false);
        assert.equal(acme.slos.find((s) => s.slo === 'checkout/latency')?.ratio, null);
        // Journey: (2,500 + 2 * 2,000) / (3,000 + 2 * 2,000).
        near(acme.slos.find((s) => s.slo === 'purchase/overall')?.ratio, 6500 / 7000);
        assert.equal(
          acme.slos.some((s) => s.slo === 'batch/jobs'),
          false,
          'batch runs in staging only',
        );
        // Weighted: 744 hours + 1 (DST) = 44,700 minutes = 8,940 slices of 5 minutes.
        // checkout (weight 1) misses one slice; search (2), ledger (1), reports (1) miss none:
        // (8,939 + 2 * 8,940 + 8,940 + 8,940) / (5 * 8,940) = 44,699 / 44,700.
        assert.equal(acme.weighted?.sliceMinutes, 5);
        near(acme.weighted?.ratio, 44_699 / 44_700);
        assert.deepEqual(
          acme.weighted?.services.map((s) => [s.name, s.weight, s.slices, s.availableSlices]),
          [
            ['checkout', 1, 8_940, 8_939],
            ['ledger', 1, 8_940, 8_940],
            ['reports', 1, 8_940, 8_940],
            ['search', 2, 8_940, 8_940],
          ],
        );
        const globex = view.tenants[1]!;
        near(globex.slos.find((s) => s.slo === 'checkout/availability')?.ratio, 1);
        assert.equal(
          globex.slos.some((s) => s.slo === 'search/requests'),
          false,
        );
        near(globex.weighted?.ratio, 1);
        await f.store.close();
      });

      test('a month not yet started, or not a month, is an issue', async () => {
        const f = await fleet(now);
        await f.unit('a', 'acme');
        const ctx = await f.context();
        const future = await availabilityByTenantMonth(ctx, { month: '2026-12' });
        assert.deepEqual(!future.ok && future.issues.map((i) => i.code), ['invalid_month']);
        const invalid = await availabilityByTenantMonth(ctx, { month: '2026-13', zone: 'Nowhere/City' });
        assert.deepEqual(!invalid.ok && invalid.issues.map((i) => i.code), [
          'invalid_month',
          'invalid_time_zone',
        ]);
        const current = value(await availabilityByTenantMonth(ctx, { month: '2026-11' }));
        assert.equal(current.complete, false);
        assert.equal(current.toMs, now);
        await f.store.close();
      });
    });

    // -----------------------------------------------------------------------------------
    describe('sliSeries', () => {
      test('gives points per step for the fleet or per unit, zero-filled', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        await f.unit('b', 'acme');
        await f.push('a', [
          counts('checkout/availability', NOW_MINUTE - 180, 90, 100),
          counts('checkout/availability', NOW_MINUTE - 60, 100, 100),
        ]);
        await f.push('b', [counts('checkout/availability', NOW_MINUTE - 175, 10, 100)]);
        const ctx = await f.context();
        const fleetView = value(
          await sliSeries(ctx, {
            sli: 'checkout/availability',
            fromMs: NOW - 3 * 60 * MINUTE,
            toMs: NOW,
            stepMinutes: 60,
          }),
        );
        assert.ok(sliSeriesView.safeParse(fleetView).success);
        // Hour 1: (90 + 10) / (100 + 100); hour 2: nothing; hour 3: 100 / 100.
        assert.deepEqual(
          fleetView.series[0]!.points.map((p) => [p.startMs, p.good, p.total, p.ratio]),
          [
            [NOW - 180 * MINUTE, 100, 200, 0.5],
            [NOW - 120 * MINUTE, 0, 0, null],
            [NOW - 60 * MINUTE, 100, 100, 1],
          ],
        );
        const perUnit = value(
          await sliSeries(ctx, {
            sli: 'checkout/availability',
            fromMs: NOW - 3 * 60 * MINUTE,
            toMs: NOW,
            stepMinutes: 60,
            groupBy: 'unit',
          }),
        );
        assert.deepEqual(
          perUnit.series.map((s) => [s.unit, s.points.map((p) => p.total)]),
          [
            ['a', [100, 0, 100]],
            ['b', [100, 0, 0]],
          ],
        );
        await f.store.close();
      });

      test('refuses steps off the hub grid, too many points and unknown SLIs', async () => {
        const f = await fleet();
        await f.unit('a', 'acme');
        const ctx = await f.context();
        const step = await sliSeries(ctx, {
          sli: 'checkout/availability',
          fromMs: NOW - 3_600_000,
          toMs: NOW,
          stepMinutes: 7,
        });
        assert.deepEqual(!step.ok && step.issues.map((i) => i.code), ['invalid_step']);
        // 28 days at 5 minutes = 8,064 points; 40,320 / 2,000 = 20.16, so at least 25m.
        const many = await sliSeries(ctx, {
          sli: 'checkout/availability',
          fromMs: NOW - 28 * DAY_MINUTES * MINUTE,
          toMs: NOW,
        });
        assert.deepEqual(!many.ok && many.issues.map((i) => i.code), ['too_many_points']);
        assert.match(!many.ok ? (many.issues[0]?.message ?? '') : '', /at least 25m/);
        const unknown = await sliSeries(ctx, {
          sli: 'checkout/availabilty',
          fromMs: NOW - 3_600_000,
          toMs: NOW,
        });
        assert.deepEqual(!unknown.ok && unknown.issues.map((i) => i.code), ['unknown_sli']);
        const backwards = await sliSeries(ctx, { sli: 'checkout/availability', fromMs: NOW, toMs: NOW - 1 });
        assert.deepEqual(!backwards.ok && backwards.issues.map((i) => i.code), ['invalid_range']);
        await f.store.close();
      });
    });
  });
}

// ---------------------------------------------------------------------------------------
// Schemas and cost

describe('fleet query schemas', () => {
  test('parse URL query strings into the query types', () => {
    assert.deepEqual(fleetBudgetsParams.parse({ window: '28d', groupBy: 'team' }), {
      window: '28d',
      groupBy: 'team',
    });
    assert.equal(fleetBudgetsParams.safeParse({ window: 'fortnight' }).success, false);
    assert.deepEqual(burningNowParams.parse({ limit: '20' }), { limit: 20 });
    assert.equal(burningNowParams.safeParse({ limit: '0' }).success, false);
    assert.equal(availabilityParams.safeParse({ month: '2026-13' }).success, false);
    const parsed = sliSeriesParams.parse({
      sli: 'checkout/availability',
      from: '2026-10-01T00:00:00+02:00',
      to: '1790812800000',
      step: '1h',
    });
    assert.deepEqual(toSliSeriesQuery(parsed), {
      sli: 'checkout/availability',
      fromMs: Date.UTC(2026, 8, 30, 22, 0),
      toMs: 1_790_812_800_000,
      stepMinutes: 60,
      groupBy: undefined,
      tenant: undefined,
      unit: undefined,
    });
    assert.equal(
      sliSeriesParams.safeParse({ sli: 'checkout/availability', from: 'yesterday', to: '1' }).success,
      false,
    );
  });

  test('publish as JSON Schema for the OpenAPI document', () => {
    for (const schema of [fleetBudgetsParams, burningNowParams, availabilityParams, sliSeriesParams]) {
      const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: object };
      assert.ok(json.properties);
    }
    for (const schema of [fleetBudgetsView, burningNowView, availabilityView, sliSeriesView]) {
      assert.equal((z.toJSONSchema(schema, { io: 'output' }) as { type?: string }).type, 'object');
    }
  });
});

/** 20 services of one SLI and one 99.9 % / 28d SLO each. */
const TWENTY = catalogOf(
  `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: web-team}
spec: {onCall: {email: web@example.com}}
${Array.from(
  { length: 20 },
  (_, i) => `---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: svc-${i}}
spec:
  owner: web-team
  tier: high
  slis:
    - {name: requests, kind: events}
  slos:
    - {name: requests, sli: requests, objectivePercent: 99.9, window: 28d}
`,
).join('')}`,
);

/** User plus system CPU milliseconds of this process since `start`. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** `count` production units that pushed at NOW, with the tenant of each index. */
function pushingUnits(count: number, tenant: (index: number) => string): UnitInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `unit-${i}`,
    tenant: tenant(i),
    environment: 'production',
    productLine: null,
    createdAtMs: 0,
    ackedSeq: 1,
    lastPushAtMs: NOW,
    catalogVersion: null,
  }));
}

describe('fleetBudgets cost', () => {
  test('1,000 units x 20 SLOs: one store read for every window, never one per unit', async (t) => {
    const units = pushingUnits(1000, (i) => `tenant-${i % 50}`);
    const calls = { sliWindowTotals: 0, windows: 0, sliSeries: 0 };
    const store: FleetStore = {
      stepMinutes: 5,
      async sliWindowTotals(query) {
        calls.sliWindowTotals++;
        calls.windows += query.windows.length;
        return query.windows.map(() =>
          query.unitIds.flatMap((unitId) =>
            (query.slis ?? []).map((sli) => ({ unitId, sli, good: 999_000, total: 1_000_000 })),
          ),
        );
      },
      async sliSeries() {
        calls.sliSeries++;
        return [];
      },
      async records() {
        return [];
      },
    };
    const cpu = process.cpuUsage();
    const bySlo = value(
      await fleetBudgets({ catalog: TWENTY, store, units, nowMs: NOW }, { groupBy: 'slo' }),
    );
    const byUnit = value(
      await fleetBudgets({ catalog: TWENTY, store, units, nowMs: NOW }, { groupBy: 'unit' }),
    );
    const cpuMs = cpuMsSince(cpu);
    assert.equal(calls.sliWindowTotals, 2, 'one read per call');
    assert.equal(calls.windows, 2, 'every SLO shares the 28d window');
    assert.equal(calls.sliSeries, 0);
    assert.equal(bySlo.groups.length, 20);
    // Each SLO: 1,000 units x 1,000,000 events with 1,000 bad: 1e6 bad of e * T = 0.001 * 1e9.
    near(bySlo.groups[0]!.slos[0]!.budget.soFar.consumedRatio, 1);
    assert.equal(byUnit.groups.length, 1000);
    t.diagnostic(`two fleetBudgets calls over a fake store: ${cpuMs.toFixed(0)} ms of CPU`);
  });

  test('burningNow reads the seven tier windows of every SLO in one store call', async () => {
    const units = pushingUnits(3, () => 'acme');
    const reads: { fromMinute: number; toMinute: number }[][] = [];
    const store: FleetStore = {
      stepMinutes: 5,
      async sliWindowTotals(query) {
        reads.push([...query.windows]);
        return query.windows.map(() => []);
      },
      async sliSeries() {
        return [];
      },
      async records() {
        return [];
      },
    };
    value(await burningNow({ catalog: TWENTY, store, units, nowMs: NOW }, {}));
    assert.equal(reads.length, 1);
    // Default tiers: 1h/5m, 6h/30m, 1d/2h, 3d/6h, all ending at NOW (a whole step).
    const minutes = reads[0]!.map((w) => NOW_MINUTE - w.fromMinute).sort((a, b) => a - b);
    assert.deepEqual(minutes, [5, 30, 60, 120, 360, 1440, 4320]);
    assert.ok(reads[0]!.every((w) => w.toMinute === NOW_MINUTE));
  });

  test('end to end on SQLite: 1,000 units x 20 SLIs over 28 days', async (t) => {
    const real = await openHubStore({ sqlitePath: ':memory:' });
    let reads = 0;
    const store: FleetStore = {
      stepMinutes: real.stepMinutes,
      sliWindowTotals: (query) => {
        reads++;
        return real.sliWindowTotals(query);
      },
      sliSeries: (query) => real.sliSeries(query),
      records: (query) => real.records(query),
    };
    for (let u = 0; u < 1000; u++) {
      const id = `unit-${u}`;
      assert.ok(
        (
          await real.createUnit(
            { id, tenant: `tenant-${u % 50}`, environment: 'production' },
            NOW - 90 * DAY_MINUTES * MINUTE,
          )
        ).ok,
      );
      const records: SyncRecord[] = [];
      for (let s = 0; s < 20; s++) {
        for (const d of [0, 14]) {
          records.push({
            ...counts(`svc-${s}/requests`, NOW_MINUTE - d * DAY_MINUTES - 60, 999, 1000),
            seq: records.length + 1,
          });
        }
      }
      assert.ok((await real.applyPush(id, { afterSeq: 0, throughSeq: records.length, records }, NOW)).ok);
    }
    const units = await real.listUnits(['*']);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const view = value(await fleetBudgets({ catalog: TWENTY, store, units, nowMs: NOW }, { groupBy: 'slo' }));
    const cpuMs = cpuMsSince(cpu);
    const wallMs = performance.now() - started;
    t.diagnostic(
      `fleetBudgets over 20,000 (unit, SLI) pairs: ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`,
    );
    assert.equal(reads, 1);
    // Per SLO: 1,000 units x 2 records x 1,000 events, 1 bad each: 2,000 bad of 0.001 * 2e6.
    const first = view.groups[0]!.slos[0]!;
    assert.equal(first.total, 2_000_000);
    near(first.budget.soFar.consumedRatio, 1);
    await real.close();
  });
});
