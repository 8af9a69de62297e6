import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../../test/support/fuzz.ts';
import { withTempDir } from '../../test/support/tmp.ts';
// Test-only: the shared suite and its fixtures are not part of notify's public surface.
import { describeNotificationQueueConformance } from '../notify/conformance.ts';
import {
  createDispatcher,
  type Dispatcher,
  MemoryNotificationQueue,
  type NewNotification,
  type NotificationQueue,
  type ReceiverConfig,
} from '../notify/index.ts';
import { firingNotice, MINUTE, refreshNotice, resolvedNotice, T0 } from '../notify/test-support.ts';
import { SqliteNotificationQueue } from './notification-queue.ts';

/** Opens a database as the unit's opener does: WAL, synchronous = FULL. */
function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
  return db;
}

const opened: DatabaseSync[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sextant-notify-queue-'));
after(() => {
  for (const db of opened) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function track(db: DatabaseSync): DatabaseSync {
  opened.push(db);
  return db;
}

describeNotificationQueueConformance(
  'sqlite :memory:',
  async () => new SqliteNotificationQueue(track(new DatabaseSync(':memory:'))),
);

let files = 0;
describeNotificationQueueConformance(
  'sqlite file (WAL, synchronous FULL)',
  async () => new SqliteNotificationQueue(track(openDatabase(join(dir, `queue-${files++}.db`)))),
);

function am(key: string, eventAtMs: number, stream = 'am|checkout'): NewNotification {
  return {
    key,
    receiver: 'am',
    stream,
    supersedes: true,
    eventAtMs,
    notice: refreshNotice((eventAtMs - T0) / MINUTE),
  };
}

function hook(key: string, eventAtMs: number, stream: string): NewNotification {
  return {
    key,
    receiver: 'hook',
    stream,
    supersedes: false,
    eventAtMs,
    notice: firingNotice({ atMs: eventAtMs }),
  };
}

describe('SqliteNotificationQueue: same answers as the memory reference', () => {
  test('entries of a stream with the same event time go out in enqueue order', async () => {
    const q = new SqliteNotificationQueue(track(new DatabaseSync(':memory:')));
    await q.enqueue(hook('other-stream', T0, 'other'), T0);
    await q.enqueue(hook('a', T0, 's'), T0);
    await q.enqueue(hook('b', T0, 's'), T0);
    assert.deepEqual(
      (await q.due(T0, 10)).map((d) => d.key),
      ['other-stream', 'a'],
    );
    await q.markDelivered('a', T0);
    assert.deepEqual(
      (await q.due(T0, 10)).map((d) => d.key),
      ['other-stream', 'b'],
    );
  });

  /** `target` names a key for the mark calls: the n-th most recently enqueued, or -1 for none. */
  type Command =
    | { op: 'enqueue'; entry: NewNotification; nowMs: number }
    | { op: 'due'; nowMs: number; limit: number }
    | { op: 'markDelivered'; target: number; nowMs: number }
    | { op: 'markFailed'; target: number; nextAttemptMs: number; error: string }
    | { op: 'markDropped'; target: number; nowMs: number; error: string }
    | { op: 'stats' }
    | { op: 'prune'; finishedBeforeMs: number };

  const key = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `k${i}`));
  const target = fc.integer({ min: -1, max: 3 });
  // Few distinct times, so ties (equal event, enqueue and attempt times) are common.
  const ms = fc.integer({ min: 0, max: 6 });
  const command: fc.Arbitrary<Command> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({
          key,
          stream: fc.constantFrom('s0', 's1', 's2'),
          supersedes: fc.boolean(),
          eventAtMs: fc.integer({ min: 0, max: 5 }),
          nowMs: ms,
          resolved: fc.boolean(),
        })
        .map(({ key, stream, supersedes, eventAtMs, nowMs, resolved }) => ({
          op: 'enqueue' as const,
          entry: {
            key,
            receiver: `r-${stream}`,
            stream,
            supersedes,
            eventAtMs,
            notice: resolved ? resolvedNotice({ atMs: eventAtMs }) : firingNotice({ atMs: eventAtMs }),
          },
          nowMs,
        })),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('due' as const),
        nowMs: ms,
        limit: fc.constantFrom(0, 1, 2, 3, 10, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN),
      }),
    },
    fc.record({ op: fc.constant('markDelivered' as const), target, nowMs: ms }),
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('markFailed' as const),
        target,
        nextAttemptMs: ms,
        error: fc.string(),
      }),
    },
    fc.record({ op: fc.constant('markDropped' as const), target, nowMs: ms, error: fc.string() }),
    fc.constant({ op: 'stats' as const }),
    fc.record({ op: fc.constant('prune' as const), finishedBeforeMs: fc.integer({ min: 0, max: 8 }) }),
  );

  function apply(q: NotificationQueue, c: Command, keyOf: (target: number) => string): Promise<unknown> {
    switch (c.op) {
      case 'enqueue':
        return q.enqueue(c.entry, c.nowMs);
      case 'due':
        return q.due(c.nowMs, c.limit);
      case 'markDelivered':
        return q.markDelivered(keyOf(c.target), c.nowMs);
      case 'markFailed':
        return q.markFailed(keyOf(c.target), c.nextAttemptMs, c.error);
      case 'markDropped':
        return q.markDropped(keyOf(c.target), c.nowMs, c.error);
      case 'stats':
        return q.stats();
      case 'prune':
        return q.prune(c.finishedBeforeMs);
    }
  }

  test('any sequence of calls gets the answers MemoryNotificationQueue gives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 60, size: 'large' }),
        async (commands) => {
          const db = new DatabaseSync(':memory:');
          try {
            const sqlite = new SqliteNotificationQueue(db);
            const memory = new MemoryNotificationQueue();
            const enqueued: string[] = [];
            const keyOf = (n: number) => (n < 0 ? 'never-enqueued' : (enqueued.at(-1 - n) ?? 'k0'));
            for (const [i, c] of commands.entries()) {
              if (c.op === 'enqueue') enqueued.push(c.entry.key);
              const expected = await apply(memory, c, keyOf);
              assert.deepEqual(await apply(sqlite, c, keyOf), expected, `command ${i}: ${c.op}`);
            }
          } finally {
            db.close();
          }
        },
      ),
      fuzzParameters(300),
    );
  });
});

