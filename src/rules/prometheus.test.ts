import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { buildCatalog, type Catalog } from '../catalog/index.ts';
import { renderPrometheusRules } from './index.ts';

const TEAM = `apiVersion: sextant.dev/v1
kind: Team
metadata:
  name: payments-team
spec:
  onCall:
    schedule: payments-primary
`;

interface ServiceSpec {
  name?: string;
  slis: string;
  slos: string;
  extra?: string;
}

function service({ name = 'payments', slis, slos, extra = '' }: ServiceSpec): string {
  return `apiVersion: sextant.dev/v1
kind: Service
metadata:
  name: ${name}
  links:
    - url: https://runbooks.example.com/${name}
      type: runbook
spec:
  owner: payments-team
  tier: critical
  slis:
${indent(slis, 4)}
  slos:
${indent(slos, 4)}
${extra}`;
}

function indent(text: string, by: number): string {
  return text
    .trim()
    .split('\n')
    .map((line) => ' '.repeat(by) + line)
    .join('\n');
}

const AVAILABILITY_SLI = `- name: availability
  kind: ratio
  significantLabels: [region]
  bad:
    selector: http_requests_total{job="payments",code=~"5.."}
  total:
    selector: http_requests_total{job="payments"}`;

function availabilitySlo(window: string, extra = ''): string {
  return `- name: availability
  sli: availability
  objectivePercent: 99.9
  window: ${window}
${extra}`;
}

function catalogOf(...documents: string[]): Catalog {
  const build = buildCatalog(documents.map((text, index) => ({ path: `m${index}.yaml`, text })));
  const errors = build.issues.filter((issue) => issue.severity === 'error');
  assert.deepEqual(errors, [], 'the test catalog is valid');
  return build.catalog;
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; interval: string; rules: Rule[] }[];
}

function render(...documents: string[]) {
  const result = renderPrometheusRules(catalogOf(TEAM, ...documents));
  const file = parse(result.text) as RuleFile;
  const rules = file.groups.flatMap((group) => group.rules);
  return { ...result, file, rules };
}

function recording(rules: Rule[], name: string, labels: Record<string, string> = {}): Rule {
  const found = rules.filter(
    (rule) =>
      rule.record === name && Object.entries(labels).every(([key, value]) => rule.labels?.[key] === value),
  );
  assert.equal(found.length, 1, `one recording rule ${name} ${JSON.stringify(labels)}`);
  return found[0]!;
}

function tier(rules: Rule[], name: string, slo = 'payments/availability'): Rule {
  const found = rules.filter((rule) => rule.labels?.['tier'] === name && rule.labels['sextant_slo'] === slo);
  assert.equal(found.length, 1, `one alert for tier ${name} of ${slo}`);
  return found[0]!;
}

const SEL = '{sextant_service="payments",sextant_sli="availability"}';

