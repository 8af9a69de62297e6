import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { generateToken } from './auth.ts';
import { resolveHubConfig } from './config.ts';
import { createHub, type HubInstance } from './hub.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers and assert on them
type Json = Record<string, any>;

const CATALOG = `apiVersion: sextant.dev/v1
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
    - name: availability
      kind: ratio
      bad: {selector: 'http_requests_total{job="api",code=~"5.."}'}
      total: {selector: 'http_requests_total{job="api"}'}
  slos:
    - {name: availability, sli: availability, objectivePercent: 99.9, window: 28d}
`;

const START = Date.UTC(2026, 10, 24, 10, 0);
const ADMIN = generateToken('api').token;
/** An hour before START, in epoch minutes: inside the hub's retention. */
const M = START / 60_000 - 60;

interface Harness {
  hub: HubInstance;
  clock: { now: number };
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
}

let dir = '';
const harnesses: Harness[] = [];

async function harness(yaml = ''): Promise<Harness> {
  const resolved = resolveHubConfig({
    file: {
      path: 'hub.yaml',
      text: `database: 'sqlite::memory:'\ncatalog: ${join(dir, 'catalog')}\n${yaml}`,
    },
    flags: {},
    env: { SEXTANT_HUB_ADMIN_TOKEN: ADMIN },
  });
  assert.ok(resolved.ok, JSON.stringify(!resolved.ok && resolved.issues));
  const clock = { now: START };
  const created = await createHub(resolved.value, {
    now: () => clock.now,
    manual: true,
    log: () => {},
    random: () => 0.5,
  });
  assert.ok(created.ok, !created.ok ? created.message : '');
  const hub = created.value;
  const h: Harness = {
    hub,
    clock,
    request(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
      return Promise.resolve(hub.app.request(path, { ...rest, headers }));
    },
  };
  harnesses.push(h);
  return h;
}

async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

async function createUnit(h: Harness, id: string, tenant: string, token = ADMIN): Promise<string> {
  const response = await h.request('/api/v1/units', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, tenant, environment: 'production' }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await json(response))['token']['token'];
}

async function createToken(
  h: Harness,
  body: Record<string, unknown>,
  token = ADMIN,
): Promise<{ id: string; token: string }> {
  const response = await h.request('/api/v1/tokens', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 201, await response.clone().text());
  const answer = await json(response);
  return { id: answer['id'], token: answer['token'] };
}

const counts = (seq: number, minute: number, good: number, total: number) => ({
  kind: 'counts',
  seq,
  sli: 'api/availability',
  labels: {},
  startMinute: minute,
  minutes: 1,
  good,
  total,
});
const sloStatus = (seq: number) => ({
  kind: 'slo_status',
  seq,
  slo: 'api/availability',
  status: {
    atMs: START,
    objectiveRatio: 0.999,
    windowMinutes: 40_320,
    good: 999,
    total: 1000,
    sliRatio: 0.999,
    budgetRemainingRatio: 0,
    burnRates: [],
    firing: [],
  },
});
const alert = (seq: number, state: string) => ({
  kind: 'alert',
  seq,
  slo: 'api/availability',
  alert: 'page-1h',
  state,
  sinceMs: START,
  severity: 'page',
});

function pushBody(unit: string, afterSeq: number, throughSeq: number, records: unknown[], protocol = '1.0') {
  return JSON.stringify({ protocol, unit, afterSeq, throughSeq, sentAtMs: START, records });
}

function push(
  h: Harness,
  token: string,
  body: string | Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return h.request('/api/v1/sync/push', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json', 'sextant-sync-protocol': '1.0', ...headers },
    body: body as RequestInit['body'],
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit & { token: string });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-hub-http-'));
  await writeFile(join(dir, 'catalog.yaml'), CATALOG);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'catalog'));
  await writeFile(join(dir, 'catalog', 'api.yaml'), CATALOG);
});

after(async () => {
  for (const h of harnesses) await h.hub.close();
  await rm(dir, { recursive: true, force: true });
});

