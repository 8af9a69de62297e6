/**
 * The hub store on a real PostgreSQL (Debian's `postgresql`, a private server per file):
 * the driver's value mapping, transactions and retries, then the store conformance suite
 * with a fresh schema per test, and migrations run twice and concurrently on new databases.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
// Not (yet) re-exported by src/hub/store/index.ts.
import {
  type Credential,
  describeHubStoreConformance,
  type HubStore,
  MIGRATIONS,
  migrate,
  openHubStore,
  openPostgresDriver,
  type SqlDriver,
  type SqlExecutor,
} from '../../src/hub/store/index.ts';
import { type Scratch, startPostgres } from '../support/postgres.ts';

const VERSIONS = MIGRATIONS.map((migration) => migration.version).sort((a, b) => a - b);
const LATEST = VERSIONS.at(-1) ?? 0;

/** The store, whose `close` also drops its schema (the suite closes every store it opens). */
function droppingOnClose(store: HubStore, drop: () => Promise<void>): HubStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'close') {
        return async () => {
          await target.close();
          await drop();
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      // Bound to the real store: its methods use private fields.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test('the hub store on PostgreSQL', async (t) => {
  const server = await startPostgres(t);
  if (server === undefined) return;
  const driver = await openPostgresDriver(server.url);

  describe('the driver', () => {
    after(() => driver.close());

    describe('values', () => {
      test('integers, NUMERIC and floating point come back as numbers, booleans as 1/0', async () => {
        const rows = await driver.query(
          'SELECT 42::int AS i, $1::bigint AS big, 2.5::numeric AS n, 0.125::float8 AS f, true AS yes, false AS no',
          [2 ** 53 - 1],
        );
        assert.deepEqual(rows, [{ i: 42, big: 2 ** 53 - 1, n: 2.5, f: 0.125, yes: 1, no: 0 }]);
      });

      test('SUM over BIGINT (a NUMERIC) comes back as a number', async () => {
        const rows = await driver.query(
          'SELECT SUM(v) AS s, COUNT(*) AS c FROM (VALUES (4000000000::bigint), (5000000000::bigint)) AS t(v)',
        );
        assert.deepEqual(rows, [{ s: 9_000_000_000, c: 2 }]);
      });

      test('a bigint parameter binds like a number', async () => {
        const rows = await driver.query('SELECT $1::bigint + 1 AS next', [9_007_199_254_740_990n]);
        assert.deepEqual(rows, [{ next: 9_007_199_254_740_991 }]);
      });

      test('text, NULL and BYTEA round-trip; JSON and timestamps come back as their text', async () => {
        const rows = await driver.query(
          `SELECT $1::text AS t, $2::text AS missing, $3::bytea AS b, '{"a": 1}'::jsonb AS j,
                '2024-01-02 03:04:05+00'::timestamptz AS ts`,
          ['héllo', null, new Uint8Array([0, 1, 255])],
        );
        assert.equal(rows.length, 1);
        const row = rows[0]!;
        assert.equal(row['t'], 'héllo');
        assert.equal(row['missing'], null);
        assert.deepEqual([...(row['b'] as Uint8Array)], [0, 1, 255]);
        assert.equal(row['j'], '{"a": 1}');
        // The server runs with TZ=UTC (test/support/postgres.ts).
        assert.equal(row['ts'], '2024-01-02 03:04:05+00');
      });

      test('a BIGINT beyond 2^53 is refused rather than rounded', async () => {
        await assert.rejects(driver.query('SELECT 9007199254740993::bigint AS v'), RangeError);
        // The failed read leaves the pool usable.
        assert.deepEqual(await driver.query('SELECT 1 AS one'), [{ one: 1 }]);
      });
    });

    describe('statements', () => {
      test('exec runs several statements and run gives the number of rows changed', async () => {
        await driver.exec(`
        CREATE TABLE run_count (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
        INSERT INTO run_count VALUES (1, 'a'), (2, 'b'), (3, 'c');
      `);
        assert.equal(await driver.run('UPDATE run_count SET v = $1 WHERE id >= $2', ['z', 2]), 2);
        assert.equal(await driver.run('DELETE FROM run_count WHERE id = $1', [99]), 0);
        assert.equal(
          await driver.run('INSERT INTO run_count VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [1, 'x']),
          0,
        );
      });

      test('a failing statement rejects with the SQLSTATE and leaves the pool usable', async () => {
        await assert.rejects(driver.query('SELECT * FROM no_such_table'), { code: '42P01' });
        assert.deepEqual(await driver.query('SELECT 2 AS two'), [{ two: 2 }]);
      });
    });

    describe('transactions', () => {
      test('a transaction is committed when its work resolves', async () => {
        await driver.exec('CREATE TABLE tx_commit (id INTEGER PRIMARY KEY)');
        const value = await driver.transaction(async (tx) => {
          await tx.run('INSERT INTO tx_commit VALUES (1), (2)');
          return (await tx.query('SELECT COUNT(*) AS n FROM tx_commit'))[0]?.['n'];
        });
        assert.equal(value, 2);
        assert.deepEqual(await driver.query('SELECT COUNT(*) AS n FROM tx_commit'), [{ n: 2 }]);
      });

      test('a transaction is rolled back when its work throws', async () => {
        await driver.exec('CREATE TABLE tx_rollback (id INTEGER PRIMARY KEY)');
        await assert.rejects(
          driver.transaction(async (tx) => {
            await tx.run('INSERT INTO tx_rollback VALUES (1)');
            throw new Error('changed my mind');
          }),
          /changed my mind/,
        );
        assert.deepEqual(await driver.query('SELECT COUNT(*) AS n FROM tx_rollback'), [{ n: 0 }]);
      });

      test('the executor of an ended transaction refuses statements', async () => {
        let leaked: { query(sql: string): Promise<unknown> } | undefined;
        await driver.transaction(async (tx) => {
          leaked = tx;
        });
        await assert.rejects(leaked!.query('SELECT 1'), /transaction already ended/);
      });

      /** Runs `first` then `second` in two transactions, each waiting for the other's first step. */
      function interleaved(
        on: SqlDriver,
        step: (tx: SqlExecutor, which: 0 | 1) => Promise<void>,
        next: (tx: SqlExecutor, which: 0 | 1) => Promise<void>,
      ): Promise<number> {
        let attempts = 0;
        let firstSteps = 0;
        let release: () => void = () => {};
        const bothStepped = new Promise<void>((resolve) => {
          release = resolve;
        });
        const one = (which: 0 | 1) =>
          on.transaction(async (tx) => {
            attempts++;
            await step(tx, which);
            if (++firstSteps === 2) release();
            await bothStepped;
            await next(tx, which);
          });
        return Promise.all([one(0), one(1)]).then(() => attempts);
      }

      test('a transaction aborted by a serialization failure runs again and both writers count', async (tt) => {
        const serializable = await openPostgresDriver(server.url, { isolation: 'serializable' });
        tt.after(() => serializable.close());
        await driver.exec(
          'CREATE TABLE tx_counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO tx_counter VALUES (1, 0)',
        );
        // Both read the counter before either writes it: the second writer fails with 40001
        // and, run again, reads the first one's value.
        const read = new Map<number, number>();
        const attempts = await interleaved(
          serializable,
          async (tx, which) => {
            read.set(which, (await tx.query('SELECT n FROM tx_counter WHERE id = 1'))[0]?.['n'] as number);
          },
          async (tx, which) => {
            await tx.run('UPDATE tx_counter SET n = $1 WHERE id = 1', [read.get(which)! + 1]);
          },
        );
        assert.deepEqual(await driver.query('SELECT n FROM tx_counter'), [{ n: 2 }]);
        assert.equal(attempts, 3);
      });

      test('a transaction chosen as a deadlock victim runs again and both commit', async () => {
        await driver.exec(
          'CREATE TABLE tx_deadlock (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO tx_deadlock VALUES (1, 0), (2, 0)',
        );
        // Each locks its row, then the other's: PostgreSQL aborts one with 40P01 (after
        // deadlock_timeout, 100 ms on the test server).
        const attempts = await interleaved(
          driver,
          async (tx, which) => {
            await tx.run('UPDATE tx_deadlock SET n = n + 1 WHERE id = $1', [which + 1]);
          },
          async (tx, which) => {
            await tx.run('UPDATE tx_deadlock SET n = n + 1 WHERE id = $1', [2 - which]);
          },
        );
        assert.deepEqual(await driver.query('SELECT id, n FROM tx_deadlock ORDER BY id'), [
          { id: 1, n: 2 },
          { id: 2, n: 2 },
        ]);
        assert.equal(attempts, 3);
      });
    });

    test('a database that does not exist is named in the error', async () => {
      const url = server.url.replace(/\/sextant$/, '/no_such_database');
      await assert.rejects(
        openPostgresDriver(url),
        /^Error: cannot connect to PostgreSQL at 127\.0\.0\.1:\d+, database "no_such_database".*3D000/,
      );
    });
  });

  // A schema per test (about 1 ms) rather than a database (100-300 ms, a copy of template1);
  // the migration tests below use whole new databases.
  describeHubStoreConformance('postgres', async () => {
    const schema = await server.createSchema();
    try {
      const store = await openHubStore({ driver: await openPostgresDriver(schema.url) });
      return droppingOnClose(store, schema.drop);
    } catch (error) {
      await schema.drop();
      throw error;
    }
  });

  describe('sessions shared by hubs', () => {
    test('a session opened through one pool is seen, and ended by revocation, through another', async () => {
      const database = await server.createDatabase();
      const [a, b] = await Promise.all([
        openPostgresDriver(database.url).then((driver) => openHubStore({ driver })),
        openPostgresDriver(database.url).then((driver) => openHubStore({ driver })),
      ]);
      try {
        const credential: Credential = {
          id: 'cred-portal',
          kind: 'api',
          role: 'viewer',
          tenants: ['*'],
          name: 'portal user',
          secretSha256: 'a'.repeat(64),
          createdAtMs: 1_000,
          expiresAtMs: null,
          revokedAtMs: null,
        };
        await a.putCredential(credential);
        const session = {
          idSha256: '1'.repeat(64),
          credentialId: credential.id,
          secretSha256: credential.secretSha256,
          csrfSha256: '2'.repeat(64),
          createdAtMs: 2_000,
          expiresAtMs: 3_000,
        };
        assert.deepEqual(await a.openSession(session, { maxPerToken: 5 }), {
          ok: true,
          value: { dropped: 0 },
        });
        assert.deepEqual(await b.getSession(session.idSha256, 2_500), { session, credential });
        assert.equal(await b.getSession(session.idSha256, 3_000), undefined);
        assert.equal(await b.revokeCredential(credential.id, 2_600), true);
        assert.equal(await a.getSession(session.idSha256, 2_700), undefined);
        assert.equal(await a.countSessions(0), 0);
      } finally {
        await Promise.all([a.close(), b.close()]);
        await database.drop();
      }
    });
  });

  describe('migrations', () => {
    test('a store opened again on its database keeps its data and migrates nothing', async () => {
      const database = await server.createDatabase();
      const first = await openHubStore({ driver: await openPostgresDriver(database.url) });
      const created = await first.createUnit({ id: 'edge-1', tenant: 'acme', environment: 'prod' }, 1_000);
      assert.equal(created.ok, true);
      await first.close();

      const driver = await openPostgresDriver(database.url);
      try {
        assert.deepEqual(await migrate(driver, 2_000), { applied: [], version: LATEST });
      } finally {
        await driver.close();
      }
      const second = await openHubStore({ driver: await openPostgresDriver(database.url) });
      try {
        assert.equal((await second.getUnit('edge-1'))?.tenant, 'acme');
      } finally {
        await second.close();
        await database.drop();
      }
    });

    test('two pools migrating one new database at once apply each migration once', async () => {
      // Several rounds: the race is between two connections' first statements.
      for (let round = 0; round < 3; round++) {
        const database: Scratch = await server.createDatabase();
        const drivers: SqlDriver[] = await Promise.all([
          openPostgresDriver(database.url),
          openPostgresDriver(database.url),
        ]);
        try {
          const reports = await Promise.all(drivers.map((driver) => migrate(driver, 1_000)));
          const applied = reports.map((report) => report.applied).sort((a, b) => b.length - a.length);
          assert.deepEqual(applied, [VERSIONS, []]);
          const recorded = await drivers[0]!.query('SELECT version FROM hub_migrations ORDER BY version');
          assert.deepEqual(
            recorded,
            VERSIONS.map((version) => ({ version })),
          );
        } finally {
          await Promise.all(drivers.map((driver) => driver.close()));
          await database.drop();
        }
      }
    });

    test('two stores opened at once on one new database both work', async () => {
      const database = await server.createDatabase();
      const stores = await Promise.all([
        openPostgresDriver(database.url).then((driver) => openHubStore({ driver })),
        openPostgresDriver(database.url).then((driver) => openHubStore({ driver })),
      ]);
      try {
        const [a, b] = stores as [HubStore, HubStore];
        assert.equal(
          (await a.createUnit({ id: 'edge-1', tenant: 'acme', environment: 'prod' }, 1_000)).ok,
          true,
        );
        assert.equal(
          (await b.createUnit({ id: 'edge-1', tenant: 'acme', environment: 'prod' }, 1_000)).ok,
          false,
        );
        assert.deepEqual(
          (await b.listUnits(['*'])).map((unit) => unit.id),
          ['edge-1'],
        );
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await database.drop();
      }
    });
  });
});
