/**
 * Convergence of the hub with its units (docs/hub.md, "Replication"; ARCHITECTURE.md,
 * principle 3): whatever the network does between them (drop, drop the answer of an applied
 * push, duplicate, delay so later pushes overtake, cut a batch mid-body, go offline) and
 * however often the hub and the units restart or are killed, once the network heals and
 * the units drain, the hub holds exactly what every unit exports: for every unit,
 * `store.checksum(unit) === canonicalChecksum(exportedRecords(unit.state))`.
 *
 * Besides the checksums, the hub's totals per unit and SLI must equal what the test wrote
 * to that unit (a ledger kept by the test, independent of the code under test).
 *
 * Three parts:
 * - hundreds of seeded runs in this process: a real hub (SQLite, listening on loopback,
 *   restarted on its file, sometimes restored from an older copy of it, so units meet a
 *   409 gap and resynchronise), 2 to 4 units started with `startUnit` (restarted on
 *   theirs, sometimes with a new export resolution, label policy or catalog), each behind
 *   its own faulty proxy, random events (late ones too), evaluations (SLO status and alert
 *   records), pushes by hand or by the units' own push loops, and a fake clock;
 * - a few runs with real processes: `sextant hub` and `sextant unit` SIGKILLed at random
 *   moments during pushes and restarted, then healed and compared from their database files;
 * - a time-compressed run where one unit is offline for 7 days of per-minute data with a
 *   small outbox quota (so it rolls up to hours), then catches up in bounded pushes while
 *   another unit's live data keeps flowing; the hub's 7-day totals equal what was written.
 *
 * Every run prints its seed when it fails. Replay one with
 * `SEXTANT_CONVERGENCE_SEED=<seed> SEXTANT_CONVERGENCE_RUNS=1 node --test test/integration/hub-convergence.test.ts`;
 * search longer with a larger SEXTANT_CONVERGENCE_RUNS (and SEXTANT_CONVERGENCE_PROCESS_RUNS). (Pushes overlap with the script in
 * real time, so a replay follows the same plan but not always the same interleaving.)
 */

import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { openConfiguredStore } from '../../src/hub/index.ts';
import { canonicalChecksum, type SyncRecord } from '../../src/sync/index.ts';
import {
  exportedRecords,
  type PushOutcome,
  resolveUnitConfig,
  startUnit,
  type UnitConfig,
  type UnitHandle,
  UnitState,
} from '../../src/unit/index.ts';
import {
  type FaultRates,
  type FaultyProxy,
  seededRandom,
  startFaultyProxy,
} from '../support/faulty-proxy.ts';
import { DEFAULT_SEED } from '../support/fuzz.ts';
import { hubApi, hubFixture, registerUnit, startTestHub, type TestHub } from '../support/hub-process.ts';
import { type UnitFixture, type UnitProcess, unitFixture } from '../support/unit-process.ts';

const MINUTE_MS = 60_000;
/** A Monday, 00:00 UTC: the fake clock's start. */
const START_MS = Date.UTC(2026, 0, 5, 0, 0);

/** Runs of the in-process part, and the first seed; each run uses `seed + index`. */
const RUNS = positiveInteger('SEXTANT_CONVERGENCE_RUNS') ?? 200;
const FIRST_SEED = integer('SEXTANT_CONVERGENCE_SEED') ?? DEFAULT_SEED;
/** Runs of the real-process part (each takes a few seconds); SEXTANT_CONVERGENCE_PROCESS_RUNS overrides. */
const PROCESS_RUNS = positiveInteger('SEXTANT_CONVERGENCE_PROCESS_RUNS') ?? Math.min(RUNS, 3);

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: shop}
spec:
  owner: core
  tier: critical
  slis:
    - name: orders
      kind: events
      significantLabels: [region]
    - name: payments
      kind: events
      significantLabels: [region, method]
  slos:
    - {name: orders, sli: orders, objectivePercent: 99, window: 1d}
    - {name: payments, sli: payments, objectivePercent: 99.5, window: 7d}
`;
/** The same services after a change: one SLO removed, one added (the unit sends `deleted`). */
const CATALOG_CHANGED = CATALOG.replace(
  '    - {name: payments, sli: payments, objectivePercent: 99.5, window: 7d}\n',
  '    - {name: orders-fast, sli: orders, objectivePercent: 95, window: 1h}\n',
);
const REGIONS = ['eu', 'us', 'ap'] as const;
const METHODS = ['card', 'iban'] as const;

/**
 * Where run directories go: a tmpfs when there is one (/dev/shm on Linux), so the stores'
 * fsyncs cost nothing. Durability across a process kill does not need them (the page cache
 * outlives the process); only a machine crash would, and no test here crashes the machine.
 */
const RUN_ROOT = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
})();

function integer(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${text}"`);
  return value;
}

function positiveInteger(name: string): number | undefined {
  const value = integer(name);
  if (value !== undefined && value < 1) throw new Error(`${name} must be at least 1, got ${value}`);
  return value;
}

/** A small seeded toolbox over `seededRandom`. */
class Dice {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** An item by weight. */
  weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
    const entries = Object.entries(weights) as [T, number][];
    let draw = this.next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [item, weight] of entries) {
      draw -= weight;
      if (draw < 0) return item;
    }
    return entries[entries.length - 1]![0];
  }
}

/** One event bucket as the unit's events endpoint takes it. */
interface EventBucket {
  sli: 'shop/orders' | 'shop/payments';
  labels: Record<string, string>;
  minute: number;
  good: number;
  total: number;
}

