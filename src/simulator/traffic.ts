/**
 * The traffic model: how many good and bad requests (or which latencies, or which gauge
 * value) each SLI part has in each minute. Either drawn from a seeded model — a diurnal
 * sine with noise, an error ratio, a log-normal latency, incidents — or taken exactly from
 * a known schedule. Every number is a pure function of (scenario, SLI, part, minute).
 */

import type { Sli, ThresholdSli } from '../catalog/index.ts';
import { hashString, normalCdf, roundRandomly, uniform } from './random.ts';
import type { SliFeed } from './series.ts';

/** The shape of an SLI's traffic when no schedule says otherwise. */
export interface TrafficProfile {
  /** Mean requests per minute over a day, for the whole SLI (all parts). */
  requestsPerMinute: number;
  /** Diurnal swing: the rate goes from `1 - a` to `1 + a` times the mean, peaking at 12:00 UTC. */
  diurnalAmplitudeRatio: number;
  /** Per-minute multiplicative noise: the rate is scaled by a uniform draw in `[1 - r, 1 + r]`. */
  noiseRatio: number;
  /** Share of requests that fail (ratio SLIs). */
  errorRatio: number;
  /** Median latency of the log-normal distribution; default a quarter of `satisfiedSeconds`. */
  latencyMedianSeconds?: number;
  /** σ of ln(latency); 0.6 puts about 1 % of requests above 4× the median. */
  latencySigma: number;
  /** Value of threshold SLIs' gauges; default a healthy value derived from operator and bound. */
  gaugeValue?: number;
}

/** Defaults for every SLI: 600 requests a minute, ±30 % over the day, 0.1 % errors. */
export const DEFAULT_PROFILE: TrafficProfile = {
  requestsPerMinute: 600,
  diurnalAmplitudeRatio: 0.3,
  noiseRatio: 0.1,
  errorRatio: 0.001,
  latencySigma: 0.6,
};

/**
 * A stretch of trouble: for minutes whose start lies in `[fromMs, toMs)`, SLIs of `service`
 * (or just `sli`, `service/name`; or every SLI when neither is given) get another error
 * ratio, latencies multiplied by `latencyFactor`, or another gauge value.
 */
export interface Incident {
  service?: string;
  sli?: string;
  fromMs: number;
  toMs: number;
  errorRatio?: number;
  latencyFactor?: number;
  gaugeValue?: number;
}

/** A ratio SLI's requests in one minute. */
export interface RatioMinute {
  good: number;
  bad: number;
}

/**
 * A latency SLI's requests in one minute: within `satisfiedSeconds`, within
 * `toleratedSeconds` but not satisfied, and slower than that.
 */
export interface LatencyMinute {
  satisfied: number;
  tolerated?: number;
  slow: number;
}

/** A threshold SLI's gauge value in one minute. */
export interface GaugeMinute {
  value: number;
}

export type ScheduledMinute = RatioMinute | LatencyMinute | GaugeMinute;

/**
 * A known schedule: what an SLI gets in an epoch minute (`Math.floor(ms / 60_000)`), or
 * undefined to leave that minute to the random model. Counts are split evenly over the
 * SLI's parts (significant-label values), the remainder going to the first parts.
 * @example (sli, minute) => (sli.kind === 'ratio' ? { good: 990, bad: 10 } : undefined)
 */
export type Schedule = (sli: Sli, minute: number) => ScheduledMinute | undefined;

/** Everything that decides the traffic; the same scenario always gives the same numbers. */
export interface Scenario {
  seed: number;
  /** Counters start at 0 before the minute holding `startMs`; that minute is the first with events. */
  startMs: number;
  defaults?: Partial<TrafficProfile>;
  /** Per SLI id (`service/sli`). */
  slis?: Record<string, Partial<TrafficProfile>>;
  incidents?: Incident[];
  /** Exact counts; takes precedence over the model (and its incidents) where it answers. */
  schedule?: Schedule;
}

/** What one part of an SLI gets in one minute. */
export type PartEvents =
  | { kind: 'ratio'; good: number; bad: number }
  | {
      kind: 'latency';
      /** Observations per histogram interval `(bounds[i-1], bounds[i]]`. */
      intervals: number[];
      /** Sum of the observations' values, in seconds. */
      sumSeconds: number;
    }
  | { kind: 'gauge'; value: number };

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;

/** Computes per-minute events of the SLIs of a plan under a scenario. */
export class TrafficModel {
  readonly #scenario: Scenario;
  readonly #keys = new Map<string, number>();

