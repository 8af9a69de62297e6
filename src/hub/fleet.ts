/**
 * The hub's fleet queries (docs/hub.md, "Fleet queries"): error budgets, burn rates,
 * monthly availability and SLI series over many units, from the counts the units pushed.
 *
 * Every number follows SLO-MATH.md: counts are summed across units and label values first,
 * ratios are formed after. The SLO engine (`src/slo`) does the math wherever it can; this
 * module plans store reads (one `sliWindowTotals` call for all the windows of a query, never
 * one per unit), groups units, and says where the hub's data do not cover a window.
 *
 * Pure functions of (catalog, store reads, units in scope, now): no clock, no other I/O.
 * Tenant scoping happens before: `units` holds only what the caller may see.
 */

import {
  type Catalog,
  didYouMean,
  formatMinutes,
  type Journey,
  parseDurationMinutes,
  type Service,
  type Slo,
  tenantPattern,
} from '../catalog/index.ts';
import {
  alertFactor,
  burnRate,
  type CountSeries,
  type CountTotals,
  calendarPeriod,
  clipRanges,
  confidenceZ,
  createPrefixSeries,
  DEFAULT_MAX_SPAN_MINUTES,
  errorBudgetRatio,
  evaluateSlo,
  expandMaintenance,
  isValidTimeZone,
  journeySeries,
  localToEpochMs,
  type MinuteRange,
  mergeRanges,
  occurrencesBudget,
  overlapMinutes,
  resolveWindow,
  type SloDefinition,
  type SloWindow,
  sumExcluding,
  weightedAvailability,
  wilsonLowerBound,
} from '../slo/index.ts';
import {
  type AvailabilityQuery,
  type AvailabilityView,
  type BudgetGroupView,
  type BurningEntryView,
  type BurningNowQuery,
  type BurningNowView,
  type CoverageNote,
  type CoverageNoteCode,
  FLEET_ISSUE_CODES,
  type FleetBudgetsQuery,
  type FleetBudgetsView,
  type FleetIssue,
  type FleetIssueCode,
  type FleetResult,
  type GroupSummaryView,
  MAX_SERIES_POINTS,
  MAX_SERIES_QUERIES,
  MAX_UNIT_SERIES,
  type SliSeriesQuery,
  type SliSeriesView,
  type SloBudgetView,
  type TenantAvailabilityView,
  type UnitReportedView,
  type WindowView,
} from './fleet-schemas.ts';
import { DEFAULT_HUB_RETENTION, type HubRetention, type HubStore, type UnitInfo } from './store/index.ts';

const MINUTE_MS = 60_000;
const NOTE_UNITS = 10;
/** A unit whose last push is older than this is reported stale. */
export const DEFAULT_STALE_AFTER_MS = 15 * MINUTE_MS;
/** Service annotation giving its weight in weighted availability (a number >= 0, default 1). */
export const AVAILABILITY_WEIGHT_ANNOTATION = 'sextant.dev/availability-weight';

/** The store reads the fleet queries use (the whole `HubStore` satisfies it). */
export type FleetStore = Pick<HubStore, 'stepMinutes' | 'sliWindowTotals' | 'sliSeries' | 'records'>;

/** What every fleet query runs against. */
export interface FleetContext {
  catalog: Catalog;
  store: FleetStore;
  /** The units the caller may see, already filtered to its tenants. Nothing else counts. */
  units: readonly UnitInfo[];
  nowMs: number;
  /** The hub's retention, for coverage notes. Default `DEFAULT_HUB_RETENTION`. */
  retention?: HubRetention | undefined;
  /** Default `DEFAULT_STALE_AFTER_MS`. */
  staleAfterMs?: number | undefined;
}

// ---------------------------------------------------------------------------------------
// Small helpers

function issue(code: FleetIssueCode, path: (string | number)[], message: string): FleetIssue {
  return { code, path, message };
}

function fail<T>(issues: FleetIssue[]): FleetResult<T> {
  return { ok: false, issues };
}

const floorTo = (minute: number, step: number): number => Math.floor(minute / step) * step;
const ceilTo = (minute: number, step: number): number => Math.ceil(minute / step) * step;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The slice resolution of data older than the detail retention: whole hours and whole steps. */
function hourlyResolution(step: number): number {
  return (step * 60) / gcd(step, 60);
}

