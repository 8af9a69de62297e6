/**
 * `sextant backfill`: loads SLI history from the unit's PromQL sources into its data
 * directory, the same way the running unit pulls (src/unit/promql-pull.ts), and resumably:
 * every chunk commits with its position, so an interrupted run (Ctrl-C, SIGTERM, a crash)
 * is continued by running the same command again, and minutes already recorded, by an
 * earlier run or by the unit, are neither asked for nor counted again.
 *
 * The unit must be stopped: the backfill takes SQLite's exclusive lock on the unit's
 * database for its whole run, and refuses to start while any other connection (a running
 * unit) has the file open; a unit started during a backfill cannot open it either.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Catalog, didYouMean, formatIssue, type Sli } from '../catalog/index.ts';
import { loadCatalogFromPaths } from '../catalog-files/index.ts';
import {
  CONFIG_OVERRIDES,
  type FillReport,
  isSourceError,
  loadStoredHubCatalog,
  MAX_CHUNK_MINUTES,
  PromqlPuller,
  type PromqlSource,
  parseDurationMs,
  pullableSlis,
  resolveUnitConfig,
  type UnitConfig,
  UnitState,
} from '../unit/index.ts';
import { toError } from '../util/index.ts';
import { type Command, EXIT, type Io, parseFlags, UsageError } from './io.ts';

const MINUTE_MS = 60_000;
/** The unit's database file in its data directory (as `sextant unit` names it). */
const DATABASE_FILE = 'sextant-unit.db';
const ATTEMPTS = 3;

const flagOptions = {
  config: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  source: { type: 'string', multiple: true },
  sli: { type: 'string', multiple: true },
  chunk: { type: 'string' },
  ...Object.fromEntries(CONFIG_OVERRIDES.map((override) => [override.flag, { type: 'string' }])),
} as const;

type FlagValues = Record<string, string | string[] | undefined>;

