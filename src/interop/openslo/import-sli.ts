/**
 * OpenSLO SLI (inline `indicator` or an SLI object) -> a Sextant SLI plan: ratioMetric
 * good/bad/total, thresholdMetric, and the kinds an earlier export carried in annotations.
 * Metric sources are PromQL when their type (or DataSource's type) is Prometheus-like.
 */

import type { z } from 'zod';
import { type CatalogSchemas, catalogSchemas } from '../../catalog/index.ts';
import type { ImportContext } from './import-context.ts';
import { ANNOTATIONS, SEXTANT_PREFIX, type SliDoc } from './manifest.ts';
import { sextantName } from './names.ts';
import { type Conversion, countSource, type ManifestSource } from './promql.ts';
import { isRecord, View } from './source.ts';

const PROMQL_TYPES = /prom|thanos|mimir|cortex|victoria/i;

/** An SLI of one OpenSLO object, before operators of threshold objectives are known. */
export interface SliPlan {
  name: string;
  common: Pick<SliDoc, 'description' | 'significantLabels' | 'userImpacting' | 'severity' | 'team'>;
  body:
    | { kind: 'ratio'; good?: ManifestSource; bad?: ManifestSource; total: ManifestSource }
    | { kind: 'events' }
    | { kind: 'latency'; doc: z.output<CatalogSchemas['latencySli']> }
    | {
        kind: 'threshold';
        query: string;
        at: View;
        exact?: string;
        aggregation?: 'max' | 'min' | 'avg' | 'last';
      };
}

export function makePlan(ctx: ImportContext, view: View, fallbackName: string): SliPlan | undefined {
  const metadata = view.child('metadata');
  const spec = view.child('spec');
  const annotations = metadata.stringMap('annotations') ?? {};
  const labels = metadata.stringMap('labels');
  if (labels && Object.keys(labels).length > 0) {
    metadata
      .child('labels')
      .note('info', `SLI labels ${Object.keys(labels).join(', ')} have no Sextant counterpart; not imported`);
  }
  const foreign = Object.keys(annotations).filter((k) => !k.startsWith(SEXTANT_PREFIX));
  if (foreign.length > 0) {
    metadata
      .child('annotations')
      .note('info', `SLI annotations ${foreign.join(', ')} have no Sextant counterpart; not imported`);
  }
  const rawName = metadata.string('name');
  const name =
    annotations[ANNOTATIONS.name] ??
    (rawName === undefined ? fallbackName : sextantName(view, rawName, ['metadata', 'name']));
  const description = spec.string('description') ?? metadata.string('displayName');
  const common: SliPlan['common'] = {};
  if (description !== undefined) common.description = description;
  const carried = sliAnnotations(view, annotations);
  Object.assign(common, carried);

  const ratio = spec.child('ratioMetric');
  const threshold = spec.child('thresholdMetric');
  if (ratio.present && threshold.present) {
    threshold.take();
    threshold.note(
      'warning',
      'both ratioMetric and thresholdMetric are given (the spec allows one); ratioMetric is used',
    );
  }
  const exact = exactQueries(view, annotations);
  const kind = annotations[ANNOTATIONS.sliKind];
  if (kind === 'latency') {
    const latency = restoredLatency(view, annotations, name);
    if (latency) {
      ratio.take();
      return { name, common, body: { kind: 'latency', doc: latency } };
    }
  }
  if (kind === 'events') {
    ratio.take();
    return { name, common, body: { kind: 'events' } };
  }
  if (ratio.present) return ratioPlan(ctx, ratio, name, common, exact);
  if (threshold.present) {
    const source = metricSource(ctx, threshold.child('metricSource'));
    if (!source) return undefined;
    if (source.kind === 'other') {
      threshold.note(
        'warning',
        `Sextant cannot query ${source.type}, and a threshold cannot be pushed as events; SLI "${name}" is not imported (query: ${source.query ?? 'none'})`,
      );
      return undefined;
    }
    const body: SliPlan['body'] = { kind: 'threshold', query: source.query, at: source.at };
    if (exact['gauge'] !== undefined) body.exact = exact['gauge'];
    const aggregation = annotations[ANNOTATIONS.aggregation];
    if (aggregation === 'max' || aggregation === 'min' || aggregation === 'avg' || aggregation === 'last') {
      body.aggregation = aggregation;
    }
    return { name, common, body };
  }
  spec.note('warning', `SLI "${name}" has neither ratioMetric nor thresholdMetric; not imported`);
  return undefined;
}

