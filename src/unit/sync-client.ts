/**
 * The unit's push loop to the hub (docs/hub.md, "Push"): every `pushInterval` it sends the
 * oldest pending outbox rows as one gzip JSON `pushRequest`, prunes what the hub
 * acknowledges, and pushes again at once while more is pending, so a unit that was cut off
 * for days catches up in bounded, ordered batches. Failures never lose data: rows stay in
 * the outbox until acknowledged; the loop backs off (full jitter), honours `Retry-After`,
 * resynchronises on a sequence gap, and rolls old counts up to hours when the outbox nears
 * its disk quota. Nothing here gates the unit's readiness: the unit works without a hub.
 */

import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { parseRetryAfterMs } from '../notify/backoff.ts';
import type { CountReader, SeriesKey } from '../store/index.ts';
import {
  type PushResponse,
  SYNC_PROTOCOL_HEADER,
  SYNC_PROTOCOL_VERSION,
  syncSchemas,
} from '../sync/index.ts';
import { toError } from '../util/index.ts';
import type { Logger } from './logger.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { Outbox } from './outbox.ts';

const gzip = promisify(gzipCallback);

/** `fetch` as the client uses it (tests pass an in-process hub). */
export type HttpFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Timers the loop schedules with (tests inject their own to step time by hand). */
export interface SyncTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: SyncTimers = {
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** At this share of the quota the unit alerts and rolls counts up to hours. */
export const QUOTA_HIGH_RATIO = 0.8;
/** The alert resolves under this share (once what was rolled up has reached the hub). */
export const QUOTA_LOW_RATIO = 0.7;
/** An idle unit still pushes (empty) after this many intervals without contact. */
const HEARTBEAT_INTERVALS = 4;
/** Roll-ups stop once the outbox is under this share. */
const QUOTA_TARGET_RATIO = 0.75;

export interface SyncClientOptions {
  outbox: Outbox;
  /** A fresh reader over the unit's counts. */
  reader: () => CountReader;
  /** Every series of the count store (for a resynchronisation). */
  listSeries: () => Promise<SeriesKey[]>;
  unitId: string;
  /** The hub's base URL. */
  hubUrl: string;
  /** The unit's token, read before every request (so a rotated token file takes effect). */
  token: () => Promise<string>;
  pushIntervalMs: number;
  maxRecords: number;
  maxBytes: number;
  timeoutMs: number;
  /** How far back a resynchronisation resends counts. */
  resyncHorizonMinutes: number;
  /** Minutes still open to late samples: a resync resends them at the export resolution. */
  lateMinutes: number;
  quotaBytes: number;
  now: () => number;
  log: Logger;
  fetch?: HttpFetch;
  /** In [0, 1); default `Math.random` (jitter). */
  random?: () => number;
  metrics?: MetricsRegistry;
  /** Longest wait between attempts; default 5 minutes (at least the push interval). */
  backoffCapMs?: number;
  timers?: SyncTimers;
  /** Simulated milliseconds per real millisecond (the demo runs at 60). */
  timeScale?: number;
  /** After every accepted push: the unit checks the hub's catalog version here. */
  onAccepted?: (response: PushResponse) => Promise<void> | void;
  /** After every quota check: raise or resolve `SextantOutboxNearQuota`. */
  onQuota?: (quota: QuotaState) => Promise<void> | void;
}

/** The outbox against its quota, after a check. */
export interface QuotaState {
  bytes: number;
  quotaBytes: number;
  firing: boolean;
  /** True when `firing` changed at this check. */
  changed: boolean;
  /** Hours rolled up at this check. */
  rolledHours: number;
}

/** What one push attempt came to; `delayFor` turns it into the wait before the next. */
export type PushOutcome =
  | { kind: 'idle' }
  | { kind: 'ok'; ackedSeq: number; records: number; more: boolean }
  | { kind: 'gap'; ackedSeq: number }
  | { kind: 'throttled'; status: number; retryAfterMs: number | null }
  | { kind: 'server_error'; status: number; message: string }
  | { kind: 'network_error'; message: string }
  | { kind: 'timeout' }
  | { kind: 'invalid_response'; message: string }
  | { kind: 'rejected'; status: number; message: string };

/** The loop's state, for /metrics, logs and tests. */
export interface SyncStatus {
  ackedSeq: number;
  pending: number;
  lastSuccessMs: number | null;
  consecutiveFailures: number;
  lastOutcome: PushOutcome['kind'] | null;
}

/** Pushes the outbox to the hub; see the file comment. */
export class SyncClient {
  readonly #options: SyncClientOptions;
  readonly #fetch: HttpFetch;
  readonly #random: () => number;
  readonly #timers: SyncTimers;
  #pushIntervalMs: number;
  #maxRecords: number;
  #maxBytes: number;
  #failures = 0;
  #lastSuccessMs: number | null = null;
  #lastOutcome: PushOutcome['kind'] | null = null;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #started = false;
  #stopped = false;
  #rollupSeq = 0;
  #lastQuotaCheckMs = Number.NEGATIVE_INFINITY;
  /** Aborts a request in flight when the loop stops. */
  readonly #stopping = new AbortController();

