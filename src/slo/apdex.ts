/**
 * Latency SLIs as counts (SLO-MATH.md, "Counts"): apdex from cumulative histogram buckets.
 */
import type { MinuteCounts } from './prefix-series.ts';
import { type Issue, issue, type Result } from './result.ts';

/** Cumulative histogram counts of one minute: `le=s`, optional `le=t` (t > s) and `le=+Inf`. */
export interface LatencyBuckets {
  satisfied: number;
  tolerated?: number;
  total: number;
}

/**
 * Apdex as good/total: `good = count(le=s) + (count(le=t) - count(le=s)) / 2`, or
 * `count(le=s)` without a tolerated bucket; `total = count(le=+Inf)`.
 * @example apdexCounts(7, { satisfied: 80, tolerated: 90, total: 100 }) // good 85 of 100
 */
export function apdexCounts(minute: number, buckets: LatencyBuckets): Result<MinuteCounts> {
  const { satisfied, tolerated, total } = buckets;
  const issues: Issue[] = [];
  if (!(Number.isFinite(satisfied) && satisfied >= 0)) {
    issues.push(issue('invalid_value', ['satisfied'], 'satisfied must be a finite count >= 0'));
  }
  if (!(Number.isFinite(total) && total >= 0)) {
    issues.push(issue('invalid_value', ['total'], 'total must be a finite count >= 0'));
  }
  const upper = tolerated ?? satisfied;
  if (tolerated !== undefined && !(Number.isFinite(tolerated) && tolerated >= satisfied)) {
    issues.push(
      issue('invalid_value', ['tolerated'], 'buckets are cumulative: tolerated must be >= satisfied'),
    );
  }
  if (upper > total) {
    issues.push(
      issue('invalid_value', ['total'], 'buckets are cumulative: total (le=+Inf) must be the largest'),
    );
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { minute, good: satisfied + (upper - satisfied) / 2, total } };
}
