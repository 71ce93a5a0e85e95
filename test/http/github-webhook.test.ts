import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createGitHubWebhook, GITHUB_WEBHOOK_PATH, MAX_GITHUB_WEBHOOK_BYTES } from '../../src/http/github-webhook.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { classifyGitHubEvent } from '../../src/integrations/github/webhook-events.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';
import { checkRunDeliveries, checkSuiteDelivery, deliver, type FailedRunSpec, webhookExamples, workflowRunDelivery } from '../support/github-webhooks.ts';
import { useTempFiles } from '../store/temp-files.ts';

const SECRET = 'github-webhook-secret-0123456789';
const RUN: FailedRunSpec = { repo: 'octo-org/octo-repo', runId: 30433642, sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', jobs: [{ id: 399444496, name: 'build', conclusion: 'failure' }] };

describe('POST /webhooks/github', () => {
  const files = useTempFiles();
  let http: HttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  async function serve(options: { secret?: string | undefined; repositories?: string[]; reviewPullRequests?: boolean } = {}) {
    const store = createStore(files.open(), { isProcessAlive: () => false });
    const logs: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const accepted: Array<{ id: number; kind: string; body: Record<string, unknown> }> = [];
    const handler = createGitHubWebhook({
      secret: 'secret' in options ? options.secret : SECRET,
      store,
      clock: new ManualClock(),
      log,
      classify: (event, payload) => classifyGitHubEvent(event, payload, { repositories: options.repositories ?? [], reviewPullRequests: options.reviewPullRequests ?? false }),
      onAccepted: (id, request) => accepted.push({ id, ...request }),
    });
    http = createHttpServer([{ method: 'POST', path: GITHUB_WEBHOOK_PATH, handler }], log);
    const { url } = await http.listen(0, '127.0.0.1');
    return { url, store, accepted, logs };
  }

  const stored = (store: Store) => ({
    keys: store.db.prepare('SELECT key FROM processed_events').pluck().all(),
    inbox: store.db.prepare('SELECT key, kind, status FROM inbox').all(),
    audit: store.db.prepare("SELECT actor, action, command, outcome FROM audit_log").all(),
  });
  const nothing = { keys: [], inbox: [], audit: [] };

  it('refuses a delivery signed with another secret with 401, and stores nothing', async () => {
    const { url, store, accepted, logs } = await serve();
    const res = await deliver(url, 'not-the-secret', workflowRunDelivery(RUN, 'completed'));

    expect(res).toEqual({ status: 401, body: { ok: false, error: 'unauthorized' } });
    expect(stored(store)).toEqual(nothing);
    expect(accepted).toEqual([]);
    expect(logs.some((l) => l.msg === 'github webhook refused: signature does not match GITHUB_WEBHOOK_SECRET')).toBe(true);
  });

  it('refuses a delivery without a signature, or with a malformed one, with 401', async () => {
    const { url, store } = await serve();
    expect((await deliver(url, undefined, workflowRunDelivery(RUN, 'completed'))).status).toBe(401);
    expect((await deliver(url, SECRET, workflowRunDelivery(RUN, 'completed'), { signature: 'sha1=0123' })).status).toBe(401);
    expect((await deliver(url, SECRET, workflowRunDelivery(RUN, 'completed'), { signature: `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    expect(stored(store)).toEqual(nothing);
  });

  it('refuses every delivery with 503 when GITHUB_WEBHOOK_SECRET is not set, and says so once at start-up', async () => {
    const { url, store, logs } = await serve({ secret: undefined });
    const res = await deliver(url, SECRET, workflowRunDelivery(RUN, 'completed'));

    expect(res.status).toBe(503);
    expect(res.body.message).toBe('GITHUB_WEBHOOK_SECRET is not set on this opsbot');
    expect(stored(store)).toEqual(nothing);
    expect(logs.filter((l) => String(l.msg).includes('GITHUB_WEBHOOK_SECRET is not set'))).toHaveLength(1);
  });

  it('records a failed run durably before answering 202, then hands it to the worker', async () => {
    const { url, store, accepted } = await serve();
    const delivery = workflowRunDelivery(RUN, 'completed');
    const res = await deliver(url, SECRET, delivery);

    expect(res).toEqual({ status: 202, body: { ok: true, accepted: true } });
    expect(stored(store)).toEqual({
      keys: [`github:${delivery.delivery}`],
      inbox: [{ key: `github:${delivery.delivery}`, kind: 'github', status: 'pending' }],
      audit: [{ actor: 'github', action: 'received', command: 'github workflow_run', outcome: 'accepted' }],
    });
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.body).toMatchObject({ delivery: delivery.delivery, event: 'workflow_run', work: { type: 'failed_run', run: { id: RUN.runId, attempt: 1, conclusion: 'failure', headSha: RUN.sha } } });
  });

  it('acknowledges a redelivery (same X-GitHub-Delivery) without recording or working it again', async () => {
    const { url, store, accepted } = await serve();
    const delivery = workflowRunDelivery(RUN, 'completed');
    await deliver(url, SECRET, delivery);
    const again = await deliver(url, SECRET, delivery);

    expect(again).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(stored(store).inbox).toHaveLength(1);
    expect(accepted).toHaveLength(1);
  });

  it('acknowledges deliveries that are no work for opsbot without storing them', async () => {
    const { url, store, accepted } = await serve();
    const ping = { event: 'ping', delivery: 'd-ping', payload: webhookExamples('ping')[0]! };
    for (const d of [ping, workflowRunDelivery(RUN, 'requested'), workflowRunDelivery(RUN, 'in_progress'), checkSuiteDelivery(RUN)]) {
      const res = await deliver(url, SECRET, d);
      expect(res.status).toBe(200);
      expect(res.body.ignored).toEqual(expect.any(String));
    }
    const passed = await deliver(url, SECRET, checkRunDeliveries({ ...RUN, jobs: [{ id: 1, name: 'lint', conclusion: 'success' }] })[0]!);
    expect(passed.body.ignored).toBe('check_run completed: success');
    expect(stored(store)).toEqual(nothing);
    expect(accepted).toEqual([]);
  });

  it('records a failed Actions check run as work naming its run and job', async () => {
    const { url, accepted } = await serve();
    await deliver(url, SECRET, checkRunDeliveries(RUN)[0]!);
    expect(accepted[0]!.body.work).toEqual({ type: 'failed_check', repo: { owner: 'octo-org', repo: 'octo-repo' }, runId: RUN.runId, jobId: 399444496, check: 'build', conclusion: 'failure', headSha: RUN.sha });
  });

  it('ignores repositories outside github.repositories, and opened pull requests unless reviews are on', async () => {
    const { url, store } = await serve({ repositories: ['other-org/other-repo'] });
    const res = await deliver(url, SECRET, workflowRunDelivery(RUN, 'completed'));
    expect(res.body.ignored).toBe('octo-org/octo-repo is not in github.repositories');
    const opened = { event: 'pull_request', delivery: 'd-pr', payload: webhookExamples('pull_request')[0]! };
    expect((await deliver(url, SECRET, opened)).body.ignored).toBe('Codertocat/Hello-World is not in github.repositories');
    expect(stored(store)).toEqual(nothing);

    const reviewing = await serve({ reviewPullRequests: true });
    expect((await deliver(reviewing.url, SECRET, opened)).status).toBe(202);
    expect(reviewing.accepted[0]!.body.work).toEqual({ type: 'pull_request_opened', pr: { owner: 'Codertocat', repo: 'Hello-World', number: 2 }, author: 'Codertocat', title: 'Update the README with new information.', draft: false });
  });

  it('takes the form-encoded content type too (payload=<json>), verified over the raw body', async () => {
    const { url, accepted } = await serve();
    const delivery = workflowRunDelivery(RUN, 'completed');
    const body = new URLSearchParams({ payload: JSON.stringify(delivery.payload) }).toString();
    const { githubSignature } = await import('../../src/http/github-webhook.ts');
    const res = await fetch(`${url}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'workflow_run', 'x-github-delivery': delivery.delivery, 'x-hub-signature-256': githubSignature(SECRET, body) },
      body,
    });
    expect(res.status).toBe(202);
    expect(accepted).toHaveLength(1);
  });

  it('answers 413 to a body over the cap and 400 to a signed delivery without its headers or JSON', async () => {
    const { url, store } = await serve();
    const delivery = workflowRunDelivery(RUN, 'completed');
    const big = JSON.stringify({ ...delivery.payload, padding: 'x'.repeat(MAX_GITHUB_WEBHOOK_BYTES) });
    expect((await deliver(url, SECRET, delivery, { body: big })).status).toBe(413);
    expect((await deliver(url, SECRET, { ...delivery, delivery: '' })).status).toBe(400);
    expect((await deliver(url, SECRET, delivery, { body: 'not json' })).status).toBe(400);
    expect(stored(store)).toEqual(nothing);
  });
});
