import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Messages API: `POST /v1/messages` answers from a scripted queue, in order, in the
 * real wire format (message JSON with content blocks, stop_reason and usage; errors as
 * `{ type: 'error', error: { type, message } }` with their status and headers). A request with no
 * script left gets a 500 naming the problem, so a test that sends more than it scripted fails
 * loudly. Every request is recorded: path, body, and headers with credentials removed; which of
 * the `knownKeys` appeared in any header is recorded by label, so tests can prove which key was sent
 * without the fake keeping it.
 */

export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer (the client's timeout fires). */
  hang?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased names; authorization and x-api-key removed. */
  headers: Record<string, string>;
  /** Labels of `knownKeys` found in any header value. */
  credentials: string[];
  body: Record<string, unknown>;
}

export interface FakeMessagesApi {
  /** `http://127.0.0.1:<port>` (the SDK adds /v1/messages). */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Queues replies, answered one per request in order. */
  script(...replies: ScriptedReply[]): void;
  requests(): RecordedRequest[];
  /** Scripted replies not yet used. */
  pending(): number;
  /** Drops the unused replies, so one failing test cannot feed the next. */
  clear(): void;
}

export interface MessageReply {
  /** Text of the single text block; JSON-encoded when not a string. */
  text?: unknown;
  toolUse?: Array<{ id: string; name: string; input: unknown }>;
  stopReason?: 'end_turn' | 'max_tokens' | 'refusal' | 'tool_use' | 'stop_sequence';
  model?: string;
  usage?: Partial<{ input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number }>;
}

/** A 200 carrying an assistant message. */
export function message(reply: MessageReply): ScriptedReply {
  const id = randomUUID().slice(0, 8);
  const content: unknown[] = [];
  if (reply.text !== undefined) content.push({ type: 'text', text: typeof reply.text === 'string' ? reply.text : JSON.stringify(reply.text) });
  for (const call of reply.toolUse ?? []) content.push({ type: 'tool_use', ...call });
  return {
    status: 200,
    headers: { 'request-id': `req_fake_${id}` },
    body: {
      id: `msg_fake_${id}`,
      type: 'message',
      role: 'assistant',
      model: reply.model ?? 'claude-sonnet-5-5',
      content,
      stop_reason: reply.stopReason ?? 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 100,
        output_tokens: 50,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        ...reply.usage,
      },
    },
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** An error in Anthropic's shape, e.g. apiError(429, { 'retry-after': '0.001' }). */
export function apiError(status: number, headers: Record<string, string> = {}, text = `fake ${String(status)}`): ScriptedReply {
  return { status, headers, body: { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message: text } } };
}

export function hang(): ScriptedReply {
  return { status: 0, hang: true };
}

export function createFakeMessagesApi(options: { knownKeys?: Record<string, string> } = {}): FakeMessagesApi {
  const queue: ScriptedReply[] = [];
  const recorded: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let base: string | undefined;

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    const credentials = new Set<string>();
    for (const [name, value] of Object.entries(req.headers)) {
      const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
      for (const [label, key] of Object.entries(options.knownKeys ?? {})) if (text.includes(key)) credentials.add(label);
      if (name !== 'authorization' && name !== 'x-api-key') headers[name] = text;
    }
    recorded.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers,
      credentials: [...credentials],
      body: raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>),
    });

    if (req.method !== 'POST' || req.url !== '/v1/messages') return send(res, apiError(404, {}, `no route ${req.method ?? ''} ${req.url ?? ''}`));
    if (req.headers.authorization === undefined && req.headers['x-api-key'] === undefined) return send(res, apiError(401, {}, 'no credential'));
    const next = queue.shift();
    if (next === undefined) return send(res, apiError(500, { 'x-should-retry': 'false' }, 'fake Messages API: no scripted reply left'));
    if (next.hang) {
      hanging.add(res);
      return;
    }
    send(res, next);
  }

  function send(res: ServerResponse, reply: ScriptedReply): void {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body ?? {}));
  }

  return {
    get url() {
      if (base === undefined) throw new Error('fake Messages API not started');
      return base;
    },
    async start() {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
    script(...replies) {
      queue.push(...replies);
    },
    requests: () => recorded.map((request) => ({ ...request })),
    pending: () => queue.length,
    clear: () => void queue.splice(0),
  };
}
