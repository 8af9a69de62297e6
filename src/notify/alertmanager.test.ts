import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertmanagerAlertsUrl } from './dispatcher.ts';
import { firingValidForMs, toAlertmanagerAlert } from './index.ts';
import { CONTEXT, firingNotice, MINUTE, refreshNotice, resolvedNotice, T0 } from './test-support.ts';

const LABELS = {
  alertname: 'SextantSloBurnRate',
  sextant_slo: 'checkout/availability',
  service: 'checkout',
  team: 'payments',
  severity: 'page',
  tier: 'page-1h',
  window: '1h',
  unit: 'eu-1',
  tenant: 'acme',
  environment: 'production',
};

describe('Alertmanager v2 alerts', () => {
  test('a firing page-1h alert has the identifying labels, the links, and ends 4 minutes ahead', () => {
    // 0.5 of a 30d budget left at burn rate 20: 0.5 * 43200 / 20 = 1080 minutes = 18h.
    assert.deepEqual(toAlertmanagerAlert(firingNotice()), {
      labels: LABELS,
      annotations: {
        summary: 'checkout/availability: error budget burning 20.0x the sustainable rate (page-1h)',
        description:
          'checkout/availability burns its error budget faster than 14.4 times the 0.1% error budget of its 99.9% objective over 30d: burn rate 20.00 over 1h and 20.00 over 5m. ' +
          "50.0% of the 30d error budget is left; at the last hour's burn rate it is gone in 18h. " +
          'Service checkout, team payments, unit eu-1 (tenant acme, production).',
        runbook_url: 'https://runbooks.example.com/checkout',
        dashboard_url: 'https://grafana.example.com/d/checkout',
      },
      startsAt: '2026-11-01T10:00:00.000Z',
      endsAt: '2026-11-01T10:04:00.000Z',
      generatorURL: 'https://sextant.example.com/slos/checkout%2Favailability',
    });
  });

  test('a refresh keeps startsAt and labels and moves endsAt 4 minutes past its own evaluation', () => {
    const alert = toAlertmanagerAlert(refreshNotice(7));
    assert.deepEqual(alert.labels, LABELS);
    assert.equal(alert.startsAt, '2026-11-01T10:00:00.000Z');
    assert.equal(alert.endsAt, '2026-11-01T10:11:00.000Z');
  });

  test('a resolved alert ends at its resolution and keeps the labels, so Alertmanager resolves the same alert', () => {
    const alert = toAlertmanagerAlert(resolvedNotice());
    assert.deepEqual(alert.labels, LABELS);
    assert.equal(alert.startsAt, '2026-11-01T10:00:00.000Z');
    assert.equal(alert.endsAt, '2026-11-01T10:10:00.000Z');
    assert.equal(
      alert.annotations['summary'],
      'checkout/availability: error budget no longer burning above 14.4x (page-1h)',
    );
    assert.equal(
      alert.annotations['description'],
      'checkout/availability no longer burns its error budget faster than 14.4 times the 0.1% error budget of its 99.9% objective over 30d: burn rate 12.00 over 1h and 0.00 over 5m. ' +
        "40.0% of the 30d error budget is left; at the last hour's burn rate it is gone in 1d. " +
        'Service checkout, team payments, unit eu-1 (tenant acme, production).',
    );
  });

  test('budget exhaustion is a ticket over the SLO window and says how far the budget is overspent', () => {
    const alert = toAlertmanagerAlert(
      firingNotice({
        kind: 'budget-exhausted',
        name: 'budget-exhausted',
        severity: 'ticket',
        window: '30d',
        burn: null,
        budget: { remainingRatio: -0.25, burnRate1h: 3, timeToExhaustionMinutes: 0 },
      }),
    );
    assert.deepEqual(alert.labels, {
      ...LABELS,
      alertname: 'SextantSloBudgetExhausted',
      severity: 'ticket',
      tier: 'budget-exhausted',
      window: '30d',
    });
    assert.deepEqual(
      alert.annotations['summary'],
      'checkout/availability: error budget exhausted (-25.0% left)',
    );
    assert.equal(
      alert.annotations['description'],
      'checkout/availability has spent the whole 0.1% error budget of its 99.9% objective over 30d. ' +
        'The 30d error budget is spent (-25.0% left). Service checkout, team payments, unit eu-1 (tenant acme, production).',
    );
  });

  test('traffic cessation names the baseline it compares with', () => {
    const alert = toAlertmanagerAlert(
      firingNotice({
        kind: 'traffic-cessation',
        name: 'traffic-cessation',
        window: '30m',
        burn: null,
        budget: { remainingRatio: 0.9, burnRate1h: 0, timeToExhaustionMinutes: null },
        traffic: { recentTotal: 0, baselineTotal: 1800 },
      }),
    );
    assert.equal(alert.labels['alertname'], 'SextantSloTrafficCessation');
    assert.equal(alert.labels['window'], '30m');
    assert.equal(alert.annotations['summary'], 'checkout/availability: traffic stopped');
    assert.equal(
      alert.annotations['description'],
      'checkout/availability recorded no events in the last 30m, while the same 30 minutes one hour earlier had 1800. ' +
        '90.0% of the 30d error budget is left. Service checkout, team payments, unit eu-1 (tenant acme, production).',
    );
  });

  test('without tenant, environment and links the labels and annotations leave them out', () => {
    const alert = toAlertmanagerAlert(
      firingNotice({ context: { ...CONTEXT, unit: { id: 'eu-1' }, links: {}, team: { name: 'payments' } } }),
    );
    assert.equal('tenant' in alert.labels, false);
    assert.equal('environment' in alert.labels, false);
    assert.deepEqual(Object.keys(alert.annotations), ['summary', 'description']);
    assert.equal('generatorURL' in alert, false);
    assert.match(alert.annotations['description'] ?? '', /unit eu-1\.$/);
  });

  test('every alert fits the postableAlert schema: label names, string values, RFC 3339 times', () => {
    for (const notice of [firingNotice(), refreshNotice(3), resolvedNotice()]) {
      const alert = toAlertmanagerAlert(notice);
      for (const [name, value] of Object.entries({ ...alert.labels, ...alert.annotations })) {
        assert.match(name, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
        assert.equal(typeof value, 'string');
        assert.notEqual(value, '');
      }
      for (const time of [alert.startsAt, alert.endsAt]) {
        assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      assert.ok(Date.parse(alert.startsAt) <= Date.parse(alert.endsAt));
    }
  });

  test('a firing alert stays valid for 4 evaluations, and never less than 4 resend delays of 1 minute', () => {
    assert.equal(firingValidForMs(60_000), 4 * MINUTE);
    assert.equal(firingValidForMs(15_000), 4 * MINUTE);
    assert.equal(firingValidForMs(5 * MINUTE), 20 * MINUTE);
    const alert = toAlertmanagerAlert(firingNotice(), { firingValidForMs: 20 * MINUTE });
    assert.equal(Date.parse(alert.endsAt) - T0, 20 * MINUTE);
  });

  test('the alerts endpoint keeps a path prefix and accepts a full URL', () => {
    assert.equal(alertmanagerAlertsUrl('http://am-0:9093'), 'http://am-0:9093/api/v2/alerts');
    assert.equal(
      alertmanagerAlertsUrl('https://ops.example.com/alertmanager/'),
      'https://ops.example.com/alertmanager/api/v2/alerts',
    );
    assert.equal(
      alertmanagerAlertsUrl('https://ops.example.com/am'),
      'https://ops.example.com/am/api/v2/alerts',
    );
    assert.equal(alertmanagerAlertsUrl('http://am:9093/api/v2/alerts'), 'http://am:9093/api/v2/alerts');
  });
});
