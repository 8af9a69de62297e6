/**
 * The hub's HTTP surface: the replication endpoints units call (push, catalog), the fleet
 * API people and automation call (scoped to their tenants), admin endpoints, and the
 * operational ones (/healthz, /readyz, /metrics, the OpenAPI document).
 *
 * Every route is declared once with its `RouteSpec`: the same declaration registers the
 * handler, decides who may call it, and documents it in the OpenAPI document.
 */

import { randomBytes } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import {
  isCompatibleProtocol,
  RECORD_KINDS,
  SYNC_PROTOCOL_HEADER,
  SYNC_PROTOCOL_VERSION,
  type SyncRecord,
  syncSchemas,
} from '../sync/index.ts';
import type { Logger } from '../unit/index.ts';
import { toError } from '../util/index.ts';
import type { PushAdmission } from './admission.ts';
import type { AuditLog } from './audit.ts';
import {
  AUTH_FAILURE_MESSAGES,
  type AuthFailure,
  actorOf,
  authenticateToken,
  bearerToken,
  credentialState,
  csrfMatches,
  type IssuedToken,
  issueApiToken,
  issueUnitToken,
  type PortalSession,
  type PortalSessions,
  type Principal,
  principalOf,
  roleAtLeast,
  tenantAllowed,
  tenantsCover,
} from './auth.ts';
import { bundleVersion, type HubCatalog } from './catalog.ts';
import { type HubConfig, overridesFor } from './config.ts';
import {
  availabilityByTenantMonth,
  burningNow,
  type FleetContext,
  fleetBudgets,
  sliSeries,
} from './fleet.ts';
import {
  availabilityParams,
  availabilityView,
  burningNowParams,
  burningNowView,
  FLEET_ISSUE_CODES,
  type FleetResult,
  fleetBudgetsParams,
  fleetBudgetsView,
  sliSeriesParams,
  sliSeriesView,
  toSliSeriesQuery,
} from './fleet-schemas.ts';
import type { HubMetrics } from './metrics.ts';
import {
  alertsQuery,
  alertView,
  auditQuery,
  auditView,
  createdUnit,
  createTokenBody,
  createUnitBody,
  errorBody,
  issuedToken,
  issueUnitTokenBody,
  openApiDocument,
  type principalView,
  type RouteSpec,
  sessionBody,
  sessionView,
  slosQuery,
  sloView,
  tokenView,
  unitView,
} from './openapi.ts';
import type { Credential, HubStore, StoredRecord, UnitInfo, UnknownRecord } from './store/index.ts';

/** The codes of error answers and their HTTP statuses: the one place errors become statuses. */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  upgrade_required: 426,
  busy: 429,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem with a request, by path (`records.3.good`). */
export interface ApiIssue {
  path: string;
  message: string;
  /** A stable code where the check has one (fleet queries). */
  code?: string;
}

/** An expected failure, answered with `ERROR_STATUS[code]` and `{ error, message, issues? }`. */
export class HubError extends Error {
  override name = 'HubError';
  readonly code: ErrorCode;
  readonly issues: readonly ApiIssue[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: ErrorCode,
    message: string,
    options: { issues?: readonly ApiIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.issues = options.issues;
    this.headers = options.headers ?? {};
  }
}

/** The request is malformed; `issues` says where. */
export class InputError extends HubError {
  override name = 'InputError';
  constructor(message: string, issues?: readonly ApiIssue[]) {
    super('invalid_request', message, issues ? { issues } : {});
  }
}

/** The caller is authenticated but may not do this. */
export class ForbiddenError extends HubError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** No such object, or one outside the caller's tenants (the two are not told apart). */
export class NotFoundError extends HubError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The object exists already, or the request conflicts with the stored state. */
export class ConflictError extends HubError {
  override name = 'ConflictError';
  constructor(message: string) {
    super('conflict', message);
  }
}

/** Missing or invalid credentials (401 with `WWW-Authenticate: Bearer`, RFC 6750). */
export class UnauthenticatedError extends HubError {
  override name = 'UnauthenticatedError';
  readonly reason: AuthFailure;
  constructor(reason: AuthFailure) {
    super('unauthenticated', AUTH_FAILURE_MESSAGES[reason], {
      headers: {
        'WWW-Authenticate':
          reason === 'missing' ? 'Bearer realm="sextant"' : 'Bearer realm="sextant", error="invalid_token"',
      },
    });
    this.reason = reason;
  }
}

/** Storage failures a client should retry later (503) rather than treat as final. */
function isTransientStorageError(error: Error): boolean {
  return /SQLITE_(FULL|BUSY|LOCKED|IOERR)|database is locked|disk is full|disk I\/O error|cannot connect to PostgreSQL|Connection terminated|ECONNREFUSED/i.test(
    error.message,
  );
}

/** What the HTTP layer needs from the running hub. */
export interface HubHttpContext {
  config: HubConfig;
  store: HubStore;
  metrics: HubMetrics;
  audit: AuditLog;
  sessions: PortalSessions;
  admission: PushAdmission;
  /** The catalog in force (the last valid one), if any. */
  catalog(): HubCatalog | undefined;
  now(): number;
  log: Logger;
  /** Why the hub is not ready, or an empty list. */
  notReady(): Promise<string[]>;
  /** The hub's version, for the OpenAPI document. */
  version: string;
  /** Extra routes (the fleet queries), registered with the same auth, audit and docs. */
  extraRoutes?: readonly HubRoute[];
}

/** Per-request state the middleware and handlers share. */
export interface HubEnv {
  Variables: {
    spec: RouteSpec;
    principal: Principal;
    /** The id of the session cookie when the request came with one. */
    sessionId: string;
    /** The session of that cookie. */
    session: PortalSession;
    authFailure: AuthFailure;
    auditDetail: Record<string, unknown>;
    auditSums: Record<string, number>;
    requestId: string;
  };
}
export type HubContext = Context<HubEnv>;

/** A route: its documentation and its handler (called after authentication and access checks). */
export interface HubRoute {
  spec: RouteSpec;
  handler: (c: HubContext, scope: RequestScope) => Promise<Response>;
}

/** What a handler knows about its caller. */
export interface RequestScope {
  principal: Principal;
  /** The units an API caller may see (`listUnits` of its tenant patterns), loaded on first use. */
  allowedUnits(): Promise<UnitInfo[]>;
}

export const SESSION_COOKIE = 'sextant_session';
export const CSRF_HEADER = 'sextant-csrf';
const ADMIN_BODY_LIMIT = 1024 * 1024;

/** Builds the hub's Hono app and the list of its documented routes. */
export function hubApp(context: HubHttpContext): { app: Hono<HubEnv>; routes: RouteSpec[] } {
  const app = new Hono<HubEnv>();
  const { store, metrics, audit, config, log } = context;
  const routes: RouteSpec[] = [];

  app.onError((thrown, c) => {
    const requestId = c.get('requestId') ?? '';
    if (thrown instanceof HubError) {
      for (const [name, value] of Object.entries(thrown.headers)) c.header(name, value);
      // The rest of an oversized body is not read: the connection cannot be reused.
      if (thrown.code === 'too_large') c.header('Connection', 'close');
      return c.json(
        {
          error: thrown.code,
          message: thrown.message,
          ...(thrown.issues ? { issues: thrown.issues } : {}),
        },
        ERROR_STATUS[thrown.code],
      );
    }
    const error = toError(thrown);
    if (isTransientStorageError(error)) {
      metrics.inc('sextant_hub_storage_errors_total', 'Requests that failed in the store.');
      log('warn', 'storage unavailable', { requestId, path: c.req.path, error: error.message });
      c.header('Retry-After', '30');
      return c.json({ error: 'unavailable', message: 'storage unavailable, retry later' }, 503);
    }
    // The client gets an id to quote; the details stay in the hub's log.
    log('error', 'request failed', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      error: error.message,
      stack: error.stack,
    });
    return c.json(
      { error: 'internal', message: `internal error (request ${requestId}); see the hub's log` },
      500,
    );
  });

