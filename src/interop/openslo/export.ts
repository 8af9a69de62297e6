/**
 * Sextant catalog -> OpenSLO v1. Each service becomes one file: a Service, one SLI per
 * SLI (referred to by `indicatorRef`), one SLO per SLO with inline AlertPolicies, one
 * per burn-rate tier. What OpenSLO cannot say travels in `sextant.dev/...` annotations
 * so that importing the result restores the catalog; the rest is reported in notes.
 */

import { stringify } from 'yaml';
import type {
  Catalog,
  Journey,
  LatencySli,
  MaintenanceWindow,
  SaturationPoint,
  Service,
  Sli,
  Slo,
  SourceLocator,
  Team,
  Tier,
} from '../../catalog/index.ts';
import { formatMinutes } from '../../catalog/index.ts';
import { type AlertTier, alertFactor } from '../../slo/index.ts';
import { minutesToShorthand } from './duration.ts';
import {
  ANNOTATIONS,
  alertSettings,
  derivedShortMinutes,
  isDefaultSettings,
  round,
  type ServiceDoc,
  sloDoc,
  type TeamDoc,
} from './manifest.ts';
import { type ExportNote, type InteropFile, sortNotes } from './notes.ts';
import { countSource, exportQuery, gaugeSource, manifestSource } from './promql.ts';
import { OPENSLO_API_VERSION } from './source.ts';

type OpenSlo = Record<string, unknown>;

const DEFAULT_SEVERITY: Record<Tier, string> = { critical: 's1', high: 's2', medium: 's3', low: 's4' };
const OPERATORS = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' } as const;
const BUDGETING = {
  occurrences: 'Occurrences',
  timeslices: 'Timeslices',
  ratioTimeslices: 'RatioTimeslices',
} as const;
/** Start of the calendar in exported calendar windows: midnight on the first day of a quarter. */
const CALENDAR_START = '2020-01-01 00:00:00';

/**
 * Converts a catalog to OpenSLO v1 files (`services/<name>.yaml`, `journeys/<name>.yaml`).
 * @example exportOpenSlo(buildCatalog(files).catalog).files[0]?.path // 'services/api.yaml'
 */
export function exportOpenSlo(catalog: Catalog): { files: InteropFile[]; notes: ExportNote[] } {
  const notes: ExportNote[] = [];
  const files: InteropFile[] = [];
  let targetless = false;
  for (const service of sorted(catalog.services)) {
    const targets = notificationTargets(service);
    if (targets.length === 0 && service.slos.some((slo) => slo.definition.alerting.tiers.length > 0))
      targetless = true;
    const docs: OpenSlo[] = [serviceObject(service, catalog, notes)];
    service.slis.forEach((sli, index) => {
      docs.push(sliObject(service, sli, index, notes));
    });
    for (const slo of service.slos) docs.push(sloObject(service, slo, targets, notes));
    files.push({ path: `services/${service.name}.yaml`, text: yamlFile(docs) });
  }
  for (const journey of sorted(catalog.journeys)) {
    files.push({
      path: `journeys/${journey.name}.yaml`,
      text: yamlFile([journeyObject(journey, catalog, notes)]),
    });
  }
  if (targetless) {
    notes.push({
      severity: 'info',
      path: [],
      message:
        'alert policies list no notificationTargets: Sextant notifiers are configured per unit; fill them in for the OpenSLO tool that will alert',
    });
  }
  const owners = new Set<string>();
  for (const entity of [...catalog.services.values(), ...catalog.journeys.values()]) {
    for (const team of ownerTeams(entity.owner, catalog)) owners.add(team.metadata.name);
  }
  for (const team of sorted(catalog.teams)) {
    if (!owners.has(team.name)) {
      notes.push(
        noteFor(
          team.source,
          ['metadata', 'name'],
          'info',
          `team "${team.name}" owns nothing, and OpenSLO has no teams; not exported`,
        ),
      );
    }
  }
  for (const tenant of sorted(catalog.tenants)) {
    notes.push(
      noteFor(
        tenant.source,
        ['metadata', 'name'],
        'info',
        `tenant "${tenant.name}": OpenSLO has no tenants; not exported`,
      ),
    );
  }
  return { files, notes: sortNotes(notes) };
}

