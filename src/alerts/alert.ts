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

// ── Normalized alerts (issue 7, added): what every intake parser returns ──────────────────────

export type AlertStatus = Alert['status'];

/** Where an alert came in: a webhook, or a message in an alert channel. */
export type AlertSource = 'alertmanager' | 'grafana' | 'slack';

/** Which shape the parser recognised; for logs and tests (a Slack post may come from Alertmanager, Grafana, Datadog or a person). */
export type AlertFormat =
  | 'alertmanager-webhook'
  | 'grafana-webhook'
  | 'alertmanager-slack'
  | 'grafana-slack'
  | 'datadog-slack'
  | 'text';

/**
 * One alert, whatever its source. It is an Alert (labels, annotations, status, generatorURL stay
 * the source's own, so agents and playbook matching read it unchanged) plus the fields opsbot
 * reads everywhere, picked out once here.
 */
export interface NormalizedAlert extends Alert {
  source: AlertSource;
  format: AlertFormat;
  /** `alertname`, or what the message called it; `unnamed alert` when nothing did. */
  name: string;
  /** The alert's own severity word (`critical`, `warning`, `none`…), as sent; see agents/taxonomy severityFromAlert. */
  severity?: string;
  /** By SERVICE_LABELS (service, app, app_kubernetes_io_name, deployment, job). */
  service?: string;
  namespace?: string;
  pod?: string;
  summary?: string;
  description?: string;
  runbookURL?: string;
  /** Always set: the source's fingerprint, else labelsFingerprint (see fingerprint.ts). */
  fingerprint: string;
  /** Where the sender shows it: Alertmanager's or Grafana's UI, a Slack attachment's title link. */
  externalURL?: string;
  /** Grafana's extras. */
  dashboardURL?: string;
  panelURL?: string;
  silenceURL?: string;
  /** The value that crossed the threshold as the source wrote it (Grafana's valueString / values). */
  value?: string;
  /**
   * Label values without their names: Alertmanager's default Slack title lists the group's label
   * values, not keys (`[FIRING:2] InstanceDown (api prod)` → `api`, `prod`). Part of the fingerprint.
   */
  unkeyedLabelValues?: string[];
  /** How many alerts the source folded into this one (the `2` of `[FIRING:2]` when the message lists none of them). */
  count?: number;
}

/** The webhook body's group-level fields (Alertmanager's template data), for the handler's log and reply. */
export interface WebhookMeta {
  version?: string;
  receiver?: string;
  status?: AlertStatus;
  groupKey?: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL?: string;
  truncatedAlerts?: number;
  /** Grafana only. */
  orgId?: number;
  title?: string;
  state?: string;
  message?: string;
}

/**
 * A webhook body parsed. `ok: false` only when the body is not the format at all (the handler
 * answers 400 with `error`); a usable body with missing or odd fields is accepted and every
 * assumption made is listed in `warnings` (`alerts[0].labels.alertname: missing, …`) for one log line.
 */
export type WebhookParseResult =
  | { ok: true; alerts: NormalizedAlert[]; warnings: string[]; meta: WebhookMeta }
  | { ok: false; error: string };
