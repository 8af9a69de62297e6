/**
 * The alert state machine of one SLO, pure: the caller persists `AlertState` between
 * evaluations and notifies on the returned transitions.
 *
 *   inactive ──condition──► pending ──held `for`──► firing ──cleared──► resolved ──► inactive
 *                 ▲            │ cleared                                  │ condition
 *                 └────────────┘                                          ▼ pending
 *
 * Like Prometheus, `for: 0` fires on the first true evaluation. Replaying an evaluation
 * (same or earlier `atMs`) changes nothing, so a restart with persisted state never re-fires.
 */

/** Where one alert is in its lifecycle. */
export type AlertPhase = 'inactive' | 'pending' | 'firing' | 'resolved';

/** Whether one alert's condition holds at an evaluation, and how long it must hold. */
export interface AlertCondition {
  /** Unique within the SLO: a tier name, 'budget-exhausted' or 'traffic-cessation'. */
  name: string;
  severity: 'page' | 'ticket';
  active: boolean;
  forMinutes: number;
}

/** Persisted state of one alert. */
export interface AlertInstance {
  name: string;
  severity: 'page' | 'ticket';
  phase: AlertPhase;
  /** When the current phase was entered. */
  sinceMs: number;
  /** When the condition last became true (start of pending); null while it is false. */
  activeSinceMs: number | null;
}

/** Persisted alert state of one SLO; plain JSON. */
export interface AlertState {
  /** The last evaluation applied; null before the first. */
  evaluatedAtMs: number | null;
  alerts: readonly AlertInstance[];
}

/** A change of phase, for notification and the incident timeline. */
export interface AlertTransition {
  name: string;
  severity: 'page' | 'ticket';
  from: AlertPhase;
  to: AlertPhase;
  atMs: number;
}

/** The state before any evaluation. */
export const INITIAL_ALERT_STATE: AlertState = Object.freeze({
  evaluatedAtMs: null,
  alerts: Object.freeze([]) as unknown as AlertInstance[],
});

/** New state and transitions after evaluating `conditions` at `atMs`. */
export interface AlertStep {
  state: AlertState;
  transitions: AlertTransition[];
}

function nextInstance(
  previous: AlertInstance | undefined,
  condition: AlertCondition,
  atMs: number,
  transitions: AlertTransition[],
): AlertInstance {
  const from: AlertPhase = previous?.phase ?? 'inactive';
  const activeSinceMs = condition.active ? (previous?.activeSinceMs ?? atMs) : null;
  let to: AlertPhase = from;
  switch (from) {
    case 'inactive':
    case 'resolved':
      if (condition.active) to = condition.forMinutes <= 0 ? 'firing' : 'pending';
      else to = 'inactive';
      break;
    case 'pending':
      if (!condition.active) to = 'inactive';
      else if (atMs - (activeSinceMs ?? atMs) >= condition.forMinutes * 60_000) to = 'firing';
      break;
    case 'firing':
      if (!condition.active) to = 'resolved';
      break;
  }
  if (to !== from) {
    transitions.push({ name: condition.name, severity: condition.severity, from, to, atMs });
  }
  if (previous !== undefined && to === from && previous.activeSinceMs === activeSinceMs) {
    if (previous.severity === condition.severity) return previous;
  }
  return {
    name: condition.name,
    severity: condition.severity,
    phase: to,
    sinceMs: to === from && previous !== undefined ? previous.sinceMs : atMs,
    activeSinceMs,
  };
}

/**
 * Advances every alert by one evaluation. Alerts whose condition is no longer listed are
 * dropped; a firing one is resolved first so no page is left open.
 */
export function stepAlerts(
  previous: AlertState | undefined,
  conditions: readonly AlertCondition[],
  atMs: number,
): AlertStep {
  const prior = previous ?? INITIAL_ALERT_STATE;
  if (prior.evaluatedAtMs !== null && atMs <= prior.evaluatedAtMs) {
    return { state: prior, transitions: [] };
  }
  const transitions: AlertTransition[] = [];
  const alerts: AlertInstance[] = [];
  for (const condition of conditions) {
    const before = prior.alerts.find((a) => a.name === condition.name);
    alerts.push(nextInstance(before, condition, atMs, transitions));
  }
  for (const gone of prior.alerts) {
    if (gone.phase === 'inactive' || conditions.some((c) => c.name === gone.name)) continue;
    const to: AlertPhase = gone.phase === 'firing' ? 'resolved' : 'inactive';
    transitions.push({ name: gone.name, severity: gone.severity, from: gone.phase, to, atMs });
  }
  return { state: { evaluatedAtMs: atMs, alerts }, transitions };
}
