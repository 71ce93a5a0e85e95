import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface HttpServer {
  server: Server;
  listen(port: number, host: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** opsbot owns its HTTP server: Slack's receiver is one route among the webhooks and probes. */
export function createHttpServer(routes: readonly Route[], log: Logger): HttpServer {
  const table = new Map(routes.map((r) => [`${r.method} ${r.path}`, r.handler]));
  const paths = new Set(routes.map((r) => r.path));

  const listener: RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = table.get(`${req.method} ${path}`);
    if (!handler) {
      sendJson(res, paths.has(path) ? 405 : 404, { ok: false, error: paths.has(path) ? 'method_not_allowed' : 'not_found' });
      return;
    }
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      log.error({ err, path }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
      else res.end();
    });
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, listener);
  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
          resolve({ url: `http://${shownHost}:${address.port}`, port: address.port });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