/** significantLabels, userImpacting, severity and team, carried by an earlier export. */
function sliAnnotations(view: View, annotations: Record<string, string>): SliPlan['common'] {
  const out: SliPlan['common'] = {};
  const labels = annotations[ANNOTATIONS.significantLabels];
  if (labels !== undefined) {
    try {
      const parsed: unknown = JSON.parse(labels);
      if (Array.isArray(parsed) && parsed.every((l) => typeof l === 'string')) out.significantLabels = parsed;
      else throw new Error('not a list of strings');
    } catch {
      view
        .child('metadata')
        .child('annotations')
        .child(ANNOTATIONS.significantLabels)
        .note('warning', 'not a JSON list of label names; ignored');
    }
  }
  if (annotations[ANNOTATIONS.userImpacting] === 'false') out.userImpacting = false;
  const severity = annotations[ANNOTATIONS.severity];
  if (severity === 's1' || severity === 's2' || severity === 's3' || severity === 's4')
    out.severity = severity;
  const team = annotations[ANNOTATIONS.team];
  if (team !== undefined) out.team = team;
  return out;
}

function exactQueries(view: View, annotations: Record<string, string>): Record<string, string> {
  const text = annotations[ANNOTATIONS.promql];
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && Object.values(parsed).every((v) => typeof v === 'string'))
      return parsed as Record<string, string>;
  } catch {
    // reported below
  }
  view
    .child('metadata')
    .child('annotations')
    .child(ANNOTATIONS.promql)
    .note('warning', 'not a JSON map of expressions; ignored');
  return {};
}

