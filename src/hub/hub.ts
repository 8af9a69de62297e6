/**
 * `sextant hub`: the global view over a fleet of units. It receives their pushes, keeps
 * the fleet's records in its store (SQLite or PostgreSQL), distributes the catalog, and
 * serves the fleet API with tenant isolation and roles.
 */

import { mkdir, readFile } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { watchCatalog } from '../catalog-files/index.ts';
import { parseListen } from '../config-layers/index.ts';
import { jsonLogger, type Logger } from '../unit/index.ts';
import { toError } from '../util/index.ts';
import { PushAdmission } from './admission.ts';
import { AuditLog } from './audit.ts';
import { credentialState, hashSecret, PortalSessions, TOKEN_PATTERN, TOKEN_PREFIX } from './auth.ts';
import { type HubCatalog, hubCatalogFromFiles, loadHubCatalog } from './catalog.ts';
import { databaseLocation, type HubConfig } from './config.ts';
import { type HubEnv, hubApp } from './http.ts';
import { HubMetrics } from './metrics.ts';
import type { RouteSpec } from './openapi.ts';
import { type HubRetention, type HubStore, openHubStore, openPostgresDriver } from './store/index.ts';

/** A hub with its app, not yet listening (tests drive it with `app.request`). */
export interface HubInstance {
  app: Hono<HubEnv>;
  /** The documented routes (the OpenAPI document's source). */
  routes: readonly RouteSpec[];
  store: HubStore;
  metrics: HubMetrics;
  /** The catalog in force: the last valid one. */
  catalog(): HubCatalog | undefined;
  /** Re-reads the catalog directory; keeps the last valid catalog when the new one is broken. */
  reloadCatalog(): Promise<boolean>;
  /** Writes buffered audit entries (summaries of ended minutes too; all of them with `all`). */
  flushAudit(all?: boolean): Promise<void>;
  /** Stops admitting pushes (503 with Retry-After) and waits for those in flight. */
  drain(): Promise<void>;
  /** Drains pushes, writes the audit log (summaries included), closes the store. */
  close(): Promise<void>;
}

/** A running hub. */
export interface HubHandle extends HubInstance {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:9465`. */
  url: string;
}

export interface HubOptions {
  /** Epoch ms; default `Date.now`. */
  now?: () => number;
  log?: Logger;
  /** Turn off timers (retention, catalog watch, periodic audit flush); tests call the methods. */
  manual?: boolean;
  /** Random numbers in [0, 1) for Retry-After jitter; default `Math.random`. */
  random?: () => number;
  /** Use this store instead of opening `config.database` (closed with the hub). */
  store?: HubStore;
}

/** Opens the hub's store as configured (SQLite file by default, or PostgreSQL), running migrations. */
export async function openConfiguredStore(
  config: Pick<HubConfig, 'database' | 'dataDir'> & { retention?: HubConfig['retention'] },
  log?: Logger,
): Promise<{ ok: true; value: HubStore; where: string } | { ok: false; message: string }> {
  const location = databaseLocation(config);
  const retention: { retention?: HubRetention } = config.retention
    ? {
        retention: {
          detailMinutes: Math.round(config.retention.detail / 60_000),
          aggregateMinutes: Math.round(config.retention.aggregate / 60_000),
          auditMinutes: Math.round(config.retention.audit / 60_000),
        },
      }
    : {};
  try {
    if (location.kind === 'postgres') {
      const driver = await openPostgresDriver(location.url, {
        onIdleError: (error) => log?.('warn', 'PostgreSQL connection dropped', { error: error.message }),
      });
      const store = await openHubStore({ driver, ...retention });
      return { ok: true, value: store, where: 'PostgreSQL' };
    }
    if (location.path !== ':memory:') await mkdir(dirname(location.path), { recursive: true });
    const store = await openHubStore({ sqlitePath: location.path, ...retention });
    return { ok: true, value: store, where: location.path };
  } catch (thrown) {
    const error = toError(thrown);
    const where = location.kind === 'postgres' ? 'PostgreSQL' : location.path;
    const locked = /database is locked|SQLITE_BUSY/i.test(error.message);
    return {
      ok: false,
      message: locked
        ? `the hub's database ${where} is in use by another process; stop it first`
        : `cannot open the hub's database ${where}: ${error.message}`,
    };
  }
}

