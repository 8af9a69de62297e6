/**
 * Alerts about the unit itself (not about an SLO), such as `SextantOutboxNearQuota`, sent
 * straight to the unit's notifiers. The SLO notice path (`src/notify`) models SLO alerts
 * only; these are rare, re-sent while they fire, and best effort: a failed delivery is
 * logged and tried again at the next refresh.
 */

import { alertmanagerAlertsUrl } from '../notify/index.ts';
import { toError } from '../util/index.ts';
import type { Notifier } from './config.ts';
import type { Logger } from './logger.ts';
import type { HttpFetch } from './sync-client.ts';

/** One unit-level alert at one instant. */
export interface UnitAlert {
  alertname: string;
  severity: 'page' | 'ticket';
  firing: boolean;
  /** When it started firing. */
  startsAtMs: number;
  atMs: number;
  summary: string;
  description: string;
  unit: { id: string; tenant?: string; environment?: string };
}

/** How long Alertmanager keeps a firing alert without a refresh. */
const VALID_FOR_MS = 60 * 60_000;

/** Sends `alert` to every notifier; returns how many deliveries failed. Never throws. */
export async function sendUnitAlert(
  notifiers: readonly Notifier[],
  alert: UnitAlert,
  options: { fetch: HttpFetch; log: Logger; timeoutMs?: number },
): Promise<number> {
  let failed = 0;
  const labels: Record<string, string> = {
    alertname: alert.alertname,
    severity: alert.severity,
    unit: alert.unit.id,
    ...(alert.unit.tenant === undefined ? {} : { tenant: alert.unit.tenant }),
    ...(alert.unit.environment === undefined ? {} : { environment: alert.unit.environment }),
  };
  const endsAtMs = alert.firing ? alert.atMs + VALID_FOR_MS : alert.atMs;
  const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    try {
      const response = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      failed += 1;
      options.log('warn', 'cannot deliver a unit alert; it is sent again at the next refresh', {
        alertname: alert.alertname,
        host: URL.canParse(url) ? new URL(url).host : 'invalid-url',
        error: toError(error).message,
      });
    }
  };
  for (const notifier of notifiers) {
    if (notifier.kind === 'alertmanager') {
      const payload = [
        {
          labels,
          annotations: { summary: alert.summary, description: alert.description },
          startsAt: new Date(Math.min(alert.startsAtMs, endsAtMs)).toISOString(),
          endsAt: new Date(endsAtMs).toISOString(),
        },
      ];
      // Every Alertmanager of an HA cluster hears it, as for SLO alerts.
      for (const url of notifier.urls) await post(alertmanagerAlertsUrl(url), payload);
    } else {
      const text = `${alert.firing ? '[FIRING]' : '[RESOLVED]'} ${alert.summary}`;
      const body =
        notifier.format === 'slack'
          ? { text }
          : {
              kind: 'unit_alert',
              alertname: alert.alertname,
              status: alert.firing ? 'firing' : 'resolved',
              severity: alert.severity,
              unit: alert.unit,
              summary: alert.summary,
              description: alert.description,
              startsAt: new Date(alert.startsAtMs).toISOString(),
              at: new Date(alert.atMs).toISOString(),
            };
      await post(notifier.url, body, notifier.headers);
    }
  }
  return failed;
}
