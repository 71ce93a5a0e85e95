import { type IncomingHttpHeaders, type ServerResponse, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpsError, UserError } from '../../../src/errors.ts';
import { createHttpAction, createHttpPostAction } from '../../../src/workflows/actions/http.ts';
import { actionContext, eventually } from './action-context.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback server: `answer` decides each response; every request is kept. */
let server: Server;
let base: string;
let received: Received[];
let answer: (req: Received, res: ServerResponse) => void;

beforeEach(async () => {
  received = [];
  answer = (_req, res) => res.end();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      answer(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const http = createHttpAction();
const post = createHttpPostAction();
const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
};

describe('http sends a request and captures the answer', () => {
  it('returns status, JSON, and the headers that are safe to keep', async () => {
    answer = (_req, res) => json(res, 200, { version: 'v2.3.0', ready: true }, { 'set-cookie': 'sid=secret', 'x-auth-token': 't', etag: '"abc"' });
    const { result } = await http.run(http.parse({ url: `${base}/health` }), actionContext());
    expect(result).toMatchObject({ status: 200, json: { version: 'v2.3.0', ready: true }, body: '{"version":"v2.3.0","ready":true}', bodyTruncated: false });
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', etag: '"abc"' });
    expect(Object.keys(result.headers as object)).not.toContain('set-cookie');
    expect(Object.keys(result.headers as object)).not.toContain('x-auth-token');
  });

  it('sends the attempt’s idempotency key, its headers, and a map body as JSON', async () => {
    answer = (_req, res) => json(res, 201, { id: 7 });
    const ctx = actionContext({ idempotencyKey: 'run-9:notify:2' });
    const input = post.parse({ url: `${base}/deployments`, headers: { 'X-Team': 'payments', 'X-Attempt': 2 }, body: { service: 'api' } });
    const { result } = await post.run(input, ctx);
    expect(result.json).toEqual({ id: 7 });
    expect(received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/deployments',
        body: '{"service":"api"}',
        headers: expect.objectContaining({ 'idempotency-key': 'run-9:notify:2', 'content-type': 'application/json', 'x-team': 'payments', 'x-attempt': '2' }),
      }),
    ]);
  });

  it('sends the idempotency key on idempotent methods too, and a string body as it is', async () => {
    await http.run(http.parse({ url: `${base}/config`, method: 'put', body: 'replicas=3' }), actionContext());
    expect(received[0]).toMatchObject({ method: 'PUT', body: 'replicas=3', headers: { 'idempotency-key': 'run-1:deploy:1' } });
  });

  it('keeps only the first part of a long body, and does not parse it', async () => {
    answer = (_req, res) => json(res, 200, { items: 'x'.repeat(5000) });
    const capped = createHttpAction({ bodyCapBytes: 100 });
    const { result } = await capped.run(capped.parse({ url: base }), actionContext());
    expect(result).toMatchObject({ bodyTruncated: true, json: null });
    expect(result.body).toHaveLength(100);
  });
});

describe('http judges the status', () => {
  it('fails on a status outside 2xx, quoting the start of the body', async () => {
    answer = (_req, res) => {
      res.writeHead(503);
      res.end('down for\n maintenance');
    };
    const failure = await http.run(http.parse({ url: `${base}/health?token=s3cret` }), actionContext()).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OpsError);
    expect(failure).toMatchObject({ code: 'http_unexpected_status', message: `GET ${base}/health?… answered 503 (expected 2xx): down for maintenance` });
  });

  it('accepts exactly the statuses in expect_status', async () => {
    answer = (_req, res) => json(res, 404, { error: 'not found' });
    const { result } = await http.run(http.parse({ url: base, expect_status: [200, 404] }), actionContext());
    expect(result.status).toBe(404);

    answer = (_req, res) => json(res, 200, {});
    await expect(http.run(http.parse({ url: base, expect_status: 201 }), actionContext())).rejects.toMatchObject({
      code: 'http_unexpected_status',
      message: /answered 200 \(expected 201\)/,
    });
  });
});

describe('http gives up', () => {
  it('when the timeout passes on the clock', async () => {
    answer = () => {};
    const ctx = actionContext();
    const pending = http.run(http.parse({ url: base, timeout: '5s' }), ctx);
    pending.catch(() => {}); // it rejects while the clock moves, before the assertion looks
    await eventually(() => received.length === 1, 'the request to arrive');
    await ctx.clock.advance(5_000);
    await expect(pending).rejects.toMatchObject({ code: 'http_timeout', message: `GET ${base}/ did not answer within 5s` });
  });

  it('when the step is cancelled, with the reason it was cancelled', async () => {
    answer = () => {};
    const ctx = actionContext();
    const pending = http.run(http.parse({ url: base }), ctx);
    await eventually(() => received.length === 1, 'the request to arrive');
    const reason = new OpsError('run_cancelled', 'cancelled');
    ctx.cancel(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(http.run(http.parse({ url }), actionContext())).rejects.toMatchObject({ code: 'http_request_failed', message: /ECONNREFUSED/ });
  });
});

describe('http in a dry run', () => {
  it('still reads (GET), but sends no write and reports what it would have sent', async () => {
    answer = (_req, res) => json(res, 200, { ok: true });
    const ctx = actionContext({ dryRun: true });
    expect((await http.run(http.parse({ url: `${base}/status` }), ctx)).result.json).toEqual({ ok: true });
    const skipped = await http.run(http.parse({ url: `${base}/scale`, method: 'DELETE' }), ctx);
    const posted = await post.run(post.parse({ url: `${base}/deploy`, body: {} }), ctx);
    expect(skipped).toEqual({ result: { dryRun: true, method: 'DELETE', url: `${base}/scale` }, log: `would send: DELETE ${base}/scale` });
    expect(posted.result).toMatchObject({ dryRun: true, method: 'POST' });
    expect(received.map((r) => r.method)).toEqual(['GET']);
  });
});

describe('http refuses inputs it cannot send', () => {
  it('names the action that sends a method', () => {
    expect(() => http.parse({ url: base, method: 'POST' })).toThrow(/POST is sent by `http\.post`/);
    expect(() => post.parse({ url: base, method: 'GET' })).toThrow(/GET is sent by `http`/);
  });

  it('refuses a URL that is not http(s), a body on GET, and an impossible status', () => {
    expect(() => http.parse({ url: 'file:///etc/passwd' })).toThrow(/`with\.url` must be an http or https URL/);
    expect(() => http.parse({ url: 'not a url' })).toThrow(UserError);
    expect(() => http.parse({ url: base, body: { a: 1 } })).toThrow(/GET requests carry no body/);
    expect(() => http.parse({ url: base, expect_status: [200, 700] })).toThrow(/`with\.expect_status\[1\]` must be an HTTP status/);
    expect(() => http.parse({ url: base, headers: { 'X-Evil': 'a\r\nInjected: 1' } })).toThrow(/`with\.headers\.X-Evil` must be a single line/);
  });
});
