import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog } from '../../catalog/index.ts';
import { exportOpenSlo, importOpenSlo } from './index.ts';
import type { InteropFile } from './notes.ts';
import { documents, fixtures, plain, type Yaml } from './test-support.ts';

/** OpenSLO files -> Sextant catalog -> OpenSLO files. */
function throughSextant(files: readonly InteropFile[]): InteropFile[] {
  const build = buildCatalog(importOpenSlo(files).files);
  assert.equal(build.valid, true, JSON.stringify(build.issues.filter((i) => i.severity === 'error')));
  return exportOpenSlo(build.catalog).files;
}

/**
 * What an OpenSLO SLO means, per objective: service, indicator queries, objective,
 * window, budgeting and burn-rate conditions. Names and annotations are left out.
 */
function meaning(files: readonly InteropFile[]) {
  const objects = documents(files) as Yaml[];
  const slis = new Map(objects.filter((o) => o.kind === 'SLI').map((o) => [o.metadata.name, o.spec]));
  return objects
    .filter((o) => o.kind === 'SLO')
    .map((o) => {
      const spec = o.spec;
      const indicator = spec.indicator?.spec ?? slis.get(spec.indicatorRef);
      const metric = indicator.ratioMetric ?? { gauge: indicator.thresholdMetric };
      const queries = Object.fromEntries(
        ['good', 'bad', 'total', 'gauge']
          .filter((role) => metric[role] !== undefined)
          .map((role) => [role, metric[role].metricSource.spec.query]),
      );
      const objective = spec.objectives[0];
      return {
        name: o.metadata.name,
        service: spec.service,
        queries,
        objective: { target: objective.target, op: objective.op, value: objective.value },
        window: spec.timeWindow[0],
        budgeting: [spec.budgetingMethod, objective.timeSliceTarget, objective.timeSliceWindow],
        conditions: (spec.alertPolicies ?? []).map((policy: Yaml) => {
          const { severity, condition } = policy.spec.conditions[0].spec;
          return [severity, condition.threshold, condition.lookbackWindow, condition.alertAfter];
        }),
      };
    });
}

// Sextant's default tiers at a nominal 30-day month (SLO-MATH.md, "f at 30d").
const DEFAULT_TIERS_30D = [
  ['page', 14.4, '1h', '2m'],
  ['page', 6, '6h', '15m'],
  ['ticket', 3, '1d', '1h'],
  ['ticket', 1, '3d', '1h'],
];
const WEB_FAST_GOOD = 'sum(increase(http_request_duration_seconds_bucket{job="web",le="0.3"}[5m]))';
const WEB_FAST_TOTAL = 'sum(increase(http_request_duration_seconds_count{job="web"}[5m]))';
const BERLIN_MONTH = {
  duration: '1M',
  calendar: { startTime: '2020-01-01 00:00:00', timeZone: 'Europe/Berlin' },
  isRolling: false,
};

