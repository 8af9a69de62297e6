/**
 * The human sentences of a notice, shared by every format so an Alertmanager page, a
 * webhook and a Slack message say the same thing.
 */
import { formatMinutes } from '../catalog/index.ts';
import type { AlertNotice } from './types.ts';

/** A ratio as a percentage with up to 4 decimals and no trailing zeros: 0.999 -> `99.9%`. */
export function percentText(ratio: number): string {
  return `${Number((ratio * 100).toFixed(4))}%`;
}

/** A budget share with one decimal, so `16.7%` rather than `16.6667%`. */
function shareText(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** A burn-rate factor as the SRE Workbook writes it: 14.4, 13.44, 0.9333. */
function factorText(factor: number): string {
  return String(Number(factor.toFixed(4)));
}

/** `unit eu-1 (tenant acme, production)`. */
export function whereText(notice: AlertNotice): string {
  const { unit } = notice.context;
  const extra = [unit.tenant === undefined ? undefined : `tenant ${unit.tenant}`, unit.environment].filter(
    (part): part is string => part !== undefined && part !== '',
  );
  return `unit ${unit.id}${extra.length === 0 ? '' : ` (${extra.join(', ')})`}`;
}

/** One line: what is wrong (or no longer wrong) with which SLO. */
export function summaryText(notice: AlertNotice): string {
  const id = notice.context.slo.id;
  const resolved = notice.event === 'resolved';
  switch (notice.kind) {
    case 'burn-rate': {
      const burn = notice.burn;
      const factor = burn === null ? '' : ` ${factorText(burn.factor)}x`;
      if (resolved) return `${id}: error budget no longer burning above${factor} (${notice.name})`;
      const rate = burn === null ? '' : ` ${burn.longBurnRate.toFixed(1)}x the sustainable rate`;
      return `${id}: error budget burning${rate} (${notice.name})`;
    }
    case 'budget-exhausted': {
      const left = shareText(notice.budget.remainingRatio);
      return resolved
        ? `${id}: error budget no longer exhausted (${left} left)`
        : `${id}: error budget exhausted (${left} left)`;
    }
    case 'traffic-cessation':
      return resolved ? `${id}: traffic resumed` : `${id}: traffic stopped`;
  }
}

function budgetSentence(notice: AlertNotice): string {
  const { remainingRatio, timeToExhaustionMinutes } = notice.budget;
  if (remainingRatio <= 0)
    return `The ${notice.context.slo.windowText} error budget is spent (${shareText(remainingRatio)} left).`;
  const left = `${shareText(remainingRatio)} of the ${notice.context.slo.windowText} error budget is left`;
  if (timeToExhaustionMinutes === null) return `${left}.`;
  const minutes = Math.max(1, Math.round(timeToExhaustionMinutes));
  return `${left}; at the last hour's burn rate it is gone in ${formatMinutes(minutes)}.`;
}

/** A paragraph: the numbers behind the alert, the budget left, and where it was raised. */
export function descriptionText(notice: AlertNotice): string {
  const { slo, service, team } = notice.context;
  const objective = `its ${percentText(slo.objectiveRatio)} objective over ${slo.windowText}`;
  const budget = `${percentText(1 - slo.objectiveRatio)} error budget`;
  let what: string;
  switch (notice.kind) {
    case 'burn-rate': {
      const b = notice.burn;
      const rates =
        b === null
          ? ''
          : `burn rate ${b.longBurnRate.toFixed(2)} over ${b.longWindow} and ${b.shortBurnRate.toFixed(2)} over ${b.shortWindow}`;
      const factor =
        b === null ? 'its threshold' : `${factorText(b.factor)} times the ${budget} of ${objective}`;
      what =
        notice.event === 'resolved'
          ? `${slo.id} no longer burns its error budget faster than ${factor}: ${rates}.`
          : `${slo.id} burns its error budget faster than ${factor}: ${rates}.`;
      break;
    }
    case 'budget-exhausted':
      what =
        notice.event === 'resolved'
          ? `${slo.id} is back within the ${budget} of ${objective}.`
          : `${slo.id} has spent the whole ${budget} of ${objective}.`;
      break;
    case 'traffic-cessation': {
      const t = notice.traffic;
      what =
        notice.event === 'resolved'
          ? `${slo.id} records events again${t === null ? '' : ` (${t.recentTotal} in the last 30m)`}.`
          : `${slo.id} recorded no events in the last 30m, while the same 30 minutes one hour earlier had ${t === null ? 'traffic' : t.baselineTotal}.`;
      break;
    }
  }
  return `${what} ${budgetSentence(notice)} Service ${service}, team ${team.name}, ${whereText(notice)}.`;
}