function randomBuckets(dice: Dice, nowMinute: number, count: number): EventBucket[] {
  const out: EventBucket[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly the last few minutes; sometimes late data up to 2.5 hours back.
    const age = dice.chance(0.15) ? dice.int(10, 150) : dice.int(0, 6);
    const total = dice.int(1, 400);
    // A bad stretch now and then, so burn-rate alerts fire and resolve.
    const good = dice.chance(0.2) ? dice.int(0, total) : total - dice.int(0, Math.min(2, total));
    if (dice.chance(0.5)) {
      out.push({
        sli: 'shop/orders',
        labels: { region: dice.pick(REGIONS) },
        minute: nowMinute - age,
        good,
        total,
      });
    } else {
      out.push({
        sli: 'shop/payments',
        labels: { region: dice.pick(REGIONS), method: dice.pick(METHODS) },
        minute: nowMinute - age,
        good,
        total,
      });
    }
  }
  return out;
}

/** Posts buckets to a unit's events endpoint; they must all be counted. */
async function postEvents(unitUrl: string, buckets: readonly EventBucket[]): Promise<void> {
  const response = await fetch(`${unitUrl}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      events: buckets.map((bucket) => ({
        sli: bucket.sli,
        labels: bucket.labels,
        time: new Date(bucket.minute * MINUTE_MS).toISOString(),
        good: bucket.good,
        total: bucket.total,
      })),
    }),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `POST /api/v1/events: ${text}`);
}

/**
 * What was written to one unit, summed per SLI: the oracle the hub's totals are checked
 * against, independent of both the unit's export and the hub's store.
 */
class Ledger {
  readonly totals = new Map<string, { good: number; total: number }>();
  fromMinute = Number.POSITIVE_INFINITY;
  toMinute = Number.NEGATIVE_INFINITY;

  add(buckets: readonly EventBucket[]): void {
    for (const bucket of buckets) {
      const held = this.totals.get(bucket.sli) ?? { good: 0, total: 0 };
      this.totals.set(bucket.sli, { good: held.good + bucket.good, total: held.total + bucket.total });
      this.fromMinute = Math.min(this.fromMinute, bucket.minute);
      this.toMinute = Math.max(this.toMinute, bucket.minute + 1);
    }
  }

  /** Where the hub's totals of `unitId` differ from what was written; empty when they agree. */
  async problems(store: Pick<TestHub['hub']['store'], 'sliTotals'>, unitId: string): Promise<string[]> {
    if (this.totals.size === 0) return [];
    // A day either side: wider than any roll-up to hours, and nothing else was written.
    const held = await store.sliTotals({
      unitIds: [unitId],
      fromMinute: this.fromMinute - 1440,
      toMinute: this.toMinute + 1440,
    });
    const out: string[] = [];
    for (const [sli, written] of this.totals) {
      const atHub = held.find((entry) => entry.sli === sli);
      if (atHub?.good !== written.good || atHub.total !== written.total) {
        out.push(
          `unit ${unitId} ${sli}: written good ${written.good} total ${written.total}, hub good ${atHub?.good} total ${atHub?.total}`,
        );
      }
    }
    return out;
  }
}

/** A unit's config for `startUnit` or a unit process. */
function unitConfig(options: {
  id: string;
  tenant: string;
  dataDir: string;
  catalogDir: string;
  hubUrl: string;
  token: string;
  sync: Record<string, unknown>;
}): UnitConfig {
  const resolved = resolveUnitConfig({
    file: {
      path: 'unit.yaml',
      text: JSON.stringify({
        unit: { id: options.id, tenant: options.tenant },
        catalog: options.catalogDir,
        dataDir: options.dataDir,
        listen: '127.0.0.1:0',
        hub: { url: options.hubUrl },
        sync: options.sync,
      }),
    },
    flags: {},
    env: { SEXTANT_HUB_TOKEN: options.token },
  });
  if (!resolved.ok) throw new Error(`bad unit config: ${JSON.stringify(resolved.issues)}`);
  return resolved.value;
}

/** What the hub holds for a unit against what the unit exports, described for a failure message. */
async function divergence(
  hub: TestHub,
  unitId: string,
  records: readonly SyncRecord[],
): Promise<string | undefined> {
  const store = hub.hub.store;
  const hubSum = await store.checksum(unitId);
  const unitSum = canonicalChecksum(records);
  if (hubSum === unitSum) return undefined;
  const lines = [`unit ${unitId}: hub ${hubSum} != unit ${unitSum}`];
  const kinds = ['slo_status', 'alert', 'catalog'] as const;
  const stored = await store.records({ unitIds: [unitId], kinds });
  for (const kind of kinds) {
    const mine = records.filter((record) => record.kind === kind);
    const theirs = stored.filter((record) => record.kind === kind).map((record) => record.body);
    if (canonicalChecksum(mine) !== canonicalChecksum(theirs)) {
      lines.push(`  ${kind}: unit ${JSON.stringify(mine).slice(0, 800)}`);
      lines.push(`  ${kind}: hub  ${JSON.stringify(theirs).slice(0, 800)}`);
    }
  }
  const counts = records.filter((record) => record.kind === 'counts');
  if (counts.length > 0) {
    const from = Math.min(...counts.map((record) => record.startMinute));
    const to = Math.max(...counts.map((record) => record.startMinute + record.minutes)) + 60;
    const totals = await store.sliTotals({ unitIds: [unitId], fromMinute: from - (from % 60), toMinute: to });
    for (const sli of new Set(counts.map((record) => record.sli))) {
      const mine = counts.filter((record) => record.sli === sli);
      const good = mine.reduce((sum, record) => sum + record.good, 0);
      const total = mine.reduce((sum, record) => sum + record.total, 0);
      const held = totals.find((entry) => entry.sli === sli);
      lines.push(
        `  counts ${sli}: unit ${mine.length} records good ${good} total ${total}; hub good ${held?.good} total ${held?.total}`,
      );
    }
  }
  return lines.join('\n');
}

// ---- in-process runs ----------------------------------------------------------------------

/** A unit of one run: its proxy, its process-local handle and its push chain. */
interface SimUnit {
  id: string;
  config: UnitConfig;
  /** New export settings (resolution, label policy, batch size) and maybe catalog for the next start. */
  reconfigure(): Promise<void>;
  proxy: FaultyProxy;
  handle: UnitHandle;
  /** Pushes by hand (`pushOnce`) or the unit's own loop (`sync.start()`). */
  loop: boolean;
  /** The pushes started by hand, chained: one in flight at a time, as a unit does. */
  chain: Promise<unknown>;
  /** Restore the link at this step (after a `cut`). */
  restoreAt: number | undefined;
  outcomes: Map<PushOutcome['kind'], number>;
  written: Ledger;
}

interface RunReport {
  seed: number;
  steps: number;
  units: number;
  hubRestarts: number;
  unitRestarts: number;
  writes: number;
  evaluations: number;
  pushes: number;
  faults: Record<string, number>;
  records: number;
  gaps: number;
  /** Times the hub was restored from an older copy of its database. */
  restores: number;
  /** Converged records by kind (counts, slo_status, alert, catalog). */
  kinds: Record<string, number>;
  /** Milliseconds spent per phase and action, to keep the runs cheap. */
  timings: Record<string, number>;
}

function faultRates(dice: Dice): FaultRates {
  const level = dice.pick([0, 0.1, 0.25, 0.4]);
  const share = () => level * dice.next();
  const rates = {
    drop: share(),
    dropResponse: share(),
    duplicate: share(),
    delay: share(),
    cutBody: share(),
  };
  const sum = Object.values(rates).reduce((a, b) => a + b, 0);
  if (sum <= level || sum === 0) return rates;
  const scale = level / sum;
  return Object.fromEntries(Object.entries(rates).map(([kind, rate]) => [kind, rate * scale])) as FaultRates;
}

/** One seeded run: see the file comment. Throws with the seed and a diagnosis on divergence. */
async function convergenceRun(seed: number, dir: string): Promise<RunReport> {
  const dice = new Dice(seed);
  let clock = START_MS + dice.int(0, 7 * 1440) * MINUTE_MS;
  const now = () => clock;
  const log: string[] = [];
  const note = (line: string) => {
    log.push(line);
    if (log.length > 300) log.shift();
  };
  const hub = await startTestHub({ now, dataDir: join(dir, 'hub') });
  const backupDir = join(dir, 'hub-backup');
  let backedUp = false;
  let restored = false;
  const copyHubFiles = async (from: string, to: string) => {
    await rm(to, { recursive: true, force: true });
    await cp(from, to, { recursive: true });
  };
  const report: RunReport = {
    seed,
    steps: dice.int(20, 45),
    units: dice.int(2, 4),
    hubRestarts: 0,
    unitRestarts: 0,
    writes: 0,
    evaluations: 0,
    pushes: 0,
    faults: {},
    records: 0,
    gaps: 0,
    restores: 0,
    kinds: {},
    timings: {},
  };
  let lapStart = performance.now();
  const lap = (what: string) => {
    const at = performance.now();
    report.timings[what] = (report.timings[what] ?? 0) + (at - lapStart);
    lapStart = at;
  };
  const units: SimUnit[] = [];
  const open = async (unit: Pick<SimUnit, 'config' | 'id'>): Promise<UnitHandle> => {
    const started = await startUnit(unit.config, {
      now,
      manual: true,
      timeScale: 500,
      random: dice.next,
      log: (level, message, fields) => note(`${unit.id} ${level} ${message} ${JSON.stringify(fields ?? {})}`),
    });
    if (!started.ok) throw new Error(`unit ${unit.id} did not start: ${started.message}`);
    return started.value;
  };
  const startLoop = (unit: SimUnit) => {
    if (unit.loop) unit.handle.sync!.start();
  };
  try {
    for (let i = 0; i < report.units; i++) {
      const id = `unit-${i}`;
      const catalogDir = join(dir, `${id}-catalog`);
      await mkdir(catalogDir);
      await writeFile(join(catalogDir, 'shop.yaml'), CATALOG);
      const { token } = await registerUnit(hub.url, hub.adminToken, {
        id,
        tenant: i % 2 === 0 ? 'acme' : 'globex',
      });
      const proxy = await startFaultyProxy({
        target: hub.url,
        seed: seed * 31 + i,
        faults: faultRates(dice),
        delayMs: { min: 5, max: 150 },
      });
      const syncSettings = (): Record<string, unknown> => ({
        pushInterval: '1s',
        // A delayed push outlives its sender: the next one overtakes it.
        timeout: `${dice.int(1, 4) * 50}ms`,
        resolution: dice.pick(['1m', '1m', '5m', '15m']),
        maxRecordsPerPush: dice.pick([3, 10, 50, 2000]),
        ...(dice.chance(0.2) ? { export: { counts: { dropLabels: ['method'] } } } : {}),
      });
      const configWith = (sync: Record<string, unknown>) =>
        unitConfig({
          id,
          tenant: i % 2 === 0 ? 'acme' : 'globex',
          dataDir: join(dir, id),
          catalogDir,
          hubUrl: proxy.url,
          token,
          sync,
        });
      const config = configWith(syncSettings());
      const unit: SimUnit = {
        id,
        config,
        reconfigure: async () => {
          unit.config = configWith(syncSettings());
          if (dice.chance(0.5)) {
            await writeFile(join(catalogDir, 'shop.yaml'), dice.chance(0.5) ? CATALOG_CHANGED : CATALOG);
          }
        },
        proxy,
        handle: undefined as unknown as UnitHandle,
        loop: dice.chance(0.3),
        chain: Promise.resolve(),
        restoreAt: undefined,
        outcomes: new Map(),
        written: new Ledger(),
      };
      unit.handle = await open(unit);
      startLoop(unit);
      units.push(unit);
    }
    lap('setup');

    const restartUnit = async (unit: SimUnit, reconfigure = false) => {
      await unit.chain;
      await unit.handle.close();
      // An operator changing the export resolution or label policy between two starts.
      if (reconfigure) await unit.reconfigure();
      unit.handle = await open(unit);
      startLoop(unit);
      report.unitRestarts += 1;
    };
    const push = (unit: SimUnit) => {
      if (unit.loop) return;
      report.pushes += 1;
      const sync = unit.handle.sync!;
      unit.chain = unit.chain.then(async () => {
        const outcome = await sync.pushOnce();
        unit.outcomes.set(outcome.kind, (unit.outcomes.get(outcome.kind) ?? 0) + 1);
        note(`${unit.id} push ${JSON.stringify(outcome)}`);
      });
    };

    for (let step = 0; step < report.steps; step++) {
      for (const unit of units) {
        if (unit.restoreAt === step) {
          unit.proxy.restore();
          unit.restoreAt = undefined;
        }
      }
      const unit = dice.pick(units);
      const action = dice.weighted({
        write: 30,
        evaluate: 10,
        push: 25,
        tick: 15,
        wait: 5,
        restartUnit: 4,
        restartHub: 3,
        backupHub: 1,
        restoreHub: 1,
        faults: 3,
        cut: 3,
      });
      note(`step ${step}: ${action} ${unit.id}`);
      switch (action) {
        case 'write': {
          const buckets = randomBuckets(dice, Math.floor(clock / MINUTE_MS), dice.int(1, 12));
          await postEvents(unit.handle.url, buckets);
          unit.written.add(buckets);
          report.writes += 1;
          if (dice.chance(0.5)) push(unit);
          break;
        }
        case 'evaluate':
          await unit.handle.evaluateNow();
          report.evaluations += 1;
          break;
        case 'push':
          push(unit);
          break;
        case 'tick':
          clock += dice.int(1, 7) * MINUTE_MS;
          break;
        case 'wait':
          await sleep(dice.int(1, 30));
          break;
        case 'restartUnit':
          await restartUnit(unit, dice.chance(0.3));
          break;
        case 'restartHub': {
          const restarted = await hub.restart();
          for (const each of units) each.proxy.setTarget(restarted.url);
          report.hubRestarts += 1;
          break;
        }
        case 'backupHub': {
          const restarted = await hub.restart(() => copyHubFiles(hub.dataDir, backupDir));
          for (const each of units) each.proxy.setTarget(restarted.url);
          backedUp = true;
          break;
        }
        case 'restoreHub': {
          // The hub restored from a backup lost what it acknowledged since: units see a gap.
          if (!backedUp) break;
          const restarted = await hub.restart(() => copyHubFiles(backupDir, hub.dataDir));
          for (const each of units) each.proxy.setTarget(restarted.url);
          restored = true;
          report.restores += 1;
          break;
        }
        case 'faults':
          unit.proxy.setFaults(faultRates(dice));
          break;
        case 'cut':
          unit.proxy.cut();
          unit.restoreAt = step + dice.int(1, 10);
          break;
      }
      lap(action);
    }

    // Heal, let every copy in flight land, and drain every unit with its push loop stopped.
    for (const unit of units) unit.proxy.heal();
    await Promise.all(units.map((unit) => unit.chain));
    await Promise.all(units.map((unit) => unit.proxy.settled()));
    lap('heal');
    for (const unit of units) {
      if (unit.loop) {
        unit.loop = false;
        await restartUnit(unit);
      }
      await unit.handle.evaluateNow();
      const sync = unit.handle.sync!;
      let last: PushOutcome = { kind: 'idle' };
      for (let attempt = 0; attempt < 20; attempt++) {
        last = await sync.drain();
        if ((last.kind === 'idle' || last.kind === 'ok') && sync.status().pending === 0) break;
      }
      assert.equal(sync.status().pending, 0, `unit ${unit.id} did not drain: ${JSON.stringify(last)}`);
    }
    await Promise.all(units.map((unit) => unit.proxy.settled()));
    lap('drain');

    const problems: string[] = [];
    for (const unit of units) {
      const records = exportedRecords(unit.handle.state);
      report.records += records.length;
      for (const record of records) report.kinds[record.kind] = (report.kinds[record.kind] ?? 0) + 1;
      const problem = await divergence(hub, unit.id, records);
      if (problem) problems.push(problem);
      problems.push(...(await unit.written.problems(hub.hub.store, unit.id)));
      const registered = await hub.hub.store.getUnit(unit.id);
      if (registered?.ackedSeq !== unit.handle.sync!.status().ackedSeq) {
        problems.push(
          `unit ${unit.id}: the hub's mark ${registered?.ackedSeq} != the unit's ${unit.handle.sync!.status().ackedSeq}`,
        );
      }
      for (const [kind, count] of Object.entries(unit.proxy.stats)) {
        if (typeof count === 'number' && kind !== 'requests')
          report.faults[kind] = (report.faults[kind] ?? 0) + count;
      }
      report.gaps += unit.proxy.stats.statuses[409] ?? 0;
    }
    // Unless restored from a backup, the hub never loses what it acknowledged (its restarts
    // here are graceful), so its mark never moves back and no push meets a gap.
    if (report.gaps > 0 && !restored)
      problems.push(`${report.gaps} push(es) got 409 sequence_gap from a hub that lost nothing`);
    if (problems.length > 0) {
      throw new Error(`${problems.join('\n')}\n--- last log lines ---\n${log.slice(-60).join('\n')}`);
    }
    lap('compare');
    return report;
  } finally {
    for (const unit of units) {
      await unit.chain.catch(() => undefined);
      await unit.handle?.close().catch(() => undefined);
      await unit.proxy.close();
    }
    await hub.close();
    lap('teardown');
  }
}

// ---- 7 days offline, time-compressed -------------------------------------------------------

/** Good and total of a written series, summed. */
interface Totals {
  good: number;
  total: number;
}

/** The per-minute counts of the offline unit: a known function of the minute (3 series). */
function offlineBuckets(minute: number): EventBucket[] {
  const total = (offset: number) => 50 + ((minute * 7 + offset) % 41);
  const bad = (offset: number) => ((minute + offset) % 13 === 0 ? 3 : (minute + offset) % 5 === 0 ? 1 : 0);
  return [
    { sli: 'shop/orders', labels: { region: 'eu' }, minute, good: total(0) - bad(0), total: total(0) },
    { sli: 'shop/orders', labels: { region: 'us' }, minute, good: total(11) - bad(11), total: total(11) },
    {
      sli: 'shop/payments',
      labels: { region: 'eu', method: 'card' },
      minute,
      good: total(23) - bad(23),
      total: total(23),
    },
  ];
}

async function sevenDaysOffline(dir: string): Promise<Record<string, unknown>> {
  const OFFLINE_DAYS = 7;
  const MAX_RECORDS = 500;
  let clock = START_MS;
  const now = () => clock;
  const startMinute = START_MS / MINUTE_MS;
  const endMinute = startMinute + OFFLINE_DAYS * 1440;
  const catalogDir = join(dir, 'catalog');
  await mkdir(catalogDir);
  await writeFile(join(catalogDir, 'shop.yaml'), CATALOG);
  const hub = await startTestHub({ now, dataDir: join(dir, 'hub'), catalog: catalogDir });
  const pushes: { atMs: number; records: number; bytes: number }[] = [];
  const offlineToken = await registerUnit(hub.url, hub.adminToken, { id: 'offline-1', tenant: 'acme' });
  const liveToken = await registerUnit(hub.url, hub.adminToken, { id: 'live-1', tenant: 'acme' });
  const offlineProxy = await startFaultyProxy({
    target: hub.url,
    seed: 7,
    observe: (request) => {
      if (request.path !== '/api/v1/sync/push') return;
      const push = JSON.parse(gunzipSync(request.body).toString('utf8')) as { records: unknown[] };
      pushes.push({ atMs: performance.now(), records: push.records.length, bytes: request.body.length });
    },
  });
  const liveProxy = await startFaultyProxy({ target: hub.url, seed: 8 });
  const open = async (config: UnitConfig) => {
    const started = await startUnit(config, { now, manual: true, log: () => {} });
    if (!started.ok) throw new Error(started.message);
    return started.value;
  };
  const offline = await open(
    unitConfig({
      id: 'offline-1',
      tenant: 'acme',
      dataDir: join(dir, 'offline-1'),
      catalogDir,
      hubUrl: offlineProxy.url,
      token: offlineToken.token,
      sync: { resolution: '1m', maxRecordsPerPush: MAX_RECORDS, outboxQuota: '1MiB', timeout: '10s' },
    }),
  );
  const live = await open(
    unitConfig({
      id: 'live-1',
      tenant: 'acme',
      dataDir: join(dir, 'live-1'),
      catalogDir,
      hubUrl: liveProxy.url,
      token: liveToken.token,
      sync: { resolution: '1m', maxRecordsPerPush: MAX_RECORDS, timeout: '10s' },
    }),
  );
  try {
    const written = new Map<string, Totals>();
    offlineProxy.cut();
    const offlineOutcomes = new Map<string, number>();
    // Two hours of minutes per request (the unit takes samples up to 3 hours late).
    const HOURS_PER_STEP = 2;
    for (let step = 0; step < (OFFLINE_DAYS * 24) / HOURS_PER_STEP; step++) {
      clock = START_MS + (step + 1) * HOURS_PER_STEP * 60 * MINUTE_MS;
      const buckets: EventBucket[] = [];
      const from = startMinute + step * HOURS_PER_STEP * 60;
      for (let minute = from; minute < from + HOURS_PER_STEP * 60; minute++)
        buckets.push(...offlineBuckets(minute));
      await postEvents(offline.url, buckets);
      for (const bucket of buckets) {
        const held = written.get(bucket.sli) ?? { good: 0, total: 0 };
        written.set(bucket.sli, { good: held.good + bucket.good, total: held.total + bucket.total });
      }
      const nowMinute = Math.floor(clock / MINUTE_MS);
      await postEvents(live.url, [
        { sli: 'shop/orders', labels: { region: 'ap' }, minute: nowMinute - 1, good: 10, total: 10 },
      ]);
      if (step % 3 === 2) {
        // Every 6 hours: both evaluate; the offline unit tries to push (and checks its quota,
        // rolling up when it nears it) as its loop would; the live one pushes everything.
        await offline.evaluateNow();
        const outcome = await offline.sync!.pushOnce();
        offlineOutcomes.set(outcome.kind, (offlineOutcomes.get(outcome.kind) ?? 0) + 1);
        await live.evaluateNow();
        await live.sync!.drain();
        assert.equal(live.sync!.status().pending, 0, 'the live unit could not push');
      }
    }
    assert.deepEqual(
      [...offlineOutcomes.keys()],
      ['network_error'],
      'the offline unit never reached the hub',
    );
    assert.equal(pushes.length, 0);
    const outbox = offline.state.outbox!;
    assert.ok(outbox.rolledRanges.length > 0, 'the outbox never rolled counts up to hours');
    assert.ok(outbox.quotaAlertFiring, 'SextantOutboxNearQuota is not firing');
    const pendingAtReconnect = offline.sync!.status().pending;

    // Reconnect: the offline unit catches up (back-to-back pushes) while the live one keeps
    // writing and pushing fresh minutes.
    offlineProxy.restore();
    let caughtUpAtMs: number | undefined;
    const liveAcknowledgedAtMs: number[] = [];
    const catchUp = (async () => {
      for (let i = 0; i < 1000; i++) {
        const outcome = await offline.sync!.pushOnce();
        if (outcome.kind !== 'ok' && outcome.kind !== 'idle')
          throw new Error(`catch-up push: ${JSON.stringify(outcome)}`);
        if (offline.sync!.status().pending === 0) break;
      }
      caughtUpAtMs = performance.now();
    })();
    const liveFlow = (async () => {
      for (let minute = 0; caughtUpAtMs === undefined && minute < 500; minute++) {
        clock += MINUTE_MS;
        const nowMinute = Math.floor(clock / MINUTE_MS);
        await postEvents(live.url, [
          { sli: 'shop/orders', labels: { region: 'ap' }, minute: nowMinute - 1, good: 9, total: 10 },
        ]);
        const outcome = await live.sync!.pushOnce();
        if (
          outcome.kind === 'ok' &&
          live.sync!.status().pending === 0 &&
          (await hub.hub.store.checksum('live-1')) === canonicalChecksum(exportedRecords(live.state)) &&
          caughtUpAtMs === undefined
        ) {
          liveAcknowledgedAtMs.push(performance.now());
        }
        await sleep(1);
      }
    })();
    await Promise.all([catchUp, liveFlow]);

    const maxRecords = Math.max(...pushes.map((push) => push.records));
    assert.ok(maxRecords <= MAX_RECORDS, `a push carried ${maxRecords} records, more than ${MAX_RECORDS}`);
    assert.ok(
      pushes.length >= 2,
      `the catch-up took ${pushes.length} push(es); it should be bounded batches`,
    );
    assert.ok(
      liveAcknowledgedAtMs.length >= 2,
      `the live unit's fresh data reached the hub ${liveAcknowledgedAtMs.length} time(s) during the catch-up`,
    );

    // Converged, and the hub's 7-day totals are exactly what was written.
    for (const unit of [offline, live]) {
      await unit.evaluateNow();
      await unit.sync!.drain();
      assert.equal(unit.sync!.status().pending, 0);
    }
    for (const [id, unit] of [
      ['offline-1', offline],
      ['live-1', live],
    ] as const) {
      const problem = await divergence(hub, id, exportedRecords(unit.state));
      assert.equal(problem, undefined, problem);
    }
    const held = await hub.hub.store.sliTotals({
      unitIds: ['offline-1'],
      fromMinute: startMinute,
      toMinute: endMinute,
    });
    const reader = offline.state.reader();
    for (const [sli, totals] of written) {
      const atHub = held.find((entry) => entry.sli === sli);
      assert.deepEqual({ good: atHub?.good, total: atHub?.total }, totals, `hub totals of ${sli}`);
      const own = reader.sliSeries(sli).sum(startMinute, endMinute);
      assert.deepEqual({ good: own.good, total: own.total }, totals, `the unit's own totals of ${sli}`);
      const answer = await hubApi(
        hub.url,
        hub.adminToken,
        'GET',
        `/api/v1/fleet/sli-series?sli=${sli}&unit=offline-1&from=${START_MS}&to=${endMinute * MINUTE_MS}&step=1d`,
      );
      assert.equal(answer.status, 200, answer.text);
      const points = (answer.json as { series: { points: Totals[] }[] }).series.flatMap(
        (series) => series.points,
      );
      const fleet = points.reduce(
        (sum, point) => ({ good: sum.good + point.good, total: sum.total + point.total }),
        {
          good: 0,
          total: 0,
        },
      );
      assert.deepEqual(fleet, totals, `GET /api/v1/fleet/sli-series totals of ${sli}`);
    }
    return {
      pendingAtReconnect,
      rolledRanges: outbox.rolledRanges.length,
      catchUpPushes: pushes.length,
      maxRecordsPerPush: maxRecords,
      largestPushBytes: Math.max(...pushes.map((push) => push.bytes)),
      liveAcknowledgedDuringCatchUp: liveAcknowledgedAtMs.length,
      written: Object.fromEntries(written),
    };
  } finally {
    await offline.close();
    await live.close();
    await offlineProxy.close();
    await liveProxy.close();
    await hub.close();
  }
}

