/**
 * The `NotificationQueue` conformance suite: the unit's SQLite queue runs it as the memory
 * reference does (ARCHITECTURE.md, principle 2). Test-only: import it from a backend's
 * `*.test.ts`, not from production code.
 *
 * @example describeNotificationQueueConformance('sqlite', async () => openSqliteNotificationQueue(':memory:'))
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewNotification, NotificationQueue } from './queue.ts';
import { firingNotice, MINUTE, refreshNotice, resolvedNotice, T0 } from './test-support.ts';

/** Creates a fresh, empty queue. */
export type MakeNotificationQueue = () => Promise<NotificationQueue>;

function entry(key: string, eventAtMs: number, overrides: Partial<NewNotification> = {}): NewNotification {
  return {
    key,
    receiver: 'am',
    stream: 'am|checkout/availability|page-1h',
    supersedes: true,
    eventAtMs,
    notice: refreshNotice((eventAtMs - T0) / MINUTE),
    ...overrides,
  };
}

function webhook(key: string, eventAtMs: number, stream = 'hook|page-1h'): NewNotification {
  return entry(key, eventAtMs, { receiver: 'hook', stream, supersedes: false });
}

/** Runs the suite against queues made by `make`. */
export function describeNotificationQueueConformance(name: string, make: MakeNotificationQueue): void {
  describe(`NotificationQueue conformance: ${name}`, () => {
    test('an enqueued entry is due at once and comes back as it went in', async () => {
      const q = await make();
      const notice = firingNotice();
      assert.deepEqual(await q.enqueue(entry('a', T0, { notice }), T0), {
        outcome: 'enqueued',
        replaced: [],
      });
      const due = await q.due(T0, 10);
      assert.equal(due.length, 1);
      assert.deepEqual(due[0], {
        key: 'a',
        receiver: 'am',
        stream: 'am|checkout/availability|page-1h',
        supersedes: true,
        eventAtMs: T0,
        notice,
        enqueuedAtMs: T0,
        attempts: 0,
        nextAttemptMs: T0,
        lastError: null,
      });
    });

    test('the same key is a duplicate while pending and after delivery', async () => {
      const q = await make();
      await q.enqueue(entry('a', T0), T0);
      assert.deepEqual(await q.enqueue(entry('a', T0), T0), { outcome: 'duplicate' });
      await q.markDelivered('a', T0 + 1);
      assert.deepEqual(await q.enqueue(entry('a', T0), T0 + 2), { outcome: 'duplicate' });
      assert.deepEqual(await q.due(T0 + 2, 10), []);
    });

    test('a dropped key stays known, so a replay does not resend what a receiver refused', async () => {
      const q = await make();
      await q.enqueue(entry('a', T0), T0);
      await q.markDropped('a', T0 + 1, 'HTTP 400');
      assert.deepEqual(await q.enqueue(entry('a', T0), T0 + 2), { outcome: 'duplicate' });
      assert.deepEqual(await q.stats(), { pending: 0, oldestPendingEnqueuedAtMs: null });
    });

    test('an entry older than what its stream already holds is stale, even once delivered', async () => {
      const q = await make();
      await q.enqueue(entry('new', T0 + 5 * MINUTE), T0);
      await q.markDelivered('new', T0);
      assert.deepEqual(await q.enqueue(entry('old', T0 + 4 * MINUTE), T0), { outcome: 'stale' });
      assert.equal((await q.enqueue(entry('same-time', T0 + 5 * MINUTE), T0)).outcome, 'enqueued');
    });

    test('a superseding entry replaces the pending one and keeps its backoff and age', async () => {
      const q = await make();
      await q.enqueue(entry('r1', T0), T0);
      await q.markFailed('r1', T0 + 4000, 'HTTP 503');
      const result = await q.enqueue(entry('r2', T0 + MINUTE), T0 + 2000);
      assert.deepEqual(result, { outcome: 'enqueued', replaced: ['r1'] });
      assert.deepEqual(await q.due(T0 + 3999, 10), []);
      const due = await q.due(T0 + 4000, 10);
      assert.deepEqual(
        due.map((d) => [d.key, d.enqueuedAtMs, d.attempts, d.nextAttemptMs, d.lastError]),
        [['r2', T0, 1, T0 + 4000, 'HTTP 503']],
      );
      assert.deepEqual(await q.enqueue(entry('r1', T0), T0 + 5000), { outcome: 'duplicate' });
      assert.deepEqual(await q.stats(), { pending: 1, oldestPendingEnqueuedAtMs: T0 });
    });

    test('a non-superseding stream delivers every entry, one at a time, in event order', async () => {
      const q = await make();
      await q.enqueue(webhook('firing', T0, 's'), T0);
      await q.enqueue(webhook('resolved', T0 + 10 * MINUTE, 's'), T0);
      await q.enqueue(webhook('other-alert', T0 + MINUTE, 't'), T0);
      assert.deepEqual((await q.due(T0, 10)).map((d) => d.key).sort(), ['firing', 'other-alert']);
      await q.markFailed('firing', T0 + 5000, 'HTTP 502');
      // The resolution waits behind the failed firing, although its own time has come.
      assert.deepEqual(
        (await q.due(T0 + 1000, 10)).map((d) => d.key),
        ['other-alert'],
      );
      await q.markDelivered('firing', T0 + 5000);
      assert.deepEqual(
        (await q.due(T0 + 5000, 10)).map((d) => d.key),
        ['resolved', 'other-alert'],
      );
    });

    test('due honours nextAttemptMs, returns the earliest first and at most limit', async () => {
      const q = await make();
      await q.enqueue(webhook('a', T0, 'a'), T0);
      await q.enqueue(webhook('b', T0, 'b'), T0);
      await q.enqueue(webhook('c', T0, 'c'), T0);
      await q.markFailed('a', T0 + 3000, 'x');
      await q.markFailed('b', T0 + 2000, 'x');
      await q.markFailed('c', T0 + 9000, 'x');
      assert.deepEqual(
        (await q.due(T0 + 1999, 10)).map((d) => d.key),
        [],
      );
      assert.deepEqual(
        (await q.due(T0 + 5000, 10)).map((d) => d.key),
        ['b', 'a'],
      );
      assert.deepEqual(
        (await q.due(T0 + 9000, 2)).map((d) => d.key),
        ['b', 'a'],
      );
    });

    test('markFailed counts attempts; marking a finished or unknown key changes nothing', async () => {
      const q = await make();
      await q.enqueue(entry('a', T0), T0);
      await q.markFailed('a', T0 + 1, 'one');
      await q.markFailed('a', T0 + 2, 'two');
      assert.deepEqual(
        (await q.due(T0 + 2, 1)).map((d) => [d.attempts, d.lastError]),
        [[2, 'two']],
      );
      await q.markDelivered('a', T0 + 3);
      await q.markFailed('a', T0 + 4, 'late');
      await q.markDropped('a', T0 + 4, 'late');
      await q.markDelivered('unknown', T0);
      assert.deepEqual(await q.due(T0 + 10, 10), []);
    });

    test('stats count pending entries and the oldest enqueue time', async () => {
      const q = await make();
      assert.deepEqual(await q.stats(), { pending: 0, oldestPendingEnqueuedAtMs: null });
      await q.enqueue(webhook('a', T0, 'a'), T0 + 100);
      await q.enqueue(webhook('b', T0, 'b'), T0 + 50);
      await q.enqueue(webhook('c', T0, 'c'), T0 + 200);
      await q.markDelivered('b', T0 + 300);
      assert.deepEqual(await q.stats(), { pending: 2, oldestPendingEnqueuedAtMs: T0 + 100 });
    });

    test('prune forgets finished entries before the cut-off, and only those', async () => {
      const q = await make();
      await q.enqueue(webhook('a', T0, 'a'), T0);
      await q.enqueue(webhook('b', T0, 'b'), T0);
      await q.enqueue(webhook('c', T0, 'c'), T0);
      await q.markDelivered('a', T0 + 1000);
      await q.markDropped('b', T0 + 5000, 'HTTP 404');
      assert.equal(await q.prune(T0 + 5000), 1);
      assert.deepEqual(await q.enqueue(webhook('a', T0, 'a'), T0 + 6000), {
        outcome: 'enqueued',
        replaced: [],
      });
      assert.deepEqual(await q.enqueue(webhook('b', T0, 'b'), T0 + 6000), { outcome: 'duplicate' });
      assert.deepEqual((await q.stats()).pending, 2);
    });

    test('a resolution notice round-trips with its nulls and numbers intact', async () => {
      const q = await make();
      const notice = resolvedNotice();
      await q.enqueue(entry('r', notice.atMs, { notice }), T0);
      assert.deepEqual((await q.due(T0, 1))[0]?.notice, notice);
    });
  });
}
