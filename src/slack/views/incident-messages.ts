import type { Button } from '@slack/types';
import { clip, context, escapeMrkdwn, header, section } from '../../commands/blocks.ts';
import { slackTime } from '../../commands/time-format.ts';
import { formatDuration } from '../../agents/offline/postmortem-template.ts';
import { type Incident, SEVERITY_MARK, STATUS_LABEL } from '../../incidents/incident-types.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { button } from './workflow-views.ts';

/**
 * The messages an incident keeps in Slack, as pure Block Kit builders: the summary (pinned in the
 * incident channel, the thread's root in thread mode) and the announcement, both edited in place
 * as the incident changes; pages, reminders and the resolve confirmation. Every button is a command.
 */

/** A "Run playbook" button offered on the incident: its label and the command it runs. */
export interface PlaybookButton {
  label: string;
  command: string;
}

export interface IncidentMessageOptions {
  now: number;
  /** The severity's definition from opsbot.yaml. */
  severityText: string;
  /** Matching playbooks (wired by the playbook feature); at most five are shown. */
  playbooks?: readonly PlaybookButton[];
}

const PLAYBOOKS_SHOWN = 5;
const TEXT_SHOWN = 1_500;

export function incidentTitle(incident: Incident): string {
  return `${SEVERITY_MARK[incident.severity]} ${incident.id} · ${incident.title}`;
}

/** `INC-3 (P2, investigating): API 500s`: the notification text. */
export function incidentLine(incident: Incident): string {
  return `${incident.id} (${incident.severity}, ${incident.status}): ${incident.title}`;
}

const who = (user: string | null) => (user ? `<@${user}>` : '_unassigned_');

export function incidentSummaryMessage(incident: Incident, options: IncidentMessageOptions): MessageContent {
  const fields = [
    `*Severity*\n${incident.severity}`,
    `*Status*\n${STATUS_LABEL[incident.status]}`,
    `*Commander*\n${who(incident.commander)}`,
    `*Communications*\n${who(incident.communications)}`,
    `*Service*\n${incident.service ? escapeMrkdwn(incident.service) : '_not set_'}`,
    `*Responders*\n${incident.responders.length > 0 ? clip(incident.responders.map((r) => `<@${r}>`).join(', '), 1_900) : '_none yet_'}`,
  ];
  const blocks: Block[] = [
    header(incidentTitle(incident)),
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
    context(`${incident.severity}: ${escapeMrkdwn(options.severityText)}`),
  ];
  if (incident.resolvedAt !== null) {
    blocks.push(section(`*Resolved* ${slackTime(incident.resolvedAt)} after ${formatDuration(incident.resolvedAt - incident.declaredAt)}${incident.resolution ? `: ${escapeMrkdwn(clip(incident.resolution, TEXT_SHOWN))}` : ''}`));
  } else if (incident.lastUpdate) {
    blocks.push(section(`*Latest update* ${slackTime(incident.lastUpdateAt)}\n${escapeMrkdwn(clip(incident.lastUpdate, TEXT_SHOWN))}`));
  } else if (incident.summary) {
    blocks.push(section(`*Summary*\n${escapeMrkdwn(clip(incident.summary, TEXT_SHOWN))}`));
  }
  blocks.push(context(milestones(incident)));
  const buttons = incident.status === 'resolved' ? [] : incidentButtons(incident, options.playbooks ?? []);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'incident', elements: buttons });
  return { text: incidentLine(incident), blocks };
}

function milestones(incident: Incident): string {
  const parts = [`Declared by <@${incident.declaredBy}> ${slackTime(incident.declaredAt)}`];
  if (incident.acknowledgedAt !== null) parts.push(`acknowledged by ${who(incident.acknowledgedBy)} after ${formatDuration(incident.acknowledgedAt - incident.declaredAt)}`);
  else if (incident.pages > 0) parts.push(`*not acknowledged* (paged ${incident.pages}×)`);
  if (incident.mitigatedAt !== null) parts.push(`mitigated after ${formatDuration(incident.mitigatedAt - incident.declaredAt)}`);
  return parts.join(' · ');
}

