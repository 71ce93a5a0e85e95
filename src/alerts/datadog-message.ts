import type { AlertStatus } from './alert.ts';
import { severityFromPriority } from './severity-words.ts';

/**
 * A Datadog monitor notification's title, as its Slack integration posts it (assumed from
 * Datadog's monitor docs, no sample at hand): the monitor's transition in brackets, optionally
 * after its priority and with the triggering scope, then the monitor's name:
 *
 *   [Triggered] High CPU on api            [P1] [Triggered on {host:web-1,env:prod}] High CPU
 *   [Recovered] High CPU on api            [Warn] …   [No Data] …   [Re-Triggered] …
 *
 * Recovered → resolved; everything else still needs attention → firing. Severity: the
 * priority when given (P1 → critical …), else Datadog's own threshold names: Triggered is the
 * monitor's "critical" threshold, Warn its "warning"; No Data says nothing about severity.
 * The scope's `key:value` tags become labels.
 */
export interface DatadogTitle {
  status: AlertStatus;
  /** The transition as written: `Triggered`, `Recovered`, `No Data`… */
  transition: string;
  severity?: string;
  /** The scope's tags (`host:web-1` → host=web-1); a bare scope word is kept as `scope`. */
  labels: Record<string, string>;
  /** The monitor's name. */
  name: string;
}

const TITLE = /^\s*(?:\[(P[1-5])\]\s*)?\[(Re-?Triggered|Triggered|Recovered|Re-?Warn|Warn|Warning|Re-?No Data|No Data|Renotify)(?:\s+on\s+\{([^}]*)\})?\]\s*(.+)$/i;

export function parseDatadogTitle(line: string): DatadogTitle | undefined {
  const match = TITLE.exec(line);
  if (match === null) return undefined;
  const [, priority, transition = '', scope, rest = ''] = match;
  const name = rest.trim();
  const word = transition.toLowerCase().replace(/^re-?(?=triggered|warn|no data)/, '');
  const status: AlertStatus = word === 'recovered' ? 'resolved' : 'firing';
  const title: DatadogTitle = { status, transition, labels: scopeLabels(scope ?? ''), name };
  const severity = priority !== undefined ? severityFromPriority(Number(priority.slice(1))) : word === 'triggered' ? 'critical' : word.startsWith('warn') ? 'warning' : undefined;
  if (severity !== undefined) title.severity = severity;
  return title;
}

function scopeLabels(scope: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of scope.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = part.indexOf(':');
    if (at > 0) labels[part.slice(0, at).trim()] = part.slice(at + 1).trim();
    else labels.scope = labels.scope === undefined ? part : `${labels.scope},${part}`;
  }
  return labels;
}
