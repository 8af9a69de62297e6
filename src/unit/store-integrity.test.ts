import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UnitAlertNotice } from '../notify/index.ts';
import type { checkSqliteIntegrity } from '../store/index.ts';
import { resolveUnitConfig } from './config.ts';
import type { LogLevel } from './logger.ts';
import { MetricsRegistry } from './metrics.ts';
import { checkUnitStore, STORE_DAMAGED_ALERT } from './store-integrity.ts';
import { startUnit } from './unit.ts';
import { UnitAlerts } from './unit-alerts.ts';

const T0 = Date.UTC(2026, 10, 24, 10);

/** A unit's alerts and log, over a key-value store that outlives "restarts". */
function harness(kv = new Map<string, string>()) {
  const queued: UnitAlertNotice[] = [];
  const logs: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  const metrics = new MetricsRegistry();
  const alerts = new UnitAlerts({
    submit: async (notices) => {
      queued.push(...notices);
    },
    store: { getValue: (name) => kv.get(name), setValue: (name, value) => kv.set(name, value) },
    unit: { id: 'cell-1' },
    now: () => T0,
    log: () => {},
  });
  const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) =>
    logs.push({ level, message, fields });
  const run = (check: typeof checkSqliteIntegrity) =>
    checkUnitStore({ path: '/data/sextant-unit.db', unitId: 'cell-1', log, metrics, alerts, check });
  return { kv, queued, logs, metrics, run };
}

const damaged: typeof checkSqliteIntegrity = async () => ({
  ok: true,
  value: { ok: false, problems: ['Tree 2 page 51 cell 54: Extends off end of page'], durationMs: 2500 },
});
const sound: typeof checkSqliteIntegrity = async () => ({
  ok: true,
  value: { ok: true, problems: [], durationMs: 3100 },
});

describe('the unit store integrity check', () => {
  test('damage is logged with what SQLite found, shown in a metric and raised as a ticket', async () => {
    const unit = harness();
    await unit.run(damaged);
    const error = unit.logs.find((l) => l.level === 'error');
    assert.deepEqual(error?.fields['problems'], ['Tree 2 page 51 cell 54: Extends off end of page']);
    const text = unit.metrics.render();
    assert.match(text, /^sextant_unit_store_integrity_ok 0$/m);
    assert.match(text, /^sextant_unit_store_integrity_check_seconds 2.5$/m);
    assert.deepEqual(
      unit.queued.map((n) => [n.alertname, n.severity, n.event]),
      [[STORE_DAMAGED_ALERT, 'ticket', 'firing']],
    );
  });

  test('the next start whose check passes resolves the alert', async () => {
    const first = harness();
    await first.run(damaged);
    const restarted = harness(first.kv);
    await restarted.run(sound);
    assert.deepEqual(
      restarted.queued.map((n) => n.event),
      ['resolved'],
    );
    assert.match(restarted.metrics.render(), /^sextant_unit_store_integrity_ok 1$/m);
  });

  test('a sound store raises nothing, and a check that could not run is a warning only', async () => {
    const unit = harness();
    await unit.run(sound);
    await unit.run(async () => ({ ok: false, message: 'cannot run the integrity check: spawn ENOMEM' }));
    assert.deepEqual(unit.queued, []);
    assert.deepEqual(
      unit.logs.map((l) => l.level),
      ['info', 'warn'],
    );
  });
});

describe('a running unit', () => {
  test('checks its database in the background once it is ready', { timeout: 30_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sextant-integrity-unit-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'catalog.yaml'),
      `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
`,
    );
    const resolved = resolveUnitConfig({
      flags: { id: 'checked', catalog: dir, 'data-dir': join(dir, 'data'), listen: '127.0.0.1:0' },
      env: {},
    });
    assert.ok(resolved.ok);
    const logs: string[] = [];
    const started = await startUnit(resolved.value, { log: (_level, message) => logs.push(message) });
    assert.ok(started.ok, !started.ok ? started.message : '');
    const unit = started.value;
    t.after(() => unit.close());
    // Waits for the background check; the test's timeout bounds the wait.
    while (!/^sextant_unit_store_integrity_ok /m.test(unit.metrics.render())) await sleep(20);
    assert.match(unit.metrics.render(), /^sextant_unit_store_integrity_ok 1$/m);
    assert.ok(logs.includes('the database passed its integrity check'));
  });
});
