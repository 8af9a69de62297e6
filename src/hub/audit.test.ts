import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuditLog } from './audit.ts';
import type { AuditEntry } from './store/index.ts';

function memoryStore(fail = { now: false }) {
  const rows: AuditEntry[] = [];
  return {
    rows,
    fail,
    async appendAudit(entries: readonly AuditEntry[]) {
      if (fail.now) throw new Error('disk is full');
      rows.push(...entries);
    },
  };
}

describe('audit log', () => {
  test('entries are written in one batch on flush', async () => {
    const store = memoryStore();
    const audit = new AuditLog({ store, now: () => 0 });
    audit.record({ atMs: 1, actor: 'credential:a', action: 'read', resource: 'GET /x', outcome: '200' });
    audit.record({ atMs: 2, actor: 'credential:a', action: 'read', resource: 'GET /y', outcome: '403' });
    assert.equal(store.rows.length, 0);
    await audit.flush();
    assert.deepEqual(
      store.rows.map((row) => row.resource),
      ['GET /x', 'GET /y'],
    );
  });

  test("a unit's pushes within a minute become one summary with summed counts", async () => {
    const store = memoryStore();
    let clock = 60_000;
    const audit = new AuditLog({ store, now: () => clock });
    const push = { actor: 'unit:u1', action: 'push', resource: 'unit:u1', outcome: '200' };
    audit.summarise({ ...push, atMs: 60_500 }, { records: 3, applied: 3 });
    audit.summarise({ ...push, atMs: 119_000 }, { records: 2, applied: 1 });
    audit.summarise({ ...push, atMs: 120_000 }, { records: 7, applied: 7 });
    await audit.flush();
    assert.equal(store.rows.length, 0, 'the window is still open');
    clock = 120_000;
    await audit.flush();
    assert.deepEqual(store.rows, [
      {
        ...push,
        atMs: 60_000,
        detail: { summary: true, count: 2, firstAtMs: 60_500, lastAtMs: 119_000, records: 5, applied: 4 },
      },
    ]);
    await audit.close();
    assert.equal(store.rows.length, 2, 'closing writes the open window too');
    assert.equal(store.rows[1]!.detail!['records'], 7);
  });

  test('entries survive a failed write and go out with the next one', async () => {
    const store = memoryStore();
    const audit = new AuditLog({ store, now: () => 0 });
    store.fail.now = true;
    audit.record({ atMs: 1, actor: 'system', action: 'x', resource: 'r', outcome: 'ok' });
    await audit.flush();
    assert.equal(audit.pending, 1);
    store.fail.now = false;
    audit.record({ atMs: 2, actor: 'system', action: 'y', resource: 'r', outcome: 'ok' });
    await audit.flush();
    assert.deepEqual(
      store.rows.map((row) => row.action),
      ['x', 'y'],
    );
  });
});
