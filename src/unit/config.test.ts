import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseBytes, parseDurationMs, parseListen, resolveUnitConfig, unitConfigSchema } from './config.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const nextTask = () => new Promise((resolve) => setImmediate(resolve));

const FILE = {
  path: 'unit.yaml',
  text: `unit:
  id: gprd-cell-1
  tenant: gprd-cell-1
catalog: ./catalog
dataDir: ./data
evaluationInterval: 15s
sources:
  scrape:
    - name: app
      url: http://127.0.0.1:8080/metrics
notifiers:
  - kind: alertmanager
    urls: [http://127.0.0.1:9093]
`,
};

describe('unit configuration', () => {
  test('a file gets every default applied', () => {
    const result = resolveUnitConfig({ file: FILE, flags: {}, env: {} });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const config = result.value;
    assert.equal(config.evaluationInterval, 15_000);
    assert.equal(config.listen, '127.0.0.1:9464');
    assert.equal(config.retention.minutes, 35 * 86_400_000);
    assert.equal(config.limits.maxBodyBytes, 16 * 1024 * 1024);
    assert.equal(config.sources.remoteWrite, true);
    assert.equal(config.sources.scrape[0]!.interval, 15_000);
    assert.equal(config.unit.environment, 'production');
  });

  test('flags win over the environment, which wins over the file', () => {
    const result = resolveUnitConfig({
      file: FILE,
      flags: { listen: '127.0.0.1:1' },
      env: { SEXTANT_LISTEN: '127.0.0.1:2', SEXTANT_DATA_DIR: '/var/lib/sextant' },
    });
    assert.ok(result.ok);
    assert.equal(result.value.listen, '127.0.0.1:1');
    assert.equal(result.value.dataDir, '/var/lib/sextant');
  });

  test('without a file, flags and environment suffice', () => {
    const result = resolveUnitConfig({
      flags: { id: 'dev', catalog: 'examples/fleet' },
      env: { SEXTANT_DATA_DIR: '/tmp/x', SEXTANT_ALERTMANAGER: 'http://a:9093, http://b:9093' },
    });
    assert.ok(result.ok);
    assert.deepEqual(result.value.notifiers, [
      { kind: 'alertmanager', urls: ['http://a:9093', 'http://b:9093'] },
    ]);
  });

  test('a missing setting says where it can be given', () => {
    const result = resolveUnitConfig({ flags: { id: 'dev' }, env: {} });
    assert.ok(!result.ok);
    assert.match(
      result.issues.map((i) => i.message).join('\n'),
      /catalog: is required \(set it in the file, with --catalog or with SEXTANT_CATALOG\)/,
    );
  });

  test('a bad value in the file points at its line', () => {
    const result = resolveUnitConfig({
      file: { ...FILE, text: FILE.text.replace('15s', 'fifteen') },
      flags: {},
      env: {},
    });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.issues.map((i) => [i.where, i.path]),
      [['unit.yaml:6:21', 'evaluationInterval']],
    );
  });

  test('a bad flag names the flag', () => {
    const result = resolveUnitConfig({ file: FILE, flags: { listen: 'nowhere' }, env: {} });
    assert.ok(!result.ok);
    assert.equal(result.issues[0]!.where, '--listen');
  });

  test('an unknown key in the file is rejected', () => {
    const result = resolveUnitConfig({
      file: { ...FILE, text: `${FILE.text}colour: blue\n` },
      flags: {},
      env: {},
    });
    assert.ok(!result.ok);
    assert.match(result.issues[0]!.message, /colour/);
  });

  test('durations, sizes and listen addresses parse', () => {
    assert.equal(parseDurationMs('1m30s'), 90_000);
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs('soon'), undefined);
    assert.equal(parseBytes('10MiB'), 10 * 1024 * 1024);
    assert.equal(parseBytes('ten'), undefined);
    assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
  });

  test('a hub section gets the sync defaults; the token may come from the environment', () => {
    const result = resolveUnitConfig({
      file: { ...FILE, text: `${FILE.text}hub:\n  url: https://hub.example/\n` },
      flags: {},
      env: { SEXTANT_HUB_TOKEN: 'sxt_unit_secret' },
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const { hub, sync } = result.value;
    assert.deepEqual(hub, { url: 'https://hub.example/', token: 'sxt_unit_secret', catalog: false });
    assert.equal(sync.pushInterval, 15_000);
    assert.equal(sync.resolution, 5 * 60_000);
    assert.equal(sync.maxRecordsPerPush, 2000);
    assert.equal(sync.outboxQuota, 256 * 1024 * 1024);
    assert.deepEqual(sync.export.kinds, ['counts', 'slo_status', 'alert', 'catalog']);
  });

  test('without a hub section the token variable is ignored and nothing is replicated', () => {
    const result = resolveUnitConfig({ file: FILE, flags: {}, env: { SEXTANT_HUB_TOKEN: 'sxt_x' } });
    assert.ok(result.ok);
    assert.equal(result.value.hub, undefined);
  });

  test('a token written in the file is refused without being echoed', () => {
    const result = resolveUnitConfig({
      file: { ...FILE, text: `${FILE.text}hub:\n  url: https://hub.example\n  token: sxt_leaked_secret\n` },
      flags: {},
      env: {},
    });
    assert.ok(!result.ok);
    const text = JSON.stringify(result.issues);
    assert.match(text, /never write the token in the configuration/);
    assert.doesNotMatch(text, /sxt_leaked_secret/);
  });

  test('a hub needs a token file or the token variable', () => {
    const result = resolveUnitConfig({
      file: FILE,
      flags: { 'hub-url': 'https://hub.example' },
      env: {},
    });
    assert.ok(!result.ok);
    assert.equal(result.issues[0]!.where, '--hub-url');
    assert.match(result.issues[0]!.message, /hub.tokenFile .* or SEXTANT_HUB_TOKEN/);
  });

  test('with the hub catalog the local catalog is optional', () => {
    const result = resolveUnitConfig({
      flags: { id: 'dev', 'data-dir': '/tmp/x', 'hub-url': 'http://hub:9465', 'hub-catalog': 'true' },
      env: { SEXTANT_HUB_TOKEN_FILE: '/run/secrets/token' },
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    assert.equal(result.value.catalog, '');
    assert.deepEqual(result.value.hub, {
      url: 'http://hub:9465',
      tokenFile: '/run/secrets/token',
      catalog: true,
    });
  });

  test('the export resolution must divide an hour, and the export policy is checked', () => {
    const bad = resolveUnitConfig({
      file: {
        ...FILE,
        text: `${FILE.text}sync:\n  resolution: 7m\n  export:\n    kinds: [counts, logs]\n    counts: {dropLabels: [pod], keepLabels: [job]}\n`,
      },
      flags: {},
      env: {},
    });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.issues.map((issue) => issue.path).sort(), [
      'sync.export.counts',
      'sync.export.kinds.1',
      'sync.resolution',
    ]);
    const good = resolveUnitConfig({
      file: {
        ...FILE,
        text: `${FILE.text}sync:\n  resolution: 15m\n  export: {dropFields: [alert.summary]}\n`,
      },
      flags: { 'push-interval': '1m' },
      env: {},
    });
    assert.ok(good.ok, JSON.stringify(!good.ok && good.issues));
    assert.equal(good.value.sync.resolution, 15 * 60_000);
    assert.equal(good.value.sync.pushInterval, 60_000);
    assert.deepEqual(good.value.sync.export.dropFields, ['alert.summary']);
  });
});

describe('unitConfigSchema', () => {
  test('nothing keeps the schema once a configuration is read: the collector takes it', async () => {
    const resolved = resolveUnitConfig({
      flags: { id: 'edge-1', catalog: 'fleet', 'data-dir': 'data' },
      env: {},
    });
    assert.equal(resolved.ok, true);
    const ref = new WeakRef(unitConfigSchema());
    await nextTask();
    gc();
    await nextTask();
    gc();
    assert.equal(ref.deref(), undefined, 'the unit configuration schema is still reachable after a read');
  });
});
