/**
 * The unit's configuration: one YAML file, every setting overridable by a flag and by a
 * `SEXTANT_*` environment variable (flags win over the environment, which wins over the
 * file, which wins over the defaults). Pure: the caller reads the file.
 */

import { z } from 'zod';
import {
  applyConfigOverrides,
  type ConfigIssue,
  type ConfigLocator,
  type ConfigOverride,
  configSchemaIssues,
  readConfigFile,
} from '../config-layers/index.ts';

export { type ConfigIssue, parseListen } from '../config-layers/index.ts';

import { MAX_PUSH_BYTES, MAX_RECORDS_PER_PUSH } from '../sync/protocol.ts';
import { heldWeakly } from '../util/index.ts';
import { exportPolicySchema } from './export-policy.ts';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `15s`, `1m`, `2h`, `1d` (and sums like `1m30s`) to milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '') return undefined;
  let total = 0;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    rest = rest.slice(match[0].length);
  }
  return total > 0 ? total : undefined;
}

const SIZE = /^(\d+)(B|KiB|MiB|GiB)?$/;
/** Parses `512KiB`, `10MiB`, `1GiB` or a plain byte count. */
export function parseBytes(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const factor = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[match[2] ?? 'B'] ?? 1;
  return Number(match[1]) * factor;
}

/**
 * A duration setting (`15s`, `2h`) with its default, parsed to milliseconds; `examples`
 * are named in the error. The unit's and the hub's configurations share it.
 */
export function durationSetting(fallback: string, examples = '500ms, 15s, 1m, 2h') {
  return z
    .string()
    .default(fallback)
    .refine((value) => parseDurationMs(value) !== undefined, { message: `not a duration like ${examples}` })
    .transform((value) => parseDurationMs(value) as number);
}

/** A size setting (`512KiB`, `10MiB`) with its default, parsed to bytes. */
export function sizeSetting(fallback: string) {
  return z
    .string()
    .default(fallback)
    .refine((value) => parseBytes(value) !== undefined, { message: 'not a size like 512KiB, 10MiB' })
    .transform((value) => parseBytes(value) as number);
}

/**
 * Builds the unit configuration schema (also the source of its documentation). Zod
 * schemas carry their own closures, about 1.5 MB for this one: it is built when a
 * configuration is read and not kept afterwards (`unitConfigSchema`).
 */
