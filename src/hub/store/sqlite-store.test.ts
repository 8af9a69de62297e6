/**
 * The hub store on SQLite: the conformance suite in memory and on a WAL file, plus what only
 * a file shows (reopening, two processes migrating at once, a newer schema) and the driver's
 * own contract.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describeHubStoreConformance } from './conformance.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { matchesTenantPattern, openSqlHubStore } from './sql-store.ts';
import { openSqliteDriver } from './sqlite-driver.ts';

const dir = mkdtempSync(join(tmpdir(), 'sextant-hub-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `hub-${files++}.db`);

describeHubStoreConformance('sqlite :memory:', () => openSqlHubStore(openSqliteDriver({ path: ':memory:' })));
// A WAL file as the hub runs it; `normal` keeps the suite fast and does not change results.
describeHubStoreConformance('sqlite file (WAL)', () =>
  openSqlHubStore(openSqliteDriver({ path: freshFile(), synchronous: 'normal' })),
);

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
/** Rows of `node:sqlite` have no prototype; compare their contents. */
const plain = (row: object) => ({ ...row });

describe('sqlite hub store file', () => {
  test('a store reopened on its file keeps its data and records each migration once', async () => {
    const path = freshFile();
    const first = await openSqlHubStore(openSqliteDriver({ path }));
    await first.createUnit({ id: 'edge-1', tenant: 'acme', environment: 'prod' }, 1_000);
    await first.close();
    const second = await openSqlHubStore(openSqliteDriver({ path }));
    try {
      assert.equal((await second.getUnit('edge-1'))?.createdAtMs, 1_000);
      const rows = await second.driver.query('SELECT version FROM hub_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((row) => row['version']),
        MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await second.close();
    }
  });

  test('two processes opening a new file at once migrate it once', async () => {
    const path = freshFile();
    const storeUrl = pathToFileURL(join(import.meta.dirname, 'index.ts')).href;
    const script = `
      const { openHubStore } = await import(${JSON.stringify(storeUrl)});
      const store = await openHubStore({ sqlitePath: ${JSON.stringify(path)} });
      await store.close();`;
    const run = () => promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    await Promise.all([run(), run()]);
    const driver = openSqliteDriver({ path });
    try {
      const rows = await driver.query('SELECT version FROM hub_migrations');
      assert.equal(rows.length, MIGRATIONS.length);
      assert.deepEqual(await migrate(driver, 0), { applied: [], version: LATEST });
    } finally {
      await driver.close();
    }
  });

  test('a database migrated by a newer build is refused', async () => {
    const path = freshFile();
    const driver = openSqliteDriver({ path });
    await migrate(driver, 0);
    await driver.run('INSERT INTO hub_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)', [
      LATEST + 1,
      'from the future',
      0,
    ]);
    await driver.close();
    await assert.rejects(openSqlHubStore(openSqliteDriver({ path })), /newer than this Sextant/);
  });

  test('a step that does not divide the hour is refused', async () => {
    await assert.rejects(
      openSqlHubStore(openSqliteDriver({ path: ':memory:' }), { stepMinutes: 7 }),
      /divide 60/,
    );
  });
});

describe('sqlite driver', () => {
  test('$n placeholders bind by number, and integers stay integers', async () => {
    const driver = openSqliteDriver({ path: ':memory:' });
    try {
      // 7 / 2 divides integers (3), as PostgreSQL does with BIGINT; 2.5 stays a float.
      const rows = await driver.query('SELECT $2 / $1 AS q, $3 * 2 AS f, $4 AS t, $5 AS n', [
        2,
        7,
        2.5,
        'x',
        null,
      ]);
      assert.deepEqual(rows.map(plain), [{ q: 3, f: 5, t: 'x', n: null }]);
    } finally {
      await driver.close();
    }
  });

  test('a transaction commits when its work resolves and rolls back when it throws', async () => {
    const driver = openSqliteDriver({ path: ':memory:' });
    try {
      await driver.exec('CREATE TABLE t (v INTEGER)');
      await driver.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES ($1)', [1]);
      });
      await assert.rejects(
        driver.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES ($1)', [2]);
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.deepEqual((await driver.query('SELECT v FROM t')).map(plain), [{ v: 1 }]);
    } finally {
      await driver.close();
    }
  });

  test('transactions waiting together commit together, and one that throws rolls back alone', async () => {
    const driver = openSqliteDriver({ path: ':memory:' });
    try {
      await driver.exec('CREATE TABLE t (v INTEGER)');
      const insert = (v: number, fail = false) =>
        driver.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES ($1)', [v]);
          await tx.run('INSERT INTO t VALUES ($1)', [v * 10]);
          if (fail) throw new Error(`no ${v}`);
          return v;
        });
      const results = await Promise.allSettled([insert(1), insert(2, true), insert(3)]);
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason))),
        [1, 'Error: no 2', 3],
      );
      // Both rows of 1 and of 3; none of 2.
      const rows = await driver.query('SELECT v FROM t ORDER BY v');
      assert.deepEqual(
        rows.map((row) => row['v']),
        [1, 3, 10, 30],
      );
    } finally {
      await driver.close();
    }
  });

  test('statements issued during a transaction wait for it and never join it', async () => {
    const driver = openSqliteDriver({ path: ':memory:' });
    try {
      await driver.exec('CREATE TABLE t (v INTEGER)');
      let outside: Promise<number> | undefined;
      await assert.rejects(
        driver.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES (1)');
          outside = driver.run('INSERT INTO t VALUES (2)');
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(await outside, 1);
      // Only the statement outside the rolled-back transaction remains.
      assert.deepEqual((await driver.query('SELECT v FROM t')).map(plain), [{ v: 2 }]);
    } finally {
      await driver.close();
    }
  });

  test('a transaction fails when another connection keeps the write lock past the busy timeout', async () => {
    const path = freshFile();
    const driver = openSqliteDriver({ path, busyTimeoutMs: 50 });
    const other = new DatabaseSync(path);
    try {
      await driver.exec('CREATE TABLE t (v INTEGER)');
      other.exec('BEGIN IMMEDIATE');
      await assert.rejects(
        driver.transaction((tx) => tx.run('INSERT INTO t VALUES (1)')),
        /locked|busy/i,
      );
      other.exec('ROLLBACK');
      // Once the lock is free, the next transaction runs.
      assert.equal(await driver.transaction((tx) => tx.run('INSERT INTO t VALUES (2)')), 1);
    } finally {
      other.close();
      await driver.close();
    }
  });

  test('an executor used after its transaction ended refuses statements', async () => {
    const driver = openSqliteDriver({ path: ':memory:' });
    try {
      let leaked: { query(sql: string): Promise<unknown> } | undefined;
      await driver.transaction(async (tx) => {
        leaked = tx;
      });
      await assert.rejects(leaked!.query('SELECT 1'), /finished transaction/);
    } finally {
      await driver.close();
    }
  });

  test('a closed driver refuses statements and closes again quietly', async () => {
    const driver = openSqliteDriver({ path: ':memory:' });
    await driver.close();
    await assert.rejects(driver.query('SELECT 1'), /closed/);
    await driver.close();
  });
});

