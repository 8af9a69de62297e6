/**
 * Tenant isolation of the hub (docs/hub.md, "Tenancy and roles"; ARCHITECTURE.md,
 * principle 6): a caller sees and changes only what belongs to its tenants.
 *
 * Two tenants, alpha and bravo, each with units, data and tokens of every kind, and
 * distinctive markers planted in their data: unit ids, tenant names, label values, alert
 * summaries, catalog versions, token names, credential ids; and bravo counts 2^44 requests
 * a minute against alpha's 2^20, so that any copy or sum of bravo's numbers in an answer to
 * alpha is over 5e12, a size nothing of alpha's reaches (its sums stay below 2^28, its
 * timestamps below 2e12 ms). Bravo is the tenant the issue calls B; alpha is A.
 *
 * Every operation of the hub's own OpenAPI document (`GET /api/v1/openapi.json`) is walked
 * with every principal of each tenant (viewer, responder, admin, an admin by pattern, an
 * admin through a portal session cookie, a unit token) and anonymously: path parameters
 * take the caller's own ids, the other tenant's and ids that never existed; query
 * parameters and bodies are generated from the document's schemas, aimed at the caller's
 * tenant and at the other one. So an operation added later is walked without a change
 * here. For every answer:
 * - its body holds no marker of the other tenant (or, anonymous, of any tenant) that the
 *   request did not itself carry, and no number the other tenant's data could produce;
 * - a request naming something of the other tenant gets exactly the answer the same
 *   request naming something that does not exist gets (no existence oracle);
 * - no answer is a 5xx.
 * After the walks, each tenant's state (units, checksums, credentials) is what it was: the
 * writes aimed at the other tenant (pushing its records, creating units and tokens in it,
 * issuing or revoking its tokens) were refused and changed nothing.
 */

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SYNC_PROTOCOL_VERSION } from '../../src/sync/index.ts';
import {
  hubApi,
  issueToken,
  postPush,
  pushHeaders,
  registerUnit,
  startTestHub,
  type TestHub,
} from '../support/hub-process.ts';

const MINUTE_MS = 60_000;
/** A Monday noon; the hub's clock stays here. */
const NOW_MS = Date.UTC(2026, 2, 2, 12, 0);
const NOW_MINUTE = NOW_MS / MINUTE_MS;
/**
 * Numbers this large come only from bravo's data (2^44 ≈ 1.8e13 a minute, halves 8.8e12);
 * alpha's sums stay below 2^28 and epoch milliseconds below 2e12. All sums stay exact
 * (below 2^53: 120 minutes of bravo is 2.1e15).
 */
const BRAVO_NUMBER = 5e12;

const CATALOG = `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: core}
spec: {onCall: {schedule: core-primary}}
---
apiVersion: sextant.dev/v1
kind: Service
metadata: {name: shop}
spec:
  owner: core
  tier: critical
  slis:
    - name: orders
      kind: events
      significantLabels: [region]
  slos:
    - {name: orders, sli: orders, objectivePercent: 99, window: 1d}
---
apiVersion: sextant.dev/v1
kind: Journey
metadata: {name: buying}
spec:
  owner: core
  parts:
    - {sli: shop/orders, weight: 1}
  slos:
    - {name: buying, objectivePercent: 99, window: 7d}
`;

type Side = 'alpha' | 'bravo';
const OTHER: Record<Side, Side> = { alpha: 'bravo', bravo: 'alpha' };

/** Everything of one tenant: ids, tokens, and the markers its data carry. */
interface TenantWorld {
  tenant: string;
  units: string[];
  unitTokens: string[];
  /** Unit and API credential ids of this tenant. */
  credentialIds: string[];
  tokens: { viewer: string; responder: string; admin: string; patternAdmin: string };
  /** Strings that belong to this tenant only. */
  markers: string[];
  /** Counts per minute: big enough to be recognised anywhere. */
  perMinute: number;
}

const worlds = {} as Record<Side, TenantWorld>;
/** Ids of the same shapes that never existed. */
const FAKE = { unit: 'nobody-unit-1', tenant: 'nobody-tenant', credential: 'AAAAAAAAAAAA' };
let hub: TestHub;
let dir = '';
let newIds = 0;

