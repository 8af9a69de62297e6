import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog } from '../catalog/index.ts';
import { compileIngestPlan } from '../ingest/index.ts';
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
