/**
 * One alert as every source (Alertmanager and Grafana webhooks, alert-channel messages) is turned
 * into: Alertmanager's own model, since the other sources are shaped after it.
 */
export interface Alert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ISO 8601. */
  startsAt?: string;
  endsAt?: string;
  /** Where the alert came from (a Prometheus graph URL); a Prometheus query tool may use its host. */
  generatorURL?: string;
  fingerprint?: string;
}

/** Alerts grouped by their grouping labels (issue 7); triage works on a group. */
export interface AlertGroup {
  /** Stable id of the group, e.g. `{alertname="KubePodCrashLooping",namespace="shop"}`. */
  key: string;
  /** Labels every alert of the group shares. */
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  alerts: Alert[];
}
