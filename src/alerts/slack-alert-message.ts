import type { AlertFormat, AlertStatus, NormalizedAlert } from './alert.ts';
import { normalizeAlert, UNNAMED_ALERT, webUrl } from './alert-fields.ts';
import { parseAlertListText, type ListedAlert } from './alert-list-text.ts';
import { parseAlertSubject, type AlertSubject } from './alert-subject.ts';
import { parseDatadogTitle } from './datadog-message.ts';
import { labelsFingerprint, unkeyedFingerprint } from './fingerprint.ts';
import { slackToPlain } from './slack-text.ts';
import { parseTextAlert } from './text-alert.ts';

/**
 * A message in an alert channel → alerts (source `slack`). Never refused: what no known shape
 * fits becomes a generic text alert (text-alert.ts). In order:
 *
 * 1. Alertmanager's Slack receiver and Grafana's Slack contact point: the subject
 *    `[FIRING:2] InstanceDown (api prod)` in `attachments[i].title` (or its `fallback`, or the
 *    first line of a bot's text). Alerts the attachment text lists (alert-list-text.ts) become one
 *    alert each, with their labels; with the default template the text is empty, and the message
 *    becomes one alert named by the first title value, the other values kept unkeyed, `count` the
 *    firing count. `title_link` (Alertmanager's or Grafana's UI) is the externalURL.
 * 2. Datadog's `[Triggered] …` / `[Recovered] …` titles (datadog-message.ts), in an attachment
 *    or the first line of a bot's text.
 * 3. Anything else: the message's text and attachments' text as a text alert, an attachment's
 *    colour `good` / `danger` (Alertmanager's default colours) deciding the status when present.
 *
 * Slack fields are read by their wire names; an attachment's fields and actions are not read.
 */
export interface SlackAttachment {
  title?: string;
  title_link?: string;
  text?: string;
  fallback?: string;
  pretext?: string;
  color?: string;
  footer?: string;
}

export interface SlackAlertMessage {
  text?: string;
  subtype?: string;
  /** A person's user id; bots post with bot_id (and a classic bot_message subtype). */
  user?: string;
  username?: string;
  bot_id?: string;
  bot_profile?: { name?: string };
  attachments?: SlackAttachment[];
  blocks?: unknown[];
  /** Slack's message ts (`1610261539.000900`): when it was posted, the alert's start (or end when resolved). */
  ts?: string;
}

export interface SlackAlertParse {
  format: AlertFormat;
  /** Empty only for a message without any text. */
  alerts: NormalizedAlert[];
  /** Assumptions worth a log line. */
  warnings: string[];
}

export function parseSlackAlertMessage(message: SlackAlertMessage): SlackAlertParse {
  const at = postedAt(message.ts);
  const attachments = (message.attachments ?? []).filter((a): a is SlackAttachment => typeof a === 'object' && a !== null);
  const warnings: string[] = [];

  // 1. Alertmanager / Grafana subject in an attachment, or in the text.
  const alerts: NormalizedAlert[] = [];
  let format: AlertFormat = 'alertmanager-slack';
  for (const attachment of attachments) {
    const subject = parseAlertSubject(plain(attachment.title)) ?? parseAlertSubject(plain(attachment.fallback).split(' | ')[0] ?? '');
    if (subject === undefined) continue;
    format = isGrafana(message, attachment) ? 'grafana-slack' : 'alertmanager-slack';
    alerts.push(...subjectAlerts(subject, attachment.text ?? '', attachment, format, at, warnings));
  }
  if (alerts.length > 0) return { format, alerts, warnings };
  const [firstLine = '', ...restLines] = (message.text ?? '').split('\n');
  // A person's "[FIRING] api latency high" is prose, not a subject of label values.
  const fromBot = message.subtype === 'bot_message' || message.bot_id !== undefined || message.bot_profile !== undefined;
  const textSubject = fromBot ? parseAlertSubject(plain(firstLine)) : undefined;
  if (textSubject !== undefined) {
    format = isGrafana(message, undefined) ? 'grafana-slack' : 'alertmanager-slack';
    return { format, alerts: subjectAlerts(textSubject, restLines.join('\n'), undefined, format, at, warnings), warnings };
  }

  // 2. Datadog.
  const candidates = [...attachments.flatMap((a) => [a.title, a.fallback, a.pretext]), fromBot ? firstLine : undefined];
  for (const candidate of candidates) {
    const title = parseDatadogTitle(plain(candidate));
    if (title === undefined) continue;
    const body = [restLines.join('\n'), ...attachments.map((a) => a.text ?? '')].map((t) => plain(t).trim()).filter((t) => t !== '').join('\n');
    const identity = { ...title.labels, alertname: title.name };
    const alert = normalizeAlert({
      source: 'slack',
      format: 'datadog-slack',
      status: title.status,
      labels: title.severity === undefined ? identity : { ...identity, severity: title.severity },
      annotations: {},
      name: title.name,
      description: body === '' ? undefined : body,
      externalURL: attachments.find((a) => a.title_link)?.title_link,
      startsAt: title.status === 'firing' ? at : undefined,
      endsAt: title.status === 'resolved' ? at : undefined,
      // Severity follows the transition (Triggered, Warn) and a recovery names none: not identity.
      fingerprint: labelsFingerprint(identity),
    });
    return { format: 'datadog-slack', alerts: [alert], warnings };
  }

  // 3. Any text.
  const attachmentText = attachments.flatMap((a) => [a.pretext, a.title, a.text]).filter((t): t is string => typeof t === 'string' && t.trim() !== '');
  let text = [message.text ?? '', ...attachmentText].filter((t) => t.trim() !== '').join('\n');
  if (text.trim() === '') text = attachments.map((a) => a.fallback ?? '').join('\n');
  if (text.trim() === '') text = blocksText(message.blocks);
  const colour = attachments.map((a) => a.color).find((c) => c === 'good' || c === 'danger');
  const alert = parseTextAlert(text, {
    ...(colour !== undefined ? { status: colour === 'good' ? 'resolved' : 'firing' } : {}),
    ...(at !== undefined ? { at } : {}),
  });
  if (alert === undefined) warnings.push('the message has no text; no alert');
  return { format: 'text', alerts: alert === undefined ? [] : [alert], warnings };
}

