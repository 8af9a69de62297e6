/**
 * `sextant slo status`: every SLO of a catalog evaluated over a counts CSV, for people
 * (tables) and machines (JSON). The counts go through the same SQLite store and SLO engine
 * a unit uses, in a throwaway in-memory database.
 */

import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { type Catalog, closestName, formatMinutes, type Slo } from '../catalog/index.ts';
import {
  type CountsCsvIssue,
  CountsCsvParser,
  type CountsCsvRow,
  formatCountsCsvIssue,
} from '../counts-csv/index.ts';
import {
  type AlertState,
  type BudgetAmount,
  type CountSeries,
  evaluateSlo,
  journeySeries,
  type Result,
  type SloDefinition,
  type SloStatus,
} from '../slo/index.ts';
import { type CountReader, openSqliteCountStore, type SqliteCountStore } from '../store/index.ts';
import { loadCatalog } from './cmd-catalog.ts';
import { type Command, EXIT, formatFlag, type Io, parseFlags, UsageError } from './io.ts';
import { renderTable } from './table.ts';

const usage = `sextant slo status --counts FILE [--catalog DIR] [--at ISO8601] [--format table|json] [--slo ID]

  --counts    counts CSV with the header sli,labels,minute,good,total: sli is service/sli,
              labels a JSON object of the SLI's significant labels (or empty), minute an
              ISO 8601 UTC minute (2026-11-01T10:05Z), 0 <= good <= total. A bucket given
              twice keeps its last row.
  --catalog   catalog directory or file (repeatable; default ./catalog)
  --at        evaluation instant, ISO 8601 with a zone (2026-11-01T12:00Z). Default: the
              minute after the last count in the file, so the same file always gives the
              same output.
  --format    table (default) or json
  --slo       only this SLO, service/slo or journey/slo (repeatable)

Alert states are replayed minute by minute from the longest 'for' + 2 minutes before --at,
as a unit evaluating every minute would have seen them. Exit 0 whenever the evaluation ran,
breached or not; 1 for invalid catalog or counts; 2 for usage errors.

JSON: { at, atSource: "flag"|"counts", counts: { file, rows, series, firstMinute, lastMinute },
  slos: [{ id, kind: "service"|"journey", sli, parts, objectiveRatio, objectivePercent,
  window: { text, from, to, periodFrom, periodTo }, budgeting, sliceMinutes, emptySlice,
  good, total, bad, sliRatio (null = no data), budget: { unit: "events"|"minutes", total,
  consumed, remaining, consumedRatio, remainingRatio } (the whole period), budgetSoFar (the
  elapsed part; differs for calendar windows), burnRate1h, timeToExhaustionMinutes (null when
  not burning, 0 when exhausted), tiers: [{ name, severity, factor, longMinutes, longBurnRate,
  shortMinutes, shortBurnRate, longTotal, enoughTraffic, conditionMet, state }], alerts: [{ name,
  severity, state: inactive|pending|firing|resolved, since }], budgetExhausted,
  trafficCessation, excludedMinutes }] }. Instants are ISO 8601 UTC; ratios are 0..1; derived
  numbers are rounded to 12 significant digits, counts are exact.`;

/** Budget of the period or of the elapsed window, in the method's unit. */
export interface BudgetJson {
  unit: 'events' | 'minutes';
  total: number;
  consumed: number;
  remaining: number;
  consumedRatio: number;
  /** Below 0 when overspent (never clamped). */
  remainingRatio: number;
}

/** One alert tier: the long and short burn rates against the tier's factor. */
export interface TierJson {
  name: string;
  severity: 'page' | 'ticket';
  factor: number;
  longMinutes: number;
  longBurnRate: number;
  shortMinutes: number;
  shortBurnRate: number;
  longTotal: number;
  enoughTraffic: boolean;
  conditionMet: boolean;
  state: string;
}

/** One SLO in `sextant slo status --format json`; field names are stable. */
export interface SloStatusJson {
  id: string;
  kind: 'service' | 'journey';
  sli: string | null;
  parts: { sli: string; weight: number }[] | null;
  objectiveRatio: number;
  objectivePercent: number;
  window: { text: string; from: string; to: string; periodFrom: string; periodTo: string };
  budgeting: 'occurrences' | 'timeslices' | 'ratioTimeslices';
  sliceMinutes: number | null;
  emptySlice: 'good' | 'bad' | null;
  good: number;
  total: number;
  bad: number;
  /** null: no data in the window. */
  sliRatio: number | null;
  budget: BudgetJson;
  budgetSoFar: BudgetJson;
  burnRate1h: number;
  timeToExhaustionMinutes: number | null;
  tiers: TierJson[];
  alerts: { name: string; severity: 'page' | 'ticket'; state: string; since: string | null }[];
  budgetExhausted: boolean;
  trafficCessation: boolean;
  excludedMinutes: number;
}

