/**
 * Per-manifest rules beyond shape (durations, objectives, windows, selectors, budgeting,
 * alert tiers) and the mapping from manifests to the normalized model. Every problem is
 * returned as a located issue; an entity with errors is still built where possible so
 * cross-file checks can run and report everything at once.
 */

import {
  type AlertTier,
  type Budgeting,
  DEFAULT_ALERT_TIERS,
  DEFAULT_MIN_EVENTS,
  isValidTimeZone,
  type MaintenanceWindow,
  parseCron,
  type SloDefinition,
  type SloWindow,
} from '../slo/index.ts';
import { compact } from '../util/index.ts';
import { formatMinutes, parseDurationMinutes } from './duration.ts';
import type { CatalogIssue, IssueCode } from './issues.ts';
import type { LoadedManifest } from './load.ts';
import type {
  Journey,
  LatencySli,
  Link,
  SaturationPoint,
  Service,
  Sli,
  SliSeverity,
  Slo,
  Source,
  Team,
  Tenant,
  Tier,
} from './model.ts';
import type {
  JourneyManifest,
  MetricSource,
  ServiceManifest,
  SliManifest,
  SloManifest,
  TeamManifest,
  TenantManifest,
} from './schema.ts';
import { parseSelector } from './selector.ts';
import { issueAt, type SourceLocator } from './source.ts';
import { didYouMean } from './suggest.ts';

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DEFAULT_SEVERITY: Record<Tier, SliSeverity> = { critical: 's1', high: 's2', medium: 's3', low: 's4' };
const MIN_ROLLING_MINUTES = 60;
const MAX_ROLLING_MINUTES = 400 * 1440;

type Path = (string | number)[];

/** Collects issues for one manifest, located through its source. */
class Reporter {
  readonly issues: CatalogIssue[] = [];
  readonly source: SourceLocator;
  constructor(source: SourceLocator) {
    this.source = source;
  }
  error(code: IssueCode, path: Path, message: string): void {
    this.issues.push(issueAt(this.source, code, path, message));
  }
  warn(code: IssueCode, path: Path, message: string): void {
    this.issues.push(issueAt(this.source, code, path, message, { severity: 'warning' }));
  }
}

/** Builds a normalized entity from a loaded manifest, with every per-manifest issue. */
export function normalizeManifest(
  loaded: LoadedManifest,
):
  | { kind: 'Service'; entity: Service; issues: CatalogIssue[] }
  | { kind: 'Team'; entity: Team; issues: CatalogIssue[] }
  | { kind: 'Journey'; entity: Journey; issues: CatalogIssue[] }
  | { kind: 'Tenant'; entity: Tenant; issues: CatalogIssue[] } {
  const report = new Reporter(loaded.source);
  const { manifest } = loaded;
  switch (manifest.kind) {
    case 'Service':
      return { kind: 'Service', entity: normalizeService(manifest, report), issues: report.issues };
    case 'Team':
      return { kind: 'Team', entity: normalizeTeam(manifest, report), issues: report.issues };
    case 'Journey':
      return { kind: 'Journey', entity: normalizeJourney(manifest, report), issues: report.issues };
    case 'Tenant':
      return { kind: 'Tenant', entity: normalizeTenant(manifest, report), issues: report.issues };
  }
}

function base(manifest: ServiceManifest | TeamManifest | JourneyManifest | TenantManifest, report: Reporter) {
  const { metadata } = manifest;
  checkName(metadata.name, ['metadata', 'name'], report);
  const entity: {
    name: string;
    title: string;
    description?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    links: Link[];
    source: SourceLocator;
  } = {
    name: metadata.name,
    title: metadata.title ?? metadata.name,
    labels: metadata.labels ?? {},
    annotations: metadata.annotations ?? {},
    links: (metadata.links ?? []).map((link) => compact(link)),
    source: report.source,
  };
  if (metadata.description !== undefined) entity.description = metadata.description;
  return entity;
}

function checkName(name: string, path: Path, report: Reporter): void {
  if (!NAME.test(name)) {
    const fixed = name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63);
    report.error(
      'name.invalid',
      path,
      `"${name}" is not a valid name: use 1-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit${fixed && fixed !== name ? ` (for example "${fixed}")` : ''}`,
    );
  }
}

