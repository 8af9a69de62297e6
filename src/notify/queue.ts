/**
 * The delivery queue contract. A unit persists it in its SQLite store so nothing
 * acknowledged is lost across restarts; `MemoryNotificationQueue` is the reference, and
 * every implementation passes `describeNotificationQueueConformance` (conformance.ts).
 *
 * Vocabulary:
 * - an **entry** is one notice for one receiver, named by its dedup `key`;
 * - a **stream** is one alert at one receiver; entries of a stream are delivered in
 *   `eventAtMs` order, one at a time;
 * - a **superseding** stream (Alertmanager, which wants the alert's current state) keeps
 *   at most one pending entry: a newer one replaces it; a non-superseding stream (webhooks,
 *   which want every event) delivers every entry.
 */
import type { Notice } from './types.ts';

/** What `enqueue` takes. */
export interface NewNotification {
  /** Dedup key: enqueued once, whether pending, delivered or dropped, until `prune` forgets it. */
  key: string;
  /** The configured receiver's name. */
  receiver: string;
  /** One alert at one receiver. */
  stream: string;
  /** True: a newer entry replaces the stream's pending one (see the module comment). */
  supersedes: boolean;
  /** The evaluation this notice comes from; orders the stream. */
  eventAtMs: number;
  /** Plain JSON. */
  notice: Notice;
}

/** A pending entry, as `due` returns it. */
export interface QueuedNotification extends NewNotification {
  /** When the stream's oldest undelivered news was enqueued (kept by superseding entries). */
  enqueuedAtMs: number;
  /** Failed attempts so far. */
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
}

/**
 * `duplicate`: the key is known. `stale`: the stream already holds a later event (a replayed
 * old evaluation must not undo a newer state). `replaced` names the superseded keys.
 */
export type EnqueueResult =
  | { outcome: 'enqueued'; replaced: string[] }
  | { outcome: 'duplicate' }
  | { outcome: 'stale' };

/** The queue's size, for `/metrics`. */
export interface QueueStats {
  pending: number;
  /** `enqueuedAtMs` of the oldest pending entry; null when none is pending. */
  oldestPendingEnqueuedAtMs: number | null;
}

/**
 * A durable delivery queue. Semantics every implementation keeps:
 * - `enqueue` of a known key is a `duplicate`, and changes nothing.
 * - `enqueue` is `stale` when any retained entry of the stream (pending or finished) has a
 *   larger `eventAtMs`; equal times are accepted.
 * - A superseding `enqueue` finishes the stream's pending entries as superseded (they stay
 *   known for dedup) and takes over their `enqueuedAtMs` (the earliest), `attempts` and
 *   `nextAttemptMs`, so a receiver that is down keeps its backoff. Otherwise a new entry
 *   starts with `enqueuedAtMs = nextAttemptMs = nowMs` and 0 attempts.
 * - `due` returns, for each stream, its first pending entry (smallest `eventAtMs`, then
 *   enqueue order) when that entry's `nextAttemptMs <= nowMs`; later entries of a stream
 *   wait for it. At most `limit`, earliest `nextAttemptMs` first, then enqueue order.
 * - `markFailed` counts one more attempt and reschedules; `markDelivered` and `markDropped`
 *   finish the entry. Marking an unknown or finished key does nothing.
 * - `prune` forgets finished entries (delivered, dropped, superseded) finished before the
 *   time given, and returns how many; their keys can then be enqueued again.
 */
export interface NotificationQueue {
  enqueue(entry: NewNotification, nowMs: number): Promise<EnqueueResult>;
  due(nowMs: number, limit: number): Promise<QueuedNotification[]>;
  markDelivered(key: string, nowMs: number): Promise<void>;
  markFailed(key: string, nextAttemptMs: number, error: string): Promise<void>;
  markDropped(key: string, nowMs: number, error: string): Promise<void>;
  stats(): Promise<QueueStats>;
  prune(finishedBeforeMs: number): Promise<number>;
}

interface Row extends QueuedNotification {
  seq: number;
  state: 'pending' | 'delivered' | 'dropped' | 'superseded';
  finishedAtMs: number | null;
}

