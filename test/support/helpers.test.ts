import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runSextant } from './cli.ts';
import { runIsolated } from './isolate.ts';
import { VALID_FILES } from './manifests.ts';
import { withTempDir, writeFiles } from './tmp.ts';

/** A module given inline, so the isolation tests need no fixture files. */
function inline(source: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

describe('withTempDir', () => {
  test('gives an empty directory and removes it afterwards', async () => {
    const seen = await withTempDir(async (dir) => {
      await writeFiles(dir, { 'a/b/c.yaml': 'x: 1\n' });
      assert.equal(await readFile(join(dir, 'a/b/c.yaml'), 'utf8'), 'x: 1\n');
      return dir;
    });
    assert.equal(existsSync(seen), false);
  });

  test('removes the directory when the callback throws, and rethrows', async () => {
    let seen = '';
    await assert.rejects(
      withTempDir((dir) => {
        seen = dir;
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(existsSync(seen), false);
  });
});

describe('runSextant', () => {
  test('validates the shared valid corpus with exit code 0 and a summary on stdout', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, Object.fromEntries(VALID_FILES.map((file) => [file.path, file.text])));
      const run = await runSextant(['validate', dir]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /^valid: 6 file\(s\): 3 services, 3 teams, 1 journeys, 3 tenants; 0 error\(s\), 0 warning\(s\)$/m,
      );
      assert.equal(run.stderr, '');
    });
  });

  test('captures errors on stderr with exit code 1', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'bad.yaml': 'apiVersion: v1\nkind: Team\n' });
      const run = await runSextant(['validate', dir]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /bad\.yaml:1:13: error manifest\.api-version/);
    });
  });

  test('turns a usage error into exit code 2', async () => {
    const run = await runSextant(['validate', '--format', 'xml']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--format must be one of text, json/);
  });

  test('an undefined YAML alias is reported at its position', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'alias.yaml': 'a: *x\n' });
      const run = await runSextant(['validate', dir]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /alias\.yaml:1:\d+: error yaml\./);
    });
  });
});

describe('runIsolated', () => {
  test('returns the value, the call time and the peak RSS', async () => {
    const outcome = await runIsolated(
      inline('export const add = (a, b) => ({ sum: a + b });'),
      'add',
      [2, 3],
      {
        timeoutMs: 5000,
      },
    );
    assert.equal(outcome.status, 'returned');
    if (outcome.status !== 'returned') return;
    assert.deepEqual(outcome.value, { sum: 5 });
    assert.ok(outcome.ms >= 0 && outcome.maxRssMb > 10);
  });

  test('reports a throw as data', async () => {
    const outcome = await runIsolated(
      inline('export function fail() { throw new RangeError("too far"); }'),
      'fail',
      [],
      { timeoutMs: 5000 },
    );
    assert.deepEqual(outcome.status === 'threw' ? outcome.error : outcome, {
      name: 'RangeError',
      message: 'too far',
    });
  });

  test('stops a synchronous endless loop at the deadline', async () => {
    const outcome = await runIsolated(inline('export function spin() { for (;;); }'), 'spin', [], {
      timeoutMs: 300,
    });
    assert.equal(outcome.status, 'timed-out');
    assert.ok(outcome.ms >= 300);
  });

  test('reports running out of heap instead of dying with the test', async () => {
    const outcome = await runIsolated(
      inline('export function hog() { const kept = []; for (;;) kept.push({ n: kept.length }); }'),
      'hog',
      [],
      { timeoutMs: 30_000, maxHeapMb: 32 },
    );
    assert.equal(outcome.status, 'out-of-memory');
  });
});
