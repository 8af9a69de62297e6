/**
 * Checks of an `SloDefinition` the engine relies on, so evaluation never divides by zero
 * or loops forever. The catalog validates manifests with richer messages first.
 */
import { validateMaintenanceWindow } from './maintenance.ts';
import { type Issue, issue, type Result, withPathPrefix } from './result.ts';
import { isValidTimeZone } from './time-zone.ts';
import type { AlertTier, SloDefinition } from './types.ts';

const RESERVED_ALERT_NAMES = ['budget-exhausted', 'traffic-cessation'];

function tierPath(index: number, field: string): (string | number)[] {
  return ['alerting', 'tiers', index, field];
}

function firstTierNamed(tiers: readonly AlertTier[], name: string): number {
  for (let i = 0; i < tiers.length; i++) if (tiers[i]!.name === name) return i;
  return -1;
}

function positiveInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

/** Returns the definition unchanged when the engine can evaluate it, or every problem found. */
export function validateSloDefinition(definition: SloDefinition): Result<SloDefinition> {
  const issues: Issue[] = [];
  const d = definition;
  if (typeof d.id !== 'string' || d.id === '')
    issues.push(issue('invalid_value', ['id'], 'id must not be empty'));
  if (!(d.objectiveRatio > 0 && d.objectiveRatio < 1)) {
    issues.push(
      issue(
        'invalid_value',
        ['objectiveRatio'],
        'objectiveRatio must be between 0 and 1 exclusive (0.999 for 99.9%)',
      ),
    );
  }
  const w = d.window;
  if (w.kind === 'rolling') {
    if (!positiveInteger(w.minutes)) {
      issues.push(issue('invalid_value', ['window', 'minutes'], 'minutes must be a positive integer'));
    }
  } else {
    if (w.unit !== 'month' && w.unit !== 'quarter') {
      issues.push(issue('invalid_value', ['window', 'unit'], "unit must be 'month' or 'quarter'"));
    }
    if (!isValidTimeZone(w.timeZone)) {
      issues.push(
        issue('invalid_time_zone', ['window', 'timeZone'], `unknown IANA time zone '${w.timeZone}'`),
      );
    }
  }
  const b = d.budgeting;
  if (b.method === 'timeslices' || b.method === 'ratioTimeslices') {
    if (!positiveInteger(b.sliceMinutes)) {
      issues.push(
        issue('invalid_value', ['budgeting', 'sliceMinutes'], 'sliceMinutes must be a positive integer'),
      );
    }
  }
  if (b.method === 'timeslices') {
    if (!(b.sliceTargetRatio > 0 && b.sliceTargetRatio <= 1)) {
      issues.push(
        issue('invalid_value', ['budgeting', 'sliceTargetRatio'], 'sliceTargetRatio must be in (0, 1]'),
      );
    }
    if (b.emptySlice !== 'good' && b.emptySlice !== 'bad') {
      issues.push(issue('invalid_value', ['budgeting', 'emptySlice'], "emptySlice must be 'good' or 'bad'"));
    }
  }
  const a = d.alerting;
  if (!(a.minEvents >= 0 && Number.isFinite(a.minEvents))) {
    issues.push(issue('invalid_value', ['alerting', 'minEvents'], 'minEvents must be a finite number >= 0'));
  }
  if (a.wilsonConfidence !== undefined && !(a.wilsonConfidence > 0 && a.wilsonConfidence < 1)) {
    issues.push(
      issue('invalid_value', ['alerting', 'wilsonConfidence'], 'wilsonConfidence must be in (0, 1)'),
    );
  }
  // Plain loops without per-tier allocations: this runs on every evaluation.
  const tiers = a.tiers;
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i]!;
    if (typeof t.name !== 'string' || t.name === '') {
      issues.push(issue('invalid_value', tierPath(i, 'name'), 'name must not be empty'));
    } else if (RESERVED_ALERT_NAMES.includes(t.name) || firstTierNamed(tiers, t.name) !== i) {
      issues.push(issue('duplicate', tierPath(i, 'name'), `alert name '${t.name}' is already used`));
    }
    if (t.severity !== 'page' && t.severity !== 'ticket') {
      issues.push(issue('invalid_value', tierPath(i, 'severity'), "severity must be 'page' or 'ticket'"));
    }
    if (!(t.budgetShare > 0 && t.budgetShare <= 1)) {
      issues.push(issue('invalid_value', tierPath(i, 'budgetShare'), 'budgetShare must be in (0, 1]'));
    }
    if (!positiveInteger(t.longMinutes)) {
      issues.push(
        issue('invalid_value', tierPath(i, 'longMinutes'), 'longMinutes must be a positive integer'),
      );
    }
    if (!positiveInteger(t.shortMinutes)) {
      issues.push(
        issue('invalid_value', tierPath(i, 'shortMinutes'), 'shortMinutes must be a positive integer'),
      );
    }
    if (!(Number.isSafeInteger(t.forMinutes) && t.forMinutes >= 0)) {
      issues.push(issue('invalid_value', tierPath(i, 'forMinutes'), 'forMinutes must be an integer >= 0'));
    }
    if (t.factor !== undefined && !(t.factor > 0 && Number.isFinite(t.factor))) {
      issues.push(issue('invalid_value', tierPath(i, 'factor'), 'factor must be a finite number > 0'));
    }
  }
  for (let i = 0; i < d.maintenance.length; i++) {
    const problems = validateMaintenanceWindow(d.maintenance[i]!);
    if (problems.length > 0) issues.push(...withPathPrefix(problems, ['maintenance', i]));
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: definition };
}
