import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningOpsbot, startOpsbot } from '../support/opsbot.ts';

const TOKEN = 'wf-webhook-token-0123456789';

/** A workflow whose one step appends its trigger to a file, so a test sees every run it made. */
function workflowsIn(dir: string, out: string): string {
  const workflows = join(dir, 'workflows');
  mkdirSync(workflows, { recursive: true });
  writeFileSync(
    join(workflows, 'nightly.yaml'),
    `name: nightly
description: Appends a line per run
params:
  note: { type: string, default: scheduled, pattern: '[a-z]+' }
role: responder
triggers:
  schedule:
    - { cron: '0 3 * * *', timezone: UTC, params: { note: cron } }
  webhook: { token_env: NIGHTLY_TOKEN }
steps:
  - id: mark
    action: shell.idempotent
    with:
      argv: [${JSON.stringify(process.execPath)}, -e, "require('node:fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n')", ${JSON.stringify(out)}, '\${{ params.note }}']
`,
  );
  return workflows;
}

describe('workflow triggers through the running app', () => {
  let opsbot: RunningOpsbot | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await opsbot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    opsbot = undefined;
  });

  const start = async () => {
    dir = mkdtempSync(join(tmpdir(), 'opsbot-triggers-'));
    const out = join(dir, 'runs.txt');
    opsbot = await startOpsbot({ workflowsDir: workflowsIn(dir, out), baseEnv: { PATH: process.env.PATH ?? '' }, secretEnv: { NIGHTLY_TOKEN: TOKEN } });
    return { out, url: opsbot.url };
  };
  const post = (url: string, body: unknown, token?: string) =>
    fetch(`${url}/webhooks/workflows/nightly`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const runs = () => opsbot?.app.workflows.list({ limit: 50 }) ?? [];

  it('refuses a webhook call without the workflow token, starting nothing', async () => {
    const { url } = await start();

    expect((await post(url, { note: 'hook' })).status).toBe(401);
    expect((await post(url, { note: 'hook' }, 'wrong-token')).status).toBe(401);

    expect(runs()).toEqual([]);
  });

  it('starts a run for a webhook call with the token, and the step runs', async () => {
    const { url, out } = await start();

    const res = await post(url, { note: 'hook' }, TOKEN);
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    await opsbot?.settle();
    for (let i = 0; i < 100 && opsbot?.app.workflows.get(runId)?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 20));

    expect(opsbot?.app.workflows.get(runId)).toMatchObject({ status: 'succeeded', trigger: 'webhook' });
    expect(readFileSync(out, 'utf8')).toBe('hook\n');
  });

  it('fires a scheduled workflow at its cron time on the test clock', async () => {
    const { out } = await start();
    const clock = opsbot!.clock;
    const next3am = new Date(clock.now());
    next3am.setUTCHours(3, 0, 0, 0);
    if (next3am.getTime() <= clock.now()) next3am.setUTCDate(next3am.getUTCDate() + 1);

    await clock.advance(next3am.getTime() - clock.now() - 1_000);
    expect(runs()).toEqual([]);
    await clock.advance(1_000);
    for (let i = 0; i < 100 && runs()[0]?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 20));

    expect(runs()).toEqual([expect.objectContaining({ workflow: 'nightly', trigger: 'schedule', status: 'succeeded' })]);
    expect(readFileSync(out, 'utf8')).toBe('cron\n');
  });
});