describe('authentication', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });

  test('no credentials answer 401 with a Bearer challenge', async () => {
    const response = await h.request('/api/v1/units');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="sextant"');
    const body = await json(response);
    assert.equal(body['error'], 'unauthenticated');
    assert.match(body['message'], /Authorization: Bearer/);
  });

  test('a malformed token answers 401 invalid_token and says what a token looks like', async () => {
    const response = await h.request('/api/v1/units', { headers: { authorization: 'Bearer hunter2' } });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match((await json(response))['message'], /sxt_/);
  });

  test('unknown, expired and revoked tokens get the same answer', async () => {
    const expiring = await createToken(h, {
      name: 'short',
      role: 'viewer',
      tenants: ['*'],
      expiresAt: new Date(START + 60_000).toISOString(),
    });
    const revoked = await createToken(h, { name: 'gone', role: 'viewer', tenants: ['*'] });
    assert.equal((await h.request('/api/v1/units', { token: expiring.token })).status, 200);
    const revoke = await h.request(`/api/v1/tokens/${revoked.id}`, { method: 'DELETE', token: ADMIN });
    assert.equal(revoke.status, 200);
    assert.equal((await json(revoke))['state'], 'revoked');
    h.clock.now = START + 60_000;
    const answers = await Promise.all(
      [generateToken('api').token, expiring.token, revoked.token].map(async (token) => {
        const response = await h.request('/api/v1/units', { token });
        return { status: response.status, body: await response.text() };
      }),
    );
    h.clock.now = START;
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [401, 401, 401],
    );
    assert.equal(new Set(answers.map((answer) => answer.body)).size, 1);
    assert.equal(h.hub.metrics.value('sextant_hub_auth_failures_total', { reason: 'expired' }), 1);
    assert.equal(h.hub.metrics.value('sextant_hub_auth_failures_total', { reason: 'revoked' }), 1);
  });

  test('a unit token cannot read the fleet API, and an API token cannot push', async () => {
    const unitToken = await createUnit(h, 'auth-unit', 'acme');
    const read = await h.request('/api/v1/units', { token: unitToken });
    assert.equal(read.status, 403);
    assert.match((await json(read))['message'], /unit tokens can only push/);
    const pushed = await push(h, ADMIN, pushBody('auth-unit', 0, 1, [counts(1, 100, 1, 1)]));
    assert.equal(pushed.status, 403);
  });

  test('a viewer cannot create tokens or units', async () => {
    const viewer = await createToken(h, { name: 'v', role: 'viewer', tenants: ['*'] });
    const response = await h.request('/api/v1/tokens', {
      method: 'POST',
      token: viewer.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', role: 'admin', tenants: ['*'] }),
    });
    assert.equal(response.status, 403);
    assert.match((await json(response))['message'], /needs the admin role; this token has viewer/);
    const responder = await createToken(h, { name: 'r', role: 'responder', tenants: ['*'] });
    const unit = await h.request('/api/v1/units', {
      method: 'POST',
      token: responder.token,
      body: JSON.stringify({ id: 'x', tenant: 'acme', environment: 'p' }),
    });
    assert.equal(unit.status, 403);
  });

  test('operational endpoints and the OpenAPI document need no token', async () => {
    assert.equal((await h.request('/healthz')).status, 200);
    assert.equal((await h.request('/readyz')).status, 200);
    assert.equal((await h.request('/api/v1/openapi.json')).status, 200);
    const metrics = await h.request('/metrics');
    assert.match(await metrics.text(), /# TYPE sextant_hub_http_requests_total counter/);
  });

  test('an unknown route answers 404 in JSON', async () => {
    const response = await h.request('/api/v1/nope', { token: ADMIN });
    assert.equal(response.status, 404);
    assert.equal((await json(response))['error'], 'not_found');
  });
});

