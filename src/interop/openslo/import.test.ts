import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog, type Catalog, type RatioSli, type ThresholdSli } from '../../catalog/index.ts';
import { importOpenSlo, UNKNOWN_TEAM } from './index.ts';
import { file, fixtures, notesAbout } from './test-support.ts';

const imported = importOpenSlo(fixtures('openslo'));
const built = buildCatalog(imported.files);
const catalog: Catalog = built.catalog;

function slo(service: string, name: string) {
  const found = catalog.services.get(service)?.slos.find((s) => s.name === name);
  assert.ok(found, `no SLO ${service}/${name}`);
  return found;
}

function sli(service: string, name: string) {
  const found = catalog.services.get(service)?.slis.find((s) => s.name === name);
  assert.ok(found, `no SLI ${service}/${name}`);
  return found;
}

/** Imports one small OpenSLO text (plus optional others) and builds the result. */
function importText(text: string, ...others: string[]) {
  const result = importOpenSlo([file('in.yaml', text), ...others.map((t, i) => file(`other-${i}.yaml`, t))]);
  return { ...result, build: buildCatalog(result.files) };
}

const SERVICE = `apiVersion: openslo/v1
kind: Service
metadata:
  name: shop
  labels: {team: shop-team, serviceTier: high}
spec: {}
`;

const sloWith = (indicator: string, extra = '') => `apiVersion: openslo/v1
kind: SLO
metadata:
  name: shop-slo
spec:
  service: shop
${indicator}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
${extra}`;

const PROMETHEUS_RATIO = `  indicator:
    metadata: {name: shop-requests}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(ok_total[5m]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(all_total[5m]))'}}}`;

