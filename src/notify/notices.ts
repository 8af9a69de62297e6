/**
 * From one SLO evaluation to the notices it implies: transitions to `firing` and from
 * `firing` to `resolved`, plus a `refresh` for every alert still firing. Pending alerts are
 * not announced, as in Prometheus.
 */
import type { Journey, Link, Service, Slo, Team } from '../catalog/index.ts';
import { formatMinutes } from '../catalog/index.ts';
import type { AlertState, SloStatus } from '../slo/index.ts';
import type { AlertNotice, NoticeContext, NoticeEvent, NotifyUnit, SloAlertKind } from './types.ts';

/** Traffic cessation compares the last 30 minutes with the same 30 an hour earlier (SLO-MATH.md). */
const CESSATION_WINDOW = '30m';

function kindOf(name: string): SloAlertKind {
  if (name === 'budget-exhausted') return 'budget-exhausted';
  if (name === 'traffic-cessation') return 'traffic-cessation';
  return 'burn-rate';
}

function firstLink(links: readonly Link[], type: Link['type']): string | undefined {
  return links.find((link) => link.type === type)?.url;
}

/**
 * The notice context of an SLO from the catalog: the owner's runbook and dashboard links
 * (the team's when the owner has none), the owning team's chat and on-call page.
 * @example noticeContext({ unit: { id: 'eu-1' }, slo, owner: catalog.services.get('checkout')!, team })
 */
export function noticeContext(input: {
  unit: NotifyUnit;
  slo: Slo;
  owner: Service | Journey;
  team?: Team;
  sloUrl?: string;
}): NoticeContext {
  const { unit, slo, owner, team } = input;
  const teamLinks = team?.links ?? [];
  const runbookUrl = firstLink(owner.links, 'runbook') ?? firstLink(teamLinks, 'runbook');
  const dashboardUrl = firstLink(owner.links, 'dashboard') ?? firstLink(teamLinks, 'dashboard');
  const chat = team?.chat;
  const onCallUrl = team?.onCall?.url;
  return {
    unit: { ...unit },
    slo: { id: slo.id, name: slo.name, objectiveRatio: slo.objectiveRatio, windowText: slo.windowText },
    service: owner.name,
    team: {
      name: owner.owner,
      ...(chat === undefined ? {} : { chat }),
      ...(onCallUrl === undefined ? {} : { onCallUrl }),
    },
    links: {
      ...(runbookUrl === undefined ? {} : { runbookUrl }),
      ...(dashboardUrl === undefined ? {} : { dashboardUrl }),
      ...(input.sloUrl === undefined ? {} : { sloUrl: input.sloUrl }),
    },
  };
}

function notice(
  status: SloStatus,
  context: NoticeContext,
  alert: { name: string; severity: 'page' | 'ticket' },
  event: NoticeEvent,
  startsAtMs: number,
): AlertNotice {
  const kind = kindOf(alert.name);
  const tier = kind === 'burn-rate' ? status.tiers.find((t) => t.name === alert.name) : undefined;
  let window = context.slo.windowText;
  if (kind === 'traffic-cessation') window = CESSATION_WINDOW;
  if (tier !== undefined) window = formatMinutes(tier.long.minutes);
  return {
    kind,
    name: alert.name,
    severity: alert.severity,
    event,
    atMs: status.atMs,
    startsAtMs,
    resolvedAtMs: event === 'resolved' ? status.atMs : null,
    window,
    burn:
      tier === undefined
        ? null
        : {
            factor: tier.factor,
            longWindow: formatMinutes(tier.long.minutes),
            longBurnRate: tier.long.burnRate,
            shortWindow: formatMinutes(tier.short.minutes),
            shortBurnRate: tier.short.burnRate,
          },
    budget: {
      remainingRatio: status.budget.period.remainingRatio,
      burnRate1h: status.burnRate1h,
      timeToExhaustionMinutes: status.timeToExhaustionMinutes,
    },
    traffic:
      kind === 'traffic-cessation'
        ? {
            recentTotal: status.trafficCessation.recentTotal,
            baselineTotal: status.trafficCessation.baselineTotal,
          }
        : null,
    context,
  };
}

/**
 * The notices of one evaluation. `previous` is the alert state the evaluation started from
 * (what was passed to `evaluateSlo`): a resolution's `startsAtMs` is when the alert began
 * firing, which only that state still knows.
 * @example const notices = alertNotices(status, previousState, context)
 */
export function alertNotices(
  status: SloStatus,
  previous: AlertState | undefined,
  context: NoticeContext,
): AlertNotice[] {
  const out: AlertNotice[] = [];
  const changed = new Set<string>();
  for (const t of status.alerts.transitions) {
    changed.add(t.name);
    if (t.to === 'firing') {
      out.push(notice(status, context, t, 'firing', t.atMs));
    } else if (t.from === 'firing') {
      const before = previous?.alerts.find((a) => a.name === t.name && a.phase === 'firing');
      out.push(notice(status, context, t, 'resolved', before?.sinceMs ?? t.atMs));
    }
  }
  for (const alert of status.alerts.state.alerts) {
    if (alert.phase === 'firing' && !changed.has(alert.name)) {
      out.push(notice(status, context, alert, 'refresh', alert.sinceMs));
    }
  }
  return out;
}
