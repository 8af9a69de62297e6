import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { checkSqliteIntegrity } from './index.ts';

const PAGE = 4096;

/** A WAL database of 20,000 rows in 4 KiB pages: a table and an index of a few hundred pages. */
function fill(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA page_size = ${PAGE}; PRAGMA journal_mode = WAL;
    CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB);
    CREATE INDEX t_k ON t (k);`);
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  db.exec('BEGIN');
  for (let i = 0; i < 20_000; i++) insert.run(`key-${(i * 7919) % 20_000}`, new Uint8Array(40).fill(i % 256));
  db.exec('COMMIT');
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sextant-integrity-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('checkSqliteIntegrity', () => {
  test('a sound database passes', () =>
    withDir(async (dir) => {
      const path = join(dir, 'ok.db');
      fill(path);
      const checked = await checkSqliteIntegrity(path);
      assert.ok(checked.ok, !checked.ok ? checked.message : '');
      assert.deepEqual([checked.value.ok, checked.value.problems], [true, []]);
    }));

  test('a page overwritten with garbage is found, with SQLite naming the page', () =>
    withDir(async (dir) => {
      const path = join(dir, 'damaged.db');
      fill(path);
      // Page 50 (1-based pages; byte offset 49 * 4096) is a leaf of the table's b-tree:
      // 200 bytes in the middle of its cells become 0xab.
      const file = await open(path, 'r+');
      await file.write(Buffer.alloc(200, 0xab), 0, 200, 49 * PAGE + 1000);
      await file.close();
      const checked = await checkSqliteIntegrity(path, { maxProblems: 5 });
      assert.ok(checked.ok, !checked.ok ? checked.message : '');
      assert.equal(checked.value.ok, false);
      assert.match(checked.value.problems.join('\n'), /page 50/);
      assert.ok(checked.value.problems.length <= 5);
    }));

  test('a file that is not a database is damage, not a failure to check', () =>
    withDir(async (dir) => {
      const path = join(dir, 'garbage.db');
      const file = await open(path, 'w');
      await file.write(Buffer.alloc(3 * PAGE, 0x5a));
      await file.close();
      const checked = await checkSqliteIntegrity(path);
      assert.ok(checked.ok, !checked.ok ? checked.message : '');
      assert.equal(checked.value.ok, false);
      assert.match(checked.value.problems[0]!, /not a database/);
    }));

  test('a missing file is a check that could not run', () =>
    withDir(async (dir) => {
      const checked = await checkSqliteIntegrity(join(dir, 'missing', 'none.db'));
      assert.equal(checked.ok, false);
      assert.match(!checked.ok ? checked.message : '', /unable to open/);
    }));

  test('an aborted check stops and says so', () =>
    withDir(async (dir) => {
      const path = join(dir, 'ok.db');
      fill(path);
      const controller = new AbortController();
      const checking = checkSqliteIntegrity(path, { signal: controller.signal });
      controller.abort();
      const checked = await checking;
      assert.equal(checked.ok, false);
      assert.match(!checked.ok ? checked.message : '', /aborted/);
    }));
});
