/**
 * Offline postmortem writer: a draft built only from the incident record and its timeline, in
 * the same schema as the LLM writer. It quotes, orders and measures; it never explains. Where
 * the record is silent (no cause noted, no summary, not resolved) the draft says "fill in" and
 * the answer is marked thin.
 */
import { createRedactor } from '../../redact.ts';
import type { PostmortemOutput } from '../output-schemas.ts';

export interface PostmortemIncident {
  id: string;
  title: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  service: string | null;
  commander: string | null;
  declaredAt: number;
  acknowledgedAt: number | null;
  mitigatedAt: number | null;
  resolvedAt: number | null;
  summary: string | null;
}

export interface TimelineEntry {
  /** Epoch milliseconds. */
  at: number;
  who: string | null;
  /** 'declared' | 'status' | 'severity' | 'role' | 'note' | 'alert' | 'workflow' | 'approval' | 'resolved' | … */
  kind: string;
  text: string;
}

export interface PostmortemInput {
  incident: PostmortemIncident;
  timeline: TimelineEntry[];
}

export interface PostmortemOptions {
  /** Applied to every piece of recorded text before it lands in the draft; defaults to the known token shapes. */
  redact?: (s: string) => string;
}

export interface TemplatePostmortem {
  output: PostmortemOutput;
  thin: boolean;
  /** What the record lacked, one line each, for the reply's footer. */
  notes: string[];
}

export const FILL_IN = 'not recorded — fill in';

// A note counts as naming a cause only when it says so; anything else stays in the narrative.
const CAUSE_WORDS = /\b(?:root cause|caused?|causes|because|due to|triggered by|contribut\w*|regression|culprit|introduced|misconfigur\w*)\b/i;
const FOLLOW_UP = /\bTODO\b|\bfollow[- ]?ups?\b|\baction(?: item)?s?\s*:/i;
const FOLLOW_UP_PREFIX = /^\s*(?:TODO|follow[- ]?ups?|action(?: item)?s?)\s*[:-]?\s*/i;
// Slack mention (<@U123> or <@U123|name>) or a plain @handle: the owner the note itself names.
const MENTION = /<@([A-Z0-9]+)(?:\|[^>]*)?>|(?<![\w.])@([\w.-]+)/;

export function templatePostmortem(input: PostmortemInput, options: PostmortemOptions = {}): TemplatePostmortem {
  const redact = options.redact ?? createRedactor([]).redactString;
  const { incident } = input;
  const timeline = ordered(input.timeline);
  const withDate = spansDays(input);
  const notes: string[] = [];

  const text = (s: string) => redact(oneLine(s));
  const recordedSummary = incident.summary?.trim() ? text(incident.summary) : null;
  if (!recordedSummary) notes.push('No incident summary was recorded; the summary only restates the title.');
  if (incident.resolvedAt === null) notes.push('The incident has no resolution time, so the durations are incomplete.');
  if (timeline.length === 0) notes.push("The timeline is empty; the narrative only has the incident's own timestamps.");

  const lasted = incident.resolvedAt === null ? 'not resolved yet' : `resolved after ${formatDuration(incident.resolvedAt - incident.declaredAt)}`;
  const summary =
    `${text(incident.title)}: ${incident.severity} incident${incident.service ? ` on ${text(incident.service)}` : ''}, ` +
    `declared ${at(incident.declaredAt, true)} UTC, ${lasted}.` +
    (recordedSummary ? ` ${recordedSummary}` : ` Summary ${FILL_IN}.`);

  const factors: string[] = [];
  const seenAlerts = new Set<string>();
  for (const entry of timeline) {
    if (entry.kind === 'alert') {
      const alert = text(entry.text);
      if (seenAlerts.has(alert)) continue;
      seenAlerts.add(alert);
      factors.push(`Alert at ${at(entry.at, withDate)} UTC: ${alert}`);
    }
  }
  const causeNotes = timeline.filter((e) => e.kind === 'note' && CAUSE_WORDS.test(e.text));
  for (const entry of causeNotes) factors.push(`Noted${entry.who ? ` by ${text(entry.who)}` : ''} at ${at(entry.at, withDate)} UTC: "${text(entry.text)}"`);
  if (causeNotes.length === 0) {
    factors.push(`Cause ${FILL_IN}: what made this happen and what made it worse. The timeline names no cause, and this draft does not guess.`);
    notes.push('No note in the timeline names a cause; contributing factors are a placeholder.');
  }

  const actionItems: PostmortemOutput['actionItems'] = timeline
    .filter((e) => e.kind === 'note' && FOLLOW_UP.test(e.text))
    .map((e) => ({ action: text(e.text.replace(FOLLOW_UP_PREFIX, '')), owner: mentionedOwner(e.text) }));
  actionItems.push(
    { action: 'Fill in: a fix or guard for each contributing factor (owner needed).', owner: null },
    { action: 'Fill in: what would have detected or mitigated this sooner (owner needed).', owner: null },
  );

  return {
    output: {
      summary,
      impact: impact(incident, text),
      narrative: narrative(input, redact),
      contributingFactors: factors,
      actionItems,
    },
    thin: notes.length > 0,
    notes,
  };
}

