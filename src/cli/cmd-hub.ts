/**
 * `sextant hub`: run the hub until SIGTERM or SIGINT; `sextant hub unit ...` and
 * `sextant hub token ...` administer it by opening its database directly (like
 * `gitlab-rails`), so the first admin can get in and a locked-out operator can recover.
 */

import { readFile } from 'node:fs/promises';
import {
  type Credential,
  generateToken,
  HUB_CONFIG_OVERRIDES,
  type HubConfig,
  type HubStore,
  issueApiToken,
  issueUnitToken,
  openConfiguredStore,
  ROLES,
  type Role,
  resolveHubConfig,
  startHub,
} from '../hub/index.ts';
import { UNIT_ID_PATTERN } from '../sync/index.ts';
import { type Command, EXIT, formatFlag, type Io, parseFlags, UsageError } from './io.ts';
import { renderTable } from './table.ts';

const configFlags = Object.fromEntries([
  ['config', { type: 'string' }],
  ...HUB_CONFIG_OVERRIDES.map((override) => [override.flag, { type: 'string' }]),
]) as Record<string, { type: 'string' }>;

/** Reads `--config` and resolves flags and environment; prints the issues and returns undefined on error. */
async function loadConfig(
  name: string,
  values: Record<string, unknown>,
  io: Io,
): Promise<HubConfig | undefined> {
  const path = values['config'] as string | undefined;
  let file: { path: string; text: string } | undefined;
  if (path !== undefined) {
    try {
      file = { path, text: await readFile(path, 'utf8') };
    } catch (error) {
      io.stderr(`sextant ${name}: cannot read ${path}: ${(error as Error).message}\n`);
      return undefined;
    }
  }
  const flags = Object.fromEntries(
    HUB_CONFIG_OVERRIDES.map((o) => [o.flag, values[o.flag] as string | undefined]),
  );
  const config = resolveHubConfig({ ...(file ? { file } : {}), flags, env: io.env });
  if (!config.ok) {
    for (const issue of config.issues) io.stderr(`${issue.where}: ${issue.message}\n`);
    return undefined;
  }
  return config.value;
}

/** Runs `work` with the hub's store opened from the configuration, and closes it. */
async function withStore(
  name: string,
  values: Record<string, unknown>,
  io: Io,
  work: (store: HubStore) => Promise<number>,
): Promise<number> {
  const config = await loadConfig(name, values, io);
  if (!config) return EXIT.invalid;
  const opened = await openConfiguredStore(config);
  if (!opened.ok) {
    io.stderr(`sextant ${name}: ${opened.message}\n`);
    return EXIT.invalid;
  }
  try {
    return await work(opened.value);
  } finally {
    await opened.value.close();
  }
}

const configUsage = `  --config FILE       the hub's configuration (hub.yaml); or give the database with
  --database URL      sqlite:/path/hub.db, a path, or postgres://user@host/db (SEXTANT_HUB_DATABASE)
  --data-dir DIR      the SQLite database is DIR/sextant-hub.db (SEXTANT_HUB_DATA_DIR)`;