async function plant(side: Side, tenant: string, perMinute: number): Promise<void> {
  const world: TenantWorld = {
    tenant,
    units: [`${side}-cell-1`, `${side}-cell-2`],
    unitTokens: [],
    credentialIds: [],
    tokens: { viewer: '', responder: '', admin: '', patternAdmin: '' },
    markers: [tenant, `${side}-cell-1`, `${side}-cell-2`],
    perMinute,
  };
  for (const id of world.units) {
    const registered = await registerUnit(hub.url, hub.adminToken, {
      id,
      tenant,
      environment: `${side}-env`,
    });
    world.unitTokens.push(registered.token);
    world.credentialIds.push(registered.credentialId);
  }
  for (const role of ['viewer', 'responder', 'admin'] as const) {
    const issued = await issueToken(hub.url, hub.adminToken, {
      name: `${side}-${role}-token-name`,
      role,
      tenants: [tenant],
    });
    world.tokens[role] = issued.token;
    world.credentialIds.push(issued.credentialId);
    world.markers.push(`${side}-${role}-token-name`);
  }
  const pattern = await issueToken(hub.url, hub.adminToken, {
    name: `${side}-pattern-admin-name`,
    role: 'admin',
    tenants: [`${tenant.slice(0, 8)}*`],
  });
  world.tokens.patternAdmin = pattern.token;
  world.credentialIds.push(pattern.credentialId);
  world.markers.push(`${side}-pattern-admin-name`, `${side}-marker-region`, `${side}-marker-summary`);
  world.markers.push(`${side}-marker-catalog`, `${side}-env`, ...world.credentialIds);

  // Data: an hour of counts, an SLO status, a firing alert and a catalog record per unit.
  for (const [index, unit] of world.units.entries()) {
    const records: Record<string, unknown>[] = [];
    let seq = 0;
    for (let minute = NOW_MINUTE - 60; minute < NOW_MINUTE; minute++) {
      records.push({
        kind: 'counts',
        seq: ++seq,
        sli: 'shop/orders',
        labels: { region: `${side}-marker-region` },
        startMinute: minute,
        minutes: 1,
        good: perMinute / 2,
        total: perMinute,
      });
    }
    records.push({
      kind: 'slo_status',
      seq: ++seq,
      slo: 'shop/orders',
      status: {
        atMs: NOW_MS,
        objectiveRatio: 0.99,
        windowMinutes: 1440,
        good: (perMinute / 2) * 60,
        total: perMinute * 60,
        sliRatio: 0.5,
        budgetRemainingRatio: -49,
        burnRates: [{ window: '1h', windowMinutes: 60, rate: 50 }],
        firing: ['page'],
      },
    });
    records.push({
      kind: 'alert',
      seq: ++seq,
      slo: 'shop/orders',
      alert: 'page',
      state: 'firing',
      sinceMs: NOW_MS - 30 * MINUTE_MS,
      severity: 'page',
      summary: `${side}-marker-summary`,
    });
    records.push({ kind: 'catalog', seq: ++seq, version: `${side}-marker-catalog`, source: 'local' });
    const push = {
      protocol: SYNC_PROTOCOL_VERSION,
      unit,
      afterSeq: 0,
      throughSeq: seq,
      sentAtMs: NOW_MS,
      records,
    };
    const answer = await postPush(hub.url, push, pushHeaders(world.unitTokens[index]));
    assert.equal(answer.status, 200, answer.text);
  }
  worlds[side] = world;
}

/** Who walks the API: a bearer token, a session cookie (with its CSRF token), or nobody. */
interface Caller {
  name: string;
  side: Side | undefined;
  headers: Record<string, string>;
}