describe('OpenSLO -> Sextant -> OpenSLO', () => {
  const back = throughSextant(fixtures('openslo'));

  test('keeps every objective, window, budgeting method, query and alert condition', () => {
    // Written from the fixture by hand. rate(x[5m]) reads back as increase(x[5m]): the ratio
    // of two rates over one range equals the ratio of their increases. A bare counter under
    // sum() is counted the same way. targetPercent 99.9 reads back as target 0.999 (the spec
    // calls them equivalent), and an SLO with two objectives as two SLOs.
    assert.deepEqual(meaning(back), [
      {
        name: 'annotator-throughput',
        service: 'annotator',
        queries: {
          gauge:
            'sum(max_over_time(kafka_consumergroup_lag{consumergroup="annotator",topic="annotator-in"}[5m]))',
        },
        objective: { target: 0.99, op: 'lte', value: 100 },
        window: { duration: '1w', isRolling: true },
        budgeting: ['Occurrences', undefined, undefined],
        // No policies in the input, so Sextant's defaults apply; at 7 days f = p * 10080 / L.
        conditions: [
          ['page', 3.36, '1h', '2m'],
          ['page', 1.4, '6h', '15m'],
          ['ticket', 0.7, '1d', '1h'],
          ['ticket', 0.233333, '3d', '1h'],
        ],
      },
      {
        name: 'checkout-availability',
        service: 'checkout',
        queries: {
          bad: 'sum(increase(checkout_requests_total{code=~"5.."}[5m]))',
          total: 'checkout_requests_total',
        },
        objective: { target: 0.995, op: undefined, value: undefined },
        window: {
          duration: '1Q',
          calendar: { startTime: '2020-01-01 00:00:00', timeZone: 'America/New_York' },
          isRolling: false,
        },
        budgeting: ['RatioTimeslices', undefined, '5m'],
        conditions: [['page', 6, '6h', '15m']],
      },
      {
        name: 'web-availability',
        service: 'web',
        queries: {
          good: 'sum(increase(http_requests_total{job="web",code!~"5.."}[5m]))',
          total: 'sum(increase(http_requests_total{job="web"}[5m]))',
        },
        objective: { target: 0.999, op: undefined, value: undefined },
        window: { duration: '28d', isRolling: true },
        budgeting: ['Occurrences', undefined, undefined],
        conditions: [
          ['page', 14.4, '1h', '2m'],
          ['ticket', 1, '3d', '1h'],
        ],
      },
      {
        name: 'web-latency-fast',
        service: 'web',
        queries: { good: WEB_FAST_GOOD, total: WEB_FAST_TOTAL },
        objective: { target: 0.95, op: undefined, value: undefined },
        window: BERLIN_MONTH,
        budgeting: ['Timeslices', 0.9, '1m'],
        conditions: DEFAULT_TIERS_30D,
      },
      {
        name: 'web-latency-very-fast',
        service: 'web',
        queries: { good: WEB_FAST_GOOD, total: WEB_FAST_TOTAL },
        objective: { target: 0.9, op: undefined, value: undefined },
        window: BERLIN_MONTH,
        budgeting: ['Timeslices', 0.75, '5m'],
        conditions: DEFAULT_TIERS_30D,
      },
    ]);
  });

  test('keeps notification targets on the alert policies', () => {
    const web = documents(back).find(
      (o: Yaml) => o.kind === 'SLO' && o.metadata.name === 'web-availability',
    ) as Yaml;
    assert.deepEqual(web.spec.alertPolicies[0].spec.notificationTargets, [
      {
        kind: 'AlertNotificationTarget',
        metadata: { name: 'storefront-pager' },
        spec: { description: 'Pages the storefront on-call', target: 'pagerduty' },
      },
    ]);
  });

  test('a second round changes nothing', () => {
    assert.deepEqual(throughSextant(back), back);
  });
});

describe('Sextant -> OpenSLO -> Sextant', () => {
  const original = buildCatalog(fixtures('sextant'));
  const exported = exportOpenSlo(original.catalog);
  const reimported = importOpenSlo(exported.files);
  const rebuilt = buildCatalog(reimported.files);

  test('the re-imported manifests are a valid catalog', () => {
    assert.deepEqual(
      rebuilt.issues.filter((issue) => issue.severity === 'error'),
      [],
    );
  });

  test('restores services, journeys and teams exactly, annotations carrying what OpenSLO cannot say', () => {
    assert.deepEqual(plain(rebuilt.catalog), plain(original.catalog));
  });

  test('only tenants are lost, and the export said so', () => {
    assert.equal(original.catalog.tenants.size, 1);
    assert.equal(rebuilt.catalog.tenants.size, 0);
    assert.ok(exported.notes.some((note) => note.message.startsWith('tenant "eu-1"')));
  });

  test('exporting the re-imported catalog gives the same OpenSLO files', () => {
    assert.deepEqual(exportOpenSlo(rebuilt.catalog).files, exported.files);
  });

  test('re-importing raises no warning: nothing was left behind', () => {
    assert.deepEqual(
      reimported.notes.filter((note) => note.severity === 'warning'),
      [],
    );
  });
});
