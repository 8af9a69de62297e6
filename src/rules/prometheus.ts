/**
 * Prometheus recording and alerting rules for every SLO of a catalog, for teams whose
 * alerting stays in Prometheus and Alertmanager. The math is SLO-MATH.md's, written in
 * PromQL: event counts per window, ratios of sums, multi-window multi-burn-rate tiers,
 * low-traffic gating, budget exhaustion and traffic cessation.
 *
 * Naming (Prometheus' `level:metric:operations` convention):
 *   sextant:sli_events_total:increase<W>      events of one SLI in window W, by its significant labels
 *   sextant:sli_events_bad:increase<W>        bad events (threshold SLIs: minutes) in W
 *   sextant:sli_error:ratio_increase<W>       bad / total over W, a ratio of sums
 *   sextant:journey_events_{total,bad}:increase<W>, sextant:journey_error:ratio_increase<W>
 *   sextant:slo_error_budget_remaining:ratio  1 - consumed over the SLO window
 * Series carry `sextant_service` + `sextant_sli` (or `sextant_journey`); budget series
 * add `sextant_slo`. Alerts: SextantSloBurnRate (one per tier), SextantSloBudgetExhausted,
 * SextantSloTrafficCessation, SextantSliBucketMissing.
 */

import type {
  Catalog,
  Journey,
  LabelMatcher,
  LatencySli,
  Link,
  RatioSli,
  Service,
  Sli,
  Slo,
  Source,
  ThresholdSli,
} from '../catalog/index.ts';
import { type AlertTier, alertFactor, confidenceZ, errorBudgetRatio } from '../slo/index.ts';
import {
  leMatcher,
  onLabels,
  promDuration,
  promDurationMinusOneSecond,
  promNumber,
  selectorWith,
  seriesSelector,
  sumBy,
  withWindow,
} from './promql.ts';
import { type GroupNode, type RuleNode, writeRuleFile } from './yaml.ts';

/** Options of `renderPrometheusRules`. */
export interface PrometheusRulesOptions {
  /** Where the catalog was read from, named in the header comment (e.g. `examples/fleet`). */
  source?: string;
}

/** The rule file and what could not be rendered faithfully, one sentence each. */
export interface PrometheusRules {
  text: string;
  warnings: string[];
}

/** Every group is evaluated each minute: short windows stay fresh and 5m steps tile exactly. */
const GROUP_INTERVAL = '1m';
/** Windows up to 6h are `increase()` over raw series; longer ones sum recorded counts. */
const RAW_MAX_MINUTES = 360;
/** From 7d on, long windows sum 1h counts (24x fewer points than 5m counts). */
const HOUR_STEP_FROM_MINUTES = 7 * 1440;
/** Traffic cessation (SLO-MATH.md): T(30m) = 0 while T of the same 30m one hour earlier >= 300. */
const CESSATION_MINUTES = 30;
/** One minute as a left-open range on every Prometheus version (timestamps are whole milliseconds). */
const MINUTE_RANGE = '59s999ms';
const CESSATION_BASELINE_MIN_TOTAL = 300;
/** Calendar periods use nominal lengths: a month is 30d, a quarter 91d (as the catalog's factors do). */
const NOMINAL_CALENDAR_MINUTES = { month: 30 * 1440, quarter: 91 * 1440 } as const;

type Family = 'sli' | 'journey';
type Unit = 'events' | 'minutes';

const names = {
  total: (family: Family, minutes: number) =>
    `sextant:${family}_events_total:increase${promDuration(minutes)}`,
  bad: (family: Family, minutes: number) => `sextant:${family}_events_bad:increase${promDuration(minutes)}`,
  ratio: (family: Family, minutes: number) =>
    `sextant:${family}_error:ratio_increase${promDuration(minutes)}`,
  remaining: 'sextant:slo_error_budget_remaining:ratio',
};

/** What a set of recorded count series is about: one SLI, or one journey. */
interface Subject {
  family: Family;
  /** `sextant_service`/`sextant_sli` or `sextant_journey`: on every recorded series. */
  identity: [string, string][];
  /** Significant labels, kept apart in every count (empty for journeys). */
  by: string[];
  unit: Unit;
}

/** How one SLI's events are counted over a window, in PromQL summed by its significant labels. */
interface CountPlan {
  unit: Unit;
  describe: string[];
  total: (window: string) => string;
  /** Exactly one of bad and good. */
  bad?: (window: string) => string;
  good?: (window: string) => string;
  /** Good series may be absent while total exists (every event bad): count it as 0 then. */
  goodMayBeAbsent: boolean;
  /** Histogram bucket bounds that must exist for the SLI to mean anything. */
  buckets?: { bounds: number[]; present: (bound: number, window: string) => string; metric: string };
}

type Planned = { ok: true; plan: CountPlan } | { ok: false; reason: string; warn: boolean };

