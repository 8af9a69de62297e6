import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCatalog } from '../../catalog/index.ts';
import { exportOpenSlo } from './index.ts';
import { fixtures, notesAbout, openSloObject, type Yaml } from './test-support.ts';

const source = buildCatalog(fixtures('sextant'));
const exported = exportOpenSlo(source.catalog);
const object = (kind: string, name: string) => openSloObject(exported.files, kind, name);

/** The burnrate conditions of an exported SLO, one per inline policy. */
function conditions(sloName: string) {
  return (object('SLO', sloName).spec.alertPolicies ?? []).map((policy: Yaml) => {
    const condition = policy.spec.conditions[0];
    return {
      severity: condition.spec.severity,
      ...condition.spec.condition,
      annotations: condition.metadata.annotations,
    };
  });
}

describe('exporting the Sextant fixture catalog', () => {
  test('the fixture catalog is valid to begin with', () => {
    assert.equal(source.valid, true);
  });

  test('writes one file per service and per journey', () => {
    assert.deepEqual(
      exported.files.map((f) => f.path),
      ['services/api.yaml', 'services/search.yaml', 'journeys/checkout.yaml'],
    );
  });

  test('SLI and SLO names are qualified with their service, and the Sextant name kept', () => {
    const sli = object('SLI', 'api-availability');
    assert.equal(sli.metadata.annotations['sextant.dev/name'], 'availability');
    assert.equal(object('SLO', 'api-availability').spec.indicatorRef, 'api-availability');
  });

  test('objectivePercent 99.95 over 28d by occurrences is target 0.9995, a rolling 28d window, Occurrences', () => {
    const spec = object('SLO', 'api-availability').spec;
    assert.deepEqual(spec.objectives, [{ target: 0.9995 }]);
    assert.deepEqual(spec.timeWindow, [{ duration: '28d', isRolling: true }]);
    assert.equal(spec.budgetingMethod, 'Occurrences');
    assert.equal(spec.service, 'api');
  });

  test('a default page tier at 28d is a burnrate condition above 13.44 over 1h after 2m', () => {
    // SLO-MATH.md: f = p * P / L = 0.02 * 40320 / 60 = 13.44.
    const [pageFast] = conditions('api-availability');
    assert.deepEqual(
      { ...pageFast, annotations: undefined },
      {
        severity: 'page',
        kind: 'burnrate',
        op: 'gt',
        threshold: 13.44,
        lookbackWindow: '1h',
        alertAfter: '2m',
        annotations: undefined,
      },
    );
  });

  test('a disabled default tier is not exported, and a custom tier carries its short window', () => {
    const all = conditions('api-availability');
    assert.deepEqual(
      all.map((c: Yaml) => [c.annotations['sextant.dev/alert-tier'], c.threshold]),
      [
        ['page-1h', 13.44],
        ['page-6h', 5.6],
        ['ticket-1d', 2.8],
        // 1 % of 28 days within 30 minutes: 0.01 * 40320 / 30 = 13.44.
        ['page-fast', 13.44],
      ],
    );
    assert.equal(all[3].annotations['sextant.dev/short-window'], '5m');
    assert.equal(all[3].lookbackWindow, '30m');
  });

  test('an explicit factor is exported exactly as the threshold', () => {
    const [page] = conditions('api-signups');
    assert.equal(page.threshold, 20);
    assert.equal(page.annotations['sextant.dev/factor'], 'explicit');
  });

  test('a calendar quarter is 1Q in its zone; timeslices are Timeslices with target 0.95 over 5m slices', () => {
    const spec = object('SLO', 'api-latency').spec;
    assert.deepEqual(spec.timeWindow, [
      {
        duration: '1Q',
        calendar: { startTime: '2020-01-01 00:00:00', timeZone: 'Europe/Berlin' },
        isRolling: false,
      },
    ]);
    assert.equal(spec.budgetingMethod, 'Timeslices');
    assert.deepEqual(spec.objectives, [{ target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: '5m' }]);
    assert.equal(object('SLO', 'api-latency').metadata.annotations['sextant.dev/empty-slice'], 'bad');
  });

  test('a calendar quarter burns against its nominal 91 days: page-1h at 0.02 * 131040 / 60 = 43.68', () => {
    assert.equal(conditions('api-latency')[0].threshold, 43.68);
  });

  test('ratioTimeslices is RatioTimeslices with its slice; a threshold SLI puts op and value on the objective', () => {
    const spec = object('SLO', 'api-queue').spec;
    assert.equal(spec.budgetingMethod, 'RatioTimeslices');
    assert.deepEqual(spec.objectives, [{ target: 0.999, op: 'lt', value: 1000, timeSliceWindow: '1m' }]);
    assert.deepEqual(object('SLI', 'api-queue-depth').spec.thresholdMetric, {
      metricSource: { type: 'Prometheus', spec: { query: 'max(max_over_time(queue_depth{job="api"}[5m]))' } },
    });
  });

  test('an SLO that does not alert exports its policies with alertWhenBreaching: false', () => {
    const policies = object('SLO', 'api-queue').spec.alertPolicies;
    assert.ok(policies.length > 0);
    assert.ok(policies.every((policy: Yaml) => policy.spec.alertWhenBreaching === false));
  });

  test('a selector exports as itself with counter: true, and $window PromQL with a 5m range', () => {
    assert.deepEqual(object('SLI', 'api-availability').spec.ratioMetric, {
      counter: true,
      bad: {
        metricSource: {
          type: 'Prometheus',
          spec: { query: 'sum(increase(http_requests_total{job="api",code=~"5.."}[5m]))' },
        },
      },
      total: { metricSource: { type: 'Prometheus', spec: { query: 'http_requests_total{job="api"}' } } },
    });
  });

  test('PromQL that would not convert back is kept exactly in an annotation', () => {
    const sli = object('SLI', 'api-checkout-steps');
    assert.equal(sli.spec.ratioMetric.good.metricSource.spec.query, 'sum(rate(checkout_steps_ok_total[5m]))');
    assert.deepEqual(JSON.parse(sli.metadata.annotations['sextant.dev/promql']), {
      good: 'sum(rate(checkout_steps_ok_total[$window]))',
      total: 'sum(rate(checkout_steps_total[$window]))',
    });
  });

  test('a latency SLI exports satisfied bucket over count, warning that apdex tolerance is only an annotation', () => {
    const sli = object('SLI', 'api-latency');
    assert.equal(
      sli.spec.ratioMetric.good.metricSource.spec.query,
      'sum(increase(http_request_duration_seconds_bucket{job="api",le="0.3"}[5m]))',
    );
    assert.equal(
      sli.spec.ratioMetric.total.metricSource.spec.query,
      'sum(increase(http_request_duration_seconds_count{job="api"}[5m]))',
    );
    assert.equal(JSON.parse(sli.metadata.annotations['sextant.dev/latency']).toleratedSeconds, 1.2);
    const note = notesAbout(exported.notes, 'cannot count tolerated requests as half good')[0];
    assert.deepEqual([note?.severity, note?.file], ['warning', 'sextant/api.yaml']);
  });

  test('significantLabels, userImpacting, severity and team travel in SLI annotations', () => {
    assert.equal(
      object('SLI', 'api-availability').metadata.annotations['sextant.dev/significant-labels'],
      '["region"]',
    );
    const signups = object('SLI', 'api-signups').metadata.annotations;
    assert.deepEqual(
      [signups['sextant.dev/user-impacting'], signups['sextant.dev/severity'], signups['sextant.dev/team']],
      ['false', 's3', 'search-team'],
    );
  });

  test('the owner is the team label; tier, lifecycle, dependencies and the rest are service annotations', () => {
    const service = object('Service', 'api');
    assert.deepEqual(service.metadata.labels, { domain: 'core', team: 'platform', serviceTier: 'critical' });
    const annotations = service.metadata.annotations;
    assert.equal(annotations['example.com/runbook-id'], 'RB-7');
    assert.equal(annotations['sextant.dev/lifecycle'], 'beta');
    assert.deepEqual(JSON.parse(annotations['sextant.dev/depends-on']), [
      { service: 'search', kind: 'soft', description: 'degrades to no suggestions' },
    ]);
    assert.deepEqual(
      JSON.parse(annotations['sextant.dev/owner-team']).map((team: Yaml) => team.metadata.name),
      ['platform', 'engineering'],
    );
  });

  test('a low-tier service exports its default page tiers as tickets', () => {
    assert.equal(conditions('search-hits')[0].severity, 'ticket');
  });

  test('a journey travels in the annotations of a journey-<name> Service, with a warning', () => {
    const journey = object('Service', 'journey-checkout');
    assert.equal(journey.metadata.annotations['sextant.dev/kind'], 'Journey');
    assert.deepEqual(JSON.parse(journey.metadata.annotations['sextant.dev/journey']).parts, [
      { sli: 'api/availability', weight: 2 },
      { sli: 'search/hits', weight: 1 },
      { sli: 'api/checkout-steps', weight: 1 },
    ]);
    assert.equal(
      notesAbout(exported.notes, 'journey "checkout": OpenSLO v1 has no composite')[0]?.severity,
      'warning',
    );
  });

  test('tenants are reported as not exported', () => {
    assert.equal(notesAbout(exported.notes, 'tenant "eu-1": OpenSLO has no tenants').length, 1);
  });

  test('saturation points and maintenance windows are carried in annotations and said so', () => {
    const annotations = object('Service', 'api').metadata.annotations;
    assert.equal(JSON.parse(annotations['sextant.dev/saturation-points'])[0].hard, 0.9);
    assert.deepEqual(JSON.parse(annotations['sextant.dev/maintenance']), [
      { name: 'maintenance-1', cron: '0 2 * * SUN', duration: '2h', timeZone: 'Europe/Berlin' },
      {
        name: 'maintenance-2',
        slos: ['availability'],
        start: '2026-03-01T02:00:00.000Z',
        end: '2026-03-01T04:00:00.000Z',
      },
    ]);
    assert.equal(notesAbout(exported.notes, 'maintenance windows have no OpenSLO form').length, 1);
    assert.equal(notesAbout(exported.notes, 'saturation points have no OpenSLO form').length, 1);
  });
});
