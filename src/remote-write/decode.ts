/**
 * Zero-dependency decoders for remote write 1.0 (`prometheus.WriteRequest`) and 2.0
 * (`io.prometheus.write.v2.Request`) protobuf payloads (already snappy-decompressed).
 *
 * Hot path design: a series is parsed into byte ranges and typed arrays held by one
 * reused cursor; nothing is allocated per sample and no label becomes a string until
 * the caller asks for it. `acceptMetricName` sees the interned `__name__` first, so the
 * ~90% of a stream no SLI selects is validated and dropped without building strings.
 *
 * Validation follows the specs' MUSTs: label names sorted, not repeated, not empty;
 * label values not empty; strings valid UTF-8; v2 symbols start with "" and references
 * are in range; a v2 series does not mix samples and histograms. A wire-format error
 * (truncation, bad length, wrong wire type for a known field) stops decoding; a
 * semantic error rejects only its series, which is not delivered, and decoding goes on,
 * so a caller can write the valid series and answer 400 (spec: partial writes).
 */

import { LabelInterner } from './intern.ts';
import type {
  BucketSpan,
  Exemplar,
  Histogram,
  HistogramResetHint,
  Label,
  MetricMetadata,
  MetricType,
  RemoteWriteIssue,
  RemoteWriteIssueCode,
  Result,
  Sample,
  SeriesMetadata,
  TimeSeries,
  TimeSeriesV2,
  WriteRequest,
  WriteRequestV2,
} from './types.ts';
import { METRIC_TYPES } from './types.ts';
import {
  compareRanges,
  decodeUtf8,
  isAscii,
  isStaleBits,
  isUtf8,
  rangeEquals,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  WireReader,
} from './wire.ts';

/** Options shared by both decoders. */
export interface DecodeOptions {
  /**
   * Decides from the metric name alone ('' when a series has no `__name__`) whether a
   * series is delivered; called after the series is validated, before any other label
   * is turned into a string. Omit to deliver every valid series.
   */
  acceptMetricName?: (name: string) => boolean;
  /** A long-lived interner, so label strings are decoded once per process, not per request. */
  interner?: LabelInterner;
  /** Accept label names out of order (some senders append labels unsorted); they are sorted before delivery. */
  allowUnsortedLabels?: boolean;
  /** Accept empty label values instead of rejecting the series. */
  allowEmptyLabelValues?: boolean;
  /** Stop collecting issues after this many (default 20); `stats.invalidSeries` still counts all. */
  maxIssues?: number;
}

/** Callbacks for `visitWriteRequest` / `visitWriteRequestV2`. */
export interface WriteVisitor {
  /**
   * One valid, accepted series. The view is reused: read what you need inside the
   * callback and do not keep it. Series are delivered in request order.
   */
  onSeries?(series: SeriesView): void;
  /** One v1 `WriteRequest.metadata` entry (v2 carries metadata per series). */
  onMetadata?(metadata: MetricMetadata): void;
}

/**
 * A read-only window on the series being decoded. Accessors decode lazily: counts and
 * numbers are free, strings are interned on first use, histograms and exemplars are
 * parsed only when asked for.
 */
export interface SeriesView {
  /** Position of the series in the request. */
  readonly index: number;
  /** The `__name__` value, or ''. */
  readonly metricName: string;
  readonly labelCount: number;
  labelName(i: number): string;
  labelValue(i: number): string;
  /** The value of the label called `name`, or undefined. */
  label(name: string): string | undefined;
  /** All labels, sorted by name (allocates). */
  labels(): Label[];
  readonly sampleCount: number;
  sampleValue(i: number): number;
  sampleTimestampMs(i: number): number;
  /** True only for the stale marker 0x7ff0000000000002, not for other NaNs. */
  sampleIsStale(i: number): boolean;
  /** All samples (allocates). */
  samples(): Sample[];
  readonly histogramCount: number;
  histogram(i: number): Histogram;
  histograms(): Histogram[];
  readonly exemplarCount: number;
  exemplar(i: number): Exemplar;
  exemplars(): Exemplar[];
  /** v2 `created_timestamp` (0 when unset, and always 0 for v1). */
  readonly createdTimestampMs: number;
  /** v2 per-series metadata ('unknown', '', '' when unset, and always for v1). */
  metadata(): SeriesMetadata;
}

/** What a decode saw. Totals count every parsed series; `accepted*` count what was delivered. */
export interface DecodeStats {
  series: number;
  samples: number;
  histograms: number;
  exemplars: number;
  metadata: number;
  acceptedSeries: number;
  acceptedSamples: number;
  acceptedHistograms: number;
  acceptedExemplars: number;
  /** Valid series dropped by `acceptMetricName`. */
  skippedSeries: number;
  /** Series rejected with an issue (not delivered). */
  invalidSeries: number;
}

/**
 * The outcome of a visit. On failure `stats` still says what was delivered before and
 * around the problems, since the visitor has already seen those series.
 */
export type DecodeResult =
  | { ok: true; value: DecodeStats }
  | { ok: false; issues: RemoteWriteIssue[]; stats: DecodeStats };

const textEncoder = new TextEncoder();
const NAME_LABEL = textEncoder.encode('__name__');
const RESET_HINTS: readonly HistogramResetHint[] = ['unknown', 'yes', 'no', 'gauge'];
const EMPTY = new Uint8Array(0);
/** Stride of the per-label scratch: name start/end, value start/end, name/value symbol refs. */
const L = 6;