describe('SqliteNotificationQueue: durability', () => {
  test('pending entries survive close and reopen with their attempts, next attempt and error', () =>
    withTempDir(async (tmp) => {
      const path = join(tmp, 'unit.db');
      const first = openDatabase(path);
      const q1 = new SqliteNotificationQueue(first);
      await q1.enqueue(am('r1', T0), T0);
      await q1.markFailed('r1', T0 + 4000, 'HTTP 503');
      await q1.enqueue(am('r2', T0 + MINUTE), T0 + 2000);
      await q1.enqueue(hook('firing', T0, 'hook|s'), T0);
      await q1.markFailed('firing', T0 + 5000, 'HTTP 502');
      await q1.markFailed('firing', T0 + 9000, 'HTTP 502');
      await q1.enqueue(hook('resolved', T0 + 10 * MINUTE, 'hook|s'), T0 + 3000);
      await q1.enqueue(hook('other', T0, 'hook|t'), T0);
      await q1.markDelivered('other', T0 + 1);
      first.close();

      const q2 = new SqliteNotificationQueue(track(openDatabase(path)));
      // r2 took over r1's age and backoff; `resolved` still waits behind `firing`.
      assert.deepEqual(
        (await q2.due(T0 + 10_000, 10)).map((d) => [
          d.key,
          d.enqueuedAtMs,
          d.attempts,
          d.nextAttemptMs,
          d.lastError,
        ]),
        [
          ['r2', T0, 1, T0 + 4000, 'HTTP 503'],
          ['firing', T0, 2, T0 + 9000, 'HTTP 502'],
        ],
      );
      assert.deepEqual(await q2.due(T0 + 3999, 10), []);
      assert.deepEqual((await q2.due(T0 + 4000, 1))[0]?.notice, refreshNotice(1));
      assert.deepEqual(await q2.stats(), { pending: 3, oldestPendingEnqueuedAtMs: T0 });
      // Dedup and stale detection remember what was finished before the restart.
      assert.deepEqual(await q2.enqueue(am('r1', T0), T0 + 20_000), { outcome: 'duplicate' });
      assert.deepEqual(await q2.enqueue(hook('other', T0, 'hook|t'), T0 + 20_000), { outcome: 'duplicate' });
      assert.deepEqual(await q2.enqueue(am('r0', T0 - MINUTE), T0 + 20_000), { outcome: 'stale' });
    }));

  test('a restarted queue and dispatcher deliver what was pending, exactly once', () =>
    withTempDir(async (tmp) => {
      const path = join(tmp, 'unit.db');
      const receivers: ReceiverConfig[] = [
        { kind: 'alertmanager', name: 'am', urls: ['http://am-0:9093'] },
        { kind: 'webhook', name: 'hook', url: 'https://hooks.example.com/sextant', format: 'json' },
      ];

      const down = new FakeNetwork(T0, 503);
      const first = openDatabase(path);
      const before = dispatcher(new SqliteNotificationQueue(first), receivers, down);
      await before.submit([firingNotice()]);
      assert.deepEqual(await before.deliverDue(), { attempted: 2, delivered: 0, retried: 2, dropped: 0 });
      first.close();

      // Restarted 30 s later with both receivers back.
      const up = new FakeNetwork(T0 + 30_000, 200);
      const second = openDatabase(path);
      const queue = new SqliteNotificationQueue(second);
      // With jitter 0 the first retry waits the policies' initial 1 s (Alertmanager), 5 s (webhook).
      assert.deepEqual(
        (await queue.due(up.nowMs, 10)).map((d) => [d.receiver, d.attempts, d.nextAttemptMs]),
        [
          ['am', 1, T0 + 1000],
          ['hook', 1, T0 + 5000],
        ],
      );
      const after = dispatcher(queue, receivers, up);
      assert.deepEqual(await after.deliverDue(), { attempted: 2, delivered: 2, retried: 0, dropped: 0 });
      assert.deepEqual(up.urls.sort(), [
        'http://am-0:9093/api/v2/alerts',
        'https://hooks.example.com/sextant',
      ]);
      assert.equal((await after.deliverDue()).attempted, 0);
      // The unit replaying its last evaluation after the restart sends nothing again.
      assert.deepEqual(await after.submit([firingNotice()]), {
        enqueued: 0,
        duplicates: 2,
        stale: 0,
        superseded: 0,
      });
      second.close();

      const third = track(openDatabase(path));
      const again = dispatcher(new SqliteNotificationQueue(third), receivers, up);
      assert.equal((await again.deliverDue()).attempted, 0);
      assert.equal(up.urls.length, 2);
    }));
});