/** JSON round trip: what a persistent store hands back, and proof the notice is plain data. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function publicView(row: Row): QueuedNotification {
  return {
    key: row.key,
    receiver: row.receiver,
    stream: row.stream,
    supersedes: row.supersedes,
    eventAtMs: row.eventAtMs,
    notice: copy(row.notice),
    enqueuedAtMs: row.enqueuedAtMs,
    attempts: row.attempts,
    nextAttemptMs: row.nextAttemptMs,
    lastError: row.lastError,
  };
}

/**
 * The in-memory reference queue, for tests and for units that choose not to persist. Share
 * one instance between two dispatchers to model a restart over the same store.
 */
export class MemoryNotificationQueue implements NotificationQueue {
  #rows = new Map<string, Row>();
  #seq = 0;

  async enqueue(entry: NewNotification, nowMs: number): Promise<EnqueueResult> {
    if (this.#rows.has(entry.key)) return { outcome: 'duplicate' };
    const stream = [...this.#rows.values()].filter((row) => row.stream === entry.stream);
    if (stream.some((row) => row.eventAtMs > entry.eventAtMs)) return { outcome: 'stale' };
    const replaced = entry.supersedes ? stream.filter((row) => row.state === 'pending') : [];
    let enqueuedAtMs = nowMs;
    let attempts = 0;
    let nextAttemptMs = nowMs;
    let lastError: string | null = null;
    for (const old of replaced) {
      if (old.enqueuedAtMs <= enqueuedAtMs) {
        enqueuedAtMs = old.enqueuedAtMs;
        attempts = old.attempts;
        nextAttemptMs = old.nextAttemptMs;
        lastError = old.lastError;
      }
      old.state = 'superseded';
      old.finishedAtMs = nowMs;
    }
    this.#rows.set(entry.key, {
      ...copy(entry),
      enqueuedAtMs,
      attempts,
      nextAttemptMs,
      lastError,
      seq: this.#seq++,
      state: 'pending',
      finishedAtMs: null,
    });
    return { outcome: 'enqueued', replaced: replaced.map((row) => row.key) };
  }

  async due(nowMs: number, limit: number): Promise<QueuedNotification[]> {
    const heads = new Map<string, Row>();
    for (const row of this.#rows.values()) {
      if (row.state !== 'pending') continue;
      const head = heads.get(row.stream);
      if (
        head === undefined ||
        row.eventAtMs < head.eventAtMs ||
        (row.eventAtMs === head.eventAtMs && row.seq < head.seq)
      ) {
        heads.set(row.stream, row);
      }
    }
    return [...heads.values()]
      .filter((row) => row.nextAttemptMs <= nowMs)
      .sort((a, b) => a.nextAttemptMs - b.nextAttemptMs || a.seq - b.seq)
      .slice(0, Math.max(0, limit))
      .map(publicView);
  }

  async markDelivered(key: string, nowMs: number): Promise<void> {
    this.#finish(key, 'delivered', nowMs, null);
  }

  async markDropped(key: string, nowMs: number, error: string): Promise<void> {
    this.#finish(key, 'dropped', nowMs, error);
  }

  async markFailed(key: string, nextAttemptMs: number, error: string): Promise<void> {
    const row = this.#rows.get(key);
    if (row === undefined || row.state !== 'pending') return;
    row.attempts += 1;
    row.nextAttemptMs = nextAttemptMs;
    row.lastError = error;
  }

  async stats(): Promise<QueueStats> {
    let pending = 0;
    let oldest: number | null = null;
    for (const row of this.#rows.values()) {
      if (row.state !== 'pending') continue;
      pending += 1;
      if (oldest === null || row.enqueuedAtMs < oldest) oldest = row.enqueuedAtMs;
    }
    return { pending, oldestPendingEnqueuedAtMs: oldest };
  }

  async prune(finishedBeforeMs: number): Promise<number> {
    let removed = 0;
    for (const [key, row] of this.#rows) {
      if (row.finishedAtMs !== null && row.finishedAtMs < finishedBeforeMs) {
        this.#rows.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  #finish(key: string, state: 'delivered' | 'dropped', nowMs: number, error: string | null): void {
    const row = this.#rows.get(key);
    if (row === undefined || row.state !== 'pending') return;
    row.state = state;
    row.finishedAtMs = nowMs;
    if (error !== null) row.lastError = error;
  }
}
