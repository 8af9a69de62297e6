/**
 * From a catalog to the raw series a simulator must expose so that every selector-based
 * SLI sees good and bad events exactly where its selectors say:
 *
 * - ratio, "shared" layout: one counter per outcome on the same metric — the good series
 *   matches `total` but not `bad` (or matches `good`), the bad series matches `total` and
 *   `bad` (or not `good`);
 * - ratio, "split" layout (e.g. `bad` and `total` on different metrics): a counter of all
 *   requests that matches `total` only, and a counter of the bad (or good) ones that
 *   matches `bad` (or `good`) only;
 * - latency: a cumulative histogram (`_bucket{le}`, `_sum`, `_count`) with the SLI's
 *   thresholds among its bounds;
 * - threshold: a gauge.
 *
 * Each significant label gets up to three values (the SLI's "parts"). Series avoid other
 * SLIs' selectors when they can; when they cannot (a selector that is a superset of
 * another SLI's), the overlap is reported, as are SLIs that cannot be fed at all.
 */

import type { Catalog, SeriesSelector, Sli, Source } from '../catalog/index.ts';
import { compileIngestPlan, type IngestPlan, parseLe, type Role } from '../ingest/index.ts';
import {
  type Condition,
  type LabelProblem,
  type LabelSolution,
  labelCandidates,
  satisfies,
  solveLabels,
} from './labels.ts';

/** Why an SLI is not (or not only) fed by its own series; each code has a one-line meaning. */
export const SIMULATION_ISSUE_CODES = {
  'skipped.promql': 'The SLI reads PromQL sources; only selector sources can be fed with series.',
  'skipped.events': 'Events SLIs are pushed, not scraped; the simulator does not feed them.',
  unsatisfiable: "No label set matches the SLI's selectors as intended (good and bad series).",
  overlap: "Series generated for another SLI also match this SLI's selectors, so it counts them too.",
} as const;

export type SimulationIssueCode = keyof typeof SIMULATION_ISSUE_CODES;

/** One reason an SLI is not fed exactly by its own schedule. */
export interface SimulationIssue {
  code: SimulationIssueCode;
  /** The SLI the issue is about (`service/sli`). */
  sli: string;
  message: string;
}

/** Which events of an SLI part a series follows. */
export type SeriesCounts = 'good' | 'bad' | 'all' | 'value' | 'observations';

/** One series (a histogram counts as one) generated for an SLI. */
export interface SimulatedSeries {
  /** The metric name; for a histogram the base name (samples add `_bucket`, `_sum`, `_count`). */
  metric: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Labels without `__name__` (and without `le`), sorted by name. */
  labels: Record<string, string>;
  /** The SLI it was generated for. */
  sli: string;
  /** Index into the feed's `parts`. */
  part: number;
  /** good/bad/all events for counters, the value for gauges, every observation for histograms. */
  counts: SeriesCounts;
  /** Histogram upper bounds in seconds, ascending, `+Inf` last. */
  boundsSeconds?: number[];
}

/** How one SLI is fed. */
export interface SliFeed {
  sli: Sli;
  layout: 'shared' | 'split' | 'histogram' | 'gauge';
  /** Significant-label values of each part (one SLI series each); `[{}]` without significant labels. */
  parts: Record<string, string>[];
  series: SimulatedSeries[];
}

/** One sample stream as a scraper sees it, and what the ingest plan makes of it. */
export interface RawSeries {
  /** Labels including `__name__` (and `le` for buckets). */
  labels: Record<string, string>;
  source: SimulatedSeries;
  sample: 'value' | 'bucket' | 'sum' | 'count';
  /** For buckets: the index into `source.boundsSeconds`. */
  bucket?: number;
  /** The SLIs and roles the unit's ingest plan routes this series to. */
  routes: { sli: Sli; role: Role; labels: Record<string, string> }[];
}

/** Everything generated from a catalog. */
export interface SeriesPlan {
  feeds: SliFeed[];
  raw: RawSeries[];
  issues: SimulationIssue[];
}

