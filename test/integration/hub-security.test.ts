/**
 * The hub refuses what it must and stores nothing when it does (docs/hub.md, "Push" and
 * "Tenancy and roles"): missing, malformed, unknown, expired and revoked credentials get
 * 401; a unit token writing another unit's records, an API token pushing, a unit token on
 * the fleet API and a role below the route's get 403; bodies over the limits (as sent, or
 * after decompression: a gzip bomb) get 413; malformed gzip, JSON and records get 400; an
 * unknown encoding or type 415; an incompatible protocol major 426; a push above the hub's
 * mark 409. After every refusal the hub's state is compared with the state before: the
 * checksum of every unit, every unit's registry entry (acknowledged seq, last push) and
 * every credential are unchanged.
 *
 * A real hub listens on loopback (the limits are those of its HTTP server, not of an
 * in-process shortcut). Each refused request is built from a push the hub accepts, changed
 * in the one way the case is about, so a refusal cannot come from an unrelated mistake;
 * the accepted pushes at the end prove the same requests succeed when they are right.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { generateToken } from '../../src/hub/index.ts';
import { MAX_RECORDS_PER_PUSH, SYNC_PROTOCOL_VERSION } from '../../src/sync/index.ts';
import {
  hubApi,
  issueToken,
  postPush,
  pushHeaders,
  registerUnit,
  startTestHub,
  type TestHub,
} from '../support/hub-process.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
/** Small limits, so the oversized cases stay quick: 1 MiB as sent, 4 MiB decompressed. */
const HUB_YAML = `limits:
  maxBodyBytes: 1MiB
  maxDecompressedBytes: 4MiB
`;
const START_MS = Date.UTC(2026, 10, 24, 12, 0);
const START_MINUTE = START_MS / 60_000;

let clock = START_MS;
let hub: TestHub;

/** Tokens by role in the scenario. */
const tokens = {
  unit1: '',
  unit2: '',
  unitOther: '',
  unit1Expiring: '',
  unit1Revoked: '',
  admin: '',
  viewer: '',
  apiExpiring: '',
  apiRevoked: '',
};
/** The next `afterSeq` of each unit (its acknowledged mark). */
const acked = new Map<string, number>();

function counts(seq: number, startMinute: number, good: number, total: number) {
  return {
    kind: 'counts',
    seq,
    sli: 'checkout/availability',
    labels: { route: '/pay' },
    startMinute,
    minutes: 1,
    good,
    total,
  };
}

/** A well-formed push of `unit` continuing from its mark, with records of distinctive values. */
function nextPush(
  unit: string,
  records = 3,
): Record<string, unknown> & { records: Record<string, unknown>[] } {
  const after = acked.get(unit) ?? 0;
  return {
    protocol: SYNC_PROTOCOL_VERSION,
    unit,
    afterSeq: after,
    throughSeq: after + records,
    sentAtMs: clock,
    records: Array.from({ length: records }, (_, i) =>
      counts(after + i + 1, START_MINUTE - 30 + after + i, 90_001 + i, 90_017 + i),
    ),
  };
}

/** Everything a refused request must leave alone. */
async function snapshot(): Promise<unknown> {
  const store = hub.hub.store;
  const units = await store.listUnits(['*']);
  return {
    units,
    checksums: await Promise.all(units.map(async (unit) => [unit.id, await store.checksum(unit.id)])),
    credentials: (await store.listCredentials())
      .map((credential) => [credential.id, credential.revokedAtMs, credential.expiresAtMs])
      .sort(),
  };
}

/** Sends a request, checks its status (and more), and that the hub's state did not change. */
async function refused(
  send: () => Promise<{ status: number; text: string; headers: Headers }>,
  status: number,
  check?: (answer: { status: number; text: string; headers: Headers }) => void,
): Promise<void> {
  const before = await snapshot();
  const answer = await send();
  assert.equal(
    answer.status,
    status,
    `expected ${status}, got ${answer.status}: ${answer.text.slice(0, 500)}`,
  );
  check?.(answer);
  assert.deepEqual(await snapshot(), before, 'a refused request changed the hub');
}

async function accepted(unit: string, token: string, push = nextPush(unit)): Promise<void> {
  const answer = await postPush(hub.url, push, pushHeaders(token));
  assert.equal(answer.status, 200, answer.text);
  const ackedSeq = (answer.json as { ackedSeq: number }).ackedSeq;
  assert.equal(ackedSeq, push['throughSeq']);
  acked.set(unit, ackedSeq);
}

function errorCode(text: string): string {
  return (JSON.parse(text) as { error: string }).error;
}

