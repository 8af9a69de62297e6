import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runSextant } from '../../test/support/cli.ts';

const FIXTURES = fileURLToPath(new URL('../interop/backstage/fixtures/', import.meta.url));

/** The CLI in-process, with captured output (test/support/cli.ts). */
const run = (args: string[]) => runSextant(args);

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-import-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sextant import backstage', () => {
  test('imports components and groups into manifests that validate', async () => {
    const out = join(dir, 'artists');
    const result = await run([
      'import',
      'backstage',
      join(FIXTURES, 'artists'),
      join(FIXTURES, 'org'),
      '--out',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /wrote 6 manifest file\(s\) from 2 Backstage file\(s\)/);
    assert.deepEqual((await readdir(join(out, 'services'))).sort(), [
      'artist-web-lookup.yaml',
      'artist-web.yaml',
      'artists-db.yaml',
    ]);
    const validated = await run(['validate', out]);
    assert.equal(validated.code, 0, validated.stderr);
    assert.match(validated.stdout, /3 services, 3 teams/);
  });

  test('a second import keeps existing files unless --force', async () => {
    const out = join(dir, 'again');
    await run(['import', 'backstage', join(FIXTURES, 'artists'), '--out', out]);
    const second = await run(['import', 'backstage', join(FIXTURES, 'artists'), '--out', out]);
    assert.match(second.stdout, /kept existing .*artist-web\.yaml \(use --force to overwrite\)/);
    assert.match(second.stdout, /wrote 0 manifest file\(s\)/);
    const forced = await run(['import', 'backstage', join(FIXTURES, 'artists'), '--out', out, '--force']);
    assert.doesNotMatch(forced.stdout, /wrote 0 manifest/);
  });

  test('--dry-run prints the manifests and writes nothing', async () => {
    const out = join(dir, 'dry');
    const result = await run(['import', 'backstage', join(FIXTURES, 'artists'), '--out', out, '--dry-run']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /apiVersion: sextant\.dev\/v1/);
    await assert.rejects(readdir(out));
  });

  test('invalid entities are reported with positions and exit 1', async () => {
    const result = await run(['import', 'backstage', join(FIXTURES, 'invalid'), '--dry-run']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /missing-name\.yaml:\d+:\d+: error /);
    assert.match(result.stderr, /syntax-error\.yaml:\d+:\d+: error /);
  });

  test('without --out it is a usage error', async () => {
    assert.equal((await run(['import', 'backstage', join(FIXTURES, 'artists')])).code, 2);
  });
});

describe('sextant import/export openslo', () => {
  const OPENSLO = fileURLToPath(new URL('../interop/openslo/fixtures/openslo/', import.meta.url));
  const FLEET = fileURLToPath(new URL('../../examples/fleet/', import.meta.url));

  test('imports OpenSLO documents into manifests that validate', async () => {
    const out = join(dir, 'openslo');
    const result = await run(['import', 'openslo', OPENSLO, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    const validated = await run(['validate', out]);
    assert.equal(validated.code, 0, validated.stderr);
  });

  test('the example fleet survives export to OpenSLO and import back', async () => {
    const exported = join(dir, 'fleet-openslo');
    const back = join(dir, 'fleet-back');
    assert.equal((await run(['export', 'openslo', FLEET, '--out', exported])).code, 0);
    assert.equal((await run(['import', 'openslo', exported, '--out', back])).code, 0);
    const before = await run(['catalog', 'list', '--catalog', FLEET, '--format', 'json']);
    const after = await run(['catalog', 'list', '--catalog', back, '--format', 'json']);
    assert.equal(after.code, 0, after.stderr);
    // Every service keeps its owner, tier, dependencies and SLO objectives and windows.
    assert.deepEqual(JSON.parse(after.stdout), JSON.parse(before.stdout));
  });

  test('export without --out prints the documents', async () => {
    const result = await run(['export', 'openslo', FLEET]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /apiVersion: openslo\/v1/);
    assert.match(result.stdout, /budgetingMethod: Timeslices/);
  });
});