function normalizeService(manifest: ServiceManifest, report: Reporter): Service {
  const { spec } = manifest;
  const name = manifest.metadata.name;
  const slis = spec.slis.map((sli, index) =>
    normalizeSli(sli, name, spec.owner, spec.tier, ['spec', 'slis', index], report),
  );
  checkUnique(
    spec.slis.map((sli) => sli.name),
    ['spec', 'slis'],
    'SLI',
    report,
  );
  checkUnique(
    spec.slos.map((slo) => slo.name),
    ['spec', 'slos'],
    'SLO',
    report,
  );
  checkUnique(
    spec.saturationPoints.map((point) => point.name),
    ['spec', 'saturationPoints'],
    'saturation point',
    report,
  );
  const sliNames = spec.slis.map((sli) => sli.name);
  const sloNames = spec.slos.map((slo) => slo.name);
  const maintenance = spec.maintenance.map((window, index) =>
    normalizeMaintenance(window, sloNames, ['spec', 'maintenance', index], report),
  );
  const slos: Slo[] = spec.slos.map((slo, index) => {
    const path = ['spec', 'slos', index];
    if (!sliNames.includes(slo.sli)) {
      report.error(
        'slo.unknown-sli',
        [...path, 'sli'],
        `SLO "${slo.name}" refers to SLI "${slo.sli}", which service "${name}" does not define (it has ${sliNames.length === 0 ? 'no SLIs' : sliNames.map((n) => `"${n}"`).join(', ')}).${didYouMean(slo.sli, sliNames)}`,
      );
    }
    const applicable = maintenance
      .filter((m) => m.slos === undefined || m.slos.includes(slo.name))
      .map((m) => m.window);
    const sliKind = spec.slis.find((sli) => sli.name === slo.sli)?.kind;
    return normalizeSlo(
      slo,
      { kind: 'service', name },
      spec.tier,
      applicable,
      path,
      report,
      `${name}/${slo.sli}`,
      sliKind === 'threshold' ? 0 : DEFAULT_MIN_EVENTS,
    );
  });
  const service: Service = {
    ...base(manifest, report),
    owner: spec.owner,
    tier: spec.tier,
    lifecycle: spec.lifecycle,
    dependsOn: spec.dependsOn.map((dependency) => {
      if (typeof dependency === 'string') return { service: dependency, kind: 'hard' as const };
      const out: Service['dependsOn'][number] = { service: dependency.service, kind: dependency.kind };
      if (dependency.description !== undefined) out.description = dependency.description;
      return out;
    }),
    instances: compact(spec.instances ?? {}),
    paths: spec.paths,
    slis,
    slos,
    saturationPoints: spec.saturationPoints.map((point, index) =>
      normalizeSaturation(point, ['spec', 'saturationPoints', index], report),
    ),
  };
  return service;
}

function checkUnique(names: string[], path: Path, what: string, report: Reporter): void {
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    const first = seen.get(name);
    if (first !== undefined) {
      report.error(
        'name.duplicate',
        [...path, index, 'name'],
        `${what} "${name}" is defined twice (first as item ${first})`,
      );
    } else {
      seen.set(name, index);
    }
  });
}

function normalizeSource(source: MetricSource, path: Path, report: Reporter): Source {
  if ('selector' in source) {
    const parsed = parseSelector(source.selector);
    if (!parsed.ok) {
      const problem = parsed.issues[0]!;
      report.error(
        'selector.invalid',
        [...path, 'selector'],
        `invalid selector at character ${problem.offset + 1}: ${problem.message}`,
      );
      return { kind: 'selector', text: source.selector, selector: { matchers: [] } };
    }
    return { kind: 'selector', text: source.selector, selector: parsed.value };
  }
  checkPromql(source.promql, [...path, 'promql'], report);
  return { kind: 'promql', expression: source.promql };
}

