/**
 * The simulator: the catalog's series plus a scenario, advanced minute by minute.
 *
 * How events within a minute are spread: **all events of minute m happen at its first
 * millisecond**, `m·60 000`. The cumulative value of a counter at time t is the sum of the
 * events of every minute from the scenario's start up to and including `floor(t / 60 000)`.
 * So two samples of one series taken in the same minute see no increase, and a sample in
 * minute m after one in an earlier minute sees exactly the events of the minutes in
 * between, m included. A reducer that attributes an increase to the minute of the later
 * sample (Sextant's, see `ingest/reducer.ts`) therefore gets exactly the scheduled counts
 * of every minute after the one holding its first (baseline) sample, whatever the scrape
 * interval (up to 60 s, so that every minute has a sample) and phase.
 */

import type { Catalog, Sli } from '../catalog/index.ts';
import { planSeries, type RawSeries, type SeriesPlan, type SimulatedSeries, type SliFeed } from './series.ts';
import { type PartEvents, type Scenario, TrafficModel } from './traffic.ts';

const MINUTE_MS = 60_000;

/** Cumulative values of every raw series at one instant. */
export interface SimulatorState {
  atMs: number;
  /** Series in `plan.raw` order; `values[i]` belongs to `raw[i]`. */
  raw: readonly RawSeries[];
  values: readonly number[];
}

/** A sample as pushed or remote-written: labels with `__name__`, value, time. */
export interface SimulatedSample {
  labels: Record<string, string>;
  value: number;
  timestampMs: number;
}

/** Exact counts an SLI series should get in one minute, as the unit derives them. */
export interface ExpectedBucket {
  sli: string;
  labels: Record<string, string>;
  minute: number;
  good: number;
  total: number;
}

/** Catalog-driven synthetic traffic. */
export interface Simulator {
  readonly plan: SeriesPlan;
  readonly scenario: Scenario;
  /** Advances the counters to `atMs` (rewinding recomputes from the start) and returns them. */
  simulate(atMs: number): SimulatorState;
  /** What each part of an SLI gets in epoch minute `minute` (see `SliFeed.parts`). */
  eventsAt(sli: string, minute: number): PartEvents[] | undefined;
}

/** Running totals of one simulated series. */
interface Accumulator {
  /** Counter value, or the gauge's current value. */
  value: number;
  /** Histograms: observations per interval so far, and their sum in whole microseconds. */
  intervals: number[];
  sumMicros: number;
}

/**
 * Builds a simulator for a catalog. Selector-based SLIs get series (see `planSeries`);
 * `plan.issues` lists the SLIs it skips or cannot feed exactly.
 * @example
 * const sim = createSimulator(catalog, { seed: 1, startMs: Date.now() });
 * renderMetrics(sim.simulate(Date.now()), 'prometheus');
 */
export function createSimulator(catalog: Catalog, scenario: Scenario): Simulator {
  const plan = planSeries(catalog);
  const model = new TrafficModel(scenario);
  const startMinute = Math.floor(scenario.startMs / MINUTE_MS);
  const feeds = new Map(plan.feeds.map((feed) => [feed.sli.id, feed]));
  const series = plan.feeds.flatMap((feed) => feed.series);
  const accumulators = new Map<SimulatedSeries, Accumulator>();
  let cursorMinute = startMinute - 1;

  const reset = () => {
    for (const entry of series) {
      accumulators.set(entry, {
        value: 0,
        intervals: (entry.boundsSeconds ?? []).map(() => 0),
        sumMicros: 0,
      });
    }
    cursorMinute = startMinute - 1;
  };
  reset();

  const apply = (feed: SliFeed, minute: number) => {
    const events = model.events(feed, minute);
    for (const entry of feed.series) {
      const event = events[entry.part];
      const acc = accumulators.get(entry)!;
      if (event === undefined) continue;
      if (event.kind === 'ratio') {
        acc.value +=
          entry.counts === 'good' ? event.good : entry.counts === 'bad' ? event.bad : event.good + event.bad;
      } else if (event.kind === 'latency') {
        event.intervals.forEach((n, i) => {
          acc.intervals[i] = (acc.intervals[i] ?? 0) + n;
        });
        // Integer microseconds keep the sum free of float drift (`216.1925`, not `216.19250000000002`).
        acc.sumMicros += Math.round(event.sumSeconds * 1e6);
      } else {
        acc.value = event.value;
      }
    }
  };

  const simulate = (atMs: number): SimulatorState => {
    const minute = Math.floor(atMs / MINUTE_MS);
    if (minute < cursorMinute) reset();
    for (let m = cursorMinute + 1; m <= minute; m++) for (const feed of plan.feeds) apply(feed, m);
    if (minute > cursorMinute) cursorMinute = minute;
    // Gauges hold the value of the current minute, also before the start.
    for (const feed of plan.feeds) {
      if (feed.sli.kind !== 'threshold' || minute >= startMinute) continue;
      apply(feed, minute);
    }
    return {
      atMs,
      raw: plan.raw,
      values: plan.raw.map((raw) => rawValue(raw, accumulators.get(raw.source)!)),
    };
  };

  return {
    plan,
    scenario,
    simulate,
    eventsAt(sli, minute) {
      const feed = feeds.get(sli);
      return feed === undefined ? undefined : model.events(feed, minute);
    },
  };
}