/** Prometheus client default buckets (client_golang `DefBuckets`), in seconds. */
export const DEFAULT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const MAX_VALUES_PER_LABEL = 3;
const MAX_PARTS = 27;

interface RoleSpec {
  metric: string;
  type: SimulatedSeries['type'];
  counts: SeriesCounts;
  problem: LabelProblem;
}

interface Layout {
  layout: SliFeed['layout'];
  roles: RoleSpec[];
}

/** A selector another SLI's ingest route uses, with the series name it is checked under. */
interface ForeignSelector {
  sli: string;
  selector: SeriesSelector;
}

/** Derives the series that feed every selector-based SLI of a catalog. */
export function planSeries(catalog: Catalog): SeriesPlan {
  const slis = [...catalog.services.values()].flatMap((service) => service.slis);
  const foreign = slis.flatMap(selectorsOf);
  const feeds: SliFeed[] = [];
  const issues: SimulationIssue[] = [];
  const taken = new Set<string>();
  for (const sli of slis) {
    const layouts = layoutsFor(sli, foreign);
    if (!Array.isArray(layouts)) {
      issues.push(layouts);
      continue;
    }
    const feed = solveFeed(sli, layouts, taken);
    if (feed === undefined) {
      issues.push({
        code: 'unsatisfiable',
        sli: sli.id,
        message: `no label set matches the selectors of ${sli.id} as a good and a bad series`,
      });
      continue;
    }
    feeds.push(feed);
  }
  const plan = compileIngestPlan(catalog);
  const raw = feeds.flatMap((feed) => feed.series.flatMap((series) => rawSeriesOf(series, plan)));
  issues.push(...overlapIssues(raw));
  return { feeds, raw, issues };
}

function selectorsOf(sli: Sli): ForeignSelector[] {
  const of = (source: Source | undefined) =>
    source?.kind === 'selector' ? [{ sli: sli.id, selector: source.selector }] : [];
  switch (sli.kind) {
    case 'ratio':
      return [...of(sli.good), ...of(sli.bad), ...of(sli.total)];
    case 'latency': {
      const base = sli.histogram?.selector;
      if (base?.metric === undefined) return [];
      return [{ sli: sli.id, selector: { ...base, metric: `${base.metric}_bucket` } }];
    }
    case 'threshold':
      return of(sli.gauge);
    case 'events':
      return [];
  }
}

function avoidFor(sli: Sli, names: string[], foreign: ForeignSelector[]): Condition[] {
  return foreign
    .filter((other) => other.sli !== sli.id)
    .flatMap((other) =>
      names
        .filter((name) => other.selector.metric === undefined || other.selector.metric === name)
        .map((name) => ({ selector: other.selector, name })),
    );
}

/** A metric name for selectors that name none. */
function syntheticMetric(sli: Sli, suffix: string): string {
  return `sextant_simulated_${sli.id.replace(/[^a-zA-Z0-9_]/g, '_')}${suffix}`;
}

