/**
 * The PromQL pull source: exact per-minute SLI counts read from Prometheus, Thanos or
 * Mimir through their HTTP API, on a schedule (`startPromqlPull`) or for history
 * (`sextant backfill`, through `PromqlPuller.fill`).
 *
 * ## What is asked
 *
 * - **Selector sources** (counters, histogram buckets, gauges): the raw samples, never an
 *   extrapolation. For a chunk of minutes `[a, b)` one instant query of a matrix selector
 *   at `T = b - 1 ms`, `selector[(b - a)ms]`, returns the samples in `[a - 1 ms, T]`
 *   (Prometheus 2.x: both ends closed; 3.x: `(a - 1 ms, T]`); samples outside `[a, b)`
 *   are dropped here, so both versions give the same. They go through the same
 *   `BatchReducer.series` as remote-write: each counter increment is attributed to the
 *   minute of its later sample, a decrease is a reset, so the counts equal what
 *   remote-write of the same samples gives. A `/api/v1/series` lookup first names the
 *   series: histogram buckets are narrowed to the `le` values the SLI uses, and more
 *   series than `maxSeriesPerQuery` are split into groups by label values.
 * - **PromQL sources with `$window`**: `expr` with `$window = 1m`, evaluated at every
 *   minute end by one `/api/v1/query_range?step=60` per chunk, is the minute's value. These
 *   are Prometheus's numbers (`increase()` extrapolates to the window edges), not exact
 *   counts; they go into the same role sums, so `bad` becomes `good = total - bad` and
 *   satisfied/tolerated/total become apdex exactly as for ingested data.
 * - **Threshold gauges**: raw samples aggregated per minute as the SLI says (max, min,
 *   avg, last), one verdict per minute; a PromQL gauge gives one value per minute.
 *
 * ## Positions, exactly once
 *
 * Per (source, SLI) the unit keeps *lanes*: runs of recorded minutes `[start, end)`. A lane
 * has its own namespace of ingest cursors, and its end is itself an ingest cursor, so a
 * chunk's counts, cursors and the lane's new end commit in one transaction
 * (`UnitState.apply`): after a crash a chunk is either recorded with its position moved or
 * not at all. Only closed minutes (before `now - delay`) are asked for. A gap (downtime, a
 * backfill of older history) is filled by extending the lane that ends where it starts
 * (its cursors hold the last sample before the gap) or by a new lane whose first chunk also
 * reads the last sample before the gap as each counter's baseline. Where a filled gap
 * meets the next lane, both sides count every increment once: the earlier lane up to the
 * boundary, the later one from its own baseline. The lane list is in `unit_kv`; a lane
 * listed but never committed is empty and reused.
 *
 * Errors (unreachable, timeouts, HTTP errors, `status: error`, partial answers with
 * warnings) are returned as data; the position does not move and the next tick retries.
 *
 * ## One source of truth per SLI
 *
 * A PromQL source records every SLI it can feed. Samples remote-write, OTLP or scrape
 * bring for the same SLI would add the same requests a second time (a Prometheus that
 * both remote-writes to the unit and is pulled by it), so `PullOwnership` gives those
 * paths a plan in which the pulled SLIs are owned by the pull: their samples count
 * nothing (outcome `owned_by_promql`) and the unit says so in its log and metrics.
 * Several PromQL sources add up: that is right for servers that scrape different
 * targets, and counts twice for two replicas of one HA pair (docs/unit.md).
 */