function serviceObject(service: Service, catalog: Catalog, notes: ExportNote[]): OpenSlo {
  const annotations: Record<string, string> = { ...service.annotations };
  const labels = openSloLabels(service.labels, service.owner, annotations);
  if (labels['serviceTier'] === undefined) labels['serviceTier'] = service.tier;
  if (JSON.stringify(labels) !== JSON.stringify(service.labels))
    annotations[ANNOTATIONS.labels] = JSON.stringify(service.labels);
  annotations[ANNOTATIONS.owner] = service.owner;
  annotations[ANNOTATIONS.tier] = service.tier;
  if (service.lifecycle !== 'production') annotations[ANNOTATIONS.lifecycle] = service.lifecycle;
  if (service.dependsOn.length > 0) {
    annotations[ANNOTATIONS.dependsOn] = JSON.stringify(
      service.dependsOn.map((d) => (d.kind === 'hard' && d.description === undefined ? d.service : d)),
    );
  }
  if (Object.keys(service.instances).length > 0)
    annotations[ANNOTATIONS.instances] = JSON.stringify(service.instances);
  if (service.paths.length > 0) annotations[ANNOTATIONS.paths] = JSON.stringify(service.paths);
  if (service.links.length > 0) annotations[ANNOTATIONS.links] = JSON.stringify(service.links);
  if (service.saturationPoints.length > 0) {
    annotations[ANNOTATIONS.saturationPoints] = JSON.stringify(service.saturationPoints.map(saturationDoc));
    notes.push(
      noteFor(
        service.source,
        ['spec', 'saturationPoints'],
        'info',
        `service "${service.name}": saturation points have no OpenSLO form; carried in annotation ${ANNOTATIONS.saturationPoints}`,
      ),
    );
  }
  const maintenance = maintenanceDocs(service);
  if (maintenance.length > 0) {
    annotations[ANNOTATIONS.maintenance] = JSON.stringify(maintenance);
    notes.push(
      noteFor(
        service.source,
        ['spec', 'maintenance'],
        'info',
        `service "${service.name}": maintenance windows have no OpenSLO form (OpenSLO tools will count those minutes); carried in annotation ${ANNOTATIONS.maintenance}`,
      ),
    );
  }
  const teams = ownerTeams(service.owner, catalog);
  if (teams.length > 0) annotations[ANNOTATIONS.ownerTeam] = JSON.stringify(teams);
  return {
    apiVersion: OPENSLO_API_VERSION,
    kind: 'Service',
    metadata: metadata(service.name, service.title, labels, annotations),
    spec: service.description === undefined ? {} : { description: service.description },
  };
}

/** Sextant labels plus `team` (the label OpenSLO's README shows for ownership). */
function openSloLabels(
  labels: Record<string, string>,
  owner: string,
  annotations: Record<string, string>,
): Record<string, string> {
  const out = { ...labels };
  if (out['team'] === undefined) out['team'] = owner;
  if (out['team'] !== owner) annotations[ANNOTATIONS.owner] = owner;
  return out;
}