export const backfillCommand: Command = {
  name: 'backfill',
  summary: "Load SLI history from the unit's PromQL sources into its data directory (resumable).",
  usage: `sextant backfill --config unit.yaml --from 2026-10-01T00:00Z --to 2026-11-01T00:00Z
                 [--source NAME]... [--sli service/sli]... [--chunk 1h]

  Records every minute of [from, to) for each SLI and each PromQL source of the unit
  (sources.promql in the configuration), exactly as the running unit pulls them:
  selector sources from raw samples (exact counts, as remote-write would give), $window
  expressions as Prometheus evaluates them (increase() extrapolates: not exact counts).
  Minutes not closed yet (later than now minus the source's delay) are left to the unit.

  The unit must be stopped: a running unit on the same data directory is refused.
  Interrupt it (Ctrl-C, SIGTERM) and run the same command again to continue; minutes
  already recorded are not counted twice.

  --from, --to   whole minutes, ISO 8601 with a zone (2026-10-01T00:00Z) or a date (UTC)
  --source       only these PromQL sources (repeatable); default every one
  --sli          only these SLIs (repeatable); default every SLI a PromQL source can feed
  --chunk        minutes per query (default 1h, at most ${MAX_CHUNK_MINUTES}m); halved while Prometheus refuses the size
  Settings flags of \`sextant unit\` (--data-dir, --catalog, ...) apply too.`,
  async run(args, io) {
    const { values } = parseFlags(args, { ...flagOptions }, false);
    const flags = values as FlagValues;
    const fromMinute = parseMinute('--from', flags['from']);
    const toMinute = parseMinute('--to', flags['to']);
    if (toMinute <= fromMinute) throw new UsageError('--to must be after --from');
    const chunkMinutes = parseChunk(flags['chunk']);
    const loaded = await loadConfig(flags, io);
    if (!loaded.ok) return loaded.code;
    const config = loaded.value;

    const sources = selectSources(config, flags['source'] as string[] | undefined, io);
    if (!sources) return EXIT.invalid;
    const catalog = await backfillCatalog(config, io);
    if (!catalog) return EXIT.invalid;
    const slis = selectSlis(catalog, flags['sli'] as string[] | undefined, io);
    if (!slis) return EXIT.invalid;

    const dataDir = resolve(io.cwd, config.dataDir);
    await mkdir(dataDir, { recursive: true });
    const opened = openLocked(join(dataDir, DATABASE_FILE), config);
    if (!opened.ok) {
      io.stderr(`sextant backfill: ${opened.message}\n`);
      return EXIT.invalid;
    }
    const state = opened.value;
    const controller = new AbortController();
    let signalled: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      signalled ??= signal;
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      return await backfill({
        io,
        state,
        catalog,
        sources,
        slis,
        fromMinute,
        toMinute,
        chunkMinutes,
        config,
        signal: controller.signal,
        interrupted: () => signalled,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      state.close();
    }
  },
};

interface Job {
  sli: Sli;
  puller: PromqlPuller;
  fromMinute: number;
  toMinute: number;
  pending: number;
}

async function backfill(input: {
  io: Io;
  state: UnitState;
  catalog: Catalog;
  sources: PromqlSource[];
  slis: Sli[];
  fromMinute: number;
  toMinute: number;
  chunkMinutes: number;
  config: UnitConfig;
  signal: AbortSignal;
  interrupted: () => NodeJS.Signals | undefined;
}): Promise<number> {
  const { io, state, signal } = input;
  const nowMs = Date.now();
  const nowMinute = Math.floor(nowMs / MINUTE_MS);
  // Minutes the store no longer keeps per minute are refused; older than the hourly
  // retention they would be dropped at the unit's next retention run.
  const oldest = Math.max(
    state.reader().resolution.minuteResolutionFromMinute,
    nowMinute - Math.floor(input.config.retention.hours / MINUTE_MS),
  );
  const fromMinute = Math.max(input.fromMinute, oldest);
  if (fromMinute > input.fromMinute) {
    io.stderr(`note: starting at ${iso(fromMinute)}: earlier minutes are outside the unit's retention\n`);
  }
  const deps = { state, catalog: () => input.catalog, now: () => nowMs, log: () => {} };
  const jobs: Job[] = [];
  for (const source of input.sources) {
    const puller = new PromqlPuller(source, deps, { chunkMinutes: input.chunkMinutes });
    const toMinute = Math.min(input.toMinute, puller.closedBefore(nowMs));
    if (toMinute < input.toMinute) {
      io.stderr(
        `note: ${source.name}: minutes from ${iso(toMinute)} are not closed yet (delay ${source.delay / 1000}s); the unit records them\n`,
      );
    }
    for (const sli of input.slis) {
      const pending = toMinute > fromMinute ? puller.pending(sli.id, fromMinute, toMinute) : 0;
      jobs.push({ sli, puller, fromMinute, toMinute, pending });
    }
  }
  const total = jobs.reduce((sum, job) => sum + job.pending, 0);
  const span = `${iso(fromMinute)} to ${iso(input.toMinute)}`;
  if (total === 0) {
    io.stdout(`nothing to do: every minute from ${span} is already recorded\n`);
    return EXIT.ok;
  }
  io.stderr(
    `backfill ${span}: ${input.slis.length} SLI(s) from ${input.sources.map((s) => s.name).join(', ')}, ${total} SLI-minutes to record\n`,
  );
  const progress = new Progress(io, total, process.stderr.isTTY === true && io.env['TERM'] !== 'dumb');
  const failures: string[] = [];
  // A source that stays unreachable after the retries is not asked again for each SLI.
  const down = new Set<string>();
  let recorded = 0;
  let tooOld = 0;
  for (const job of jobs) {
    if (job.pending === 0) continue;
    if (down.has(job.puller.source.name)) {
      failures.push(`${job.sli.id} from ${job.puller.source.name}: skipped, the source is unreachable`);
      continue;
    }
    for (let attempt = 1; attempt <= ATTEMPTS && !signal.aborted; attempt++) {
      const report: FillReport = await job.puller.fill(job.sli, job.fromMinute, job.toMinute, {
        signal,
        onChunk: (chunk) => progress.advance(chunk.toMinute - chunk.fromMinute),
      });
      recorded += report.minutes;
      tooOld += report.outcomes.too_old;
      if (!report.error) break;
      if (report.error.kind === 'aborted') break;
      const what = `${job.sli.id} from ${job.puller.source.name}`;
      if (attempt === ATTEMPTS) {
        if (isSourceError(report.error)) down.add(job.puller.source.name);
        failures.push(`${what}: ${report.error.message}`);
        progress.note(`error: ${what}: ${report.error.message}`);
      } else {
        progress.note(`retrying ${what} (${report.error.kind}: ${report.error.message})`);
        await sleep(1000 * 2 ** (attempt - 1), signal);
      }
    }
    if (signal.aborted) break;
  }
  progress.finish();
  if (tooOld > 0) {
    io.stderr(`note: ${tooOld} bucket(s) fell outside the unit's retention and were not stored\n`);
  }
  const interrupted = input.interrupted();
  if (interrupted) {
    io.stderr(
      `interrupted (${interrupted}) after ${recorded} SLI-minutes; run the same command again to continue\n`,
    );
    return interrupted === 'SIGINT' ? 130 : 143;
  }
  io.stdout(`recorded ${recorded} SLI-minutes from ${span}\n`);
  if (failures.length > 0) {
    io.stderr(
      `${failures.length} SLI/source pair(s) failed:\n${failures.map((f) => `  ${f}\n`).join('')}run the same command again to continue\n`,
    );
    return EXIT.invalid;
  }
  return EXIT.ok;
}

/** Progress on stderr: a redrawn bar on a terminal, a line every 5 % or 10 s otherwise. */
class Progress {
  readonly #io: Io;
  readonly #total: number;
  readonly #tty: boolean;
  readonly #startedMs = Date.now();
  #done = 0;
  #lastDrawMs = 0;
  #lastStep = 0;

  constructor(io: Io, total: number, tty: boolean) {
    this.#io = io;
    this.#total = total;
    this.#tty = tty;
  }

  advance(minutes: number): void {
    this.#done += minutes;
    const now = Date.now();
    if (this.#tty) {
      if (now - this.#lastDrawMs < 100 && this.#done < this.#total) return;
      this.#lastDrawMs = now;
      this.#io.stderr(`\r\x1b[K${this.#line(true)}`);
      return;
    }
    const step = Math.floor((this.#done / this.#total) * 20);
    if (step > this.#lastStep || now - this.#lastDrawMs >= 10_000) {
      this.#lastStep = step;
      this.#lastDrawMs = now;
      this.#io.stderr(`${this.#line(false)}\n`);
    }
  }

  /** A message between progress lines. */
  note(message: string): void {
    this.#io.stderr(`${this.#tty ? '\r\x1b[K' : ''}${message}\n`);
    if (this.#tty) this.#io.stderr(this.#line(true));
  }

  finish(): void {
    if (this.#tty) this.#io.stderr(`\r\x1b[K${this.#line(true)}\n`);
  }

  #line(bar: boolean): string {
    const ratio = Math.min(1, this.#done / this.#total);
    const elapsed = Date.now() - this.#startedMs;
    const eta = this.#done > 0 ? formatDuration((elapsed / this.#done) * (this.#total - this.#done)) : '?';
    const width = 30;
    const filled = Math.round(ratio * width);
    const head = bar ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : 'backfill: ';
    return `${head}${(ratio * 100).toFixed(1)}% (${this.#done}/${this.#total} SLI-minutes), ETA ${eta}`;
  }
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function iso(minute: number): string {
  return new Date(minute * MINUTE_MS).toISOString().replace(':00.000Z', 'Z');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        done();
      },
      { once: true },
    );
  });
}

/** An ISO 8601 instant with a zone, or a date (UTC midnight), on a whole minute. */
function parseMinute(flag: string, value: string | string[] | undefined): number {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required`);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = zoned || date ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`${flag} "${value}" is not an ISO 8601 time with a zone, e.g. 2026-10-01T00:00Z`);
  }
  if (ms % MINUTE_MS !== 0) throw new UsageError(`${flag} "${value}" is not on a whole minute`);
  return ms / MINUTE_MS;
}

function parseChunk(value: string | string[] | undefined): number {
  if (value === undefined) return 60;
  const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
  if (ms === undefined || ms % MINUTE_MS !== 0 || ms / MINUTE_MS > MAX_CHUNK_MINUTES) {
    throw new UsageError(`--chunk must be whole minutes from 1m to ${MAX_CHUNK_MINUTES}m, e.g. 1h`);
  }
  return ms / MINUTE_MS;
}

async function loadConfig(
  flags: FlagValues,
  io: Io,
): Promise<{ ok: true; value: UnitConfig } | { ok: false; code: number }> {
  const path = flags['config'];
  let file: { path: string; text: string } | undefined;
  if (typeof path === 'string') {
    try {
      file = { path, text: await readFile(resolve(io.cwd, path), 'utf8') };
    } catch (error) {
      io.stderr(`sextant backfill: cannot read ${path}: ${toError(error).message}\n`);
      return { ok: false, code: EXIT.invalid };
    }
  }
  const overrides = Object.fromEntries(
    CONFIG_OVERRIDES.map((o) => [
      o.flag,
      typeof flags[o.flag] === 'string' ? (flags[o.flag] as string) : undefined,
    ]),
  );
  const config = resolveUnitConfig({ ...(file ? { file } : {}), flags: overrides, env: io.env });
  if (!config.ok) {
    for (const issue of config.issues) io.stderr(`${issue.where}: ${issue.message}\n`);
    return { ok: false, code: EXIT.invalid };
  }
  return { ok: true, value: config.value };
}

function selectSources(config: UnitConfig, names: string[] | undefined, io: Io): PromqlSource[] | undefined {
  const all = config.sources.promql;
  if (all.length === 0) {
    io.stderr('sextant backfill: the configuration has no PromQL source (sources.promql)\n');
    return undefined;
  }
  if (names === undefined) return all;
  const known = all.map((source) => source.name);
  const unknown = names.filter((name) => !known.includes(name));
  for (const name of unknown) {
    io.stderr(
      `sextant backfill: no PromQL source "${name}" (configured: ${known.join(', ')}).${didYouMean(name, known)}\n`,
    );
  }
  return unknown.length > 0 ? undefined : all.filter((source) => names.includes(source.name));
}

/**
 * The catalog a backfill works from: the configured directory, or (for a unit that takes
 * its catalog from the hub) the last hub catalog stored in the data directory.
 */
async function backfillCatalog(config: UnitConfig, io: Io): Promise<Catalog | undefined> {
  if (config.catalog === '') {
    const stored = await loadStoredHubCatalog(resolve(io.cwd, config.dataDir));
    if (stored?.ok) return stored.value.catalog;
    io.stderr(
      stored
        ? `sextant backfill: the stored hub catalog is invalid: ${stored.issues.join('; ')}\n`
        : 'sextant backfill: no catalog: set catalog, or run the unit once so it fetches the hub catalog\n',
    );
    return undefined;
  }
  const { build, problems } = await loadCatalogFromPaths([resolve(io.cwd, config.catalog)]);
  if (build.valid && problems.length === 0) return build.catalog;
  for (const problem of problems) io.stderr(`${problem.path}: ${problem.message}\n`);
  for (const issue of build.issues.filter((i) => i.severity === 'error'))
    io.stderr(`${formatIssue(issue)}\n`);
  io.stderr(`sextant backfill: the catalog ${config.catalog} is invalid; fix it first\n`);
  return undefined;
}

function selectSlis(catalog: Catalog, ids: string[] | undefined, io: Io): Sli[] | undefined {
  const pullable = pullableSlis(catalog);
  if (ids === undefined) return pullable;
  const every = [...catalog.services.values()].flatMap((service) => service.slis);
  let ok = true;
  for (const id of ids) {
    const sli = every.find((s) => s.id === id);
    if (!sli) {
      io.stderr(
        `sextant backfill: no SLI "${id}" in the catalog.${didYouMean(
          id,
          every.map((s) => s.id),
        )}\n`,
      );
      ok = false;
    } else if (!pullable.includes(sli)) {
      io.stderr(
        `sextant backfill: "${id}" is an events SLI: it is fed through POST /api/v1/events, not PromQL\n`,
      );
      ok = false;
    }
  }
  return ok ? pullable.filter((sli) => ids.includes(sli.id)) : undefined;
}

/**
 * Opens the unit's state and takes SQLite's exclusive lock for the whole run. In WAL mode
 * every open connection holds a shared lock, so the lock fails while a unit (or another
 * backfill) has the file open, and nothing else can open it until the backfill ends.
 */
function openLocked(
  path: string,
  config: UnitConfig,
): { ok: true; value: UnitState } | { ok: false; message: string } {
  const opened = UnitState.open(path, {
    retention: {
      minuteRetentionMinutes: Math.round(config.retention.minutes / MINUTE_MS),
      hourRetentionMinutes: Math.round(config.retention.hours / MINUTE_MS),
    },
  });
  if (!opened.ok) {
    const busy = /locked|busy/i.test(opened.message);
    return {
      ok: false,
      message: busy
        ? `${path} is in use (is the unit running?); stop the unit before a backfill`
        : `cannot open the unit's database ${path}: ${opened.message}`,
    };
  }
  const state = opened.value;
  try {
    state.db.exec('PRAGMA busy_timeout = 500');
    state.db.exec('PRAGMA locking_mode = EXCLUSIVE');
    state.db.exec('BEGIN EXCLUSIVE');
    state.db.exec('COMMIT');
    return { ok: true, value: state };
  } catch (thrown) {
    state.close();
    const error = toError(thrown);
    const code = (thrown as { errcode?: number }).errcode;
    if (code === 5 || code === 6 || /locked|busy/i.test(error.message)) {
      return {
        ok: false,
        message: `${path} is in use by another process (a running unit or backfill): stop the unit first; a backfill writes the same counts and positions and must be their only writer`,
      };
    }
    return { ok: false, message: `cannot lock ${path}: ${error.message}` };
  }
}
