/**
 * The HTTP-facing part of remote write that is still pure: which message a request
 * carries (content negotiation, spec 2.0 "Content-Type") and the whole
 * headers + body → series pipeline.
 */

import {
  type DecodeOptions,
  type DecodeResult,
  emptyDecodeStats,
  visitWriteRequest,
  visitWriteRequestV2,
  type WriteVisitor,
} from './decode.ts';
import { snappyDecodedLength, snappyDecompress } from './snappy.ts';
import type { RemoteWriteIssue } from './types.ts';

/** Content-Type of a 1.0 request (`prometheus.WriteRequest`). */
export const REMOTE_WRITE_V1_CONTENT_TYPE = 'application/x-protobuf';
/** Content-Type of a 2.0 request (`io.prometheus.write.v2.Request`). */
export const REMOTE_WRITE_V2_CONTENT_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';
export const REMOTE_WRITE_VERSION_HEADER = 'X-Prometheus-Remote-Write-Version';
/** The version header value 1.0 senders send. */
export const REMOTE_WRITE_V1_VERSION = '0.1.0';
export const REMOTE_WRITE_V2_VERSION = '2.0.0';

/** The protobuf message of a remote-write request. */
export type RemoteWriteMessage = 'v1' | 'v2';

/**
 * Which message a Content-Type header names, or undefined when it names neither (the
 * receiver answers 415). A missing header is read as 1.0, as Prometheus's own receiver
 * does, for 1.0 senders that omit it.
 * @example remoteWriteMessageOf('application/x-protobuf;proto=io.prometheus.write.v2.Request') // 'v2'
 */
export function remoteWriteMessageOf(contentType: string | undefined): RemoteWriteMessage | undefined {
  if (contentType === undefined || contentType.trim() === '') return 'v1';
  const [mediaType = '', ...params] = contentType.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/x-protobuf') return undefined;
  let proto = 'prometheus.WriteRequest';
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'proto') continue;
    proto = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  if (proto === 'prometheus.WriteRequest') return 'v1';
  if (proto === 'io.prometheus.write.v2.Request') return 'v2';
  return undefined;
}

/** Request headers that select how a body is read. */
export interface RemoteWriteHeaders {
  contentType?: string;
  contentEncoding?: string;
}

/** Options for `visitRemoteWriteBody`: decode options plus the decompressed-size limit. */
export interface BodyOptions extends DecodeOptions {
  /** Largest decompressed payload accepted, checked before allocating. */
  maxDecompressedBytes: number;
}

/**
 * Payloads up to this size are decompressed into one buffer kept for the next request.
 * A receiver decodes one body after another, and a fresh megabyte per request is
 * promoted to V8's old generation while the body is decoded, then waits for a full
 * collection: at the peak of `npm run bench -- ingest` (5,000 samples, 1 MB per request)
 * heaptrack found 47 of them resident, 47 MB. Larger payloads (rare: Prometheus
 * sends at most 2,000 samples, about 400 KB, by default) get their own buffer, so an
 * occasional huge request does not stay resident.
 */
const SCRATCH_MAX_BYTES = 4 << 20;
let scratch = new Uint8Array(0);
/** Set while a body is decoded from `scratch` (a visitor that decodes another body gets its own). */
let scratchInUse = false;

/** The reusable buffer for a payload of `length` bytes, or undefined when it must not be used. */
function scratchFor(length: number): Uint8Array | undefined {
  if (scratchInUse || length > SCRATCH_MAX_BYTES) return undefined;
  if (scratch.length < length) {
    scratch = new Uint8Array(Math.min(SCRATCH_MAX_BYTES, Math.max(length, 2 * scratch.length)));
  }
  return scratch;
}

function rejected(issues: RemoteWriteIssue[]): DecodeResult & { message?: RemoteWriteMessage } {
  return { ok: false, issues, stats: emptyDecodeStats() };
}

/**
 * Negotiates, decompresses and decodes one remote-write request body. Issues with codes
 * `request.*` mean 415 Unsupported Media Type; any other issue means 400.
 * @example visitRemoteWriteBody(body, { contentType, contentEncoding }, visitor, { maxDecompressedBytes: 32 << 20 })
 */
export function visitRemoteWriteBody(
  body: Uint8Array,
  headers: RemoteWriteHeaders,
  visitor: WriteVisitor,
  options: BodyOptions,
): DecodeResult & { message?: RemoteWriteMessage } {
  const message = remoteWriteMessageOf(headers.contentType);
  if (message === undefined) {
    return rejected([
      {
        code: 'request.content-type',
        message: `unsupported Content-Type ${JSON.stringify(headers.contentType)}`,
        offset: 0,
        path: [],
      },
    ]);
  }
  const encoding = (headers.contentEncoding ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'snappy') {
    return rejected([
      {
        code: 'request.content-encoding',
        message: `unsupported Content-Encoding ${JSON.stringify(headers.contentEncoding)}; use snappy`,
        offset: 0,
        path: [],
      },
    ]);
  }
  const declared = snappyDecodedLength(body);
  const into =
    declared.ok && declared.value.length <= options.maxDecompressedBytes
      ? scratchFor(declared.value.length)
      : undefined;
  const protobuf = snappyDecompress(body, options.maxDecompressedBytes, into);
  if (!protobuf.ok) return rejected(protobuf.issues);
  const owned = into !== undefined && protobuf.value.buffer === into.buffer;
  if (owned) scratchInUse = true;
  try {
    const result =
      message === 'v1'
        ? visitWriteRequest(protobuf.value, visitor, options)
        : visitWriteRequestV2(protobuf.value, visitor, options);
    return { ...result, message };
  } finally {
    if (owned) scratchInUse = false;
  }
}