function sliObject(service: Service, sli: Sli, index: number, notes: ExportNote[]): OpenSlo {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.name]: sli.name,
    [ANNOTATIONS.service]: service.name,
  };
  if (sli.significantLabels.length > 0) {
    annotations[ANNOTATIONS.significantLabels] = JSON.stringify(sli.significantLabels);
    notes.push(
      noteFor(
        service.source,
        ['spec', 'slis', index, 'significantLabels'],
        'info',
        `SLI "${sli.id}": significantLabels have no OpenSLO form; carried in annotation ${ANNOTATIONS.significantLabels}`,
      ),
    );
  }
  if (!sli.userImpacting) annotations[ANNOTATIONS.userImpacting] = 'false';
  if (sli.severity !== DEFAULT_SEVERITY[service.tier]) annotations[ANNOTATIONS.severity] = sli.severity;
  if (sli.team !== service.owner) annotations[ANNOTATIONS.team] = sli.team;
  const spec: OpenSlo = {};
  if (sli.description !== undefined) spec['description'] = sli.description;
  const exact: Record<string, string> = {};
  switch (sli.kind) {
    case 'ratio': {
      const ratio: OpenSlo = { counter: true };
      for (const role of ['good', 'bad', 'total'] as const) {
        const source = sli[role];
        if (source === undefined) continue;
        const query = exportQuery(source);
        if (
          !sameSource(countSource(query, true).source, manifestSource(source)) &&
          source.kind === 'promql'
        ) {
          exact[role] = source.expression;
        }
        ratio[role] = prometheus(query);
      }
      spec['ratioMetric'] = ratio;
      break;
    }
    case 'latency': {
      annotations[ANNOTATIONS.sliKind] = 'latency';
      annotations[ANNOTATIONS.latency] = JSON.stringify(latencyDoc(sli));
      const queries = latencyQueries(sli);
      spec['ratioMetric'] = {
        counter: true,
        good: prometheus(queries.good),
        total: prometheus(queries.total),
      };
      if (sli.toleratedSeconds !== undefined) {
        notes.push(
          noteFor(
            service.source,
            ['spec', 'slis', index, 'toleratedSeconds'],
            'warning',
            `SLI "${sli.id}": OpenSLO cannot count tolerated requests as half good (apdex); the exported ratio counts only requests within ${sli.satisfiedSeconds}s as good, and annotation ${ANNOTATIONS.latency} keeps the rest`,
          ),
        );
      }
      break;
    }
    case 'threshold': {
      const query = exportQuery(sli.gauge);
      if (
        !sameSource(gaugeSource(query, sli.operator).source, manifestSource(sli.gauge)) &&
        sli.gauge.kind === 'promql'
      ) {
        exact['gauge'] = sli.gauge.expression;
      }
      const defaultAggregation = sli.operator === '<' || sli.operator === '<=' ? 'max' : 'min';
      if (sli.aggregation !== defaultAggregation) annotations[ANNOTATIONS.aggregation] = sli.aggregation;
      annotations[ANNOTATIONS.threshold] = JSON.stringify({ operator: sli.operator, bound: sli.bound });
      spec['thresholdMetric'] = prometheus(query);
      break;
    }
    case 'events': {
      annotations[ANNOTATIONS.sliKind] = 'events';
      const pushed = (count: 'good' | 'total') => ({
        metricSource: { type: 'Sextant', spec: { events: sli.id, count } },
      });
      spec['ratioMetric'] = { counter: true, good: pushed('good'), total: pushed('total') };
      notes.push(
        noteFor(
          service.source,
          ['spec', 'slis', index],
          'info',
          `SLI "${sli.id}" counts events pushed to Sextant; other OpenSLO tools cannot read that source (type: Sextant)`,
        ),
      );
      break;
    }
  }
  if (Object.keys(exact).length > 0) annotations[ANNOTATIONS.promql] = JSON.stringify(exact);
  return {
    apiVersion: OPENSLO_API_VERSION,
    kind: 'SLI',
    metadata: { name: qualified(service.name, sli.name, service.slis), annotations },
    spec,
  };
}

/**
 * OpenSLO names are global, Sextant SLI and SLO names are per service: qualify them with
 * the service (`api-availability`) unless they already are and nothing else would clash.
 */
function qualified(service: string, name: string, siblings: readonly { name: string }[]): string {
  const prefix = `${service}-`;
  const bare = name.slice(prefix.length);
  return name.startsWith(prefix) && !siblings.some((s) => s.name === bare) ? name : `${prefix}${name}`;
}

function prometheus(query: string): OpenSlo {
  return { metricSource: { type: 'Prometheus', spec: { query } } };
}

function sameSource(
  a: { selector: string } | { promql: string },
  b: { selector: string } | { promql: string },
): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function latencyDoc(sli: LatencySli): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (sli.histogram) doc['histogram'] = sli.histogram.text;
  if (sli.promql) doc['promql'] = sli.promql;
  doc['satisfiedSeconds'] = sli.satisfiedSeconds;
  if (sli.toleratedSeconds !== undefined) doc['toleratedSeconds'] = sli.toleratedSeconds;
  return doc;
}

/**
 * Good and total of a latency SLI as counts: requests in the `le` bucket of the satisfied
 * threshold over all requests (the Prometheus histogram convention).
 */