function subjectAlerts(
  subject: AlertSubject,
  rawText: string,
  attachment: SlackAttachment | undefined,
  format: AlertFormat,
  at: string | undefined,
  warnings: string[],
): NormalizedAlert[] {
  const text = slackToPlain(rawText, 'url');
  const listed = parseAlertListText(text);
  const titleName = subject.groupValues[0];
  const unkeyed = [...subject.groupValues.slice(1), ...subject.commonValues];
  const externalURL = webUrl(slackToPlain(attachment?.title_link ?? '', 'url'));
  const base = { source: 'slack' as const, format, externalURL };

  if (listed.alerts.length > 0) {
    return listed.alerts.map((item) => listedAlert(item, subject, titleName, unkeyed, listed.loose, base, at));
  }

  if (titleName === undefined) warnings.push(`title ${JSON.stringify(subject.rest)}: no group label values, so no alertname; "${UNNAMED_ALERT}"`);
  const labels: Record<string, string> = titleName === undefined ? {} : { alertname: titleName };
  const onlyUrl = Object.keys(listed.loose).length === 0 ? webUrl(text.trim()) : undefined;
  return [
    normalizeAlert({
      ...base,
      status: subject.status,
      labels,
      annotations: listed.loose,
      summary: listed.loose.summary ?? (subject.rest === '' ? undefined : subject.rest),
      // docs/notification_examples.md's first receiver puts only a wiki link on handling the alert in the text.
      runbookURL: onlyUrl,
      unkeyedLabelValues: unkeyed.length > 0 ? unkeyed : undefined,
      count: subject.firing,
      startsAt: subject.status === 'firing' ? at : undefined,
      endsAt: subject.status === 'resolved' ? at : undefined,
      fingerprint: unkeyedFingerprint(labels, unkeyed),
    }),
  ];
}

function listedAlert(
  item: ListedAlert,
  subject: AlertSubject,
  titleName: string | undefined,
  unkeyed: string[],
  loose: Record<string, string>,
  base: { source: 'slack'; format: AlertFormat; externalURL: string | undefined },
  at: string | undefined,
): NormalizedAlert {
  const keyed = Object.keys(item.labels).length > 0;
  const labels = { ...item.labels };
  if (labels.alertname === undefined && titleName !== undefined) labels.alertname = titleName;
  if (labels.severity === undefined && item.severity !== undefined) labels.severity = item.severity;
  const annotations = { ...loose, ...item.annotations };
  if (annotations.summary === undefined && item.summary !== undefined && item.summary !== '') annotations.summary = item.summary;
  const status: AlertStatus = item.status ?? subject.status;
  return normalizeAlert({
    ...base,
    status,
    labels,
    annotations,
    generatorURL: item.generatorURL,
    silenceURL: item.silenceURL,
    dashboardURL: item.dashboardURL,
    panelURL: item.panelURL,
    value: item.value,
    startsAt: status === 'firing' ? at : undefined,
    endsAt: status === 'resolved' ? at : undefined,
    // With its labels listed, an alert is fingerprinted as its webhook twin would be without a fingerprint;
    // an `*Alert:*` line without details has only the title's values and its summary to tell it apart.
    fingerprint: keyed ? labelsFingerprint(labels) : unkeyedFingerprint(labels, [...unkeyed, item.summary ?? '']),
  });
}

function isGrafana(message: SlackAlertMessage, attachment: SlackAttachment | undefined): boolean {
  const sender = [message.username, message.bot_profile?.name, attachment?.footer].join(' ');
  return /grafana/i.test(sender) || /\/alerting\//.test(attachment?.title_link ?? '');
}

function plain(text: string | undefined): string {
  return slackToPlain(text ?? '').trim();
}

function postedAt(ts: string | undefined): string | undefined {
  const seconds = ts === undefined ? Number.NaN : Number(ts);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(Math.round(seconds * 1000)).toISOString() : undefined;
}

/** Text of Block Kit blocks (section text and fields, headers, context, rich text), one piece per line. */
function blocksText(blocks: unknown, depth = 0): string {
  if (depth > 6 || blocks === null || typeof blocks !== 'object') return '';
  if (Array.isArray(blocks)) return blocks.map((block) => blocksText(block, depth + 1)).filter((t) => t !== '').join('\n');
  const node = blocks as Record<string, unknown>;
  if (typeof node.text === 'string' && (node.type === 'mrkdwn' || node.type === 'plain_text' || node.type === 'text')) return node.text;
  return ['text', 'fields', 'elements']
    .map((key) => blocksText(node[key], depth + 1))
    .filter((t) => t !== '')
    .join('\n');
}
