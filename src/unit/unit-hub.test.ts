import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryNotificationQueue } from '../notify/index.ts';
import { canonicalChecksum, type SyncRecord } from '../sync/index.ts';
import { resolveUnitConfig, type UnitConfig } from './config.ts';
import { exportedRecords } from './exported.ts';
import type { LogLevel } from './logger.ts';
import { bundle, FakeHub } from './sync-test-support.ts';
import { startUnit, type UnitHandle } from './unit.ts';

const service = (slos: string) => `apiVersion: sextant.dev/v1
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
    - name: batch
      kind: events
      significantLabels: [job]
  slos:
${slos}
`;
const CATALOG = service('    - {name: batch, sli: batch, objectivePercent: 99, window: 7d}');
const CATALOG_RENAMED = service('    - {name: batch-99-5, sli: batch, objectivePercent: 99.5, window: 7d}');

const START = Date.UTC(2026, 10, 24, 10, 0);
let clock = START;
let dir = '';
let catalogDir = '';
const logs: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];

async function start(config: UnitConfig, hub: FakeHub): Promise<UnitHandle> {
  const started = await startUnit(config, {
    now: () => clock,
    manual: true,
    log: (level, message, fields = {}) => logs.push({ level, message, fields }),
    fetch: hub.fetch,
    queue: () => new MemoryNotificationQueue(),
  });
  assert.ok(started.ok, started.ok ? '' : started.message);
  return started.value;
}

function configFor(
  name: string,
  flags: Record<string, string>,
  env: Record<string, string> = {},
): UnitConfig {
  const resolved = resolveUnitConfig({
    flags: { id: 'cell-1', 'data-dir': join(dir, name), listen: '127.0.0.1:0', ...flags },
    env,
  });
  assert.ok(resolved.ok, resolved.ok ? '' : JSON.stringify(resolved.issues));
  return resolved.value;
}