// ---- real processes, SIGKILLed -------------------------------------------------------------

/** The value of an unlabelled metric in a Prometheus text exposition, or undefined. */
async function metric(url: string, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  } catch {
    return undefined;
  }
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** One run with `sextant hub` and two `sextant unit` processes; see the file comment. */
async function processRun(t: TestContext, seed: number): Promise<Record<string, number>> {
  const dice = new Dice(seed);
  const figures = { unitKills: 0, hubKills: 0, writes: 0, records: 0, gaps: 0, pushesSeen: 0 };
  const hubFx = await hubFixture(t);
  const ids = ['proc-a', 'proc-b'] as const;
  const startHubProcess = async () => {
    const started = await hubFx.start();
    if (!started.ok)
      throw new Error(`sextant hub did not start: ${JSON.stringify(started.exit)} ${started.stderr}`);
    return started.value;
  };
  // One unit registered with the CLI on the database, the other through the running hub's API.
  const tokens = [await hubFx.addUnit({ id: ids[0], tenant: 'acme' })];
  let hubProc = await startHubProcess();
  tokens.push((await registerUnit(hubProc.url, hubFx.adminToken, { id: ids[1], tenant: 'globex' })).token);
  const configDir = await mkdtemp(join(RUN_ROOT, 'sextant-process-config-'));
  t.after(() => rm(configDir, { recursive: true, force: true }));
  const proxies: FaultyProxy[] = [];
  t.after(() => Promise.all(proxies.map((proxy) => proxy.close())));
  const units: { id: string; fixture: UnitFixture; process: UnitProcess; written: Ledger }[] = [];
  const startUnitProcess = async (fixture: UnitFixture): Promise<UnitProcess> => {
    const started = await fixture.start();
    if (!started.ok) throw new Error(`sextant unit did not start: ${JSON.stringify(started.failure)}`);
    const unit = started.value;
    // Ready once the first evaluation ran: its records are in the outbox.
    await waitFor('the unit to be ready', 30_000, async () => {
      const response = await fetch(`${unit.url}/readyz`).catch(() => undefined);
      await response?.body?.cancel();
      return response?.status === 200;
    });
    return unit;
  };
  for (const [index, id] of ids.entries()) {
    const proxy = await startFaultyProxy({
      target: hubProc.url,
      seed: seed * 31 + index,
      faults: { drop: 0.05, dropResponse: 0.05, duplicate: 0.05, delay: 0.05, cutBody: 0.05 },
      delayMs: { min: 5, max: 300 },
      observe: (request) => {
        if (request.path === '/api/v1/sync/push') figures.pushesSeen += 1;
      },
    });
    proxies.push(proxy);
    const tokenFile = join(configDir, `${id}.token`);
    await writeFile(tokenFile, `${tokens[index]}\n`);
    const configFile = join(configDir, `${id}.yaml`);
    await writeFile(
      configFile,
      JSON.stringify({
        unit: { id, tenant: index === 0 ? 'acme' : 'globex' },
        evaluationInterval: '1h',
        hub: { url: proxy.url, tokenFile },
        sync: { pushInterval: '100ms', timeout: '250ms', resolution: '1m', maxRecordsPerPush: 7 },
      }),
    );
    const fixture = await unitFixture(t, {
      catalog: { 'shop.yaml': CATALOG },
      id,
      args: ['--config', configFile],
    });
    if (typeof fixture === 'string') throw new Error(fixture);
    units.push({ id, fixture, process: await startUnitProcess(fixture), written: new Ledger() });
  }

  const rounds = dice.int(10, 16);
  for (let round = 0; round < rounds; round++) {
    const unit = dice.pick(units);
    const action = dice.weighted({ write: 6, killUnit: 2, killHub: 1.5, wait: 1 });
    switch (action) {
      case 'write': {
        const nowMinute = Math.floor(Date.now() / MINUTE_MS);
        const buckets = randomBuckets(dice, nowMinute, dice.int(5, 40));
        await postEvents(unit.process.url, buckets);
        unit.written.add(buckets);
        figures.writes += 1;
        break;
      }
      case 'killUnit':
        // Pushes go out every 100 ms: a kill a random moment later often lands mid-push.
        await sleep(dice.int(0, 200));
        await unit.process.kill();
        unit.process = await startUnitProcess(unit.fixture);
        figures.unitKills += 1;
        break;
      case 'killHub': {
        await sleep(dice.int(0, 200));
        await hubProc.kill();
        await sleep(dice.int(0, 300));
        hubProc = await startHubProcess();
        for (const proxy of proxies) proxy.setTarget(hubProc.url);
        figures.hubKills += 1;
        break;
      }
      case 'wait':
        await sleep(dice.int(50, 400));
        break;
    }
  }

  // Heal, wait until every unit has nothing pending, stop everything, compare the files.
  for (const proxy of proxies) proxy.heal();
  for (const unit of units) {
    await waitFor(
      `${unit.id} to drain`,
      60_000,
      async () => (await metric(unit.process.url, 'sextant_sync_pending_records')) === 0,
    );
  }
  for (const unit of units) await unit.process.stop();
  await Promise.all(proxies.map((proxy) => proxy.settled()));
  await hubProc.stop();
  const opened = await openConfiguredStore({ dataDir: hubFx.dataDir });
  if (!opened.ok) throw new Error(opened.message);
  const store = opened.value;
  try {
    const problems: string[] = [];
    for (const unit of units) {
      const state = UnitState.open(unit.fixture.databasePath);
      if (!state.ok) throw new Error(state.message);
      try {
        const records = exportedRecords(state.value);
        figures.records += records.length;
        const hubSum = await store.checksum(unit.id);
        const unitSum = canonicalChecksum(records);
        if (hubSum !== unitSum)
          problems.push(`unit ${unit.id}: hub ${hubSum} != unit ${unitSum} (${records.length} records)`);
        problems.push(...(await unit.written.problems(store, unit.id)));
        const registered = await store.getUnit(unit.id);
        const outbox = state.value.outbox;
        if (registered?.ackedSeq !== outbox?.ackedSeq) {
          problems.push(
            `unit ${unit.id}: the hub's mark ${registered?.ackedSeq} != the unit's ${outbox?.ackedSeq}`,
          );
        }
      } finally {
        state.value.close();
      }
    }
    for (const proxy of proxies) figures.gaps += proxy.stats.statuses[409] ?? 0;
    if (figures.gaps > 0)
      problems.push(`${figures.gaps} push(es) got 409: the killed hub lost acknowledged records`);
    if (problems.length > 0) {
      throw new Error(`${problems.join('\n')}\n--- hub stderr ---\n${hubProc.stderr().slice(-3000)}`);
    }
  } finally {
    await store.close();
  }
  return figures;
}