function checkPromql(expression: string, path: Path, report: Reporter): void {
  if (!expression.includes('$window')) {
    report.error(
      'promql.window-placeholder',
      path,
      'a PromQL source must count events over "$window", which Sextant replaces by 1m for per-minute counts and by each alert window in generated rules, e.g. sum(increase(http_requests_total{job="api"}[$window]))',
    );
  }
}

function normalizeSli(
  sli: SliManifest,
  service: string,
  owner: string,
  tier: Tier,
  path: Path,
  report: Reporter,
): Sli {
  checkName(sli.name, [...path, 'name'], report);
  const significantLabels = sli.significantLabels ?? [];
  significantLabels.forEach((label, index) => {
    if (!LABEL_NAME.test(label)) {
      report.error(
        'schema.format',
        [...path, 'significantLabels', index],
        `"${label}" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)`,
      );
    }
  });
  const common = {
    id: `${service}/${sli.name}`,
    name: sli.name,
    service,
    significantLabels,
    userImpacting: sli.userImpacting ?? true,
    severity: sli.severity ?? DEFAULT_SEVERITY[tier],
    team: sli.team ?? owner,
    ...(sli.description === undefined ? {} : { description: sli.description }),
  };
  switch (sli.kind) {
    case 'ratio': {
      if ((sli.good === undefined) === (sli.bad === undefined)) {
        report.error(
          'sli.invalid',
          path,
          `ratio SLI "${sli.name}" needs exactly one of "good" or "bad" beside "total" (${sli.good === undefined ? 'neither was given' : 'both were given'})`,
        );
      }
      const out: Sli = {
        ...common,
        kind: 'ratio',
        total: normalizeSource(sli.total, [...path, 'total'], report),
      };
      if (sli.good !== undefined) out.good = normalizeSource(sli.good, [...path, 'good'], report);
      if (sli.bad !== undefined) out.bad = normalizeSource(sli.bad, [...path, 'bad'], report);
      return out;
    }
    case 'latency': {
      if ((sli.histogram === undefined) === (sli.promql === undefined)) {
        report.error(
          'sli.invalid',
          path,
          `latency SLI "${sli.name}" needs exactly one of "histogram" (a selector of the histogram) or "promql" (expressions counting requests under each threshold)`,
        );
      }
      if (sli.toleratedSeconds !== undefined && sli.toleratedSeconds <= sli.satisfiedSeconds) {
        report.error(
          'sli.invalid',
          [...path, 'toleratedSeconds'],
          `toleratedSeconds (${sli.toleratedSeconds}) must be greater than satisfiedSeconds (${sli.satisfiedSeconds})`,
        );
      }
      const out: LatencySli = { ...common, kind: 'latency', satisfiedSeconds: sli.satisfiedSeconds };
      if (sli.toleratedSeconds !== undefined) out.toleratedSeconds = sli.toleratedSeconds;
      if (sli.histogram !== undefined) {
        const parsed = parseSelector(sli.histogram);
        const source: Source = parsed.ok
          ? { kind: 'selector', text: sli.histogram, selector: parsed.value }
          : { kind: 'selector', text: sli.histogram, selector: { matchers: [] } };
        if (!parsed.ok) {
          const problem = parsed.issues[0]!;
          report.error(
            'selector.invalid',
            [...path, 'histogram'],
            `invalid selector at character ${problem.offset + 1}: ${problem.message}`,
          );
        }
        if (source.kind === 'selector') {
          const metric = source.selector.metric;
          if (metric?.endsWith('_bucket') || metric?.endsWith('_count')) {
            report.error(
              'sli.invalid',
              [...path, 'histogram'],
              `name the histogram without its suffix: "${metric.replace(/_(bucket|count)$/, '')}" rather than "${metric}"`,
            );
          }
          out.histogram = { text: source.text, selector: source.selector };
        }
      }
      if (sli.promql !== undefined) {
        const promql: NonNullable<LatencySli['promql']> = {
          satisfied: sli.promql.satisfied,
          total: sli.promql.total,
        };
        checkPromql(promql.satisfied, [...path, 'promql', 'satisfied'], report);
        checkPromql(promql.total, [...path, 'promql', 'total'], report);
        if (sli.promql.tolerated !== undefined) {
          promql.tolerated = sli.promql.tolerated;
          checkPromql(promql.tolerated, [...path, 'promql', 'tolerated'], report);
          if (sli.toleratedSeconds === undefined) {
            report.error(
              'sli.invalid',
              [...path, 'promql', 'tolerated'],
              'promql.tolerated needs toleratedSeconds too',
            );
          }
        }
        out.promql = promql;
      }
      return out;
    }
    case 'threshold':
      return {
        ...common,
        kind: 'threshold',
        gauge: normalizeSource(sli.gauge, [...path, 'gauge'], report),
        operator: sli.operator,
        bound: sli.bound,
        // The worst sample of the minute decides: a ceiling is checked against the max.
        aggregation: sli.aggregation ?? (sli.operator === '<' || sli.operator === '<=' ? 'max' : 'min'),
      };
    case 'events':
      return { ...common, kind: 'events' };
  }
}

