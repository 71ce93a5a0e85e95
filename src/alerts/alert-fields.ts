import type { Alert, AlertFormat, AlertSource, NormalizedAlert } from './alert.ts';
import { labelsFingerprint } from './fingerprint.ts';
import { alertService } from '../workflows/playbook-match.ts';

/** What an alert is called when neither a label nor the message names it (as agents/alert-text.ts says it). */
export const UNNAMED_ALERT = 'unnamed alert';

/** Labels naming the alert's namespace and pod, first present wins (`pod_name`: cAdvisor before Kubernetes 1.16). */
const NAMESPACE_LABELS = ['namespace', 'kubernetes_namespace', 'exported_namespace'];
const POD_LABELS = ['pod', 'pod_name', 'kubernetes_pod_name', 'exported_pod'];
/** kube-prometheus' older rules carry their text in `message`. */
const DESCRIPTION_ANNOTATIONS = ['description', 'message'];
const RUNBOOK_ANNOTATIONS = ['runbook_url', 'runbook', 'runbookURL', 'runbook_URL'];

/** An Alert and where it came from; normalizeAlert picks out the rest. */
export interface AlertParts extends Alert {
  source: AlertSource;
  format: AlertFormat;
}

/**
 * The NormalizedAlert for an Alert: name, severity, service / namespace / pod, summary,
 * description and runbook picked out of its labels and annotations; the fingerprint is the
 * source's or labelsFingerprint. Fields given in `parts` (a parser that knows better) win.
 */
export function normalizeAlert(parts: AlertParts & Partial<NormalizedAlert>): NormalizedAlert {
  const { labels, annotations } = parts;
  const alert: NormalizedAlert = {
    ...parts,
    name: parts.name ?? nonEmpty(labels.alertname) ?? UNNAMED_ALERT,
    fingerprint: nonEmpty(parts.fingerprint) ?? labelsFingerprint(labels),
  };
  setIfPresent(alert, 'severity', parts.severity ?? nonEmpty(labels.severity?.trim()));
  setIfPresent(alert, 'service', parts.service ?? alertService(labels)?.name);
  setIfPresent(alert, 'namespace', parts.namespace ?? first(labels, NAMESPACE_LABELS));
  setIfPresent(alert, 'pod', parts.pod ?? first(labels, POD_LABELS));
  setIfPresent(alert, 'summary', parts.summary ?? nonEmpty(annotations.summary));
  setIfPresent(alert, 'description', parts.description ?? first(annotations, DESCRIPTION_ANNOTATIONS));
  setIfPresent(alert, 'runbookURL', parts.runbookURL ?? webUrl(first(annotations, RUNBOOK_ANNOTATIONS)));
  // Parsers pass optional fields they did not find as undefined; stored and compared alerts carry no such keys.
  for (const [key, value] of Object.entries(alert)) if (value === undefined) delete (alert as unknown as Record<string, unknown>)[key];
  return alert;
}

/**
 * A timestamp as ISO 8601 (UTC, milliseconds), or undefined for Go's zero time
 * (`0001-01-01T00:00:00Z`, Alertmanager's "no end yet") and for anything that is not a date —
 * which also adds a warning.
 */
export function isoTime(value: unknown, path: string, warnings: string[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    warnings.push(`${path}: ${JSON.stringify(value)} is not a timestamp; ignored`);
    return undefined;
  }
  if (new Date(ms).getUTCFullYear() <= 1) return undefined;
  return new Date(ms).toISOString();
}

/**
 * A JSON object of strings (labels, annotations). Numbers and booleans are kept as text; other
 * values are dropped; each with a warning. Not an object at all: empty, with a warning.
 */
export function stringRecord(value: unknown, path: string, warnings: string[], required: boolean): Record<string, string> {
  if (value === undefined || value === null) {
    if (required) warnings.push(`${path}: missing`);
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    warnings.push(`${path}: expected an object of strings, got ${describe(value)}; ignored`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') out[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') {
      out[key] = String(item);
      warnings.push(`${path}.${key}: ${describe(item)} kept as text`);
    } else warnings.push(`${path}.${key}: expected a string, got ${describe(item)}; dropped`);
  }
  return out;
}

export function optionalString(value: unknown, path: string, warnings: string[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  warnings.push(`${path}: expected a string, got ${describe(value)}; ignored`);
  return undefined;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Only http(s) URLs: a `runbook` annotation may be prose, and a link is shown as one. */
export function webUrl(value: string | undefined): string | undefined {
  return value !== undefined && /^https?:\/\/\S+$/i.test(value.trim()) ? value.trim() : undefined;
}

function first(record: Readonly<Record<string, string>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = nonEmpty(record[name]);
    if (value !== undefined) return value;
  }
  return undefined;
}

function setIfPresent<K extends keyof NormalizedAlert>(alert: NormalizedAlert, key: K, value: NormalizedAlert[K] | undefined): void {
  if (value !== undefined) alert[key] = value;
}
