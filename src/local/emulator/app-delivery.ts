import { request } from 'node:http';
import type { Clock } from '../../clock.ts';
import type { Activity } from './activity.ts';
import { signRequest, wallClockSeconds } from './signing.ts';
import type { SocketEnvelope, SocketModeHub } from './socket-mode.ts';
import type { AppResponse, Delivery, SignedRequestOptions } from './types.ts';

/**
 * Sends what Slack sends to the app: over Socket Mode when a client is connected, else as a
 * signed HTTP POST to the events URL (Slack's three transports — events, commands,
 * interactivity — all land on Bolt's one /slack/events). Every delivery is kept so tests can
 * inspect it and re-send it as a Slack retry.
 */

type ContentType = Delivery['contentType'];

export interface AppDelivery {
  setEventsUrl(url: string): void;
  /** True when something would receive a delivery (events URL set or a Socket Mode client). */
  hasDestination(): boolean;
  send(body: string, contentType: ContentType, options?: SignedRequestOptions): Promise<{ response: AppResponse; delivery: Delivery }>;
  redeliver(delivery?: Delivery, retry?: { num?: number; reason?: string }): Promise<AppResponse>;
  readonly deliveries: Delivery[];
}

const SLACKBOT_UA = 'Slackbot 1.0 (+https://api.slack.com/robots)';
/** Interactive payloads whose ack body Slack reads (the rest are acked empty). */
const RESPONDING_INTERACTIONS = new Set(['view_submission', 'block_suggestion']);

export function createAppDelivery(deps: {
  signingSecret: string;
  clock: Clock;
  socket: SocketModeHub;
  activity: Activity;
  ackTimeoutMs: number;
}): AppDelivery {
  let eventsUrl: string | undefined;
  const deliveries: Delivery[] = [];
  let seq = 0;

  const classify = (body: string, contentType: ContentType): { kind: Delivery['kind']; type: string; eventId?: string; payload: unknown } => {
    if (contentType === 'application/json') {
      const parsed = JSON.parse(body) as { type?: string; event_id?: string; event?: { type?: string } };
      return {
        kind: 'events_api',
        type: parsed.event?.type ?? parsed.type ?? '',
        ...(parsed.event_id ? { eventId: parsed.event_id } : {}),
        payload: parsed,
      };
    }
    const form = new URLSearchParams(body);
    const payload = form.get('payload');
    if (payload !== null) {
      const parsed = JSON.parse(payload) as { type?: string };
      return { kind: 'interactive', type: parsed.type ?? '', payload: parsed };
    }
    // Over Socket Mode a slash command's payload is the form's fields as a JSON object.
    return { kind: 'slash_commands', type: form.get('command') ?? '', payload: Object.fromEntries(form) };
  };

  const overHttp = (url: string, body: string, contentType: ContentType, options: SignedRequestOptions): Promise<AppResponse> => {
    const timestamp = options.timestamp ?? wallClockSeconds();
    const headers: Record<string, string> = {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': SLACKBOT_UA,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? signRequest(deps.signingSecret, timestamp, body),
      ...(options.retry ? { 'x-slack-retry-num': String(options.retry.num), 'x-slack-retry-reason': options.retry.reason } : {}),
      ...options.headers,
    };
    return new Promise<AppResponse>((resolve) => {
      let done = false;
      const finish = (r: AppResponse) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(r);
      };
      // A fresh connection per request (agent: false): nothing lingers to keep the app's server
      // from closing when a test stops it.
      const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => finish({ status: 0, body: '', error: 'connection_failed' }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const response: AppResponse = { status: res.statusCode ?? 0, body: text };
          if (text && /json/i.test(String(res.headers['content-type'] ?? ''))) {
            try {
              response.json = JSON.parse(text);
            } catch {
              // not JSON after all: body keeps the text
            }
          }
          finish(response);
        });
      });
      // Slack gives up after its ack window and treats the request as failed (then retries).
      const timer = setTimeout(() => {
        finish({ status: 0, body: '', error: 'http_timeout' });
        req.destroy();
      }, deps.ackTimeoutMs);
      req.on('error', () => finish({ status: 0, body: '', error: 'connection_failed' }));
      req.end(body);
    });
  };

  const dispatch = async (delivery: Delivery, payload: unknown, options: SignedRequestOptions): Promise<AppResponse> => {
    const end = deps.activity.begin(`${delivery.kind} ${delivery.type}`);
    try {
      if (delivery.via === 'socket') {
        const envelope: SocketEnvelope = {
          type: delivery.kind,
          payload,
          accepts_response_payload: delivery.kind === 'slash_commands' || (delivery.kind === 'interactive' && RESPONDING_INTERACTIONS.has(delivery.type)),
          retry_attempt: options.retry?.num ?? 0,
          retry_reason: options.retry?.reason ?? '',
        };
        return await deps.socket.send(envelope, deps.ackTimeoutMs);
      }
      if (!eventsUrl) throw new Error('Slack emulator: no app to deliver to (call setEventsUrl or connect over Socket Mode)');
      return await overHttp(eventsUrl, delivery.body, delivery.contentType, options);
    } finally {
      end();
    }
  };

  const send: AppDelivery['send'] = async (body, contentType, options = {}) => {
    const { kind, type, eventId, payload } = classify(body, contentType);
    const via = options.via ?? (deps.socket.connections > 0 ? 'socket' : 'http');
    if (via === 'http' && !eventsUrl) throw new Error('Slack emulator: no app to deliver to (call setEventsUrl or connect over Socket Mode)');
    const delivery: Delivery = {
      id: ++seq,
      kind,
      contentType,
      body,
      ...(eventId ? { eventId } : {}),
      type,
      via,
      ...(options.retry ? { retry: options.retry } : {}),
      at: deps.clock.now(),
    };
    deliveries.push(delivery);
    delivery.response = await dispatch(delivery, payload, options);
    return { response: delivery.response, delivery };
  };

  return {
    deliveries,
    setEventsUrl(url) {
      eventsUrl = url;
    },
    hasDestination: () => eventsUrl !== undefined || deps.socket.connections > 0,
    send,
    async redeliver(delivery, retry = {}) {
      const original = delivery ?? deliveries[deliveries.length - 1];
      if (!original) throw new Error('Slack emulator: nothing was delivered yet, so nothing to redeliver');
      const num = retry.num ?? (original.retry?.num ?? 0) + 1;
      const { response } = await send(original.body, original.contentType, { retry: { num, reason: retry.reason ?? 'http_timeout' } });
      return response;
    },
  };
}