function rawValue(raw: RawSeries, acc: Accumulator): number {
  switch (raw.sample) {
    case 'value':
      return acc.value;
    case 'bucket': {
      let cumulative = 0;
      for (let i = 0; i <= (raw.bucket ?? -1); i++) cumulative += acc.intervals[i] ?? 0;
      return cumulative;
    }
    case 'count':
      return acc.intervals.reduce((a, b) => a + b, 0);
    case 'sum':
      return acc.sumMicros / 1e6;
  }
}

/** Every raw series' sample at `atMs` (the simulator advanced to it), for pushing or remote-write. */
export function samplesAt(simulator: Simulator, atMs: number): SimulatedSample[] {
  const state = simulator.simulate(atMs);
  return state.raw.map((raw, i) => ({
    labels: { ...raw.labels },
    value: state.values[i]!,
    timestampMs: atMs,
  }));
}

/** What one raw series gains (counters) or shows (gauges) in a minute, given its part's events. */
function rawIncrement(raw: RawSeries, event: PartEvents): number {
  const counts = raw.source.counts;
  if (event.kind === 'ratio')
    return counts === 'good' ? event.good : counts === 'bad' ? event.bad : event.good + event.bad;
  if (event.kind === 'gauge') return event.value;
  if (raw.sample === 'sum') return Math.round(event.sumSeconds * 1e6) / 1e6;
  const last = raw.sample === 'bucket' ? (raw.bucket ?? -1) : event.intervals.length - 1;
  let total = 0;
  for (let i = 0; i <= last; i++) total += event.intervals[i] ?? 0;
  return total;
}

interface Sums {
  sli: Sli;
  labels: Record<string, string>;
  good: number;
  bad: number;
  total: number;
  satisfied: number;
  tolerated: number;
  gauges: number[];
}

/**
 * The good/total each SLI series should have in `minute`, from the events themselves (not
 * from counter differences), through the same routes the unit's ingest plan uses — so
 * overlaps between SLIs are included. It is what the unit stores for every minute after
 * the one holding its first scrape, provided every minute has at least one scrape.
 * Derivation per SLO-MATH.md "Counts": ratio, apdex, threshold (one good or bad minute).
 */
export function expectedCounts(simulator: Simulator, minute: number): ExpectedBucket[] {
  const events = new Map<string, PartEvents[]>();
  const sums = new Map<string, Sums>();
  for (const raw of simulator.plan.raw) {
    const sliId = raw.source.sli;
    let sliEvents = events.get(sliId);
    if (sliEvents === undefined) {
      sliEvents = simulator.eventsAt(sliId, minute) ?? [];
      events.set(sliId, sliEvents);
    }
    const event = sliEvents[raw.source.part];
    if (event === undefined) continue;
    const increment = rawIncrement(raw, event);
    for (const route of raw.routes) {
      const key = `${route.sli.id}\u0000${JSON.stringify(route.labels)}`;
      let entry = sums.get(key);
      if (entry === undefined) {
        entry = {
          sli: route.sli,
          labels: route.labels,
          good: 0,
          bad: 0,
          total: 0,
          satisfied: 0,
          tolerated: 0,
          gauges: [],
        };
        sums.set(key, entry);
      }
      if (route.role === 'gauge') entry.gauges.push(increment);
      else entry[route.role] += increment;
    }
  }
  const out: ExpectedBucket[] = [];
  for (const entry of sums.values()) {
    const counts = derive(entry);
    if (counts !== undefined) out.push({ sli: entry.sli.id, labels: entry.labels, minute, ...counts });
  }
  return out;
}

function derive(entry: Sums): { good: number; total: number } | undefined {
  const sli = entry.sli;
  switch (sli.kind) {
    case 'ratio':
      return { good: sli.good !== undefined ? entry.good : entry.total - entry.bad, total: entry.total };
    case 'latency': {
      // Apdex: satisfied + (tolerated bucket − satisfied bucket) / 2; the tolerated bucket is cumulative.
      const good =
        sli.toleratedSeconds === undefined
          ? entry.satisfied
          : entry.satisfied + (entry.tolerated - entry.satisfied) / 2;
      return { good, total: entry.total };
    }
    case 'threshold': {
      const values = entry.gauges;
      if (values.length === 0) return undefined;
      const value =
        sli.aggregation === 'max'
          ? Math.max(...values)
          : sli.aggregation === 'min'
            ? Math.min(...values)
            : sli.aggregation === 'avg'
              ? values.reduce((a, b) => a + b, 0) / values.length
              : values[values.length - 1]!;
      const ok =
        sli.operator === '<'
          ? value < sli.bound
          : sli.operator === '<='
            ? value <= sli.bound
            : sli.operator === '>'
              ? value > sli.bound
              : value >= sli.bound;
      return { good: ok ? 1 : 0, total: 1 };
    }
    case 'events':
      return undefined;
  }
}