  constructor(options: SyncClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#random = options.random ?? Math.random;
    this.#timers = options.timers ?? REAL_TIMERS;
    this.#pushIntervalMs = options.pushIntervalMs;
    this.#maxRecords = options.maxRecords;
    this.#maxBytes = options.maxBytes;
    const metrics = options.metrics;
    if (metrics) {
      const { outbox } = options;
      metrics.collect(
        'sextant_sync_pending_records',
        'Outbox rows not yet acknowledged by the hub.',
        'gauge',
        () => [{ labels: {}, value: outbox.pendingCount() }],
      );
      metrics.collect('sextant_sync_acked_seq', "The hub's acknowledged sequence number.", 'gauge', () => [
        { labels: {}, value: outbox.ackedSeq },
      ]);
      metrics.collect('sextant_sync_outbox_bytes', 'Estimated size of the outbox on disk.', 'gauge', () => [
        { labels: {}, value: outbox.estimatedBytes() },
      ]);
      metrics.collect(
        'sextant_sync_invalid_records',
        'Records the protocol would refuse, never marked (a bug if ever above 0).',
        'gauge',
        () => [{ labels: {}, value: outbox.invalidRecords }],
      );
      metrics.set(
        'sextant_sync_outbox_quota_bytes',
        'The outbox disk quota (sync.outboxQuota).',
        options.quotaBytes,
      );
    }
  }

  /** Current state. */
  status(): SyncStatus {
    return {
      ackedSeq: this.#options.outbox.ackedSeq,
      pending: this.#options.outbox.pendingCount(),
      lastSuccessMs: this.#lastSuccessMs,
      consecutiveFailures: this.#failures,
      lastOutcome: this.#lastOutcome,
    };
  }

  /** Changes the push interval (a hub override); takes effect from the next wait. */
  setPushInterval(ms: number): void {
    this.#pushIntervalMs = ms;
  }

  /** Starts the loop; the first push goes out after a random part of one interval. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#schedule(this.#random() * this.#pushIntervalMs);
  }

  /** Stops the loop and waits for a push in flight. Pending rows stay for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Pushes until nothing is pending or an attempt fails; returns the last outcome (tests, shutdown). */
  async drain(maxPushes = 1000): Promise<PushOutcome> {
    let outcome: PushOutcome = { kind: 'idle' };
    for (let i = 0; i < maxPushes; i++) {
      outcome = await this.pushOnce();
      if (outcome.kind === 'gap') continue;
      if (outcome.kind !== 'ok' || !outcome.more) break;
    }
    return outcome;
  }

