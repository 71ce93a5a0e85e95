import type { AlertFormat, AlertSource, AlertStatus, NormalizedAlert, WebhookMeta, WebhookParseResult } from './alert.ts';
import { describe, isoTime, nonEmpty, normalizeAlert, optionalString, stringRecord, UNNAMED_ALERT } from './alert-fields.ts';
import { labelsFingerprint } from './fingerprint.ts';

/**
 * The body Alertmanager's webhook receiver posts (version 4), which Grafana's webhook contact
 * point extends: the group's fields, then `alerts[]` with status, labels, annotations, startsAt,
 * endsAt, generatorURL and fingerprint. https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 *
 * Lenient by design: whatever can be read as an alert is accepted (a lost alert is worse than an
 * odd one), and each assumption is a warning. Refused only when the body is not this format.
 */

export interface WebhookBodyFormat {
  source: AlertSource;
  format: AlertFormat;
  /** `version` values accepted, as text ("4"); a body naming another is refused. */
  versions: readonly string[];
  /** What the body should have been, for messages: `an Alertmanager webhook body (version 4)`. */
  what: string;
  /** Fields of one raw alert beyond Alertmanager's (Grafana's URLs and values). */
  extraFields?: (raw: Record<string, unknown>, path: string, warnings: string[]) => Partial<NormalizedAlert>;
  /** Group-level fields beyond Alertmanager's. */
  extraMeta?: (body: Record<string, unknown>, warnings: string[]) => Partial<WebhookMeta>;
}

const STATUSES: readonly string[] = ['firing', 'resolved'] satisfies AlertStatus[];

export function parseWebhookBody(body: unknown, format: WebhookBodyFormat): WebhookParseResult {
  if (!isObject(body)) return { ok: false, error: `not ${format.what}: expected a JSON object, got ${describe(body)}` };
  const rawVersion = body.version;
  const version = typeof rawVersion === 'string' || typeof rawVersion === 'number' ? String(rawVersion) : undefined;
  if (version !== undefined && !format.versions.includes(version)) {
    return { ok: false, error: `not ${format.what}: version ${JSON.stringify(rawVersion)} is not supported` };
  }
  if (!Array.isArray(body.alerts)) {
    return { ok: false, error: `not ${format.what}: ${body.alerts === undefined ? 'no "alerts" array' : `"alerts" is ${describe(body.alerts)}, not an array`}` };
  }

  const warnings: string[] = [];
  if (rawVersion === undefined) warnings.push(`version: missing; read as ${format.what}`);
  else if (version === undefined) warnings.push(`version: ${describe(rawVersion)} is not a version; read as ${format.what}`);
  const meta = readMeta(body, version, warnings, format);
  if (body.alerts.length === 0) warnings.push('alerts: empty; nothing to accept');

  const alerts: NormalizedAlert[] = [];
  // Source fingerprint → the labels it was first seen with, to catch one fingerprint reused for different alerts.
  const seen = new Map<string, string>();
  body.alerts.forEach((raw: unknown, index: number) => {
    const path = `alerts[${index}]`;
    if (!isObject(raw)) {
      warnings.push(`${path}: expected an alert object, got ${describe(raw)}; skipped`);
      return;
    }
    const alert = readAlert(raw, path, meta, warnings, format);
    const identity = labelsFingerprint(alert.labels);
    const previous = seen.get(alert.fingerprint);
    if (previous === undefined) seen.set(alert.fingerprint, identity);
    else if (previous !== identity) {
      // Dedup keys on the fingerprint: keeping it would fold this alert into another one and lose it.
      warnings.push(`${path}.fingerprint: ${JSON.stringify(alert.fingerprint)} already names an alert with other labels in this body; using ${identity} from its labels`);
      alert.fingerprint = identity;
    }
    alerts.push(alert);
  });
  return { ok: true, alerts, warnings, meta };
}

function readMeta(body: Record<string, unknown>, version: string | undefined, warnings: string[], format: WebhookBodyFormat): WebhookMeta {
  const meta: WebhookMeta = {
    groupLabels: stringRecord(body.groupLabels, 'groupLabels', warnings, false),
    commonLabels: stringRecord(body.commonLabels, 'commonLabels', warnings, false),
    commonAnnotations: stringRecord(body.commonAnnotations, 'commonAnnotations', warnings, false),
  };
  if (version !== undefined) meta.version = version;
  const status = body.status;
  if (typeof status === 'string' && STATUSES.includes(status)) meta.status = status as AlertStatus;
  else if (status !== undefined) warnings.push(`status: ${describe(status)} is neither "firing" nor "resolved"; ignored`);
  const receiver = optionalString(body.receiver, 'receiver', warnings);
  if (receiver !== undefined) meta.receiver = receiver;
  const groupKey = optionalString(body.groupKey, 'groupKey', warnings);
  if (groupKey !== undefined) meta.groupKey = groupKey;
  const externalURL = optionalString(body.externalURL, 'externalURL', warnings);
  if (externalURL !== undefined) meta.externalURL = externalURL;
  if (typeof body.truncatedAlerts === 'number' && body.truncatedAlerts > 0) {
    meta.truncatedAlerts = body.truncatedAlerts;
    warnings.push(`truncatedAlerts: the sender left out ${body.truncatedAlerts} alerts of this group (its max_alerts)`);
  }
  return { ...meta, ...format.extraMeta?.(body, warnings) };
}

function readAlert(raw: Record<string, unknown>, path: string, meta: WebhookMeta, warnings: string[], format: WebhookBodyFormat): NormalizedAlert {
  // Common labels and annotations are shared by every alert of the group, so each alert already
  // has them in Alertmanager's own bodies; merged underneath for hand-written bodies that leave them out.
  const labels = { ...meta.commonLabels, ...stringRecord(raw.labels, `${path}.labels`, warnings, true) };
  const annotations = { ...meta.commonAnnotations, ...stringRecord(raw.annotations, `${path}.annotations`, warnings, false) };
  if (nonEmpty(labels.alertname) === undefined) warnings.push(`${path}.labels.alertname: missing; the alert is called "${UNNAMED_ALERT}"`);

  const endsAt = isoTime(raw.endsAt, `${path}.endsAt`, warnings);
  const alert = normalizeAlert({
    source: format.source,
    format: format.format,
    status: readStatus(raw.status, path, meta, warnings),
    labels,
    annotations,
    startsAt: isoTime(raw.startsAt, `${path}.startsAt`, warnings),
    endsAt,
    generatorURL: optionalString(raw.generatorURL, `${path}.generatorURL`, warnings),
    fingerprint: optionalString(raw.fingerprint, `${path}.fingerprint`, warnings),
    externalURL: meta.externalURL,
    ...format.extraFields?.(raw, path, warnings),
  });
  return alert;
}

/** The alert's status, else its group's (Alertmanager's "firing if any alert fires"), else firing: an alert nobody said was over is treated as on. */
function readStatus(value: unknown, path: string, meta: WebhookMeta, warnings: string[]): AlertStatus {
  if (typeof value === 'string' && STATUSES.includes(value)) return value as AlertStatus;
  const fallback = meta.status ?? 'firing';
  const from = meta.status !== undefined ? "the body's status" : 'no status anywhere';
  warnings.push(`${path}.status: ${value === undefined ? 'missing' : `${describe(value)} is neither "firing" nor "resolved"`}; ${fallback} (${from})`);
  return fallback;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