/** Reads the bootstrap admin token from `SEXTANT_HUB_ADMIN_TOKEN` or `adminTokenFile`. */
async function bootstrapToken(
  config: HubConfig,
): Promise<{ ok: true; value?: string } | { ok: false; message: string }> {
  let token = config.adminToken;
  if (token === undefined && config.adminTokenFile !== undefined) {
    try {
      token = (await readFile(config.adminTokenFile, 'utf8')).trim();
    } catch (error) {
      return {
        ok: false,
        message: `cannot read adminTokenFile ${config.adminTokenFile}: ${(error as Error).message}`,
      };
    }
  }
  if (token === undefined) return { ok: true };
  if (!TOKEN_PATTERN.test(token) || !token.startsWith(TOKEN_PREFIX.api)) {
    return {
      ok: false,
      message:
        'the bootstrap admin token must look like sxt_ followed by 43 base64url characters; ' +
        'make one with `sextant hub token generate`',
    };
  }
  return { ok: true, value: token };
}

/**
 * Makes sure the bootstrap admin token works: stored (hashed) as an admin of `*` with an id
 * derived from its hash. Earlier bootstrap tokens are revoked (the configured one replaced
 * them); a bootstrap token an admin revoked stays revoked.
 */
async function installBootstrapToken(
  store: HubStore,
  token: string,
  nowMs: number,
  log: Logger,
): Promise<void> {
  const secretSha256 = hashSecret(token);
  const id = `bootstrap-${secretSha256.slice(0, 12)}`;
  const existing = await store.findCredentialBySecretHash(secretSha256);
  if (existing) {
    const state = credentialState(existing, nowMs);
    if (state !== 'valid') log('warn', `the bootstrap admin token is ${state}; configure a new one`, { id });
  } else {
    await store.putCredential({
      id,
      kind: 'api',
      role: 'admin',
      tenants: ['*'],
      name: 'bootstrap admin',
      secretSha256,
      createdAtMs: nowMs,
      expiresAtMs: null,
      revokedAtMs: null,
    });
    log('info', 'bootstrap admin token installed', { id });
  }
  for (const credential of await store.listCredentials()) {
    if (credential.id.startsWith('bootstrap-') && credential.id !== id && credential.revokedAtMs === null) {
      await store.revokeCredential(credential.id, nowMs);
      log('info', 'revoked an earlier bootstrap admin token', { id: credential.id });
    }
  }
}

