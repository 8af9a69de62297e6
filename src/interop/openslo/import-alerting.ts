/**
 * OpenSLO alertPolicies (AlertPolicy, AlertCondition, AlertNotificationTarget) -> Sextant
 * alert tiers. Each burnrate condition is one tier (README, "AlertCondition").
 */

import { catalogSchemas, type Tier } from '../../catalog/index.ts';
import { parseShorthand, shorthandMinutes } from './duration.ts';
import { type ImportContext, restore } from './import-context.ts';
import {
  type AlertingDoc,
  type AlertSettings,
  ANNOTATIONS,
  alertingDoc,
  DEFAULT_ALERT_SETTINGS,
  type TierPlan,
} from './manifest.ts';
import { slug, unique } from './names.ts';
import { isRecord, View } from './source.ts';

const PAGE_SEVERITIES =
  /^(page|paging|pager|critical|crit|emergency|urgent|high|error|p[0-2]|sev-?[0-2]|s[0-2])$/i;
const TICKET_SEVERITIES = /^(ticket|warning|warn|medium|low|info|notice|p[3-5]|sev-?[3-5]|s[3-5])$/i;

/** An AlertNotificationTarget, kept as a service annotation. */
export interface NotificationTarget {
  name: string;
  target?: string;
  description?: string;
}

/**
 * alertPolicies -> alerting tiers. Each burnrate AlertCondition is one tier: threshold ->
 * factor, lookbackWindow -> longWindow (short window L/12, SRE Workbook), alertAfter ->
 * for, severity -> page or ticket. Without policies Sextant's default tiers apply.
 */
export function importAlerting(
  ctx: ImportContext,
  view: View,
  annotations: Record<string, string>,
  periodMinutes: number,
  serviceTier: Tier,
  targets: NotificationTarget[],
): AlertingDoc | undefined {
  const spec = view.child('spec');
  const restored = restore(
    annotations,
    ANNOTATIONS.alerting,
    catalogSchemas().alerting.omit({ tiers: true }),
    view,
  );
  const settings: AlertSettings = { ...DEFAULT_ALERT_SETTINGS };
  if (restored) {
    if (restored.enabled !== undefined) settings.enabled = restored.enabled;
    if (restored.minEvents !== undefined) settings.minEvents = restored.minEvents;
    if (restored.wilsonConfidence !== undefined) settings.wilsonConfidence = restored.wilsonConfidence;
    if (restored.budgetExhausted !== undefined) settings.budgetExhausted = restored.budgetExhausted;
    if (restored.trafficCessation !== undefined) settings.trafficCessation = restored.trafficCessation;
  }
  const entries = spec.list('alertPolicies');
  const tiers: TierPlan[] = [];
  for (const entry of entries) {
    const policy = resolvePolicy(ctx, entry);
    if (policy)
      policyConditions(
        ctx,
        policy,
        tiers,
        periodMinutes,
        restored !== undefined && !settings.enabled,
        targets,
      );
  }
  if (entries.length === 0 && !restored) {
    ctx.once(`no-policies:${view.object.name}`, () =>
      spec.note(
        'info',
        `SLO "${view.object.name}" has no alertPolicies; Sextant's default burn-rate tiers (page 1h/6h, ticket 1d/3d) apply`,
      ),
    );
  }
  if (entries.length > 0 && tiers.length === 0 && !restored) {
    spec
      .child('alertPolicies')
      .note('warning', "no burnrate condition could be imported; Sextant's default burn-rate tiers apply");
  }
  const exact = restored !== undefined || tiers.length > 0;
  const result = alertingDoc(exact ? tiers : undefined, settings, serviceTier);
  for (const { from, to } of result.renamed) {
    spec
      .child('alertPolicies')
      .note(
        'info',
        `tier "${from}" fires at once (alertAfter 0m), which overriding a default tier cannot say; imported as "${to}"`,
      );
  }
  return result.doc;
}

/** An alertPolicies entry: inline AlertPolicy, `alertPolicyRef`, or a bare name. */
function resolvePolicy(ctx: ImportContext, entry: View): View | undefined {
  const refName = typeof entry.value === 'string' ? entry.value : entry.string('alertPolicyRef');
  if (typeof entry.value === 'string') entry.take();
  if (refName !== undefined) {
    const object = ctx.index.get('AlertPolicy')?.get(refName);
    if (!object) {
      (typeof entry.value === 'string' ? entry : entry.child('alertPolicyRef')).note(
        'warning',
        `AlertPolicy "${refName}" is not defined in the input; its conditions are not imported`,
      );
      return undefined;
    }
    ctx.processed.add(object);
    return View.of(object, ctx.notes);
  }
  const kind = entry.string('kind');
  if (kind !== 'AlertPolicy' && !(kind === undefined && entry.child('spec').present)) {
    entry.take();
    entry.note(
      'warning',
      'an alertPolicies item is an inline AlertPolicy (kind, metadata, spec) or {alertPolicyRef}; ignored',
    );
    return undefined;
  }
  entry.string('apiVersion');
  entry.child('metadata').string('name');
  return entry;
}

