/**
 * The unit's database integrity check: once per start, in the background after the unit
 * is ready, `checkSqliteIntegrity` (SQLite's `quick_check` in a child process, O(file
 * size): seconds for a 1 GB file, measured in src/store/sqlite/integrity.ts). It runs on
 * every start, not only after an unclean stop: SQLite in WAL mode with `synchronous =
 * FULL` survives crashes, and damage comes from disks, file systems and other writers.
 *
 * A damaged file is never repaired or deleted here: the unit logs SQLite's findings, sets
 * `sextant_unit_store_integrity_ok 0`, raises `SextantUnitStoreDamaged` (severity
 * `ticket`) and keeps serving; what lives in damaged pages fails with an error when
 * touched (an ingest that needs them answers 5xx, which senders retry), the rest works.
 * The next start whose check passes resolves the alert.
 */

import { checkSqliteIntegrity } from '../store/index.ts';
import type { Logger } from './logger.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { UnitAlerts } from './unit-alerts.ts';

/** What the check needs. */
export interface StoreIntegrityDeps {
  /** The database file. */
  path: string;
  unitId: string;
  log: Logger;
  metrics: MetricsRegistry;
  alerts: UnitAlerts;
  /** Aborting (the unit stops) kills the check. */
  signal?: AbortSignal;
  /** Default `checkSqliteIntegrity` (tests pass a fake). */
  check?: typeof checkSqliteIntegrity;
}

export const STORE_DAMAGED_ALERT = 'SextantUnitStoreDamaged';

/** Runs the check once and reports it; never throws. */
export async function checkUnitStore(deps: StoreIntegrityDeps): Promise<void> {
  const { path, log, metrics, alerts } = deps;
  const checked = await (deps.check ?? checkSqliteIntegrity)(path, {
    maxProblems: 20,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (!checked.ok) {
    if (!deps.signal?.aborted)
      log('warn', 'the database integrity check did not run', { path, error: checked.message });
    return;
  }
  const report = checked.value;
  metrics.set(
    'sextant_unit_store_integrity_ok',
    "Whether the unit database passed SQLite's quick_check at this start (0: damaged; see the log).",
    report.ok ? 1 : 0,
  );
  metrics.set(
    'sextant_unit_store_integrity_check_seconds',
    'How long the integrity check at this start took.',
    report.durationMs / 1000,
  );
  if (report.ok) {
    log('info', 'the database passed its integrity check', { path, seconds: report.durationMs / 1000 });
  } else {
    log('error', 'the database is damaged: the unit keeps serving what it can read; nothing was deleted', {
      path,
      problems: report.problems,
      action:
        'stop the unit, copy the file (with its -wal and -shm files) aside, and rebuild it with `sqlite3 sextant-unit.db ".recover" | sqlite3 recovered.db`, or move it aside to start with empty counts',
    });
  }
  try {
    await alerts.update({
      alertname: STORE_DAMAGED_ALERT,
      severity: 'ticket',
      firing: !report.ok,
      summary: `unit ${deps.unitId}: its database failed SQLite's integrity check`,
      description:
        `SQLite's quick_check found ${report.problems.length} problem(s) in ${path}, the first: ` +
        `${report.problems[0] ?? ''}. The unit keeps serving; data in damaged pages fails when read or written. ` +
        'See the unit log for what to do; Sextant never deletes the file.',
    });
  } catch (error) {
    log('error', 'cannot queue the store integrity alert', { error: (error as Error).message });
  }
}