function minutesOf(text: string, path: Path, report: Reporter): number | undefined {
  const parsed = parseDurationMinutes(text);
  if (parsed.ok) return parsed.value;
  report.error('duration.invalid', path, parsed.issues[0]!.message);
  return undefined;
}

/** True when `zone` is an IANA time zone this runtime knows (the SLO engine's own check). */
export const isTimeZone = isValidTimeZone;

function normalizeWindow(
  window: SloManifest['window'],
  path: Path,
  report: Reporter,
): { window: SloWindow; text: string; periodMinutes: number } {
  const fallback = {
    window: { kind: 'rolling' as const, minutes: 28 * 1440 },
    text: '28d',
    periodMinutes: 28 * 1440,
  };
  if (typeof window === 'string') {
    if (window === 'month' || window === 'quarter') {
      report.error(
        'window.invalid',
        path,
        `a calendar window needs a time zone: write window: {calendar: ${window}, timeZone: UTC} (or your zone, e.g. Europe/Berlin)`,
      );
      return fallback;
    }
    const parsed = parseDurationMinutes(window);
    if (!parsed.ok) {
      report.error(
        'window.invalid',
        path,
        `window "${window}" is neither a rolling duration (7d, 28d, 30d, 4w) nor a calendar period ({calendar: month, timeZone: UTC})`,
      );
      return fallback;
    }
    if (parsed.value < MIN_ROLLING_MINUTES || parsed.value > MAX_ROLLING_MINUTES) {
      report.error('window.invalid', path, `rolling window "${window}" must be between 1h and 400d`);
      return fallback;
    }
    return { window: { kind: 'rolling', minutes: parsed.value }, text: window, periodMinutes: parsed.value };
  }
  if (!isTimeZone(window.timeZone)) {
    report.error(
      'window.time-zone',
      [...path, 'timeZone'],
      `"${window.timeZone}" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`,
    );
  }
  const timeZone = isTimeZone(window.timeZone) ? window.timeZone : 'UTC';
  // Factors use the period's nominal length; the engine uses the true length of the current period.
  const periodMinutes = window.calendar === 'month' ? 30 * 1440 : 91 * 1440;
  return {
    window: { kind: 'calendar', unit: window.calendar, timeZone },
    text: `${window.calendar} (${timeZone})`,
    periodMinutes,
  };
}