describe('SqliteNotificationQueue: transactions', () => {
  function setup(path = ':memory:') {
    const db = track(path === ':memory:' ? new DatabaseSync(path) : openDatabase(path));
    // Stands for the count store's tables in the same file.
    db.exec('CREATE TABLE IF NOT EXISTS counts (n INTEGER NOT NULL)');
    const queue = new SqliteNotificationQueue(db);
    const counts = () => (db.prepare('SELECT count(*) AS n FROM counts').get() as { n: number }).n;
    return { db, queue, counts };
  }

  /** Makes any insert of key `boom` fail, after a superseding enqueue has finished the pending entry. */
  function failOnBoom(db: DatabaseSync): void {
    db.exec(`CREATE TEMP TRIGGER unit_notifications_boom BEFORE INSERT ON unit_notifications
      WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`);
  }

  test("a call inside the caller's transaction commits with it, in one commit with the caller's writes", () =>
    withTempDir(async (tmp) => {
      const path = join(tmp, 'unit.db');
      const { db, queue } = setup(path);
      db.exec('BEGIN IMMEDIATE');
      db.prepare('INSERT INTO counts (n) VALUES (1)').run();
      await queue.enqueue(am('a', T0), T0);
      assert.equal(db.isTransaction, true);
      // Another connection sees neither write before the commit, and both after it. Its queue
      // opens while this one holds the write lock: with the tables there, it needs no lock.
      const reader = track(openDatabase(path));
      const pending = () => new SqliteNotificationQueue(reader).stats().then((s) => s.pending);
      const readerCounts = () =>
        (reader.prepare('SELECT count(*) AS n FROM counts').get() as { n: number }).n;
      assert.deepEqual([await pending(), readerCounts()], [0, 0]);
      db.exec('COMMIT');
      assert.deepEqual([await pending(), readerCounts()], [1, 1]);
    }));

  test("a call inside the caller's transaction rolls back with it", async () => {
    const { db, queue, counts } = setup();
    await queue.enqueue(am('r1', T0), T0);
    db.exec('BEGIN');
    db.prepare('INSERT INTO counts (n) VALUES (1)').run();
    await queue.enqueue(am('r2', T0 + MINUTE), T0 + 1);
    await queue.markDelivered('r2', T0 + 2);
    db.exec('ROLLBACK');
    assert.equal(counts(), 0);
    assert.deepEqual(
      (await queue.due(T0, 10)).map((d) => d.key),
      ['r1'],
    );
  });

  test("a prune inside the caller's transaction rolls back with it", async () => {
    const { db, queue } = setup();
    await queue.enqueue(am('r1', T0), T0);
    await queue.markDelivered('r1', T0 + 1);
    db.exec('BEGIN');
    assert.equal(await queue.prune(T0 + 2), 1);
    db.exec('ROLLBACK');
    assert.deepEqual(await queue.enqueue(am('r1', T0), T0 + 3), { outcome: 'duplicate' });
  });

  test('a call that fails in its own transaction leaves nothing half done', async () => {
    const { db, queue } = setup();
    await queue.enqueue(am('r1', T0), T0);
    failOnBoom(db);
    await assert.rejects(queue.enqueue(am('boom', T0 + MINUTE), T0 + 1), /boom/);
    assert.equal(db.isTransaction, false);
    // The superseding UPDATE that ran before the failed INSERT was rolled back.
    assert.deepEqual(
      (await queue.due(T0, 10)).map((d) => d.key),
      ['r1'],
    );
  });

  test("a call that fails inside the caller's transaction undoes its own writes only", async () => {
    const { db, queue, counts } = setup();
    await queue.enqueue(am('r1', T0), T0);
    failOnBoom(db);
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT INTO counts (n) VALUES (1)').run();
    await assert.rejects(queue.enqueue(am('boom', T0 + MINUTE), T0 + 1), /boom/);
    assert.equal(db.isTransaction, true);
    assert.deepEqual(
      (await queue.due(T0, 10)).map((d) => d.key),
      ['r1'],
    );
    db.exec('COMMIT');
    assert.equal(counts(), 1);
    assert.deepEqual(await queue.stats(), { pending: 1, oldestPendingEnqueuedAtMs: T0 });
  });
});