describe('tenant scoping', () => {
  let h: Harness;
  let acmeToken = '';
  let betaToken = '';
  let acmeViewer = '';
  before(async () => {
    h = await harness();
    acmeToken = await createUnit(h, 'acme-1', 'acme');
    betaToken = await createUnit(h, 'beta-1', 'beta');
    acmeViewer = (await createToken(h, { name: 'acme viewer', role: 'viewer', tenants: ['acme'] })).token;
    for (const [unit, token] of [
      ['acme-1', acmeToken],
      ['beta-1', betaToken],
    ] as const) {
      const response = await push(
        h,
        token,
        pushBody(unit, 0, 3, [counts(1, M + 0, 9, 10), sloStatus(2), alert(3, 'firing')]),
      );
      assert.equal(response.status, 200, await response.clone().text());
    }
  });

  test("a viewer of tenant A lists only A's units", async () => {
    const body = await json(await h.request('/api/v1/units', { token: acmeViewer }));
    assert.deepEqual(
      body['units'].map((unit: { id: string }) => unit.id),
      ['acme-1'],
    );
  });

  test("another tenant's unit answers exactly like a unit that does not exist", async () => {
    const hidden = await h.request('/api/v1/units/beta-1', { token: acmeViewer });
    const absent = await h.request('/api/v1/units/no-such', { token: acmeViewer });
    assert.equal(hidden.status, 404);
    assert.equal(absent.status, 404);
    assert.deepEqual({ ...(await json(hidden)), message: '' }, { ...(await json(absent)), message: '' });
    assert.equal((await h.request('/api/v1/units/acme-1', { token: acmeViewer })).status, 200);
  });

  test("SLO statuses and alerts carry only the viewer's units", async () => {
    const slos = await json(await h.request('/api/v1/slos', { token: acmeViewer }));
    assert.deepEqual(
      slos['slos'].map((slo: { unit: string; slo: string }) => [slo.unit, slo.slo]),
      [['acme-1', 'api/availability']],
    );
    assert.equal(slos['slos'][0].status.sliRatio, 0.999);
    const alerts = await json(await h.request('/api/v1/alerts', { token: acmeViewer }));
    assert.deepEqual(
      alerts['alerts'].map((entry: { unit: string; state: string }) => [entry.unit, entry.state]),
      [['acme-1', 'firing']],
    );
    const all = await json(await h.request('/api/v1/slos', { token: ADMIN }));
    assert.equal(all['slos'].length, 2);
  });

  test("filtering on another tenant's unit answers 404", async () => {
    assert.equal((await h.request('/api/v1/slos?unit=beta-1', { token: acmeViewer })).status, 404);
    assert.equal((await h.request('/api/v1/alerts?unit=beta-1', { token: acmeViewer })).status, 404);
  });

  test('resolved alerts are left out unless state=all', async () => {
    const resolved = await push(h, acmeToken, pushBody('acme-1', 3, 4, [alert(4, 'resolved')]));
    assert.equal(resolved.status, 200);
    const active = await json(await h.request('/api/v1/alerts', { token: acmeViewer }));
    assert.equal(active['alerts'].length, 0);
    const all = await json(await h.request('/api/v1/alerts?state=all', { token: acmeViewer }));
    assert.equal(all['alerts'][0].state, 'resolved');
  });

  test('fleet queries see only the caller’s units', async () => {
    const response = await h.request('/api/v1/fleet/budgets?window=28d&groupBy=unit', { token: acmeViewer });
    assert.equal(response.status, 200, await response.clone().text());
    const body = await json(response);
    assert.deepEqual(
      body['groups'].map((group: { key: string }) => group.key),
      ['acme-1'],
    );
    const hidden = await h.request('/api/v1/fleet/budgets?unit=beta-1', { token: acmeViewer });
    assert.equal(hidden.status, 404);
    const bad = await h.request('/api/v1/fleet/budgets?groupBy=planet', { token: acmeViewer });
    assert.equal(bad.status, 400);
    assert.equal((await json(bad))['issues'][0].path, 'groupBy');
  });
});

