import type { WebhookParseResult } from './alert.ts';
import { parseWebhookBody } from './webhook-body.ts';

/**
 * `POST /webhooks/alertmanager`: Alertmanager's webhook receiver body (version 4) → alerts.
 * Accepted with warnings when fields are missing; `ok: false` (→ 400) only for a body that is
 * not a version 4 webhook at all (not an object, no `alerts` array, another `version`).
 */
export function parseAlertmanagerWebhook(body: unknown): WebhookParseResult {
  const result = parseWebhookBody(body, {
    source: 'alertmanager',
    format: 'alertmanager-webhook',
    versions: ['4'],
    what: 'an Alertmanager webhook body (version 4)',
  });
  // Grafana's body is Alertmanager's with version "1": point at the endpoint that reads its extras.
  if (!result.ok && isGrafanaBody(body)) return { ok: false, error: `${result.error} (Grafana alerting posts version "1": use /webhooks/grafana)` };
  return result;
}

function isGrafanaBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'orgId' in body;
}
