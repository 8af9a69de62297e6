import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runSextant } from '../../test/support/cli.ts';
import { withTempDir } from '../../test/support/tmp.ts';
import { hashSecret, openConfiguredStore } from '../hub/index.ts';

async function credentialOf(where: { dataDir?: string; database?: string }, token: string) {
  const opened = await openConfiguredStore(where);
  assert.ok(opened.ok);
  try {
    return await opened.value.findCredentialBySecretHash(hashSecret(token));
  } finally {
    await opened.value.close();
  }
}

describe('sextant hub unit', () => {
  test('add registers the unit and prints its token once, on stdout alone', async () => {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, 'data');
      const run = await runSextant([
        'hub',
        'unit',
        'add',
        '--data-dir',
        dataDir,
        '--id',
        'gprd-cell-1',
        '--tenant',
        'gitlab',
        '--environment',
        'production',
        '--product-line',
        'dedicated',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const token = run.stdout.trim();
      assert.match(token, /^sxu_[A-Za-z0-9_-]{43}$/);
      assert.match(run.stderr, /unit gprd-cell-1 registered/);
      const credential = await credentialOf({ dataDir }, token);
      assert.equal(credential?.kind, 'unit');
      assert.equal(credential?.kind === 'unit' && credential.unitId, 'gprd-cell-1');

      const again = await runSextant([
        'hub',
        'unit',
        'add',
        '--data-dir',
        dataDir,
        '--id',
        'gprd-cell-1',
        '--tenant',
        'gitlab',
        '--environment',
        'production',
      ]);
      assert.equal(again.code, 1);
      assert.equal(again.stdout, '');

      const list = await runSextant(['hub', 'unit', 'list', '--data-dir', dataDir, '--format', 'json']);
      assert.equal(list.code, 0, list.stderr);
      const units = JSON.parse(list.stdout).units;
      assert.deepEqual(
        units.map((unit: { id: string; tenant: string; productLine: string }) => [
          unit.id,
          unit.tenant,
          unit.productLine,
        ]),
        [['gprd-cell-1', 'gitlab', 'dedicated']],
      );

      const rotated = await runSextant([
        'hub',
        'unit',
        'token',
        '--data-dir',
        dataDir,
        '--id',
        'gprd-cell-1',
      ]);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.notEqual(rotated.stdout.trim(), token);
      assert.equal((await credentialOf({ dataDir }, rotated.stdout.trim()))?.kind, 'unit');
    });
  });

  test('a missing or malformed flag is a usage error', async () => {
    await withTempDir(async (dir) => {
      const missing = await runSextant([
        'hub',
        'unit',
        'add',
        '--data-dir',
        dir,
        '--tenant',
        't',
        '--environment',
        'e',
      ]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--id is required/);
      const bad = await runSextant([
        'hub',
        'unit',
        'add',
        '--data-dir',
        dir,
        '--id',
        'Cell_1',
        '--tenant',
        't',
        '--environment',
        'e',
      ]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--id must be/);
    });
  });

  test('without a database the command says how to give one', async () => {
    const run = await runSextant(['hub', 'unit', 'list']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--data-dir\/--database/);
  });
});

describe('sextant hub token', () => {
  test('create, list and revoke an API token', async () => {
    await withTempDir(async (dir) => {
      const database = `sqlite:${join(dir, 'hub.db')}`;
      const created = await runSextant([
        'hub',
        'token',
        'create',
        '--database',
        database,
        '--name',
        'grafana',
        '--role',
        'viewer',
        '--tenants',
        'dedicated-*, acme',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const token = created.stdout.trim();
      assert.match(token, /^sxt_/);
      const credential = await credentialOf({ database }, token);
      assert.equal(credential?.kind === 'api' && credential.role, 'viewer');

      const listed = await runSextant(['hub', 'token', 'list', '--database', database, '--format', 'json']);
      assert.equal(listed.code, 0, listed.stderr);
      const [entry] = JSON.parse(listed.stdout).tokens;
      assert.deepEqual(
        { name: entry.name, role: entry.role, tenants: entry.tenants, state: entry.state },
        { name: 'grafana', role: 'viewer', tenants: ['dedicated-*', 'acme'], state: 'valid' },
      );
      assert.ok(!listed.stdout.includes(token), 'the secret is never listed');

      const table = await runSextant(['hub', 'token', 'list', '--database', database]);
      assert.match(table.stdout, /grafana\s+viewer\s+dedicated-\*,acme\s+valid/);

      const revoked = await runSextant(['hub', 'token', 'revoke', entry.id, '--database', database]);
      assert.equal(revoked.code, 0, revoked.stderr);
      const after = JSON.parse(
        (await runSextant(['hub', 'token', 'list', '--database', database, '--format', 'json'])).stdout,
      );
      assert.equal(after.tokens[0].state, 'revoked');

      const unknown = await runSextant(['hub', 'token', 'revoke', 'nope', '--database', database]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no token nope/);
    });
  });

  test('a bad role or tenant pattern is a usage error', async () => {
    const role = await runSextant([
      'hub',
      'token',
      'create',
      '--database',
      'sqlite::memory:',
      '--name',
      'x',
      '--role',
      'root',
      '--tenants',
      '*',
    ]);
    assert.equal(role.code, 2);
    assert.match(role.stderr, /--role must be one of viewer, responder, admin/);
    const tenants = await runSextant([
      'hub',
      'token',
      'create',
      '--database',
      'sqlite::memory:',
      '--name',
      'x',
      '--role',
      'viewer',
      '--tenants',
      'Acme Corp',
    ]);
    assert.equal(tenants.code, 2);
  });

  test('generate prints a fresh token without storing it', async () => {
    const run = await runSextant(['hub', 'token', 'generate']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^sxt_[A-Za-z0-9_-]{43}\n$/);
  });
});

describe('sextant hub', () => {
  test('an invalid configuration is reported with its location', async () => {
    const run = await runSextant(['hub', '--database', 'sqlite::memory:', '--listen', 'nowhere']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--listen: listen: write host:port/);
  });

  test('help lists the admin commands', async () => {
    const run = await runSextant(['help', 'hub', 'token']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /sextant hub token create --name N --role/);
  });
});