function note(code: CoverageNoteCode, message: string, units?: readonly UnitInfo[]): CoverageNote {
  return {
    code,
    message,
    unitCount: units === undefined ? null : units.length,
    units: units === undefined ? [] : units.slice(0, NOTE_UNITS).map((unit) => unit.id),
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const isoMinute = (minute: number): string => new Date(minute * MINUTE_MS).toISOString();

// ---------------------------------------------------------------------------------------
// The catalog as the fleet sees it

/** The SLIs an SLO is computed from (one for a service SLO, the journey's parts otherwise). */
interface SloPart {
  sli: string;
  weight: number;
  /** The service owning the SLI; undefined when the catalog lacks it (no unit runs it). */
  service: Service | undefined;
}

/** An SLO with what the fleet queries need to place it. */
interface FleetSlo {
  slo: Slo;
  service: Service | null;
  journey: Journey | null;
  /** Service SLOs: the SLI's team (default the service owner); journeys: the journey owner. */
  team: string;
  parts: SloPart[];
}

function fleetSlos(catalog: Catalog): FleetSlo[] {
  const out: FleetSlo[] = [];
  for (const service of catalog.services.values()) {
    for (const slo of service.slos) {
      const sli = service.slis.find((candidate) => candidate.id === slo.sli);
      out.push({
        slo,
        service,
        journey: null,
        team: sli?.team ?? service.owner,
        parts: [{ sli: slo.sli ?? '', weight: 1, service }],
      });
    }
  }
  for (const journey of catalog.journeys.values()) {
    const parts = journey.parts.map((part) => ({
      sli: part.sli,
      weight: part.weight,
      service: catalog.services.get(part.sli.split('/')[0] ?? ''),
    }));
    for (const slo of journey.slos) out.push({ slo, service: null, journey, team: journey.owner, parts });
  }
  return out.sort((a, b) => (a.slo.id < b.slo.id ? -1 : a.slo.id > b.slo.id ? 1 : 0));
}

/**
 * Which units run which service, from the catalog's `instances` (tenant and environment
 * patterns, `*` wildcards). Instance label selectors cannot be checked at the hub, which
 * does not know instance labels: those services count on every matching unit (a unit that
 * does not run the service has no counts for it, so only the unit tallies are affected).
 */
class Instances {
  // Per service, per unit object: the units of one query are the same objects throughout.
  readonly #memo = new Map<Service, Map<UnitInfo, boolean>>();

  runs(service: Service | undefined, unit: UnitInfo): boolean {
    if (service === undefined) return false;
    let byUnit = this.#memo.get(service);
    if (byUnit === undefined) {
      byUnit = new Map();
      this.#memo.set(service, byUnit);
    }
    let answer = byUnit.get(unit);
    if (answer === undefined) {
      const { tenants, environments } = service.instances;
      answer =
        (tenants === undefined || tenants.some((pattern) => tenantPattern(pattern).test(unit.tenant))) &&
        (environments === undefined ||
          environments.some((pattern) => tenantPattern(pattern).test(unit.environment)));
      byUnit.set(unit, answer);
    }
    return answer;
  }

  /** Units running at least one part of the SLO. */
  sloUnits(fs: FleetSlo, units: readonly UnitInfo[]): UnitInfo[] {
    return units.filter((unit) => fs.parts.some((part) => this.runs(part.service, unit)));
  }

  partUnitIds(part: SloPart, units: readonly UnitInfo[]): string[] {
    const ids: string[] = [];
    for (const unit of units) if (this.runs(part.service, unit)) ids.push(unit.id);
    return ids;
  }
}

interface Filters {
  service?: string | undefined;
  team?: string | undefined;
  tenant?: string | undefined;
  unit?: string | undefined;
}

interface Scope {
  slos: FleetSlo[];
  units: UnitInfo[];
}

/** Teams at or below `team` in the parent tree (a stage group sees its groups' SLOs). */
function teamAndBelow(catalog: Catalog, team: string): Set<string> {
  const out = new Set([team]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const candidate of catalog.teams.values()) {
      if (candidate.parent !== undefined && out.has(candidate.parent) && !out.has(candidate.name)) {
        out.add(candidate.name);
        grew = true;
      }
    }
  }
  return out;
}

/** Applies the filters; unknown names are issues, and a tenant or unit out of scope reads as unknown. */
function applyFilters(ctx: FleetContext, filters: Filters): FleetResult<Scope> {
  const { catalog } = ctx;
  const issues: FleetIssue[] = [];
  let slos = fleetSlos(catalog);
  if (filters.service !== undefined) {
    const service = filters.service;
    if (!catalog.services.has(service)) {
      issues.push(
        issue(
          FLEET_ISSUE_CODES.unknownService,
          ['service'],
          `service "${service}" is not in the hub's catalog.${didYouMean(service, catalog.services.keys())}`,
        ),
      );
    }
    slos = slos.filter((fs) => fs.parts.some((part) => part.service?.name === service));
  }
  if (filters.team !== undefined) {
    if (!catalog.teams.has(filters.team)) {
      issues.push(
        issue(
          FLEET_ISSUE_CODES.unknownTeam,
          ['team'],
          `team "${filters.team}" is not in the hub's catalog.${didYouMean(filters.team, catalog.teams.keys())}`,
        ),
      );
    }
    const teams = teamAndBelow(catalog, filters.team);
    slos = slos.filter((fs) => teams.has(fs.team));
  }
  let units = [...ctx.units].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (filters.tenant !== undefined) {
    units = units.filter((unit) => unit.tenant === filters.tenant);
    if (units.length === 0) {
      issues.push(
        issue(
          FLEET_ISSUE_CODES.notInScope,
          ['tenant'],
          `no unit of tenant "${filters.tenant}" is visible to you (it does not exist, has no units, or is outside your tenants)`,
        ),
      );
    }
  }
  if (filters.unit !== undefined) {
    units = units.filter((unit) => unit.id === filters.unit);
    if (units.length === 0) {
      issues.push(
        issue(
          FLEET_ISSUE_CODES.notInScope,
          ['unit'],
          `unit "${filters.unit}" is not visible to you (it does not exist or is outside your tenants${filters.tenant === undefined ? '' : ' or the tenant filter'})`,
        ),
      );
    }
  }
  return issues.length > 0 ? fail(issues) : { ok: true, value: { slos, units } };
}

// ---------------------------------------------------------------------------------------
// Windows at hub resolution

type RequestedWindow = { kind: 'rolling'; minutes: number } | { kind: 'calendar'; unit: 'month' | 'quarter' };

function parseRequestedWindow(
  text: string | undefined,
  zone: string | undefined,
): FleetResult<RequestedWindow | null> {
  const issues: FleetIssue[] = [];
  if (zone !== undefined && !isValidTimeZone(zone)) {
    issues.push(
      issue(
        FLEET_ISSUE_CODES.invalidTimeZone,
        ['zone'],
        `"${zone}" is not an IANA time zone (e.g. Europe/Berlin)`,
      ),
    );
  }
  let requested: RequestedWindow | null = null;
  if (text === 'month' || text === 'quarter') requested = { kind: 'calendar', unit: text };
  else if (text !== undefined) {
    const parsed = parseDurationMinutes(text);
    if (!parsed.ok) {
      issues.push(
        issue(
          FLEET_ISSUE_CODES.invalidWindow,
          ['window'],
          `${parsed.issues.map((i) => i.message).join('; ')}; or write month or quarter`,
        ),
      );
    } else if (parsed.value > DEFAULT_MAX_SPAN_MINUTES) {
      issues.push(
        issue(
          FLEET_ISSUE_CODES.invalidWindow,
          ['window'],
          `window ${text} is longer than ${formatMinutes(DEFAULT_MAX_SPAN_MINUTES)}, the longest the hub evaluates`,
        ),
      );
    } else requested = { kind: 'rolling', minutes: parsed.value };
  }
  return issues.length > 0 ? fail(issues) : { ok: true, value: requested };
}

/** The window an SLO is evaluated over: the one asked for, or its own. */
function windowFor(fs: FleetSlo, requested: RequestedWindow | null, zone: string | undefined): SloWindow {
  const own = fs.slo.definition.window;
  if (requested === null) return own;
  if (requested.kind === 'rolling') return requested;
  const timeZone = zone ?? (own.kind === 'calendar' ? own.timeZone : 'UTC');
  return { kind: 'calendar', unit: requested.unit, timeZone };
}

/** A window resolved at the last whole hub step, in epoch minutes. */
interface HubWindow {
  /** Rolling minutes rounded up to whole steps. */
  window: SloWindow;
  text: string;
  fromMinute: number;
  toMinute: number;
  periodFromMinute: number;
  periodToMinute: number;
  /** What the alignment changed, said plainly; undefined when nothing. */
  aligned: string | undefined;
}

/**
 * Resolves `window` at `atMinute` (the end of the last whole hub step) with the engine's
 * `resolveWindow`, so calendar periods start at local midnight in their zone and follow DST.
 */
function hubWindow(window: SloWindow, atMinute: number, step: number): HubWindow {
  if (window.kind === 'rolling') {
    const minutes = ceilTo(window.minutes, step);
    const fromMinute = atMinute - minutes;
    return {
      window: { kind: 'rolling', minutes },
      text: formatMinutes(minutes),
      fromMinute,
      toMinute: atMinute,
      periodFromMinute: fromMinute,
      periodToMinute: atMinute,
      aligned:
        minutes === window.minutes
          ? undefined
          : `the window of ${formatMinutes(window.minutes)} was lengthened to ${formatMinutes(minutes)}, whole hub steps of ${step}m`,
    };
  }
  const resolved = resolveWindow(window, atMinute * MINUTE_MS);
  return {
    window,
    text: `${window.unit} ${window.timeZone}`,
    ...resolved,
    aligned:
      resolved.fromMinute % step === 0
        ? undefined
        : `the period starts inside a hub step of ${step}m; the hub counts from that step's start`,
  };
}

function windowView(w: HubWindow, excludedMinutes: number): WindowView {
  return {
    text: w.text,
    kind: w.window.kind,
    timeZone: w.window.kind === 'calendar' ? w.window.timeZone : null,
    fromMs: w.fromMinute * MINUTE_MS,
    toMs: w.toMinute * MINUTE_MS,
    periodFromMs: w.periodFromMinute * MINUTE_MS,
    periodToMs: w.periodToMinute * MINUTE_MS,
    includedMinutes: w.toMinute - w.fromMinute - excludedMinutes,
    excludedMinutes,
  };
}

/** Notes on what the hub's retention and resolution do to a window starting at `fromMinute`. */
function retentionNotes(ctx: FleetContext, fromMinute: number): CoverageNote[] {
  const retention = ctx.retention ?? DEFAULT_HUB_RETENTION;
  const nowMinute = Math.floor(ctx.nowMs / MINUTE_MS);
  const notes: CoverageNote[] = [];
  if (fromMinute < nowMinute - retention.aggregateMinutes) {
    notes.push(
      note(
        'before_retention',
        `the window starts before the hub's retention of ${formatMinutes(retention.aggregateMinutes)}: counts before ${isoMinute(nowMinute - retention.aggregateMinutes)} are gone, so the window holds less than it spans`,
      ),
    );
  }
  if (fromMinute < nowMinute - retention.detailMinutes) {
    notes.push(
      note(
        'hourly_resolution',
        `counts older than the detail retention of ${formatMinutes(retention.detailMinutes)} are kept as hourly sums: there boundaries and slices fall on whole hours`,
      ),
    );
  }
  return notes;
}

/** Notes about the units behind a number: never pushed, stale, joined mid-window. */
function unitNotes(ctx: FleetContext, units: readonly UnitInfo[], fromMinute: number): CoverageNote[] {
  const staleAfterMs = ctx.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const never: UnitInfo[] = [];
  const stale: UnitInfo[] = [];
  const joined: UnitInfo[] = [];
  for (const unit of units) {
    if (unit.lastPushAtMs === null) never.push(unit);
    else if (unit.lastPushAtMs < ctx.nowMs - staleAfterMs) stale.push(unit);
    if (unit.createdAtMs > fromMinute * MINUTE_MS) joined.push(unit);
  }
  const notes: CoverageNote[] = [];
  if (never.length > 0) {
    notes.push(
      note(
        'units_never_pushed',
        `${plural(never.length, 'unit')} never pushed any data: they count as no traffic`,
        never,
      ),
    );
  }
  if (stale.length > 0) {
    notes.push(
      note(
        'units_stale',
        `${plural(stale.length, 'unit')} last pushed more than ${formatMinutes(Math.ceil(staleAfterMs / MINUTE_MS))} ago: their latest counts are missing`,
        stale,
      ),
    );
  }
  if (joined.length > 0) {
    notes.push(
      note(
        'units_joined_during_window',
        `${plural(joined.length, 'unit')} joined the hub after the window started: they count from then on`,
        joined,
      ),
    );
  }
  return notes;
}

function selectorNotes(fs: FleetSlo): CoverageNote[] {
  const withSelector = fs.parts
    .map((part) => part.service)
    .filter(
      (service, index, all): service is Service => service !== undefined && all.indexOf(service) === index,
    )
    .filter((service) => Object.keys(service.instances.selector ?? {}).length > 0);
  return withSelector.map((service) =>
    note(
      'instance_selector_not_checked',
      `service ${service.name} limits its instances by labels (instances.selector), which the hub cannot see: every unit of its tenants and environments counts`,
    ),
  );
}

function noUnitsNote(fs: FleetSlo): CoverageNote {
  const limits = fs.parts
    .map((part) => part.service)
    .filter((service): service is Service => service !== undefined)
    .map((service) => {
      const { tenants, environments } = service.instances;
      const parts = [
        tenants === undefined ? undefined : `tenants ${tenants.join(', ')}`,
        environments === undefined ? undefined : `environments ${environments.join(', ')}`,
      ].filter((text) => text !== undefined);
      return parts.length === 0 ? undefined : `${service.name}: ${parts.join('; ')}`;
    })
    .filter((text) => text !== undefined);
  return note(
    'no_applicable_units',
    `no unit in scope runs this SLO${limits.length > 0 ? ` (catalog instances: ${limits.join(' / ')})` : ''}`,
    [],
  );
}

// ---------------------------------------------------------------------------------------
// Maintenance at hub resolution

interface Exclusions {
  /** Maintenance over `[from, max(to, periodTo))`, widened to whole steps, sorted and merged. */
  aligned: MinuteRange[];
  /** The part inside the elapsed window. */
  elapsed: MinuteRange[];
  elapsedMinutes: number;
  periodMinutes: number;
}

const NO_EXCLUSIONS: Exclusions = Object.freeze({
  aligned: [],
  elapsed: [],
  elapsedMinutes: 0,
  periodMinutes: 0,
}) as unknown as Exclusions;

/**
 * The SLO's maintenance (SLO-MATH.md, "Adjustments") in `w`, widened outwards to whole hub
 * steps: the hub has no finer counts, and widening never counts a planned outage as bad.
 */
function exclusionsFor(def: SloDefinition, w: HubWindow, step: number): Exclusions | string {
  if (def.maintenance.length === 0) return NO_EXCLUSIONS;
  const expanded = expandMaintenance(def.maintenance, w.fromMinute, Math.max(w.toMinute, w.periodToMinute));
  if (!expanded.ok) return expanded.issues.map((i) => i.message).join('; ');
  const aligned = mergeRanges(
    expanded.value.map((range) => ({
      fromMinute: floorTo(range.fromMinute, step),
      toMinute: ceilTo(range.toMinute, step),
    })),
  );
  const elapsed = clipRanges(aligned, w.fromMinute, w.toMinute);
  return {
    aligned,
    elapsed,
    elapsedMinutes: overlapMinutes(aligned, w.fromMinute, w.toMinute),
    periodMinutes: overlapMinutes(aligned, w.periodFromMinute, w.periodToMinute),
  };
}

// ---------------------------------------------------------------------------------------
// Store reads, batched by window

type TotalsByUnit = Map<string, CountTotals>;
const ZERO: CountTotals = Object.freeze({ good: 0, total: 0 });

/** The windows one query needs, each read once for every SLI and every unit in scope. */
class TotalsPlan {
  readonly #windows = new Map<string, { fromMinute: number; toMinute: number; slis: Set<string> }>();

  /** Needs `[fromMinute, toMinute)` and the parts of `excluded` inside it (`sumExcluding` reads those). */
  need(
    fromMinute: number,
    toMinute: number,
    excluded: readonly MinuteRange[],
    slis: readonly string[],
  ): void {
    this.#add(fromMinute, toMinute, slis);
    for (const range of clipRanges(excluded, fromMinute, toMinute)) {
      this.#add(range.fromMinute, range.toMinute, slis);
    }
  }

  #add(fromMinute: number, toMinute: number, slis: readonly string[]): void {
    if (toMinute <= fromMinute) return;
    const key = `${fromMinute}:${toMinute}`;
    let entry = this.#windows.get(key);
    if (entry === undefined) {
      entry = { fromMinute, toMinute, slis: new Set() };
      this.#windows.set(key, entry);
    }
    for (const sli of slis) entry.slis.add(sli);
  }

  /**
   * One `sliWindowTotals` call per distinct set of SLIs (usually one: every SLO of a query
   * shares its windows' SLIs), for all the windows of that set at once, so boundaries the
   * windows share (burning-now's all end now) are read once.
   */
  async fetch(store: FleetStore, unitIds: readonly string[]): Promise<TotalsTable> {
    const table = new TotalsTable();
    const bySlis = new Map<string, { slis: string[]; windows: { fromMinute: number; toMinute: number }[] }>();
    for (const window of this.#windows.values()) {
      table.window(window.fromMinute, window.toMinute);
      const slis = [...window.slis].sort();
      const key = JSON.stringify(slis);
      let group = bySlis.get(key);
      if (group === undefined) {
        group = { slis, windows: [] };
        bySlis.set(key, group);
      }
      group.windows.push({ fromMinute: window.fromMinute, toMinute: window.toMinute });
    }
    if (unitIds.length === 0) return table;
    await Promise.all(
      [...bySlis.values()].map(async ({ slis, windows }) => {
        const perWindow = await store.sliWindowTotals({ unitIds, slis, windows });
        windows.forEach((window, w) => {
          const bySli = table.window(window.fromMinute, window.toMinute);
          for (const row of perWindow[w] ?? []) {
            let byUnit = bySli.get(row.sli);
            if (byUnit === undefined) {
              byUnit = new Map();
              bySli.set(row.sli, byUnit);
            }
            byUnit.set(row.unitId, { good: row.good, total: row.total });
          }
        });
      }),
    );
    return table;
  }
}

