import type { Button } from '@slack/types';
import type { NormalizedAlert } from '../../alerts/alert.ts';
import { BLOCKS_MAX, clip, context, escapeMrkdwn, section } from '../../commands/blocks.ts';
import { slackTime, utcTime } from '../../commands/time-format.ts';
import { formatDuration } from '../../duration.ts';
import type { StoredAlert, StoredAlertGroup } from '../../store/alert-group-repo.ts';
import type { AlertSilence } from '../../store/alert-silence-repo.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { button } from './workflow-views.ts';

/**
 * An alert group in Slack, as pure Block Kit builders: the parent message (one per group, edited
 * in place as alerts join and resolve, with its buttons — each a command, so a click is checked
 * like the typed command), the details in its thread, and the lists `/ops alerts` shows.
 * Alert text is untrusted: it is escaped (no mentions, no links but http(s) URLs) and clipped.
 */

export interface AlertGroupMessageOptions {
  /** opsbot.yaml alerts.reply_prefix, before the text (`[auto-ops]`). */
  prefix?: string;
  /** The Silence buttons. */
  silenceDurationsMs: readonly number[];
  /** The silence in force on the group, if any. */
  silence?: AlertSilence;
  /** `/ops`. */
  commandPrefix: string;
}

const SUMMARY_SHOWN = 600;
const LINE_SHOWN = 300;
/** Alerts listed in the thread's details; `/ops alerts show` lists more. */
export const DETAILS_ALERTS_SHOWN = 20;
const LIST_SHOWN = 20;

/** The name, severity, service and namespace a group is shown by, from its labels and its alerts. */
export interface GroupFacts {
  name: string;
  severity?: string;
  service?: string;
  namespace?: string;
  summary?: string;
  firing: number;
  resolved: number;
}

export function groupFacts(group: Pick<StoredAlertGroup, 'labels'>, alerts: readonly NormalizedAlert[]): GroupFacts {
  const firingAlerts = alerts.filter((a) => a.status === 'firing');
  const shown = firingAlerts[0] ?? alerts[0];
  const facts: GroupFacts = {
    name: group.labels.alertname ?? shown?.name ?? 'alert group',
    firing: firingAlerts.length,
    resolved: alerts.length - firingAlerts.length,
  };
  const severity = worstSeverityWord(alerts);
  if (severity !== undefined) facts.severity = severity;
  const service = group.labels.service ?? shown?.service;
  if (service !== undefined) facts.service = service;
  const namespace = group.labels.namespace ?? shown?.namespace;
  if (namespace !== undefined) facts.namespace = namespace;
  const summary = commonText(alerts, (a) => a.summary) ?? shown?.summary ?? shown?.description;
  if (summary !== undefined) facts.summary = summary;
  return facts;
}

/** `[FIRING:3] KubePodCrashLooping · api · shop` (Alertmanager's subject, with opsbot's grouping). */
export function groupSubject(facts: GroupFacts): string {
  const status = facts.firing > 0 ? `[FIRING:${facts.firing}]` : '[RESOLVED]';
  return [`${status} ${facts.name}`, facts.service, facts.namespace].filter((part) => part !== undefined && part !== '').join(' · ');
}

export function alertGroupMessage(group: StoredAlertGroup, alerts: readonly StoredAlert[], options: AlertGroupMessageOptions): MessageContent {
  const facts = groupFacts(group, alerts.map((a) => a.alert));
  const firing = facts.firing > 0;
  const lead = options.prefix ? `${options.prefix} ` : '';
  const subject = groupSubject(facts);
  const mark = firing ? ':fire:' : ':white_check_mark:';
  const blocks: Block[] = [section(`${escapeMrkdwn(lead)}${mark} *${escapeMrkdwn(clip(subject, 200))}*${facts.summary ? `\n${escapeMrkdwn(clip(facts.summary, SUMMARY_SHOWN))}` : ''}`)];

  const details = [
    facts.severity ? `*Severity:* ${escapeMrkdwn(clip(facts.severity, 40))}` : undefined,
    `*Alerts:* ${facts.firing} firing${facts.resolved > 0 ? `, ${facts.resolved} resolved` : ''}`,
    `*Since:* ${slackTime(group.state.firstSeenAt)}`,
    !firing && group.state.resolvedAt !== undefined ? `*Resolved:* ${slackTime(group.state.resolvedAt)}` : undefined,
  ].filter((part): part is string => part !== undefined);
  blocks.push(context(details.join('   ')));

  const status = statusLines(group, options);
  if (status.length > 0) blocks.push(context(status.join('   ')));

  if (firing) {
    const buttons = groupButtons(group, options);
    if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `alert-group-${group.id}`, elements: buttons });
  }
  blocks.push(context(`${group.groupId} · details in the thread · \`${options.commandPrefix} alerts show ${group.groupId}\``));
  return { text: clip(`${lead}${firing ? '🔥' : '✅'} ${subject}`, 3_000), blocks };
}