export const hubCommand: Command = {
  name: 'hub',
  summary: 'Run the hub: receives unit pushes, serves the fleet API with tenants and roles.',
  usage: `sextant hub [--config hub.yaml] [flags]
sextant hub unit add|list|token ...     (sextant help hub unit)
sextant hub token create|list|revoke|generate ...   (sextant help hub token)

  Every setting can come from the file, a flag or an environment variable (flags win):
${HUB_CONFIG_OVERRIDES.map((o) => `  --${o.flag.padEnd(22)} ${o.env}`).join('\n')}
  SEXTANT_HUB_ADMIN_TOKEN (or adminTokenFile) installs a bootstrap admin token (sxt_...).
  Stops gracefully on SIGTERM/SIGINT: stops accepting, drains pushes in flight, writes the
  audit log, closes the store. See docs/hub.md.`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, configFlags, true);
    if (positionals.length > 0) {
      throw new UsageError(`unknown subcommand "${positionals.join(' ')}"; see sextant help hub`);
    }
    const config = await loadConfig('hub', values, io);
    if (!config) return EXIT.invalid;
    const started = await startHub(config);
    if (!started.ok) {
      io.stderr(`sextant hub: ${started.message}\n`);
      return EXIT.invalid;
    }
    const hub = started.value;
    io.stderr(`sextant hub listening on ${hub.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await hub.close();
    return EXIT.ok;
  },
};

function parseExpiry(text: string | undefined, nowMs: number): number | null {
  if (text === undefined) return null;
  const days = /^(\d+)d$/.exec(text);
  const ms = days ? nowMs + Number(days[1]) * 86_400_000 : Date.parse(text);
  if (!Number.isFinite(ms) || ms <= nowMs) {
    throw new UsageError(
      `--expires must be a future ISO 8601 time or a number of days like 90d; got "${text}"`,
    );
  }
  return ms;
}

function checkId(flag: string, value: string | undefined, required = true): string | undefined {
  if (value === undefined) {
    if (required) throw new UsageError(`--${flag} is required`);
    return undefined;
  }
  if (!UNIT_ID_PATTERN.test(value)) {
    throw new UsageError(`--${flag} must be 1-63 characters of a-z, 0-9 and -; got "${value}"`);
  }
  return value;
}

export const hubUnitCommand: Command = {
  name: 'hub unit',
  summary: "Register units in the hub's database and issue their tokens.",
  usage: `sextant hub unit add --id ID --tenant T --environment E [--product-line P] [--expires 90d|ISO]
sextant hub unit list [--format table|json]
sextant hub unit token --id ID [--expires 90d|ISO]

  add     registers the unit and prints its token (sxu_...) on stdout, once: the hub keeps
          only its SHA-256. Give it to the unit as sync.token.
  list    the registered units.
  token   issues another token for a unit (rotation: deploy it, then revoke the old one
          with sextant hub token revoke ID).
${configUsage}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...configFlags,
        id: { type: 'string' },
        tenant: { type: 'string' },
        environment: { type: 'string' },
        'product-line': { type: 'string' },
        expires: { type: 'string' },
        format: { type: 'string' },
      },
      true,
    );
    const [action, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const nowMs = Date.now();
    if (action === 'add') {
      const id = checkId('id', values.id as string | undefined)!;
      const tenant = checkId('tenant', values.tenant as string | undefined)!;
      const environment = checkId('environment', values.environment as string | undefined)!;
      const productLine = checkId('product-line', values['product-line'] as string | undefined, false);
      const expiresAtMs = parseExpiry(values.expires as string | undefined, nowMs);
      return withStore('hub unit', values, io, async (store) => {
        const created = await store.createUnit(
          { id, tenant, environment, productLine: productLine ?? null },
          nowMs,
        );
        if (!created.ok) {
          io.stderr(`sextant hub unit: ${created.message}\n`);
          return EXIT.invalid;
        }
        const issued = await issueUnitToken(store, id, { expiresAtMs, nowMs });
        await store.appendAudit([
          {
            atMs: nowMs,
            actor: 'system',
            action: 'create',
            resource: `unit:${id}`,
            outcome: 'ok',
            detail: { via: 'cli', tenant, credential: issued.id },
          },
        ]);
        io.stderr(
          `unit ${id} registered (tenant ${tenant}, environment ${environment}); its token, shown only now, is on stdout (credential ${issued.id})\n`,
        );
        io.stdout(`${issued.token}\n`);
        return EXIT.ok;
      });
    }
    if (action === 'list') {
      const format = formatFlag(values.format as string | undefined, ['table', 'json'] as const, 'table');
      return withStore('hub unit', values, io, async (store) => {
        const units = await store.listUnits(['*']);
        if (format === 'json') io.stdout(`${JSON.stringify({ units }, null, 2)}\n`);
        else {
          io.stdout(
            renderTable(
              ['ID', 'TENANT', 'ENVIRONMENT', 'ACKED SEQ', 'LAST PUSH'],
              units.map((unit) => [
                unit.id,
                unit.tenant,
                unit.environment,
                String(unit.ackedSeq),
                unit.lastPushAtMs === null ? '-' : new Date(unit.lastPushAtMs).toISOString(),
              ]),
            ),
          );
        }
        return EXIT.ok;
      });
    }
    if (action === 'token') {
      const id = checkId('id', values.id as string | undefined)!;
      const expiresAtMs = parseExpiry(values.expires as string | undefined, nowMs);
      return withStore('hub unit', values, io, async (store) => {
        if (!(await store.getUnit(id))) {
          io.stderr(`sextant hub unit: no unit ${id}\n`);
          return EXIT.invalid;
        }
        const issued = await issueUnitToken(store, id, { expiresAtMs, nowMs });
        await store.appendAudit([
          {
            atMs: nowMs,
            actor: 'system',
            action: 'create',
            resource: `credential:${issued.id}`,
            outcome: 'ok',
            detail: { via: 'cli', unit: id },
          },
        ]);
        io.stderr(
          `new token for unit ${id} (credential ${issued.id}) on stdout; the old ones still work until revoked\n`,
        );
        io.stdout(`${issued.token}\n`);
        return EXIT.ok;
      });
    }
    throw new UsageError(action === undefined ? 'say add, list or token' : `unknown action "${action}"`);
  },
};

function parseTenants(text: string | undefined): string[] {
  if (text === undefined)
    throw new UsageError('--tenants is required (e.g. --tenants "acme,dedicated-*" or "*")');
  const tenants = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const bad = tenants.filter((tenant) => !/^[a-z0-9*-]{1,63}$/.test(tenant));
  if (tenants.length === 0 || bad.length > 0) {
    throw new UsageError(`--tenants takes tenant names or patterns of a-z, 0-9, - and *; got "${text}"`);
  }
  return tenants;
}

