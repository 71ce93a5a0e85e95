import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** Matches every path that starts with `path` (e.g. `/webhooks/workflows/` + a name); exact routes win. */
  prefix?: boolean;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface HttpServer {
  server: Server;
  listen(port: number, host: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** opsbot owns its HTTP server: Slack's receiver is one route among the webhooks and probes. */
export function createHttpServer(routes: readonly Route[], log: Logger): HttpServer {
  const exact = routes.filter((r) => !r.prefix);
  const table = new Map(exact.map((r) => [`${r.method} ${r.path}`, r.handler]));
  const paths = new Set(exact.map((r) => r.path));
  // Longest prefix first, so a more specific prefix route wins over a broader one.
  const prefixes = routes.filter((r) => r.prefix).sort((a, b) => b.path.length - a.path.length);

  const listener: RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let handler = table.get(`${req.method} ${path}`);
    let known = paths.has(path);
    if (!handler && !known) {
      const matching = prefixes.filter((r) => path.startsWith(r.path));
      handler = matching.find((r) => r.method === req.method)?.handler;
      known = matching.length > 0;
    }
    if (!handler) {
      sendJson(res, known ? 405 : 404, { ok: false, error: known ? 'method_not_allowed' : 'not_found' });
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
