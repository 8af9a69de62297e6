/**
 * The audit log writer: entries are buffered and appended to the store in batches (every
 * second, and on shutdown), so auditing every request costs one insert per batch rather
 * than one per request. Frequent, uneventful actions (a unit's pushes, anonymous 401s) are
 * summarised: one entry per (actor, action, resource, outcome) per minute, with counts in
 * its detail, so a thousand units pushing every 15 s add ~1000 rows a minute, not 67 a
 * second per kind of event.
 */

import { toError } from '../util/index.ts';
import type { HubMetrics } from './metrics.ts';
import type { AuditEntry, HubStore } from './store/index.ts';

type Log = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

interface Summary {
  entry: Omit<AuditEntry, 'detail'>;
  windowStartMs: number;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  sums: Record<string, number>;
}

export interface AuditLogOptions {
  store: Pick<HubStore, 'appendAudit'>;
  now: () => number;
  log?: Log;
  metrics?: HubMetrics;
  /** How often buffered entries are written (default 1000 ms). */
  flushIntervalMs?: number;
  /** The summary window (default one minute). */
  summaryWindowMs?: number;
  /** Most entries kept while the store fails; the oldest are dropped (and counted) beyond. */
  maxBuffered?: number;
}

/** Buffers audit entries and summaries and appends them to the store in batches. */
export class AuditLog {
  readonly #options: AuditLogOptions;
  readonly #windowMs: number;
  readonly #maxBuffered: number;
  #buffer: AuditEntry[] = [];
  readonly #summaries = new Map<string, Summary>();
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: AuditLogOptions) {
    this.#options = options;
    this.#windowMs = options.summaryWindowMs ?? 60_000;
    this.#maxBuffered = options.maxBuffered ?? 50_000;
  }

  /** Starts the periodic flush. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), this.#options.flushIntervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Queues one entry. */
  record(entry: AuditEntry): void {
    this.#buffer.push(entry);
    this.#trim();
  }

  /**
   * Counts one occurrence in the current window's summary of `entry`; numbers in `sums`
   * are added up (records, applied, ...). The summary is written when its window ends.
   */
  summarise(entry: Omit<AuditEntry, 'detail'>, sums: Record<string, number> = {}): void {
    const windowStartMs = Math.floor(entry.atMs / this.#windowMs) * this.#windowMs;
    const key = JSON.stringify([entry.actor, entry.action, entry.resource, entry.outcome, windowStartMs]);
    let summary = this.#summaries.get(key);
    if (!summary) {
      summary = {
        entry: { ...entry, atMs: windowStartMs },
        windowStartMs,
        count: 0,
        firstAtMs: entry.atMs,
        lastAtMs: entry.atMs,
        sums: {},
      };
      this.#summaries.set(key, summary);
    }
    summary.count += 1;
    summary.firstAtMs = Math.min(summary.firstAtMs, entry.atMs);
    summary.lastAtMs = Math.max(summary.lastAtMs, entry.atMs);
    for (const [name, value] of Object.entries(sums)) summary.sums[name] = (summary.sums[name] ?? 0) + value;
  }

  /** Entries waiting to be written (tests and /metrics). */
  get pending(): number {
    return this.#buffer.length + this.#summaries.size;
  }

  /**
   * Writes buffered entries and the summaries of ended windows (all summaries when `all`,
   * as on shutdown). Concurrent calls share one write.
   */
  async flush(all = false): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#closeSummaries(all ? Number.POSITIVE_INFINITY : this.#options.now());
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = (async () => {
      try {
        await this.#options.store.appendAudit(batch);
        this.#options.metrics?.inc(
          'sextant_hub_audit_entries_total',
          'Audit entries written.',
          {},
          batch.length,
        );
      } catch (thrown) {
        // Keep them for the next flush (bounded), oldest first.
        this.#buffer = [...batch, ...this.#buffer];
        this.#trim();
        this.#options.metrics?.inc('sextant_hub_audit_write_errors_total', 'Failed writes of the audit log.');
        this.#options.log?.('error', 'cannot write the audit log; retrying', {
          error: toError(thrown).message,
        });
      } finally {
        this.#flushing = undefined;
      }
    })();
    await this.#flushing;
  }

  /** Stops the timer and writes everything, summaries included. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush(true);
  }

  #closeSummaries(nowMs: number): void {
    for (const [key, summary] of this.#summaries) {
      if (summary.windowStartMs + this.#windowMs > nowMs) continue;
      this.#summaries.delete(key);
      this.#buffer.push({
        ...summary.entry,
        detail: {
          summary: true,
          count: summary.count,
          firstAtMs: summary.firstAtMs,
          lastAtMs: summary.lastAtMs,
          ...summary.sums,
        },
      });
    }
    this.#trim();
  }

  #trim(): void {
    const excess = this.#buffer.length - this.#maxBuffered;
    if (excess <= 0) return;
    this.#buffer.splice(0, excess);
    this.#options.metrics?.inc(
      'sextant_hub_audit_dropped_total',
      'Audit entries dropped because the store could not take them.',
      {},
      excess,
    );
  }
}