describe('admins and the grant rule', () => {
  let h: Harness;
  let dedicatedAdmin = { id: '', token: '' };
  let acmeViewer = { id: '', token: '' };
  before(async () => {
    h = await harness();
    dedicatedAdmin = await createToken(h, { name: 'ded admin', role: 'admin', tenants: ['dedicated-*'] });
    acmeViewer = await createToken(h, { name: 'acme viewer', role: 'viewer', tenants: ['acme'] });
    await createUnit(h, 'acme-unit', 'acme');
  });

  test('an admin grants tenants within its own patterns only', async () => {
    await createToken(
      h,
      { name: 'eu', role: 'viewer', tenants: ['dedicated-eu-*', 'dedicated-acme'] },
      dedicatedAdmin.token,
    );
    for (const tenants of [['*'], ['acme'], ['dedicated-eu-*', 'beta']]) {
      const response = await h.request('/api/v1/tokens', {
        method: 'POST',
        token: dedicatedAdmin.token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', role: 'viewer', tenants }),
      });
      assert.equal(response.status, 403, tenants.join(','));
      assert.match((await json(response))['message'], /you can grant only tenants within your own/);
    }
  });

  test('an admin registers units only in its tenants', async () => {
    const refused = await h.request('/api/v1/units', {
      method: 'POST',
      token: dedicatedAdmin.token,
      body: JSON.stringify({ id: 'acme-2', tenant: 'acme', environment: 'production' }),
    });
    assert.equal(refused.status, 403);
    await createUnit(h, 'ded-1', 'dedicated-one', dedicatedAdmin.token);
  });

  test('registering a unit id twice answers 409', async () => {
    const again = await h.request('/api/v1/units', {
      method: 'POST',
      token: ADMIN,
      body: JSON.stringify({ id: 'acme-unit', tenant: 'acme', environment: 'production' }),
    });
    assert.equal(again.status, 409);
    assert.equal((await json(again))['error'], 'conflict');
  });

  test('an invalid body lists the paths to fix', async () => {
    const response = await h.request('/api/v1/units', {
      method: 'POST',
      token: ADMIN,
      body: JSON.stringify({ id: 'Bad_Id', tenant: 'acme' }),
    });
    assert.equal(response.status, 400);
    const body = await json(response);
    assert.equal(body['error'], 'invalid_request');
    assert.deepEqual(body['issues'].map((issue: { path: string }) => issue.path).sort(), [
      'environment',
      'id',
    ]);
  });

  test('an admin sees and revokes only tokens within its tenants', async () => {
    const listed = await json(await h.request('/api/v1/tokens', { token: dedicatedAdmin.token }));
    const names = listed['tokens'].map((token: { name: string }) => token.name).sort();
    assert.deepEqual(names, ['ded admin', 'eu', 'unit ded-1']);
    assert.ok(listed['tokens'].every((token: Record<string, unknown>) => !('token' in token)));
    const hidden = await h.request(`/api/v1/tokens/${acmeViewer.id}`, {
      method: 'DELETE',
      token: dedicatedAdmin.token,
    });
    assert.equal(hidden.status, 404);
    assert.equal((await h.request('/api/v1/units', { token: acmeViewer.token })).status, 200);
  });

  test('a unit token can be rotated: the new one works, the old one until revoked', async () => {
    const units = await json(await h.request('/api/v1/tokens', { token: ADMIN }));
    const old = units['tokens'].find((token: { unit?: string }) => token.unit === 'acme-unit');
    const rotated = await h.request('/api/v1/units/acme-unit/tokens', { method: 'POST', token: ADMIN });
    assert.equal(rotated.status, 201);
    const fresh = (await json(rotated))['token'];
    assert.match(fresh, /^sxu_/);
    const catalog = await h.request('/api/v1/sync/catalog', { token: fresh });
    assert.equal(catalog.status, 200);
    assert.equal(
      (await h.request(`/api/v1/tokens/${old.id}`, { method: 'DELETE', token: ADMIN })).status,
      200,
    );
    assert.equal(
      (await h.request('/api/v1/units/nope/tokens', { method: 'POST', token: ADMIN })).status,
      404,
    );
  });

  test('only an admin of every tenant reads the audit log', async () => {
    assert.equal((await h.request('/api/v1/audit', { token: dedicatedAdmin.token })).status, 403);
    assert.equal((await h.request('/api/v1/audit', { token: ADMIN })).status, 200);
  });
});

