import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  bearerToken,
  credentialState,
  generateToken,
  hashSecret,
  roleAtLeast,
  SessionStore,
  TOKEN_PATTERN,
  tenantAllowed,
  tenantsCover,
} from './auth.ts';
import type { Credential } from './store/index.ts';

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

describe('sessions', () => {
  test('a session lives until its TTL and no longer than its token', () => {
    const sessions = new SessionStore({ ttlMs: 1000 });
    const { id, session } = sessions.open(api(), 0);
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(sessions.get(id, 999)?.csrfToken, session.csrfToken);
    assert.equal(sessions.get(id, 1000), undefined);
    const short = sessions.open(api({ expiresAtMs: 500 }), 0);
    assert.equal(short.session.expiresAtMs, 500);
  });

  test('a closed session is gone, and an unknown id finds nothing', () => {
    const sessions = new SessionStore({ ttlMs: 1000 });
    const { id } = sessions.open(api(), 0);
    assert.equal(sessions.get('nope', 0), undefined);
    assert.ok(sessions.close(id));
    assert.equal(sessions.get(id, 0), undefined);
    assert.ok(!sessions.close(id));
  });

  test('beyond the maximum the oldest session is dropped', () => {
    const sessions = new SessionStore({ ttlMs: 1000, maxSessions: 2 });
    const first = sessions.open(api(), 0);
    sessions.open(api(), 1);
    const third = sessions.open(api(), 2);
    assert.equal(sessions.size, 2);
    assert.equal(sessions.get(first.id, 3), undefined);
    assert.ok(sessions.get(third.id, 3));
  });
});
