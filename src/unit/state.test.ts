import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { buildCatalog } from '../catalog/index.ts';
import { compileIngestPlan, rawSeriesKey } from '../ingest/index.ts';
import { UnitState } from './state.ts';

const SERVICE = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {email: core@example.com}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: api}
spec:
  owner: core
  tier: high
  slis:
    - name: requests
      kind: ratio
      bad: {selector: 'http_requests_total{job="api",code=~"5.."}'}
      total: {selector: 'http_requests_total{job="api"}'}
  slos:
    - {name: requests, sli: requests, objectivePercent: 99}
`;

describe('UnitState role sums', () => {
  test('a late sample for a minute no longer kept in memory adds to its stored sums', () => {
    const built = buildCatalog([{ path: 'api.yaml', text: SERVICE }]);
    assert.ok(built.valid);
    const plan = compileIngestPlan(built.catalog);
    const opened = UnitState.open(':memory:');
    assert.ok(opened.ok);
    const state = opened.value;
    try {
      const t0 = Date.UTC(2026, 0, 1, 12, 0);
      const ok = { __name__: 'http_requests_total', job: 'api', code: '200' };
      const late = { __name__: 'http_requests_total', job: 'api', code: '500' };
      const feed = (labels: Record<string, string>, atMs: number, value: number) =>
        state.apply(plan, t0 + 60 * 60_000, (r) => r.series(labels, [{ timestampMs: atMs, value }]));
      feed(late, t0 - 60_000, 0); // baseline of the 5xx series, the minute before
      feed(ok, t0, 0);
      feed(ok, t0 + 30_000, 10); // minute 0: 10 requests
      // Twenty minutes later: minute 0 has left the in-memory sums.
      for (let m = 1; m <= 20; m++) feed(ok, t0 + m * 60_000, 10 + m);
      // A late sample: 2 errors in minute 0, 2 more requests of the total.
      feed(late, t0 + 40_000, 2);
      const minute = Math.floor(t0 / 60_000);
      const sums = state.sums('api/requests', {}, minute);
      // 10 requests of the 2xx series plus 2 of the 5xx series; 2 bad (hand count).
      assert.equal(sums?.total, 12);
      assert.equal(sums?.bad, 2);
      // The count store holds the derived bucket: good = total - bad.
      const bucket = state
        .reader()
        .series({ sli: 'api/requests', labels: {} })
        .sum(minute, minute + 1);
      assert.deepEqual({ good: bucket.good, total: bucket.total }, { good: 10, total: 12 });
    } finally {
      state.close();
    }
  });
});

describe('UnitState cursors', () => {
  const plan = () => {
    const built = buildCatalog([{ path: 'api.yaml', text: SERVICE }]);
    assert.ok(built.valid);
    return compileIngestPlan(built.catalog);
  };
  const t0 = Date.UTC(2026, 0, 1, 12, 0);
  const ok = { __name__: 'http_requests_total', job: 'api', code: '200' };
  const batch = [
    { timestampMs: t0 + 15_000, value: 20 },
    { timestampMs: t0 + 30_000, value: 35 },
  ];

  test('a batch retried after a restart is all duplicate: the history is stored with the cursor', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-state-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'unit.db');
    const p = plan();
    const first = UnitState.open(path);
    assert.ok(first.ok);
    first.value.apply(p, t0 + 60_000, (r) => r.series(ok, [{ timestampMs: t0, value: 10 }]));
    first.value.apply(p, t0 + 60_000, (r) => r.series(ok, batch));
    first.value.close(); // the answer was lost: the sender retries after the unit restarts
    const again = UnitState.open(path);
    assert.ok(again.ok);
    const state = again.value;
    try {
      const retry = state.apply(p, t0 + 60_000, (r) => r.series(ok, batch));
      assert.deepEqual([retry.outcomes.duplicate, retry.outcomes.out_of_order], [2, 0]);
      const minute = Math.floor(t0 / 60_000);
      // 10 + 15 = 25 requests, once.
      assert.equal(
        state
          .reader()
          .series({ sli: 'api/requests', labels: {} })
          .sum(minute, minute + 1).total,
        25,
      );
    } finally {
      state.close();
    }
  });

  test('a database from before cursor histories opens, and its cursors keep counting', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-state-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'unit.db');
    const created = UnitState.open(path);
    assert.ok(created.ok);
    created.value.close();
    const db = new DatabaseSync(path);
    db.exec(`DROP TABLE unit_cursors;
      CREATE TABLE unit_cursors (key TEXT PRIMARY KEY, ts INTEGER NOT NULL, value REAL NOT NULL) WITHOUT ROWID;`);
    db.prepare('INSERT INTO unit_cursors VALUES (?, ?, ?)').run(rawSeriesKey(ok), t0, 10);
    db.close();
    const opened = UnitState.open(path);
    assert.ok(opened.ok, !opened.ok ? opened.message : '');
    const state = opened.value;
    try {
      const counted = state.apply(plan(), t0 + 60_000, (r) => r.series(ok, batch));
      assert.equal(counted.outcomes.counted, 2, 'the stored cursor is the baseline');
      const retry = state.apply(plan(), t0 + 60_000, (r) => r.series(ok, batch));
      assert.equal(retry.outcomes.duplicate, 2);
    } finally {
      state.close();
    }
  });

  test('a series ended by a stale marker keeps its cursor for an hour, then it is pruned', () => {
    const opened = UnitState.open(':memory:');
    assert.ok(opened.ok);
    const state = opened.value;
    try {
      const p = plan();
      state.apply(p, t0 + 60_000, (r) =>
        r.series(ok, [
          { timestampMs: t0, value: 10 },
          { timestampMs: t0 + 15_000, value: Number.NaN, stale: true },
        ]),
      );
      assert.equal(state.trackedSeries, 1);
      state.pruneSums(t0 + 15_000 + 59 * 60_000);
      assert.equal(state.trackedSeries, 1, 'kept within the hour a retry could come in');
      state.pruneSums(t0 + 15_000 + 61 * 60_000);
      assert.equal(state.trackedSeries, 0);
    } finally {
      state.close();
    }
  });
});
