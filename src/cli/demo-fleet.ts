/**
 * The fleet part of `sextant demo`: a hub and three units (two production cells and a
 * dedicated tenant) on the embedded store, in one process. Each unit scrapes its own
 * traffic simulator, takes its catalog from the hub, and pushes its records to the hub
 * through the real HTTP protocol; the demo prints the hub's fleet budget table as it
 * converges, and at the end proves convergence by comparing canonical checksums.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog } from '../catalog/index.ts';
import { type HubHandle, issueApiToken, issueUnitToken, resolveHubConfig, startHub } from '../hub/index.ts';
import { type AlertNotice, summaryText } from '../notify/index.ts';
import { createSimulator, expectedCounts, type Simulator, startMetricsServer } from '../simulator/index.ts';
import { canonicalChecksum } from '../sync/index.ts';
import {
  type EvaluationReport,
  exportedRecords,
  resolveUnitConfig,
  startUnit,
  type UnitHandle,
  UnitState,
} from '../unit/index.ts';
import { EXIT, type Io } from './io.ts';
import { renderTable } from './table.ts';

/** One unit of the demo fleet and what goes wrong on it. */
interface DemoUnit {
  id: string;
  tenant: string;
  seed: number;
  incidents: { service: string; from: number; to: number; errorRatio?: number; latencyFactor?: number }[];
  story: string;
}

const UNITS: readonly DemoUnit[] = [
  {
    id: 'gprd-cell-1',
    tenant: 'gprd-cell-1',
    seed: 7,
    incidents: [{ service: 'api', from: 8, to: 20, errorRatio: 0.05 }],
    story: 'minute  8-20  api returns 5% errors',
  },
  { id: 'gprd-cell-2', tenant: 'gprd-cell-2', seed: 11, incidents: [], story: 'healthy all along' },
  {
    id: 'dedicated-acme',
    tenant: 'dedicated-acme',
    seed: 13,
    incidents: [{ service: 'git', from: 24, to: 34, latencyFactor: 8 }],
    story: 'minute 24-34  git latency regresses 8x',
  },
];

const HISTORY_MINUTES = 24 * 60;

interface Running {
  spec: DemoUnit;
  unit: UnitHandle;
  close: () => Promise<void>;
}

