import { alertService } from '../workflows/playbook-match.ts';

/** Alerts of one alertname, service and namespace form one group unless opsbot.yaml says otherwise. */
export const DEFAULT_GROUP_BY: readonly string[] = ['alertname', 'service', 'namespace'];

/** In group_by, Alertmanager's `...` groups by every label: each distinct alert is its own group. */
export const GROUP_BY_ALL = '...';

/**
 * The labels an alert is grouped by. `service` is the alert's service by SERVICE_LABELS (service,
 * app, app_kubernetes_io_name, deployment, job; first present), so `app="api"` and `service="api"`
 * land in the same group; every other name is the label itself. A label the alert lacks is left
 * out, as Alertmanager does: alerts lacking it all group together.
 */
export function groupLabelsOf(labels: Readonly<Record<string, string>>, groupBy: readonly string[] = DEFAULT_GROUP_BY): Record<string, string> {
  if (groupBy.includes(GROUP_BY_ALL)) return { ...labels };
  const out: Record<string, string> = {};
  for (const name of groupBy) {
    const value = name === 'service' ? alertService(labels)?.name : labels[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** `{alertname="X",namespace="shop",service="api"}`: the group's labels, sorted, as Prometheus writes a label set. */
export function groupKey(labels: Readonly<Record<string, string>>, groupBy: readonly string[] = DEFAULT_GROUP_BY): string {
  return formatLabelSet(groupLabelsOf(labels, groupBy));
}

/** A label set in PromQL's notation, names sorted, values escaped as Prometheus escapes them. */
export function formatLabelSet(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((name) => `${name}=${JSON.stringify(labels[name] ?? '')}`).join(',')}}`;
}
