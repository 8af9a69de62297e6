/**
 * The replication protocol between units and the hub (`sextant-sync`), defined once in zod:
 * the TypeScript types, the hub's validation of every push, and the OpenAPI document all
 * come from these schemas.
 *
 * One writer per record (ARCHITECTURE.md, principle 3): every record is owned by exactly
 * one unit and carries that unit's sequence number as its version. The hub keeps, for each
 * record key, the body with the highest version, so duplicates, reordering and replays
 * cannot change its final state. See docs/hub.md, "Replication".
 */
import { z } from 'zod';

/** The protocol this build speaks. Peers with the same major version work together. */
export const SYNC_PROTOCOL = { major: 1, minor: 0 } as const;
/** `1.0`: sent in the `Sextant-Sync-Protocol` header and in every push body. */
export const SYNC_PROTOCOL_VERSION = `${SYNC_PROTOCOL.major}.${SYNC_PROTOCOL.minor}`;
/** The HTTP header that carries the sender's protocol version. */
export const SYNC_PROTOCOL_HEADER = 'sextant-sync-protocol';

/** Parses `1.0` into its parts; undefined when it is not `major.minor`. */
export function parseProtocolVersion(text: string): { major: number; minor: number } | undefined {
  const match = /^(\d{1,4})\.(\d{1,4})$/.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/**
 * True when a peer speaking `version` can exchange pushes with this build: same major.
 * A newer minor may add record kinds and fields, which an older peer ignores (and counts).
 */
export function isCompatibleProtocol(version: string): boolean {
  const parsed = parseProtocolVersion(version);
  return parsed !== undefined && parsed.major === SYNC_PROTOCOL.major;
}

/** A unit id, tenant, environment or product line: DNS-label-like, 1 to 63 characters. */
export const UNIT_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The record kinds of this protocol version. */
export const RECORD_KINDS = ['counts', 'slo_status', 'alert', 'catalog'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Most records one push may carry; the unit sends bounded batches (docs/hub.md). */
export const MAX_RECORDS_PER_PUSH = 10_000;
/** Largest push body the hub accepts, after decompression. */
export const MAX_PUSH_BYTES = 16 * 1024 * 1024;

/**
 * Builds the protocol's schemas. Zod schemas carry their own closures (about 1 MB for
 * these): a unit without a hub never builds them, others build them once (`syncSchemas`).
 */
function buildSyncSchemas() {
  const unitId = z.string().regex(UNIT_ID_PATTERN, 'an id of lowercase letters, digits and dashes (1-63)');

  /** A unit's sequence number: the version of every record it writes. Positive, exact in a double. */
  const seq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
  const epochMinute = z
    .number()
    .int()
    .min(0)
    .max(2 ** 40);
  const count = z.number().finite().min(0);
  const labelValue = z.string().max(1024);
  const labels = z.record(z.string().min(1).max(256), labelValue);
  const sliId = z
    .string()
    .min(3)
    .max(256)
    .regex(/^[^/\s]+\/[^/\s]+$/, 'an SLI id such as "checkout/availability"');
  const sloId = z
    .string()
    .min(3)
    .max(256)
    .regex(/^[^/\s]+\/[^/\s]+$/, 'an SLO id such as "checkout/availability-99"');

  /**
   * SLI counts of one series over `[startMinute, startMinute + minutes)`: the exact good and
   * total of those minutes on the unit, summed. `minutes` is the unit's export resolution, or
   * 60 for an hour the unit rolled up when its outbox neared its disk quota. A record covering
   * an hour replaces the finer records inside that hour that have lower versions.
   */
  const countsRecord = z.strictObject({
    kind: z.literal('counts'),
    seq,
    sli: sliId,
    labels,
    startMinute: epochMinute,
    minutes: z.number().int().min(1).max(60),
    good: count,
    total: count,
  });

  const burnRate = z.strictObject({
    /** The window's name as in the catalog (`5m`, `1h`, `6h`, ...). */
    window: z.string().max(32),
    windowMinutes: z.number().int().positive(),
    rate: z.number().finite().nullable(),
  });

  /** The unit's latest evaluation of one SLO (absent body plus `deleted`: the SLO is gone). */
  const sloStatusRecord = z.strictObject({
    kind: z.literal('slo_status'),
    seq,
    slo: sloId,
    deleted: z.literal(true).optional(),
    status: z
      .strictObject({
        atMs: z.number().int().min(0),
        objectiveRatio: z.number().gt(0).lt(1),
        windowMinutes: z.number().int().positive(),
        good: count,
        total: count,
        sliRatio: z.number().finite().nullable(),
        budgetRemainingRatio: z.number().finite().nullable(),
        burnRates: z.array(burnRate).max(32),
        firing: z.array(z.string().max(64)).max(32),
      })
      .optional(),
  });

  /** A change of one alert's state (one record per SLO and alert name; the latest wins). */
  const alertRecord = z.strictObject({
    kind: z.literal('alert'),
    seq,
    slo: sloId,
    alert: z.string().min(1).max(64),
    state: z.enum(['inactive', 'pending', 'firing', 'resolved']),
    sinceMs: z.number().int().min(0),
    severity: z.string().max(32).optional(),
    summary: z.string().max(2048).optional(),
  });

  /** The catalog version the unit is running (one record per unit). */
  const catalogRecord = z.strictObject({
    kind: z.literal('catalog'),
    seq,
    version: z.string().min(1).max(128),
    source: z.enum(['local', 'hub']),
  });

  /** Every record kind this protocol version defines. */
  const syncRecord = z.discriminatedUnion('kind', [
    countsRecord,
    sloStatusRecord,
    alertRecord,
    catalogRecord,
  ]);

  /**
   * One push: every outbox record of the unit with `afterSeq < seq <= throughSeq`, in any
   * order. The hub applies it in one transaction and then acknowledges `throughSeq` if it
   * had already acknowledged `afterSeq` (so its acknowledgement is a contiguous high-water
   * mark). Records of kinds this hub does not know (from a newer minor version) are ignored
   * and counted, never refused.
   */
  const pushRequest = z.strictObject({
    protocol: z.string().max(16),
    unit: unitId,
    afterSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    throughSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    sentAtMs: z.number().int().min(0),
    records: z.array(z.looseObject({ kind: z.string().max(64), seq })).max(MAX_RECORDS_PER_PUSH),
  });

  /** The hub's answer to an accepted push. */
  const pushResponse = z.strictObject({
    protocol: z.string(),
    /** Every record with `seq <= ackedSeq` is durable on the hub; the unit may prune them. */
    ackedSeq: z.number().int().min(0),
    /** Records whose version won (stored or replaced what was there). */
    applied: z.number().int().min(0),
    /** Records that lost to a stored higher version (replays, duplicates, reordering). */
    superseded: z.number().int().min(0),
    /** Records outside the hub's retention, or of a kind this hub does not know. */
    ignored: z.number().int().min(0),
    /** The catalog version the hub distributes to this unit, so it fetches only on change. */
    catalogVersion: z.string().nullable(),
  });

  /**
   * The hub's answer when `afterSeq` is above its acknowledged mark (it lost records, for
   * example after a restore): the unit resends from `ackedSeq`, or resynchronises if it
   * already pruned them.
   */
  const pushGap = z.strictObject({
    protocol: z.string(),
    error: z.literal('sequence_gap'),
    message: z.string(),
    ackedSeq: z.number().int().min(0),
  });

  /** The catalog (and unit config overrides) the hub distributes, by version. */
  const catalogBundle = z.strictObject({
    protocol: z.string(),
    /** A content digest (`sha256:...`): equal versions have equal files. */
    version: z.string().min(1).max(128),
    /** Relative path (forward slashes, no `..`) to file text. */
    files: z.record(z.string().min(1).max(512), z.string()),
    /** Unit settings the hub sets for this unit (only the keys of `UNIT_OVERRIDE_KEYS`). */
    overrides: z.record(z.string(), z.unknown()),
  });

  return {
    countsRecord,
    sloStatusRecord,
    alertRecord,
    catalogRecord,
    syncRecord,
    pushRequest,
    pushResponse,
    pushGap,
    catalogBundle,
  };
}

/** The protocol's schemas; see `buildSyncSchemas`. */
export type SyncSchemas = ReturnType<typeof buildSyncSchemas>;

let built: SyncSchemas | undefined;

/**
 * The protocol's schemas, built at the first use and kept.
 * @example syncSchemas().syncRecord.safeParse(record)
 */
export function syncSchemas(): SyncSchemas {
  built ??= buildSyncSchemas();
  return built;
}

export type CountsRecord = z.infer<SyncSchemas['countsRecord']>;
export type SloStatusRecord = z.infer<SyncSchemas['sloStatusRecord']>;
export type AlertRecord = z.infer<SyncSchemas['alertRecord']>;
export type CatalogRecord = z.infer<SyncSchemas['catalogRecord']>;
export type SyncRecord = z.infer<SyncSchemas['syncRecord']>;
export type PushRequest = z.infer<SyncSchemas['pushRequest']>;
export type PushResponse = z.infer<SyncSchemas['pushResponse']>;
export type PushGap = z.infer<SyncSchemas['pushGap']>;
export type CatalogBundle = z.infer<SyncSchemas['catalogBundle']>;

/** The unit settings a hub may override remotely; everything else stays local. */
export const UNIT_OVERRIDE_KEYS = ['evaluationInterval', 'pushInterval', 'exportResolutionMinutes'] as const;

/**
 * The canonical identity of a record within its unit: kind plus the fields that name it.
 * Two records with the same key are versions of one record; the higher `seq` wins.
 * @example recordKey({ kind: 'alert', slo: 'web/avail', alert: 'page-1h', ... }) // '["alert","web/avail","page-1h"]'
 */
export function recordKey(record: SyncRecord): string {
  switch (record.kind) {
    case 'counts': {
      const names = Object.keys(record.labels).sort();
      return JSON.stringify([
        'counts',
        record.sli,
        names.map((name) => [name, record.labels[name]]),
        record.startMinute,
      ]);
    }
    case 'slo_status':
      return JSON.stringify(['slo_status', record.slo]);
    case 'alert':
      return JSON.stringify(['alert', record.slo, record.alert]);
    case 'catalog':
      return JSON.stringify(['catalog']);
  }
}
