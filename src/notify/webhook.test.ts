import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  noticeEventId,
  toSlackMessage,
  toWebhookPayload,
  webhookJsonSchema,
  webhookPayloadSchema,
} from './index.ts';
import { CONTEXT, firingNotice, resolvedNotice } from './test-support.ts';

const DESCRIPTION =
  'checkout/availability burns its error budget faster than 14.4 times the 0.1% error budget of its 99.9% objective over 30d: burn rate 20.00 over 1h and 20.00 over 5m. ' +
  "50.0% of the 30d error budget is left; at the last hour's burn rate it is gone in 18h. " +
  'Service checkout, team payments, unit eu-1 (tenant acme, production).';

describe('generic webhook JSON', () => {
  test('a firing alert is one versioned object with every field present', () => {
    assert.deepEqual(toWebhookPayload(firingNotice()), {
      version: 1,
      kind: 'sextant.slo-alert',
      id: 'eu-1/acme/checkout%2Favailability/page-1h/firing/2026-11-01T10%3A00%3A00.000Z',
      event: 'firing',
      evaluatedAt: '2026-11-01T10:00:00.000Z',
      alert: {
        alertname: 'SextantSloBurnRate',
        kind: 'burn-rate',
        tier: 'page-1h',
        severity: 'page',
        window: '1h',
        startsAt: '2026-11-01T10:00:00.000Z',
        resolvedAt: null,
        summary: 'checkout/availability: error budget burning 20.0x the sustainable rate (page-1h)',
        description: DESCRIPTION,
        labels: {
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
        },
        annotations: {
          summary: 'checkout/availability: error budget burning 20.0x the sustainable rate (page-1h)',
          description: DESCRIPTION,
          runbook_url: 'https://runbooks.example.com/checkout',
          dashboard_url: 'https://grafana.example.com/d/checkout',
        },
      },
      slo: { id: 'checkout/availability', name: 'availability', objectiveRatio: 0.999, window: '30d' },
      service: { name: 'checkout' },
      team: { name: 'payments', chat: '#payments-oncall', onCallUrl: 'https://oncall.example.com/payments' },
      unit: { id: 'eu-1', tenant: 'acme', environment: 'production' },
      burnRate: { factor: 14.4, longWindow: '1h', long: 20, shortWindow: '5m', short: 20 },
      budget: { remainingRatio: 0.5, burnRate1h: 20, timeToExhaustionMinutes: 1080 },
      traffic: null,
      links: {
        runbook: 'https://runbooks.example.com/checkout',
        dashboard: 'https://grafana.example.com/d/checkout',
        slo: 'https://sextant.example.com/slos/checkout%2Favailability',
      },
    });
  });

  test('a resolution says resolved, with the resolution time, and has its own id', () => {
    const payload = toWebhookPayload(resolvedNotice());
    assert.equal(payload.event, 'resolved');
    assert.equal(payload.alert.startsAt, '2026-11-01T10:00:00.000Z');
    assert.equal(payload.alert.resolvedAt, '2026-11-01T10:10:00.000Z');
    assert.notEqual(payload.id, toWebhookPayload(firingNotice()).id);
    assert.equal(payload.id, noticeEventId(resolvedNotice()));
  });

  test('absent optional context is null, never missing', () => {
    const payload = toWebhookPayload(
      firingNotice({ context: { ...CONTEXT, unit: { id: 'eu-1' }, team: { name: 'payments' }, links: {} } }),
    );
    assert.deepEqual(payload.unit, { id: 'eu-1', tenant: null, environment: null });
    assert.deepEqual(payload.team, { name: 'payments', chat: null, onCallUrl: null });
    assert.deepEqual(payload.links, { runbook: null, dashboard: null, slo: null });
  });

  test('payloads pass their own schema, and the schema rejects an unknown version', () => {
    for (const notice of [firingNotice(), resolvedNotice()]) {
      assert.equal(webhookPayloadSchema.safeParse(toWebhookPayload(notice)).success, true);
    }
    assert.equal(
      webhookPayloadSchema.safeParse({ ...toWebhookPayload(firingNotice()), version: 2 }).success,
      false,
    );
  });

  test('the published JSON Schema requires every top-level field', () => {
    const schema = webhookJsonSchema();
    assert.equal(schema['$id'], 'https://sextant.dev/schema/notify-webhook.v1.json');
    assert.deepEqual([...((schema['required'] as string[] | undefined) ?? [])].sort(), [
      'alert',
      'budget',
      'burnRate',
      'evaluatedAt',
      'event',
      'id',
      'kind',
      'links',
      'service',
      'slo',
      'team',
      'traffic',
      'unit',
      'version',
    ]);
  });
});

describe('Slack message', () => {
  test('a firing page has a fallback text, a header, the description, fields, link buttons and a context line', () => {
    assert.deepEqual(toSlackMessage(firingNotice()), {
      text: ':rotating_light: [FIRING] checkout/availability: error budget burning 20.0x the sustainable rate (page-1h)',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: 'FIRING: checkout/availability: error budget burning 20.0x the sustainable rate (page-1h)',
          },
        },
        { type: 'section', text: { type: 'mrkdwn', text: DESCRIPTION } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Severity*\npage' },
            { type: 'mrkdwn', text: '*Tier*\npage-1h' },
            { type: 'mrkdwn', text: '*Service*\ncheckout' },
            { type: 'mrkdwn', text: '*Team*\npayments (#payments-oncall)' },
            { type: 'mrkdwn', text: '*Where*\nunit eu-1 (tenant acme, production)' },
            { type: 'mrkdwn', text: '*Budget left*\n50.0%' },
          ],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Runbook' },
              url: 'https://runbooks.example.com/checkout',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Dashboard' },
              url: 'https://grafana.example.com/d/checkout',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'SLO' },
              url: 'https://sextant.example.com/slos/checkout%2Favailability',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'On call' },
              url: 'https://oncall.example.com/payments',
            },
          ],
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'Sextant · checkout/availability · firing since 2026-11-01T10:00:00.000Z',
            },
          ],
        },
      ],
    });
  });

  test('a resolution is marked resolved with a check mark and the resolution time', () => {
    const message = toSlackMessage(resolvedNotice());
    assert.equal(
      message.text,
      ':white_check_mark: [RESOLVED] checkout/availability: error budget no longer burning above 14.4x (page-1h)',
    );
    assert.deepEqual(message.blocks.at(-1), {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Sextant · checkout/availability · firing since 2026-11-01T10:00:00.000Z · resolved 2026-11-01T10:10:00.000Z',
        },
      ],
    });
  });

  test('Slack control characters in catalog text are escaped, and a ticket gets a warning sign', () => {
    const message = toSlackMessage(
      firingNotice({
        severity: 'ticket',
        context: { ...CONTEXT, service: 'a<b>&c', links: {}, team: { name: 'payments' } },
      }),
    );
    assert.match(message.text, /^:warning: /);
    assert.deepEqual(message.blocks[2], {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Severity*\nticket' },
        { type: 'mrkdwn', text: '*Tier*\npage-1h' },
        { type: 'mrkdwn', text: '*Service*\na&lt;b&gt;&amp;c' },
        { type: 'mrkdwn', text: '*Team*\npayments' },
        { type: 'mrkdwn', text: '*Where*\nunit eu-1 (tenant acme, production)' },
        { type: 'mrkdwn', text: '*Budget left*\n50.0%' },
      ],
    });
    assert.equal(
      message.blocks.some((b) => b.type === 'actions'),
      false,
    );
  });
});
