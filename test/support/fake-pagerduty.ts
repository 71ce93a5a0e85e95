import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * PagerDuty's Events API v2 on loopback: POST /v2/enqueue takes one event (JSON) and answers as
 * PagerDuty documents (developer.pagerduty.com, "Send an Alert Event" and "Response Codes & Retry
 * Logic"): 202 `{status: "success", message: "Event processed", dedup_key}`; 400 `{status:
 * "invalid event", message, errors}` for an event missing what it needs (routing_key,
 * event_action, payload.summary / source / severity on a trigger); 429 when told to throttle;
 * 500 when told to fail. Tests script the next answers and read what arrived.
 */

export interface PagerDutyArrival {
  body: Record<string, unknown>;
  status: number;
}

export interface FakePagerDuty {
  /** `http://127.0.0.1:<port>/v2/enqueue`. */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The next answers, in order (then 202 again): 429, 500 or 202. */
  script(...statuses: Array<429 | 500 | 202>): void;
  arrivals(): PagerDutyArrival[];
  /** Events PagerDuty accepted. */
  accepted(): Array<Record<string, unknown>>;
}

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);

export function createFakePagerDuty(): FakePagerDuty {
  const arrivals: PagerDutyArrival[] = [];
  const scripted: number[] = [];
  let base: string | undefined;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const invalid = (body: Record<string, unknown>): string[] => {
    const errors: string[] = [];
    if (typeof body.routing_key !== 'string' || body.routing_key === '') errors.push("'routing_key' is missing or blank");
    if (typeof body.event_action !== 'string' || !ACTIONS.has(body.event_action)) errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
    if (body.event_action === 'trigger') {
      const payload = (body.payload ?? {}) as Record<string, unknown>;
      if (typeof payload.summary !== 'string' || payload.summary === '') errors.push("'payload.summary' is missing or blank");
      if (typeof payload.source !== 'string' || payload.source === '') errors.push("'payload.source' is missing or blank");
      if (typeof payload.severity !== 'string' || !SEVERITIES.has(payload.severity)) errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')");
    } else if (typeof body.dedup_key !== 'string' || body.dedup_key === '') {
      errors.push("'dedup_key' is missing or blank");
    }
    return errors;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') return send(res, 404, { status: 'not found' });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        arrivals.push({ body: {}, status: 400 });
        return send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid JSON'] });
      }
      const next = scripted.shift();
      if (next === 429) {
        arrivals.push({ body, status: 429 });
        return send(res, 429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' });
      }
      if (next === 500) {
        arrivals.push({ body, status: 500 });
        return send(res, 500, { status: 'error', message: 'Internal server error' });
      }
      const errors = invalid(body);
      if (errors.length > 0) {
        arrivals.push({ body, status: 400 });
        return send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
      }
      arrivals.push({ body, status: 202 });
      send(res, 202, { status: 'success', message: 'Event processed', dedup_key: typeof body.dedup_key === 'string' ? body.dedup_key : 'generated-dedup-key' });
    });
  });

  return {
    get url() {
      if (!base) throw new Error('fake PagerDuty: not started');
      return `${base}/v2/enqueue`;
    },
    async start() {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
    script: (...statuses) => void scripted.push(...statuses),
    arrivals: () => arrivals.map((a) => ({ ...a })),
    accepted: () => arrivals.filter((a) => a.status === 202).map((a) => a.body),
  };
}
