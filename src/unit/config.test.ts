import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBytes, parseDurationMs, parseListen, resolveUnitConfig } from './config.ts';

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
});
