/**
 * Request bodies read straight from the socket into buffers that later requests reuse.
 *
 * Reading a body through the web `Request` (`c.req.arrayBuffer()`) keeps every socket
 * chunk until the body is complete, concatenates them, then copies the result: three
 * allocations of the body's size per request, and under load they outlive two young-
 * generation collections (other requests are decoded meanwhile), so V8 promotes them and
 * frees them only at its next full collection. At 400,000 samples/s that garbage held
 * tens of MB of resident memory. Here each chunk is copied into a pooled buffer as it
 * arrives and dies young; the pooled buffer goes back to the pool when the handler is done.
 */

import type { IncomingMessage } from 'node:http';

/** Buffers up to this size are kept for reuse; larger bodies get their own. */
const POOLED_MAX_BYTES = 1 << 20;
/** Buffers kept at most: about the number of requests read at once. */
const POOL_SIZE = 16;

/** A body read, or why not. */
export type BodyRead =
  | { ok: true; body: Uint8Array; release: () => void }
  | { ok: false; reason: 'too-large' | 'aborted'; message: string };

/** Free buffers for request bodies, kept for the next ones. */
export class BodyPool {
  readonly #free: Uint8Array[] = [];

  /** A buffer of at least `length` bytes (contents undefined). */
  take(length: number): Uint8Array {
    for (let i = 0; i < this.#free.length; i++) {
      const buffer = this.#free[i]!;
      if (buffer.length >= length) {
        this.#free.splice(i, 1);
        return buffer;
      }
    }
    return new Uint8Array(length <= POOLED_MAX_BYTES ? Math.max(length, 64 << 10) : length);
  }

  give(buffer: Uint8Array): void {
    if (buffer.length <= POOLED_MAX_BYTES && this.#free.length < POOL_SIZE) this.#free.push(buffer);
  }
}

/**
 * Reads the body of `incoming`, at most `maxBytes`, into a buffer of `pool`. Call
 * `release` when nothing refers to the body any more.
 */
export function readBody(incoming: IncomingMessage, pool: BodyPool, maxBytes: number): Promise<BodyRead> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    incoming.resume();
    return Promise.resolve({ ok: false, reason: 'too-large', message: `body larger than ${maxBytes} bytes` });
  }
  return new Promise((resolve) => {
    let buffer = pool.take(Number.isFinite(declared) && declared > 0 ? declared : 64 << 10);
    let length = 0;
    let settled = false;
    const finish = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (!result.ok) pool.give(buffer);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      if (length + chunk.length > maxBytes) {
        incoming.resume();
        finish({ ok: false, reason: 'too-large', message: `body larger than ${maxBytes} bytes` });
        return;
      }
      if (length + chunk.length > buffer.length) {
        const grown = pool.take(Math.min(maxBytes, Math.max(length + chunk.length, 2 * buffer.length)));
        grown.set(buffer.subarray(0, length));
        pool.give(buffer);
        buffer = grown;
      }
      buffer.set(chunk, length);
      length += chunk.length;
    };
    const onEnd = () => {
      const full = buffer;
      finish({ ok: true, body: full.subarray(0, length), release: () => pool.give(full) });
    };
    const onError = (error: Error) => finish({ ok: false, reason: 'aborted', message: error.message });
    const onClose = () => {
      if (!incoming.readableEnded) finish({ ok: false, reason: 'aborted', message: 'the client went away' });
    };
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
