/**
 * The hub API's boundary schemas (requests and answers, in zod) and the OpenAPI 3.1
 * document built from them with `z.toJSONSchema`, so the validation, the TypeScript types
 * and the published document cannot drift apart. Served at `GET /api/v1/openapi.json`.
 */

import { z } from 'zod';
import { SYNC_PROTOCOL_VERSION, syncSchemas, UNIT_ID_PATTERN } from '../sync/index.ts';
import { ROLES } from './store/index.ts';

const unitId = z.string().regex(UNIT_ID_PATTERN, 'an id of lowercase letters, digits and dashes (1-63)');
const tenantPatternSchema = z
  .string()
  .regex(/^[a-z0-9*-]{1,63}$/, 'a tenant or tenant pattern of a-z, 0-9, - and * (e.g. dedicated-*)');
const isoTime = z.iso.datetime({ offset: true });

/** One problem with a request, by JSON path (`records.3.good`). */
export const apiIssue = z.strictObject({
  path: z.string(),
  message: z.string(),
  code: z.string().optional(),
});

/** Every error answer: a stable code, a sentence that says what to fix, and issues by path. */
export const errorBody = z.strictObject({
  error: z.string().meta({ description: 'A stable code: not_found, forbidden, invalid_request, ...' }),
  message: z.string(),
  issues: z.array(apiIssue).optional(),
});

export const unitView = z.strictObject({
  id: unitId,
  tenant: z.string(),
  environment: z.string(),
  productLine: z.string().nullable(),
  createdAt: isoTime,
  ackedSeq: z.number().int().min(0),
  lastPushAt: isoTime.nullable(),
  catalogVersion: z.string().nullable(),
});

const expiry = {
  /** When the token stops working; absent: never (revoke it instead). */
  expiresAt: isoTime.optional(),
};

export const createUnitBody = z.strictObject({
  id: unitId,
  tenant: unitId,
  environment: unitId,
  productLine: unitId.optional(),
  ...expiry,
});

/** A token as issued: the secret is in this answer only. */
export const issuedToken = z.strictObject({
  id: z.string(),
  kind: z.enum(['api', 'unit']),
  name: z.string(),
  token: z.string().meta({ description: 'The secret; shown once, stored only as its SHA-256.' }),
  expiresAt: isoTime.nullable(),
  role: z.enum(ROLES).optional(),
  tenants: z.array(z.string()).optional(),
  unit: z.string().optional(),
});

export const createdUnit = z.strictObject({ unit: unitView, token: issuedToken });

export const issueUnitTokenBody = z.strictObject({ ...expiry });

export const createTokenBody = z.strictObject({
  name: z.string().min(1).max(128),
  role: z.enum(ROLES),
  tenants: z.array(tenantPatternSchema).min(1).max(64),
  ...expiry,
});

export const tokenView = z.strictObject({
  id: z.string(),
  kind: z.enum(['api', 'unit']),
  name: z.string(),
  role: z.enum(ROLES).optional(),
  tenants: z.array(z.string()).optional(),
  unit: z.string().optional(),
  createdAt: isoTime,
  expiresAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  state: z.enum(['valid', 'expired', 'revoked']),
});

export const principalView = z.strictObject({
  kind: z.enum(['api', 'unit']),
  credentialId: z.string(),
  name: z.string(),
  role: z.enum(ROLES).optional(),
  tenants: z.array(z.string()).optional(),
  unit: z.string().optional(),
  via: z.enum(['token', 'session']).optional(),
});

export const sessionBody = z.strictObject({
  token: z.string().meta({ description: 'An API token; or send it as Authorization: Bearer.' }).optional(),
});

export const sessionView = z.strictObject({
  principal: principalView,
  csrfToken: z
    .string()
    .meta({ description: 'Send it as the Sextant-CSRF header on every cookie-authenticated write.' }),
  expiresAt: isoTime,
});

export const sloView = z.strictObject({
  unit: z.string(),
  tenant: z.string(),
  slo: z.string(),
  version: z.number().int(),
  deleted: z.literal(true).optional(),
  status: syncSchemas().sloStatusRecord.shape.status,
});

export const alertView = z.strictObject({
  unit: z.string(),
  tenant: z.string(),
  slo: z.string(),
  alert: z.string(),
  state: z.enum(['inactive', 'pending', 'firing', 'resolved']),
  since: isoTime,
  severity: z.string().optional(),
  summary: z.string().optional(),
  version: z.number().int(),
});

