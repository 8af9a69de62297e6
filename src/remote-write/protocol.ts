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
import { snappyDecompress } from './snappy.ts';
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
  const protobuf = snappyDecompress(body, options.maxDecompressedBytes);
  if (!protobuf.ok) return rejected(protobuf.issues);
  const result =
    message === 'v1'
      ? visitWriteRequest(protobuf.value, visitor, options)
      : visitWriteRequestV2(protobuf.value, visitor, options);
  return { ...result, message };
}
