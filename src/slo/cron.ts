/**
 * A small 5-field cron matcher (minute hour day-of-month month day-of-week) with Vixie cron
 * semantics: lists, ranges, steps, `*`, month and weekday names, 7 as Sunday, the
 * `@daily`-style macros, and the day-of-month/day-of-week OR rule.
 */
import { type Issue, issue, type Result } from './result.ts';
import { DAY_MS, toMinute as epochMinute, localDateTime, localToEpochMs, zoneOffsetMs } from './time-zone.ts';

/** A parsed cron expression; every list is sorted and free of duplicates. */
export interface CronSchedule {
  source: string;
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: readonly number[];
  /** 1-12. */
  months: readonly number[];
  /** 0-6, Sunday is 0. */
  daysOfWeek: readonly number[];
  /**
   * Vixie cron: when either day field starts with `*`, a day must match both fields;
   * when both are restricted, a day matching either one matches.
   */
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
}

interface FieldSpec {
  name: 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'dayOfMonth', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['', 'jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  // 7 is accepted as Sunday and folded onto 0.
  { name: 'dayOfWeek', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function parseValue(text: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  if (spec.names === undefined) return undefined;
  const i = spec.names.indexOf(text.toLowerCase());
  return i >= 0 && text.length === 3 ? i : undefined;
}

function parseField(text: string, spec: FieldSpec, issues: Issue[]): number[] {
  const path = [spec.name];
  const values = new Set<number>();
  const range = `${spec.min}-${spec.max}`;
  for (const item of text.split(',')) {
    const [base = '', step, extra] = item.split('/');
    if (extra !== undefined) {
      issues.push(issue('invalid_cron', path, `'${item}' has more than one '/'`));
      continue;
    }
    let stepBy = 1;
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) === 0) {
        issues.push(issue('invalid_cron', path, `step '${step}' in '${item}' must be a positive integer`));
        continue;
      }
      stepBy = Number(step);
    }
    let lo: number | undefined;
    let hi: number | undefined;
    if (base === '*') {
      lo = spec.min;
      // '*' in day-of-week means 0-6; 7 is only an alias.
      hi = spec.name === 'dayOfWeek' ? 6 : spec.max;
    } else {
      const bounds = base.split('-');
      if (bounds.length > 2 || base === '') {
        issues.push(issue('invalid_cron', path, `'${item}' is not a value, range or '*'`));
        continue;
      }
      lo = parseValue(bounds[0]!, spec);
      hi = bounds.length === 2 ? parseValue(bounds[1]!, spec) : step !== undefined ? spec.max : lo;
      if (lo === undefined || hi === undefined) {
        issues.push(issue('invalid_cron', path, `'${item}' is outside ${range} or not a known name`));
        continue;
      }
      if (lo > hi) {
        issues.push(issue('invalid_cron', path, `range '${base}' runs backwards`));
        continue;
      }
    }
    for (let v = lo; v <= hi; v += stepBy) values.add(spec.name === 'dayOfWeek' && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

/**
 * Parses a 5-field cron expression (or a macro such as `@daily`).
 * @example parseCron('0 2 * * sun') // Sundays at 02:00
 */
export function parseCron(expression: string): Result<CronSchedule> {
  const trimmed = expression.trim();
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith('@')) {
    return { ok: false, issues: [issue('invalid_cron', [], `unknown or unsupported macro '${trimmed}'`)] };
  }
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5 || fields[0] === '') {
    return {
      ok: false,
      issues: [
        issue(
          'invalid_cron',
          [],
          `expected 5 fields (minute hour day-of-month month day-of-week), got ${trimmed === '' ? 0 : fields.length}`,
        ),
      ],
    };
  }
  const issues: Issue[] = [];
  const lists = FIELDS.map((spec, i) => parseField(fields[i]!, spec, issues));
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      source: expression,
      minutes: lists[0]!,
      hours: lists[1]!,
      daysOfMonth: lists[2]!,
      months: lists[3]!,
      daysOfWeek: lists[4]!,
      dayOfMonthStar: fields[2]!.startsWith('*'),
      dayOfWeekStar: fields[4]!.startsWith('*'),
    },
  };
}

/** Whether the schedule runs on a local date (`month` 1-12, `weekday` 0-6 with Sunday 0). */
export function cronMatchesDay(schedule: CronSchedule, month: number, day: number, weekday: number): boolean {
  if (!schedule.months.includes(month)) return false;
  const dom = schedule.daysOfMonth.includes(day);
  const dow = schedule.daysOfWeek.includes(weekday);
  return schedule.dayOfMonthStar || schedule.dayOfWeekStar ? dom && dow : dom || dow;
}

/** Whether the schedule fires at a local wall-clock minute. */
export function cronMatches(
  schedule: CronSchedule,
  local: { month: number; day: number; weekday: number; hour: number; minute: number },
): boolean {
  return (
    schedule.minutes.includes(local.minute) &&
    schedule.hours.includes(local.hour) &&
    cronMatchesDay(schedule, local.month, local.day, local.weekday)
  );
}

/**
 * Epoch minutes in `[fromMinute, toMinute)` at which the schedule fires, evaluated on the
 * wall clock of `timeZone`. Works day by day, never minute by minute. A start in a skipped
 * hour moves forward by the gap; a start in a repeated hour fires once, at the earlier instant.
 */
export function cronOccurrences(
  schedule: CronSchedule,
  timeZone: string,
  fromMinute: number,
  toMinute: number,
): number[] {
  const out: number[] = [];
  if (toMinute <= fromMinute) return out;
  // One local day of slack either side covers every offset in use.
  const first = localDate(timeZone, fromMinute * 60_000) - DAY_MS;
  const last = localDate(timeZone, toMinute * 60_000) + DAY_MS;
  let dayStart = localToEpochMs(timeZone, first);
  for (let day = first; day <= last; day += DAY_MS) {
    const nextDayStart = localToEpochMs(timeZone, day + DAY_MS);
    const date = new Date(day);
    if (cronMatchesDay(schedule, date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay())) {
      // Without an offset change inside the day, every wall time maps with one offset.
      const offset = zoneOffsetMs(timeZone, dayStart);
      const uniform = offset === zoneOffsetMs(timeZone, nextDayStart - 1);
      for (const hour of schedule.hours) {
        for (const minute of schedule.minutes) {
          const local = day + hour * 3_600_000 + minute * 60_000;
          const at = epochMinute(uniform ? local - offset : localToEpochMs(timeZone, local));
          if (at >= fromMinute && at < toMinute) out.push(at);
        }
      }
    }
    dayStart = nextDayStart;
  }
  out.sort((a, b) => a - b);
  // A skipped-hour start moved forward can coincide with a real one.
  let w = 0;
  for (let r = 0; r < out.length; r++) if (r === 0 || out[r] !== out[w - 1]) out[w++] = out[r]!;
  out.length = w;
  return out;
}

function localDate(timeZone: string, epochMs: number): number {
  const l = localDateTime(timeZone, epochMs);
  return Date.UTC(l.year, l.month - 1, l.day);
}
