/**
 * The unit's evaluation loop body: every SLO of the catalog over the stored counts, alert
 * states carried from the previous evaluation (and across restarts), notices handed to the
 * dispatcher. Time is a parameter; the caller owns the clock and the schedule.
 */

import type { Catalog, Slo } from '../catalog/index.ts';
import { type AlertNotice, alertNotices, type NotifyUnit, noticeContext } from '../notify/index.ts';
import {
  type AlertState,
  type CountSeries,
  evaluateSlo,
  journeySeries,
  type SloStatus,
} from '../slo/index.ts';
import type { CountReader } from '../store/index.ts';
import type { UnitState } from './state.ts';

/** One SLO's latest evaluation. */
export interface SloEvaluation {
  slo: Slo;
  status?: SloStatus;
  /** Why there is no status (an invalid definition), said plainly. */
  error?: string;
}

/** What one pass over every SLO produced. */
export interface EvaluationReport {
  atMs: number;
  durationMs: number;
  evaluations: Map<string, SloEvaluation>;
  notices: AlertNotice[];
}

/** Every SLO of a catalog, service SLOs first, by id. */
export function catalogSlos(catalog: Catalog): Slo[] {
  return [
    ...[...catalog.services.values()].flatMap((service) => service.slos),
    ...[...catalog.journeys.values()].flatMap((journey) => journey.slos),
  ].sort((a, b) => a.id.localeCompare(b.id));
}

/** The counts an SLO is computed from: its SLI summed over label values, or a journey's weighted parts. */
export function sloSeries(slo: Slo, catalog: Catalog, reader: CountReader): CountSeries | string {
  if (slo.owner.kind === 'service') return reader.sliSeries(slo.sli ?? '');
  const journey = catalog.journeys.get(slo.owner.name);
  if (!journey) return `journey ${slo.owner.name} is not in the catalog`;
  const composed = journeySeries(
    journey.parts.map((part) => ({ series: reader.sliSeries(part.sli), weight: part.weight })),
  );
  return composed.ok ? composed.value : composed.issues.map((issue) => issue.message).join('; ');
}

/** Evaluates SLOs and keeps their alert states, in memory and in the unit's database. */
export class Evaluator {
  readonly #state: UnitState;
  readonly #unit: NotifyUnit;
  readonly #alertStates: Map<string, AlertState>;
  #last: EvaluationReport | undefined;

  constructor(state: UnitState, unit: NotifyUnit) {
    this.#state = state;
    this.#unit = unit;
    this.#alertStates = state.alertStates();
  }

  /** The latest report, for the read API. */
  get last(): EvaluationReport | undefined {
    return this.#last;
  }

  /** Evaluates every SLO at `atMs`, persists alert states, returns the notices to send. */
  evaluate(catalog: Catalog, atMs: number, clockMs: () => number = () => atMs): EvaluationReport {
    const started = clockMs();
    const reader = this.#state.reader();
    const evaluations = new Map<string, SloEvaluation>();
    const notices: AlertNotice[] = [];
    const changed = new Map<string, AlertState>();
    for (const slo of catalogSlos(catalog)) {
      const series = sloSeries(slo, catalog, reader);
      if (typeof series === 'string') {
        evaluations.set(slo.id, { slo, error: series });
        continue;
      }
      const previous = this.#alertStates.get(slo.id);
      const result = evaluateSlo(slo.definition, series, atMs, previous);
      if (!result.ok) {
        evaluations.set(slo.id, { slo, error: result.issues.map((issue) => issue.message).join('; ') });
        continue;
      }
      const status = result.value;
      evaluations.set(slo.id, { slo, status });
      const owner =
        slo.owner.kind === 'service'
          ? catalog.services.get(slo.owner.name)
          : catalog.journeys.get(slo.owner.name);
      if (owner) {
        const team = catalog.teams.get(owner.owner);
        notices.push(
          ...alertNotices(
            status,
            previous,
            noticeContext({ unit: this.#unit, slo, owner, ...(team ? { team } : {}) }),
          ),
        );
      }
      if (JSON.stringify(previous) !== JSON.stringify(status.alerts.state))
        changed.set(slo.id, status.alerts.state);
      this.#alertStates.set(slo.id, status.alerts.state);
    }
    if (changed.size > 0) this.#state.saveAlertStates(changed);
    const report = { atMs, durationMs: clockMs() - started, evaluations, notices };
    this.#last = report;
    return report;
  }
}
