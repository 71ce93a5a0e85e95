import type { AlertFormat, AlertStatus, NormalizedAlert } from './alert.ts';
import { normalizeAlert, UNNAMED_ALERT } from './alert-fields.ts';
import { labelsFingerprint } from './fingerprint.ts';
import { severityFromText } from './severity-words.ts';
import { clip, slackToPlain, stripMrkdwn } from './slack-text.ts';

/**
 * Any text as an alert: a person's "checkout is down in prod", an unknown bot's post. Never
 * refused (an alert nobody could parse is still an alert); only empty text gives none.
 *
 * - name: the first line with text, without status markers (`[FIRING]`, `RESOLVED:`, `[OK]`),
 *   priority tags, emoji or mentions; so "Resolved: X" names the same alert as "X";
 * - status: resolved when the text says resolved / recovered / cleared / back to normal / `OK`
 *   (upper case: "ok" is a word in sentences), else firing;
 * - severity: severityFromText;
 * - labels: `alertname` (the name), `severity` when found, and `name: value` / `name=value` for
 *   the labels opsbot groups and acts by (namespace, service, app, pod, deployment, …);
 * - fingerprint: over those labels except severity, which a resolution usually does not repeat.
 */
export interface TextAlertHints {
  /** A status the caller read elsewhere (a Slack attachment's colour). */
  status?: AlertStatus;
  /** When it was posted (ISO): startsAt, or endsAt for a resolution. */
  at?: string;
  format?: AlertFormat;
}

const KNOWN_LABELS = ['namespace', 'service', 'app', 'pod', 'deployment', 'statefulset', 'daemonset', 'job', 'instance', 'cluster', 'env', 'environment', 'node', 'container'];
const LABEL_PAIR = new RegExp(`(?:^|[\\s,;({\\[])(${KNOWN_LABELS.join('|')})\\s*[:=]\\s*[\`"']?([A-Za-z0-9][\\w.\\-/:]*)`, 'gi');
const RESOLVED_WORDS = /\b(?:resolved|recovered|cleared)\b|\bback to normal\b/i;
const RESOLVED_MARKS = /\[OK\]|\bOK\b|:white_check_mark:|:large_green_circle:/;
const NOT_RESOLVED = /\b(?:not|un|never)[\s-]*(?:yet\s+)?(?:resolved|recovered|cleared)\b/i;
const LEADING_MARKERS = /^(?:\s*(?:\[[^\]]{0,40}\]|\(?(?:FIRING|RESOLVED|ALERT|ALARM|OK|TRIGGERED|RECOVERED|WARNING|CRITICAL|P[1-5]|SEV-?[1-5])\)?\s*[:\-–—|]))\s*/i;

export const MAX_NAME_CHARS = 120;
export const MAX_TEXT_CHARS = 4000;

export function parseTextAlert(text: string, hints: TextAlertHints = {}): NormalizedAlert | undefined {
  const plain = slackToPlain(text).replace(/\r\n?/g, '\n');
  const lines = plain.split('\n').map((line) => line.trim()).filter((line) => stripMrkdwn(line) !== '');
  const firstIndex = lines.findIndex((line) => nameOf(line) !== '');
  if (firstIndex < 0) return undefined;
  const first = lines[firstIndex] ?? '';
  const name = clip(nameOf(first), MAX_NAME_CHARS) || UNNAMED_ALERT;

  const status = hints.status ?? ((RESOLVED_WORDS.test(plain) && !NOT_RESOLVED.test(plain)) || RESOLVED_MARKS.test(plain) ? 'resolved' : 'firing');
  const severity = severityFromText(plain);
  const found = labelsIn(plain);
  const identity = { ...found, alertname: name };
  const labels = severity === undefined ? identity : { ...identity, severity };
  const rest = lines.slice(firstIndex + 1).join('\n');

  return normalizeAlert({
    source: 'slack',
    format: hints.format ?? 'text',
    status,
    labels,
    annotations: {},
    name,
    summary: clip(stripMrkdwn(first), MAX_TEXT_CHARS),
    description: rest === '' ? undefined : clip(rest, MAX_TEXT_CHARS),
    startsAt: status === 'firing' ? hints.at : undefined,
    endsAt: status === 'resolved' ? hints.at : undefined,
    fingerprint: labelsFingerprint(identity),
  });
}

/** The line without status markers, mentions, emoji and emphasis. */
function nameOf(line: string): string {
  let name = stripMrkdwn(line).replace(/^@\S+\s*/, '');
  for (let i = 0; i < 4; i++) {
    const next = name.replace(LEADING_MARKERS, '');
    if (next === name) break;
    name = next;
  }
  return trimPunctuation(name);
}

/** Spaces and `: - – — |` off both ends; a loop, since an end-anchored regex rescans long runs from every start. */
function trimPunctuation(text: string): string {
  const edge = (c: string | undefined) => c !== undefined && (/\s/.test(c) || ':-–—|'.includes(c));
  let start = 0;
  let end = text.length;
  while (start < end && edge(text[start])) start++;
  while (end > start && edge(text[end - 1])) end--;
  return text.slice(start, end);
}

function labelsIn(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(LABEL_PAIR)) {
    const name = (match[1] ?? '').toLowerCase();
    let value = match[2] ?? '';
    // A sentence's full stop or a list's comma is not part of the value.
    while (value !== '' && '.:,'.includes(value.at(-1) ?? '')) value = value.slice(0, -1);
    if (value !== '' && labels[name] === undefined) labels[name] = value;
  }
  return labels;
}