  app.notFound((c) =>
    c.json(
      { error: 'not_found', message: `no route ${c.req.method} ${c.req.path}; see /api/v1/openapi.json` },
      404,
    ),
  );

  // Request ids, metrics and the audit trail of every API request.
  app.use('*', async (c, next) => {
    c.set('requestId', randomBytes(6).toString('hex'));
    await next();
    const spec = c.get('spec');
    const route = spec?.path ?? 'unmatched';
    metrics.inc('sextant_hub_http_requests_total', 'HTTP requests by method, route and status.', {
      method: c.req.method,
      route,
      status: String(c.res.status),
    });
    if (!spec || spec.access === 'public') {
      if (c.get('principal') === undefined && c.get('authFailure') === undefined) return;
    }
    auditRequest(c);
  });

  const auditRequest = (c: HubContext) => {
    const atMs = context.now();
    const principal = c.get('principal');
    const status = String(c.res.status);
    const failure = c.get('authFailure');
    if (!principal) {
      if (failure === undefined) return;
      // Anonymous failures are summarised per minute: a scanner cannot flood the table.
      audit.summarise({
        atMs,
        actor: 'anonymous',
        action: 'authenticate',
        resource: `${c.req.method} ${c.get('spec')?.path ?? c.req.path}`,
        outcome: `${status}:${failure}`,
      });
      return;
    }
    const detail = c.get('auditDetail');
    if (principal.kind === 'unit' && c.res.status !== 403) {
      // A unit's routine traffic: one summary per unit, action and outcome per minute.
      audit.summarise(
        {
          atMs,
          actor: actorOf(principal),
          action: c.req.method === 'POST' ? 'push' : 'read',
          resource: c.req.method === 'POST' ? `unit:${principal.unitId}` : `${c.req.method} ${c.req.path}`,
          outcome: status,
        },
        c.get('auditSums') ?? {},
      );
      return;
    }
    audit.record({
      atMs,
      actor: actorOf(principal),
      action: actionOf(c.req.method, c.get('spec')),
      resource: `${c.req.method} ${c.req.path}`,
      outcome: status,
      ...(detail || c.res.status >= 400
        ? {
            detail: {
              ...(detail ?? {}),
              ...(c.res.status >= 400 ? { ip: clientIp(c, config.trustProxy) } : {}),
            },
          }
        : {}),
    });
  };

