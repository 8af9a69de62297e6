/**
 * Prometheus remote write, pure: the snappy block codec, protobuf decoders for 1.0
 * (`prometheus.WriteRequest`) and 2.0 (`io.prometheus.write.v2.Request`) built for the
 * ingest hot path, and encoders. No I/O, no dependencies.
 *
 * Receiving, in the order an HTTP handler needs it:
 * - `visitRemoteWriteBody(body, { contentType, contentEncoding }, visitor, options)` does
 *   negotiation, `snappyDecompress` (size limit checked before allocating) and decoding.
 *   The payload is decompressed into a buffer that the next call reuses, so nothing a
 *   visitor is handed may be kept past the call (label strings are copies; keep those).
 *   `request.*` issues mean 415; any other issue means 400.
 * - The visitor's `onSeries(view)` gets each valid series through a reused `SeriesView`:
 *   counts, samples and the stale flag are read from typed arrays, label strings are
 *   interned on demand. `acceptMetricName` drops unwanted series from `__name__` alone;
 *   pass a long-lived `LabelInterner` so label strings are decoded once per process.
 * - Validation follows the specs' MUSTs (see decode.ts). A wire-format error stops the
 *   decode; a semantic error rejects only its series, so valid series are still
 *   delivered and the caller can write them and answer 400 (spec: partial writes).
 *   Series reach the visitor before the request is fully read: stage what you write and
 *   commit on `ok`, or accept the partial write the spec permits.
 *
 * Native histograms are validated field by field while decoding; `view.histogram(i)`
 * decodes one fully (count, sum, schema, zero bucket, spans, deltas or counts, reset
 * hint, custom values) only when asked. Stale markers (NaN 0x7ff0000000000002) are
 * flagged per sample, since NaN payloads do not survive as JavaScript numbers, and the
 * encoders write their exact bits.
 */

export {
  type DecodeOptions,
  type DecodeResult,
  type DecodeStats,
  decodeWriteRequest,
  decodeWriteRequestV2,
  emptyDecodeStats,
  type SeriesView,
  visitWriteRequest,
  visitWriteRequestV2,
  type WriteVisitor,
} from './decode.ts';
export { encodeWriteRequest, encodeWriteRequestV2 } from './encode.ts';
export { LabelInterner } from './intern.ts';
export {
  type BodyOptions,
  REMOTE_WRITE_V1_CONTENT_TYPE,
  REMOTE_WRITE_V1_VERSION,
  REMOTE_WRITE_V2_CONTENT_TYPE,
  REMOTE_WRITE_V2_VERSION,
  REMOTE_WRITE_VERSION_HEADER,
  type RemoteWriteHeaders,
  type RemoteWriteMessage,
  remoteWriteMessageOf,
  visitRemoteWriteBody,
} from './protocol.ts';
export {
  snappyCompress,
  snappyDecodedLength,
  snappyDecompress,
  snappyMaxCompressedLength,
} from './snappy.ts';
export type * from './types.ts';
export { METRIC_TYPES, REMOTE_WRITE_ISSUE_CODES } from './types.ts';