function buildUnitConfigSchema() {
  const duration = (fallback: string) => durationSetting(fallback);
  const bytes = sizeSetting;
  const idPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

  const scrapeTarget = z.strictObject({
    name: z.string().regex(idPattern),
    url: z.url(),
    interval: duration('15s'),
    timeout: duration('10s'),
    labels: z.record(z.string(), z.string()).default({}),
  });

  const promqlSource = z.strictObject({
    name: z.string().regex(idPattern),
    url: z.url(),
    interval: duration('1m'),
    /** How long after a minute ends before it is queried, so late samples are in. */
    delay: duration('2m'),
    headers: z.record(z.string(), z.string()).default({}),
    timeout: duration('30s'),
  });

  const notifier = z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('alertmanager'),
      /** Names the receiver in the delivery queue; keep it stable across URL changes. */
      name: z.string().regex(idPattern).optional(),
      urls: z.array(z.url()).min(1),
    }),
    z.strictObject({
      kind: z.literal('webhook'),
      name: z.string().regex(idPattern).optional(),
      url: z.url(),
      format: z.enum(['json', 'slack']).default('json'),
      headers: z.record(z.string(), z.string()).default({}),
    }),
  ]);

  /** Where the unit replicates to (docs/hub.md). The token never comes from the file. */
  const hubSchema = z.strictObject({
    url: z.url().refine((value) => /^https?:$/.test(new URL(value).protocol), {
      message: 'the hub URL must be http:// or https://',
    }),
    /** A file holding the unit's token (re-read before every push, so it can be rotated). */
    tokenFile: z.string().min(1).optional(),
    /** Set from SEXTANT_HUB_TOKEN only; writing it in the file is refused. */
    token: z.string().min(1).optional(),
    /** Run the catalog the hub distributes instead of (or before) the local one. */
    catalog: z.boolean().default(false),
  });

  /** Export resolutions: whole minutes that divide an hour, so buckets never straddle one. */
  const resolution = duration('5m').refine((ms) => ms % 60_000 === 0 && 60 % (ms / 60_000) === 0, {
    message:
      'the export resolution must divide an hour: 1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m or 60m',
  });

  /** How the unit pushes to the hub; used only when `hub` is set. */
  const syncSchema = z
    .strictObject({
      pushInterval: duration('15s'),
      /** Per request (push or catalog fetch). */
      timeout: duration('30s'),
      resolution,
      maxRecordsPerPush: z.number().int().min(1).max(MAX_RECORDS_PER_PUSH).default(2000),
      maxBytesPerPush: bytes('4MiB').refine((value) => value >= 1024 && value <= MAX_PUSH_BYTES, {
        message: `between 1KiB and ${MAX_PUSH_BYTES / 1024 / 1024}MiB (the hub's limit)`,
      }),
      outboxQuota: bytes('256MiB').refine((value) => value >= 1024 * 1024, { message: 'at least 1MiB' }),
      /** How far back a resynchronisation (first connection, hub restored) resends counts. */
      resyncHorizon: duration('7d'),
      export: exportPolicySchema(),
    })
    .prefault({});

  return z.strictObject({
    unit: z.strictObject({
      id: z.string().regex(idPattern, 'a unit id is 1-63 characters of a-z, 0-9 and -'),
      tenant: z.string().regex(idPattern).optional(),
      environment: z.string().default('production'),
      labels: z.record(z.string(), z.string()).default({}),
    }),
    /** A catalog directory or file; empty means none, which only `hub.catalog` allows. */
    catalog: z.string().default(''),
    dataDir: z.string().min(1),
    listen: z
      .string()
      .default('127.0.0.1:9464')
      .refine((value) => /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(value), {
        message: 'write host:port, e.g. 127.0.0.1:9464',
      }),
    evaluationInterval: duration('30s'),
    retention: z.strictObject({ minutes: duration('35d'), hours: duration('400d') }).prefault({}),
    limits: z
      .strictObject({
        maxBodyBytes: bytes('16MiB'),
        maxDecompressedBytes: bytes('64MiB'),
        maxSeriesPerRequest: z.number().int().positive().default(100_000),
      })
      .prefault({}),
    sources: z
      .strictObject({
        remoteWrite: z.boolean().default(true),
        otlp: z.boolean().default(true),
        events: z.boolean().default(true),
        scrape: z.array(scrapeTarget).default([]),
        promql: z.array(promqlSource).default([]),
      })
      .prefault({}),
    notifiers: z.array(notifier).default([]),
    hub: hubSchema.optional(),
    sync: syncSchema,
  });
}

/** The unit configuration schema, built on demand and collectable between uses. */
export const unitConfigSchema: () => ReturnType<typeof buildUnitConfigSchema> =
  heldWeakly(buildUnitConfigSchema);

export type UnitConfig = z.output<ReturnType<typeof buildUnitConfigSchema>>;
export type Notifier = UnitConfig['notifiers'][number];
export type HubConfig = NonNullable<UnitConfig['hub']>;
export type SyncConfig = UnitConfig['sync'];

/** A setting that flags and environment variables may override. */
/** Every override, in one table so `--help` and the docs list the same thing. */
export const CONFIG_OVERRIDES: readonly ConfigOverride[] = [
  { flag: 'id', env: 'SEXTANT_UNIT_ID', path: ['unit', 'id'] },
  { flag: 'tenant', env: 'SEXTANT_TENANT', path: ['unit', 'tenant'] },
  { flag: 'environment', env: 'SEXTANT_ENVIRONMENT', path: ['unit', 'environment'] },
  { flag: 'catalog', env: 'SEXTANT_CATALOG', path: ['catalog'] },
  { flag: 'data-dir', env: 'SEXTANT_DATA_DIR', path: ['dataDir'] },
  { flag: 'listen', env: 'SEXTANT_LISTEN', path: ['listen'] },
  { flag: 'evaluation-interval', env: 'SEXTANT_EVALUATION_INTERVAL', path: ['evaluationInterval'] },
  {
    flag: 'alertmanager',
    env: 'SEXTANT_ALERTMANAGER',
    path: ['notifiers'],
    parse: (value) => [{ kind: 'alertmanager', urls: value.split(',').map((url) => url.trim()) }],
  },
  { flag: 'hub-url', env: 'SEXTANT_HUB_URL', path: ['hub', 'url'] },
  { flag: 'hub-token-file', env: 'SEXTANT_HUB_TOKEN_FILE', path: ['hub', 'tokenFile'] },
  { flag: 'hub-catalog', env: 'SEXTANT_HUB_CATALOG', path: ['hub', 'catalog'], parse: parseBoolean },
  { flag: 'push-interval', env: 'SEXTANT_SYNC_PUSH_INTERVAL', path: ['sync', 'pushInterval'] },
];

