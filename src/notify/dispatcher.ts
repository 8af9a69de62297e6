/**
 * Delivery of notices to Alertmanager and webhooks through a durable queue: retried with
 * capped exponential backoff and jitter, deduplicated, ordered per alert, and driven by an
 * injected clock and `fetch` so tests decide what time it is and what the network says.
 *
 * Outcomes of one HTTP attempt: 2xx delivers; 4xx other than 408 and 429 is permanent (the
 * request itself is wrong, sending it again cannot help), so the entry is dropped with a
 * logged error; 408, 429, 5xx, network errors and timeouts are retried, no sooner than a
 * `Retry-After` asks. Alertmanager entries are retried for days (the page must not be
 * lost); webhook entries are given up after their max age, with a logged error.
 *
 * Delivery is at least once: a crash between a receiver's 2xx and `markDelivered` sends the
 * entry again after the restart. Alertmanager merges identical alerts; webhook bodies carry
 * a stable `id` for the same purpose.
 */
import { toError } from '../util/index.ts';
import { sha256Hex } from '../util/sha256.ts';
import { DEFAULT_FIRING_VALID_FOR_MS, toAlertmanagerAlert } from './alertmanager.ts';
import {
  ALERTMANAGER_BACKOFF,
  type BackoffPolicy,
  backoffDelayMs,
  parseRetryAfterMs,
  WEBHOOK_BACKOFF,
} from './backoff.ts';
import type { NotificationQueue, QueuedNotification } from './queue.ts';
import { toSlackMessage } from './slack.ts';
import type { Notice } from './types.ts';
import {
  unitAlertEventId,
  unitAlertmanagerAlert,
  unitAlertSlackMessage,
  unitAlertWebhookBody,
} from './unit-alert.ts';
import { noticeEventId, toWebhookPayload } from './webhook.ts';

/**
 * Every Alertmanager of an HA set (as Prometheus does: post to each, never through a load
 * balancer). Base URLs such as `http://am-0:9093` or `https://host/alertmanager/`.
 */
export interface AlertmanagerReceiver {
  kind: 'alertmanager';
  urls: string[];
  /**
   * Names the receiver in the queue, logs and metrics; default derived from the URLs. Set
   * it: with the default, changing the URL list renames the receiver, and entries queued
   * under the old name are dropped at the next start (firing alerts are re-posted by the
   * next evaluation; a pending resolution then waits for `endsAt` in Alertmanager).
   */
  name?: string;
  /** Sent with every request (e.g. `authorization`); never persisted or logged. */
  headers?: Record<string, string>;
  /** Give up an entry whose news is older than this after a failed attempt; default 7 days. */
  maxAgeMs?: number;
}

/** An HTTP endpoint taking one JSON body per firing or resolved event. */
export interface WebhookReceiver {
  kind: 'webhook';
  url: string;
  /** `json`: the versioned Sextant body (webhook.ts); `slack`: `text` + `blocks`. */
  format: 'json' | 'slack';
  /** As for Alertmanager; the default derives from the URL. */
  name?: string;
  /** Sent with every request; never persisted or logged. */
  headers?: Record<string, string>;
  /** Give up after a failed attempt once the event is older than this; default 24 hours. */
  maxAgeMs?: number;
}

/** Where notices go. */
export type ReceiverConfig = AlertmanagerReceiver | WebhookReceiver;

/** The part of `fetch` the dispatcher uses. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** One log line; `receiver` is a name, never a URL (URLs may hold credentials). */
export interface NotifyLogRecord {
  level: 'info' | 'warn' | 'error';
  message: string;
  receiver?: string;
  key?: string;
  attempts?: number;
  error?: string;
}

