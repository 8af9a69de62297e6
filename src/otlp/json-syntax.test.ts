import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonErrorOffset } from './json-syntax.ts';

describe('jsonErrorOffset', () => {
  const valid = ['{}', '[]', ' {"a": [1, -0.5e+3, true, false, null, "x\\"\\u00e9"]} ', '"s"', '0', '[[[]]]'];
  for (const text of valid)
    test(`${JSON.stringify(text)} is valid`, () => assert.equal(jsonErrorOffset(text), undefined));

  const invalid: [string, number][] = [
    ['{"a": [}', 7], // the } where a value belongs
    ['{"a":1,}', 7], // a trailing comma: } where a key belongs
    ['[01]', 2], // a leading zero ends the number; 1 is unexpected
    ['{"a" 1}', 5],
    ['"\u0001"', 1], // control characters must be escaped
    ['"\\x"', 2], // x is no escape
    ['[1', 2], // ends too early
    ['', 0],
    ['{} x', 3],
    ['tru', 0],
  ];
  for (const [text, offset] of invalid) {
    test(`${JSON.stringify(text)} is invalid at ${offset}`, () =>
      assert.equal(jsonErrorOffset(text), offset));
  }

  test('a million nested arrays do not overflow the stack', () => {
    assert.equal(jsonErrorOffset('['.repeat(1_000_000) + ']'.repeat(1_000_000)), undefined);
  });
});
