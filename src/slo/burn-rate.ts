/**
 * Burn rates (SLO-MATH.md, "Burn rate and multi-window alerts") and the Wilson score bound
 * used for optional low-traffic gating.
 */

/**
 * The allowed bad ratio `e = 1 - o`, rounded to 15 decimals so that decimal objectives give
 * decimal budgets (`1 - 0.999` is 0.0010000000000000009 in binary floating point).
 */
export function errorBudgetRatio(objectiveRatio: number): number {
  const raw = 1 - objectiveRatio;
  const rounded = Math.round(raw * 1e15) / 1e15;
  return rounded > 0 ? rounded : raw;
}

/** `b(w) = (bad / total) / e`; 0 when the window has no traffic (no traffic burns no budget). */
export function burnRate(bad: number, total: number, errorBudget: number): number {
  return total > 0 ? bad / total / errorBudget : 0;
}

// Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9).
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

function tail(q: number): number {
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  return (
    (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
  );
}

/** The standard normal quantile `z` with `P(Z <= z) = p`, for `0 < p < 1`. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const low = 0.02425;
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/** The `z` of a two-sided confidence level: 1.959964 for 0.95. */
export function confidenceZ(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * Lower end of the Wilson score interval for the error ratio `bad / total`: the error
 * ratio we are confident (at the given two-sided level) the service is at least failing
 * at. Gating alerts on it keeps a handful of failures in a small sample from paging, which
 * is the point of the option (issue 4: "optionally the Wilson score lower bound"). 0 when
 * there is no traffic.
 */
export function wilsonLowerBound(bad: number, total: number, z: number): number {
  if (!(total > 0)) return 0;
  const p = Math.min(1, Math.max(0, bad / total));
  const z2 = z * z;
  const centre = p + z2 / (2 * total);
  const spread = z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  return Math.max(0, (centre - spread) / (1 + z2 / total));
}

/**
 * Upper end of the Wilson score interval for the error ratio `bad / total` (Wilson 1927),
 * at the `z` of a two-sided confidence level. 0 when there is no traffic.
 */
export function wilsonUpperBound(bad: number, total: number, z: number): number {
  if (!(total > 0)) return 0;
  const p = Math.min(1, Math.max(0, bad / total));
  const z2 = z * z;
  const centre = p + z2 / (2 * total);
  const spread = z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  return Math.min(1, (centre + spread) / (1 + z2 / total));
}