function grownInt32(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const next = new Int32Array(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

function grownFloat64(a: Float64Array, need: number): Float64Array {
  if (need <= a.length) return a;
  const next = new Float64Array(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

function metricTypeOf(n: number): MetricType {
  return METRIC_TYPES[n] ?? 'unknown';
}

function emptyHistogram(): Histogram {
  return {
    count: 0,
    countIsFloat: false,
    sum: 0,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    zeroCountIsFloat: false,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    resetHint: 'unknown',
    timestampMs: 0,
    customValues: [],
  };
}

/** Reads a BucketSpan {sint32 offset = 1; uint32 length = 2}. */
function readSpan(r: WireReader, end: number, out: BucketSpan[] | null): boolean {
  let offset = 0;
  let length = 0;
  while (r.pos < end) {
    const at = r.pos;
    const f = r.tag(end);
    if (f < 0) return false;
    if (f === 1 || f === 2) {
      if (!r.expect(WIRE_VARINT, f === 1 ? 'BucketSpan.offset' : 'BucketSpan.length', at)) return false;
      if (r.varint(end) < 0) return false;
      if (f === 1) offset = r.sint32();
      else length = r.lo;
    } else if (!r.skip(end)) return false;
  }
  out?.push({ offset, length });
  return true;
}

/** Reads a repeated sint64 field, packed (wire type 2) or not (wire type 0). */
function readSint64s(r: WireReader, end: number, field: string, out: number[] | null): boolean {
  const at = r.pos;
  let stop = end;
  let packed = false;
  if (r.wireType === WIRE_LEN) {
    stop = r.lengthEnd(end);
    if (stop < 0) return false;
    packed = true;
  } else if (!r.expect(WIRE_VARINT, field, at)) return false;
  // Packed: every varint up to `stop` (possibly none). Unpacked: exactly one.
  while (!packed || r.pos < stop) {
    const vAt = r.pos;
    if (r.varint(stop) < 0) return false;
    const v = r.sint64();
    if (Number.isNaN(v)) r.note('proto.int-range', vAt, `${field} value is outside ±(2^53-1)`);
    out?.push(v);
    if (!packed) break;
  }
  return true;
}

/** Reads a repeated double field, packed (wire type 2) or not (wire type 1). */
function readDoubles(r: WireReader, end: number, field: string, out: number[] | null): boolean {
  const at = r.pos;
  if (r.wireType === WIRE_LEN) {
    const stop = r.lengthEnd(end);
    if (stop < 0) return false;
    if ((stop - r.pos) % 8 !== 0)
      return r.failed('proto.length', at, `packed ${field} is not a multiple of 8 bytes`);
    for (let p = r.pos; p < stop; p += 8) out?.push(r.view.getFloat64(p, true));
    r.pos = stop;
    return true;
  }
  if (!r.expect(WIRE_FIXED64, field, at)) return false;
  if (end - r.pos < 8) return r.failed('proto.truncated', r.pos, `message ends inside ${field}`);
  out?.push(r.view.getFloat64(r.pos, true));
  r.pos += 8;
  return true;
}

/**
 * Reads (and, with `out`, materialises) a native Histogram message; the message is the
 * same in v1 and v2. Validation mode (`out` null) checks every field's wire type and
 * integer range without allocating.
 */
function readHistogram(r: WireReader, end: number, out: Histogram | null): boolean {
  while (r.pos < end) {
    const at = r.pos;
    const f = r.tag(end);
    if (f < 0) return false;
    switch (f) {
      case 1:
      case 6: {
        if (!r.expect(WIRE_VARINT, f === 1 ? 'Histogram.count_int' : 'Histogram.zero_count_int', at))
          return false;
        if (r.varint(end) < 0) return false;
        const v = r.uint64();
        if (Number.isNaN(v)) r.note('proto.int-range', at, 'histogram count is above 2^53-1');
        if (out !== null) {
          if (f === 1) {
            out.count = v;
            out.countIsFloat = false;
          } else {
            out.zeroCount = v;
            out.zeroCountIsFloat = false;
          }
        }
        break;
      }
      case 2:
      case 3:
      case 5:
      case 7: {
        if (!r.expect(WIRE_FIXED64, 'Histogram float field', at)) return false;
        if (end - r.pos < 8)
          return r.failed('proto.truncated', r.pos, 'message ends inside a histogram double');
        const v = r.view.getFloat64(r.pos, true);
        r.pos += 8;
        if (out !== null) {
          if (f === 2) {
            out.count = v;
            out.countIsFloat = true;
          } else if (f === 3) out.sum = v;
          else if (f === 5) out.zeroThreshold = v;
          else {
            out.zeroCount = v;
            out.zeroCountIsFloat = true;
          }
        }
        break;
      }
      case 4:
      case 14:
      case 15: {
        if (!r.expect(WIRE_VARINT, 'Histogram integer field', at)) return false;
        if (r.varint(end) < 0) return false;
        if (f === 4) {
          if (out !== null) out.schema = r.sint32();
        } else if (f === 14) {
          if (out !== null) out.resetHint = RESET_HINTS[r.int32()] ?? 'unknown';
        } else {
          const ts = r.int64();
          if (Number.isNaN(ts)) r.note('proto.int-range', at, 'histogram timestamp is outside ±(2^53-1)');
          if (out !== null) out.timestampMs = ts;
        }
        break;
      }
      case 8:
      case 11: {
        if (!r.expect(WIRE_LEN, 'Histogram spans', at)) return false;
        const e = r.lengthEnd(end);
        if (e < 0 || !readSpan(r, e, out === null ? null : f === 8 ? out.negativeSpans : out.positiveSpans)) {
          return false;
        }
        break;
      }
      case 9:
      case 12:
        if (
          !readSint64s(
            r,
            end,
            'Histogram deltas',
            out === null ? null : f === 9 ? out.negativeDeltas : out.positiveDeltas,
          )
        ) {
          return false;
        }
        break;
      case 10:
      case 13:
      case 16: {
        const list =
          out === null
            ? null
            : f === 10
              ? out.negativeCounts
              : f === 13
                ? out.positiveCounts
                : out.customValues;
        if (!readDoubles(r, end, 'Histogram doubles', list)) return false;
        break;
      }
      default:
        if (!r.skip(end)) return false;
    }
  }
  return true;
}

/** The reused per-series state handed to visitors. */
class SeriesCursor implements SeriesView {
  buf: Uint8Array = EMPTY;
  /** A second reader for on-demand parsing, so the decoder's position is untouched. */
  reader: WireReader = new WireReader(EMPTY);
  version: 1 | 2 = 1;
  index = 0;
  labelCount = 0;
  lab: Int32Array = new Int32Array(L * 16);
  nameIndex = -1;
  sampleCount = 0;
  values: Float64Array = new Float64Array(16);
  times: Float64Array = new Float64Array(16);
  stale: Uint8Array = new Uint8Array(16);
  histogramCount = 0;
  hist: Int32Array = new Int32Array(8);
  exemplarCount = 0;
  ex: Int32Array = new Int32Array(8);
  createdTimestampMs = 0;
  metaType = 0;
  helpRef = 0;
  unitRef = 0;
  /** v2 symbol byte ranges (start, end) and their decoded strings. */
  symbols: Int32Array = new Int32Array(0);
  symbolStrings: (string | undefined)[] = [];
  readonly interner: LabelInterner;
  private readonly encodedNames = new Map<string, Uint8Array>();

  constructor(interner: LabelInterner) {
    this.interner = interner;
  }

  reset(index: number): void {
    this.index = index;
    this.labelCount = 0;
    this.nameIndex = -1;
    this.sampleCount = 0;
    this.histogramCount = 0;
    this.exemplarCount = 0;
    this.createdTimestampMs = 0;
    this.metaType = 0;
    this.helpRef = 0;
    this.unitRef = 0;
  }

  pushLabel(ns: number, ne: number, vs: number, ve: number, nameRef: number, valueRef: number): void {
    const b = this.labelCount * L;
    if (b + L > this.lab.length) this.lab = grownInt32(this.lab, b + L);
    const lab = this.lab;
    lab[b] = ns;
    lab[b + 1] = ne;
    lab[b + 2] = vs;
    lab[b + 3] = ve;
    lab[b + 4] = nameRef;
    lab[b + 5] = valueRef;
    this.labelCount++;
  }

  pushSample(value: number, timestampMs: number, stale: boolean): void {
    const i = this.sampleCount;
    if (i === this.values.length) {
      this.values = grownFloat64(this.values, i + 1);
      this.times = grownFloat64(this.times, i + 1);
      const s = new Uint8Array(this.values.length);
      s.set(this.stale);
      this.stale = s;
    }
    this.values[i] = value;
    this.times[i] = timestampMs;
    this.stale[i] = stale ? 1 : 0;
    this.sampleCount = i + 1;
  }

  pushHistogram(start: number, end: number): void {
    const b = this.histogramCount * 2;
    if (b + 2 > this.hist.length) this.hist = grownInt32(this.hist, b + 2);
    this.hist[b] = start;
    this.hist[b + 1] = end;
    this.histogramCount++;
  }

  pushExemplar(start: number, end: number): void {
    const b = this.exemplarCount * 2;
    if (b + 2 > this.ex.length) this.ex = grownInt32(this.ex, b + 2);
    this.ex[b] = start;
    this.ex[b + 1] = end;
    this.exemplarCount++;
  }

  /** Symbol `ref` as a string, decoded once per request. */
  symbol(ref: number): string {
    const cached = this.symbolStrings[ref];
    if (cached !== undefined) return cached;
    const s = this.interner.intern(this.buf, this.symbols[2 * ref]!, this.symbols[2 * ref + 1]!);
    this.symbolStrings[ref] = s;
    return s;
  }

  private checkIndex(i: number, count: number, what: string): void {
    if (!(i >>> 0 === i && i < count)) throw new RangeError(`${what} index ${i} is outside 0..${count - 1}`);
  }

  get metricName(): string {
    return this.nameIndex < 0 ? '' : this.labelValue(this.nameIndex);
  }

  labelName(i: number): string {
    this.checkIndex(i, this.labelCount, 'label');
    const b = i * L;
    if (this.version === 2) return this.symbol(this.lab[b + 4]!);
    return this.interner.intern(this.buf, this.lab[b]!, this.lab[b + 1]!);
  }

  labelValue(i: number): string {
    this.checkIndex(i, this.labelCount, 'label');
    const b = i * L;
    if (this.version === 2) return this.symbol(this.lab[b + 5]!);
    return this.interner.intern(this.buf, this.lab[b + 2]!, this.lab[b + 3]!);
  }

  label(name: string): string | undefined {
    let bytes = this.encodedNames.get(name);
    if (bytes === undefined) {
      bytes = textEncoder.encode(name);
      if (this.encodedNames.size < 1024) this.encodedNames.set(name, bytes);
    }
    const lab = this.lab;
    for (let i = 0; i < this.labelCount; i++) {
      if (rangeEquals(this.buf, lab[i * L]!, lab[i * L + 1]!, bytes)) return this.labelValue(i);
    }
    return undefined;
  }

  labels(): Label[] {
    const out: Label[] = [];
    for (let i = 0; i < this.labelCount; i++)
      out.push({ name: this.labelName(i), value: this.labelValue(i) });
    return out;
  }

  sampleValue(i: number): number {
    this.checkIndex(i, this.sampleCount, 'sample');
    return this.values[i]!;
  }

  sampleTimestampMs(i: number): number {
    this.checkIndex(i, this.sampleCount, 'sample');
    return this.times[i]!;
  }

  sampleIsStale(i: number): boolean {
    this.checkIndex(i, this.sampleCount, 'sample');
    return this.stale[i] === 1;
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < this.sampleCount; i++) {
      out.push({ value: this.values[i]!, timestampMs: this.times[i]!, stale: this.stale[i] === 1 });
    }
    return out;
  }

  histogram(i: number): Histogram {
    this.checkIndex(i, this.histogramCount, 'histogram');
    const out = emptyHistogram();
    const r = this.reader;
    r.pos = this.hist[2 * i]!;
    readHistogram(r, this.hist[2 * i + 1]!, out);
    return out;
  }

  histograms(): Histogram[] {
    const out: Histogram[] = [];
    for (let i = 0; i < this.histogramCount; i++) out.push(this.histogram(i));
    return out;
  }

  exemplar(i: number): Exemplar {
    this.checkIndex(i, this.exemplarCount, 'exemplar');
    const out: Exemplar = { labels: [], value: 0, timestampMs: 0 };
    const r = this.reader;
    r.pos = this.ex[2 * i]!;
    if (this.version === 1) readExemplarV1(r, this.ex[2 * i + 1]!, out, this.interner);
    else readExemplarV2(r, this.ex[2 * i + 1]!, this.symbols.length / 2, out, this);
    return out;
  }

  exemplars(): Exemplar[] {
    const out: Exemplar[] = [];
    for (let i = 0; i < this.exemplarCount; i++) out.push(this.exemplar(i));
    return out;
  }

  metadata(): SeriesMetadata {
    if (this.version === 1) return { type: 'unknown', help: '', unit: '' };
    return {
      type: metricTypeOf(this.metaType),
      help: this.symbol(this.helpRef),
      unit: this.symbol(this.unitRef),
    };
  }
}

/** Reads the value/timestamp fields shared by Sample (1, 2) and exemplars (2, 3). */
function readDoubleField(r: WireReader, end: number, field: string, at: number): boolean {
  if (!r.expect(WIRE_FIXED64, field, at)) return false;
  if (end - r.pos < 8) return r.failed('proto.truncated', r.pos, `message ends inside ${field}`);
  return true;
}

/** v1 Exemplar {repeated Label labels = 1; double value = 2; int64 timestamp = 3}. */
function readExemplarV1(r: WireReader, end: number, out: Exemplar | null, interner: LabelInterner): boolean {
  while (r.pos < end) {
    const at = r.pos;
    const f = r.tag(end);
    if (f < 0) return false;
    if (f === 1) {
      if (!r.expect(WIRE_LEN, 'Exemplar.labels', at)) return false;
      const e = r.lengthEnd(end);
      if (e < 0) return false;
      let ns = r.pos;
      let ne = ns;
      let vs = ns;
      let ve = ns;
      while (r.pos < e) {
        const lat = r.pos;
        const lf = r.tag(e);
        if (lf < 0) return false;
        if (lf === 1 || lf === 2) {
          if (!r.expect(WIRE_LEN, 'Label', lat)) return false;
          const se = r.lengthEnd(e);
          if (se < 0) return false;
          if (lf === 1) {
            ns = r.pos;
            ne = se;
          } else {
            vs = r.pos;
            ve = se;
          }
          r.pos = se;
        } else if (!r.skip(e)) return false;
      }
      if (!isUtf8(r.buf, ns, ne) || !isUtf8(r.buf, vs, ve)) {
        r.note('utf8.invalid', at, 'an exemplar label is not valid UTF-8');
      } else if (out !== null) {
        out.labels.push({ name: interner.intern(r.buf, ns, ne), value: interner.intern(r.buf, vs, ve) });
      }
    } else if (f === 2) {
      if (!readDoubleField(r, end, 'Exemplar.value', at)) return false;
      if (out !== null) out.value = r.view.getFloat64(r.pos, true);
      r.pos += 8;
    } else if (f === 3) {
      if (!r.expect(WIRE_VARINT, 'Exemplar.timestamp', at) || r.varint(end) < 0) return false;
      const ts = r.int64();
      if (Number.isNaN(ts)) r.note('proto.int-range', at, 'exemplar timestamp is outside ±(2^53-1)');
      if (out !== null) out.timestampMs = ts;
    } else if (!r.skip(end)) return false;
  }
  return true;
}

/** Reads a v2 `repeated uint32 *_refs` field (packed or not), checking each ref is in range. */
function readRefs(r: WireReader, end: number, symbolCount: number, field: string, out: number[]): boolean {
  const at = r.pos;
  let stop = end;
  let packed = false;
  if (r.wireType === WIRE_LEN) {
    stop = r.lengthEnd(end);
    if (stop < 0) return false;
    packed = true;
  } else if (!r.expect(WIRE_VARINT, field, at)) return false;
  // Packed: every varint up to `stop` (possibly none). Unpacked: exactly one.
  while (!packed || r.pos < stop) {
    const vAt = r.pos;
    const ref = r.varint(stop);
    if (ref < 0) return false;
    if (ref >= symbolCount) {
      r.note('symbols.ref-out-of-range', vAt, `${field} ${ref} is past the ${symbolCount} symbols`);
      out.push(0);
    } else out.push(ref);
    if (!packed) break;
  }
  return true;
}

/** v2 Exemplar {repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3}. */
function readExemplarV2(
  r: WireReader,
  end: number,
  symbolCount: number,
  out: Exemplar | null,
  names: SeriesCursor | null,
): boolean {
  const refs: number[] = [];
  const start = r.pos;
  while (r.pos < end) {
    const at = r.pos;
    const f = r.tag(end);
    if (f < 0) return false;
    if (f === 1) {
      if (!readRefs(r, end, symbolCount, 'Exemplar.labels_refs', refs)) return false;
    } else if (f === 2) {
      if (!readDoubleField(r, end, 'Exemplar.value', at)) return false;
      if (out !== null) out.value = r.view.getFloat64(r.pos, true);
      r.pos += 8;
    } else if (f === 3) {
      if (!r.expect(WIRE_VARINT, 'Exemplar.timestamp', at) || r.varint(end) < 0) return false;
      const ts = r.int64();
      if (Number.isNaN(ts)) r.note('proto.int-range', at, 'exemplar timestamp is outside ±(2^53-1)');
      if (out !== null) out.timestampMs = ts;
    } else if (!r.skip(end)) return false;
  }
  if (refs.length % 2 !== 0) r.note('symbols.odd-refs', start, 'exemplar labels_refs has an odd length');
  if (out !== null && names !== null) {
    for (let i = 0; i + 1 < refs.length; i += 2) {
      out.labels.push({ name: names.symbol(refs[i]!), value: names.symbol(refs[i + 1]!) });
    }
  }
  return true;
}

/** All-zero stats. */
export function emptyDecodeStats(): DecodeStats {
  return {
    series: 0,
    samples: 0,
    histograms: 0,
    exemplars: 0,
    metadata: 0,
    acceptedSeries: 0,
    acceptedSamples: 0,
    acceptedHistograms: 0,
    acceptedExemplars: 0,
    skippedSeries: 0,
    invalidSeries: 0,
  };
}

/** One decode of one payload: the reader, the cursor, the issues and the counts. */
class Decoder {
  readonly buf: Uint8Array;
  readonly r: WireReader;
  readonly c: SeriesCursor;
  readonly visitor: WriteVisitor;
  readonly accept: ((name: string) => boolean) | undefined;
  readonly allowUnsorted: boolean;
  readonly allowEmptyValues: boolean;
  readonly maxIssues: number;
  readonly issues: RemoteWriteIssue[] = [];
  /** Set by the first issue; issues past `maxIssues` are counted but not kept. */
  anyIssue = false;
  readonly stats = emptyDecodeStats();
  /** v2: per-symbol cache of the `acceptMetricName` verdict (0 unknown, 1 accept, 2 skip). */
  verdicts: Int8Array = new Int8Array(0);
  symbolCount = 0;
  /** v2: a label name ref waiting for its value ref (-1 when none). */
  private pendingRef = -1;
  /** v1: set when some label of the current series was not proven ASCII while reading it. */
  nonAscii = false;

  constructor(buf: Uint8Array, visitor: WriteVisitor, options: DecodeOptions, version: 1 | 2) {
    this.buf = buf;
    this.r = new WireReader(buf);
    this.c = new SeriesCursor(options.interner ?? new LabelInterner(1024));
    this.c.buf = buf;
    this.c.reader = new WireReader(buf);
    this.c.version = version;
    this.visitor = visitor;
    this.accept = options.acceptMetricName;
    this.allowUnsorted = options.allowUnsortedLabels === true;
    this.allowEmptyValues = options.allowEmptyLabelValues === true;
    this.maxIssues = Math.max(1, options.maxIssues ?? 20);
  }

  addIssue(code: RemoteWriteIssueCode, offset: number, message: string, path: (string | number)[]): void {
    this.anyIssue = true;
    if (this.issues.length < this.maxIssues) this.issues.push({ code, offset, message, path });
  }

  /** Turns the reader's fatal failure into the result. */
  fatal(path: (string | number)[]): DecodeResult {
    const r = this.r;
    this.addIssue(r.failCode === '' ? 'proto.truncated' : r.failCode, r.failOffset, r.failMessage, path);
    return { ok: false, issues: this.issues, stats: this.stats };
  }

  result(): DecodeResult {
    return !this.anyIssue
      ? { ok: true, value: this.stats }
      : { ok: false, issues: this.issues, stats: this.stats };
  }

  /** Sample {double value = 1; int64 timestamp = 2}. */
  readSample(end: number): boolean {
    const r = this.r;
    const view = r.view;
    let value = 0;
    let ts = 0;
    let stale = false;
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return false;
      if (f === 1) {
        if (!readDoubleField(r, end, 'Sample.value', at)) return false;
        value = view.getFloat64(r.pos, true);
        // Only a NaN can be the stale marker; compare the bits, as NaN payloads are not
        // observable from JavaScript numbers.
        stale = Number.isNaN(value) && isStaleBits(view, r.pos);
        r.pos += 8;
      } else if (f === 2) {
        if (!r.expect(WIRE_VARINT, 'Sample.timestamp', at) || r.varint(end) < 0) return false;
        ts = r.int64();
        if (Number.isNaN(ts)) {
          r.note('proto.int-range', at, 'sample timestamp is outside ±(2^53-1) ms');
          ts = 0;
        }
      } else if (!r.skip(end)) return false;
    }
    this.c.pushSample(value, ts, stale);
    return true;
  }

  /** v1 Label {string name = 1; string value = 2}. */
  readLabelV1(end: number): boolean {
    const r = this.r;
    const buf = this.buf;
    const p = r.pos;
    // Fast path for the encoding every sender uses: `0A len name 12 len value`, both
    // lengths below 128. One OR over the bytes proves them ASCII, hence valid UTF-8.
    if (buf[p] === 0x0a) {
      const ns = p + 2;
      const ne = ns + buf[p + 1]!;
      if (buf[p + 1]! < 0x80 && ne + 2 <= end && buf[ne] === 0x12 && buf[ne + 1]! < 0x80) {
        const vs = ne + 2;
        const ve = vs + buf[ne + 1]!;
        if (ve === end) {
          // The tag and length between name and value are ASCII too: one pass proves both.
          if (!isAscii(r.view, ns, ve)) this.nonAscii = true;
          this.c.pushLabel(ns, ne, vs, ve, -1, -1);
          r.pos = end;
          return true;
        }
      }
    }
    this.nonAscii = true;
    let ns = p;
    let ne = p;
    let vs = p;
    let ve = p;
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return false;
      if (f === 1 || f === 2) {
        if (!r.expect(WIRE_LEN, f === 1 ? 'Label.name' : 'Label.value', at)) return false;
        const e = r.lengthEnd(end);
        if (e < 0) return false;
        if (f === 1) {
          ns = r.pos;
          ne = e;
        } else {
          vs = r.pos;
          ve = e;
        }
        r.pos = e;
      } else if (!r.skip(end)) return false;
    }
    this.c.pushLabel(ns, ne, vs, ve, -1, -1);
    return true;
  }

  /** v1 TimeSeries {labels = 1; samples = 2; exemplars = 3; histograms = 4}. */
  readSeriesV1(index: number, end: number): boolean {
    const r = this.r;
    const c = this.c;
    c.reset(index);
    this.nonAscii = false;
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return false;
      if (f >= 1 && f <= 4) {
        if (!r.expect(WIRE_LEN, 'TimeSeries field', at)) return false;
        const e = r.lengthEnd(end);
        if (e < 0) return false;
        const start = r.pos;
        if (f === 1) {
          if (!this.readLabelV1(e)) return false;
        } else if (f === 2) {
          if (!this.readSample(e)) return false;
        } else if (f === 3) {
          if (!readExemplarV1(r, e, null, c.interner)) return false;
          c.pushExemplar(start, e);
        } else {
          if (!readHistogram(r, e, null)) return false;
          c.pushHistogram(start, e);
        }
      } else if (!r.skip(end)) return false;
    }
    return true;
  }

  /** v2 Metadata {MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4}. */
  readMetadataV2(end: number): boolean {
    const r = this.r;
    const c = this.c;
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return false;
      if (f === 1 || f === 3 || f === 4) {
        if (!r.expect(WIRE_VARINT, 'Metadata field', at)) return false;
        const v = r.varint(end);
        if (v < 0) return false;
        if (f === 1) c.metaType = r.int32();
        else if (v >= this.symbolCount) {
          r.note(
            'symbols.ref-out-of-range',
            at,
            `metadata ${f === 3 ? 'help_ref' : 'unit_ref'} ${v} is out of range`,
          );
        } else if (f === 3) c.helpRef = v;
        else c.unitRef = v;
      } else if (!r.skip(end)) return false;
    }
    return true;
  }

  /**
   * v2 `labels_refs` (packed or not, possibly split over several fields): pairs go
   * straight into the cursor as byte ranges of their symbols.
   */
  readLabelRefs(end: number): boolean {
    const r = this.r;
    const at = r.pos;
    let stop = end;
    const packed = r.wireType === WIRE_LEN;
    if (packed) {
      stop = r.lengthEnd(end);
      if (stop < 0) return false;
    } else if (!r.expect(WIRE_VARINT, 'labels_refs', at)) return false;
    const c = this.c;
    const sym = c.symbols;
    const count = this.symbolCount;
    let pending = this.pendingRef;
    // Packed: every varint up to `stop` (possibly none). Unpacked: exactly one.
    while (!packed || r.pos < stop) {
      const refAt = r.pos;
      let ref = r.varint(stop);
      if (ref < 0) return false;
      if (ref >= count) {
        r.note('symbols.ref-out-of-range', refAt, `labels_refs ${ref} is past the ${count} symbols`);
        ref = 0;
      }
      if (pending < 0) pending = ref;
      else {
        c.pushLabel(sym[2 * pending]!, sym[2 * pending + 1]!, sym[2 * ref]!, sym[2 * ref + 1]!, pending, ref);
        pending = -1;
      }
      if (!packed) break;
    }
    this.pendingRef = pending;
    return true;
  }

  /** v2 TimeSeries {labels_refs = 1; samples = 2; histograms = 3; exemplars = 4; metadata = 5; created_timestamp = 6}. */
  readSeriesV2(index: number, start: number, end: number): boolean {
    const r = this.r;
    const c = this.c;
    c.reset(index);
    this.pendingRef = -1;
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return false;
      switch (f) {
        case 1:
          if (!this.readLabelRefs(end)) return false;
          break;
        case 2:
        case 3:
        case 4:
        case 5: {
          if (!r.expect(WIRE_LEN, 'TimeSeries field', at)) return false;
          const e = r.lengthEnd(end);
          if (e < 0) return false;
          const s = r.pos;
          if (f === 2) {
            if (!this.readSample(e)) return false;
          } else if (f === 3) {
            if (!readHistogram(r, e, null)) return false;
            c.pushHistogram(s, e);
          } else if (f === 4) {
            if (!readExemplarV2(r, e, this.symbolCount, null, null)) return false;
            c.pushExemplar(s, e);
          } else if (!this.readMetadataV2(e)) return false;
          break;
        }
        case 6: {
          if (!r.expect(WIRE_VARINT, 'TimeSeries.created_timestamp', at) || r.varint(end) < 0) return false;
          const ts = r.int64();
          if (Number.isNaN(ts)) r.note('proto.int-range', at, 'created_timestamp is outside ±(2^53-1) ms');
          else c.createdTimestampMs = ts;
          break;
        }
        default:
          if (!r.skip(end)) return false;
      }
    }
    if (this.pendingRef >= 0) r.note('symbols.odd-refs', start, 'labels_refs has an odd length');
    if (c.sampleCount > 0 && c.histogramCount > 0) {
      r.note('series.samples-and-histograms', start, 'series has both samples and histograms');
    }
    return true;
  }

  /**
   * Checks the label rules, then rejects, skips or delivers the series just read.
   * `utf8Checked` is true for v2, whose symbols were validated once up front; v1 labels
   * already proven ASCII while read are not checked again.
   */
  finishSeries(start: number, utf8Checked: boolean): void {
    const checkUtf8 = !utf8Checked && this.nonAscii;
    const r = this.r;
    const c = this.c;
    const buf = this.buf;
    const n = c.labelCount;
    const lab = c.lab;
    let sorted = true;
    if (n === 0) r.note('series.no-labels', start, 'series has no labels');
    for (let i = 0; i < n; i++) {
      const b = i * L;
      const ns = lab[b]!;
      const ne = lab[b + 1]!;
      const vs = lab[b + 2]!;
      const ve = lab[b + 3]!;
      if (ns === ne) r.note('labels.empty-name', ns, `label ${i} has an empty name`);
      else if (vs === ve && !this.allowEmptyValues) {
        r.note('labels.empty-value', vs, `label ${this.nameOf(i)} has an empty value`);
      }
      if (checkUtf8 && !(isUtf8(buf, ns, ne) && isUtf8(buf, vs, ve))) {
        r.note('utf8.invalid', ns, `label ${i} is not valid UTF-8`);
      }
      if (i > 0) {
        const cmp = compareRanges(buf, lab[b - L]!, lab[b - L + 1]!, ns, ne);
        if (cmp === 0) r.note('labels.duplicate', ns, `label ${this.nameOf(i)} appears twice`);
        else if (cmp > 0) {
          if (this.allowUnsorted) sorted = false;
          else r.note('labels.unsorted', ns, `label ${this.nameOf(i)} comes after ${this.nameOf(i - 1)}`);
        }
      }
      if (ne - ns === 8 && rangeEquals(buf, ns, ne, NAME_LABEL)) c.nameIndex = i;
    }
    if (!sorted && r.noteCode === '') this.sortLabels();
    const stats = this.stats;
    stats.series++;
    stats.samples += c.sampleCount;
    stats.histograms += c.histogramCount;
    stats.exemplars += c.exemplarCount;
    if (r.noteCode !== '') {
      stats.invalidSeries++;
      this.addIssue(r.noteCode, r.noteOffset, r.noteMessage, ['timeseries', c.index]);
      r.clearNote();
      return;
    }
    const accept = this.accept;
    if (accept !== undefined && !this.accepts(accept)) {
      stats.skippedSeries++;
      return;
    }
    stats.acceptedSeries++;
    stats.acceptedSamples += c.sampleCount;
    stats.acceptedHistograms += c.histogramCount;
    stats.acceptedExemplars += c.exemplarCount;
    this.visitor.onSeries?.(c);
  }

  /** A label name quoted for a message (error path only), or its index if not UTF-8. */
  private nameOf(i: number): string {
    const b = i * L;
    const ns = this.c.lab[b]!;
    const ne = this.c.lab[b + 1]!;
    return isUtf8(this.buf, ns, ne) ? JSON.stringify(decodeUtf8(this.buf, ns, ne)) : `#${i}`;
  }

  private accepts(accept: (name: string) => boolean): boolean {
    const c = this.c;
    if (c.version === 2 && c.nameIndex >= 0) {
      const ref = c.lab[c.nameIndex * L + 5]!;
      const cached = this.verdicts[ref];
      if (cached === 1) return true;
      if (cached === 2) return false;
      const ok = accept(c.metricName);
      this.verdicts[ref] = ok ? 1 : 2;
      return ok;
    }
    return accept(c.metricName);
  }

  /** Lenient mode: sorts an unsorted label set by name, then rejects repeated names. */
  private sortLabels(): void {
    const c = this.c;
    const buf = this.buf;
    const lab = c.lab;
    const n = c.labelCount;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => compareRanges(buf, lab[a * L]!, lab[a * L + 1]!, lab[b * L]!, lab[b * L + 1]!));
    const copy = lab.slice(0, n * L);
    for (let i = 0; i < n; i++) lab.set(copy.subarray(order[i]! * L, order[i]! * L + L), i * L);
    c.nameIndex = -1;
    for (let i = 0; i < n; i++) {
      const b = i * L;
      if (i > 0 && compareRanges(buf, lab[b - L]!, lab[b - L + 1]!, lab[b]!, lab[b + 1]!) === 0) {
        this.r.note('labels.duplicate', lab[b]!, `label ${this.nameOf(i)} appears twice`);
      }
      if (rangeEquals(buf, lab[b]!, lab[b + 1]!, NAME_LABEL)) c.nameIndex = i;
    }
  }

  /** v1 MetricMetadata {type = 1; metric_family_name = 2; help = 4; unit = 5}. */
  readMetadataV1(index: number, end: number): boolean {
    const r = this.r;
    const start = r.pos;
    let type = 0;
    const ranges = [start, start, start, start, start, start];
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return false;
      if (f === 1) {
        if (!r.expect(WIRE_VARINT, 'MetricMetadata.type', at) || r.varint(end) < 0) return false;
        type = r.int32();
      } else if (f === 2 || f === 4 || f === 5) {
        if (!r.expect(WIRE_LEN, 'MetricMetadata string', at)) return false;
        const e = r.lengthEnd(end);
        if (e < 0) return false;
        const k = f === 2 ? 0 : f === 4 ? 2 : 4;
        ranges[k] = r.pos;
        ranges[k + 1] = e;
        r.pos = e;
      } else if (!r.skip(end)) return false;
    }
    for (let k = 0; k < 6; k += 2) {
      if (!isUtf8(this.buf, ranges[k]!, ranges[k + 1]!)) {
        this.addIssue('utf8.invalid', ranges[k]!, 'metadata string is not valid UTF-8', ['metadata', index]);
        return true;
      }
    }
    this.stats.metadata++;
    this.visitor.onMetadata?.({
      type: metricTypeOf(type),
      metricFamilyName: this.c.interner.intern(this.buf, ranges[0]!, ranges[1]!),
      help: decodeUtf8(this.buf, ranges[2]!, ranges[3]!),
      unit: this.c.interner.intern(this.buf, ranges[4]!, ranges[5]!),
    });
    return true;
  }

  decodeV1(): DecodeResult {
    const r = this.r;
    const end = this.buf.length;
    let series = 0;
    let metadata = 0;
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return this.fatal([]);
      if (f === 1 || f === 3) {
        if (!r.expect(WIRE_LEN, f === 1 ? 'WriteRequest.timeseries' : 'WriteRequest.metadata', at)) {
          return this.fatal([]);
        }
        const e = r.lengthEnd(end);
        if (e < 0) return this.fatal([]);
        const start = r.pos;
        if (f === 1) {
          if (!this.readSeriesV1(series, e)) return this.fatal(['timeseries', series]);
          this.finishSeries(start, false);
          series++;
        } else {
          if (!this.readMetadataV1(metadata, e)) return this.fatal(['metadata', metadata]);
          metadata++;
        }
      } else if (!r.skip(end)) return this.fatal([]);
    }
    return this.result();
  }

  decodeV2(): DecodeResult {
    const r = this.r;
    const c = this.c;
    const end = this.buf.length;
    // Pass 1: field order is free in protobuf, so find every symbol before any series.
    let sym: Int32Array = new Int32Array(2048);
    let symbolCount = 0;
    let ranges: Int32Array = new Int32Array(2048);
    let seriesCount = 0;
    while (r.pos < end) {
      const at = r.pos;
      const f = r.tag(end);
      if (f < 0) return this.fatal([]);
      if (f === 4 || f === 5) {
        if (!r.expect(WIRE_LEN, f === 4 ? 'Request.symbols' : 'Request.timeseries', at))
          return this.fatal([]);
        const e = r.lengthEnd(end);
        if (e < 0) return this.fatal([]);
        if (f === 4) {
          sym = grownInt32(sym, 2 * symbolCount + 2);
          sym[2 * symbolCount] = r.pos;
          sym[2 * symbolCount + 1] = e;
          symbolCount++;
        } else {
          ranges = grownInt32(ranges, 2 * seriesCount + 2);
          ranges[2 * seriesCount] = r.pos;
          ranges[2 * seriesCount + 1] = e;
          seriesCount++;
        }
        r.pos = e;
      } else if (!r.skip(end)) return this.fatal([]);
    }
    for (let i = 0; i < symbolCount; i++) {
      const from = sym[2 * i]!;
      const to = sym[2 * i + 1]!;
      if (!isAscii(r.view, from, to) && !isUtf8(this.buf, from, to)) {
        r.fail('utf8.invalid', sym[2 * i]!, `symbol ${i} is not valid UTF-8`);
        return this.fatal(['symbols', i]);
      }
    }
    if (symbolCount > 0 && sym[1] !== sym[0]) {
      r.fail('symbols.first-not-empty', sym[0]!, 'the first symbol must be the empty string');
      return this.fatal(['symbols', 0]);
    }
    this.symbolCount = symbolCount;
    this.verdicts = new Int8Array(symbolCount);
    c.symbols = sym.subarray(0, 2 * symbolCount);
    c.symbolStrings = new Array<string | undefined>(symbolCount);
    // Pass 2: the series.
    for (let i = 0; i < seriesCount; i++) {
      const start = ranges[2 * i]!;
      r.pos = start;
      if (!this.readSeriesV2(i, start, ranges[2 * i + 1]!)) return this.fatal(['timeseries', i]);
      this.finishSeries(start, true);
    }
    return this.result();
  }
}

