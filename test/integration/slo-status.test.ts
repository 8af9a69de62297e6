/**
 * `sextant slo status` end to end, in-process: a catalog and a counts CSV on disk, the CLI's
 * own dispatch, the SQLite store and the SLO engine. Every expected number is worked out
 * by hand in the comments (SLO-MATH.md), not copied from a run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { StatusJson } from '../../src/cli/cmd-slo.ts';
import { runSextant } from '../support/cli.ts';

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: shop
spec:
  members: [ana]
  onCall:
    schedule: shop-primary
---
apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: checkout
spec:
  owner: shop
  tier: critical
  slis:
    - name: requests
      kind: ratio
      significantLabels: [route]
      bad: {selector: 'http_requests_total{job="checkout",code=~"5.."}'}
      total: {selector: 'http_requests_total{job="checkout"}'}
    - name: fast
      kind: events
  slos:
    - name: availability
      sli: requests
      objectivePercent: 99.9
      window: 28d
    - name: latency
      sli: fast
      objectivePercent: 99
      window: 7d
---
apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: payments
spec:
  owner: shop
  tier: critical
  slis:
    - name: charges
      kind: events
  slos:
    - name: charges
      sli: charges
      objectivePercent: 99
      window: 28d
---
apiVersion: sextant.dev/v1
kind: Journey
metadata:
  name: buy
spec:
  owner: shop
  parts:
    - sli: checkout/requests
      weight: 1
    - sli: payments/charges
      weight: 2
  slos:
    - name: success
      objectivePercent: 99.5
      window: 28d
`;

// checkout/requests over two routes: 1,000,000 requests, 400 bad.
//   old: 100 + 50 + 40 = 190 bad of 500,000 + 300,000 + 180,000 = 980,000
//   last hour: 11:30 /cart 10 bad of 10,000; 11:59 /pay 200 bad of 10,000
// payments/charges: 100 bad of 50,000 on Nov 10. checkout/fast: no rows at all.
// The last count is at 11:59, so the default evaluation instant is 2026-11-20T12:00Z and
// the 28-day window is [2026-10-23T12:00Z, 2026-11-20T12:00Z): every row is inside.
const COUNTS = `sli,labels,minute,good,total
checkout/requests,"{""route"":""/cart""}",2026-11-01T00:00Z,499900,500000
checkout/requests,"{""route"":""/pay""}",2026-11-10T00:00Z,299950,300000
payments/charges,,2026-11-10T00:00Z,49900,50000
checkout/requests,"{""route"":""/cart""}",2026-11-15T00:00Z,179960,180000
checkout/requests,"{""route"":""/cart""}",2026-11-20T11:30:00Z,9990,10000
checkout/requests,"{""route"":""/pay""}",2026-11-20T11:59Z,9800,10000
`;

const dir = mkdtempSync(join(tmpdir(), 'sextant-slo-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const catalogDir = join(dir, 'catalog');
const countsFile = join(dir, 'counts.csv');
mkdirSync(catalogDir);
writeFileSync(join(catalogDir, 'shop.yaml'), CATALOG);
writeFileSync(countsFile, COUNTS);

function writeCounts(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function statusJson(...extra: string[]): Promise<StatusJson> {
  const run = await runSextant(['slo', 'status', '--catalog', catalogDir, '--format', 'json', ...extra]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as StatusJson;
}

function slo(document: StatusJson, id: string) {
  const found = document.slos.find((s) => s.id === id);
  assert.ok(found, `no ${id} in the output`);
  return found;
}

describe('sextant slo status', () => {
  test('99.9% over 28d with 1,000,000 requests and 400 bad: 40% of the budget consumed, 60% left', async () => {
    const d = await statusJson('--counts', countsFile);
    assert.equal(d.at, '2026-11-20T12:00:00.000Z');
    assert.equal(d.atSource, 'counts');
    assert.deepEqual(d.counts, {
      file: countsFile,
      rows: 6,
      series: 3, // checkout/requests x {/cart, /pay}, payments/charges
      firstMinute: '2026-11-01T00:00:00.000Z',
      lastMinute: '2026-11-20T11:59:00.000Z',
    });
    const s = slo(d, 'checkout/availability');
    assert.equal(s.window.from, '2026-10-23T12:00:00.000Z');
    assert.deepEqual([s.good, s.total, s.bad], [999_600, 1_000_000, 400]);
    assert.equal(s.sliRatio, 0.9996); // 999,600 / 1,000,000
    // Budget e * T = 0.001 * 1,000,000 = 1,000 events; 400 consumed; 600 remain.
    assert.deepEqual(s.budget, {
      unit: 'events',
      total: 1000,
      consumed: 400,
      remaining: 600,
      consumedRatio: 0.4,
      remainingRatio: 0.6,
    });
    // Last hour [11:00, 12:00): 210 bad of 20,000 = 0.0105, burn 0.0105 / 0.001 = 10.5.
    assert.equal(s.burnRate1h, 10.5);
    // Time to exhaustion: 0.6 * 40,320 minutes / 10.5 = 2,304 minutes (1d14h24m).
    assert.equal(s.timeToExhaustionMinutes, 2304);
    assert.equal(s.budgetExhausted, false);
    assert.equal(s.trafficCessation, false);
  });

  test('burn rates per tier use the long and short windows and the 28-day factors', async () => {
    const s = slo(await statusJson('--counts', countsFile), 'checkout/availability');
    // Factors p * 28d / L: 0.02 * 672 = 13.44, 0.05 * 672 / 6 = 5.6, 0.1 * 28 = 2.8, 0.1 * 28 / 3 = 0.9333.
    // 5m [11:55, 12:00) holds only the 11:59 bucket: 200 / 10,000 / 0.001 = 20.
    // Every other window holds both recent buckets and nothing older (Nov 15 is > 3 days back): 10.5.
    assert.deepEqual(
      s.tiers.map((t) => [t.name, t.factor, t.longBurnRate, t.shortBurnRate, t.conditionMet]),
      [
        ['page-1h', 13.44, 10.5, 20, false], // 10.5 < 13.44
        ['page-6h', 5.6, 10.5, 10.5, true],
        ['ticket-1d', 2.8, 10.5, 10.5, true],
        ['ticket-3d', 0.933333333333, 10.5, 10.5, true],
      ],
    );
  });

  test('alert states are replayed minute by minute, so a condition true since 11:31 is pending since 11:31', async () => {
    const s = slo(await statusJson('--counts', countsFile), 'checkout/availability');
    // From 11:31 the 11:30 bucket (10 bad of 10,000: burn 1.0) is in the 3d and 6h windows:
    // 1.0 > 0.9333 with 10,000 >= 3,600 events, so ticket-3d turned pending at 11:31 and
    // needs 60 minutes to fire. page-6h and ticket-1d (factors 5.6, 2.8) only see the 11:59
    // bucket at 12:00: pending since 12:00.
    const alerts = Object.fromEntries(s.alerts.map((a) => [a.name, `${a.state} ${a.since}`]));
    assert.deepEqual(alerts, {
      'page-1h': 'inactive null',
      'page-6h': 'pending 2026-11-20T12:00:00.000Z',
      'ticket-1d': 'pending 2026-11-20T12:00:00.000Z',
      'ticket-3d': 'pending 2026-11-20T11:31:00.000Z',
      'budget-exhausted': 'inactive null',
      'traffic-cessation': 'inactive null',
    });
  });

  test('a journey weighs the counts of its parts, never the mean of their ratios', async () => {
    const s = slo(await statusJson('--counts', countsFile), 'buy/success');
    // G = 1 * 999,600 + 2 * 49,900 = 1,099,400; T = 1 * 1,000,000 + 2 * 50,000 = 1,100,000.
    assert.deepEqual([s.good, s.total, s.bad], [1_099_400, 1_100_000, 600]);
    // 1,099,400 / 1,100,000 = 0.99945454...; the mean of 0.9996 and 0.998 would be 0.9988.
    assert.equal(s.sliRatio, 0.999454545455);
    // e = 0.005: budget 5,500 weighted events, 600 consumed = 10.909 %.
    assert.equal(s.budget.total, 5500);
    assert.equal(s.budget.consumedRatio, 0.109090909091);
    // Last hour: 210 bad of 20,000 (payments had no recent traffic) = 0.0105 / 0.005 = 2.1.
    assert.equal(s.burnRate1h, 2.1);
    // 0.890909... * 40,320 / 2.1 = 17,105.45 minutes.
    assert.ok(Math.abs(s.timeToExhaustionMinutes! - 17_105.4545) < 0.001);
    assert.deepEqual(s.parts, [
      { sli: 'checkout/requests', weight: 1 },
      { sli: 'payments/charges', weight: 2 },
    ]);
  });

  test('an SLO without counts says "no data": nothing consumed, the whole budget left', async () => {
    const s = slo(await statusJson('--counts', countsFile), 'checkout/latency');
    assert.equal(s.sliRatio, null);
    assert.equal(s.total, 0);
    assert.equal(s.budget.consumedRatio, 0);
    assert.equal(s.budget.remainingRatio, 1);
    assert.equal(s.timeToExhaustionMinutes, null);
    assert.ok(s.tiers.every((t) => !t.enoughTraffic && t.longBurnRate === 0));
  });

  test('--at moves every window: at 11:45 the 11:59 bucket is in the future', async () => {
    const d = await statusJson(
      '--counts',
      countsFile,
      '--at',
      '2026-11-20T11:45Z',
      '--slo',
      'checkout/availability',
    );
    assert.equal(d.atSource, 'flag');
    assert.equal(d.slos.length, 1);
    const s = slo(d, 'checkout/availability');
    // 980,000 + 10,000 requests, 190 + 10 bad: budget 990 events, 200 / 990 = 20.2 % consumed.
    assert.deepEqual([s.total, s.bad, s.budget.total], [990_000, 200, 990]);
    assert.equal(s.budget.consumedRatio, 0.20202020202);
    // [10:45, 11:45): 10 bad of 10,000 = burn 1.0.
    assert.equal(s.burnRate1h, 1);
  });

  test('an overspent budget is reported below zero, fires budget-exhausted, and still exits 0', async () => {
    // payments/charges at 99 %: 2,000 bad of 100,000 is twice the 1,000-event budget.
    const file = writeCounts(
      'overspent.csv',
      'sli,labels,minute,good,total\npayments/charges,,2026-11-20T09:00Z,98000,100000\n',
    );
    const d = await statusJson('--counts', file, '--slo', 'payments/charges');
    const s = slo(d, 'payments/charges');
    assert.equal(s.budget.consumedRatio, 2);
    assert.equal(s.budget.remainingRatio, -1);
    assert.equal(s.budget.remaining, -1000);
    assert.equal(s.budgetExhausted, true);
    assert.equal(s.timeToExhaustionMinutes, 0);
    assert.equal(s.alerts.find((a) => a.name === 'budget-exhausted')?.state, 'firing');
  });

  test('the table shows the SLI, budget, burn rates and alerts of every SLO for people', async () => {
    const run = await runSextant(['slo', 'status', '--catalog', catalogDir, '--counts', countsFile]);
    assert.equal(run.code, 0, run.stderr);
    const line = (prefix: string) => run.stdout.split('\n').find((l) => l.startsWith(prefix)) ?? '';
    assert.match(
      line('checkout/availability '),
      /99\.960%\s+99\.9%\s+28d\s+occurrences\s+1,000\s+40\.00% \(400\)\s+60\.00% \(600\)\s+1d14h24m\s+page-6h pending/,
    );
    assert.match(line('checkout/latency '), /no data/);
    assert.match(
      run.stdout,
      /checkout\/availability\s+page-1h\s+page\s+13\.44\s+1h\s+10\.50\s+5m\s+20\.00\s+inactive/,
    );
    assert.match(run.stdout, /Evaluated at 2026-11-20T12:00:00\.000Z \(the minute after the last count in /);
  });

  test('a counts file with errors exits 1 and names each problem by line and column', async () => {
    const file = writeCounts(
      'bad.csv',
      [
        'sli,labels,minute,good,total',
        'checkout/requests,"{""route"":""/cart""}",2026-11-20T11:00Z,11,10',
        'checkout/requests,,2026-11-20T11:00:30Z,1,1',
        'checkout/request,"{""route"":""/cart""}",2026-11-20T11:00Z,1,1',
        '',
      ].join('\n'),
    );
    const run = await runSextant(['slo', 'status', '--catalog', catalogDir, '--counts', file]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    // Line 2: `checkout/requests` is columns 1-17, `,` 18, the quoted labels 19-41 (23 characters),
    // `,` 42, the minute 43-59, `,` 60: good starts at column 61.
    assert.ok(
      lines.includes(
        `${file}:2:61: error counts.value: good (11) exceeds total (10); good counts a subset of total`,
      ),
      run.stderr,
    );
    assert.ok(
      lines.some((l) => l.startsWith(`${file}:3:19: error counts.labels: missing label route`)),
      run.stderr,
    );
    assert.ok(
      lines.some((l) => l.startsWith(`${file}:3:20: error counts.minute:`)),
      run.stderr,
    );
    assert.ok(
      lines.includes(
        `${file}:4:1: error counts.sli: unknown SLI "checkout/request"; did you mean "checkout/requests"?`,
      ),
      run.stderr,
    );
    assert.equal(lines.at(-1), `${file}: 4 error(s); no SLO was evaluated`);
  });

  test('a missing counts file exits 1; usage mistakes exit 2', async () => {
    const missing = await runSextant([
      'slo',
      'status',
      '--catalog',
      catalogDir,
      '--counts',
      join(dir, 'nope.csv'),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.csv: cannot read: no such file/);
    const noCounts = await runSextant(['slo', 'status', '--catalog', catalogDir]);
    assert.equal(noCounts.code, 2);
    assert.match(noCounts.stderr, /--counts FILE is required/);
    const badAt = await runSextant([
      'slo',
      'status',
      '--catalog',
      catalogDir,
      '--counts',
      countsFile,
      '--at',
      'noon',
    ]);
    assert.equal(badAt.code, 2);
    assert.match(badAt.stderr, /--at must be an ISO 8601 instant/);
    const empty = writeCounts('empty.csv', 'sli,labels,minute,good,total\n');
    const noAt = await runSextant(['slo', 'status', '--catalog', catalogDir, '--counts', empty]);
    assert.equal(noAt.code, 2);
    assert.match(noAt.stderr, /has no rows; pass --at/);
  });

  test('an unknown --slo is refused with the closest SLO id', async () => {
    const run = await runSextant([
      'slo',
      'status',
      '--catalog',
      catalogDir,
      '--counts',
      countsFile,
      '--slo',
      'checkout/availabilty',
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /no SLO "checkout\/availabilty" in the catalog; did you mean "checkout\/availability"\?/,
    );
  });
});
