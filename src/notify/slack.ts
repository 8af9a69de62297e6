/**
 * A notice as a Slack-compatible message (incoming webhooks, `chat.postMessage`, and the
 * Mattermost/Rocket.Chat endpoints that accept the same body): `text` is the notification
 * and screen-reader fallback, `blocks` the rich layout (Block Kit: header, section, actions,
 * context). Slack's limits are respected: header text 150 characters, section text 3,000,
 * field text 2,000, button URL 3,000.
 */
import { descriptionText, summaryText, whereText } from './text.ts';
import type { AlertNotice } from './types.ts';

/** Plain or Slack-markdown text. */
export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}

/** The blocks this module emits. */
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'actions'; elements: { type: 'button'; text: SlackText; url: string }[] }
  | { type: 'context'; elements: SlackText[] };

/** The body posted to a Slack incoming webhook. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's three control characters in text (api.slack.com, "Formatting text for app surfaces"). */
function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function statusWord(notice: AlertNotice): string {
  return notice.event === 'resolved' ? 'RESOLVED' : 'FIRING';
}

function emoji(notice: AlertNotice): string {
  if (notice.event === 'resolved') return ':white_check_mark:';
  return notice.severity === 'page' ? ':rotating_light:' : ':warning:';
}

/**
 * One notice as a Slack message.
 * @example await fetch(slackWebhookUrl, { method: 'POST', body: JSON.stringify(toSlackMessage(n)) })
 */
export function toSlackMessage(notice: AlertNotice): SlackMessage {
  const { context } = notice;
  const summary = summaryText(notice);
  const field = (label: string, value: string): SlackText => ({
    type: 'mrkdwn',
    text: truncate(`*${label}*\n${escapeMrkdwn(value)}`, 2000),
  });
  const fields = [
    field('Severity', notice.severity),
    field('Tier', notice.name),
    field('Service', context.service),
    field(
      'Team',
      context.team.chat === undefined ? context.team.name : `${context.team.name} (${context.team.chat})`,
    ),
    field('Where', whereText(notice)),
    field('Budget left', `${(notice.budget.remainingRatio * 100).toFixed(1)}%`),
  ];
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`${statusWord(notice)}: ${summary}`, 150) },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(descriptionText(notice)), 3000) },
    },
    { type: 'section', fields },
  ];
  const buttons: { type: 'button'; text: SlackText; url: string }[] = [];
  const button = (label: string, url: string | undefined) => {
    if (url !== undefined && url.length <= 3000) {
      buttons.push({ type: 'button', text: { type: 'plain_text', text: label }, url });
    }
  };
  button('Runbook', context.links.runbookUrl);
  button('Dashboard', context.links.dashboardUrl);
  button('SLO', context.links.sloUrl);
  if (context.team.onCallUrl !== undefined) button('On call', context.team.onCallUrl);
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  const since = new Date(notice.startsAtMs).toISOString();
  const until =
    notice.resolvedAtMs === null ? '' : ` · resolved ${new Date(notice.resolvedAtMs).toISOString()}`;
  blocks.push({
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: escapeMrkdwn(`Sextant · ${context.slo.id} · firing since ${since}${until}`) },
    ],
  });
  return { text: `${emoji(notice)} [${statusWord(notice)}] ${escapeMrkdwn(summary)}`, blocks };
}