describe('burn-rate tiers of a hand-worked SLO', () => {
  // 99.9 % over 30d: e = 0.001; factor = share x 43200m / long (SLO-MATH.md table):
  // page-1h 0.02 x 43200 / 60 = 14.4, page-6h 0.05 x 43200 / 360 = 6,
  // ticket-1d 0.1 x 43200 / 1440 = 3, ticket-3d 0.1 x 43200 / 4320 = 1.
  const { rules, warnings } = render(service({ slis: AVAILABILITY_SLI, slos: availabilitySlo('30d') }));

  test('a 99.9% SLO over 30d pages when the 1h and the 5m burn rates both exceed 14.4', () => {
    const page = tier(rules, 'page-1h');
    assert.equal(page.alert, 'SextantSloBurnRate');
    assert.equal(
      page.expr,
      [
        '(',
        `  sextant:sli_error:ratio_increase1h${SEL} / 0.001 > 14.4`,
        'and',
        `  sextant:sli_error:ratio_increase5m${SEL} / 0.001 > 14.4`,
        ')',
        'and',
        `sextant:sli_events_total:increase1h${SEL} >= 3600`,
      ].join('\n'),
    );
    assert.equal(page.for, '2m');
  });

  test('the other tiers use factors 6, 3 and 1 with their windows and for durations', () => {
    const expected = [
      ['page-6h', 'page', '6h', '30m', '6', '15m'],
      ['ticket-1d', 'ticket', '1d', '2h', '3', '1h'],
      ['ticket-3d', 'ticket', '3d', '6h', '1', '1h'],
    ];
    for (const [name, severity, long, short, factor, forText] of expected) {
      const alert = tier(rules, name!);
      assert.equal(alert.labels?.['severity'], severity);
      assert.ok(alert.expr.includes(`ratio_increase${long}${SEL} / 0.001 > ${factor}\n`), alert.expr);
      assert.ok(alert.expr.includes(`ratio_increase${short}${SEL} / 0.001 > ${factor}\n`), alert.expr);
      assert.ok(alert.expr.endsWith(`sextant:sli_events_total:increase${long}${SEL} >= 3600`), alert.expr);
      assert.equal(alert.for, forText);
    }
  });

  test('alerts carry severity, SLO, service, team and tier labels and a runbook link', () => {
    const page = tier(rules, 'page-1h');
    assert.deepEqual(page.labels, {
      severity: 'page',
      sextant_slo: 'payments/availability',
      service: 'payments',
      team: 'payments-team',
      tier: 'page-1h',
    });
    assert.equal(page.annotations?.['runbook_url'], 'https://runbooks.example.com/payments');
    assert.match(page.annotations?.['summary'] ?? '', /\{\{ printf "%\.1f" \$value \}\}x/);
    assert.match(page.annotations?.['description'] ?? '', /region=\{\{ \$labels\.region \}\}/);
  });

  test('a rolling SLO renders without warnings', () => {
    assert.deepEqual(warnings, []);
  });

  test('over 28d the page factor is 13.44 and the ticket-3d factor 0.933', () => {
    // 0.02 x 40320 / 60 = 13.44; 0.05 x 40320 / 360 = 5.6; 0.1 x 40320 / 1440 = 2.8;
    // 0.1 x 40320 / 4320 = 0.9333...
    const { rules: rules28 } = render(service({ slis: AVAILABILITY_SLI, slos: availabilitySlo('28d') }));
    assert.ok(tier(rules28, 'page-1h').expr.includes('/ 0.001 > 13.44\n'));
    assert.ok(tier(rules28, 'page-6h').expr.includes('/ 0.001 > 5.6\n'));
    assert.ok(tier(rules28, 'ticket-1d').expr.includes('/ 0.001 > 2.8\n'));
    assert.ok(tier(rules28, 'ticket-3d').expr.includes('/ 0.001 > 0.933333333333\n'));
  });

  test('a calendar month uses a nominal 30d period, says so and warns', () => {
    const calendar = render(
      service({
        slis: AVAILABILITY_SLI,
        slos: availabilitySlo('{calendar: month, timeZone: Europe/Berlin}'),
      }),
    );
    assert.ok(tier(calendar.rules, 'page-1h').expr.includes('/ 0.001 > 14.4\n'));
    assert.match(calendar.text, /nominal rolling 30d/);
    assert.deepEqual(calendar.warnings, [
      'payments/availability: the calendar month is approximated by a rolling 30d in Prometheus rules',
    ]);
    recording(calendar.rules, 'sextant:sli_events_total:increase30d');
  });

  test('minEvents 0 drops the low-traffic gate', () => {
    const ungated = render(
      service({ slis: AVAILABILITY_SLI, slos: availabilitySlo('30d', '  alerting: {minEvents: 0}') }),
    );
    assert.doesNotMatch(tier(ungated.rules, 'page-1h').expr, />=/);
  });
});