/** Options of `createDispatcher`. */
export interface DispatcherOptions {
  queue: NotificationQueue;
  receivers: readonly ReceiverConfig[];
  /** Epoch ms; default `Date.now`. */
  clock?: () => number;
  /** Default the global `fetch`. */
  fetch?: FetchLike;
  /** In [0, 1), for jitter; default `Math.random`. */
  random?: () => number;
  /** Default: one JSON line on stderr for warnings and errors. */
  log?: (record: NotifyLogRecord) => void;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  alertmanagerBackoff?: BackoffPolicy;
  webhookBackoff?: BackoffPolicy;
  /** A larger `Retry-After` is cut to this; default 1 hour. */
  maxRetryAfterMs?: number;
  /** `endsAt - atMs` of firing alerts posted to Alertmanager (see `firingValidForMs`). */
  firingValidForMs?: number;
  /** How long finished entries are remembered for dedup; default 7 days. */
  dedupRetentionMs?: number;
  /** Entries attempted at once; default 32. */
  concurrency?: number;
}

/** What `submit` did with a batch of notices. */
export interface SubmitSummary {
  enqueued: number;
  /** Already queued or delivered: the same state posted twice is one delivery. */
  duplicates: number;
  /** Older than what the queue already holds for the alert. */
  stale: number;
  /** Pending Alertmanager entries replaced by a newer state of the same alert. */
  superseded: number;
}

/** What one `deliverDue` round did. */
export interface DeliverySummary {
  attempted: number;
  delivered: number;
  retried: number;
  dropped: number;
}

/** Counters since the dispatcher started, per receiver name. */
export interface ReceiverCounters {
  /** Entries a receiver accepted. */
  delivered: number;
  /** Attempts that did not deliver (each is then retried or dropped). */
  failed: number;
  /** Failed attempts rescheduled. */
  retried: number;
  /** Entries given up: permanent rejection, max age, or receiver no longer configured. */
  dropped: number;
}

/** Everything `/metrics` shows about notification delivery. */
export interface NotifyMetrics {
  receivers: Record<string, ReceiverCounters>;
  duplicates: number;
  stale: number;
  superseded: number;
  queueDepth: number;
  /** 0 when nothing is pending. */
  oldestPendingAgeSeconds: number;
}

/** What is wrong with a dispatcher configuration. */
export interface NotifyIssue {
  code: 'invalid_url' | 'duplicate_receiver' | 'invalid_value';
  path: (string | number)[];
  message: string;
}

type Resolved = Required<Pick<ReceiverConfig, 'name'>> & ReceiverConfig & { maxAgeMs: number };

type Attempt =
  | { kind: 'ok' }
  | { kind: 'permanent'; message: string }
  | { kind: 'retryable'; message: string; retryAfterMs: number | null };

const DAY_MS = 86_400_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_ROUNDS = 1000;
const PRUNE_EVERY_MS = 3_600_000;

function shortHash(text: string): string {
  return sha256Hex(text).slice(0, 10);
}

function defaultLog(record: NotifyLogRecord): void {
  if (record.level === 'info') return;
  process.stderr.write(`${JSON.stringify({ component: 'notify', ...record })}\n`);
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const protocol = new URL(text).protocol;
  return protocol === 'http:' || protocol === 'https:';
}

/** `POST /api/v2/alerts` under a base URL, keeping a path prefix; a full alerts URL is kept. */
export function alertmanagerAlertsUrl(base: string): string {
  const url = new URL(base);
  if (url.pathname.endsWith('/api/v2/alerts')) return url.toString();
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return new URL('api/v2/alerts', url).toString();
}

/** Host and port only: enough to tell HA peers apart in a log, without credentials. */
function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : 'invalid-url';
}

