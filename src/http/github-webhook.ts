import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { OpsError } from '../errors.ts';
import type { GitHubClassification, GitHubInboxItem } from '../integrations/github/webhook-events.ts';
import type { Store } from '../store/types.ts';
import { type Route, sendJson } from './server.ts';
import { readLimited, refuse } from './workflow-webhook.ts';

/**
 * `POST /webhooks/github`: a GitHub webhook delivery, verified with `X-Hub-Signature-256`
 * (HMAC-SHA256 of the raw body with GITHUB_WEBHOOK_SECRET) before anything is parsed or stored.
 * Work for opsbot is recorded durably (processed key `github:<X-GitHub-Delivery>`, inbox entry,
 * audit row, one transaction) before the 2xx, so a redelivery of the same delivery is
 * acknowledged and not worked twice; the inbox worker then acts on it. Deliveries opsbot has no
 * use for are acknowledged and not stored.
 */

export const GITHUB_WEBHOOK_PATH = '/webhooks/github';
/** The inbox kind of recorded deliveries. */
export const GITHUB_INBOX_KIND = 'github';
/** Workflow and check payloads are tens of KB; a pull request with a long body a few hundred. */
export const MAX_GITHUB_WEBHOOK_BYTES = 1024 * 1024;

export interface GitHubWebhookDeps {
  /** GITHUB_WEBHOOK_SECRET; unset: every delivery is refused with 503. */
  secret: string | undefined;
  store: Store;
  clock: Clock;
  log: Logger;
  classify: (event: string, payload: Record<string, unknown>) => GitHubClassification;
  onAccepted: (inboxId: number, request: { kind: string; body: Record<string, unknown> }) => void;
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const DELIVERY = /^[A-Za-z0-9-]{1,100}$/;
const EVENT = /^[a-z_]{1,64}$/;

export function createGitHubWebhook(deps: GitHubWebhookDeps): Route['handler'] {
  const { store, clock, log } = deps;
  if (!deps.secret) log.info('POST /webhooks/github answers 503: GITHUB_WEBHOOK_SECRET is not set, so no delivery can be verified');

  const record = store.db.transaction((key: string, item: GitHubInboxItem, summary: string): number | undefined => {
    const at = clock.now();
    if (!store.events.markProcessed(key, at)) return undefined;
    let inboxId: number;
    try {
      inboxId = store.inbox.add({ key, kind: GITHUB_INBOX_KIND, payload: JSON.stringify(item), at });
    } catch (err) {
      // Its processed key was pruned (retention) while the finished entry is still kept: a late redelivery.
      if (err instanceof OpsError && err.code === 'inbox_duplicate_key') return undefined;
      throw err;
    }
    store.audit.append({ at, actor: 'github', channel: null, action: 'received', command: `github ${item.event}`, args: JSON.stringify({ delivery: item.delivery, summary }), outcome: 'accepted' });
    return inboxId;
  });

  return async (req: IncomingMessage, res: ServerResponse) => {
    const secret = deps.secret;
    if (!secret) {
      refuse(req, res, 503, { ok: false, error: 'not_configured', message: 'GITHUB_WEBHOOK_SECRET is not set on this opsbot' });
      return;
    }
    const signature = SIGNATURE.exec(header(req, 'x-hub-signature-256') ?? '')?.[1];
    if (signature === undefined) {
      log.info({ delivery: header(req, 'x-github-delivery') }, 'github webhook refused: no X-Hub-Signature-256');
      refuse(req, res, 401, { ok: false, error: 'unauthorized' });
      return;
    }
    const body = await readLimited(req, MAX_GITHUB_WEBHOOK_BYTES);
    if (body === 'too_large') {
      refuse(req, res, 413, { ok: false, error: 'payload_too_large', message: `opsbot takes at most ${MAX_GITHUB_WEBHOOK_BYTES} bytes` });
      return;
    }
    if (!signedWith(secret, body, signature)) {
      log.info({ delivery: header(req, 'x-github-delivery') }, 'github webhook refused: signature does not match GITHUB_WEBHOOK_SECRET');
      sendJson(res, 401, { ok: false, error: 'unauthorized' });
      return;
    }

    const event = header(req, 'x-github-event');
    const delivery = header(req, 'x-github-delivery');
    if (!event || !EVENT.test(event) || !delivery || !DELIVERY.test(delivery)) {
      sendJson(res, 400, { ok: false, error: 'bad_request', message: 'X-GitHub-Event and X-GitHub-Delivery are required' });
      return;
    }
    const payload = parsePayload(body, header(req, 'content-type'));
    if (payload === undefined) {
      sendJson(res, 400, { ok: false, error: 'invalid_payload', message: 'the body is not a JSON object (or a form with a JSON `payload`)' });
      return;
    }

    const classified = deps.classify(event, payload);
    if ('ignore' in classified) {
      log.debug({ event, delivery, reason: classified.ignore }, 'github delivery ignored');
      sendJson(res, 200, { ok: true, ignored: classified.ignore });
      return;
    }
    const key = `github:${delivery}`;
    const inboxId = record(key, { delivery, event, work: classified.work }, classified.summary);
    if (inboxId === undefined) {
      log.info({ key, event }, 'github redelivery of a recorded delivery acknowledged, not processed again');
      sendJson(res, 200, { ok: true, duplicate: true });
      return;
    }
    log.info({ key, event, inboxId, summary: classified.summary }, 'github delivery accepted');
    deps.onAccepted(inboxId, { kind: GITHUB_INBOX_KIND, body: { delivery, event, work: classified.work } });
    sendJson(res, 202, { ok: true, accepted: true });
  };
}

/** HMAC-SHA256 of the raw body, compared in constant time. */
export function signedWith(secret: string, body: Buffer, signatureHex: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(signatureHex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `X-Hub-Signature-256` for `body`, as GitHub computes it (tests and the local tools sign with it). */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** GitHub sends JSON, or a form whose `payload` field is the JSON (content type chosen per hook). */
function parsePayload(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  let text = body.toString('utf8');
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const field = new URLSearchParams(text).get('payload');
    if (field === null) return undefined;
    text = field;
  }
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