  const authenticate = async (c: HubContext): Promise<Principal> => {
    const header = c.req.header('authorization');
    const cookie = header === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
    const fail = (reason: AuthFailure): never => {
      c.set('authFailure', reason);
      metrics.inc('sextant_hub_auth_failures_total', 'Requests refused for their credentials, by reason.', {
        reason,
      });
      throw new UnauthenticatedError(reason);
    };
    if (cookie !== undefined) {
      const session = await context.sessions.get(cookie, context.now());
      if (!session) return fail('unknown');
      // Revoking a token deletes its sessions; this also ends them when the token expires
      // or is marked revoked some other way.
      const state = credentialState(session.credential, context.now());
      if (state !== 'valid') {
        await context.sessions.close(cookie);
        return fail(state);
      }
      c.set('sessionId', cookie);
      c.set('session', session);
      const principal = principalOf(session.credential, 'session');
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        // A cross-site form cannot set a custom header, and only our own pages can read
        // the token (no CORS), so a matching header proves the request is the portal's.
        if (!csrfMatches(session, c.req.header(CSRF_HEADER) ?? '')) {
          c.set('principal', principal);
          throw new ForbiddenError(
            'cookie-authenticated writes need the Sextant-CSRF header returned by POST /api/v1/session',
          );
        }
      }
      return principal;
    }
    const bearer = bearerToken(header);
    if (!bearer.ok) return fail(bearer.reason);
    const found = await authenticateToken(store, bearer.token, context.now());
    if (!found.ok) return fail(found.reason);
    return principalOf(found.credential, 'token');
  };

  const guard =
    (spec: RouteSpec): MiddlewareHandler<HubEnv> =>
    async (c, next) => {
      c.set('spec', spec);
      if (spec.access === 'public') return next();
      const principal = await authenticate(c);
      c.set('principal', principal);
      if (spec.access === 'unit') {
        if (principal.kind !== 'unit') {
          throw new ForbiddenError(
            `${spec.method.toUpperCase()} ${spec.path} is for unit tokens (sxu_...) only`,
          );
        }
      } else if (principal.kind === 'unit') {
        throw new ForbiddenError('unit tokens can only push records and fetch the catalog');
      } else if (!roleAtLeast(principal.role, spec.access)) {
        throw new ForbiddenError(
          `${spec.method.toUpperCase()} ${spec.path} needs the ${spec.access} role; this token has ${principal.role}`,
        );
      }
      return next();
    };

  const define = (route: HubRoute) => {
    routes.push(route.spec);
    app.on(route.spec.method.toUpperCase(), route.spec.path, guard(route.spec), async (c) => {
      // Public routes have no principal and never read it.
      const principal = c.get('principal') as Principal;
      let units: Promise<UnitInfo[]> | undefined;
      const scope: RequestScope = {
        principal,
        allowedUnits: () => {
          if (principal?.kind !== 'api') return Promise.resolve([]);
          if (units === undefined) units = store.listUnits(principal.tenants);
          return units;
        },
      };
      return route.handler(c, scope);
    });
  };

  // Operational endpoints.
  define({
    spec: {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process answers.',
      tag: 'operations',
      access: 'public',
      responses: { 200: { description: 'Alive.' } },
    },
    handler: async (c) => c.json({ status: 'ok' }),
  });
  define({
    spec: {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: the store answers and the hub is not shutting down.',
      tag: 'operations',
      access: 'public',
      responses: { 200: { description: 'Ready.' }, 503: { description: 'Not ready; `reasons` says why.' } },
    },
    handler: async (c) => {
      const reasons = await context.notReady();
      return reasons.length === 0
        ? c.json({ status: 'ready' })
        : c.json({ status: 'not ready', reasons }, 503);
    },
  });
  define({
    spec: {
      method: 'get',
      path: '/metrics',
      summary: "The hub's own metrics in the Prometheus text format (no unit or tenant names).",
      tag: 'operations',
      access: 'public',
      responses: { 200: { description: 'Prometheus text format 0.0.4.', contentType: 'text/plain' } },
    },
    handler: async (c) =>
      c.text(await metrics.scrape(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }),
  });
  let openApiText: string | undefined;
  define({
    spec: {
      method: 'get',
      path: '/api/v1/openapi.json',
      summary: 'This OpenAPI 3.1 document.',
      tag: 'operations',
      access: 'public',
      responses: { 200: { description: 'The document.' } },
    },
    handler: async (c) => {
      openApiText ??= JSON.stringify(openApiDocument(routes, { version: context.version }));
      return c.body(openApiText, 200, { 'Content-Type': 'application/json' });
    },
  });

  // Sessions for the portal.
  define({
    spec: {
      method: 'post',
      path: '/api/v1/session',
      summary: 'Exchange an API token for a session cookie (HttpOnly, SameSite=Strict).',
      description:
        'Send the token as Authorization: Bearer or in the body. The answer carries the CSRF token to send as ' +
        'the Sextant-CSRF header on every cookie-authenticated write. Sessions are kept in the hub store, so ' +
        'they outlive a restart and every hub on one database accepts them; they end after sessions.ttl, on ' +
        'logout, when the token is revoked, or when the token opens more than sessions.maxPerToken (its oldest).',
      tag: 'sessions',
      access: 'public',
      body: sessionBody,
      bodyRequired: false,
      responses: { 201: { description: 'The session.', schema: sessionView } },
    },
    handler: async (c) => {
      const body = await readJson(c, sessionBody, { optional: true });
      const header = body.token !== undefined ? `Bearer ${body.token}` : c.req.header('authorization');
      const bearer = bearerToken(header);
      const failWith = (reason: AuthFailure): never => {
        c.set('authFailure', reason);
        metrics.inc('sextant_hub_auth_failures_total', 'Requests refused for their credentials, by reason.', {
          reason,
        });
        throw new UnauthenticatedError(reason);
      };
      if (!bearer.ok) return failWith(bearer.reason);
      const found = await authenticateToken(store, bearer.token, context.now());
      if (!found.ok) return failWith(found.reason);
      const principal = principalOf(found.credential, 'session');
      c.set('principal', principal);
      if (found.credential.kind !== 'api')
        throw new ForbiddenError('a unit token cannot open a portal session');
      const opened = await context.sessions.open(found.credential, context.now());
      if (!opened.ok) return failWith(opened.reason);
      const { id, session } = opened;
      setCookie(c, SESSION_COOKIE, id, {
        httpOnly: true,
        secure: isHttps(c, config.trustProxy),
        sameSite: 'Strict',
        path: '/',
        maxAge: Math.max(1, Math.floor((session.expiresAtMs - context.now()) / 1000)),
      });
      c.set('auditDetail', { session: 'opened' });
      return c.json(
        sessionView.parse({
          principal: viewPrincipal(principal),
          csrfToken: session.csrfToken,
          expiresAt: iso(session.expiresAtMs),
        }),
        201,
      );
    },
  });
  define({
    spec: {
      method: 'get',
      path: '/api/v1/session',
      summary: 'Who is calling: the principal (and, with a session cookie, its CSRF token).',
      tag: 'sessions',
      access: 'viewer',
      responses: {
        200: {
          description: 'The caller.',
          schema: sessionView.partial({ csrfToken: true, expiresAt: true }),
        },
      },
    },
    handler: async (c, { principal }) => {
      const session = c.get('session');
      return c.json({
        principal: viewPrincipal(principal),
        ...(session ? { csrfToken: session.csrfToken, expiresAt: iso(session.expiresAtMs) } : {}),
      });
    },
  });
  define({
    spec: {
      method: 'delete',
      path: '/api/v1/session',
      summary: 'Log out: end the session of the cookie and clear it.',
      tag: 'sessions',
      access: 'viewer',
      responses: { 204: { description: 'Ended.' } },
    },
    handler: async (c) => {
      const sessionId = c.get('sessionId');
      if (sessionId !== undefined) await context.sessions.close(sessionId);
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c, config.trustProxy) });
      return c.body(null, 204);
    },
  });

  // Replication.
  define({
    spec: {
      method: 'post',
      path: '/api/v1/sync/push',
      summary: "Apply a batch of a unit's records (idempotent; answers the contiguous acknowledged seq).",
      description:
        'Body: PushRequest as JSON, Content-Encoding gzip or identity, header Sextant-Sync-Protocol. ' +
        'Nothing is stored unless every record is valid. See docs/hub.md, "Push".',
      tag: 'sync',
      access: 'unit',
      body: syncSchemas().pushRequest,
      headers: {
        'Sextant-Sync-Protocol': `The sender's protocol version (this hub speaks ${SYNC_PROTOCOL_VERSION}).`,
        'Content-Encoding': 'gzip or identity.',
      },
      responses: {
        200: { description: 'Applied (a replay is applied too).', schema: syncSchemas().pushResponse },
        409: { description: "Sequence gap: resend from the hub's ackedSeq.", schema: syncSchemas().pushGap },
        413: { description: 'Body too large (compressed or after decompression).', schema: errorBody },
        415: { description: 'Unknown Content-Encoding or Content-Type.', schema: errorBody },
        426: { description: 'Incompatible protocol major version.', schema: errorBody },
        429: { description: 'Over the admission limit; retry after Retry-After seconds.', schema: errorBody },
        503: {
          description: 'Shutting down or the queue wait timed out; retry after Retry-After.',
          schema: errorBody,
        },
      },
    },
    handler: (c, { principal }) => handlePush(context, c, principal as Extract<Principal, { kind: 'unit' }>),
  });
  define({
    spec: {
      method: 'get',
      path: '/api/v1/sync/catalog',
      summary: 'The catalog (and unit setting overrides) for the calling unit.',
      description: 'Answers 304 when If-None-Match names the current version (the ETag).',
      tag: 'sync',
      access: 'unit',
      headers: { 'If-None-Match': 'The ETag of the bundle the unit has.' },
      responses: {
        200: {
          description: 'The bundle; its ETag is the quoted version.',
          schema: syncSchemas().catalogBundle,
        },
        304: { description: 'The unit has the current version.' },
        404: { description: 'The hub has no valid catalog yet.', schema: errorBody },
      },
    },
    handler: async (c, { principal }) => {
      const unitPrincipal = principal as Extract<Principal, { kind: 'unit' }>;
      const current = context.catalog();
      if (!current) throw new NotFoundError('the hub has no valid catalog yet');
      const unit = await store.getUnit(unitPrincipal.unitId);
      if (!unit) throw new ForbiddenError(`unit ${unitPrincipal.unitId} is not registered`);
      const overrides = overridesFor(config.overrides, unit);
      const version = bundleVersion(current.version, overrides);
      const etag = `"${version}"`;
      c.header('ETag', etag);
      c.header('Cache-Control', 'no-cache');
      if (etagMatches(c.req.header('if-none-match'), etag)) return c.body(null, 304);
      return c.json(
        syncSchemas().catalogBundle.parse({
          protocol: SYNC_PROTOCOL_VERSION,
          version,
          files: current.files,
          overrides,
        }),
      );
    },
  });

  // Units.
  define({
    spec: {
      method: 'get',
      path: '/api/v1/units',
      summary: "The units of the caller's tenants.",
      tag: 'units',
      access: 'viewer',
      responses: { 200: { description: 'Units by id.', schema: listOf('units', unitView) } },
    },
    handler: async (c, scope) => c.json({ units: (await scope.allowedUnits()).map(viewUnit) }),
  });
  define({
    spec: {
      method: 'get',
      path: '/api/v1/units/:id',
      summary: 'One unit (404 when it is outside the caller’s tenants).',
      tag: 'units',
      access: 'viewer',
      responses: {
        200: { description: 'The unit.', schema: unitView },
        404: { description: 'No such unit.', schema: errorBody },
      },
    },
    handler: async (c, { principal }) =>
      c.json(viewUnit(await scopedUnit(store, principal, pathParam(c, 'id')))),
  });
  define({
    spec: {
      method: 'post',
      path: '/api/v1/units',
      summary: 'Register a unit and issue its token (shown once).',
      tag: 'units',
      access: 'admin',
      body: createUnitBody,
      responses: {
        201: { description: 'The unit and its token.', schema: createdUnit },
        409: { description: 'A unit with this id exists.', schema: errorBody },
      },
    },
    handler: async (c, { principal }) => {
      const api = principal as Extract<Principal, { kind: 'api' }>;
      const body = await readJson(c, createUnitBody);
      if (!tenantAllowed(api.tenants, body.tenant)) {
        throw new ForbiddenError(
          `your token's tenants (${api.tenants.join(', ')}) do not include tenant ${body.tenant}`,
        );
      }
      const expiresAtMs = futureExpiry(body.expiresAt, context.now());
      const created = await store.createUnit(
        {
          id: body.id,
          tenant: body.tenant,
          environment: body.environment,
          productLine: body.productLine ?? null,
        },
        context.now(),
      );
      if (!created.ok) throw new ConflictError(created.message);
      const issued = await issueUnitToken(store, created.value.id, { expiresAtMs, nowMs: context.now() });
      c.set('auditDetail', { unit: created.value.id, tenant: created.value.tenant, credential: issued.id });
      return c.json(createdUnit.parse({ unit: viewUnit(created.value), token: viewIssued(issued) }), 201);
    },
  });
  define({
    spec: {
      method: 'post',
      path: '/api/v1/units/:id/tokens',
      summary: 'Issue another token for a unit (rotation: deploy it, then revoke the old one).',
      tag: 'units',
      access: 'admin',
      body: issueUnitTokenBody,
      bodyRequired: false,
      responses: {
        201: { description: 'The new token (shown once).', schema: issuedToken },
        404: { description: 'No such unit.', schema: errorBody },
      },
    },
    handler: async (c, { principal }) => {
      const unit = await scopedUnit(store, principal, pathParam(c, 'id'));
      const body = await readJson(c, issueUnitTokenBody, { optional: true });
      const issued = await issueUnitToken(store, unit.id, {
        expiresAtMs: futureExpiry(body.expiresAt, context.now()),
        nowMs: context.now(),
      });
      c.set('auditDetail', { unit: unit.id, credential: issued.id });
      return c.json(issuedToken.parse(viewIssued(issued)), 201);
    },
  });

  // API tokens.
  define({
    spec: {
      method: 'get',
      path: '/api/v1/tokens',
      summary:
        "Tokens within the caller's tenants: API tokens whose tenants it covers, and its units' tokens.",
      tag: 'tokens',
      access: 'admin',
      responses: {
        200: { description: 'Tokens (never their secrets).', schema: listOf('tokens', tokenView) },
      },
    },
    handler: async (c, scope) => {
      const visible = await visibleCredentials(store, scope);
      return c.json({ tokens: visible.map((credential) => viewCredential(credential, context.now())) });
    },
  });
  define({
    spec: {
      method: 'post',
      path: '/api/v1/tokens',
      summary: 'Issue an API token with a role and tenant patterns (shown once).',
      description:
        'An admin may grant only tenant patterns its own patterns cover (every tenant the new pattern matches ' +
        'must be matched by one of the admin’s): an admin of dedicated-* may grant dedicated-eu-* or dedicated-acme, not *.',
      tag: 'tokens',
      access: 'admin',
      body: createTokenBody,
      responses: { 201: { description: 'The token.', schema: issuedToken } },
    },
    handler: async (c, { principal }) => {
      const api = principal as Extract<Principal, { kind: 'api' }>;
      const body = await readJson(c, createTokenBody);
      const outside = body.tenants.filter((pattern) => !tenantsCover(api.tenants, pattern));
      if (outside.length > 0) {
        throw new ForbiddenError(
          `you can grant only tenants within your own (${api.tenants.join(', ')}); not ${outside.join(', ')}`,
        );
      }
      const issued = await issueApiToken(store, {
        name: body.name,
        role: body.role,
        tenants: body.tenants,
        expiresAtMs: futureExpiry(body.expiresAt, context.now()),
        nowMs: context.now(),
      });
      c.set('auditDetail', { credential: issued.id, role: body.role, tenants: body.tenants });
      return c.json(issuedToken.parse(viewIssued(issued)), 201);
    },
  });
  define({
    spec: {
      method: 'delete',
      path: '/api/v1/tokens/:id',
      summary: 'Revoke a token (API or unit) at once; its sessions end with it.',
      tag: 'tokens',
      access: 'admin',
      responses: {
        200: { description: 'Revoked (also when it already was).', schema: tokenView },
        404: { description: 'No such token within your tenants.', schema: errorBody },
      },
    },
    handler: async (c, scope) => {
      const id = pathParam(c, 'id');
      const credential = (await visibleCredentials(store, scope)).find((candidate) => candidate.id === id);
      if (!credential) throw new NotFoundError(`no token ${id}`);
      const nowMs = context.now();
      if (credential.revokedAtMs === null) {
        await store.revokeCredential(id, nowMs);
        credential.revokedAtMs = nowMs;
      }
      c.set('auditDetail', { credential: id });
      return c.json(viewCredential(credential, nowMs));
    },
  });

  // Audit log.
  define({
    spec: {
      method: 'get',
      path: '/api/v1/audit',
      summary: 'The audit log, newest first (admins of all tenants, `*`, only).',
      description:
        'Entries are not tied to tenants, so only an admin token whose patterns include * may read them. ' +
        "A unit's pushes and catalog reads, and failed anonymous attempts, are summarised per minute.",
      tag: 'audit',
      access: 'admin',
      query: auditQuery,
      responses: { 200: { description: 'Entries.', schema: listOf('entries', auditView) } },
    },
    handler: async (c, { principal }) => {
      const api = principal as Extract<Principal, { kind: 'api' }>;
      if (!api.tenants.includes('*')) {
        throw new ForbiddenError('reading the audit log needs an admin token for all tenants (*)');
      }
      const query = parseQuery(c, auditQuery);
      // Entries still buffered are written first, so a reader sees its own earlier actions.
      await audit.flush();
      const entries = await store.listAudit({
        ...(query.from === undefined ? {} : { fromMs: Date.parse(query.from) }),
        limit: query.limit,
      });
      return c.json({
        entries: entries.map((entry) => ({
          at: iso(entry.atMs),
          actor: entry.actor,
          action: entry.action,
          resource: entry.resource,
          outcome: entry.outcome,
          ...(entry.detail ? { detail: entry.detail } : {}),
        })),
      });
    },
  });

  // Fleet data (the units' own records).
  define({
    spec: {
      method: 'get',
      path: '/api/v1/slos',
      summary: "The latest SLO status each unit of the caller's tenants reported.",
      tag: 'fleet',
      access: 'viewer',
      query: slosQuery,
      responses: { 200: { description: 'SLO statuses by unit.', schema: listOf('slos', sloView) } },
    },
    handler: async (c, scope) => {
      const query = parseQuery(c, slosQuery);
      const units = await unitsFor(scope, query.unit);
      const records = await store.records({ unitIds: units.map((unit) => unit.id), kinds: ['slo_status'] });
      const tenants = new Map(units.map((unit) => [unit.id, unit.tenant]));
      const slos = records
        .filter((record) => record.body['deleted'] !== true)
        .map((record) =>
          compactView({
            unit: record.unitId,
            tenant: tenants.get(record.unitId) ?? '',
            slo: String(record.body['slo']),
            version: record.version,
            status: record.body['status'],
          }),
        )
        .sort((a, b) => compareText(`${a['unit']}\u0000${a['slo']}`, `${b['unit']}\u0000${b['slo']}`));
      return c.json({ slos });
    },
  });
  define({
    spec: {
      method: 'get',
      path: '/api/v1/alerts',
      summary: "Alerts of the caller's units: firing and pending (state=active, the default) or all.",
      tag: 'fleet',
      access: 'viewer',
      query: alertsQuery,
      responses: { 200: { description: 'Alerts by unit.', schema: listOf('alerts', alertView) } },
    },
    handler: async (c, scope) => {
      const query = parseQuery(c, alertsQuery);
      const units = await unitsFor(scope, query.unit);
      const records = await store.records({ unitIds: units.map((unit) => unit.id), kinds: ['alert'] });
      const tenants = new Map(units.map((unit) => [unit.id, unit.tenant]));
      const alerts = records
        .filter(
          (record) => query.state === 'all' || ['firing', 'pending'].includes(String(record.body['state'])),
        )
        .map((record) => viewAlert(record, tenants.get(record.unitId) ?? ''))
        .sort((a, b) =>
          compareText(`${a.unit}\u0000${a.slo}\u0000${a.alert}`, `${b.unit}\u0000${b.slo}\u0000${b.alert}`),
        );
      return c.json({ alerts });
    },
  });

  // Fleet queries (src/hub/fleet.ts): budgets, burning now, availability, SLI series.
  const fleetContext = async (scope: RequestScope): Promise<FleetContext> => {
    const current = context.catalog();
    if (!current) {
      throw new HubError('unavailable', 'the hub has no valid catalog yet; fleet queries need one', {
        headers: { 'Retry-After': '60' },
      });
    }
    return {
      catalog: current.catalog,
      store,
      units: await scope.allowedUnits(),
      nowMs: context.now(),
      retention: {
        detailMinutes: Math.round(config.retention.detail / 60_000),
        aggregateMinutes: Math.round(config.retention.aggregate / 60_000),
        auditMinutes: Math.round(config.retention.audit / 60_000),
      },
    };
  };
  const fleetRoute = <Q extends z.ZodObject, A>(
    path: string,
    summary: string,
    query: Q,
    answer: z.ZodType,
    run: (ctx: FleetContext, query: z.output<Q>) => Promise<FleetResult<A>>,
  ) =>
    define({
      spec: {
        method: 'get',
        path,
        summary,
        tag: 'fleet',
        access: 'viewer',
        query,
        responses: {
          200: { description: "The answer, over the caller's units only.", schema: answer },
          404: {
            description: 'A tenant or unit filter names nothing the caller may see.',
            schema: errorBody,
          },
          503: { description: 'The hub has no valid catalog yet.', schema: errorBody },
        },
      },
      handler: async (c, scope) => {
        const parsed = parseQuery(c, query);
        const result = await run(await fleetContext(scope), parsed);
        if (result.ok) return c.json(result.value as object);
        const issues = result.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
          code: issue.code,
        }));
        // Outside the caller's scope answers like absent: 404, never 403.
        if (result.issues.every((issue) => issue.code === FLEET_ISSUE_CODES.notInScope)) {
          throw new HubError('not_found', issues.map((issue) => issue.message).join('; '), { issues });
        }
        throw new InputError('invalid query', issues);
      },
    });
  fleetRoute(
    '/api/v1/fleet/budgets',
    'Error budgets of the SLOs over the caller’s units, grouped by slo, service, team, tenant, unit or journey.',
    fleetBudgetsParams,
    fleetBudgetsView,
    fleetBudgets,
  );
  fleetRoute(
    '/api/v1/fleet/burning',
    'What is burning now: SLOs and units by how hot their alert tiers burn, with what units report firing.',
    burningNowParams,
    burningNowView,
    burningNow,
  );
  fleetRoute(
    '/api/v1/fleet/availability',
    'Availability per tenant over a calendar month (per SLO and weighted over services).',
    availabilityParams,
    availabilityView,
    availabilityByTenantMonth,
  );
  fleetRoute(
    '/api/v1/fleet/sli-series',
    'One SLI’s good and total counts per step, for the fleet or per unit.',
    sliSeriesParams,
    sliSeriesView,
    (ctx, params) => sliSeries(ctx, toSliSeriesQuery(params)),
  );

  for (const route of context.extraRoutes ?? []) define(route);
  return { app, routes };
}