/** The unit's hub token from the environment; never a flag (flags show in `ps`). */
export const HUB_TOKEN_ENV = 'SEXTANT_HUB_TOKEN';

function parseBoolean(value: string): unknown {
  const text = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  return value; // the schema says what is wrong
}

/**
 * Resolves the configuration from the file text (optional), flags and environment.
 * Errors name the file position, the flag or the variable to fix.
 */
export function resolveUnitConfig(input: {
  file?: { path: string; text: string };
  flags: Readonly<Record<string, string | undefined>>;
  env: Readonly<Record<string, string | undefined>>;
}): { ok: true; value: UnitConfig } | { ok: false; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  let raw: Record<string, unknown> = {};
  let locate: ConfigLocator = () => 'configuration';
  if (input.file) {
    const read = readConfigFile(input.file);
    if (!read.ok) return read;
    raw = read.raw;
    locate = read.locate;
    const hub = raw['hub'];
    if (typeof hub === 'object' && hub !== null && 'token' in hub) {
      // A secret in a config file ends up in git and in backups: refuse it outright.
      delete (hub as Record<string, unknown>)['token'];
      issues.push({
        where: input.file.path,
        path: 'hub.token',
        message: `hub.token: never write the token in the configuration; put it in a file named by hub.tokenFile or in ${HUB_TOKEN_ENV}`,
      });
    }
  }
  const origin = applyConfigOverrides(raw, CONFIG_OVERRIDES, input.flags, input.env);
  const token = input.env[HUB_TOKEN_ENV];
  if (token !== undefined && token !== '' && typeof raw['hub'] === 'object' && raw['hub'] !== null) {
    (raw['hub'] as Record<string, unknown>)['token'] = token;
  }
  const hubRaw = raw['hub'] as Record<string, unknown> | undefined;
  const catalogRaw = raw['catalog'];
  if ((catalogRaw === undefined || catalogRaw === '') && hubRaw?.['catalog'] !== true) {
    issues.push({
      where: origin.get('catalog') ?? locate(['catalog']),
      path: 'catalog',
      message: `catalog: is required${requiredHint('catalog')}, unless hub.catalog is true`,
    });
  }
  if (
    typeof hubRaw === 'object' &&
    hubRaw !== null &&
    hubRaw['tokenFile'] === undefined &&
    hubRaw['token'] === undefined
  ) {
    issues.push({
      where: origin.get('hub.url') ?? locate(['hub']),
      path: 'hub.tokenFile',
      message: `hub: the unit needs its token: set hub.tokenFile (--hub-token-file, SEXTANT_HUB_TOKEN_FILE) or ${HUB_TOKEN_ENV}`,
    });
  }
  const parsed = unitConfigSchema().safeParse(raw, { reportInput: true });
  if (!parsed.success || issues.length > 0) {
    if (parsed.success) return { ok: false, issues };
    issues.push(
      // Never echo the secret's input.
      ...configSchemaIssues(parsed.error.issues, origin, locate, {
        hint: requiredHint,
        skip: (dotted) => dotted === 'hub.token',
      }),
    );
    return { ok: false, issues };
  }
  return { ok: true, value: parsed.data };
}

function requiredHint(path: string): string {
  const override = CONFIG_OVERRIDES.find((o) => o.path.join('.') === path);
  return override ? ` (set it in the file, with --${override.flag} or with ${override.env})` : '';
}