  /** How long to wait after `outcome` (before the time scale). */
  delayFor(outcome: PushOutcome): number {
    const interval = this.#pushIntervalMs;
    const cap = Math.max(this.#options.backoffCapMs ?? 5 * 60_000, interval);
    switch (outcome.kind) {
      case 'idle':
        return interval;
      case 'ok':
        return outcome.more ? 0 : interval;
      case 'gap':
        return 0;
      case 'throttled':
        return outcome.retryAfterMs ?? this.#backoff(interval, cap);
      case 'rejected':
        // A person has to act (token, protocol, body): ask again rarely.
        return cap;
      default:
        return this.#backoff(interval, cap);
    }
  }

  /**
   * One attempt: resynchronise if due, check the quota, build a batch, push it, and apply
   * the answer. Never throws for hub or network trouble.
   */
  async pushOnce(): Promise<PushOutcome> {
    const outcome = await this.#attempt();
    this.#lastOutcome = outcome.kind;
    const failed = !['idle', 'ok', 'gap'].includes(outcome.kind);
    if (outcome.kind !== 'idle') {
      this.#options.metrics?.inc(
        'sextant_sync_push_attempts_total',
        'Pushes to the hub by outcome (ok, gap, throttled, server_error, network_error, timeout, invalid_response, rejected).',
        { outcome: outcome.kind },
      );
    }
    if (failed) this.#failures += 1;
    else this.#failures = 0;
    return outcome;
  }

