import { context, escapeMrkdwn, header, section, sectionsOf } from '../../commands/blocks.ts';
import { slackTime, utcTime } from '../../commands/time-format.ts';
import { SEVERITIES } from '../../config/policy-schema.ts';
import { formatDuration } from '../../agents/offline/postmortem-template.ts';
import type { DurationSummary, IncidentStats } from '../../incidents/incident-stats.ts';
import { type Incident, type IncidentEvent, SEVERITY_MARK, STATUS_LABEL } from '../../incidents/incident-types.ts';
import type { MessageContent } from '../chat-port.ts';

/** What `incident list`, `timeline` and `stats` answer with. Pure. */

const EVENT_MARK: Readonly<Record<string, string>> = {
  declared: '🚨',
  status: '📣',
  update: '📣',
  severity: '⚖️',
  role: '👤',
  note: '📝',
  alert: '🔔',
  workflow: '⚙️',
  playbook: '▶️',
  approval: '✅',
  ack: '🙋',
  page: '📟',
  escalated: '⏫',
  pagerduty: '📟',
  resolved: '✅',
  postmortem: '📄',
};

export function incidentListView(incidents: readonly Incident[], options: { which: 'open' | 'all'; now: number; severity?: string }): MessageContent {
  const what = `${options.which === 'open' ? 'Open incidents' : 'Incidents'}${options.severity ? ` (${options.severity})` : ''}`;
  if (incidents.length === 0) return { text: `${what}: none.` };
  const lines = incidents.map((i) => {
    const where = i.channel && i.mode === 'channel' ? ` <#${i.channel}>` : '';
    const age = i.resolvedAt !== null ? `lasted ${formatDuration(i.resolvedAt - i.declaredAt)}` : `open ${formatDuration(options.now - i.declaredAt)}`;
    return `${SEVERITY_MARK[i.severity]} *${i.id}* ${i.severity} ${escapeMrkdwn(i.title)} — ${STATUS_LABEL[i.status]} · <@${i.commander}> · ${age}${where}`;
  });
  return { text: [what, ...incidents.map((i) => `${i.id} ${i.severity} ${i.status}: ${i.title}`)].join('\n'), blocks: [header(what), ...sectionsOf(lines)] };
}

export function timelineLine(event: IncidentEvent): string {
  return `${slackTime(event.at, '{date_short} {time}')} ${EVENT_MARK[event.kind] ?? '•'} *${escapeMrkdwn(event.kind)}*${event.who && event.who !== 'system' ? ` <@${event.who}>` : ''}: ${escapeMrkdwn(event.text)}`;
}

export function timelineView(incident: Incident, events: readonly IncidentEvent[]): MessageContent {
  const title = `Timeline of ${incident.id} · ${incident.title}`;
  const text = [title, ...events.map((e) => `${utcTime(e.at)} ${e.kind}${e.who ? ` ${e.who}` : ''}: ${e.text}`)].join('\n');
  if (events.length === 0) return { text: `${title}: nothing recorded yet.` };
  return { text, blocks: [header(title), ...sectionsOf(events.map(timelineLine)).slice(0, 45)] };
}

const span = (s: DurationSummary) => (s.count === 0 ? '—' : `${formatDuration(s.medianMs!)} (p90 ${formatDuration(s.p90Ms!)}, n=${s.count})`);

export function statsView(stats: IncidentStats, now: number): MessageContent {
  const title = `Incidents since ${utcTime(stats.since).slice(0, 10)} (${formatDuration(now - stats.since)})`;
  if (stats.total === 0) return { text: `${title}: none declared.` };
  const lines = stats.bySeverity
    .filter((s) => s.declared > 0)
    .map((s) => `${SEVERITY_MARK[s.severity]} *${s.severity}*: ${s.declared} declared, ${s.open} open · acknowledge ${span(s.toAcknowledge)} · mitigate ${span(s.toMitigate)} · resolve ${span(s.toResolve)}`);
  const text = [title, ...SEVERITIES.map((sev) => stats.bySeverity.find((s) => s.severity === sev)!).filter((s) => s.declared > 0).map((s) => `${s.severity}: ${s.declared} declared, ${s.open} open`)].join('\n');
  return { text, blocks: [header(title), section(lines.join('\n')), context('Median time from declaring, with the 90th percentile and how many incidents it counts.')] };
}
