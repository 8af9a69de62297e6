import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse, parseAllDocuments } from 'yaml';
import { buildCatalog } from '../../catalog/index.ts';
import { type BackstageIssue, type BackstageIssueCode, importBackstage } from './index.ts';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** Reads fixtures as import inputs, named by their path under fixtures/. */
function fixtures(...names: string[]) {
  return names.map((name) => ({ path: name, text: readFileSync(new URL(name, FIXTURES), 'utf8') }));
}

function manifest(result: { files: { path: string; text: string }[] }, path: string): unknown {
  const file = result.files.find((candidate) => candidate.path === path);
  assert.ok(file, `no output file ${path}; got ${result.files.map((f) => f.path).join(', ')}`);
  return parse(file.text);
}

function only(issues: readonly BackstageIssue[], code: BackstageIssueCode): BackstageIssue[] {
  return issues.filter((issue) => issue.code === code);
}

/** Where an issue points, as `file:line:column`. */
function where(issue: BackstageIssue | undefined): string {
  return `${issue?.file}:${issue?.line}:${issue?.column}`;
}

describe('importBackstage: the artist-web example system', () => {
  const result = importBackstage(fixtures('artists/catalog-info.yaml', 'org/org.yaml'));

  test('writes one file per service and per team, sorted by path', () => {
    assert.deepEqual(
      result.files.map((file) => file.path),
      [
        'services/artist-web-lookup.yaml',
        'services/artist-web.yaml',
        'services/artists-db.yaml',
        'teams/artist-relations-team.yaml',
        'teams/infrastructure.yaml',
        'teams/ops.yaml',
      ],
    );
  });

  test('artist-web keeps owner, lifecycle, labels, annotations and links, and depends on artists-db', () => {
    assert.deepEqual(manifest(result, 'services/artist-web.yaml'), {
      apiVersion: 'sextant.dev/v1',
      kind: 'Service',
      metadata: {
        name: 'artist-web',
        description: 'The place to be, for great artists',
        labels: {
          domain: 'artists', // from System artist-engagement-portal's spec.domain
          'example.com/custom': 'custom_label_value',
          system: 'artist-engagement-portal',
          'tag-java': 'true',
          type: 'website',
        },
        annotations: {
          'backstage.io/original-ref': 'component:default/artist-web',
          'backstage.io/source-location': 'url:https://github.com/example-org/artist-website/',
          'circleci.com/project-slug': 'github/example-org/artist-website',
          'example.com/service-discovery': 'artistweb',
        },
        links: [
          { url: 'https://admin.example-org.com', title: 'Admin Dashboard', type: 'dashboard' },
          { url: 'https://github.com/example-org/artist-website/', title: 'Source', type: 'repo' },
        ],
      },
      spec: {
        owner: 'artist-relations-team',
        tier: 'medium',
        lifecycle: 'production',
        dependsOn: ['artists-db'],
      },
    });
  });

  test('dependencyOf on artist-web and consuming artist-api give artist-web-lookup one dependency on artist-web', () => {
    const lookup = manifest(result, 'services/artist-web-lookup.yaml') as { spec: unknown };
    assert.deepEqual(lookup.spec, {
      owner: 'artist-relations-team',
      tier: 'high', // annotation sextant.dev/tier
      lifecycle: 'experimental',
      dependsOn: ['artist-web'],
    });
  });

  test('the artists-db Resource becomes a Service with its tier from the tier label and no lifecycle', () => {
    const db = manifest(result, 'services/artists-db.yaml') as {
      metadata: { labels: unknown };
      spec: unknown;
    };
    assert.deepEqual(db.spec, { owner: 'artist-relations-team', tier: 'critical' });
    assert.deepEqual(db.metadata.labels, {
      domain: 'artists',
      system: 'artist-engagement-portal',
      tier: 'critical',
      type: 'database',
    });
  });

  test('artist-relations-team gets its parent, members from memberOf, on-call from PagerDuty and chat from its chat link', () => {
    assert.deepEqual(manifest(result, 'teams/artist-relations-team.yaml'), {
      apiVersion: 'sextant.dev/v1',
      kind: 'Team',
      metadata: {
        name: 'artist-relations-team',
        title: 'Artist Relations',
        labels: { type: 'team' },
        annotations: {
          'backstage.io/original-ref': 'group:default/artist-relations-team',
          'pagerduty.com/service-id': 'PABC123',
        },
        links: [
          { url: 'https://example.slack.com/archives/C012AB3CD', title: '#artist-relations', type: 'chat' },
        ],
      },
      spec: {
        parent: 'infrastructure',
        members: ['asmith', { name: 'jdoe', email: 'jenny-doe@example.com' }],
        onCall: { schedule: 'pagerduty:PABC123', email: 'artist-relations@example.com' },
        chat: 'https://example.slack.com/archives/C012AB3CD',
      },
    });
  });

  test('infrastructure, from the documented Group example, has parent ops, member jdoe and its profile email as contact', () => {
    const team = manifest(result, 'teams/infrastructure.yaml') as {
      metadata: { title: string };
      spec: unknown;
    };
    assert.equal(team.metadata.title, 'Infrastructure');
    assert.deepEqual(team.spec, {
      parent: 'ops',
      members: [{ name: 'jdoe', email: 'jenny-doe@example.com' }],
      onCall: { email: 'infrastructure@example.com' },
    });
  });

  test('the output builds into a valid Sextant catalog', () => {
    const build = buildCatalog(result.files);
    assert.deepEqual(
      build.issues.filter((issue) => issue.severity === 'error'),
      [],
    );
    assert.equal(build.valid, true);
    assert.deepEqual([...build.catalog.services.keys()].sort(), [
      'artist-web',
      'artist-web-lookup',
      'artists-db',
    ]);
  });

  test('API, System and Domain are reported as not imported, and nothing is an error', () => {
    assert.deepEqual(
      only(result.issues, 'entity.not-imported').map((issue) => issue.message.split(' ')[0]),
      ['api:default/artist-api', 'system:default/artist-engagement-portal', 'domain:default/artists'],
    );
    assert.deepEqual(
      result.issues.filter((issue) => issue.severity !== 'info'),
      [],
    );
  });

  test('a default tier is noted at the entity name: artist-web at line 4, column 9', () => {
    const notes = only(result.issues, 'tier.default');
    assert.deepEqual(notes.map(where), ['artists/catalog-info.yaml:4:9']);
  });

  test('the file header names the Backstage entity and where it was defined', () => {
    const file = result.files.find((candidate) => candidate.path === 'services/artists-db.yaml');
    assert.match(
      file?.text ?? '',
      /^# Imported from Backstage resource:default\/artists-db \(artists\/catalog-info\.yaml:64\)\./,
    );
  });
});