/** The whole JSON document. */
export interface StatusJson {
  at: string;
  atSource: 'flag' | 'counts';
  counts: {
    file: string;
    rows: number;
    series: number;
    firstMinute: string | null;
    lastMinute: string | null;
  };
  slos: SloStatusJson[];
}

interface Target {
  slo: Slo;
  kind: 'service' | 'journey';
  parts: { sli: string; weight: number }[] | null;
}

const MAX_PRINTED_ISSUES = 50;
const BATCH_ROWS = 10_000;

export const sloStatusCommand: Command = {
  name: 'slo status',
  summary: 'Evaluate every SLO over a counts CSV: SLI, error budget, burn rates, alert states.',
  usage,
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        counts: { type: 'string' },
        catalog: { type: 'string', multiple: true },
        at: { type: 'string' },
        format: { type: 'string' },
        slo: { type: 'string', multiple: true },
      },
      false,
    );
    const format = formatFlag(values.format, ['table', 'json'] as const, 'table');
    if (values.counts === undefined) throw new UsageError('--counts FILE is required');
    const flagAtMs = values.at === undefined ? undefined : parseAt(values.at);

    const catalog = await loadCatalog(
      (values.catalog ?? ['catalog']).map((p) => resolve(io.cwd, p)),
      io,
    );
    if (!catalog) return EXIT.invalid;
    const targets = selectTargets(catalog, values.slo ?? [], io);
    if (!targets) return EXIT.invalid;

    const opened = openSqliteCountStore({ path: ':memory:', durability: 'off' });
    if (!opened.ok) throw new Error(opened.issues.map((i) => i.message).join('; '));
    const store = opened.value;
    try {
      const loaded = await loadCounts(values.counts, resolve(io.cwd, values.counts), catalog, store, io);
      if (!loaded) return EXIT.invalid;
      let atMs = flagAtMs;
      if (atMs === undefined) {
        if (loaded.lastMinute === null) {
          throw new UsageError(`${values.counts} has no rows; pass --at to choose the evaluation instant`);
        }
        atMs = (loaded.lastMinute + 1) * 60_000;
      }
      const reader = store.readerSync();
      const reports: SloStatusJson[] = [];
      for (const target of targets) {
        const series = seriesOf(target, reader);
        if (!series.ok) {
          io.stderr(`${target.slo.id}: ${series.issues.map((i) => i.message).join('; ')}\n`);
          return EXIT.invalid;
        }
        const status = evaluateWithReplay(target.slo.definition, series.value, atMs);
        if (!status.ok) {
          io.stderr(`${target.slo.id}: ${status.issues.map((i) => i.message).join('; ')}\n`);
          return EXIT.invalid;
        }
        reports.push(toJson(target, status.value));
      }
      const document: StatusJson = {
        at: iso(atMs),
        atSource: flagAtMs === undefined ? 'counts' : 'flag',
        counts: {
          file: values.counts,
          rows: loaded.rows,
          series: (await store.listSeries()).length,
          firstMinute: loaded.firstMinute === null ? null : iso(loaded.firstMinute * 60_000),
          lastMinute: loaded.lastMinute === null ? null : iso(loaded.lastMinute * 60_000),
        },
        slos: reports,
      };
      io.stdout(format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : renderStatus(document));
      return EXIT.ok;
    } finally {
      store.closeSync();
    }
  },
};

/** Parses `--at`: ISO 8601 date-time with seconds optional and an explicit zone. */
function parseAt(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `--at must be an ISO 8601 instant with a zone, such as 2026-11-01T12:00Z; got "${text}"`,
    );
  }
  return ms;
}

function selectTargets(catalog: Catalog, wanted: readonly string[], io: Io): Target[] | undefined {
  const all: Target[] = [];
  for (const service of catalog.services.values())
    for (const slo of service.slos) all.push({ slo, kind: 'service', parts: null });
  for (const journey of catalog.journeys.values())
    for (const slo of journey.slos)
      all.push({ slo, kind: 'journey', parts: journey.parts.map((p) => ({ ...p })) });
  all.sort((a, b) => a.slo.id.localeCompare(b.slo.id));
  if (wanted.length === 0) return all;
  const ids = all.map((t) => t.slo.id);
  const unknown = wanted.filter((id) => !ids.includes(id));
  for (const id of unknown) {
    const close = closestName(id, ids);
    io.stderr(`no SLO "${id}" in the catalog${close !== undefined ? `; did you mean "${close}"?` : ''}\n`);
  }
  return unknown.length > 0 ? undefined : all.filter((t) => wanted.includes(t.slo.id));
}

