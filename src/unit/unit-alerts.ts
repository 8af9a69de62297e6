/**
 * Alerts about the unit itself rather than an SLO (`SextantOutboxNearQuota`,
 * `SextantUnitStoreDamaged`). They go through the unit's durable notification queue
 * (src/notify) as SLO alerts do: queued in the unit's database, retried with backoff,
 * deduplicated, and delivered after a restart.
 *
 * Each alert's episode (firing since, resolved at, whether that event is queued) is kept in
 * `unit_kv`, written before the event is queued and marked queued after: a crash between
 * the two queues the same event again after the restart, under the same dedup key (its
 * start time is stored), so the queue drops the copy if the first one made it. A restart
 * therefore neither announces a firing alert to webhooks a second time nor forgets to
 * resolve it. While an alert fires it is refreshed every `refreshMs` (Alertmanager drops
 * an alert that is not posted again before its `endsAt`; webhooks get no refreshes).
 */

import type { NotifyUnit, UnitAlertNotice } from '../notify/index.ts';
import { toError } from '../util/index.ts';
import type { Logger } from './logger.ts';

/** What the unit says about one of its alerts at one check. */
export interface UnitAlertUpdate {
  alertname: string;
  severity: 'page' | 'ticket';
  firing: boolean;
  summary: string;
  description: string;
}

/** Options of `UnitAlerts`. */
export interface UnitAlertsOptions {
  /** Queues notices durably (the dispatcher's `submit`); undefined when no notifier is configured. */
  submit: ((notices: readonly UnitAlertNotice[]) => Promise<unknown>) | undefined;
  /** Where each alert's episode is kept (the unit's `unit_kv`). */
  store: { getValue(name: string): string | undefined; setValue(name: string, value: string): void };
  unit: NotifyUnit;
  /** Epoch ms. */
  now: () => number;
  log: Logger;
  /** How often a firing alert is posted again; default 5 minutes. */
  refreshMs?: number;
}

/** One alert's episode as stored. */
interface Episode {
  firing: boolean;
  startsAtMs: number;
  resolvedAtMs: number | null;
  /** Whether the episode's latest event (firing or resolved) is in the queue. */
  queued: boolean;
}

/** A refresh every 5 minutes; a firing alert stays valid in Alertmanager for an hour. */
const REFRESH_MS = 5 * 60_000;
const VALID_FOR_MS = 60 * 60_000;
const KEY_PREFIX = 'unit_alert.';

/** Raises, refreshes and resolves the unit's own alerts; see the module comment. */
export class UnitAlerts {
  readonly #options: UnitAlertsOptions;
  readonly #refreshMs: number;
  /** The latest update and post of each alert this process made. */
  readonly #latest = new Map<string, { update: UnitAlertUpdate; postedAtMs: number }>();
  #timer: NodeJS.Timeout | undefined;
  /** Updates run one at a time, so two checks cannot both start an episode. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: UnitAlertsOptions) {
    this.#options = options;
    this.#refreshMs = options.refreshMs ?? REFRESH_MS;
  }

  /**
   * Records what a check found: a new episode when `firing` starts one, a refresh when it
   * fires on and the last post is older than `refreshMs`, a resolution when it stops.
   */
  update(update: UnitAlertUpdate): Promise<void> {
    const run = this.#queue.then(() => this.#update(update));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Posts every firing alert again whose last post is older than `refreshMs`. */
  async refreshFiring(): Promise<void> {
    for (const { update } of [...this.#latest.values()]) {
      if (update.firing) await this.update(update);
    }
  }

  /** Calls `refreshFiring` every `refreshMs` (divided by `timeScale`) until `stop`. */
  start(timeScale = 1): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.refreshFiring().catch((error: unknown) =>
        this.#options.log('error', 'cannot refresh the unit alerts', { error: toError(error).message }),
      );
    }, this.#refreshMs / timeScale);
    this.#timer.unref();
  }

  /** Stops the refresh timer and waits for an update in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#queue;
  }

  async #update(update: UnitAlertUpdate): Promise<void> {
    const { store, now } = this.#options;
    const name = `${KEY_PREFIX}${update.alertname}`;
    const nowMs = now();
    let episode = parseEpisode(store.getValue(name));
    const latest = this.#latest.get(update.alertname);
    this.#latest.set(update.alertname, {
      update,
      postedAtMs: latest?.postedAtMs ?? Number.NEGATIVE_INFINITY,
    });
    // A resolution a crash kept out of the queue goes first, whatever this check says.
    if (episode !== undefined && !episode.firing && !episode.queued) {
      await this.#post(update, 'resolved', episode, episode.resolvedAtMs ?? nowMs);
      episode = { ...episode, queued: true };
      store.setValue(name, JSON.stringify(episode));
    }
    if (update.firing) {
      if (episode === undefined || !episode.firing) {
        episode = { firing: true, startsAtMs: nowMs, resolvedAtMs: null, queued: false };
        store.setValue(name, JSON.stringify(episode));
      }
      if (!episode.queued) {
        // The firing event is dated at its start, so queueing it again after a crash is
        // the same entry (same key and time), which the queue drops as a duplicate.
        await this.#post(update, 'firing', episode, episode.startsAtMs);
        store.setValue(name, JSON.stringify({ ...episode, queued: true }));
        this.#posted(update, nowMs);
        return;
      }
      if (
        nowMs - (this.#latest.get(update.alertname)?.postedAtMs ?? Number.NEGATIVE_INFINITY) >=
        this.#refreshMs
      ) {
        await this.#post(update, 'refresh', episode, nowMs);
        this.#posted(update, nowMs);
      }
      return;
    }
    if (episode === undefined || !episode.firing) return;
    const resolved: Episode = { ...episode, firing: false, resolvedAtMs: nowMs, queued: false };
    store.setValue(name, JSON.stringify(resolved));
    await this.#post(update, 'resolved', resolved, nowMs);
    store.setValue(name, JSON.stringify({ ...resolved, queued: true }));
    this.#posted(update, nowMs);
  }

  #posted(update: UnitAlertUpdate, atMs: number): void {
    this.#latest.set(update.alertname, { update, postedAtMs: atMs });
  }

  async #post(
    update: UnitAlertUpdate,
    event: UnitAlertNotice['event'],
    episode: Episode,
    atMs: number,
  ): Promise<void> {
    const { submit, unit } = this.#options;
    if (submit === undefined) return;
    await submit([
      {
        kind: 'unit',
        alertname: update.alertname,
        severity: update.severity,
        event,
        atMs,
        startsAtMs: episode.startsAtMs,
        resolvedAtMs: event === 'resolved' ? atMs : null,
        summary: update.summary,
        description: update.description,
        unit,
        firingValidForMs: VALID_FOR_MS,
      },
    ]);
  }
}

function parseEpisode(text: string | undefined): Episode | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Episode>;
    if (typeof value.firing !== 'boolean' || typeof value.startsAtMs !== 'number') return undefined;
    return {
      firing: value.firing,
      startsAtMs: value.startsAtMs,
      resolvedAtMs: typeof value.resolvedAtMs === 'number' ? value.resolvedAtMs : null,
      queued: value.queued === true,
    };
  } catch {
    return undefined;
  }
}