describe('importBackstage: namespaces and names (the petstore example)', () => {
  const result = importBackstage(fixtures('petstore/catalog-info.yaml'));

  test('entities outside the default namespace get it as a name prefix', () => {
    assert.deepEqual(
      result.files.map((file) => file.path),
      [
        'services/external-systems-circlecibuildsdumpv2-avro-gcs.yaml',
        'services/external-systems-petstore.yaml',
        'teams/external-systems-pet-managers.yaml',
      ],
    );
  });

  test('group:pet-managers resolves in the referring namespace', () => {
    const petstore = manifest(result, 'services/external-systems-petstore.yaml') as {
      spec: { owner: string };
    };
    assert.equal(petstore.spec.owner, 'external-systems-pet-managers');
  });

  test('the original reference, case and all, is kept in backstage.io/original-ref', () => {
    const circle = manifest(result, 'services/external-systems-circlecibuildsdumpv2-avro-gcs.yaml') as {
      metadata: { annotations: Record<string, string>; labels: Record<string, string> };
    };
    assert.equal(
      circle.metadata.annotations['backstage.io/original-ref'],
      'component:external-systems/CircleciBuildsDumpV2_avro_gcs',
    );
    assert.deepEqual(circle.metadata.labels, { 'tag-c++': 'true', 'tag-data': 'true', type: 'service' });
  });

  test('consuming the petstore API becomes a dependency on the component that provides it', () => {
    const circle = manifest(result, 'services/external-systems-circlecibuildsdumpv2-avro-gcs.yaml') as {
      spec: unknown;
    };
    assert.deepEqual(circle.spec, {
      owner: 'external-systems-pet-managers',
      tier: 'medium',
      dependsOn: [
        { service: 'external-systems-petstore', description: 'consumes API api:external-systems/petstore' },
      ],
    });
  });

  test('a User owner is replaced by the user’s only group, with a warning', () => {
    const [warning] = only(result.issues, 'owner.user');
    assert.equal(where(warning), 'petstore/catalog-info.yaml:54:10');
    assert.equal(warning?.severity, 'warning');
  });

  test('lifecycle "ga" has no Sextant equivalent: it is left out and reported', () => {
    const [warning] = only(result.issues, 'lifecycle.unmapped');
    assert.equal(where(warning), 'petstore/catalog-info.yaml:53:14');
    assert.match(warning?.message ?? '', /"ga"/);
  });

  test('an API nobody provides (internal/streetlights) is reported and adds no dependency', () => {
    const [warning] = only(result.issues, 'api.no-provider');
    assert.equal(where(warning), 'petstore/catalog-info.yaml:14:7');
    const petstore = manifest(result, 'services/external-systems-petstore.yaml') as {
      spec: Record<string, unknown>;
    };
    assert.equal(petstore.spec['dependsOn'], undefined);
  });

  test('each renamed entity gets one name.normalized note', () => {
    assert.deepEqual(only(result.issues, 'name.normalized').map(where), [
      'petstore/catalog-info.yaml:4:9',
      'petstore/catalog-info.yaml:31:9',
      'petstore/catalog-info.yaml:48:9',
    ]);
  });

  test('the output builds into a valid Sextant catalog', () => {
    assert.equal(buildCatalog(result.files).valid, true);
  });
});

