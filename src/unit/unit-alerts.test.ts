import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { createDispatcher, type Dispatcher, type Notice, type NotificationQueue } from '../notify/index.ts';
import { SqliteNotificationQueue } from './notification-queue.ts';
import { UnitAlerts, type UnitAlertUpdate } from './unit-alerts.ts';

const T0 = Date.UTC(2026, 10, 24, 10);
const MINUTE = 60_000;

interface Sent {
  url: string;
  body: unknown;
  headers: Record<string, string>;
}

/** One unit's notification path over `db`: its queue, dispatcher and unit alerts. */
function unitOver(
  db: DatabaseSync,
  clock: { now: number },
  sent: Sent[],
  answer: (url: string) => number = () => 200,
  submit?: (dispatcher: Dispatcher, notices: readonly Notice[]) => Promise<unknown>,
) {
  const queue: NotificationQueue = new SqliteNotificationQueue(db);
  const created = createDispatcher({
    queue,
    receivers: [
      { kind: 'alertmanager', name: 'am', urls: ['http://am-1:9093', 'http://am-2:9093'] },
      { kind: 'webhook', name: 'hook', url: 'http://hooks.test/x', format: 'json' },
    ],
    clock: () => clock.now,
    random: () => 0,
    log: () => {},
    fetch: async (url, init) => {
      sent.push({
        url,
        body: JSON.parse(String(init.body)),
        headers: init.headers as Record<string, string>,
      });
      return new Response(null, { status: answer(url) });
    },
  });
  assert.ok(created.ok);
  const dispatcher = created.value;
  const kv = db.prepare('CREATE TABLE IF NOT EXISTS kv (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
  kv.run();
  const get = db.prepare('SELECT value FROM kv WHERE name = ?');
  const put = db.prepare('INSERT OR REPLACE INTO kv (name, value) VALUES (?, ?)');
  const alerts = new UnitAlerts({
    submit: (notices) => (submit ? submit(dispatcher, notices) : dispatcher.submit(notices)),
    store: {
      getValue: (name) => (get.get(name) as { value: string } | undefined)?.value,
      setValue: (name, value) => {
        put.run(name, value);
      },
    },
    unit: { id: 'cell-1', environment: 'production' },
    now: () => clock.now,
    log: () => {},
  });
  return { dispatcher, alerts };
}

const nearQuota = (firing: boolean): UnitAlertUpdate => ({
  alertname: 'SextantOutboxNearQuota',
  severity: 'ticket',
  firing,
  summary: 'unit cell-1: replication outbox at 81% of its quota',
  description: 'details',
});

const webhookEvents = (sent: Sent[]) =>
  sent.filter((s) => s.url === 'http://hooks.test/x').map((s) => (s.body as { status: string }).status);
const amPosts = (sent: Sent[]) =>
  sent
    .filter((s) => s.url === 'http://am-1:9093/api/v2/alerts')
    .map((s) => (s.body as { labels: Record<string, string>; startsAt: string; endsAt: string }[])[0]!);

describe('unit alerts', () => {
  test('go through the queue to every Alertmanager and to webhooks as JSON', async () => {
    const db = new DatabaseSync(':memory:');
    const clock = { now: T0 };
    const sent: Sent[] = [];
    const { dispatcher, alerts } = unitOver(db, clock, sent, (url) => (url.includes('am-2') ? 500 : 200));
    await alerts.update(nearQuota(true));
    await dispatcher.deliverDue();
    assert.deepEqual(
      sent.map((s) => s.url),
      ['http://am-1:9093/api/v2/alerts', 'http://am-2:9093/api/v2/alerts', 'http://hooks.test/x'],
    );
    const [am] = amPosts(sent);
    assert.deepEqual(am!.labels, {
      alertname: 'SextantOutboxNearQuota',
      severity: 'ticket',
      unit: 'cell-1',
      environment: 'production',
    });
    // Firing unit alerts are valid for an hour unless refreshed: 10:00 + 1 h.
    assert.equal(am!.endsAt, '2026-11-24T11:00:00.000Z');
    const hook = sent[2]!;
    assert.equal((hook.body as { status: string }).status, 'firing');
    assert.equal(hook.headers['idempotency-key'], (hook.body as { id: string }).id);
    // One Alertmanager of the pair accepted: delivered, nothing left to retry.
    assert.equal((await dispatcher.metrics()).queueDepth, 0);
  });

  test('a delivery that fails is retried by the queue, not lost', async () => {
    const db = new DatabaseSync(':memory:');
    const clock = { now: T0 };
    const sent: Sent[] = [];
    let down = true;
    const { dispatcher, alerts } = unitOver(db, clock, sent, () => (down ? 503 : 200));
    await alerts.update(nearQuota(true));
    await dispatcher.deliverDue();
    assert.deepEqual(webhookEvents(sent), ['firing']);
    assert.equal((await dispatcher.metrics()).queueDepth, 2, 'both receivers wait for a retry');
    down = false;
    clock.now += 10 * MINUTE;
    await dispatcher.deliverDue();
    assert.deepEqual(webhookEvents(sent), ['firing', 'firing']);
    assert.equal((await dispatcher.metrics()).queueDepth, 0);
  });

  test('a restart neither announces a firing alert again nor forgets to resolve it', async () => {
    const db = new DatabaseSync(':memory:');
    const clock = { now: T0 };
    const sent: Sent[] = [];
    const before = unitOver(db, clock, sent);
    await before.alerts.update(nearQuota(true));
    await before.dispatcher.deliverDue();
    clock.now += 2 * MINUTE;
    await before.alerts.update(nearQuota(true)); // within the refresh interval: nothing new
    await before.dispatcher.deliverDue();
    assert.deepEqual(webhookEvents(sent), ['firing']);
    assert.equal(amPosts(sent).length, 1);

    // The process restarts over the same database.
    clock.now += MINUTE;
    const after = unitOver(db, clock, sent);
    await after.alerts.update(nearQuota(true));
    await after.dispatcher.deliverDue();
    assert.deepEqual(webhookEvents(sent), ['firing'], 'webhooks heard the firing once');
    const refreshed = amPosts(sent);
    assert.equal(refreshed.length, 2, 'Alertmanager is refreshed at once after the restart');
    assert.equal(refreshed[1]!.startsAt, '2026-11-24T10:00:00.000Z', 'the same episode');

    clock.now += MINUTE;
    await after.alerts.update(nearQuota(false));
    await after.dispatcher.deliverDue();
    assert.deepEqual(webhookEvents(sent), ['firing', 'resolved']);
    assert.equal(amPosts(sent).at(-1)!.endsAt, '2026-11-24T10:04:00.000Z');
    await after.alerts.update(nearQuota(false));
    await after.dispatcher.deliverDue();
    assert.deepEqual(webhookEvents(sent), ['firing', 'resolved'], 'resolved once');
  });

  test('an event queued before a crash kept it from being marked is queued once after the restart', async () => {
    const db = new DatabaseSync(':memory:');
    const clock = { now: T0 };
    const sent: Sent[] = [];
    // The queue takes the firing event, then the process dies before the episode says so.
    const crashing = unitOver(
      db,
      clock,
      sent,
      () => 200,
      async (dispatcher, notices) => {
        await dispatcher.submit(notices);
        throw new Error('killed');
      },
    );
    await assert.rejects(crashing.alerts.update(nearQuota(true)), /killed/);
    clock.now += MINUTE;
    const after = unitOver(db, clock, sent);
    await after.alerts.update(nearQuota(true));
    const summary = await after.dispatcher.metrics();
    assert.equal(summary.duplicates, 2, 'the same firing event for both receivers: already queued');
    await after.dispatcher.deliverDue();
    assert.deepEqual(webhookEvents(sent), ['firing']);
  });

  test('a firing alert nobody updates is refreshed by refreshFiring once the interval passed', async () => {
    const db = new DatabaseSync(':memory:');
    const clock = { now: T0 };
    const sent: Sent[] = [];
    const { dispatcher, alerts } = unitOver(db, clock, sent);
    await alerts.update(nearQuota(true));
    clock.now += 4 * MINUTE;
    await alerts.refreshFiring();
    await dispatcher.deliverDue();
    assert.equal(amPosts(sent).length, 1, 'not yet: 4 of 5 minutes');
    clock.now += MINUTE;
    await alerts.refreshFiring();
    await dispatcher.deliverDue();
    const posts = amPosts(sent);
    assert.equal(posts.length, 2);
    // Refreshed at 10:05, valid until 11:05.
    assert.equal(posts[1]!.endsAt, '2026-11-24T11:05:00.000Z');
    assert.deepEqual(webhookEvents(sent), ['firing'], 'webhooks get no refreshes');
  });
});
