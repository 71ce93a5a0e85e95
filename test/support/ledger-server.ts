import { once } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback service that records every effect by the request's `Idempotency-Key`, as an API
 * that honours the header would: `PUT /effects/<name>` applies once per key (a repeat is
 * answered, not applied again), `POST /effects/<name>` applies on every arrival (POST is not
 * safe to repeat, so a caller that sends the same key twice has done the thing twice). Tests
 * read back how often each key arrived and how often it was applied.
 *
 * `hold(when)` keeps callers in flight: a matching request is applied on arrival but not
 * answered until `release()`, so a test can kill the process that sent it at a known point.
 */

export type EffectMethod = 'PUT' | 'POST';

export interface Arrival {
  key: string;
  /** The `<name>` of `/effects/<name>`. */
  effect: string;
  method: EffectMethod;
  /** Query parameters of the request (callers tag requests with them). */
  query: Record<string, string>;
}

export interface LedgerEntry {
  key: string;
  effect: string;
  method: EffectMethod;
  /** Requests that carried this key. */
  arrivals: number;
  /** Times the effect took place: at most 1 for PUT, every arrival for POST. */
  applied: number;
}

export interface LedgerServer {
  /** `http://127.0.0.1:<port>`; throws before start(). */
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  /** Answers nothing more: held requests are dropped, connections closed. */
  stop(): Promise<void>;
  /** Every key seen, in order of first arrival. */
  entries(): LedgerEntry[];
  entry(key: string): LedgerEntry | undefined;
  /** From now on, answers to requests matching `when` are withheld (their effect is applied). */
  hold(when: (arrival: Arrival) => boolean): void;
  /** Requests whose answer is withheld and whose caller is still connected. */
  held(): Arrival[];
  /** Stops holding and answers every withheld request; returns how many were still connected. */
  release(): number;
}

interface Held {
  arrival: Arrival;
  answer: () => void;
  res: ServerResponse;
}

export function createLedgerServer(): LedgerServer {
  const entries = new Map<string, LedgerEntry>();
  let holding: ((arrival: Arrival) => boolean) | undefined;
  let withheld: Held[] = [];
  let port: number | undefined;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'ledger failed' });
    });
  });
  // A long-held request must not be cut by Node's server-side timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _ of req) {
      // The body is not part of the effect; reading it lets the request finish.
    }
    const url = new URL(req.url ?? '/', 'http://ledger');
    const match = /^\/effects\/([A-Za-z0-9._-]+)$/.exec(url.pathname);
    if (!match?.[1]) return send(res, 404, { error: `no such path ${url.pathname}` });
    if (req.method !== 'PUT' && req.method !== 'POST') return send(res, 405, { error: `${req.method} is not PUT or POST` });
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return send(res, 400, { error: 'Idempotency-Key header missing' });
    const arrival: Arrival = { key, effect: match[1], method: req.method, query: Object.fromEntries(url.searchParams) };

    let entry = entries.get(key);
    if (!entry) {
      entry = { key, effect: arrival.effect, method: arrival.method, arrivals: 0, applied: 0 };
      entries.set(key, entry);
    }
    entry.arrivals++;
    const replay = arrival.method === 'PUT' && entry.applied > 0;
    if (!replay) entry.applied++;
    const body = { key, applied: entry.applied, arrivals: entry.arrivals, replay };

    if (holding?.(arrival)) {
      withheld.push({ arrival, res, answer: () => send(res, 200, body) });
      return;
    }
    send(res, 200, body);
  }

  return {
    get url() {
      return `http://127.0.0.1:${this.port}`;
    },
    get port() {
      if (port === undefined) throw new Error('the ledger server has not started');
      return port;
    },
    async start() {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
    },
    async stop() {
      holding = undefined;
      withheld = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    entries: () => [...entries.values()].map((e) => ({ ...e })),
    entry(key) {
      const entry = entries.get(key);
      return entry && { ...entry };
    },
    hold(when) {
      holding = when;
    },
    held: () => withheld.filter((h) => connected(h.res)).map((h) => h.arrival),
    release() {
      holding = undefined;
      const answered = withheld.filter((h) => connected(h.res));
      for (const h of answered) h.answer();
      withheld = [];
      return answered.length;
    },
  };
}

function connected(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded && !res.socket?.destroyed;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (!connected(res)) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
