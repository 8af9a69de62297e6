import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import {
  describePostgresTarget,
  isRetryable,
  openPostgresDriver,
  postgresTarget,
  redactPostgresUrl,
  sqlState,
} from './postgres-driver.ts';

/** A loopback port with no listener: connecting to it is refused at once. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('redactPostgresUrl', () => {
  test('replaces the password of the userinfo with ***', () => {
    assert.equal(
      redactPostgresUrl('postgres://hub:s3cret@db.internal:5432/hub'),
      'postgres://hub:***@db.internal:5432/hub',
    );
  });

  test('replaces a password that contains URL-encoded characters', () => {
    assert.equal(
      redactPostgresUrl('postgresql://hub:p%40ss%3Aw0rd@db/hub?sslmode=require'),
      'postgresql://hub:***@db/hub?sslmode=require',
    );
  });

  test('replaces a password given as a query parameter', () => {
    assert.equal(
      redactPostgresUrl('postgres://db/hub?user=hub&password=s3cret&sslmode=require'),
      'postgres://db/hub?user=hub&password=***&sslmode=require',
    );
  });

  test('leaves a URL without a password as it is', () => {
    assert.equal(redactPostgresUrl('postgres://hub@db:5433/hub'), 'postgres://hub@db:5433/hub');
  });

  test('redacts a string that is not a valid URL', () => {
    assert.equal(redactPostgresUrl('postgres://hub:s3cret@[bad/hub'), 'postgres://hub:***@[bad/hub');
  });
});

describe('postgresTarget', () => {
  test('reads host, port, database and user from the URL', () => {
    assert.deepEqual(postgresTarget('postgres://hub:s3cret@db.internal:5433/fleet'), {
      host: 'db.internal',
      port: 5433,
      database: 'fleet',
      user: 'hub',
    });
  });

  test('names a Unix socket directory as the host', () => {
    const target = postgresTarget('postgres://hub@%2Fvar%2Frun%2Fpostgresql:5432/hub');
    assert.equal(target.host, '/var/run/postgresql');
    assert.equal(describePostgresTarget(target), '/var/run/postgresql:5432, database "hub", user "hub"');
  });
});

describe('sqlState and isRetryable', () => {
  const pgError = (code: string): Error => Object.assign(new Error('could not serialize access'), { code });

  test('a serialization failure (40001) and a deadlock (40P01) are retryable', () => {
    assert.equal(isRetryable(pgError('40001')), true);
    assert.equal(isRetryable(pgError('40P01')), true);
  });

  test('a unique violation (23505) is not retryable', () => {
    assert.equal(isRetryable(pgError('23505')), false);
  });

  test('the SQLSTATE is found through a wrapping error', () => {
    assert.equal(sqlState(new Error('apply failed', { cause: pgError('40001') })), '40001');
  });

  test('a Node system error code is not a SQLSTATE', () => {
    assert.equal(sqlState(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), undefined);
  });
});

describe('openPostgresDriver', () => {
  test('a refused connection names host, port and database but not the password', async () => {
    const port = await closedPort();
    await assert.rejects(openPostgresDriver(`postgres://hub:hunter2@127.0.0.1:${port}/fleet`), (error) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, new RegExp(`^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}`));
      assert.match(error.message, /database "fleet"/);
      assert.match(error.message, /ECONNREFUSED/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  test('an invalid URL is refused without quoting its password', async () => {
    await assert.rejects(openPostgresDriver('postgres://hub:hunter2@[::1/fleet'), (error) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /invalid PostgreSQL URL/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });
});