describe('push', () => {
  let h: Harness;
  let token = '';
  let otherToken = '';
  before(async () => {
    h = await harness();
    token = await createUnit(h, 'cell-1', 'acme');
    otherToken = await createUnit(h, 'cell-2', 'acme');
  });

  const unitAckedSeq = async (id = 'cell-1') =>
    (await json(await h.request(`/api/v1/units/${id}`, { token: ADMIN })))['ackedSeq'];

  test('a push is applied and acknowledged, naming the catalog version', async () => {
    const response = await push(h, token, pushBody('cell-1', 0, 2, [counts(1, M + 0, 9, 10), sloStatus(2)]));
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.deepEqual(body, {
      protocol: '1.0',
      ackedSeq: 2,
      applied: 2,
      superseded: 0,
      ignored: 0,
      catalogVersion: h.hub.catalog()!.version,
    });
    assert.equal(await unitAckedSeq(), 2);
    assert.equal(h.hub.metrics.value('sextant_hub_pushes_total', { outcome: 'applied' }), 1);
    assert.equal(h.hub.metrics.value('sextant_hub_push_duration_seconds', { outcome: 'applied' }), 1);
  });

  test('a gzip push is applied like an identity one', async () => {
    const body = gzipSync(pushBody('cell-1', 2, 3, [counts(3, M + 1, 5, 5)]));
    const response = await push(h, token, body, { 'content-encoding': 'gzip' });
    assert.equal(response.status, 200);
    assert.equal((await json(response))['ackedSeq'], 3);
  });

  test('a replayed push succeeds and changes nothing', async () => {
    const response = await push(h, token, pushBody('cell-1', 2, 3, [counts(3, M + 1, 5, 5)]));
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal(body['ackedSeq'], 3);
    assert.equal(body['applied'], 0);
    assert.equal(body['superseded'], 1);
  });

  test("a push beyond the hub's mark answers 409 with the mark", async () => {
    const response = await push(h, token, pushBody('cell-1', 10, 12, [counts(11, M + 2, 1, 1)]));
    assert.equal(response.status, 409);
    const body = await json(response);
    assert.equal(body['error'], 'sequence_gap');
    assert.equal(body['ackedSeq'], 3);
    assert.equal(body['protocol'], '1.0');
  });

  test('an invalid record refuses the whole push and lists the paths', async () => {
    const bad = { ...counts(5, M + 3, 1, 1), good: -1 };
    const response = await push(
      h,
      token,
      pushBody('cell-1', 3, 6, [counts(4, M + 2, 1, 1), bad, { kind: 'alert', seq: 6 }]),
    );
    assert.equal(response.status, 400);
    const body = await json(response);
    const paths = body['issues'].map((issue: { path: string }) => issue.path);
    assert.ok(paths.includes('records.1.good'), paths.join(' '));
    assert.ok(
      paths.some((path: string) => path.startsWith('records.2.')),
      paths.join(' '),
    );
    assert.ok(!paths.some((path: string) => path.startsWith('records.0')));
    assert.equal(await unitAckedSeq(), 3, 'nothing stored');
  });

  test('a record outside (afterSeq, throughSeq] is refused', async () => {
    const response = await push(h, token, pushBody('cell-1', 3, 4, [counts(9, M + 2, 1, 1)]));
    assert.equal(response.status, 400);
    assert.equal((await json(response))['issues'][0].path, 'records.0.seq');
  });

  test('records of unknown kinds are ignored and counted, the rest applied', async () => {
    const response = await push(
      h,
      token,
      pushBody('cell-1', 3, 5, [counts(4, M + 2, 1, 1), { kind: 'incident', seq: 5, title: 'x' }], '1.1'),
      { 'sextant-sync-protocol': '1.1' },
    );
    assert.equal(response.status, 200, await response.clone().text());
    const body = await json(response);
    assert.equal(body['ackedSeq'], 5);
    assert.equal(body['ignored'], 1);
    assert.equal(h.hub.metrics.value('sextant_hub_push_unknown_records_total'), 1);
  });

  test("a unit pushing another unit's records gets 403 and nothing is stored", async () => {
    const response = await push(h, otherToken, pushBody('cell-1', 5, 6, [counts(6, M + 4, 1, 1)]));
    assert.equal(response.status, 403);
    assert.match((await json(response))['message'], /belongs to unit cell-2/);
    assert.equal(await unitAckedSeq(), 5);
    assert.equal(await unitAckedSeq('cell-2'), 0);
  });

  test('an incompatible protocol major answers 426, in the header or the body', async () => {
    const byHeader = await push(h, token, pushBody('cell-1', 5, 6, []), { 'sextant-sync-protocol': '2.0' });
    assert.equal(byHeader.status, 426);
    assert.equal(byHeader.headers.get('upgrade'), 'sextant-sync/1.0');
    const byBody = await push(h, token, pushBody('cell-1', 5, 6, [], '2.3'));
    assert.equal(byBody.status, 426);
    const missing = await h.request('/api/v1/sync/push', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: pushBody('cell-1', 5, 6, []),
    });
    assert.equal(missing.status, 426);
  });

  test('an unknown content encoding or type answers 415', async () => {
    assert.equal(
      (await push(h, token, pushBody('cell-1', 5, 5, []), { 'content-encoding': 'br' })).status,
      415,
    );
    assert.equal(
      (await push(h, token, pushBody('cell-1', 5, 5, []), { 'content-type': 'text/plain' })).status,
      415,
    );
  });

  test('a body that is not JSON answers 400 with the position', async () => {
    const response = await push(h, token, '{"protocol": "1.0",, }');
    assert.equal(response.status, 400);
    assert.match((await json(response))['message'], /not JSON: .*position 19/);
  });

  test('a body that is not gzip although it says so answers 400', async () => {
    const response = await push(h, token, pushBody('cell-1', 5, 5, []), { 'content-encoding': 'gzip' });
    assert.equal(response.status, 400);
    assert.match((await json(response))['message'], /gzip/);
  });

  test('a gzip bomb is stopped at the decompressed limit with 413', async () => {
    // 20 MiB of spaces compress to about 20 KiB; the default limit is 16 MiB decompressed.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(20 * 1024 * 1024, 0x20)]));
    assert.ok(bomb.length < 100_000);
    const response = await push(h, token, bomb, { 'content-encoding': 'gzip' });
    assert.equal(response.status, 413);
    assert.match((await json(response))['message'], /after decompression/);
    assert.equal(h.hub.metrics.value('sextant_hub_push_rejections_total', { reason: 'too_large' }), 1);
  });
});

