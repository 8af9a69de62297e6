import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import type { CountWrite } from '../types.ts';
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
      durability: 'sometimes' as 'full',
    });
    assert.equal(opened.ok, false);
    if (opened.ok) return;
    assert.deepEqual(opened.issues.map((i) => i.path.join('.')).sort(), [
      'cacheHours',
      'durability',
      'minuteRetentionMinutes',
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
});
