import { Agent, request } from 'node:http';
import { signRequest } from '../../src/local/emulator/index.ts';

/**
 * The load generator's side of "Slack sends a request": the body is signed (v0) at send time,
 * sent over a keep-alive connection, and timed from just before the request is written to the
 * end of the response (the ack).
 */

export interface Sample {
  /** HTTP status; 0 when the request failed (`error` says why). */
  status: number;
  ms: number;
  error?: string;
}

export interface SlackTarget {
  name: string;
  port: number;
  path: string;
  signingSecret: string;
  agent: Agent;
}

const SLACKBOT_UA = 'Slackbot 1.0 (+https://api.slack.com/robots)';
const REQUEST_TIMEOUT_MS = 10_000;

/** One keep-alive connection per worker is enough: each worker has at most one request in flight per target. */
export function keepAliveAgent(workers: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: workers, maxFreeSockets: workers, scheduling: 'fifo' });
}

export function postSigned(target: SlackTarget, body: string): Promise<Sample> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': SLACKBOT_UA,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signRequest(target.signingSecret, timestamp, body),
  };
  return new Promise<Sample>((resolve) => {
    let settled = false;
    const start = performance.now();
    const finish = (status: number, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ status, ms: performance.now() - start, ...(error ? { error } : {}) });
    };
    const req = request({ host: '127.0.0.1', port: target.port, path: target.path, method: 'POST', headers, agent: target.agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('error', (err) => finish(0, err.message));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => finish(0, err.code ?? err.message));
    req.end(body);
  });
}
