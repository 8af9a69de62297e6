/**
 * From the catalog to an ingest plan: which incoming series feed which SLI, in which
 * role. Only SLIs whose sources are selectors can be fed by pushed or scraped samples;
 * PromQL sources are read by the PromQL pull path instead.
 */

import {
  type Catalog,
  compileSelector,
  type LabelMatcher,
  type SeriesSelector,
  type Sli,
} from '../catalog/index.ts';

/**
 * What a matched sample contributes to: `total` and `good`/`bad` event counters,
 * `satisfied`/`tolerated` histogram buckets (apdex), or a `gauge` for threshold SLIs.
 */
export type Role = 'good' | 'bad' | 'total' | 'satisfied' | 'tolerated' | 'gauge';

/** One way a series can feed an SLI. */
export interface Route {
  sli: Sli;
  role: Role;
  /** The metric name the series must have (histogram routes name `_bucket`). */
  metric: string | undefined;
  matches: (labels: Readonly<Record<string, string>>) => boolean;
  /** For histogram roles: the `le` bound the bucket must have (compared as numbers). */
  le?: number;
  /**
   * Set when another path records this SLI (the PromQL pull): the route's samples count
   * nothing and are reported as `owned_by_promql`, so one SLI is never counted twice.
   */
  ownedBy?: 'promql';
}

/** Options of `compileIngestPlan`. */
export interface IngestPlanOptions {
  /** SLIs the PromQL pull records: pushed or scraped samples for them are not counted. */
  pulled?: (sli: Sli) => boolean;
}

/** Routes indexed by metric name, with the set of names worth decoding at all. */
export interface IngestPlan {
  /** Routes for series with this `__name__` (plus those whose selector names no metric). */
  routesFor(metric: string): readonly Route[];
  /**
   * Routes that may match this label set: `routesFor` its `__name__`, narrowed by one
   * equality matcher most of those routes share (`job="..."` in practice), so a metric
   * that 50 services select costs a couple of selector tests, not 100. Every route that
   * could match is in the answer; callers still test each one.
   */
  candidates(labels: Readonly<Record<string, string>>): readonly Route[];
  /**
   * Metric names any route can match, so decoders can skip other series without
   * decoding their labels; `undefined` when a selector has no metric name (then every
   * series must be looked at).
   */
  wantedMetrics: ReadonlySet<string> | undefined;
  /** Every SLI of the catalog, by id (selector sources, events, and PromQL pulls). */
  slis: ReadonlyMap<string, Sli>;
}

/** Builds the ingest plan of a catalog. */
export function compileIngestPlan(catalog: Catalog, options: IngestPlanOptions = {}): IngestPlan {
  const byMetric = new Map<string, Route[]>();
  const anyMetric: Route[] = [];
  const slis = new Map<string, Sli>();
  /** Each route's equality matchers (label name to value), for the candidate index. */
  const equalities = new Map<Route, Map<string, string>>();
  const add = (route: Route, matchers: readonly LabelMatcher[]) => {
    equalities.set(route, new Map(matchers.filter((m) => m.op === '=').map((m) => [m.name, m.value])));
    if (route.metric === undefined) anyMetric.push(route);
    else byMetric.set(route.metric, [...(byMetric.get(route.metric) ?? []), route]);
  };
  const selectorRoute = (
    sli: Sli,
    role: Role,
    selector: SeriesSelector,
    extra: LabelMatcher[] = [],
    le?: number,
  ) => {
    const matchers = [...selector.matchers, ...extra];
    const route: Route = {
      sli,
      role,
      metric: selector.metric,
      matches: compileSelector({ ...selector, matchers }),
    };
    if (le !== undefined) route.le = le;
    if (options.pulled?.(sli) === true) route.ownedBy = 'promql';
    add(route, matchers);
  };
  for (const service of catalog.services.values()) {
    for (const sli of service.slis) {
      // Every SLI can be fed (events SLIs through the events API), so every SLI is known.
      slis.set(sli.id, sli);
      switch (sli.kind) {
        case 'ratio':
          for (const role of ['good', 'bad', 'total'] as const) {
            const source = sli[role];
            if (source?.kind === 'selector') selectorRoute(sli, role, source.selector);
          }
          break;
        case 'latency': {
          if (!sli.histogram) break;
          const base = sli.histogram.selector;
          const bucket: SeriesSelector = { ...base, metric: `${base.metric ?? ''}_bucket` };
          if (base.metric === undefined) break; // validated: a histogram names its metric
          selectorRoute(sli, 'satisfied', bucket, [], sli.satisfiedSeconds);
          if (sli.toleratedSeconds !== undefined)
            selectorRoute(sli, 'tolerated', bucket, [], sli.toleratedSeconds);
          selectorRoute(sli, 'total', bucket, [], Number.POSITIVE_INFINITY);
          break;
        }
        case 'threshold':
          if (sli.gauge.kind === 'selector') selectorRoute(sli, 'gauge', sli.gauge.selector);
          break;
        case 'events':
          break;
      }
    }
  }
  const empty: Route[] = [];
  const merged = new Map<string, Route[]>();
  const indexes = new Map<string, CandidateIndex>();
  for (const [metric, routes] of byMetric) {
    const all = [...routes, ...anyMetric];
    merged.set(metric, all);
    indexes.set(metric, candidateIndex(all, equalities));
  }
  const anyIndex = candidateIndex(anyMetric, equalities);
  const routesFor = (metric: string) => merged.get(metric) ?? (anyMetric.length > 0 ? anyMetric : empty);
  return {
    routesFor,
    candidates: (labels) => {
      const index = indexes.get(labels['__name__'] ?? '') ?? anyIndex;
      if (index.label === undefined) return index.rest;
      return index.byValue.get(labels[index.label] ?? '') ?? index.rest;
    },
    wantedMetrics: anyMetric.length > 0 ? undefined : new Set(byMetric.keys()),
    slis,
  };
}

/**
 * Routes of one metric keyed by the value of one label that most of them test for
 * equality: `byValue` holds, per value, the routes requiring it plus `rest` (the routes
 * that do not test that label for equality, so may match any value).
 */
interface CandidateIndex {
  label: string | undefined;
  byValue: Map<string, readonly Route[]>;
  rest: readonly Route[];
}

function candidateIndex(
  routes: readonly Route[],
  equalities: Map<Route, Map<string, string>>,
): CandidateIndex {
  const counts = new Map<string, number>();
  for (const route of routes) {
    for (const name of equalities.get(route)?.keys() ?? []) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  let label: string | undefined;
  let best = 1; // indexing pays only when at least two routes share the label
  for (const [name, count] of counts) {
    if (name !== '__name__' && count > best) [label, best] = [name, count];
  }
  if (label === undefined) return { label, byValue: new Map(), rest: routes };
  const rest = routes.filter((route) => !equalities.get(route)?.has(label));
  const byValue = new Map<string, readonly Route[]>();
  for (const route of routes) {
    const value = equalities.get(route)?.get(label);
    if (value === undefined || byValue.has(value)) continue;
    // In `routes` order, as `routesFor` gives them.
    byValue.set(
      value,
      routes.filter((candidate) => (equalities.get(candidate)?.get(label) ?? value) === value),
    );
  }
  return { label, byValue, rest };
}

/**
 * Parses a Prometheus `le` label value: `1`, `1.0`, `1e0` are the same bound; `+Inf`
 * is infinity. NaN for anything else.
 */
export function parseLe(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  if (value === '+Inf' || value === 'Inf' || value === '+inf' || value === 'inf')
    return Number.POSITIVE_INFINITY;
  const trimmed = value.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}