async function sessionCaller(side: Side): Promise<Caller> {
  const answer = await fetch(`${hub.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: worlds[side].tokens.admin }),
  });
  assert.equal(answer.status, 201, await answer.clone().text());
  const cookie = (answer.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await answer.json()) as { csrfToken: string };
  return { name: `${side} admin (session cookie)`, side, headers: { cookie, 'sextant-csrf': csrfToken } };
}

function callers(side: Side): Caller[] {
  const world = worlds[side];
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  return [
    { name: `${side} viewer`, side, headers: bearer(world.tokens.viewer) },
    { name: `${side} responder`, side, headers: bearer(world.tokens.responder) },
    { name: `${side} admin`, side, headers: bearer(world.tokens.admin) },
    { name: `${side} admin by pattern`, side, headers: bearer(world.tokens.patternAdmin) },
    { name: `${side} unit`, side, headers: bearer(world.unitTokens[0]!) },
  ];
}

// ---- requests from the OpenAPI document ---------------------------------------------------

interface Operation {
  method: string;
  path: string;
  access: string;
  parameters: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  body: JsonSchema | undefined;
}

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  examples?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  default?: unknown;
}

/** One request of the walk; `twin` is the same request naming things that never existed. */
interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** Substitutions from the other tenant's names to the fake ones, if it names any. */
  foreign: [string, string][];
}

function operations(document: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, JsonSchema> };
}): Operation[] {
  const out: Operation[] = [];
  const resolve = (schema: JsonSchema | undefined): JsonSchema | undefined => {
    if (schema?.$ref === undefined) return schema;
    return document.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
  };
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const content = (
        operation['requestBody'] as { content?: Record<string, { schema: JsonSchema }> } | undefined
      )?.content;
      out.push({
        method: method.toUpperCase(),
        path,
        access: String(operation['x-sextant-access']),
        parameters: (operation['parameters'] as Operation['parameters'] | undefined) ?? [],
        body: resolve(content?.['application/json']?.schema),
      });
    }
  }
  // Reads first, then writes, and ending a session last (it ends the cookie caller's walk).
  const rank = (op: Operation) =>
    op.method === 'GET' ? 0 : op.method === 'DELETE' ? (op.path === '/api/v1/session' ? 3 : 2) : 1;
  return out.sort((a, b) => rank(a) - rank(b));
}

/** Candidate values of a named parameter or property: the caller's own, then the other tenant's. */
function candidates(
  name: string,
  schema: JsonSchema | undefined,
  own: TenantWorld,
  other: TenantWorld,
): unknown[] {
  const month = new Date(NOW_MS).toISOString().slice(0, 7);
  switch (name) {
    case 'unit':
      return [own.units[0], other.units[0]];
    case 'tenant':
      return [own.tenant, other.tenant];
    case 'tenants':
      return [[own.tenant], [other.tenant], [own.tenant, other.tenant], ['*']];
    case 'id':
      return [`${own.tenant}-new-${++newIds}`];
    case 'sli':
      return ['shop/orders'];
    case 'service':
      return ['shop'];
    case 'team':
      return ['core'];
    case 'month':
      return [month];
    case 'from':
      return [new Date(NOW_MS - 1440 * MINUTE_MS).toISOString()];
    case 'to':
      return [new Date(NOW_MS).toISOString()];
    case 'step':
      return ['1h'];
    case 'window':
      return ['1d', '28d', 'month'];
    case 'zone':
      return ['UTC'];
    case 'limit':
      return ['20'];
    case 'expiresAt':
      return [new Date(NOW_MS + 86_400_000).toISOString()];
    case 'environment':
      return ['production'];
    case 'name':
      return ['walker'];
    case 'protocol':
      return [SYNC_PROTOCOL_VERSION];
    case 'afterSeq':
      return [0];
    case 'throughSeq':
      return [1];
    case 'sentAtMs':
      return [NOW_MS];
    case 'records':
      return [
        [
          {
            kind: 'counts',
            seq: 1,
            sli: 'shop/orders',
            labels: { region: 'walker' },
            startMinute: NOW_MINUTE - 1,
            minutes: 1,
            good: 1,
            total: 1,
          },
        ],
      ];
  }
  if (schema?.enum) return schema.enum;
  if (schema?.examples?.length) return [schema.examples[0]];
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if (type === 'integer' || type === 'number') return [1];
  if (type === 'boolean') return [true];
  if (type === 'array') return [[]];
  if (type === 'object') return [{}];
  return ['x'];
}

/** The other tenant's names a value carries, each with its fake counterpart. */
function foreignNames(value: unknown, other: TenantWorld): [string, string][] {
  const text = JSON.stringify(value);
  const out: [string, string][] = [];
  for (const unit of other.units) if (text.includes(unit)) out.push([unit, FAKE.unit]);
  if (text.includes(other.tenant)) out.push([other.tenant, FAKE.tenant]);
  for (const id of other.credentialIds) if (text.includes(id)) out.push([id, FAKE.credential]);
  return out;
}

/** Every request of the walk for one operation and caller. */
function probes(operation: Operation, own: TenantWorld, other: TenantWorld): Probe[] {
  const pathParams = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  // Reads take the caller's own ids too; writes only the other tenant's and fakes.
  const pool =
    operation.method === 'GET'
      ? [...own.units, ...own.credentialIds.slice(0, 1), ...other.units, ...other.credentialIds, FAKE.unit]
      : [...other.units, ...other.credentialIds, FAKE.unit, FAKE.credential];
  let paths = [operation.path];
  for (const name of pathParams) {
    paths = paths.flatMap((path) => pool.map((value) => path.replace(`{${name}}`, value)));
  }

  const query = operation.parameters.filter((p) => p.in === 'query');
  const required = Object.fromEntries(
    query.filter((p) => p.required).map((p) => [p.name, candidates(p.name, p.schema, own, other)[0]]),
  );
  const queries: Record<string, unknown>[] = [required];
  for (const parameter of query.filter((p) => !p.required)) {
    for (const value of candidates(parameter.name, parameter.schema, own, other)) {
      queries.push({ ...required, [parameter.name]: value });
    }
  }
  // Grouping by each value, alone and narrowed to the other tenant's unit or tenant.
  const groupBy = query.find((p) => p.name === 'groupBy');
  if (groupBy) {
    for (const value of candidates('groupBy', groupBy.schema, own, other)) {
      queries.push(
        { ...required, groupBy: value, unit: other.units[0] },
        { ...required, groupBy: value, tenant: other.tenant },
      );
    }
  }

  const headers: Record<string, string> = {};
  for (const parameter of operation.parameters.filter((p) => p.in === 'header')) {
    if (parameter.name.toLowerCase() === 'sextant-sync-protocol')
      headers['sextant-sync-protocol'] = SYNC_PROTOCOL_VERSION;
    if (parameter.name.toLowerCase() === 'content-encoding') headers['content-encoding'] = 'identity';
  }
  const bodies: (Record<string, unknown> | undefined)[] = [undefined];
  if (operation.body) {
    bodies.length = 0;
    const properties = Object.entries(operation.body.properties ?? {});
    const base = Object.fromEntries(
      properties.map(([name, schema]) => [name, candidates(name, schema, own, other)[0]]),
    );
    if (operation.path === '/api/v1/sync/push') base['unit'] = own.units[0];
    bodies.push(base);
    for (const [name, schema] of properties) {
      for (const value of candidates(name, schema, own, other).slice(1)) {
        bodies.push({ ...base, [name]: name === 'id' ? `${own.tenant}-new-${++newIds}` : value });
      }
    }
  }

  const out: Probe[] = [];
  for (const path of paths) {
    for (const params of queries) {
      for (const body of bodies) {
        const search = new URLSearchParams(
          Object.entries(params).map(([name, value]): [string, string] => [name, String(value)]),
        ).toString();
        const url = `${path}${search === '' ? '' : `?${search}`}`;
        const requestHeaders = {
          ...headers,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        };
        out.push({
          method: operation.method,
          path: url,
          headers: requestHeaders,
          body: body === undefined ? undefined : JSON.stringify(body),
          foreign: foreignNames({ url, body }, other),
        });
      }
    }
  }
  return out;
}

async function send(probe: Probe, caller: Caller): Promise<{ status: number; text: string }> {
  const response = await fetch(`${hub.url}${probe.path}`, {
    method: probe.method,
    headers: { ...probe.headers, ...caller.headers },
    ...(probe.body === undefined ? {} : { body: probe.body }),
  });
  return { status: response.status, text: await response.text() };
}

function replaceAll(text: string, pairs: readonly [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) out = out.split(from).join(to);
  return out;
}

/**
 * Numbers from `limit` up to 2^53 anywhere in a JSON text (or the text's digits, when not
 * JSON). Schema bounds of 2^53 - 1 (`Number.MAX_SAFE_INTEGER`) are not data.
 */
function bigNumbers(text: string, limit: number): number[] {
  const found: number[] = [];
  const big = (value: number) => Math.abs(value) >= limit && Math.abs(value) < Number.MAX_SAFE_INTEGER;
  const visit = (value: unknown) => {
    if (typeof value === 'number' && big(value)) found.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  try {
    visit(JSON.parse(text));
  } catch {
    for (const match of text.matchAll(/\d[\d.e+]*/g)) {
      const value = Number(match[0]);
      if (Number.isFinite(value) && big(value)) found.push(value);
    }
  }
  return found;
}

/** A tenant's state: its units with their marks, their checksums, and every credential touching it. */
async function tenantState(side: Side): Promise<unknown> {
  const world = worlds[side];
  const store = hub.hub.store;
  const units = await store.listUnits([world.tenant]);
  const credentials = (await store.listCredentials()).filter((credential) =>
    credential.kind === 'unit'
      ? world.units.includes(credential.unitId)
      : credential.tenants.some(
          (pattern) => pattern === '*' || world.tenant.startsWith(pattern.replace('*', '')),
        ),
  );
  return {
    units,
    checksums: await Promise.all(world.units.map((unit) => store.checksum(unit))),
    credentials: credentials
      .map((credential) => [credential.id, credential.revokedAtMs, credential.name])
      .sort(),
  };
}

/** What a walk saw, for the report and the coverage checks. */
interface WalkReport {
  requests: number;
  operations: Set<string>;
  statuses: Map<number, number>;
  /** Answers that showed the caller's own markers (the walk does see data). */
  ownMarkerAnswers: number;
  problems: string[];
}

async function walk(caller: Caller, ops: readonly Operation[]): Promise<WalkReport> {
  const report: WalkReport = {
    requests: 0,
    operations: new Set(),
    statuses: new Map(),
    ownMarkerAnswers: 0,
    problems: [],
  };
  const own = caller.side ? worlds[caller.side] : worlds.alpha;
  const other = caller.side ? worlds[OTHER[caller.side]] : worlds.bravo;
  // Anonymous callers may learn nothing of any tenant; others nothing of the other tenant.
  const forbidden = caller.side ? other.markers : [...worlds.alpha.markers, ...worlds.bravo.markers];
  // The size check works one way: bravo's numbers dwarf alpha's, not the reverse.
  const numberLimit = caller.side === 'bravo' ? Number.POSITIVE_INFINITY : BRAVO_NUMBER;
  for (const operation of ops) {
    for (const probe of probes(operation, own, other)) {
      const answer = await send(probe, caller);
      report.requests += 1;
      report.operations.add(`${operation.method} ${operation.path}`);
      report.statuses.set(answer.status, (report.statuses.get(answer.status) ?? 0) + 1);
      const where = `${caller.name}: ${probe.method} ${probe.path}${probe.body ? ` ${probe.body}` : ''} -> ${answer.status}`;
      if (answer.status >= 500) report.problems.push(`${where}: a server error ${answer.text.slice(0, 300)}`);
      const request = `${probe.path} ${probe.body ?? ''}`;
      for (const marker of forbidden) {
        if (answer.text.includes(marker) && !request.includes(marker)) {
          report.problems.push(`${where}: the answer shows ${marker}: ${answer.text.slice(0, 500)}`);
        }
      }
      const numbers = bigNumbers(answer.text, numberLimit).filter(
        (value) => !request.includes(String(value)),
      );
      if (numbers.length > 0) {
        report.problems.push(
          `${where}: numbers of the other tenant's size ${numbers.slice(0, 5).join(', ')}`,
        );
      }
      if (
        caller.side &&
        own.markers.some((marker) => answer.text.includes(marker) && !request.includes(marker))
      ) {
        report.ownMarkerAnswers += 1;
      }
      if (probe.foreign.length > 0 && caller.side) {
        // The same request about things that never existed must get the same answer.
        const twin: Probe = {
          ...probe,
          path: replaceAll(probe.path, probe.foreign),
          body: probe.body === undefined ? undefined : replaceAll(probe.body, probe.foreign),
        };
        const twinAnswer = await send(twin, caller);
        report.requests += 1;
        const expected = { status: twinAnswer.status, text: twinAnswer.text };
        const got = { status: answer.status, text: replaceAll(answer.text, probe.foreign) };
        if (got.status !== expected.status || got.text !== expected.text) {
          report.problems.push(
            `${where}: answers differently than for names that never existed (${twinAnswer.status} ${twinAnswer.text.slice(0, 300)}) vs (${answer.status} ${answer.text.slice(0, 300)})`,
          );
        }
      }
    }
  }
  return report;
}