async function events(unit: UnitHandle, list: { minute: number; good: number; total: number }[]) {
  const response = await fetch(`${unit.url}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      events: list.map((event) => ({
        sli: 'api/batch',
        labels: { job: 'nightly' },
        time: new Date(START + event.minute * 60_000).toISOString(),
        good: event.good,
        total: event.total,
      })),
    }),
  });
  assert.equal(response.status, 200, await response.text());
}

const kinds = (records: SyncRecord[]) => [...new Set(records.map((record) => record.kind))].sort();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-unit-hub-'));
  catalogDir = join(dir, 'catalog');
  await mkdir(catalogDir);
  await writeFile(join(catalogDir, 'catalog.yaml'), CATALOG);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a unit with a hub', () => {
  test('replicates counts, SLO status, alerts and its catalog, and converges with the hub', async () => {
    clock = START;
    const hub = new FakeHub({ unit: 'cell-1' });
    const config = configFor(
      'converge',
      { catalog: catalogDir, 'hub-url': hub.url },
      { SEXTANT_HUB_TOKEN: hub.token },
    );
    const unit = await start(config, hub);
    try {
      clock = START + 20 * 60_000;
      await events(unit, [
        { minute: 1, good: 98, total: 100 },
        { minute: 12, good: 50, total: 50 },
      ]);
      await unit.evaluateNow();
      assert.ok(unit.sync);
      assert.equal((await unit.sync.drain()).kind, 'ok');
      const held = hub.held();
      assert.deepEqual(kinds(held), ['alert', 'catalog', 'counts', 'slo_status']);
      const status = held.find((record) => record.kind === 'slo_status');
      assert.ok(status?.kind === 'slo_status' && status.status);
      assert.equal(status.status.good, 148);
      assert.equal(status.status.total, 150);
      assert.equal(status.status.objectiveRatio, 0.99);
      const catalog = held.find((record) => record.kind === 'catalog');
      assert.ok(catalog?.kind === 'catalog');
      assert.equal(catalog.source, 'local');
      assert.equal(unit.runningCatalog()?.version, catalog.version);
      assert.equal(hub.checksum(), canonicalChecksum(exportedRecords(unit.state)));

      // An evaluation that changes nothing sends nothing new.
      const pushes = hub.pushes.length;
      await unit.evaluateNow();
      assert.equal((await unit.sync.drain()).kind, 'idle');
      assert.equal(hub.pushes.length, pushes);

      const metrics = await (await fetch(`${unit.url}/metrics`)).text();
      assert.match(metrics, /sextant_sync_pending_records 0/);
      assert.match(metrics, /sextant_sync_acked_seq \d+/);
      assert.match(metrics, /sextant_sync_push_attempts_total\{outcome="ok"\} \d+/);
      assert.match(metrics, /sextant_sync_outbox_bytes \d+/);
    } finally {
      await unit.close();
    }
  });

  test('stays ready and keeps its data while the hub is down, and catches up after a restart', async () => {
    clock = START;
    const hub = new FakeHub({ unit: 'cell-1' });
    await writeFile(join(dir, 'token'), `${hub.token}\n`);
    const config = configFor('offline', {
      catalog: catalogDir,
      'hub-url': hub.url,
      'hub-token-file': join(dir, 'token'),
    });
    let unit = await start(config, hub);
    clock = START + 5 * 60_000;
    await events(unit, [{ minute: 2, good: 1, total: 1 }]);
    await unit.evaluateNow();
    hub.forcedPush.push('network');
    assert.equal((await unit.sync!.pushOnce()).kind, 'network_error');
    assert.equal((await fetch(`${unit.url}/readyz`)).status, 200);
    const pending = unit.state.outbox!.pendingCount();
    const nextSeq = unit.state.outbox!.nextSeq;
    assert.ok(pending > 0);
    await unit.close();

    unit = await start(config, hub);
    try {
      assert.equal(unit.state.outbox!.pendingCount(), pending);
      assert.ok(unit.state.outbox!.nextSeq >= nextSeq);
      clock = START + 6 * 60_000;
      await events(unit, [{ minute: 3, good: 1, total: 2 }]);
      assert.equal((await unit.sync!.drain()).kind, 'ok');
      const counts = hub.held().filter((record) => record.kind === 'counts');
      assert.deepEqual(
        counts.map((record) => (record.kind === 'counts' ? [record.good, record.total] : [])),
        [[2, 3]],
      );
      assert.equal(hub.checksum(), canonicalChecksum(exportedRecords(unit.state)));
    } finally {
      await unit.close();
    }
  });

  test('runs the catalog the hub distributes, keeps it when the next is broken or unreachable, and after a restart', async () => {
    clock = START;
    const hub = new FakeHub({ unit: 'cell-1' });
    const config = configFor(
      'hub-catalog',
      { 'hub-url': hub.url, 'hub-catalog': 'true' },
      { SEXTANT_HUB_TOKEN: hub.token },
    );
    let unit = await start(config, hub);
    try {
      assert.equal(unit.runningCatalog(), undefined);
      assert.equal(unit.catalog().services.size, 0);
      assert.ok(logs.some((line) => /empty catalog/.test(line.message)));

      // A minute later the idle unit checks in with an empty push and learns the version.
      const later = async () => {
        clock += 60_000;
        await unit.sync!.drain();
      };
      hub.catalog = bundle('sha256:v1', { 'services/api.yaml': CATALOG });
      await later();
      assert.deepEqual(unit.runningCatalog(), { source: 'hub', version: 'sha256:v1' });
      assert.ok(unit.catalog().services.has('api'));
      assert.equal(
        await readFile(join(config.dataDir, 'hub-catalog', 'services', 'api.yaml'), 'utf8'),
        CATALOG,
      );
      await unit.sync!.drain();
      const record = hub.held().find((held) => held.kind === 'catalog');
      assert.deepEqual(record && { ...record, seq: 0 }, {
        kind: 'catalog',
        seq: 0,
        version: 'sha256:v1',
        source: 'hub',
      });

      await unit.evaluateNow();
      await unit.sync!.drain();
      assert.ok(
        hub.held().some((held) => held.kind === 'slo_status' && held.slo === 'api/batch' && held.status),
      );

      // A broken catalog is refused, once; the running one stays.
      hub.catalog = bundle('sha256:v2', { 'services/api.yaml': 'kind: [' });
      await later();
      assert.deepEqual(unit.runningCatalog(), { source: 'hub', version: 'sha256:v1' });
      assert.ok(logs.some((line) => line.level === 'error' && /does not validate/.test(line.message)));
      const fetches = hub.catalogFetches;
      await later();
      assert.equal(hub.catalogFetches, fetches);

      // Unreachable: kept, and fetched at the next push.
      hub.catalog = bundle(
        'sha256:v3',
        { 'services/api.yaml': CATALOG_RENAMED },
        { pushInterval: '30s', dataDir: '/etc' },
      );
      hub.forcedCatalog.push({ status: 503 });
      await later();
      assert.equal(unit.runningCatalog()?.version, 'sha256:v1');
      await later();
      assert.equal(unit.runningCatalog()?.version, 'sha256:v3');
      assert.ok(logs.some((line) => /may not override/.test(line.message)));

      // The SLO that left the catalog is tombstoned at the next evaluation.
      await unit.evaluateNow();
      await unit.sync!.drain();
      const statuses = hub.held().filter((held) => held.kind === 'slo_status');
      assert.ok(
        statuses.some(
          (held) => held.kind === 'slo_status' && held.slo === 'api/batch' && held.deleted === true,
        ),
      );
      assert.ok(
        statuses.some((held) => held.kind === 'slo_status' && held.slo === 'api/batch-99-5' && held.status),
      );
    } finally {
      await unit.close();
    }
    unit = await start(config, hub);
    try {
      assert.deepEqual(unit.runningCatalog(), { source: 'hub', version: 'sha256:v3' });
      assert.ok(unit.catalog().services.has('api'));
    } finally {
      await unit.close();
    }
  });

  test('a unit without a hub writes no outbox, and one whose hub was removed stops marking', async () => {
    clock = START;
    const hub = new FakeHub({ unit: 'cell-1' });
    const withHub = configFor(
      'removed',
      { catalog: catalogDir, 'hub-url': hub.url },
      { SEXTANT_HUB_TOKEN: hub.token },
    );
    let unit = await start(withHub, hub);
    await unit.close();
    unit = await start(configFor('removed', { catalog: catalogDir }), hub);
    try {
      assert.equal(unit.sync, undefined);
      assert.equal(unit.state.outbox, undefined);
      clock = START + 3 * 60_000;
      await events(unit, [{ minute: 1, good: 1, total: 1 }]);
      const rows = unit.state.db.prepare('SELECT count(*) AS n FROM unit_outbox').get() as { n: number };
      assert.equal(rows.n, 0);
    } finally {
      await unit.close();
    }
    unit = await start(configFor('standalone', { catalog: catalogDir }), hub);
    try {
      const tables = unit.state.db
        .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'unit_outbox%'")
        .all();
      assert.deepEqual(tables, []);
    } finally {
      await unit.close();
    }
  });
});