describe('push limits', () => {
  test('a body over maxBodyBytes answers 413, declared or streamed', async () => {
    const h = await harness('limits: {maxBodyBytes: 1KiB}\n');
    const token = await createUnit(h, 'small', 'acme');
    const big = pushBody('small', 0, 1, [{ ...counts(1, 1, 1, 1), labels: { pad: 'x'.repeat(1000) } }]);
    assert.equal((await push(h, token, big)).status, 413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await push(h, token, stream);
    assert.equal(streamed.status, 413);
  });

  test('when the admission limit is full a push answers 429 with Retry-After', async () => {
    const h = await harness('limits: {maxConcurrentPushes: 1, maxQueuedPushes: 0}\n');
    const token = await createUnit(h, 'busy', 'acme');
    let finish: (() => void) | undefined;
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(
          new TextEncoder().encode(pushBody('busy', 0, 1, [counts(1, 1, 1, 1)]).slice(0, 10)),
        );
        finish = () => {
          controller.enqueue(
            new TextEncoder().encode(pushBody('busy', 0, 1, [counts(1, 1, 1, 1)]).slice(10)),
          );
          controller.close();
        };
      },
    });
    const first = push(h, token, slow);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await push(h, token, pushBody('busy', 0, 1, [counts(1, 1, 1, 1)]));
    assert.equal(refused.status, 429);
    // random() is 0.5 in the harness: 1 + floor(0.5 * 5) = 3 seconds.
    assert.equal(refused.headers.get('retry-after'), '3');
    assert.equal((await json(refused))['error'], 'busy');
    finish!();
    assert.equal((await first).status, 200);
    assert.equal((await push(h, token, pushBody('busy', 1, 1, []))).status, 200);
  });
});