async function hubVersion(): Promise<string> {
  try {
    const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Builds a hub (store, catalog, app) without listening; returns what went wrong instead of throwing. */
export async function createHub(
  config: HubConfig,
  options: HubOptions = {},
): Promise<{ ok: true; value: HubInstance } | { ok: false; message: string }> {
  const now = options.now ?? Date.now;
  const log = options.log ?? jsonLogger(config.logLevel);
  const metrics = new HubMetrics();
  const token = await bootstrapToken(config);
  if (!token.ok) return token;

  let store: HubStore;
  if (options.store) store = options.store;
  else {
    const opened = await openConfiguredStore(config, log);
    if (!opened.ok) return opened;
    store = opened.value;
  }
  const fail = async (message: string) => {
    await store.close().catch(() => undefined);
    return { ok: false as const, message };
  };
  try {
    if (token.value !== undefined) await installBootstrapToken(store, token.value, now(), log);
  } catch (error) {
    return fail(`cannot store the bootstrap admin token: ${toError(error).message}`);
  }

  // The catalog: the directory's, or the last valid one the store holds.
  let catalog: HubCatalog | undefined;
  const setCatalogMetrics = (valid: boolean) => {
    metrics.set(
      'sextant_hub_catalog_valid',
      'Whether the catalog directory is valid (0: the last valid one is in force).',
      valid ? 1 : 0,
    );
  };
  const reloadCatalog = async (): Promise<boolean> => {
    if (config.catalog === undefined) return false;
    const loaded = await loadHubCatalog(config.catalog);
    if (!loaded.ok) {
      setCatalogMetrics(false);
      log('error', 'the catalog is invalid; keeping the last valid one', {
        issues: loaded.reasons.slice(0, 50),
        count: loaded.reasons.length,
        version: catalog?.version ?? null,
      });
      return false;
    }
    setCatalogMetrics(true);
    if (loaded.value.version === catalog?.version) return true;
    const latest = await store.latestCatalog();
    if (latest?.version !== loaded.value.version) {
      await store.putCatalog({
        version: loaded.value.version,
        files: loaded.value.files,
        createdAtMs: now(),
      });
    }
    const previous = catalog?.version;
    catalog = loaded.value;
    metrics.inc('sextant_hub_catalog_reloads_total', 'Catalog versions that took effect.');
    log('info', previous ? 'catalog reloaded' : 'catalog loaded', {
      version: catalog.version,
      services: catalog.catalog.services.size,
    });
    return true;
  };
  try {
    await reloadCatalog();
    if (!catalog) {
      const stored = await store.latestCatalog();
      const rebuilt = stored ? hubCatalogFromFiles(stored.files) : undefined;
      if (rebuilt?.ok) {
        catalog = { ...rebuilt.value, version: stored!.version };
        log('warn', 'serving the last valid catalog from the store', { version: catalog.version });
      } else if (config.catalog !== undefined) {
        const loaded = await loadHubCatalog(config.catalog);
        return fail(
          `the catalog ${config.catalog} is invalid and the store holds no earlier valid one:\n${
            loaded.ok ? '' : loaded.reasons.join('\n')
          }`,
        );
      }
    }
  } catch (error) {
    return fail(`cannot load the catalog: ${toError(error).message}`);
  }

  const audit = new AuditLog({ store, now, log, metrics });
  const sessions = new PortalSessions(store, {
    ttlMs: config.sessions.ttl,
    maxPerToken: config.sessions.maxPerToken,
  });
  const admission = new PushAdmission({
    maxConcurrent: config.limits.maxConcurrentPushes,
    maxQueued: config.limits.maxQueuedPushes,
    queueTimeoutMs: config.limits.queueTimeout,
    ...(options.random ? { random: options.random } : {}),
  });
  metrics.collect(
    'sextant_hub_pushes_in_flight',
    'Pushes admitted and not finished, by stage.',
    'gauge',
    () => [
      { labels: { stage: 'applying' }, value: admission.applying },
      { labels: { stage: 'waiting' }, value: admission.waiting },
      { labels: { stage: 'all' }, value: admission.inFlight },
    ],
  );
  // Sessions are shared by every hub on the database: the gauge counts them there.
  metrics.beforeScrape(async () => {
    try {
      const open = await withTimeout(store.countSessions(now()), 2000);
      metrics.set('sextant_hub_sessions', 'Open portal sessions in the store (every hub on it).', open);
    } catch {
      // The store is busy or away: /metrics still answers, with the last count.
    }
  });
  metrics.collect(
    'sextant_hub_audit_pending',
    'Audit entries and summaries not yet written.',
    'gauge',
    () => [{ labels: {}, value: audit.pending }],
  );

  let closing = false;
  const { app, routes } = hubApp({
    config,
    store,
    metrics,
    audit,
    sessions,
    admission,
    catalog: () => catalog,
    now,
    log,
    version: await hubVersion(),
    notReady: async () => {
      if (closing) return ['shutting down'];
      try {
        await withTimeout(store.getUnit('readiness-probe'), 2000);
        return [];
      } catch (error) {
        return [`the store does not answer: ${toError(error).message}`];
      }
    },
  });

  const timers: NodeJS.Timeout[] = [];
  let stopWatch = () => {};
  if (!options.manual) {
    audit.start();
    const retention = async () => {
      try {
        const report = await store.applyRetention(now());
        metrics.set('sextant_hub_last_retention_timestamp_seconds', 'When retention last ran.', now() / 1000);
        if (report.deletedDetail + report.foldedAggregates + report.deletedAudit > 0)
          log('info', 'retention', { ...report });
      } catch (error) {
        log('error', 'retention failed', { error: toError(error).message });
      }
      // Expired sessions are never accepted; sweeping only frees their rows, so it rides on
      // the retention loop (every hub on a database may run it: deleting twice is harmless).
      try {
        const expiredSessions = await store.sweepSessions(now());
        if (expiredSessions > 0) log('debug', 'expired sessions swept', { count: expiredSessions });
      } catch (error) {
        log('error', 'sweeping expired sessions failed', { error: toError(error).message });
      }
    };
    void retention();
    timers.push(setInterval(retention, config.retention.interval));
    if (config.catalog !== undefined) {
      stopWatch = watchCatalog(config.catalog, reloadCatalog, {
        pollMs: config.catalogPollInterval,
        onError: (error) =>
          log('warn', 'catalog watch failed; changes are picked up by polling', { error: error.message }),
      });
    }
    for (const timer of timers) timer.unref();
  }

  let closed: Promise<void> | undefined;
  return {
    ok: true,
    value: {
      app,
      routes,
      store,
      metrics,
      catalog: () => catalog,
      reloadCatalog,
      flushAudit: (all = false) => audit.flush(all),
      drain() {
        closing = true;
        return admission.drain();
      },
      close() {
        closed ??= (async () => {
          closing = true;
          for (const timer of timers) clearInterval(timer);
          stopWatch();
          await admission.drain();
          await audit.close();
          await store.close();
        })();
        return closed;
      },
    },
  };
}

/**
 * Starts the hub and listens on `config.listen`; returns what went wrong instead of
 * throwing on bad config, an unusable database or a busy port.
 * @example const started = await startHub(config); if (started.ok) console.log(started.value.url);
 */
export async function startHub(
  config: HubConfig,
  options: HubOptions = {},
): Promise<{ ok: true; value: HubHandle } | { ok: false; message: string }> {
  const log = options.log ?? jsonLogger(config.logLevel);
  const created = await createHub(config, { ...options, log });
  if (!created.ok) return created;
  const hub = created.value;
  const { host, port } = parseListen(config.listen);
  const server = await new Promise<ReturnType<typeof serve> | Error>((resolve) => {
    // Listen errors (EADDRINUSE, EACCES) are emitted after serve() returns.
    const started = serve({ fetch: hub.app.fetch, hostname: host, port });
    started.once('listening', () => resolve(started));
    started.once('error', (error) => resolve(error));
  });
  if (server instanceof Error) {
    await hub.close();
    return { ok: false, message: `cannot listen on ${config.listen}: ${server.message}` };
  }
  // While closing, answers say `Connection: close` and idle keep-alive connections are
  // ended until none is left, so a busy client cannot hold a graceful stop open for ever.
  let closing = false;
  const httpServer = server as HttpServer;
  httpServer.prependListener('request', (_request, response) => {
    if (closing) response.setHeader('Connection', 'close');
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log('info', 'hub started', { url, catalog: hub.catalog()?.version ?? null, dialect: hub.store.dialect });
  let closed: Promise<void> | undefined;
  return {
    ok: true,
    value: {
      ...hub,
      url,
      close() {
        closed ??= (async () => {
          closing = true;
          const sweep = setInterval(() => httpServer.closeIdleConnections(), 50);
          // Stop accepting; requests in flight finish (pushes waiting for a slot get 503),
          // then the audit log is written and the store closed.
          await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), hub.drain()]);
          clearInterval(sweep);
          await hub.close();
          log('info', 'hub stopped', {});
        })();
        return closed;
      },
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
