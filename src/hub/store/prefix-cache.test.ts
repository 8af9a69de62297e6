import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PrefixCache } from './prefix-cache.ts';

describe('PrefixCache', () => {
  test('a prefix answers only at the revision it was kept with', () => {
    const cache = new PrefixCache();
    cache.set(100, 'edge-1', 'a/x', { rev: 3, good: 9, total: 10 });
    assert.deepEqual(cache.get(100, 'edge-1', 'a/x', 3), { rev: 3, good: 9, total: 10 });
    assert.equal(cache.get(100, 'edge-1', 'a/x', 4), undefined);
    assert.equal(cache.get(105, 'edge-1', 'a/x', 3), undefined);
    assert.equal(cache.get(100, 'edge-1', 'a/y', 3), undefined);
    assert.equal(cache.get(100, 'edge-2', 'a/x', 3), undefined);
  });

  test('pairs added after a boundary was first kept find room in it', () => {
    const cache = new PrefixCache();
    for (let u = 0; u < 500; u++) cache.set(100, `edge-${u}`, 'a/x', { rev: 0, good: u, total: 2 * u });
    assert.equal(cache.size, 500);
    assert.deepEqual(cache.get(100, 'edge-499', 'a/x', 0), { rev: 0, good: 499, total: 998 });
    assert.deepEqual(cache.get(100, 'edge-0', 'a/x', 0), { rev: 0, good: 0, total: 0 });
  });

  test('the boundary used least recently is dropped first', () => {
    const cache = new PrefixCache(2);
    cache.set(100, 'edge-1', 'a/x', { rev: 0, good: 1, total: 1 });
    cache.set(105, 'edge-1', 'a/x', { rev: 0, good: 2, total: 2 });
    cache.touch(100);
    cache.set(110, 'edge-1', 'a/x', { rev: 0, good: 3, total: 3 });
    assert.equal(cache.has(105), false);
    assert.equal(cache.has(100), true);
    assert.equal(cache.has(110), true);
    assert.equal(cache.size, 2);
  });

  test('boundaries are dropped, least recently used first, to stay within the byte bound', () => {
    // 64 slots x 24 bytes: 1,536 bytes per boundary; room for two.
    const cache = new PrefixCache(16, 2 * 1536);
    for (const minute of [100, 105, 110])
      cache.set(minute, 'edge-1', 'a/x', { rev: 0, good: minute, total: minute });
    assert.equal(cache.has(100), false);
    assert.equal(cache.has(105), true);
    assert.equal(cache.has(110), true);
    assert.ok(cache.bytes <= 2 * 1536);
    // A boundary that alone is over the bound is kept, the others go.
    const tight = new PrefixCache(16, 100);
    tight.set(100, 'edge-1', 'a/x', { rev: 0, good: 1, total: 1 });
    tight.set(105, 'edge-1', 'a/x', { rev: 0, good: 2, total: 2 });
    assert.equal(tight.has(100), false);
    assert.deepEqual(tight.get(105, 'edge-1', 'a/x', 0), { rev: 0, good: 2, total: 2 });
    // Growing a boundary for new pairs counts too.
    const growing = new PrefixCache(16, 2 * 1536 + 100); // 100 pairs grow 105 to 128 slots, 3,072 bytes
    growing.set(100, 'edge-0', 'a/x', { rev: 0, good: 0, total: 0 });
    for (let u = 0; u < 100; u++) growing.set(105, `edge-${u}`, 'a/x', { rev: 0, good: u, total: u });
    assert.equal(growing.has(100), false);
    assert.deepEqual(growing.get(105, 'edge-99', 'a/x', 0), { rev: 0, good: 99, total: 99 });
  });
});
