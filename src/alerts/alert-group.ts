import type { Alert, AlertGroup } from './alert.ts';

/** The AlertGroup agents and playbook matching read: common labels / annotations are those every alert has with the same value. */
export function toAlertGroup<A extends Alert>(key: string, alerts: readonly A[]): AlertGroup {
  return { key, commonLabels: common(alerts, 'labels'), commonAnnotations: common(alerts, 'annotations'), alerts: [...alerts] };
}

function common(alerts: readonly Alert[], field: 'labels' | 'annotations'): Record<string, string> {
  const [first, ...rest] = alerts;
  if (first === undefined) return {};
  return Object.fromEntries(Object.entries(first[field]).filter(([name, value]) => rest.every((alert) => alert[field][name] === value)));
}
