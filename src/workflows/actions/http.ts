import { OpsError, UserError } from '../../errors.ts';
import type { ActionContext, ActionDefinition, ActionResult } from '../action.ts';
import {
  DEFAULT_BODY_CAP,
  READ_ONLY_METHODS,
  REQUEST_KEYS,
  type HttpMethod,
  type HttpRequest,
  displayUrl,
  excerpt,
  hasHeader,
  readHttpRequest,
  sendHttpRequest,
} from './http-request.ts';
import { inputFields } from './input-fields.ts';

/**
 * Two actions, because idempotency is the action's declaration and HTTP's is the method's:
 * `http` sends GET, HEAD, OPTIONS, PUT and DELETE, which HTTP defines as idempotent, and is
 * retried after a crash; `http.post` sends POST and PATCH, which are not, so an interrupted
 * attempt pauses the run for a person. Both send the attempt's key as `Idempotency-Key`, which
 * lets a server that honours it (Stripe-style APIs) turn a repeated POST into a no-op.
 */

export interface HttpDeps {
  fetch?: typeof fetch;
  bodyCapBytes?: number;
}

export interface HttpInput extends HttpRequest {
  /** Statuses that count as success; undefined: any 2xx. */
  expectStatus?: number[];
}

const IDEMPOTENT_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'];
const UNSAFE_METHODS: readonly HttpMethod[] = ['POST', 'PATCH'];
const KEYS = [...REQUEST_KEYS, 'expect_status'] as const;

export function createHttpAction(deps: HttpDeps = {}): ActionDefinition<HttpInput> {
  return {
    name: 'http',
    summary: 'Send a GET, HEAD, OPTIONS, PUT or DELETE request and check its status',
    idempotent: true,
    parse: (input) => parseHttpInput('http', input, IDEMPOTENT_METHODS, 'GET'),
    run: (input, ctx) => runRequest(deps, input, ctx),
  };
}

export function createHttpPostAction(deps: HttpDeps = {}): ActionDefinition<HttpInput> {
  return {
    name: 'http.post',
    summary: 'Send a POST or PATCH request (not safe to repeat) and check its status',
    idempotent: false,
    parse: (input) => parseHttpInput('http.post', input, UNSAFE_METHODS, 'POST'),
    run: (input, ctx) => runRequest(deps, input, ctx),
  };
}

function parseHttpInput(action: string, input: Record<string, unknown>, methods: readonly HttpMethod[], method: HttpMethod): HttpInput {
  const fields = inputFields(action, input);
  fields.only(KEYS);
  const asked = typeof input.method === 'string' ? input.method.toUpperCase() : undefined;
  const other = methods === IDEMPOTENT_METHODS ? 'http.post' : 'http';
  if (asked && !methods.includes(asked as HttpMethod) && (other === 'http' ? IDEMPOTENT_METHODS : UNSAFE_METHODS).includes(asked as HttpMethod)) {
    throw new UserError('invalid_action_input', `${action}: \`${fields.at('method')}\` ${asked} is sent by \`${other}\`.`, `Use \`action: ${other}\` for ${asked} requests.`);
  }
  const request = readHttpRequest(fields, input, methods, { method });
  const raw = input.expect_status;
  if (raw === undefined || raw === null) return request;
  const list = Array.isArray(raw) ? raw : [raw];
  const expectStatus = list.map((status, i) => {
    const value = typeof status === 'string' && /^\d+$/.test(status) ? Number(status) : status;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 100 || value > 599) {
      return fields.fail(Array.isArray(raw) ? `expect_status[${i}]` : 'expect_status', 'an HTTP status (100–599) or a list of them', status);
    }
    return value;
  });
  if (expectStatus.length === 0) fields.fail('expect_status', 'at least one HTTP status', raw);
  return { ...request, expectStatus };
}

async function runRequest(deps: HttpDeps, input: HttpInput, ctx: ActionContext): Promise<ActionResult> {
  const what = `${input.method} ${displayUrl(input.url)}`;
  if (ctx.dryRun && !READ_ONLY_METHODS.includes(input.method)) {
    return { result: { dryRun: true, method: input.method, url: input.url }, log: `would send: ${what}` };
  }
  const headers = hasHeader(input.headers, 'idempotency-key') ? input.headers : { ...input.headers, 'Idempotency-Key': ctx.idempotencyKey };
  const response = await sendHttpRequest(
    { ...input, headers },
    { fetch: deps.fetch ?? globalThis.fetch, clock: ctx.clock, signal: ctx.signal, bodyCapBytes: deps.bodyCapBytes ?? DEFAULT_BODY_CAP },
  );
  const expected = input.expectStatus;
  const ok = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!ok) {
    const wanted = expected ? expected.join(' or ') : '2xx';
    const body = excerpt(response.body);
    throw new OpsError('http_unexpected_status', `${what} answered ${response.status} (expected ${wanted})${body ? `: ${body}` : ''}`);
  }
  ctx.log.debug({ method: input.method, url: displayUrl(input.url), status: response.status }, 'http step answered');
  return { result: response, log: `${what} → ${response.status}${response.body ? `\n${response.body}` : ''}` };
}
