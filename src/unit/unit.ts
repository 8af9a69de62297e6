/**
 * `sextant unit`: the Observability Unit. One per instance; it ingests metrics, keeps
 * exact SLI counts on its own disk, evaluates every SLO on a schedule, alerts, and needs
 * nothing else to keep doing so.
 */

import { mkdir, stat } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { buildCatalog, type Catalog, formatIssue, type SourceFile } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import { type BatchReducer, compileIngestPlan, type IngestPlan } from '../ingest/index.ts';
import {
  createDispatcher,
  type Dispatcher,
  type FetchLike,
  type NotificationQueue,
  notifyMetricsText,
  type ReceiverConfig,
} from '../notify/index.ts';
import { toError } from '../util/index.ts';
import { watchCatalog } from './catalog-watch.ts';
import { parseListen, type UnitConfig } from './config.ts';
import { type EvaluationReport, Evaluator } from './evaluator.ts';
import { unitApp } from './http.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { MetricsRegistry } from './metrics.ts';
import { startPromqlPull } from './promql-pull.ts';
import { startScrapers } from './scrape.ts';
import { type ApplyResult, UnitState } from './state.ts';

/** A running unit. */
export interface UnitHandle {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:9464`. */
  url: string;
  state: UnitState;
  metrics: MetricsRegistry;
  catalog(): Catalog;
  /** The latest evaluation, if one ran. */
  lastEvaluation(): EvaluationReport | undefined;
  /** Runs one evaluation now (also used by tests with a fake clock). */
  evaluateNow(): Promise<EvaluationReport>;
  /** Re-reads the catalog; keeps the last valid one when the new one is broken. */
  reloadCatalog(): Promise<boolean>;
  /** Graceful stop: stop accepting, finish deliveries in flight, close the store. */
  close(): Promise<void>;
}

export interface UnitOptions {
  /** Epoch ms; default `Date.now` (tests compress time with a fake clock). */
  now?: () => number;
  log?: Logger;
  fetch?: FetchLike;
  /** The notification queue; default the durable SQLite queue in the unit's database. */
  queue?: (state: UnitState) => NotificationQueue;
  /** Turn off the timers (tests drive evaluation with `evaluateNow`). */
  manual?: boolean;
  /** Simulated milliseconds per real millisecond for every timer (the demo runs at 60). */
  timeScale?: number;
}

const SNAPSHOT_KEY = 'catalog.snapshot';

/** Starts a unit; returns what went wrong instead of throwing on bad config or data. */
export async function startUnit(
  config: UnitConfig,
  options: UnitOptions = {},
): Promise<{ ok: true; value: UnitHandle } | { ok: false; message: string }> {
  const now = options.now ?? Date.now;
  const log = options.log ?? jsonLogger();
  const metrics = new MetricsRegistry();
  await mkdir(config.dataDir, { recursive: true });
  const dbPath = join(config.dataDir, 'sextant-unit.db');
  const opened = UnitState.open(dbPath, {
    retention: {
      minuteRetentionMinutes: Math.round(config.retention.minutes / 60_000),
      hourRetentionMinutes: Math.round(config.retention.hours / 60_000),
    },
  });
  if (!opened.ok) {
    const locked = /database is locked|SQLITE_BUSY/i.test(opened.message);
    return {
      ok: false,
      message: locked
        ? `the unit's database ${dbPath} is in use by another process (another unit or sextant backfill on the same data directory); stop it first`
        : `cannot open the unit's database ${dbPath}: ${opened.message}. If the file is damaged, move it aside (it is never deleted by Sextant) and start again to begin with empty counts.`,
    };
  }
  const state = opened.value;

  // Catalog: the one on disk, or the last valid one when the disk's is broken.
  let catalog: Catalog;
  let plan: IngestPlan;
  let catalogValid = false;
  const loadCatalog = async (): Promise<{ catalog: Catalog; valid: boolean } | string> => {
    const { build, files, problems } = await loadCatalogFromPaths([config.catalog]);
    const errors = build.issues.filter((issue) => issue.severity === 'error');
    if (build.valid && problems.length === 0 && files.length > 0) {
      state.setValue(SNAPSHOT_KEY, JSON.stringify(files));
      return { catalog: build.catalog, valid: true };
    }
    const reasons = [
      ...problems.map((problem) => `${problem.path}: ${problem.message}`),
      ...(files.length === 0 ? [`no catalog files in ${config.catalog}`] : []),
      ...errors.map(formatIssue),
    ];
    log('error', 'the catalog is invalid', { issues: reasons.slice(0, 50), count: reasons.length });
    const snapshot = state.getValue(SNAPSHOT_KEY);
    if (snapshot === undefined) return reasons.join('\n');
    const previous = buildCatalog(JSON.parse(snapshot) as SourceFile[]);
    log('warn', 'keeping the last valid catalog in force', { services: previous.catalog.services.size });
    return { catalog: previous.catalog, valid: false };
  };
  const first = await loadCatalog();
  if (typeof first === 'string') {
    state.close();
    return {
      ok: false,
      message: `the catalog ${config.catalog} is invalid and no earlier valid one is stored:\n${first}`,
    };
  }
  catalog = first.catalog;
  catalogValid = first.valid;
  plan = compileIngestPlan(catalog);

  const unitInfo = {
    id: config.unit.id,
    ...(config.unit.tenant === undefined ? {} : { tenant: config.unit.tenant }),
    environment: config.unit.environment,
  };
  const evaluator = new Evaluator(state, unitInfo);

  let dispatcher: Dispatcher | undefined;
  if (config.notifiers.length > 0) {
    const queueFactory = options.queue ?? (await defaultQueue());
    const receivers: ReceiverConfig[] = config.notifiers.map((notifier, index) =>
      notifier.kind === 'alertmanager'
        ? { kind: 'alertmanager', urls: notifier.urls, name: notifier.name ?? `alertmanager-${index}` }
        : {
            kind: 'webhook',
            url: notifier.url,
            format: notifier.format,
            headers: notifier.headers,
            name: notifier.name ?? `webhook-${index}`,
          },
    );
    const created = createDispatcher({
      queue: queueFactory(state),
      receivers,
      clock: now,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      log: (record) => log(record.level, record.message, { ...record }),
    });
    if (!created.ok) {
      state.close();
      return { ok: false, message: created.issues.map((issue) => issue.message).join('; ') };
    }
    dispatcher = created.value;
  }

  let evaluated = false;
  let evaluating: Promise<EvaluationReport> | undefined;
  const evaluateNow = async (): Promise<EvaluationReport> => {
    if (evaluating) return evaluating;
    evaluating = (async () => {
      const report = evaluator.evaluate(catalog, now(), () => performance.now());
      evaluated = true;
      metrics.set(
        'sextant_unit_evaluation_duration_seconds',
        'Duration of the last evaluation of every SLO.',
        report.durationMs / 1000,
      );
      metrics.set(
        'sextant_unit_last_evaluation_timestamp_seconds',
        'When the last evaluation ran.',
        report.atMs / 1000,
      );
      metrics.inc('sextant_unit_evaluations_total', 'Evaluations of every SLO.');
      let firing = 0;
      for (const evaluation of report.evaluations.values()) {
        firing +=
          evaluation.status?.alerts.state.alerts.filter((alert) => alert.phase === 'firing').length ?? 0;
      }
      metrics.set('sextant_unit_alerts_firing', 'Alerts firing after the last evaluation.', firing);
      if (dispatcher && report.notices.length > 0) await dispatcher.submit(report.notices);
      return report;
    })();
    try {
      return await evaluating;
    } finally {
      evaluating = undefined;
    }
  };

  const reloadCatalog = async (): Promise<boolean> => {
    const loaded = await loadCatalog();
    if (typeof loaded === 'string' || !loaded.valid) {
      catalogValid = false;
      metrics.set(
        'sextant_unit_catalog_valid',
        'Whether the catalog on disk is valid (0: the last valid one is in force).',
        0,
      );
      return false;
    }
    catalog = loaded.catalog;
    plan = compileIngestPlan(catalog);
    catalogValid = true;
    metrics.set(
      'sextant_unit_catalog_valid',
      'Whether the catalog on disk is valid (0: the last valid one is in force).',
      1,
    );
    metrics.inc('sextant_unit_catalog_reloads_total', 'Catalog reloads that took effect.');
    log('info', 'catalog reloaded', { services: catalog.services.size });
    return true;
  };
  metrics.set(
    'sextant_unit_catalog_valid',
    'Whether the catalog on disk is valid (0: the last valid one is in force).',
    catalogValid ? 1 : 0,
  );
  metrics.set('sextant_unit_info', 'The unit, its tenant and environment.', 1, {
    unit: config.unit.id,
    tenant: config.unit.tenant ?? '',
    environment: config.unit.environment,
  });
  metrics.collect(
    'sextant_unit_tracked_series',
    'Raw series whose last sample the unit keeps.',
    'gauge',
    () => [{ labels: {}, value: state.trackedSeries }],
  );

  const ingest = (source: string, feed: (reducer: BatchReducer) => void): ApplyResult => {
    const result = state.apply(plan, now(), feed);
    for (const [outcome, count] of Object.entries(result.outcomes)) {
      if (count > 0) {
        metrics.inc(
          'sextant_unit_samples_total',
          'Samples by source and outcome (counted, duplicate, out_of_order, ...).',
          { source, outcome },
          count,
        );
      }
    }
    return result;
  };
  const app = unitApp({
    config,
    state,
    metrics,
    evaluator,
    catalog: () => catalog,
    plan: () => plan,
    now,
    notReady: () => [
      ...(evaluated ? [] : ['the first evaluation has not run yet']),
      ...(closing ? ['shutting down'] : []),
    ],
    ingest,
  });
  app.get('/metrics/notify', async (c) =>
    c.text(dispatcher ? notifyMetricsText(await dispatcher.metrics()) : '', 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    }),
  );

  const { host, port } = parseListen(config.listen);
  let closing = false;
  const server = await new Promise<ReturnType<typeof serve> | Error>((resolve) => {
    // Listen errors (EADDRINUSE, EACCES) are emitted after serve() returns.
    const started = serve({ fetch: app.fetch, hostname: host, port });
    started.once('listening', () => resolve(started));
    started.once('error', (error) => resolve(error));
  });
  if (server instanceof Error) {
    state.close();
    return { ok: false, message: `cannot listen on ${config.listen}: ${server.message}` };
  }
  // server.close() ends only the connections idle at that moment, so a sender that keeps
  // its keep-alive connection busy (Prometheus does) would hold a graceful stop open for
  // ever. While closing, answers say `Connection: close` and idle connections are ended
  // until none is left (`close()` below). serve() without options makes a node:http server.
  const httpServer = server as HttpServer;
  httpServer.prependListener('request', (_request, response) => {
    if (closing) response.setHeader('Connection', 'close');
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const timers: NodeJS.Timeout[] = [];
  const scale = options.timeScale ?? 1;
  let stopScrapers = () => {};
  let stopPull = async () => {};
  let stopWatch = () => {};
  if (!options.manual) {
    const tick = () =>
      evaluateNow().catch((error) => log('error', 'evaluation failed', { error: toError(error).message }));
    void tick();
    timers.push(setInterval(tick, config.evaluationInterval / scale));
    stopScrapers = startScrapers(config.sources.scrape, {
      now,
      ingest: ingest,
      metrics,
      log,
      timeScale: scale,
    });
    stopPull = startPromqlPull(
      config.sources.promql,
      { state, catalog: () => catalog, now, log, metrics },
      { timeScale: scale },
    );
    const housekeeping = async () => {
      try {
        const report = await state.store.applyRetention(Math.floor(now() / 60_000));
        if (!report.ok)
          log('warn', 'retention failed', { issues: report.issues.map((issue) => issue.message) });
        state.pruneSums(now());
        const size = await databaseBytes(dbPath);
        metrics.set('sextant_unit_store_bytes', 'Size of the unit database and its WAL.', size);
      } catch (error) {
        log('error', 'housekeeping failed', { error: toError(error).message });
      }
    };
    void housekeeping();
    timers.push(setInterval(housekeeping, (10 * 60_000) / scale));
    dispatcher?.start(1000);
    stopWatch = watchCatalog(config.catalog, reloadCatalog, {
      onError: (error) =>
        log('warn', 'catalog watch failed; changes are picked up by polling', { error: error.message }),
    });
  }
  for (const timer of timers) timer.unref();
  log('info', 'unit started', { url, unit: config.unit.id, services: catalog.services.size, catalogValid });

  return {
    ok: true,
    value: {
      url,
      state,
      metrics,
      catalog: () => catalog,
      lastEvaluation: () => evaluator.last,
      evaluateNow,
      reloadCatalog,
      async close() {
        if (closing) return;
        closing = true;
        for (const timer of timers) clearInterval(timer);
        stopScrapers();
        await stopPull();
        stopWatch();
        const sweep = setInterval(() => httpServer.closeIdleConnections(), 50);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        clearInterval(sweep);
        if (evaluating) await evaluating.catch(() => undefined);
        if (dispatcher) {
          await dispatcher.deliverDue().catch(() => undefined);
          await dispatcher.stop();
        }
        state.close();
        log('info', 'unit stopped', { unit: config.unit.id });
      },
    },
  };
}

async function databaseBytes(path: string): Promise<number> {
  let total = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      total += (await stat(file)).size;
    } catch {
      // no WAL yet
    }
  }
  return total;
}

async function defaultQueue(): Promise<(state: UnitState) => NotificationQueue> {
  const { SqliteNotificationQueue } = await import('./notification-queue.ts');
  return (state) => new SqliteNotificationQueue(state.db);
}
