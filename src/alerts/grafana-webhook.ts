import type { NormalizedAlert, WebhookMeta, WebhookParseResult } from './alert.ts';
import { optionalString } from './alert-fields.ts';
import { isObject, parseWebhookBody } from './webhook-body.ts';

/**
 * `POST /webhooks/grafana`: Grafana (unified) alerting's webhook contact point → alerts. Its body
 * is Alertmanager's version 4 body labelled version "1", plus orgId, title, state and message for
 * the group and silenceURL, dashboardURL, panelURL and values / valueString per alert (Grafana's
 * "Webhook notifier" docs). Version 4 is accepted too: the fields read are the same.
 *
 * Legacy (pre-unified) Grafana alerting posted another shape (ruleName, evalMatches) and is gone
 * since Grafana 11: refused with a message saying so.
 */
export function parseGrafanaWebhook(body: unknown): WebhookParseResult {
  if (isObject(body) && !Array.isArray(body.alerts) && ('ruleName' in body || 'evalMatches' in body)) {
    return { ok: false, error: 'not a Grafana alerting webhook body: this is legacy Grafana alerting (ruleName, evalMatches); use a unified alerting webhook contact point' };
  }
  return parseWebhookBody(body, {
    source: 'grafana',
    format: 'grafana-webhook',
    versions: ['1', '4'],
    what: 'a Grafana alerting webhook body (version 1)',
    extraFields: grafanaAlertFields,
    extraMeta: grafanaMeta,
  });
}

function grafanaAlertFields(raw: Record<string, unknown>, path: string, warnings: string[]): Partial<NormalizedAlert> {
  const fields: Partial<NormalizedAlert> = {};
  const silenceURL = optionalString(raw.silenceURL, `${path}.silenceURL`, warnings);
  if (silenceURL !== undefined) fields.silenceURL = silenceURL;
  const dashboardURL = optionalString(raw.dashboardURL, `${path}.dashboardURL`, warnings);
  if (dashboardURL !== undefined) fields.dashboardURL = dashboardURL;
  const panelURL = optionalString(raw.panelURL, `${path}.panelURL`, warnings);
  if (panelURL !== undefined) fields.panelURL = panelURL;
  const value = grafanaValue(raw, path, warnings);
  if (value !== undefined) fields.value = value;
  return fields;
}

/** `values` (Grafana 9.3+: ref id → number) as `B=44.2, C=1`, else the older `valueString` as sent. */
function grafanaValue(raw: Record<string, unknown>, path: string, warnings: string[]): string | undefined {
  if (isObject(raw.values)) {
    const pairs = Object.entries(raw.values).map(([ref, value]) => `${ref}=${typeof value === 'number' || typeof value === 'string' ? value : JSON.stringify(value)}`);
    if (pairs.length > 0) return pairs.join(', ');
  }
  return optionalString(raw.valueString, `${path}.valueString`, warnings);
}

function grafanaMeta(body: Record<string, unknown>, warnings: string[]): Partial<WebhookMeta> {
  const meta: Partial<WebhookMeta> = {};
  if (typeof body.orgId === 'number') meta.orgId = body.orgId;
  const title = optionalString(body.title, 'title', warnings);
  if (title !== undefined) meta.title = title;
  const state = optionalString(body.state, 'state', warnings);
  if (state !== undefined) meta.state = state;
  const message = optionalString(body.message, 'message', warnings);
  if (message !== undefined) meta.message = message;
  return meta;
}
