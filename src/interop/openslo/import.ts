/**
 * OpenSLO v1 -> Sextant manifests. Every object, field and value of the input is either
 * mapped, explained by a note, or reported as unmapped by the usage sweep; nothing is
 * dropped silently. Field meanings follow the OpenSLO v1 README.
 */

import { stringify } from 'yaml';
import { z } from 'zod';
import { catalogSchemas, closestName, type Tier } from '../../catalog/index.ts';
import { importAlerting, type NotificationTarget } from './import-alerting.ts';
import { type ImportContext, restore } from './import-context.ts';
import { conversionNote, makePlan, type SliPlan } from './import-sli.ts';
import { importBudgeting, importWindow } from './import-window.ts';
import {
  ANNOTATIONS,
  type JourneyDoc,
  SEXTANT_API_VERSION,
  SEXTANT_PREFIX,
  type ServiceDoc,
  type SliDoc,
  type SloDoc,
  type TeamDoc,
} from './manifest.ts';
import { sextantName, slug, unique } from './names.ts';
import { type ImportNote, type InteropFile, sortNotes } from './notes.ts';
import { gaugeSource, type ManifestSource } from './promql.ts';
import {
  isRecord,
  loadOpenSlo,
  noteAt,
  type OpenSloKind,
  type OpenSloObject,
  type Path,
  unusedFieldNotes,
  View,
} from './source.ts';

/** The owner given to services whose OpenSLO input names no team. */
export const UNKNOWN_TEAM = 'unknown-team';

const OPERATORS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;
const OPERATOR_NAMES: Record<string, string> = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const TIER_LABELS: Record<string, Tier> = {
  critical: 'critical',
  'tier-0': 'critical',
  'tier-1': 'critical',
  tier0: 'critical',
  tier1: 'critical',
  high: 'high',
  'tier-2': 'high',
  tier2: 'high',
  medium: 'medium',
  'tier-3': 'medium',
  tier3: 'medium',
  low: 'low',
  'tier-4': 'low',
  tier4: 'low',
};

interface ServiceDraft {
  name: string;
  object?: OpenSloObject;
  slos: OpenSloObject[];
}

interface TeamDraft {
  metadata?: TeamDoc['metadata'];
  spec?: TeamDoc['spec'];
  placeholder: boolean;
}

/** The `sextant.dev/owner-team` annotation: the owner team and its parents, as manifests. */
/** Teams carried in an annotation, as manifests' metadata and spec. */
const carriedTeams = () =>
  z.array(z.strictObject({ metadata: catalogSchemas().metadata, spec: catalogSchemas().teamSpec }));

/**
 * Converts OpenSLO v1 files to Sextant manifests: one file per service, `teams.yaml` for
 * the owners, one file per journey carried in `sextant.dev/journey` annotations.
 * @example importOpenSlo([{ path: 'slo.yaml', text }]).files // [{ path: 'services/web.yaml', text }, ...]
 */
