import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AlertNotice,
  createDispatcher,
  type Dispatcher,
  type DispatcherOptions,
  MemoryNotificationQueue,
  type NotificationQueue,
  type NotifyLogRecord,
  notifyMetricsText,
  type ReceiverConfig,
  toAlertmanagerAlert,
  toSlackMessage,
  toWebhookPayload,
} from './index.ts';
import { firingNotice, MINUTE, refreshNotice, resolvedNotice, T0 } from './test-support.ts';

interface Call {
  url: string;
  atMs: number;
  headers: Record<string, string>;
  body: unknown;
}

type Reply = Response | Error | 'hang';

/** A network that answers from `reply(url)` and records what was posted, at which clock time. */
class FakeNetwork {
  calls: Call[] = [];
  nowMs = T0;
  reply: (url: string) => Reply = () => new Response(null, { status: 200 });

  readonly clock = () => this.nowMs;

  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    this.calls.push({
      url,
      atMs: this.nowMs,
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: JSON.parse(String(init.body)),
    });
    const reply = this.reply(url);
    if (reply === 'hang') {
      return new Promise((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }
    if (reply instanceof Error) throw reply;
    return reply;
  };

  urls(): string[] {
    return this.calls.map((c) => c.url);
  }
}

const AM = 'http://am-0:9093';
const AM_ALERTS = 'http://am-0:9093/api/v2/alerts';
const AM2_ALERTS = 'http://am-1:9093/api/v2/alerts';
const HOOK = 'https://hooks.example.com/sextant';

function refused(): Error {
  return new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 10.0.0.1:9093') });
}

function status(code: number, headers: Record<string, string> = {}): Response {
  return new Response(code === 204 ? null : `status ${code}`, { status: code, headers });
}

interface Setup {
  net: FakeNetwork;
  queue: NotificationQueue;
  logs: NotifyLogRecord[];
  dispatcher: Dispatcher;
}

function setup(
  receivers: ReceiverConfig[] = [{ kind: 'alertmanager', name: 'am', urls: [AM] }],
  options: Partial<DispatcherOptions> = {},
  shared?: { net?: FakeNetwork; queue?: NotificationQueue },
): Setup {
  const net = shared?.net ?? new FakeNetwork();
  const queue = shared?.queue ?? new MemoryNotificationQueue();
  const logs: NotifyLogRecord[] = [];
  const created = createDispatcher({
    queue,
    receivers,
    clock: net.clock,
    fetch: net.fetch,
    random: () => 0,
    log: (record) => logs.push(record),
    ...options,
  });
  if (!created.ok) throw new Error(JSON.stringify(created.issues));
  return { net, queue, logs, dispatcher: created.value };
}

async function submitAndDeliver(d: Dispatcher, notices: AlertNotice[]) {
  const submitted = await d.submit(notices);
  const delivered = await d.deliverDue();
  return { submitted, delivered };
}

describe('Dispatcher: what is posted', () => {
  test('Alertmanager gets POST /api/v2/alerts with a one-alert JSON array and the configured headers', async () => {
    const { net, dispatcher } = setup([
      { kind: 'alertmanager', name: 'am', urls: [AM], headers: { authorization: 'Bearer am-token' } },
    ]);
    await submitAndDeliver(dispatcher, [firingNotice()]);
    assert.equal(net.calls.length, 1);
    const call = net.calls[0]!;
    assert.equal(call.url, AM_ALERTS);
    assert.equal(call.headers['content-type'], 'application/json');
    assert.equal(call.headers['authorization'], 'Bearer am-token');
    assert.deepEqual(call.body, [toAlertmanagerAlert(firingNotice())]);
  });

  test('a JSON webhook gets the versioned body and an idempotency key; a Slack one gets text and blocks', async () => {
    const { net, dispatcher } = setup([
      { kind: 'webhook', name: 'json', url: HOOK, format: 'json' },
      { kind: 'webhook', name: 'slack', url: 'https://hooks.slack.com/services/T/B/X', format: 'slack' },
    ]);
    await submitAndDeliver(dispatcher, [firingNotice()]);
    const byUrl = new Map(net.calls.map((c) => [c.url, c]));
    assert.deepEqual(byUrl.get(HOOK)?.body, toWebhookPayload(firingNotice()));
    assert.equal(byUrl.get(HOOK)?.headers['idempotency-key'], toWebhookPayload(firingNotice()).id);
    assert.deepEqual(
      byUrl.get('https://hooks.slack.com/services/T/B/X')?.body,
      toSlackMessage(firingNotice()),
    );
  });
});

describe('Dispatcher: retries', () => {
  test('a 503 is retried after 1, 2, 4 ... seconds, capped at 5 minutes', async () => {
    const { net, dispatcher } = setup();
    net.reply = () => status(503);
    await submitAndDeliver(dispatcher, [firingNotice()]);
    // Waits 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300 s: attempts at their running sums.
    const expectedSeconds = [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 811, 1111];
    for (const seconds of expectedSeconds.slice(1)) {
      net.nowMs = T0 + seconds * 1000 - 1;
      await dispatcher.deliverDue();
      net.nowMs = T0 + seconds * 1000;
      await dispatcher.deliverDue();
    }
    assert.deepEqual(
      net.calls.map((c) => (c.atMs - T0) / 1000),
      expectedSeconds,
    );
    const metrics = await dispatcher.metrics();
    assert.deepEqual(metrics.receivers['am'], { delivered: 0, failed: 12, retried: 12, dropped: 0 });
    assert.equal(metrics.queueDepth, 1);
    assert.equal(metrics.oldestPendingAgeSeconds, 1111);
  });

  test('a 400 is permanent: dropped at once with a logged error, never retried', async () => {
    const { net, dispatcher, logs } = setup();
    net.reply = () => status(400);
    const { delivered } = await submitAndDeliver(dispatcher, [firingNotice()]);
    assert.deepEqual(delivered, { attempted: 1, delivered: 0, retried: 0, dropped: 1 });
    net.nowMs += 3_600_000;
    await dispatcher.deliverDue();
    assert.equal(net.calls.length, 1);
    assert.deepEqual(
      logs.map((l) => [l.level, l.receiver, l.message]),
      [['error', 'am', 'notification dropped: rejected: am-0:9093: HTTP 400: status 400']],
    );
    assert.deepEqual((await dispatcher.metrics()).receivers['am'], {
      delivered: 0,
      failed: 1,
      retried: 0,
      dropped: 1,
    });
  });

  test('408 and 429 are retried like a 5xx, not dropped like other 4xx', async () => {
    for (const code of [408, 429, 500, 502]) {
      const { net, dispatcher } = setup();
      net.reply = () => status(code);
      const { delivered } = await submitAndDeliver(dispatcher, [firingNotice()]);
      assert.deepEqual(delivered, { attempted: 1, delivered: 0, retried: 1, dropped: 0 }, `HTTP ${code}`);
    }
  });

  test('Retry-After delays the retry beyond the backoff, and is capped', async () => {
    const { net, dispatcher } = setup([{ kind: 'alertmanager', name: 'am', urls: [AM] }], {
      maxRetryAfterMs: 600_000,
    });
    net.reply = () => status(429, { 'retry-after': '120' });
    await submitAndDeliver(dispatcher, [firingNotice()]);
    net.nowMs = T0 + 119_999;
    await dispatcher.deliverDue();
    assert.equal(net.calls.length, 1);
    net.reply = () => status(503, { 'retry-after': '86400' });
    net.nowMs = T0 + 120_000;
    await dispatcher.deliverDue();
    assert.equal(net.calls.length, 2);
    // A day was asked for; the cap is 10 minutes.
    net.nowMs = T0 + 120_000 + 600_000 - 1;
    await dispatcher.deliverDue();
    assert.equal(net.calls.length, 2);
    net.nowMs = T0 + 120_000 + 600_000;
    net.reply = () => status(200);
    await dispatcher.deliverDue();
    assert.equal(net.calls.length, 3);
    assert.equal((await dispatcher.metrics()).queueDepth, 0);
  });

  test('a request that hangs times out and is retried', async () => {
    const { net, dispatcher, logs } = setup([{ kind: 'alertmanager', name: 'am', urls: [AM] }], {
      timeoutMs: 20,
    });
    net.reply = () => 'hang';
    const { delivered } = await submitAndDeliver(dispatcher, [firingNotice()]);
    assert.deepEqual(delivered, { attempted: 1, delivered: 0, retried: 1, dropped: 0 });
    assert.equal(logs[0]?.error, 'am-0:9093: timed out after 20 ms');
    net.reply = () => status(200);
    net.nowMs = T0 + 1000;
    assert.equal((await dispatcher.deliverDue()).delivered, 1);
  });

  test('a refused connection is retried, and the log names the cause but not the URL credentials', async () => {
    const { net, dispatcher, logs } = setup([
      { kind: 'alertmanager', name: 'am', urls: ['http://user:secret@am-0:9093'] },
    ]);
    net.reply = () => refused();
    await submitAndDeliver(dispatcher, [firingNotice()]);
    assert.equal(logs[0]?.error, 'am-0:9093: fetch failed (connect ECONNREFUSED 10.0.0.1:9093)');
    assert.doesNotMatch(JSON.stringify(logs), /secret/);
  });

  test('a webhook is given up once its event is older than the max age, with a logged error', async () => {
    const { net, dispatcher, logs } = setup([
      { kind: 'webhook', name: 'hook', url: HOOK, format: 'json', maxAgeMs: 60_000 },
    ]);
    net.reply = () => status(503);
    await submitAndDeliver(dispatcher, [firingNotice()]);
    // Webhook waits 5, 10, 20, 40 s: attempts at 0, 5, 15, 35, 75 s; the one at 75 s is past 60 s.
    for (const seconds of [5, 15, 35, 75, 155, 1000]) {
      net.nowMs = T0 + seconds * 1000;
      await dispatcher.deliverDue();
    }
    assert.deepEqual(
      net.calls.map((c) => (c.atMs - T0) / 1000),
      [0, 5, 15, 35, 75],
    );
    const last = logs.at(-1);
    assert.equal(last?.level, 'error');
    assert.equal(last?.attempts, 5);
    assert.match(
      last?.message ?? '',
      /^notification dropped: gave up after 5 attempts over 75 s \(max age 60 s\): HTTP 503/,
    );
    assert.deepEqual((await dispatcher.metrics()).receivers['hook'], {
      delivered: 0,
      failed: 5,
      retried: 4,
      dropped: 1,
    });
  });

  test('Alertmanager is still retried after 6 days down, because the page must not be lost', async () => {
    const { net, dispatcher } = setup();
    net.reply = () => refused();
    await submitAndDeliver(dispatcher, [resolvedNotice()]);
    for (let t = 0; t <= 6 * 1440; t += 5) {
      net.nowMs = T0 + t * MINUTE;
      await dispatcher.deliverDue();
    }
    net.reply = () => status(200);
    net.nowMs += 5 * MINUTE;
    assert.equal((await dispatcher.deliverDue()).delivered, 1);
    assert.equal((await dispatcher.metrics()).receivers['am']?.dropped, 0);
  });
});

describe('Dispatcher: Alertmanager HA set', () => {
  test('one Alertmanager down: both are posted to, and the alert counts as delivered', async () => {
    const { net, dispatcher } = setup([{ kind: 'alertmanager', name: 'am', urls: [AM, 'http://am-1:9093'] }]);
    net.reply = (url) => (url === AM_ALERTS ? refused() : status(200));
    const { delivered } = await submitAndDeliver(dispatcher, [firingNotice()]);
    assert.deepEqual(delivered, { attempted: 1, delivered: 1, retried: 0, dropped: 0 });
    assert.deepEqual(net.urls().sort(), [AM_ALERTS, AM2_ALERTS]);
  });

  test('all down is retried; one refusing with 400 while another is down is retried too', async () => {
    const { net, dispatcher } = setup([{ kind: 'alertmanager', name: 'am', urls: [AM, 'http://am-1:9093'] }]);
    net.reply = (url) => (url === AM_ALERTS ? status(400) : status(503));
    const { delivered } = await submitAndDeliver(dispatcher, [firingNotice()]);
    assert.deepEqual(delivered, { attempted: 1, delivered: 0, retried: 1, dropped: 0 });
  });

  test('every Alertmanager refusing with 4xx drops the alert', async () => {
    const { net, dispatcher } = setup([{ kind: 'alertmanager', name: 'am', urls: [AM, 'http://am-1:9093'] }]);
    net.reply = () => status(422);
    const { delivered } = await submitAndDeliver(dispatcher, [firingNotice()]);
    assert.deepEqual(delivered, { attempted: 1, delivered: 0, retried: 0, dropped: 1 });
  });

  test('the retry waits for the soonest peer: one without Retry-After wins over one asking for 10 minutes', async () => {
    const { net, dispatcher } = setup([{ kind: 'alertmanager', name: 'am', urls: [AM, 'http://am-1:9093'] }]);
    net.reply = (url) => (url === AM_ALERTS ? status(503, { 'retry-after': '600' }) : refused());
    await submitAndDeliver(dispatcher, [firingNotice()]);
    net.nowMs = T0 + 1000;
    await dispatcher.deliverDue();
    assert.equal(net.calls.length, 4);
  });
});

describe('Dispatcher: dedup and order', () => {
  test('the same state submitted twice is delivered once; a firing refresh is posted again', async () => {
    const { net, dispatcher } = setup([
      { kind: 'alertmanager', name: 'am', urls: [AM] },
      { kind: 'webhook', name: 'hook', url: HOOK, format: 'json' },
    ]);
    const first = await dispatcher.submit([firingNotice(), firingNotice()]);
    assert.deepEqual(first, { enqueued: 2, duplicates: 2, stale: 0, superseded: 0 });
    await dispatcher.deliverDue();
    assert.deepEqual(net.urls().sort(), [AM_ALERTS, HOOK]);
    // After delivery, the same state again is still one delivery.
    assert.equal((await dispatcher.submit([firingNotice()])).duplicates, 2);
    await dispatcher.deliverDue();
    assert.equal(net.calls.length, 2);
    // The next evaluation's refresh goes to Alertmanager only: a webhook hears each event once.
    const refresh = await submitAndDeliver(dispatcher, [refreshNotice(1)]);
    assert.deepEqual(refresh.submitted, { enqueued: 1, duplicates: 0, stale: 0, superseded: 0 });
    assert.equal(net.calls.length, 3);
    assert.equal(net.calls[2]?.url, AM_ALERTS);
    assert.deepEqual(net.calls.at(-1)?.body, [toAlertmanagerAlert(refreshNotice(1))]);
    assert.equal((await dispatcher.metrics()).duplicates, 4);
  });

  test('while Alertmanager is down, newer states replace the pending post: one post of the latest when it is back', async () => {
    const { net, dispatcher } = setup();
    net.reply = () => refused();
    await submitAndDeliver(dispatcher, [firingNotice()]);
    for (const minute of [1, 2, 3]) {
      net.nowMs = T0 + minute * MINUTE;
      const { submitted } = await submitAndDeliver(dispatcher, [refreshNotice(minute)]);
      assert.equal(submitted.superseded, 1);
    }
    const metrics = await dispatcher.metrics();
    assert.equal(metrics.queueDepth, 1);
    assert.equal(metrics.superseded, 3);
    // The replacement kept the backoff and the age of the first undelivered post.
    assert.equal(metrics.oldestPendingAgeSeconds, 180);
    net.reply = () => status(200);
    const before = net.calls.length;
    net.nowMs = T0 + 10 * MINUTE;
    await submitAndDeliver(dispatcher, [resolvedNotice()]);
    assert.equal(net.calls.length, before + 1);
    assert.deepEqual(net.calls.at(-1)?.body, [toAlertmanagerAlert(resolvedNotice())]);
  });

  test('a webhook hears firing before resolved, even when the firing had to be retried', async () => {
    const { net, dispatcher } = setup([{ kind: 'webhook', name: 'hook', url: HOOK, format: 'json' }]);
    net.reply = () => status(503);
    await submitAndDeliver(dispatcher, [firingNotice()]);
    net.nowMs = T0 + 1000;
    net.reply = () => status(200);
    // The resolution is due at once, but waits behind the firing (due at T0 + 5 s).
    await submitAndDeliver(dispatcher, [resolvedNotice()]);
    assert.equal(net.calls.length, 1);
    net.nowMs = T0 + 5000;
    await dispatcher.deliverDue();
    assert.deepEqual(
      net.calls.map((c) => (c.body as { event: string }).event),
      ['firing', 'firing', 'resolved'],
    );
  });

  test('a replayed older evaluation after a resolution is stale and posts nothing', async () => {
    const { net, dispatcher } = setup();
    await submitAndDeliver(dispatcher, [firingNotice()]);
    await submitAndDeliver(dispatcher, [resolvedNotice()]);
    const replay = await submitAndDeliver(dispatcher, [refreshNotice(5)]);
    assert.deepEqual(replay.submitted, { enqueued: 0, duplicates: 0, stale: 1, superseded: 0 });
    assert.equal(net.calls.length, 2);
  });
});

describe('Dispatcher: restart', () => {
  test('a new dispatcher over the same queue delivers what was pending, exactly once', async () => {
    const queue = new MemoryNotificationQueue();
    const receivers: ReceiverConfig[] = [
      { kind: 'alertmanager', name: 'am', urls: [AM] },
      { kind: 'webhook', name: 'hook', url: HOOK, format: 'slack' },
    ];
    const before = setup(receivers, {}, { queue });
    before.net.reply = () => status(503);
    await submitAndDeliver(before.dispatcher, [firingNotice()]);
    assert.equal(before.net.calls.length, 2);

    const net = new FakeNetwork();
    net.nowMs = T0 + 30_000;
    const after = setup(receivers, {}, { queue, net });
    const delivered = await after.dispatcher.deliverDue();
    assert.deepEqual(delivered, { attempted: 2, delivered: 2, retried: 0, dropped: 0 });
    assert.deepEqual(net.urls().sort(), [AM_ALERTS, HOOK]);
    // Nothing more to send, and the unit replaying its last evaluation changes nothing.
    assert.equal((await after.dispatcher.deliverDue()).attempted, 0);
    assert.deepEqual(await after.dispatcher.submit([firingNotice()]), {
      enqueued: 0,
      duplicates: 2,
      stale: 0,
      superseded: 0,
    });
    await after.dispatcher.deliverDue();
    assert.equal(net.calls.length, 2);
  });

  test('an entry whose receiver was removed from the configuration is dropped with a logged error', async () => {
    const queue = new MemoryNotificationQueue();
    const before = setup([{ kind: 'webhook', name: 'old', url: HOOK, format: 'json' }], {}, { queue });
    before.net.reply = () => refused();
    await submitAndDeliver(before.dispatcher, [firingNotice()]);
    const net = new FakeNetwork();
    net.nowMs = T0 + MINUTE;
    const after = setup([{ kind: 'alertmanager', name: 'am', urls: [AM] }], {}, { queue, net });
    assert.equal((await after.dispatcher.deliverDue()).dropped, 1);
    assert.equal(net.calls.length, 0);
    assert.deepEqual(
      after.logs.map((l) => [l.level, l.message]),
      [['error', 'notification dropped: receiver old is no longer configured']],
    );
  });
});

describe('Dispatcher: configuration and metrics', () => {
  test('bad URLs, empty HA sets and duplicate names are reported, not thrown', () => {
    const created = createDispatcher({
      queue: new MemoryNotificationQueue(),
      receivers: [
        { kind: 'alertmanager', urls: [] },
        { kind: 'alertmanager', name: 'x', urls: ['ftp://am:21'] },
        { kind: 'webhook', name: 'x', url: 'not a url', format: 'json' },
      ],
    });
    assert.equal(created.ok, false);
    if (created.ok) return;
    assert.deepEqual(
      created.issues.map((i) => [i.code, i.path.join('.')]),
      [
        ['invalid_value', 'receivers.0.urls'],
        ['invalid_url', 'receivers.1.urls.0'],
        ['invalid_url', 'receivers.2.url'],
        ['duplicate_receiver', 'receivers.2.name'],
      ],
    );
  });

  test('unnamed receivers get stable names from their URLs', () => {
    const make = () =>
      setup([{ kind: 'alertmanager', urls: [AM, 'http://am-1:9093'] }]).dispatcher.receiverNames;
    assert.deepEqual(make(), make());
    assert.match(make()[0] ?? '', /^alertmanager-[0-9a-f]{10}$/);
  });

  test('metrics render in the Prometheus text format', async () => {
    const { net, dispatcher } = setup();
    net.reply = () => status(503);
    await submitAndDeliver(dispatcher, [firingNotice()]);
    net.nowMs = T0 + 90_000;
    assert.equal(
      notifyMetricsText(await dispatcher.metrics()),
      [
        '# HELP sextant_notify_delivered_total Notifications a receiver accepted.',
        '# TYPE sextant_notify_delivered_total counter',
        'sextant_notify_delivered_total{receiver="am"} 0',
        '# HELP sextant_notify_failed_total Delivery attempts that failed.',
        '# TYPE sextant_notify_failed_total counter',
        'sextant_notify_failed_total{receiver="am"} 1',
        '# HELP sextant_notify_retried_total Failed attempts rescheduled with backoff.',
        '# TYPE sextant_notify_retried_total counter',
        'sextant_notify_retried_total{receiver="am"} 1',
        '# HELP sextant_notify_dropped_total Notifications given up: rejected, too old, or receiver gone.',
        '# TYPE sextant_notify_dropped_total counter',
        'sextant_notify_dropped_total{receiver="am"} 0',
        '# HELP sextant_notify_duplicates_total Notifications not queued because the same state was already queued or sent.',
        '# TYPE sextant_notify_duplicates_total counter',
        'sextant_notify_duplicates_total 0',
        '# HELP sextant_notify_stale_total Notifications not queued because a newer state of the alert was known.',
        '# TYPE sextant_notify_stale_total counter',
        'sextant_notify_stale_total 0',
        '# HELP sextant_notify_superseded_total Pending Alertmanager posts replaced by a newer state.',
        '# TYPE sextant_notify_superseded_total counter',
        'sextant_notify_superseded_total 0',
        '# HELP sextant_notify_queue_depth Notifications waiting for delivery.',
        '# TYPE sextant_notify_queue_depth gauge',
        'sextant_notify_queue_depth 1',
        '# HELP sextant_notify_oldest_pending_age_seconds Age of the oldest undelivered notification; 0 when none.',
        '# TYPE sextant_notify_oldest_pending_age_seconds gauge',
        'sextant_notify_oldest_pending_age_seconds 90',
        '',
      ].join('\n'),
    );
  });

  test('concurrent deliverDue calls never post the same entry twice', async () => {
    const { net, dispatcher } = setup();
    await dispatcher.submit([firingNotice()]);
    const results = await Promise.all([
      dispatcher.deliverDue(),
      dispatcher.deliverDue(),
      dispatcher.deliverDue(),
    ]);
    assert.deepEqual(
      results.map((r) => r.delivered),
      [1, 0, 0],
    );
    assert.equal(net.calls.length, 1);
  });

  test('start delivers in the background until stop', async () => {
    const { net, dispatcher } = setup();
    await dispatcher.submit([firingNotice()]);
    dispatcher.start(5);
    for (let i = 0; i < 100 && net.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await dispatcher.stop();
    assert.equal(net.calls.length, 1);
  });
});
