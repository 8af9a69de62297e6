/**
 * Composites (SLO-MATH.md, "Composites and availability"): journeys as weighted sums of
 * counts, and GitLab-style weighted availability over key services.
 */
import type { CountSeries } from './counts.ts';
import { type Issue, issue, type Result } from './result.ts';
import { type WeightedPart, WeightedSumSeries } from './weighted-series.ts';

export type { WeightedPart } from './weighted-series.ts';

function checkWeight(weight: number, path: (string | number)[], issues: Issue[]): void {
  if (!(Number.isFinite(weight) && weight >= 0)) {
    issues.push(issue('invalid_value', path, 'weight must be a finite number >= 0'));
  }
}

/**
 * A journey (composite SLI) over weighted parts as a `CountSeries`, so `evaluateSlo` works
 * on it unchanged: `ratio = sum(w_i * G_i) / sum(w_i * T_i)`, never the mean of part ratios.
 * @example journeySeries([{ series: login, weight: 1 }, { series: checkout, weight: 2 }])
 */
export function journeySeries(parts: readonly WeightedPart[]): Result<CountSeries> {
  const issues: Issue[] = [];
  if (parts.length === 0) issues.push(issue('invalid_value', [], 'a journey needs at least one part'));
  parts.forEach((p, i) => {
    checkWeight(p.weight, [i, 'weight'], issues);
  });
  if (issues.length === 0 && parts.every((p) => p.weight === 0)) {
    issues.push(issue('invalid_value', [], 'at least one part needs a weight above 0'));
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: new WeightedSumSeries(parts.map((p) => ({ series: p.series, weight: p.weight }))),
  };
}

/** One SLO of a key service, met in a slice when the slice ratio reaches `objectiveRatio`. */
export interface AvailabilitySlo {
  series: CountSeries;
  objectiveRatio: number;
}

/** A key service and its weight in the availability figure. */
export interface AvailabilityService {
  name: string;
  weight: number;
  slos: readonly AvailabilitySlo[];
}

/** Availability of one service over the range. */
export interface ServiceAvailability {
  name: string;
  weight: number;
  slices: number;
  availableSlices: number;
  /** `availableSlices / slices`; null without slices. */
  ratio: number | null;
}

/** Weighted availability over key services, with each service's share. */
export interface AvailabilityReport {
  fromMinute: number;
  toMinute: number;
  sliceMinutes: number;
  /** `sum_s(w_s * available_s) / sum_s(w_s * slices_s)`; null when the denominator is 0. */
  ratio: number | null;
  services: ServiceAvailability[];
}

/**
 * GitLab.com-style availability: slices of `sliceMinutes` aligned on `fromMinute` (the last
 * may be shorter); a service is available in a slice when every one of its SLOs is met there
 * (a slice without traffic meets its SLO); services are weighted by `weight`.
 */
export function weightedAvailability(
  services: readonly AvailabilityService[],
  fromMinute: number,
  toMinute: number,
  sliceMinutes: number,
): Result<AvailabilityReport> {
  const issues: Issue[] = [];
  if (!(Number.isSafeInteger(sliceMinutes) && sliceMinutes > 0)) {
    issues.push(issue('invalid_value', ['sliceMinutes'], 'sliceMinutes must be a positive integer'));
  }
  if (!(Number.isSafeInteger(fromMinute) && Number.isSafeInteger(toMinute) && toMinute >= fromMinute)) {
    issues.push(
      issue('invalid_value', ['toMinute'], 'the range must be integer minutes with toMinute >= fromMinute'),
    );
  }
  services.forEach((s, i) => {
    checkWeight(s.weight, [i, 'weight'], issues);
    s.slos.forEach((slo, j) => {
      if (!(slo.objectiveRatio > 0 && slo.objectiveRatio <= 1)) {
        issues.push(
          issue('invalid_value', [i, 'slos', j, 'objectiveRatio'], 'objectiveRatio must be in (0, 1]'),
        );
      }
    });
  });
  if (issues.length > 0) return { ok: false, issues };

  let weightedAvailable = 0;
  let weightedSlices = 0;
  const report: ServiceAvailability[] = services.map((service) => {
    let slices = 0;
    let availableSlices = 0;
    for (let start = fromMinute; start < toMinute; start += sliceMinutes) {
      const end = Math.min(start + sliceMinutes, toMinute);
      slices++;
      let available = true;
      for (const slo of service.slos) {
        const s = slo.series.sum(start, end);
        if (s.total > 0 && s.good / s.total < slo.objectiveRatio) {
          available = false;
          break;
        }
      }
      if (available) availableSlices++;
    }
    weightedAvailable += service.weight * availableSlices;
    weightedSlices += service.weight * slices;
    return {
      name: service.name,
      weight: service.weight,
      slices,
      availableSlices,
      ratio: slices > 0 ? availableSlices / slices : null,
    };
  });
  return {
    ok: true,
    value: {
      fromMinute,
      toMinute,
      sliceMinutes,
      ratio: weightedSlices > 0 ? weightedAvailable / weightedSlices : null,
      services: report,
    },
  };
}