describe('importing the OpenSLO fixture set', () => {
  test('produces a valid catalog: one file per service and a teams file', () => {
    assert.deepEqual(
      built.issues.filter((issue) => issue.severity === 'error'),
      [],
    );
    assert.deepEqual(
      imported.files.map((f) => f.path),
      ['services/annotator.yaml', 'services/checkout.yaml', 'services/web.yaml', 'teams.yaml'],
    );
  });

  test('targetPercent 99.9 becomes objectivePercent 99.9, an objective ratio of 0.999', () => {
    assert.match(imported.files[2]!.text, /objectivePercent: 99.9\n/);
    assert.equal(slo('web', 'web-availability').objectiveRatio, 0.999);
  });

  test('a rolling 28d window is 28 x 1440 = 40,320 minutes, budgeted by occurrences', () => {
    const definition = slo('web', 'web-availability').definition;
    assert.deepEqual(definition.window, { kind: 'rolling', minutes: 40_320 });
    assert.deepEqual(definition.budgeting, { method: 'occurrences' });
  });

  test('rate(...[5m]) queries of a referenced SLI count with increase(...[$window])', () => {
    const web = sli('web', 'web-successful-requests') as RatioSli;
    assert.deepEqual(web.good, {
      kind: 'promql',
      expression: 'sum(increase(http_requests_total{job="web",code!~"5.."}[$window]))',
    });
    assert.deepEqual(web.total, {
      kind: 'promql',
      expression: 'sum(increase(http_requests_total{job="web"}[$window]))',
    });
  });

  test('a bad/total ratio over raw counters keeps bad, counts the sum with increase, keeps the bare total a selector', () => {
    const checkout = sli('checkout', 'checkout-errors') as RatioSli;
    assert.equal(checkout.good, undefined);
    assert.deepEqual(checkout.bad, {
      kind: 'promql',
      expression: 'sum(increase(checkout_requests_total{code=~"5.."}[$window]))',
    });
    assert.equal(checkout.total.kind, 'selector');
  });

  test('a calendar 1M window in Europe/Berlin becomes a Berlin calendar month', () => {
    assert.deepEqual(slo('web', 'web-latency-fast').definition.window, {
      kind: 'calendar',
      unit: 'month',
      timeZone: 'Europe/Berlin',
    });
  });

  test('a calendar 1Q window becomes a quarter, and RatioTimeslices keeps its 5m slice', () => {
    const definition = slo('checkout', 'checkout-availability').definition;
    assert.deepEqual(definition.window, { kind: 'calendar', unit: 'quarter', timeZone: 'America/New_York' });
    assert.deepEqual(definition.budgeting, { method: 'ratioTimeslices', sliceMinutes: 5 });
  });

  test('an SLO with two objectives becomes two SLOs named after them, each with its own slice target', () => {
    assert.deepEqual(slo('web', 'web-latency-fast').definition.budgeting, {
      method: 'timeslices',
      sliceMinutes: 1,
      sliceTargetRatio: 0.9,
      emptySlice: 'good',
    });
    assert.equal(slo('web', 'web-latency-very-fast').objectiveRatio, 0.9);
    assert.equal(slo('web', 'web-latency-very-fast').definition.budgeting.method, 'timeslices');
    assert.equal(
      notesAbout(imported.notes, 'becomes 2 SLOs: web-latency-fast, web-latency-very-fast').length,
      1,
    );
  });

  test('both objectives of the inline SLI share one Sextant SLI', () => {
    assert.equal(slo('web', 'web-latency-fast').sli, 'web/web-fast-requests');
    assert.equal(slo('web', 'web-latency-very-fast').sli, 'web/web-fast-requests');
  });

  test('burn-rate conditions replace the default tiers: threshold 14.4 over 1h after 2m pages at factor 14.4', () => {
    const tiers = slo('web', 'web-availability').definition.alerting.tiers;
    assert.deepEqual(
      tiers.map((t) => t.name),
      ['web-fast-burn-condition', 'web-slow-burn-condition'],
    );
    const fast = tiers[0]!;
    assert.equal(fast.severity, 'page');
    assert.equal(fast.factor, 14.4);
    assert.equal(fast.longMinutes, 60);
    // The Workbook's short window is a twelfth of the long one: 60 / 12 = 5 minutes.
    assert.equal(fast.shortMinutes, 5);
    assert.equal(fast.forMinutes, 2);
    // The share it guards, p = f * L / P = 14.4 * 60 / 40320 = 2.14286 %.
    assert.ok(Math.abs(fast.budgetShare - 0.0214286) < 1e-12);
  });

  test('a ticket condition with threshold 1 over 3d after 1h becomes a ticket tier', () => {
    const slow = slo('web', 'web-availability').definition.alerting.tiers[1]!;
    assert.deepEqual(
      [slow.severity, slow.factor, slow.longMinutes, slow.shortMinutes, slow.forMinutes],
      ['ticket', 1, 3 * 1440, 360, 60],
    );
  });

  test('severity "critical" is read as page, with an info note', () => {
    const tier = slo('checkout', 'checkout-availability').definition.alerting.tiers[0]!;
    assert.equal(tier.severity, 'page');
    assert.equal(tier.factor, 6);
    assert.equal(
      notesAbout(imported.notes, 'severity "critical" is imported as Sextant\'s "page"')[0]?.severity,
      'info',
    );
  });

  test('an SLO without alertPolicies keeps the four default tiers and says so', () => {
    assert.deepEqual(
      slo('web', 'web-latency-fast').definition.alerting.tiers.map((t) => t.name),
      ['page-1h', 'page-6h', 'ticket-1d', 'ticket-3d'],
    );
    assert.equal(notesAbout(imported.notes, 'SLO "web-latency" has no alertPolicies').length, 1);
  });

  test('a thresholdMetric objective "lte 100" becomes a threshold SLI "<= 100" judged by the max', () => {
    const lag = sli('annotator', 'annotator-lag') as ThresholdSli;
    assert.equal(lag.kind, 'threshold');
    assert.equal(lag.operator, '<=');
    assert.equal(lag.bound, 100);
    assert.equal(lag.aggregation, 'max');
    assert.deepEqual(lag.gauge, {
      kind: 'promql',
      expression:
        'sum(max_over_time(kafka_consumergroup_lag{consumergroup="annotator",topic="annotator-in"}[$window]))',
    });
    assert.deepEqual(slo('annotator', 'annotator-throughput').definition.window, {
      kind: 'rolling',
      minutes: 7 * 1440,
    });
  });

  test('owners come from team labels (of the Service, a list, or the SLO) and become Team manifests', () => {
    assert.equal(catalog.services.get('web')?.owner, 'storefront');
    assert.equal(catalog.services.get('checkout')?.owner, 'payments');
    assert.equal(catalog.services.get('annotator')?.owner, 'data-platform');
    assert.deepEqual([...catalog.teams.keys()].sort(), ['data-platform', 'payments', 'storefront']);
  });

  test('serviceTier tier-1 means critical; a service without a tier is medium, with a warning', () => {
    assert.equal(catalog.services.get('web')?.tier, 'critical');
    assert.equal(catalog.services.get('annotator')?.tier, 'medium');
    const note = notesAbout(imported.notes, 'service "annotator" has no tier')[0];
    assert.equal(note?.severity, 'warning');
    assert.equal(note?.file, 'openslo/slos.yaml');
  });

  test('notification targets are not catalog data: a note, and the target kept as a service annotation', () => {
    assert.equal(notesAbout(imported.notes, 'notification target "storefront-pager" (pagerduty)').length, 1);
    assert.deepEqual(
      JSON.parse(catalog.services.get('web')?.annotations['sextant.dev/notification-targets'] ?? ''),
      [{ name: 'storefront-pager', target: 'pagerduty', description: 'Pages the storefront on-call' }],
    );
  });

  test("a DataSource's connection details are reported at their position, not imported", () => {
    const note = notesAbout(imported.notes, 'DataSource "prometheus" (Prometheus): connection details')[0];
    assert.deepEqual([note?.file, note?.line, note?.column], ['openslo/datasources.yaml', 9, 5]);
  });

  test('no note is a warning about an unknown field: every fixture field is mapped or explained', () => {
    assert.deepEqual(
      notesAbout(imported.notes, 'has no Sextant counterpart and was not imported').filter(
        (n) => n.severity === 'warning',
      ),
      [],
    );
  });
});

