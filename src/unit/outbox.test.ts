import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildCatalog, type Sli } from '../catalog/index.ts';
import { compileIngestPlan } from '../ingest/index.ts';
import {
  type CountsRecord,
  canonicalChecksum,
  recordKey,
  resolveRecords,
  type SyncRecord,
} from '../sync/index.ts';
import { EXPORT_EVERYTHING, type ExportPolicy } from './export-policy.ts';
import { countsKey, type OutboxSettings } from './outbox.ts';
import { UnitState } from './state.ts';

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: api}
spec:
  owner: core
  tier: critical
  slis:
    - name: batch
      kind: events
      significantLabels: [job, pod]
  slos:
    - {name: batch, sli: batch, objectivePercent: 99, window: 7d}
`;

const built = buildCatalog([{ path: 'catalog.yaml', text: CATALOG }]);
assert.ok(built.valid);
const plan = compileIngestPlan(built.catalog);
const SLI = built.catalog.services.get('api')!.slis.find((sli) => sli.name === 'batch') as Sli;

/** 2026-11-24T10:00Z, an hour boundary. */
const T0 = Date.UTC(2026, 10, 24, 10, 0);
const M0 = T0 / 60_000;
const FIVE: OutboxSettings = { resolutionMinutes: 5, policy: EXPORT_EVERYTHING };
const LIMITS = { maxRecords: 10_000, maxBytes: 16 * 1024 * 1024 };

function openState(path = ':memory:', settings: OutboxSettings = FIVE, nowMs = T0): UnitState {
  const opened = UnitState.open(path);
  assert.ok(opened.ok);
  opened.value.enableOutbox(settings, nowMs);
  return opened.value;
}

type Event = [minute: number, good: number, total: number, labels?: Record<string, string>];
const A = { job: 'a', pod: 'p1' };

/** Applies events as one ingest batch, with "now" just after the newest minute. */
function ingest(state: UnitState, events: Event[], nowMs?: number): void {
  const newest = Math.max(...events.map(([minute]) => minute));
  state.apply(plan, nowMs ?? (newest + 1) * 60_000, (reducer) => {
    for (const [minute, good, total, labels] of events) reducer.events(SLI, labels ?? A, minute, good, total);
  });
}

/** Pushes everything to a list standing in for the hub, acknowledging each batch. */
function pushAll(state: UnitState, hub: SyncRecord[], limits = LIMITS): number {
  const outbox = state.outbox!;
  let pushes = 0;
  for (;;) {
    const batch = outbox.buildBatch(state.reader(), limits);
    if (!batch) return pushes;
    hub.push(...batch.records);
    outbox.acknowledge(batch.throughSeq);
    pushes += 1;
  }
}

function countsSum(records: readonly SyncRecord[]): { good: number; total: number } {
  let good = 0;
  let total = 0;
  for (const record of records) {
    if (record.kind !== 'counts') continue;
    good += record.good;
    total += record.total;
  }
  return { good, total };
}

function pendingKeys(state: UnitState): string[] {
  return (state.db.prepare('SELECT key FROM unit_outbox ORDER BY seq').all() as { key: string }[]).map(
    (row) => row.key,
  );
}

describe('the outbox', () => {
  test('a standalone unit creates no outbox tables', () => {
    const opened = UnitState.open(':memory:');
    assert.ok(opened.ok);
    const state = opened.value;
    ingest(state, [[M0, 9, 10]]);
    const tables = state.db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'unit_outbox%'").all();
    assert.deepEqual(tables, []);
    assert.equal(state.outbox, undefined);
    state.close();
  });

  test('an ingest batch marks its export buckets in the same transaction as its counts', () => {
    const state = openState();
    ingest(state, [
      [M0 + 1, 9, 10],
      [M0 + 7, 5, 5],
    ]);
    // Minutes 1 and 7 fall in the 5-minute buckets starting at 0 and 5.
    assert.deepEqual(pendingKeys(state), [countsKey('api/batch', A, M0), countsKey('api/batch', A, M0 + 5)]);
    // If marking fails, the counts are not written either: one transaction.
    const outbox = state.outbox!;
    const original = outbox.markCounts.bind(outbox);
    outbox.markCounts = () => {
      throw new Error('disk full');
    };
    assert.throws(() => ingest(state, [[M0 + 2, 1, 1]]), /disk full/);
    outbox.markCounts = original;
    assert.deepEqual(
      state
        .reader()
        .series({ sli: 'api/batch', labels: A })
        .sum(M0, M0 + 5),
      { good: 9, total: 10 },
    );
    state.close();
  });

  test('the outbox key of a count record is the protocol record key', () => {
    const record: CountsRecord = {
      kind: 'counts',
      seq: 1,
      sli: 'api/batch',
      labels: { pod: 'p1', job: 'a' },
      startMinute: M0,
      minutes: 5,
      good: 1,
      total: 1,
    };
    assert.equal(countsKey('api/batch', { job: 'a', pod: 'p1' }, M0), recordKey(record));
  });

  test('changes to one bucket coalesce into one row sent with its value at send time', () => {
    const state = openState();
    for (let i = 0; i < 20; i++) ingest(state, [[M0 + (i % 5), 1, 2]]);
    assert.equal(state.outbox!.pendingCount(), 1);
    const batch = state.outbox!.buildBatch(state.reader(), LIMITS)!;
    // 20 batches of 1 good out of 2, all inside [M0, M0 + 5): 20 good, 40 total.
    assert.equal(batch.records.length, 1);
    assert.deepEqual(
      { ...batch.records[0]!, seq: 0 },
      {
        kind: 'counts',
        seq: 0,
        sli: 'api/batch',
        labels: A,
        startMinute: M0,
        minutes: 5,
        good: 20,
        total: 40,
      },
    );
    // The only row has the latest seq, so the batch goes through it.
    assert.equal(batch.throughSeq, state.outbox!.nextSeq - 1);
    state.close();
  });

  test('a batch takes the oldest rows first, bounded by records and bytes, and covers all rows up to throughSeq', () => {
    const state = openState();
    // 25 buckets of 5 minutes: 25 rows with increasing seqs.
    ingest(
      state,
      Array.from({ length: 25 }, (_, i): Event => [M0 + 5 * i, 1, 1]),
      T0 + 125 * 60_000,
    );
    const outbox = state.outbox!;
    const first = outbox.buildBatch(state.reader(), { maxRecords: 10, maxBytes: 1_000_000 })!;
    assert.equal(first.records.length, 10);
    assert.equal(first.afterSeq, 0);
    assert.deepEqual(
      first.records.map((record) => (record as CountsRecord).startMinute),
      Array.from({ length: 10 }, (_, i) => M0 + 5 * i),
    );
    assert.equal(first.throughSeq, first.records[9]!.seq);
    const small = outbox.buildBatch(state.reader(), { maxRecords: 10, maxBytes: 400 })!;
    assert.ok(small.records.length >= 1 && small.records.length < 10, `${small.records.length} records`);
    assert.ok(small.bytes <= 400);
    assert.equal(small.throughSeq, small.records.at(-1)!.seq);
    state.close();
  });

  test('an acknowledgement prunes only rows at or below the mark; a row changed since stays', () => {
    const state = openState();
    ingest(state, [
      [M0, 1, 1],
      [M0 + 5, 1, 1],
    ]);
    const outbox = state.outbox!;
    const batch = outbox.buildBatch(state.reader(), LIMITS)!;
    // The first bucket changes while the push is in flight: it gets a newer seq.
    ingest(state, [[M0 + 1, 1, 1]]);
    assert.deepEqual(outbox.acknowledge(batch.throughSeq), { kind: 'ok', pruned: 1 });
    assert.equal(outbox.ackedSeq, batch.throughSeq);
    assert.deepEqual(pendingKeys(state), [countsKey('api/batch', A, M0)]);
    const next = outbox.buildBatch(state.reader(), LIMITS)!;
    assert.equal(next.afterSeq, batch.throughSeq);
    assert.deepEqual(
      next.records.map((record) => [(record as CountsRecord).good, (record as CountsRecord).total]),
      [[2, 2]],
    );
    state.close();
  });

  test('a restart keeps the sequence monotonic and resumes from the acknowledged mark', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-outbox-'));
    try {
      const path = join(dir, 'unit.db');
      let state = openState(path);
      ingest(state, [
        [M0, 1, 1],
        [M0 + 5, 1, 1],
      ]);
      const batch = state.outbox!.buildBatch(state.reader(), { maxRecords: 1, maxBytes: 1_000_000 })!;
      state.outbox!.acknowledge(batch.throughSeq);
      const next = state.outbox!.nextSeq;
      state.close();
      // Reopened without enableOutbox (as `sextant backfill` does): the outbox is still on.
      const opened = UnitState.open(path);
      assert.ok(opened.ok);
      state = opened.value;
      assert.ok(state.outbox);
      assert.equal(state.outbox.ackedSeq, batch.throughSeq);
      assert.equal(state.outbox.nextSeq, next);
      ingest(state, [[M0 + 10, 1, 1]]);
      const resumed = state.outbox.buildBatch(state.reader(), LIMITS)!;
      assert.equal(resumed.afterSeq, batch.throughSeq);
      assert.deepEqual(
        resumed.records.map((record) => record.seq),
        [next - 1, next],
      );
      state.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('dropped labels are summed away: one record per reduced label set, valued at send time', () => {
    const policy: ExportPolicy = { ...EXPORT_EVERYTHING, labels: { mode: 'drop', names: ['pod'] } };
    const state = openState(':memory:', { resolutionMinutes: 5, policy });
    ingest(state, [
      [M0, 3, 4, { job: 'a', pod: 'p1' }],
      [M0 + 1, 5, 6, { job: 'a', pod: 'p2' }],
      [M0 + 2, 1, 1, { job: 'b', pod: 'p1' }],
    ]);
    const hub: SyncRecord[] = [];
    pushAll(state, hub);
    // A later change of one pod re-sends the sum of both pods.
    ingest(state, [[M0 + 3, 10, 10, { job: 'a', pod: 'p2' }]]);
    pushAll(state, hub);
    const held = resolveRecords(hub).map((record) => ({ ...record, seq: 0 }));
    assert.deepEqual(
      held.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        // job a: 3+5+10 good of 4+6+10 total; job b: 1 of 1.
        {
          kind: 'counts',
          seq: 0,
          sli: 'api/batch',
          labels: { job: 'a' },
          startMinute: M0,
          minutes: 5,
          good: 18,
          total: 20,
        },
        {
          kind: 'counts',
          seq: 0,
          sli: 'api/batch',
          labels: { job: 'b' },
          startMinute: M0,
          minutes: 5,
          good: 1,
          total: 1,
        },
      ],
    );
    assert.ok(hub.every((record) => record.kind !== 'counts' || !('pod' in record.labels)));
    assert.equal(
      canonicalChecksum(resolveRecords(hub)),
      canonicalChecksum(state.outbox!.exportedRecords(state.reader())),
    );
    state.close();
  });

  test('rolling up keeps totals: what the hub holds sums to what the unit holds', () => {
    const state = openState();
    const hub: SyncRecord[] = [];
    // Three hours of one event per minute; the first hour reaches the hub at 5-minute resolution.
    const hour = (h: number) => Array.from({ length: 60 }, (_, i): Event => [M0 + 60 * h + i, 1, 2]);
    ingest(state, hour(0));
    pushAll(state, hub);
    ingest(state, [...hour(0).slice(50)], T0 + 70 * 60_000); // late changes in the first hour
    for (const h of [1, 2]) ingest(state, hour(h));
    const before = state.outbox!.pendingCount();
    // Roll up with "now" in hour 3: hours 0 to 2 become hour records.
    const rolled = state.outbox!.rollUp(state.reader(), M0 + 3 * 60 + 5);
    assert.equal(rolled, 3);
    assert.ok(state.outbox!.pendingCount() < before);
    assert.deepEqual(state.outbox!.rolledRanges, [[M0, M0 + 180]]);
    // A late change inside a rolled hour is marked as the whole hour.
    ingest(state, [[M0 + 150, 1, 1]], T0 + 185 * 60_000);
    assert.ok(pendingKeys(state).includes(countsKey('api/batch', A, M0 + 120)));
    pushAll(state, hub);
    const held = resolveRecords(hub);
    // Every minute: 1 good of 2, over 180 minutes, the 10 late minutes counted twice, plus 1/1.
    const unit = state
      .reader()
      .series({ sli: 'api/batch', labels: A })
      .sum(M0, M0 + 240);
    assert.deepEqual(unit, { good: 180 + 10 + 1, total: 360 + 20 + 1 });
    assert.deepEqual(countsSum(held), unit);
    assert.ok(held.every((record) => record.kind !== 'counts' || record.minutes === 60));
    assert.equal(canonicalChecksum(held), canonicalChecksum(state.outbox!.exportedRecords(state.reader())));
    state.close();
  });

  test('a new export resolution applies from the next hour, so no bucket is exported two ways', () => {
    const state = openState();
    const hub: SyncRecord[] = [];
    ingest(state, [[M0 + 2, 1, 1]], T0 + 30 * 60_000);
    state.enableOutbox({ resolutionMinutes: 15, policy: EXPORT_EVERYTHING }, T0 + 30 * 60_000);
    assert.deepEqual(
      state.outbox!.segments.map((segment) => [segment.fromMinute, segment.minutes]),
      [
        [0, 5],
        [M0 + 60, 15],
      ],
    );
    ingest(state, [
      [M0 + 3, 1, 1],
      [M0 + 61, 1, 1],
      [M0 + 74, 1, 1],
    ]);
    pushAll(state, hub);
    const spans = resolveRecords(hub)
      .map((record) => [(record as CountsRecord).startMinute - M0, (record as CountsRecord).minutes])
      .sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(spans, [
      [0, 5],
      [60, 15],
    ]);
    state.close();
  });

  test('an acknowledgement above every version the unit issued moves its versions above it', () => {
    const state = openState();
    ingest(state, [[M0, 1, 1]]);
    const outbox = state.outbox!;
    const result = outbox.acknowledge(1000);
    assert.deepEqual(result, { kind: 'ahead' });
    assert.ok(outbox.nextSeq > 1000);
    assert.ok(outbox.resyncPending);
    const batch = outbox.buildBatch(state.reader(), LIMITS)!;
    assert.equal(batch.afterSeq, 1000);
    assert.ok(batch.records.every((record) => record.seq > 1000));
    state.close();
  });

  test('a record the protocol would refuse is counted and not marked', () => {
    const state = openState();
    const marked = state.outbox!.markRecord({ kind: 'catalog', version: '', source: 'local' });
    assert.equal(marked, false);
    assert.equal(state.outbox!.invalidRecords, 1);
    assert.equal(state.outbox!.pendingCount(), 0);
    state.close();
  });
});
