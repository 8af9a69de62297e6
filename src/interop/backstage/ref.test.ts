import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatRef, parseEntityRef, refKey } from './ref.ts';

// Cases follow Backstage's "Entity References" page: `[<kind>:][<namespace>/]<name>`,
// defaults given by the field, the namespace defaulting to the referring entity's.
const inDefault = { defaultNamespace: 'default' };

describe('parseEntityRef', () => {
  test('a bare name takes the default kind and the referring namespace', () => {
    assert.deepEqual(
      parseEntityRef('artist-relations-team', { defaultKind: 'group', defaultNamespace: 'default' }),
      {
        ok: true,
        ref: { kind: 'group', namespace: 'default', name: 'artist-relations-team' },
      },
    );
  });

  test('group:pet-managers from an entity in external-systems resolves in external-systems', () => {
    const parsed = parseEntityRef('group:pet-managers', {
      defaultKind: 'group',
      defaultNamespace: 'external-systems',
    });
    assert.deepEqual(parsed, {
      ok: true,
      ref: { kind: 'group', namespace: 'external-systems', name: 'pet-managers' },
    });
  });

  test('internal/streetlights names a namespace without a kind', () => {
    const parsed = parseEntityRef('internal/streetlights', {
      defaultKind: 'api',
      defaultNamespace: 'external-systems',
    });
    assert.deepEqual(parsed, { ok: true, ref: { kind: 'api', namespace: 'internal', name: 'streetlights' } });
  });

  test('a full triplet keeps every part as written', () => {
    assert.deepEqual(parseEntityRef('resource:default/artists-db', inDefault), {
      ok: true,
      ref: { kind: 'resource', namespace: 'default', name: 'artists-db' },
    });
  });

  test('a compound reference with an upper-case kind is accepted', () => {
    assert.deepEqual(parseEntityRef({ kind: 'Group', name: 'pet-managers' }, inDefault), {
      ok: true,
      ref: { kind: 'Group', namespace: 'default', name: 'pet-managers' },
    });
  });

  test('"group:" has an empty name and is malformed', () => {
    const parsed = parseEntityRef('group:', { defaultKind: 'group', defaultNamespace: 'default' });
    assert.equal(parsed.ok, false);
    assert.equal(!parsed.ok && parsed.reason, 'malformed');
  });

  test('an empty kind, namespace or name is malformed', () => {
    for (const ref of [':team-a', 'group:/team-a', 'default/', '']) {
      const parsed = parseEntityRef(ref, { defaultKind: 'group', defaultNamespace: 'default' });
      assert.equal(parsed.ok, false, ref);
    }
  });

  test('a slash before the colon means no kind, so the colon lands in the name and is rejected', () => {
    const parsed = parseEntityRef('default/group:team-a', {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
    assert.equal(parsed.ok, false);
  });

  test('dependsOn has no default kind, so a bare name is reported as missing its kind', () => {
    const parsed = parseEntityRef('artists-db', inDefault);
    assert.equal(!parsed.ok && parsed.reason, 'missing-kind');
  });

  test('a number is not a reference', () => {
    assert.equal(parseEntityRef(42, { defaultKind: 'group', defaultNamespace: 'default' }).ok, false);
  });
});

describe('refKey and formatRef', () => {
  test('keys ignore case, as Backstage references do', () => {
    assert.equal(
      refKey({ kind: 'Component', namespace: 'default', name: 'Artist_Web' }),
      refKey({ kind: 'component', namespace: 'DEFAULT', name: 'artist_web' }),
    );
  });

  test('the written form keeps the name as written and lower-cases the kind', () => {
    assert.equal(
      formatRef({ kind: 'Component', namespace: 'default', name: 'Artist_Web' }),
      'component:default/Artist_Web',
    );
  });
});