function latencyQueries(sli: LatencySli): { good: string; total: string } {
  if (sli.promql)
    return {
      good: exportQuery({ kind: 'promql', expression: sli.promql.satisfied }),
      total: exportQuery({ kind: 'promql', expression: sli.promql.total }),
    };
  const text = sli.histogram?.text ?? '';
  const brace = text.indexOf('{');
  const metric = (brace < 0 ? text : text.slice(0, brace)).trim() || (sli.histogram?.selector.metric ?? '');
  const matchers = brace < 0 ? '' : text.slice(brace + 1, text.lastIndexOf('}')).trim();
  const withLe = [matchers, `le="${sli.satisfiedSeconds}"`].filter((m) => m !== '').join(',');
  return {
    good: `sum(increase(${metric}_bucket{${withLe}}[5m]))`,
    total: `sum(increase(${metric}_count${matchers === '' ? '' : `{${matchers}}`}[5m]))`,
  };
}

function sloObject(service: Service, slo: Slo, targets: OpenSlo[], notes: ExportNote[]): OpenSlo {
  const annotations: Record<string, string> = { [ANNOTATIONS.name]: slo.name };
  const { definition } = slo;
  const sliName = slo.sli?.slice(slo.sli.indexOf('/') + 1) ?? '';
  const sli = service.slis.find((s) => s.id === slo.sli);
  const objective: OpenSlo = { target: slo.objectiveRatio };
  if (sli?.kind === 'threshold') {
    objective['op'] = OPERATORS[sli.operator];
    objective['value'] = sli.bound;
  }
  const budgeting = definition.budgeting;
  if (budgeting.method === 'timeslices') {
    objective['timeSliceTarget'] = budgeting.sliceTargetRatio;
    objective['timeSliceWindow'] = minutesToShorthand(budgeting.sliceMinutes);
    if (budgeting.emptySlice === 'bad') annotations[ANNOTATIONS.emptySlice] = 'bad';
  } else if (budgeting.method === 'ratioTimeslices') {
    objective['timeSliceWindow'] = minutesToShorthand(budgeting.sliceMinutes);
  }
  const window = definition.window;
  const timeWindow =
    window.kind === 'rolling'
      ? {
          duration: /^[0-9]+[mhdw]$/.test(slo.windowText)
            ? slo.windowText
            : minutesToShorthand(window.minutes),
          isRolling: true,
        }
      : {
          duration: window.unit === 'month' ? '1M' : '1Q',
          calendar: { startTime: CALENDAR_START, timeZone: window.timeZone },
          isRolling: false,
        };
  // Nominal period, as the catalog uses for tier factors; the engine uses each period's true length.
  const periodMinutes =
    window.kind === 'rolling' ? window.minutes : window.unit === 'month' ? 30 * 1440 : 91 * 1440;
  const settings = alertSettings(definition.alerting);
  if (!isDefaultSettings(settings) || definition.alerting.tiers.length === 0) {
    annotations[ANNOTATIONS.alerting] = JSON.stringify(settings);
  }
  const spec: OpenSlo = {};
  if (slo.description !== undefined) spec['description'] = slo.description;
  spec['service'] = service.name;
  spec['indicatorRef'] = qualified(service.name, sliName, service.slis);
  spec['timeWindow'] = [timeWindow];
  spec['budgetingMethod'] = BUDGETING[budgeting.method];
  spec['objectives'] = [objective];
  const policies = definition.alerting.tiers.map((tier) =>
    alertPolicy(
      `${qualified(service.name, slo.name, service.slos)}-${tier.name}`,
      tier,
      periodMinutes,
      settings.enabled,
      targets,
    ),
  );
  if (policies.length > 0) spec['alertPolicies'] = policies;
  if (!settings.enabled) {
    notes.push(
      noteFor(
        service.source,
        ['spec', 'slos', service.slos.indexOf(slo), 'alerting', 'enabled'],
        'info',
        `SLO "${slo.id}" does not alert; its policies are exported with alertWhenBreaching: false`,
      ),
    );
  }
  return {
    apiVersion: OPENSLO_API_VERSION,
    kind: 'SLO',
    metadata: { name: qualified(service.name, slo.name, service.slos), annotations },
    spec,
  };
}

