/**
 * The decoder's front door: body bytes or text in, a normalized batch (or the issues that
 * refuse the whole request) out, and the response body for either content type.
 */

import { decodeMetricsRequestJson, encodeMetricsResponseJson } from './json-codec.ts';
import {
  type OtlpDecodeOptions,
  type OtlpMetricsBatch,
  type OtlpMetricsRequest,
  type OtlpPartialSuccess,
  type OtlpResult,
  type ResolvedDecodeOptions,
  resolveOptions,
} from './model.ts';
import { normalizeMetricsRequest } from './normalize.ts';
import { decodeMetricsRequestProtobuf, encodeMetricsResponseProtobuf } from './protobuf-codec.ts';

/**
 * Decodes an OTLP/HTTP protobuf body (`application/x-protobuf`) of `POST /v1/metrics`.
 * Never throws; a failure's issues carry byte offsets.
 * @example
 * const result = decodeMetricsProtobuf(body, { maxDataPoints: 50_000 });
 * if (result.ok) reduce(result.value.points); // then answer encodeMetricsResponse(result.value, 'protobuf')
 */
export function decodeMetricsProtobuf(
  bytes: Uint8Array,
  options?: OtlpDecodeOptions,
): OtlpResult<OtlpMetricsBatch> {
  const resolved = resolveOptions(options);
  return normalized(decodeMetricsRequestProtobuf(bytes, resolved), resolved);
}

/**
 * Decodes an OTLP/HTTP JSON body (`application/json`) of `POST /v1/metrics`. Never
 * throws; a failure's issues carry field paths (or, for syntax errors, a character offset).
 */
export function decodeMetricsJson(text: string, options?: OtlpDecodeOptions): OtlpResult<OtlpMetricsBatch> {
  const resolved = resolveOptions(options);
  return normalized(decodeMetricsRequestJson(text, resolved), resolved);
}

function normalized(
  decoded: OtlpResult<OtlpMetricsRequest>,
  options: ResolvedDecodeOptions,
): OtlpResult<OtlpMetricsBatch> {
  if (!decoded.ok) return decoded;
  try {
    return normalizeMetricsRequest(decoded.value, options);
  } catch (thrown) {
    const message = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    return { ok: false, issues: [{ code: 'internal', message }] };
  }
}

/**
 * The `ExportMetricsServiceResponse` body for a 200 answer, in the request's encoding:
 * `partial_success` is set only when points were rejected or there is a message.
 * @example encodeMetricsResponse({ rejectedDataPoints: 0, errorMessage: '' }, 'json') // '{}'
 */
export function encodeMetricsResponse(partial: OtlpPartialSuccess, format: 'protobuf'): Uint8Array;
export function encodeMetricsResponse(partial: OtlpPartialSuccess, format: 'json'): string;
export function encodeMetricsResponse(
  partial: OtlpPartialSuccess,
  format: 'protobuf' | 'json',
): Uint8Array | string;
export function encodeMetricsResponse(
  partial: OtlpPartialSuccess,
  format: 'protobuf' | 'json',
): Uint8Array | string {
  const body = { rejectedDataPoints: partial.rejectedDataPoints, errorMessage: partial.errorMessage };
  return format === 'protobuf' ? encodeMetricsResponseProtobuf(body) : encodeMetricsResponseJson(body);
}
