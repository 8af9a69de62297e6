import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { BodyPool, readBody } from './request-body.ts';

/** A request whose body arrives in `chunks`, with a Content-Length when given. */
function request(chunks: string[], contentLength?: number): IncomingMessage {
  const stream = Readable.from(chunks.map((chunk) => Buffer.from(chunk)));
  return Object.assign(stream, {
    headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) },
  }) as unknown as IncomingMessage;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

describe('readBody', () => {
  test('a body in several chunks is read whole, with or without Content-Length', async () => {
    const pool = new BodyPool();
    for (const length of [11, undefined]) {
      const read = await readBody(request(['hello', ' ', 'world'], length), pool, 1024);
      assert.ok(read.ok);
      assert.equal(text(read.body), 'hello world');
      read.release();
    }
  });

  test('a released buffer is reused by the next body, which reads only its own bytes', async () => {
    const pool = new BodyPool();
    const first = await readBody(request(['a longer first body'], 19), pool, 1024);
    assert.ok(first.ok);
    first.release();
    const second = await readBody(request(['short'], 5), pool, 1024);
    assert.ok(second.ok);
    assert.equal(second.body.buffer, first.body.buffer);
    assert.equal(text(second.body), 'short');
  });

  test('a body over the limit is refused, by its Content-Length or as it arrives', async () => {
    const pool = new BodyPool();
    const declared = await readBody(request(['x'.repeat(10)], 10), pool, 5);
    assert.deepEqual(declared.ok ? 'read' : declared.reason, 'too-large');
    const streamed = await readBody(request(['xxx', 'xxx']), pool, 5);
    assert.deepEqual(streamed.ok ? 'read' : streamed.reason, 'too-large');
  });
});
