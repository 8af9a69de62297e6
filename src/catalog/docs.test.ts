import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ISSUE_CODES, manifestJsonSchema } from './index.ts';

/** Every property name anywhere in the JSON Schema. */
function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) {
    for (const item of schema) propertyNames(item, out);
  } else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value && typeof value === 'object') {
        for (const name of Object.keys(value)) out.add(name);
      }
      propertyNames(value, out);
    }
  }
  return out;
}

test('the manifest reference documents every field of the schema', async () => {
  const doc = await readFile(new URL('../../docs/manifest.md', import.meta.url), 'utf8');
  const missing = [...propertyNames(manifestJsonSchema())].filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, [], 'add these fields to docs/manifest.md');
});

test('issue codes are dotted lowercase names, stable for grep and docs', () => {
  for (const code of Object.keys(ISSUE_CODES)) assert.match(code, /^[a-z]+\.[a-z-]+$/);
});
