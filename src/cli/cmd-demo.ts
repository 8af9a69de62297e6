/**
 * `sextant demo`: the newcomer's first run. Validates the bundled example fleet, shows
 * what Sextant derives from it, then runs an Observability Unit on it, fed by a traffic
 * simulator with an error burst and a latency regression, in compressed time (one
 * simulated minute per second by default), printing alerts as they fire and resolve and
 * the SLO status as it changes.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Catalog, formatIssue } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import { type AlertNotice, summaryText } from '../notify/index.ts';
import { createSimulator, expectedCounts, type Simulator, startMetricsServer } from '../simulator/index.ts';
import { alertFactor, resolveWindow } from '../slo/index.ts';
import { type EvaluationReport, resolveUnitConfig, startUnit, UnitState } from '../unit/index.ts';
import { type Command, EXIT, type Io, parseFlags, UsageError } from './io.ts';
import { renderTable } from './table.ts';

const FLEET = fileURLToPath(new URL('../../examples/fleet/', import.meta.url));

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run a unit on the example fleet with simulated traffic and incidents; watch the SLOs react.',
  usage: `sextant demo [--minutes 45] [--speed 60] [--follow] [--catalog DIR]

  --minutes   simulated minutes to run (default 45)
  --speed     simulated seconds per real second (default 60: a minute per second)
  --follow    keep the unit and the simulator running after the scenario (Ctrl-C stops)
  --catalog   another catalog instead of examples/fleet/`,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        catalog: { type: 'string' },
        minutes: { type: 'string' },
        speed: { type: 'string' },
        follow: { type: 'boolean' },
      },
      false,
    );
    const minutes = positiveNumber(values.minutes, 45, '--minutes');
    const speed = positiveNumber(values.speed, 60, '--speed');
    const path = values.catalog ?? FLEET;
    io.stdout(`Sextant demo: the example fleet in ${values.catalog ?? 'examples/fleet/'}\n\n`);
    const { build, files } = await loadCatalogFromPaths([path]);
    for (const issue of build.issues) io.stdout(`${formatIssue(issue)}\n`);
    if (!build.valid) {
      io.stderr('the catalog does not validate; see the errors above\n');
      return EXIT.invalid;
    }
    const { catalog } = build;
    io.stdout(
      `valid: ${files.length} files, ${catalog.services.size} services, ${catalog.teams.size} teams, ${catalog.journeys.size} journeys, ${catalog.tenants.size} tenants\n\n`,
    );
    io.stdout(`${sloTable(catalog, Date.now())}\n`);
    return runLive(catalog, path, { minutes, speed, follow: values.follow === true }, io);
  },
};

function positiveNumber(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0))
    throw new UsageError(`${flag} must be a positive number, got "${text}"`);
  return value;
}

async function runLive(
  catalog: Catalog,
  catalogPath: string,
  options: { minutes: number; speed: number; follow: boolean },
  io: Io,
): Promise<number> {
  const realStart = Date.now();
  const simStart = Math.floor(realStart / 60_000) * 60_000;
  const now = () => simStart + (Date.now() - realStart) * options.speed;
  const minute = (m: number) => simStart + m * 60_000;
  const incidents = [
    { service: 'api', fromMs: minute(8), toMs: minute(20), errorRatio: 0.05 },
    { service: 'git', fromMs: minute(24), toMs: minute(34), latencyFactor: 8 },
  ];
  const historyMinutes = 24 * 60;
  const simulator = createSimulator(catalog, {
    seed: 7,
    startMs: simStart - historyMinutes * 60_000,
    // A healthy baseline (0.01 % errors, tight latency) so only the incidents burn budget.
    defaults: { requestsPerMinute: 1200, errorRatio: 0.0001, latencySigma: 0.35 },
    incidents,
  });
  const metricsServer = await startMetricsServer({ simulator, clock: now });
  const dataDir = await mkdtemp(join(tmpdir(), 'sextant-demo-'));
  // A day of healthy history first, written as exact per-minute counts, so budgets are
  // those of a service that has been running (the unit then scrapes live from here on).
  const history = prefill(
    simulator,
    join(dataDir, 'sextant-unit.db'),
    simStart / 60_000 - historyMinutes,
    historyMinutes,
  );
  if (typeof history === 'string') {
    await metricsServer.close();
    io.stderr(`${history}\n`);
    return EXIT.invalid;
  }
  const config = resolveUnitConfig({
    file: {
      path: 'demo unit',
      text: `unit: {id: demo-cell, tenant: gprd-cell-1}
catalog: ${JSON.stringify(catalogPath)}
dataDir: ${JSON.stringify(dataDir)}
listen: 127.0.0.1:0
evaluationInterval: 30s
sources:
  scrape:
    - {name: fleet, url: ${JSON.stringify(`${metricsServer.url}/metrics`)}, interval: 15s, timeout: 10s}
`,
    },
    flags: {},
    env: {},
  });
  if (!config.ok) throw new Error(config.issues.map((issue) => issue.message).join('; '));
  const started = await startUnit(config.value, {
    now,
    timeScale: options.speed,
    log: (level, message, fields) => {
      if (level === 'error') io.stderr(`unit error: ${message} ${JSON.stringify(fields ?? {})}\n`);
    },
  });
  if (!started.ok) {
    await metricsServer.close();
    io.stderr(`${started.message}\n`);
    return EXIT.invalid;
  }
  const unit = started.value;
  io.stdout(`Backfilled ${history.toLocaleString('en')} per-minute counts: a day of healthy traffic before now.
A unit is running at ${unit.url} (try ${unit.url}/api/v1/slos), scraping simulated traffic for the fleet.
Time runs ${options.speed}x: one simulated minute every ${Math.round(60_000 / options.speed) / 1000} s. Scenario:
  minute  8-20  api returns 5% errors
  minute 24-34  git latency regresses 8x
\n`);
  const simMinute = (ms: number) => Math.floor((ms - simStart) / 60_000);
  let seen: EvaluationReport | undefined;
  let nextTable = 15;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      const report = unit.lastEvaluation();
      if (report && report !== seen) {
        seen = report;
        for (const notice of report.notices) {
          if (notice.event === 'refresh') continue;
          io.stdout(`[minute ${String(simMinute(notice.atMs)).padStart(2)}] ${describeNotice(notice)}\n`);
        }
        if (simMinute(report.atMs) >= nextTable) {
          io.stdout(`\n${statusTable(report, simMinute(report.atMs))}\n`);
          nextTable += 15;
        }
      }
      if (!options.follow && now() >= minute(options.minutes)) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
    if (options.follow) {
      const stop = () => {
        clearInterval(poll);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
  });
  const last = unit.lastEvaluation();
  if (last)
    io.stdout(`\nAt the end (minute ${simMinute(last.atMs)}):\n${statusTable(last, simMinute(last.atMs))}`);
  await unit.close();
  await metricsServer.close();
  await rm(dataDir, { recursive: true, force: true });
  io.stdout(
    '\nNext: sextant unit --help, sextant catalog show api, sextant render prometheus-rules examples/fleet\n',
  );
  return EXIT.ok;
}

/** Writes the simulator's exact counts for `[fromMinute, fromMinute + minutes)` into the unit's store. */
function prefill(simulator: Simulator, dbPath: string, fromMinute: number, minutes: number): number | string {
  const series = new Map<
    string,
    { sli: string; labels: Record<string, string>; good: Float64Array; total: Float64Array }
  >();
  for (let offset = 0; offset < minutes; offset++) {
    for (const bucket of expectedCounts(simulator, fromMinute + offset)) {
      const key = `${bucket.sli}|${JSON.stringify(bucket.labels)}`;
      let entry = series.get(key);
      if (!entry) {
        entry = {
          sli: bucket.sli,
          labels: bucket.labels,
          good: new Float64Array(minutes),
          total: new Float64Array(minutes),
        };
        series.set(key, entry);
      }
      entry.good[offset] = bucket.good;
      entry.total[offset] = bucket.total;
    }
  }
  const opened = UnitState.open(dbPath);
  if (!opened.ok) return opened.message;
  try {
    const written = opened.value.store.putDenseSync(
      [...series.values()].map((entry) => ({ ...entry, startMinute: fromMinute })),
    );
    if (!written.ok) return written.issues.map((issue) => issue.message).join('; ');
    return written.value.buckets;
  } finally {
    opened.value.close();
  }
}

