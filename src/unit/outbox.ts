/**
 * The outbox: what the unit still has to replicate to the hub, kept in the unit's SQLite
 * file and written in the same transaction as the data it describes (docs/hub.md, "The
 * outbox"). One row per record key holds the sequence number (`seq`) of the key's latest
 * change, so changes coalesce; the body of a count record is read from the count store when
 * a batch is built, and is therefore never older than its row's `seq`.
 *
 * Count records are exported per *span*: the export resolution (`sync.resolution`, a
 * divisor of 60 minutes) or, inside a rolled-up range, the whole hour. Export settings
 * change only from an hour boundary on (a *segment*), and rolled-up ranges are permanent, so
 * the spans of one series never overlap except where an hour record with a higher `seq`
 * replaces the finer ones inside it: the hub's overlap rule (`resolveRecords`).
 *
 * The tables exist only once a hub has been configured: a standalone unit never grows them.
 */

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { CountReader, SeriesKey } from '../store/index.ts';
import {
  type CountsRecord,
  type RecordKind,
  recordKey,
  type SyncRecord,
  syncSchemas,
} from '../sync/protocol.ts';
import {
  type ExportPolicy,
  exportsKind,
  exportView,
  type LabelPolicy,
  reduceLabels,
  sameLabelPolicy,
} from './export-policy.ts';