export function importOpenSlo(files: readonly InteropFile[]): { files: InteropFile[]; notes: ImportNote[] } {
  const { objects, notes } = loadOpenSlo(files);
  const importer = new Importer(objects, notes);
  const out = importer.run();
  // A policy shared by several SLOs is read once per SLO; say each thing once.
  const seen = new Set<string>();
  const distinct = notes.filter((note) => {
    const id = JSON.stringify([note.file, note.line, note.column, note.message]);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { files: out, notes: sortNotes(distinct) };
}

class Importer implements ImportContext {
  readonly notes: ImportNote[];
  readonly index = new Map<OpenSloKind, Map<string, OpenSloObject>>();
  readonly processed = new Set<OpenSloObject>();
  readonly said = new Set<string>();
  readonly plans = new Map<string, SliPlan | undefined>();
  readonly teams = new Map<string, TeamDraft>();

  constructor(objects: OpenSloObject[], notes: ImportNote[]) {
    this.notes = notes;
    for (const object of objects) {
      const byName = this.index.get(object.kind) ?? new Map<string, OpenSloObject>();
      this.index.set(object.kind, byName);
      const first = byName.get(object.name);
      if (first) {
        this.processed.add(object);
        this.notes.push(
          noteAt(
            object,
            ['metadata', 'name'],
            'warning',
            `${object.kind} "${object.name}" is defined twice (first at ${first.file}:${first.locate([]).line}); this one is skipped`,
          ),
        );
        continue;
      }
      byName.set(object.name, object);
    }
  }

  objectsOf(kind: OpenSloKind): OpenSloObject[] {
    return [...(this.index.get(kind)?.values() ?? [])];
  }

  once(id: string, note: () => void): void {
    if (this.said.has(id)) return;
    this.said.add(id);
    note();
  }

  run(): InteropFile[] {
    const services = new Map<string, ServiceDraft>();
    const journeys: OpenSloObject[] = [];
    for (const object of this.objectsOf('Service')) {
      const annotations = isRecord(object.raw['metadata'])
        ? object.raw['metadata']['annotations']
        : undefined;
      if (isRecord(annotations) && annotations[ANNOTATIONS.kind] === 'Journey') {
        journeys.push(object);
        continue;
      }
      const name = sextantName(View.of(object, this.notes), object.name, ['metadata', 'name']);
      services.set(name, { name, object, slos: [] });
    }
    for (const slo of this.objectsOf('SLO')) {
      const view = View.of(slo, this.notes);
      const serviceName = view.child('spec').string('service');
      if (serviceName === undefined || serviceName === '') {
        view
          .child('spec')
          .note(
            'warning',
            `SLO "${slo.name}" has no spec.service, so it belongs to no Sextant service; skipped`,
          );
        this.processed.add(slo);
        continue;
      }
      const name = slug(serviceName) ?? 'service';
      let draft = services.get(name);
      if (!draft) {
        draft = { name, slos: [] };
        services.set(name, draft);
        view
          .child('spec')
          .child('service')
          .note(
            'info',
            `service "${serviceName}" has no OpenSLO Service object; Sextant service "${name}" is created for it`,
          );
      }
      draft.slos.push(slo);
    }

    const files: InteropFile[] = [];
    for (const draft of [...services.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      files.push(this.serviceFile(draft));
    }
    for (const object of journeys) {
      const file = this.journeyFile(object);
      if (file) files.push(file);
    }
    if (this.teams.size > 0) files.push(this.teamsFile());
    this.sweep();
    return files;
  }

  // --- services ------------------------------------------------------------------------

  serviceFile(draft: ServiceDraft): InteropFile {
    const view = draft.object ? View.of(draft.object, this.notes) : undefined;
    if (draft.object) this.processed.add(draft.object);
    const metadata = view?.child('metadata');
    const annotations = metadata?.stringMap('annotations') ?? {};
    const labels = metadata?.stringMap('labels') ?? {};
    const sloViews = draft.slos.map((slo) => View.of(slo, this.notes));

    const doc: ServiceDoc = {
      apiVersion: SEXTANT_API_VERSION,
      kind: 'Service',
      metadata: { name: draft.name },
      spec: { owner: UNKNOWN_TEAM, tier: 'medium' },
    };
    const displayName = metadata?.string('displayName');
    if (displayName !== undefined && displayName !== draft.name) doc.metadata.title = displayName;
    const description = view?.child('spec').string('description');
    if (description !== undefined) doc.metadata.description = description;

    const restoredLabels =
      view && restore(annotations, ANNOTATIONS.labels, catalogSchemas().metadata.shape.labels, view);
    const ownLabels = restoredLabels ?? labels;
    if (Object.keys(ownLabels).length > 0) doc.metadata.labels = ownLabels;
    const carried = Object.fromEntries(
      Object.entries(annotations).filter(([k]) => !k.startsWith(SEXTANT_PREFIX)),
    );
    if (view) {
      const links = restore(annotations, ANNOTATIONS.links, catalogSchemas().metadata.shape.links, view);
      if (links) doc.metadata.links = links;
    }

    doc.spec.owner = this.owner(draft, view, annotations, labels, sloViews);
    doc.spec.tier = this.tier(draft, view, annotations, labels);
    const spec = catalogSchemas().serviceSpec.shape;
    if (view) {
      const lifecycle = annotations[ANNOTATIONS.lifecycle];
      if (lifecycle !== undefined) {
        const parsed = spec.lifecycle.safeParse(lifecycle);
        if (parsed.success) doc.spec.lifecycle = parsed.data;
        else
          view
            .child('metadata')
            .child('annotations')
            .child(ANNOTATIONS.lifecycle)
            .note('warning', `unknown lifecycle "${lifecycle}"; ignored`);
      }
      const dependsOn = restore(annotations, ANNOTATIONS.dependsOn, spec.dependsOn, view);
      if (dependsOn && dependsOn.length > 0) doc.spec.dependsOn = dependsOn;
      const instances = restore(annotations, ANNOTATIONS.instances, spec.instances, view);
      if (instances) doc.spec.instances = instances;
      const paths = restore(annotations, ANNOTATIONS.paths, spec.paths, view);
      if (paths && paths.length > 0) doc.spec.paths = paths;
    }

    const slis: SliDoc[] = [];
    const slos: SloDoc[] = [];
    const sliNames = new Map<string, string>();
    const targets: NotificationTarget[] = [];
    this.carriedSlis(draft.name, slis, sliNames);
    for (const sloView of sloViews) {
      this.processed.add(sloView.object);
      this.slo(sloView, doc.spec.tier, slis, slos, sliNames, targets);
    }
    doc.spec.slis = slis;
    doc.spec.slos = slos;

    if (view) {
      const saturation = restore(annotations, ANNOTATIONS.saturationPoints, spec.saturationPoints, view);
      if (saturation && saturation.length > 0) doc.spec.saturationPoints = saturation;
      const maintenance = restore(annotations, ANNOTATIONS.maintenance, spec.maintenance, view);
      if (maintenance && maintenance.length > 0) {
        const sloNames = new Set(slos.map((slo) => slo.name));
        doc.spec.maintenance = maintenance.map((window) =>
          window.slos === undefined
            ? window
            : { ...window, slos: window.slos.filter((name) => sloNames.has(name)) },
        );
      }
    }
    const previousTargets = annotations[ANNOTATIONS.notificationTargets];
    const allTargets = mergeTargets(previousTargets, targets);
    if (allTargets.length > 0) carried[ANNOTATIONS.notificationTargets] = JSON.stringify(allTargets);
    if (Object.keys(carried).length > 0) doc.metadata.annotations = carried;

    const sources = [
      ...new Set([draft.object, ...draft.slos].filter((o) => o !== undefined).map((o) => o.file)),
    ];
    return { path: `services/${draft.name}.yaml`, text: yamlFile([doc], sources) };
  }

  owner(
    draft: ServiceDraft,
    view: View | undefined,
    annotations: Record<string, string>,
    labels: Record<string, string>,
    slos: View[],
  ): string {
    let owner: string | undefined;
    let at: View | undefined;
    if (view && annotations[ANNOTATIONS.owner] !== undefined) {
      owner = annotations[ANNOTATIONS.owner];
      at = view.child('metadata').child('annotations').child(ANNOTATIONS.owner);
    }
    for (const key of ['team', 'owner']) {
      if (owner === undefined && view && labels[key] !== undefined) {
        owner = labels[key];
        at = view.child('metadata').child('labels').child(key);
      }
    }
    for (const slo of slos) {
      if (owner !== undefined) break;
      const sloLabels = slo.child('metadata').stringMap('labels') ?? {};
      for (const key of ['team', 'owner']) {
        if (owner === undefined && sloLabels[key] !== undefined) {
          owner = sloLabels[key];
          at = slo.child('metadata').child('labels').child(key);
        }
      }
    }
    if (owner === undefined || at === undefined) {
      const where = view ?? slos[0];
      const message = `service "${draft.name}" names no owner (OpenSLO has no owner field; Sextant reads a "team" label): owner set to "${UNKNOWN_TEAM}", replace it`;
      if (where) where.child('metadata').note('warning', message);
      else this.notes.push({ severity: 'warning', path: [], message });
      this.teams.set(UNKNOWN_TEAM, this.teams.get(UNKNOWN_TEAM) ?? { placeholder: true });
      return UNKNOWN_TEAM;
    }
    const names = owner.split(',').map((name) => name.trim());
    if (names.length > 1) {
      at.note(
        'info',
        `several teams (${names.join(', ')}); a Sextant service has one owner, "${names[0]}" is used`,
      );
    }
    const name = sextantName(at, names[0] ?? owner, []);
    this.teams.set(name, this.teams.get(name) ?? { placeholder: false });
    if (view && annotations[ANNOTATIONS.owner] === owner) this.restoreTeams(annotations, view);
    return name;
  }

  tier(
    draft: ServiceDraft,
    view: View | undefined,
    annotations: Record<string, string>,
    labels: Record<string, string>,
  ): Tier {
    const candidates: [string | undefined, Path][] = [
      [annotations[ANNOTATIONS.tier], ['metadata', 'annotations', ANNOTATIONS.tier]],
      [labels['tier'], ['metadata', 'labels', 'tier']],
      [labels['serviceTier'], ['metadata', 'labels', 'serviceTier']],
    ];
    for (const [value, path] of candidates) {
      if (value === undefined || !view) continue;
      const tier = TIER_LABELS[value.toLowerCase()];
      if (tier) return tier;
      view
        .child(path[0]!)
        .child(path[1]!)
        .child(path[2]!)
        .note(
          'warning',
          `tier "${value}" is not one of critical, high, medium, low (or tier-1..tier-4); ignored`,
        );
    }
    const message = `service "${draft.name}" has no tier (Sextant reads a serviceTier label: critical, high, medium, low or tier-1..tier-4): "medium" is assumed, check it`;
    const where = view ?? (draft.slos[0] ? View.of(draft.slos[0], this.notes) : undefined);
    if (where) where.child('metadata').note('warning', message);
    return 'medium';
  }

  // --- SLOs ------------------------------------------------------------------------------

  slo(
    view: View,
    serviceTier: Tier,
    slis: SliDoc[],
    slos: SloDoc[],
    sliNames: Map<string, string>,
    targets: NotificationTarget[],
  ): void {
    const object = view.object;
    const metadata = view.child('metadata');
    const spec = view.child('spec');
    const annotations = metadata.stringMap('annotations') ?? {};
    const labels = metadata.stringMap('labels') ?? {};
    const dropped = Object.keys(labels).filter((k) => k !== 'team' && k !== 'owner');
    if (dropped.length > 0) {
      metadata
        .child('labels')
        .note(
          'info',
          `SLO labels ${dropped.join(', ')} have no Sextant counterpart (SLOs carry no labels); not imported`,
        );
    }
    const foreign = Object.keys(annotations).filter((k) => !k.startsWith(SEXTANT_PREFIX));
    if (foreign.length > 0) {
      metadata
        .child('annotations')
        .note('info', `SLO annotations ${foreign.join(', ')} have no Sextant counterpart; not imported`);
    }
    const baseName = annotations[ANNOTATIONS.name] ?? sextantName(view, object.name, ['metadata', 'name']);
    const description = spec.string('description');
    const displayName = metadata.string('displayName');
    if (description !== undefined && displayName !== undefined) {
      metadata
        .child('displayName')
        .note('info', 'a Sextant SLO has a description but no display name; displayName is not imported');
    }

    const indicator = this.indicator(view);
    const window = importWindow(spec);
    const objectives = spec.list('objectives');
    const alerting = importAlerting(this, view, annotations, window.periodMinutes, serviceTier, targets);
    spec.string('budgetingMethod');

    if (!indicator) {
      for (const objective of objectives) objective.take();
      return;
    }
    const plan = this.plan(indicator.view, indicator.identity, indicator.fallbackName);
    if (!plan) {
      for (const objective of objectives) objective.take();
      view.note(
        'warning',
        `SLO "${object.name}" is skipped: its SLI could not be imported (see the note on the SLI)`,
      );
      return;
    }
    if (objectives.length === 0) {
      spec.note('warning', `SLO "${object.name}" has no objectives; skipped`);
      return;
    }
    const named = objectives.map((objective, index) => {
      const label = objective.string('displayName');
      return objectives.length === 1 ? baseName : `${baseName}-${(label && slug(label)) || index + 1}`;
    });
    if (objectives.length > 1) {
      spec
        .child('objectives')
        .note(
          'info',
          `SLO "${object.name}" has ${objectives.length} objectives; a Sextant SLO has one, so it becomes ${objectives.length} SLOs: ${named.join(', ')}`,
        );
    }
    objectives.forEach((objective, index) => {
      if (objective.child('indicator').present || objective.child('indicatorRef').present) {
        objective.take();
        objective.note(
          'warning',
          'a composite objective (with its own indicator) has no Sextant counterpart: Sextant composes SLIs in a Journey, weighting events, not objectives; not imported',
        );
        return;
      }
      const sliName = this.sliFor(plan, indicator.identity, objective, slis, sliNames);
      if (sliName === undefined) return;
      const slo: SloDoc = {
        name: unique(
          named[index]!,
          slos.map((s) => s.name),
        ),
        sli: sliName,
      };
      const text = description ?? displayName;
      if (text !== undefined) slo.description = text;
      if (!this.objective(objective, slo)) return;
      if (window.doc !== undefined) slo.window = window.doc;
      slo.budgeting = importBudgeting(spec, objective, annotations);
      if (alerting) slo.alerting = alerting;
      slos.push(slo);
    });
  }

  /** The SLI view of an SLO: inline `indicator` or `indicatorRef` to an SLI object. */
  indicator(view: View): { view: View; identity: string; fallbackName: string } | undefined {
    const spec = view.child('spec');
    const inline = spec.child('indicator');
    const ref = spec.string('indicatorRef');
    if (inline.present) {
      if (ref !== undefined) {
        spec
          .child('indicatorRef')
          .note(
            'warning',
            'both indicator and indicatorRef are given (the spec allows one); the inline indicator is used',
          );
      }
      const identity = `inline:${view.object.file}:${view.object.document}:${JSON.stringify(view.object.base)}`;
      return { view: inline, identity, fallbackName: `${slug(view.object.name) ?? 'slo'}-sli` };
    }
    if (ref !== undefined) {
      const sli = this.index.get('SLI')?.get(ref);
      if (!sli) {
        const known = this.objectsOf('SLI').map((o) => o.name);
        const hint = closestName(ref, known);
        spec
          .child('indicatorRef')
          .note(
            'warning',
            `SLO "${view.object.name}" refers to SLI "${ref}", which no input file defines${hint ? ` (did you mean "${hint}"?)` : ''}; the SLO is skipped`,
          );
        return undefined;
      }
      this.processed.add(sli);
      return { view: View.of(sli, this.notes), identity: `ref:${sli.name}`, fallbackName: sli.name };
    }
    const composite = spec
      .list('objectives')
      .some((o) => o.child('indicator').present || o.child('indicatorRef').present);
    if (composite) {
      spec.note(
        'warning',
        `SLO "${view.object.name}" is a composite (indicators per objective); Sextant composes SLIs in a Journey, weighting events, not objectives; skipped`,
      );
      return undefined;
    }
    spec.note('warning', `SLO "${view.object.name}" has neither indicator nor indicatorRef; skipped`);
    return undefined;
  }

  /**
   * SLIs an earlier export tagged with this service (`sextant.dev/service`), in input
   * order: they keep their place, and the ones no SLO uses (journey parts) are not lost.
   */
  carriedSlis(service: string, slis: SliDoc[], names: Map<string, string>): void {
    for (const object of this.objectsOf('SLI')) {
      const annotations = isRecord(object.raw['metadata'])
        ? object.raw['metadata']['annotations']
        : undefined;
      if (!isRecord(annotations) || annotations[ANNOTATIONS.service] !== service) continue;
      this.processed.add(object);
      const view = View.of(object, this.notes);
      view.child('metadata').child('annotations').child(ANNOTATIONS.service).take();
      const identity = `ref:${object.name}`;
      const plan = this.plan(view, identity, object.name);
      if (!plan) continue;
      let objective: Record<string, unknown> = {};
      if (plan.body.kind === 'threshold') {
        const text = isRecord(annotations) ? annotations[ANNOTATIONS.threshold] : undefined;
        try {
          const parsed: unknown = JSON.parse(String(text));
          if (isRecord(parsed))
            objective = { op: OPERATOR_NAMES[String(parsed['operator'])], value: parsed['bound'] };
        } catch {
          // reported by sliFor as a missing op and value
        }
      }
      const at = new View(object, ['metadata', 'annotations', ANNOTATIONS.threshold], objective, this.notes);
      this.sliFor(plan, identity, at, slis, names);
    }
  }

  /** The Sextant SLI name for an objective, adding the SLI to the service on first use. */
  sliFor(
    plan: SliPlan,
    identity: string,
    objective: View,
    slis: SliDoc[],
    names: Map<string, string>,
  ): string | undefined {
    const taken = () => slis.map((s) => s.name);
    if (plan.body.kind !== 'threshold') {
      objective.string('op');
      objective.number('value');
      if (objective.child('op').present || objective.child('value').present) {
        objective.note('info', 'op and value only apply to a thresholdMetric; ignored for this ratio SLI');
      }
      const known = names.get(identity);
      if (known !== undefined) return known;
      const name = unique(plan.name, taken());
      names.set(identity, name);
      const { body } = plan;
      const doc: SliDoc =
        body.kind === 'ratio'
          ? { name, kind: 'ratio', ...plan.common, ...pick(body, ['good', 'bad']), total: body.total }
          : body.kind === 'events'
            ? { name, kind: 'events', ...plan.common }
            : { ...body.doc, ...plan.common, name };
      slis.push(doc);
      return name;
    }
    const opText = objective.string('op');
    const bound = objective.number('value');
    const operator = opText === undefined ? undefined : OPERATORS[opText as keyof typeof OPERATORS];
    if (operator === undefined || bound === undefined) {
      objective.note(
        'warning',
        `a thresholdMetric objective needs op (lt, lte, gt, gte) and value${opText !== undefined && operator === undefined ? `; op "${opText}" is not one of them` : ''}; objective skipped`,
      );
      return undefined;
    }
    const key = `${identity}|${operator}|${bound}`;
    const known = names.get(key);
    if (known !== undefined) return known;
    const variants = [...names.keys()].filter((k) => k.startsWith(`${identity}|`)).length;
    const name = unique(variants === 0 ? plan.name : `${plan.name}-${variants + 1}`, taken());
    if (variants > 0) {
      objective.note(
        'info',
        `Sextant threshold SLIs carry their bound, so this objective's "${opText} ${bound}" becomes SLI "${name}"`,
      );
    }
    names.set(key, name);
    const body = plan.body;
    let gauge: ManifestSource;
    if (body.exact !== undefined) {
      gauge = { promql: body.exact };
    } else {
      const conversion = gaugeSource(body.query, operator);
      conversionNote(this, conversion, body.at);
      gauge = conversion.source;
    }
    const doc: SliDoc = { name, kind: 'threshold', ...plan.common, gauge, operator, bound };
    if (body.aggregation !== undefined) doc.aggregation = body.aggregation;
    slis.push(doc);
    return name;
  }

  /** target -> objectiveRatio, targetPercent -> objectivePercent (equivalent per the spec). */
  objective(objective: View, slo: SloDoc): boolean {
    const target = objective.number('target');
    const percent = objective.number('targetPercent');
    if (target !== undefined) {
      slo.objectiveRatio = target;
      if (percent !== undefined) {
        objective
          .child('targetPercent')
          .note('warning', 'both target and targetPercent are given (the spec allows one); target is used');
      }
      return true;
    }
    if (percent !== undefined) {
      slo.objectivePercent = percent;
      return true;
    }
    objective.note('warning', 'objective has neither target nor targetPercent; skipped');
    return false;
  }

  // --- SLIs ------------------------------------------------------------------------------

  plan(view: View, identity: string, fallbackName: string): SliPlan | undefined {
    if (this.plans.has(identity)) return this.plans.get(identity);
    const plan = makePlan(this, view, fallbackName);
    this.plans.set(identity, plan);
    return plan;
  }

  // --- journeys, teams, leftovers ------------------------------------------------------------------

  journeyFile(object: OpenSloObject): InteropFile | undefined {
    this.processed.add(object);
    const view = View.of(object, this.notes);
    const metadata = view.child('metadata');
    const annotations = metadata.stringMap('annotations') ?? {};
    metadata.stringMap('labels');
    const spec = restore(annotations, ANNOTATIONS.journey, catalogSchemas().journeySpec, view);
    if (!spec) return undefined;
    const name = annotations[ANNOTATIONS.name] ?? sextantName(view, object.name, ['metadata', 'name']);
    const doc: JourneyDoc = { apiVersion: SEXTANT_API_VERSION, kind: 'Journey', metadata: { name }, spec };
    const displayName = metadata.string('displayName');
    if (displayName !== undefined && displayName !== name) doc.metadata.title = displayName;
    const description = view.child('spec').string('description');
    if (description !== undefined) doc.metadata.description = description;
    const carried = Object.fromEntries(
      Object.entries(annotations).filter(([k]) => !k.startsWith(SEXTANT_PREFIX)),
    );
    if (Object.keys(carried).length > 0) doc.metadata.annotations = carried;
    const labels = restore(annotations, ANNOTATIONS.labels, catalogSchemas().metadata.shape.labels, view);
    if (labels && Object.keys(labels).length > 0) doc.metadata.labels = labels;
    this.teams.set(spec.owner, this.teams.get(spec.owner) ?? { placeholder: false });
    this.restoreTeams(annotations, view);
    view.note('info', `journey "${name}" restored from its ${ANNOTATIONS.journey} annotation`);
    return { path: `journeys/${name}.yaml`, text: yamlFile([doc], [object.file]) };
  }

  /** Teams carried by an earlier export: the owner and its parents, first definition wins. */
  restoreTeams(annotations: Record<string, string>, view: View): void {
    for (const team of restore(annotations, ANNOTATIONS.ownerTeam, carriedTeams(), view) ?? []) {
      const known = this.teams.get(team.metadata.name);
      if (known?.spec !== undefined) continue;
      this.teams.set(team.metadata.name, { metadata: team.metadata, spec: team.spec, placeholder: false });
    }
  }

  teamsFile(): InteropFile {
    const docs: TeamDoc[] = [...this.teams.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, team]) => {
        const doc: TeamDoc = {
          apiVersion: SEXTANT_API_VERSION,
          kind: 'Team',
          metadata: team.metadata ?? { name },
          spec: team.spec ?? {},
        };
        if (team.placeholder) {
          doc.metadata.description =
            'Placeholder for services whose OpenSLO input names no team: set each service owner and remove this team.';
        }
        return doc;
      });
    return { path: 'teams.yaml', text: yamlFile(docs, []) };
  }

  /** Notes for objects nothing referred to and for fields nothing read. */
  sweep(): void {
    for (const byName of this.index.values()) {
      for (const object of byName.values()) {
        if (this.processed.has(object)) {
          this.notes.push(...unusedFieldNotes(object));
          continue;
        }
        const message =
          object.kind === 'SLI'
            ? `SLI "${object.name}" is used by no SLO, so it belongs to no service; not imported`
            : object.kind === 'DataSource'
              ? `DataSource "${object.name}": connection details belong in the unit's metric-source config, not in the catalog; not imported`
              : `${object.kind} "${object.name}" is referred to by no SLO; not imported`;
        this.notes.push(noteAt(object, [], object.kind === 'SLI' ? 'warning' : 'info', message));
      }
    }
  }
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

function mergeTargets(previous: string | undefined, found: NotificationTarget[]): NotificationTarget[] {
  let all: NotificationTarget[] = [];
  try {
    const parsed: unknown = previous === undefined ? [] : JSON.parse(previous);
    if (Array.isArray(parsed))
      all = parsed.filter((t): t is NotificationTarget => isRecord(t) && typeof t['name'] === 'string');
  } catch {
    all = [];
  }
  for (const target of found) if (!all.some((t) => t.name === target.name)) all.push(target);
  return all;
}

function yamlFile(docs: readonly object[], sources: readonly string[]): string {
  const header = `# Generated by sextant import openslo${sources.length > 0 ? ` from ${sources.join(', ')}` : ''}.\n`;
  return (
    header + docs.map((doc) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n')
  );
}
