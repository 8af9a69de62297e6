/**
 * Checks shared by every store backend, so they all refuse the same inputs with the same
 * issues, and the canonical series key.
 */
import {
  type CountWrite,
  type DenseWrite,
  type Resolution,
  type RetentionPolicy,
  type SeriesKey,
  STORE_ISSUE_CODES,
  type StoreIssue,
} from './types.ts';

/**
 * The canonical identity of a series: the SLI id and its label pairs sorted by name, as
 * JSON (so no separator can be forged by a label value).
 * @example seriesKeyOf({ sli: 'web/requests', labels: { route: '/a' } }) // '["web/requests",[["route","/a"]]]'
 */
export function seriesKeyOf(key: SeriesKey): string {
  const names = Object.keys(key.labels).sort();
  return JSON.stringify([key.sli, names.map((name) => [name, key.labels[name]])]);
}

function invalid(path: (string | number)[], message: string): StoreIssue {
  return { code: STORE_ISSUE_CODES.invalidValue, path, message };
}

/** Checks an SLI id and labels; issue paths are prefixed with `path`. */
export function checkSeriesKey(key: SeriesKey, path: (string | number)[], issues: StoreIssue[]): void {
  if (typeof key.sli !== 'string' || key.sli === '') {
    issues.push(invalid([...path, 'sli'], 'sli must be a non-empty SLI id such as "web/requests"'));
  }
  const labels: unknown = key.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    issues.push(invalid([...path, 'labels'], 'labels must be an object of label names to string values'));
    return;
  }
  for (const [name, value] of Object.entries(labels)) {
    if (name === '') issues.push(invalid([...path, 'labels'], 'a label name must not be empty'));
    if (typeof value !== 'string') {
      issues.push(
        invalid([...path, 'labels', name], `label ${name} must be a string; got ${JSON.stringify(value)}`),
      );
    }
  }
}

/** True when `good` and `total` are acceptable counts; otherwise says why in `issues`. */
export function checkCounts(good: number, total: number, path: (string | number)[], issues: StoreIssue[]) {
  const goodOk = typeof good === 'number' && Number.isFinite(good) && good >= 0;
  const totalOk = typeof total === 'number' && Number.isFinite(total) && total >= 0;
  if (!goodOk) issues.push(invalid([...path, 'good'], `good must be a finite number >= 0; got ${good}`));
  if (!totalOk) issues.push(invalid([...path, 'total'], `total must be a finite number >= 0; got ${total}`));
  if (goodOk && totalOk && good > total) {
    issues.push(invalid([...path, 'good'], `good (${good}) must not exceed total (${total})`));
  }
}

/** Checks an epoch minute against the type and the store's retention watermark. */
export function checkMinute(
  minute: number,
  resolution: Resolution,
  path: (string | number)[],
  issues: StoreIssue[],
): void {
  if (!(Number.isSafeInteger(minute) && minute >= 0)) {
    issues.push(invalid(path, `minute must be a non-negative integer epoch minute; got ${minute}`));
  } else if (minute < resolution.minuteResolutionFromMinute) {
    issues.push({
      code: STORE_ISSUE_CODES.outsideRetention,
      path,
      message: `minute ${minute} is before ${resolution.minuteResolutionFromMinute}, where per-minute counts are no longer kept`,
    });
  }
}

/** Every problem of a batch of bucket writes; empty when the batch may be applied. */
export function checkWrites(writes: readonly CountWrite[], resolution: Resolution): StoreIssue[] {
  const issues: StoreIssue[] = [];
  // Label objects shared by many writes (as parsers produce them) are checked once.
  const validLabels = new Set<object>();
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i]!;
    const checked = typeof w.sli === 'string' && w.sli !== '' && validLabels.has(w.labels);
    if (!checked) {
      const before = issues.length;
      checkSeriesKey(w, [i], issues);
      if (issues.length === before && typeof w.labels === 'object' && w.labels !== null)
        validLabels.add(w.labels);
    }
    checkMinute(w.minute, resolution, [i, 'minute'], issues);
    checkCounts(w.good, w.total, [i], issues);
  }
  return issues;
}

/** Longest dense write accepted in one piece: 400 days of minutes. */
export const MAX_DENSE_MINUTES = 400 * 1440;

/** Every problem of a batch of dense writes. */
export function checkDenseWrites(writes: readonly DenseWrite[], resolution: Resolution): StoreIssue[] {
  const issues: StoreIssue[] = [];
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i]!;
    checkSeriesKey(w, [i], issues);
    checkMinute(w.startMinute, resolution, [i, 'startMinute'], issues);
    if (w.good.length !== w.total.length) {
      issues.push(invalid([i, 'good'], 'good and total must have the same length'));
      continue;
    }
    if (w.good.length > MAX_DENSE_MINUTES) {
      issues.push(invalid([i, 'good'], `a dense write covers at most ${MAX_DENSE_MINUTES} minutes`));
      continue;
    }
    for (let j = 0; j < w.good.length; j++) {
      const g = w.good[j]!;
      const t = w.total[j]!;
      // Fast path: only build paths when something is wrong.
      if (!(g >= 0 && t >= g && Number.isFinite(t))) checkCounts(g, t, [i, j], issues);
      if (issues.length >= 100) return issues;
    }
  }
  return issues;
}

/** Checks a retention policy: whole positive hours, hours kept at least as long as minutes. */
export function checkRetention(policy: RetentionPolicy): StoreIssue[] {
  const issues: StoreIssue[] = [];
  const { minuteRetentionMinutes: m, hourRetentionMinutes: h } = policy;
  const whole = (v: number) => Number.isSafeInteger(v) && v > 0 && v % 60 === 0;
  if (!whole(m)) {
    issues.push({
      code: STORE_ISSUE_CODES.invalidOption,
      path: ['minuteRetentionMinutes'],
      message: 'minuteRetentionMinutes must be a positive whole number of hours, in minutes',
    });
  }
  if (!whole(h)) {
    issues.push({
      code: STORE_ISSUE_CODES.invalidOption,
      path: ['hourRetentionMinutes'],
      message: 'hourRetentionMinutes must be a positive whole number of hours, in minutes',
    });
  }
  if (issues.length === 0 && h < m) {
    issues.push({
      code: STORE_ISSUE_CODES.invalidOption,
      path: ['hourRetentionMinutes'],
      message: 'hourRetentionMinutes must be at least minuteRetentionMinutes',
    });
  }
  return issues;
}

/** The watermarks after applying `policy` at `nowMinute`; they never move backwards. */
export function nextResolution(previous: Resolution, policy: RetentionPolicy, nowMinute: number): Resolution {
  const hourFloor = (m: number) => Math.floor(m / 60) * 60;
  return {
    minuteResolutionFromMinute: Math.max(
      previous.minuteResolutionFromMinute,
      hourFloor(nowMinute - policy.minuteRetentionMinutes),
    ),
    retainedFromMinute: Math.max(
      previous.retainedFromMinute,
      hourFloor(nowMinute - policy.hourRetentionMinutes),
    ),
  };
}