/** Streams the CSV into the store in batches; prints every problem and returns undefined on any. */
async function loadCounts(
  shownPath: string,
  path: string,
  catalog: Catalog,
  store: SqliteCountStore,
  io: Io,
): Promise<{ rows: number; firstMinute: number | null; lastMinute: number | null } | undefined> {
  const slis = new Map<string, readonly string[]>();
  for (const service of catalog.services.values())
    for (const sli of service.slis) slis.set(sli.id, sli.significantLabels);
  let batch: CountsCsvRow[] = [];
  let firstMinute: number | null = null;
  const parser = new CountsCsvParser(
    (row) => {
      batch.push(row);
      if (firstMinute === null || row.minute < firstMinute) firstMinute = row.minute;
    },
    { slis, maxIssues: MAX_PRINTED_ISSUES },
  );
  const flush = async () => {
    // Once the file has an error it will be refused; keep parsing only to report everything.
    if (batch.length === 0 || parser.issueCount > 0) {
      batch = [];
      return true;
    }
    const written = await store.put(batch);
    batch = [];
    if (!written.ok) {
      for (const issue of written.issues) io.stderr(`${shownPath}: ${issue.message}\n`);
      return false;
    }
    return true;
  };
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      parser.push(chunk as string);
      if (batch.length >= BATCH_ROWS && !(await flush())) return undefined;
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    io.stderr(`${shownPath}: cannot read: ${reason}\n`);
    return undefined;
  }
  parser.end();
  if (!(await flush())) return undefined;
  if (parser.issueCount > 0) {
    printIssues(parser.issues, parser.issueCount, shownPath, io);
    return undefined;
  }
  return { rows: parser.rowCount, firstMinute, lastMinute: parser.lastMinute };
}

function printIssues(issues: readonly CountsCsvIssue[], count: number, file: string, io: Io): void {
  for (const issue of issues) io.stderr(`${formatCountsCsvIssue(issue, file)}\n`);
  if (count > issues.length) io.stderr(`... and ${count - issues.length} more\n`);
  io.stderr(`${file}: ${count} error(s); no SLO was evaluated\n`);
}

function seriesOf(target: Target, reader: CountReader): Result<CountSeries> {
  if (target.parts !== null) {
    // Journeys: sum(w_i * G_i) / sum(w_i * T_i) over the parts (SLO-MATH.md, "Composites").
    return journeySeries(target.parts.map((p) => ({ series: reader.sliSeries(p.sli), weight: p.weight })));
  }
  return { ok: true, value: reader.sliSeries(target.slo.sli ?? '') };
}

/**
 * Evaluates at `atMs` after replaying the previous minutes, so `for` durations are honoured
 * as by a unit that evaluates every minute: a condition true for the last hour is firing,
 * not pending.
 */
