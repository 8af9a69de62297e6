/**
 * OpenSLO's duration-shorthand (README, "Custom Data Types"): a positive integer and one
 * case-sensitive unit, m h d w M Q Y. Sextant durations are minutes-resolution sums of
 * m h d w, so months, quarters and years only map as calendar windows.
 */

export type ShorthandUnit = 's' | 'm' | 'h' | 'd' | 'w' | 'M' | 'Q' | 'Y';

export interface Shorthand {
  count: number;
  unit: ShorthandUnit;
}

const SHORTHAND = /^([0-9]+)([smhdwMQY])$/;
const UNIT_MINUTES: Partial<Record<ShorthandUnit, number>> = { m: 1, h: 60, d: 1440, w: 10080 };

/**
 * Parses a shorthand. Seconds are not in the spec but common in the wild; they are parsed
 * so the importer can say how they were rounded.
 * @example parseShorthand('28d') // { count: 28, unit: 'd' }
 */
export function parseShorthand(text: string): Shorthand | undefined {
  const match = SHORTHAND.exec(text.trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  if (!(count > 0)) return undefined;
  return { count, unit: match[2] as ShorthandUnit };
}

/** Exact minutes for m/h/d/w; undefined for seconds and calendar units. */
export function shorthandMinutes(shorthand: Shorthand): number | undefined {
  const perUnit = UNIT_MINUTES[shorthand.unit];
  return perUnit === undefined ? undefined : shorthand.count * perUnit;
}

/**
 * The OpenSLO shorthand of a whole number of minutes, in the largest exact unit of d, h, m
 * (days rather than weeks: SLO windows are conventionally 7d/28d/30d).
 * @example minutesToShorthand(40320) // '28d'
 */
export function minutesToShorthand(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}
