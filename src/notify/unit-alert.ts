/**
 * Unit alerts (`UnitAlertNotice`) in the receivers' formats. Alertmanager gets the same
 * contract as SLO alerts (alertmanager.ts): a firing alert ends `firingValidForMs` after
 * its notice unless refreshed, a resolved one at its resolution; labels identify it by
 * `alertname` and the unit. Webhooks get a small JSON body of their own (`kind:
 * "unit_alert"`, not the versioned SLO body) or a one-line Slack text.
 */
import type { AlertmanagerAlert } from './alertmanager.ts';
import type { UnitAlertNotice } from './types.ts';

const isoTime = (ms: number) => new Date(ms).toISOString();

/** The label set that identifies a unit alert in Alertmanager (empty values left out). */
export function unitAlertLabels(notice: UnitAlertNotice): Record<string, string> {
  const pairs: [string, string | undefined][] = [
    ['alertname', notice.alertname],
    ['severity', notice.severity],
    ['unit', notice.unit.id],
    ['tenant', notice.unit.tenant],
    ['environment', notice.unit.environment],
  ];
  const labels: Record<string, string> = {};
  for (const [name, value] of pairs) if (value !== undefined && value !== '') labels[name] = value;
  return labels;
}

/** One unit alert as an Alertmanager alert. */
export function unitAlertmanagerAlert(notice: UnitAlertNotice): AlertmanagerAlert {
  const endsAtMs = notice.resolvedAtMs ?? notice.atMs + notice.firingValidForMs;
  return {
    labels: unitAlertLabels(notice),
    annotations: { summary: notice.summary, description: notice.description },
    // Alertmanager rejects an alert that ends before it starts.
    startsAt: isoTime(Math.min(notice.startsAtMs, endsAtMs)),
    endsAt: isoTime(endsAtMs),
  };
}

/** Identifies one event (firing or resolved) of one unit alert; equal across retries. */
export function unitAlertEventId(notice: UnitAlertNotice): string {
  const event = notice.event === 'resolved' ? 'resolved' : 'firing';
  return [notice.unit.id, notice.unit.tenant ?? '', notice.alertname, event, isoTime(notice.startsAtMs)]
    .map(encodeURIComponent)
    .join('/');
}

/** The webhook body of a unit alert (`format: json`). */
export interface UnitAlertWebhookBody {
  kind: 'unit_alert';
  /** As `unitAlertEventId`: a receiver drops duplicates by it (delivery is at least once). */
  id: string;
  alertname: string;
  status: 'firing' | 'resolved';
  severity: 'page' | 'ticket';
  unit: { id: string; tenant?: string; environment?: string };
  summary: string;
  description: string;
  startsAt: string;
  at: string;
}

/** One unit alert event as its webhook body. */
export function unitAlertWebhookBody(notice: UnitAlertNotice): UnitAlertWebhookBody {
  return {
    kind: 'unit_alert',
    id: unitAlertEventId(notice),
    alertname: notice.alertname,
    status: notice.event === 'resolved' ? 'resolved' : 'firing',
    severity: notice.severity,
    unit: notice.unit,
    summary: notice.summary,
    description: notice.description,
    startsAt: isoTime(notice.startsAtMs),
    at: isoTime(notice.atMs),
  };
}

/** One unit alert event as a Slack message: its status and summary. */
export function unitAlertSlackMessage(notice: UnitAlertNotice): { text: string } {
  return { text: `${notice.event === 'resolved' ? '[RESOLVED]' : '[FIRING]'} ${notice.summary}` };
}