function policyConditions(
  ctx: ImportContext,
  policy: View,
  tiers: TierPlan[],
  periodMinutes: number,
  alertingDisabled: boolean,
  targets: NotificationTarget[],
): void {
  const spec = policy.child('spec');
  const breaching = spec.boolean('alertWhenBreaching');
  const resolved = spec.boolean('alertWhenResolved');
  const noData = spec.boolean('alertWhenNoData');
  if (resolved === false) {
    ctx.once('resolved', () =>
      spec
        .child('alertWhenResolved')
        .note(
          'info',
          'Sextant always resolves the incidents its alerts open; alertWhenResolved: false is not imported',
        ),
    );
  }
  if (noData === true) {
    ctx.once('no-data', () =>
      spec
        .child('alertWhenNoData')
        .note(
          'info',
          'Sextant has no "no data" alert; its traffic-cessation alert (on by default) fires when traffic stops',
        ),
    );
  }
  for (const target of spec.list('notificationTargets')) collectTarget(ctx, target, targets);
  for (const entry of spec.list('conditions')) {
    const condition = resolveCondition(ctx, entry);
    if (condition && isRecord(condition.child('metadata').child('annotations').value)) {
      const annotations = condition.child('metadata').child('annotations').value as Record<string, unknown>;
      if (annotations[ANNOTATIONS.alertTier] !== undefined) spec.string('description');
    }
    if (!condition) continue;
    if (breaching === false && !alertingDisabled) {
      condition.take();
      spec
        .child('alertWhenBreaching')
        .note(
          'warning',
          'alertWhenBreaching is false, so this policy never alerts on a burn; its condition is not imported',
        );
      continue;
    }
    const tier = conditionTier(ctx, condition, periodMinutes, tiers);
    if (tier) tiers.push(tier);
  }
}

function resolveCondition(ctx: ImportContext, entry: View): View | undefined {
  const ref = entry.string('conditionRef');
  if (ref !== undefined) {
    const object = ctx.index.get('AlertCondition')?.get(ref);
    if (!object) {
      entry
        .child('conditionRef')
        .note('warning', `AlertCondition "${ref}" is not defined in the input; not imported`);
      return undefined;
    }
    ctx.processed.add(object);
    return View.of(object, ctx.notes);
  }
  const kind = entry.string('kind');
  if (kind !== 'AlertCondition' && !(kind === undefined && entry.child('spec').present)) {
    entry.take();
    entry.note(
      'warning',
      'a conditions item is an inline AlertCondition (kind, metadata, spec) or {conditionRef}; ignored',
    );
    return undefined;
  }
  entry.string('apiVersion');
  return entry;
}