/**
 * One burn-rate tier as an AlertPolicy with one inline AlertCondition (the spec allows
 * one condition per policy): factor -> threshold, long window -> lookbackWindow,
 * for -> alertAfter. Sextant also requires the short window (L/12) to burn.
 */
function alertPolicy(
  name: string,
  tier: AlertTier,
  periodMinutes: number,
  enabled: boolean,
  targets: OpenSlo[],
): OpenSlo {
  const annotations: Record<string, string> = { [ANNOTATIONS.alertTier]: tier.name };
  if (tier.shortMinutes !== derivedShortMinutes(tier.longMinutes)) {
    annotations[ANNOTATIONS.shortWindow] = minutesToShorthand(tier.shortMinutes);
  }
  annotations[ANNOTATIONS.budgetPercent] = String(round(tier.budgetShare * 100));
  if (tier.factor !== undefined) annotations[ANNOTATIONS.factor] = 'explicit';
  // An explicit factor is written exactly; a derived one is rounded for reading (the share restores it).
  const threshold = tier.factor ?? Number(alertFactor(tier, periodMinutes).toPrecision(6));
  return {
    kind: 'AlertPolicy',
    metadata: { name },
    spec: {
      description: `${tier.severity} when the error budget burns ${threshold}x too fast over ${formatMinutes(tier.longMinutes)} (and over ${formatMinutes(tier.shortMinutes)})`,
      alertWhenBreaching: enabled,
      alertWhenResolved: true,
      alertWhenNoData: false,
      conditions: [
        {
          kind: 'AlertCondition',
          metadata: { name, annotations },
          spec: {
            severity: tier.severity,
            condition: {
              kind: 'burnrate',
              op: 'gt',
              threshold,
              lookbackWindow: minutesToShorthand(tier.longMinutes),
              alertAfter: tier.forMinutes === 0 ? '0m' : minutesToShorthand(tier.forMinutes),
            },
          },
        },
      ],
      notificationTargets: targets,
    },
  };
}

/** Targets kept by an earlier import (annotation), as inline AlertNotificationTargets. */
function notificationTargets(service: Service): OpenSlo[] {
  const text = service.annotations[ANNOTATIONS.notificationTargets];
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter(
        (t): t is { name: string; target?: string; description?: string } => typeof t?.name === 'string',
      )
      .map((t) => {
        const spec: OpenSlo = {};
        if (t.description !== undefined) spec['description'] = t.description;
        spec['target'] = t.target ?? 'unknown';
        return { kind: 'AlertNotificationTarget', metadata: { name: t.name }, spec };
      });
  } catch {
    return [];
  }
}

function journeyObject(journey: Journey, catalog: Catalog, notes: ExportNote[]): OpenSlo {
  const annotations: Record<string, string> = { ...journey.annotations };
  const labels = openSloLabels(journey.labels, journey.owner, annotations);
  if (JSON.stringify(labels) !== JSON.stringify(journey.labels))
    annotations[ANNOTATIONS.labels] = JSON.stringify(journey.labels);
  annotations[ANNOTATIONS.kind] = 'Journey';
  annotations[ANNOTATIONS.name] = journey.name;
  annotations[ANNOTATIONS.journey] = JSON.stringify({
    owner: journey.owner,
    parts: journey.parts,
    slos: journey.slos.map((slo) => sloDoc(slo, undefined)),
  });
  if (journey.links.length > 0) annotations[ANNOTATIONS.links] = JSON.stringify(journey.links);
  const teams = ownerTeams(journey.owner, catalog);
  if (teams.length > 0) annotations[ANNOTATIONS.ownerTeam] = JSON.stringify(teams);
  notes.push(
    noteFor(
      journey.source,
      ['spec'],
      'warning',
      `journey "${journey.name}": OpenSLO v1 has no composite that weights events across SLIs; it is carried in annotation ${ANNOTATIONS.journey} of Service "journey-${journey.name}", which other OpenSLO tools will not evaluate`,
    ),
  );
  return {
    apiVersion: OPENSLO_API_VERSION,
    kind: 'Service',
    metadata: metadata(
      `journey-${journey.name}`,
      journey.title === journey.name ? `journey-${journey.name}` : journey.title,
      labels,
      annotations,
    ),
    spec: journey.description === undefined ? {} : { description: journey.description },
  };
}

