import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { databaseLocation, overridesFor, resolveHubConfig } from './config.ts';

const FILE = {
  path: 'hub.yaml',
  text: `listen: 0.0.0.0:9465
dataDir: /var/lib/sextant-hub
catalog: ./catalog
limits:
  maxConcurrentPushes: 4
overrides:
  - tenant: dedicated-*
    settings: {pushInterval: 30s, exportResolutionMinutes: 5}
  - unit: gprd-cell-1
    settings: {pushInterval: 10s}
  - tenant: '*'
    settings: {evaluationInterval: 1m}
`,
};

describe('hub configuration', () => {
  test('a file gets every default applied', () => {
    const result = resolveHubConfig({ file: FILE, flags: {}, env: {} });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const config = result.value;
    assert.equal(config.listen, '0.0.0.0:9465');
    assert.equal(config.limits.maxConcurrentPushes, 4);
    assert.equal(config.limits.maxQueuedPushes, 32);
    assert.equal(config.limits.maxBodyBytes, 16 * 1024 * 1024);
    assert.equal(config.retention.detail, 35 * 86_400_000);
    assert.equal(config.retention.aggregate, 400 * 86_400_000);
    assert.equal(config.sessions.ttl, 12 * 3_600_000);
    assert.equal(config.sessions.maxPerToken, 100);
    assert.equal(config.trustProxy, false);
    assert.equal(config.adminToken, undefined);
  });

  test('flags win over the environment, which wins over the file', () => {
    const result = resolveHubConfig({
      file: FILE,
      flags: { listen: '127.0.0.1:1' },
      env: {
        SEXTANT_HUB_LISTEN: '127.0.0.1:2',
        SEXTANT_HUB_DATABASE: 'postgres://hub@db/hub',
        SEXTANT_HUB_TRUST_PROXY: 'true',
      },
    });
    assert.ok(result.ok);
    assert.equal(result.value.listen, '127.0.0.1:1');
    assert.equal(result.value.database, 'postgres://hub@db/hub');
    assert.equal(result.value.trustProxy, true);
  });

  test('the bootstrap admin token comes from the environment only', () => {
    const fromEnv = resolveHubConfig({
      flags: { 'data-dir': '/d' },
      env: { SEXTANT_HUB_ADMIN_TOKEN: ' sxt_x \n' },
    });
    assert.ok(fromEnv.ok);
    assert.equal(fromEnv.value.adminToken, 'sxt_x');
    const inFile = resolveHubConfig({
      file: { path: 'hub.yaml', text: 'dataDir: /d\nadminToken: sxt_x\n' },
      flags: {},
      env: {},
    });
    assert.ok(!inFile.ok);
    assert.equal(inFile.issues[0]!.where, 'hub.yaml:2:13');
    assert.match(inFile.issues[0]!.message, /adminTokenFile or SEXTANT_HUB_ADMIN_TOKEN/);
  });

  test('without dataDir or database the hub says where to give one', () => {
    const result = resolveHubConfig({ flags: {}, env: {} });
    assert.ok(!result.ok);
    assert.match(result.issues[0]!.message, /--data-dir\/--database/);
  });

  test('a bad value is located in the file', () => {
    const result = resolveHubConfig({
      file: { path: 'hub.yaml', text: 'dataDir: /d\nlimits:\n  maxBodyBytes: lots\n' },
      flags: {},
      env: {},
    });
    assert.ok(!result.ok);
    assert.equal(result.issues[0]!.where, 'hub.yaml:3:17');
    assert.equal(result.issues[0]!.path, 'limits.maxBodyBytes');
  });

  test('a bad flag value names the flag', () => {
    const result = resolveHubConfig({
      flags: { 'data-dir': '/d', 'max-concurrent-pushes': 'many' },
      env: {},
    });
    assert.ok(!result.ok);
    assert.equal(result.issues[0]!.where, '--max-concurrent-pushes');
  });

  test('overrides accept only the unit settings a hub may set', () => {
    const result = resolveHubConfig({
      file: {
        path: 'hub.yaml',
        text: 'dataDir: /d\noverrides:\n  - unit: a\n    settings: {listen: "0.0.0.0:1"}\n',
      },
      flags: {},
      env: {},
    });
    assert.ok(!result.ok);
    assert.equal(result.issues[0]!.path, 'overrides.0.settings');
    assert.match(result.issues[0]!.message, /listen/);
  });

  test('an override names a unit or a tenant, not both', () => {
    const result = resolveHubConfig({
      file: { path: 'hub.yaml', text: 'dataDir: /d\noverrides:\n  - {unit: a, tenant: b, settings: {}}\n' },
      flags: {},
      env: {},
    });
    assert.ok(!result.ok);
    assert.match(result.issues[0]!.message, /exactly one of unit/);
  });

  test('the decompressed limit cannot exceed the protocol maximum', () => {
    const result = resolveHubConfig({
      file: { path: 'h', text: 'dataDir: /d\nlimits: {maxDecompressedBytes: 1GiB}\n' },
      flags: {},
      env: {},
    });
    assert.ok(!result.ok);
    assert.match(result.issues[0]!.message, /MAX_PUSH_BYTES/);
  });
});

describe('unit overrides', () => {
  const resolved = resolveHubConfig({ file: FILE, flags: {}, env: {} });
  assert.ok(resolved.ok);
  const overrides = resolved.value.overrides;

  test('a unit gets the settings of every tenant pattern it matches, then its own', () => {
    assert.deepEqual(overridesFor(overrides, { id: 'gprd-cell-1', tenant: 'dedicated-acme' }), {
      pushInterval: '10s',
      exportResolutionMinutes: 5,
      evaluationInterval: '1m',
    });
  });

  test('a unit no pattern matches gets only the catch-all', () => {
    assert.deepEqual(overridesFor(overrides, { id: 'x', tenant: 'gitlab' }), { evaluationInterval: '1m' });
  });

  test('no overrides give an empty object', () => {
    assert.deepEqual(overridesFor([], { id: 'x', tenant: 'gitlab' }), {});
  });
});

describe('database location', () => {
  test('the default is a SQLite file in the data directory', () => {
    assert.deepEqual(databaseLocation({ dataDir: '/data' }), {
      kind: 'sqlite',
      path: '/data/sextant-hub.db',
    });
  });
  test('sqlite: URLs and plain paths are SQLite files', () => {
    assert.deepEqual(databaseLocation({ database: 'sqlite:/x/hub.db' }), {
      kind: 'sqlite',
      path: '/x/hub.db',
    });
    assert.deepEqual(databaseLocation({ database: 'sqlite:///x/hub.db' }), {
      kind: 'sqlite',
      path: '/x/hub.db',
    });
    assert.deepEqual(databaseLocation({ database: 'sqlite::memory:' }), { kind: 'sqlite', path: ':memory:' });
    assert.deepEqual(databaseLocation({ database: 'hub.db' }), { kind: 'sqlite', path: 'hub.db' });
  });
  test('postgres URLs go to PostgreSQL', () => {
    assert.deepEqual(databaseLocation({ database: 'postgresql://h/db' }), {
      kind: 'postgres',
      url: 'postgresql://h/db',
    });
  });
});