/** Runs the fleet scenario; returns the exit code. */
export async function runFleetDemo(
  catalog: Catalog,
  catalogPath: string,
  options: { minutes: number; speed: number; follow: boolean },
  io: Io,
): Promise<number> {
  const realStart = Date.now();
  const simStart = Math.floor(realStart / 60_000) * 60_000;
  const now = () => simStart + (Date.now() - realStart) * options.speed;
  const minute = (m: number) => simStart + m * 60_000;
  const simMinute = (ms: number) => Math.floor((ms - simStart) / 60_000);
  const root = await mkdtemp(join(tmpdir(), 'sextant-demo-'));
  const cleanups: (() => Promise<void>)[] = [() => rm(root, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  };
  const quiet = (who: string) => (level: string, message: string, fields?: Record<string, unknown>) => {
    if (level === 'error') io.stderr(`${who} error: ${message} ${JSON.stringify(fields ?? {})}\n`);
  };

  const hubConfig = resolveHubConfig({
    file: {
      path: 'demo hub',
      text: `listen: 127.0.0.1:0\ndataDir: ${JSON.stringify(join(root, 'hub'))}\ncatalog: ${JSON.stringify(catalogPath)}\nlogLevel: error\n`,
    },
    flags: {},
    env: {},
  });
  if (!hubConfig.ok)
    throw new Error(hubConfig.issues.map((issue) => `${issue.where}: ${issue.message}`).join('; '));
  const startedHub = await startHub(hubConfig.value, { now, log: quiet('hub') });
  if (!startedHub.ok) {
    await cleanup();
    io.stderr(`${startedHub.message}\n`);
    return EXIT.invalid;
  }
  const hub = startedHub.value;
  cleanups.push(() => hub.close());
  const admin = await issueApiToken(hub.store, {
    name: 'demo admin',
    role: 'admin',
    tenants: ['*'],
    nowMs: now(),
  });
  const dedicatedViewer = await issueApiToken(hub.store, {
    name: 'demo viewer of dedicated tenants',
    role: 'viewer',
    tenants: ['dedicated-*'],
    nowMs: now(),
  });

  const running: Running[] = [];
  for (const spec of UNITS) {
    const started = await startDemoUnit(spec, {
      catalog,
      hub,
      root,
      simStart,
      now,
      speed: options.speed,
      io,
    });
    if (typeof started === 'string') {
      io.stderr(`${started}\n`);
      for (const item of running) await item.close();
      await cleanup();
      return EXIT.invalid;
    }
    running.push(started);
  }
  cleanups.push(async () => {
    for (const item of running) await item.close();
  });

  io.stdout(`A hub is running at ${hub.url} (fleet API: ${hub.url}/api/v1/openapi.json) with three units.
Each unit backfilled a day of healthy traffic, scrapes its own simulated traffic, takes its
catalog from the hub and pushes its records to the hub every 15 s (simulated).
Time runs ${options.speed}x: one simulated minute every ${Math.round(60_000 / options.speed) / 1000} s.
${renderTable(
  ['UNIT', 'TENANT', 'SCENARIO'],
  running.map(({ spec }) => [spec.id, spec.tenant, spec.story]),
)}
Admin token for this run (try curl -H "Authorization: Bearer ..." ${hub.url}/api/v1/fleet/budgets):
  ${admin.token}
`);

  const seen = new Map<string, EvaluationReport>();
  let nextTable = 15;
  let tableBusy = false;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      for (const { spec, unit } of running) {
        const report = unit.lastEvaluation();
        if (!report || report === seen.get(spec.id)) continue;
        seen.set(spec.id, report);
        for (const notice of report.notices) {
          if (notice.event === 'refresh') continue;
          io.stdout(
            `[minute ${String(simMinute(notice.atMs)).padStart(2)}] ${spec.id.padEnd(15)} ${describeNotice(notice)}\n`,
          );
        }
      }
      const at = simMinute(now());
      if (at >= nextTable && !tableBusy) {
        tableBusy = true;
        nextTable += 15;
        void hubTable(hub, admin.token, at, running)
          .then((text) => io.stdout(`\n${text}\n`))
          .catch((error: unknown) => io.stderr(`hub query failed: ${String(error)}\n`))
          .finally(() => {
            tableBusy = false;
          });
      }
      if (!options.follow && now() >= minute(options.minutes) && !tableBusy) {
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

  io.stdout(
    `\nAt the end (minute ${simMinute(now())}):\n${await hubTable(hub, admin.token, simMinute(now()), running)}\n`,
  );
  io.stdout(`${await convergence(hub, running)}\n`);
  const scoped = (await getJson(hub, dedicatedViewer.token, '/api/v1/units')) as { units?: { id: string }[] };
  io.stdout(
    `Tenant isolation: a viewer token for "dedicated-*" sees ${JSON.stringify((scoped.units ?? []).map((unit) => unit.id))} and nothing of the cells.\n`,
  );
  await cleanup();
  io.stdout(
    '\nNext: sextant hub --help, sextant unit --help, sextant catalog show api, sextant render prometheus-rules examples/fleet\n',
  );
  return EXIT.ok;
}

async function startDemoUnit(
  spec: DemoUnit,
  context: {
    catalog: Catalog;
    hub: HubHandle;
    root: string;
    simStart: number;
    now: () => number;
    speed: number;
    io: Io;
  },
): Promise<Running | string> {
  const { hub, root, simStart, now } = context;
  const minute = (m: number) => simStart + m * 60_000;
  const simulator = createSimulator(context.catalog, {
    seed: spec.seed,
    startMs: simStart - HISTORY_MINUTES * 60_000,
    // A healthy baseline (0.01 % errors, tight latency) so only the incidents burn budget.
    defaults: { requestsPerMinute: 1200, errorRatio: 0.0001, latencySigma: 0.35 },
    incidents: spec.incidents.map((incident) => ({
      service: incident.service,
      fromMs: minute(incident.from),
      toMs: minute(incident.to),
      ...(incident.errorRatio === undefined ? {} : { errorRatio: incident.errorRatio }),
      ...(incident.latencyFactor === undefined ? {} : { latencyFactor: incident.latencyFactor }),
    })),
  });
  const metricsServer = await startMetricsServer({ simulator, clock: now });
  const dataDir = join(root, spec.id);
  await mkdir(dataDir, { recursive: true });
  const registered = await hub.store.createUnit(
    { id: spec.id, tenant: spec.tenant, environment: 'production' },
    now(),
  );
  if (!registered.ok) return registered.message;
  const token = await issueUnitToken(hub.store, spec.id, { nowMs: now() });
  const tokenFile = join(root, `${spec.id}.token`);
  await writeFile(tokenFile, `${token.token}\n`, { mode: 0o600 });
  // A day of healthy history, written as exact per-minute counts before the unit starts;
  // the unit sends it to the hub (as hourly records) on its first connection.
  const history = prefill(
    simulator,
    join(dataDir, 'sextant-unit.db'),
    simStart / 60_000 - HISTORY_MINUTES,
    HISTORY_MINUTES,
  );
  if (typeof history === 'string') {
    await metricsServer.close();
    return history;
  }
  const config = resolveUnitConfig({
    file: {
      path: `demo unit ${spec.id}`,
      text: `unit: {id: ${spec.id}, tenant: ${spec.tenant}, environment: production}
dataDir: ${JSON.stringify(dataDir)}
listen: 127.0.0.1:0
evaluationInterval: 30s
hub: {url: ${JSON.stringify(hub.url)}, tokenFile: ${JSON.stringify(tokenFile)}, catalog: true}
sync: {pushInterval: 15s, resolution: 5m}
sources:
  scrape:
    - {name: app, url: ${JSON.stringify(`${metricsServer.url}/metrics`)}, interval: 15s, timeout: 10s}
`,
    },
    flags: {},
    env: {},
  });
  if (!config.ok) {
    await metricsServer.close();
    return config.issues.map((issue) => `${issue.where}: ${issue.message}`).join('; ');
  }
  const started = await startUnit(config.value, {
    now,
    timeScale: context.speed,
    log: quietUnit(spec.id, context.io),
  });
  if (!started.ok) {
    await metricsServer.close();
    return started.message;
  }
  const unit = started.value;
  return {
    spec,
    unit,
    close: async () => {
      await metricsServer.close();
      await unit.close();
    },
  };
}

function quietUnit(id: string, io: Io) {
  return (level: string, message: string, fields?: Record<string, unknown>) => {
    if (level === 'error') io.stderr(`unit ${id} error: ${message} ${JSON.stringify(fields ?? {})}\n`);
  };
}

async function getJson(hub: HubHandle, token: string, path: string): Promise<unknown> {
  const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body: unknown = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

interface BudgetRow {
  slo: string;
  total: number;
  sliRatio: number | null;
  objectiveRatio: number;
  budget: { period: { remainingRatio: number } };
}

/** The hub's fleet budget table: every SLO with traffic, the fleet and each tenant. */
async function hubTable(
  hub: HubHandle,
  token: string,
  simMinute: number,
  running: readonly Running[],
): Promise<string> {
  const fleet = (await getJson(hub, token, '/api/v1/fleet/budgets?groupBy=slo')) as {
    groups: { key: string; slos: BudgetRow[] }[];
  };
  const byTenant = (await getJson(hub, token, '/api/v1/fleet/budgets?groupBy=tenant')) as {
    groups: { key: string; slos: BudgetRow[] }[];
  };
  const tenants = running.map(({ spec }) => spec.tenant);
  const remaining = new Map<string, string>();
  for (const group of byTenant.groups) {
    for (const row of group.slos) {
      if (row.total > 0)
        remaining.set(`${group.key}\u0000${row.slo}`, percent(row.budget.period.remainingRatio, 1));
    }
  }
  const rows = fleet.groups
    .flatMap((group) => group.slos)
    .filter((row) => row.total > 0)
    .sort((a, b) => a.budget.period.remainingRatio - b.budget.period.remainingRatio)
    .slice(0, 12);
  const units = (await getJson(hub, token, '/api/v1/units')) as { units: { id: string; ackedSeq: number }[] };
  const acked = new Map(units.units.map((unit) => [unit.id, unit.ackedSeq]));
  const sync = running
    .map(({ spec, unit }) => {
      const status = unit.sync?.status();
      return `${spec.id} acked ${acked.get(spec.id) ?? 0}, ${status?.pending ?? 0} pending`;
    })
    .join('; ');
  return `minute ${simMinute}: the hub's fleet budget table (budget left per SLO window; ${rows.length} SLOs with the least left)
${renderTable(
  ['SLO', 'FLEET SLI', 'OBJECTIVE', 'FLEET LEFT', ...tenants.map((tenant) => tenant.toUpperCase())],
  rows.map((row) => [
    row.slo,
    row.sliRatio === null ? 'no data' : percent(row.sliRatio, 3),
    `${Number((row.objectiveRatio * 100).toPrecision(10))}%`,
    percent(row.budget.period.remainingRatio, 1),
    ...tenants.map((tenant) => remaining.get(`${tenant}\u0000${row.slo}`) ?? '-'),
  ]),
)}replication: ${sync}`;
}

/** Pushes what is pending and compares each unit's canonical checksum with the hub's. */
async function convergence(hub: HubHandle, running: readonly Running[]): Promise<string> {
  const lines: string[] = [];
  for (const { spec, unit } of running) {
    let verdict = 'not converged yet (its records kept changing)';
    for (let round = 1; round <= 20; round++) {
      await unit.sync?.drain();
      const local = canonicalChecksum(exportedRecords(unit.state));
      const remote = await hub.store.checksum(spec.id);
      if (local === remote) {
        verdict = `converged: ${local.slice(0, 19)}... on both sides`;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    lines.push(`  ${spec.id.padEnd(15)} ${verdict}`);
  }
  return `Convergence (canonical checksum of the unit's exported records vs the hub's):\n${lines.join('\n')}`;
}

function percent(ratio: number, digits: number): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

function describeNotice(notice: AlertNotice): string {
  const verb = notice.event === 'firing' ? (notice.severity === 'page' ? 'PAGE  ' : 'TICKET') : 'ok    ';
  return `${verb} ${notice.event === 'firing' ? 'firing  ' : 'resolved'} ${summaryText(notice)}`;
}

/** Writes the simulator's exact counts for `[fromMinute, fromMinute + minutes)` into a unit's store. */
export function prefill(
  simulator: Simulator,
  dbPath: string,
  fromMinute: number,
  minutes: number,
): number | string {
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
