import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBase64, encodeBase64 } from './base64.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('base64', () => {
  // RFC 4648 section 10 test vectors.
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of vectors) {
    test(`"${plain}" encodes to "${encoded}" and back`, () => {
      assert.equal(encodeBase64(bytes(plain)), encoded);
      assert.deepEqual(decodeBase64(encoded), bytes(plain));
    });
  }

  test('the URL-safe alphabet and missing padding are accepted (proto3 JSON)', () => {
    assert.deepEqual(decodeBase64('-_8'), Uint8Array.from([0xfb, 0xff]));
    assert.deepEqual(decodeBase64('Zg'), bytes('f'));
  });

  test('text that is not base64 is refused', () => {
    for (const bad of ['Z', 'Zg=', 'Zg===', 'Z g=', 'Zh==', '====']) {
      assert.equal(decodeBase64(bad), undefined, bad);
    }
  });
});