  async #attempt(): Promise<PushOutcome> {
    const options = this.#options;
    const { outbox, log } = options;
    const nowMs = options.now();
    await this.#maintain(nowMs);
    let batch = outbox.buildBatch(options.reader(), {
      maxRecords: this.#maxRecords,
      maxBytes: this.#maxBytes,
    });
    if (batch === undefined) {
      // Nothing to send: an empty push now and then still tells the unit the hub's catalog
      // version and reveals a hub that lost records (a 409), even for an idle unit.
      const quiet =
        this.#lastSuccessMs === null ||
        nowMs - this.#lastSuccessMs >= HEARTBEAT_INTERVALS * this.#pushIntervalMs;
      if (!quiet) return { kind: 'idle' };
      const mark = outbox.ackedSeq;
      batch = { afterSeq: mark, throughSeq: mark, records: [], rows: 0, bytes: 0 };
    }
    const body = {
      protocol: SYNC_PROTOCOL_VERSION,
      unit: options.unitId,
      afterSeq: batch.afterSeq,
      throughSeq: batch.throughSeq,
      sentAtMs: nowMs,
      records: batch.records,
    };
    let token: string;
    try {
      token = (await options.token()).trim();
    } catch (error) {
      const message = `cannot read the hub token: ${toError(error).message}`;
      log('error', message);
      return { kind: 'rejected', status: 0, message };
    }
    const compressed = await gzip(JSON.stringify(body));
    const url = new URL('api/v1/sync/push', withSlash(options.hubUrl)).toString();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    timer.unref();
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          [SYNC_PROTOCOL_HEADER]: SYNC_PROTOCOL_VERSION,
        },
        body: compressed,
        signal: AbortSignal.any([controller.signal, this.#stopping.signal]),
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      if (this.#stopping.signal.aborted) return { kind: 'network_error', message: 'stopped' };
      if (controller.signal.aborted) {
        log('warn', 'push to the hub timed out; retrying with backoff', { timeoutMs: options.timeoutMs });
        return { kind: 'timeout' };
      }
      const message = describeNetworkError(error);
      log('warn', 'cannot reach the hub; retrying with backoff', { error: message });
      return { kind: 'network_error', message };
    } finally {
      clearTimeout(timer);
    }

    if (status === 200) {
      const parsed = syncSchemas().pushResponse.safeParse(safeJson(text));
      if (!parsed.success) {
        const message = `the hub's answer is not a push response: ${parsed.error.issues[0]?.message ?? ''}`;
        log('error', message);
        return { kind: 'invalid_response', message };
      }
      const response = parsed.data;
      const result = outbox.acknowledge(response.ackedSeq);
      if (result.kind !== 'ok') {
        log('warn', 'the hub acknowledged a mark this unit did not expect; resynchronising', {
          hubAckedSeq: response.ackedSeq,
          result: result.kind,
        });
      }
      this.#lastSuccessMs = options.now();
      options.metrics?.set(
        'sextant_sync_last_success_timestamp_seconds',
        'When the hub last accepted a push.',
        this.#lastSuccessMs / 1000,
      );
      options.metrics?.inc(
        'sextant_sync_records_sent_total',
        'Records the hub accepted (applied or superseded).',
        {},
        batch.records.length,
      );
      if (this.#maxRecords < options.maxRecords)
        this.#maxRecords = Math.min(options.maxRecords, this.#maxRecords * 2);
      if (this.#maxBytes < options.maxBytes) this.#maxBytes = Math.min(options.maxBytes, this.#maxBytes * 2);
      try {
        await options.onAccepted?.(response);
      } catch (error) {
        log('error', 'handling the push answer failed', { error: toError(error).message });
      }
      return {
        kind: 'ok',
        ackedSeq: response.ackedSeq,
        records: batch.records.length,
        more: result.kind !== 'ok' || outbox.hasPending(),
      };
    }
    const message = hubMessage(text);
    if (status === 409) {
      const gap = syncSchemas().pushGap.safeParse(safeJson(text));
      if (gap.success) {
        outbox.rewind(gap.data.ackedSeq);
        log('warn', 'the hub lost records above its mark (restored?); resending everything still held', {
          unitAckedSeq: batch.afterSeq,
          hubAckedSeq: gap.data.ackedSeq,
        });
        return { kind: 'gap', ackedSeq: gap.data.ackedSeq };
      }
    }
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfterMs(retryAfter, options.now());
      log('info', 'the hub asks to retry later', { status, retryAfterMs });
      return { kind: 'throttled', status, retryAfterMs };
    }
    if (status >= 500) {
      log('warn', 'the hub failed; retrying with backoff', { status, error: message });
      return { kind: 'server_error', status, message };
    }
    if (status === 413) {
      // Smaller batches next time (doubled back after each success).
      this.#maxRecords = Math.max(1, Math.floor(this.#maxRecords / 2));
      this.#maxBytes = Math.max(1024, Math.floor(this.#maxBytes / 2));
    }
    log('error', 'the hub refused the push; nothing is lost, but this needs a person', {
      status,
      error: message,
      hint: HINTS[status] ?? 'see docs/hub.md',
    });
    return { kind: 'rejected', status, message };
  }

  /** Resync when due; quota check and roll-up. */
  async #maintain(nowMs: number): Promise<void> {
    const options = this.#options;
    const { outbox, log } = options;
    const nowMinute = Math.floor(nowMs / 60_000);
    if (outbox.resyncPending) {
      const series = await options.listSeries();
      const marked = outbox.resync(options.reader(), series, {
        nowMinute,
        horizonMinutes: options.resyncHorizonMinutes,
        lateMinutes: options.lateMinutes,
      });
      options.metrics?.inc('sextant_sync_resyncs_total', 'Times everything was marked again for the hub.');
      log(
        'warn',
        'marked every record again for the hub (first connection, re-enabled, or the hub lost records)',
        {
          records: marked,
          horizonMinutes: options.resyncHorizonMinutes,
        },
      );
    }
    // Counting the outbox costs a scan: once per push interval is enough, even while catching up.
    if (nowMs - this.#lastQuotaCheckMs < this.#pushIntervalMs) return;
    this.#lastQuotaCheckMs = nowMs;
    const quota = options.quotaBytes;
    let bytes = outbox.estimatedBytes();
    let rolledHours = 0;
    const wasFiring = outbox.quotaAlertFiring;
    let firing = wasFiring;
    if (bytes >= QUOTA_HIGH_RATIO * quota) {
      firing = true;
      const reader = options.reader();
      while (bytes >= QUOTA_TARGET_RATIO * quota) {
        const hours = outbox.rollUp(reader, nowMinute);
        if (hours === 0) break;
        rolledHours += hours;
        bytes = outbox.estimatedBytes();
      }
      if (rolledHours > 0) {
        this.#rollupSeq = outbox.nextSeq - 1;
        options.metrics?.inc(
          'sextant_sync_rollup_hours_total',
          'Hours of counts rolled up because the outbox neared its quota.',
          {},
          rolledHours,
        );
        log('warn', 'the outbox is near its disk quota: rolled the oldest pending counts up to hours', {
          hours: rolledHours,
          bytes,
          quotaBytes: quota,
        });
      }
      if (bytes >= quota) {
        log('error', 'the outbox is over its disk quota with nothing left to roll up; keeping everything', {
          bytes,
          quotaBytes: quota,
        });
      }
    } else if (wasFiring && bytes < QUOTA_LOW_RATIO * quota && outbox.ackedSeq >= this.#rollupSeq) {
      firing = false;
    }
    if (firing !== wasFiring) {
      outbox.quotaAlertFiring = firing;
      log(firing ? 'warn' : 'info', firing ? 'outbox near its quota' : 'outbox back under its quota', {
        bytes,
        quotaBytes: quota,
      });
    }
    options.metrics?.set(
      'sextant_sync_outbox_near_quota',
      'Whether SextantOutboxNearQuota is firing (the outbox passed 80 % of sync.outboxQuota).',
      firing ? 1 : 0,
    );
    try {
      await options.onQuota?.({
        bytes,
        quotaBytes: quota,
        firing,
        changed: firing !== wasFiring,
        rolledHours,
      });
    } catch (error) {
      log('error', 'quota alert failed', { error: toError(error).message });
    }
  }

  /** Full jitter between the interval and an exponentially growing ceiling. */
  #backoff(interval: number, cap: number): number {
    const exponent = Math.min(this.#failures, 30);
    const ceiling = Math.min(cap, interval * 2 ** Math.max(0, exponent - 1));
    return interval + this.#random() * Math.max(0, ceiling - interval);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    const scale = this.#options.timeScale ?? 1;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#cycle();
    }, ms / scale);
  }

