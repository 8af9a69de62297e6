import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog, type Sli } from '../catalog/index.ts';
import { compileIngestPlan } from '../ingest/index.ts';
import { canonicalChecksum, type SyncRecord } from '../sync/index.ts';
import { EXPORT_EVERYTHING, type ExportPolicy } from './export-policy.ts';
import type { LogLevel } from './logger.ts';
import { MetricsRegistry } from './metrics.ts';
import type { OutboxSettings } from './outbox.ts';
import { UnitState } from './state.ts';
import { type QuotaState, SyncClient, type SyncClientOptions } from './sync-client.ts';
import { FakeHub } from './sync-test-support.ts';

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
const plan = compileIngestPlan(built.catalog);
const SLI = built.catalog.services.get('api')!.slis.find((sli) => sli.name === 'batch') as Sli;

const T0 = Date.UTC(2026, 10, 24, 10, 0);
const M0 = T0 / 60_000;
const INTERVAL = 15_000;
const CAP = 300_000;

interface Harness {
  state: UnitState;
  hub: FakeHub;
  client: SyncClient;
  logs: { level: LogLevel; message: string; fields: Record<string, unknown> }[];
  metrics: MetricsRegistry;
  quota: QuotaState[];
  clock: { ms: number };
}

/**
 * A unit whose outbox was just enabled, with its first (empty) push done: the
 * resynchronisation of a first connection is behind it, as it is seconds after a start.
 */
async function harness(
  options: { policy?: ExportPolicy; client?: Partial<SyncClientOptions>; random?: () => number } = {},
): Promise<Harness> {
  const opened = UnitState.open(':memory:');
  assert.ok(opened.ok);
  const state = opened.value;
  const clock = { ms: T0 };
  const settings: OutboxSettings = { resolutionMinutes: 5, policy: options.policy ?? EXPORT_EVERYTHING };
  state.enableOutbox(settings, clock.ms);
  const hub = new FakeHub({ unit: 'cell-1' });
  const logs: Harness['logs'] = [];
  const metrics = new MetricsRegistry();
  const quota: QuotaState[] = [];
  const client = new SyncClient({
    outbox: state.outbox!,
    reader: () => state.reader(),
    listSeries: async () => (await state.store.listSeries()).map(({ sli, labels }) => ({ sli, labels })),
    unitId: 'cell-1',
    hubUrl: hub.url,
    token: async () => `${hub.token}\n`,
    pushIntervalMs: INTERVAL,
    maxRecords: 2000,
    maxBytes: 4 * 1024 * 1024,
    timeoutMs: 5000,
    resyncHorizonMinutes: 7 * 1440,
    lateMinutes: 180,
    quotaBytes: 256 * 1024 * 1024,
    now: () => clock.ms,
    log: (level, message, fields = {}) => logs.push({ level, message, fields }),
    fetch: hub.fetch,
    random: options.random ?? (() => 0.5),
    metrics,
    backoffCapMs: CAP,
    onQuota: (state) => {
      quota.push(state);
    },
    ...options.client,
  });
  // Nothing to send: an empty push (a heartbeat) all the same.
  const first = await client.pushOnce();
  if (options.client?.token === undefined) {
    assert.equal(first.kind, 'ok');
    assert.deepEqual(hub.pushes.splice(0), [
      { protocol: '1.0', unit: 'cell-1', afterSeq: 0, throughSeq: 0, sentAtMs: T0, records: [] },
    ]);
    hub.rawBodies.length = 0;
  }
  assert.equal(state.outbox!.resyncPending, false);
  return { state, hub, client, logs, metrics, quota, clock };
}

type Event = [minute: number, good: number, total: number, labels?: Record<string, string>];
const A = { job: 'a', pod: 'p1' };

function ingest(h: Harness, events: Event[]): void {
  const newest = Math.max(...events.map(([minute]) => minute));
  h.clock.ms = Math.max(h.clock.ms, (newest + 1) * 60_000);
  h.state.apply(plan, h.clock.ms, (reducer) => {
    for (const [minute, good, total, labels] of events) reducer.events(SLI, labels ?? A, minute, good, total);
  });
}