describe('recorded counts', () => {
  const { rules, file } = render(service({ slis: AVAILABILITY_SLI, slos: availabilitySlo('30d') }));

  test('events are summed by the significant labels over each window', () => {
    assert.equal(
      recording(rules, 'sextant:sli_events_total:increase5m').expr,
      'sum by (region) (increase(http_requests_total{job="payments"}[5m]))',
    );
    const prefix = 'sextant:sli_events_total:increase';
    const windows = rules
      .filter((rule) => rule.record?.startsWith(prefix))
      .map((rule) => rule.record!.slice(prefix.length));
    assert.deepEqual(windows, ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d']);
  });

  test('a bad counter that does not exist yet counts 0 where there is traffic', () => {
    assert.equal(
      recording(rules, 'sextant:sli_events_bad:increase5m').expr,
      [
        'sum by (region) (increase(http_requests_total{job="payments",code=~"5.."}[5m]))',
        'or on(region)',
        `0 * sextant:sli_events_total:increase5m${SEL}`,
      ].join('\n'),
    );
  });

  test('the error ratio is bad over total of the same window, and only where total > 0', () => {
    for (const window of ['5m', '1h', '1d', '30d']) {
      assert.equal(
        recording(rules, `sextant:sli_error:ratio_increase${window}`).expr,
        `sextant:sli_events_bad:increase${window}${SEL}\n/\n(sextant:sli_events_total:increase${window}${SEL} > 0)`,
      );
    }
  });

  test('1d and 3d add adjacent 5m counts; 30d adds adjacent 1h counts', () => {
    // 288 and 864 steps of 5m, 720 steps of 1h; the range is 1s short so that
    // Prometheus 2 (closed ranges) reads no 289th step.
    assert.equal(
      recording(rules, 'sextant:sli_events_bad:increase1d').expr,
      `sum_over_time(sextant:sli_events_bad:increase5m${SEL}[23h59m59s:5m])`,
    );
    assert.equal(
      recording(rules, 'sextant:sli_events_total:increase3d').expr,
      `sum_over_time(sextant:sli_events_total:increase5m${SEL}[2d23h59m59s:5m])`,
    );
    assert.equal(
      recording(rules, 'sextant:sli_events_total:increase30d').expr,
      `sum_over_time(sextant:sli_events_total:increase1h${SEL}[29d23h59m59s:1h])`,
    );
  });

  test('a long window comes after the step counts it reads, in the same group', () => {
    const order = rules.map((rule) => rule.record ?? rule.alert);
    assert.ok(
      order.indexOf('sextant:sli_events_bad:increase5m') < order.indexOf('sextant:sli_events_bad:increase1d'),
    );
    assert.ok(
      order.indexOf('sextant:sli_events_total:increase1h') <
        order.indexOf('sextant:sli_events_total:increase30d'),
    );
  });

  test('one group per service, evaluated every minute', () => {
    assert.deepEqual(
      file.groups.map((group) => [group.name, group.interval]),
      [['sextant-service-payments', '1m']],
    );
  });

  test('a good counter gives bad = total - good, all bad when no good series exists', () => {
    const good = render(
      service({
        slis: `- name: availability
  kind: ratio
  good:
    selector: http_requests_total{job="payments",code!~"5.."}
  total:
    selector: http_requests_total{job="payments"}`,
        slos: availabilitySlo('30d'),
      }),
    );
    const total = `sextant:sli_events_total:increase5m${SEL}`;
    assert.equal(
      recording(good.rules, 'sextant:sli_events_bad:increase5m').expr,
      [
        'clamp_min(',
        `  ${total}`,
        '  - on()',
        '  (',
        '    sum(increase(http_requests_total{job="payments",code!~"5.."}[5m]))',
        '    or on()',
        `    0 * ${total}`,
        '  ),',
        '  0',
        ')',
      ].join('\n'),
    );
  });
});

describe('budget and other alerts', () => {
  const { rules } = render(service({ slis: AVAILABILITY_SLI, slos: availabilitySlo('30d') }));

  test('remaining budget is 1 - bad / (e x total) over the SLO window; exhausted at <= 0', () => {
    const remaining = recording(rules, 'sextant:slo_error_budget_remaining:ratio');
    assert.equal(remaining.expr, `1 - sextant:sli_error:ratio_increase30d${SEL} / 0.001`);
    assert.equal(remaining.labels?.['sextant_slo'], 'payments/availability');
    const exhausted = tier(rules, 'budget-exhausted');
    assert.equal(exhausted.alert, 'SextantSloBudgetExhausted');
    assert.equal(exhausted.labels?.['severity'], 'ticket');
    assert.match(
      exhausted.expr,
      /sextant:slo_error_budget_remaining:ratio\{.*sextant_slo="payments\/availability"\} <= 0$/,
    );
  });

  test('traffic cessation: nothing in 30m, >= 300 in the same 30m an hour earlier', () => {
    const cessation = tier(rules, 'traffic-cessation');
    assert.equal(cessation.labels?.['severity'], 'page');
    assert.equal(
      cessation.expr,
      `sextant:sli_events_total:increase30m${SEL} offset 1h >= 300\nunless\nsextant:sli_events_total:increase30m${SEL} > 0`,
    );
  });

  test('the Wilson upper bound replaces the observed ratio when configured, and needs bad events', () => {
    const wilson = render(
      service({
        slis: AVAILABILITY_SLI,
        slos: availabilitySlo('30d', '  alerting: {wilsonConfidence: 0.95}'),
      }),
    );
    const page = tier(wilson.rules, 'page-1h').expr;
    // z = 1.959964 at 95 %, z^2 = 3.841459.
    assert.match(page, /3\.84145882/);
    assert.match(page, /1\.95996398/);
    assert.match(page, new RegExp(`sextant:sli_error:ratio_increase5m${escapeRegExp(SEL)} > 0`));
  });

  test('alerting off leaves recording rules only', () => {
    const off = render(
      service({ slis: AVAILABILITY_SLI, slos: availabilitySlo('30d', '  alerting: {enabled: false}') }),
    );
    assert.deepEqual(
      off.rules.filter((rule) => rule.alert !== undefined),
      [],
    );
    recording(off.rules, 'sextant:slo_error_budget_remaining:ratio');
  });

  test('timeslices of 5m count bad slices; empty slices are good by default', () => {
    // 30d of 5m slices: 8640; a slice is bad when its error ratio exceeds 1 - 0.95.
    const sliced = render(
      service({
        slis: AVAILABILITY_SLI,
        slos: availabilitySlo('30d', '  budgeting: {method: timeslices, slice: 5m, sliceTargetPercent: 95}'),
      }),
    );
    assert.equal(
      recording(sliced.rules, 'sextant:slo_error_budget_remaining:ratio').expr,
      `1 - (count_over_time((sextant:sli_error:ratio_increase5m${SEL} > 0.05)[29d23h59m59s:5m]) or on(region) 0 * sextant:sli_events_total:increase30d${SEL}) / (0.001 * 8640)`,
    );
  });

  test('timeslices of 1m over request counts get no budget series and a warning', () => {
    const sliced = render(
      service({
        slis: AVAILABILITY_SLI,
        slos: availabilitySlo('30d', '  budgeting: {method: timeslices, slice: 1m, sliceTargetPercent: 95}'),
      }),
    );
    assert.ok(!sliced.rules.some((rule) => rule.record === 'sextant:slo_error_budget_remaining:ratio'));
    assert.ok(!sliced.rules.some((rule) => rule.alert === 'SextantSloBudgetExhausted'));
    assert.equal(sliced.warnings.length, 1);
    assert.match(sliced.warnings[0]!, /payments\/availability: no budget series.*1m slices/);
    tier(sliced.rules, 'page-1h');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('other kinds of SLI', () => {
  test('latency counts apdex from histogram buckets, matching le="1" and le="1.0"', () => {
    const { rules } = render(
      service({
        slis: `- name: latency
  kind: latency
  histogram: http_request_duration_seconds{job="payments"}
  satisfiedSeconds: 0.25
  toleratedSeconds: 1`,
        slos: `- name: latency
  sli: latency
  objectivePercent: 99
  window: 28d`,
      }),
    );
    const sel = '{sextant_service="payments",sextant_sli="latency"}';
    assert.equal(
      recording(rules, 'sextant:sli_events_total:increase5m').expr,
      'sum(increase(http_request_duration_seconds_bucket{job="payments",le="+Inf"}[5m]))',
    );
    const bad = recording(rules, 'sextant:sli_events_bad:increase5m').expr;
    assert.ok(
      bad.includes(
        '(sum(increase(http_request_duration_seconds_bucket{job="payments",le=~"0\\\\.25"}[5m])) + sum(increase(http_request_duration_seconds_bucket{job="payments",le=~"1|1\\\\.0"}[5m]))) / 2',
      ),
      bad,
    );
    assert.ok(!bad.includes(' or '), 'a missing bucket is not read as "every request slow"');
    const missing = rules.find((rule) => rule.alert === 'SextantSliBucketMissing');
    assert.ok(missing);
    assert.ok(missing.expr.includes(`sextant:sli_events_total:increase5m${sel} > 0 unless on()`));
  });

  test('threshold SLIs count minute verdicts of the worst sample', () => {
    const { rules, warnings } = render(
      service({
        slis: `- name: lag
  kind: threshold
  gauge:
    selector: replication_lag_seconds{job="db"}
  operator: '<'
  bound: 30`,
        slos: `- name: lag
  sli: lag
  objectivePercent: 99
  window: 28d`,
      }),
    );
    assert.equal(
      recording(rules, 'sextant:sli_events_total:increase5m').expr,
      'count_over_time((max (max_over_time(replication_lag_seconds{job="db"}[59s999ms])))[4m59s:1m])',
    );
    assert.ok(
      recording(rules, 'sextant:sli_events_bad:increase5m').expr.startsWith(
        'count_over_time((max (max_over_time(replication_lag_seconds{job="db"}[59s999ms])) >= 30)[4m59s:1m])',
      ),
    );
    // A 1h window holds 60 minute verdicts: the catalog defaults minEvents to 0 for
    // threshold SLIs, so no tier is silenced by low-traffic gating.
    assert.ok(!warnings.some((w) => /can never fire/.test(w)));
  });

  test('events SLIs are skipped with a comment in the file and no warning', () => {
    const { rules, text, warnings } = render(
      service({
        slis: '- name: writes\n  kind: events',
        slos: '- name: writes\n  sli: writes\n  objectivePercent: 99.5\n  window: 28d',
      }),
    );
    assert.deepEqual(rules, []);
    assert.deepEqual(warnings, []);
    assert.match(text, /# {3}payments\/writes: not rendered: events SLIs are pushed to Sextant/);
  });
});

describe('journeys', () => {
  const JOURNEY = (parts: string) => `apiVersion: sextant.dev/v1
kind: Journey
metadata:
  name: pay
spec:
  owner: payments-team
  parts:
${indent(parts, 4)}
  slos:
    - name: pay
      objectivePercent: 99.5
      window: 28d
`;

  test('journey counts are weighted sums of the parts\u2019 counts (never a mean of ratios)', () => {
    const { rules, file } = render(
      service({
        slis: `${AVAILABILITY_SLI}\n- name: refunds\n  kind: ratio\n  bad: {selector: refunds_failed_total}\n  total: {selector: refunds_total}`,
        slos: availabilitySlo('30d'),
      }),
      JOURNEY('- sli: payments/availability\n  weight: 3\n- sli: payments/refunds'),
    );
    assert.equal(
      recording(rules, 'sextant:journey_events_bad:increase1h').expr,
      [
        '3 * (sum(sextant:sli_events_bad:increase1h{sextant_service="payments",sextant_sli="availability"}) or vector(0))',
        '+',
        '1 * (sum(sextant:sli_events_bad:increase1h{sextant_service="payments",sextant_sli="refunds"}) or vector(0))',
      ].join('\n'),
    );
    assert.deepEqual(
      file.groups.map((group) => group.name),
      ['sextant-service-payments', 'sextant-journey-pay'],
    );
    // refunds has no SLO of its own, but the journey needs its counts.
    recording(rules, 'sextant:sli_events_total:increase1h', { sextant_sli: 'refunds' });
    const page = tier(rules, 'page-1h', 'pay/pay');
    assert.equal(page.labels?.['journey'], 'pay');
    assert.ok(
      page.expr.includes('sextant:journey_error:ratio_increase1h{sextant_journey="pay"} / 0.005 > 13.44'),
    );
  });

  test('a journey with an events part is not rendered, with a warning', () => {
    const { warnings, file } = render(
      service({ slis: `${AVAILABILITY_SLI}\n- name: writes\n  kind: events`, slos: availabilitySlo('30d') }),
      JOURNEY('- sli: payments/availability\n- sli: payments/writes'),
    );
    assert.deepEqual(
      file.groups.map((group) => group.name),
      ['sextant-service-payments'],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^journey pay: not rendered.*payments\/writes \(events SLIs/);
  });
});

describe('the rule file', () => {
  test('is the same bytes whatever the order of the manifests', () => {
    const a = service({ name: 'alpha', slis: AVAILABILITY_SLI, slos: availabilitySlo('30d') });
    const b = service({ name: 'beta', slis: AVAILABILITY_SLI, slos: availabilitySlo('28d') });
    const first = renderPrometheusRules(catalogOf(TEAM, a, b)).text;
    const second = renderPrometheusRules(catalogOf(b, TEAM, a)).text;
    assert.equal(first, second);
    assert.deepEqual(
      (parse(first) as RuleFile).groups.map((group) => group.name),
      ['sextant-service-alpha', 'sextant-service-beta'],
    );
  });

  test('starts with a header comment and parses as YAML', () => {
    const { text, file } = render(service({ slis: AVAILABILITY_SLI, slos: availabilitySlo('30d') }));
    assert.match(text, /^# Prometheus rules generated by `sextant render prometheus-rules`/);
    assert.ok(file.groups.length > 0);
  });

  test('an empty catalog gives an empty, valid rule file', () => {
    const { file } = render();
    assert.deepEqual(file.groups, []);
  });
});