function normalizeObjective(
  slo: SloManifest | JourneyManifest['spec']['slos'][number],
  path: Path,
  report: Reporter,
): number {
  const { objectivePercent, objectiveRatio } = slo;
  if (objectivePercent !== undefined && objectiveRatio !== undefined) {
    report.error(
      'objective.both',
      [...path, 'objectiveRatio'],
      'give either objectivePercent or objectiveRatio, not both',
    );
    return objectiveRatio;
  }
  if (objectivePercent === undefined && objectiveRatio === undefined) {
    report.error(
      'objective.missing',
      path,
      `SLO "${slo.name}" has no objective: add objectivePercent: 99.9 (or objectiveRatio: 0.999)`,
    );
    return 0.99;
  }
  if (objectiveRatio !== undefined) {
    const at = [...path, 'objectiveRatio'];
    if (objectiveRatio > 1 && objectiveRatio < 100) {
      report.error(
        'objective.percent-as-ratio',
        at,
        `objectiveRatio ${objectiveRatio} looks like a percent: write objectivePercent: ${objectiveRatio} or objectiveRatio: ${round(objectiveRatio / 100)}`,
      );
      return objectiveRatio / 100;
    }
    if (!(objectiveRatio > 0 && objectiveRatio < 1)) {
      report.error(
        'objective.out-of-range',
        at,
        `objectiveRatio must be strictly between 0 and 1 (a 100 % objective leaves no error budget); got ${objectiveRatio}`,
      );
      return 0.99;
    }
    return objectiveRatio;
  }
  const percent = objectivePercent as number;
  const at = [...path, 'objectivePercent'];
  if (!(percent > 0 && percent < 100)) {
    report.error(
      'objective.out-of-range',
      at,
      `objectivePercent must be strictly between 0 and 100 (a 100 % objective leaves no error budget); got ${percent}`,
    );
    return 0.99;
  }
  if (percent <= 1) {
    report.warn(
      'objective.ratio-as-percent',
      at,
      `objectivePercent ${percent} means ${percent} %; if you meant ${round(percent * 100)} %, write objectivePercent: ${round(percent * 100)} or objectiveRatio: ${percent}`,
    );
  }
  return round(percent / 100);
}

/** Rounds away binary noise (99.9 / 100 = 0.9990000000000001). */
function round(value: number): number {
  return Number(value.toPrecision(12));
}

function normalizeBudgeting(budgeting: SloManifest['budgeting'], path: Path, report: Reporter): Budgeting {
  const spec = typeof budgeting === 'string' ? { method: budgeting } : budgeting;
  switch (spec.method) {
    case 'occurrences':
      return { method: 'occurrences' };
    case 'ratioTimeslices': {
      const slice = 'slice' in spec && spec.slice !== undefined ? spec.slice : '1m';
      return { method: 'ratioTimeslices', sliceMinutes: sliceMinutes(slice, [...path, 'slice'], report) };
    }
    case 'timeslices': {
      if (!('sliceTargetPercent' in spec) && !('sliceTargetRatio' in spec)) {
        report.error(
          'budgeting.invalid',
          path,
          'timeslices needs a slice target: budgeting: {method: timeslices, slice: 1m, sliceTargetPercent: 95}',
        );
        return { method: 'timeslices', sliceMinutes: 1, sliceTargetRatio: 0.95, emptySlice: 'good' };
      }
      const full = spec as {
        slice?: string;
        sliceTargetPercent?: number;
        sliceTargetRatio?: number;
        emptySlice?: 'good' | 'bad';
      };
      let target = 0.95;
      if (full.sliceTargetPercent !== undefined && full.sliceTargetRatio !== undefined) {
        report.error(
          'budgeting.invalid',
          [...path, 'sliceTargetRatio'],
          'give either sliceTargetPercent or sliceTargetRatio, not both',
        );
      } else if (full.sliceTargetRatio !== undefined) {
        target = full.sliceTargetRatio;
        if (!(target > 0 && target <= 1)) {
          report.error(
            target > 1 && target <= 100 ? 'objective.percent-as-ratio' : 'budgeting.invalid',
            [...path, 'sliceTargetRatio'],
            `sliceTargetRatio must be in (0, 1]; got ${target}${target > 1 && target <= 100 ? ` (write sliceTargetPercent: ${target})` : ''}`,
          );
        }
      } else if (full.sliceTargetPercent !== undefined) {
        target = round(full.sliceTargetPercent / 100);
        if (!(full.sliceTargetPercent > 0 && full.sliceTargetPercent <= 100)) {
          report.error(
            'budgeting.invalid',
            [...path, 'sliceTargetPercent'],
            `sliceTargetPercent must be in (0, 100]; got ${full.sliceTargetPercent}`,
          );
        }
      }
      return {
        method: 'timeslices',
        sliceMinutes: sliceMinutes(full.slice ?? '1m', [...path, 'slice'], report),
        sliceTargetRatio: target,
        emptySlice: full.emptySlice ?? 'good',
      };
    }
  }
}

