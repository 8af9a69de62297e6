import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { CountReader, CountWrite, SeriesKey } from '../types.ts';
import { openSqliteCountStore, type SqliteCountStore, type SqliteCountStoreOptions } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sextant-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `counts-${n++}.db`);

function open(options: SqliteCountStoreOptions): SqliteCountStore {
  const opened = openSqliteCountStore(options);
  if (!opened.ok) assert.fail(JSON.stringify(opened.issues));
  return opened.value;
}

const T0 = Date.UTC(2026, 10, 1) / 60_000;
const key = { sli: 'checkout/requests', labels: { route: '/api' } };
const write = (minute: number, good: number, total: number): CountWrite => ({ ...key, minute, good, total });

/** Sums of the windows of a status at `now` (5m .. 3d and 28d), as the engine asks for them. */
function status(reader: CountReader, series: SeriesKey, now: number): { good: number; total: number }[] {
  const view = reader.series(series);
  return [5, 30, 60, 90, 120, 360, 1440, 4320, 40_320].map((minutes) => view.sum(now - minutes, now));
}

describe('SQLite count store', () => {
  test('a file store applies WAL, synchronous FULL, 8 KiB pages and incremental auto-vacuum', () => {
    const store = open({ path: fresh() });
    try {
      const s = store.settings();
      assert.equal(s['journal_mode'], 'wal');
      assert.equal(s['synchronous'], 2); // FULL
      assert.equal(s['page_size'], 8192);
      assert.equal(s['auto_vacuum'], 2); // INCREMENTAL
    } finally {
      store.closeSync();
    }
  });

  test('the page cache is 8 MiB unless pageCacheBytes says otherwise', () => {
    // SQLite reads a negative cache_size as KiB: 8 MiB is -8192.
    const byDefault = open({ path: fresh() });
    const small = open({ path: fresh(), pageCacheBytes: 1 << 20 });
    try {
      assert.equal(byDefault.settings()['cache_size'], -8192);
      assert.equal(small.settings()['cache_size'], -1024);
    } finally {
      byDefault.closeSync();
      small.closeSync();
    }
  });

  test('counts survive closing and reopening the file', async () => {
    const path = fresh();
    const first = open({ path });
    await first.put([write(T0, 9, 10), write(T0 + 61, 1, 2)]);
    first.closeSync();
    const second = open({ path });
    try {
      assert.deepEqual((await second.reader()).series(key).sum(T0, T0 + 120), { good: 10, total: 12 });
      assert.equal((await second.listSeries()).length, 1);
    } finally {
      second.closeSync();
    }
  });

  test('commits of another connection are seen by the next reader, not served from a stale cache', async () => {
    const path = fresh();
    const a = open({ path, durability: 'normal' });
    const b = open({ path, durability: 'normal' });
    try {
      await a.put([write(T0, 1, 1)]);
      const before = (await a.reader()).series(key);
      assert.deepEqual(before.sum(T0, T0 + 5), { good: 1, total: 1 }); // now cached in a
      await b.put([write(T0 + 1, 2, 2)]);
      assert.deepEqual((await a.reader()).series(key).sum(T0, T0 + 5), { good: 3, total: 3 });
      // A view handed out before the other commit reads the fresh data too.
      assert.deepEqual(before.sum(T0, T0 + 5), { good: 3, total: 3 });
      // Writes of a after b's are based on b's rows, not on a's stale picture.
      await a.put([write(T0 + 2, 4, 4)]);
      assert.deepEqual((await b.reader()).series(key).sum(T0, T0 + 5), { good: 7, total: 7 });
    } finally {
      a.closeSync();
      b.closeSync();
    }
  });

  test('a database written by a newer schema is refused with an issue, not opened', () => {
    const path = fresh();
    const db = new DatabaseSync(path);
    db.exec('PRAGMA user_version = 99');
    db.close();
    const opened = openSqliteCountStore({ path });
    assert.equal(opened.ok, false);
    if (!opened.ok) assert.match(opened.issues[0]!.message, /schema 99 is newer/);
  });

  test('inconsistent options are issues', () => {
    const opened = openSqliteCountStore({
      path: ':memory:',
      retention: { minuteRetentionMinutes: 90, hourRetentionMinutes: 60 },
      cacheHours: 0,
      pageCacheBytes: -1,
      durability: 'sometimes' as 'full',
    });
    assert.equal(opened.ok, false);
    if (opened.ok) return;
    assert.deepEqual(opened.issues.map((i) => i.path.join('.')).sort(), [
      'cacheHours',
      'durability',
      'minuteRetentionMinutes',
      'pageCacheBytes',
    ]);
  });

  test('a dense append then a late correction keeps every later hour right', async () => {
    const store = open({ path: ':memory:' });
    try {
      // Three days of 1 good of 2 per minute: 4,320 minutes.
      const minutes = 3 * 1440;
      await store.putDense([
        {
          ...key,
          startMinute: T0,
          good: new Float64Array(minutes).fill(1),
          total: new Float64Array(minutes).fill(2),
        },
      ]);
      const series = (await store.reader()).series(key);
      assert.deepEqual(series.sum(T0, T0 + minutes), { good: 4320, total: 8640 });
      // Day 1 10:00 becomes 0 of 100: +98 total, -1 good over any window containing it.
      await store.put([write(T0 + 1440 + 600, 0, 100)]);
      assert.deepEqual(series.sum(T0 + 1440, T0 + minutes), { good: 2879, total: 5858 });
      assert.deepEqual(series.sum(T0 + 2 * 1440, T0 + minutes), { good: 1440, total: 2880 });
    } finally {
      store.closeSync();
    }
  });

  test('a status one minute after a write is served from the cache the write corrected', async () => {
    const store = open({ path: ':memory:' });
    try {
      // Two days of 1 good of 2 per minute, a status at 10:30 of day 2, then minute 10:30 is
      // written (9 of 10) and a late correction lands in 09:15 (0 of 4 instead of 1 of 2).
      const minutes = 2 * 1440;
      await store.putDense([
        {
          ...key,
          startMinute: T0,
          good: new Float64Array(minutes).fill(1),
          total: new Float64Array(minutes).fill(2),
        },
      ]);
      const now = T0 + 1440 + 630;
      const reader = store.readerSync();
      status(reader, key, now);
      await store.put([write(now, 9, 10), write(now - 75, 0, 4)]);
      // Rows deleted behind the store's back (same connection: it cannot notice) read as
      // nothing; the status at 10:31 must still see every minute, so it reads no row.
      store.database.exec('DELETE FROM hours');
      const after = status(reader, key, now + 1);
      // Windows end at 10:31. 5m: 10:26-10:29 at 1/2 plus 10:30's 9/10 -> 13 of 18; 30m: 29 x
      // 1/2 + 9/10 -> 38 of 68; 1h: 59 x 1/2 + 9/10 -> 68 of 128; 90m starts at 09:01, so it
      // holds 09:15: 88 x 1/2 + 0/4 + 9/10 -> 97 of 190.
      assert.deepEqual(after.slice(0, 4), [
        { good: 13, total: 18 },
        { good: 38, total: 68 },
        { good: 68, total: 128 },
        { good: 97, total: 190 },
      ]);
      // 28d holds minutes 0 .. 2,070 (day 2, 10:30): 2,069 x 1/2 + 0/4 + 9/10 -> good 2,069 + 9
      // = 2,078, total 4,138 + 4 + 10 = 4,152.
      assert.deepEqual(after[8], { good: 2078, total: 4152 });
    } finally {
      store.closeSync();
    }
  });

  test('reads through a warm cache equal fresh reads bit for bit, whatever was written since', async () => {
    // Counts that are not halves round differently in every order of additions: equality
    // here means a corrected cache entry holds exactly what a fresh read computes.
    const countsArb = fc
      .tuple(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([total, share]) => [total * share, total] as const);
    const span = 8 * 60;
    const opArb = fc.oneof(
      fc.array(
        fc
          .tuple(fc.integer({ min: 0, max: span - 1 }), countsArb)
          .map(([m, [good, total]]) => write(T0 + m, good, total)),
        { minLength: 1, maxLength: 6 },
      ),
      fc.tuple(fc.integer({ min: 0, max: span - 1 }), fc.array(countsArb, { maxLength: 130 })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 10 }), async (ops) => {
        const path = fresh();
        const store = open({ path, durability: 'off' });
        // Another connection to the same file: each of the store's commits drops its cache.
        const other = open({ path, durability: 'off' });
        try {
          const reader = store.readerSync();
          let newest = T0;
          for (const op of ops) {
            if (Array.isArray(op[1])) {
              const [start, counts] = op as [number, (readonly [number, number])[]];
              const dense = {
                ...key,
                startMinute: T0 + start,
                good: counts.map((c) => c[0]),
                total: counts.map((c) => c[1]),
              };
              assert.ok(store.putDenseSync([dense]).ok);
              newest = Math.max(newest, T0 + start + counts.length - 1);
            } else {
              const writes = op as CountWrite[];
              assert.ok((await store.add(writes)).ok);
              for (const w of writes) newest = Math.max(newest, w.minute);
            }
            for (const now of [newest + 1, newest - 47, T0 + span]) {
              assert.deepEqual(status(reader, key, now), status(other.readerSync(), key, now));
            }
          }
        } finally {
          store.closeSync();
          other.closeSync();
        }
      }),
      { numRuns: 50 },
    );
  });

  test('a store opened on a file finds series when asked for, and still lists and sums them all', async () => {
    const path = fresh();
    const first = open({ path });
    const web = { sli: key.sli, labels: { route: '/web' } };
    await first.put([write(T0, 1, 2), { ...web, minute: T0, good: 3, total: 4 }]);
    await first.put([{ sli: 'other/sli', labels: {}, minute: T0, good: 5, total: 5 }]);
    first.closeSync();
    const second = open({ path });
    try {
      const reader = second.readerSync();
      assert.deepEqual(reader.series(key).sum(T0, T0 + 1), { good: 1, total: 2 });
      assert.deepEqual(reader.series({ sli: 'never/written', labels: {} }).sum(T0, T0 + 1), {
        good: 0,
        total: 0,
      });
      // The SLI sums the series not asked for one by one too.
      assert.deepEqual(reader.sliSeries(key.sli).sum(T0, T0 + 1), { good: 4, total: 6 });
      assert.deepEqual(
        (await second.listSeries()).map((s) => [s.id, s.sli, s.labels]),
        [
          [1, key.sli, { route: '/api' }],
          [2, key.sli, { route: '/web' }],
          [3, 'other/sli', {}],
        ],
      );
      // A series written after it was found absent is seen by views made before.
      const pending = reader.series({ sli: 'new/sli', labels: {} });
      assert.deepEqual(pending.sum(T0, T0 + 1), { good: 0, total: 0 });
      await second.put([{ sli: 'new/sli', labels: {}, minute: T0, good: 7, total: 8 }]);
      assert.deepEqual(pending.sum(T0, T0 + 1), { good: 7, total: 8 });
    } finally {
      second.closeSync();
    }
  });

  test('a frozen labels object keys the series of each SLI it is written with, batch after batch', async () => {
    const store = open({ path: fresh() });
    try {
      const labels = Object.freeze({ route: '/api' });
      const a = { sli: 'checkout/requests', labels };
      const b = { sli: 'checkout/latency', labels };
      for (let batch = 0; batch < 3; batch++) {
        const result = await store.put([
          { ...a, minute: T0 + batch, good: 1, total: 2 },
          { ...b, minute: T0 + batch, good: 3, total: 4 },
        ]);
        assert.ok(result.ok);
      }
      const reader = await store.reader();
      assert.deepEqual(reader.series(a).sum(T0, T0 + 3), { good: 3, total: 6 });
      assert.deepEqual(reader.series(b).sum(T0, T0 + 3), { good: 9, total: 12 });
    } finally {
      store.closeSync();
    }
  });

  test('a batch mixing series and hours out of order applies each bucket, the last write winning', async () => {
    const store = open({ path: fresh() });
    try {
      const other = { sli: 'checkout/requests', labels: { route: '/other' } };
      const result = await store.put([
        write(T0 + 125, 1, 1), // third hour
        { ...other, minute: T0 + 5, good: 2, total: 2 },
        write(T0 + 3, 4, 5), // first hour
        write(T0 + 125, 6, 7), // the same bucket again: this one counts
        write(T0 + 61, 8, 9), // second hour
        { ...other, minute: T0 + 65, good: 1, total: 3 },
      ]);
      assert.ok(result.ok);
      const reader = await store.reader();
      // Sums by hand: 4/5 + 8/9 + 6/7, and 2/2 + 1/3.
      assert.deepEqual(reader.series(key).sum(T0, T0 + 180), { good: 18, total: 21 });
      assert.deepEqual(reader.series(key).sum(T0 + 120, T0 + 180), { good: 6, total: 7 });
      assert.deepEqual(reader.series(other).sum(T0, T0 + 180), { good: 3, total: 5 });
      assert.deepEqual(reader.series(key).sum(T0 + 61, T0 + 62), { good: 8, total: 9 });
    } finally {
      store.closeSync();
    }
  });
});