/** Checks receivers and gives each its name and max age. */
function resolveReceivers(
  receivers: readonly ReceiverConfig[],
): { ok: true; value: Resolved[] } | { ok: false; issues: NotifyIssue[] } {
  const issues: NotifyIssue[] = [];
  const seen = new Set<string>();
  const out: Resolved[] = [];
  receivers.forEach((receiver, i) => {
    const urls = receiver.kind === 'alertmanager' ? receiver.urls : [receiver.url];
    if (urls.length === 0) {
      issues.push({
        code: 'invalid_value',
        path: ['receivers', i, 'urls'],
        message: 'an Alertmanager receiver needs at least one URL',
      });
    }
    urls.forEach((url, j) => {
      if (!isHttpUrl(url)) {
        const path = receiver.kind === 'alertmanager' ? ['receivers', i, 'urls', j] : ['receivers', i, 'url'];
        issues.push({ code: 'invalid_url', path, message: `not an http(s) URL: ${JSON.stringify(url)}` });
      }
    });
    const name = receiver.name ?? `${receiver.kind}-${shortHash(JSON.stringify([...urls].sort()))}`;
    if (seen.has(name)) {
      issues.push({
        code: 'duplicate_receiver',
        path: ['receivers', i, 'name'],
        message: `receiver name ${name} is used twice`,
      });
    }
    seen.add(name);
    const maxAgeMs = receiver.maxAgeMs ?? (receiver.kind === 'alertmanager' ? 7 * DAY_MS : DAY_MS);
    if (!(maxAgeMs > 0)) {
      issues.push({
        code: 'invalid_value',
        path: ['receivers', i, 'maxAgeMs'],
        message: 'maxAgeMs must be positive',
      });
    }
    out.push({ ...receiver, name, maxAgeMs });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: out };
}

/**
 * A dispatcher over `options.queue`, or what is wrong with the receivers.
 * @example
 * const d = createDispatcher({ queue, receivers: [{ kind: 'alertmanager', urls: ['http://am-0:9093', 'http://am-1:9093'] }] });
 * if (d.ok) { await d.value.submit(alertNotices(status, previous, context)); await d.value.deliverDue(); }
 */
export function createDispatcher(
  options: DispatcherOptions,
): { ok: true; value: Dispatcher } | { ok: false; issues: NotifyIssue[] } {
  const receivers = resolveReceivers(options.receivers);
  if (!receivers.ok) return receivers;
  return { ok: true, value: new Dispatcher(options, receivers.value) };
}

/** Delivers queued notices; see the module comment. Create it with `createDispatcher`. */
export class Dispatcher {
  readonly #queue: NotificationQueue;
  readonly #receivers: Map<string, Resolved>;
  readonly #clock: () => number;
  readonly #fetch: FetchLike;
  readonly #random: () => number;
  readonly #log: (record: NotifyLogRecord) => void;
  readonly #timeoutMs: number;
  readonly #amBackoff: BackoffPolicy;
  readonly #webhookBackoff: BackoffPolicy;
  readonly #maxRetryAfterMs: number;
  readonly #firingValidForMs: number;
  readonly #dedupRetentionMs: number;
  readonly #concurrency: number;
  readonly #counters = new Map<string, ReceiverCounters>();
  #duplicates = 0;
  #stale = 0;
  #superseded = 0;
  #lastPruneMs = Number.NEGATIVE_INFINITY;
  #running: Promise<unknown> = Promise.resolve();
  #stopping = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = false;

  /** Use `createDispatcher`, which checks the receivers first. */
  constructor(options: DispatcherOptions, receivers: readonly Resolved[]) {
    this.#queue = options.queue;
    this.#receivers = new Map(receivers.map((r) => [r.name, r]));
    this.#clock = options.clock ?? Date.now;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? defaultLog;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#amBackoff = options.alertmanagerBackoff ?? ALERTMANAGER_BACKOFF;
    this.#webhookBackoff = options.webhookBackoff ?? WEBHOOK_BACKOFF;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 3_600_000;
    this.#firingValidForMs = options.firingValidForMs ?? DEFAULT_FIRING_VALID_FOR_MS;
    this.#dedupRetentionMs = options.dedupRetentionMs ?? 7 * DAY_MS;
    this.#concurrency = Math.max(1, options.concurrency ?? 32);
    for (const r of receivers)
      this.#counters.set(r.name, { delivered: 0, failed: 0, retried: 0, dropped: 0 });
  }

  /** The receiver names, in configuration order. */
  get receiverNames(): string[] {
    return [...this.#receivers.keys()];
  }

  /**
   * Queues each notice for every receiver that wants it: Alertmanager takes every event,
   * refreshes included; webhooks take `firing` and `resolved` only. Deliver with `deliverDue`.
   * Unit alerts (`kind: 'unit'`) are queued, deduplicated and retried as SLO alerts are.
   */
  async submit(notices: readonly Notice[]): Promise<SubmitSummary> {
    const summary: SubmitSummary = { enqueued: 0, duplicates: 0, stale: 0, superseded: 0 };
    const ordered = [...notices].sort((a, b) => a.atMs - b.atMs);
    const nowMs = this.#clock();
    for (const notice of ordered) {
      for (const receiver of this.#receivers.values()) {
        const superseding = receiver.kind === 'alertmanager';
        if (!superseding && notice.event === 'refresh') continue;
        // A unit alert has no SLO (an SLO id is never empty) and is named by its alertname.
        const alert =
          notice.kind === 'unit'
            ? [receiver.name, notice.unit.id, notice.unit.tenant ?? '', '', notice.alertname]
            : [
                receiver.name,
                notice.context.unit.id,
                notice.context.unit.tenant ?? '',
                notice.context.slo.id,
                notice.name,
              ];
        // A refresh is new news at each evaluation; firing and resolved are one event each.
        const detail = notice.event === 'refresh' ? notice.atMs : notice.resolvedAtMs;
        const result = await this.#queue.enqueue(
          {
            key: JSON.stringify([...alert, notice.event, notice.startsAtMs, detail]),
            receiver: receiver.name,
            stream: JSON.stringify(alert),
            supersedes: superseding,
            eventAtMs: notice.atMs,
            notice,
          },
          nowMs,
        );
        if (result.outcome === 'enqueued') {
          summary.enqueued += 1;
          summary.superseded += result.replaced.length;
        } else if (result.outcome === 'duplicate') summary.duplicates += 1;
        else summary.stale += 1;
      }
    }
    this.#duplicates += summary.duplicates;
    this.#stale += summary.stale;
    this.#superseded += summary.superseded;
    return summary;
  }

  /**
   * Attempts every entry that is due now, then the entries that waited behind them in their
   * stream, until nothing is due. Calls never overlap: a second call waits for the first.
   */
  deliverDue(): Promise<DeliverySummary> {
    const run = this.#running.then(() => this.#deliverDue());
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #deliverDue(): Promise<DeliverySummary> {
    const summary: DeliverySummary = { attempted: 0, delivered: 0, retried: 0, dropped: 0 };
    const startMs = this.#clock();
    if (startMs - this.#lastPruneMs >= PRUNE_EVERY_MS) {
      this.#lastPruneMs = startMs;
      await this.#queue.prune(startMs - this.#dedupRetentionMs);
    }
    for (let round = 0; round < MAX_ROUNDS && !this.#stopping.signal.aborted; round++) {
      const due = await this.#queue.due(this.#clock(), this.#concurrency);
      if (due.length === 0) break;
      const outcomes = await Promise.all(due.map((entry) => this.#deliver(entry)));
      for (const outcome of outcomes) {
        summary.attempted += 1;
        summary[outcome] += 1;
      }
    }
    return summary;
  }

  async #deliver(entry: QueuedNotification): Promise<'delivered' | 'retried' | 'dropped'> {
    const receiver = this.#receivers.get(entry.receiver);
    if (receiver === undefined) {
      const message = `receiver ${entry.receiver} is no longer configured`;
      await this.#queue.markDropped(entry.key, this.#clock(), message);
      this.#log({
        level: 'error',
        message: `notification dropped: ${message}`,
        receiver: entry.receiver,
        key: entry.key,
      });
      return 'dropped';
    }
    const counters = this.#counters.get(receiver.name)!;
    const attempt = await this.#send(receiver, entry.notice);
    const nowMs = this.#clock();
    if (attempt.kind === 'ok') {
      await this.#queue.markDelivered(entry.key, nowMs);
      counters.delivered += 1;
      return 'delivered';
    }
    counters.failed += 1;
    const attempts = entry.attempts + 1;
    const ageMs = nowMs - entry.enqueuedAtMs;
    let giveUp: string | undefined;
    if (attempt.kind === 'permanent') giveUp = `rejected: ${attempt.message}`;
    else if (ageMs >= receiver.maxAgeMs) {
      giveUp = `gave up after ${attempts} attempts over ${Math.round(ageMs / 1000)} s (max age ${Math.round(receiver.maxAgeMs / 1000)} s): ${attempt.message}`;
    }
    if (giveUp !== undefined) {
      await this.#queue.markDropped(entry.key, nowMs, giveUp);
      counters.dropped += 1;
      this.#log({
        level: 'error',
        message: `notification dropped: ${giveUp}`,
        receiver: receiver.name,
        key: entry.key,
        attempts,
      });
      return 'dropped';
    }
    const policy = receiver.kind === 'alertmanager' ? this.#amBackoff : this.#webhookBackoff;
    const backoff = backoffDelayMs(attempts, policy, this.#random());
    const retryAfterMs = attempt.kind === 'retryable' ? attempt.retryAfterMs : null;
    const asked = retryAfterMs === null ? 0 : Math.min(retryAfterMs, this.#maxRetryAfterMs);
    const delayMs = Math.max(backoff, asked);
    await this.#queue.markFailed(entry.key, nowMs + delayMs, attempt.message);
    counters.retried += 1;
    this.#log({
      level: 'warn',
      message: `notification failed, retrying in ${Math.round(delayMs / 1000)} s`,
      receiver: receiver.name,
      key: entry.key,
      attempts,
      error: attempt.message,
    });
    return 'retried';
  }

  /** One attempt; for an HA set every Alertmanager at once, delivered if any accepts. */
  async #send(receiver: Resolved, notice: Notice): Promise<Attempt> {
    const unit = notice.kind === 'unit';
    if (receiver.kind === 'webhook') {
      const slack = receiver.format === 'slack';
      const body = unit
        ? slack
          ? unitAlertSlackMessage(notice)
          : unitAlertWebhookBody(notice)
        : slack
          ? toSlackMessage(notice)
          : toWebhookPayload(notice);
      const id = unit ? unitAlertEventId(notice) : noticeEventId(notice);
      const headers = receiver.format === 'json' ? { 'idempotency-key': id } : {};
      return this.#post(receiver.url, { ...headers, ...receiver.headers }, JSON.stringify(body));
    }
    const body = JSON.stringify([
      unit
        ? unitAlertmanagerAlert(notice)
        : toAlertmanagerAlert(notice, { firingValidForMs: this.#firingValidForMs }),
    ]);
    const attempts = await Promise.all(
      receiver.urls.map((url) => this.#post(alertmanagerAlertsUrl(url), receiver.headers ?? {}, body)),
    );
    if (attempts.some((a) => a.kind === 'ok')) return { kind: 'ok' };
    const messages = attempts.map(
      (a, i) => `${hostOf(receiver.urls[i]!)}: ${a.kind === 'ok' ? 'ok' : a.message}`,
    );
    const message = messages.join('; ');
    const retryable = attempts.filter((a) => a.kind === 'retryable');
    if (retryable.length === 0) return { kind: 'permanent', message };
    // The soonest any peer may accept again: one that named no time may accept right away.
    const retryAfterMs = Math.min(...retryable.map((a) => a.retryAfterMs ?? 0));
    return { kind: 'retryable', message, retryAfterMs };
  }

  async #post(url: string, headers: Record<string, string>, body: string): Promise<Attempt> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#stopping.signal]);
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'sextant-notify', ...headers },
        body,
        signal,
      });
      // Read the body so the connection is reused, and keep a little of it for the log.
      const text = (await response.text()).trim().slice(0, 300);
      if (response.ok) return { kind: 'ok' };
      const status = response.status;
      const message = `HTTP ${status}${text === '' ? '' : `: ${text}`}`;
      if (status >= 400 && status < 500 && status !== 408 && status !== 429)
        return { kind: 'permanent', message };
      return {
        kind: 'retryable',
        message,
        retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), this.#clock()),
      };
    } catch (thrown) {
      const error = toError(thrown);
      const timedOut = error.name === 'TimeoutError' || (signal.aborted && !this.#stopping.signal.aborted);
      const cause = error.cause === undefined ? '' : ` (${toError(error.cause).message})`;
      const message = timedOut ? `timed out after ${this.#timeoutMs} ms` : `${error.message}${cause}`;
      return { kind: 'retryable', message, retryAfterMs: null };
    }
  }

  /** Counters since start plus the queue's depth and age, for `/metrics`. */
  async metrics(): Promise<NotifyMetrics> {
    const stats = await this.#queue.stats();
    const oldest = stats.oldestPendingEnqueuedAtMs;
    const receivers: Record<string, ReceiverCounters> = {};
    for (const [name, c] of this.#counters) receivers[name] = { ...c };
    return {
      receivers,
      duplicates: this.#duplicates,
      stale: this.#stale,
      superseded: this.#superseded,
      queueDepth: stats.pending,
      oldestPendingAgeSeconds: oldest === null ? 0 : Math.max(0, (this.#clock() - oldest) / 1000),
    };
  }

  /**
   * Runs `deliverDue` now and then every `pollMs` after each round ends, on real timers,
   * until `stop`. A failing round (a queue that cannot be read) is logged; the loop goes on.
   */
  start(pollMs = 1000): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = new AbortController();
    const stopping = this.#stopping.signal;
    const tick = () => {
      this.#timer = undefined;
      this.deliverDue()
        .catch((thrown: unknown) => {
          this.#log({
            level: 'error',
            message: 'notification delivery round failed',
            error: toError(thrown).message,
          });
        })
        .finally(() => {
          if (!stopping.aborted) this.#timer = setTimeout(tick, pollMs);
        });
    };
    tick();
  }

  /**
   * Stops the loop, aborts requests in flight (they count as failed and are retried after
   * a restart) and waits for the round to finish. Until `start` is called again,
   * `deliverDue` does nothing.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#started = false;
    await this.#running;
  }
}

function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/**
 * The metrics in the Prometheus text exposition format, to append to a unit's `/metrics`.
 * @example response.end(notifyMetricsText(await dispatcher.metrics()))
 */