function sliceMinutes(text: string, path: Path, report: Reporter): number {
  const minutes = minutesOf(text, path, report) ?? 1;
  if (1440 % minutes !== 0) {
    report.error(
      'budgeting.invalid',
      path,
      `slice "${text}" must divide a day evenly (1m, 5m, 10m, 15m, 30m, 1h, ...) so slices align with days`,
    );
    return 1;
  }
  return minutes;
}

function normalizeAlerting(
  alerting: SloManifest['alerting'],
  tier: Tier | undefined,
  periodMinutes: number,
  defaultMinEvents: number,
  path: Path,
  report: Reporter,
): SloDefinition['alerting'] {
  const tiers = new Map<string, AlertTier & { enabled: boolean }>();
  for (const defaultTier of DEFAULT_ALERT_TIERS) {
    // A default tier that looks back further than the SLO window has nothing to measure
    // (e.g. ticket-3d on a 1d SLO): it is left out, as docs/manifest.md says.
    if (defaultTier.longMinutes > periodMinutes) continue;
    // Low-tier services do not page: their page tiers become tickets (see TIERS).
    const severity = tier === 'low' ? 'ticket' : defaultTier.severity;
    tiers.set(defaultTier.name, { ...defaultTier, severity, enabled: true });
  }
  for (const [name, override] of Object.entries(alerting?.tiers ?? {})) {
    const at = [...path, 'tiers', name];
    const existing = tiers.get(name);
    if (!existing && (override.longWindow === undefined || override.budgetPercent === undefined)) {
      report.error(
        'alerting.invalid',
        at,
        `tier "${name}" is new (defaults are ${[...tiers.keys()].join(', ')}), so it needs longWindow and budgetPercent.${didYouMean(name, tiers.keys())}`,
      );
      continue;
    }
    const merged: AlertTier & { enabled: boolean } = existing
      ? { ...existing }
      : {
          name,
          severity: 'ticket',
          budgetShare: 0,
          longMinutes: 60,
          shortMinutes: 5,
          forMinutes: 0,
          enabled: true,
        };
    if (override.enabled !== undefined) merged.enabled = override.enabled;
    if (override.severity !== undefined) merged.severity = override.severity;
    if (override.budgetPercent !== undefined) {
      if (!(override.budgetPercent > 0 && override.budgetPercent <= 100)) {
        report.error(
          'alerting.invalid',
          [...at, 'budgetPercent'],
          `budgetPercent must be in (0, 100]; got ${override.budgetPercent}`,
        );
      }
      merged.budgetShare = override.budgetPercent / 100;
    }
    if (override.longWindow !== undefined) {
      merged.longMinutes =
        minutesOf(override.longWindow, [...at, 'longWindow'], report) ?? merged.longMinutes;
      // A new long window without a short one gets the Workbook's L/12.
      if (override.shortWindow === undefined)
        merged.shortMinutes = Math.max(1, Math.round(merged.longMinutes / 12));
    }
    if (override.shortWindow !== undefined) {
      merged.shortMinutes =
        minutesOf(override.shortWindow, [...at, 'shortWindow'], report) ?? merged.shortMinutes;
    }
    if (override.for !== undefined) {
      // `for: 0m` (fire at once) is a valid pending time; every other duration must be positive.
      merged.forMinutes = /^0[wdhm]?$/.test(override.for)
        ? 0
        : (minutesOf(override.for, [...at, 'for'], report) ?? merged.forMinutes);
    }
    if (override.factor !== undefined) {
      if (!(override.factor > 0))
        report.error(
          'alerting.invalid',
          [...at, 'factor'],
          `factor must be positive; got ${override.factor}`,
        );
      merged.factor = override.factor;
    }
    if (merged.shortMinutes >= merged.longMinutes) {
      report.error(
        'alerting.invalid',
        at,
        `tier "${name}": the short window (${formatMinutes(merged.shortMinutes)}) must be shorter than the long window (${formatMinutes(merged.longMinutes)})`,
      );
    }
    if (merged.longMinutes > periodMinutes) {
      report.error(
        'alerting.invalid',
        at,
        `tier "${name}": the long window (${formatMinutes(merged.longMinutes)}) is longer than the SLO window (${formatMinutes(periodMinutes)})`,
      );
    }
    tiers.set(name, merged);
  }
  const wilson = alerting?.wilsonConfidence;
  if (wilson !== undefined && !(wilson > 0 && wilson < 1)) {
    report.error(
      'alerting.invalid',
      [...path, 'wilsonConfidence'],
      `wilsonConfidence must be strictly between 0 and 1 (e.g. 0.95); got ${wilson}`,
    );
  }
  const enabled = alerting?.enabled ?? true;
  const out: SloDefinition['alerting'] = {
    enabled,
    tiers: [...tiers.values()].filter((t) => t.enabled).map(({ enabled: _enabled, ...rest }) => rest),
    minEvents: alerting?.minEvents ?? defaultMinEvents,
    budgetExhausted: alerting?.budgetExhausted ?? true,
    trafficCessation: alerting?.trafficCessation ?? true,
  };
  if (wilson !== undefined && wilson > 0 && wilson < 1) out.wilsonConfidence = wilson;
  return out;
}

