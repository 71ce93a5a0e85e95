import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer, type Route, sendJson } from '../../src/http/server.ts';

describe('the HTTP server', () => {
  let http: HttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  const errors: unknown[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });

  async function serve(routes: Route[]): Promise<string> {
    http = createHttpServer(routes, log);
    return (await http.listen(0, '127.0.0.1')).url;
  }

  it('routes by method and path, ignoring the query string', async () => {
    const url = await serve([{ method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { ok: true }) }]);

    const res = await fetch(`${url}/healthz?probe=k8s`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers 404 for an unknown path and 405 for a known path with the wrong method', async () => {
    const url = await serve([{ method: 'POST', path: '/slack/events', handler: (_req, res) => sendJson(res, 200, {}) }]);

    const unknown = await fetch(`${url}/nope`);
    const wrongMethod = await fetch(`${url}/slack/events`);

    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ ok: false, error: 'not_found' });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ ok: false, error: 'method_not_allowed' });
  });

  it('answers 500 without details when a handler fails, and logs the failure', async () => {
    errors.length = 0;
    const url = await serve([
      {
        method: 'GET',
        path: '/boom',
        handler: async () => {
          throw new Error('database is locked');
        },
      },
    ]);

    const res = await fetch(`${url}/boom`);

    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ ok: false, error: 'internal_error' });
    expect(errors).toEqual([expect.objectContaining({ msg: 'http handler failed', path: '/boom', err: expect.objectContaining({ message: 'database is locked' }) })]);
  });

  it('shows a wildcard listener as a loopback URL with the port it got', async () => {
    http = createHttpServer([], log);
    const { url, port } = await http.listen(0, '0.0.0.0');

    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
  });

  it('closes even while a client holds a keep-alive connection open', async () => {
    const url = await serve([{ method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { ok: true }) }]);
    await fetch(`${url}/healthz`, { keepalive: true });

    const closing = http?.close();
    http = undefined;

    await expect(closing).resolves.toBeUndefined();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
