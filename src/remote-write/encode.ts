/**
 * Encoders for remote write 1.0 and 2.0 protobuf payloads (compress the result with
 * `snappyCompress` before sending). Used by tests, the ingest benchmark's load generator
 * and Sextant's own sender.
 *
 * Fields are written in field-number order and, as proto3 does, scalars holding their
 * default (0, '', empty list) are omitted, except the oneof members of Histogram,
 * which are always written so the decoder knows which one was chosen. Labels are
 * written in the order given: sort them by name for a conforming request.
 */

import type {
  Exemplar,
  Histogram,
  Label,
  MetricMetadata,
  SampleInput,
  TimeSeriesInput,
  TimeSeriesV2Input,
} from './types.ts';
import { METRIC_TYPES } from './types.ts';
import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireWriter } from './wire.ts';

const RESET_HINT_NUMBERS = { unknown: 0, yes: 1, no: 2, gauge: 3 } as const;

function assertInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be a safe integer, got ${value}`);
}

function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}

/** A double field, omitted when its bits are all zero (so -0 is kept). */
function doubleField(w: WireWriter, field: number, value: number): void {
  if (value === 0 && !Object.is(value, -0)) return;
  w.tag(field, WIRE_FIXED64);
  w.double(value);
}

function int64Field(w: WireWriter, field: number, value: number, what: string): void {
  assertInteger(value, what);
  if (value === 0) return;
  w.tag(field, WIRE_VARINT);
  w.int64(value);
}

function writeSample(w: WireWriter, sample: SampleInput): void {
  w.tag(2, WIRE_LEN);
  const mark = w.begin();
  if (sample.stale === true) {
    w.tag(1, WIRE_FIXED64);
    w.rawDouble(0x00000002, 0x7ff00000); // the stale marker, 0x7ff0000000000002
  } else {
    doubleField(w, 1, sample.value);
  }
  int64Field(w, 2, sample.timestampMs, 'sample timestamp');
  w.end(mark);
}

function writeLabel(w: WireWriter, field: number, label: Label): void {
  w.tag(field, WIRE_LEN);
  const mark = w.begin();
  if (label.name !== '') w.stringField(1, label.name);
  if (label.value !== '') w.stringField(2, label.value);
  w.end(mark);
}

function packedDoubles(w: WireWriter, field: number, values: readonly number[]): void {
  if (values.length === 0) return;
  w.tag(field, WIRE_LEN);
  w.uvarint(values.length * 8);
  for (const v of values) w.double(v);
}

function packedSint64s(w: WireWriter, field: number, values: readonly number[]): void {
  if (values.length === 0) return;
  w.tag(field, WIRE_LEN);
  const mark = w.begin();
  for (const v of values) {
    assertInteger(v, 'histogram bucket delta');
    w.sint64(v);
  }
  w.end(mark);
}

function writeHistogram(w: WireWriter, field: number, h: Histogram): void {
  w.tag(field, WIRE_LEN);
  const mark = w.begin();
  if (h.countIsFloat) {
    w.tag(2, WIRE_FIXED64);
    w.double(h.count);
  } else {
    assertCount(h.count, 'histogram count');
    w.tag(1, WIRE_VARINT);
    w.uvarint(h.count);
  }
  doubleField(w, 3, h.sum);
  if (h.schema !== 0) {
    w.tag(4, WIRE_VARINT);
    w.uvarint(((h.schema << 1) ^ (h.schema >> 31)) >>> 0);
  }
  doubleField(w, 5, h.zeroThreshold);
  if (h.zeroCountIsFloat) {
    w.tag(7, WIRE_FIXED64);
    w.double(h.zeroCount);
  } else {
    assertCount(h.zeroCount, 'histogram zero count');
    w.tag(6, WIRE_VARINT);
    w.uvarint(h.zeroCount);
  }
  const spans = (f: number, list: Histogram['negativeSpans']) => {
    for (const s of list) {
      w.tag(f, WIRE_LEN);
      const m = w.begin();
      if (s.offset !== 0) {
        w.tag(1, WIRE_VARINT);
        w.uvarint(((s.offset << 1) ^ (s.offset >> 31)) >>> 0);
      }
      if (s.length !== 0) {
        w.tag(2, WIRE_VARINT);
        w.uvarint(s.length >>> 0);
      }
      w.end(m);
    }
  };
  spans(8, h.negativeSpans);
  packedSint64s(w, 9, h.negativeDeltas);
  packedDoubles(w, 10, h.negativeCounts);
  spans(11, h.positiveSpans);
  packedSint64s(w, 12, h.positiveDeltas);
  packedDoubles(w, 13, h.positiveCounts);
  const hint = RESET_HINT_NUMBERS[h.resetHint];
  if (hint !== 0) {
    w.tag(14, WIRE_VARINT);
    w.uvarint(hint);
  }
  int64Field(w, 15, h.timestampMs, 'histogram timestamp');
  packedDoubles(w, 16, h.customValues);
  w.end(mark);
}

function writeExemplarV1(w: WireWriter, e: Exemplar): void {
  w.tag(3, WIRE_LEN);
  const mark = w.begin();
  for (const l of e.labels) writeLabel(w, 1, l);
  doubleField(w, 2, e.value);
  int64Field(w, 3, e.timestampMs, 'exemplar timestamp');
  w.end(mark);
}

/**
 * Encodes a v1 `prometheus.WriteRequest` (timeseries = 1, metadata = 3).
 * Throws RangeError for non-integer timestamps or counts: those are caller bugs.
 * @example snappyCompress(encodeWriteRequest({ timeseries: [{ labels, samples }] }))
 */
export function encodeWriteRequest(request: {
  timeseries: readonly TimeSeriesInput[];
  metadata?: readonly MetricMetadata[];
}): Uint8Array {
  const w = new WireWriter(256 * request.timeseries.length + 64);
  for (const ts of request.timeseries) {
    w.tag(1, WIRE_LEN);
    const mark = w.begin();
    for (const l of ts.labels) writeLabel(w, 1, l);
    for (const s of ts.samples ?? []) writeSample(w, s);
    for (const e of ts.exemplars ?? []) writeExemplarV1(w, e);
    for (const h of ts.histograms ?? []) writeHistogram(w, 4, h);
    w.end(mark);
  }
  for (const m of request.metadata ?? []) {
    w.tag(3, WIRE_LEN);
    const mark = w.begin();
    const type = METRIC_TYPES.indexOf(m.type);
    if (type > 0) {
      w.tag(1, WIRE_VARINT);
      w.uvarint(type);
    }
    if (m.metricFamilyName !== '') w.stringField(2, m.metricFamilyName);
    if (m.help !== '') w.stringField(4, m.help);
    if (m.unit !== '') w.stringField(5, m.unit);
    w.end(mark);
  }
  return w.finish();
}

/** Interns strings into a v2 symbols table, which must start with ''. */
class SymbolTable {
  readonly symbols: string[] = [''];
  private readonly refs = new Map<string, number>([['', 0]]);

  ref(s: string): number {
    let r = this.refs.get(s);
    if (r === undefined) {
      r = this.symbols.length;
      this.symbols.push(s);
      this.refs.set(s, r);
    }
    return r;
  }
}

function packedRefs(w: WireWriter, field: number, table: SymbolTable, labels: readonly Label[]): void {
  if (labels.length === 0) return;
  w.tag(field, WIRE_LEN);
  const mark = w.begin();
  for (const l of labels) {
    w.uvarint(table.ref(l.name));
    w.uvarint(table.ref(l.value));
  }
  w.end(mark);
}

/**
 * Encodes a v2 `io.prometheus.write.v2.Request`, building the symbols table
 * (symbols = 4, first '') and label references itself.
 * @example snappyCompress(encodeWriteRequestV2({ timeseries: [{ labels, samples, metadata: { type: 'counter' } }] }))
 */
export function encodeWriteRequestV2(request: { timeseries: readonly TimeSeriesV2Input[] }): Uint8Array {
  const table = new SymbolTable();
  // Series bodies go to a scratch writer first, because symbols (field 4) come before
  // timeseries (field 5) and are only known once every series has been seen.
  const body = new WireWriter(128 * request.timeseries.length + 64);
  for (const ts of request.timeseries) {
    body.tag(5, WIRE_LEN);
    const mark = body.begin();
    packedRefs(body, 1, table, ts.labels);
    for (const s of ts.samples ?? []) writeSample(body, s);
    for (const h of ts.histograms ?? []) writeHistogram(body, 3, h);
    for (const e of ts.exemplars ?? []) {
      body.tag(4, WIRE_LEN);
      const m = body.begin();
      packedRefs(body, 1, table, e.labels);
      doubleField(body, 2, e.value);
      int64Field(body, 3, e.timestampMs, 'exemplar timestamp');
      body.end(m);
    }
    const md = ts.metadata;
    const type = md?.type === undefined ? 0 : METRIC_TYPES.indexOf(md.type);
    const help = table.ref(md?.help ?? '');
    const unit = table.ref(md?.unit ?? '');
    if (type > 0 || help !== 0 || unit !== 0) {
      body.tag(5, WIRE_LEN);
      const m = body.begin();
      for (const [field, value] of [
        [1, type],
        [3, help],
        [4, unit],
      ] as const) {
        if (value > 0) {
          body.tag(field, WIRE_VARINT);
          body.uvarint(value);
        }
      }
      body.end(m);
    }
    int64Field(body, 6, ts.createdTimestampMs ?? 0, 'created timestamp');
    body.end(mark);
  }
  const w = new WireWriter(body.pos + 16 * table.symbols.length + 64);
  for (const s of table.symbols) {
    w.tag(4, WIRE_LEN);
    const mark = w.begin();
    w.stringBytes(s);
    w.end(mark);
  }
  w.ensure(body.pos);
  w.buf.set(body.buf.subarray(0, body.pos), w.pos);
  w.pos += body.pos;
  return w.finish();
}