function normalizeSlo(
  slo: SloManifest | JourneyManifest['spec']['slos'][number],
  owner: Slo['owner'],
  tier: Tier | undefined,
  maintenance: MaintenanceWindow[],
  path: Path,
  report: Reporter,
  sliId: string | undefined,
  defaultMinEvents = DEFAULT_MIN_EVENTS,
): Slo {
  checkName(slo.name, [...path, 'name'], report);
  const objectiveRatio = normalizeObjective(slo, path, report);
  const window = normalizeWindow(slo.window, [...path, 'window'], report);
  const alerting = normalizeAlerting(
    slo.alerting,
    tier,
    window.periodMinutes,
    defaultMinEvents,
    [...path, 'alerting'],
    report,
  );
  if (!alerting.enabled || alerting.tiers.length === 0) {
    report.warn(
      'slo.no-alerting',
      [...path, 'alerting'],
      `SLO "${slo.name}" will never alert (${alerting.enabled ? 'every tier is disabled' : 'alerting.enabled is false'}); budget burns will go unnoticed`,
    );
  }
  const id = `${owner.name}/${slo.name}`;
  const out: Slo = {
    id,
    name: slo.name,
    owner,
    objectiveRatio,
    windowText: window.text,
    definition: {
      id,
      objectiveRatio,
      window: window.window,
      budgeting: normalizeBudgeting(slo.budgeting, [...path, 'budgeting'], report),
      alerting,
      maintenance,
    },
  };
  if (sliId !== undefined) out.sli = sliId;
  if (slo.description !== undefined) out.description = slo.description;
  return out;
}

function normalizeMaintenance(
  window: ServiceManifest['spec']['maintenance'][number],
  sloNames: string[],
  path: Path,
  report: Reporter,
): { slos?: string[]; window: MaintenanceWindow } {
  (window.slos ?? []).forEach((name, index) => {
    if (!sloNames.includes(name)) {
      report.error(
        'maintenance.invalid',
        [...path, 'slos', index],
        `maintenance "${window.name}" names SLO "${name}", which this service does not define.${didYouMean(name, sloNames)}`,
      );
    }
  });
  const scope = window.slos === undefined ? {} : { slos: window.slos };
  if ('cron' in window) {
    const cron = parseCron(window.cron);
    if (!cron.ok) {
      report.error(
        'maintenance.invalid',
        [...path, 'cron'],
        `cron "${window.cron}": ${cron.issues.map((issue: { message: string }) => issue.message).join('; ')}`,
      );
    }
    if (!isTimeZone(window.timeZone)) {
      report.error(
        'window.time-zone',
        [...path, 'timeZone'],
        `"${window.timeZone}" is not an IANA time zone`,
      );
    }
    const durationMinutes = minutesOf(window.duration, [...path, 'duration'], report) ?? 60;
    return {
      ...scope,
      window: {
        kind: 'recurring',
        cron: window.cron,
        durationMinutes,
        timeZone: isTimeZone(window.timeZone) ? window.timeZone : 'UTC',
      },
    };
  }
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
  for (const [field, text, value] of [
    ['start', window.start, start],
    ['end', window.end, end],
  ] as const) {
    if (!iso.test(text) || Number.isNaN(value)) {
      report.error(
        'maintenance.invalid',
        [...path, field],
        `${field} "${text}" is not an ISO 8601 time with a zone, e.g. 2026-12-01T02:00:00Z`,
      );
    }
  }
  if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
    report.error(
      'maintenance.invalid',
      [...path, 'end'],
      `maintenance "${window.name}" ends (${window.end}) before it starts (${window.start})`,
    );
  }
  return {
    ...scope,
    window: {
      kind: 'once',
      startMinute: Math.floor((Number.isNaN(start) ? 0 : start) / 60_000),
      endMinute: Math.ceil((Number.isNaN(end) ? 0 : end) / 60_000),
    },
  };
}