/** The units a request may read, narrowed to `?unit=` when given (404 when that one is not visible). */
async function unitsFor(scope: RequestScope, unit: string | undefined): Promise<UnitInfo[]> {
  const units = await scope.allowedUnits();
  if (unit === undefined) return units;
  const found = units.filter((candidate) => candidate.id === unit);
  if (found.length === 0) throw new NotFoundError(`no unit ${unit}`);
  return found;
}

/** A unit the principal may see, or 404 (the same answer whether it exists or not). */
async function scopedUnit(store: HubStore, principal: Principal, id: string): Promise<UnitInfo> {
  const unit = await store.getUnit(id);
  if (!unit || principal.kind !== 'api' || !tenantAllowed(principal.tenants, unit.tenant)) {
    throw new NotFoundError(`no unit ${id}`);
  }
  return unit;
}

/** Credentials an admin may see and revoke: API tokens whose tenants its own cover, and its units' tokens. */
async function visibleCredentials(store: HubStore, scope: RequestScope): Promise<Credential[]> {
  const principal = scope.principal;
  if (principal.kind !== 'api') return [];
  const units = new Set((await scope.allowedUnits()).map((unit) => unit.id));
  const credentials = await store.listCredentials();
  return credentials.filter((credential) =>
    credential.kind === 'unit'
      ? units.has(credential.unitId)
      : credential.tenants.every((pattern) => tenantsCover(principal.tenants, pattern)),
  );
}