  async #cycle(): Promise<void> {
    let outcome: PushOutcome;
    try {
      outcome = await this.pushOnce();
    } catch (error) {
      // A bug or a storage failure: keep the loop alive, slowly.
      this.#options.log('error', 'push cycle failed', { error: toError(error).message });
      outcome = { kind: 'server_error', status: 0, message: toError(error).message };
      this.#failures += 1;
    }
    this.#schedule(this.delayFor(outcome));
  }
}

const HINTS: Record<number, string> = {
  0: 'check hub.tokenFile or SEXTANT_HUB_TOKEN',
  400: 'the hub refused a record; upgrade or report a bug',
  401: "the unit's token is missing, expired or revoked: issue a new one on the hub",
  403: "the token belongs to another unit: check unit.id and the hub's unit registry",
  413: 'batches are halved until they fit; lower sync.maxRecordsPerPush or sync.maxBytesPerPush',
  415: 'the hub does not accept gzip JSON; check hub.url',
  426: 'the hub speaks another protocol major version: upgrade the unit or the hub',
};

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The hub's `error`/`message`, or the start of its body. */
function hubMessage(text: string): string {
  const json = safeJson(text);
  if (typeof json === 'object' && json !== null) {
    const { error, message } = json as { error?: unknown; message?: unknown };
    const parts = [error, message].filter((part) => typeof part === 'string');
    if (parts.length > 0) return parts.join(': ');
  }
  return text.slice(0, 500);
}

function describeNetworkError(error: unknown): string {
  const base = toError(error);
  const cause = (base as { cause?: unknown }).cause;
  return cause instanceof Error ? `${base.message}: ${cause.message}` : base.message;
}
