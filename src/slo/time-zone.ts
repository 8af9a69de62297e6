/**
 * IANA time-zone arithmetic over `Intl.DateTimeFormat` (no dependency). Local wall-clock
 * times are carried as "local milliseconds": `Date.UTC(y, m - 1, d, h, mi)` of the wall clock.
 *
 * The two caches below memoise pure functions of their keys (formatters are expensive to
 * build, offsets are asked for repeatedly); they change no result, only its cost.
 */

const MINUTE_MS = 60_000;
/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Names `Intl` refused as a time zone (at most 1,000 kept). */
const unknownZones = new Set<string>();

/**
 * Zones whose wall clock is UTC, answered without `Intl`: the first `Intl.DateTimeFormat`
 * with a time zone maps about 6 MB of ICU's time-zone data and code into memory, which a
 * process whose calendar windows are all in UTC (the catalog's default) does not need.
 */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC']);
const offsets = new Map<string, Map<number, number>>();
const OFFSET_CACHE_LIMIT = 20_000;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone name this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  if (UTC_ZONES.has(timeZone) || formatters.has(timeZone)) return true;
  // Building a formatter is slow (5 % of validating 5,000 services): an unknown zone is
  // remembered too, so a catalog that repeats a misspelt one asks once.
  if (unknownZones.has(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    if (unknownZones.size < 1000) unknownZones.add(timeZone);
    return false;
  }
}

/** A wall-clock reading in some zone; `month` is 1-12. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall clock in `timeZone` at instant `epochMs`. */
export function localDateTime(timeZone: string, epochMs: number): LocalDateTime {
  if (UTC_ZONES.has(timeZone)) {
    const d = new Date(epochMs);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }
  const parts = formatterFor(timeZone).formatToParts(epochMs);
  const out: LocalDateTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        out.year = Number(p.value);
        break;
      case 'month':
        out.month = Number(p.value);
        break;
      case 'day':
        out.day = Number(p.value);
        break;
      case 'hour':
        // Some ICU versions print midnight as 24 even with h23.
        out.hour = Number(p.value) % 24;
        break;
      case 'minute':
        out.minute = Number(p.value);
        break;
      case 'second':
        out.second = Number(p.value);
        break;
      default:
        break;
    }
  }
  return out;
}

/** UTC offset of `timeZone` at `epochMs`, in milliseconds (local = utc + offset). */
export function zoneOffsetMs(timeZone: string, epochMs: number): number {
  if (UTC_ZONES.has(timeZone)) return 0;
  const at = Math.floor(epochMs / 1000) * 1000;
  let zoneCache = offsets.get(timeZone);
  if (zoneCache === undefined) {
    zoneCache = new Map();
    offsets.set(timeZone, zoneCache);
  }
  const cached = zoneCache.get(at);
  if (cached !== undefined) return cached;
  const l = localDateTime(timeZone, at);
  const offset = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - at;
  if (zoneCache.size >= OFFSET_CACHE_LIMIT) zoneCache.clear();
  zoneCache.set(at, offset);
  return offset;
}

/**
 * The instant at which the wall clock in `timeZone` reads `localMs`, disambiguated like
 * Temporal's 'compatible': an ambiguous time (clocks fall back) takes the earlier instant;
 * a skipped time (clocks spring forward) is moved forward by the gap (02:30 becomes 03:30).
 * Assumes at most one offset change within a day either side, true of every IANA zone today.
 */
export function localToEpochMs(timeZone: string, localMs: number): number {
  const before = zoneOffsetMs(timeZone, localMs - DAY_MS);
  const after = zoneOffsetMs(timeZone, localMs + DAY_MS);
  const early = localMs - before;
  if (before === after) return early;
  const late = localMs - after;
  const earlyValid = zoneOffsetMs(timeZone, early) === before;
  const lateValid = zoneOffsetMs(timeZone, late) === after;
  if (earlyValid && lateValid) return Math.min(early, late);
  if (earlyValid) return early;
  if (lateValid) return late;
  // In the gap: using the offset from before the change lands past the gap by its length.
  return early;
}

/** Epoch minute of an instant, rounding down. */
export function toMinute(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS);
}
