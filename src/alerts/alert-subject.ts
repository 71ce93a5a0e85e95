import type { AlertStatus } from './alert.ts';

/**
 * The subject line Alertmanager's default templates (and Grafana's, same shape) put in a Slack
 * attachment's title, as default.tmpl's `__subject` writes it:
 *
 *   [{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}]
 *   {{ .GroupLabels.SortedPairs.Values | join " " }}
 *   {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}){{ end }}
 *
 * e.g. `[FIRING:2] InstanceDown (api prod)`, `[RESOLVED] InstanceDown (api prod)`. Values only,
 * no label names: what is certain is the status, the firing count and the values; the first group
 * value is taken as the alertname (with the usual group_by, `alertname` sorts first).
 */
export interface AlertSubject {
  status: AlertStatus;
  /** The `2` of `[FIRING:2]`; absent on `[RESOLVED]`. */
  firing?: number;
  /** Values of the group labels, sorted by label name. */
  groupValues: string[];
  /** Values of the other common labels (the parenthesised part), sorted by label name. */
  commonValues: string[];
  /** The title after the status, as written. */
  rest: string;
}

const SUBJECT = /^\s*\[(FIRING|RESOLVED)(?::(\d+))?\]\s*(.*)$/is;

export function parseAlertSubject(line: string): AlertSubject | undefined {
  const match = SUBJECT.exec(line);
  if (match === null) return undefined;
  const [, status = '', firing, rest = ''] = match;
  const tail = rest.trim();
  // The common values are the last parenthesised part; group values may themselves hold parentheses.
  // String search, not a regex: the title is untrusted text and must not make matching backtrack.
  const open = tail.endsWith(')') ? tail.lastIndexOf('(') : -1;
  const inner = open >= 0 ? tail.slice(open + 1, -1) : '';
  const parens = open >= 0 && !inner.includes(')');
  const groupPart = parens ? tail.slice(0, open) : tail;
  const commonPart = parens ? inner : '';
  const subject: AlertSubject = {
    status: status.toLowerCase() === 'firing' ? 'firing' : 'resolved',
    groupValues: words(groupPart),
    commonValues: words(commonPart),
    rest: tail,
  };
  if (firing !== undefined) subject.firing = Number(firing);
  return subject;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}
