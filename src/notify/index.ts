/**
 * Alert notification: SLO alert transitions as Alertmanager v2 alerts, versioned webhook
 * JSON or Slack messages (pure formatting), and a `Dispatcher` that delivers them through a
 * durable queue with retries, backoff and dedup, so a unit keeps alerting with no hub.
 * Alerts about the unit itself (`UnitAlertNotice`, formatted by unit-alert.ts) take the
 * same queue.
 *
 * After each evaluation the unit calls:
 *   const notices = alertNotices(status, previousAlertState, noticeContext({ unit, slo, owner, team }));
 *   await dispatcher.submit(notices);   // queued durably
 *   await dispatcher.deliverDue();      // or dispatcher.start() once, for a retry loop
 */

export {
  type AlertmanagerAlert,
  type AlertmanagerFormatOptions,
  alertmanagerAnnotations,
  alertmanagerLabels,
  DEFAULT_FIRING_VALID_FOR_MS,
  firingValidForMs,
  toAlertmanagerAlert,
} from './alertmanager.ts';
export {
  ALERTMANAGER_BACKOFF,
  type BackoffPolicy,
  backoffDelayMs,
  parseRetryAfterMs,
  WEBHOOK_BACKOFF,
} from './backoff.ts';
export {
  type AlertmanagerReceiver,
  alertmanagerAlertsUrl,
  createDispatcher,
  type DeliverySummary,
  Dispatcher,
  type DispatcherOptions,
  type FetchLike,
  type NotifyIssue,
  type NotifyLogRecord,
  type NotifyMetrics,
  notifyMetricsText,
  type ReceiverConfig,
  type ReceiverCounters,
  type SubmitSummary,
  type WebhookReceiver,
} from './dispatcher.ts';
export { alertNotices, noticeContext } from './notices.ts';
export {
  type EnqueueResult,
  MemoryNotificationQueue,
  type NewNotification,
  type NotificationQueue,
  type QueuedNotification,
  type QueueStats,
} from './queue.ts';
export { type SlackBlock, type SlackMessage, type SlackText, toSlackMessage } from './slack.ts';
export { descriptionText, summaryText } from './text.ts';
export {
  ALERT_NAMES,
  type AlertName,
  type AlertNotice,
  type BurnRateDetail,
  type Notice,
  type NoticeContext,
  type NoticeEvent,
  type NotifyUnit,
  type SloAlertKind,
  type UnitAlertNotice,
} from './types.ts';
export {
  type UnitAlertWebhookBody,
  unitAlertEventId,
  unitAlertLabels,
  unitAlertmanagerAlert,
  unitAlertSlackMessage,
  unitAlertWebhookBody,
} from './unit-alert.ts';
export {
  noticeEventId,
  toWebhookPayload,
  WEBHOOK_SCHEMA_VERSION,
  type WebhookPayload,
  webhookJsonSchema,
  webhookPayloadSchema,
} from './webhook.ts';