const HOUR = 60;
/** Far enough in the future for any epoch minute (the protocol's own bound). */
const END_OF_TIME = 2 ** 40;
/** Estimated bytes per outbox row besides its key (seq, span, b-tree overhead). */
const ROW_OVERHEAD_BYTES = 40;
/** Hours rolled up per step while the outbox is over its quota. */
const ROLL_UP_STEP_HOURS = 24;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS unit_outbox (
  key TEXT PRIMARY KEY, seq INTEGER NOT NULL, start INTEGER, minutes INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unit_outbox_seq ON unit_outbox (seq);
CREATE TABLE IF NOT EXISTS unit_outbox_records (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unit_outbox_series (
  sli TEXT NOT NULL, labels TEXT NOT NULL, PRIMARY KEY (sli, labels)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unit_outbox_meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
`;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A non-count record without its version: the outbox assigns the `seq` when it is marked. */
export type UnsequencedRecord = DistributiveOmit<Exclude<SyncRecord, CountsRecord>, 'seq'>;

/** One bucket a batch changed: the count store's series and minute. */
export interface MarkedBucket {
  sli: string;
  labels: Readonly<Record<string, string>>;
  minute: number;
}

/** Export settings from an hour boundary on. */
export interface ExportSegment {
  fromMinute: number;
  /** The export resolution in minutes (a divisor of 60). */
  minutes: number;
  labels: LabelPolicy;
}

/** What the outbox exports and how. */
export interface OutboxSettings {
  resolutionMinutes: number;
  policy: ExportPolicy;
}

/** One push worth of records: every pending row with `afterSeq < seq <= throughSeq`. */
export interface OutboxBatch {
  afterSeq: number;
  throughSeq: number;
  records: SyncRecord[];
  /** Outbox rows covered (rows whose record is empty or excluded are covered but not sent). */
  rows: number;
  /** JSON bytes of the records. */
  bytes: number;
}

/** What `acknowledge` and `rewind` did. */
export type AckResult =
  | { kind: 'ok'; pruned: number }
  /** The hub is behind the unit's mark: the unit resends from the hub's mark (resync due). */
  | { kind: 'behind' }
  /** The hub acknowledged versions this unit never issued: seqs moved above it (resync due). */
  | { kind: 'ahead' };

interface Span {
  start: number;
  minutes: number;
}

interface Row {
  key: string;
  seq: number;
  start: number | null;
  minutes: number | null;
}

const hourFloor = (minute: number) => Math.floor(minute / HOUR) * HOUR;
const nextHour = (minute: number) => hourFloor(minute) + HOUR;

/** `recordKey` of a count record, without building the record. */
export function countsKey(
  sli: string,
  labels: Readonly<Record<string, string>>,
  startMinute: number,
): string {
  const names = Object.keys(labels).sort();
  return JSON.stringify(['counts', sli, names.map((name) => [name, labels[name]]), startMinute]);
}

function canonicalLabels(labels: Readonly<Record<string, string>>): string {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) out[name] = labels[name]!;
  return JSON.stringify(out);
}

function segmentAt(segments: readonly ExportSegment[], minute: number): ExportSegment {
  let found = segments[0]!;
  for (const segment of segments) {
    if (segment.fromMinute <= minute) found = segment;
    else break;
  }
  return found;
}

function inRanges(ranges: readonly (readonly [number, number])[], minute: number): boolean {
  return ranges.some(([from, to]) => minute >= from && minute < to);
}

/** The span a minute is exported in: its hour inside a rolled-up range, else its segment's bucket. */
function spanOf(
  segments: readonly ExportSegment[],
  rolled: readonly (readonly [number, number])[],
  minute: number,
): Span {
  if (inRanges(rolled, minute)) return { start: hourFloor(minute), minutes: HOUR };
  const { minutes } = segmentAt(segments, minute);
  return { start: minute - (((minute % minutes) + minutes) % minutes), minutes };
}

/** Adds `[from, to)` to sorted, disjoint, hour-aligned ranges, merging neighbours. */
function addRange(
  ranges: readonly (readonly [number, number])[],
  from: number,
  to: number,
): [number, number][] {
  const all = [...ranges.map(([a, b]) => [a, b] as [number, number]), [from, to] as [number, number]].sort(
    (x, y) => x[0] - y[0],
  );
  const out: [number, number][] = [];
  for (const range of all) {
    const last = out[out.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else out.push(range);
  }
  return out;
}

/** Pending replication state over the unit's database; see the file comment. */
export class Outbox {
  readonly #db: DatabaseSync;
  readonly #stmt: Record<string, StatementSync>;
  #segments: ExportSegment[];
  #rolled: [number, number][];
  #policy: ExportPolicy;
  #acked: number;
  #invalid = 0;
  /** The store watermark below which pending fine rows were last checked for (`rollFolded`). */
  #foldChecked = -1;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    this.#stmt = {
      getMeta: db.prepare('SELECT value FROM unit_outbox_meta WHERE name = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO unit_outbox_meta (name, value) VALUES (?, ?)'),
      allocate: db.prepare(
        "UPDATE unit_outbox_meta SET value = value + ? WHERE name = 'next_seq' RETURNING value",
      ),
      lowerSyncFrom: db.prepare("UPDATE unit_outbox_meta SET value = min(value, ?) WHERE name = 'sync_from'"),
      upsertRow: db.prepare(
        'INSERT INTO unit_outbox (key, seq, start, minutes) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (key) DO UPDATE SET seq = excluded.seq, start = excluded.start, minutes = excluded.minutes',
      ),
      upsertRecord: db.prepare(
        'INSERT INTO unit_outbox_records (key, kind, seq, body) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (key) DO UPDATE SET seq = excluded.seq, body = excluded.body',
      ),
      insertSeries: db.prepare('INSERT OR IGNORE INTO unit_outbox_series (sli, labels) VALUES (?, ?)'),
      seriesOfSli: db.prepare('SELECT labels FROM unit_outbox_series WHERE sli = ?'),
      allSeries: db.prepare('SELECT sli, labels FROM unit_outbox_series ORDER BY sli, labels'),
      pending: db.prepare(
        'SELECT key, seq, start, minutes FROM unit_outbox WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      pendingCount: db.prepare('SELECT count(*) AS n FROM unit_outbox WHERE seq > ?'),
      anyPending: db.prepare('SELECT 1 AS found FROM unit_outbox WHERE seq > ? LIMIT 1'),
      rowCount: db.prepare('SELECT count(*) AS n FROM unit_outbox'),
      sampleKeyBytes: db.prepare(
        'SELECT avg(length(key)) AS avg FROM (SELECT key FROM unit_outbox LIMIT 512)',
      ),
      recordBytes: db.prepare(
        'SELECT coalesce(sum(length(key) + length(body)), 0) AS n FROM unit_outbox_records',
      ),
      rowSeq: db.prepare('SELECT seq FROM unit_outbox WHERE key = ?'),
      prune: db.prepare('DELETE FROM unit_outbox WHERE seq <= ?'),
      getRecord: db.prepare('SELECT body FROM unit_outbox_records WHERE key = ?'),
      allRecords: db.prepare('SELECT key, kind, seq, body FROM unit_outbox_records ORDER BY key'),
      oldestFine: db.prepare(
        'SELECT min(start) AS start FROM unit_outbox WHERE start IS NOT NULL AND minutes < 60',
      ),
      deleteFine: db.prepare('DELETE FROM unit_outbox WHERE start >= ? AND start < ? AND minutes < 60'),
    };
    this.#segments = JSON.parse(this.#meta('segments') as string) as ExportSegment[];
    this.#rolled = JSON.parse(this.#meta('rolled') as string) as [number, number][];
    this.#policy = JSON.parse(this.#meta('policy') as string) as ExportPolicy;
    this.#acked = Number(this.#meta('acked_seq'));
  }

  /**
   * The outbox a unit with a hub left enabled in this database, so every writer of the file
   * (the unit, `sextant backfill`) marks what it changes; undefined otherwise. Creates nothing.
   */
  static stored(db: DatabaseSync): Outbox | undefined {
    const table = db
      .prepare("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'unit_outbox_meta'")
      .get();
    if (table === undefined) return undefined;
    const enabled = db.prepare("SELECT value FROM unit_outbox_meta WHERE name = 'enabled'").get() as
      | { value: unknown }
      | undefined;
    return Number(enabled?.value) === 1 ? new Outbox(db) : undefined;
  }

  /**
   * Creates the outbox (first hub connection) or brings it to `settings`. A resynchronisation
   * is due when the outbox is new, was disabled, or a record kind was added to the policy.
   */
  static enable(db: DatabaseSync, settings: OutboxSettings, nowMinute: number): Outbox {
    transaction(db, () => {
      db.exec(SCHEMA);
      const has = db.prepare("SELECT value FROM unit_outbox_meta WHERE name = 'next_seq'").get();
      if (has !== undefined) return;
      const put = db.prepare('INSERT OR REPLACE INTO unit_outbox_meta (name, value) VALUES (?, ?)');
      put.run('next_seq', 1);
      put.run('acked_seq', 0);
      put.run('sync_from', nowMinute);
      put.run(
        'segments',
        JSON.stringify([
          { fromMinute: 0, minutes: settings.resolutionMinutes, labels: settings.policy.labels },
        ]),
      );
      put.run('rolled', '[]');
      put.run('policy', JSON.stringify(settings.policy));
      put.run('resync', 1);
      put.run('quota_alert', 0);
      put.run('enabled', 0);
    });
    const outbox = new Outbox(db);
    outbox.configure(settings, nowMinute);
    return outbox;
  }

  /**
   * Stops marking (the hub was removed from the configuration) and drops pending rows; the
   * sequence counter stays, so a later hub connection resumes with higher versions (and
   * resynchronises). Returns whether an enabled outbox was there.
   */
  static disable(db: DatabaseSync): boolean {
    const outbox = Outbox.stored(db);
    if (!outbox) return false;
    transaction(db, () => {
      db.exec('DELETE FROM unit_outbox');
      db.prepare("UPDATE unit_outbox_meta SET value = 0 WHERE name = 'enabled'").run();
    });
    return true;
  }

  /**
   * Applies new export settings. A changed resolution or label policy takes effect from the
   * next hour boundary (buckets before it keep the settings they were exported with, so no
   * bucket is ever exported two ways); an added kind schedules a resynchronisation; a
   * removed kind drops its pending rows.
   */
  configure(settings: OutboxSettings, nowMinute: number): void {
    const segments = [...this.#segments];
    const wanted = { minutes: settings.resolutionMinutes, labels: settings.policy.labels };
    const same = (segment: ExportSegment) =>
      segment.minutes === wanted.minutes && sameLabelPolicy(segment.labels, wanted.labels);
    if (!same(segments[segments.length - 1]!)) {
      const from = nextHour(nowMinute);
      // A segment that has not started yet is replaced, not stacked.
      while (segments.length > 1 && segments[segments.length - 1]!.fromMinute >= from) segments.pop();
      if (!same(segments[segments.length - 1]!)) segments.push({ fromMinute: from, ...wanted });
    }
    const before = this.#policy;
    const added = settings.policy.kinds.filter((kind) => !before.kinds.includes(kind));
    const removed = before.kinds.filter((kind) => !settings.policy.kinds.includes(kind));
    const wasEnabled = Number(this.#meta('enabled')) === 1;
    transaction(this.#db, () => {
      for (const kind of removed) {
        if (kind === 'counts') this.#db.exec('DELETE FROM unit_outbox WHERE start IS NOT NULL');
        else {
          this.#db
            .prepare(
              'DELETE FROM unit_outbox WHERE key IN (SELECT key FROM unit_outbox_records WHERE kind = ?)',
            )
            .run(kind);
          this.#db.prepare('DELETE FROM unit_outbox_records WHERE kind = ?').run(kind);
        }
      }
      this.#setMeta('segments', JSON.stringify(segments));
      this.#setMeta('policy', JSON.stringify(settings.policy));
      if (!wasEnabled || added.length > 0) this.#setMeta('resync', 1);
      this.#setMeta('enabled', 1);
    });
    this.#segments = segments;
    this.#policy = settings.policy;
  }

  /** The policy in force. */
  get policy(): ExportPolicy {
    return this.#policy;
  }

  /** Export settings by hour boundary, oldest first. */
  get segments(): readonly ExportSegment[] {
    return this.#segments;
  }

  /** Rolled-up ranges `[fromMinute, toMinute)`: buckets there are exported as whole hours. */
  get rolledRanges(): readonly (readonly [number, number])[] {
    return this.#rolled;
  }

  /** The hub's acknowledged high-water mark as the unit knows it (the next push's `afterSeq`). */
  get ackedSeq(): number {
    return this.#acked;
  }

  /** The next version the unit will issue. */
  get nextSeq(): number {
    return Number(this.#meta('next_seq'));
  }

  /** True when everything must be marked again before the next push (see `resync`). */
  get resyncPending(): boolean {
    return Number(this.#meta('resync')) === 1;
  }

  /** Records refused because they did not match the protocol schema (a bug if ever > 0). */
  get invalidRecords(): number {
    return this.#invalid;
  }

  /** Whether the `SextantOutboxNearQuota` alert is firing (persisted, so a restart does not re-page). */
  get quotaAlertFiring(): boolean {
    return Number(this.#meta('quota_alert')) === 1;
  }

  set quotaAlertFiring(firing: boolean) {
    this.#setMeta('quota_alert', firing ? 1 : 0);
  }

  /** Runs `fn` in a transaction, or inside the caller's when one is open. */
  transaction<T>(fn: () => T): T {
    return transaction(this.#db, fn);
  }

  /**
   * Marks the export spans of changed count buckets. Call it inside the transaction that
   * writes the buckets (`UnitState.apply` does). Returns the rows marked.
   */
  markCounts(buckets: Iterable<MarkedBucket>): number {
    if (!exportsKind(this.#policy, 'counts')) return 0;
    const spans = new Map<string, Span>();
    const series = new Map<string, [string, string]>();
    for (const bucket of buckets) {
      const span = spanOf(this.#segments, this.#rolled, bucket.minute);
      const labels = reduceLabels(segmentAt(this.#segments, span.start).labels, bucket.labels);
      spans.set(countsKey(bucket.sli, labels, span.start), span);
      const json = canonicalLabels(bucket.labels);
      series.set(`${bucket.sli}\u0000${json}`, [bucket.sli, json]);
    }
    return this.#markSpans(spans, series.values());
  }

  /**
   * Marks a new version of an SLO status, alert or catalog record, keeping its body for the
   * next push (and for a resynchronisation). Excluded kinds are never marked; a record the
   * protocol would refuse is counted in `invalidRecords` and skipped. Returns whether it was marked.
   */
  markRecord(record: UnsequencedRecord): boolean {
    if (!exportsKind(this.#policy, record.kind)) return false;
    const full = { ...record, seq: 1 } as SyncRecord;
    if (!syncSchemas().syncRecord.safeParse(full).success) {
      this.#invalid += 1;
      return false;
    }
    const key = recordKey(full);
    this.transaction(() => {
      const seq = this.#allocate(1);
      this.#stmt.upsertRow!.run(key, seq, null, null);
      this.#stmt.upsertRecord!.run(key, record.kind, seq, JSON.stringify(record));
    });
    return true;
  }

  /** The latest body marked for each non-count record key (of one kind, or all). */
  storedRecords(kind?: Exclude<RecordKind, 'counts'>): Map<string, UnsequencedRecord> {
    const out = new Map<string, UnsequencedRecord>();
    for (const row of this.#stmt.allRecords!.all() as { key: string; kind: string; body: string }[]) {
      if (kind === undefined || row.kind === kind)
        out.set(row.key, JSON.parse(row.body) as UnsequencedRecord);
    }
    return out;
  }

  /** Rows not yet acknowledged by the hub. */
  pendingCount(): number {
    return Number((this.#stmt.pendingCount!.get(this.#acked) as { n: number }).n);
  }

  /** Whether anything is pending (cheap: one index probe). */
  hasPending(): boolean {
    return this.#stmt.anyPending!.get(this.#acked) !== undefined;
  }

  /** Outbox size on disk, estimated from the row count and a sample of key sizes. */
  estimatedBytes(): number {
    const rows = Number((this.#stmt.rowCount!.get() as { n: number }).n);
    const records = Number((this.#stmt.recordBytes!.get() as { n: number }).n);
    if (rows === 0) return records;
    const avg = Number((this.#stmt.sampleKeyBytes!.get() as { avg: number | null }).avg ?? 0);
    // The key is stored twice: in the table and in the seq index.
    return rows * (2 * avg + ROW_OVERHEAD_BYTES) + records;
  }

  /**
   * The oldest pending rows as one push: in `seq` order, at most `maxRecords` rows and about
   * `maxBytes` of records, so `throughSeq` covers every pending row up to it. Count bodies
   * are read now from `reader`; empty counts (0/0) and excluded kinds are covered but not sent.
   */
  buildBatch(reader: CountReader, limits: { maxRecords: number; maxBytes: number }): OutboxBatch | undefined {
    this.rollFolded(reader);
    const rows = this.#stmt.pending!.all(this.#acked, limits.maxRecords) as unknown as Row[];
    if (rows.length === 0) return undefined;
    const members = new Map<string, Map<string, Record<string, string>[]>>();
    const records: SyncRecord[] = [];
    let bytes = 0;
    let covered = 0;
    let throughSeq = this.#acked;
    for (const row of rows) {
      const record = this.#materialize(row, reader, members);
      if (record !== undefined) {
        const size = Buffer.byteLength(JSON.stringify(record)) + 1;
        if (records.length > 0 && bytes + size > limits.maxBytes) break;
        bytes += size;
        records.push(record);
      }
      throughSeq = row.seq;
      covered += 1;
    }
    return { afterSeq: this.#acked, throughSeq, records, rows: covered, bytes };
  }

  /**
   * The hub acknowledged every version up to `ackedSeq`: prunes exactly those rows (a row
   * marked again since has a higher seq and stays). A mark below the unit's is a gap (see
   * `rewind`); a mark at or above the unit's next seq means the hub holds versions this
   * database never issued (a restored unit, a reused id), so seqs move above it.
   */
  acknowledge(ackedSeq: number): AckResult {
    if (ackedSeq < this.#acked) return this.rewind(ackedSeq);
    if (ackedSeq >= this.nextSeq) {
      this.#moveAbove(ackedSeq);
      return { kind: 'ahead' };
    }
    const pruned = this.transaction(() => {
      this.#setMeta('acked_seq', ackedSeq);
      return Number(this.#stmt.prune!.run(ackedSeq).changes);
    });
    this.#acked = ackedSeq;
    return { kind: 'ok', pruned };
  }

  /**
   * The hub's mark is below the unit's (it lost records, e.g. after a restore): the next
   * push starts from the hub's mark, and since rows above it were pruned, everything is
   * marked again (`resync`).
   */
  rewind(hubAckedSeq: number): AckResult {
    if (hubAckedSeq >= this.nextSeq) {
      this.#moveAbove(hubAckedSeq);
      return { kind: 'ahead' };
    }
    this.transaction(() => {
      this.#setMeta('acked_seq', hubAckedSeq);
      this.#setMeta('resync', 1);
    });
    this.#acked = hubAckedSeq;
    return { kind: 'behind' };
  }

  /**
   * Marks everything again with new versions: counts of every series from `horizonMinutes`
   * ago (as whole hours up to `lateMinutes` ago, a rolled-up range, so the resend stays
   * small; finer after that), and every stored SLO status, alert and catalog record.
   * `series` lists every series of the count store.
   */
  resync(
    reader: CountReader,
    series: readonly SeriesKey[],
    options: { nowMinute: number; horizonMinutes: number; lateMinutes: number },
  ): number {
    const from = hourFloor(options.nowMinute - options.horizonMinutes);
    const to = Math.max(from, hourFloor(options.nowMinute - options.lateMinutes));
    let marked = 0;
    const rolled = to > from ? addRange(this.#rolled, from, to) : this.#rolled;
    this.transaction(() => {
      for (const key of series) this.#stmt.insertSeries!.run(key.sli, canonicalLabels(key.labels));
      if (exportsKind(this.#policy, 'counts')) {
        if (to > from) {
          this.#stmt.deleteFine!.run(from, to);
          this.#setMeta('rolled', JSON.stringify(rolled));
        }
        const spans = this.#hourSpans(reader, from, to);
        for (const { sli, labels } of this.#allSeries()) {
          reader.series({ sli, labels }).forEachMinute(to, END_OF_TIME, (minute, good, total) => {
            if (good === 0 && total === 0) return;
            const span = spanOf(this.#segments, rolled, minute);
            const reduced = reduceLabels(segmentAt(this.#segments, span.start).labels, labels);
            spans.set(countsKey(sli, reduced, span.start), span);
          });
        }
        marked += this.#markSpans(spans, []);
      }
      for (const row of this.#stmt.allRecords!.all() as { key: string; kind: string; body: string }[]) {
        if (!exportsKind(this.#policy, row.kind as RecordKind)) continue;
        const seq = this.#allocate(1);
        this.#stmt.upsertRow!.run(row.key, seq, null, null);
        this.#stmt.upsertRecord!.run(row.key, row.kind, seq, row.body);
        marked += 1;
      }
      this.#setMeta('sync_from', from);
      this.#setMeta('resync', 0);
    });
    this.#rolled = rolled;
    return marked;
  }

  /**
   * One roll-up step for the disk quota: the oldest hours with pending fine rows (up to a
   * day, never the current hour) become a rolled-up range: their fine rows are replaced by
   * one hour row per series with data, with new versions, and later changes there are
   * marked as hours. Returns the hours rolled up (0: nothing left to roll).
   */
  rollUp(reader: CountReader, nowMinute: number): number {
    const oldest = (this.#stmt.oldestFine!.get() as { start: number | null }).start;
    if (oldest === null) return 0;
    const from = hourFloor(oldest);
    const to = Math.min(from + ROLL_UP_STEP_HOURS * HOUR, hourFloor(nowMinute));
    if (to <= from) return 0;
    this.#rollRange(reader, from, to);
    return (to - from) / HOUR;
  }

  /**
   * Pending fine rows below the store's minute-resolution watermark cannot be read back
   * minute by minute any more (the store folded them into hours): they are rolled up.
   */
  rollFolded(reader: CountReader): number {
    const watermark = reader.resolution.minuteResolutionFromMinute;
    if (watermark <= this.#foldChecked) return 0;
    this.#foldChecked = watermark;
    const oldest = (this.#stmt.oldestFine!.get() as { start: number | null }).start;
    if (oldest === null || oldest >= watermark) return 0;
    const from = hourFloor(oldest);
    this.#rollRange(reader, from, watermark);
    return (watermark - from) / HOUR;
  }

  /**
   * The unit's exported records as the hub holds them once everything is acknowledged:
   * the latest version of every exportable record, counts read now from `reader` for every
   * span with data since the oldest one exported. Compare `canonicalChecksum` of this with
   * the hub's. `seq` is the pending row's, or the acknowledged mark for records already
   * acknowledged (checksums ignore it). Spans the store has folded to hours are given as hours.
   */
  exportedRecords(reader: CountReader): SyncRecord[] {
    const out: SyncRecord[] = [];
    const seqOf = (key: string) =>
      Number((this.#stmt.rowSeq!.get(key) as { seq: number } | undefined)?.seq ?? Math.max(1, this.#acked));
    if (exportsKind(this.#policy, 'counts')) {
      const syncFrom = Number(this.#meta('sync_from'));
      const folded = reader.resolution.minuteResolutionFromMinute;
      const spans = new Map<string, Span>();
      for (const { sli, labels } of this.#allSeries()) {
        reader.series({ sli, labels }).forEachMinute(syncFrom, END_OF_TIME, (minute, good, total) => {
          if (good === 0 && total === 0) return;
          const span =
            minute < folded
              ? { start: hourFloor(minute), minutes: HOUR }
              : spanOf(this.#segments, this.#rolled, minute);
          const reduced = reduceLabels(segmentAt(this.#segments, span.start).labels, labels);
          spans.set(countsKey(sli, reduced, span.start), span);
        });
      }
      const members = new Map<string, Map<string, Record<string, string>[]>>();
      for (const [key, span] of spans) {
        const record = this.#materialize(
          { key, seq: seqOf(key), start: span.start, minutes: span.minutes },
          reader,
          members,
        );
        if (record !== undefined) out.push(record);
      }
    }
    for (const row of this.#stmt.allRecords!.all() as { key: string; seq: number; body: string }[]) {
      const record = { ...(JSON.parse(row.body) as UnsequencedRecord), seq: Number(row.seq) } as SyncRecord;
      const view = exportView(this.#policy, record);
      if (view !== undefined) out.push(view);
    }
    return out;
  }

  #meta(name: string): unknown {
    return (this.#stmt.getMeta!.get(name) as { value: unknown } | undefined)?.value;
  }

  #setMeta(name: string, value: string | number): void {
    this.#stmt.setMeta!.run(name, value);
  }

  /** `n` consecutive new versions; returns the first. Inside the caller's transaction. */
  #allocate(n: number): number {
    const next = Number((this.#stmt.allocate!.get(n) as { value: number }).value);
    return next - n;
  }

  #allSeries(): { sli: string; labels: Record<string, string> }[] {
    return (this.#stmt.allSeries!.all() as { sli: string; labels: string }[]).map((row) => ({
      sli: row.sli,
      labels: JSON.parse(row.labels) as Record<string, string>,
    }));
  }

  #markSpans(spans: Map<string, Span>, series: Iterable<[string, string]>): number {
    if (spans.size === 0) return 0;
    return this.transaction(() => {
      let seq = this.#allocate(spans.size);
      let oldest = Number.POSITIVE_INFINITY;
      for (const [key, span] of spans) {
        this.#stmt.upsertRow!.run(key, seq, span.start, span.minutes);
        seq += 1;
        if (span.start < oldest) oldest = span.start;
      }
      for (const [sli, labels] of series) this.#stmt.insertSeries!.run(sli, labels);
      this.#stmt.lowerSyncFrom!.run(oldest);
      return spans.size;
    });
  }

  /** Hour spans of every series with data in `[from, to)`. */
  #hourSpans(reader: CountReader, from: number, to: number): Map<string, Span> {
    const spans = new Map<string, Span>();
    if (to <= from) return spans;
    for (const { sli, labels } of this.#allSeries()) {
      const series = reader.series({ sli, labels });
      for (let hour = from; hour < to; hour += HOUR) {
        const sum = series.sum(hour, hour + HOUR);
        if (sum.good === 0 && sum.total === 0) continue;
        const reduced = reduceLabels(segmentAt(this.#segments, hour).labels, labels);
        spans.set(countsKey(sli, reduced, hour), { start: hour, minutes: HOUR });
      }
    }
    return spans;
  }

  /** Makes `[from, to)` a rolled-up range and marks its hours (see `rollUp`). */
  #rollRange(reader: CountReader, from: number, to: number): void {
    const rolled = addRange(this.#rolled, from, to);
    this.transaction(() => {
      this.#setMeta('rolled', JSON.stringify(rolled));
      this.#stmt.deleteFine!.run(from, to);
      if (exportsKind(this.#policy, 'counts')) this.#markSpans(this.#hourSpans(reader, from, to), []);
    });
    this.#rolled = rolled;
  }

  /** Everything newer than `mark` gets versions above it, order kept; a resync is due. */
  #moveAbove(mark: number): void {
    this.transaction(() => {
      const next = this.nextSeq;
      // Every pending version moves up by the same amount, so their order is kept.
      const shift = mark + 1;
      this.#db.prepare('UPDATE unit_outbox SET seq = seq + ?').run(shift);
      this.#db.prepare('UPDATE unit_outbox_records SET seq = seq + ?').run(shift);
      this.#setMeta('next_seq', next + shift);
      this.#setMeta('acked_seq', mark);
      this.#setMeta('resync', 1);
    });
    this.#acked = mark;
  }

  #materialize(
    row: Row,
    reader: CountReader,
    members: Map<string, Map<string, Record<string, string>[]>>,
  ): SyncRecord | undefined {
    if (row.start === null) {
      const body = (this.#stmt.getRecord!.get(row.key) as { body: string } | undefined)?.body;
      if (body === undefined) return undefined;
      const record = { ...(JSON.parse(body) as UnsequencedRecord), seq: Number(row.seq) } as SyncRecord;
      return exportView(this.#policy, record);
    }
    if (!exportsKind(this.#policy, 'counts')) return undefined;
    const [, sli, pairs] = JSON.parse(row.key) as [string, string, [string, string][], number];
    const labels = Object.fromEntries(pairs);
    const start = Number(row.start);
    const minutes = Number(row.minutes);
    const policy = segmentAt(this.#segments, start).labels;
    let good = 0;
    let total = 0;
    if (policy.mode === 'all') {
      ({ good, total } = reader.series({ sli, labels }).sum(start, start + minutes));
    } else {
      const cacheKey = `${sli}\u0000${JSON.stringify(policy)}`;
      let groups = members.get(cacheKey);
      if (groups === undefined) {
        groups = new Map();
        for (const member of this.#stmt.seriesOfSli!.all(sli) as { labels: string }[]) {
          const full = JSON.parse(member.labels) as Record<string, string>;
          const reduced = canonicalLabels(reduceLabels(policy, full));
          const list = groups.get(reduced);
          if (list) list.push(full);
          else groups.set(reduced, [full]);
        }
        members.set(cacheKey, groups);
      }
      for (const full of groups.get(canonicalLabels(labels)) ?? []) {
        const sum = reader.series({ sli, labels: full }).sum(start, start + minutes);
        good += sum.good;
        total += sum.total;
      }
    }
    if (good === 0 && total === 0) return undefined;
    return { kind: 'counts', seq: Number(row.seq), sli, labels, startMinute: start, minutes, good, total };
  }
}

function transaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec('BEGIN IMMEDIATE');
  try {
    const value = fn();
    db.exec('COMMIT');
    return value;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