/** What `TotalsPlan.fetch` read: per window (from, then to), SLI and unit. */
class TotalsTable {
  // Nested number-keyed maps: this is the hot path of 1,000-unit queries.
  readonly #data = new Map<number, Map<number, Map<string, TotalsByUnit>>>();

  /** The (new or existing) entry of `[from, to)`, for the fetch to fill. */
  window(fromMinute: number, toMinute: number): Map<string, TotalsByUnit> {
    let byTo = this.#data.get(fromMinute);
    if (byTo === undefined) {
      byTo = new Map();
      this.#data.set(fromMinute, byTo);
    }
    let bySli = byTo.get(toMinute);
    if (bySli === undefined) {
      bySli = new Map();
      byTo.set(toMinute, bySli);
    }
    return bySli;
  }

  /** The counts of `sli` over `[from, to)` summed over `unitIds` (a planned window only). */
  sum(fromMinute: number, toMinute: number, sli: string, unitIds: readonly string[]): CountTotals {
    if (toMinute <= fromMinute) return ZERO;
    const bySli = this.#data.get(fromMinute)?.get(toMinute);
    // A programming error, not an input error: every window read must be planned first.
    if (bySli === undefined) throw new Error(`fleet: window ${fromMinute}-${toMinute} was not planned`);
    const byUnit = bySli.get(sli);
    if (byUnit === undefined) return ZERO;
    let good = 0;
    let total = 0;
    for (const id of unitIds) {
      const t = byUnit.get(id);
      if (t !== undefined) {
        good += t.good;
        total += t.total;
      }
    }
    return { good, total };
  }
}

/**
 * A `CountSeries` over the fetched totals of one SLI and a set of units, so the engine's
 * `sumExcluding` and `journeySeries` apply unchanged. It answers planned windows only.
 */
class FetchedSeries implements CountSeries {
  readonly #table: TotalsTable;
  readonly #sli: string;
  readonly #unitIds: readonly string[];

  constructor(table: TotalsTable, sli: string, unitIds: readonly string[]) {
    this.#table = table;
    this.#sli = sli;
    this.#unitIds = unitIds;
  }

  sum(fromMinute: number, toMinute: number): CountTotals {
    return this.#table.sum(fromMinute, toMinute, this.#sli, this.#unitIds);
  }

  forEachMinute(): void {
    throw new Error('fleet: per-minute data come from a step series, not from totals');
  }
}

/** The per-step series one query needs, one `sliSeries` call each. */
class SeriesPlan {
  readonly #requests = new Map<
    string,
    { sli: string; fromMinute: number; toMinute: number; stepMinutes: number; unitIds: readonly string[] }
  >();

