import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  catalogVersionOf,
  isSafeBundlePath,
  loadStoredHubCatalog,
  parseOverrides,
  storeHubCatalog,
  validateBundle,
} from './hub-catalog.ts';
import { bundle } from './sync-test-support.ts';

const SERVICE = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: api}
spec:
  owner: core
  tier: critical
  slis:
    - {name: batch, kind: events}
  slos:
    - {name: batch, sli: batch, objectivePercent: 99, window: 7d}
`;

describe('the hub catalog', () => {
  test('bundle paths must be plain relative paths', () => {
    for (const path of ['services/api.yaml', 'a.yml', 'x/y/z.yaml']) assert.ok(isSafeBundlePath(path), path);
    for (const path of [
      '../etc/passwd',
      'a/../../b.yaml',
      '/abs.yaml',
      'C:/x.yaml',
      'a\\b.yaml',
      '.hidden.yaml',
      'a//b.yaml',
      '',
    ])
      assert.ok(!isSafeBundlePath(path), path);
  });

  test('a valid bundle builds; a bad path, a broken catalog or another protocol major is refused', () => {
    const good = validateBundle(
      bundle('sha256:v1', { 'services/api.yaml': SERVICE, 'README.md': '# not yaml' }),
    );
    assert.ok(good.ok);
    assert.deepEqual(
      good.value.files.map((file) => file.path),
      ['services/api.yaml'],
    );
    assert.ok(good.value.catalog.services.has('api'));

    const escaping = validateBundle(bundle('sha256:v2', { '../api.yaml': SERVICE }));
    assert.ok(!escaping.ok);
    assert.match(escaping.issues.join('\n'), /not a plain relative path/);

    const broken = validateBundle(
      bundle('sha256:v3', { 'api.yaml': SERVICE.replace('objectivePercent: 99', 'objectivePercent: 120') }),
    );
    assert.ok(!broken.ok);

    const future = validateBundle({ ...bundle('sha256:v4', { 'api.yaml': SERVICE }), protocol: '2.0' });
    assert.ok(!future.ok);
    assert.match(future.issues.join('\n'), /protocol 2\.0/);

    assert.ok(!validateBundle({ version: 'x' }).ok);
  });

  test('a stored catalog is read back with its version and overrides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-hub-catalog-'));
    try {
      const valid = validateBundle(
        bundle('sha256:v1', { 'services/api.yaml': SERVICE }, { pushInterval: '30s' }),
      );
      assert.ok(valid.ok);
      await storeHubCatalog(dir, valid.value);
      assert.equal(await readFile(join(dir, 'hub-catalog', 'services', 'api.yaml'), 'utf8'), SERVICE);
      const loaded = await loadStoredHubCatalog(dir);
      assert.ok(loaded?.ok);
      assert.equal(loaded.value.version, 'sha256:v1');
      assert.deepEqual(loaded.value.overrides, { pushInterval: '30s' });
      // A second store replaces the first and leaves nothing else behind.
      const next = validateBundle(bundle('sha256:v2', { 'api.yaml': SERVICE }));
      assert.ok(next.ok);
      await storeHubCatalog(dir, next.value);
      assert.deepEqual((await readdir(dir)).sort(), ['hub-catalog']);
      assert.deepEqual((await readdir(join(dir, 'hub-catalog'))).sort(), [
        '.sextant-bundle.json',
        'api.yaml',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a store interrupted between its two renames is recovered; an unfinished one is discarded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-hub-catalog-'));
    try {
      const valid = validateBundle(bundle('sha256:v1', { 'api.yaml': SERVICE }));
      assert.ok(valid.ok);
      await storeHubCatalog(dir, valid.value);
      // The crash: the old catalog was moved aside, the new one never renamed into place.
      await rename(join(dir, 'hub-catalog'), join(dir, '.hub-catalog.old-1'));
      await mkdir(join(dir, '.hub-catalog.new-1'));
      const loaded = await loadStoredHubCatalog(dir);
      assert.ok(loaded?.ok);
      assert.equal(loaded.value.version, 'sha256:v1');
      assert.deepEqual(await readdir(dir), ['hub-catalog']);
      assert.equal(await loadStoredHubCatalog(join(dir, 'missing')), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('only the overrides a hub may set are applied, and only when they make sense', () => {
    const { value, ignored } = parseOverrides({
      pushInterval: '30s',
      evaluationInterval: 60_000,
      exportResolutionMinutes: 7,
      dataDir: '/etc',
    });
    assert.deepEqual(value, { pushIntervalMs: 30_000, evaluationIntervalMs: 60_000 });
    assert.equal(ignored.length, 2);
    assert.match(ignored.join('\n'), /exportResolutionMinutes/);
    assert.match(ignored.join('\n'), /dataDir: not a setting the hub may override/);
  });

  test('a local catalog version depends on file paths and texts only', () => {
    const a = catalogVersionOf([
      { path: 'b.yaml', text: 'x' },
      { path: 'a.yaml', text: 'y' },
    ]);
    const b = catalogVersionOf([
      { path: 'a.yaml', text: 'y' },
      { path: 'b.yaml', text: 'x' },
    ]);
    assert.equal(a, b);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(a, catalogVersionOf([{ path: 'a.yaml', text: 'x' }]));
  });
});