function viewIssued(issued: IssuedToken): z.output<typeof issuedToken> {
  const credential = issued.credential;
  return {
    id: issued.id,
    kind: issued.kind,
    name: issued.name,
    token: issued.token,
    expiresAt: isoOrNull(issued.expiresAtMs),
    ...(credential.kind === 'api'
      ? { role: credential.role, tenants: credential.tenants }
      : { unit: credential.unitId }),
  };
}

function futureExpiry(expiresAt: string | undefined, nowMs: number): number | null {
  if (expiresAt === undefined) return null;
  const ms = Date.parse(expiresAt);
  if (ms <= nowMs)
    throw new InputError('expiresAt is in the past', [
      { path: 'expiresAt', message: 'must be in the future' },
    ]);
  return ms;
}

// The push endpoint.

type UnitPrincipal = Extract<Principal, { kind: 'unit' }>;

function rejectPush(context: HubHttpContext, reason: string, error: HubError): never {
  context.metrics.inc('sextant_hub_push_rejections_total', 'Pushes refused, by reason.', { reason });
  throw error;
}

async function handlePush(
  context: HubHttpContext,
  c: HubContext,
  principal: UnitPrincipal,
): Promise<Response> {
  const { metrics, config, store, admission } = context;
  const startedMs = performance.now();
  const protocol = c.req.header(SYNC_PROTOCOL_HEADER);
  if (protocol === undefined || !isCompatibleProtocol(protocol)) {
    rejectPush(
      context,
      'protocol',
      new HubError(
        'upgrade_required',
        protocol === undefined
          ? `send the ${SYNC_PROTOCOL_HEADER} header (this hub speaks ${SYNC_PROTOCOL_VERSION})`
          : `protocol ${protocol} is not compatible with this hub's ${SYNC_PROTOCOL_VERSION} (same major version needed)`,
        { headers: { Upgrade: `sextant-sync/${SYNC_PROTOCOL_VERSION}` } },
      ),
    );
  }
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    rejectPush(
      context,
      'encoding',
      new HubError(
        'unsupported_media_type',
        `Content-Encoding ${encoding} is not supported; use gzip or identity`,
      ),
    );
  }
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    rejectPush(
      context,
      'content_type',
      new HubError(
        'unsupported_media_type',
        `Content-Type must be application/json, not ${type || 'absent'}`,
      ),
    );
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > config.limits.maxBodyBytes) {
    rejectPush(
      context,
      'too_large',
      new HubError('too_large', `body larger than ${config.limits.maxBodyBytes} bytes`),
    );
  }
  const admitted = admission.admit();
  if (!admitted.ok) {
    rejectPush(
      context,
      admitted.reason === 'full' ? 'busy' : 'closing',
      new HubError(
        admitted.reason === 'full' ? 'busy' : 'unavailable',
        admitted.reason === 'full'
          ? 'the hub is at its push limit; retry after the Retry-After seconds'
          : 'the hub is shutting down; retry after the Retry-After seconds',
        { headers: { 'Retry-After': String(admitted.retryAfterSeconds) } },
      ),
    );
  }
  const ticket = admitted.ticket;
  let outcome: 'applied' | 'gap' | 'rejected' = 'rejected';
  try {
    const bytes = await readBody(c.req.raw.body, encoding, {
      maxBodyBytes: config.limits.maxBodyBytes,
      maxDecodedBytes: config.limits.maxDecompressedBytes,
    }).catch((error: unknown) => {
      const reason = error instanceof HubError && error.code === 'too_large' ? 'too_large' : 'encoding';
      return rejectPush(context, reason, error instanceof HubError ? error : new InputError(String(error)));
    });
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      rejectPush(context, 'bad_json', new InputError(`the body is not JSON: ${(error as Error).message}`));
    }
    const parsed = syncSchemas().pushRequest.safeParse(json);
    if (!parsed.success) {
      rejectPush(context, 'invalid', new InputError('invalid push', zodIssues(parsed.error.issues, [])));
    }
    const push = parsed.data;
    if (!isCompatibleProtocol(push.protocol)) {
      rejectPush(
        context,
        'protocol',
        new HubError(
          'upgrade_required',
          `protocol ${push.protocol} is not compatible with this hub's ${SYNC_PROTOCOL_VERSION}`,
          { headers: { Upgrade: `sextant-sync/${SYNC_PROTOCOL_VERSION}` } },
        ),
      );
    }
    if (push.unit !== principal.unitId) {
      c.set('auditDetail', { claimedUnit: push.unit, records: push.records.length });
      rejectPush(
        context,
        'other_unit',
        new ForbiddenError(
          `this token belongs to unit ${principal.unitId}; it cannot push records of unit ${push.unit}`,
        ),
      );
    }
    const issues: ApiIssue[] = [];
    if (push.throughSeq < push.afterSeq) {
      issues.push({
        path: 'throughSeq',
        message: `throughSeq ${push.throughSeq} is below afterSeq ${push.afterSeq}`,
      });
    }
    const records: (SyncRecord | UnknownRecord)[] = [];
    let unknownKinds = 0;
    push.records.forEach((record, index) => {
      if (record.seq <= push.afterSeq || record.seq > push.throughSeq) {
        issues.push({
          path: `records.${index}.seq`,
          message: `seq ${record.seq} is outside (afterSeq ${push.afterSeq}, throughSeq ${push.throughSeq}]`,
        });
      }
      if (!(RECORD_KINDS as readonly string[]).includes(record.kind)) {
        unknownKinds += 1;
        records.push({ kind: 'unknown', seq: record.seq });
        return;
      }
      const checked = syncSchemas().syncRecord.safeParse(record);
      if (checked.success) records.push(checked.data);
      else issues.push(...zodIssues(checked.error.issues, ['records', index]));
    });
    if (issues.length > 0) {
      const shown = issues.slice(0, 100);
      rejectPush(
        context,
        'invalid',
        new InputError(
          `${issues.length} problem(s) in the push; nothing was stored${issues.length > shown.length ? ` (first ${shown.length} listed)` : ''}`,
          shown,
        ),
      );
    }
    const unit = await store.getUnit(principal.unitId);
    if (!unit)
      rejectPush(context, 'unknown_unit', new ForbiddenError(`unit ${principal.unitId} is not registered`));
    if (!(await ticket.waitForSlot())) {
      rejectPush(
        context,
        'busy',
        new HubError(
          'unavailable',
          'the push waited too long for its turn; retry after the Retry-After seconds',
          {
            headers: { 'Retry-After': String(admission.retryAfterSeconds()) },
          },
        ),
      );
    }
    const result = await store.applyPush(
      principal.unitId,
      { afterSeq: push.afterSeq, throughSeq: push.throughSeq, records },
      context.now(),
    );
    metrics.inc(
      'sextant_hub_push_records_received_total',
      'Records received in accepted pushes.',
      {},
      records.length,
    );
    if (unknownKinds > 0) {
      metrics.inc(
        'sextant_hub_push_unknown_records_total',
        'Records of kinds this hub does not know (ignored; from a newer protocol minor).',
        {},
        unknownKinds,
      );
    }
    if (!result.ok) {
      outcome = 'gap';
      metrics.inc('sextant_hub_pushes_total', 'Pushes by outcome (applied, gap).', { outcome: 'gap' });
      c.set('auditSums', { records: records.length });
      return c.json(
        {
          protocol: SYNC_PROTOCOL_VERSION,
          error: 'sequence_gap' as const,
          message: `afterSeq ${push.afterSeq} is above the hub's acknowledged ${result.gap.ackedSeq}; resend from ${result.gap.ackedSeq}`,
          ackedSeq: result.gap.ackedSeq,
        },
        409,
      );
    }
    outcome = 'applied';
    const report = result.value;
    metrics.inc('sextant_hub_pushes_total', 'Pushes by outcome (applied, gap).', { outcome: 'applied' });
    for (const name of ['applied', 'superseded', 'ignored'] as const) {
      metrics.inc(
        'sextant_hub_push_records_total',
        'Records of applied pushes, by result.',
        { result: name },
        report[name],
      );
    }
    c.set('auditSums', {
      records: records.length,
      applied: report.applied,
      superseded: report.superseded,
      ignored: report.ignored,
    });
    const current = context.catalog();
    return c.json({
      protocol: SYNC_PROTOCOL_VERSION,
      ackedSeq: report.ackedSeq,
      applied: report.applied,
      superseded: report.superseded,
      ignored: report.ignored,
      catalogVersion: current ? bundleVersion(current.version, overridesFor(config.overrides, unit)) : null,
    });
  } finally {
    ticket.release();
    metrics.observe(
      'sextant_hub_push_duration_seconds',
      'Time to read, validate and apply a push, by outcome.',
      (performance.now() - startedMs) / 1000,
      { outcome },
    );
  }
}