/** Byte offsets are kept in Int32Arrays, so a payload must stay below 2 GiB. */
const MAX_PAYLOAD_BYTES = 0x7fffffff;

function tooLarge(protobuf: Uint8Array): DecodeResult | undefined {
  if (protobuf.length <= MAX_PAYLOAD_BYTES) return undefined;
  const message = `payload of ${protobuf.length} bytes is above the 2 GiB this decoder supports`;
  return {
    ok: false,
    issues: [{ code: 'proto.length', offset: 0, message, path: [] }],
    stats: emptyDecodeStats(),
  };
}

/**
 * Decodes a v1 `prometheus.WriteRequest`, calling the visitor for every valid series
 * (and metadata entry) without allocating per sample. Never throws on bad input.
 * @example
 * const wanted = new Set(['http_requests_total']);
 * visitWriteRequest(body, { onSeries: (s) => ingest(s) }, { acceptMetricName: (n) => wanted.has(n), interner });
 */
export function visitWriteRequest(
  protobuf: Uint8Array,
  visitor: WriteVisitor,
  options: DecodeOptions = {},
): DecodeResult {
  return tooLarge(protobuf) ?? new Decoder(protobuf, visitor, options, 1).decodeV1();
}

/** Decodes a v2 `io.prometheus.write.v2.Request`, like `visitWriteRequest`. */
export function visitWriteRequestV2(
  protobuf: Uint8Array,
  visitor: WriteVisitor,
  options: DecodeOptions = {},
): DecodeResult {
  return tooLarge(protobuf) ?? new Decoder(protobuf, visitor, options, 2).decodeV2();
}

