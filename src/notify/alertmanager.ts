/**
 * Notices as Alertmanager API v2 alerts (`POST /api/v2/alerts`, body `postableAlerts`: an
 * array of `{ labels, annotations, startsAt, endsAt, generatorURL }`, labels and
 * annotations string maps, times RFC 3339; api/v2/openapi.yaml).
 *
 * Alertmanager's client contract (as Prometheus keeps it, rules/alerting.go): a firing
 * alert carries an `endsAt` a few evaluations ahead and is re-posted each evaluation; if
 * the sender goes quiet, the alert resolves itself at `endsAt`. A resolved alert carries
 * `endsAt` = the resolution time. Labels identify the alert (its fingerprint); annotations
 * may change between posts.
 */
import { descriptionText, summaryText } from './text.ts';
import { ALERT_NAMES, type AlertNotice } from './types.ts';

/** One element of the `postableAlerts` array. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** Prometheus' default `--rules.alert.resend-delay`. */
const RESEND_DELAY_MS = 60_000;

/**
 * How long a firing alert stays valid in Alertmanager without a re-post: Prometheus' rule,
 * `4 * max(evaluation interval, resend delay)`, which survives two missed evaluations or
 * failed sends before the alert would resolve on its own.
 * @example firingValidForMs(60_000) // 240_000: 4 minutes
 */
export function firingValidForMs(evaluationIntervalMs: number): number {
  return 4 * Math.max(evaluationIntervalMs, RESEND_DELAY_MS);
}

/** For a unit evaluating each minute. */
export const DEFAULT_FIRING_VALID_FOR_MS = firingValidForMs(60_000);

/** Options of `toAlertmanagerAlert`. */
export interface AlertmanagerFormatOptions {
  /** `endsAt - atMs` of a firing alert; default `DEFAULT_FIRING_VALID_FOR_MS`. */
  firingValidForMs?: number;
}

/**
 * The label set that identifies an alert in Alertmanager. Empty values are left out, as
 * Alertmanager drops them anyway.
 */
export function alertmanagerLabels(notice: AlertNotice): Record<string, string> {
  const { context } = notice;
  const pairs: [string, string | undefined][] = [
    ['alertname', ALERT_NAMES[notice.kind]],
    ['sextant_slo', context.slo.id],
    ['service', context.service],
    ['team', context.team.name],
    ['severity', notice.severity],
    ['tier', notice.name],
    ['window', notice.window],
    ['unit', context.unit.id],
    ['tenant', context.unit.tenant],
    ['environment', context.unit.environment],
  ];
  const labels: Record<string, string> = {};
  for (const [name, value] of pairs) if (value !== undefined && value !== '') labels[name] = value;
  return labels;
}

/** The annotations: summary, description and the links the catalog knows. */
export function alertmanagerAnnotations(notice: AlertNotice): Record<string, string> {
  const { links } = notice.context;
  const annotations: Record<string, string> = {
    summary: summaryText(notice),
    description: descriptionText(notice),
  };
  if (links.runbookUrl !== undefined) annotations['runbook_url'] = links.runbookUrl;
  if (links.dashboardUrl !== undefined) annotations['dashboard_url'] = links.dashboardUrl;
  return annotations;
}

/**
 * One notice as an Alertmanager alert: firing and refresh notices end `firingValidForMs`
 * after their evaluation, resolved ones at their resolution.
 * @example await fetch(`${am}/api/v2/alerts`, { method: 'POST', body: JSON.stringify([toAlertmanagerAlert(n)]) })
 */
export function toAlertmanagerAlert(
  notice: AlertNotice,
  options: AlertmanagerFormatOptions = {},
): AlertmanagerAlert {
  const validForMs = options.firingValidForMs ?? DEFAULT_FIRING_VALID_FOR_MS;
  const endsAtMs = notice.resolvedAtMs ?? notice.atMs + validForMs;
  const alert: AlertmanagerAlert = {
    labels: alertmanagerLabels(notice),
    annotations: alertmanagerAnnotations(notice),
    // Alertmanager rejects an alert that ends before it starts.
    startsAt: new Date(Math.min(notice.startsAtMs, endsAtMs)).toISOString(),
    endsAt: new Date(endsAtMs).toISOString(),
  };
  const url = notice.context.links.sloUrl;
  if (url !== undefined && URL.canParse(url)) alert.generatorURL = url;
  return alert;
}