function statusLines(group: StoredAlertGroup, options: AlertGroupMessageOptions): string[] {
  const lines: string[] = [];
  if (group.incidentId) lines.push(`:rotating_light: Incident *${escapeMrkdwn(group.incidentId)}*`);
  if (group.acknowledgedBy && group.acknowledgedAt !== null) lines.push(`:eyes: Acknowledged by <@${group.acknowledgedBy}> ${slackTime(group.acknowledgedAt)}`);
  if (options.silence) lines.push(`:mute: Silenced until ${slackTime(options.silence.endsAt)} by <@${options.silence.createdBy}> (silence ${options.silence.id})`);
  if (group.triage === 'skipped' && group.triageNote) lines.push(`Not triaged: ${escapeMrkdwn(clip(group.triageNote, 200))}`);
  if (group.triage === 'failed') lines.push('Triage failed: see the logs, or triage it by hand');
  return lines;
}

function groupButtons(group: StoredAlertGroup, options: AlertGroupMessageOptions): Button[] {
  const id = group.groupId;
  const buttons: Button[] = [];
  if (!group.acknowledgedBy) buttons.push(button(`alert-ack-${group.id}`, 'Acknowledge', `alerts ack ${id}`, 'primary'));
  if (!group.incidentId) {
    buttons.push(
      button(`alert-incident-${group.id}`, 'Declare incident', `alerts declare ${id}`, 'danger', {
        title: 'Declare an incident?',
        text: `An incident is declared for ${id} and linked to it; on-call may be paged.`,
        confirm: 'Declare',
      }),
    );
  }
  if (!options.silence) {
    for (const ms of options.silenceDurationsMs.slice(0, 5)) {
      const duration = silenceLabel(ms);
      buttons.push(button(`alert-silence-${duration}-${group.id}`, `Silence ${duration}`, `alerts silence ${id} ${duration}`));
    }
  }
  if (group.suggestion) buttons.push(button(`alert-playbook-${group.id}`, clip(group.suggestion.label, 75), group.suggestion.command, 'primary'));
  return buttons;
}

/** A repeat (repeat_interval passed with nothing new), in the group's thread. */
export function alertGroupRepeat(group: StoredAlertGroup, counts: { firing: number; resolved: number }, options: Pick<AlertGroupMessageOptions, 'prefix'>): MessageContent {
  const lead = options.prefix ? `${options.prefix} ` : '';
  const text = `${lead}🔁 ${group.groupId} still firing: ${counts.firing} alert${counts.firing === 1 ? '' : 's'}, since ${utcTime(group.state.firstSeenAt)}`;
  return { text, blocks: [section(`${escapeMrkdwn(lead)}:repeat: *${group.groupId} still firing*: ${counts.firing} alert${counts.firing === 1 ? '' : 's'} since ${slackTime(group.state.firstSeenAt)}`)] };
}

