/**
 * The hub store contract. One implementation of the logic (`sql-store.ts`) runs on two
 * drivers, SQLite (`node:sqlite`, the default) and PostgreSQL (`pg`), and both pass one
 * conformance suite (`conformance.ts`).
 *
 * Tenant scoping is not the store's job, but the store makes it hard to forget: every query
 * over unit data takes the explicit list of unit ids the caller may see.
 */
import type { SyncRecord } from '../../sync/index.ts';

/** A value a SQL statement binds or returns. */
export type SqlValue = string | number | bigint | null | Uint8Array;
/** One result row. */
export type SqlRow = Record<string, SqlValue>;

/**
 * Runs statements. Placeholders are `$1, $2, ...` on both drivers (the SQLite driver
 * rewrites them to `?1, ?2, ...`). Integers come back as JS numbers (BIGINT columns hold
 * values below 2^53).
 */
export interface SqlExecutor {
  query(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A connection (SQLite) or pool (PostgreSQL). */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs several `;`-separated statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it
   * throws. Transactions never interleave on one SQLite connection; on PostgreSQL each
   * holds its own pooled client.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A unit as the hub knows it. */
export interface UnitInfo {
  id: string;
  tenant: string;
  environment: string;
  productLine: string | null;
  createdAtMs: number;
  /** Every record with `seq <= ackedSeq` is stored. */
  ackedSeq: number;
  lastPushAtMs: number | null;
  /** The catalog version the unit last reported running. */
  catalogVersion: string | null;
}

/** A unit to register. */
export interface UnitRegistration {
  id: string;
  tenant: string;
  environment: string;
  productLine?: string | null;
}

/** The roles of people and automation, each including the one before. */
export const ROLES = ['viewer', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * A credential, stored by the SHA-256 of its secret (tokens are 256 random bits, so a
 * fast hash is enough; the secret itself is shown once and never stored).
 */
export type Credential =
  | {
      id: string;
      kind: 'unit';
      unitId: string;
      name: string;
      secretSha256: string;
      createdAtMs: number;
      expiresAtMs: number | null;
      revokedAtMs: number | null;
    }
  | {
      id: string;
      kind: 'api';
      role: Role;
      /** Tenant patterns (`acme`, `dedicated-*`, `*`) this credential may see. */
      tenants: string[];
      name: string;
      secretSha256: string;
      createdAtMs: number;
      expiresAtMs: number | null;
      revokedAtMs: number | null;
    };

/**
 * A portal session as stored: hashes only. The cookie's session id and the CSRF token are
 * 256-bit secrets the hub shows once; the store keeps their SHA-256, like tokens.
 */
export interface StoredSession {
  /** SHA-256 (hex) of the session id, the key. */
  idSha256: string;
  /** The credential the session was opened with. */
  credentialId: string;
  /** SHA-256 of that credential's token: the session lives only as long as the token does. */
  secretSha256: string;
  /** SHA-256 (hex) of the session's CSRF token. */
  csrfSha256: string;
  createdAtMs: number;
  /** The session is over from this instant on. */
  expiresAtMs: number;
}

/** Why a session could not be opened: its token is unknown or revoked (as of the session's creation). */
export type SessionRefusal = 'unknown' | 'revoked';

/** What one push changed. */
export interface ApplyReport {
  ackedSeq: number;
  applied: number;
  superseded: number;
  ignored: number;
}

/** The outcome of `applyPush`: applied, or refused because of a sequence gap. */
export type ApplyOutcome = { ok: true; value: ApplyReport } | { ok: false; gap: { ackedSeq: number } };

/**
 * Counts of one unit's SLI (summed over its label values) over a window. Windows are
 * aligned to the hub's aggregation step: a boundary inside a step is rounded down to the
 * step's start, and inside rolled-up (hourly) data to the hour's start.
 */
export interface SliTotals {
  unitId: string;
  sli: string;
  good: number;
  total: number;
}

/** A window `[fromMinute, toMinute)` of epoch minutes. */
export interface MinuteWindow {
  fromMinute: number;
  toMinute: number;
}

/** One point of an SLI series at hub resolution: the counts of `[minute, minute + step)`. */
export interface SliPoint {
  minute: number;
  good: number;
  total: number;
}

/** A stored non-count record (SLO status, alert, catalog), with the version that won. */
export interface StoredRecord {
  unitId: string;
  kind: string;
  key: string;
  version: number;
  /** The record as received, without `seq`. */
  body: Record<string, unknown>;
}

/** A catalog bundle the hub distributes. */
export interface StoredCatalog {
  version: string;
  files: Record<string, string>;
  createdAtMs: number;
}

/** One audit log entry: who did what to which resource, and the outcome. */
export interface AuditEntry {
  atMs: number;
  /** `credential:<id>`, `unit:<id>` or `system`. */
  actor: string;
  /** `read`, `write`, `create`, `revoke`, `push`, `login`, ... */
  action: string;
  /** The resource, e.g. `GET /api/v1/fleet/budgets` or `credential:abc`. */
  resource: string;
  /** HTTP status or `ok`/`denied`. */
  outcome: string;
  detail?: Record<string, unknown>;
}

/** How long the hub keeps what. */
export interface HubRetention {
  /** Per-series count records (the finest data), default 35 days. */
  detailMinutes: number;
  /** Aggregated (unit, SLI) counts, folded to hours after `detailMinutes`, default 400 days. */
  aggregateMinutes: number;
  /** Audit log entries, default 400 days. */
  auditMinutes: number;
}

export const DEFAULT_HUB_RETENTION: Readonly<HubRetention> = Object.freeze({
  detailMinutes: 35 * 1440,
  aggregateMinutes: 400 * 1440,
  auditMinutes: 400 * 1440,
});

/** The hub's durable state. Every method is safe to call concurrently. */
export interface HubStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** The aggregation step in minutes (default 5): query boundaries align to it. */
  readonly stepMinutes: number;

  // Units and credentials.
  /** Registers a unit; refuses (ok: false) an id that exists. */
  createUnit(
    unit: UnitRegistration,
    atMs: number,
  ): Promise<{ ok: true; value: UnitInfo } | { ok: false; message: string }>;
  getUnit(id: string): Promise<UnitInfo | undefined>;
  /** Units whose tenant matches one of the patterns (`*` wildcards), ordered by id. */
  listUnits(tenantPatterns: readonly string[]): Promise<UnitInfo[]>;
  putCredential(credential: Credential): Promise<void>;
  findCredentialBySecretHash(secretSha256: string): Promise<Credential | undefined>;
  listCredentials(): Promise<Credential[]>;
  /** Marks a credential revoked and ends its portal sessions; false when no such credential exists. */
  revokeCredential(id: string, atMs: number): Promise<boolean>;

  // Portal sessions (shared by every hub on the database).
  /**
   * Stores a new session of the credential whose token hash it names, refused when that
   * credential is unknown or revoked. A token keeps at most `maxPerToken` live sessions:
   * its oldest are deleted to make room (its expired ones first), so a token holder can
   * only ever end its own sessions, never another's. `dropped` counts the live ones deleted.
   */
  openSession(
    session: StoredSession,
    options: { maxPerToken: number },
  ): Promise<{ ok: true; value: { dropped: number } } | { ok: false; reason: SessionRefusal }>;
  /** The session with this id hash and its credential, unless it has expired at `nowMs`. */
  getSession(
    idSha256: string,
    nowMs: number,
  ): Promise<{ session: StoredSession; credential: Credential } | undefined>;
  /** Ends a session; false when there was none. */
  deleteSession(idSha256: string): Promise<boolean>;
  /** Deletes the sessions expired at `nowMs`; answers how many. */
  sweepSessions(nowMs: number): Promise<number>;
  /** The sessions not expired at `nowMs`. */
  countSessions(nowMs: number): Promise<number>;

  // Replication.
  /**
   * Applies one push from `unitId` atomically: each record is upserted if its version is
   * higher than the stored one (counts: also replacing overlapping finer records of lower
   * version), then `ackedSeq` moves to `throughSeq` when `afterSeq <= ackedSeq`. When
   * `afterSeq > ackedSeq`, nothing is applied and the gap is reported.
   * Records must already be validated (`syncRecord`); unknown kinds come as `unknown`.
   */
  applyPush(
    unitId: string,
    push: { afterSeq: number; throughSeq: number; records: readonly (SyncRecord | UnknownRecord)[] },
    atMs: number,
  ): Promise<ApplyOutcome>;

  // Queries (all take the unit ids the caller may see).
  /**
   * Per (unit, SLI) totals over `[fromMinute, toMinute)` at hub resolution; pairs with no
   * counts in the window (good and total both 0) are left out.
   */
  sliTotals(query: {
    unitIds: readonly string[];
    slis?: readonly string[];
    fromMinute: number;
    toMinute: number;
  }): Promise<SliTotals[]>;
  /**
   * `sliTotals` of several windows over the same units and SLIs, one list per window in the
   * order asked. Boundaries the windows share are read once: burning-now's tier windows all
   * end now.
   */
  sliWindowTotals(query: {
    unitIds: readonly string[];
    slis?: readonly string[];
    windows: readonly MinuteWindow[];
  }): Promise<SliTotals[][]>;
  /**
   * One SLI's counts per step, summed over the given units, from the aggregates. The step
   * is rounded up to one the hub keeps whole (a multiple of `stepMinutes` that divides the
   * hour, or whole hours); steps without counts are left out.
   */
  sliSeries(query: {
    unitIds: readonly string[];
    sli: string;
    fromMinute: number;
    toMinute: number;
    stepMinutes: number;
  }): Promise<SliPoint[]>;
  /** Stored non-count records of some kinds. */
  records(query: { unitIds: readonly string[]; kinds: readonly string[] }): Promise<StoredRecord[]>;
  /**
   * The canonical checksum of everything stored for a unit (live count records and other
   * records, without versions): equal to `canonicalChecksum` of the unit's own records
   * when the hub has converged with it.
   */
  checksum(unitId: string): Promise<string>;

  // Catalog distribution.
  putCatalog(catalog: StoredCatalog): Promise<void>;
  latestCatalog(): Promise<StoredCatalog | undefined>;

  // Audit.
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** Entries at or after `fromMs`, oldest first, at most `limit`. */
  listAudit(query: { fromMs?: number; limit: number }): Promise<AuditEntry[]>;

  /**
   * Drops and folds old data per the retention, as of `nowMs`: `deletedDetail` count
   * records, `foldedAggregates` step rows merged into their hour's row, `deletedAudit` entries.
   */
  applyRetention(
    nowMs: number,
  ): Promise<{ deletedDetail: number; foldedAggregates: number; deletedAudit: number }>;
  close(): Promise<void>;
}

/** A record of a kind this hub's protocol version does not define. */
export interface UnknownRecord {
  kind: 'unknown';
  seq: number;
}