function describeNotice(notice: AlertNotice): string {
  const verb = notice.event === 'firing' ? (notice.severity === 'page' ? 'PAGE  ' : 'TICKET') : 'ok    ';
  return `${verb} ${notice.event === 'firing' ? 'firing  ' : 'resolved'} ${summaryText(notice)}`;
}

/** SLOs that are burning or alerting, with their numbers. */
function statusTable(report: EvaluationReport, simMinute: number): string {
  const rows = [...report.evaluations.values()]
    .filter((evaluation) => evaluation.status)
    .map((evaluation) => {
      const status = evaluation.status!;
      const firing = status.alerts.state.alerts
        .filter((alert) => alert.phase === 'firing')
        .map((alert) => alert.name);
      return {
        id: evaluation.slo.id,
        ratio: status.sliRatio,
        objective: evaluation.slo.objectiveRatio,
        remaining: status.budget.period.remainingRatio,
        burn: status.burnRate1h,
        firing,
      };
    })
    .filter(
      (row) => row.burn > 1 || row.firing.length > 0 || (row.ratio !== null && row.ratio < row.objective),
    )
    .sort((a, b) => b.burn - a.burn);
  if (rows.length === 0)
    return `minute ${simMinute}: every SLO is within its objective and nothing is burning\n`;
  return `minute ${simMinute}: SLOs burning budget\n${renderTable(
    ['SLO', 'SLI', 'OBJECTIVE', 'BUDGET LEFT', 'BURN 1H', 'FIRING'],
    rows.map((row) => [
      row.id,
      row.ratio === null ? 'no data' : `${(row.ratio * 100).toFixed(3)}%`,
      `${Number((row.objective * 100).toPrecision(10))}%`,
      `${(row.remaining * 100).toFixed(1)}%`,
      `${row.burn.toFixed(1)}x`,
      row.firing.join(', ') || '-',
    ]),
  )}`;
}