function restoredLatency(
  view: View,
  annotations: Record<string, string>,
  name: string,
): z.output<CatalogSchemas['latencySli']> | undefined {
  const text = annotations[ANNOTATIONS.latency];
  const at = view.child('metadata').child('annotations').child(ANNOTATIONS.latency);
  try {
    const parsed = catalogSchemas().latencySli.safeParse({
      name,
      kind: 'latency',
      ...JSON.parse(text ?? ''),
    });
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  at.note(
    'warning',
    `annotation ${ANNOTATIONS.latency} is missing or invalid; the SLI is imported as the ratio its queries describe`,
  );
  return undefined;
}

function ratioPlan(
  ctx: ImportContext,
  ratio: View,
  name: string,
  common: SliPlan['common'],
  exact: Record<string, string>,
): SliPlan | undefined {
  const counter = ratio.boolean('counter');
  if (ratio.child('raw').present) {
    ratio.child('raw').take();
    ratio.string('rawType');
    ratio
      .child('raw')
      .note(
        'warning',
        `SLI "${name}" reads a precomputed ratio (raw); Sextant needs good and total counts to compute budgets exactly; not imported`,
      );
    return undefined;
  }
  if (ratio.child('rawType').present) {
    ratio.string('rawType');
    ratio.child('rawType').note('info', 'rawType only applies with raw; ignored');
  }
  const good = ratio.child('good');
  const bad = ratio.child('bad');
  const total = ratio.child('total');
  if (!total.present || (!good.present && !bad.present)) {
    ratio.note('warning', `SLI "${name}": a ratioMetric needs total and one of good or bad; not imported`);
    return undefined;
  }
  if (good.present && bad.present) {
    bad.take();
    bad.note('warning', 'both good and bad are given (the spec allows one); good is used');
  }
  const roles = (good.present ? (['good', 'total'] as const) : (['bad', 'total'] as const)).map((role) => ({
    role,
    view: ratio.child(role),
  }));
  const sources: {
    role: 'good' | 'bad' | 'total';
    source: Exclude<ReturnType<typeof metricSource>, undefined>;
  }[] = [];
  for (const { role, view } of roles) {
    const source = metricSource(ctx, view.child('metricSource'));
    if (!source) return undefined;
    sources.push({ role, source });
  }
  const foreign = sources.find((s) => s.source.kind === 'other');
  if (foreign && foreign.source.kind === 'other') {
    const queries = sources.map((s) => `${s.role}: ${s.source.query ?? 'none'}`).join('; ');
    ratio.note(
      'warning',
      `Sextant cannot query ${foreign.source.type}; SLI "${name}" is imported as an events SLI: push its good and total counts to Sextant's events API (${queries})`,
    );
    return { name, common, body: { kind: 'events' } };
  }
  const body: { kind: 'ratio'; good?: ManifestSource; bad?: ManifestSource; total: ManifestSource } = {
    kind: 'ratio',
    total: { selector: '' },
  };
  for (const { role, source } of sources) {
    if (source.kind !== 'promql') continue;
    const exactQuery = exact[role];
    let converted: ManifestSource;
    if (exactQuery !== undefined) {
      converted = { promql: exactQuery };
    } else {
      const conversion = countSource(source.query, counter);
      conversionNote(ctx, conversion, source.at);
      converted = conversion.source;
    }
    body[role] = converted;
  }
  return { name, common, body };
}

export function conversionNote(_ctx: ImportContext, conversion: Conversion, at: View): void {
  if (!conversion.ok) {
    at.note(
      'warning',
      `${conversion.reason}. The query is imported unchanged and the catalog will reject it until it counts over $window`,
    );
  } else if (conversion.change !== undefined) {
    const result = 'promql' in conversion.source ? conversion.source.promql : conversion.source.selector;
    at.note('info', `query converted for Sextant (${conversion.change}): ${result}`);
  }
}

/**
 * The query of a metricSource and whether Sextant can run it: PromQL when the type (or
 * the referenced DataSource's type) is Prometheus-like, or when no type is given.
 */
function metricSource(
  ctx: ImportContext,
  view: View,
): { kind: 'promql'; query: string; at: View } | { kind: 'other'; type: string; query?: string } | undefined {
  if (!view.present) {
    view.note('warning', 'metricSource is missing; the SLI is not imported');
    return undefined;
  }
  let type = view.string('type');
  const ref = view.string('metricSourceRef');
  if (ref !== undefined) {
    const source = ctx.index.get('DataSource')?.get(ref);
    if (source) {
      ctx.processed.add(source);
      const dataSource = View.of(source, ctx.notes);
      const dataSpec = dataSource.child('spec');
      const sourceType = dataSpec.string('type');
      dataSpec.string('description');
      dataSource.child('metadata').string('displayName');
      const connection = dataSpec.child('connectionDetails');
      if (connection.present) {
        connection.take();
        ctx.once(`data-source:${source.name}`, () =>
          connection.note(
            'info',
            `DataSource "${source.name}"${sourceType ? ` (${sourceType})` : ''}: connection details belong in the unit's metric-source config, not in the catalog; not imported`,
          ),
        );
      }
      type ??= sourceType;
    } else if (type === undefined) {
      view
        .child('metricSourceRef')
        .note('info', `DataSource "${ref}" is not in the input; its type is unknown, PromQL is assumed`);
    }
  }
  const spec = view.child('spec');
  const queryKey = spec.child('query').present
    ? 'query'
    : spec.child('promql').present
      ? 'promql'
      : undefined;
  const query = queryKey === undefined ? undefined : spec.string(queryKey);
  const isPromql = type === undefined ? queryKey !== undefined : PROMQL_TYPES.test(type);
  if (!isPromql || query === undefined) {
    spec.take();
    const out: { kind: 'other'; type: string; query?: string } = {
      kind: 'other',
      type: type ?? 'this source',
    };
    if (query !== undefined) out.query = query;
    else out.query = JSON.stringify(spec.value ?? null);
    return out;
  }
  const extra = isRecord(spec.value) ? Object.keys(spec.value).filter((k) => k !== queryKey) : [];
  if (extra.length > 0) {
    spec.take();
    spec.note(
      'info',
      `metricSource.spec fields ${extra.join(', ')} are connection details for the unit's PromQL source, not catalog data; not imported`,
    );
  }
  if (type === undefined && ref === undefined) {
    ctx.once('untyped-source', () =>
      view.note(
        'info',
        'metricSource has no type; its query is read as PromQL (say type: Prometheus to make it explicit)',
      ),
    );
  }
  return { kind: 'promql', query, at: spec.child(queryKey!) };
}
