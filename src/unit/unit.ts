/**
 * `sextant unit`: the Observability Unit. One per instance; it ingests metrics, keeps
 * exact SLI counts on its own disk, evaluates every SLO on a schedule, alerts, and needs
 * nothing else to keep doing so.
 */

import { mkdir, readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { basename, join, relative, resolve } from 'node:path';
import { buildCatalog, type Catalog, formatIssue, type SourceFile } from '../catalog/index.ts';
import { loadCatalogFromPaths, watchCatalog } from '../catalog-files/index.ts';
import { type BatchReducer, compileIngestPlan, type IngestPlan } from '../ingest/index.ts';
import type { Dispatcher, FetchLike, NotificationQueue, ReceiverConfig } from '../notify/index.ts';
import type { PushResponse } from '../sync/index.ts';
import { toError } from '../util/index.ts';
import { parseListen, type UnitConfig } from './config.ts';
import { type EvaluationReport, Evaluator } from './evaluator.ts';
import { exportPolicyOf } from './export-policy.ts';
import { metricsReply, unitApp } from './http.ts';
import {
  catalogVersionOf,
  fetchHubCatalog,
  loadStoredHubCatalog,
  parseOverrides,
  storeHubCatalog,
  type UnitOverrides,
  validateBundle,
} from './hub-catalog.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { MetricsRegistry } from './metrics.ts';
import type { OutboxSettings } from './outbox.ts';
import type { PullOwnership } from './promql-pull.ts';
import { type ApplyResult, LATE_SAMPLE_HORIZON_MINUTES, UnitState } from './state.ts';
import { checkUnitStore } from './store-integrity.ts';
import type { HttpFetch, QuotaState, SyncClient, SyncTimers } from './sync-client.ts';
import { UnitAlerts } from './unit-alerts.ts';

/** The catalog a unit runs: where it came from and its version. */
export interface RunningCatalog {
  source: 'local' | 'hub';
  version: string;
}

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
  /** The running catalog's source and version; undefined while the catalog is empty. */
  runningCatalog(): RunningCatalog | undefined;
  /** The push loop to the hub; undefined without `hub` in the configuration. */
  sync: SyncClient | undefined;
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
  /** Jitter source for the push loop; default `Math.random`. */
  random?: () => number;
  /** Timers of the push loop (tests step them by hand). */
  syncTimers?: SyncTimers;
}