/**
 * Renders one Prometheus rule file (a group per service, then per journey) for every SLO
 * of `catalog` whose SLI Prometheus can count. Deterministic: the same catalog gives the
 * same bytes. What is skipped or approximated is said in a comment and in `warnings`.
 * @example const { text, warnings } = renderPrometheusRules(catalog, { source: 'catalog/' })
 */
export function renderPrometheusRules(
  catalog: Catalog,
  options: PrometheusRulesOptions = {},
): PrometheusRules {
  const warnings: string[] = [];
  const skipped: string[] = [];
  const services = [...catalog.services.values()].sort(byName);
  const journeys = [...catalog.journeys.values()].sort(byName);

  // Plan every SLI once; a journey is expressible when each of its parts is.
  const plans = new Map<string, Planned>();
  for (const service of services) for (const sli of service.slis) plans.set(sli.id, planSli(sli));

  // Windows each SLI must record: its SLOs' windows plus those of journeys using it.
  const windowsBySli = new Map<string, Set<number>>();
  const need = (sliId: string, windows: Iterable<number>) => {
    const set = windowsBySli.get(sliId) ?? new Set<number>();
    for (const w of windows) set.add(w);
    windowsBySli.set(sliId, set);
  };
  const renderableJourneys: Journey[] = [];
  for (const journey of journeys) {
    if (journey.slos.length === 0) continue;
    const blocked = journey.parts
      .map((part) => ({ part, planned: plans.get(part.sli) }))
      .filter(({ planned }) => planned === undefined || !planned.ok);
    if (blocked.length > 0) {
      const why = blocked
        .map(
          ({ part, planned }) => `${part.sli} (${planned && !planned.ok ? planned.reason : 'unknown SLI'})`,
        )
        .join('; ');
      const message = `journey ${journey.name}: not rendered, a part is not countable in Prometheus: ${why}`;
      skipped.push(message);
      warnings.push(message);
      continue;
    }
    renderableJourneys.push(journey);
    const windows = journey.slos.flatMap((slo) => sloWindows(slo, 'events'));
    for (const part of journey.parts) need(part.sli, windows);
  }
  for (const service of services) {
    for (const slo of service.slos) {
      const sli = service.slis.find((candidate) => candidate.id === slo.sli);
      const planned = sli ? plans.get(sli.id) : undefined;
      if (!sli || !planned) continue;
      if (!planned.ok) {
        const message = `${slo.id}: not rendered: ${planned.reason}`;
        skipped.push(message);
        if (planned.warn) warnings.push(message);
        continue;
      }
      need(sli.id, sloWindows(slo, planned.plan.unit));
    }
  }

  const groups: GroupNode[] = [];
  for (const service of services) {
    const group = serviceGroup(service, plans, windowsBySli, warnings);
    if (group.rules.length > 0) groups.push(group);
  }
  for (const journey of renderableJourneys) groups.push(journeyGroup(journey, warnings));

  const header = [
    'Prometheus rules generated by `sextant render prometheus-rules`. Do not edit: change the',
    `catalog${options.source === undefined ? '' : ` (${options.source})`} and render again. Check with \`promtool check rules\`.`,
    '',
    'Series (labels sextant_service + sextant_sli, or sextant_journey, plus significant labels):',
    '  sextant:sli_events_total:increase<W>, sextant:sli_events_bad:increase<W>   events in window W',
    '  sextant:sli_error:ratio_increase<W> = bad / total over W (a ratio of sums, never a mean of ratios)',
    '  sextant:journey_*                    the same for journeys: sum(w_i * part_i) / sum(w_i * total_i)',
    '  sextant:slo_error_budget_remaining:ratio{sextant_slo}   1 - bad / (e * total) over the SLO window',
    '',
    'Windows up to 6h are increase() over the raw series. Longer windows add up recorded counts:',
    '  sum_over_time(sextant:..:increase5m[23h59m59s:5m]) for 1d, and 1h counts at 1h steps from 7d on.',
    'Subquery steps are aligned to multiples of the step since the epoch, and each group is evaluated',
    'every minute at a fixed offset, so the sample read at each step is the count recorded at the same',
    'offset before it: consecutive steps read adjacent, non-overlapping windows that tile the range',
    'exactly, without the extra cost of increase() over every raw sample of a day or a month.',
    'The range is one second short of the window because Prometheus 2 ranges are closed at both ends',
    '(`[1d:5m]` would read 289 steps at an aligned instant) and Prometheus 3 ranges are open on the',
    'left: both read exactly window/step steps. Long windows lag by up to one step (5m or 1h).',
    'Every ratio divides by `(total > 0)`: a window without traffic has no ratio and raises no alert.',
  ];
  if (skipped.length > 0) header.push('', 'Not rendered:', ...skipped.map((line) => `  ${line}`));
  return { text: writeRuleFile(header, groups), warnings };
}

/** Code-point order, so the file's bytes do not depend on the machine's locale. */
function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// Counting one SLI

function planSli(sli: Sli): Planned {
  switch (sli.kind) {
    case 'ratio':
      return planRatio(sli);
    case 'latency':
      return planLatency(sli);
    case 'threshold':
      return planThreshold(sli);
    case 'events':
      return {
        ok: false,
        reason: 'events SLIs are pushed to Sextant and have no Prometheus series',
        warn: false,
      };
  }
}

