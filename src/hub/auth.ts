/**
 * Who is calling the hub: bearer tokens (units and API clients), portal sessions, roles and
 * tenant patterns. Tokens are 256 random bits, stored only as their SHA-256 (a slow hash
 * adds nothing against a secret that cannot be guessed), and looked up by that hash, so
 * a lookup takes the same path for every wrong token.
 */

import { createHash, randomBytes } from 'node:crypto';
import { tenantPattern } from '../catalog/index.ts';
import type { Credential, HubStore, Role } from './store/index.ts';
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

/** A portal session: the credential it was opened with and its CSRF token. */
export interface Session {
  credentialId: string;
  /** The SHA-256 of the API token the session was opened with: revoking the token ends it. */
  secretSha256: string;
  csrfToken: string;
  expiresAtMs: number;
}

/**
 * Portal sessions, in memory. The store has no sessions table, so sessions end when the
 * hub restarts and are not shared between hub replicas (the portal logs in again). Session
 * ids are 256 random bits, kept only as their SHA-256.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #maxSessions: number;

  constructor(options: { ttlMs: number; maxSessions?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxSessions = options.maxSessions ?? 100_000;
  }

  /** Opens a session; returns the id for the cookie (shown once) and the CSRF token. */
  open(credential: Credential, nowMs: number): { id: string; session: Session } {
    if (this.#sessions.size >= this.#maxSessions) this.sweep(nowMs);
    if (this.#sessions.size >= this.#maxSessions) {
      // The oldest session goes first (Map keeps insertion order).
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      credentialId: credential.id,
      secretSha256: credential.secretSha256,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAtMs: Math.min(nowMs + this.#ttlMs, credential.expiresAtMs ?? Number.POSITIVE_INFINITY),
    };
    this.#sessions.set(hashSecret(id), session);
    return { id, session };
  }

  /** The live session with this id, if any. */
  get(id: string, nowMs: number): Session | undefined {
    const key = hashSecret(id);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAtMs <= nowMs) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends a session; false when there was none. */
  close(id: string): boolean {
    return this.#sessions.delete(hashSecret(id));
  }

  /** Drops expired sessions. */
  sweep(nowMs: number): void {
    for (const [key, session] of this.#sessions) {
      if (session.expiresAtMs <= nowMs) this.#sessions.delete(key);
    }
  }

  get size(): number {
    return this.#sessions.size;
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
