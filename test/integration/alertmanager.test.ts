/**
 * SLO alerts through the Dispatcher into a real Alertmanager (Debian's
 * `prometheus-alertmanager`, 0.25 on bookworm), routed to a webhook served by this test.
 *
 * The SLO engine evaluates a 99.9 % SLO at 2 % errors, which fires its page-1h tier; the
 * notices go to an HA set of two Alertmanager URLs, the first of which nobody listens on.
 * The test then reads the alert back with `GET /api/v2/alerts` (so Alertmanager accepted
 * the payload: it answers 400 to anything its OpenAPI schema or label rules refuse), waits
 * for the route to deliver it to the webhook, resolves it, and sees it resolved at both.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  alertNotices,
  createDispatcher,
  MemoryNotificationQueue,
  type NoticeContext,
  type NotifyLogRecord,
} from '../../src/notify/index.ts';
import {
  type AlertState,
  createPrefixSeries,
  evaluateSlo,
  type MinuteCounts,
  type SloDefinition,
} from '../../src/slo/index.ts';
import { ALERTMANAGER_PEER, type Peer, startAlertmanager } from '../support/peer-process.ts';
import { requirePeer } from '../support/peers.ts';
import { freePort } from '../support/prometheus.ts';

const MINUTE = 60_000;

/** What Alertmanager's webhook integration posts (payload version 4). */
interface AlertmanagerWebhook {
  version: string;
  status: 'firing' | 'resolved';
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
  }[];
}

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
  receivers: { name: string }[];
}

const DEFINITION: SloDefinition = {
  id: 'checkout/availability',
  objectiveRatio: 0.999,
  window: { kind: 'rolling', minutes: 30 * 1440 },
  budgeting: { method: 'occurrences' },
  alerting: {
    enabled: true,
    tiers: [
      {
        name: 'page-1h',
        severity: 'page',
        budgetShare: 0.02,
        longMinutes: 60,
        shortMinutes: 5,
        forMinutes: 0,
      },
    ],
    minEvents: 3600,
    budgetExhausted: false,
    trafficCessation: false,
  },
  maintenance: [],
};

const CONTEXT: NoticeContext = {
  unit: { id: 'it-unit', tenant: 'acme', environment: 'test' },
  slo: { id: 'checkout/availability', name: 'availability', objectiveRatio: 0.999, windowText: '30d' },
  service: 'checkout',
  team: { name: 'payments' },
  links: {
    runbookUrl: 'https://runbooks.example.com/checkout',
    sloUrl: 'http://sextant.test/slos/checkout%2Favailability',
  },
};