describe('SqliteNotificationQueue: cost with many delivered rows', () => {
  const STREAMS = 500;
  const PER_STREAM = 200; // 500 firing alerts x 200 delivered refreshes = 100,000 finished rows

  /**
   * Finished rows as the queue leaves them (keys and streams as long as the dispatcher's JSON
   * arrays, the notice dropped), written in one statement: through the API, 100,000 enqueue and
   * markDelivered calls take about 10 s. The test checks below that the queue reads them as its own.
   */
  function fillDelivered(db: DatabaseSync): void {
    db.prepare(
      `WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < :rows - 1),
         r(n, stream, at) AS (
           SELECT n, json_array('am', 'eu-1', 'acme', 'svc-' || (n % CAST(:streams AS INTEGER)) || '/availability', 'page-1h'),
             CAST(:t0 AS INTEGER) + (n / CAST(:streams AS INTEGER)) * 60000 FROM i)
       INSERT INTO unit_notifications (key, receiver, stream, supersedes, event_at_ms, notice,
         enqueued_at_ms, attempts, next_attempt_ms, last_error, state, finished_at_ms)
       SELECT json_insert(stream, '$[#]', 'refresh', '$[#]', CAST(:t0 AS INTEGER), '$[#]', at), 'am', stream, 1, at, NULL,
         at, 0, at, NULL, 'delivered', at + 1000 FROM r`,
    ).run({ rows: STREAMS * PER_STREAM, streams: STREAMS, t0: T0 });
  }

  test('due reads only pending rows: 100,000 delivered rows do not slow it (the plan reads the pending index only), and prune removes them', () =>
    withTempDir(async (tmp) => {
      const db = track(openDatabase(join(tmp, 'unit.db')));
      db.exec('PRAGMA cache_size = -65536'); // as the count store sets it
      const queue = new SqliteNotificationQueue(db);
      fillDelivered(db);
      const lastMs = T0 + (PER_STREAM - 1) * MINUTE;
      const alert = (s: number) => ['am', 'eu-1', 'acme', `svc-${s}/availability`, 'page-1h'];
      const delivered = {
        ...am('', lastMs, JSON.stringify(alert(7))),
        key: JSON.stringify([...alert(7), 'refresh', T0, lastMs]),
      };
      assert.deepEqual(await queue.enqueue(delivered, lastMs), { outcome: 'duplicate' });
      assert.deepEqual(await queue.enqueue({ ...delivered, key: 'older', eventAtMs: lastMs - 1 }, lastMs), {
        outcome: 'stale',
      });
      // Pending: 50 webhook streams of 3 entries each; half of the heads are backing off.
      const nowMs = lastMs + MINUTE;
      for (let s = 0; s < 50; s++) {
        for (let i = 0; i < 3; i++)
          await queue.enqueue(hook(`hook|${s}|${i}`, nowMs + i, `hook|${s}`), nowMs);
        if (s % 2 === 1) await queue.markFailed(`hook|${s}|0`, nowMs + MINUTE, 'HTTP 503');
      }

      const plan = (
        db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT key FROM unit_notifications AS n
             WHERE n.state = 'pending' AND n.next_attempt_ms <= ?
               AND NOT EXISTS (SELECT 1 FROM unit_notifications AS e WHERE e.state = 'pending'
                 AND e.stream = n.stream AND (e.event_at_ms, e.seq) < (n.event_at_ms, n.seq))
             ORDER BY n.next_attempt_ms, n.seq LIMIT ?`,
          )
          .all(nowMs, 32) as { detail: string }[]
      ).map((row) => row.detail);
      // The queue's due() query: both sides read pending-only indexes, with no scan and no sort.
      assert.match(plan[0] ?? '', /^SEARCH n USING INDEX unit_notifications_pending_due/);
      assert.match(plan.at(-1) ?? '', /^SEARCH e USING COVERING INDEX unit_notifications_pending_stream/);
      assert.ok(!plan.some((d) => /^SCAN|TEMP B-TREE/.test(d)), plan.join('\n'));

      const due = await queue.due(nowMs, 32);
      assert.equal(due.length, 25);
      assert.ok(due.every((d) => d.key.endsWith('|0') && d.attempts === 0));
      // The plan above is the speed guarantee (index reads, no scan); timings belong in benchmarks.
      assert.equal(await queue.prune(nowMs), STREAMS * PER_STREAM);
      assert.deepEqual(await queue.stats(), { pending: 150, oldestPendingEnqueuedAtMs: nowMs });
      assert.equal((await queue.due(nowMs, 32)).length, 25);
      // Pruned keys are forgotten, and so are the stream's later events: both may be queued again.
      assert.deepEqual(await queue.enqueue(delivered, nowMs), { outcome: 'enqueued', replaced: [] });
    }));

  test('prune outside a transaction deletes in batches and yields to the event loop between them', async () => {
    const db = track(new DatabaseSync(':memory:'));
    const queue = new SqliteNotificationQueue(db);
    fillDelivered(db);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      assert.equal(await queue.prune(T0 + 100 * MINUTE), 100 * STREAMS);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'the event loop ran during prune');
    assert.equal(await queue.prune(T0 + PER_STREAM * MINUTE + 1000), 100 * STREAMS);
  });
});

/** A network that answers every POST with one status and records the URLs, at a fixed clock. */
class FakeNetwork {
  readonly urls: string[] = [];
  readonly nowMs: number;
  readonly #status: number;

  constructor(nowMs: number, status: number) {
    this.nowMs = nowMs;
    this.#status = status;
  }

  readonly clock = () => this.nowMs;

  readonly fetch = async (url: string): Promise<Response> => {
    this.urls.push(url);
    return new Response(null, { status: this.#status });
  };
}

function dispatcher(queue: NotificationQueue, receivers: ReceiverConfig[], net: FakeNetwork): Dispatcher {
  const created = createDispatcher({
    queue,
    receivers,
    clock: net.clock,
    fetch: net.fetch,
    random: () => 0,
    log: () => undefined,
  });
  if (!created.ok) throw new Error(JSON.stringify(created.issues));
  return created.value;
}