/** The draft as a Markdown file: what gets posted to the incident channel. */
export function postmortemMarkdown(input: PostmortemInput, output: PostmortemOutput, options: PostmortemOptions = {}): string {
  const redact = options.redact ?? createRedactor([]).redactString;
  const text = (s: string) => redact(oneLine(s));
  const { incident } = input;
  const withDate = spansDays(input);
  const milestone = (label: string, ms: number | null) =>
    ms === null ? `**${label}:** ${incident.resolvedAt === null && label === 'Resolved' ? 'not yet' : 'not recorded'}` : `**${label}:** ${at(ms, true)} UTC${ms === incident.declaredAt ? '' : ` (after ${formatDuration(ms - incident.declaredAt)})`}`;

  const lines = [
    `# Postmortem: ${text(incident.title)}`,
    '',
    `- **Incident:** ${text(incident.id)} · **Severity:** ${incident.severity} · **Service:** ${incident.service ? text(incident.service) : '_not recorded_'} · **Commander:** ${incident.commander ? text(incident.commander) : '_not assigned_'}`,
    `- ${milestone('Declared', incident.declaredAt)} · ${milestone('Acknowledged', incident.acknowledgedAt)} · ${milestone('Mitigated', incident.mitigatedAt)} · ${milestone('Resolved', incident.resolvedAt)}`,
    '',
    '## Summary',
    '',
    text(output.summary),
    '',
    '## Impact',
    '',
    text(output.impact),
    '',
    '## Timeline',
    '',
  ];
  // The template's own narrative is the table below in prose; an LLM's narrative adds to it.
  if (output.narrative.trim() !== narrative(input, redact).trim()) lines.push(...output.narrative.split('\n').map(redact), '');
  const timeline = ordered(input.timeline);
  if (timeline.length === 0) lines.push('_No events were recorded._');
  else {
    lines.push(`| Time (UTC) | Who | Event | Details |`, '|---|---|---|---|');
    for (const e of timeline) lines.push(`| ${at(e.at, withDate)} | ${cell(e.who ? text(e.who) : '')} | ${cell(text(e.kind))} | ${cell(text(e.text))} |`);
  }
  lines.push('', '## Contributing factors', '');
  lines.push(...(output.contributingFactors.length > 0 ? output.contributingFactors.map((f) => `- ${text(f)}`) : [`- ${FILL_IN}`]));
  lines.push('', '## Action items', '');
  lines.push(...output.actionItems.map((a) => `- [ ] ${text(a.action)} — owner: ${a.owner ? text(a.owner) : '_needed_'}`));
  return `${lines.join('\n')}\n`;
}

/** "45s", "4m", "1h 23m", "2d 3h": precise enough for a postmortem, short enough for a table. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

function impact(incident: PostmortemIncident, text: (s: string) => string): string {
  const since = (ms: number | null, none: string) => (ms === null ? none : formatDuration(ms - incident.declaredAt));
  const where = incident.service ? `on ${text(incident.service)}` : 'on a service that was not recorded';
  const span =
    incident.resolvedAt === null
      ? `It has no resolution time yet (declared ${at(incident.declaredAt, true)} UTC).`
      : `It lasted ${formatDuration(incident.resolvedAt - incident.declaredAt)}, from declaration at ${at(incident.declaredAt, true)} UTC to resolution at ${at(incident.resolvedAt, true)} UTC.`;
  return (
    `${incident.severity} incident ${where}. ${span} ` +
    `Time to acknowledge: ${since(incident.acknowledgedAt, 'not acknowledged')}; ` +
    `time to mitigate: ${since(incident.mitigatedAt, 'not recorded')}; ` +
    `time to resolve: ${since(incident.resolvedAt, 'not resolved')}. ` +
    `Who was affected and how: ${FILL_IN}.`
  );
}

function narrative(input: PostmortemInput, redact: (s: string) => string): string {
  const { incident } = input;
  const timeline = ordered(input.timeline);
  const withDate = spansDays(input);
  if (timeline.length === 0) {
    const milestones: Array<[string, number | null]> = [
      ['Declared', incident.declaredAt],
      ['Acknowledged', incident.acknowledgedAt],
      ['Mitigated', incident.mitigatedAt],
      ['Resolved', incident.resolvedAt],
    ];
    const known = milestones.filter((m): m is [string, number] => m[1] !== null);
    return ['No timeline events were recorded. Times UTC.', ...known.map(([label, ms]) => `${at(ms, withDate)} — ${label}.`)].join('\n');
  }
  return [
    `Times UTC${withDate ? '' : `, on ${at(timeline[0]?.at ?? incident.declaredAt, true).slice(0, 10)}`}.`,
    ...timeline.map((e) => `${at(e.at, withDate)} — ${e.who ? `${redact(oneLine(e.who))} ` : ''}[${redact(oneLine(e.kind))}] ${redact(oneLine(e.text))}`),
  ].join('\n');
}

function ordered(timeline: TimelineEntry[]): TimelineEntry[] {
  // Array.prototype.sort is stable: same-millisecond events keep the order they were stored in.
  return [...timeline].sort((a, b) => a.at - b.at);
}

function spansDays(input: PostmortemInput): boolean {
  const { incident } = input;
  const times = [incident.declaredAt, incident.acknowledgedAt, incident.mitigatedAt, incident.resolvedAt, ...input.timeline.map((e) => e.at)];
  return new Set(times.filter((t): t is number => t !== null).map((t) => isoDate(t))).size > 1;
}

/** "14:02", or "2024-05-01 14:02" when the incident crosses midnight UTC. */
function at(ms: number, withDate: boolean): string {
  const iso = new Date(ms).toISOString();
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function mentionedOwner(text: string): string | null {
  const m = MENTION.exec(text);
  if (!m) return null;
  return m[1] !== undefined ? `<@${m[1]}>` : `@${m[2] ?? ''}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}
