/**
 * The hub's configuration: one YAML file (`hub.yaml`), every setting overridable by a flag
 * and by a `SEXTANT_HUB_*` environment variable (flags win over the environment, which wins
 * over the file, which wins over the defaults). Pure: the caller reads the files.
 */

import { join } from 'node:path';
import { z } from 'zod';
import { tenantPattern } from '../catalog/index.ts';
import {
  applyConfigOverrides,
  type ConfigIssue,
  type ConfigLocator,
  type ConfigOverride,
  configSchemaIssues,
  readConfigFile,
} from '../config-layers/index.ts';
import { MAX_PUSH_BYTES, UNIT_ID_PATTERN, type UNIT_OVERRIDE_KEYS } from '../sync/index.ts';
import { durationSetting, parseDurationMs, sizeSetting } from '../unit/index.ts';
import { DEFAULT_MAX_SESSIONS_PER_TOKEN } from './auth.ts';

/** A problem with the configuration: `hub.yaml:3:5`, `--listen` or `SEXTANT_HUB_LISTEN`, and what is wrong. */
export type HubConfigIssue = ConfigIssue;

const duration = (fallback: string) => durationSetting(fallback, '500ms, 15s, 1m, 2h, 35d');
const bytes = sizeSetting;
const durationText = z
  .string()
  .refine((value) => parseDurationMs(value) !== undefined, { message: 'not a duration like 30s, 1m' });
const tenantPatternText = z
  .string()
  .regex(/^[a-z0-9*-]{1,63}$/, 'a tenant or tenant pattern of a-z, 0-9, - and * (e.g. dedicated-*)');

/**
 * Unit settings the hub distributes with the catalog (`UNIT_OVERRIDE_KEYS` only), for the
 * units whose id equals `unit` or whose tenant matches `tenant`.
 */
const unitOverride = z
  .strictObject({
    unit: z.string().regex(UNIT_ID_PATTERN).optional(),
    tenant: tenantPatternText.optional(),
    settings: z.strictObject({
      evaluationInterval: durationText.optional(),
      pushInterval: durationText.optional(),
      exportResolutionMinutes: z.number().int().min(1).max(60).optional(),
    } satisfies Record<(typeof UNIT_OVERRIDE_KEYS)[number], z.ZodType>),
  })
  .refine((value) => (value.unit === undefined) !== (value.tenant === undefined), {
    message: 'give exactly one of unit (an id) or tenant (a pattern)',
  });

const listen = z
  .string()
  .default('127.0.0.1:9465')
  .refine((value) => /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(value), {
    message: 'write host:port, e.g. 0.0.0.0:9465',
  });

/** The hub configuration schema (also the source of its documentation in docs/hub.md). */
export const hubConfigSchema = z.strictObject({
  listen,
  /** Where the hub keeps its SQLite database (unless `database` says otherwise). */
  dataDir: z.string().min(1).optional(),
  /** `sqlite:/path/hub.db`, a plain path, or `postgres://user@host/db`. */
  database: z.string().min(1).optional(),
  /** The catalog directory (or file) the hub versions and distributes to units. */
  catalog: z.string().min(1).optional(),
  /** A file holding the bootstrap admin token (`sxt_...`); `SEXTANT_HUB_ADMIN_TOKEN` also works. */
  adminTokenFile: z.string().min(1).optional(),
  /** Trust `X-Forwarded-For`/`X-Forwarded-Proto` from a reverse proxy in front of the hub. */
  trustProxy: z.boolean().default(false),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  limits: z
    .strictObject({
      /** Pushes applied at once (one SQLite connection serialises them anyway). */
      maxConcurrentPushes: z.number().int().min(1).max(1024).default(8),
      /** Pushes waiting (or still being read) beyond those; more get 429 with Retry-After. */
      maxQueuedPushes: z.number().int().min(0).max(100_000).default(32),
      /** How long a push may wait in the queue before it gets 503 with Retry-After. */
      queueTimeout: duration('30s'),
      /** Largest request body as sent (compressed). */
      maxBodyBytes: bytes('16MiB'),
      /** Largest push after decompression; capped by the protocol's `MAX_PUSH_BYTES`. */
      maxDecompressedBytes: bytes('16MiB').refine((value) => value <= MAX_PUSH_BYTES, {
        message: `at most ${MAX_PUSH_BYTES} bytes (the protocol's MAX_PUSH_BYTES)`,
      }),
    })
    .prefault({}),
  retention: z
    .strictObject({
      detail: duration('35d'),
      aggregate: duration('400d'),
      audit: duration('400d'),
      /** How often retention runs. */
      interval: duration('10m'),
    })
    .prefault({}),
  sessions: z
    .strictObject({
      /** Lifetime of a portal session (capped by its token's expiry). */
      ttl: duration('12h'),
      /** Live sessions one token may hold; opening one more ends its oldest. */
      maxPerToken: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_SESSIONS_PER_TOKEN),
    })
    .prefault({}),
  /** How often the catalog directory is polled for changes (a watch fires sooner). */
  catalogPollInterval: duration('30s'),
  overrides: z.array(unitOverride).default([]),
});

/** The resolved configuration; `adminToken` comes only from `SEXTANT_HUB_ADMIN_TOKEN`. */
export type HubConfig = z.output<typeof hubConfigSchema> & { adminToken?: string };
export type UnitOverride = HubConfig['overrides'][number];