/**
 * Reads a request body, counting the bytes as sent and, for gzip, after decompression,
 * and stops at the first byte over either limit (a small gzip bomb never inflates in full).
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  encoding: 'gzip' | 'identity',
  limits: { maxBodyBytes: number; maxDecodedBytes: number },
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  let received = 0;
  const tooLarge = new HubError('too_large', `body larger than ${limits.maxBodyBytes} bytes`);
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > limits.maxBodyBytes) controller.error(tooLarge);
        else controller.enqueue(chunk);
      },
    }),
  );
  const decoded =
    encoding === 'gzip'
      ? counted.pipeThrough(
          new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>,
        )
      : counted;
  const reader = decoded.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limits.maxDecodedBytes) {
        await reader.cancel().catch(() => undefined);
        throw new HubError(
          'too_large',
          `body larger than ${limits.maxDecodedBytes} bytes after decompression`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HubError) throw error;
    if (received > limits.maxBodyBytes) throw tooLarge;
    throw new InputError(
      `the body is not valid ${encoding === 'gzip' ? 'gzip' : 'data'}: ${toError(error).message}`,
    );
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

// Helpers.

function pathParam(c: HubContext, name: string): string {
  const value = c.req.param(name);
  if (value === undefined) throw new NotFoundError(`no route ${c.req.method} ${c.req.path}`);
  return value;
}

function zodIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix: readonly (string | number)[],
): ApiIssue[] {
  return issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.'),
    message: issue.message,
  }));
}

/** Reads a JSON body (at most 1 MiB) and validates it; an empty body is `{}` when `optional`. */
async function readJson<S extends z.ZodType>(
  c: HubContext,
  schema: S,
  options: { optional?: boolean } = {},
): Promise<z.output<S>> {
  const bytes = await readBody(c.req.raw.body, 'identity', {
    maxBodyBytes: ADMIN_BODY_LIMIT,
    maxDecodedBytes: ADMIN_BODY_LIMIT,
  });
  const text = new TextDecoder().decode(bytes);
  let value: unknown = {};
  if (text.trim() !== '' || !options.optional) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(`the body is not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputError('invalid request body', zodIssues(parsed.error.issues, []));
  return parsed.data;
}

function parseQuery<S extends z.ZodType>(c: HubContext, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new InputError('invalid query', zodIssues(parsed.error.issues, []));
  return parsed.data;
}

function listOf(name: string, item: z.ZodType) {
  return z.strictObject({ [name]: z.array(item) });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

function viewUnit(unit: UnitInfo): z.output<typeof unitView> {
  return {
    id: unit.id,
    tenant: unit.tenant,
    environment: unit.environment,
    productLine: unit.productLine,
    createdAt: iso(unit.createdAtMs),
    ackedSeq: unit.ackedSeq,
    lastPushAt: isoOrNull(unit.lastPushAtMs),
    catalogVersion: unit.catalogVersion,
  };
}

function viewCredential(credential: Credential, nowMs: number): z.output<typeof tokenView> {
  return {
    id: credential.id,
    kind: credential.kind,
    name: credential.name,
    ...(credential.kind === 'api'
      ? { role: credential.role, tenants: credential.tenants }
      : { unit: credential.unitId }),
    createdAt: iso(credential.createdAtMs),
    expiresAt: isoOrNull(credential.expiresAtMs),
    revokedAt: isoOrNull(credential.revokedAtMs),
    state: credentialState(credential, nowMs),
  };
}

function viewPrincipal(principal: Principal): z.output<typeof principalView> {
  return principal.kind === 'unit'
    ? { kind: 'unit', credentialId: principal.credentialId, name: principal.name, unit: principal.unitId }
    : {
        kind: 'api',
        credentialId: principal.credentialId,
        name: principal.name,
        role: principal.role,
        tenants: [...principal.tenants],
        via: principal.via,
      };
}

function viewAlert(record: StoredRecord, tenant: string): z.output<typeof alertView> {
  const body = record.body;
  return {
    unit: record.unitId,
    tenant,
    slo: String(body['slo']),
    alert: String(body['alert']),
    state: body['state'] as z.output<typeof alertView>['state'],
    since: iso(Number(body['sinceMs'])),
    ...(typeof body['severity'] === 'string' ? { severity: body['severity'] } : {}),
    ...(typeof body['summary'] === 'string' ? { summary: body['summary'] } : {}),
    version: record.version,
  };
}

function compactView(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function actionOf(method: string, spec: RouteSpec | undefined): string {
  if (spec?.path === '/api/v1/session')
    return method === 'POST' ? 'login' : method === 'DELETE' ? 'logout' : 'read';
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (method === 'DELETE') return 'revoke';
  if (method === 'POST') return 'create';
  return 'write';
}

/** True when `If-None-Match` lists the ETag (weak comparison, RFC 9110 §13.1.2) or is `*`. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((part) => part.trim().replace(/^W\//, ''))
    .some((part) => part === etag || part === '*');
}

function isHttps(c: HubContext, trustProxy: boolean): boolean {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-proto');
    if (forwarded !== undefined) return forwarded.split(',')[0]!.trim().toLowerCase() === 'https';
  }
  return new URL(c.req.url).protocol === 'https:';
}

/** The client's address: the first X-Forwarded-For hop behind a trusted proxy, else the socket's. */
function clientIp(c: HubContext, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    if (forwarded) return forwarded.split(',')[0]!.trim();
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}