export function notifyMetricsText(metrics: NotifyMetrics): string {
  const lines: string[] = [];
  const counters: [keyof ReceiverCounters, string][] = [
    ['delivered', 'Notifications a receiver accepted.'],
    ['failed', 'Delivery attempts that failed.'],
    ['retried', 'Failed attempts rescheduled with backoff.'],
    ['dropped', 'Notifications given up: rejected, too old, or receiver gone.'],
  ];
  for (const [field, help] of counters) {
    const name = `sextant_notify_${field}_total`;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [receiver, c] of Object.entries(metrics.receivers)) {
      lines.push(`${name}{receiver="${escapeLabelValue(receiver)}"} ${c[field]}`);
    }
  }
  const plain: [string, 'counter' | 'gauge', string, number][] = [
    [
      'sextant_notify_duplicates_total',
      'counter',
      'Notifications not queued because the same state was already queued or sent.',
      metrics.duplicates,
    ],
    [
      'sextant_notify_stale_total',
      'counter',
      'Notifications not queued because a newer state of the alert was known.',
      metrics.stale,
    ],
    [
      'sextant_notify_superseded_total',
      'counter',
      'Pending Alertmanager posts replaced by a newer state.',
      metrics.superseded,
    ],
    ['sextant_notify_queue_depth', 'gauge', 'Notifications waiting for delivery.', metrics.queueDepth],
    [
      'sextant_notify_oldest_pending_age_seconds',
      'gauge',
      'Age of the oldest undelivered notification; 0 when none.',
      metrics.oldestPendingAgeSeconds,
    ],
  ];
  for (const [name, type, help, value] of plain)
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  return `${lines.join('\n')}\n`;
}