/** A setting that flags and environment variables may override. */
const parseBoolean = (value: string): unknown =>
  /^(1|true|yes|on)$/i.test(value) ? true : /^(0|false|no|off)$/i.test(value) ? false : value;

/** Every override, in one table so `--help` and the docs list the same thing. */
export const HUB_CONFIG_OVERRIDES: readonly ConfigOverride[] = [
  { flag: 'listen', env: 'SEXTANT_HUB_LISTEN', path: ['listen'] },
  { flag: 'data-dir', env: 'SEXTANT_HUB_DATA_DIR', path: ['dataDir'] },
  { flag: 'database', env: 'SEXTANT_HUB_DATABASE', path: ['database'] },
  { flag: 'catalog', env: 'SEXTANT_HUB_CATALOG', path: ['catalog'] },
  { flag: 'admin-token-file', env: 'SEXTANT_HUB_ADMIN_TOKEN_FILE', path: ['adminTokenFile'] },
  { flag: 'trust-proxy', env: 'SEXTANT_HUB_TRUST_PROXY', path: ['trustProxy'], parse: parseBoolean },
  { flag: 'log-level', env: 'SEXTANT_HUB_LOG_LEVEL', path: ['logLevel'] },
  {
    flag: 'max-concurrent-pushes',
    env: 'SEXTANT_HUB_MAX_CONCURRENT_PUSHES',
    path: ['limits', 'maxConcurrentPushes'],
    parse: Number,
  },
];

/** The environment variable that carries the bootstrap admin token itself (never a flag: `ps` shows flags). */
export const ADMIN_TOKEN_ENV = 'SEXTANT_HUB_ADMIN_TOKEN';

/**
 * Resolves the configuration from the file text (optional), flags and environment.
 * Errors name the file position, the flag or the variable to fix.
 * @example resolveHubConfig({ flags: { 'data-dir': '/var/lib/sextant-hub' }, env: process.env })
 */
export function resolveHubConfig(input: {
  file?: { path: string; text: string };
  flags: Readonly<Record<string, string | undefined>>;
  env: Readonly<Record<string, string | undefined>>;
}): { ok: true; value: HubConfig } | { ok: false; issues: HubConfigIssue[] } {
  let raw: Record<string, unknown> = {};
  let locate: ConfigLocator = () => 'configuration';
  if (input.file) {
    const read = readConfigFile(input.file);
    if (!read.ok) return read;
    raw = read.raw;
    locate = read.locate;
    if ('adminToken' in raw) {
      return {
        ok: false,
        issues: [
          {
            where: locate(['adminToken']),
            path: 'adminToken',
            message: `adminToken: keep secrets out of the file; use adminTokenFile or ${ADMIN_TOKEN_ENV}`,
          },
        ],
      };
    }
  }
  const origin = applyConfigOverrides(raw, HUB_CONFIG_OVERRIDES, input.flags, input.env);
  const parsed = hubConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: configSchemaIssues(parsed.error.issues, origin, locate) };
  const config: HubConfig = parsed.data;
  if (config.database === undefined && config.dataDir === undefined) {
    const issue: HubConfigIssue = {
      where: input.file?.path ?? 'configuration',
      path: 'database',
      message:
        'database: give dataDir (the SQLite database goes there), or database (sqlite:path or postgres://...); ' +
        'flags --data-dir/--database, variables SEXTANT_HUB_DATA_DIR/SEXTANT_HUB_DATABASE',
    };
    return { ok: false, issues: [issue] };
  }
  const token = input.env[ADMIN_TOKEN_ENV];
  if (token !== undefined && token !== '') config.adminToken = token.trim();
  return { ok: true, value: config };
}

/** Where the hub's database is: a SQLite file or a PostgreSQL URL. */
export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/**
 * Reads `database` (`sqlite:path`, `sqlite::memory:`, a path, `postgres://...`), defaulting
 * to `sextant-hub.db` in `dataDir`.
 * @example databaseLocation({ dataDir: '/data' }) // { kind: 'sqlite', path: '/data/sextant-hub.db' }
 */
export function databaseLocation(config: {
  database?: string | undefined;
  dataDir?: string | undefined;
}): DatabaseLocation {
  const database = config.database;
  if (database === undefined) return { kind: 'sqlite', path: join(config.dataDir ?? '.', 'sextant-hub.db') };
  if (/^postgres(ql)?:\/\//i.test(database)) return { kind: 'postgres', url: database };
  if (database.startsWith('sqlite:')) {
    const rest = database.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return { kind: 'sqlite', path: rest };
  }
  return { kind: 'sqlite', path: database };
}

/**
 * The unit settings the hub distributes to one unit: every override whose tenant pattern
 * matches the unit's tenant, in file order, then every override naming the unit's id, in
 * file order (so the more specific entry wins, and a later entry wins among equals).
 * @example overridesFor(config.overrides, { id: 'cell-1', tenant: 'acme' }) // { pushInterval: '30s' }
 */
export function overridesFor(
  overrides: readonly UnitOverride[],
  unit: { id: string; tenant: string },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const apply = (entry: UnitOverride) => {
    for (const [key, value] of Object.entries(entry.settings)) {
      if (value !== undefined) out[key] = value;
    }
  };
  for (const entry of overrides) {
    if (entry.tenant !== undefined && tenantPattern(entry.tenant).test(unit.tenant)) apply(entry);
  }
  for (const entry of overrides) if (entry.unit === unit.id) apply(entry);
  return out;
}