describe('importBackstage: invalid input is reported with file:line:column, never thrown', () => {
  test('a Component without metadata.name is an error pointing into its metadata', () => {
    const result = importBackstage(fixtures('invalid/missing-name.yaml'));
    assert.deepEqual(result.files, []);
    assert.deepEqual(
      result.issues.map((issue) => [issue.code, issue.severity, where(issue)]),
      [['entity.name', 'error', 'invalid/missing-name.yaml:4:3']],
    );
  });

  test('owner "group:" is malformed, so that component is skipped', () => {
    const result = importBackstage(fixtures('invalid/bad-refs.yaml'));
    const [error] = only(result.issues, 'ref.malformed');
    assert.equal(where(error), 'invalid/bad-refs.yaml:8:10');
    assert.ok(!result.files.some((file) => file.path.includes('broken-owner')));
  });

  test('dependsOn without a kind, or naming an API, is an error and the item is dropped', () => {
    const result = importBackstage(fixtures('invalid/bad-refs.yaml'));
    assert.deepEqual(only(result.issues, 'ref.kind').map(where), [
      'invalid/bad-refs.yaml:19:7',
      'invalid/bad-refs.yaml:21:7',
    ]);
    const loose = manifest(result, 'services/loose-deps.yaml') as { spec: { dependsOn: unknown } };
    assert.deepEqual(loose.spec.dependsOn, ['ok-service']);
  });

  test('an unknown kind is a warning with a suggestion, and the entity is skipped', () => {
    const result = importBackstage(fixtures('invalid/unknown-kind.yaml'));
    assert.deepEqual(result.files, []);
    const [warning] = result.issues;
    assert.equal(where(warning), 'invalid/unknown-kind.yaml:2:7');
    assert.equal(warning?.severity, 'warning');
    assert.match(warning?.message ?? '', /Did you mean "Component"\?/);
  });

  test('a YAML syntax error is located, and the next document of the file is still imported', () => {
    const result = importBackstage(fixtures('invalid/syntax-error.yaml'));
    const [error] = only(result.issues, 'yaml.syntax');
    // The flow sequence opened on line 5 is still open when `spec:` starts line 6.
    assert.equal(where(error), 'invalid/syntax-error.yaml:6:1');
    assert.deepEqual(
      result.files.map((file) => file.path),
      ['teams/survivor.yaml'],
    );
  });

  test('a document that is not a Backstage entity is skipped with a warning', () => {
    const result = importBackstage([
      { path: 'mixed.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' },
    ]);
    assert.deepEqual(result.files, []);
    assert.deepEqual(
      result.issues.map((issue) => [issue.code, issue.severity, where(issue)]),
      [['entity.api-version', 'warning', 'mixed.yaml:1:13']],
    );
  });

  test('a document that is a list, not a mapping, is an error', () => {
    const result = importBackstage([{ path: 'list.yaml', text: '- a\n- b\n' }]);
    assert.deepEqual(only(result.issues, 'entity.not-object').map(where), ['list.yaml:1:1']);
  });

  test('a Component without an owner is skipped: Sextant services need a team', () => {
    const text =
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orphan\nspec:\n  type: service\n  lifecycle: production\n';
    const result = importBackstage([{ path: 'orphan.yaml', text }]);
    assert.deepEqual(result.files, []);
    assert.deepEqual(only(result.issues, 'entity.field').map(where), ['orphan.yaml:6:3']);
  });

  test('the same entity twice (names compare ignoring case) is a duplicate; the first wins', () => {
    const entity = (name: string) =>
      `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: ${name}\nspec:\n  type: team\n  children: []\n`;
    const result = importBackstage([
      { path: 'a.yaml', text: entity('Team-A') },
      { path: 'b.yaml', text: entity('team-a') },
    ]);
    assert.deepEqual(only(result.issues, 'entity.duplicate').map(where), ['b.yaml:4:9']);
    assert.equal(result.files.length, 1);
  });
});