describe('hub security: credentials, roles and bad pushes are refused and store nothing', () => {
  before(async () => {
    hub = await startTestHub({ now: () => clock, configText: HUB_YAML });
    const admin = hub.adminToken;
    tokens.unit1 = (await registerUnit(hub.url, admin, { id: 'cell-1', tenant: 'acme' })).token;
    tokens.unit2 = (await registerUnit(hub.url, admin, { id: 'cell-2', tenant: 'acme' })).token;
    tokens.unitOther = (await registerUnit(hub.url, admin, { id: 'far-1', tenant: 'globex' })).token;
    const inOneHour = new Date(clock + 3_600_000).toISOString();
    const expiring = await hubApi(hub.url, admin, 'POST', '/api/v1/units/cell-1/tokens', {
      expiresAt: inOneHour,
    });
    assert.equal(expiring.status, 201, expiring.text);
    tokens.unit1Expiring = (expiring.json as { token: string }).token;
    const revoked = await hubApi(hub.url, admin, 'POST', '/api/v1/units/cell-1/tokens', {});
    assert.equal(revoked.status, 201, revoked.text);
    tokens.unit1Revoked = (revoked.json as { token: string }).token;
    tokens.admin = (
      await issueToken(hub.url, admin, { name: 'ops', role: 'admin', tenants: ['acme'] })
    ).token;
    tokens.viewer = (
      await issueToken(hub.url, admin, { name: 'dash', role: 'viewer', tenants: ['acme'] })
    ).token;
    tokens.apiExpiring = (
      await issueToken(hub.url, admin, {
        name: 'temp',
        role: 'viewer',
        tenants: ['acme'],
        expiresAt: inOneHour,
      })
    ).token;
    const apiRevoked = await issueToken(hub.url, admin, { name: 'gone', role: 'viewer', tenants: ['acme'] });
    tokens.apiRevoked = apiRevoked.token;

    // Every token works before it is revoked or expires: the refusals below are about that.
    for (const unit of ['cell-1', 'cell-2', 'far-1'] as const) {
      const token = { 'cell-1': tokens.unit1, 'cell-2': tokens.unit2, 'far-1': tokens.unitOther }[unit];
      await accepted(unit, token);
    }
    await accepted('cell-1', tokens.unit1Expiring);
    await accepted('cell-1', tokens.unit1Revoked);
    for (const token of [tokens.viewer, tokens.apiExpiring, tokens.apiRevoked]) {
      assert.equal((await hubApi(hub.url, token, 'GET', '/api/v1/units')).status, 200);
    }
    const revokedId = (revoked.json as { id: string }).id;
    assert.equal((await hubApi(hub.url, admin, 'DELETE', `/api/v1/tokens/${revokedId}`)).status, 200);
    assert.equal(
      (await hubApi(hub.url, admin, 'DELETE', `/api/v1/tokens/${apiRevoked.credentialId}`)).status,
      200,
    );
    clock += 2 * 3_600_000; // both expiring tokens are now an hour past their expiry
  });
  after(() => hub.close());

  describe('credentials (401, with WWW-Authenticate: Bearer)', () => {
    const bearer401 = (answer: { headers: Headers; text: string }) => {
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(errorCode(answer.text), 'unauthenticated');
    };
    test('a push without Authorization is refused', async () => {
      await refused(() => postPush(hub.url, nextPush('cell-1'), pushHeaders(undefined)), 401, bearer401);
    });
    for (const [name, header] of [
      ['an empty bearer', 'Bearer '],
      ['a non-token bearer', 'Bearer not-a-token'],
      ['Basic credentials', 'Basic Y2VsbC0xOnNlY3JldA=='],
      ['a token with a wrong prefix', `Bearer sxx_${'A'.repeat(43)}`],
      ['a token one character too long', `Bearer ${'sxu_'}${'A'.repeat(44)}`],
      ['two tokens', `Bearer ${generateToken('unit').token} ${generateToken('unit').token}`],
    ] as const) {
      test(`a push with ${name} is refused as malformed`, async () => {
        await refused(
          () => postPush(hub.url, nextPush('cell-1'), { ...pushHeaders(undefined), authorization: header }),
          401,
          bearer401,
        );
      });
    }
    test('a well-formed token the hub never issued is refused', async () => {
      await refused(
        () => postPush(hub.url, nextPush('cell-1'), pushHeaders(generateToken('unit').token)),
        401,
        bearer401,
      );
    });
    test('an expired unit token is refused', async () => {
      await refused(
        () => postPush(hub.url, nextPush('cell-1'), pushHeaders(tokens.unit1Expiring)),
        401,
        bearer401,
      );
    });
    test('a revoked unit token is refused', async () => {
      await refused(
        () => postPush(hub.url, nextPush('cell-1'), pushHeaders(tokens.unit1Revoked)),
        401,
        bearer401,
      );
    });
    test('expired and revoked API tokens are refused on the fleet API and cannot open a session', async () => {
      for (const token of [tokens.apiExpiring, tokens.apiRevoked]) {
        await refused(() => hubApi(hub.url, token, 'GET', '/api/v1/units'), 401, bearer401);
        await refused(() => hubApi(hub.url, undefined, 'POST', '/api/v1/session', { token }), 401);
      }
    });
    test('an unknown, expired or revoked token gets the same answer (no hint which)', async () => {
      const bodies = new Set<string>();
      for (const token of [generateToken('unit').token, tokens.unit1Expiring, tokens.unit1Revoked]) {
        const answer = await postPush(hub.url, nextPush('cell-1'), pushHeaders(token));
        bodies.add(answer.text);
      }
      assert.equal(bodies.size, 1, [...bodies].join('\n'));
    });
  });

  describe('roles and ownership (403)', () => {
    test("a unit token pushing another unit's records of the same tenant is refused", async () => {
      await refused(
        () => postPush(hub.url, nextPush('cell-2'), pushHeaders(tokens.unit1)),
        403,
        (answer) => assert.equal(errorCode(answer.text), 'forbidden'),
      );
    });
    test("a unit token pushing a unit of another tenant's records is refused", async () => {
      await refused(() => postPush(hub.url, nextPush('far-1'), pushHeaders(tokens.unit1)), 403);
    });
    test('a unit token pushing records of an unregistered unit is refused', async () => {
      await refused(() => postPush(hub.url, nextPush('ghost-1'), pushHeaders(tokens.unit1)), 403);
    });
    test('API tokens cannot push, whatever their role', async () => {
      for (const token of [hub.adminToken, tokens.admin, tokens.viewer]) {
        await refused(() => postPush(hub.url, nextPush('cell-1'), pushHeaders(token)), 403);
      }
    });
    test('a unit token cannot read or administer the fleet API', async () => {
      await refused(() => hubApi(hub.url, tokens.unit1, 'GET', '/api/v1/units'), 403);
      await refused(() => hubApi(hub.url, tokens.unit1, 'GET', '/api/v1/slos'), 403);
      await refused(
        () =>
          hubApi(hub.url, tokens.unit1, 'POST', '/api/v1/tokens', {
            name: 'x',
            role: 'admin',
            tenants: ['*'],
          }),
        403,
      );
      await refused(
        () =>
          hubApi(hub.url, tokens.unit1, 'POST', '/api/v1/units', {
            id: 'new-1',
            tenant: 'acme',
            environment: 'p',
          }),
        403,
      );
      await refused(
        () => hubApi(hub.url, undefined, 'POST', '/api/v1/session', { token: tokens.unit1 }),
        403,
      );
    });
    test('a viewer cannot create units or tokens, nor revoke tokens', async () => {
      await refused(
        () =>
          hubApi(hub.url, tokens.viewer, 'POST', '/api/v1/tokens', {
            name: 'x',
            role: 'viewer',
            tenants: ['acme'],
          }),
        403,
      );
      await refused(
        () =>
          hubApi(hub.url, tokens.viewer, 'POST', '/api/v1/units', {
            id: 'new-1',
            tenant: 'acme',
            environment: 'p',
          }),
        403,
      );
      const ids = (await hub.hub.store.listCredentials()).map((credential) => credential.id);
      await refused(() => hubApi(hub.url, tokens.viewer, 'DELETE', `/api/v1/tokens/${ids[0]}`), 403);
    });
    test('an admin of one tenant cannot grant more than it holds', async () => {
      for (const tenants of [['*'], ['globex'], ['acme', 'globex'], ['a*']]) {
        await refused(
          () =>
            hubApi(hub.url, tokens.admin, 'POST', '/api/v1/tokens', { name: 'x', role: 'viewer', tenants }),
          403,
        );
      }
      await refused(
        () =>
          hubApi(hub.url, tokens.admin, 'POST', '/api/v1/units', {
            id: 'new-1',
            tenant: 'globex',
            environment: 'p',
          }),
        403,
      );
    });
  });

  describe('bodies (413, 400, 415)', () => {
    test('a body declared larger than maxBodyBytes is refused before it is read', async () => {
      const big = Buffer.alloc(1 * MIB + 1, 0x61);
      await refused(() => postPush(hub.url, big, pushHeaders(tokens.unit1)), 413);
    });
    test('a chunked body growing past maxBodyBytes is refused', async () => {
      const chunk = new Uint8Array(64 * KIB).fill(0x61);
      function* body() {
        for (let sent = 0; sent < 2 * MIB; sent += chunk.length) yield chunk;
      }
      await refused(
        () => postPush(hub.url, body(), pushHeaders(tokens.unit1, { 'content-encoding': 'identity' })),
        413,
      );
    });
    test('a gzip bomb (64 KiB inflating to 64 MiB) is refused once it passes maxDecompressedBytes', async () => {
      const bomb = gzipSync(Buffer.alloc(64 * MIB, 0x20), { level: 9 });
      assert.ok(bomb.length < 1 * MIB, `${bomb.length} bytes compressed`);
      await refused(() => postPush(hub.url, bomb, pushHeaders(tokens.unit1)), 413);
    });
    test('a valid push inflating past maxDecompressedBytes is refused, not applied', async () => {
      // Trailing white space keeps the JSON valid: only the size is wrong.
      const json = `${JSON.stringify(nextPush('cell-1', 1))}${' '.repeat(5 * MIB)}`;
      await refused(() => postPush(hub.url, gzipSync(json), pushHeaders(tokens.unit1)), 413);
    });
    test('a body that is not gzip although it says so is refused', async () => {
      await refused(
        () => postPush(hub.url, Buffer.from('this is not gzip at all'), pushHeaders(tokens.unit1)),
        400,
      );
    });
    test('a truncated gzip body is refused', async () => {
      const whole = gzipSync(JSON.stringify(nextPush('cell-1')));
      await refused(
        () => postPush(hub.url, whole.subarray(0, whole.length - 12), pushHeaders(tokens.unit1)),
        400,
      );
    });
    test('a body that is not JSON is refused', async () => {
      await refused(() => postPush(hub.url, '{"protocol": "1.0", "unit":', pushHeaders(tokens.unit1)), 400);
      await refused(
        () =>
          postPush(
            hub.url,
            Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
            pushHeaders(tokens.unit1, { 'content-encoding': 'identity' }),
          ),
        400,
      );
    });
    test('a push with one invalid record among valid ones is refused whole, naming the field', async () => {
      const push = nextPush('cell-1', 3);
      push.records[1] = { ...push.records[1], good: -5 };
      await refused(
        () => postPush(hub.url, push, pushHeaders(tokens.unit1)),
        400,
        (answer) => {
          const issues = (JSON.parse(answer.text) as { issues: { path: string }[] }).issues;
          assert.ok(
            issues.some((issue) => issue.path === 'records.1.good'),
            answer.text,
          );
        },
      );
    });
    for (const [name, change] of [
      [
        'a record with a field the protocol does not define',
        (r: Record<string, unknown>) => ({ ...r, extra: 1 }),
      ],
      ['a count record without its total', (r: Record<string, unknown>) => ({ ...r, total: undefined })],
      ['a count record of more than 60 minutes', (r: Record<string, unknown>) => ({ ...r, minutes: 61 })],
      ['a record with seq 0', (r: Record<string, unknown>) => ({ ...r, seq: 0 })],
      [
        'a record with an SLI id without a service',
        (r: Record<string, unknown>) => ({ ...r, sli: 'availability' }),
      ],
      [
        'an alert in an unknown state',
        (r: Record<string, unknown>) => ({
          kind: 'alert',
          seq: r['seq'],
          slo: 'checkout/availability',
          alert: 'page',
          state: 'exploded',
          sinceMs: 0,
        }),
      ],
    ] as const) {
      test(`a push with ${name} is refused`, async () => {
        const push = nextPush('cell-1', 2);
        push.records[0] = change(push.records[0]!);
        await refused(() => postPush(hub.url, push, pushHeaders(tokens.unit1)), 400);
      });
    }
    test('a push whose records lie outside (afterSeq, throughSeq] is refused', async () => {
      const push = nextPush('cell-1', 2);
      push.records[1] = { ...push.records[1], seq: (push['throughSeq'] as number) + 1 };
      await refused(() => postPush(hub.url, push, pushHeaders(tokens.unit1)), 400);
      const backwards = { ...nextPush('cell-1', 0), throughSeq: (acked.get('cell-1') ?? 0) - 1 };
      await refused(() => postPush(hub.url, backwards, pushHeaders(tokens.unit1)), 400);
    });
    test('a push with fields missing or extra at the top level is refused', async () => {
      const { unit: _unit, ...noUnit } = nextPush('cell-1');
      await refused(() => postPush(hub.url, noUnit, pushHeaders(tokens.unit1)), 400);
      await refused(
        () => postPush(hub.url, { ...nextPush('cell-1'), admin: true }, pushHeaders(tokens.unit1)),
        400,
      );
      await refused(() => postPush(hub.url, [nextPush('cell-1')], pushHeaders(tokens.unit1)), 400);
    });
    test(`a push of ${MAX_RECORDS_PER_PUSH + 1} records (one over MAX_RECORDS_PER_PUSH) is refused`, async () => {
      const push = nextPush('cell-1', MAX_RECORDS_PER_PUSH + 1);
      const gz = gzipSync(JSON.stringify(push));
      assert.ok(gz.length < 1 * MIB, 'the refusal must be about the count, not the size');
      await refused(() => postPush(hub.url, gz, pushHeaders(tokens.unit1)), 400);
    });
    test('an unknown Content-Encoding or a Content-Type other than JSON is refused with 415', async () => {
      for (const encoding of ['br', 'deflate', 'snappy', 'gzip, gzip']) {
        await refused(
          () =>
            postPush(
              hub.url,
              gzipSync(JSON.stringify(nextPush('cell-1'))),
              pushHeaders(tokens.unit1, { 'content-encoding': encoding }),
            ),
          415,
        );
      }
      for (const type of ['text/plain', 'application/x-protobuf', 'multipart/form-data; boundary=x']) {
        await refused(
          () => postPush(hub.url, nextPush('cell-1'), pushHeaders(tokens.unit1, { 'content-type': type })),
          415,
        );
      }
    });
  });

  describe('protocol (426) and sequence (409)', () => {
    test('an incompatible protocol major in the header, or none, is refused with 426 and Upgrade', async () => {
      for (const version of ['2.0', '0.9', 'one']) {
        await refused(
          () =>
            postPush(
              hub.url,
              nextPush('cell-1'),
              pushHeaders(tokens.unit1, { 'sextant-sync-protocol': version }),
            ),
          426,
          (answer) => assert.match(answer.headers.get('upgrade') ?? '', /sextant-sync/),
        );
      }
      const headers = pushHeaders(tokens.unit1);
      delete headers['sextant-sync-protocol'];
      await refused(() => postPush(hub.url, nextPush('cell-1'), headers), 426);
    });
    test('an incompatible protocol in the body is refused with 426', async () => {
      await refused(
        () => postPush(hub.url, { ...nextPush('cell-1'), protocol: '2.0' }, pushHeaders(tokens.unit1)),
        426,
      );
    });
    test("a push starting above the hub's mark is a 409 gap naming the mark, and stores nothing", async () => {
      const push = nextPush('cell-1', 2);
      const mark = acked.get('cell-1')!;
      const ahead = {
        ...push,
        afterSeq: mark + 5,
        throughSeq: mark + 7,
        records: push.records.map((record, i) => ({ ...record, seq: mark + 6 + i })),
      };
      await refused(
        () => postPush(hub.url, ahead, pushHeaders(tokens.unit1)),
        409,
        (answer) => {
          const body = JSON.parse(answer.text) as { error: string; ackedSeq: number };
          assert.equal(body.error, 'sequence_gap');
          assert.equal(body.ackedSeq, mark);
        },
      );
    });
  });

  describe('controls', () => {
    test('after all of that, the right pushes are accepted and change exactly their unit', async () => {
      const before = await snapshot();
      await accepted('cell-1', tokens.unit1);
      const after = (await snapshot()) as { checksums: [string, string][] };
      const changed = after.checksums.filter(
        ([id, sum]) =>
          (before as { checksums: [string, string][] }).checksums.find(([other]) => other === id)?.[1] !==
          sum,
      );
      assert.deepEqual(
        changed.map(([id]) => id),
        ['cell-1'],
      );
    });
    test('a unit one minor version ahead keeps replicating; its unknown record kinds are ignored', async () => {
      const push = nextPush('cell-2', 2);
      push['protocol'] = `${SYNC_PROTOCOL_VERSION.split('.')[0]}.99`;
      push.records[1] = { kind: 'from-the-future', seq: push.records[1]!['seq'], anything: true };
      const answer = await postPush(
        hub.url,
        push,
        pushHeaders(tokens.unit2, { 'sextant-sync-protocol': push['protocol'] as string }),
      );
      assert.equal(answer.status, 200, answer.text);
      assert.equal((answer.json as { ignored: number }).ignored, 1);
    });
  });
});