import {
  type Catalog,
  formatSelector,
  type LabelMatcher,
  type SeriesSelector,
  type Sli,
} from '../catalog/index.ts';
import {
  compileIngestPlan,
  cursorTimestampMs,
  type IngestPlan,
  type OutcomeCounts,
  parseLe,
  type Role,
  type Route,
  rawSeriesKey,
  type SeriesCursor,
} from '../ingest/index.ts';
import { toError } from '../util/index.ts';
import type { UnitConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { MetricsRegistry } from './metrics.ts';
import { type ApplyResult, LATE_SAMPLE_HORIZON_MINUTES, type UnitState } from './state.ts';

/** One configured PromQL source (`sources.promql[]` in the unit configuration). */
export type PromqlSource = UnitConfig['sources']['promql'][number];

const MINUTE_MS = 60_000;

/**
 * The longest chunk. A chunk is applied with its own end as "now", so its first minute
 * must stay inside the late-sample horizon that `UnitState.apply` enforces.
 */
export const MAX_CHUNK_MINUTES = Math.min(120, LATE_SAMPLE_HORIZON_MINUTES - 10);

/** How far before a new lane its first chunk looks for each counter's baseline sample. */
export const BASELINE_LOOKBACK_MS = 5 * MINUTE_MS;

/** Label carrying a lane's name on the raw series it feeds: its own cursor namespace. */
const LANE_LABEL = '__sextant_lane__';
const POSITION_METRIC = 'sextant:promql:position';
const SYNTHETIC_PREFIX = 'sextant:promql:';

/** The part of `UnitState` the pull uses (the backfill and tests pass a `UnitState`). */
export type PullState = Pick<UnitState, 'apply' | 'cursor' | 'getValue' | 'setValue' | 'reader'>;

/** Why a request or a chunk failed. `limit`: Prometheus refused the query size. */
export type PullErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'http'
  | 'prometheus'
  | 'partial'
  | 'limit'
  | 'invalid'
  | 'store'
  | 'aborted';

/** A failed pull, said plainly; the position did not move. */
export interface PullError {
  kind: PullErrorKind;
  message: string;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: PullError };

const fail = (kind: PullErrorKind, message: string): { ok: false; error: PullError } => ({
  ok: false,
  error: { kind, message },
});

/** Errors that are about the source, not one SLI: the rest of a round is skipped. */
export function isSourceError(error: PullError): boolean {
  return (
    error.kind === 'unreachable' ||
    error.kind === 'timeout' ||
    error.kind === 'http' ||
    error.kind === 'aborted'
  );
}

// ---- the HTTP API ------------------------------------------------------------------------

/** One series of a matrix answer, samples in time order. */
export interface MatrixSeries {
  metric: Record<string, string>;
  samples: { timestampMs: number; value: number }[];
}

/** Prometheus (and Thanos, Mimir) refusing a query for its size. */
const LIMIT_PATTERN =
  /too many samples|max(imum)? number of (samples|series|chunks)|(samples|series|chunks) limit|exceeded the limit/i;

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function parseValue(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function isLabels(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string')
  );
}

/** The Prometheus HTTP API calls the pull makes, with the source's headers and timeout. */
export class PrometheusClient {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(
    source: Pick<PromqlSource, 'url' | 'headers' | 'timeout'>,
    fetchImpl: typeof fetch = globalThis.fetch,
  ) {
    this.#base = source.url.replace(/\/+$/, '');
    this.#headers = source.headers;
    this.#timeoutMs = source.timeout;
    this.#fetch = fetchImpl;
  }

  /** `/api/v1/series`: the label sets matching `match` with samples in `[startMs, endMs]`. */
  async series(
    match: string,
    startMs: number,
    endMs: number,
    signal?: AbortSignal,
  ): Promise<Result<Record<string, string>[]>> {
    const answer = await this.#call(
      '/api/v1/series',
      { 'match[]': match, start: seconds(startMs), end: seconds(endMs) },
      signal,
    );
    if (!answer.ok) return answer;
    if (!Array.isArray(answer.value) || !answer.value.every(isLabels)) {
      return fail('invalid', `${this.#base}/api/v1/series: the answer is not a list of label sets`);
    }
    return { ok: true, value: answer.value };
  }

  /** `/api/v1/query` of a range-vector expression at `atMs`: raw samples per series. */
  async matrixAt(query: string, atMs: number, signal?: AbortSignal): Promise<Result<MatrixSeries[]>> {
    const answer = await this.#call('/api/v1/query', { query, time: seconds(atMs) }, signal);
    return answer.ok ? this.#matrix('/api/v1/query', answer.value) : answer;
  }

  /** `/api/v1/query_range`: `query` evaluated at `startMs`, `startMs + stepMs`, ..., `endMs`. */
  async range(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    signal?: AbortSignal,
  ): Promise<Result<MatrixSeries[]>> {
    const answer = await this.#call(
      '/api/v1/query_range',
      { query, start: seconds(startMs), end: seconds(endMs), step: String(stepMs / 1000) },
      signal,
    );
    return answer.ok ? this.#matrix('/api/v1/query_range', answer.value) : answer;
  }

  #matrix(path: string, data: unknown): Result<MatrixSeries[]> {
    const shape = data as { resultType?: unknown; result?: unknown } | null;
    if (shape?.resultType !== 'matrix' || !Array.isArray(shape.result)) {
      return fail(
        'invalid',
        `${this.#base}${path}: expected a matrix, got ${String(shape?.resultType ?? 'no result')}`,
      );
    }
    const out: MatrixSeries[] = [];
    for (const entry of shape.result as { metric?: unknown; values?: unknown }[]) {
      if (!isLabels(entry.metric)) return fail('invalid', `${this.#base}${path}: a series has no labels`);
      // Native histograms come as `histograms`: not read (classic buckets only).
      const values = Array.isArray(entry.values) ? (entry.values as unknown[]) : [];
      const samples: MatrixSeries['samples'] = [];
      for (const pair of values) {
        if (!Array.isArray(pair) || typeof pair[0] !== 'number') {
          return fail('invalid', `${this.#base}${path}: a sample is not [time, "value"]`);
        }
        samples.push({ timestampMs: Math.round(pair[0] * 1000), value: parseValue(pair[1]) });
      }
      out.push({ metric: entry.metric, samples });
    }
    return { ok: true, value: out };
  }

  async #call(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<Result<unknown>> {
    const url = `${this.#base}${path}`;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    // Thanos answers partial data unless told not to; Prometheus and Mimir ignore this.
    const body = new URLSearchParams({ ...params, partial_response: 'false' });
    let status: number;
    let text: string;
    try {
      // POST: selectors with long regexes do not fit a URL; every Prometheus API takes forms.
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: {
          ...this.#headers,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: body.toString(),
        signal: combined,
      });
      status = response.status;
      text = await response.text();
    } catch (thrown) {
      if (signal?.aborted) return fail('aborted', 'stopped');
      if (timeout.aborted) return fail('timeout', `${url}: no answer within ${this.#timeoutMs} ms`);
      const error = toError(thrown);
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return fail('unreachable', `cannot reach ${url}: ${error.message}${cause}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      const kind = status >= 200 && status < 300 ? 'invalid' : 'http';
      return fail(kind, `${url} answered ${status}: ${text.slice(0, 200).trim() || 'an empty body'}`);
    }
    const answer = parsed as {
      status?: unknown;
      data?: unknown;
      errorType?: unknown;
      error?: unknown;
      warnings?: unknown;
    } | null;
    if (answer?.status === 'error') {
      const message = `${url} answered ${status}: ${String(answer.errorType ?? 'error')}: ${String(answer.error ?? '')}`;
      if (LIMIT_PATTERN.test(String(answer.error ?? ''))) return fail('limit', message);
      return fail(status >= 500 ? 'http' : 'prometheus', message);
    }
    if (status < 200 || status >= 300) return fail('http', `${url} answered ${status}`);
    if (answer?.status !== 'success') return fail('invalid', `${url}: the answer has no "status": "success"`);
    // PromQL's own annotations ("PromQL warning: ...") are about the expression; any other
    // warning means some store did not answer: the data is partial, so retry later.
    const warnings = Array.isArray(answer.warnings) ? answer.warnings.map(String) : [];
    const partial = warnings.filter((warning) => !warning.startsWith('PromQL'));
    if (partial.length > 0) return fail('partial', `${url}: partial answer: ${partial.join('; ')}`);
    return { ok: true, value: answer.data };
  }
}

// ---- what each SLI asks for --------------------------------------------------------------

interface RawQuery {
  selector: SeriesSelector;
  /** Histogram buckets: the `le` bounds the SLI uses. */
  bounds?: number[];
}

interface ExpressionQuery {
  role: Role;
  expression: string;
}

/** The queries that feed one SLI. */
export interface SliQueries {
  raw: RawQuery[];
  expressions: ExpressionQuery[];
  /** Raw series are counters (baselines matter), not gauges. */
  counters: boolean;
}

/** What a PromQL source reads for `sli`; undefined for SLIs it cannot feed (events). */
export function queriesFor(sli: Sli): SliQueries | undefined {
  const raw: RawQuery[] = [];
  const expressions: ExpressionQuery[] = [];
  const seen = new Set<string>();
  const addRaw = (query: RawQuery) => {
    const key = `${formatSelector(query.selector)}|${query.bounds?.join(',') ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    raw.push(query);
  };
  switch (sli.kind) {
    case 'ratio':
      for (const role of ['good', 'bad', 'total'] as const) {
        const source = sli[role];
        if (source?.kind === 'selector') addRaw({ selector: source.selector });
        else if (source?.kind === 'promql') expressions.push({ role, expression: source.expression });
      }
      return { raw, expressions, counters: true };
    case 'latency':
      if (sli.histogram?.selector.metric !== undefined) {
        const base = sli.histogram.selector;
        const bounds = [sli.satisfiedSeconds, Number.POSITIVE_INFINITY];
        if (sli.toleratedSeconds !== undefined) bounds.push(sli.toleratedSeconds);
        addRaw({ selector: { ...base, metric: `${base.metric}_bucket` }, bounds });
      }
      if (sli.promql) {
        expressions.push({ role: 'satisfied', expression: sli.promql.satisfied });
        if (sli.promql.tolerated !== undefined)
          expressions.push({ role: 'tolerated', expression: sli.promql.tolerated });
        expressions.push({ role: 'total', expression: sli.promql.total });
      }
      return { raw, expressions, counters: true };
    case 'threshold':
      if (sli.gauge.kind === 'selector') addRaw({ selector: sli.gauge.selector });
      else expressions.push({ role: 'gauge', expression: sli.gauge.expression });
      return { raw, expressions, counters: false };
    case 'events':
      return undefined;
  }
}

/** Every SLI of the catalog a PromQL source can feed, in a stable order. */
export function pullableSlis(catalog: Catalog): Sli[] {
  const out: Sli[] = [];
  for (const service of catalog.services.values()) {
    for (const sli of service.slis) if (queriesFor(sli) !== undefined) out.push(sli);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const plans = new WeakMap<Catalog, IngestPlan>();
const lanePlans = new WeakMap<IngestPlan, Map<string, IngestPlan>>();

function planOf(catalog: Catalog): IngestPlan {
  let plan = plans.get(catalog);
  if (!plan) {
    plan = compileIngestPlan(catalog);
    plans.set(catalog, plan);
  }
  return plan;
}

/**
 * The ingest plan of one SLI's pull: the catalog's routes of that SLI only (another SLI
 * whose selector matches the same series is fed by its own pull), plus synthetic routes
 * for `$window` values and the lane position. The position is a counter that stays 0, so
 * it moves a cursor (committed with the chunk) and never adds a count.
 */
function lanePlan(plan: IngestPlan, sli: Sli): IngestPlan {
  let bySli = lanePlans.get(plan);
  if (!bySli) {
    bySli = new Map();
    lanePlans.set(plan, bySli);
  }
  const cached = bySli.get(sli.id);
  if (cached) return cached;
  const synthetic = new Map<string, Route[]>();
  const always = () => true;
  for (const role of ['good', 'bad', 'total', 'satisfied', 'tolerated', 'gauge'] as const) {
    const metric = `${SYNTHETIC_PREFIX}${role}`;
    synthetic.set(metric, [{ sli, role, metric, matches: always }]);
  }
  synthetic.set(POSITION_METRIC, [{ sli, role: 'total', metric: POSITION_METRIC, matches: always }]);
  const routesFor = (metric: string) =>
    synthetic.get(metric) ?? plan.routesFor(metric).filter((route) => route.sli.id === sli.id);
  const own: IngestPlan = {
    routesFor,
    candidates: (labels) => routesFor(labels['__name__'] ?? ''),
    wantedMetrics: undefined,
    slis: plan.slis,
  };
  bySli.set(sli.id, own);
  return own;
}

// ---- ownership ---------------------------------------------------------------------------

/** What `PullOwnership` reads of the configuration. */
export type SourcesConfig = Pick<UnitConfig['sources'], 'remoteWrite' | 'otlp' | 'scrape' | 'promql'>;

/**
 * Keeps the push paths (remote-write, OTLP, scrape) off the SLIs a PromQL source records,
 * and says so: at start, in `sextant_unit_promql_owned_slis`, and the first time each
 * path brings samples for a pulled SLI (module comment, "One source of truth per SLI").
 */
export class PullOwnership {
  readonly #pulling: boolean;
  readonly #log: Logger;
  readonly #metrics: MetricsRegistry | undefined;
  readonly #warned = new Set<string>();

  constructor(sources: SourcesConfig, log: Logger, metrics?: MetricsRegistry) {
    this.#pulling = sources.promql.length > 0;
    this.#log = log;
    this.#metrics = metrics;
    if (!this.#pulling) return;
    const promql = sources.promql.map((source) => source.name);
    const push = [
      ...(sources.remoteWrite ? ['remote-write'] : []),
      ...(sources.otlp ? ['OTLP'] : []),
      ...(sources.scrape.length > 0 ? ['scrape'] : []),
    ];
    if (push.length > 0) {
      // Scrape targets are configured on purpose, so they are wasted here; remote-write
      // and OTLP are merely on by default and usually receive nothing for these SLIs.
      log(
        sources.scrape.length > 0 ? 'warn' : 'info',
        'sources.promql records every SLI it can feed; samples that other sources bring for those SLIs are not counted (outcome owned_by_promql), so nothing is counted twice',
        { promql, ignoredFor: push },
      );
    }
    if (promql.length > 1) {
      log('info', 'several PromQL sources record every SLI and their counts add up', {
        promql,
        note: 'right for servers that scrape different targets; two replicas of one HA pair count twice',
      });
    }
  }

  /** The ingest plan of the push paths for `catalog`. */
  pushPlan(catalog: Catalog): IngestPlan {
    if (!this.#pulling) return compileIngestPlan(catalog);
    let owned = 0;
    for (const service of catalog.services.values()) {
      for (const sli of service.slis) if (queriesFor(sli) !== undefined) owned += 1;
    }
    this.#metrics?.set(
      'sextant_unit_promql_owned_slis',
      'SLIs recorded by sources.promql: samples other sources bring for them are not counted.',
      owned,
    );
    return compileIngestPlan(catalog, { pulled: (sli) => queriesFor(sli) !== undefined });
  }

  /** After a push batch: the first time a path brought samples for pulled SLIs, a warning. */
  observe(source: string, outcomes: Pick<OutcomeCounts, 'owned_by_promql'>): void {
    if (outcomes.owned_by_promql === 0 || this.#warned.has(source)) return;
    this.#warned.add(source);
    this.#log(
      'warn',
      'samples for SLIs that sources.promql records arrived from another source and were not counted',
      {
        source,
        samples: outcomes.owned_by_promql,
        metric: `sextant_unit_samples_total{source="${source}",outcome="owned_by_promql"}`,
      },
    );
  }
}

// ---- lanes -------------------------------------------------------------------------------

/** A run of recorded minutes `[startMinute, endMinute)` of one (source, SLI). */
export interface Lane {
  startMinute: number;
  endMinute: number;
}

function lanesKey(source: string, sli: string): string {
  return `promql.lanes/${source}/${sli}`;
}

function laneName(source: string, sli: string, startMinute: number): string {
  return `${source}/${sli}/${startMinute}`;
}

function positionLabels(name: string): Record<string, string> {
  return { __name__: POSITION_METRIC, [LANE_LABEL]: name };
}

function laneStarts(state: Pick<PullState, 'getValue'>, source: string, sli: string): number[] {
  const text = state.getValue(lanesKey(source, sli));
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed)
      ? parsed.filter((value): value is number => Number.isSafeInteger(value))
      : [];
  } catch {
    return [];
  }
}

function readLanes(state: Pick<PullState, 'getValue' | 'cursor'>, source: string, sli: string): Lane[] {
  return laneStarts(state, source, sli)
    .map((startMinute) => {
      const cursor: SeriesCursor | undefined = state.cursor(
        rawSeriesKey(positionLabels(laneName(source, sli, startMinute))),
      );
      return {
        startMinute,
        endMinute: cursor ? Math.round(cursorTimestampMs(cursor) / MINUTE_MS) : startMinute,
      };
    })
    .sort((a, b) => a.startMinute - b.startMinute);
}

/**
 * The minutes of one (source, SLI) already recorded, as sorted disjoint runs.
 * @example pullCoverage(state, 'prom', 'api/availability') // [{ startMinute, endMinute }]
 */
export function pullCoverage(
  state: Pick<PullState, 'getValue' | 'cursor'>,
  source: string,
  sli: string,
): Lane[] {
  return readLanes(state, source, sli).filter((lane) => lane.endMinute > lane.startMinute);
}

/** The parts of `[fromMinute, toMinute)` no lane covers. */
function gapsOf(lanes: readonly Lane[], fromMinute: number, toMinute: number): Lane[] {
  const gaps: Lane[] = [];
  let at = fromMinute;
  for (const lane of lanes) {
    if (at >= toMinute) break;
    if (lane.endMinute <= lane.startMinute || lane.endMinute <= at) continue;
    if (lane.startMinute > at)
      gaps.push({ startMinute: at, endMinute: Math.min(lane.startMinute, toMinute) });
    at = Math.max(at, lane.endMinute);
  }
  if (at < toMinute) gaps.push({ startMinute: at, endMinute: toMinute });
  return gaps;
}

// ---- series groups -----------------------------------------------------------------------

/** RE2 metacharacters escaped, so a label value matches itself only. */
function escapeRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * Extra matchers that split `series` into groups of at most `max` series: by the values of
 * the label with the most distinct values, recursively when one value alone has too many.
 * Groups are disjoint and together match every series (a missing label is the value "").
 */
export function splitSeries(
  series: readonly Record<string, string>[],
  max: number,
  used: ReadonlySet<string> = new Set(),
): LabelMatcher[][] {
  if (series.length <= max) return [[]];
  const names = new Set<string>();
  for (const labels of series) for (const name of Object.keys(labels)) if (!used.has(name)) names.add(name);
  let best: { name: string; byValue: Map<string, Record<string, string>[]> } | undefined;
  for (const name of [...names].sort()) {
    const byValue = new Map<string, Record<string, string>[]>();
    for (const labels of series) {
      const value = labels[name] ?? '';
      const list = byValue.get(value);
      if (list) list.push(labels);
      else byValue.set(value, [labels]);
    }
    if (!best || byValue.size > best.byValue.size) best = { name, byValue };
  }
  if (!best || best.byValue.size <= 1) return [[]];
  const { name, byValue } = best;
  const groups: LabelMatcher[][] = [];
  let bin: string[] = [];
  let binSize = 0;
  const flush = () => {
    if (bin.length > 0) groups.push([{ name, op: '=~', value: bin.map(escapeRegex).join('|') }]);
    bin = [];
    binSize = 0;
  };
  for (const value of [...byValue.keys()].sort()) {
    const members = byValue.get(value)!;
    if (members.length > max) {
      const deeper = splitSeries(members, max, new Set([...used, name]));
      for (const extra of deeper) groups.push([{ name, op: '=', value }, ...extra]);
      continue;
    }
    if (binSize + members.length > max) flush();
    bin.push(value);
    binSize += members.length;
  }
  flush();
  return groups;
}

// ---- the puller --------------------------------------------------------------------------

/** Tuning of the pull; the defaults suit a Prometheus with its default limits. */
export interface PullOptions {
  /** Minutes per chunk (at most `MAX_CHUNK_MINUTES`); halved while Prometheus refuses the size. */
  chunkMinutes?: number;
  /** Series per raw-sample query before splitting by label values. */
  maxSeriesPerQuery?: number;
  /** Where the schedule starts for an SLI with nothing recorded: this many minutes back. */
  startBackMinutes?: number;
  /** Chunks per SLI per round, so a catch-up after downtime is spread over rounds. */
  maxChunksPerTick?: number;
  /** SLIs pulled at once per source. */
  concurrency?: number;
}

/** What the pull reads and writes: the unit's state and catalog, its clock, log and metrics. */
export interface PullDeps {
  state: PullState;
  catalog: () => Catalog;
  /** Epoch ms. */
  now: () => number;
  log: Logger;
  metrics?: MetricsRegistry;
  fetch?: typeof fetch;
}

/** One chunk recorded. */
export interface ChunkReport {
  sli: string;
  source: string;
  fromMinute: number;
  toMinute: number;
  series: number;
  samples: number;
}

/** What a `fill` did. */
export interface FillReport {
  /** Minutes recorded by this call. */
  minutes: number;
  chunks: number;
  outcomes: OutcomeCounts & { too_old: number };
  /** Set when the fill stopped on an error; the position is at the last recorded chunk. */
  error?: PullError;
  /** Work was left for later (`maxChunks` reached). */
  more: boolean;
}

/** What a scheduled round did. */
export interface TickReport {
  minutes: number;
  errors: { sli: string; error: PullError }[];
}

function emptyOutcomes(): OutcomeCounts & { too_old: number } {
  return {
    counted: 0,
    baseline: 0,
    duplicate: 0,
    out_of_order: 0,
    conflict: 0,
    stale: 0,
    not_a_number: 0,
    unmatched: 0,
    owned_by_promql: 0,
    too_old: 0,
  };
}

/** Pulls one source for every SLI; `fill` is the backfill, `tick` the schedule's round. */
export class PromqlPuller {
  readonly source: PromqlSource;
  readonly #deps: PullDeps;
  readonly #client: PrometheusClient;
  readonly #chunkMinutes: number;
  readonly #maxSeries: number;
  readonly #startBack: number;
  readonly #maxChunksPerTick: number;
  readonly #concurrency: number;

  constructor(source: PromqlSource, deps: PullDeps, options: PullOptions = {}) {
    this.source = source;
    this.#deps = deps;
    this.#client = new PrometheusClient(source, deps.fetch);
    this.#chunkMinutes = Math.max(1, Math.min(MAX_CHUNK_MINUTES, Math.floor(options.chunkMinutes ?? 60)));
    this.#maxSeries = Math.max(1, options.maxSeriesPerQuery ?? 1000);
    this.#startBack = Math.max(0, options.startBackMinutes ?? 60);
    this.#maxChunksPerTick = Math.max(1, options.maxChunksPerTick ?? 48);
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /** The first minute that is not closed yet at `nowMs` (closed: ended `delay` ago). */
  closedBefore(nowMs: number): number {
    return Math.floor((nowMs - this.source.delay) / MINUTE_MS);
  }

  /** Minutes of `[fromMinute, toMinute)` not yet recorded for `sli`. */
  pending(sli: string, fromMinute: number, toMinute: number): number {
    return gapsOf(readLanes(this.#deps.state, this.source.name, sli), fromMinute, toMinute).reduce(
      (sum, gap) => sum + gap.endMinute - gap.startMinute,
      0,
    );
  }

  /**
   * Records every minute of `[fromMinute, toMinute)` not yet recorded for `sli`, chunk by
   * chunk, each committed with its position. Callers keep `toMinute` at or before
   * `closedBefore(now)`: a minute is recorded once and never revisited.
   */
  async fill(
    sli: Sli,
    fromMinute: number,
    toMinute: number,
    options: { signal?: AbortSignal; maxChunks?: number; onChunk?: (chunk: ChunkReport) => void } = {},
  ): Promise<FillReport> {
    const report: FillReport = { minutes: 0, chunks: 0, outcomes: emptyOutcomes(), more: false };
    const queries = queriesFor(sli);
    if (!queries) return report;
    const state = this.#deps.state;
    const plan = lanePlan(planOf(this.#deps.catalog()), sli);
    const lanes = readLanes(state, this.source.name, sli.id);
    let chunkMinutes = this.#chunkMinutes;
    let maxSeries = this.#maxSeries;
    for (const gap of gapsOf(lanes, fromMinute, toMinute)) {
      let lane =
        lanes.find((l) => l.endMinute === gap.startMinute && l.endMinute > l.startMinute) ??
        lanes.find((l) => l.startMinute === gap.startMinute);
      if (!lane) {
        // Listed before its first chunk commits: a crash in between leaves an empty lane.
        lane = { startMinute: gap.startMinute, endMinute: gap.startMinute };
        lanes.push(lane);
        const starts = [...laneStarts(state, this.source.name, sli.id), lane.startMinute];
        state.setValue(lanesKey(this.source.name, sli.id), JSON.stringify(starts));
      }
      // A later lane starts where this gap ends: this lane is finished after the gap.
      const closes = lanes.some(
        (l) => l !== lane && l.endMinute > l.startMinute && l.startMinute === gap.endMinute,
      );
      while (lane.endMinute < gap.endMinute) {
        if (options.signal?.aborted) {
          report.error = { kind: 'aborted', message: 'stopped' };
          return report;
        }
        if (options.maxChunks !== undefined && report.chunks >= options.maxChunks) {
          report.more = true;
          return report;
        }
        const from = lane.endMinute;
        const to = Math.min(gap.endMinute, from + chunkMinutes);
        const outcome = await this.#chunk(sli, queries, plan, lane, from, to, {
          closing: closes && to === gap.endMinute,
          maxSeries,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (!outcome.ok) {
          if (outcome.error.kind === 'limit' && (chunkMinutes > 1 || maxSeries > 1)) {
            // Too big for the server: smaller chunks first, then fewer series per query.
            if (chunkMinutes > 1) chunkMinutes = Math.ceil(chunkMinutes / 2);
            else maxSeries = Math.ceil(maxSeries / 2);
            continue;
          }
          report.error = outcome.error;
          return report;
        }
        lane.endMinute = to;
        report.minutes += to - from;
        report.chunks += 1;
        for (const [name, count] of Object.entries(outcome.value.outcomes)) {
          report.outcomes[name as keyof FillReport['outcomes']] += count;
        }
        options.onChunk?.({
          sli: sli.id,
          source: this.source.name,
          fromMinute: from,
          toMinute: to,
          series: outcome.value.series,
          samples: outcome.value.samples,
        });
      }
    }
    return report;
  }

  /**
   * One scheduled round: for every SLI, every closed minute from its first recorded one
   * (or `startBackMinutes` ago) is recorded, at most `maxChunksPerTick` chunks per SLI.
   */
  async tick(signal?: AbortSignal): Promise<TickReport> {
    const nowMs = this.#deps.now();
    const target = this.closedBefore(nowMs);
    const oldest = this.#deps.state.reader().resolution.minuteResolutionFromMinute;
    const slis = pullableSlis(this.#deps.catalog());
    const report: TickReport = { minutes: 0, errors: [] };
    let sourceDown: PullError | undefined;
    let next = 0;
    const worker = async () => {
      while (next < slis.length && !sourceDown && !signal?.aborted) {
        const sli = slis[next++]!;
        const recorded = pullCoverage(this.#deps.state, this.source.name, sli.id);
        const first = recorded[0]?.startMinute ?? target - this.#startBack;
        const filled = await this.fill(sli, Math.max(first, oldest), target, {
          maxChunks: this.#maxChunksPerTick,
          ...(signal ? { signal } : {}),
        });
        report.minutes += filled.minutes;
        this.#record(filled);
        if (filled.error && filled.error.kind !== 'aborted') {
          if (isSourceError(filled.error)) sourceDown ??= filled.error;
          else {
            report.errors.push({ sli: sli.id, error: filled.error });
            this.#deps.log('warn', 'promql pull failed; retrying next round', {
              source: this.source.name,
              sli: sli.id,
              kind: filled.error.kind,
              error: filled.error.message,
            });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, slis.length) }, worker));
    if (sourceDown) {
      report.errors.push({ sli: '*', error: sourceDown });
      this.#deps.log('warn', 'promql source failed; retrying next round', {
        source: this.source.name,
        kind: sourceDown.kind,
        error: sourceDown.message,
      });
    }
    this.#tickMetrics(report, slis, nowMs, signal);
    return report;
  }

  #record(filled: FillReport): void {
    const metrics = this.#deps.metrics;
    if (!metrics) return;
    const labels = { source: this.source.name };
    for (const [outcome, count] of Object.entries(filled.outcomes)) {
      if (count > 0) {
        metrics.inc(
          'sextant_unit_samples_total',
          'Samples by source and outcome (counted, duplicate, out_of_order, ...).',
          { source: 'promql', outcome },
          count,
        );
      }
    }
    if (filled.minutes > 0) {
      metrics.inc(
        'sextant_unit_promql_minutes_total',
        'SLI minutes recorded from PromQL sources.',
        labels,
        filled.minutes,
      );
    }
    if (filled.error && filled.error.kind !== 'aborted') {
      metrics.inc('sextant_unit_promql_errors_total', 'Failed PromQL pulls by kind.', {
        ...labels,
        kind: filled.error.kind,
      });
    }
  }

  #tickMetrics(report: TickReport, slis: readonly Sli[], nowMs: number, signal?: AbortSignal): void {
    const metrics = this.#deps.metrics;
    if (!metrics || signal?.aborted) return;
    const labels = { source: this.source.name };
    metrics.set(
      'sextant_unit_promql_up',
      'Whether the last round of a PromQL source succeeded for every SLI.',
      report.errors.length === 0 ? 1 : 0,
      labels,
    );
    let behind = nowMs;
    for (const sli of slis) {
      const lanes = pullCoverage(this.#deps.state, this.source.name, sli.id);
      const end = lanes.length === 0 ? 0 : Math.max(...lanes.map((lane) => lane.endMinute));
      behind = Math.min(behind, end * MINUTE_MS);
    }
    metrics.set(
      'sextant_unit_promql_lag_seconds',
      'Seconds from the end of the oldest SLI last recorded minute to now (delay included).',
      slis.length === 0 ? 0 : (nowMs - behind) / 1000,
      labels,
    );
  }

  async #chunk(
    sli: Sli,
    queries: SliQueries,
    plan: IngestPlan,
    lane: Lane,
    fromMinute: number,
    toMinute: number,
    context: { closing: boolean; maxSeries: number; signal?: AbortSignal },
  ): Promise<Result<{ series: number; samples: number; outcomes: ApplyResult['outcomes'] }>> {
    const startMs = fromMinute * MINUTE_MS;
    const endMs = toMinute * MINUTE_MS;
    const first = lane.endMinute === lane.startMinute;
    // A new lane's counters need the sample before its first minute as their baseline.
    const fetchFromMs = first && queries.counters ? startMs - BASELINE_LOOKBACK_MS : startMs;
    const raw = new Map<string, MatrixSeries>();
    for (const query of queries.raw) {
      const got = await this.#rawSamples(query, fetchFromMs, endMs, context.maxSeries, context.signal);
      if (!got.ok) return got;
      // Series matched by several selectors of the SLI (good and total) are fed once; the
      // reducer routes them to every role they match.
      for (const series of got.value) {
        const key = rawSeriesKey(series.metric);
        if (!raw.has(key)) raw.set(key, series);
      }
    }
    const points: { role: Role; labels: Record<string, string>; minute: number; value: number }[] = [];
    for (const { role, expression } of queries.expressions) {
      const query = expression.replaceAll('$window', '1m');
      // The value at a minute's end over the last 1m is that minute's.
      const got = await this.#client.range(query, startMs + MINUTE_MS, endMs, MINUTE_MS, context.signal);
      if (!got.ok) return got;
      for (const series of got.value) {
        for (const sample of series.samples) {
          const minute = Math.round(sample.timestampMs / MINUTE_MS) - 1;
          if (minute < fromMinute || minute >= toMinute) continue;
          points.push({ role, labels: series.metric, minute, value: sample.value });
        }
      }
    }
    if (context.signal?.aborted) return fail('aborted', 'stopped');
    const name = laneName(this.source.name, sli.id, lane.startMinute);
    let samples = 0;
    let applied: ApplyResult;
    try {
      // The chunk's end is its "now": its minutes are inside the late-sample horizon.
      applied = this.#deps.state.apply(plan, endMs, (reducer) => {
        const ended: Record<string, string>[] = [];
        for (const series of raw.values()) {
          const labels = { ...series.metric, [LANE_LABEL]: name };
          let baseline: MatrixSeries['samples'][number] | undefined;
          const inRange: MatrixSeries['samples'] = [];
          for (const sample of series.samples) {
            if (sample.timestampMs >= startMs) inRange.push(sample);
            else baseline = sample;
          }
          const fed = first && baseline ? [baseline, ...inRange] : inRange;
          if (fed.length > 0) reducer.series(labels, fed);
          samples += inRange.length;
          ended.push(labels);
        }
        for (const point of points) {
          const labels = { ...point.labels, __name__: `${SYNTHETIC_PREFIX}${point.role}` };
          if (point.role === 'gauge') {
            const tagged = { ...labels, [LANE_LABEL]: name };
            reducer.series(tagged, [{ timestampMs: (point.minute + 1) * MINUTE_MS - 1, value: point.value }]);
            ended.push(tagged);
          } else {
            reducer.delta(labels, point.minute * MINUTE_MS, point.value);
          }
          samples += 1;
        }
        if (context.closing) {
          // The next lane goes on from here with its own cursors: drop this lane's.
          for (const labels of ended) reducer.forget(labels);
        }
        reducer.series(positionLabels(name), [{ timestampMs: endMs, value: 0 }]);
      });
    } catch (thrown) {
      return fail('store', `cannot record ${sli.id} minutes: ${toError(thrown).message}`);
    }
    const outcomes = { ...applied.outcomes };
    // The position sample is bookkeeping, not data.
    outcomes[first ? 'baseline' : 'counted'] -= 1;
    return { ok: true, value: { series: raw.size, samples, outcomes } };
  }

  async #rawSamples(
    query: RawQuery,
    fromMs: number,
    toMs: number,
    maxSeries: number,
    signal?: AbortSignal,
  ): Promise<Result<MatrixSeries[]>> {
    const listed = await this.#client.series(formatSelector(query.selector), fromMs, toMs - 1, signal);
    if (!listed.ok) return listed;
    let series = listed.value;
    const extra: LabelMatcher[] = [];
    const bounds = query.bounds;
    const wanted = (labels: Record<string, string>) =>
      bounds === undefined || bounds.includes(parseLe(labels['le']));
    if (bounds) {
      series = series.filter(wanted);
      const values = [...new Set(series.map((labels) => labels['le'] ?? ''))].sort();
      extra.push({ name: 'le', op: '=~', value: values.map(escapeRegex).join('|') });
    }
    if (series.length === 0) return { ok: true, value: [] };
    const out: MatrixSeries[] = [];
    for (const group of splitSeries(series, maxSeries)) {
      const expression = `${formatSelector(query.selector, [...extra, ...group])}[${toMs - fromMs}ms]`;
      const answer = await this.#client.matrixAt(expression, toMs - 1, signal);
      if (!answer.ok) return answer;
      for (const entry of answer.value) {
        if (!wanted(entry.metric)) continue;
        const samples = entry.samples.filter((s) => s.timestampMs >= fromMs && s.timestampMs < toMs);
        if (samples.length > 0) out.push({ metric: entry.metric, samples });
      }
    }
    return { ok: true, value: out };
  }
}

/**
 * Runs every source on its interval until stopped; the returned function stops the rounds,
 * aborts requests in flight and resolves once no round touches the state any more.
 */
export function startPromqlPull(
  sources: readonly PromqlSource[],
  deps: PullDeps,
  options: PullOptions & { timeScale?: number } = {},
): () => Promise<void> {
  const controller = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  const scale = options.timeScale ?? 1;
  for (const source of sources) {
    const puller = new PromqlPuller(source, deps, options);
    const run = () => {
      if (controller.signal.aborted) return;
      const round = puller.tick(controller.signal).catch((thrown: unknown) => {
        deps.log('error', 'promql pull round failed', {
          source: source.name,
          error: toError(thrown).message,
        });
      });
      running.add(round);
      void round.finally(() => {
        running.delete(round);
        if (controller.signal.aborted) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          run();
        }, source.interval / scale).unref();
        timers.add(timer);
      });
    };
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, 0).unref();
    timers.add(timer);
  }
  return async () => {
    controller.abort();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await Promise.all([...running]);
  };
}
