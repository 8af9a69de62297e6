import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandGlob, matchGlob, matchSegment } from './glob.ts';

describe('matchSegment and matchGlob', () => {
  test('* matches within one segment', () => {
    assert.equal(matchSegment('*.yaml', 'team-a.yaml'), true);
    assert.equal(matchSegment('*.yaml', 'notes.txt'), false);
  });

  test('? matches exactly one character', () => {
    assert.equal(matchSegment('team-?.yaml', 'team-a.yaml'), true);
    assert.equal(matchSegment('team-?.yaml', 'team-ab.yaml'), false);
  });

  test('regex characters in a pattern are literal', () => {
    assert.equal(matchSegment('a+b.yaml', 'a+b.yaml'), true);
    assert.equal(matchSegment('a+b.yaml', 'aab.yaml'), false);
  });

  test('wildcards do not match hidden files', () => {
    assert.equal(matchSegment('*.yaml', '.draft.yaml'), false);
    assert.equal(matchSegment('.*.yaml', '.draft.yaml'), true);
  });

  test('* does not cross a slash', () => {
    assert.equal(matchGlob('teams/*.yaml', 'teams/a/b.yaml'), false);
  });

  test('** matches zero or more directories', () => {
    assert.equal(matchGlob('**/catalog-info.yaml', 'catalog-info.yaml'), true);
    assert.equal(matchGlob('**/catalog-info.yaml', 'a/b/catalog-info.yaml'), true);
    assert.equal(matchGlob('a/**/c.yaml', 'a/c.yaml'), true);
    assert.equal(matchGlob('a/**/c.yaml', 'b/c.yaml'), false);
  });
});

/** An in-memory tree: file paths to contents; directories are implied. */
function lister(files: readonly string[]) {
  return async (dir: string): Promise<string[] | undefined> => {
    const prefix = dir === '.' ? '' : `${dir.replace(/\/$/, '')}/`;
    const names = new Set<string>();
    for (const file of files) {
      if (file.startsWith(prefix) && file !== dir) names.add(file.slice(prefix.length).split('/')[0]!);
    }
    return names.size > 0 ? [...names] : undefined;
  };
}

describe('expandGlob', () => {
  const tree = [
    'repo/teams/team-b.yaml',
    'repo/teams/team-a.yaml',
    'repo/teams/notes.txt',
    'repo/teams/.draft.yaml',
    'repo/svc/x/catalog-info.yaml',
    'repo/catalog-info.yaml',
  ];

  test('./teams/*.yaml finds the two team files, sorted, and skips the text and hidden files', async () => {
    assert.deepEqual(await expandGlob('repo/teams/*.yaml', lister(tree)), [
      'repo/teams/team-a.yaml',
      'repo/teams/team-b.yaml',
    ]);
  });

  test('**/catalog-info.yaml finds files at every depth', async () => {
    assert.deepEqual(await expandGlob('repo/**/catalog-info.yaml', lister(tree)), [
      'repo/catalog-info.yaml',
      'repo/svc/x/catalog-info.yaml',
    ]);
  });

  test('a directory matching the last segment is not a file', async () => {
    assert.deepEqual(await expandGlob('repo/*', lister(tree)), ['repo/catalog-info.yaml']);
  });

  test('an absolute pattern starts at the root', async () => {
    assert.deepEqual(await expandGlob('/repo/teams/team-?.yaml', lister(tree.map((file) => `/${file}`))), [
      '/repo/teams/team-a.yaml',
      '/repo/teams/team-b.yaml',
    ]);
  });

  test('a pattern under a missing directory matches nothing', async () => {
    assert.deepEqual(await expandGlob('nowhere/*.yaml', lister(tree)), []);
  });
});
