/**
 * Maintenance windows (SLO-MATH.md, "Adjustments"): their minutes are removed from every
 * window of the SLO, counting as neither good nor bad. Exclusions are subtracted as range
 * sums, so they cost one `sum()` per overlapping range, not a loop over minutes.
 */
import type { CountSeries, CountTotals } from './counts.ts';
import { type CronSchedule, cronOccurrences, parseCron } from './cron.ts';
import { type Issue, issue, type Result, withPathPrefix } from './result.ts';
import { isValidTimeZone } from './time-zone.ts';
import type { MaintenanceWindow } from './types.ts';

/** A half-open range of epoch minutes `[fromMinute, toMinute)`. */
export interface MinuteRange {
  fromMinute: number;
  toMinute: number;
}

// Memo of parsed cron expressions: parsing is a pure function of the string.
const parsedCrons = new Map<string, Result<CronSchedule>>();

function parseCronMemo(expression: string): Result<CronSchedule> {
  let parsed = parsedCrons.get(expression);
  if (parsed === undefined) {
    parsed = parseCron(expression);
    if (parsedCrons.size > 1000) parsedCrons.clear();
    parsedCrons.set(expression, parsed);
  }
  return parsed;
}

// Memo of cron starts per zone and week-long block of epoch minutes. Occurrences in a range
// are the union of those in its blocks, so serving a range from cached blocks is exact and
// saves the time-zone lookups on every evaluation.
const BLOCK_MINUTES = 7 * 1440;
const occurrenceBlocks = new Map<string, readonly number[]>();

function occurrencesMemo(
  schedule: CronSchedule,
  timeZone: string,
  fromMinute: number,
  toMinute: number,
  visit: (start: number) => void,
): void {
  for (let block = Math.floor(fromMinute / BLOCK_MINUTES); block * BLOCK_MINUTES < toMinute; block++) {
    const key = timeZone + '|' + schedule.source + '|' + block;
    let starts = occurrenceBlocks.get(key);
    if (starts === undefined) {
      starts = cronOccurrences(schedule, timeZone, block * BLOCK_MINUTES, (block + 1) * BLOCK_MINUTES);
      if (occurrenceBlocks.size > 5000) occurrenceBlocks.clear();
      occurrenceBlocks.set(key, starts);
    }
    for (const start of starts) if (start >= fromMinute && start < toMinute) visit(start);
  }
}

/** Checks one maintenance window; issue paths are relative to the window. */
export function validateMaintenanceWindow(window: MaintenanceWindow): Issue[] {
  const issues: Issue[] = [];
  if (window.kind === 'once') {
    if (!Number.isSafeInteger(window.startMinute)) {
      issues.push(issue('invalid_value', ['startMinute'], 'startMinute must be an integer epoch minute'));
    }
    if (!Number.isSafeInteger(window.endMinute)) {
      issues.push(issue('invalid_value', ['endMinute'], 'endMinute must be an integer epoch minute'));
    }
    if (!(window.endMinute > window.startMinute)) {
      issues.push(issue('invalid_value', ['endMinute'], 'endMinute must be after startMinute'));
    }
    return issues;
  }
  const cron = parseCronMemo(window.cron);
  if (!cron.ok) issues.push(...withPathPrefix(cron.issues, ['cron']));
  if (!Number.isSafeInteger(window.durationMinutes) || window.durationMinutes <= 0) {
    issues.push(issue('invalid_value', ['durationMinutes'], 'durationMinutes must be a positive integer'));
  }
  if (!isValidTimeZone(window.timeZone)) {
    issues.push(issue('invalid_time_zone', ['timeZone'], `unknown IANA time zone '${window.timeZone}'`));
  }
  return issues;
}