  constructor(scenario: Scenario) {
    this.#scenario = scenario;
  }

  /** The events of every part of `feed` in epoch minute `minute`. */
  events(feed: SliFeed, minute: number): PartEvents[] {
    const startMinute = Math.floor(this.#scenario.startMs / MINUTE_MS);
    const sli = feed.sli;
    const bounds = feed.series[0]?.boundsSeconds ?? [];
    if (minute < startMinute && sli.kind !== 'threshold') return feed.parts.map(() => none(sli, bounds));
    const scheduled = this.#scenario.schedule?.(sli, minute);
    if (scheduled !== undefined) return scheduledEvents(sli, bounds, feed.parts.length, scheduled);
    return feed.parts.map((_, part) => this.#modelled(feed, bounds, part, minute));
  }

  #profile(sli: Sli): TrafficProfile {
    return { ...DEFAULT_PROFILE, ...this.#scenario.defaults, ...this.#scenario.slis?.[sli.id] };
  }

  #incident(sli: Sli, minute: number): Omit<Incident, 'fromMs' | 'toMs' | 'service' | 'sli'> {
    const atMs = minute * MINUTE_MS;
    const effect: Omit<Incident, 'fromMs' | 'toMs' | 'service' | 'sli'> = {};
    for (const incident of this.#scenario.incidents ?? []) {
      if (atMs < incident.fromMs || atMs >= incident.toMs) continue;
      if (incident.sli !== undefined && incident.sli !== sli.id) continue;
      if (incident.service !== undefined && incident.service !== sli.service) continue;
      if (incident.errorRatio !== undefined) effect.errorRatio = incident.errorRatio;
      if (incident.latencyFactor !== undefined) effect.latencyFactor = incident.latencyFactor;
      if (incident.gaugeValue !== undefined) effect.gaugeValue = incident.gaugeValue;
    }
    return effect;
  }

  #key(sli: Sli, part: number): number {
    const name = `${sli.id}#${part}`;
    let key = this.#keys.get(name);
    if (key === undefined) {
      key = hashString(name, hashString(String(this.#scenario.seed)));
      this.#keys.set(name, key);
    }
    return key;
  }

  #modelled(feed: SliFeed, bounds: number[], part: number, minute: number): PartEvents {
    const sli = feed.sli;
    const profile = this.#profile(sli);
    const incident = this.#incident(sli, minute);
    const key = this.#key(sli, part);
    if (sli.kind === 'threshold') {
      const value =
        incident.gaugeValue ?? profile.gaugeValue ?? healthyGaugeValue(sli, uniform(key, minute, 0));
      return { kind: 'gauge', value };
    }
    // Parts get decreasing shares (3:2:1 for three), as real routes do not share traffic evenly.
    const parts = feed.parts.length;
    const share = (parts - part) / ((parts * (parts + 1)) / 2);
    const dayPhase = (((minute % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES) / DAY_MINUTES;
    const diurnal = 1 + profile.diurnalAmplitudeRatio * Math.sin(2 * Math.PI * (dayPhase - 0.25));
    const noise = 1 + profile.noiseRatio * (2 * uniform(key, minute, 1) - 1);
    const mean = Math.max(0, profile.requestsPerMinute * share * diurnal * noise);
    const requests = roundRandomly(mean, uniform(key, minute, 2));
    if (sli.kind === 'ratio') {
      const errorRatio = Math.min(1, Math.max(0, incident.errorRatio ?? profile.errorRatio));
      const bad = Math.min(requests, roundRandomly(requests * errorRatio, uniform(key, minute, 3)));
      return { kind: 'ratio', good: requests - bad, bad };
    }
    if (sli.kind === 'latency') {
      const median =
        (profile.latencyMedianSeconds ?? sli.satisfiedSeconds / 4) * (incident.latencyFactor ?? 1);
      const sigma = profile.latencySigma > 0 ? profile.latencySigma : 1e-9;
      // Cumulative counts floor(n·F(b) + u) with one u for all bounds are monotone in b and
      // reach n at +Inf, so the buckets are consistent and the expected count is n·F(b).
      const u = uniform(key, minute, 4);
      const intervals: number[] = [];
      let previous = 0;
      for (const bound of bounds) {
        const cumulative = Number.isFinite(bound)
          ? roundRandomly(requests * normalCdf((Math.log(bound) - Math.log(median)) / sigma), u)
          : requests;
        intervals.push(cumulative - previous);
        previous = cumulative;
      }
      return { kind: 'latency', intervals, sumSeconds: sumOf(bounds, intervals) };
    }
    return { kind: 'ratio', good: 0, bad: 0 };
  }
}

function none(sli: Sli, bounds: number[]): PartEvents {
  if (sli.kind === 'latency') return { kind: 'latency', intervals: bounds.map(() => 0), sumSeconds: 0 };
  return { kind: 'ratio', good: 0, bad: 0 };
}

/**
 * A gauge value on the good side of the SLI's bound: the bound itself for `>=` (an `up`
 * gauge is 1), 0 for `<`/`<=` small bounds (a health flag is 0), 30 % of larger bounds
 * (a lag of 9 s against 30 s) with ±20 % noise.
 */
export function healthyGaugeValue(sli: ThresholdSli, u: number): number {
  const { operator, bound } = sli;
  const noisy = (value: number) => Math.round(value * (1 + 0.2 * (2 * u - 1)) * 1000) / 1000;
  switch (operator) {
    case '>=':
      return bound;
    case '>':
      return bound > 0 ? noisy(bound * 2) : bound + 1;
    case '<':
      return bound > 2 ? noisy(bound * 0.3) : bound > 0 ? 0 : bound - 1;
    case '<=':
      return bound > 2 ? noisy(bound * 0.3) : bound >= 0 ? 0 : bound;
  }
}

/** Representative value of each interval for `_sum`: its midpoint, twice the last bound for +Inf. */
function sumOf(bounds: number[], intervals: number[]): number {
  let sum = 0;
  for (let i = 0; i < bounds.length; i++) {
    const count = intervals[i] ?? 0;
    if (count === 0) continue;
    const low = i === 0 ? 0 : bounds[i - 1]!;
    const high = bounds[i]!;
    sum += count * (Number.isFinite(high) ? (low + high) / 2 : low * 2);
  }
  return sum;
}

/** `n` split over `parts` as evenly as integers allow, the remainder to the first parts. */
export function splitEvenly(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  const extra = n - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

function count(value: unknown, what: string, sli: Sli): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `schedule for ${sli.id}: ${what} must be a non-negative integer, got ${String(value)}`,
    );
  }
  return value;
}

function scheduledEvents(
  sli: Sli,
  bounds: number[],
  parts: number,
  scheduled: ScheduledMinute,
): PartEvents[] {
  switch (sli.kind) {
    case 'ratio': {
      if (!('good' in scheduled)) throw new RangeError(`schedule for ${sli.id} must give { good, bad }`);
      const good = splitEvenly(count(scheduled.good, 'good', sli), parts);
      const bad = splitEvenly(count(scheduled.bad, 'bad', sli), parts);
      return good.map((g, i) => ({ kind: 'ratio', good: g, bad: bad[i]! }));
    }
    case 'latency': {
      if (!('satisfied' in scheduled)) {
        throw new RangeError(`schedule for ${sli.id} must give { satisfied, tolerated, slow }`);
      }
      const tolerated = count(scheduled.tolerated ?? 0, 'tolerated', sli);
      if (tolerated > 0 && sli.toleratedSeconds === undefined) {
        throw new RangeError(`schedule for ${sli.id}: tolerated requests need toleratedSeconds on the SLI`);
      }
      // Each class goes to the interval just at or above its threshold: satisfied into
      // (…, satisfiedSeconds], tolerated into (…, toleratedSeconds], slow just above the last threshold.
      const satisfiedAt = bounds.indexOf(sli.satisfiedSeconds);
      const toleratedAt =
        sli.toleratedSeconds === undefined ? satisfiedAt : bounds.indexOf(sli.toleratedSeconds);
      const classes: [number, number[]][] = [
        [satisfiedAt, splitEvenly(count(scheduled.satisfied, 'satisfied', sli), parts)],
        [toleratedAt, splitEvenly(tolerated, parts)],
        [toleratedAt + 1, splitEvenly(count(scheduled.slow, 'slow', sli), parts)],
      ];
      return Array.from({ length: parts }, (_, part) => {
        const intervals = bounds.map(() => 0);
        for (const [index, counts] of classes) intervals[index] = (intervals[index] ?? 0) + counts[part]!;
        return { kind: 'latency', intervals, sumSeconds: sumOf(bounds, intervals) };
      });
    }
    case 'threshold': {
      if (!('value' in scheduled) || typeof scheduled.value !== 'number') {
        throw new RangeError(`schedule for ${sli.id} must give { value }`);
      }
      return Array.from({ length: parts }, () => ({ kind: 'gauge', value: scheduled.value }));
    }
    case 'events':
      return [];
  }
}