function layoutsFor(sli: Sli, foreign: ForeignSelector[]): Layout[] | SimulationIssue {
  const extraLabels = sli.significantLabels;
  const promql = (what: string): SimulationIssue => ({
    code: 'skipped.promql',
    sli: sli.id,
    message: `${sli.id} reads ${what} through PromQL; the simulator only feeds selector sources`,
  });
  switch (sli.kind) {
    case 'events':
      return {
        code: 'skipped.events',
        sli: sli.id,
        message: `${sli.id} is an events SLI: its events are pushed, not scraped`,
      };
    case 'threshold': {
      if (sli.gauge.kind !== 'selector') return promql('its gauge');
      const selector = sli.gauge.selector;
      const metric = selector.metric ?? syntheticMetric(sli, '');
      const problem: LabelProblem = {
        require: [{ selector, name: metric }],
        forbid: [],
        avoid: avoidFor(sli, [metric], foreign),
        extraLabels,
      };
      return [{ layout: 'gauge', roles: [{ metric, type: 'gauge', counts: 'value', problem }] }];
    }
    case 'latency': {
      const base = sli.histogram?.selector;
      if (base === undefined) return promql('its buckets');
      if (base.metric === undefined) {
        return {
          code: 'unsatisfiable',
          sli: sli.id,
          message: `${sli.id} has a histogram selector without a metric name`,
        };
      }
      const names = ['_bucket', '_sum', '_count'].map((suffix) => `${base.metric}${suffix}`);
      const problem: LabelProblem = {
        require: [{ selector: base, name: base.metric }],
        forbid: [],
        avoid: avoidFor(sli, names, foreign),
        extraLabels,
      };
      return [
        {
          layout: 'histogram',
          roles: [{ metric: base.metric, type: 'histogram', counts: 'observations', problem }],
        },
      ];
    }
    case 'ratio': {
      const outcome = sli.good ?? sli.bad;
      if (sli.total.kind !== 'selector' || outcome?.kind !== 'selector') return promql('its counts');
      const total = sli.total.selector;
      const selector = outcome.selector;
      const isGood = sli.good !== undefined;
      const totalMetric = total.metric ?? selector.metric ?? syntheticMetric(sli, '_total');
      const outcomeMetric = selector.metric ?? totalMetric;
      const layouts: Layout[] = [];
      const problem = (
        metric: string,
        require: SeriesSelector[],
        forbid: SeriesSelector[],
      ): LabelProblem => ({
        require: require.map((s) => ({ selector: s, name: metric })),
        forbid: forbid.map((s) => ({ selector: s, name: metric })),
        avoid: avoidFor(sli, [metric], foreign),
        extraLabels,
      });
      const counter = (metric: string, counts: SeriesCounts, p: LabelProblem): RoleSpec => ({
        metric,
        type: 'counter',
        counts,
        problem: p,
      });
      if (totalMetric === outcomeMetric) {
        const m = totalMetric;
        layouts.push({
          layout: 'shared',
          roles: isGood
            ? [
                counter(m, 'good', problem(m, [total, selector], [])),
                counter(m, 'bad', problem(m, [total], [selector])),
              ]
            : [
                counter(m, 'good', problem(m, [total], [selector])),
                counter(m, 'bad', problem(m, [total, selector], [])),
              ],
        });
      }
      layouts.push({
        layout: 'split',
        roles: [
          counter(totalMetric, 'all', problem(totalMetric, [total], [selector])),
          counter(outcomeMetric, isGood ? 'good' : 'bad', problem(outcomeMetric, [selector], [total])),
        ],
      });
      return layouts;
    }
  }
}

function solveFeed(sli: Sli, layouts: Layout[], taken: Set<string>): SliFeed | undefined {
  for (const { layout, roles } of layouts) {
    const solutions: LabelSolution[] = [];
    for (const role of roles) {
      const solution = solveLabels(role.problem);
      if (solution === undefined) break;
      solutions.push(solution);
    }
    if (solutions.length !== roles.length) continue;
    const parts = significantParts(sli, roles, solutions);
    const bounds =
      sli.kind === 'latency' ? histogramBounds(sli.satisfiedSeconds, sli.toleratedSeconds) : undefined;
    const series: SimulatedSeries[] = [];
    parts.forEach((part, index) => {
      roles.forEach((role, r) => {
        let labels = sortedLabels({ ...solutions[r]!.labels, ...part });
        let key = `${role.metric}\u0000${JSON.stringify(labels)}`;
        if (taken.has(key)) {
          // Two SLIs with identical selectors: keep the series distinct (and report the overlap).
          labels = sortedLabels({ ...labels, simulated_for: sli.id });
          key = `${role.metric}\u0000${JSON.stringify(labels)}`;
        }
        taken.add(key);
        const entry: SimulatedSeries = {
          metric: role.metric,
          type: role.type,
          labels,
          sli: sli.id,
          part: index,
          counts: role.counts,
        };
        if (bounds !== undefined) entry.boundsSeconds = bounds;
        series.push(entry);
      });
    });
    return { sli, layout, parts, series };
  }
  return undefined;
}

