/**
 * OpenSLO timeWindow and budgetingMethod -> Sextant window and budgeting (README, "SLO"
 * and "Notes (Objectives)").
 */

import { formatMinutes, isTimeZone } from '../../catalog/index.ts';
import { parseShorthand, type Shorthand, shorthandMinutes } from './duration.ts';
import { ANNOTATIONS, type BudgetingDoc, type WindowDoc } from './manifest.ts';
import type { View } from './source.ts';

/**
 * timeWindow -> window. Rolling m/h/d/w durations map exactly; a calendar 1M is a month
 * and 1Q (or 3M) a quarter in the calendar's time zone. Anything else is approximated
 * with a warning. The nominal period (30d month, 91d quarter) is returned for tier maths.
 */
export function importWindow(spec: View): { doc?: WindowDoc; periodMinutes: number } {
  const items = spec.list('timeWindow');
  if (items.length === 0) {
    spec.note('info', "SLO has no timeWindow; Sextant's default rolling 28d applies");
    return { periodMinutes: 28 * 1440 };
  }
  for (const extra of items.slice(1)) {
    extra.take();
    extra.note('warning', 'timeWindow accepts exactly one item; this one is ignored');
  }
  const item = items[0]!;
  const durationText = item.string('duration');
  const rolling = item.boolean('isRolling');
  const calendar = item.child('calendar');
  const duration = durationText === undefined ? undefined : parseShorthand(durationText);
  if (duration === undefined) {
    item.note(
      'warning',
      `timeWindow duration "${durationText ?? ''}" is not a duration-shorthand (e.g. 28d, 1M); Sextant's default 28d applies`,
    );
    calendar.take();
    return { periodMinutes: 28 * 1440 };
  }
  const isCalendar = rolling === true ? false : calendar.present || rolling === false;
  if (rolling === true && calendar.present) {
    calendar.take();
    calendar.note('warning', 'isRolling is true, so calendar is ignored');
  }
  if (!isCalendar) return rollingWindow(item, duration);
  const zone = calendar.string('timeZone');
  const startTime = calendar.string('startTime');
  let timeZone = zone ?? 'UTC';
  if (zone === undefined) {
    (calendar.present ? calendar : item).note('info', 'calendar window without timeZone: UTC is assumed');
  } else if (!isTimeZone(zone)) {
    calendar.child('timeZone').note('warning', `"${zone}" is not an IANA time zone; UTC is used`);
    timeZone = 'UTC';
  }
  const unit =
    duration.unit === 'M' && duration.count === 1
      ? 'month'
      : (duration.unit === 'Q' && duration.count === 1) || (duration.unit === 'M' && duration.count === 3)
        ? 'quarter'
        : undefined;
  if (unit === undefined) {
    const approx = rollingWindow(item, duration, true);
    item
      .child('duration')
      .note(
        'warning',
        `a calendar-aligned ${durationText} window has no Sextant counterpart (calendar windows are a month or a quarter); imported as rolling ${String(approx.doc)}`,
      );
    return approx;
  }
  if (startTime !== undefined && !alignedStart(startTime, unit)) {
    calendar
      .child('startTime')
      .note(
        'info',
        `Sextant ${unit}s start at local midnight on the first day of the ${unit}, not at ${startTime}`,
      );
  }
  return { doc: { calendar: unit, timeZone }, periodMinutes: unit === 'month' ? 30 * 1440 : 91 * 1440 };
}

function rollingWindow(
  item: View,
  duration: Shorthand,
  quiet = false,
): { doc?: WindowDoc; periodMinutes: number } {
  const exact = shorthandMinutes(duration);
  // m, h, d and w mean the same in both; keep the text as written (4w stays 4w).
  if (exact !== undefined) return { doc: `${duration.count}${duration.unit}`, periodMinutes: exact };
  const days = { s: 0, m: 0, h: 0, d: 1, w: 7, M: 30, Q: 91, Y: 365 }[duration.unit] * duration.count;
  if (days === 0) {
    item
      .child('duration')
      .note(
        'warning',
        `a ${duration.count}s window is below Sextant's one-minute resolution; Sextant's default 28d applies`,
      );
    return { periodMinutes: 28 * 1440 };
  }
  if (!quiet) {
    item
      .child('duration')
      .note(
        'warning',
        `a rolling ${duration.count}${duration.unit} has no fixed length; imported as rolling ${days}d`,
      );
  }
  return { doc: `${days}d`, periodMinutes: days * 1440 };
}