export const auditView = z.strictObject({
  at: isoTime,
  actor: z.string(),
  action: z.string(),
  resource: z.string(),
  outcome: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const auditQuery = z.strictObject({
  from: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export const alertsQuery = z.strictObject({
  unit: unitId.optional(),
  state: z.enum(['active', 'all']).default('active'),
});

export const slosQuery = z.strictObject({ unit: unitId.optional() });

/** Who may call a route. */
export type RouteAccess = 'public' | 'unit' | (typeof ROLES)[number];

/** One operation of the API, as documented. */
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** A Hono path (`/api/v1/units/:id`). */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: RouteAccess;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** False when the body may be left out (default true when `body` is given). */
  bodyRequired?: boolean;
  /** Request headers that matter (beyond authentication). */
  headers?: Record<string, string>;
  /** By HTTP status; `schema` absent for bodiless answers. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

/** The statuses every authenticated route may answer, added to each operation. */
const COMMON_ERRORS: Record<number, string> = {
  400: 'The request is malformed; `issues` names the paths to fix.',
  401: 'Missing, malformed, unknown, expired or revoked credentials.',
  403: 'Authenticated, but the role or token kind does not allow this.',
  500: 'An unexpected error (logged on the hub; no details are returned).',
};

/** Named schemas published under `components.schemas`. */
const COMPONENTS: Record<string, z.ZodType> = {
  Error: errorBody,
  PushRequest: syncSchemas().pushRequest,
  PushResponse: syncSchemas().pushResponse,
  PushGap: syncSchemas().pushGap,
  CatalogBundle: syncSchemas().catalogBundle,
  Unit: unitView,
  CreateUnit: createUnitBody,
  CreatedUnit: createdUnit,
  IssuedToken: issuedToken,
  CreateToken: createTokenBody,
  Token: tokenView,
  Principal: principalView,
  Session: sessionView,
  Slo: sloView,
  Alert: alertView,
  AuditEntry: auditView,
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  for (const [name, component] of Object.entries(COMPONENTS)) {
    if (component === schema) return { $ref: `#/components/schemas/${name}` };
  }
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** `/api/v1/units/:id` → `/api/v1/units/{id}` and its parameter names. */
export function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

/**
 * The OpenAPI 3.1 document of the given routes; request bodies use the schemas' input
 * types (defaults optional), answers their output types.
 */
export function openApiDocument(
  routes: readonly RouteSpec[],
  info: { version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { path, params } = openApiPath(route.path);
    const parameters: Record<string, unknown>[] = params.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (route.query) {
      const shape = jsonSchema(route.query, 'input') as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(shape.properties ?? {})) {
        parameters.push({ name, in: 'query', required: shape.required?.includes(name) ?? false, schema });
      }
    }
    for (const [name, description] of Object.entries(route.headers ?? {})) {
      parameters.push({ name, in: 'header', required: false, description, schema: { type: 'string' } });
    }
    const responses: Record<string, unknown> = {};
    const statuses = { ...route.responses };
    if (route.access !== 'public') {
      for (const [status, description] of Object.entries(COMMON_ERRORS)) {
        statuses[Number(status)] ??= { description, schema: errorBody };
      }
    }
    for (const [status, answer] of Object.entries(statuses)) {
      responses[status] = {
        description: answer.description,
        ...(answer.schema
          ? {
              content: {
                [answer.contentType ?? 'application/json']: { schema: jsonSchema(answer.schema, 'output') },
              },
            }
          : answer.contentType
            ? { content: { [answer.contentType]: { schema: { type: 'string' } } } }
            : {}),
      };
    }
    const security =
      route.access === 'public'
        ? []
        : route.access === 'unit'
          ? [{ bearerAuth: [] }]
          : [{ bearerAuth: [] }, { sessionCookie: [] }];
    const operations = paths[path] ?? {};
    paths[path] = operations;
    operations[route.method] = {
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      operationId: operationId(route),
      security,
      'x-sextant-access': route.access,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: route.bodyRequired ?? true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(COMPONENTS)) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
      io: name.startsWith('Create') || name === 'PushRequest' ? 'input' : 'output',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    schemas[name] = rest;
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Sextant hub API',
      version: info.version,
      description:
        `The fleet API of the Sextant hub and the unit-to-hub replication protocol ${SYNC_PROTOCOL_VERSION} ` +
        '(docs/hub.md). Every data answer is scoped to the tenants of the caller; objects outside them answer 404.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (sxt_...) or, for sync routes, a unit token (sxu_...).',
        },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'sextant_session',
          description:
            'A portal session from POST /api/v1/session; writes also need the Sextant-CSRF header.',
        },
      },
    },
  };
}

function operationId(route: RouteSpec): string {
  const words = route.path
    .replace(/^\/api\/v1\//, '')
    .split(/[/.]/)
    .filter((part) => part !== '')
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part));
  return [route.method, ...words]
    .join('-')
    .replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