describe('importBackstage: references to entities that were not imported', () => {
  const text = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
spec:
  type: service
  lifecycle: production
  owner: payments
  dependsOn:
    - component:ledger
`;
  const result = importBackstage([{ path: 'checkout.yaml', text }]);

  test('an unknown owner and dependency are kept by name and reported as warnings', () => {
    assert.deepEqual(
      only(result.issues, 'ref.unresolved').map((issue) => [issue.severity, where(issue)]),
      [
        ['warning', 'checkout.yaml:8:10'],
        ['warning', 'checkout.yaml:10:7'],
      ],
    );
    const checkout = manifest(result, 'services/checkout.yaml') as { spec: unknown };
    assert.deepEqual(checkout.spec, {
      owner: 'payments',
      tier: 'medium',
      lifecycle: 'production',
      dependsOn: ['ledger'],
    });
  });

  test('buildCatalog then reports exactly those two references, and nothing else as an error', () => {
    const errors = buildCatalog(result.files).issues.filter((issue) => issue.severity === 'error');
    assert.deepEqual(
      errors.map((issue) => issue.code),
      ['ref.unknown-team', 'ref.unknown-service'],
    );
  });
});

describe('importBackstage: names that clash after normalising', () => {
  const component = (name: string, kind = 'Component') =>
    `apiVersion: backstage.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n`;

  test('artists_db and artists-db clash; the one already valid keeps the name, the other becomes artists-db-2', () => {
    const result = importBackstage([
      { path: 'a.yaml', text: component('artists_db') },
      { path: 'b.yaml', text: component('artists-db') },
    ]);
    assert.deepEqual(
      result.files.map((file) => file.path),
      ['services/artists-db-2.yaml', 'services/artists-db.yaml'],
    );
    const renamed = manifest(result, 'services/artists-db-2.yaml') as {
      metadata: { annotations: Record<string, string> };
    };
    assert.equal(renamed.metadata.annotations['backstage.io/original-ref'], 'component:default/artists_db');
    assert.deepEqual(only(result.issues, 'name.collision').map(where), ['a.yaml:4:9']);
  });

  test('a Resource and a Component named artists-db: the Resource becomes artists-db-resource', () => {
    const result = importBackstage([
      { path: 'a.yaml', text: component('artists-db', 'Resource') },
      { path: 'b.yaml', text: component('artists-db') },
    ]);
    assert.deepEqual(
      result.files.map((file) => file.path),
      ['services/artists-db-resource.yaml', 'services/artists-db.yaml'],
    );
  });
});

describe('importBackstage: cycles Backstage allows and Sextant rejects', () => {
  const component = (name: string, dependsOn: string) =>
    `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  dependsOn: [${dependsOn}]\n`;
  const group = (name: string, parent: string) =>
    `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: ${name}\nspec:\n  type: team\n  parent: ${parent}\n  children: []\n`;

  test('a depends on b and b on a: the edge back to a (the first name) becomes soft', () => {
    const result = importBackstage([
      { path: 'a.yaml', text: component('a', 'component:b') },
      { path: 'b.yaml', text: component('b', 'component:a') },
      {
        path: 'team.yaml',
        text: 'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n',
      },
    ]);
    assert.deepEqual(
      (manifest(result, 'services/a.yaml') as { spec: { dependsOn: unknown } }).spec.dependsOn,
      ['b'],
    );
    assert.deepEqual(
      (manifest(result, 'services/b.yaml') as { spec: { dependsOn: unknown } }).spec.dependsOn,
      [{ service: 'a', kind: 'soft', description: 'soft to break a dependency cycle' }],
    );
    assert.deepEqual(only(result.issues, 'dependency.cycle').map(where), ['b.yaml:4:9']);
    assert.equal(buildCatalog(result.files).valid, true);
  });

  test('groups that are each other’s parents lose the parent that closes the cycle', () => {
    const result = importBackstage([
      { path: 'x.yaml', text: group('x', 'y') },
      { path: 'y.yaml', text: group('y', 'x') },
    ]);
    assert.equal((manifest(result, 'teams/x.yaml') as { spec: { parent?: string } }).spec.parent, 'y');
    assert.equal((manifest(result, 'teams/y.yaml') as { spec: { parent?: string } }).spec.parent, undefined);
    assert.deepEqual(only(result.issues, 'team.parent-cycle').map(where), ['y.yaml:7:11']);
    assert.equal(buildCatalog(result.files).valid, true);
  });
});

describe('importBackstage: links', () => {
  const text = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
  links:
    - url: not a url
    - url: https://runbooks.example.com/team-a
      title: Runbook
      type: runbook
    - url: https://chat.example.com/team-a
      icon: chat
spec:
  type: team
`;
  const result = importBackstage([{ path: 'team.yaml', text }]);

  test('a link without a valid URL is reported once, even though a Group’s links are read twice', () => {
    assert.deepEqual(only(result.issues, 'link.invalid').map(where), ['team.yaml:6:7']);
  });

  test('link types map onto Sextant’s, and the chat link becomes the team chat', () => {
    const team = manifest(result, 'teams/team-a.yaml') as {
      metadata: { links: unknown };
      spec: { chat: string };
    };
    assert.deepEqual(team.metadata.links, [
      { url: 'https://runbooks.example.com/team-a', title: 'Runbook', type: 'runbook' },
      { url: 'https://chat.example.com/team-a', type: 'chat' },
    ]);
    assert.equal(team.spec.chat, 'https://chat.example.com/team-a');
  });
});