/**
 * budgetingMethod (and the objective's timeSliceTarget/timeSliceWindow) -> budgeting.
 * A numeric timeSliceWindow is minutes (README, "Notes (Objectives)").
 */
export function importBudgeting(
  spec: View,
  objective: View,
  annotations: Record<string, string>,
): BudgetingDoc {
  const method = (spec.child('budgetingMethod').value as string | undefined)?.toString().toLowerCase();
  const target = objective.number('timeSliceTarget');
  const windowView = objective.child('timeSliceWindow');
  let slice: string | undefined;
  if (windowView.present) {
    windowView.take();
    const raw = windowView.value;
    const shorthand =
      typeof raw === 'number' ? { count: raw, unit: 'm' as const } : parseShorthand(String(raw));
    const minutes = shorthand === undefined ? undefined : shorthandMinutes(shorthand);
    if (shorthand?.unit === 's') {
      const rounded = Math.max(1, Math.ceil(shorthand.count / 60));
      windowView.note(
        'warning',
        `timeSliceWindow ${String(raw)} is below Sextant's one-minute resolution; ${rounded}m is used`,
      );
      slice = `${rounded}m`;
    } else if (minutes === undefined || !Number.isInteger(minutes)) {
      windowView.note(
        'warning',
        `timeSliceWindow ${String(raw)} is not a whole number of minutes, hours or days; Sextant's default 1m is used`,
      );
    } else {
      slice = formatMinutes(minutes);
    }
  }
  if (method === 'timeslices') {
    const doc: BudgetingDoc = { method: 'timeslices' };
    if (slice !== undefined) doc.slice = slice;
    else if (!windowView.present)
      objective.note('info', "Timeslices without timeSliceWindow: Sextant's default 1m slice is used");
    if (target !== undefined) doc.sliceTargetRatio = target;
    else
      objective.note(
        'warning',
        'Timeslices needs timeSliceTarget (the share of good events that makes a slice good); add sliceTargetRatio to the imported SLO',
      );
    if (annotations[ANNOTATIONS.emptySlice] === 'bad') doc.emptySlice = 'bad';
    return doc;
  }
  if (method === 'ratiotimeslices') {
    if (target !== undefined)
      objective
        .child('timeSliceTarget')
        .note('info', 'RatioTimeslices averages slice ratios; timeSliceTarget is ignored');
    const doc: BudgetingDoc = { method: 'ratioTimeslices' };
    if (slice !== undefined) doc.slice = slice;
    return doc;
  }
  if (method === undefined) {
    spec.note('warning', 'budgetingMethod is missing (the spec requires it); occurrences is used');
  } else if (method !== 'occurrences') {
    spec
      .child('budgetingMethod')
      .note(
        'warning',
        `budgetingMethod "${method}" is not Occurrences, Timeslices or RatioTimeslices; occurrences is used`,
      );
  }
  if (target !== undefined || slice !== undefined) {
    objective.note('info', 'timeSliceTarget and timeSliceWindow only apply to Timeslices budgeting; ignored');
  }
  return 'occurrences';
}

/** True when `startTime` (local, no zone) is midnight on the first day of a month (or quarter). */
function alignedStart(startTime: string, unit: 'month' | 'quarter'): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(startTime.trim());
  if (!match) return false;
  const [, , month, day, hour = '00', minute = '00', second = '00'] = match;
  const midnightOnFirst = day === '01' && hour === '00' && minute === '00' && second === '00';
  return midnightOnFirst && (unit === 'month' || (Number(month) - 1) % 3 === 0);
}
