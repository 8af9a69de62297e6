/** Retry timing, pure: exponential backoff with jitter, and the HTTP `Retry-After` header. */

/** How the wait between attempts grows. */
export interface BackoffPolicy {
  /** Wait after the first failure. */
  initialMs: number;
  /** The wait never grows beyond this. */
  maxMs: number;
  /** Growth per failure, usually 2. */
  multiplier: number;
  /**
   * Share of the wait taken off at random (0.2: the wait is between 80 % and 100 % of the
   * exponential value), so units that failed together do not retry together.
   */
  jitterRatio: number;
}

/** Alertmanager: 1 s doubling to 5 minutes; with endsAt at 4 minutes a refresh usually arrives first. */
export const ALERTMANAGER_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 1_000,
  maxMs: 5 * 60_000,
  multiplier: 2,
  jitterRatio: 0.2,
});

/** Webhooks (chat, paging services): 5 s doubling to 10 minutes. */
export const WEBHOOK_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 5_000,
  maxMs: 10 * 60_000,
  multiplier: 2,
  jitterRatio: 0.2,
});

/**
 * The wait after `failures` failed attempts (1 after the first): `min(max, initial *
 * multiplier^(failures - 1))`, less up to `jitterRatio` of it, `random` in [0, 1). At least 1 ms.
 * @example backoffDelayMs(3, ALERTMANAGER_BACKOFF, 0) // 4000
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: number): number {
  const exponent = Math.max(0, failures - 1);
  // Growth is capped before it can overflow to Infinity.
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.min(exponent, 64));
  return Math.max(1, Math.round(base * (1 - policy.jitterRatio * random)));
}

/**
 * The wait a `Retry-After` header asks for, in ms from `nowMs` (RFC 9110 §10.2.3: a number of
 * seconds, or an HTTP-date). Null when absent or unreadable; 0 for a date in the past.
 * @example parseRetryAfterMs('120', now) // 120000
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with the weekday, which keeps junk out; all are GMT, and
  // the asctime form does not say so.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return null;
  const atMs = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  if (!Number.isFinite(atMs)) return null;
  return Math.max(0, atMs - nowMs);
}
