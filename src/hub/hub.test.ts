import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateToken } from './auth.ts';
import { resolveHubConfig } from './config.ts';
import { createHub, startHub } from './hub.ts';

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sextant-hub-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A hub configuration on a SQLite file in `dir`, with the example catalog and a new admin token. */
async function hubConfigIn(dir: string) {
  await writeFile(join(dir, 'catalog.yaml'), CATALOG);
  const admin = generateToken('api').token;
  const config = resolveHubConfig({
    flags: { 'data-dir': join(dir, 'data'), catalog: dir, listen: '127.0.0.1:0' },
    env: { SEXTANT_HUB_ADMIN_TOKEN: admin },
  });
  assert.ok(config.ok);
  return { admin, config };
}

describe('startHub', () => {
  test('listens, serves, and on close writes the audit log and keeps the data', async () => {
    await withDir(async (dir) => {
      const { admin, config } = await hubConfigIn(dir);
      const started = await startHub(config.value, { log: () => {} });
      assert.ok(started.ok, !started.ok ? started.message : '');
      const hub = started.value;
      assert.match(hub.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const units = await fetch(`${hub.url}/api/v1/units`, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(units.status, 200);
      await hub.close();
      await hub.close();

      // A restart on the same data directory finds the audit entry of that request.
      const again = await createHub(config.value, { manual: true, log: () => {} });
      assert.ok(again.ok);
      const audit = await again.value.app.request('/api/v1/audit', {
        headers: { authorization: `Bearer ${admin}` },
      });
      const entries = ((await audit.json()) as { entries: { resource: string }[] }).entries;
      assert.ok(entries.some((entry) => entry.resource === 'GET /api/v1/units'));
      await again.value.close();
    });
  });

  test('a portal session survives a restart on the same SQLite file', async () => {
    await withDir(async (dir) => {
      const { admin, config } = await hubConfigIn(dir);
      const first = await startHub(config.value, { log: () => {} });
      assert.ok(first.ok, !first.ok ? first.message : '');
      const login = await fetch(`${first.value.url}/api/v1/session`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}` },
      });
      assert.equal(login.status, 201);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      await first.value.close();

      const second = await startHub(config.value, { log: () => {} });
      assert.ok(second.ok, !second.ok ? second.message : '');
      const hub = second.value;
      try {
        const units = await fetch(`${hub.url}/api/v1/units`, { headers: { cookie } });
        assert.equal(units.status, 200);
        const whoami = (await (await fetch(`${hub.url}/api/v1/session`, { headers: { cookie } })).json()) as {
          csrfToken: string;
        };
        assert.equal(whoami.csrfToken, csrfToken);
        const logout = await fetch(`${hub.url}/api/v1/session`, {
          method: 'DELETE',
          headers: { cookie, 'sextant-csrf': csrfToken },
        });
        assert.equal(logout.status, 204);
        assert.equal((await fetch(`${hub.url}/api/v1/units`, { headers: { cookie } })).status, 401);
      } finally {
        await hub.close();
      }
    });
  });

  test('a busy port is reported, not thrown', async () => {
    await withDir(async (dir) => {
      await writeFile(join(dir, 'catalog.yaml'), CATALOG);
      const first = resolveHubConfig({
        flags: { database: 'sqlite::memory:', catalog: dir, listen: '127.0.0.1:0' },
        env: {},
      });
      assert.ok(first.ok);
      const a = await startHub(first.value, { log: () => {} });
      assert.ok(a.ok);
      const port = new URL(a.value.url).port;
      const second = resolveHubConfig({
        flags: { database: 'sqlite::memory:', catalog: dir, listen: `127.0.0.1:${port}` },
        env: {},
      });
      assert.ok(second.ok);
      const b = await startHub(second.value, { log: () => {} });
      assert.ok(!b.ok);
      assert.match(b.message, /cannot listen on 127\.0\.0\.1:\d+/);
      await a.value.close();
    });
  });

  test('an invalid catalog with none stored refuses to start', async () => {
    await withDir(async (dir) => {
      await writeFile(join(dir, 'broken.yaml'), 'kind: Service\n');
      const config = resolveHubConfig({ flags: { database: 'sqlite::memory:', catalog: dir }, env: {} });
      assert.ok(config.ok);
      const created = await createHub(config.value, { manual: true, log: () => {} });
      assert.ok(!created.ok);
      assert.match(created.message, /is invalid and the store holds no earlier valid one/);
    });
  });

  test('a malformed bootstrap token refuses to start and says how to make one', async () => {
    const config = resolveHubConfig({
      flags: { database: 'sqlite::memory:' },
      env: { SEXTANT_HUB_ADMIN_TOKEN: 'letmein' },
    });
    assert.ok(config.ok);
    const created = await createHub(config.value, { manual: true, log: () => {} });
    assert.ok(!created.ok);
    assert.match(created.message, /sextant hub token generate/);
  });

  test('a new bootstrap token replaces the previous one', async () => {
    await withDir(async (dir) => {
      const first = generateToken('api').token;
      const second = generateToken('api').token;
      const open = async (token: string) => {
        const config = resolveHubConfig({
          flags: { 'data-dir': dir },
          env: { SEXTANT_HUB_ADMIN_TOKEN: token },
        });
        assert.ok(config.ok);
        const created = await createHub(config.value, { manual: true, log: () => {} });
        assert.ok(created.ok, !created.ok ? created.message : '');
        return created.value;
      };
      await (await open(first)).close();
      const hub = await open(second);
      const status = async (token: string) =>
        (await hub.app.request('/api/v1/units', { headers: { authorization: `Bearer ${token}` } })).status;
      assert.equal(await status(second), 200);
      assert.equal(await status(first), 401);
      await hub.close();
    });
  });
});