function minutes(from: number, to: number, good: number, total: number): MinuteCounts[] {
  const out: MinuteCounts[] = [];
  for (let minute = from; minute < to; minute++) out.push({ minute, good, total });
  return out;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an SLO page posted through the Dispatcher is held by Alertmanager, routed to its webhook, then resolved', async (t) => {
  const binary = await requirePeer(t, ALERTMANAGER_PEER);
  if (binary === undefined) return;

  const dir = await mkdtemp(join(tmpdir(), 'sextant-alertmanager-'));
  let peer: Peer | undefined;
  let hook: Server | undefined;
  t.after(async () => {
    if (peer !== undefined) await peer.stop();
    if (hook !== undefined) {
      hook.closeAllConnections();
      await new Promise((resolve) => hook?.close(resolve));
    }
    await rm(dir, { recursive: true, force: true });
  });

  // The webhook Alertmanager routes to.
  const received: AlertmanagerWebhook[] = [];
  hook = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push(JSON.parse(body) as AlertmanagerWebhook);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hook?.listen(0, '127.0.0.1', resolve));
  const hookPort = (hook.address() as AddressInfo).port;

  const deadPort = await freePort();
  const alertmanager = await startAlertmanager(binary, dir, `http://127.0.0.1:${hookPort}/alerts`);
  peer = alertmanager.peer;
  const base = alertmanager.baseUrl;

  // Evaluations ten minutes ago (fires: 2 % errors over the hour before) and at the current
  // minute (the last 5 minutes are clean, so it resolves). A firing alert stays valid for an
  // hour here, so the older evaluation is still live when it reaches Alertmanager.
  const nowMinute = Math.floor(Date.now() / MINUTE);
  const series = createPrefixSeries([
    ...minutes(nowMinute - 1440, nowMinute - 70, 100, 100),
    ...minutes(nowMinute - 70, nowMinute - 9, 98, 100),
    ...minutes(nowMinute - 9, nowMinute, 100, 100),
  ]);
  assert.ok(series.ok);
  const evaluate = (atMs: number, state: AlertState | undefined) => {
    const result = evaluateSlo(DEFINITION, series.value, atMs, state);
    assert.ok(result.ok);
    return result.value;
  };
  const firedAtMs = (nowMinute - 10) * MINUTE;
  const resolvedAtMs = nowMinute * MINUTE;
  const firing = evaluate(firedAtMs, undefined);
  const resolved = evaluate(resolvedAtMs, firing.alerts.state);

  const logs: NotifyLogRecord[] = [];
  const created = createDispatcher({
    queue: new MemoryNotificationQueue(),
    receivers: [{ kind: 'alertmanager', name: 'am', urls: [`http://127.0.0.1:${deadPort}`, base] }],
    firingValidForMs: 60 * MINUTE,
    timeoutMs: 5000,
    log: (record) => logs.push(record),
  });
  assert.ok(created.ok);
  const dispatcher = created.value;
  t.after(() => dispatcher.stop());

  // Firing.
  const fired = alertNotices(firing, undefined, CONTEXT);
  assert.deepEqual(
    fired.map((n) => n.event),
    ['firing'],
  );
  await dispatcher.submit(fired);
  assert.deepEqual(await dispatcher.deliverDue(), { attempted: 1, delivered: 1, retried: 0, dropped: 0 });
  assert.deepEqual(logs, []);

  const expectedLabels = {
    alertname: 'SextantSloBurnRate',
    sextant_slo: 'checkout/availability',
    service: 'checkout',
    team: 'payments',
    severity: 'page',
    tier: 'page-1h',
    window: '1h',
    unit: 'it-unit',
    tenant: 'acme',
    environment: 'test',
  };
  const filter = `filter=${encodeURIComponent('sextant_slo="checkout/availability"')}`;
  const active = (await (await fetch(`${base}/api/v2/alerts?${filter}`)).json()) as GettableAlert[];
  assert.equal(active.length, 1);
  const held = active[0]!;
  assert.deepEqual(held.labels, expectedLabels);
  assert.equal(held.status.state, 'active');
  assert.deepEqual(
    held.receivers.map((r) => r.name),
    ['hook'],
  );
  assert.equal(Date.parse(held.startsAt), firedAtMs);
  assert.equal(Date.parse(held.endsAt), firedAtMs + 60 * MINUTE);
  assert.equal(held.annotations['runbook_url'], 'https://runbooks.example.com/checkout');
  assert.match(held.annotations['summary'] ?? '', /^checkout\/availability: error budget burning 20\.0x/);

  const firingHook = await until('the firing notification at the webhook', async () =>
    received.find((p) => p.status === 'firing'),
  );
  assert.equal(firingHook.version, '4');
  assert.deepEqual(firingHook.alerts[0]?.labels, expectedLabels);
  assert.equal(Date.parse(firingHook.alerts[0]?.startsAt ?? ''), firedAtMs);

  // Resolved.
  const cleared = alertNotices(resolved, firing.alerts.state, CONTEXT);
  assert.deepEqual(
    cleared.map((n) => [n.event, n.startsAtMs, n.resolvedAtMs]),
    [['resolved', firedAtMs, resolvedAtMs]],
  );
  await dispatcher.submit(cleared);
  assert.equal((await dispatcher.deliverDue()).delivered, 1);

  const resolvedHook = await until('the resolved notification at the webhook', async () =>
    received.find((p) => p.status === 'resolved'),
  );
  assert.deepEqual(resolvedHook.alerts[0]?.labels, expectedLabels);
  assert.equal(resolvedHook.alerts[0]?.status, 'resolved');
  assert.equal(Date.parse(resolvedHook.alerts[0]?.endsAt ?? ''), resolvedAtMs);
  // Alertmanager lists active alerts only: the resolved one is gone.
  const after = (await (await fetch(`${base}/api/v2/alerts?${filter}`)).json()) as GettableAlert[];
  assert.deepEqual(after, []);

  const metrics = await dispatcher.metrics();
  assert.deepEqual(metrics.receivers['am'], { delivered: 2, failed: 0, retried: 0, dropped: 0 });
  assert.equal(metrics.queueDepth, 0);
});
