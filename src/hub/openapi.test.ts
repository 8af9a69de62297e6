import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resolveHubConfig } from './config.ts';
import { createHub, type HubInstance } from './hub.ts';
import { openApiPath } from './openapi.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers and assert on them
type Json = Record<string, any>;

let hub: HubInstance;
let document: Json;

before(async () => {
  const config = resolveHubConfig({ flags: { database: 'sqlite::memory:' }, env: {} });
  assert.ok(config.ok);
  const created = await createHub(config.value, { manual: true, log: () => {} });
  assert.ok(created.ok, !created.ok ? created.message : '');
  hub = created.value;
  const response = await hub.app.request('/api/v1/openapi.json');
  assert.equal(response.status, 200);
  document = (await response.json()) as Json;
});

after(async () => {
  await hub.close();
});

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 with JSON Schema 2020-12', () => {
    assert.equal(document['openapi'], '3.1.0');
    assert.equal(document['jsonSchemaDialect'], 'https://json-schema.org/draft/2020-12/schema');
  });

  test('documents every route the app registers, and nothing else', () => {
    const registered = new Set(
      hub.app.routes
        .filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method.toLowerCase()} ${openApiPath(route.path).path}`),
    );
    const documented = new Set(
      Object.entries(document['paths'] as Record<string, Record<string, unknown>>).flatMap(
        ([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`),
      ),
    );
    assert.ok(registered.size >= 20, [...registered].join('\n'));
    assert.deepEqual([...registered].sort(), [...documented].sort());
  });

  test('documents the push body from the protocol schema', () => {
    const push = document['paths']['/api/v1/sync/push']['post'];
    assert.deepEqual(push['requestBody']['content']['application/json']['schema'], {
      $ref: '#/components/schemas/PushRequest',
    });
    const schema = document['components']['schemas']['PushRequest'];
    assert.deepEqual(schema['required'].sort(), [
      'afterSeq',
      'protocol',
      'records',
      'sentAtMs',
      'throughSeq',
      'unit',
    ]);
    assert.ok(push['responses']['409']);
    assert.ok(push['responses']['429']);
    assert.deepEqual(push['security'], [{ bearerAuth: [] }]);
  });

  test('names the path parameters and the query parameters', () => {
    const unit = document['paths']['/api/v1/units/{id}']['get'];
    assert.deepEqual(unit['parameters'][0], {
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    });
    const audit = document['paths']['/api/v1/audit']['get'];
    assert.deepEqual(
      audit['parameters'].map((parameter: { name: string }) => parameter.name),
      ['from', 'limit'],
    );
  });

  test('public routes need no credentials, others name the role', () => {
    assert.deepEqual(document['paths']['/healthz']['get']['security'], []);
    assert.equal(document['paths']['/api/v1/tokens']['post']['x-sextant-access'], 'admin');
    assert.ok(document['paths']['/api/v1/tokens']['post']['responses']['401']);
  });

  test('operation ids are unique', () => {
    const ids = Object.values(
      document['paths'] as Record<string, Record<string, { operationId: string }>>,
    ).flatMap((operations) => Object.values(operations).map((operation) => operation.operationId));
    assert.equal(new Set(ids).size, ids.length);
  });
});
