import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  bearerToken,
  credentialState,
  csrfMatches,
  csrfTokenOf,
  generateToken,
  hashSecret,
  PortalSessions,
  roleAtLeast,
  TOKEN_PATTERN,
  tenantAllowed,
  tenantsCover,
} from './auth.ts';
import { type Credential, type HubStore, openHubStore } from './store/index.ts';

const api = (fields: Partial<Extract<Credential, { kind: 'api' }>> = {}): Credential => ({
  id: 'c1',
  kind: 'api',
  role: 'viewer',
  tenants: ['acme'],
  name: 'n',
  secretSha256: 'h',
  createdAtMs: 0,
  expiresAtMs: null,
  revokedAtMs: null,
  ...fields,
});

describe('tokens', () => {
  test('a token is the prefix and 32 random bytes in base64url, stored as its SHA-256', () => {
    const { token, secretSha256 } = generateToken('api');
    assert.match(token, /^sxt_[A-Za-z0-9_-]{43}$/);
    assert.match(generateToken('unit').token, /^sxu_/);
    assert.equal(Buffer.from(token.slice(4), 'base64url').length, 32);
    assert.equal(secretSha256, createHash('sha256').update(token).digest('hex'));
    assert.notEqual(generateToken('api').token, token);
  });

  test('the SHA-256 of "abc" is the FIPS 180-2 example', () => {
    assert.equal(hashSecret('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('bearer headers are parsed per RFC 6750, the scheme case-insensitively', () => {
    const { token } = generateToken('api');
    assert.deepEqual(bearerToken(`Bearer ${token}`), { ok: true, token });
    assert.deepEqual(bearerToken(`bearer ${token}`), { ok: true, token });
    assert.deepEqual(bearerToken(undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(bearerToken(''), { ok: false, reason: 'missing' });
    assert.deepEqual(bearerToken(`Basic ${token}`), { ok: false, reason: 'malformed' });
    assert.deepEqual(bearerToken('Bearer sxt_short'), { ok: false, reason: 'malformed' });
    assert.deepEqual(bearerToken(`Bearer ${token}x`), { ok: false, reason: 'malformed' });
    assert.ok(!TOKEN_PATTERN.test(`sxx_${token.slice(4)}`));
  });

  test('a credential is expired from its expiry instant and revoked from its revocation', () => {
    assert.equal(credentialState(api({ expiresAtMs: 100 }), 99), 'valid');
    assert.equal(credentialState(api({ expiresAtMs: 100 }), 100), 'expired');
    assert.equal(credentialState(api({ revokedAtMs: 50, expiresAtMs: 100 }), 100), 'revoked');
  });
});

describe('roles and tenants', () => {
  test('each role includes the ones before it', () => {
    assert.ok(roleAtLeast('admin', 'viewer'));
    assert.ok(roleAtLeast('responder', 'responder'));
    assert.ok(!roleAtLeast('viewer', 'responder'));
    assert.ok(!roleAtLeast('responder', 'admin'));
  });

  test('tenant patterns match with * wildcards', () => {
    assert.ok(tenantAllowed(['dedicated-*'], 'dedicated-acme'));
    assert.ok(tenantAllowed(['acme', 'beta'], 'beta'));
    assert.ok(!tenantAllowed(['dedicated-*'], 'gitlab'));
    assert.ok(tenantAllowed(['*'], 'anything'));
  });

  // The grant rule: an admin may grant a pattern only when every tenant it matches is one
  // the admin's own patterns match.
  const cases: [granted: string[], requested: string, allowed: boolean][] = [
    [['*'], '*', true],
    [['*'], 'acme', true],
    [['acme'], 'acme', true],
    [['acme'], 'acme-*', false],
    [['acme'], '*', false],
    [['dedicated-*'], 'dedicated-acme', true],
    [['dedicated-*'], 'dedicated-eu-*', true],
    [['dedicated-*'], 'dedicated-*', true],
    [['dedicated-*'], 'dedicated', false],
    [['dedicated-*'], '*', false],
    [['dedicated-*'], '*-acme', false],
    [['dedicated-*'], 'acme', false],
    [['*-eu'], 'dedicated-*-eu', true],
    [['*-eu'], 'dedicated-*', false],
    [['acme', 'beta-*'], 'beta-1', true],
  ];
  for (const [granted, requested, allowed] of cases) {
    test(`an admin of ${granted.join(',')} ${allowed ? 'may' : 'may not'} grant ${requested}`, () => {
      assert.equal(tenantsCover(granted, requested), allowed);
    });
  }
});

describe('portal sessions', () => {
  /** Runs `body` with sessions over a fresh in-memory store holding the credentials given. */
  async function withSessions(
    credentials: Credential[],
    options: { ttlMs: number; maxPerToken?: number },
    body: (sessions: PortalSessions, store: HubStore) => Promise<void>,
  ): Promise<void> {
    const store = await openHubStore({ sqlitePath: ':memory:' });
    try {
      for (const credential of credentials) await store.putCredential(credential);
      await body(new PortalSessions(store, options), store);
    } finally {
      await store.close();
    }
  }

  test('a session lives until its TTL and no longer than its token', async () => {
    const short = api({ id: 'c2', secretSha256: 'h2', expiresAtMs: 500 });
    await withSessions([api(), short], { ttlMs: 1000 }, async (sessions) => {
      const opened = await sessions.open(api(), 0);
      assert.ok(opened.ok);
      assert.match(opened.id, /^[A-Za-z0-9_-]{43}$/);
      assert.equal((await sessions.get(opened.id, 999))?.csrfToken, opened.session.csrfToken);
      assert.equal(await sessions.get(opened.id, 1000), undefined);
      const shortOpened = await sessions.open(short, 0);
      assert.ok(shortOpened.ok);
      assert.equal(shortOpened.session.expiresAtMs, 500);
    });
  });

  test('the store keeps only hashes of the session id and the CSRF token', async () => {
    await withSessions([api()], { ttlMs: 1000 }, async (sessions, store) => {
      const opened = await sessions.open(api(), 0);
      assert.ok(opened.ok);
      const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
      const stored = await store.getSession(sha256(opened.id), 0);
      assert.equal(stored?.session.csrfSha256, sha256(opened.session.csrfToken));
      assert.notEqual(opened.session.csrfToken, opened.id);
    });
  });

  test('the CSRF check accepts the session token and refuses any other', async () => {
    await withSessions([api()], { ttlMs: 1000 }, async (sessions) => {
      const a = await sessions.open(api(), 0);
      const b = await sessions.open(api(), 0);
      assert.ok(a.ok && b.ok);
      assert.ok(csrfMatches(a.session, a.session.csrfToken));
      assert.ok(!csrfMatches(a.session, b.session.csrfToken));
      assert.ok(!csrfMatches(a.session, ''));
      // The token is shown again from the cookie alone (GET /api/v1/session).
      assert.equal(csrfTokenOf(a.id), a.session.csrfToken);
    });
  });

  test('a closed session is gone, and an unknown or malformed id finds nothing', async () => {
    await withSessions([api()], { ttlMs: 1000 }, async (sessions) => {
      const opened = await sessions.open(api(), 0);
      assert.ok(opened.ok);
      assert.equal(await sessions.get('nope', 0), undefined);
      assert.equal(await sessions.get('A'.repeat(43), 0), undefined);
      assert.ok(await sessions.close(opened.id));
      assert.equal(await sessions.get(opened.id, 0), undefined);
      assert.ok(!(await sessions.close(opened.id)));
    });
  });

  test("beyond maxPerToken the token's oldest session ends, not another token's", async () => {
    const other = api({ id: 'c2', secretSha256: 'h2' });
    await withSessions([api(), other], { ttlMs: 1000, maxPerToken: 2 }, async (sessions) => {
      const others = await sessions.open(other, 0);
      const first = await sessions.open(api(), 0);
      const second = await sessions.open(api(), 1);
      const third = await sessions.open(api(), 2);
      assert.ok(others.ok && first.ok && second.ok && third.ok);
      assert.equal(await sessions.get(first.id, 3), undefined);
      assert.ok(await sessions.get(second.id, 3));
      assert.ok(await sessions.get(third.id, 3));
      assert.ok(await sessions.get(others.id, 3));
    });
  });

  test('a revoked or unknown token opens no session', async () => {
    const revoked = api({ id: 'c2', secretSha256: 'h2', revokedAtMs: 0 });
    await withSessions([revoked], { ttlMs: 1000 }, async (sessions) => {
      const refused = await sessions.open(revoked, 1);
      assert.deepEqual(refused, { ok: false, reason: 'revoked' });
      assert.deepEqual(await sessions.open(api(), 1), { ok: false, reason: 'unknown' });
    });
  });
});