function normalizeSaturation(
  point: ServiceManifest['spec']['saturationPoints'][number],
  path: Path,
  report: Reporter,
): SaturationPoint {
  checkName(point.name, [...path, 'name'], report);
  for (const field of ['soft', 'hard'] as const) {
    const value = point[field];
    if (!(value > 0 && value <= 1)) {
      report.error(
        'saturation.thresholds',
        [...path, field],
        `${field} is a utilization ratio in (0, 1]; got ${value}${value > 1 && value <= 100 ? ` (did you mean ${round(value / 100)}?)` : ''}`,
      );
    }
  }
  if (point.soft >= point.hard) {
    report.error(
      'saturation.thresholds',
      [...path, 'soft'],
      `soft (${point.soft}) must be below hard (${point.hard})`,
    );
  }
  const history =
    point.forecast?.history === undefined
      ? 28 * 1440
      : minutesOf(point.forecast.history, [...path, 'forecast', 'history'], report);
  const horizon =
    point.forecast?.horizon === undefined
      ? 90 * 1440
      : minutesOf(point.forecast.horizon, [...path, 'forecast', 'horizon'], report);
  const out: SaturationPoint = {
    name: point.name,
    utilization: normalizeSource(point.utilization, [...path, 'utilization'], report),
    softRatio: point.soft,
    hardRatio: point.hard,
    horizontallyScalable: point.horizontallyScalable ?? false,
    forecast: {
      historyMinutes: history ?? 28 * 1440,
      horizonMinutes: horizon ?? 90 * 1440,
      method: point.forecast?.method ?? 'linear',
    },
  };
  if (point.description !== undefined) out.description = point.description;
  return out;
}

function normalizeTeam(manifest: TeamManifest, report: Reporter): Team {
  const { spec } = manifest;
  const team: Team = {
    ...base(manifest, report),
    members: spec.members.map((member) => (typeof member === 'string' ? { name: member } : compact(member))),
  };
  if (spec.parent !== undefined) team.parent = spec.parent;
  if (spec.onCall !== undefined && Object.values(spec.onCall).some((v) => v !== undefined && v !== '')) {
    team.onCall = compact(spec.onCall);
  }
  if (spec.chat !== undefined) team.chat = spec.chat;
  return team;
}

function normalizeJourney(manifest: JourneyManifest, report: Reporter): Journey {
  const { spec } = manifest;
  const name = manifest.metadata.name;
  checkUnique(
    spec.slos.map((slo) => slo.name),
    ['spec', 'slos'],
    'SLO',
    report,
  );
  return {
    ...base(manifest, report),
    owner: spec.owner,
    parts: spec.parts.map((part) => ({ sli: part.sli, weight: part.weight })),
    slos: spec.slos.map((slo, index) =>
      normalizeSlo(slo, { kind: 'journey', name }, undefined, [], ['spec', 'slos', index], report, undefined),
    ),
  };
}

function normalizeTenant(manifest: TenantManifest, report: Reporter): Tenant {
  const { spec } = manifest;
  const tenant: Tenant = {
    ...base(manifest, report),
    environment: spec.environment,
    dedicated: spec.dedicated,
  };
  if (spec.region !== undefined) tenant.region = spec.region;
  if (spec.productLine !== undefined) tenant.productLine = spec.productLine;
  return tenant;
}
