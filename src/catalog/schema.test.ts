import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import { catalogSchemas, manifestSchemas } from './schema.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const nextTask = () => new Promise((resolve) => setImmediate(resolve));

describe('catalogSchemas', () => {
  test('one build serves every caller while someone holds it', () => {
    const held = catalogSchemas();
    assert.equal(catalogSchemas(), held);
    assert.equal(manifestSchemas().Service, held.serviceManifest);
  });

  test('nothing keeps the schemas once a catalog is loaded: the collector takes them', async () => {
    const loaded = await loadCatalogFromPaths([new URL('../../examples/fleet', import.meta.url).pathname]);
    assert.equal(loaded.problems.length, 0);
    const ref = new WeakRef(catalogSchemas());
    await nextTask();
    gc();
    await nextTask();
    gc();
    assert.equal(ref.deref(), undefined, 'the catalog schemas are still reachable after the load');
  });
});