function metadata(
  name: string,
  title: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): OpenSlo {
  const out: OpenSlo = { name };
  if (title !== name) out['displayName'] = title;
  if (Object.keys(labels).length > 0) out['labels'] = labels;
  if (Object.keys(annotations).length > 0) out['annotations'] = annotations;
  return out;
}

/** The owner team and its parents, as Team manifests without apiVersion and kind. */
function ownerTeams(owner: string, catalog: Catalog): Pick<TeamDoc, 'metadata' | 'spec'>[] {
  const out: Pick<TeamDoc, 'metadata' | 'spec'>[] = [];
  const seen = new Set<string>();
  let team = catalog.teams.get(owner);
  while (team && !seen.has(team.name)) {
    seen.add(team.name);
    const meta: TeamDoc['metadata'] = { name: team.name };
    if (team.title !== team.name) meta.title = team.title;
    if (team.description !== undefined) meta.description = team.description;
    if (Object.keys(team.labels).length > 0) meta.labels = team.labels;
    if (Object.keys(team.annotations).length > 0) meta.annotations = team.annotations;
    if (team.links.length > 0) meta.links = team.links;
    out.push({ metadata: meta, spec: teamSpec(team) });
    team = team.parent === undefined ? undefined : catalog.teams.get(team.parent);
  }
  return out;
}

function teamSpec(team: Team): TeamDoc['spec'] {
  const spec: NonNullable<TeamDoc['spec']> = {};
  if (team.parent !== undefined) spec.parent = team.parent;
  if (team.members.length > 0) {
    spec.members = team.members.map((m) => (m.email === undefined && m.role === undefined ? m.name : m));
  }
  if (team.onCall !== undefined) spec.onCall = team.onCall;
  if (team.chat !== undefined) spec.chat = team.chat;
  return spec;
}

function saturationDoc(point: SaturationPoint): NonNullable<ServiceDoc['spec']['saturationPoints']>[number] {
  const doc: NonNullable<ServiceDoc['spec']['saturationPoints']>[number] = {
    name: point.name,
    utilization: manifestSource(point.utilization),
    soft: point.softRatio,
    hard: point.hardRatio,
  };
  if (point.description !== undefined) doc.description = point.description;
  if (point.horizontallyScalable) doc.horizontallyScalable = true;
  doc.forecast = {
    history: formatMinutes(point.forecast.historyMinutes),
    horizon: formatMinutes(point.forecast.horizonMinutes),
    method: point.forecast.method,
  };
  return doc;
}

/**
 * Maintenance windows as manifest entries. The model keeps them per SLO, so identical
 * windows are regrouped; their original names are not in the model and are renumbered.
 */
function maintenanceDocs(service: Service): NonNullable<ServiceDoc['spec']['maintenance']> {
  const groups = new Map<string, { window: MaintenanceWindow; slos: string[] }>();
  for (const slo of service.slos) {
    for (const window of slo.definition.maintenance) {
      const key = JSON.stringify(window);
      const group = groups.get(key) ?? { window, slos: [] };
      group.slos.push(slo.name);
      groups.set(key, group);
    }
  }
  return [...groups.values()].map(({ window, slos }, index) => {
    const scope = slos.length === service.slos.length ? {} : { slos };
    const name = `maintenance-${index + 1}`;
    if (window.kind === 'recurring') {
      return {
        name,
        ...scope,
        cron: window.cron,
        duration: formatMinutes(window.durationMinutes),
        timeZone: window.timeZone,
      };
    }
    return {
      name,
      ...scope,
      start: new Date(window.startMinute * 60_000).toISOString(),
      end: new Date(window.endMinute * 60_000).toISOString(),
    };
  });
}

function noteFor(
  source: SourceLocator | undefined,
  path: (string | number)[],
  severity: ExportNote['severity'],
  message: string,
): ExportNote {
  if (!source) return { severity, path, message };
  return { severity, file: source.file, ...source.position(path), path, message };
}

function sorted<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, value]) => value);
}

function yamlFile(docs: readonly OpenSlo[]): string {
  return `# Generated by sextant export openslo.\n${docs.map((doc) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n')}`;
}
