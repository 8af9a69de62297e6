import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Io } from './io.ts';
import { runCli } from './main.ts';

const FIXTURES = fileURLToPath(new URL('../interop/backstage/fixtures/', import.meta.url));

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd: process.cwd(),
    env: {},
  };
  return { code: await runCli(args, io), stdout, stderr };
}

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