/** Sorts ranges and merges overlapping or touching ones; empty ranges are dropped. */
export function mergeRanges(ranges: readonly MinuteRange[]): MinuteRange[] {
  const sorted = ranges.filter((r) => r.toMinute > r.fromMinute).sort((a, b) => a.fromMinute - b.fromMinute);
  const out: MinuteRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.fromMinute <= last.toMinute) {
      if (r.toMinute > last.toMinute) last.toMinute = r.toMinute;
    } else out.push({ fromMinute: r.fromMinute, toMinute: r.toMinute });
  }
  return out;
}

/**
 * The excluded minutes of `windows` within `[fromMinute, toMinute)`, sorted and merged.
 * Recurring windows start at each cron match (in their own time zone) and last
 * `durationMinutes`; a start before `fromMinute` still excludes its overlap.
 */
export function expandMaintenance(
  windows: readonly MaintenanceWindow[],
  fromMinute: number,
  toMinute: number,
): Result<MinuteRange[]> {
  const issues: Issue[] = [];
  const ranges: MinuteRange[] = [];
  windows.forEach((w, i) => {
    const problems = validateMaintenanceWindow(w);
    if (problems.length > 0) {
      issues.push(...withPathPrefix(problems, [i]));
      return;
    }
    if (w.kind === 'once') {
      ranges.push({
        fromMinute: Math.max(w.startMinute, fromMinute),
        toMinute: Math.min(w.endMinute, toMinute),
      });
      return;
    }
    const cron = parseCronMemo(w.cron);
    if (!cron.ok) return;
    occurrencesMemo(cron.value, w.timeZone, fromMinute - w.durationMinutes + 1, toMinute, (start) => {
      ranges.push({
        fromMinute: Math.max(start, fromMinute),
        toMinute: Math.min(start + w.durationMinutes, toMinute),
      });
    });
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: mergeRanges(ranges) };
}

/** Index of the first range ending after `minute` in sorted, merged `ranges`. */
function firstEndingAfter(ranges: readonly MinuteRange[], minute: number): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]!.toMinute <= minute) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many minutes of `[fromMinute, toMinute)` sorted, merged `ranges` cover. */
export function overlapMinutes(ranges: readonly MinuteRange[], fromMinute: number, toMinute: number): number {
  let covered = 0;
  for (let i = firstEndingAfter(ranges, fromMinute); i < ranges.length; i++) {
    const r = ranges[i]!;
    if (r.fromMinute >= toMinute) break;
    covered += Math.min(r.toMinute, toMinute) - Math.max(r.fromMinute, fromMinute);
  }
  return covered;
}

/** The parts of sorted, merged `ranges` inside `[fromMinute, toMinute)`. */
export function clipRanges(
  ranges: readonly MinuteRange[],
  fromMinute: number,
  toMinute: number,
): MinuteRange[] {
  const out: MinuteRange[] = [];
  for (let i = firstEndingAfter(ranges, fromMinute); i < ranges.length; i++) {
    const r = ranges[i]!;
    if (r.fromMinute >= toMinute) break;
    out.push({ fromMinute: Math.max(r.fromMinute, fromMinute), toMinute: Math.min(r.toMinute, toMinute) });
  }
  return out;
}

/**
 * Sums `[fromMinute, toMinute)` without the minutes in sorted, merged `excluded`: the window
 * sum minus one range sum per overlapping exclusion.
 */
export function sumExcluding(
  series: CountSeries,
  fromMinute: number,
  toMinute: number,
  excluded: readonly MinuteRange[],
): CountTotals {
  const whole = series.sum(fromMinute, toMinute);
  if (excluded.length === 0 || toMinute <= fromMinute) return whole;
  let good = whole.good;
  let total = whole.total;
  for (let i = firstEndingAfter(excluded, fromMinute); i < excluded.length; i++) {
    const r = excluded[i]!;
    if (r.fromMinute >= toMinute) break;
    const cut = series.sum(Math.max(r.fromMinute, fromMinute), Math.min(r.toMinute, toMinute));
    good -= cut.good;
    total -= cut.total;
  }
  // Subtraction of float sums can leave a tiny negative residue.
  return { good: good > 0 ? good : 0, total: total > 0 ? total : 0 };
}
