import type { AlertStatus } from './alert.ts';

/**
 * Alerts listed in a message's text, by the templates that list them:
 *
 * - Alertmanager's `__text_alert_list` (and its markdown twin) under `Alerts Firing:` /
 *   `Alerts Resolved:`, and Grafana's `default.message` under `**Firing**` / `**Resolved**`:
 *   `Labels:` then ` - name = value` lines, `Annotations:` likewise, `Source: <url>`; Grafana adds
 *   `Value: …` before the labels and `Silence:` / `Dashboard:` / `Panel:` links after.
 * - The much-copied Slack template `*Alert:* <summary> - \`<severity>\`` / `*Description:* …` /
 *   `*Details:*` then ` • *name:* \`value\`` lines.
 * - `summary: …` / `description: …` lines, as docs/notification_examples.md writes the group's
 *   common annotations into the text: these describe the whole message (`loose`), not one alert.
 *
 * The text comes in plain (slackToPlain with URLs kept).
 */
export interface ListedAlert {
  /** The section it was listed under; absent when the template has no sections. */
  status?: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** From an `*Alert:*` line: its summary, without the severity. */
  summary?: string;
  severity?: string;
  generatorURL?: string;
  silenceURL?: string;
  dashboardURL?: string;
  panelURL?: string;
  value?: string;
}

export interface AlertListText {
  alerts: ListedAlert[];
  /** Annotations written for the whole message (`summary: …`). */
  loose: Record<string, string>;
}

/** Matched against the line with whitespace collapsed: adjacent optional spaces in a regex backtrack on long runs. */
const SECTION = /^(?:#+ ?)?\*{0,2}(?:Alerts )?(Firing|Resolved):?\*{0,2}:?$/i;
const PAIR = /^\s*[-•]\s+([A-Za-z_][\w.-]*)\s*=\s?(.*)$/;
const LINK = /^\s*(Source|Silence|Dashboard|Panel):\s*(\S*)\s*$/i;
const ALERT_LINE = /^\s*\*?Alert:\*?\s*(.*)$/;
const DESCRIPTION_LINE = /^\s*\*?Description:\*?\s*(.*)$/;
const DETAILS_LINE = /^\s*\*?Details:\*?\s*$/;
const DETAIL = /^\s*[•\-*]\s*\*?([A-Za-z_][\w.-]*):\*?(.*)$/;
const LOOSE = /^\s*(summary|description|runbook_url|runbook)\s*:\s*(.+)$/i;

type Mode = 'labels' | 'annotations' | 'details' | undefined;

const MAX_LINE_CHARS = 4000;

export function parseAlertListText(text: string): AlertListText {
  const alerts: ListedAlert[] = [];
  const loose: Record<string, string> = {};
  let section: AlertStatus | undefined;
  let current: ListedAlert | undefined;
  let mode: Mode;
  let pendingValue: string | undefined;

  const close = () => {
    if (current !== undefined && (Object.keys(current.labels).length > 0 || current.summary !== undefined)) alerts.push(current);
    current = undefined;
    mode = undefined;
  };
  const open = (): ListedAlert => {
    close();
    const alert: ListedAlert = { labels: {}, annotations: {} };
    if (section !== undefined) alert.status = section;
    if (pendingValue !== undefined) alert.value = pendingValue;
    pendingValue = undefined;
    current = alert;
    return alert;
  };

  for (const rawLine of text.split('\n')) {
    // Untrusted text: long lines are cut before any regex sees them.
    const line = rawLine.slice(0, MAX_LINE_CHARS);
    let match: RegExpExecArray | null;
    if ((match = SECTION.exec(line.replace(/\s+/g, ' ').trim()))) {
      close();
      section = match[1]?.toLowerCase() === 'firing' ? 'firing' : 'resolved';
    } else if (/^\s*Value:\s*/i.test(line)) {
      pendingValue = line.replace(/^\s*Value:\s*/i, '').trim() || undefined;
    } else if (/^\s*Labels:\s*$/i.test(line)) {
      open();
      mode = 'labels';
    } else if (/^\s*Annotations:\s*$/i.test(line)) {
      if (current === undefined) open();
      mode = 'annotations';
    } else if ((mode === 'labels' || mode === 'annotations') && (match = PAIR.exec(line)) && current !== undefined) {
      const [, name = '', value = ''] = match;
      if (mode === 'labels') current.labels[name] = value.trim();
      else current.annotations[name] = value.trim();
    } else if ((match = LINK.exec(line)) && current !== undefined) {
      const [, kind = '', url = ''] = match;
      if (url !== '') {
        const key = ({ source: 'generatorURL', silence: 'silenceURL', dashboard: 'dashboardURL', panel: 'panelURL' } as const)[kind.toLowerCase() as 'source'];
        current[key] = url;
      }
      mode = undefined;
    } else if ((match = ALERT_LINE.exec(line))) {
      const alert = open();
      const { summary, severity } = splitSeverity((match[1] ?? '').trim());
      alert.summary = summary;
      if (severity !== undefined) alert.severity = severity;
    } else if ((match = DESCRIPTION_LINE.exec(line)) && current !== undefined) {
      current.annotations.description = (match[1] ?? '').trim();
    } else if (DETAILS_LINE.test(line) && current !== undefined) {
      mode = 'details';
    } else if (mode === 'details' && (match = DETAIL.exec(line)) && current !== undefined) {
      current.labels[match[1] ?? ''] = unquote((match[2] ?? '').trim());
    } else if (current === undefined && (match = LOOSE.exec(line))) {
      loose[(match[1] ?? '').toLowerCase()] = (match[2] ?? '').trim();
    }
  }
  close();
  return { alerts, loose };
}

/** `summary - \`severity\`` → both; without the suffix, all of it is the summary. */
function splitSeverity(body: string): { summary: string; severity?: string } {
  const close = body.length - 1;
  const open = body.endsWith('`') ? body.lastIndexOf('`', close - 1) : -1;
  const before = open > 0 ? body.slice(0, open).trimEnd() : '';
  const severity = open > 0 ? body.slice(open + 1, close).trim() : '';
  if (severity === '' || !before.endsWith(' -')) return { summary: body };
  return { summary: before.slice(0, -2).trim(), severity };
}

/** `\`value\`` → value. */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('`') && value.endsWith('`') ? value.slice(1, -1).trim() : value;
}
