import type { SlackAlertMessage } from '../../src/alerts/slack-alert-message.ts';

/**
 * Slack messages as Alertmanager's Slack receiver posts them, built in code from template data.
 *
 * How: slack_configs' defaults (Alertmanager config/notifiers.go, DefaultSlackConfig) fill each
 * attachment field from a template of test/fixtures/alertmanager/slack-templates/default.tmpl —
 * title `slack.default.title`, title_link `slack.default.titlelink`, text `slack.default.text`,
 * fallback `slack.default.fallback`, colour `danger` / `good`, username `slack.default.username`.
 * Each function below is a line-by-line port of the definition quoted above it; PORTED holds
 * those definitions verbatim and test/alerts/slack-alert-message.test.ts checks they are still in
 * the fixture, so a change upstream shows as a failing test rather than a silently stale port.
 * notify/slack/slack.go then posts one attachment with `mrkdwn_in: [fallback, pretext, text]`.
 *
 * Receivers from docs/notification_examples.md override title or text: `examples` ports them,
 * quoted in PORTED_EXAMPLES (checked the same way).
 */

export interface TemplateAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL?: string;
}

/** Alertmanager's template data (template.Data). */
export interface TemplateData {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: TemplateAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
}

/** Template data as Alertmanager builds it for a group: group labels from `groupBy`, common ones shared by all. */
export function templateData(options: { receiver: string; externalURL: string; groupBy: string[]; alerts: TemplateAlert[] }): TemplateData {
  const { alerts } = options;
  const first: Pick<TemplateAlert, 'labels' | 'annotations'> = alerts[0] ?? { labels: {}, annotations: {} };
  const common = (field: 'labels' | 'annotations') =>
    Object.fromEntries(Object.entries(first[field]).filter(([name, value]) => alerts.every((alert) => alert[field][name] === value)));
  return {
    receiver: options.receiver,
    status: alerts.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: Object.fromEntries(options.groupBy.filter((name) => first.labels[name] !== undefined).map((name) => [name, first.labels[name] ?? ''])),
    commonLabels: common('labels'),
    commonAnnotations: common('annotations'),
    externalURL: options.externalURL,
  };
}

export const PORTED = {
  alertmanager: '{{ define "__alertmanager" }}Alertmanager{{ end }}',
  alertmanagerURL: '{{ define "__alertmanagerURL" }}{{ .ExternalURL }}/#/alerts?receiver={{ .Receiver | urlquery }}{{ end }}',
  subject:
    '{{ define "__subject" }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .GroupLabels.SortedPairs.Values | join " " }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}){{ end }}{{ end }}',
  title: '{{ define "slack.default.title" }}{{ template "__subject" . }}{{ end }}',
  username: '{{ define "slack.default.username" }}{{ template "__alertmanager" . }}{{ end }}',
  fallback: '{{ define "slack.default.fallback" }}{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}{{ end }}',
  titlelink: '{{ define "slack.default.titlelink" }}{{ template "__alertmanagerURL" . }}{{ end }}',
  text: '{{ define "slack.default.text" }}{{ end }}',
  color: '{{ define "slack.default.color" }}{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}{{ end }}',
} as const;

/** `__subject`. */
export function subject(data: TemplateData): string {
  const status = data.status.toUpperCase() + (data.status === 'firing' ? `:${data.alerts.filter((a) => a.status === 'firing').length}` : '');
  const groupValues = sortedValues(data.groupLabels).join(' ');
  let tail = '';
  if (Object.keys(data.commonLabels).length > Object.keys(data.groupLabels).length) {
    const rest = Object.fromEntries(Object.entries(data.commonLabels).filter(([name]) => !(name in data.groupLabels)));
    tail = `(${sortedValues(rest).join(' ')})`;
  }
  return `[${status}] ${groupValues} ${tail}`;
}