describe('catalog distribution', () => {
  test('the catalog is served with its version as ETag, and 304 when unchanged', async () => {
    const h = await harness();
    const token = await createUnit(h, 'cat-1', 'acme');
    const response = await h.request('/api/v1/sync/catalog', { token });
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.match(body['version'], /^sha256:[0-9a-f]{64}$/);
    assert.equal(response.headers.get('etag'), `"${body['version']}"`);
    assert.deepEqual(Object.keys(body['files']), ['api.yaml']);
    assert.deepEqual(body['overrides'], {});
    const again = await h.request('/api/v1/sync/catalog', {
      token,
      headers: { 'if-none-match': `"${body['version']}"` },
    });
    assert.equal(again.status, 304);
    const stale = await h.request('/api/v1/sync/catalog', {
      token,
      headers: { 'if-none-match': '"sha256:old"' },
    });
    assert.equal(stale.status, 200);
    assert.equal((await h.request('/api/v1/sync/catalog', { token: ADMIN })).status, 403);
  });

  test("a unit's overrides are in its bundle and change its version", async () => {
    const h = await harness("overrides:\n  - {tenant: 'acme', settings: {pushInterval: 30s}}\n");
    const acme = await createUnit(h, 'cat-acme', 'acme');
    const beta = await createUnit(h, 'cat-beta', 'beta');
    const acmeBundle = await json(await h.request('/api/v1/sync/catalog', { token: acme }));
    const betaBundle = await json(await h.request('/api/v1/sync/catalog', { token: beta }));
    assert.deepEqual(acmeBundle['overrides'], { pushInterval: '30s' });
    assert.deepEqual(betaBundle['overrides'], {});
    assert.notEqual(acmeBundle['version'], betaBundle['version']);
    const pushed = await json(await push(h, acme, pushBody('cat-acme', 0, 0, [])));
    assert.equal(pushed['catalogVersion'], acmeBundle['version']);
  });

  test('a broken catalog directory keeps the last valid catalog in force', async () => {
    const h = await harness();
    const before = h.hub.catalog()!.version;
    await writeFile(
      join(dir, 'catalog', 'broken.yaml'),
      'apiVersion: sextant.dev/v1\nkind: Service\nmetadata: {name: x}\n',
    );
    try {
      assert.equal(await h.hub.reloadCatalog(), false);
      assert.equal(h.hub.catalog()!.version, before);
    } finally {
      await rm(join(dir, 'catalog', 'broken.yaml'));
    }
  });
});

describe('portal sessions', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });

  async function login(token: string, url = '/api/v1/session') {
    const response = await h.request(url, { method: 'POST', token });
    assert.equal(response.status, 201, await response.clone().text());
    const cookie = response.headers.get('set-cookie') ?? '';
    return { cookie, session: cookie.split(';')[0]!, csrf: (await json(response))['csrfToken'] as string };
  }

  test('a token opens an HttpOnly SameSite=Strict session cookie', async () => {
    const { cookie, session } = await login(ADMIN);
    assert.match(cookie, /^sextant_session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/);
    const units = await h.request('/api/v1/units', { headers: { cookie: session } });
    assert.equal(units.status, 200);
    const https = await login(ADMIN, 'https://hub.example/api/v1/session');
    assert.match(https.cookie, /Secure/);
  });

  test('a cookie-authenticated write needs the CSRF header', async () => {
    const { session, csrf } = await login(ADMIN);
    const body = JSON.stringify({ name: 'from portal', role: 'viewer', tenants: ['acme'] });
    const without = await h.request('/api/v1/tokens', { method: 'POST', headers: { cookie: session }, body });
    assert.equal(without.status, 403);
    assert.match((await json(without))['message'], /Sextant-CSRF/);
    const wrong = await h.request('/api/v1/tokens', {
      method: 'POST',
      headers: { cookie: session, 'sextant-csrf': 'x' },
      body,
    });
    assert.equal(wrong.status, 403);
    const right = await h.request('/api/v1/tokens', {
      method: 'POST',
      headers: { cookie: session, 'sextant-csrf': csrf },
      body,
    });
    assert.equal(right.status, 201);
  });

  test('logging out ends the session', async () => {
    const { session, csrf } = await login(ADMIN);
    const whoami = await json(await h.request('/api/v1/session', { headers: { cookie: session } }));
    assert.equal(whoami['csrfToken'], csrf);
    assert.equal(whoami['principal'].role, 'admin');
    const out = await h.request('/api/v1/session', {
      method: 'DELETE',
      headers: { cookie: session, 'sextant-csrf': csrf },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /sextant_session=;.*Max-Age=0/);
    assert.equal((await h.request('/api/v1/units', { headers: { cookie: session } })).status, 401);
  });

  test('revoking the token ends its sessions', async () => {
    const viewer = await createToken(h, { name: 'portal user', role: 'viewer', tenants: ['*'] });
    const { session } = await login(viewer.token);
    assert.equal((await h.request('/api/v1/units', { headers: { cookie: session } })).status, 200);
    await h.request(`/api/v1/tokens/${viewer.id}`, { method: 'DELETE', token: ADMIN });
    assert.equal((await h.request('/api/v1/units', { headers: { cookie: session } })).status, 401);
  });

  test('the sessions gauge counts the open sessions in the store', async () => {
    const fresh = await harness();
    const gauge = async () =>
      /^sextant_hub_sessions (\d+)$/m.exec(await (await fresh.request('/metrics')).text())?.[1];
    assert.equal(await gauge(), '0');
    const opened = await fresh.request('/api/v1/session', { method: 'POST', token: ADMIN });
    assert.equal(opened.status, 201);
    await fresh.request('/api/v1/session', { method: 'POST', token: ADMIN });
    assert.equal(await gauge(), '2');
    // Past the TTL (12 hours by default) none is open any more.
    fresh.clock.now += 12 * 3_600_000;
    assert.equal(await gauge(), '0');
  });

  test('a unit token cannot open a session', async () => {
    const unitToken = await createUnit(h, 'sess-unit', 'acme');
    const response = await h.request('/api/v1/session', { method: 'POST', token: unitToken });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('set-cookie'), null);
  });
});