describe('importing what does not fit', () => {
  test('apiVersion openslo/v1alpha is skipped with a warning at its line', () => {
    const { notes, files } = importText(
      'apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: old}\nspec: {}\n',
    );
    assert.deepEqual(notes, [
      {
        severity: 'warning',
        file: 'in.yaml',
        line: 1,
        column: 13,
        path: ['apiVersion'],
        message: 'apiVersion is "openslo/v1alpha"; only openslo/v1 is imported, so this object is skipped',
      },
    ]);
    assert.deepEqual(files, []);
  });

  test('an unknown kind is reported at its position and skipped', () => {
    const { notes } = importText(
      `${SERVICE}---\napiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: d}\n`,
    );
    const note = notesAbout(notes, 'kind is "Dashboard"')[0];
    assert.deepEqual([note?.line, note?.column, note?.severity], [9, 7, 'warning']);
  });

  test('an SLO referring to an undefined SLI is skipped with a warning at indicatorRef and a suggestion', () => {
    const sliText = `apiVersion: openslo/v1
kind: SLI
metadata: {name: shop-requests}
spec:
  ratioMetric:
    good: {metricSource: {type: Prometheus, spec: {query: 'ok_total'}}}
    total: {metricSource: {type: Prometheus, spec: {query: 'all_total'}}}
`;
    const { notes, build } = importText(sloWith('  indicatorRef: shop-request'), SERVICE, sliText);
    const note = notesAbout(notes, 'refers to SLI "shop-request"')[0];
    assert.equal(note?.severity, 'warning');
    assert.deepEqual([note?.file, note?.line, note?.column], ['in.yaml', 7, 17]);
    assert.match(note?.message ?? '', /did you mean "shop-requests"\?/);
    assert.equal(build.catalog.services.get('shop')?.slos.length, 0);
    assert.equal(notesAbout(notes, 'SLI "shop-requests" is used by no SLO').length, 1);
  });

  test('invalid YAML is a note with its position; the other documents still import', () => {
    const broken = `${SERVICE}---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {name: [unclosed\n`;
    const { notes, build } = importText(broken, sloWith(PROMETHEUS_RATIO));
    const note = notesAbout(notes, 'invalid YAML')[0];
    assert.equal(note?.file, 'in.yaml');
    assert.ok((note?.line ?? 0) >= 10, 'points into the broken document');
    assert.equal(build.valid, true);
    assert.equal(build.catalog.services.get('shop')?.slos[0]?.name, 'shop-slo');
  });

  test('a precomputed raw ratio cannot give counts: the SLI and its SLO are reported and skipped', () => {
    const raw = `  indicator:
    metadata: {name: wifi}
    spec:
      ratioMetric:
        rawType: success
        raw: {metricSource: {type: Prometheus, spec: {query: 'avg(satisfaction_ratio)'}}}`;
    const { notes, build } = importText(SERVICE, sloWith(raw));
    assert.equal(notesAbout(notes, 'reads a precomputed ratio (raw)')[0]?.severity, 'warning');
    assert.equal(notesAbout(notes, 'SLO "shop-slo" is skipped').length, 1);
    assert.equal(build.catalog.services.get('shop')?.slos.length, 0);
  });

  test('a Datadog ratio becomes an events SLI, with a warning that quotes both queries', () => {
    const datadog = `  indicator:
    metadata: {name: hits}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Datadog, spec: {query: 'sum:hits{status:200}.as_count()'}}}
        total: {metricSource: {type: Datadog, spec: {query: 'sum:hits{*}.as_count()'}}}`;
    const { notes, build } = importText(SERVICE, sloWith(datadog));
    assert.equal(build.catalog.services.get('shop')?.slis[0]?.kind, 'events');
    const note = notesAbout(notes, 'Sextant cannot query Datadog')[0];
    assert.match(
      note?.message ?? '',
      /good: sum:hits\{status:200\}\.as_count\(\); total: sum:hits\{\*\}\.as_count\(\)/,
    );
  });

  test('an irate() query is kept as written with a warning, and the catalog then asks for $window', () => {
    const irate = PROMETHEUS_RATIO.replace('sum(rate(ok_total[5m]))', 'sum(irate(ok_total[1m]))');
    const { notes, build } = importText(SERVICE, sloWith(irate));
    assert.equal(notesAbout(notes, 'irate() looks at the last two samples')[0]?.severity, 'warning');
    assert.ok(build.issues.some((issue) => issue.code === 'promql.window-placeholder'));
  });

  test('a calendar week has no Sextant counterpart: rolling 7d, with a warning', () => {
    const text = sloWith(PROMETHEUS_RATIO).replace(
      '    - duration: 28d\n      isRolling: true',
      '    - duration: 1w\n      calendar: {startTime: 2024-01-01 00:00:00, timeZone: UTC}',
    );
    const { notes, build } = importText(SERVICE, text);
    assert.deepEqual(build.catalog.services.get('shop')?.slos[0]?.definition.window, {
      kind: 'rolling',
      minutes: 7 * 1440,
    });
    assert.equal(
      notesAbout(notes, 'a calendar-aligned 1w window has no Sextant counterpart')[0]?.severity,
      'warning',
    );
  });

  test('a rolling 1M has no fixed length: 30d, with a warning', () => {
    const text = sloWith(PROMETHEUS_RATIO).replace('duration: 28d', 'duration: 1M');
    const { notes, build } = importText(SERVICE, text);
    assert.deepEqual(build.catalog.services.get('shop')?.slos[0]?.definition.window, {
      kind: 'rolling',
      minutes: 30 * 1440,
    });
    assert.equal(notesAbout(notes, 'a rolling 1M has no fixed length; imported as rolling 30d').length, 1);
  });

  test('a composite SLO (indicators per objective) is reported and skipped', () => {
    const composite = `apiVersion: openslo/v1
kind: SLO
metadata: {name: composite}
spec:
  service: shop
  budgetingMethod: Occurrences
  objectives:
    - indicatorRef: a
      compositeWeight: 1
      target: 0.99
`;
    const { notes } = importText(SERVICE, composite);
    assert.equal(notesAbout(notes, 'is a composite (indicators per objective)')[0]?.severity, 'warning');
  });

  test('an unknown spec field is reported as not imported, once for its whole subtree', () => {
    const text = sloWith(PROMETHEUS_RATIO, '  budgetAdjustments:\n    - from: a\n      to: b\n');
    const { notes } = importText(SERVICE, text);
    const unknown = notesAbout(notes, 'field "spec.budgetAdjustments" has no Sextant counterpart');
    assert.equal(unknown.length, 1);
    assert.deepEqual([unknown[0]?.severity, unknown[0]?.line], ['warning', 20]);
  });

  test('a second object with the same kind and name is reported and skipped', () => {
    const { notes, build } = importText(SERVICE, SERVICE.replace('shop-team', 'other-team'));
    assert.equal(notesAbout(notes, 'Service "shop" is defined twice').length, 1);
    assert.equal(build.catalog.services.get('shop')?.owner, 'shop-team');
  });

  test('a burn-rate condition with op lte is read as "above the threshold", with a warning', () => {
    const policy = `  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: fast}
            spec:
              severity: page
              condition: {kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h, alertAfter: 5m}
`;
    const { notes, build } = importText(SERVICE, sloWith(PROMETHEUS_RATIO, policy));
    assert.equal(
      notesAbout(notes, 'op "lte" would alert while the burn rate is below')[0]?.severity,
      'warning',
    );
    const tier = build.catalog.services.get('shop')?.slos[0]?.definition.alerting.tiers[0];
    assert.deepEqual([tier?.name, tier?.factor, tier?.forMinutes], ['fast', 2, 5]);
  });

  test('an SLO for an unnamed team is owned by unknown-team, which the import defines, with a warning', () => {
    const { notes, build } = importText(sloWith(PROMETHEUS_RATIO));
    assert.equal(build.catalog.services.get('shop')?.owner, UNKNOWN_TEAM);
    assert.ok(build.catalog.teams.has(UNKNOWN_TEAM));
    assert.equal(notesAbout(notes, `owner set to "${UNKNOWN_TEAM}"`)[0]?.severity, 'warning');
    assert.equal(build.valid, true);
  });

  test('a name Sextant cannot use is made valid, with a note', () => {
    const { notes, build } = importText(
      sloWith(PROMETHEUS_RATIO).replace('service: shop', 'service: Shop_Front'),
    );
    assert.ok(build.catalog.services.has('shop-front'));
    assert.equal(notesAbout(notes, 'service "Shop_Front" has no OpenSLO Service object').length, 1);
  });

  test('Timeslices without timeSliceTarget is reported, and the catalog asks for the target', () => {
    const text = sloWith(PROMETHEUS_RATIO).replace(
      'budgetingMethod: Occurrences',
      'budgetingMethod: Timeslices',
    );
    const { notes, build } = importText(SERVICE, text);
    assert.equal(notesAbout(notes, 'Timeslices needs timeSliceTarget')[0]?.severity, 'warning');
    assert.ok(build.issues.some((issue) => issue.code === 'budgeting.invalid'));
  });

  test('a file that is not YAML objects at all gives notes, not an exception', () => {
    assert.doesNotThrow(() =>
      importOpenSlo([file('a.yaml', '- 1\n- two\n'), file('b.yaml', '*unknown\n'), file('c.yaml', '')]),
    );
    const { notes } = importOpenSlo([file('a.yaml', '- 1\n')]);
    assert.equal(notesAbout(notes, 'not an OpenSLO object')[0]?.line, 1);
  });
});
