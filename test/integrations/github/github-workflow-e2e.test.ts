import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeGitHubApi } from '../../support/fake-github-api.ts';
import { startOpsbot, type RunningOpsbot } from '../../support/opsbot.ts';
import { shown, until } from '../../support/workflow-slack-helpers.ts';

/** A workflow step naming a github.* action, run from Slack: the app hands the catalog its GitHub. */

const ALICE = 'U0ALICE';
const GENERAL = 'C0GENERAL';
const github = createFakeGitHubApi();
beforeAll(() => github.start());
afterAll(() => github.stop());

let dir: string;
const running: RunningOpsbot[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a workflow with a github.* step', () => {
  it('opens the issue through the configured GitHub, and its result reaches the run', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-github-workflow-'));
    const workflowsDir = path.join(dir, 'workflows');
    fs.mkdirSync(workflowsDir);
    fs.writeFileSync(
      path.join(workflowsDir, 'file-followup.yaml'),
      JSON.stringify({
        name: 'file-followup',
        description: 'Open a follow-up issue',
        params: { title: { type: 'string', required: true } },
        role: 'responder',
        steps: [{ id: 'issue', action: 'github.create-issue', with: { repository: 'acme/api', title: '${{ params.title }}', labels: ['follow-up'] }, outputs: { issue: '${{ result.url }}' } }],
      }),
    );
    const o = await startOpsbot({ workflowsDir, env: { GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url } });
    running.push(o);
    o.app.store.roles.grant(ALICE, 'responder', 'test', o.clock.now());

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run file-followup title="Rotate the api pool"' });
    await until(o, 'the run to finish', () => o.emulator.messages(GENERAL).some((m) => /succeeded/i.test(shown(m))));

    expect(github.requests({ method: 'POST', path: '/repos/acme/api/issues' }).map((r) => r.body)).toEqual([{ title: 'Rotate the api pool', body: '', labels: ['follow-up'] }]);
    expect(o.app.workflows.get('wf-1')?.steps[0]?.outputs).toEqual({ issue: 'https://github.com/acme/api/issues/1' });
  });
});