/** `increase(selector[w])`, or the PromQL source with `$window` replaced (callers wrap it in `sum`). */
function counterIncrease(source: Source, window: string): string {
  return source.kind === 'selector'
    ? `increase(${selectorWith(source.selector, [])}[${window}])`
    : withWindow(source.expression, window);
}

function sourceText(source: Source): string {
  return source.kind === 'selector' ? source.text : source.expression;
}

function planRatio(sli: RatioSli): Planned {
  const by = sli.significantLabels;
  const plan: CountPlan = {
    unit: 'events',
    describe: [`total: ${sourceText(sli.total)}`],
    total: (w) => sumBy(by, counterIncrease(sli.total, w)),
    goodMayBeAbsent: true,
  };
  if (sli.bad !== undefined) {
    const bad = sli.bad;
    plan.bad = (w) => sumBy(by, counterIncrease(bad, w));
    plan.describe.push(`bad: ${sourceText(bad)}`);
  } else if (sli.good !== undefined) {
    const good = sli.good;
    plan.good = (w) => sumBy(by, counterIncrease(good, w));
    plan.describe.push(`good: ${sourceText(good)}`);
  } else {
    return { ok: false, reason: `ratio SLI ${sli.id} has neither good nor bad`, warn: true };
  }
  return { ok: true, plan };
}

function planLatency(sli: LatencySli): Planned {
  const by = sli.significantLabels;
  const satisfied = sli.satisfiedSeconds;
  const tolerated = sli.toleratedSeconds;
  const apdex = tolerated === undefined ? '' : ` + (le=${tolerated} - le=${satisfied}) / 2 (apdex)`;
  if (sli.histogram !== undefined) {
    const { selector, text } = sli.histogram;
    if (selector.metric === undefined) {
      return {
        ok: false,
        reason: `latency SLI ${sli.id}: the histogram selector ${text} has no metric name to add _bucket to`,
        warn: true,
      };
    }
    const bucket = (matcher: LabelMatcher, w: string) =>
      sumBy(by, `increase(${selectorWith(selector, [matcher], '_bucket')}[${w}])`);
    const le = (bound: number, w: string) => bucket(leMatcher(bound), w);
    const good =
      tolerated === undefined
        ? (w: string) => le(satisfied, w)
        : // good = S + (T - S) / 2 = (S + T) / 2 (SLO-MATH.md, "Counts").
          (w: string) => `(${le(satisfied, w)} + ${le(tolerated, w)}) / 2`;
    return {
      ok: true,
      plan: {
        unit: 'events',
        describe: [`histogram ${selector.metric}_bucket: good = le=${satisfied}${apdex}, total = le=+Inf`],
        total: (w) => bucket({ name: 'le', op: '=', value: '+Inf' }, w),
        good,
        // Every bucket of a histogram exists once it has observations: a missing bound
        // is a wrong satisfiedSeconds, reported by SextantSliBucketMissing, not "all slow".
        goodMayBeAbsent: false,
        buckets: {
          bounds: tolerated === undefined ? [satisfied] : [satisfied, tolerated],
          present: le,
          metric: `${selector.metric}_bucket`,
        },
      },
    };
  }
  if (sli.promql !== undefined) {
    const { promql } = sli;
    const count = (expression: string, w: string) => sumBy(by, withWindow(expression, w));
    const toleratedExpression = promql.tolerated;
    return {
      ok: true,
      plan: {
        unit: 'events',
        describe: [
          `promql: good = satisfied${toleratedExpression === undefined ? '' : ' + (tolerated - satisfied) / 2'}`,
        ],
        total: (w) => count(promql.total, w),
        good:
          toleratedExpression === undefined
            ? (w) => count(promql.satisfied, w)
            : (w) => `(${count(promql.satisfied, w)} + ${count(toleratedExpression, w)}) / 2`,
        goodMayBeAbsent: true,
      },
    };
  }
  return { ok: false, reason: `latency SLI ${sli.id} has neither histogram nor promql`, warn: true };
}

const NEGATED = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' } as const;

/**
 * Threshold SLIs become per-minute verdicts counted like events: a minute with samples
 * counts once in total, and once in bad when the gauge, aggregated over the minute's
 * samples of every series with the same significant labels, fails the check. This is the
 * engine's good/total of one verdict per minute.
 */
