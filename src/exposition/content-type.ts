import type { ExpositionFormat } from './types.ts';

/** Content types Sextant sends in `Accept` and on its own `/metrics`. */
export const CONTENT_TYPES = {
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
} as const satisfies Record<ExpositionFormat, string>;

/**
 * The text format named by an HTTP `Content-Type`, or undefined when it names neither
 * (missing, protobuf, HTML error page, ...). Media types and parameter names are
 * case-insensitive (RFC 9110 §8.3.1); any version of each media type maps to its format,
 * and a version the parser does not know surfaces as parse issues rather than a guess.
 * @example contentTypeFormat('application/openmetrics-text; version=1.0.0') // 'openmetrics'
 */
export function contentTypeFormat(contentType: string | null | undefined): ExpositionFormat | undefined {
  if (!contentType) return undefined;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (mediaType === 'application/openmetrics-text') return 'openmetrics';
  if (mediaType === 'text/plain') return 'prometheus';
  return undefined;
}

/** The `version` parameter of a content type (quotes removed), if any. */
export function contentTypeVersion(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    if (eq < 0 || parameter.slice(0, eq).trim().toLowerCase() !== 'version') continue;
    return parameter
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}
