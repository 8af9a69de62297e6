/**
 * The unit's evaluation loop body: every SLO of the catalog over the stored counts, alert
 * states carried from the previous evaluation (and across restarts), notices handed to the
 * dispatcher. Time is a parameter; the caller owns the clock and the schedule.
 */

import { type Catalog, formatMinutes, type Slo } from '../catalog/index.ts';
import { alertNotices, noticeContext } from '../notify/notices.ts';
import type { AlertNotice, NotifyUnit } from '../notify/types.ts';
import {
  type AlertState,
  type CountSeries,
  evaluateSlo,
  journeySeries,
  type SloStatus,
} from '../slo/index.ts';
import type { CountReader } from '../store/index.ts';
import type { AlertRecord, SloStatusRecord } from '../sync/index.ts';
import { compareText } from '../util/index.ts';
import type { UnsequencedRecord } from './outbox.ts';
import type { UnitState } from './state.ts';

type SloStatusBody = Omit<SloStatusRecord, 'seq'>;
type AlertBody = Omit<AlertRecord, 'seq'>;

/** The status snapshot the hub receives for one SLO (`sloStatusRecord`). */
export function sloStatusBody(slo: Slo, status: SloStatus): SloStatusBody {
  const windows = new Map<number, { burnRate: number; total: number }>();
  for (const tier of status.tiers) {
    for (const burn of [tier.long, tier.short]) windows.set(burn.minutes, burn);
  }
  const burnRates = [...windows.entries()]
    .sort(([a], [b]) => a - b)
    .slice(0, 32)
    .map(([minutes, burn]) => ({
      window: formatMinutes(minutes),
      windowMinutes: minutes,
      rate: burn.total > 0 && Number.isFinite(burn.burnRate) ? burn.burnRate : null,
    }));
  const finite = (value: number | null) => (value === null || !Number.isFinite(value) ? null : value);
  return {
    kind: 'slo_status',
    slo: slo.id,
    status: {
      atMs: status.atMs,
      objectiveRatio: status.objectiveRatio,
      windowMinutes: status.periodMinutes,
      good: status.good,
      total: status.total,
      sliRatio: finite(status.sliRatio),
      budgetRemainingRatio: finite(status.budget.period.remainingRatio),
      burnRates,
      firing: status.alerts.state.alerts
        .filter((alert) => alert.phase === 'firing')
        .map((alert) => alert.name)
        .slice(0, 32),
    },
  };
}

/** The alert records of one SLO's alert state, one per alert. */
export function alertBodies(sloId: string, state: AlertState): AlertBody[] {
  return state.alerts.map((alert) => ({
    kind: 'alert',
    slo: sloId,
    alert: alert.name,
    state: alert.phase,
    sinceMs: alert.sinceMs,
    severity: alert.severity,
    summary: `${sloId}: ${alert.name} (${alert.severity}) ${alert.phase}`,
  }));
}

/** Equal records, ignoring when a status was taken (an unchanged status is not sent again). */
function sameBody(a: UnsequencedRecord | undefined, b: UnsequencedRecord): boolean {
  if (a === undefined) return false;
  if (a.kind === 'slo_status' && b.kind === 'slo_status' && a.status && b.status) {
    return JSON.stringify({ ...a.status, atMs: 0 }) === JSON.stringify({ ...b.status, atMs: 0 });
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

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
  ].sort((a, b) => compareText(a.id, b.id));
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
    const records = this.#exports(catalog, evaluations, atMs);
    if (changed.size > 0 || records.length > 0) this.#state.saveEvaluation(changed, records);
    const report = { atMs, durationMs: clockMs() - started, evaluations, notices };
    this.#last = report;
    return report;
  }

  /**
   * What changed for the hub: SLO statuses that changed, alerts whose state changed, and
   * tombstones for SLOs that left the catalog (their alerts go inactive). Compared with
   * the last marked bodies, so a restart or a first hub connection sends the current state.
   */
  #exports(catalog: Catalog, evaluations: Map<string, SloEvaluation>, atMs: number): UnsequencedRecord[] {
    const outbox = this.#state.outbox;
    if (!outbox) return [];
    const stored = outbox.storedRecords();
    const out: UnsequencedRecord[] = [];
    const mark = (body: UnsequencedRecord, key: string) => {
      if (!sameBody(stored.get(key), body)) out.push(body);
    };
    const alertKey = (slo: string, alert: string) => JSON.stringify(['alert', slo, alert]);
    for (const [id, evaluation] of evaluations) {
      if (!evaluation.status) continue;
      mark(sloStatusBody(evaluation.slo, evaluation.status), JSON.stringify(['slo_status', id]));
      const bodies = alertBodies(id, evaluation.status.alerts.state);
      for (const body of bodies) mark(body, alertKey(id, body.alert));
      // Alerts the SLO no longer has (a tier removed) end.
      for (const [key, body] of stored) {
        if (body.kind !== 'alert' || body.slo !== id || bodies.some((b) => b.alert === body.alert)) continue;
        if (body.state === 'inactive' || body.state === 'resolved') continue;
        mark({ ...body, state: body.state === 'firing' ? 'resolved' : 'inactive', sinceMs: atMs }, key);
      }
    }
    const present = new Set(catalogSlos(catalog).map((slo) => slo.id));
    for (const [key, body] of stored) {
      if (body.kind === 'slo_status' && !present.has(body.slo) && !body.deleted) {
        mark({ kind: 'slo_status', slo: body.slo, deleted: true }, key);
      }
      if (body.kind === 'alert' && !present.has(body.slo) && body.state !== 'inactive') {
        mark({ ...body, state: 'inactive', sinceMs: atMs }, key);
      }
    }
    return out;
  }
}