function materialize(s: SeriesView): TimeSeries {
  return { labels: s.labels(), samples: s.samples(), exemplars: s.exemplars(), histograms: s.histograms() };
}

/** Decodes a v1 WriteRequest into plain objects (convenient; allocates everything). */
export function decodeWriteRequest(protobuf: Uint8Array, options: DecodeOptions = {}): Result<WriteRequest> {
  const timeseries: TimeSeries[] = [];
  const metadata: MetricMetadata[] = [];
  const result = visitWriteRequest(
    protobuf,
    { onSeries: (s) => timeseries.push(materialize(s)), onMetadata: (m) => metadata.push(m) },
    options,
  );
  return result.ok ? { ok: true, value: { timeseries, metadata } } : { ok: false, issues: result.issues };
}

/** Decodes a v2 Request into plain objects with symbols resolved (allocates everything). */
export function decodeWriteRequestV2(
  protobuf: Uint8Array,
  options: DecodeOptions = {},
): Result<WriteRequestV2> {
  const timeseries: TimeSeriesV2[] = [];
  const result = visitWriteRequestV2(
    protobuf,
    {
      onSeries: (s) =>
        timeseries.push({
          ...materialize(s),
          metadata: s.metadata(),
          createdTimestampMs: s.createdTimestampMs,
        }),
    },
    options,
  );
  return result.ok ? { ok: true, value: { timeseries } } : { ok: false, issues: result.issues };
}