const exported = (h: Harness) => canonicalChecksum(h.state.outbox!.exportedRecords(h.state.reader()));

describe('the sync client', () => {
  test('pushes gzip JSON with the token and protocol, and prunes what the hub acknowledged', async () => {
    const h = await harness();
    ingest(h, [
      [M0, 9, 10],
      [M0 + 5, 10, 10],
    ]);
    h.state.outbox!.markRecord({ kind: 'catalog', version: 'sha256:abc', source: 'local' });
    const outcome = await h.client.pushOnce();
    assert.equal(outcome.kind, 'ok');
    assert.equal(h.hub.pushes.length, 1);
    assert.equal(h.hub.pushes[0]!.afterSeq, 0);
    assert.equal(h.hub.held().length, 3);
    assert.equal(h.state.outbox!.pendingCount(), 0);
    assert.equal(h.state.outbox!.ackedSeq, h.hub.ackedSeq);
    assert.equal(h.hub.checksum(), exported(h));
    assert.equal(h.client.delayFor(outcome), INTERVAL);
    assert.equal(h.metrics.value('sextant_sync_push_attempts_total', { outcome: 'ok' }), 2); // with the heartbeat
    assert.match(h.metrics.render(), /sextant_sync_pending_records 0/);
    assert.match(h.metrics.render(), /sextant_sync_last_success_timestamp_seconds \d+/);
    assert.equal((await h.client.pushOnce()).kind, 'idle');
  });

  test('a unit that was cut off catches up in bounded batches, oldest first, each continuing the last', async () => {
    const h = await harness({ client: { maxRecords: 400 } });
    // 1000 buckets over ~3.5 days (one ingest per bucket, "now" following).
    for (let i = 0; i < 1000; i++) ingest(h, [[M0 + 5 * i, 1, 1]]);
    let pushes = 0;
    for (;;) {
      const outcome = await h.client.pushOnce();
      if (outcome.kind === 'idle') break;
      assert.equal(outcome.kind, 'ok');
      pushes += 1;
      if (outcome.kind === 'ok') assert.equal(h.client.delayFor(outcome), outcome.more ? 0 : INTERVAL);
    }
    assert.equal(pushes, 3);
    for (const [i, push] of h.hub.pushes.entries()) {
      assert.ok(push.records.length <= 400);
      if (i > 0) assert.equal(push.afterSeq, h.hub.pushes[i - 1]!.throughSeq);
    }
    const starts = h.hub.pushes.flatMap((push) =>
      push.records.map((record) => record['startMinute'] as number),
    );
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
    assert.equal(h.hub.checksum(), exported(h));
  });

  test('a sequence gap (the hub was restored) resends everything the unit still has', async () => {
    const h = await harness();
    ingest(h, [[M0, 1, 1]]);
    await h.client.pushOnce();
    const mark = h.hub.ackedSeq;
    ingest(h, [[M0 + 5, 2, 2]]);
    await h.client.pushOnce();
    ingest(h, [[M0 + 10, 3, 3]]);
    // The hub comes back from a backup taken after the first push: the second is lost.
    h.hub.restore(mark);
    const gap = await h.client.pushOnce();
    assert.deepEqual(gap, { kind: 'gap', ackedSeq: mark });
    assert.equal(h.client.delayFor(gap), 0);
    assert.ok(h.logs.some((line) => line.level === 'warn' && /lost records/.test(line.message)));
    const done = await h.client.drain();
    assert.equal(done.kind, 'ok');
    assert.equal(h.hub.checksum(), exported(h));
    const held = h.hub.held().filter((record) => record.kind === 'counts');
    assert.equal(
      held.reduce((sum, record) => sum + (record.kind === 'counts' ? record.total : 0), 0),
      6,
    );
  });

  test('429 and 503 are retried after Retry-After, in seconds or as an HTTP date, and keep the data', async () => {
    const h = await harness();
    ingest(h, [[M0, 1, 1]]);
    h.hub.forcedPush.push({ status: 429, headers: { 'retry-after': '7' }, body: { error: 'busy' } });
    const throttled = await h.client.pushOnce();
    assert.deepEqual(throttled, { kind: 'throttled', status: 429, retryAfterMs: 7000 });
    assert.equal(h.client.delayFor(throttled), 7000);
    assert.equal(h.state.outbox!.pendingCount(), 1);
    const at = new Date(h.clock.ms + 90_000).toUTCString();
    h.hub.forcedPush.push({ status: 503, headers: { 'retry-after': at } });
    const unavailable = await h.client.pushOnce();
    assert.equal(h.client.delayFor(unavailable), 90_000);
    assert.equal((await h.client.pushOnce()).kind, 'ok');
    assert.equal(h.hub.checksum(), exported(h));
  });

  test('server and network errors back off with jitter between the interval and the cap', async () => {
    const h = await harness({ random: () => 0.999 });
    ingest(h, [[M0, 1, 1]]);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      h.hub.forcedPush.push(i % 2 === 0 ? { status: 500 } : 'network');
      const outcome = await h.client.pushOnce();
      assert.ok(['server_error', 'network_error'].includes(outcome.kind), outcome.kind);
      delays.push(h.client.delayFor(outcome));
    }
    assert.ok(
      delays.every((delay) => delay >= INTERVAL && delay <= CAP),
      delays.join(),
    );
    // With the jitter at its top the ceiling shows: it doubles, then stays at the cap.
    assert.ok(delays[0]! < delays[2]! && delays[2]! < delays[4]!, delays.join());
    assert.ok(delays[7]! > CAP * 0.99);
    assert.equal(h.client.status().consecutiveFailures, 8);
    assert.equal(h.state.outbox!.pendingCount(), 1);
    assert.equal((await h.client.pushOnce()).kind, 'ok');
    assert.equal(h.client.status().consecutiveFailures, 0);
  });

  test('a refused push (401) is logged with the hub message, keeps the data and is retried slowly', async () => {
    const h = await harness({ client: { token: async () => 'wrong' } });
    ingest(h, [[M0, 1, 1]]);
    const outcome = await h.client.pushOnce();
    assert.equal(outcome.kind, 'rejected');
    assert.equal(h.client.delayFor(outcome), CAP);
    const line = h.logs.find((entry) => entry.level === 'error');
    assert.ok(line);
    assert.match(String(line.fields['error']), /revoked/);
    assert.equal(h.state.outbox!.pendingCount(), 1);
  });

  test('a 413 halves the batch until it fits', async () => {
    const h = await harness({ client: { maxRecords: 100 } });
    for (let i = 0; i < 50; i++) ingest(h, [[M0 + 5 * i, 1, 1]]);
    h.hub.forcedPush.push({ status: 413, body: { error: 'too_large' } });
    assert.equal((await h.client.pushOnce()).kind, 'rejected');
    await h.client.pushOnce();
    assert.equal(h.hub.pushes[1]!.records.length, 50);
    assert.ok(h.hub.pushes[0]!.records.length === 50);
    h.hub.forcedPush.push({ status: 413, body: { error: 'too_large' } });
    for (let i = 0; i < 80; i++) ingest(h, [[M0 + 300 + 5 * i, 1, 1]]);
    await h.client.pushOnce();
    await h.client.pushOnce();
    assert.equal(h.hub.pushes.at(-1)!.records.length, 50);
  });

  test('nothing the export policy excludes ever appears in a request body', async () => {
    const policy: ExportPolicy = {
      kinds: ['counts', 'alert'],
      labels: { mode: 'drop', names: ['pod'] },
      dropFields: ['alert.summary'],
    };
    const h = await harness({ policy });
    ingest(h, [
      [M0, 1, 2, { job: 'a', pod: 'secret-pod-1' }],
      [M0 + 1, 3, 4, { job: 'a', pod: 'secret-pod-2' }],
    ]);
    const outbox = h.state.outbox!;
    assert.equal(outbox.markRecord({ kind: 'catalog', version: 'sha256:x', source: 'local' }), false);
    assert.equal(
      outbox.markRecord({ kind: 'slo_status', slo: 'api/batch', deleted: true }),
      false,
      'an excluded kind is never marked',
    );
    outbox.markRecord({
      kind: 'alert',
      slo: 'api/batch',
      alert: 'page-1h',
      state: 'firing',
      sinceMs: T0,
      severity: 'page',
      summary: 'secret-summary',
    });
    await h.client.drain();
    const text = h.hub.rawBodies.join('\n');
    assert.doesNotMatch(text, /secret/);
    assert.doesNotMatch(text, /"pod"/);
    assert.doesNotMatch(text, /slo_status|"catalog"/);
    assert.match(text, /"severity":"page"/);
    const counts = h.hub
      .held()
      .filter((record): record is Extract<SyncRecord, { kind: 'counts' }> => record.kind === 'counts');
    assert.deepEqual(
      counts.map((record) => [record.labels, record.good, record.total]),
      [[{ job: 'a' }, 4, 6]],
    );
    assert.equal(h.hub.checksum(), exported(h));
  });

  test('an outbox near its quota alerts and rolls its oldest counts up to hours without losing any', async () => {
    const h = await harness({ client: { quotaBytes: 30_000 } });
    // Two days of 5-minute buckets for two series while the hub is unreachable.
    for (let i = 0; i < 576; i++) {
      ingest(h, [
        [M0 + 5 * i, 1, 2],
        [M0 + 5 * i + 1, 1, 1, { job: 'b', pod: 'p2' }],
      ]);
    }
    const bytesBefore = h.state.outbox!.estimatedBytes();
    assert.ok(bytesBefore > 0.8 * 30_000, `${bytesBefore} bytes`);
    h.hub.forcedPush.push('network');
    assert.equal((await h.client.pushOnce()).kind, 'network_error');
    const check = h.quota.at(-1)!;
    assert.equal(check.firing, true);
    assert.equal(check.changed, true);
    assert.ok(check.rolledHours > 0);
    assert.ok(h.state.outbox!.estimatedBytes() < 0.75 * 30_000);
    assert.ok(h.logs.some((line) => /near its disk quota/.test(line.message)));
    await h.client.drain();
    const held = h.hub.held();
    const sum = (records: SyncRecord[]) =>
      records.reduce((total, record) => total + (record.kind === 'counts' ? record.total : 0), 0);
    // Per 5 minutes: 2 (series a) + 1 (series b), over 576 buckets.
    assert.equal(sum(held), 576 * 3);
    assert.ok(held.some((record) => record.kind === 'counts' && record.minutes === 60));
    assert.equal(h.hub.checksum(), exported(h));
    // Drained: the alert resolves at the next check.
    h.clock.ms += INTERVAL;
    assert.equal((await h.client.pushOnce()).kind, 'idle');
    assert.equal(h.quota.at(-1)!.firing, false);
    assert.equal(h.quota.at(-1)!.changed, true);
  });

  test('the loop schedules itself with injected timers and stops cleanly', async () => {
    const scheduled: { run: () => void; ms: number }[] = [];
    const h = await harness({
      client: {
        timers: {
          setTimeout: (run, ms) => scheduled.push({ run, ms }),
          clearTimeout: () => {},
        },
      },
    });
    ingest(h, [[M0, 1, 1]]);
    h.client.start();
    assert.equal(scheduled.length, 1);
    assert.equal(scheduled[0]!.ms, 0.5 * INTERVAL);
    scheduled[0]!.run();
    await h.client.stop();
    assert.equal(h.hub.pushes.length, 1);
    // Stopped: the cycle that finished did not schedule another.
    assert.equal(scheduled.length, 1);
  });
});
