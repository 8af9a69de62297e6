import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isSextantName, sextantNameFor, toSextantName, withSuffix } from './names.ts';

describe('toSextantName', () => {
  test("Backstage's own example CircleciBuildsDumpV2_avro_gcs becomes circlecibuildsdumpv2-avro-gcs", () => {
    assert.equal(toSextantName('CircleciBuildsDumpV2_avro_gcs'), 'circlecibuildsdumpv2-avro-gcs');
  });

  test('dots and underscores become dashes: dev.infra becomes dev-infra', () => {
    assert.equal(toSextantName('dev.infra'), 'dev-infra');
  });

  test('a name without letters or digits becomes empty', () => {
    assert.equal(toSextantName('_._'), '');
  });

  test('a 70-character name is cut to 63 without a trailing dash', () => {
    // 62 a's, a dash at position 63, then more: the cut leaves "a"*62 after trimming the dash.
    const name = `${'a'.repeat(62)}-${'b'.repeat(7)}`;
    assert.equal(toSextantName(name), 'a'.repeat(62));
  });

  test('the result is always a valid Sextant name or empty', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (name) => {
        const out = toSextantName(name);
        return out === '' || isSextantName(out);
      }),
    );
  });
});

describe('sextantNameFor', () => {
  test('the default namespace adds no prefix', () => {
    assert.equal(sextantNameFor('default', 'artist-web'), 'artist-web');
  });

  test('another namespace becomes a prefix: external-systems/petstore is external-systems-petstore', () => {
    assert.equal(sextantNameFor('external-systems', 'petstore'), 'external-systems-petstore');
  });
});

describe('withSuffix', () => {
  test('a suffix is appended with a dash', () => {
    assert.equal(withSuffix('artists-db', 'resource'), 'artists-db-resource');
  });

  test('a suffixed long name still fits in 63 characters', () => {
    const out = withSuffix('x'.repeat(63), '2');
    assert.equal(out.length, 63);
    assert.ok(out.endsWith('-2'));
  });
});
