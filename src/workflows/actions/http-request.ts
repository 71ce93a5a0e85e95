import type { Clock } from '../../clock.ts';
import { formatDuration } from '../../duration.ts';
import { OpsError, errorMessage } from '../../errors.ts';
import { type InputFields, isPlainMap } from './input-fields.ts';

/**
 * One HTTP request as the `http` actions and wait-until's probe send it: read from `with:`,
 * sent through fetch with a timeout kept by the clock, answered with a capped body and a
 * header subset that is safe to store and show.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'PUT' | 'DELETE' | 'POST' | 'PATCH';

export interface HttpRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse extends Record<string, unknown> {
  status: number;
  /** Lower-cased names; cookies and anything naming a credential left out. */
  headers: Record<string, string>;
  body: string;
  bodyTruncated: boolean;
  /** The parsed body when it is JSON, else null. */
  json: unknown;
}

export interface SendOptions {
  fetch: typeof fetch;
  clock: Clock;
  signal: AbortSignal;
  bodyCapBytes: number;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
export const DEFAULT_BODY_CAP = 1024 * 1024;
export const READ_ONLY_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'OPTIONS'];
export const REQUEST_KEYS = ['url', 'method', 'headers', 'body', 'timeout'] as const;
const HEADER_NAME = { pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, described: 'header names' };
const SECRET_HEADER = /cookie|authori[sz]ation|authenticate|token|secret|session|signature|credential|password|api[-_]?key/i;

/** Reads url, method, headers, body and timeout; `methods` are those this action may send. */
export function readHttpRequest(
  fields: InputFields,
  input: Record<string, unknown>,
  methods: readonly HttpMethod[],
  defaults: { method: HttpMethod; timeoutMs?: number },
): HttpRequest {
  const url = fields.string('url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fields.fail('url', 'an absolute http(s) URL', url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fields.fail('url', 'an http or https URL', url);

  const method = (fields.optionalString('method')?.toUpperCase() ?? defaults.method) as HttpMethod;
  if (!methods.includes(method)) fields.fail('method', `one of ${methods.join(', ')}`, input.method);

  const headers = fields.optionalStringMap('headers', HEADER_NAME) ?? {};
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n\0]/.test(value)) fields.fail(`headers.${name}`, 'a single line', value);
  }

  let body: string | undefined;
  const rawBody = input.body;
  if (rawBody !== undefined && rawBody !== null) {
    if (method === 'GET' || method === 'HEAD') fields.fail('body', `absent: ${method} requests carry no body`, rawBody);
    if (typeof rawBody === 'string') body = rawBody;
    else if (isPlainMap(rawBody) || Array.isArray(rawBody) || typeof rawBody === 'number' || typeof rawBody === 'boolean') {
      body = JSON.stringify(rawBody);
      if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
    } else fields.fail('body', 'a string, or a map or list sent as JSON', rawBody);
  }

  const timeoutMs = fields.optionalDuration('timeout') ?? defaults.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  if (timeoutMs === 0) fields.fail('timeout', 'a duration above 0', input.timeout);
  return { url: parsed.href, method, headers, ...(body !== undefined ? { body } : {}), timeoutMs };
}

export function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

/**
 * The URL as messages and logs show it: no user:password and no query string, where tokens
 * are often passed.
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Sends the request. Rejects with the signal's reason when `signal` aborts, with OpsError
 * `http_timeout` when the request outlives its timeout, `http_request_failed` when no answer
 * came (refused, DNS, reset). Any status is an answer: the caller judges it.
 */
export async function sendHttpRequest(request: HttpRequest, options: SendOptions): Promise<HttpResponse> {
  options.signal.throwIfAborted();
  const what = `${request.method} ${displayUrl(request.url)}`;
  const controller = new AbortController();
  const timeout = new OpsError('http_timeout', `${what} did not answer within ${formatDuration(request.timeoutMs)}`);
  const onAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  // By the clock like every domain timer; cleared when done, unlike AbortSignal.timeout's.
  const cancelTimer = options.clock.setTimer(() => controller.abort(timeout), request.timeoutMs);
  try {
    const response = await options.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: controller.signal,
    });
    const { text, truncated } = await readCapped(response, options.bodyCapBytes);
    const headers = safeHeaders(response.headers);
    return { status: response.status, headers, body: text, bodyTruncated: truncated, json: truncated ? null : parseJson(text, headers['content-type']) };
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw new OpsError('http_request_failed', `${what} failed: ${describeFetchError(err)}`, { cause: err });
  } finally {
    cancelTimer();
    options.signal.removeEventListener('abort', onAbort);
  }
}

async function readCapped(response: Response, cap: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > cap) {
      chunks.push(value.subarray(0, cap - size));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), truncated };
}

function safeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!SECRET_HEADER.test(name)) out[name.toLowerCase()] = value;
  });
  return out;
}

function parseJson(text: string, contentType: string | undefined): unknown {
  const looksJson = contentType ? /[/+]json\b/i.test(contentType) : /^\s*[[{]/.test(text);
  if (!looksJson || text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function describeFetchError(err: unknown): string {
  // undici says "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND …) in `cause`.
  const cause = err instanceof Error ? err.cause : undefined;
  if (!cause) return errorMessage(err);
  const code = typeof cause === 'object' && 'code' in cause ? String(cause.code) : '';
  return errorMessage(cause) || code || errorMessage(err);
}

/** A short, one-line excerpt of a body for error messages. */
export function excerpt(body: string, max = 300): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