describe('matchesTenantPattern', () => {
  test('without a star a pattern matches only itself', () => {
    assert.equal(matchesTenantPattern('acme', 'acme'), true);
    assert.equal(matchesTenantPattern('acme', 'acme-eu'), false);
  });

  test('a star matches any run of characters, including none', () => {
    assert.equal(matchesTenantPattern('*', ''), true);
    assert.equal(matchesTenantPattern('dedicated-*', 'dedicated-'), true);
    assert.equal(matchesTenantPattern('dedicated-*', 'dedicated'), false);
    assert.equal(matchesTenantPattern('*-eu', 'acme-eu'), true);
    assert.equal(matchesTenantPattern('a*a', 'a'), false);
    assert.equal(matchesTenantPattern('a*b*c', 'axxbyyc'), true);
    assert.equal(matchesTenantPattern('a*b*c', 'axxcyyb'), false);
    assert.equal(matchesTenantPattern('**', 'x'), true);
  });

  test('a pattern built to make backtracking matchers explode answers at once', () => {
    // 'a*a*a*...*b' against 'aaa...a': a backtracking matcher tries C(n, k) splits.
    const pattern = `${'a*'.repeat(30)}b`;
    assert.equal(matchesTenantPattern(pattern, 'a'.repeat(5_000)), false);
  });
});
