import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog } from '../catalog/index.ts';
import {
  type BatchChanges,
  BatchReducer,
  compileIngestPlan,
  decodeCursor,
  encodeCursorHistory,
  type IngestPlan,
  isStaleMarker,
  type ReducerStateSource,
  type RoleSums,
  type SeriesCursor,
} from './index.ts';

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: t}
spec: {onCall: {email: t@example.com}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: api}
spec:
  owner: t
  tier: high
  slis:
    - name: availability
      kind: ratio
      significantLabels: [route]
      bad: {selector: 'http_requests_total{job="api",code=~"5.."}'}
      total: {selector: 'http_requests_total{job="api"}'}
    - name: latency
      kind: latency
      histogram: 'http_request_duration_seconds{job="api"}'
      satisfiedSeconds: 0.5
      toleratedSeconds: 2
    - name: lag
      kind: threshold
      gauge: {selector: 'replication_lag_seconds'}
      operator: '<='
      bound: 10
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9}
    - {name: latency, sli: latency, objectivePercent: 99}
    - {name: lag, sli: lag, objectivePercent: 99}
`;

function plan(): IngestPlan {
  const build = buildCatalog([{ path: 'c.yaml', text: CATALOG }]);
  assert.deepEqual(build.issues, []);
  return compileIngestPlan(build.catalog);
}

/** A store-like state that applies each batch's changes, as the unit does. */
class MemoryState implements ReducerStateSource {
  cursors = new Map<string, SeriesCursor>();
  roleSums = new Map<string, RoleSums>();
  buckets = new Map<string, { good: number; total: number }>();
  cursor(key: string) {
    return this.cursors.get(key);
  }
  sums(sli: string, labels: Record<string, string>, minute: number) {
    return this.roleSums.get(`${sli}|${JSON.stringify(labels)}|${minute}`);
  }
  apply(changes: BatchChanges) {
    for (const [key, cursor] of changes.cursors) {
      if (cursor === undefined) this.cursors.delete(key);
      else this.cursors.set(key, cursor);
    }
    for (const entry of changes.sums.values()) {
      this.roleSums.set(`${entry.sli}|${JSON.stringify(entry.labels)}|${entry.minute}`, entry.sums);
    }
    for (const b of changes.buckets) {
      this.buckets.set(`${b.sli}|${JSON.stringify(b.labels)}|${b.minute}`, { good: b.good, total: b.total });
    }
  }
  bucket(sli: string, labels: Record<string, string>, minute: number) {
    return this.buckets.get(`${sli}|${JSON.stringify(labels)}|${minute}`);
  }
}

const M = 29_000_000; // an epoch minute
const at = (minute: number, second: number) => (M + minute) * 60_000 + second * 1000;

function batch(p: IngestPlan, state: MemoryState, feed: (r: BatchReducer) => void): BatchChanges {
  const reducer = new BatchReducer(p, state);
  feed(reducer);
  const changes = reducer.changes();
  state.apply(changes);
  return changes;
}

describe('counters', () => {
  test('increments land in the minute of the later sample and sum to the exact increase', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    const bad = { ...total, code: '500' };
    batch(p, state, (r) => {
      // total: 100 (baseline) -> 160 -> 220 -> 280 (one sample every 20 s crossing a minute)
      r.series(total, [
        { timestampMs: at(0, 20), value: 100 },
        { timestampMs: at(0, 40), value: 160 },
        { timestampMs: at(1, 0), value: 220 },
        { timestampMs: at(1, 20), value: 280 },
      ]);
      r.series(bad, [
        { timestampMs: at(0, 20), value: 5 },
        { timestampMs: at(0, 40), value: 6 },
        { timestampMs: at(1, 0), value: 6 },
        { timestampMs: at(1, 20), value: 9 },
      ]);
    });
    // Minute 0: total 160-100 = 60 from the 200 series, bad 6-5 = 1 (the 500 series is part
    // of total too: its increase 1 adds to total). total = 61, bad = 1, good = 60.
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 60, total: 61 });
    // Minute 1: total (220-160)+(280-220) = 120, plus 500s (0)+(3) = 123; bad 3; good 120.
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M + 1), { good: 120, total: 123 });
  });

  test('a counter reset counts the new value as the increase', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    batch(p, state, (r) =>
      r.series(total, [
        { timestampMs: at(0, 0), value: 1000 },
        { timestampMs: at(0, 15), value: 1010 },
        { timestampMs: at(0, 30), value: 4 }, // restarted: 4 requests since
        { timestampMs: at(0, 45), value: 9 },
      ]),
    );
    // 10 + 4 + 5 = 19.
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 19, total: 19 });
  });

  test('a retried batch is a duplicate, counted once, and a changed value at the same time is a conflict', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    const samples = [
      { timestampMs: at(0, 0), value: 10 },
      { timestampMs: at(0, 30), value: 40 },
    ];
    batch(p, state, (r) => r.series(total, samples));
    const retry = batch(p, state, (r) => r.series(total, samples));
    assert.deepEqual(
      [retry.outcomes.duplicate, retry.outcomes.out_of_order, retry.outcomes.conflict],
      [2, 0, 0],
      'both samples were applied: both are duplicates',
    );
    // 40 - 10 = 30, once.
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 30, total: 30 });
    const conflict = batch(p, state, (r) => r.series(total, [{ timestampMs: at(0, 30), value: 41 }]));
    assert.equal(conflict.outcomes.conflict, 1);
    const olderConflict = batch(p, state, (r) => r.series(total, [{ timestampMs: at(0, 0), value: 11 }]));
    assert.equal(olderConflict.outcomes.conflict, 1, 'an older applied timestamp with another value');
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 30, total: 30 });
  });

  test('an older sample that was never applied is out of order and counts nothing', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    batch(p, state, (r) =>
      r.series(total, [
        { timestampMs: at(0, 0), value: 10 },
        { timestampMs: at(0, 30), value: 40 },
      ]),
    );
    // 0:15 lies between two applied samples and is not one of them: new, and late.
    const late = batch(p, state, (r) => r.series(total, [{ timestampMs: at(0, 15), value: 25 }]));
    assert.deepEqual([late.outcomes.out_of_order, late.outcomes.duplicate], [1, 0]);
    // Older than anything the series applied, alone in its request: also out of order.
    const older = batch(p, state, (r) => r.series(total, [{ timestampMs: at(-1, 0), value: 5 }]));
    assert.deepEqual([older.outcomes.out_of_order, older.outcomes.duplicate], [1, 0]);
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 30, total: 30 });
  });

  test('a retry of an older request after a newer one was applied is a duplicate', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    const send = (second: number, value: number) =>
      batch(p, state, (r) => r.series(total, [{ timestampMs: at(0, second), value }]));
    send(0, 100);
    send(15, 110); // its answer is lost
    send(30, 130);
    send(45, 160);
    const retried = send(15, 110);
    assert.deepEqual([retried.outcomes.duplicate, retried.outcomes.out_of_order], [1, 0]);
    // 10 + 20 + 30 = 60, once.
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 60, total: 60 });
  });

  test('a retried catch-up batch with more samples per series than a cursor remembers is all duplicate', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    // Twelve samples, 5 s apart, 1 request each: 11 increments of 1 after the baseline.
    const samples = Array.from({ length: 12 }, (_, i) => ({ timestampMs: at(0, 5 * i), value: 100 + i }));
    batch(p, state, (r) => r.series(total, samples));
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 11, total: 11 });
    const retry = batch(p, state, (r) => r.series(total, samples));
    assert.deepEqual(
      [retry.outcomes.duplicate, retry.outcomes.out_of_order, retry.outcomes.counted],
      [12, 0, 0],
    );
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 11, total: 11 });
    // The same old samples without the remembered tail are not a recognisable resend.
    const partial = batch(p, state, (r) => r.series(total, samples.slice(0, 4)));
    assert.deepEqual([partial.outcomes.duplicate, partial.outcomes.out_of_order], [0, 4]);
    // The cursor remembers 0:40 to 0:55. A run whose first remembered sample has another
    // value is no resend either: 0:00-0:35 are out of order, 0:40 is a conflict.
    const changed = batch(p, state, (r) =>
      r.series(total, [...samples.slice(0, 8), { timestampMs: at(0, 40), value: 999 }]),
    );
    assert.deepEqual(
      [changed.outcomes.duplicate, changed.outcomes.out_of_order, changed.outcomes.conflict],
      [0, 8, 1],
    );
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 11, total: 11 });
  });

  test('a retried batch that ended a series with a stale marker counts nothing again', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    const stale = new DataView(new ArrayBuffer(8));
    stale.setBigUint64(0, 0x7ff0000000000002n);
    batch(p, state, (r) => r.series(total, [{ timestampMs: at(0, 0), value: 10 }]));
    const ending = [
      { timestampMs: at(0, 15), value: 20 },
      { timestampMs: at(0, 30), value: 35 },
      { timestampMs: at(0, 45), value: stale.getFloat64(0) },
    ];
    batch(p, state, (r) => r.series(total, ending));
    // 10 + 15 = 25.
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 25, total: 25 });
    const retry = batch(p, state, (r) => r.series(total, ending));
    assert.deepEqual([retry.outcomes.duplicate, retry.outcomes.baseline, retry.outcomes.counted], [3, 0, 0]);
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 25, total: 25 });
    // The series comes back: its first sample after the marker is a new baseline.
    const back = batch(p, state, (r) => r.series(total, [{ timestampMs: at(1, 0), value: 3 }]));
    assert.equal(back.outcomes.baseline, 1);
    assert.equal(state.bucket('api/availability', { route: '/a' }, M + 1), undefined);
  });

  test('a cursor keeps its history through the store row it is saved in', () => {
    // Ended at 3000 (NaN), after 7 at 2000 and 5 at 1000.
    const cursor: SeriesCursor = [3000, Number.NaN, 2000, 7, 1000, 5];
    const bytes = encodeCursorHistory(cursor);
    assert.ok(bytes !== null);
    // The row's value column holds 0 for an ended cursor (SQLite cannot store NaN).
    assert.deepEqual(decodeCursor(3000, 0, bytes), cursor);
    assert.equal(encodeCursorHistory([1, 2]), null);
    assert.deepEqual(decodeCursor(1, 2, null), [1, 2]);
  });

  test('a cursor history is the float64s of every number after the timestamp, whatever its length', () => {
    const cursors: SeriesCursor[] = [
      [3000, Number.NaN],
      [3000, 4, 2000, 3],
      [3000, Number.NaN, 2000, 7, 1000, 5],
      [4000, 1.5, 3000, Number.NaN, 2000, -0, 1000, Number.POSITIVE_INFINITY],
    ];
    const encoded = cursors.map((cursor) => {
      const bytes = encodeCursorHistory(cursor);
      assert.ok(bytes !== null);
      return [...bytes]; // copied: the next call reuses the buffer
    });
    for (const [i, cursor] of cursors.entries()) {
      const expected = new Uint8Array(new Float64Array(cursor.slice(1)).buffer);
      assert.deepEqual(encoded[i], [...expected]);
    }
  });

  test('bad arriving in an earlier batch than total still yields exact buckets', () => {
    const p = plan();
    const state = new MemoryState();
    const ok = { __name__: 'http_requests_total', job: 'api', route: '/b', code: '200' };
    const bad = { ...ok, code: '503' };
    batch(p, state, (r) => {
      r.series(ok, [{ timestampMs: at(0, 0), value: 0 }]);
      r.series(bad, [{ timestampMs: at(0, 0), value: 0 }]);
    });
    batch(p, state, (r) => r.series(bad, [{ timestampMs: at(0, 30), value: 2 }]));
    // Interim: total 2 (the 503s), bad 2, good 0: valid, not negative.
    assert.deepEqual(state.bucket('api/availability', { route: '/b' }, M), { good: 0, total: 2 });
    batch(p, state, (r) => r.series(ok, [{ timestampMs: at(0, 30), value: 98 }]));
    assert.deepEqual(state.bucket('api/availability', { route: '/b' }, M), { good: 98, total: 100 });
  });

  test('a stale marker ends the series and the next sample is a fresh baseline', () => {
    const p = plan();
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    const stale = new DataView(new ArrayBuffer(8));
    stale.setBigUint64(0, 0x7ff0000000000002n);
    const staleNaN = stale.getFloat64(0);
    assert.equal(isStaleMarker(staleNaN), true);
    assert.equal(isStaleMarker(Number.NaN), false);
    batch(p, state, (r) =>
      r.series(total, [
        { timestampMs: at(0, 0), value: 10 },
        { timestampMs: at(0, 15), value: 20 },
        { timestampMs: at(0, 30), value: staleNaN },
        { timestampMs: at(0, 45), value: 500 },
      ]),
    );
    assert.deepEqual(state.bucket('api/availability', { route: '/a' }, M), { good: 10, total: 10 });
  });

  test('series of other jobs and other metrics are unmatched', () => {
    const changes = batch(plan(), new MemoryState(), (r) => {
      r.series({ __name__: 'http_requests_total', job: 'web', code: '200' }, [
        { timestampMs: at(0, 0), value: 1 },
      ]);
      r.series({ __name__: 'node_cpu_seconds_total', cpu: '0' }, [{ timestampMs: at(0, 0), value: 1 }]);
    });
    assert.equal(changes.outcomes.unmatched, 2);
    assert.deepEqual(changes.buckets, []);
  });
});

describe('histograms and gauges', () => {
  test('latency buckets give apdex counts and le="0.50" matches a 0.5 s threshold', () => {
    const p = plan();
    const state = new MemoryState();
    const base = { __name__: 'http_request_duration_seconds_bucket', job: 'api' };
    const feed = (r: BatchReducer, second: number, le05: number, le2: number, inf: number) => {
      r.series({ ...base, le: '0.50' }, [{ timestampMs: at(0, second), value: le05 }]);
      r.series({ ...base, le: '2.0' }, [{ timestampMs: at(0, second), value: le2 }]);
      r.series({ ...base, le: '+Inf' }, [{ timestampMs: at(0, second), value: inf }]);
      r.series({ ...base, le: '1' }, [{ timestampMs: at(0, second), value: 0 }]);
    };
    batch(p, state, (r) => feed(r, 0, 0, 0, 0));
    batch(p, state, (r) => feed(r, 30, 80, 95, 100));
    // satisfied 80, tolerated-only 95 - 80 = 15 count half: good = 80 + 7.5 = 87.5 of 100.
    assert.deepEqual(state.bucket('api/latency', {}, M), { good: 87.5, total: 100 });
  });

  test('a threshold SLI judges each minute by the worst sample', () => {
    const p = plan();
    const state = new MemoryState();
    const lag = { __name__: 'replication_lag_seconds', instance: 'db-1' };
    batch(p, state, (r) =>
      r.series(lag, [
        { timestampMs: at(0, 0), value: 2 },
        { timestampMs: at(0, 15), value: 11 },
        { timestampMs: at(0, 30), value: 3 },
        { timestampMs: at(1, 0), value: 9 },
        { timestampMs: at(1, 15), value: 10 },
      ]),
    );
    // Minute 0 peaked at 11 > 10: bad. Minute 1 peaked at 10 <= 10: good.
    assert.deepEqual(state.bucket('api/lag', {}, M), { good: 0, total: 1 });
    assert.deepEqual(state.bucket('api/lag', {}, M + 1), { good: 1, total: 1 });
  });
});

describe('SLIs another path records', () => {
  test('samples for an SLI the PromQL pull records count nothing and are owned_by_promql', () => {
    const build = buildCatalog([{ path: 'c.yaml', text: CATALOG }]);
    const p = compileIngestPlan(build.catalog, { pulled: (sli) => sli.id === 'api/availability' });
    const state = new MemoryState();
    const total = { __name__: 'http_requests_total', job: 'api', route: '/a', code: '200' };
    const lag = { __name__: 'replication_lag_seconds', instance: 'db-1' };
    const changes = batch(p, state, (r) => {
      r.series(total, [
        { timestampMs: at(0, 0), value: 10 },
        { timestampMs: at(0, 30), value: 40 },
      ]);
      r.series(lag, [{ timestampMs: at(0, 0), value: 2 }]);
    });
    assert.deepEqual([changes.outcomes.owned_by_promql, changes.outcomes.counted], [2, 1]);
    assert.equal(state.bucket('api/availability', { route: '/a' }, M), undefined);
    assert.deepEqual(state.bucket('api/lag', {}, M), { good: 1, total: 1 });
    // No cursor either: a pulled SLI costs the push path no memory.
    assert.equal(state.cursors.size, 1);
  });
});

describe('the plan', () => {
  test('names the metrics worth decoding so unrelated series can be skipped', () => {
    assert.deepEqual([...(plan().wantedMetrics ?? [])].sort(), [
      'http_request_duration_seconds_bucket',
      'http_requests_total',
      'replication_lag_seconds',
    ]);
  });
});
