import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { MAX_WEBHOOK_BODY_BYTES, WORKFLOW_WEBHOOK_PREFIX, createWorkflowWebhook } from '../../src/http/workflow-webhook.ts';
import type { Triggers, WorkflowDefinition } from '../../src/workflows/definition.ts';
import type { Requester } from '../../src/workflows/engine.ts';
import { paramsSchema } from '../../src/workflows/params.ts';

const TOKEN = 'deploy-hook-secret-0123456789';

function workflow(name: string, webhook?: Triggers['webhook']): WorkflowDefinition {
  return {
    name,
    description: `${name} from a webhook`,
    params: {
      service: { type: 'string', required: true },
      version: { type: 'string', required: true, pattern: 'v\\d+\\.\\d+\\.\\d+' },
    },
    run: { role: 'deployer' },
    triggers: { command: true, schedules: [], ...(webhook ? { webhook } : {}) },
    steps: [],
    file: `workflows/${name}.yaml`,
    source: 'workflow',
  };
}

interface StartCall {
  name: string;
  params: Record<string, unknown>;
  requester: Requester;
  trigger: string;
}

describe('POST /webhooks/workflows/<name>', () => {
  let http: HttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  async function serve(options: { env?: Record<string, string>; startFails?: Error } = {}) {
    const definitions = new Map([
      ['deploy', workflow('deploy', { tokenEnv: 'DEPLOY_WEBHOOK_TOKEN' })],
      ['rotate', workflow('rotate', { tokenEnv: 'ROTATE_WEBHOOK_TOKEN' })],
      ['manual-only', workflow('manual-only')],
    ]);
    const env = options.env ?? { DEPLOY_WEBHOOK_TOKEN: TOKEN };
    const started: StartCall[] = [];
    const logs: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const handler = createWorkflowWebhook({
      definitions: () => definitions,
      tokenFor: (name) => env[name],
      log,
      // Validates params as the engine does; the engine itself is tested elsewhere.
      start: async (name, params, requester, trigger) => {
        started.push({ name, params, requester, trigger });
        if (options.startFails) throw options.startFails;
        const parsed = paramsSchema(definitions.get(name) ?? workflow(name)).safeParse(params);
        if (!parsed.success) throw new UserError('workflow_params_invalid', `${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
        return { runId: `run-${started.length}`, status: 'running' };
      },
    });
    http = createHttpServer([{ method: 'POST', path: WORKFLOW_WEBHOOK_PREFIX, prefix: true, handler }], log);
    const { url } = await http.listen(0, '127.0.0.1');
    const post = (name: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
      fetch(`${url}${WORKFLOW_WEBHOOK_PREFIX}${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { url, post, started, logs };
  }

  const params = JSON.stringify({ service: 'api', version: 'v2.3.0' });

  it('starts a run with the body as params when the bearer token matches, and answers 202 with the run', async () => {
    const { post, started } = await serve();

    const res = await post('deploy', params);

    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true, runId: 'run-1', status: 'running' });
    expect(started).toEqual([{ name: 'deploy', params: { service: 'api', version: 'v2.3.0' }, requester: { userId: 'webhook', channel: null }, trigger: 'webhook' }]);
  });

  it('answers 401 without a token and starts nothing', async () => {
    const { post, started } = await serve();

    const res = await post('deploy', params, {});

    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ ok: false, error: 'unauthorized' });
    expect(started).toEqual([]);
  });

  it('answers 401 to a wrong token, of the same length or not', async () => {
    const { post, started } = await serve();

    const sameLength = await post('deploy', params, { authorization: `Bearer ${TOKEN.slice(0, -1)}X` });
    const shorter = await post('deploy', params, { authorization: 'Bearer nope' });
    const notBearer = await post('deploy', params, { authorization: `Basic ${TOKEN}` });

    expect([sameLength.status, shorter.status, notBearer.status]).toEqual([401, 401, 401]);
    expect(started).toEqual([]);
  });

  it('answers 401 to a workflow without a webhook trigger and to an unknown workflow, so names do not leak', async () => {
    const { post, started } = await serve();

    const manual = await post('manual-only', params);
    const unknown = await post('no-such-workflow', params);

    expect([manual.status, unknown.status]).toEqual([401, 401]);
    expect(await unknown.json()).toEqual({ ok: false, error: 'unauthorized' });
    expect(started).toEqual([]);
  });

  it('refuses every request to a workflow whose token variable is unset, and warns about it once', async () => {
    const { post, started, logs } = await serve();

    const first = await post('rotate', params, { authorization: 'Bearer ' });
    const second = await post('rotate', params, { authorization: 'Bearer anything' });

    expect([first.status, second.status]).toEqual([401, 401]);
    expect(started).toEqual([]);
    expect(logs.filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({ msg: 'workflow webhook refuses every request: its token variable is not set', workflow: 'rotate', tokenEnv: 'ROTATE_WEBHOOK_TOKEN' }),
    ]);
  });

  it('answers 400 with a message to a body that is not JSON, or not an object', async () => {
    const { post, started } = await serve();

    const broken = await post('deploy', '{"service": "api",');
    const list = await post('deploy', '["api"]');

    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ ok: false, error: 'invalid_json', message: expect.stringContaining('not valid JSON') });
    expect(list.status).toBe(400);
    expect(await list.json()).toEqual({ ok: false, error: 'invalid_json', message: expect.stringContaining('JSON object of params') });
    expect(started).toEqual([]);
  });

  it('answers 413 to a body over 64 KiB and starts nothing', async () => {
    const { post, started } = await serve();

    const res = await post('deploy', JSON.stringify({ service: 'api', version: 'v2.3.0', note: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) }));

    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(expect.objectContaining({ ok: false, error: 'payload_too_large' }));
    expect(started).toEqual([]);
  });

  it('answers 413 to a streamed body that grows past 64 KiB without declaring its length', async () => {
    const { url, started } = await serve();
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });

    const res = await fetch(`${url}/webhooks/workflows/deploy`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body, duplex: 'half' } as RequestInit);

    expect(res.status).toBe(413);
    expect(started).toEqual([]);
  });

  it('answers 422 naming the param that fails its pattern', async () => {
    const { post } = await serve();

    const res = await post('deploy', JSON.stringify({ service: 'api', version: 'v1; rm -rf /' }));

    expect(res.status).toBe(422);
    const body = (await res.json()) as { ok: boolean; error: string; message: string };
    expect(body).toEqual({ ok: false, error: 'invalid_params', message: expect.stringContaining('version') });
  });

  it('answers 409 when the workflow refuses a second run, with its reason', async () => {
    const { post } = await serve({ startFails: new UserError('workflow_busy', 'deploy is already running for api-production: run-7.') });

    const res = await post('deploy', params);

    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ ok: false, error: 'busy', message: 'deploy is already running for api-production: run-7.' });
  });

  it('answers 500 without details when the run cannot be started, and logs why', async () => {
    const { post, logs } = await serve({ startFails: new Error('SQLITE_BUSY: database is locked') });

    const res = await post('deploy', params);

    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ ok: false, error: 'internal_error' });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'workflow webhook could not start a run', workflow: 'deploy' }));
  });

  it('is reached only by POST under its prefix: other methods get 405, other paths 404', async () => {
    const { url } = await serve();

    const get = await fetch(`${url}/webhooks/workflows/deploy`);
    const elsewhere = await fetch(`${url}/webhooks/other`, { method: 'POST', body: '{}' });

    expect(get.status).toBe(405);
    expect(elsewhere.status).toBe(404);
  });
});