describe('hub convergence', () => {
  test(`${RUNS} seeded runs in this process converge: every unit's checksum equals the hub's`, async (t) => {
    const started = performance.now();
    const totals = {
      hubRestarts: 0,
      unitRestarts: 0,
      writes: 0,
      pushes: 0,
      records: 0,
      units: 0,
      restores: 0,
      gaps: 0,
    };
    const faults: Record<string, number> = {};
    const timings: Record<string, number> = {};
    const kinds: Record<string, number> = {};
    for (let run = 0; run < RUNS; run++) {
      const seed = FIRST_SEED + run;
      const dir = await mkdtemp(join(RUN_ROOT, 'sextant-convergence-'));
      try {
        const report = await convergenceRun(seed, dir);
        for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += report[key];
        for (const [kind, count] of Object.entries(report.faults)) faults[kind] = (faults[kind] ?? 0) + count;
        for (const [what, ms] of Object.entries(report.timings)) timings[what] = (timings[what] ?? 0) + ms;
        for (const [kind, count] of Object.entries(report.kinds)) kinds[kind] = (kinds[kind] ?? 0) + count;
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        throw new Error(
          `run ${run} (seed ${seed}) failed; replay: SEXTANT_CONVERGENCE_SEED=${seed} SEXTANT_CONVERGENCE_RUNS=1 node --test test/integration/hub-convergence.test.ts\n${message}`,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    t.diagnostic(
      `${RUNS} runs from seed ${FIRST_SEED} in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(totals)}; records by kind: ${JSON.stringify(kinds)}; proxy: ${JSON.stringify(faults)}; ms by phase: ${JSON.stringify(
        Object.fromEntries(Object.entries(timings).map(([what, ms]) => [what, Math.round(ms)])),
      )}`,
    );
    // The faults the runs are about did happen.
    for (const kind of [
      'drop',
      'dropResponse',
      'duplicate',
      'delay',
      'cutBody',
      'refused',
      'stale',
    ] as const) {
      if (RUNS >= 20) assert.ok((faults[kind] ?? 0) > 0, `no ${kind} in ${RUNS} runs`);
    }
    // ... and every record kind took part.
    for (const kind of ['counts', 'slo_status', 'alert', 'catalog'] as const) {
      if (RUNS >= 20) assert.ok((kinds[kind] ?? 0) > 0, `no ${kind} record in ${RUNS} runs`);
    }
  });

  test(`${PROCESS_RUNS} runs with real processes, SIGKILLed during pushes, converge after healing`, async (t) => {
    const started = performance.now();
    const totals: Record<string, number> = {};
    for (let run = 0; run < PROCESS_RUNS; run++) {
      const seed = FIRST_SEED + 1_000_000 + run;
      try {
        const figures = await processRun(t, seed);
        for (const [key, value] of Object.entries(figures)) totals[key] = (totals[key] ?? 0) + value;
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        throw new Error(`process run ${run} (seed ${seed}) failed:\n${message}`);
      }
    }
    t.diagnostic(
      `${PROCESS_RUNS} process runs in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(totals)}`,
    );
    assert.ok((totals['unitKills'] ?? 0) + (totals['hubKills'] ?? 0) > 0, 'nothing was killed');
  });

  test('a unit offline for 7 days of per-minute data catches up in bounded pushes while live data flows', async (t) => {
    const started = performance.now();
    const dir = await mkdtemp(join(RUN_ROOT, 'sextant-offline-'));
    try {
      const figures = await sevenDaysOffline(dir);
      t.diagnostic(
        `7 days offline in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(figures)}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