/** Every SLO with its budget in the units a person plans with. */
function sloTable(catalog: Catalog, atMs: number): string {
  const slos = [
    ...[...catalog.services.values()].flatMap((service) => service.slos),
    ...[...catalog.journeys.values()].flatMap((journey) => journey.slos),
  ].sort((a, b) => a.id.localeCompare(b.id));
  return renderTable(
    ['SLO', 'OBJECTIVE', 'WINDOW', 'BUDGETING', 'BUDGET', 'PAGE AT BURN RATE'],
    slos.map((slo) => {
      const { definition } = slo;
      const resolved = resolveWindow(definition.window, atMs);
      const period = resolved.periodToMinute - resolved.periodFromMinute;
      const pages = definition.alerting.enabled
        ? definition.alerting.tiers
            .filter((tier) => tier.severity === 'page')
            .map(
              (tier) =>
                `${Number(alertFactor(tier, period).toFixed(2))}x/${tier.longMinutes >= 60 ? `${tier.longMinutes / 60}h` : `${tier.longMinutes}m`}`,
            )
            .join(' ')
        : 'off';
      const budgetMinutes = (1 - slo.objectiveRatio) * period;
      const budget =
        definition.budgeting.method === 'occurrences'
          ? `${Number(((1 - slo.objectiveRatio) * 100).toPrecision(6))}% of events`
          : `${budgetMinutes >= 120 ? `${(budgetMinutes / 60).toFixed(1)}h` : `${Number(budgetMinutes.toFixed(2))}min`} of slices`;
      return [
        slo.id,
        `${Number((slo.objectiveRatio * 100).toPrecision(10))}%`,
        slo.windowText,
        definition.budgeting.method,
        budget,
        pages || '-',
      ];
    }),
  );
}
