/**
 * The converged state of one unit's records and its canonical checksum. `resolveRecords`
 * is the reference the hub's store is checked against: whatever order, duplicates or
 * replays the records arrive in, the hub must end with exactly this set.
 */
import { Sha256 } from '../util/sha256.ts';
import { recordKey, type SyncRecord } from './protocol.ts';

function countsSeriesKey(record: Extract<SyncRecord, { kind: 'counts' }>): string {
  const names = Object.keys(record.labels).sort();
  return JSON.stringify([record.sli, names.map((name) => [name, record.labels[name]])]);
}

function overlaps(a: { startMinute: number; minutes: number }, b: { startMinute: number; minutes: number }) {
  return a.startMinute < b.startMinute + b.minutes && b.startMinute < a.startMinute + a.minutes;
}

/**
 * The live records after every version has arrived: per key the highest `seq`; among count
 * records of one series, a record is dropped when an overlapping one has a higher `seq`
 * (an hour the unit rolled up replaces the finer records it covers).
 */
export function resolveRecords(records: Iterable<SyncRecord>): SyncRecord[] {
  const latest = new Map<string, SyncRecord>();
  for (const record of records) {
    const key = recordKey(record);
    const held = latest.get(key);
    if (!held || held.seq < record.seq) latest.set(key, record);
  }
  const bySeries = new Map<string, Extract<SyncRecord, { kind: 'counts' }>[]>();
  const out: SyncRecord[] = [];
  for (const record of latest.values()) {
    if (record.kind !== 'counts') {
      out.push(record);
      continue;
    }
    const series = countsSeriesKey(record);
    const list = bySeries.get(series);
    if (list) list.push(record);
    else bySeries.set(series, [record]);
  }
  for (const list of bySeries.values()) {
    // Highest version first: a record survives unless a kept one overlaps it.
    list.sort((a, b) => b.seq - a.seq);
    const kept: typeof list = [];
    for (const record of list) {
      if (!kept.some((other) => overlaps(other, record))) kept.push(record);
    }
    out.push(...kept);
  }
  return out;
}

/** JSON with object keys sorted, so equal values have equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/**
 * SHA-256 over the sorted canonical lines of the records without their versions (`seq`):
 * two stores hold the same state exactly when their checksums are equal.
 */
export function canonicalChecksum(records: Iterable<SyncRecord | Record<string, unknown>>): string {
  const lines: string[] = [];
  for (const record of records) {
    const { seq: _seq, ...body } = record as Record<string, unknown>;
    lines.push(canonicalJson(body));
  }
  lines.sort();
  const hash = new Sha256();
  for (const line of lines) hash.update(line).update('\n');
  return `sha256:${hash.hex()}`;
}
