import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../clock.ts';
import type { Activity } from './activity.ts';
import { APP_TOKEN_METHODS } from './methods/auth-apps.ts';
import type { MethodContext } from './methods/context.ts';
import { receiveUpload, UPLOAD_PATH } from './methods/files.ts';
import { METHODS } from './methods/registry.ts';
import type { RateLimiter } from './rate-limits.ts';
import { parseApiArgs, readBody, recordedArgs, str } from './request-body.ts';
import { RESPONSE_PATH, type ResponseUrls } from './response-urls.ts';
import type { SocketModeHub } from './socket-mode.ts';
import type { TriggerIds } from './trigger-ids.ts';
import type { EmulatedMessage, RecordedCall } from './types.ts';
import type { WorkspaceState } from './workspace-state.ts';

/**
 * The emulator's one loopback HTTP server: the Web API under /api/<method>, the upload URLs of
 * files.getUploadURLExternal, the response_urls, uploaded files for download, and the Socket
 * Mode WebSocket upgrade. Answers the way Slack does: HTTP 200 with `{ok:false,error}` for API
 * errors, HTTP 429 + Retry-After when rate limited.
 */

export interface WebApiServerDeps {
  state: WorkspaceState;
  clock: Clock;
  rateLimiter: RateLimiter;
  triggers: TriggerIds;
  socket: SocketModeHub;
  responseUrls: ResponseUrls;
  activity: Activity;
  botToken: string;
  appToken?: string;
  calls: RecordedCall[];
  echo: (message: EmulatedMessage) => void;
  /** Per-method hooks run before the method answers (see SlackEmulator.intercept). */
  interceptors: ReadonlyMap<string, Interceptor>;
}

export type Interceptor = (args: Record<string, unknown>) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

export interface WebApiServer {
  /** Listens on 127.0.0.1 and a free port; resolves with `http://127.0.0.1:<port>`. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;

function sendJson(res: ServerResponse, status: number, body: Obj, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function createWebApiServer(deps: WebApiServerDeps): WebApiServer {
  let baseUrl = '';
  const { state, clock, calls } = deps;

  const record = (method: string, args: Obj, status: number, response: Obj) => {
    calls.push({ method, args: recordedArgs(args), at: clock.now(), status, response });
    deps.activity.touch();
  };

  const api = async (req: IncomingMessage, res: ServerResponse, method: string, query: URLSearchParams) => {
    const body = await readBody(req);
    const args = parseApiArgs(req.headers['content-type'], body, query);
    if (!args) {
      const response = { ok: false, error: 'invalid_json' };
      record(method, {}, 200, response);
      return sendJson(res, 200, response);
    }
    const answer = (status: number, response: Obj, headers?: Record<string, string>) => {
      record(method, args, status, response);
      sendJson(res, status, response, headers);
    };

    const handler = METHODS[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method', req_method: method });

    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const token = bearer || str(args, 'token');
    if (!token) return answer(200, { ok: false, error: 'not_authed' });
    const kind = token === deps.botToken ? 'bot' : deps.appToken && token === deps.appToken ? 'app' : undefined;
    if (!kind) return answer(200, { ok: false, error: 'invalid_auth' });
    if ((kind === 'app') !== APP_TOKEN_METHODS.has(method)) return answer(200, { ok: false, error: 'not_allowed_token_type' });

    const intercepted = await deps.interceptors.get(method)?.(args);
    if (intercepted) return answer(200, intercepted);

    const limit = deps.rateLimiter.take(method, str(args, 'channel') ?? '');
    if (!limit.allowed) return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfter) });

    const ctx: MethodContext = {
      state,
      clock,
      baseUrl,
      triggers: deps.triggers,
      socket: deps.socket,
      token: kind,
      echo: deps.echo,
    };
    const result = await handler(args, ctx);
    answer(200, result);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith('/api/') && (req.method === 'POST' || req.method === 'GET')) {
      return api(req, res, decodeURIComponent(path.slice('/api/'.length)), url.searchParams);
    }
    if (path.startsWith(UPLOAD_PATH) && req.method === 'POST') {
      const { status, text } = receiveUpload(state, path, req.headers['content-type'], await readBody(req));
      res.writeHead(status, { 'content-type': 'text/plain' });
      return res.end(text);
    }
    if (path.startsWith(RESPONSE_PATH) && req.method === 'POST') {
      const { status, json, args } = deps.responseUrls.handle(path, await readBody(req), req.headers['content-type']);
      // Recorded like an API call so tests (and settle) see the app answering through it.
      record('response_url', args, status, json);
      return sendJson(res, status, json);
    }
    const file = /^\/files\/([^/]+)\//.exec(path);
    if (file && req.method === 'GET') {
      const rec = state.files.get(file[1]!);
      if (!rec?.uploaded) return sendJson(res, 404, { ok: false, error: 'file_not_found' });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end(rec.content ?? '');
    }
    sendJson(res, 404, { ok: false, error: 'not_found' });
  };

  const server = createServer((req, res) => {
    const end = deps.activity.begin(`${req.method} ${req.url ?? ''}`.slice(0, 80));
    // A caller that went away (an app killed while an intercept held its call) has nothing in flight.
    res.once('close', end);
    route(req, res)
      .catch((err: unknown) => {
        // A bug in a handler must show up in the test, not hang the client: Slack's 500 shape.
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error', detail: err instanceof Error ? err.message : String(err) });
        else res.destroy();
      })
      .finally(end);
  });
  server.on('upgrade', (req, socket, head) => deps.socket.handleUpgrade(req, socket, head));

  return {
    listen() {
      return new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          resolve(baseUrl);
        });
      });
    },
    async close() {
      await deps.socket.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