describe('importBackstage: options', () => {
  test("layout 'kind' writes services.yaml and teams.yaml with one document per entity", () => {
    const result = importBackstage(fixtures('artists/catalog-info.yaml', 'org/org.yaml'), { layout: 'kind' });
    assert.deepEqual(
      result.files.map((file) => file.path),
      ['services.yaml', 'teams.yaml'],
    );
    const services = parseAllDocuments(result.files[0]!.text);
    assert.deepEqual(
      (Array.isArray(services) ? services : []).map(
        (document) => (document.toJS() as { metadata: { name: string } }).metadata.name,
      ),
      ['artist-web', 'artist-web-lookup', 'artists-db'],
    );
    assert.equal(buildCatalog(result.files).valid, true);
  });

  test('defaultTier and tierKeys change how tiers are found', () => {
    const text =
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  labels:\n    example.com/tier: tier-2\nspec:\n  owner: t\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: b\nspec:\n  owner: t\n';
    const result = importBackstage([{ path: 'x.yaml', text }], {
      defaultTier: 'low',
      tierKeys: ['example.com/tier'],
    });
    assert.equal((manifest(result, 'services/a.yaml') as { spec: { tier: string } }).spec.tier, 'high');
    assert.equal((manifest(result, 'services/b.yaml') as { spec: { tier: string } }).spec.tier, 'low');
  });

  test('a tier value that is not a Sextant tier is a warning and the default is used', () => {
    const text =
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  annotations:\n    sextant.dev/tier: gold\nspec:\n  owner: t\n';
    const result = importBackstage([{ path: 'x.yaml', text }]);
    assert.deepEqual(only(result.issues, 'tier.invalid').map(where), ['x.yaml:6:23']);
    assert.equal((manifest(result, 'services/a.yaml') as { spec: { tier: string } }).spec.tier, 'medium');
  });
});

