import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Ids } from './ids.ts';
import type { AppResponse } from './types.ts';

/**
 * Slack's side of Socket Mode: apps.connections.open hands out a single-use ticket URL; the
 * client connects, Slack greets with `hello`, then sends envelopes
 * `{envelope_id, type, payload, accepts_response_payload, retry_attempt, retry_reason}` and the
 * client acks each with `{envelope_id, payload?}` (see @slack/socket-mode SocketModeClient).
 */

export const SOCKET_MODE_PATH = '/socket-mode';

export interface SocketEnvelope {
  type: 'events_api' | 'slash_commands' | 'interactive';
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

export interface SocketModeHub {
  issueTicket(): string;
  /** Takes an HTTP upgrade on SOCKET_MODE_PATH; answers 401 for an unknown or used ticket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly connections: number;
  /** Sends an envelope to the newest connection and resolves with the ack. */
  send(envelope: SocketEnvelope, timeoutMs: number): Promise<AppResponse>;
  /** Closes every connection with a close frame (terminating stragglers after a second). */
  close(): Promise<void>;
}

interface Pending {
  socket: WebSocket;
  resolve: (r: AppResponse) => void;
  timer: NodeJS.Timeout;
}

export function createSocketModeHub(deps: { ids: Ids; appId: string; onActivity: () => void }): SocketModeHub {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const sockets: WebSocket[] = [];
  const pending = new Map<string, Pending>();

  const settle = (envelopeId: string, response: AppResponse) => {
    const p = pending.get(envelopeId);
    if (!p) return;
    pending.delete(envelopeId);
    clearTimeout(p.timer);
    p.resolve(response);
  };

  const onConnection = (ws: WebSocket) => {
    sockets.push(ws);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (typeof msg !== 'object' || msg === null) return;
      const { envelope_id: envelopeId, payload } = msg as { envelope_id?: unknown; payload?: unknown };
      if (typeof envelopeId !== 'string') return;
      deps.onActivity();
      const json = payload ?? {};
      settle(envelopeId, { status: 200, body: JSON.stringify(json), json });
    });
    ws.on('close', () => {
      sockets.splice(sockets.indexOf(ws), 1);
      for (const [id, p] of pending) if (p.socket === ws) settle(id, { status: 0, body: '', error: 'connection_failed' });
    });
    ws.on('error', () => {
      // 'close' follows; nothing else to do.
    });
    // Slack's greeting; the client reports itself connected only after it.
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: sockets.length,
        debug_info: { host: 'applink-emulator', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: deps.appId },
      }),
    );
  };

  return {
    issueTicket() {
      const ticket = deps.ids.hex(16);
      tickets.add(ticket);
      return ticket;
    },
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== SOCKET_MODE_PATH || !tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, onConnection);
    },
    get connections() {
      return sockets.filter((s) => s.readyState === s.OPEN).length;
    },
    send(envelope, timeoutMs) {
      const socket = [...sockets].reverse().find((s) => s.readyState === s.OPEN);
      if (!socket) return Promise.resolve({ status: 0, body: '', error: 'connection_failed' });
      const envelopeId = deps.ids.envelopeId();
      return new Promise<AppResponse>((resolve) => {
        const timer = setTimeout(() => settle(envelopeId, { status: 0, body: '', error: 'http_timeout' }), timeoutMs);
        pending.set(envelopeId, { socket, resolve, timer });
        socket.send(JSON.stringify({ envelope_id: envelopeId, ...envelope }), (err) => {
          if (err) settle(envelopeId, { status: 0, body: '', error: 'connection_failed' });
        });
      });
    },
    async close() {
      for (const [id] of pending) settle(id, { status: 0, body: '', error: 'connection_failed' });
      // A close frame, not a reset: a client that is itself shutting down then finishes its
      // handshake cleanly instead of reporting a socket error.
      await Promise.all(
        [...sockets].map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.readyState === s.CLOSED) return resolve();
              const timer = setTimeout(() => {
                s.terminate();
                resolve();
              }, 1000);
              s.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              if (s.readyState === s.OPEN) s.close(1001, 'going away');
            }),
        ),
      );
      wss.close();
    },
  };
}