/** The thread's details: each alert with its own labels, summary and links. */
export function alertGroupDetails(group: StoredAlertGroup, alerts: readonly StoredAlert[], options: Pick<AlertGroupMessageOptions, 'prefix' | 'commandPrefix'>): MessageContent {
  const lead = options.prefix ? `${options.prefix} ` : '';
  const facts = groupFacts(group, alerts.map((a) => a.alert));
  // Firing first: what needs looking at.
  const ordered = [...alerts].sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1));
  const shown = ordered.slice(0, DETAILS_ALERTS_SHOWN);
  const head = `${escapeMrkdwn(lead)}*Alerts in ${group.groupId}* (${facts.firing} firing, ${facts.resolved} resolved) · grouped by ${labelText(group.labels) || '_no labels_'}`;
  const blocks: Block[] = [section(head)];
  for (const stored of shown) {
    if (blocks.length >= BLOCKS_MAX - 2) break;
    blocks.push(section(alertLines(stored.alert, group.labels).join('\n')));
  }
  const more = alerts.length - shown.length;
  if (more > 0) blocks.push(context(`…and ${more} more: \`${options.commandPrefix} alerts show ${group.groupId}\``));
  const text = `${lead}Alerts in ${group.groupId}: ${facts.firing} firing, ${facts.resolved} resolved`;
  return { text, blocks };
}

export function alertLines(alert: NormalizedAlert, groupLabels: Readonly<Record<string, string>>): string[] {
  const mark = alert.status === 'firing' ? ':fire:' : ':white_check_mark:';
  const own = Object.fromEntries(Object.entries(alert.labels).filter(([name, value]) => groupLabels[name] !== value && name !== 'alertname'));
  const lines = [`${mark} *${escapeMrkdwn(clip(alert.name, 120))}*${alert.severity ? ` (${escapeMrkdwn(clip(alert.severity, 40))})` : ''}${alert.count && alert.count > 1 ? ` ×${alert.count}` : ''}`];
  const labels = labelText(own);
  if (labels) lines.push(clip(labels, LINE_SHOWN));
  if (alert.unkeyedLabelValues?.length) lines.push(`values: ${escapeMrkdwn(clip(alert.unkeyedLabelValues.join(' '), LINE_SHOWN))}`);
  const text = alert.summary ?? alert.description;
  if (text) lines.push(`> ${escapeMrkdwn(clip(text.replace(/\s+/g, ' '), LINE_SHOWN))}`);
  const links = [link(alert.runbookURL, 'Runbook'), link(alert.generatorURL, 'Source'), link(alert.dashboardURL, 'Dashboard'), link(alert.externalURL, 'Alertmanager')].filter(
    (l): l is string => l !== undefined,
  );
  if (links.length > 0) lines.push(links.join(' · '));
  return lines;
}

/** `alertname=X, pod=y` in code spans, escaped. */
export function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `\`${escapeMrkdwn(clip(`${name}=${value}`, 100)).replace(/`/g, "'")}\``)
    .join(' ');
}

/** A Slack link for an http(s) URL; anything else is not shown as a link (alert text is untrusted). */
function link(url: string | undefined, label: string): string | undefined {
  if (url === undefined || !/^https?:\/\/[^\s]+$/i.test(url)) return undefined;
  return `<${url.replace(/[<>|]/g, (c) => encodeURIComponent(c))}|${label}>`;
}

/** The list `/ops alerts` shows: newest first. */
export function alertGroupList(rows: ReadonlyArray<{ group: StoredAlertGroup; facts: GroupFacts; silenced: boolean }>, options: { which: 'open' | 'all'; commandPrefix: string }): MessageContent {
  if (rows.length === 0) {
    const text = options.which === 'open' ? 'No alert group is firing.' : 'No alert groups yet.';
    return { text, blocks: [section(text)] };
  }
  const lines = rows.slice(0, LIST_SHOWN).map(({ group, facts, silenced }) => {
    const mark = facts.firing > 0 ? ':fire:' : ':white_check_mark:';
    const notes = [
      group.incidentId ? escapeMrkdwn(group.incidentId) : undefined,
      group.acknowledgedBy ? `ack'd by <@${group.acknowledgedBy}>` : undefined,
      silenced ? 'silenced' : undefined,
      group.messageTs === null && facts.firing > 0 ? 'not posted yet' : undefined,
    ].filter((n): n is string => n !== undefined);
    return `${mark} *${group.groupId}* ${escapeMrkdwn(clip(groupSubject(facts), 150))}${notes.length ? ` — ${notes.join(', ')}` : ''}`;
  });
  const title = options.which === 'open' ? `*Firing alert groups* (${rows.length})` : `*Alert groups, newest first* (${rows.length})`;
  const blocks: Block[] = [section([title, ...lines].join('\n'))];
  blocks.push(context(`\`${options.commandPrefix} alerts show AG-n\` for one group · \`${options.commandPrefix} alerts silences\` for silences`));
  return { text: `${rows.length} alert group${rows.length === 1 ? '' : 's'}`, blocks };
}