describe('audit', () => {
  test('reads, writes, denials and push summaries are in the audit log', async () => {
    const h = await harness();
    const viewer = await createToken(h, { name: 'auditor', role: 'viewer', tenants: ['acme'] });
    const unitToken = await createUnit(h, 'aud-1', 'acme');
    await h.request('/api/v1/units', { token: viewer.token });
    await h.request('/api/v1/tokens', { token: viewer.token });
    await push(h, unitToken, pushBody('aud-1', 0, 1, [counts(1, 1, 1, 1)]));
    await push(h, unitToken, pushBody('aud-1', 1, 2, [counts(2, 2, 1, 1)]));
    await push(h, unitToken, pushBody('other', 2, 3, [counts(3, 3, 1, 1)]));
    await h.request('/api/v1/units', { headers: { authorization: 'Bearer nope' } });
    await h.hub.flushAudit(true);
    const response = await h.request('/api/v1/audit?limit=100', { token: ADMIN });
    assert.equal(response.status, 200);
    const entries = (await json(response))['entries'] as Json[];
    const find = (predicate: (entry: Json) => boolean) => entries.find(predicate);
    assert.ok(
      find(
        (e) =>
          e.actor === `credential:${viewer.id}` &&
          e.action === 'read' &&
          e.resource === 'GET /api/v1/units' &&
          e.outcome === '200',
      ),
    );
    assert.ok(
      find(
        (e) =>
          e.actor === `credential:${viewer.id}` && e.resource === 'GET /api/v1/tokens' && e.outcome === '403',
      ),
    );
    assert.ok(
      find(
        (e) =>
          e.actor.startsWith('credential:bootstrap-') &&
          e.action === 'create' &&
          e.resource === 'POST /api/v1/units' &&
          e.detail.unit === 'aud-1',
      ),
    );
    const summary = find((e) => e.actor === 'unit:aud-1' && e.action === 'push' && e.outcome === '200');
    assert.ok(summary, JSON.stringify(entries));
    assert.equal(summary.detail.count, 2);
    assert.equal(summary.detail.records, 2);
    const foreign = find((e) => e.actor === 'unit:aud-1' && e.outcome === '403');
    assert.equal(foreign?.detail.claimedUnit, 'other');
    assert.ok(find((e) => e.actor === 'anonymous' && e.outcome === '401:malformed'));
  });
});

describe('errors', () => {
  test('an unexpected failure answers 500 without its message or stack', async () => {
    const h = await harness();
    const store = h.hub.store;
    const original = store.records.bind(store);
    store.records = async () => {
      throw new Error('secret internals at /srv/hub.ts:12');
    };
    try {
      const response = await h.request('/api/v1/slos', { token: ADMIN });
      assert.equal(response.status, 500);
      const text = await response.text();
      assert.doesNotMatch(text, /secret internals|hub\.ts/);
      assert.equal(JSON.parse(text).error, 'internal');
    } finally {
      store.records = original;
    }
  });

  test('a store that is busy answers 503 with Retry-After', async () => {
    const h = await harness();
    const store = h.hub.store;
    const original = store.records.bind(store);
    store.records = async () => {
      throw new Error('database is locked');
    };
    try {
      const response = await h.request('/api/v1/slos', { token: ADMIN });
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '30');
    } finally {
      store.records = original;
    }
  });
});