const SNAPSHOT_KEY = 'catalog.snapshot';
const CATALOG_VALID_HELP = 'Whether the catalog on disk is valid (0: the last valid one is in force).';

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
  const fetchImpl: HttpFetch = options.fetch ?? ((url, init) => fetch(url, init));

  // Replication: marking starts before anything else can change the data.
  let overrides: UnitOverrides = {};
  const outboxSettings = (): OutboxSettings => ({
    resolutionMinutes: overrides.exportResolutionMinutes ?? config.sync.resolution / 60_000,
    policy: exportPolicyOf(config.sync.export),
  });
  if (config.hub) state.enableOutbox(outboxSettings(), now());
  else if (state.disableOutbox()) log('info', 'no hub configured: stopped marking records for replication');

  // Catalog: the hub's (when configured and stored), else the one on disk, or the last
  // valid one when the disk's is broken, else none yet.
  const localPath = config.catalog === '' ? undefined : config.catalog;
  const hubCatalog = config.hub?.catalog === true;
  let catalog: Catalog;
  let plan: IngestPlan;
  let catalogValid = false;
  let running: RunningCatalog | undefined;
  const localVersion = (files: readonly SourceFile[]): string => {
    const root = resolve(localPath ?? '.');
    return catalogVersionOf(
      files.map((file) => ({
        path: relative(root, resolve(file.path)).split('\\').join('/') || basename(file.path),
        text: file.text,
      })),
    );
  };
  const loadCatalog = async (): Promise<{ catalog: Catalog; valid: boolean; version: string } | string> => {
    const path = localPath ?? '';
    const { build, files, problems } = await loadCatalogFromPaths([path]);
    const errors = build.issues.filter((issue) => issue.severity === 'error');
    if (build.valid && problems.length === 0 && files.length > 0) {
      state.setValue(SNAPSHOT_KEY, JSON.stringify(files));
      return { catalog: build.catalog, valid: true, version: localVersion(files) };
    }
    const reasons = [
      ...problems.map((problem) => `${problem.path}: ${problem.message}`),
      ...(files.length === 0 ? [`no catalog files in ${path}`] : []),
      ...errors.map(formatIssue),
    ];
    log('error', 'the catalog is invalid', { issues: reasons.slice(0, 50), count: reasons.length });
    const snapshot = state.getValue(SNAPSHOT_KEY);
    if (snapshot === undefined) return reasons.join('\n');
    const previousFiles = JSON.parse(snapshot) as SourceFile[];
    const previous = buildCatalog(previousFiles);
    log('warn', 'keeping the last valid catalog in force', { services: previous.catalog.services.size });
    return { catalog: previous.catalog, valid: false, version: localVersion(previousFiles) };
  };
  let first:
    | { catalog: Catalog; valid: boolean; version: string; source: RunningCatalog['source'] }
    | undefined;
  if (hubCatalog) {
    const stored = await loadStoredHubCatalog(config.dataDir).catch((error: unknown) => ({
      ok: false as const,
      issues: [toError(error).message],
    }));
    if (stored?.ok) {
      first = { catalog: stored.value.catalog, valid: true, version: stored.value.version, source: 'hub' };
      overrides = applicableOverrides(stored.value.overrides, log);
      if (config.hub) state.enableOutbox(outboxSettings(), now());
      log('info', 'running the catalog the hub sent last', { version: stored.value.version });
    } else if (stored) {
      log('warn', 'the stored hub catalog does not validate; ignoring it', {
        issues: stored.issues.slice(0, 20),
      });
    }
  }
  if (first === undefined && localPath !== undefined) {
    const local = await loadCatalog();
    if (typeof local !== 'string') first = { ...local, source: 'local' };
    else if (!hubCatalog) {
      state.close();
      return {
        ok: false,
        message: `the catalog ${localPath} is invalid and no earlier valid one is stored:\n${local}`,
      };
    }
  }
  if (first === undefined) {
    log('warn', 'no catalog yet: running with an empty catalog until the hub sends one', {
      hub: config.hub?.url ?? null,
    });
    catalog = buildCatalog([]).catalog;
    catalogValid = true;
  } else {
    catalog = first.catalog;
    catalogValid = first.valid;
    running = { source: first.source, version: first.version };
  }
  // Sources are loaded only when configured: a unit that only receives pushes does not
  // keep the PromQL client or the text-format parser in memory.
  const pull = config.sources.promql.length > 0 ? await import('./promql-pull.ts') : undefined;
  const scrape = config.sources.scrape.length > 0 ? await import('./scrape.ts') : undefined;
  // One source of truth per SLI: the push paths leave the SLIs a PromQL source records.
  const ownership: Pick<PullOwnership, 'pushPlan' | 'observe'> = pull
    ? new pull.PullOwnership(config.sources, log, metrics)
    : { pushPlan: (running) => compileIngestPlan(running), observe: () => {} };
  plan = ownership.pushPlan(catalog);
  // Collected when read, so a replaced version leaves no stale series behind.
  metrics.collect(
    'sextant_unit_catalog_info',
    'The running catalog: its source and version.',
    'gauge',
    () => [{ labels: { source: running?.source ?? 'none', version: running?.version ?? '' }, value: 1 }],
  );
  /** Marks the running catalog's version for the hub when it changed. */
  const markCatalog = () => {
    const outbox = state.outbox;
    if (!outbox || running === undefined) return;
    const body = { kind: 'catalog' as const, version: running.version, source: running.source };
    const stored = outbox.storedRecords('catalog').get(JSON.stringify(['catalog']));
    if (JSON.stringify(stored) !== JSON.stringify(body)) outbox.markRecord(body);
  };
  markCatalog();

  const unitInfo = {
    id: config.unit.id,
    ...(config.unit.tenant === undefined ? {} : { tenant: config.unit.tenant }),
    environment: config.unit.environment,
  };
  const evaluator = new Evaluator(state, unitInfo);

  let dispatcher: Dispatcher | undefined;
  /** The notifiers' metrics, from the dispatcher's module (loaded only when notifiers are configured). */
  let notifyMetrics = async () => '';
  if (config.notifiers.length > 0) {
    const { createDispatcher, notifyMetricsText } = await import('../notify/dispatcher.ts');
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
    const running = created.value;
    dispatcher = running;
    notifyMetrics = async () => notifyMetricsText(await running.metrics());
  }
  // The unit's own alerts go through the same durable, deduplicating queue (unit-alerts.ts).
  const unitAlerts = new UnitAlerts({
    submit: dispatcher?.submit.bind(dispatcher),
    store: state,
    unit: unitInfo,
    now,
    log,
  });

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

  /** Swaps a valid catalog in. */
  const useCatalog = (next: Catalog, source: RunningCatalog['source'], version: string) => {
    catalog = next;
    plan = ownership.pushPlan(catalog);
    running = { source, version };
    markCatalog();
  };
  const reloadCatalog = async (): Promise<boolean> => {
    if (running?.source === 'hub') {
      // The hub's catalog is replaced by the hub; a reload re-reads what is stored.
      const stored = await loadStoredHubCatalog(config.dataDir).catch(() => undefined);
      if (!stored?.ok) return false;
      useCatalog(stored.value.catalog, 'hub', stored.value.version);
      return true;
    }
    if (localPath === undefined) return false;
    const loaded = await loadCatalog();
    if (typeof loaded === 'string' || !loaded.valid) {
      catalogValid = false;
      metrics.set('sextant_unit_catalog_valid', CATALOG_VALID_HELP, 0);
      return false;
    }
    useCatalog(loaded.catalog, 'local', loaded.version);
    catalogValid = true;
    metrics.set('sextant_unit_catalog_valid', CATALOG_VALID_HELP, 1);
    metrics.inc('sextant_unit_catalog_reloads_total', 'Catalog reloads that took effect.');
    log('info', 'catalog reloaded', { services: catalog.services.size });
    return true;
  };
  metrics.set('sextant_unit_catalog_valid', CATALOG_VALID_HELP, catalogValid ? 1 : 0);
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
    ownership.observe(source, result.outcomes);
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
  app.get('/metrics/notify', async () => metricsReply(await notifyMetrics()));

  const { host, port } = parseListen(config.listen);
  let closing = false;
  // Not `import { createServer } from 'node:http'`: an ESM import of a built-in reads
  // every export, and node:http's lazy WebSocket exports then load Node's fetch
  // implementation (undici, about 12 MB resident) that the unit never uses.
  const { createServer } = process.getBuiltinModule('node:http');
  const server = createServer(app.listener);
  const listened = await new Promise<Error | undefined>((resolve) => {
    // Listen errors (EADDRINUSE, EACCES) are emitted, not thrown.
    server.once('listening', () => resolve(undefined));
    server.once('error', resolve);
    server.listen(port, host);
  });
  if (listened) {
    state.close();
    return { ok: false, message: `cannot listen on ${config.listen}: ${listened.message}` };
  }
  // server.close() ends only the connections idle at that moment, so a sender that keeps
  // its keep-alive connection busy (Prometheus does) would hold a graceful stop open for
  // ever. While closing, answers say `Connection: close` and idle connections are ended
  // until none is left (`close()` below).
  server.prependListener('request', (_request, response) => {
    if (closing) response.setHeader('Connection', 'close');
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const timers: NodeJS.Timeout[] = [];
  const scale = options.timeScale ?? 1;
  let stopScrapers = () => {};
  let stopPull = async () => {};
  let stopWatch = () => {};
  let evaluationTimer: NodeJS.Timeout | undefined;
  const tick = () =>
    evaluateNow().catch((error) => log('error', 'evaluation failed', { error: toError(error).message }));
  const scheduleEvaluation = () => {
    if (options.manual || closing) return;
    if (evaluationTimer) clearInterval(evaluationTimer);
    evaluationTimer = setInterval(
      tick,
      (overrides.evaluationIntervalMs ?? config.evaluationInterval) / scale,
    );
    evaluationTimer.unref();
  };

  // The push loop, the hub's catalog and unit alerts (only with `hub` configured).
  let sync: SyncClient | undefined;
  const hub = config.hub;
  if (hub) {
    const readToken = async (): Promise<string> =>
      hub.tokenFile !== undefined ? (await readFile(hub.tokenFile, 'utf8')).trim() : (hub.token ?? '');
    let rejectedVersion: string | undefined;
    const applyOverrides = (raw: Record<string, unknown>) => {
      overrides = applicableOverrides(raw, log);
      sync?.setPushInterval(overrides.pushIntervalMs ?? config.sync.pushInterval);
      state.enableOutbox(outboxSettings(), now());
      scheduleEvaluation();
    };
    const onAccepted = async (response: PushResponse) => {
      const offered = response.catalogVersion;
      if (!hubCatalog || offered === null || offered === rejectedVersion) return;
      const runningHubVersion = running?.source === 'hub' ? running.version : undefined;
      if (offered === runningHubVersion) return;
      const fetched = await fetchHubCatalog({
        hubUrl: hub.url,
        token: await readToken(),
        runningVersion: runningHubVersion,
        timeoutMs: config.sync.timeout,
        fetch: fetchImpl,
      });
      const outcome = fetched.kind === 'error' ? 'error' : fetched.kind;
      if (fetched.kind !== 'fetched') {
        metrics.inc('sextant_unit_hub_catalog_fetches_total', 'Catalog fetches from the hub by outcome.', {
          outcome,
        });
        if (fetched.kind === 'error') {
          log('warn', 'cannot fetch the catalog from the hub; keeping the running one', {
            error: fetched.message,
          });
        }
        return;
      }
      const valid = validateBundle(fetched.bundle);
      if (!valid.ok) {
        const version = (fetched.bundle as { version?: unknown }).version;
        rejectedVersion = typeof version === 'string' ? version : offered;
        metrics.inc('sextant_unit_hub_catalog_fetches_total', 'Catalog fetches from the hub by outcome.', {
          outcome: 'invalid',
        });
        metrics.set('sextant_unit_hub_catalog_valid', 'Whether the last catalog the hub sent validated.', 0);
        log('error', 'the catalog the hub sent does not validate; keeping the running one', {
          version: rejectedVersion,
          issues: valid.issues.slice(0, 50),
          count: valid.issues.length,
        });
        return;
      }
      try {
        await storeHubCatalog(config.dataDir, valid.value);
      } catch (error) {
        log('error', 'cannot store the hub catalog; running it anyway, a restart falls back', {
          error: toError(error).message,
        });
      }
      metrics.inc('sextant_unit_hub_catalog_fetches_total', 'Catalog fetches from the hub by outcome.', {
        outcome: 'applied',
      });
      metrics.set('sextant_unit_hub_catalog_valid', 'Whether the last catalog the hub sent validated.', 1);
      stopWatch();
      stopWatch = () => {};
      useCatalog(valid.value.catalog, 'hub', valid.value.version);
      applyOverrides(valid.value.overrides);
      log('info', 'running the catalog from the hub', {
        version: valid.value.version,
        services: catalog.services.size,
      });
    };
    const onQuota = async (quota: QuotaState) => {
      const percent = Math.round((100 * quota.bytes) / quota.quotaBytes);
      await unitAlerts.update({
        alertname: 'SextantOutboxNearQuota',
        severity: 'ticket',
        firing: quota.firing,
        summary: `unit ${config.unit.id}: replication outbox at ${percent}% of its quota`,
        description:
          `The outbox holds about ${quota.bytes} bytes of records the hub has not acknowledged ` +
          `(sync.outboxQuota ${quota.quotaBytes}). The oldest counts are rolled up to hours so nothing is ` +
          'lost; check that the hub is reachable and accepts this unit.',
      });
    };
    // The push loop's module (and zlib for its bodies) loads only for a unit with a hub.
    const { SyncClient } = await import('./sync-client.ts');
    sync = new SyncClient({
      outbox: state.outbox!,
      reader: () => state.reader(),
      listSeries: async () =>
        (await state.store.listSeries()).map((series) => ({ sli: series.sli, labels: series.labels })),
      unitId: config.unit.id,
      hubUrl: hub.url,
      token: readToken,
      pushIntervalMs: overrides.pushIntervalMs ?? config.sync.pushInterval,
      maxRecords: config.sync.maxRecordsPerPush,
      maxBytes: config.sync.maxBytesPerPush,
      timeoutMs: config.sync.timeout,
      resyncHorizonMinutes: Math.round(config.sync.resyncHorizon / 60_000),
      lateMinutes: LATE_SAMPLE_HORIZON_MINUTES,
      quotaBytes: config.sync.outboxQuota,
      now,
      log,
      fetch: fetchImpl,
      metrics,
      timeScale: scale,
      onAccepted,
      onQuota,
      ...(options.random ? { random: options.random } : {}),
      ...(options.syncTimers ? { timers: options.syncTimers } : {}),
    });
  }

  const integrityCheck = new AbortController();
  if (!options.manual) {
    // The integrity check reads the whole file: in the background, once the unit is ready.
    void tick().then(() =>
      checkUnitStore({
        path: dbPath,
        unitId: config.unit.id,
        log,
        metrics,
        alerts: unitAlerts,
        signal: integrityCheck.signal,
      }),
    );
    unitAlerts.start(scale);
    scheduleEvaluation();
    if (scrape)
      stopScrapers = scrape.startScrapers(config.sources.scrape, {
        now,
        ingest: ingest,
        metrics,
        log,
        timeScale: scale,
      });
    if (pull)
      stopPull = pull.startPromqlPull(
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
    if (localPath !== undefined && running?.source !== 'hub') {
      stopWatch = watchCatalog(localPath, reloadCatalog, {
        onError: (error) =>
          log('warn', 'catalog watch failed; changes are picked up by polling', { error: error.message }),
      });
    }
    sync?.start();
  }
  for (const timer of timers) timer.unref();
  log('info', 'unit started', {
    url,
    unit: config.unit.id,
    services: catalog.services.size,
    catalogValid,
    catalogSource: running?.source ?? 'none',
    hub: config.hub?.url ?? null,
  });

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
      runningCatalog: () => running,
      sync,
      async close() {
        if (closing) return;
        closing = true;
        for (const timer of timers) clearInterval(timer);
        if (evaluationTimer) clearInterval(evaluationTimer);
        await sync?.stop();
        stopScrapers();
        await stopPull();
        stopWatch();
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        clearInterval(sweep);
        if (evaluating) await evaluating.catch(() => undefined);
        integrityCheck.abort();
        await unitAlerts.stop();
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

/** The overrides of a hub bundle the unit applies; the rest is logged and ignored. */
function applicableOverrides(raw: Record<string, unknown>, log: Logger): UnitOverrides {
  const { value, ignored } = parseOverrides(raw);
  if (ignored.length > 0) log('warn', 'ignoring settings the hub may not override', { ignored });
  return value;
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