function planThreshold(sli: ThresholdSli): Planned {
  const by = sli.significantLabels;
  const worst = sli.operator === '<' || sli.operator === '<=' ? 'max' : 'min';
  // `[59s999ms]` is the minute `(p - 1m, p]` on Prometheus 2 (closed ranges) and 3 alike,
  // so a sample on a minute boundary is counted in one minute, not two.
  const minute = MINUTE_RANGE;
  let perMinute: string;
  if (sli.gauge.kind === 'selector') {
    const gauge = selectorWith(sli.gauge.selector, []);
    const group = by.length === 0 ? '' : ` by (${by.join(', ')})`;
    switch (sli.aggregation) {
      case 'max':
      case 'min':
        perMinute = `${sli.aggregation}${group} (${sli.aggregation}_over_time(${gauge}[${minute}]))`;
        break;
      case 'avg':
        // The mean of every sample, not the mean of per-series means.
        perMinute = `${sumBy(by, `sum_over_time(${gauge}[${minute}])`)} / ${sumBy(by, `count_over_time(${gauge}[${minute}])`)}`;
        break;
      case 'last':
        // Several series each have a last value: the worst of them decides.
        perMinute = `${worst}${group} (last_over_time(${gauge}[${minute}]))`;
        break;
    }
  } else {
    const aggregator =
      sli.aggregation === 'avg' ? 'avg' : sli.aggregation === 'last' ? worst : sli.aggregation;
    perMinute = `${aggregator}${by.length === 0 ? '' : ` by (${by.join(', ')})`} (${withWindow(sli.gauge.expression, minute)})`;
  }
  const bound = promNumber(sli.bound);
  // One point per aligned minute; `[w-1s:1m]` holds exactly w minutes (see promDurationMinusOneSecond).
  const minutes = (expression: string, w: string) =>
    `count_over_time((${expression})[${secondsShort(w)}:1m])`;
  return {
    ok: true,
    plan: {
      unit: 'minutes',
      describe: [
        `gauge: ${sourceText(sli.gauge)}; a minute is good when ${sli.aggregation}(samples) ${sli.operator} ${bound}`,
        'events are minutes with samples (total) and minutes failing the check (bad)',
      ],
      total: (w) => minutes(perMinute, w),
      bad: (w) => minutes(`${perMinute} ${NEGATED[sli.operator]} ${bound}`, w),
      goodMayBeAbsent: true,
    },
  };
}

/** `4m59s` for `5m`: windows are passed around as PromQL text, minutes are recovered here. */
function secondsShort(window: string): string {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(window);
  const [days, hours, mins] = [match?.[1], match?.[2], match?.[3]].map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
  ];
  return promDurationMinusOneSecond(days * 1440 + hours * 60 + mins);
}

// ---------------------------------------------------------------------------------------
// Windows

/** Period used for factors and the budget: rolling minutes, or the nominal calendar length. */
function periodMinutesOf(slo: Slo): number {
  const window = slo.definition.window;
  return window.kind === 'rolling' ? window.minutes : NOMINAL_CALENDAR_MINUTES[window.unit];
}

/** Every window an SLO reads: tiers, cessation, the period, and timeslices' slice. */
function sloWindows(slo: Slo, unit: Unit): number[] {
  const d = slo.definition;
  const windows = [periodMinutesOf(slo)];
  if (d.alerting.enabled) {
    for (const tier of d.alerting.tiers) windows.push(tier.longMinutes, tier.shortMinutes);
    if (d.alerting.trafficCessation) windows.push(CESSATION_MINUTES);
  }
  const slice = sliceWindow(slo, unit);
  if (slice !== undefined) windows.push(slice);
  return windows;
}

/** The slice length whose counts timeslice budgets read, when they need a recorded window. */
function sliceWindow(slo: Slo, unit: Unit): number | undefined {
  const b = slo.definition.budgeting;
  if (b.method === 'occurrences') return undefined;
  if (unit === 'minutes' && b.sliceMinutes === 1) return undefined;
  return b.sliceMinutes >= 5 ? b.sliceMinutes : undefined;
}

/** The step of a long window built from recorded counts; undefined for raw `increase()`. */
function tileStep(minutes: number): number | undefined {
  if (minutes <= RAW_MAX_MINUTES || minutes % 5 !== 0) return undefined;
  return minutes >= HOUR_STEP_FROM_MINUTES && minutes % 60 === 0 ? 60 : 5;
}

