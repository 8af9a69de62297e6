/**
 * Compliance windows (SLO-MATH.md, "Windows"): rolling `[at - N, at)` or the calendar
 * month/quarter containing `at`, in the SLO's IANA time zone.
 */
import { localDateTime, localToEpochMs, toMinute } from './time-zone.ts';
import type { SloWindow } from './types.ts';

/**
 * A window resolved at one instant. `[fromMinute, toMinute)` is what has elapsed ("so far");
 * `[periodFromMinute, periodToMinute)` is the whole period the budget belongs to. For
 * rolling windows both are the same range.
 */
export interface ResolvedWindow {
  fromMinute: number;
  toMinute: number;
  periodFromMinute: number;
  periodToMinute: number;
}

/** A calendar period as instants: `[startMs, endMs)`. */
export interface CalendarPeriod {
  readonly startMs: number;
  readonly endMs: number;
}

// Memo of the last calendar period per zone and unit: the period containing an instant is
// unique, so reusing it when `atMs` falls inside is invisible to callers.
const lastPeriods = new Map<string, CalendarPeriod>();

/** The calendar month or quarter containing `atMs`, from local midnight of its first day. */
export function calendarPeriod(unit: 'month' | 'quarter', timeZone: string, atMs: number): CalendarPeriod {
  const key = unit + '|' + timeZone;
  const memo = lastPeriods.get(key);
  if (memo !== undefined && atMs >= memo.startMs && atMs < memo.endMs) return memo;
  const local = localDateTime(timeZone, atMs);
  const firstMonth = unit === 'month' ? local.month : 3 * Math.floor((local.month - 1) / 3) + 1;
  const length = unit === 'month' ? 1 : 3;
  // Date.UTC normalises month 13 to January of the next year.
  const startMs = localToEpochMs(timeZone, Date.UTC(local.year, firstMonth - 1, 1));
  const endMs = localToEpochMs(timeZone, Date.UTC(local.year, firstMonth - 1 + length, 1));
  const period: CalendarPeriod = Object.freeze({ startMs, endMs });
  if (lastPeriods.size > 1000) lastPeriods.clear();
  lastPeriods.set(key, period);
  return period;
}

/**
 * Resolves a window at `atMs`; the minute containing `atMs` is still in progress and
 * excluded. Calendar boundaries are local midnights, so their length follows month
 * lengths and DST.
 * @example resolveWindow({ kind: 'rolling', minutes: 40_320 }, Date.now())
 */
export function resolveWindow(window: SloWindow, atMs: number): ResolvedWindow {
  const atMinute = toMinute(atMs);
  if (window.kind === 'rolling') {
    const fromMinute = atMinute - window.minutes;
    return { fromMinute, toMinute: atMinute, periodFromMinute: fromMinute, periodToMinute: atMinute };
  }
  const period = calendarPeriod(window.unit, window.timeZone, atMs);
  const periodFromMinute = Math.ceil(period.startMs / 60_000);
  const periodToMinute = Math.ceil(period.endMs / 60_000);
  return {
    fromMinute: periodFromMinute,
    toMinute: Math.min(Math.max(atMinute, periodFromMinute), periodToMinute),
    periodFromMinute,
    periodToMinute,
  };
}