interface CredentialRow {
  id: string;
  kind: 'api' | 'unit';
  name: string;
  role?: Role;
  tenants?: string[];
  unit?: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  state: 'valid' | 'expired' | 'revoked';
}

function describeCredential(credential: Credential, nowMs: number): CredentialRow {
  const state =
    credential.revokedAtMs !== null
      ? 'revoked'
      : credential.expiresAtMs !== null && credential.expiresAtMs <= nowMs
        ? 'expired'
        : 'valid';
  return {
    id: credential.id,
    kind: credential.kind,
    name: credential.name,
    ...(credential.kind === 'api'
      ? { role: credential.role, tenants: credential.tenants }
      : { unit: credential.unitId }),
    createdAt: new Date(credential.createdAtMs).toISOString(),
    expiresAt: credential.expiresAtMs === null ? null : new Date(credential.expiresAtMs).toISOString(),
    revokedAt: credential.revokedAtMs === null ? null : new Date(credential.revokedAtMs).toISOString(),
    state,
  };
}

export const hubTokenCommand: Command = {
  name: 'hub token',
  summary: "Create, list and revoke the hub's API tokens.",
  usage: `sextant hub token create --name N --role viewer|responder|admin --tenants 'acme,dedicated-*' [--expires 90d|ISO]
sextant hub token list [--format table|json]
sextant hub token revoke ID
sextant hub token generate

  create    stores a new API token (only its SHA-256) and prints it on stdout, once.
  list      every token, API and unit, with its state (never the secrets).
  revoke    revokes a token (API or unit) at once; its portal sessions end with it.
  generate  prints a fresh random token without storing it, e.g. for SEXTANT_HUB_ADMIN_TOKEN.
${configUsage}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...configFlags,
        name: { type: 'string' },
        role: { type: 'string' },
        tenants: { type: 'string' },
        expires: { type: 'string' },
        format: { type: 'string' },
      },
      true,
    );
    const [action, ...rest] = positionals;
    const nowMs = Date.now();
    if (action === 'generate') {
      io.stdout(`${generateToken('api').token}\n`);
      return EXIT.ok;
    }
    if (action === 'create') {
      if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
      const name = values.name as string | undefined;
      if (name === undefined || name.trim() === '') throw new UsageError('--name is required');
      const role = values.role as string | undefined;
      if (role === undefined || !(ROLES as readonly string[]).includes(role)) {
        throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      }
      const tenants = parseTenants(values.tenants as string | undefined);
      const expiresAtMs = parseExpiry(values.expires as string | undefined, nowMs);
      return withStore('hub token', values, io, async (store) => {
        const issued = await issueApiToken(store, { name, role: role as Role, tenants, expiresAtMs, nowMs });
        await store.appendAudit([
          {
            atMs: nowMs,
            actor: 'system',
            action: 'create',
            resource: `credential:${issued.id}`,
            outcome: 'ok',
            detail: { via: 'cli', role, tenants },
          },
        ]);
        io.stderr(
          `token ${issued.id} (${name}, ${role} of ${tenants.join(', ')}) on stdout; it is shown only now\n`,
        );
        io.stdout(`${issued.token}\n`);
        return EXIT.ok;
      });
    }
    if (action === 'list') {
      if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
      const format = formatFlag(values.format as string | undefined, ['table', 'json'] as const, 'table');
      return withStore('hub token', values, io, async (store) => {
        const tokens = (await store.listCredentials()).map((credential) =>
          describeCredential(credential, nowMs),
        );
        if (format === 'json') io.stdout(`${JSON.stringify({ tokens }, null, 2)}\n`);
        else {
          io.stdout(
            renderTable(
              ['ID', 'KIND', 'NAME', 'ROLE', 'TENANTS / UNIT', 'STATE', 'EXPIRES'],
              tokens.map((token) => [
                token.id,
                token.kind,
                token.name,
                token.role ?? '-',
                token.tenants?.join(',') ?? token.unit ?? '-',
                token.state,
                token.expiresAt ?? 'never',
              ]),
            ),
          );
        }
        return EXIT.ok;
      });
    }
    if (action === 'revoke') {
      const [id, ...extra] = rest;
      if (id === undefined) throw new UsageError('say which token: sextant hub token revoke ID');
      if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
      return withStore('hub token', values, io, async (store) => {
        const revoked = await store.revokeCredential(id, nowMs);
        if (!revoked) {
          io.stderr(`sextant hub token: no token ${id}\n`);
          return EXIT.invalid;
        }
        await store.appendAudit([
          {
            atMs: nowMs,
            actor: 'system',
            action: 'revoke',
            resource: `credential:${id}`,
            outcome: 'ok',
            detail: { via: 'cli' },
          },
        ]);
        io.stderr(`token ${id} revoked\n`);
        return EXIT.ok;
      });
    }
    throw new UsageError(
      action === undefined ? 'say create, list, revoke or generate' : `unknown action "${action}"`,
    );
  },
};
