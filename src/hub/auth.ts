/**
 * Who is calling the hub: bearer tokens (units and API clients), portal sessions, roles and
 * tenant patterns. Tokens are 256 random bits, stored only as their SHA-256 (a slow hash
 * adds nothing against a secret that cannot be guessed), and looked up by that hash, so
 * a lookup takes the same path for every wrong token.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { tenantPattern } from '../catalog/index.ts';
import type { Credential, HubStore, Role, StoredSession } from './store/index.ts';
import { ROLES } from './store/index.ts';

/** Prefixes of the hub's secrets: API tokens (people, automation) and unit tokens. */
export const TOKEN_PREFIX = { api: 'sxt_', unit: 'sxu_' } as const;
/** `sxt_` or `sxu_` and 32 random bytes in base64url (43 characters). */
export const TOKEN_PATTERN = /^sx[tu]_[A-Za-z0-9_-]{43}$/;

/**
 * A fresh secret and the hash the store keeps.
 * @example const { token, secretSha256 } = generateToken('api'); // token: 'sxt_...'
 */
export function generateToken(kind: 'api' | 'unit'): { token: string; secretSha256: string } {
  const token = `${TOKEN_PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
  return { token, secretSha256: hashSecret(token) };
}

/** The SHA-256 (hex) of a token or session id, as stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A random credential id, short enough to type (`sextant hub token revoke <id>`). */
export function newCredentialId(): string {
  return randomBytes(9).toString('base64url');
}

/** The caller of a request, once authenticated. */
export type Principal =
  | { kind: 'unit'; credentialId: string; unitId: string; name: string }
  | {
      kind: 'api';
      credentialId: string;
      name: string;
      role: Role;
      /** Tenant patterns (`acme`, `dedicated-*`, `*`). */
      tenants: readonly string[];
      /** How it authenticated: a bearer token or a portal session cookie. */
      via: 'token' | 'session';
    };

/** The audit actor of a principal: `credential:<id>` or `unit:<id>`. */
export function actorOf(principal: Principal | undefined): string {
  if (!principal) return 'anonymous';
  return principal.kind === 'unit' ? `unit:${principal.unitId}` : `credential:${principal.credentialId}`;
}

/** Why authentication failed; the client sees one message for the last three (no existence leak). */
export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked';

/** What a client is told for each failure. */
export const AUTH_FAILURE_MESSAGES: Readonly<Record<AuthFailure, string>> = {
  missing: 'authentication required: send Authorization: Bearer <token>',
  malformed: 'malformed token: expected Authorization: Bearer sxt_... (or sxu_... for a unit)',
  unknown: 'the token is not valid (unknown, expired or revoked); ask a hub admin for a new one',
  expired: 'the token is not valid (unknown, expired or revoked); ask a hub admin for a new one',
  revoked: 'the token is not valid (unknown, expired or revoked); ask a hub admin for a new one',
};

/** Extracts the token from an `Authorization` header (`Bearer <token>`, scheme case-insensitive, RFC 6750). */
export function bearerToken(
  header: string | undefined,
): { ok: true; token: string } | { ok: false; reason: AuthFailure } {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match || !TOKEN_PATTERN.test(match[1]!)) return { ok: false, reason: 'malformed' };
  return { ok: true, token: match[1]! };
}

/** Whether a credential may be used at `nowMs`. */
export function credentialState(credential: Credential, nowMs: number): 'valid' | 'expired' | 'revoked' {
  if (credential.revokedAtMs !== null && credential.revokedAtMs <= nowMs) return 'revoked';
  if (credential.expiresAtMs !== null && credential.expiresAtMs <= nowMs) return 'expired';
  return 'valid';
}

/** The principal of a credential. */
export function principalOf(credential: Credential, via: 'token' | 'session' = 'token'): Principal {
  return credential.kind === 'unit'
    ? { kind: 'unit', credentialId: credential.id, unitId: credential.unitId, name: credential.name }
    : {
        kind: 'api',
        credentialId: credential.id,
        name: credential.name,
        role: credential.role,
        tenants: credential.tenants,
        via,
      };
}

/** Looks a token up by its hash and checks that it is neither expired nor revoked. */
export async function authenticateToken(
  store: Pick<HubStore, 'findCredentialBySecretHash'>,
  token: string,
  nowMs: number,
): Promise<{ ok: true; credential: Credential } | { ok: false; reason: AuthFailure }> {
  const credential = await store.findCredentialBySecretHash(hashSecret(token));
  if (!credential) return { ok: false, reason: 'unknown' };
  const state = credentialState(credential, nowMs);
  return state === 'valid' ? { ok: true, credential } : { ok: false, reason: state };
}

/** True when `role` includes `minimum` (`viewer` < `responder` < `admin`). */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/**
 * True when every tenant matched by `requested` is matched by one of `granted`: the rule
 * for an admin granting tenants to a new token (it may only hand out what it holds).
 *
 * The requested pattern's `*` are replaced by a character no tenant name contains, and the
 * result must match a granted pattern: a literal character of a granted pattern can then
 * never stand for the requested `*`, so every string the requested pattern matches is
 * matched too (sound; exact for the simple patterns tenants use).
 * @example tenantsCover(['dedicated-*'], 'dedicated-eu-*') // true
 * @example tenantsCover(['dedicated-*'], '*') // false
 */
export function tenantsCover(granted: readonly string[], requested: string): boolean {
  const probe = requested.replaceAll('*', '\u0000');
  return granted.some((pattern) => tenantPattern(pattern).test(probe));
}

/** True when `tenant` matches one of the patterns. */
export function tenantAllowed(patterns: readonly string[], tenant: string): boolean {
  return patterns.some((pattern) => tenantPattern(pattern).test(tenant));
}

/** A session id: 32 random bytes in base64url, the value of the session cookie. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Live sessions one token may hold by default (`sessions.maxPerToken`). */
export const DEFAULT_MAX_SESSIONS_PER_TOKEN = 100;

/**
 * The CSRF token of a session: an HMAC of a fixed label keyed by the session id. Only the
 * holder of the cookie can compute it, the token reveals nothing of the id, and the hub can
 * show it again (`GET /api/v1/session`) while the store keeps only its hash.
 */
export function csrfTokenOf(sessionId: string): string {
  return createHmac('sha256', sessionId).update('sextant-csrf').digest('base64url');
}

/** A live portal session, with the credential it was opened with. */
export interface PortalSession {
  credential: Credential;
  /** Shown to the portal, which sends it back as the `Sextant-CSRF` header. */
  csrfToken: string;
  /** The SHA-256 of `csrfToken`, as stored. */
  csrfSha256: string;
  expiresAtMs: number;
}

/** True when `sent` is the session's CSRF token: compares SHA-256 digests in constant time. */
export function csrfMatches(session: Pick<PortalSession, 'csrfSha256'>, sent: string): boolean {
  const left = Buffer.from(hashSecret(sent), 'hex');
  const right = Buffer.from(session.csrfSha256, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Portal sessions, kept in the hub store, so they survive a restart and every hub on one
 * database shares them. The session id (the cookie) and CSRF token are 256-bit secrets the
 * store keeps only as SHA-256. A session ends after `ttlMs` (or when its token expires, if
 * sooner), on logout, or when its token is revoked. A token holds at most `maxPerToken`
 * live sessions: opening one more ends its oldest (docs/hub.md, "Portal sessions").
 */
export class PortalSessions {
  readonly #store: Pick<HubStore, 'openSession' | 'getSession' | 'deleteSession'>;
  readonly #ttlMs: number;
  readonly #maxPerToken: number;

  constructor(
    store: Pick<HubStore, 'openSession' | 'getSession' | 'deleteSession'>,
    options: { ttlMs: number; maxPerToken?: number },
  ) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
    this.#maxPerToken = options.maxPerToken ?? DEFAULT_MAX_SESSIONS_PER_TOKEN;
  }

  /**
   * Opens a session for an authenticated credential; returns the id for the cookie (shown
   * once) and the session, or why the store refused (the token was revoked meanwhile).
   */
  async open(
    credential: Credential,
    nowMs: number,
  ): Promise<{ ok: true; id: string; session: PortalSession } | { ok: false; reason: AuthFailure }> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = csrfTokenOf(id);
    const stored: StoredSession = {
      idSha256: hashSecret(id),
      credentialId: credential.id,
      secretSha256: credential.secretSha256,
      csrfSha256: hashSecret(csrfToken),
      createdAtMs: nowMs,
      expiresAtMs: Math.min(nowMs + this.#ttlMs, credential.expiresAtMs ?? Number.POSITIVE_INFINITY),
    };
    const opened = await this.#store.openSession(stored, { maxPerToken: this.#maxPerToken });
    if (!opened.ok) return opened;
    return {
      ok: true,
      id,
      session: { credential, csrfToken, csrfSha256: stored.csrfSha256, expiresAtMs: stored.expiresAtMs },
    };
  }

  /** The live session with this id, if any (a malformed id is not looked up). */
  async get(id: string, nowMs: number): Promise<PortalSession | undefined> {
    if (!SESSION_ID_PATTERN.test(id)) return undefined;
    const found = await this.#store.getSession(hashSecret(id), nowMs);
    if (!found) return undefined;
    return {
      credential: found.credential,
      csrfToken: csrfTokenOf(id),
      csrfSha256: found.session.csrfSha256,
      expiresAtMs: found.session.expiresAtMs,
    };
  }

  /** Ends a session; false when there was none. */
  close(id: string): Promise<boolean> {
    return this.#store.deleteSession(hashSecret(id));
  }
}

/** A token as issued: the secret appears here once and is never stored. */
export interface IssuedToken {
  id: string;
  kind: 'api' | 'unit';
  name: string;
  token: string;
  expiresAtMs: number | null;
  credential: Credential;
}

/**
 * Issues a token for a unit (registration or rotation: the unit's other tokens keep
 * working until revoked, so a new one can be deployed first).
 */
export async function issueUnitToken(
  store: Pick<HubStore, 'putCredential'>,
  unitId: string,
  options: { expiresAtMs?: number | null; nowMs: number },
): Promise<IssuedToken> {
  const { token, secretSha256 } = generateToken('unit');
  const credential: Credential = {
    id: newCredentialId(),
    kind: 'unit',
    unitId,
    name: `unit ${unitId}`,
    secretSha256,
    createdAtMs: options.nowMs,
    expiresAtMs: options.expiresAtMs ?? null,
    revokedAtMs: null,
  };
  await store.putCredential(credential);
  return {
    id: credential.id,
    kind: 'unit',
    name: credential.name,
    token,
    expiresAtMs: credential.expiresAtMs,
    credential,
  };
}

/** Issues an API token with a role and tenant patterns (the caller checks who may grant what). */
export async function issueApiToken(
  store: Pick<HubStore, 'putCredential'>,
  request: {
    name: string;
    role: Role;
    tenants: readonly string[];
    expiresAtMs?: number | null;
    nowMs: number;
  },
): Promise<IssuedToken> {
  const { token, secretSha256 } = generateToken('api');
  const credential: Credential = {
    id: newCredentialId(),
    kind: 'api',
    role: request.role,
    tenants: [...new Set(request.tenants)],
    name: request.name,
    secretSha256,
    createdAtMs: request.nowMs,
    expiresAtMs: request.expiresAtMs ?? null,
    revokedAtMs: null,
  };
  await store.putCredential(credential);
  return {
    id: credential.id,
    kind: 'api',
    name: credential.name,
    token,
    expiresAtMs: credential.expiresAtMs,
    credential,
  };
}
