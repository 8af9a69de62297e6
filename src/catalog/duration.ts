/** Durations in manifests: `5m`, `1h`, `28d`, `4w` or sums such as `1h30m` (minute resolution). */

import type { Result } from './issues.ts';

const UNIT_MINUTES = { m: 1, h: 60, d: 1440, w: 10080 } as const;
const DURATION = /^(?:\d+[wdhm])+$/;
const PART = /(\d+)([wdhm])/g;

/** The error a bad duration gets, as a message fit for a CatalogIssue. */
export interface DurationError {
  message: string;
}

/**
 * Parses a duration to whole minutes.
 * @example parseDurationMinutes('1h30m') // { ok: true, value: 90 }
 */
export function parseDurationMinutes(text: string): Result<number, DurationError> {
  if (!DURATION.test(text)) {
    return {
      ok: false,
      issues: [
        {
          message: `"${text}" is not a duration: write a number and a unit m, h, d or w (5m, 1h, 28d, 4w, 1h30m); seconds are below Sextant's one-minute resolution`,
        },
      ],
    };
  }
  let minutes = 0;
  let lastRank = Number.POSITIVE_INFINITY;
  for (const [, count, unit] of text.matchAll(PART)) {
    const perUnit = UNIT_MINUTES[unit as keyof typeof UNIT_MINUTES];
    if (perUnit >= lastRank) {
      return {
        ok: false,
        issues: [
          { message: `"${text}" repeats a unit or lists units out of order (write 1d12h, not 12h1d)` },
        ],
      };
    }
    lastRank = perUnit;
    minutes += Number(count) * perUnit;
  }
  if (minutes <= 0)
    return { ok: false, issues: [{ message: `"${text}" is zero; a duration must be positive` }] };
  if (!Number.isSafeInteger(minutes)) {
    return { ok: false, issues: [{ message: `"${text}" is too large to count in whole minutes` }] };
  }
  return { ok: true, value: minutes };
}

/** Formats minutes as the shortest day/hour/minute string, e.g. 1440 -> `1d`, 90 -> `1h30m`. */
export function formatMinutes(minutes: number): string {
  if (minutes <= 0) return '0m';
  let rest = minutes;
  let out = '';
  // Days, not weeks: SLO windows are conventionally written 7d/28d/30d.
  for (const [unit, size] of [
    ['d', 1440],
    ['h', 60],
    ['m', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