  need(
    sli: string,
    fromMinute: number,
    toMinute: number,
    stepMinutes: number,
    unitIds: readonly string[],
  ): string {
    const key = `${sli}|${fromMinute}|${toMinute}|${stepMinutes}|${unitIds.join(',')}`;
    if (!this.#requests.has(key))
      this.#requests.set(key, { sli, fromMinute, toMinute, stepMinutes, unitIds });
    return key;
  }

  get size(): number {
    return this.#requests.size;
  }

  /** Every planned series as a minute-resolution `CountSeries`, each step's counts on its first minute. */
  async fetch(store: FleetStore): Promise<Map<string, CountSeries>> {
    const out = new Map<string, CountSeries>();
    await Promise.all(
      [...this.#requests].map(async ([key, request]) => {
        const points = await store.sliSeries(request);
        out.set(key, stepSeries(points));
      }),
    );
    return out;
  }
}

const EMPTY_SERIES: CountSeries = {
  sum: () => ZERO,
  forEachMinute: () => {},
};

function stepSeries(points: readonly { minute: number; good: number; total: number }[]): CountSeries {
  if (points.length === 0) return EMPTY_SERIES;
  const built = createPrefixSeries(points.map((p) => ({ minute: p.minute, good: p.good, total: p.total })));
  // The store only holds validated counts over its retention (well under the span limit).
  if (!built.ok) throw new Error(`fleet: bad series from the store: ${built.issues[0]?.message ?? ''}`);
  return built.value;
}

/** The SLO's series over `units`: its SLI, or the engine's journey composition of its parts. */
function composedSeries(
  fs: FleetSlo,
  units: readonly UnitInfo[],
  instances: Instances,
  partSeries: (part: SloPart, unitIds: string[]) => CountSeries,
): CountSeries | string {
  const parts = fs.parts.map((part) => ({
    series: partSeries(part, instances.partUnitIds(part, units)),
    weight: part.weight,
  }));
  if (fs.journey === null) return parts[0]?.series ?? EMPTY_SERIES;
  // SLO-MATH.md, "Composites": ratio = sum(w_i * G_i) / sum(w_i * T_i) over the parts' summed counts.
  const composed = journeySeries(parts);
  return composed.ok ? composed.value : composed.issues.map((i) => i.message).join('; ');
}

