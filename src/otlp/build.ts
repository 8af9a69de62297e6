/**
 * Small constructors for the wire model, so tests and the load generator can write
 * requests without spelling out every proto3 default.
 */

import type {
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpMetric,
  OtlpMetricData,
  OtlpMetricsRequest,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
} from './model.ts';

/** A JS value as an attribute value: strings, booleans, bigints/integers as int, other numbers as double. */
export type AttributeInput =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | null
  | readonly AttributeInput[]
  | { readonly [key: string]: AttributeInput };

/**
 * An AnyValue from a JS value; integers become `int` (use `{ type: 'double', ... }`
 * directly for an integral double), `null` the empty value.
 * @example anyValueOf(200) // { type: 'int', value: 200 }
 */
export function anyValueOf(value: AttributeInput): OtlpAnyValue {
  if (value === null) return { type: 'empty' };
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'boolean') return { type: 'bool', value };
  if (typeof value === 'bigint')
    return { type: 'int', value: Number.isSafeInteger(Number(value)) ? Number(value) : value };
  if (typeof value === 'number')
    return Number.isSafeInteger(value) ? { type: 'int', value } : { type: 'double', value };
  if (value instanceof Uint8Array) return { type: 'bytes', value };
  if (Array.isArray(value)) return { type: 'array', values: value.map(anyValueOf) };
  return { type: 'kvlist', values: attributesOf(value as { readonly [key: string]: AttributeInput }) };
}

/** Key-values from an object, in its key order. */
export function attributesOf(attributes: { readonly [key: string]: AttributeInput }): OtlpKeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValueOf(value) }));
}

/** A metric with proto3 defaults for what is not given. */
export function metricOf(name: string, data: OtlpMetricData, fields: Partial<OtlpMetric> = {}): OtlpMetric {
  return { name, description: '', unit: '', metadata: [], ...fields, data };
}

/** A ScopeMetrics with an optional scope name/version. */
export function scopeMetricsOf(
  metrics: OtlpMetric[],
  scope: Partial<OtlpScopeMetrics['scope']> = {},
  schemaUrl = '',
): OtlpScopeMetrics {
  return {
    scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, ...scope },
    metrics,
    schemaUrl,
  };
}

/** A ResourceMetrics from resource attributes and scopes. */
export function resourceMetricsOf(
  attributes: { readonly [key: string]: AttributeInput },
  scopeMetrics: OtlpScopeMetrics[],
): OtlpResourceMetrics {
  return {
    resource: { attributes: attributesOf(attributes), droppedAttributesCount: 0 },
    scopeMetrics,
    schemaUrl: '',
  };
}

/** A request from its ResourceMetrics. */
export function requestOf(...resourceMetrics: OtlpResourceMetrics[]): OtlpMetricsRequest {
  return { resourceMetrics };
}