/** The windows to record, with the step windows long ones are built from. */
function withSteps(windows: Iterable<number>): number[] {
  const all = new Set(windows);
  for (const w of [...all]) {
    const step = tileStep(w);
    if (step !== undefined) all.add(step);
  }
  return [...all].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------
// Groups

function rule(fields: Partial<RuleNode> & { expr: string }): RuleNode {
  return { comments: [], labels: [], annotations: [], ...fields };
}

function select(name: string, subject: Subject): string {
  return seriesSelector(name, subject.identity);
}

function serviceGroup(
  service: Service,
  plans: Map<string, Planned>,
  windowsBySli: Map<string, Set<number>>,
  warnings: string[],
): GroupNode {
  const rules: RuleNode[] = [];
  for (const sli of service.slis) {
    const planned = plans.get(sli.id);
    const windows = windowsBySli.get(sli.id);
    if (!planned?.ok || windows === undefined) continue;
    const { plan } = planned;
    const subject: Subject = {
      family: 'sli',
      identity: [
        ['sextant_service', service.name],
        ['sextant_sli', sli.name],
      ],
      by: sli.significantLabels,
      unit: plan.unit,
    };
    rules.push(...sliCountRules(sli, plan, subject, withSteps(windows)));
    for (const slo of service.slos.filter((candidate) => candidate.sli === sli.id)) {
      rules.push(
        ...sloRules(slo, subject, {
          team: sli.team,
          ownerLabels: [['service', service.name]],
          links: service.links,
          warnings,
        }),
      );
    }
    const smallest = Math.min(...windows);
    if (plan.buckets !== undefined && smallest <= RAW_MAX_MINUTES) {
      rules.push(bucketMissingRule(sli, plan, subject, smallest));
    }
  }
  return {
    comments: [`Service ${service.name} (${service.title}), owner ${service.owner}, tier ${service.tier}.`],
    name: `sextant-service-${service.name}`,
    interval: GROUP_INTERVAL,
    rules,
  };
}

function sliCountRules(sli: Sli, plan: CountPlan, subject: Subject, windows: number[]): RuleNode[] {
  const rules: RuleNode[] = [];
  const identity = subject.identity;
  const on = onLabels(subject.by);
  const raw = windows.filter((w) => tileStep(w) === undefined);
  const tiled = windows.filter((w) => tileStep(w) !== undefined);
  raw.forEach((w, index) => {
    const window = promDuration(w);
    const totalRecorded = select(names.total('sli', w), subject);
    const comments =
      index === 0
        ? [
            `SLI ${sli.id} (${sli.kind}${subject.by.length > 0 ? `, by ${subject.by.join(', ')}` : ''}): ${plan.describe[0]}`,
            ...plan.describe.slice(1),
          ]
        : [];
    rules.push(rule({ comments, record: names.total('sli', w), expr: plan.total(window), labels: identity }));
    let bad: string;
    if (plan.bad !== undefined) {
      // A bad counter nobody incremented yet may not exist: count 0 where total exists.
      bad = `${plan.bad(window)}\nor ${on}\n0 * ${totalRecorded}`;
    } else {
      const good = plan.good!(window);
      const goodOrZero = plan.goodMayBeAbsent ? `(\n  ${good}\n  or ${on}\n  0 * ${totalRecorded}\n)` : good;
      // Extrapolation can put good a hair above total; bad is never negative.
      bad = `clamp_min(\n  ${totalRecorded}\n  - ${on}\n  ${indent(goodOrZero, '  ')},\n  0\n)`;
    }
    rules.push(rule({ record: names.bad('sli', w), expr: bad, labels: identity }));
  });
  for (const w of tiled) {
    const step = tileStep(w)!;
    const range = `[${promDurationMinusOneSecond(w)}:${promDuration(step)}]`;
    rules.push(
      rule({
        comments: [
          `${promDuration(w)}: ${w / step} adjacent ${promDuration(step)} counts (steps aligned to the epoch).`,
        ],
        record: names.total('sli', w),
        expr: `sum_over_time(${select(names.total('sli', step), subject)}${range})`,
        labels: identity,
      }),
      rule({
        record: names.bad('sli', w),
        expr: `sum_over_time(${select(names.bad('sli', step), subject)}${range})`,
        labels: identity,
      }),
    );
  }
  rules.push(...ratioRules(subject, windows));
  return rules;
}

function ratioRules(subject: Subject, windows: number[]): RuleNode[] {
  return windows.map((w) =>
    rule({
      record: names.ratio(subject.family, w),
      expr: `${select(names.bad(subject.family, w), subject)}\n/\n(${select(names.total(subject.family, w), subject)} > 0)`,
      labels: subject.identity,
    }),
  );
}

function journeyGroup(journey: Journey, warnings: string[]): GroupNode {
  const subject: Subject = {
    family: 'journey',
    identity: [['sextant_journey', journey.name]],
    by: [],
    unit: 'events',
  };
  const windows = [...new Set(journey.slos.flatMap((slo) => sloWindows(slo, 'events')))].sort(
    (a, b) => a - b,
  );
  const partSelector = (name: string, sliId: string) => {
    const [service = '', sli = ''] = sliId.split('/');
    return seriesSelector(name, [
      ['sextant_service', service],
      ['sextant_sli', sli],
    ]);
  };
  // SLO-MATH.md, "Composites": ratio = sum(w_i * G_i) / sum(w_i * T_i); a part without
  // series counts 0 events, so the journey's counts always exist.
  const weighted = (name: (w: number) => string, w: number) =>
    journey.parts
      .map((part) => `${promNumber(part.weight)} * (sum(${partSelector(name(w), part.sli)}) or vector(0))`)
      .join('\n+\n');
  const rules: RuleNode[] = [];
  windows.forEach((w, index) => {
    rules.push(
      rule({
        comments:
          index === 0
            ? [
                `Journey ${journey.name}: ${journey.parts.map((p) => `${p.sli} x ${promNumber(p.weight)}`).join(', ')}.`,
                "Parts are recorded by their services' groups (read here up to one evaluation later).",
              ]
            : [],
        record: names.total('journey', w),
        expr: weighted((m) => names.total('sli', m), w),
        labels: subject.identity,
      }),
      rule({
        record: names.bad('journey', w),
        expr: weighted((m) => names.bad('sli', m), w),
        labels: subject.identity,
      }),
    );
  });
  rules.push(...ratioRules(subject, windows));
  for (const slo of journey.slos) {
    rules.push(
      ...sloRules(slo, subject, {
        team: journey.owner,
        ownerLabels: [['journey', journey.name]],
        links: journey.links,
        warnings,
      }),
    );
  }
  return {
    comments: [`Journey ${journey.name} (${journey.title}), owner ${journey.owner}.`],
    name: `sextant-journey-${journey.name}`,
    interval: GROUP_INTERVAL,
    rules,
  };
}

// ---------------------------------------------------------------------------------------
// SLO rules: budget and alerts

interface Owner {
  team: string;
  ownerLabels: [string, string][];
  links: Link[];
  warnings: string[];
}

function percent(ratio: number): string {
  return `${promNumber(ratio * 100)}%`;
}

function indent(text: string, prefix: string): string {
  return text.replaceAll('\n', `\n${prefix}`);
}

function sloRules(slo: Slo, subject: Subject, owner: Owner): RuleNode[] {
  const d = slo.definition;
  const e = errorBudgetRatio(d.objectiveRatio);
  const period = periodMinutesOf(slo);
  const periodText = promDuration(period);
  const rules: RuleNode[] = [];
  const comments = [
    `SLO ${slo.id}: ${percent(d.objectiveRatio)} over ${slo.windowText}, budget e = ${promNumber(e)}, ${d.budgeting.method}.`,
  ];
  if (d.window.kind === 'calendar') {
    comments.push(
      `Calendar ${d.window.unit} (${d.window.timeZone}): PromQL has no calendar windows, so factors and the`,
      `budget use a nominal rolling ${periodText}; Sextant itself resets the budget at each ${d.window.unit}.`,
    );
    owner.warnings.push(
      `${slo.id}: the calendar ${d.window.unit} is approximated by a rolling ${periodText} in Prometheus rules`,
    );
  }
  if (d.maintenance.length > 0) {
    comments.push('Maintenance windows are not applied here: silence them in Alertmanager.');
    owner.warnings.push(
      `${slo.id}: maintenance windows are not applied by Prometheus rules (silence them instead)`,
    );
  }
  if (subject.unit === 'minutes') comments.push('Events are minutes: one verdict per minute with samples.');

  const baseLabels: [string, string][] = [
    ['sextant_slo', slo.id],
    ...owner.ownerLabels,
    ['team', owner.team],
  ];
  const linkAnnotations: [string, string][] = [];
  const runbook = owner.links.find((link) => link.type === 'runbook');
  if (runbook) linkAnnotations.push(['runbook_url', runbook.url]);
  const dashboard = owner.links.find((link) => link.type === 'dashboard');
  if (dashboard) linkAnnotations.push(['dashboard_url', dashboard.url]);
  const where =
    subject.by.length === 0
      ? ''
      : ` (${subject.by.map((label) => `${label}={{ $labels.${label} }}`).join(', ')})`;

  // Comments go on the first rule of the SLO, whichever that is.
  let pendingComments = comments;
  const push = (node: RuleNode) => {
    node.comments = [...pendingComments, ...node.comments];
    pendingComments = [];
    rules.push(node);
  };
  const budget = budgetRemaining(slo, subject, e, period);
  if (budget.ok) {
    push(
      rule({
        comments: [budget.comment],
        record: names.remaining,
        expr: budget.expr,
        labels: [...subject.identity, ['sextant_slo', slo.id]],
      }),
    );
  } else {
    pendingComments.push(`No budget series: ${budget.reason}.`);
    owner.warnings.push(`${slo.id}: no budget series or budget-exhausted alert: ${budget.reason}`);
  }
  if (!d.alerting.enabled) {
    if (rules[0] !== undefined) rules[0].comments.push('alerting.enabled is false: recording rules only.');
    return rules;
  }

  const z = d.alerting.wilsonConfidence === undefined ? undefined : confidenceZ(d.alerting.wilsonConfidence);
  d.alerting.tiers.forEach((tier) => {
    const factor = alertFactor(tier, period);
    const long = promDuration(tier.longMinutes);
    if (subject.unit === 'minutes' && d.alerting.minEvents > tier.longMinutes) {
      // Faithful to the engine, and useless: say so rather than quietly never paging.
      const message = `${slo.id}: tier ${tier.name} can never fire: its ${long} window holds at most ${tier.longMinutes} minute verdicts, fewer than alerting.minEvents (${d.alerting.minEvents})`;
      pendingComments.push(message);
      owner.warnings.push(message);
    }
    const derivation =
      tier.factor === undefined
        ? `${percent(tier.budgetShare)} of the ${periodText} budget within ${long}: factor ${promNumber(tier.budgetShare)} x ${period}m / ${tier.longMinutes}m = ${promNumber(factor)}`
        : `explicit factor ${promNumber(factor)}`;
    push(
      rule({
        comments: [
          `${tier.name}: ${derivation}; burn rate over ${long} and ${promDuration(tier.shortMinutes)} both above it${tier.forMinutes > 0 ? ` for ${promDuration(tier.forMinutes)}` : ''}.`,
        ],
        alert: 'SextantSloBurnRate',
        expr: tierExpr(tier, factor, subject, e, z, d.alerting.minEvents),
        ...(tier.forMinutes > 0 ? { forText: promDuration(tier.forMinutes) } : {}),
        labels: [['severity', tier.severity], ...baseLabels, ['tier', tier.name]],
        annotations: [
          [
            'summary',
            `${slo.id}${where}: error budget burning {{ printf "%.1f" $value }}x the sustainable rate (${tier.name})`,
          ],
          [
            'description',
            `The error ratio of ${slo.id}${where} over the last ${promDuration(tier.longMinutes)} and ${promDuration(tier.shortMinutes)} is above ${promNumber(factor)} times the ${percent(e)} budget of its ${percent(d.objectiveRatio)} objective over ${slo.windowText}` +
              `${z === undefined ? '' : ` (Wilson upper bound at ${percent(d.alerting.wilsonConfidence!)} confidence)`}; burn rate over ${promDuration(tier.longMinutes)}: {{ printf "%.2f" $value }}.` +
              (tier.factor === undefined
                ? ` At this rate ${percent(tier.budgetShare)} of the ${periodText} budget is gone within ${promDuration(tier.longMinutes)}.`
                : ''),
          ],
          ...linkAnnotations,
        ],
      }),
    );
  });
  if (d.alerting.budgetExhausted && budget.ok) {
    push(
      rule({
        comments: ['Budget exhausted (SLO-MATH.md): remaining <= 0 over the SLO window.'],
        alert: 'SextantSloBudgetExhausted',
        expr: `${seriesSelector(names.remaining, [...subject.identity, ['sextant_slo', slo.id]])} <= 0`,
        labels: [['severity', 'ticket'], ...baseLabels, ['tier', 'budget-exhausted']],
        annotations: [
          ['summary', `${slo.id}${where}: error budget exhausted ({{ $value | humanizePercentage }} left)`],
          [
            'description',
            `${slo.id}${where} has spent its whole ${percent(e)} error budget over the last ${periodText} (${percent(d.objectiveRatio)} objective over ${slo.windowText}); remaining: {{ $value | humanizePercentage }}.`,
          ],
          ...linkAnnotations,
        ],
      }),
    );
  }
  if (d.alerting.trafficCessation) {
    const recent = select(names.total(subject.family, CESSATION_MINUTES), subject);
    push(
      rule({
        comments: [
          'Traffic cessation (SLO-MATH.md): no events in 30m while the same 30m one hour earlier had >= 300.',
          '`unless ... > 0` also fires when the series are gone altogether (target down), not only at 0.',
        ],
        alert: 'SextantSloTrafficCessation',
        expr: `${recent} offset 1h >= ${CESSATION_BASELINE_MIN_TOTAL}\nunless\n${recent} > 0`,
        labels: [['severity', 'page'], ...baseLabels, ['tier', 'traffic-cessation']],
        annotations: [
          ['summary', `${slo.id}${where}: traffic stopped`],
          [
            'description',
            `${slo.id}${where} recorded no ${subject.unit === 'minutes' ? 'minutes with samples' : 'events'} in the last 30m, while the same 30 minutes one hour earlier had {{ printf "%.0f" $value }}.`,
          ],
          ...linkAnnotations,
        ],
      }),
    );
  }
  return rules;
}

/**
 * The burn rate of one window as PromQL: `ratio / e`, or the Wilson score upper bound of
 * the error ratio divided by `e` (SLO-MATH.md, optional low-traffic gating), which only
 * counts when there are bad events, as in the engine.
 */
function burnCondition(
  subject: Subject,
  minutes: number,
  e: number,
  factor: string,
  z: number | undefined,
): string {
  const ratio = select(names.ratio(subject.family, minutes), subject);
  if (z === undefined) return `${ratio} / ${promNumber(e)} > ${factor}`;
  const total = select(names.total(subject.family, minutes), subject);
  const p = `clamp(${ratio}, 0, 1)`;
  const z2 = promNumber(z * z);
  const upper = `clamp_max(\n    (${p} + ${z2} / (2 * ${total})\n      + ${promNumber(z)} * sqrt(${p} * (1 - ${p}) / ${total} + ${z2} / (4 * ${total} ^ 2)))\n    / (1 + ${z2} / ${total}),\n    1\n  )`;
  return `(\n  ${upper} / ${promNumber(e)} > ${factor}\n  and\n  ${ratio} > 0\n)`;
}

function tierExpr(
  tier: AlertTier,
  factor: number,
  subject: Subject,
  e: number,
  z: number | undefined,
  minEvents: number,
): string {
  const f = promNumber(factor);
  const long = burnCondition(subject, tier.longMinutes, e, f, z);
  const short = burnCondition(subject, tier.shortMinutes, e, f, z);
  const both = `(\n  ${indent(long, '  ')}\nand\n  ${indent(short, '  ')}\n)`;
  if (minEvents <= 0) return both;
  // Low-traffic gating: T(long) >= minEvents.
  return `${both}\nand\n${select(names.total(subject.family, tier.longMinutes), subject)} >= ${promNumber(minEvents)}`;
}

type BudgetExpr = { ok: true; expr: string; comment: string } | { ok: false; reason: string };

/** `1 - consumed` over the period for the SLO's budgeting method (SLO-MATH.md, "Objective and budget"). */
function budgetRemaining(slo: Slo, subject: Subject, e: number, period: number): BudgetExpr {
  const b = slo.definition.budgeting;
  const family = subject.family;
  const eText = promNumber(e);
  const periodRatio = select(names.ratio(family, period), subject);
  const periodTotal = select(names.total(family, period), subject);
  const periodBad = select(names.bad(family, period), subject);
  const on = onLabels(subject.by);
  if (
    b.method === 'occurrences' ||
    (b.method === 'ratioTimeslices' && subject.unit === 'minutes' && b.sliceMinutes === 1)
  ) {
    return {
      ok: true,
      expr: `1 - ${periodRatio} / ${eText}`,
      comment: `Remaining budget: 1 - bad / (e * total) over ${promDuration(period)}; absent without traffic (SLO "no data").`,
    };
  }
  if (subject.unit === 'minutes' && b.sliceMinutes === 1 && b.method === 'timeslices') {
    // One verdict per 1m slice: a slice is bad exactly when its minute is.
    const badSlices =
      b.emptySlice === 'good' ? periodBad : `(${promNumber(period)} - (${periodTotal} - ${on} ${periodBad}))`;
    return {
      ok: true,
      expr: `1 - ${badSlices} / (${eText} * ${promNumber(period)})`,
      comment: `Remaining budget: 1 - bad slices / (e * ${period} one-minute slices); minutes without samples are ${b.emptySlice}.`,
    };
  }
  const slice = sliceWindow(slo, subject.unit);
  if (slice === undefined) {
    return {
      ok: false,
      reason: `${b.method} with ${promDuration(b.sliceMinutes)} slices needs per-slice counts, and increase() over less than 5m is not reliable at common scrape intervals`,
    };
  }
  const sliceRatio = select(names.ratio(family, slice), subject);
  const range = `[${promDurationMinusOneSecond(period)}:${promDuration(slice)}]`;
  const slices = promNumber(period / slice);
  if (b.method === 'ratioTimeslices') {
    return {
      ok: true,
      expr: `1 - avg_over_time(${sliceRatio}${range}) / ${eText}`,
      comment: `Remaining budget: 1 - mean error ratio of ${promDuration(slice)} slices with traffic / e (ratioTimeslices).`,
    };
  }
  const limit = promNumber(1 - b.sliceTargetRatio);
  const badSlices =
    b.emptySlice === 'good'
      ? `(count_over_time((${sliceRatio} > ${limit})${range}) or ${on} 0 * ${periodTotal})`
      : `(${slices} - (count_over_time((${sliceRatio} <= ${limit})${range}) or ${on} 0 * ${periodTotal}))`;
  return {
    ok: true,
    expr: `1 - ${badSlices} / (${eText} * ${slices})`,
    comment: `Remaining budget: 1 - bad slices / (e * ${slices} slices of ${promDuration(slice)}); a slice is good at >= ${percent(b.sliceTargetRatio)}, empty slices are ${b.emptySlice}.`,
  };
}

/** A ticket when a histogram lacks the bucket an SLI counts: the SLI would silently read no data. */
function bucketMissingRule(sli: Sli, plan: CountPlan, subject: Subject, minutes: number): RuleNode {
  const buckets = plan.buckets!;
  const total = select(names.total('sli', minutes), subject);
  const on = onLabels(subject.by);
  const checks = buckets.bounds.map(
    (bound) => `(${total} > 0 unless ${on} ${buckets.present(bound, promDuration(minutes))})`,
  );
  return rule({
    comments: [`${sli.id} reads buckets le=${buckets.bounds.join(', le=')} of ${buckets.metric}.`],
    alert: 'SextantSliBucketMissing',
    expr: checks.join('\nor\n'),
    forText: '15m',
    labels: [
      ['severity', 'ticket'],
      ['service', sli.service],
      ['team', sli.team],
      ['tier', 'bucket-missing'],
    ],
    annotations: [
      [
        'summary',
        `${sli.id}: histogram ${buckets.metric} has no bucket le=${buckets.bounds.join(' or le=')}`,
      ],
      [
        'description',
        `${sli.id} counts requests under le=${buckets.bounds.join(' and le=')}, but ${buckets.metric} has traffic and no such bucket, so the SLI reads no data and its SLOs cannot alert. Set satisfiedSeconds/toleratedSeconds to bucket bounds the histogram has.`,
      ],
    ],
  });
}
