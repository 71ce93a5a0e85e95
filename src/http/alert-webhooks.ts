import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { WebhookParseResult } from '../alerts/alert.ts';
import type { AlertIngest } from '../alerts/alert-ingest.ts';
import { type Route, sendJson } from './server.ts';
import { readLimited, refuse } from './workflow-webhook.ts';

/**
 * `POST /webhooks/alertmanager` (Alertmanager's webhook receiver, version 4) and
 * `POST /webhooks/grafana` (Grafana alerting's webhook contact point). Both require
 * ALERTMANAGER_WEBHOOK_TOKEN as a bearer token (Alertmanager: `http_config.authorization`;
 * Grafana: the contact point's Authorization header), compared in constant time before the body
 * is read; without it: 401 and nothing stored. The body's alerts are stored and grouped in one
 * transaction and only then is 200 answered, so a crash after the answer loses nothing; a body
 * that is not the format: 400 saying why; missing or odd fields: accepted, with one log line.
 */

export const ALERTMANAGER_WEBHOOK_PATH = '/webhooks/alertmanager';
export const GRAFANA_WEBHOOK_PATH = '/webhooks/grafana';
/** Alertmanager sends a whole group per request (no max_alerts by default): a storm's group is megabytes. */
export const MAX_ALERT_WEBHOOK_BYTES = 8 * 1024 * 1024;
/** Warnings listed in the log line; the rest are counted. */
const WARNINGS_LOGGED = 20;

export interface AlertWebhookDeps {
  /** ALERTMANAGER_WEBHOOK_TOKEN; unset: every request is refused with 503. */
  token: string | undefined;
  source: 'alertmanager' | 'grafana';
  parse(body: unknown): WebhookParseResult;
  ingest: AlertIngest;
  /** Where the groups' messages go: the first of ALERT_CHANNELS ('' when none). */
  channel: string;
  log: Logger;
}

export function createAlertWebhook(deps: AlertWebhookDeps): Route['handler'] {
  const { log, source } = deps;
  const path = source === 'alertmanager' ? ALERTMANAGER_WEBHOOK_PATH : GRAFANA_WEBHOOK_PATH;
  if (!deps.token) log.info({ path }, `POST ${path} answers 503: ALERTMANAGER_WEBHOOK_TOKEN is not set`);

  return async (req: IncomingMessage, res: ServerResponse) => {
    const token = deps.token;
    if (!token) {
      refuse(req, res, 503, { ok: false, error: 'not_configured', message: 'ALERTMANAGER_WEBHOOK_TOKEN is not set on this opsbot' });
      return;
    }
    const given = bearer(req.headers.authorization);
    if (given === undefined || !sameSecret(given, token)) {
      log.info({ path, scheme: given === undefined ? 'none' : 'bearer' }, `${source} webhook refused: no valid bearer token`);
      refuse(req, res, 401, { ok: false, error: 'unauthorized' });
      return;
    }
    const raw = await readLimited(req, MAX_ALERT_WEBHOOK_BYTES);
    if (raw === 'too_large') {
      refuse(req, res, 413, { ok: false, error: 'payload_too_large', message: `opsbot takes at most ${MAX_ALERT_WEBHOOK_BYTES} bytes per request; set max_alerts on the receiver` });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      sendJson(res, 400, { ok: false, error: 'invalid_json', message: `the body is not JSON: ${(err as Error).message}` });
      return;
    }
    const parsed = deps.parse(body);
    if (!parsed.ok) {
      log.info({ path, error: parsed.error }, `${source} webhook refused: not its format`);
      sendJson(res, 400, { ok: false, error: 'invalid_payload', message: parsed.error });
      return;
    }
    const result = deps.ingest.ingest(parsed.alerts, { channel: deps.channel, audit: { actor: source, what: `webhook ${source}` } });
    const context = { path, receiver: parsed.meta.receiver, groupKey: parsed.meta.groupKey, alerts: result.accepted, groups: result.groups.length, created: result.created.length };
    if (parsed.warnings.length > 0) {
      log.warn({ ...context, warnings: parsed.warnings.slice(0, WARNINGS_LOGGED), more: Math.max(0, parsed.warnings.length - WARNINGS_LOGGED) }, `${source} webhook accepted with missing or odd fields`);
    } else {
      log.debug(context, `${source} webhook accepted`);
    }
    sendJson(res, 200, { ok: true, accepted: result.accepted, groups: result.groups.length, warnings: parsed.warnings.length });
  };
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Constant-time for equal lengths; a length mismatch is refused without comparing contents. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
