import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { UserError } from '../errors.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import type { Requester } from '../workflows/engine.ts';
import { type Route, sendJson } from './server.ts';

/**
 * `POST /webhooks/workflows/<name>`: starts a run of a workflow that declares a webhook
 * trigger, with the JSON body as its params. The bearer token is compared with the value of the
 * environment variable the workflow names; an unknown workflow, one without a webhook trigger
 * and one whose variable is unset all answer the same 401, so names do not leak. Nothing is
 * read, started or stored before the token has matched.
 */

export const WORKFLOW_WEBHOOK_PREFIX = '/webhooks/workflows/';
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

export interface WorkflowWebhookDeps {
  definitions: () => ReadonlyMap<string, WorkflowDefinition>;
  start: (name: string, params: Record<string, unknown>, requester: Requester, trigger: 'webhook') => Promise<{ runId: string; status: string }>;
  /** The value of an environment variable (config reads the environment; this only looks up). */
  tokenFor: (envName: string) => string | undefined;
  log: Logger;
}

type Handler = Route['handler'];

export function createWorkflowWebhook(deps: WorkflowWebhookDeps): Handler {
  const { log } = deps;
  const warnedUnset = new Set<string>();

  function authorized(req: IncomingMessage, name: string | undefined): WorkflowDefinition | undefined {
    const definition = name === undefined ? undefined : deps.definitions().get(name);
    const tokenEnv = definition?.triggers.webhook?.tokenEnv;
    if (!definition || tokenEnv === undefined) return undefined;
    const expected = deps.tokenFor(tokenEnv);
    if (!expected) {
      if (!warnedUnset.has(tokenEnv)) {
        warnedUnset.add(tokenEnv);
        log.warn({ workflow: definition.name, tokenEnv }, 'workflow webhook refuses every request: its token variable is not set');
      }
      return undefined;
    }
    const given = bearer(req.headers.authorization);
    return given !== undefined && sameSecret(given, expected) ? definition : undefined;
  }

  return async (req: IncomingMessage, res: ServerResponse) => {
    const name = workflowName(req.url);
    const definition = authorized(req, name);
    if (!definition) {
      log.info({ path: (req.url ?? '').split('?')[0] }, 'workflow webhook refused: unauthorized');
      refuse(req, res, 401, { ok: false, error: 'unauthorized' });
      return;
    }

    const body = await readLimited(req, MAX_WEBHOOK_BODY_BYTES);
    if (body === 'too_large') {
      refuse(req, res, 413, { ok: false, error: 'payload_too_large', message: `the body may hold at most ${MAX_WEBHOOK_BODY_BYTES} bytes` });
      return;
    }
    const params = parseParams(body);
    if (typeof params === 'string') {
      sendJson(res, 400, { ok: false, error: 'invalid_json', message: params });
      return;
    }

    try {
      const { runId, status } = await deps.start(definition.name, params, { userId: 'webhook', channel: null }, 'webhook');
      log.info({ workflow: definition.name, runId, status }, 'workflow webhook started a run');
      sendJson(res, 202, { ok: true, runId, status });
    } catch (err) {
      if (err instanceof UserError) {
        // A concurrency refusal is a conflict with a running run, not a fault in the request.
        const conflict = err.code === 'workflow_busy';
        sendJson(res, conflict ? 409 : 422, { ok: false, error: conflict ? 'busy' : 'invalid_params', message: err.message });
        return;
      }
      log.error({ err, workflow: definition.name }, 'workflow webhook could not start a run');
      sendJson(res, 500, { ok: false, error: 'internal_error' });
    }
  };
}

function workflowName(url: string | undefined): string | undefined {
  const path = (url ?? '').split('?')[0] ?? '';
  if (!path.startsWith(WORKFLOW_WEBHOOK_PREFIX)) return undefined;
  const raw = path.slice(WORKFLOW_WEBHOOK_PREFIX.length);
  try {
    const name = decodeURIComponent(raw);
    return name === '' || name.includes('/') ? undefined : name;
  } catch {
    return undefined;
  }
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Constant-time for equal lengths; a length mismatch is refused without comparing contents. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The whole body, or 'too_large' as soon as it passes `limit`. The stream is not destroyed
 * (that would reset the connection under the 413): the rest is drained and dropped.
 */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd).off('error', reject);
      chunks.length = 0;
      resolve('too_large');
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

/** The params object, or why the body is not one. An empty body is no params. */
function parseParams(body: Buffer): Record<string, unknown> | string {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the body must be a JSON object of params, like {"version": "v1.2.3"}';
  return value as Record<string, unknown>;
}

/**
 * Answers before the body has been read: the connection is closed after the answer, and what
 * the client still sends is discarded rather than parsed.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  res.setHeader('connection', 'close');
  sendJson(res, status, body);
  req.resume();
}