/** Up to three values per significant label that every role's series accepts, crossed. */
function significantParts(sli: Sli, roles: RoleSpec[], solutions: LabelSolution[]): Record<string, string>[] {
  const fits = (labels: (r: number) => Record<string, string>) =>
    roles.every((role, r) => satisfies(role.problem, sortedLabels(labels(r)), solutions[r]!.avoided));
  const perLabel = sli.significantLabels.map((label) => {
    const candidates = [...new Set(roles.flatMap((role) => labelCandidates(role.problem, label)))];
    const values: string[] = [];
    for (const value of candidates) {
      if (value === '' || values.length >= MAX_VALUES_PER_LABEL) continue;
      if (fits((r) => ({ ...solutions[r]!.labels, [label]: value }))) values.push(value);
    }
    return { label, values: values.length > 0 ? values : [solutions[0]!.labels[label] ?? ''] };
  });
  let parts: Record<string, string>[] = [{}];
  for (const { label, values } of perLabel) {
    parts = parts.flatMap((part) => values.map((value) => ({ ...part, [label]: value })));
  }
  const valid = parts.filter((part) => fits((r) => ({ ...solutions[r]!.labels, ...part })));
  return (valid.length > 0 ? valid : [parts[0]!]).slice(0, MAX_PARTS);
}

/** Label set with names sorted and empty values dropped (an empty label is an absent one). */
function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) if (labels[name] !== '') out[name] = labels[name]!;
  return out;
}

/** The default bucket layout plus the SLI's thresholds, ascending, `+Inf` last. */
export function histogramBounds(satisfiedSeconds: number, toleratedSeconds?: number): number[] {
  const finite = new Set(DEFAULT_BUCKETS_SECONDS);
  finite.add(satisfiedSeconds);
  if (toleratedSeconds !== undefined) finite.add(toleratedSeconds);
  return [...[...finite].sort((a, b) => a - b), Number.POSITIVE_INFINITY];
}

/** An `le` value as Prometheus clients write it: shortest round-trip decimal, `+Inf`. */
export function formatLe(bound: number): string {
  return Number.isFinite(bound) ? String(bound) : '+Inf';
}

function rawSeriesOf(series: SimulatedSeries, plan: IngestPlan): RawSeries[] {
  const make = (name: string, sample: RawSeries['sample'], le?: number, bucket?: number): RawSeries => {
    const labels: Record<string, string> = { __name__: name, ...series.labels };
    if (le !== undefined) labels['le'] = formatLe(le);
    const raw: RawSeries = { labels, source: series, sample, routes: routesOf(plan, labels) };
    if (bucket !== undefined) raw.bucket = bucket;
    return raw;
  };
  if (series.type !== 'histogram') return [make(series.metric, 'value')];
  const bounds = series.boundsSeconds ?? [];
  return [
    ...bounds.map((le, index) => make(`${series.metric}_bucket`, 'bucket', le, index)),
    make(`${series.metric}_sum`, 'sum'),
    make(`${series.metric}_count`, 'count'),
  ];
}

function routesOf(plan: IngestPlan, labels: Record<string, string>): RawSeries['routes'] {
  return plan
    .routesFor(labels['__name__'] ?? '')
    .filter(
      (route) => route.matches(labels) && (route.le === undefined || parseLe(labels['le']) === route.le),
    )
    .map((route) => {
      const significant: Record<string, string> = {};
      for (const name of route.sli.significantLabels) significant[name] = labels[name] ?? '';
      return { sli: route.sli, role: route.role, labels: significant };
    });
}

function overlapIssues(raw: RawSeries[]): SimulationIssue[] {
  const pairs = new Map<string, SimulationIssue>();
  for (const series of raw) {
    for (const route of series.routes) {
      if (route.sli.id === series.source.sli) continue;
      const key = `${route.sli.id}\u0000${series.source.sli}`;
      if (pairs.has(key)) continue;
      pairs.set(key, {
        code: 'overlap',
        sli: route.sli.id,
        message: `${route.sli.id} also counts the series generated for ${series.source.sli} (its selectors include them)`,
      });
    }
  }
  return [...pairs.values()];
}