function conditionTier(
  ctx: ImportContext,
  condition: View,
  periodMinutes: number,
  tiers: TierPlan[],
): TierPlan | undefined {
  const metadata = condition.child('metadata');
  const annotations = metadata.stringMap('annotations') ?? {};
  const conditionName = metadata.string('name');
  const spec = condition.child('spec');
  // A description Sextant wrote on export says nothing new; any other is reported by the sweep.
  if (annotations[ANNOTATIONS.alertTier] !== undefined) spec.string('description');
  const body = spec.child('condition');
  const kind = body.string('kind') ?? 'burnrate';
  if (kind.toLowerCase() !== 'burnrate') {
    body.take();
    body.note(
      'warning',
      `condition kind "${kind}" is not burnrate; Sextant alerts on burn rates only; not imported`,
    );
    return undefined;
  }
  const threshold = body.number('threshold');
  const lookback = body.string('lookbackWindow');
  const after = body.string('alertAfter');
  const op = body.string('op');
  const severityText = spec.string('severity');
  if (threshold === undefined || !(threshold > 0)) {
    body.note('warning', 'a burnrate condition needs a positive threshold; not imported');
    return undefined;
  }
  const lookbackShorthand = lookback === undefined ? undefined : parseShorthand(lookback);
  const longMinutes = lookbackShorthand === undefined ? undefined : shorthandMinutes(lookbackShorthand);
  if (longMinutes === undefined) {
    (lookback === undefined ? body : body.child('lookbackWindow')).note(
      'warning',
      `lookbackWindow ${lookback === undefined ? 'is missing' : `"${lookback}" is not a duration in m, h, d or w`}; condition not imported`,
    );
    return undefined;
  }
  let forMinutes = 0;
  if (after !== undefined) {
    const shorthand = parseShorthand(after);
    const minutes = shorthand === undefined ? undefined : shorthandMinutes(shorthand);
    if (shorthand?.unit === 's') {
      forMinutes = Math.ceil(shorthand.count / 60);
      body
        .child('alertAfter')
        .note('info', `alertAfter ${after} is below Sextant's one-minute resolution; ${forMinutes}m is used`);
    } else if (after === '0' || /^0[smhdw]$/.test(after)) {
      forMinutes = 0;
    } else if (minutes === undefined) {
      body.child('alertAfter').note('warning', `alertAfter "${after}" is not a duration; 0m is used`);
    } else {
      forMinutes = minutes;
    }
  }
  if (op === 'lt' || op === 'lte') {
    body
      .child('op')
      .note(
        'warning',
        `op "${op}" would alert while the burn rate is below the threshold; Sextant alerts when it exceeds the threshold (as the spec's own example describes), and imports it that way`,
      );
  } else if (op !== undefined && op !== 'gt' && op !== 'gte') {
    body
      .child('op')
      .note(
        'warning',
        `op "${op}" is not lt, lte, gt or gte; the condition is read as "burn rate above threshold"`,
      );
  }
  const severity = importSeverity(spec, severityText);
  const annotated = annotations[ANNOTATIONS.alertTier];
  const baseName =
    annotated ?? (conditionName ? slug(conditionName) : undefined) ?? `${severity}-${lookback}`;
  const name = unique(
    baseName,
    tiers.map((t) => t.name),
  );
  const plan: TierPlan = { name, severity, budgetPercent: 0, longMinutes, forMinutes };
  const short = annotations[ANNOTATIONS.shortWindow];
  const shortShorthand = short === undefined ? undefined : parseShorthand(short);
  const shortMinutes = shortShorthand === undefined ? undefined : shorthandMinutes(shortShorthand);
  if (shortMinutes !== undefined) plan.shortMinutes = shortMinutes;
  else {
    ctx.once('short-window', () =>
      body.note(
        'info',
        "OpenSLO burn-rate conditions have one lookback window; Sextant adds the SRE Workbook's short window (lookback/12) so alerts stop soon after the burn does",
      ),
    );
  }
  const share = annotations[ANNOTATIONS.budgetPercent];
  if (share !== undefined && Number.isFinite(Number(share)) && Number(share) > 0) {
    plan.budgetPercent = Number(share);
    const derived = (Number(share) / 100) * (periodMinutes / longMinutes);
    // A threshold edited after export no longer matches the share: it wins.
    if (annotations[ANNOTATIONS.factor] !== undefined || Math.abs(derived - threshold) > 1e-3 * threshold) {
      plan.factor = threshold;
    }
  } else {
    // The factor is exactly what OpenSLO said; the budget share is derived for reading: p = f * L / P.
    plan.factor = threshold;
    plan.budgetPercent = Math.min(
      100,
      Number(((threshold * longMinutes * 100) / periodMinutes).toPrecision(6)),
    );
  }
  return plan;
}

function importSeverity(spec: View, text: string | undefined): 'page' | 'ticket' {
  if (text === undefined) {
    spec.note('warning', 'AlertCondition has no severity (required); "page" is assumed');
    return 'page';
  }
  if (text === 'page' || text === 'ticket') return text;
  if (PAGE_SEVERITIES.test(text)) {
    spec.child('severity').note('info', `severity "${text}" is imported as Sextant's "page"`);
    return 'page';
  }
  if (TICKET_SEVERITIES.test(text)) {
    spec.child('severity').note('info', `severity "${text}" is imported as Sextant's "ticket"`);
    return 'ticket';
  }
  spec
    .child('severity')
    .note(
      'warning',
      `severity "${text}" is neither page-like nor ticket-like; "page" is assumed so nothing is missed`,
    );
  return 'page';
}

/** AlertNotificationTarget: Sextant notifiers are unit config; the target is kept as a service annotation. */
function collectTarget(ctx: ImportContext, entry: View, targets: NotificationTarget[]): void {
  const ref = entry.string('targetRef');
  let view: View | undefined = entry;
  if (ref !== undefined) {
    const object = ctx.index.get('AlertNotificationTarget')?.get(ref);
    if (!object) {
      entry
        .child('targetRef')
        .note('warning', `AlertNotificationTarget "${ref}" is not defined in the input; not imported`);
      return;
    }
    ctx.processed.add(object);
    view = View.of(object, ctx.notes);
  } else {
    entry.string('kind');
    entry.string('apiVersion');
  }
  const name = view.child('metadata').string('name') ?? ref ?? 'target';
  const spec = view.child('spec');
  const target: NotificationTarget = { name };
  const kind = spec.string('target');
  if (kind !== undefined) target.target = kind;
  const description = spec.string('description');
  if (description !== undefined) target.description = description;
  if (!targets.some((t) => t.name === name)) {
    targets.push(target);
    ctx.once(`target:${name}`, () =>
      (ref !== undefined ? entry.child('targetRef') : entry).note(
        'info',
        `notification target "${name}"${kind ? ` (${kind})` : ''}: Sextant notifiers are configured per unit, not in the catalog; kept as annotation ${ANNOTATIONS.notificationTargets} on the service`,
      ),
    );
  }
}