function incidentButtons(incident: Incident, playbooks: readonly PlaybookButton[]): Button[] {
  const buttons: Button[] = [];
  if (incident.acknowledgedAt === null) buttons.push(button('incident-ack', 'Acknowledge', `incident ack ${incident.id}`, 'primary'));
  buttons.push(button('incident-resolve', 'Resolve…', `incident resolve ${incident.id}`));
  playbooks.slice(0, PLAYBOOKS_SHOWN).forEach((p, i) => buttons.push(button(`incident-playbook-${i}`, clip(`▶️ ${p.label}`, 75), p.command)));
  return buttons;
}

/** In the incidents channel (channel mode): one line, edited as the incident moves. */
export function incidentAnnouncement(incident: Incident, channel: string): MessageContent {
  const status = incident.status === 'resolved' ? STATUS_LABEL.resolved : `${STATUS_LABEL[incident.status]} · commander <@${incident.commander}>`;
  const text = `${SEVERITY_MARK[incident.severity]} *${incident.id}* (${incident.severity}) *${escapeMrkdwn(incident.title)}*${incident.service ? ` on ${escapeMrkdwn(incident.service)}` : ''} — ${status}. Declared by <@${incident.declaredBy}>; join <#${channel}>.`;
  return { text: `🚨 ${incidentLine(incident)} — join <#${channel}>`, blocks: [section(text)] };
}

/** A page: the user groups mentioned, with the Acknowledge button. */
export function pageMessage(incident: Incident, groups: readonly string[], options: { page: number; escalated: boolean; where: string | null }): MessageContent {
  const mentions = groups.map((g) => `<!subteam^${g}>`).join(' ');
  const line =
    `🚨 ${mentions} *${incident.id}* (${incident.severity}) *${escapeMrkdwn(incident.title)}* needs an acknowledgement` +
    `${options.page > 1 ? ` — page ${options.page}` : ''}${options.escalated ? ', escalated: nobody acknowledged in time' : ''}.` +
    `${options.where ? ` Join <#${options.where}>.` : ''}`;
  return {
    text: `${mentions} ${incident.id} (${incident.severity}) ${incident.title} needs an acknowledgement`,
    blocks: [section(line), { type: 'actions', block_id: 'page', elements: [button('incident-ack', 'Acknowledge', `incident ack ${incident.id}`, 'primary')] }],
  };
}

export function reminderMessage(incident: Incident, sinceMs: number, commandPrefix: string): MessageContent {
  const text = `⏰ <@${incident.commander}>: no status update on *${incident.id}* for ${formatDuration(sinceMs)}. Post one with \`${commandPrefix} incident update ${incident.id} "…"\`.`;
  return { text: `No status update on ${incident.id} for ${formatDuration(sinceMs)}`, blocks: [section(text)] };
}

/** The resolve confirmation: what will be recorded, and the button that records it. */
export function resolveConfirmation(incident: Incident, summary: string, now: number): MessageContent {
  const since = (at: number | null) => (at === null ? 'not recorded' : formatDuration(at - incident.declaredAt));
  const lines = [
    `Resolve *${incident.id}* — ${escapeMrkdwn(incident.title)}?`,
    `*Summary:* ${escapeMrkdwn(clip(summary, TEXT_SHOWN))}`,
    `Time to acknowledge: ${since(incident.acknowledgedAt)} · to mitigate: ${since(incident.mitigatedAt)} · to resolve: ${formatDuration(now - incident.declaredAt)}`,
  ];
  return {
    text: `Resolve ${incident.id}? Click Resolve to confirm.`,
    blocks: [
      section(lines.join('\n')),
      { type: 'actions', block_id: 'resolve', elements: [button('incident-resolve-confirm', `Resolve ${incident.id}`, resolveCommand(incident.id, summary), 'primary')] },
      context('Nothing changes until you click Resolve; a postmortem draft is posted after.'),
    ],
  };
}

/** Button values hold at most 2000 characters: the summary is cut to fit. */
export function resolveCommand(id: string, summary: string): string {
  return `incident resolve ${id} --confirm ${quoteArg(clip(summary, 1_800))}`;
}

/**
 * A value the command parser gives back exactly: double-quoted, with its escapes (`\"`, `\\`)
 * and Slack's entities for what Slack markup uses.
 */
export function quoteArg(value: string): string {
  return `"${value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\"“”„]/g, (c) => `\\${c}`)}"`;
}