/** `__alertmanagerURL`. */
export function alertmanagerURL(data: TemplateData): string {
  return `${data.externalURL}/#/alerts?receiver=${queryEscape(data.receiver)}`;
}

export interface SlackAttachmentPost {
  title?: string;
  title_link?: string;
  pretext?: string;
  text: string;
  fallback: string;
  callback_id: string;
  footer: string;
  color?: string;
  mrkdwn_in: string[];
}

export interface SlackPost {
  username: string;
  attachments: SlackAttachmentPost[];
}

/** What notify/slack posts with the default slack_config, optionally with a receiver's title / text templates instead. */
export function slackPost(data: TemplateData, overrides: { title?: (d: TemplateData) => string; text?: (d: TemplateData) => string } = {}): SlackPost {
  const title = [...(overrides.title ?? subject)(data)].slice(0, 1024).join('');
  const attachment: SlackAttachmentPost = {
    title,
    title_link: alertmanagerURL(data),
    text: overrides.text?.(data) ?? '',
    // slack.default.fallback renders slack.default.title, not a receiver's own title.
    fallback: `${subject(data)} | ${alertmanagerURL(data)}`,
    callback_id: '',
    footer: '',
    color: data.status === 'firing' ? 'danger' : 'good',
    mrkdwn_in: ['fallback', 'pretext', 'text'],
  };
  // Go's encoding/json leaves out the `omitempty` fields when empty.
  if (attachment.title === '') delete attachment.title;
  return { username: 'Alertmanager', attachments: [attachment] };
}

/**
 * The channel's `message` event for such a post (incoming webhook: subtype bot_message, as in
 * test/fixtures/slack-payloads/test_message_bot__classic_bot_message_event_payload__L173.json).
 * The attachment is carried as posted (Alertmanager escapes nothing, so `<!channel>` stays a mention).
 */
export function asMessageEvent(post: SlackPost, ts = '1715677920.000100'): SlackAlertMessage & { type: 'message'; channel: string } {
  return {
    type: 'message',
    subtype: 'bot_message',
    channel: 'C0ALERTS01',
    bot_id: 'B0ALERTMGR',
    username: post.username,
    text: '',
    ts,
    attachments: post.attachments.map((attachment) => ({ ...attachment })),
  };
}

export const PORTED_EXAMPLES = {
  wikiText: "text: 'https://internal.myorg.net/wiki/alerts/{{ .GroupLabels.app }}/{{ .GroupLabels.alertname }}'",
  annotationsText: 'text: "<!channel> \\nsummary: {{ .CommonAnnotations.summary }}\\ndescription: {{ .CommonAnnotations.description }}"',
  rangeTitle: 'title: "{{ range .Alerts }}{{ .Annotations.summary }}\\n{{ end }}"',
  rangeText: 'text: "{{ range .Alerts }}{{ .Annotations.description }}\\n{{ end }}"',
} as const;

/** The receivers of docs/notification_examples.md ("Customizing Slack notifications" and after). */
export const examples = {
  wikiText: (d: TemplateData) => `https://internal.myorg.net/wiki/alerts/${d.groupLabels.app ?? ''}/${d.groupLabels.alertname ?? ''}`,
  annotationsText: (d: TemplateData) => `<!channel> \nsummary: ${d.commonAnnotations.summary ?? ''}\ndescription: ${d.commonAnnotations.description ?? ''}`,
  rangeTitle: (d: TemplateData) => d.alerts.map((a) => `${a.annotations.summary ?? ''}\n`).join(''),
  rangeText: (d: TemplateData) => d.alerts.map((a) => `${a.annotations.description ?? ''}\n`).join(''),
};

/** KV.SortedPairs().Values(): values ordered by label name. */
function sortedValues(labels: Record<string, string>): string[] {
  return Object.keys(labels)
    .sort()
    .map((name) => labels[name] ?? '');
}

/** Go's url.QueryEscape: everything but A-Z a-z 0-9 - _ . ~ escaped, space as `+`. */
function queryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