describe('hub tenant isolation over every documented operation', () => {
  let ops: Operation[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sextant-isolation-'));
    await mkdir(join(dir, 'catalog'));
    await writeFile(join(dir, 'catalog', 'shop.yaml'), CATALOG);
    hub = await startTestHub({ now: () => NOW_MS, catalog: join(dir, 'catalog'), dataDir: join(dir, 'hub') });
    await plant('alpha', 'alpha-corp', 2 ** 20);
    await plant('bravo', 'bravo-holdings', 2 ** 44);
    const answer = await hubApi(hub.url, undefined, 'GET', '/api/v1/openapi.json');
    assert.equal(answer.status, 200);
    ops = operations(answer.json as Parameters<typeof operations>[0]);
  });
  after(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the OpenAPI document lists the operations this walk must cover', () => {
    const listed = new Set(ops.map((op) => `${op.method} ${op.path}`));
    for (const expected of [
      'POST /api/v1/sync/push',
      'GET /api/v1/units',
      'POST /api/v1/units',
      'DELETE /api/v1/tokens/{id}',
      'GET /api/v1/slos',
      'GET /api/v1/alerts',
    ]) {
      assert.ok(listed.has(expected), `${expected} is not in the document`);
    }
  });

  test('a caller with every token of the hub (admin of *) sees both tenants: the markers are detectable', async () => {
    const caller: Caller = {
      name: 'admin of *',
      side: undefined,
      headers: { authorization: `Bearer ${hub.adminToken}` },
    };
    const units = await send(
      { method: 'GET', path: '/api/v1/units', headers: {}, body: undefined, foreign: [] },
      caller,
    );
    const alerts = await send(
      { method: 'GET', path: '/api/v1/alerts', headers: {}, body: undefined, foreign: [] },
      caller,
    );
    const slos = await send(
      { method: 'GET', path: '/api/v1/slos', headers: {}, body: undefined, foreign: [] },
      caller,
    );
    for (const marker of ['alpha-corp', 'bravo-holdings', 'alpha-cell-1', 'bravo-cell-2']) {
      assert.ok(units.text.includes(marker), `${marker} missing from ${units.text}`);
    }
    assert.ok(alerts.text.includes('bravo-marker-summary'), alerts.text);
    assert.ok(bigNumbers(slos.text, BRAVO_NUMBER).length > 0, `no number of bravo's size in ${slos.text}`);
  });

  test('the walk notices a leak: the admin of * walked as if it were alpha is caught on every count', async () => {
    const report = await walk(
      {
        name: 'admin of * posing as alpha',
        side: 'alpha',
        headers: { authorization: `Bearer ${hub.adminToken}` },
      },
      ops.filter((op) => op.method === 'GET'),
    );
    const text = report.problems.join('\n');
    assert.match(text, /the answer shows bravo-holdings/);
    assert.match(text, /the answer shows bravo-marker-summary/);
    assert.match(text, /numbers of the other tenant's size/);
    assert.match(text, /answers differently than for names that never existed/);
    for (const path of ['/api/v1/units', '/api/v1/slos', '/api/v1/alerts', '/api/v1/fleet/']) {
      assert.ok(text.includes(`GET ${path}`), `no leak found on ${path}`);
    }
  });

  for (const side of ['alpha', 'bravo'] as const) {
    test(`every operation, walked by every ${side} principal, shows nothing of ${OTHER[side]} and tells nothing of its existence`, async (t) => {
      const walked = [...callers(side), await sessionCaller(side)];
      const otherBefore = await tenantState(OTHER[side]);
      const problems: string[] = [];
      let requests = 0;
      for (const caller of walked) {
        const report = await walk(caller, ops);
        requests += report.requests;
        problems.push(...report.problems);
        assert.equal(report.operations.size, ops.length, `${caller.name} did not walk every operation`);
        if (!caller.name.endsWith('unit')) {
          assert.ok(
            report.ownMarkerAnswers > 0,
            `${caller.name} never saw its own tenant's data: the walk is blind`,
          );
        }
        t.diagnostic(
          `${caller.name}: ${report.requests} requests, statuses ${JSON.stringify(Object.fromEntries(report.statuses))}`,
        );
      }
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problem(s)`);
      // Every write aimed at the other tenant was refused: its units, records and credentials
      // are as they were (the walk's own creations are all in the caller's tenant).
      assert.deepEqual(await tenantState(OTHER[side]), otherBefore, `${OTHER[side]}'s state changed`);
      t.diagnostic(`${requests} requests over ${ops.length} operations`);
    });
  }

  test('anonymous, every operation shows nothing of any tenant and changes nothing', async (t) => {
    const before = [await tenantState('alpha'), await tenantState('bravo')];
    const report = await walk({ name: 'anonymous', side: undefined, headers: {} }, ops);
    assert.deepEqual(report.problems.slice(0, 20), [], `${report.problems.length} problem(s)`);
    assert.equal(report.operations.size, ops.length);
    assert.deepEqual([await tenantState('alpha'), await tenantState('bravo')], before);
    t.diagnostic(
      `${report.requests} requests, statuses ${JSON.stringify(Object.fromEntries(report.statuses))}`,
    );
  });

  test("alpha's writes aimed at bravo get 403 or 404 and change nothing of bravo", async () => {
    // The walks try them all; these are the ones the issue names, checked by status.
    const bravoBefore = await tenantState('bravo');
    const alpha = worlds.alpha;
    const bravo = worlds.bravo;
    const push = {
      protocol: SYNC_PROTOCOL_VERSION,
      unit: bravo.units[0],
      // Would apply if accepted: it continues from 0, a replay the hub takes.
      afterSeq: 0,
      throughSeq: 65,
      sentAtMs: NOW_MS,
      records: [{ kind: 'catalog', seq: 65, version: 'alpha-overwrote-this', source: 'local' }],
    };
    assert.equal((await postPush(hub.url, push, pushHeaders(alpha.unitTokens[0]))).status, 403);
    const asAdmin = (method: string, path: string, body?: unknown) =>
      hubApi(hub.url, alpha.tokens.admin, method, path, body);
    assert.equal(
      (await asAdmin('POST', '/api/v1/tokens', { name: 'x', role: 'admin', tenants: [bravo.tenant] })).status,
      403,
    );
    assert.equal(
      (
        await asAdmin('POST', '/api/v1/units', {
          id: 'alpha-in-bravo',
          tenant: bravo.tenant,
          environment: 'p',
        })
      ).status,
      403,
    );
    assert.equal((await asAdmin('POST', `/api/v1/units/${bravo.units[0]}/tokens`, {})).status, 404);
    for (const id of bravo.credentialIds) {
      assert.equal((await asAdmin('DELETE', `/api/v1/tokens/${id}`)).status, 404);
    }
    assert.deepEqual(await tenantState('bravo'), bravoBefore, "bravo's state changed");
  });
});
