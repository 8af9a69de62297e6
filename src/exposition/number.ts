/**
 * Number syntax of the two text formats, read straight from the source string between
 * two offsets (no per-token substring unless a value needs one).
 *
 * - OpenMetrics `number` (ABNF): `[sign] 1*digit ["." *digit] ["e" [sign] 1*digit]`,
 *   `[sign] *digit "." 1*digit [...]`, `[sign] ("inf" / "infinity")`, `"nan"`, case-insensitive.
 * - Prometheus values are Go `strconv.ParseFloat`: the same, plus hex floats (`0x1p-3`).
 * - Prometheus timestamps are Go `strconv.ParseInt`: a signed int64 of milliseconds.
 * - OpenMetrics timestamps are `realnumber` seconds (no inf, no nan).
 */

const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Case-insensitive: does text[i, end) spell exactly `word` (lower case)? */
function spells(text: string, i: number, end: number, word: string): boolean {
  if (end - i !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((text.charCodeAt(i + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Offset just past a decimal real number starting at `i`, or -1 if there is none. */
function realNumberEnd(text: string, i: number, end: number): number {
  let digits = 0;
  while (i < end && isDigit(text.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < end && text.charCodeAt(i) === DOT) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return -1;
  if (i < end && (text.charCodeAt(i) | 0x20) === LOWER_E) {
    i++;
    if (i < end && (text.charCodeAt(i) === PLUS || text.charCodeAt(i) === MINUS)) i++;
    let exponentDigits = 0;
    while (i < end && isDigit(text.charCodeAt(i))) {
      i++;
      exponentDigits++;
    }
    if (exponentDigits === 0) return -1;
  }
  return i;
}

/**
 * A sample value in text[start, end): OpenMetrics `number`, or with `allowHex` Go's
 * ParseFloat. Returns undefined when the token is not a number or overflows float64.
 */
export function parseFloatToken(
  text: string,
  start: number,
  end: number,
  allowHex: boolean,
): number | undefined {
  if (start >= end) return undefined;
  // Fast path: a plain integer short enough to be exact (counters, buckets).
  if (end - start <= 15) {
    let value = 0;
    let i = start;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (!isDigit(c)) break;
      value = value * 10 + (c - ZERO);
    }
    if (i === end) return value;
  }
  let i = start;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === PLUS || first === MINUS) {
    negative = first === MINUS;
    i++;
  }
  if (i >= end) return undefined;
  const lead = text.charCodeAt(i) | 0x20;
  if (lead === 105 /* i */) {
    if (spells(text, i, end, 'inf') || spells(text, i, end, 'infinity')) {
      return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    }
    return undefined;
  }
  if (lead === 110 /* n */) return i === start && spells(text, i, end, 'nan') ? Number.NaN : undefined;
  if (allowHex && text.charCodeAt(i) === ZERO && i + 1 < end && (text.charCodeAt(i + 1) | 0x20) === 120) {
    const value = parseHexFloat(text, i + 2, end);
    return value === undefined ? undefined : negative ? -value : value;
  }
  if (realNumberEnd(text, i, end) !== end) return undefined;
  const value = Number(text.slice(start, end));
  return Number.isFinite(value) ? value : undefined;
}

const HEX_DIGIT = /^[0-9a-f]$/i;

/** Go hex float after `0x`: hex mantissa with optional point, then a mandatory `p` exponent. */
function parseHexFloat(text: string, i: number, end: number): number | undefined {
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  let seenPoint = false;
  for (; i < end; i++) {
    const ch = text[i] as string;
    if (ch === '.' && !seenPoint) {
      seenPoint = true;
      continue;
    }
    if (!HEX_DIGIT.test(ch)) break;
    mantissa = mantissa * 16 + Number.parseInt(ch, 16);
    digits++;
    if (seenPoint) fractionDigits++;
  }
  if (digits === 0 || i >= end || (text.charCodeAt(i) | 0x20) !== 112 /* p */) return undefined;
  const exponentStart = i + 1;
  let j = exponentStart;
  if (j < end && (text.charCodeAt(j) === PLUS || text.charCodeAt(j) === MINUS)) j++;
  if (j >= end) return undefined;
  for (; j < end; j++) if (!isDigit(text.charCodeAt(j))) return undefined;
  const exponent = Number(text.slice(exponentStart, end)) - 4 * fractionDigits;
  const value = mantissa * 2 ** exponent;
  return Number.isFinite(value) ? value : undefined;
}

/**
 * An OpenMetrics timestamp (float seconds) in text[start, end) as milliseconds. The
 * decimal point is moved three places in the decimal string before it becomes a float,
 * so `1520879607.789` is exactly 1520879607789, not 1520879607789.0002.
 */
export function parseSecondsToMs(text: string, start: number, end: number): number | undefined {
  let i = start;
  const first = text.charCodeAt(i);
  if (first === PLUS || first === MINUS) i++;
  if (realNumberEnd(text, i, end) !== end) return undefined;
  const token = text.slice(start, end);
  let exponentAt = token.indexOf('e');
  if (exponentAt < 0) exponentAt = token.indexOf('E');
  const mantissa = exponentAt < 0 ? token : token.slice(0, exponentAt);
  const exponent = exponentAt < 0 ? 0 : Number(token.slice(exponentAt + 1));
  const dot = mantissa.indexOf('.');
  const whole = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const fraction = dot < 0 ? '' : mantissa.slice(dot + 1);
  const ms = Number(`${whole}${fraction}e${exponent + 3 - fraction.length}`);
  return Number.isFinite(ms) ? ms : undefined;
}

const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

/** A Prometheus timestamp: Go ParseInt, base 10, int64 milliseconds. */
export function parseInt64(text: string, start: number, end: number): number | undefined {
  let i = start;
  const first = text.charCodeAt(i);
  const negative = first === MINUS;
  if (first === PLUS || first === MINUS) i++;
  if (i >= end) return undefined;
  for (let k = i; k < end; k++) if (!isDigit(text.charCodeAt(k))) return undefined;
  while (i < end - 1 && text.charCodeAt(i) === ZERO) i++;
  const digits = end - i;
  if (digits >= 19) {
    const limit = negative ? INT64_MIN_ABS : INT64_MAX;
    if (digits > 19 || text.slice(i, end) > limit) return undefined;
  }
  return Number(text.slice(start, end));
}

/**
 * The OpenMetrics canonical rendering of a number for `le` and `quantile` label values:
 * Go's shortest `%g` (exponent when it is < -4 or >= 6, at least two exponent digits)
 * with `.0` added when there is neither point nor exponent.
 * @example formatCanonicalFloat(1) // '1.0'; formatCanonicalFloat(1e6) // '1e+06'
 */
export function formatCanonicalFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const exponential = value.toExponential();
  const e = exponential.indexOf('e');
  const exponent = Number(exponential.slice(e + 1));
  if (exponent < -4 || exponent >= 6) {
    const magnitude = Math.abs(exponent);
    return `${exponential.slice(0, e)}e${exponent < 0 ? '-' : '+'}${magnitude < 10 ? '0' : ''}${magnitude}`;
  }
  const fixed = String(value);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/** A sample value as both formats accept it; round-trips every float64, -0 included. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/**
 * Milliseconds as OpenMetrics decimal seconds, moving the point in the decimal string
 * so that `parseSecondsToMs` gives back exactly the same float.
 */
export function formatMsAsSeconds(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`timestamp ${ms} is not finite`);
  if (ms === 0) return '0';
  const text = String(Math.abs(ms));
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const dot = mantissa.indexOf('.');
  let digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  // value = digits × 10^scale seconds
  let scale = (e < 0 ? 0 : Number(text.slice(e + 1))) - (dot < 0 ? 0 : mantissa.length - dot - 1) - 3;
  digits = digits.replace(/^0+(?=\d)/, '');
  while (scale < 0 && digits.length > 1 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale++;
  }
  const sign = ms < 0 ? '-' : '';
  if (scale >= 0) return scale <= 20 ? sign + digits + '0'.repeat(scale) : `${sign}${digits}e${scale}`;
  const places = -scale;
  if (places > 30) return `${sign}${digits}e-${places}`;
  if (digits.length > places) return `${sign}${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return `${sign}0.${'0'.repeat(places - digits.length)}${digits}`;
}