/** One group with its alerts, for `/ops alerts show`. */
export function alertGroupShow(group: StoredAlertGroup, alerts: readonly StoredAlert[], options: AlertGroupMessageOptions & { limit: number }): MessageContent {
  const parent = alertGroupMessage(group, alerts, options);
  const blocks: Block[] = (parent.blocks ?? []).filter((b) => b.type !== 'actions');
  const triage = group.triageOutcome
    ? `Triage: ${escapeMrkdwn(group.triageOutcome.severity)}${group.triageOutcome.accepted ? ', a reviewed proposal' : ', needs a human'}${group.triageOutcome.needsHuman ? ` (${escapeMrkdwn(clip(group.triageOutcome.needsHuman, 200))})` : ''}`
    : `Triage: ${group.triage}${group.triageNote ? ` (${escapeMrkdwn(clip(group.triageNote, 200))})` : ''}`;
  blocks.push(context(triage));
  const ordered = [...alerts].sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1));
  for (const stored of ordered.slice(0, Math.min(options.limit, BLOCKS_MAX - blocks.length - 1))) {
    blocks.push(section([...alertLines(stored.alert, group.labels), `_received ${stored.received}×, last ${slackTime(stored.lastSeenAt)}_`].join('\n')));
  }
  const more = alerts.length - Math.min(alerts.length, options.limit, BLOCKS_MAX - 1);
  if (more > 0) blocks.push(context(`…and ${more} more not shown`));
  return { text: parent.text, blocks: blocks.slice(0, BLOCKS_MAX) };
}

export function silenceList(silences: readonly AlertSilence[], options: { commandPrefix: string }): MessageContent {
  if (silences.length === 0) return { text: 'No silences in force.', blocks: [section('No silences in force.')] };
  const lines = silences.map((s) => {
    const what = s.groupKey ? `group \`${escapeMrkdwn(clip(s.groupKey, 200))}\`` : labelText(s.matchers ?? {});
    return `:mute: *${s.id}* ${what} until ${slackTime(s.endsAt)} by <@${s.createdBy}>${s.reason ? ` — ${escapeMrkdwn(clip(s.reason, 200))}` : ''}`;
  });
  return {
    text: `${silences.length} silence${silences.length === 1 ? '' : 's'} in force`,
    blocks: [section(['*Silences in force*', ...lines].join('\n')), context(`\`${options.commandPrefix} alerts unsilence <id>\` removes one`)],
  };
}

/** `1h`, `4h`, `24h` as people say silences; other durations as formatDuration writes them. */
export function silenceLabel(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : formatDuration(ms);
}

const SEVERITY_ORDER = ['critical', 'page', 'high', 'error', 'major', 'warning', 'minor', 'low', 'info', 'informational', 'none'];

/** The worst severity word among the firing alerts (else all). */
function worstSeverityWord(alerts: readonly NormalizedAlert[]): string | undefined {
  const firing = alerts.filter((a) => a.status === 'firing');
  const words = (firing.length > 0 ? firing : alerts).map((a) => a.severity).filter((s): s is string => s !== undefined);
  if (words.length === 0) return undefined;
  const rank = (word: string) => {
    const i = SEVERITY_ORDER.indexOf(word.toLowerCase());
    return i < 0 ? SEVERITY_ORDER.indexOf('warning') : i;
  };
  return words.reduce((worst, word) => (rank(word) < rank(worst) ? word : worst));
}

function commonText(alerts: readonly NormalizedAlert[], pick: (a: NormalizedAlert) => string | undefined): string | undefined {
  const first = alerts[0] === undefined ? undefined : pick(alerts[0]);
  return first !== undefined && alerts.every((a) => pick(a) === first) ? first : undefined;
}