/** Units among `units` with traffic for any part of the SLO in `[from, to)`. */
function unitsWithData(
  fs: FleetSlo,
  units: readonly UnitInfo[],
  table: TotalsTable,
  instances: Instances,
  fromMinute: number,
  toMinute: number,
): number {
  let n = 0;
  for (const unit of units) {
    const has = fs.parts.some(
      (part) =>
        instances.runs(part.service, unit) && table.sum(fromMinute, toMinute, part.sli, [unit.id]).total > 0,
    );
    if (has) n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// Unit reports (slo_status and alert records)

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
const asNumber = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const asString = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The units' latest `slo_status`, by unit then SLO id. */
async function unitStatuses(
  store: FleetStore,
  unitIds: readonly string[],
): Promise<Map<string, Map<string, UnitReportedView>>> {
  const out = new Map<string, Map<string, UnitReportedView>>();
  if (unitIds.length === 0) return out;
  for (const record of await store.records({ unitIds, kinds: ['slo_status'] })) {
    const slo = asString(record.body['slo']);
    const status = asRecord(record.body['status']);
    if (slo === null || status === undefined || record.body['deleted'] === true) continue;
    const firing = Array.isArray(status['firing'])
      ? status['firing'].filter((name): name is string => typeof name === 'string')
      : [];
    let bySlo = out.get(record.unitId);
    if (bySlo === undefined) {
      bySlo = new Map();
      out.set(record.unitId, bySlo);
    }
    bySlo.set(slo, {
      atMs: asNumber(status['atMs']) ?? 0,
      windowMinutes: asNumber(status['windowMinutes']) ?? 0,
      sliRatio: asNumber(status['sliRatio']),
      budgetRemainingRatio: asNumber(status['budgetRemainingRatio']),
      firing,
    });
  }
  return out;
}

interface FiringAlert {
  unit: string;
  alert: string;
  severity: string | null;
  sinceMs: number | null;
}

/**
 * What units report firing, by SLO id. An alert record (one per SLO and alert, the latest
 * wins) is authoritative for its alert; the `firing` list of `slo_status` fills in alerts a
 * unit does not export as records.
 */
async function firingOnUnits(
  store: FleetStore,
  unitIds: readonly string[],
): Promise<Map<string, FiringAlert[]>> {
  const out = new Map<string, FiringAlert[]>();
  if (unitIds.length === 0) return out;
  const records = await store.records({ unitIds, kinds: ['alert', 'slo_status'] });
  const known = new Set<string>();
  const add = (slo: string, alert: FiringAlert): void => {
    const list = out.get(slo);
    if (list === undefined) out.set(slo, [alert]);
    else list.push(alert);
  };
  for (const record of records) {
    if (record.kind !== 'alert') continue;
    const slo = asString(record.body['slo']);
    const alert = asString(record.body['alert']);
    if (slo === null || alert === null) continue;
    known.add(`${record.unitId}\u0000${slo}\u0000${alert}`);
    if (record.body['state'] !== 'firing') continue;
    add(slo, {
      unit: record.unitId,
      alert,
      severity: asString(record.body['severity']),
      sinceMs: asNumber(record.body['sinceMs']),
    });
  }
  for (const record of records) {
    if (record.kind !== 'slo_status' || record.body['deleted'] === true) continue;
    const slo = asString(record.body['slo']);
    const status = asRecord(record.body['status']);
    if (slo === null || status === undefined || !Array.isArray(status['firing'])) continue;
    for (const alert of status['firing']) {
      if (typeof alert !== 'string' || known.has(`${record.unitId}\u0000${slo}\u0000${alert}`)) continue;
      add(slo, { unit: record.unitId, alert, severity: null, sinceMs: null });
    }
  }
  for (const list of out.values()) {
    list.sort((a, b) => (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : a.alert < b.alert ? -1 : 1));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// fleetBudgets

/** One SLO over one group of units, before its numbers. */
interface Cell {
  key: string;
  fs: FleetSlo;
  units: UnitInfo[];
}

function cellsFor(groupBy: FleetBudgetsQuery['groupBy'], scope: Scope, instances: Instances): Cell[] {
  const cells: Cell[] = [];
  const applicable = new Map(scope.slos.map((fs) => [fs, instances.sloUnits(fs, scope.units)]));
  switch (groupBy ?? 'slo') {
    case 'slo':
      for (const [fs, units] of applicable) cells.push({ key: fs.slo.id, fs, units });
      break;
    case 'service':
      for (const [fs, units] of applicable) if (fs.service) cells.push({ key: fs.service.name, fs, units });
      break;
    case 'team':
      for (const [fs, units] of applicable) cells.push({ key: fs.team, fs, units });
      break;
    case 'journey':
      for (const [fs, units] of applicable) if (fs.journey) cells.push({ key: fs.journey.name, fs, units });
      break;
    case 'tenant': {
      const byTenant = new Map<string, Cell[]>();
      for (const [fs, units] of applicable) {
        const split = new Map<string, UnitInfo[]>();
        for (const unit of units) {
          const list = split.get(unit.tenant);
          if (list === undefined) split.set(unit.tenant, [unit]);
          else list.push(unit);
        }
        for (const [tenant, inTenant] of split) {
          const list = byTenant.get(tenant);
          const cell = { key: tenant, fs, units: inTenant };
          if (list === undefined) byTenant.set(tenant, [cell]);
          else list.push(cell);
        }
      }
      for (const tenant of [...byTenant.keys()].sort()) cells.push(...byTenant.get(tenant)!);
      break;
    }
    case 'unit': {
      const sets = [...applicable].map(([fs, units]) => [fs, new Set(units)] as const);
      for (const unit of scope.units) {
        for (const [fs, units] of sets) if (units.has(unit)) cells.push({ key: unit.id, fs, units: [unit] });
      }
      break;
    }
  }
  return cells;
}

/** Where and how finely a slice-based SLO is cut at the hub. */
function sliceResolution(ctx: FleetContext, w: HubWindow, step: number): number {
  const retention = ctx.retention ?? DEFAULT_HUB_RETENTION;
  const nowMinute = Math.floor(ctx.nowMs / MINUTE_MS);
  return w.fromMinute < nowMinute - retention.detailMinutes ? hourlyResolution(step) : step;
}

function summarize(rows: readonly SloBudgetView[]): GroupSummaryView {
  let worst: GroupSummaryView['worst'] = null;
  let exhausted = 0;
  let withData = 0;
  let pooledSlos = 0;
  let badEvents = 0;
  let allowedBadEvents = 0;
  for (const row of rows) {
    if (row.total <= 0) continue;
    withData++;
    const remaining = row.budget.period.remainingRatio;
    if (remaining <= 0) exhausted++;
    if (worst === null || remaining < worst.remainingRatio)
      worst = { slo: row.slo, remainingRatio: remaining };
    if (row.method === 'occurrences') {
      pooledSlos++;
      badEvents += row.budget.period.consumed;
      allowedBadEvents += row.budget.period.total;
    }
  }
  const consumedRatio = allowedBadEvents > 0 ? badEvents / allowedBadEvents : 0;
  return {
    slos: rows.length,
    slosWithData: withData,
    exhausted,
    worst,
    pooled:
      pooledSlos === 0
        ? null
        : { slos: pooledSlos, badEvents, allowedBadEvents, consumedRatio, remainingRatio: 1 - consumedRatio },
  };
}

/**
 * Error budgets across the fleet, grouped by SLO, service, team, tenant, unit or journey.
 *
 * Each row is one SLO over one group of units (those of the group that run it, per the
 * catalog's `instances`): the units' counts are summed, then the SLI and budget are formed
 * (SLO-MATH.md). Occurrences are exact sums of `sliWindowTotals`, one read for all windows.
 * Timeslices and ratioTimeslices are cut from per-step series at the hub's resolution
 * (`resolution: 'hub-step'`) and evaluated by the engine's `evaluateSlo`. Each group also
 * has a summary: the worst SLO and the occurrence SLOs' pooled budget.
 * @example await fleetBudgets(ctx, { groupBy: 'team', window: '28d' })
 */
export async function fleetBudgets(
  ctx: FleetContext,
  query: FleetBudgetsQuery,
): Promise<FleetResult<FleetBudgetsView>> {
  const { store } = ctx;
  const step = store.stepMinutes;
  const groupBy = query.groupBy ?? 'slo';
  const requested = parseRequestedWindow(query.window, query.zone);
  const scope = applyFilters(ctx, query);
  const issues = [...(requested.ok ? [] : requested.issues), ...(scope.ok ? [] : scope.issues)];
  if (!requested.ok || !scope.ok) return fail(issues);

  const atMinute = floorTo(Math.floor(ctx.nowMs / MINUTE_MS), step);
  const instances = new Instances();
  const windows = new Map<FleetSlo, { w: HubWindow; excl: Exclusions }>();
  const plan = new TotalsPlan();
  for (const fs of scope.value.slos) {
    const w = hubWindow(windowFor(fs, requested.value, query.zone), atMinute, step);
    const excl = exclusionsFor(fs.slo.definition, w, step);
    if (typeof excl === 'string') {
      return fail([issue(FLEET_ISSUE_CODES.invalidDefinition, ['slo', fs.slo.id], excl)]);
    }
    windows.set(fs, { w, excl });
    plan.need(
      w.fromMinute,
      w.toMinute,
      excl.elapsed,
      fs.parts.map((part) => part.sli),
    );
  }
  const cells = cellsFor(groupBy, scope.value, instances);
  const table = await plan.fetch(
    store,
    scope.value.units.map((unit) => unit.id),
  );

  // Slice-based SLOs need per-step series: one read per (group of units, SLI) with traffic.
  const series = new SeriesPlan();
  const seriesKeys = new Map<Cell, Map<SloPart, string>>();
  for (const cell of cells) {
    if (cell.fs.slo.definition.budgeting.method === 'occurrences') continue;
    const { w } = windows.get(cell.fs)!;
    const resolution = sliceResolution(ctx, w, step);
    const keys = new Map<SloPart, string>();
    for (const part of cell.fs.parts) {
      const ids = instances.partUnitIds(part, cell.units);
      if (table.sum(w.fromMinute, w.toMinute, part.sli, ids).total <= 0) continue;
      keys.set(part, series.need(part.sli, w.fromMinute, w.toMinute, resolution, ids));
    }
    seriesKeys.set(cell, keys);
  }
  if (series.size > MAX_SERIES_QUERIES) {
    return fail([
      issue(
        FLEET_ISSUE_CODES.tooManySeries,
        ['groupBy'],
        `slice-based SLOs need ${series.size} per-step series for this grouping, more than the limit of ${MAX_SERIES_QUERIES}: filter by service, team, tenant or unit`,
      ),
    ]);
  }
  const fetchedSeries = await series.fetch(store);
  const singleUnitIds = [...new Set(cells.filter((c) => c.units.length === 1).map((c) => c.units[0]!.id))];
  const statuses = await unitStatuses(store, singleUnitIds);

  const rowsByKey = new Map<string, SloBudgetView[]>();
  for (const cell of cells) {
    const row = budgetRow(
      ctx,
      cell,
      windows.get(cell.fs)!,
      table,
      instances,
      seriesKeys.get(cell),
      fetchedSeries,
      step,
    );
    if (typeof row === 'string') {
      return fail([issue(FLEET_ISSUE_CODES.invalidDefinition, ['slo', cell.fs.slo.id], row)]);
    }
    if (cell.units.length === 1)
      row.unitReported = statuses.get(cell.units[0]!.id)?.get(cell.fs.slo.id) ?? null;
    const list = rowsByKey.get(cell.key);
    if (list === undefined) rowsByKey.set(cell.key, [row]);
    else list.push(row);
  }
  const groups: BudgetGroupView[] = [...rowsByKey.keys()].sort().map((key) => {
    const slos = rowsByKey.get(key)!.sort((a, b) => (a.slo < b.slo ? -1 : a.slo > b.slo ? 1 : 0));
    return { key, slos, summary: summarize(slos) };
  });
  return {
    ok: true,
    value: { atMs: ctx.nowMs, stepMinutes: step, groupBy, window: query.window ?? null, groups },
  };
}

function budgetRow(
  ctx: FleetContext,
  cell: Cell,
  { w, excl }: { w: HubWindow; excl: Exclusions },
  table: TotalsTable,
  instances: Instances,
  seriesKeys: Map<SloPart, string> | undefined,
  fetchedSeries: Map<string, CountSeries>,
  step: number,
): SloBudgetView | string {
  const { fs, units } = cell;
  const d = fs.slo.definition;
  const e = errorBudgetRatio(d.objectiveRatio);
  const notes: CoverageNote[] = [];
  if (w.aligned !== undefined) notes.push(note('window_aligned', w.aligned));
  notes.push(...retentionNotes(ctx, w.fromMinute));
  if (units.length === 0) notes.push(noUnitsNote(fs));
  notes.push(...unitNotes(ctx, units, w.fromMinute), ...selectorNotes(fs));
  if (excl.elapsedMinutes > 0) {
    notes.push(
      note(
        'maintenance_excluded',
        `${plural(excl.elapsedMinutes, 'minute')} of maintenance removed from the window, widened to whole hub steps of ${step}m`,
      ),
    );
  }
  const base = {
    slo: fs.slo.id,
    name: fs.slo.name,
    owner: fs.slo.owner,
    sli: fs.slo.sli ?? null,
    team: fs.team,
    objectiveRatio: d.objectiveRatio,
    errorBudgetRatio: e,
    method: d.budgeting.method,
    window: windowView(w, excl.elapsedMinutes),
    units: {
      applicable: units.length,
      withData: unitsWithData(fs, units, table, instances, w.fromMinute, w.toMinute),
    },
    unitReported: null,
    notes,
  };

  const b = d.budgeting;
  if (b.method === 'occurrences') {
    const composed = composedSeries(
      fs,
      units,
      instances,
      (part, ids) => new FetchedSeries(table, part.sli, ids),
    );
    if (typeof composed === 'string') return composed;
    const t = sumExcluding(composed, w.fromMinute, w.toMinute, excl.elapsed);
    const bad = t.total > t.good ? t.total - t.good : 0;
    const soFar = occurrencesBudget(bad, t.total, e);
    let period = soFar;
    let projected: number | null = null;
    if (w.window.kind === 'calendar') {
      // As evaluateSlo: the period's events are not known yet, so its budget is e times the
      // events so far scaled to the whole period (minutes outside maintenance).
      const included = w.toMinute - w.fromMinute - excl.elapsedMinutes;
      const periodIncluded = w.periodToMinute - w.periodFromMinute - excl.periodMinutes;
      projected = included > 0 ? (t.total * periodIncluded) / included : 0;
      period = occurrencesBudget(bad, projected, e);
    }
    const eventRatio = t.total > 0 ? Math.min(1, t.good / t.total) : null;
    return {
      ...base,
      resolution: 'exact',
      good: t.good,
      total: t.total,
      bad,
      eventRatio,
      sliRatio: eventRatio,
      budget: { unit: 'events', soFar, period, projectedPeriodTotal: projected },
      burnRate: burnRate(bad, t.total, e),
      slices: null,
    };
  }

  // Slice-based: the engine evaluates a series of the hub's steps, slices cut on step bounds.
  const resolution = sliceResolution(ctx, w, step);
  const sliceMinutes = b.sliceMinutes % resolution === 0 ? b.sliceMinutes : resolution;
  if (sliceMinutes !== b.sliceMinutes) {
    notes.push(
      note(
        'slices_at_hub_step',
        `the SLO's slices of ${formatMinutes(b.sliceMinutes)} are cut as ${formatMinutes(sliceMinutes)} slices, the finest the hub's counts allow; the unit's own evaluation is exact`,
      ),
    );
  }
  const composed = composedSeries(fs, units, instances, (part) => {
    const key = seriesKeys?.get(part);
    return key === undefined ? EMPTY_SERIES : (fetchedSeries.get(key) ?? EMPTY_SERIES);
  });
  if (typeof composed === 'string') return composed;
  const definition: SloDefinition = {
    ...d,
    window: w.window,
    budgeting: { ...b, sliceMinutes },
    alerting: { ...d.alerting, enabled: false, tiers: [] },
    maintenance: excl.aligned.map((range) => ({
      kind: 'once',
      startMinute: range.fromMinute,
      endMinute: range.toMinute,
    })),
  };
  const evaluated = evaluateSlo(definition, composed, w.toMinute * MINUTE_MS);
  if (!evaluated.ok) return evaluated.issues.map((i) => i.message).join('; ');
  const status = evaluated.value;
  const slices = status.budget.slices;
  return {
    ...base,
    resolution: 'hub-step',
    good: status.good,
    total: status.total,
    bad: status.bad,
    eventRatio: status.eventRatio,
    sliRatio: status.sliRatio,
    budget: {
      unit: 'minutes',
      soFar: status.budget.soFar,
      period: status.budget.period,
      projectedPeriodTotal: null,
    },
    burnRate: status.budget.soFar.consumedRatio,
    slices:
      slices === null
        ? null
        : {
            definedSliceMinutes: b.sliceMinutes,
            sliceMinutes,
            emptySlice: status.budget.emptySlice,
            slices: slices.slices,
            goodSlices: slices.goodSlices,
            badSlices: slices.badSlices,
            emptySlices: slices.emptySlices,
          },
  };
}

// ---------------------------------------------------------------------------------------
// burningNow

interface TierPlan {
  name: string;
  severity: 'page' | 'ticket';
  factor: number;
  longMinutes: number;
  shortMinutes: number;
}

const score = (tiers: readonly BurningEntryView['tiers'][number][], severity: 'page' | 'ticket'): number => {
  let best = 0;
  for (const tier of tiers) {
    if (tier.severity !== severity) continue;
    // Gated like the unit: a tier without enough traffic in its long window scores nothing.
    if (!tier.enoughTraffic) continue;
    const held = Math.min(tier.long.gatingBurnRate, tier.short.gatingBurnRate) / tier.factor;
    if (held > best) best = held;
  }
  return best;
};

/**
 * The (SLO, unit or fleet) pairs burning budget fastest right now, hub-computed over each
 * SLO's alert tier windows (1h/5m, 6h/30m, ...; same factors, minimum traffic and Wilson
 * gating as the unit), next to what the units report firing. Sorted by `pageScore`: the
 * hottest page tier's `min(b(long), b(short)) / factor`.
 * @example await burningNow(ctx, { limit: 20 })
 */
export async function burningNow(
  ctx: FleetContext,
  query: BurningNowQuery,
): Promise<FleetResult<BurningNowView>> {
  const { store } = ctx;
  const step = store.stepMinutes;
  const limit = query.limit ?? 50;
  const issues: FleetIssue[] = [];
  if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000)) {
    issues.push(issue(FLEET_ISSUE_CODES.invalidLimit, ['limit'], 'limit must be an integer from 1 to 1000'));
  }
  const scope = applyFilters(ctx, query);
  if (!scope.ok) issues.push(...scope.issues);
  if (!scope.ok || issues.length > 0) return fail(issues);

  const atMinute = floorTo(Math.floor(ctx.nowMs / MINUTE_MS), step);
  const instances = new Instances();
  const plan = new TotalsPlan();
  const notes: CoverageNote[] = [];
  const widened = new Set<string>();
  const plans = new Map<FleetSlo, { tiers: TierPlan[]; excluded: MinuteRange[]; longest: number }>();
  for (const fs of scope.value.slos) {
    const d = fs.slo.definition;
    if (d.alerting.tiers.length === 0) continue;
    const resolved = resolveWindow(d.window, atMinute * MINUTE_MS);
    const periodMinutes = resolved.periodToMinute - resolved.periodFromMinute;
    const tiers = d.alerting.tiers.map((tier) => {
      const longMinutes = ceilTo(tier.longMinutes, step);
      const shortMinutes = ceilTo(tier.shortMinutes, step);
      if (longMinutes !== tier.longMinutes || shortMinutes !== tier.shortMinutes) widened.add(tier.name);
      return {
        name: tier.name,
        severity: tier.severity,
        factor: alertFactor(tier, periodMinutes),
        longMinutes,
        shortMinutes,
      };
    });
    const longest = Math.max(...tiers.map((tier) => Math.max(tier.longMinutes, tier.shortMinutes)));
    let excluded: MinuteRange[] = [];
    if (d.maintenance.length > 0) {
      const expanded = expandMaintenance(d.maintenance, atMinute - longest, atMinute);
      if (!expanded.ok) {
        return fail([
          issue(
            FLEET_ISSUE_CODES.invalidDefinition,
            ['slo', fs.slo.id],
            expanded.issues.map((i) => i.message).join('; '),
          ),
        ]);
      }
      excluded = mergeRanges(
        expanded.value.map((r) => ({
          fromMinute: floorTo(r.fromMinute, step),
          toMinute: ceilTo(r.toMinute, step),
        })),
      );
    }
    const slis = fs.parts.map((part) => part.sli);
    for (const tier of tiers) {
      plan.need(atMinute - tier.longMinutes, atMinute, excluded, slis);
      plan.need(atMinute - tier.shortMinutes, atMinute, excluded, slis);
    }
    plans.set(fs, { tiers, excluded, longest });
  }
  if (widened.size > 0) {
    notes.push(
      note(
        'window_aligned',
        `alert windows of tiers ${[...widened].sort().join(', ')} are not whole hub steps of ${step}m and were lengthened to whole steps`,
      ),
    );
  }
  const unitIds = scope.value.units.map((unit) => unit.id);
  const [table, firing] = await Promise.all([plan.fetch(store, unitIds), firingOnUnits(store, unitIds)]);
  notes.push(...unitNotes(ctx, scope.value.units, atMinute));

  const entries: BurningEntryView[] = [];
  for (const [fs, { tiers, excluded, longest }] of plans) {
    const d = fs.slo.definition;
    const e = errorBudgetRatio(d.objectiveRatio);
    const z = d.alerting.wilsonConfidence === undefined ? 0 : confidenceZ(d.alerting.wilsonConfidence);
    const applicable = instances.sloUnits(fs, scope.value.units);
    const sloFiring = firing.get(fs.slo.id) ?? [];
    const identity = {
      slo: fs.slo.id,
      name: fs.slo.name,
      owner: fs.slo.owner,
      sli: fs.slo.sli ?? null,
      team: fs.team,
      objectiveRatio: d.objectiveRatio,
    };
    const entryFor = (units: readonly UnitInfo[], unit: UnitInfo | null): BurningEntryView | string => {
      const series = composedSeries(
        fs,
        units,
        instances,
        (part, ids) => new FetchedSeries(table, part.sli, ids),
      );
      if (typeof series === 'string') return series;
      const burns = new Map<number, BurningEntryView['tiers'][number]['long']>();
      const windowBurn = (minutes: number) => {
        const known = burns.get(minutes);
        if (known !== undefined) return known;
        const fromMinute = atMinute - minutes;
        const s = sumExcluding(series, fromMinute, atMinute, excluded);
        const bad = s.total > s.good ? s.total - s.good : 0;
        const observed = burnRate(bad, s.total, e);
        // As evaluateSlo: with wilsonConfidence, the Wilson lower bound of the error ratio gates.
        const gating = z === 0 ? observed : wilsonLowerBound(bad, s.total, z) / e;
        const burn = {
          minutes,
          fromMs: fromMinute * MINUTE_MS,
          toMs: atMinute * MINUTE_MS,
          good: s.good,
          total: s.total,
          bad,
          burnRate: observed,
          gatingBurnRate: gating,
        };
        burns.set(minutes, burn);
        return burn;
      };
      const tierViews = tiers.map((tier) => {
        const long = windowBurn(tier.longMinutes);
        const short = windowBurn(tier.shortMinutes);
        const enoughTraffic = long.total >= d.alerting.minEvents;
        return {
          name: tier.name,
          severity: tier.severity,
          factor: tier.factor,
          long,
          short,
          enoughTraffic,
          exceeded:
            d.alerting.enabled &&
            enoughTraffic &&
            long.gatingBurnRate > tier.factor &&
            short.gatingBurnRate > tier.factor,
        };
      });
      return {
        ...identity,
        scope: unit === null ? 'fleet' : 'unit',
        unit: unit?.id ?? null,
        tenant: unit?.tenant ?? null,
        unitsWithData: unitsWithData(fs, units, table, instances, atMinute - longest, atMinute),
        tiers: tierViews,
        pageScore: score(tierViews, 'page'),
        ticketScore: score(tierViews, 'ticket'),
        exceeded: tierViews.filter((tier) => tier.exceeded).map((tier) => tier.name),
        firingOnUnit: unit === null ? sloFiring : sloFiring.filter((alert) => alert.unit === unit.id),
      };
    };
    for (const [units, unit] of [
      [applicable, null] as const,
      ...applicable.map((unit) => [[unit], unit] as const),
    ]) {
      const entry = entryFor(units, unit);
      if (typeof entry === 'string') {
        return fail([issue(FLEET_ISSUE_CODES.invalidDefinition, ['slo', fs.slo.id], entry)]);
      }
      const burning = entry.tiers.some((tier) => tier.long.bad > 0 || tier.short.bad > 0);
      if (burning || entry.firingOnUnit.length > 0) entries.push(entry);
    }
  }
  const inCatalog = new Set(scope.value.slos.map((fs) => fs.slo.id));
  const outside = [...firing.entries()].filter(([slo]) => !inCatalog.has(slo));
  if (outside.length > 0 && query.service === undefined && query.team === undefined) {
    const units = new Set(outside.flatMap(([, alerts]) => alerts.map((alert) => alert.unit)));
    notes.push(
      note(
        'slos_not_in_catalog',
        `units report firing alerts of SLOs the hub's catalog does not define (${outside
          .map(([slo]) => slo)
          .sort()
          .join(', ')}): they run another catalog version`,
        scope.value.units.filter((unit) => units.has(unit.id)),
      ),
    );
  }
  entries.sort(
    (a, b) =>
      b.pageScore - a.pageScore ||
      b.ticketScore - a.ticketScore ||
      b.firingOnUnit.length - a.firingOnUnit.length ||
      (a.slo < b.slo ? -1 : a.slo > b.slo ? 1 : 0) ||
      (a.unit === null ? -1 : b.unit === null ? 1 : a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0),
  );
  return {
    ok: true,
    value: {
      atMs: ctx.nowMs,
      stepMinutes: step,
      windowsEndMs: atMinute * MINUTE_MS,
      entries: entries.slice(0, limit),
      leftOff: Math.max(0, entries.length - limit),
      notes,
    },
  };
}

// ---------------------------------------------------------------------------------------
// availabilityByTenantMonth

/** A series without the given (sorted, merged) minutes: maintenance is neither good nor bad. */
class ExcludingSeries implements CountSeries {
  readonly #inner: CountSeries;
  readonly #excluded: readonly MinuteRange[];

  constructor(inner: CountSeries, excluded: readonly MinuteRange[]) {
    this.#inner = inner;
    this.#excluded = excluded;
  }

  sum(fromMinute: number, toMinute: number): CountTotals {
    return sumExcluding(this.#inner, fromMinute, toMinute, this.#excluded);
  }

  forEachMinute(
    fromMinute: number,
    toMinute: number,
    visit: (minute: number, good: number, total: number) => void,
  ): void {
    this.#inner.forEachMinute(fromMinute, toMinute, (minute, good, total) => {
      if (overlapMinutes(this.#excluded, minute, minute + 1) === 0) visit(minute, good, total);
    });
  }
}

function availabilityWeight(service: Service): number {
  const text = service.annotations[AVAILABILITY_WEIGHT_ANNOTATION];
  if (text === undefined) return 1;
  const weight = Number(text);
  return Number.isFinite(weight) && weight >= 0 ? weight : 1;
}

/**
 * Availability per tenant and SLO over one calendar month in `zone` (from local midnight of
 * the 1st to local midnight of the next month's 1st, DST included), plus GitLab-style
 * weighted availability per tenant over its services (SLO-MATH.md, "Composites and
 * availability"). A month in progress covers what has elapsed (`complete: false`).
 * @example await availabilityByTenantMonth(ctx, { month: '2026-10', zone: 'Europe/Berlin' })
 */
export async function availabilityByTenantMonth(
  ctx: FleetContext,
  query: AvailabilityQuery,
): Promise<FleetResult<AvailabilityView>> {
  const { store } = ctx;
  const step = store.stepMinutes;
  const zone = query.zone ?? 'UTC';
  const issues: FleetIssue[] = [];
  const match = /^(\d{4})-(\d{2})$/.exec(query.month);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (match === null || month < 1 || month > 12 || year < 1970) {
    issues.push(
      issue(
        FLEET_ISSUE_CODES.invalidMonth,
        ['month'],
        `"${query.month}" is not a month: write YYYY-MM, e.g. 2026-10`,
      ),
    );
  }
  if (!isValidTimeZone(zone)) {
    issues.push(
      issue(
        FLEET_ISSUE_CODES.invalidTimeZone,
        ['zone'],
        `"${zone}" is not an IANA time zone (e.g. Europe/Berlin)`,
      ),
    );
  }
  const scope = applyFilters(ctx, { tenant: query.tenant, service: query.service });
  if (!scope.ok) issues.push(...scope.issues);
  if (issues.length > 0 || !scope.ok) return fail(issues);

  // The 15th at local noon lies inside the month whatever the zone; the engine finds its bounds.
  const period = calendarPeriod('month', zone, localToEpochMs(zone, Date.UTC(year, month - 1, 15, 12)));
  const periodFromMinute = Math.ceil(period.startMs / MINUTE_MS);
  const periodToMinute = Math.ceil(period.endMs / MINUTE_MS);
  const atMinute = floorTo(Math.floor(ctx.nowMs / MINUTE_MS), step);
  if (periodFromMinute >= atMinute) {
    return fail([
      issue(FLEET_ISSUE_CODES.invalidMonth, ['month'], `month ${query.month} has not started yet in ${zone}`),
    ]);
  }
  const toMinute = Math.min(periodToMinute, atMinute);
  const w: HubWindow = {
    window: { kind: 'calendar', unit: 'month', timeZone: zone },
    text: `month ${zone}`,
    fromMinute: periodFromMinute,
    toMinute,
    periodFromMinute,
    periodToMinute,
    aligned: undefined,
  };

  const instances = new Instances();
  const plan = new TotalsPlan();
  const exclusions = new Map<FleetSlo, Exclusions>();
  for (const fs of scope.value.slos) {
    const excl = exclusionsFor(fs.slo.definition, w, step);
    if (typeof excl === 'string')
      return fail([issue(FLEET_ISSUE_CODES.invalidDefinition, ['slo', fs.slo.id], excl)]);
    exclusions.set(fs, excl);
    plan.need(
      w.fromMinute,
      w.toMinute,
      excl.elapsed,
      fs.parts.map((part) => part.sli),
    );
  }
  const table = await plan.fetch(
    store,
    scope.value.units.map((unit) => unit.id),
  );
  const tenants = [...new Set(scope.value.units.map((unit) => unit.tenant))].sort();
  const sliceMinutes = sliceResolution(ctx, w, step);

  // Weighted availability needs per-slice counts of each (tenant, user-impacting service SLI).
  const series = new SeriesPlan();
  type WeightedInput = { service: Service; slos: { fs: FleetSlo; seriesKey: string | null }[] };
  const weightedInputs = new Map<string, WeightedInput[]>();
  for (const tenant of tenants) {
    const tenantUnits = scope.value.units.filter((unit) => unit.tenant === tenant);
    const byService = new Map<Service, WeightedInput>();
    for (const fs of scope.value.slos) {
      const service = fs.service;
      if (service === null) continue;
      const sli = service.slis.find((candidate) => candidate.id === fs.slo.sli);
      if (sli === undefined || !sli.userImpacting) continue;
      const unitIds = instances.partUnitIds(fs.parts[0]!, tenantUnits);
      if (unitIds.length === 0) continue;
      let entry = byService.get(service);
      if (entry === undefined) {
        entry = { service, slos: [] };
        byService.set(service, entry);
      }
      // Without traffic every slice meets the SLO: no read needed.
      const sliTotal = table.sum(w.fromMinute, w.toMinute, fs.parts[0]!.sli, unitIds).total;
      entry.slos.push({
        fs,
        seriesKey:
          sliTotal > 0
            ? series.need(fs.parts[0]!.sli, w.fromMinute, w.toMinute, sliceMinutes, unitIds)
            : null,
      });
    }
    weightedInputs.set(tenant, [...byService.values()]);
  }
  const weightedSkipped = series.size > MAX_SERIES_QUERIES;
  const fetched = weightedSkipped ? new Map<string, CountSeries>() : await series.fetch(store);

  const out: TenantAvailabilityView[] = [];
  for (const tenant of tenants) {
    const tenantUnits = scope.value.units.filter((unit) => unit.tenant === tenant);
    const slos: TenantAvailabilityView['slos'] = [];
    for (const fs of scope.value.slos) {
      const units = instances.sloUnits(fs, tenantUnits);
      if (units.length === 0) continue;
      const excl = exclusions.get(fs)!;
      const composed = composedSeries(
        fs,
        units,
        instances,
        (part, ids) => new FetchedSeries(table, part.sli, ids),
      );
      if (typeof composed === 'string') {
        return fail([issue(FLEET_ISSUE_CODES.invalidDefinition, ['slo', fs.slo.id], composed)]);
      }
      const t = sumExcluding(composed, w.fromMinute, w.toMinute, excl.elapsed);
      const ratio = t.total > 0 ? Math.min(1, t.good / t.total) : null;
      const notes = [...selectorNotes(fs)];
      if (excl.elapsedMinutes > 0) {
        notes.push(
          note(
            'maintenance_excluded',
            `${plural(excl.elapsedMinutes, 'minute')} of maintenance removed from the month`,
          ),
        );
      }
      slos.push({
        slo: fs.slo.id,
        name: fs.slo.name,
        owner: fs.slo.owner,
        sli: fs.slo.sli ?? null,
        team: fs.team,
        objectiveRatio: fs.slo.definition.objectiveRatio,
        good: t.good,
        total: t.total,
        ratio,
        met: ratio === null ? null : ratio >= fs.slo.definition.objectiveRatio,
        units: units.length,
        notes,
      });
    }
    const notes = [...retentionNotes(ctx, w.fromMinute), ...unitNotes(ctx, tenantUnits, w.fromMinute)];
    let weighted: TenantAvailabilityView['weighted'] = null;
    if (weightedSkipped) {
      notes.push(
        note(
          'weighted_availability_skipped',
          `weighted availability needs ${series.size} per-slice series, more than the limit of ${MAX_SERIES_QUERIES}: ask for one tenant`,
        ),
      );
    } else {
      const services = (weightedInputs.get(tenant) ?? []).map((input) => ({
        name: input.service.name,
        weight: availabilityWeight(input.service),
        slos: input.slos.map(({ fs, seriesKey }) => ({
          series: new ExcludingSeries(
            (seriesKey === null ? undefined : fetched.get(seriesKey)) ?? EMPTY_SERIES,
            exclusions.get(fs)!.elapsed,
          ),
          objectiveRatio: fs.slo.definition.objectiveRatio,
        })),
      }));
      const report = weightedAvailability(services, w.fromMinute, w.toMinute, sliceMinutes);
      if (!report.ok) {
        return fail([
          issue(
            FLEET_ISSUE_CODES.invalidDefinition,
            ['tenant', tenant],
            report.issues.map((i) => i.message).join('; '),
          ),
        ]);
      }
      weighted = {
        sliceMinutes,
        ratio: report.value.ratio,
        services: report.value.services.map((s) => ({ ...s })),
      };
    }
    out.push({ tenant, units: tenantUnits.length, slos, weighted, notes });
  }
  return {
    ok: true,
    value: {
      month: query.month,
      timeZone: zone,
      fromMs: w.fromMinute * MINUTE_MS,
      toMs: w.toMinute * MINUTE_MS,
      complete: toMinute === periodToMinute,
      stepMinutes: step,
      tenants: out,
    },
  };
}

// ---------------------------------------------------------------------------------------
// sliSeries

/**
 * One SLI's good and total counts per step, for charts: summed over the fleet (the units in
 * scope that run its service) or one series per unit. The step is a multiple of the hub's;
 * `[from, to)` is widened to whole steps; at most `MAX_SERIES_POINTS` points per series.
 * @example await sliSeries(ctx, { sli: 'checkout/availability', fromMs, toMs, stepMinutes: 60 })
 */
export async function sliSeries(
  ctx: FleetContext,
  query: SliSeriesQuery,
): Promise<FleetResult<SliSeriesView>> {
  const { store, catalog } = ctx;
  const hubStep = store.stepMinutes;
  const step = query.stepMinutes ?? hubStep;
  const groupBy = query.groupBy ?? 'fleet';
  const issues: FleetIssue[] = [];
  const serviceName = query.sli.split('/')[0] ?? '';
  const service = catalog.services.get(serviceName);
  if (service === undefined || !service.slis.some((sli) => sli.id === query.sli)) {
    const ids = [...catalog.services.values()].flatMap((s) => s.slis.map((sli) => sli.id));
    issues.push(
      issue(
        FLEET_ISSUE_CODES.unknownSli,
        ['sli'],
        `SLI "${query.sli}" is not in the hub's catalog (write service/sli).${didYouMean(query.sli, ids)}`,
      ),
    );
  }
  if (!(Number.isSafeInteger(step) && step > 0 && step % hubStep === 0)) {
    issues.push(
      issue(
        FLEET_ISSUE_CODES.invalidStep,
        ['step'],
        `step must be a whole multiple of the hub's step of ${hubStep}m (${hubStep}m, ${2 * hubStep}m, 1h, ...)`,
      ),
    );
  }
  const validRange =
    Number.isFinite(query.fromMs) && Number.isFinite(query.toMs) && query.fromMs < query.toMs;
  if (!validRange) {
    issues.push(issue(FLEET_ISSUE_CODES.invalidRange, ['from'], 'from must be before to'));
  }
  const scope = applyFilters(ctx, { tenant: query.tenant, unit: query.unit });
  if (!scope.ok) issues.push(...scope.issues);
  if (issues.length > 0 || !scope.ok || service === undefined) return fail(issues);

  const fromMinute = floorTo(Math.floor(query.fromMs / MINUTE_MS), step);
  const toMinute = ceilTo(Math.ceil(query.toMs / MINUTE_MS), step);
  const points = (toMinute - fromMinute) / step;
  if (points > MAX_SERIES_POINTS) {
    const smallest = ceilTo(Math.ceil((toMinute - fromMinute) / MAX_SERIES_POINTS), hubStep);
    return fail([
      issue(
        FLEET_ISSUE_CODES.tooManyPoints,
        ['step'],
        `${points} points of ${formatMinutes(step)}, more than ${MAX_SERIES_POINTS}: use a step of at least ${formatMinutes(smallest)} or a shorter range`,
      ),
    ]);
  }
  const instances = new Instances();
  const units = scope.value.units.filter((unit) => instances.runs(service, unit));
  if (groupBy === 'unit' && units.length > MAX_UNIT_SERIES) {
    return fail([
      issue(
        FLEET_ISSUE_CODES.tooManySeries,
        ['groupBy'],
        `${units.length} units run ${serviceName}, more than ${MAX_UNIT_SERIES} series: filter by tenant or unit, or ask for the fleet`,
      ),
    ]);
  }

  const read = async (unitIds: string[]): Promise<SliSeriesView['series'][number]['points']> => {
    const dense = Array.from({ length: points }, (_, i) => ({
      startMs: (fromMinute + i * step) * MINUTE_MS,
      good: 0,
      total: 0,
      ratio: null as number | null,
    }));
    if (unitIds.length > 0) {
      const stored = await store.sliSeries({
        unitIds,
        sli: query.sli,
        fromMinute,
        toMinute,
        stepMinutes: step,
      });
      for (const point of stored) {
        const slot = dense[Math.floor((point.minute - fromMinute) / step)];
        if (slot === undefined) continue;
        slot.good += point.good;
        slot.total += point.total;
      }
    }
    for (const slot of dense) slot.ratio = slot.total > 0 ? Math.min(1, slot.good / slot.total) : null;
    return dense;
  };
  const series: SliSeriesView['series'] =
    groupBy === 'fleet'
      ? [{ unit: null, tenant: null, points: await read(units.map((unit) => unit.id)) }]
      : await Promise.all(
          units.map(async (unit) => ({ unit: unit.id, tenant: unit.tenant, points: await read([unit.id]) })),
        );
  const notes = [...retentionNotes(ctx, fromMinute), ...unitNotes(ctx, units, fromMinute)];
  if (units.length === 0) {
    notes.push(note('no_applicable_units', `no unit in scope runs service ${serviceName}`, []));
  }
  return {
    ok: true,
    value: {
      sli: query.sli,
      fromMs: fromMinute * MINUTE_MS,
      toMs: toMinute * MINUTE_MS,
      stepMinutes: step,
      groupBy,
      series,
      notes,
    },
  };
}
