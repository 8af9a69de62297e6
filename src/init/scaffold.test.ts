import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { buildCatalog, formatIssue, type SourceFile } from '../catalog/index.ts';
import { ARCHETYPES, type ScaffoldInput, scaffoldService, suggestName } from './index.ts';

const TEAM: SourceFile = {
  path: 'team.yaml',
  text: `apiVersion: sextant.dev/v1
kind: Team
metadata: {name: payments}
spec:
  onCall: {schedule: payments-primary}
`,
};

function scaffold(overrides: Partial<ScaffoldInput> = {}) {
  const result = scaffoldService({
    name: 'checkout',
    owner: 'payments',
    tier: 'high',
    archetype: 'http-service',
    ...overrides,
  });
  if (!result.ok) assert.fail(result.issues.map(formatIssue).join('\n'));
  return result.value;
}

function build(...files: SourceFile[]) {
  return buildCatalog([TEAM, ...files]);
}

// The tier table from the task brief: availability critical 99.95, high 99.9, medium 99.5,
// low 99; latency one step lower (critical 99.9, high 99.5, medium 99, low 98).
const EXPECTED = {
  critical: { availability: 0.9995, latency: 0.999 },
  high: { availability: 0.999, latency: 0.995 },
  medium: { availability: 0.995, latency: 0.99 },
  low: { availability: 0.99, latency: 0.98 },
} as const;
// The first SLO of each archetype is its availability SLO, the second its latency SLO.
const SLO_NAMES = {
  'http-service': ['availability', 'latency'],
  worker: ['job-success', 'queue-latency'],
  database: ['availability', 'query-latency'],
  cache: ['availability', 'latency'],
} as const;

describe('scaffoldService', () => {
  for (const archetype of Object.keys(ARCHETYPES) as (keyof typeof ARCHETYPES)[]) {
    for (const tier of ['critical', 'high', 'medium', 'low'] as const) {
      test(`a ${tier}-tier ${archetype} validates with no errors and no warnings`, () => {
        const file = scaffold({ name: `svc-${archetype}`, tier, archetype });
        const result = build({ path: file.path, text: file.text });
        assert.deepEqual(result.issues.map(formatIssue), []);
        const service = result.catalog.services.get(`svc-${archetype}`)!;
        const [availability, latency] = SLO_NAMES[archetype];
        const objective = (name: string) => service.slos.find((slo) => slo.name === name)?.objectiveRatio;
        assert.equal(objective(availability), EXPECTED[tier].availability);
        assert.equal(objective(latency), EXPECTED[tier].latency);
        assert.ok(service.saturationPoints.length >= 2, 'has saturation points');
      });
    }
  }

  test('the file is named after the service and starts with a comment saying what it is', () => {
    const file = scaffold();
    assert.equal(file.path, 'checkout.yaml');
    assert.match(file.text, /^# checkout: HTTP server/);
    assert.match(file.text, /job="checkout"/);
  });

  test('every SLI, SLO and saturation point has a comment above it', () => {
    const lines = scaffold({ archetype: 'database' }).text.split('\n');
    const items = lines.flatMap((line, index) => (/^ {4}- name: /.test(line) ? [index] : []));
    assert.equal(items.length, 9, 'three SLIs, three SLOs, three saturation points');
    for (const index of items) assert.match(lines[index - 1]!, /^ {4}# /, `comment above: ${lines[index]}`);
  });

  test('the http-service availability SLI counts 5xx responses as bad', () => {
    const service = parse(scaffold().text);
    assert.deepEqual(service.spec.slis[0], {
      name: 'requests',
      kind: 'ratio',
      bad: { selector: 'http_requests_total{job="checkout",code=~"5.."}' },
      total: { selector: 'http_requests_total{job="checkout"}' },
    });
  });

  test('the database archetype has a replication-lag threshold SLI', () => {
    const service = buildCatalog([TEAM, scaffold({ archetype: 'database' })]).catalog.services.get(
      'checkout',
    )!;
    const lag = service.slis.find((sli) => sli.name === 'replication-lag');
    assert.equal(lag?.kind, 'threshold');
  });

  test('a job label overrides the service name in selectors', () => {
    const text = scaffold({ job: 'checkout-api' }).text;
    assert.match(text, /http_requests_total\{job="checkout-api"\}/);
    assert.doesNotMatch(text, /job="checkout"/);
  });

  test('dependencies are written as given and resolve in a catalog that has them', () => {
    const database = scaffold({ name: 'payments-db', archetype: 'database' });
    const cache = scaffold({ name: 'payments-cache', archetype: 'cache' });
    const file = scaffold({ dependsOn: ['payments-db', 'payments-cache'] });
    assert.deepEqual(parse(file.text).spec.dependsOn, ['payments-db', 'payments-cache']);
    const result = build(database, cache, file);
    assert.deepEqual(result.issues.map(formatIssue), []);
  });

  test('links are written only for URLs the user gives', () => {
    const plain = scaffold().text;
    assert.doesNotMatch(plain, /links:|https?:/);
    const linked = parse(scaffold({ runbook: 'https://runbooks.example.com/checkout' }).text);
    assert.deepEqual(linked.metadata.links, [
      { url: 'https://runbooks.example.com/checkout', type: 'runbook' },
    ]);
  });

  test('a description with YAML-significant characters survives the round trip', () => {
    const description = 'Takes payments: cards, "wallets" & #refunds';
    assert.equal(parse(scaffold({ description }).text).metadata.description, description);
  });

  test('the same input gives the same text', () => {
    assert.equal(scaffold({ archetype: 'worker' }).text, scaffold({ archetype: 'worker' }).text);
  });
});

describe('scaffoldService input checks', () => {
  const base = { name: 'checkout', owner: 'payments', tier: 'high', archetype: 'http-service' };

  test('a name with capitals and spaces is rejected with a valid suggestion', () => {
    const result = scaffoldService({ ...base, name: 'Checkout API' });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.issues[0]?.code, 'name.invalid');
    assert.deepEqual(result.issues[0]?.path, ['metadata', 'name']);
    assert.match(result.issues[0]!.message, /for example "checkout-api"/);
  });

  test('names longer than 63 characters or ending in a dash are rejected', () => {
    for (const name of ['a'.repeat(64), 'checkout-', '']) {
      const result = scaffoldService({ ...base, name });
      assert.equal(result.ok, false, name);
    }
  });

  test('an unknown tier or archetype is rejected with the closest choice', () => {
    const result = scaffoldService({ ...base, tier: 'hihg', archetype: 'http' });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.issues.map((issue) => issue.code),
      ['schema.value', 'schema.value'],
    );
    assert.match(result.issues[0]!.message, /Did you mean "high"\?/);
  });

  test('a service cannot depend on itself or list a dependency twice', () => {
    const result = scaffoldService({ ...base, dependsOn: ['checkout', 'db', 'db'] });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.issues.map((issue) => [issue.code, issue.path]),
      [
        ['ref.self', ['spec', 'dependsOn', 0]],
        ['name.duplicate', ['spec', 'dependsOn', 2]],
      ],
    );
  });

  test('a runbook that is not an http(s) URL, and a job that needs quoting, are rejected', () => {
    const result = scaffoldService({ ...base, runbook: 'ftp://example.com/x', job: 'a"b' });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.issues.map((issue) => issue.code).sort(), ['schema.format', 'schema.format']);
  });

  test('suggestName lowercases and joins words with dashes', () => {
    assert.equal(suggestName('Checkout API'), 'checkout-api');
    assert.equal(suggestName('--my__service--'), 'my-service');
    assert.equal(suggestName('fine'), undefined);
  });
});
