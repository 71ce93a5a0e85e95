import type { Alert, AlertGroup } from '../alerts/alert.ts';
import type { Severity } from './taxonomy.ts';
import { severityFromAlert } from './taxonomy.ts';

/** Alerts beyond this many are summarised by count: a storm must not blow the prompt up. */
const MAX_ALERTS_SHOWN = 20;

/** Labels naming the affected service, most specific first; `job` is Prometheus's scrape job, a last resort. */
const SERVICE_LABELS = ['service', 'app_kubernetes_io_name', 'app', 'deployment', 'statefulset', 'daemonset', 'container', 'job_name', 'job'];

export function alertName(group: AlertGroup): string {
  return group.commonLabels.alertname ?? group.alerts[0]?.labels.alertname ?? 'unnamed alert';
}

/** Labels of the group, falling back to the first firing alert's for what the group does not share. */
export function groupLabels(group: AlertGroup): Record<string, string> {
  const first = group.alerts.find((a) => a.status === 'firing') ?? group.alerts[0];
  return { ...(first?.labels ?? {}), ...group.commonLabels };
}

export function groupAnnotations(group: AlertGroup): Record<string, string> {
  const first = group.alerts.find((a) => a.status === 'firing') ?? group.alerts[0];
  return { ...(first?.annotations ?? {}), ...group.commonAnnotations };
}

export function affectedService(labels: Record<string, string>): string | null {
  for (const key of SERVICE_LABELS) {
    const value = labels[key];
    if (value !== undefined && value !== '') return value;
  }
  return null;
}

/**
 * The least severity a triage may give this group: the worst of its alerts' own severities.
 * `undefined` when every alert is `severity: none` — such a group is never triaged.
 */
export function severityFloor(group: AlertGroup, customerFacing: boolean): Severity | undefined {
  const severities = (group.alerts.length > 0 ? group.alerts : [{ labels: group.commonLabels } as Alert])
    .map((alert) => severityFromAlert(alert.labels.severity ?? group.commonLabels.severity, customerFacing))
    .filter((s): s is Severity => s !== undefined);
  return severities.sort()[0];
}

/** The group as plain text for the model (the caller fences it). */
export function alertGroupText(group: AlertGroup): string {
  const lines = [`group: ${group.key}`, `common labels: ${pairs(group.commonLabels)}`];
  if (Object.keys(group.commonAnnotations).length > 0) lines.push(`common annotations: ${pairs(group.commonAnnotations)}`);
  const firing = group.alerts.filter((a) => a.status === 'firing').length;
  lines.push(`alerts: ${group.alerts.length} (${firing} firing, ${group.alerts.length - firing} resolved)`);
  for (const alert of group.alerts.slice(0, MAX_ALERTS_SHOWN)) {
    lines.push(`- ${alert.status} since ${alert.startsAt ?? 'unknown'}: labels ${pairs(alert.labels)}`);
    for (const [key, value] of Object.entries(alert.annotations)) lines.push(`  ${key}: ${value}`);
  }
  if (group.alerts.length > MAX_ALERTS_SHOWN) lines.push(`(${group.alerts.length - MAX_ALERTS_SHOWN} more alerts not shown)`);
  return lines.join('\n');
}

function pairs(record: Record<string, string>): string {
  return Object.entries(record)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}