function evaluateWithReplay(definition: SloDefinition, series: CountSeries, atMs: number): Result<SloStatus> {
  const alerting = definition.alerting;
  const replayMinutes = alerting.enabled ? Math.max(0, ...alerting.tiers.map((t) => t.forMinutes)) + 2 : 0;
  let state: AlertState | undefined;
  for (let k = replayMinutes; k >= 1; k--) {
    const step = evaluateSlo(definition, series, atMs - k * 60_000, state);
    if (!step.ok) return step;
    state = step.value.alerts.state;
  }
  return evaluateSlo(definition, series, atMs, state);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Rounds derived floats so `0.1 + 0.2`-style noise does not reach the JSON. */
function round(value: number): number {
  return Number(value.toPrecision(12));
}

function budgetJson(unit: 'events' | 'minutes', b: BudgetAmount): BudgetJson {
  return {
    unit,
    total: round(b.total),
    consumed: round(b.consumed),
    remaining: round(b.remaining),
    consumedRatio: round(b.consumedRatio),
    remainingRatio: round(b.remainingRatio),
  };
}

function toJson(target: Target, s: SloStatus): SloStatusJson {
  const { slo } = target;
  const b = slo.definition.budgeting;
  const phases = new Map(s.alerts.state.alerts.map((a) => [a.name, a]));
  return {
    id: slo.id,
    kind: target.kind,
    sli: slo.sli ?? null,
    parts: target.parts,
    objectiveRatio: s.objectiveRatio,
    objectivePercent: round(s.objectiveRatio * 100),
    window: {
      text: slo.windowText,
      from: iso(s.window.fromMinute * 60_000),
      to: iso(s.window.toMinute * 60_000),
      periodFrom: iso(s.window.periodFromMinute * 60_000),
      periodTo: iso(s.window.periodToMinute * 60_000),
    },
    budgeting: b.method,
    sliceMinutes: b.method === 'occurrences' ? null : b.sliceMinutes,
    emptySlice: s.budget.emptySlice,
    good: s.good,
    total: s.total,
    bad: s.bad,
    sliRatio: s.sliRatio === null ? null : round(s.sliRatio),
    budget: budgetJson(s.budget.unit, s.budget.period),
    budgetSoFar: budgetJson(s.budget.unit, s.budget.soFar),
    burnRate1h: round(s.burnRate1h),
    timeToExhaustionMinutes: s.timeToExhaustionMinutes === null ? null : round(s.timeToExhaustionMinutes),
    tiers: s.tiers.map((t) => ({
      name: t.name,
      severity: t.severity,
      factor: round(t.factor),
      longMinutes: t.long.minutes,
      longBurnRate: round(t.long.burnRate),
      shortMinutes: t.short.minutes,
      shortBurnRate: round(t.short.burnRate),
      longTotal: t.long.total,
      enoughTraffic: t.enoughTraffic,
      conditionMet: t.conditionMet,
      state: phases.get(t.name)?.phase ?? 'inactive',
    })),
    alerts: s.alerts.state.alerts.map((a) => ({
      name: a.name,
      severity: a.severity,
      state: a.phase,
      since: a.phase === 'inactive' ? null : iso(a.sinceMs),
    })),
    budgetExhausted: s.budgetExhausted,
    trafficCessation: s.trafficCessation.conditionMet,
    excludedMinutes: s.excluded.minutes,
  };
}

// ---- table ------------------------------------------------------------------------------

function percent(ratio: number, digits = 2): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

function amount(value: number, unit: 'events' | 'minutes'): string {
  const text = value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return unit === 'events' ? text : `${text} min`;
}

function budgetingText(s: SloStatusJson): string {
  if (s.budgeting === 'occurrences') return 'occurrences';
  const slice = formatMinutes(s.sliceMinutes ?? 1);
  return s.budgeting === 'timeslices'
    ? `timeslices ${slice}, empty=${s.emptySlice}`
    : `ratioTimeslices ${slice}`;
}

function exhaustionText(minutes: number | null): string {
  if (minutes === null) return '-';
  if (minutes <= 0) return 'exhausted';
  return formatMinutes(Math.max(1, Math.round(minutes)));
}

function renderStatus(d: StatusJson): string {
  const overview = renderTable(
    [
      'SLO',
      'SLI',
      'OBJECTIVE',
      'WINDOW',
      'BUDGETING',
      'BUDGET',
      'CONSUMED',
      'REMAINING',
      'TIME TO EXHAUSTION',
      'ALERTS',
    ],
    d.slos.map((s) => {
      const b = s.budget;
      const active = s.alerts.filter(
        (a) => a.state === 'firing' || a.state === 'pending' || a.state === 'resolved',
      );
      return [
        s.id,
        s.sliRatio === null ? 'no data' : percent(s.sliRatio, 3),
        `${s.objectivePercent}%`,
        s.window.text,
        budgetingText(s),
        amount(b.total, b.unit),
        `${percent(b.consumedRatio)} (${amount(b.consumed, b.unit)})`,
        `${percent(b.remainingRatio)} (${amount(b.remaining, b.unit)})`,
        exhaustionText(s.timeToExhaustionMinutes),
        active.map((a) => `${a.name} ${a.state}`).join(', ') || '-',
      ];
    }),
  );
  const burn = renderTable(
    ['SLO', 'TIER', 'SEVERITY', 'FACTOR', 'LONG', 'BURN', 'SHORT', 'BURN', 'ALERT'],
    d.slos.flatMap((s) =>
      s.tiers.map((t) => [
        s.id,
        t.name,
        t.severity,
        t.factor.toFixed(2),
        formatMinutes(t.longMinutes),
        t.longBurnRate.toFixed(2),
        formatMinutes(t.shortMinutes),
        t.shortBurnRate.toFixed(2),
        t.enoughTraffic ? t.state : `${t.state} (low traffic)`,
      ]),
    ),
  );
  const source =
    d.atSource === 'counts' ? `the minute after the last count in ${d.counts.file}` : 'as given by --at';
  return `${overview}
Burn rates (a tier fires when both its long and short burn rates exceed its factor):
${burn}
Evaluated at ${d.at} (${source}); ${d.counts.rows} count row(s) in ${d.counts.series} series.
`;
}