describe('importBackstage never throws and its manifests always have a valid shape', () => {
  const refText = fc.oneof(
    fc.constantFrom(
      'team-a',
      'group:team-a',
      'user:jdoe',
      'group:',
      ':x',
      'a/b',
      'component:svc-1',
      'resource:default/db',
      'api:x',
    ),
    fc.string({ maxLength: 12 }),
  );
  const name = fc.oneof(
    fc.constantFrom('svc-1', 'db', 'Team_A', 'team-a', 'jdoe', 'x.y', '__', 'x'.repeat(70)),
    fc.string({ maxLength: 10 }),
  );
  const entity = fc.record({
    apiVersion: fc.constantFrom('backstage.io/v1alpha1', 'backstage.io/v1beta1', 'v1'),
    kind: fc.constantFrom('Component', 'Resource', 'Group', 'User', 'API', 'System', 'Location', 'Widget'),
    metadata: fc.record(
      {
        name,
        namespace: fc.constantFrom('default', 'ns-a', 'Bad_NS'),
        tags: fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3 }),
        labels: fc.dictionary(
          fc.string({ maxLength: 6 }),
          fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
        ),
        links: fc.array(
          fc.record({
            url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 5 })),
            type: fc.string({ maxLength: 8 }),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    ),
    spec: fc.record(
      {
        owner: refText,
        lifecycle: fc.constantFrom('production', 'experimental', 'ga', 'beta'),
        dependsOn: fc.array(refText, { maxLength: 3 }),
        dependencyOf: fc.array(refText, { maxLength: 2 }),
        consumesApis: fc.array(refText, { maxLength: 2 }),
        providesApis: fc.array(refText, { maxLength: 2 }),
        members: fc.array(refText, { maxLength: 2 }),
        memberOf: fc.array(refText, { maxLength: 2 }),
        parent: refText,
        children: fc.array(refText, { maxLength: 2 }),
        system: refText,
      },
      { requiredKeys: [] },
    ),
  });

  test('for random entity sets, buildCatalog finds no error beyond unknown references', () => {
    fc.assert(
      fc.property(fc.array(entity, { maxLength: 8 }), (entities) => {
        const text = entities.map((value) => JSON.stringify(value)).join('\n---\n');
        const result = importBackstage([{ path: 'random.yaml', text }]);
        // Unknown references are legitimate, and reported by the importer.
        const allowed = new Set(['ref.unknown-team', 'ref.unknown-service']);
        const errors = buildCatalog(result.files).issues.filter(
          (issue) => issue.severity === 'error' && !allowed.has(issue.code),
        );
        assert.deepEqual(errors, []);
        assert.ok(!result.issues.some((issue) => issue.code === 'internal'));
      }),
      { numRuns: 200 },
    );
  });

  test('for arbitrary text, it returns issues instead of throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const result = importBackstage([{ path: 'noise.yaml', text }]);
        assert.ok(!result.issues.some((issue) => issue.code === 'internal'));
      }),
      { numRuns: 300 },
    );
  });
});
