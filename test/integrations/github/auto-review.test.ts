import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeGitHubApi } from '../../support/fake-github-api.ts';
import { deliver, override, webhookExamples } from '../../support/github-webhooks.ts';
import { startOpsbot, type RunningOpsbot } from '../../support/opsbot.ts';

/**
 * `github.ci.review_pull_requests`: a `pull_request` opened delivery (the webhooks-examples
 * payload, repository and number changed in code) makes opsbot review the PR from the loopback
 * GitHub API and post the findings in the CI channel; nothing is sent back to GitHub.
 */

const SECRET = 'github-webhook-secret-for-tests-0123';
const CI = 'C0CICHANNEL';
const HEAD = '8a1f0c2d4e6b8a1f0c2d4e6b8a1f0c2d4e6b8a1f';
const PATCH = ['@@ -10,4 +10,6 @@ export function start() {', '   const app = express();', '+  // TODO: remove before release', '+  app.listen(port);', '   return app;', ' }'].join('\n');

const github = createFakeGitHubApi();
beforeAll(() => github.start());
afterAll(() => github.stop());
const running: RunningOpsbot[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
});

async function start(review: boolean): Promise<RunningOpsbot> {
  const o = await startOpsbot({
    env: { GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url, GITHUB_WEBHOOK_SECRET: SECRET },
    policy: `channels:\n  ci: ${CI}\ngithub:\n  ci:\n    review_pull_requests: ${String(review)}\n`,
  });
  running.push(o);
  o.emulator.addChannel({ id: CI, name: 'ci', members: [o.emulator.botUserId] });
  return o;
}

function opened(number: number) {
  github.addPullRequest({
    repo: 'acme/api',
    number,
    author: 'alice',
    pr: { title: 'Listen on start', head: { sha: HEAD, ref: 'listen' }, base: { ref: 'main' } },
    files: [{ filename: 'src/server.ts', status: 'modified', additions: 2, deletions: 0, changes: 2, patch: PATCH }],
    checkRuns: [{ name: 'test', status: 'completed', conclusion: 'success' }],
  });
  const example = webhookExamples('pull_request').find((e) => e.action === 'opened' && (e.pull_request as { draft?: boolean }).draft === false)!;
  const payload = override(example, {
    number,
    pull_request: { number, draft: false, head: { sha: HEAD } },
    repository: { name: 'api', full_name: 'acme/api', owner: { login: 'acme' } },
  });
  return { event: 'pull_request', delivery: randomUUID(), payload };
}

describe('automatic pull request reviews', () => {
  it('posts the review of an opened pull request in the CI channel, sending nothing to GitHub', async () => {
    const o = await start(true);
    expect((await deliver(o.url, SECRET, opened(501))).status).toBeLessThan(300);
    await o.settle();

    const posts = o.emulator.messages(CI).filter((m) => m.botId !== undefined);
    expect(posts).toHaveLength(1);
    expect(`${posts[0]!.text}${JSON.stringify(posts[0]!.blocks)}`).toContain('acme/api#501');
    expect(`${JSON.stringify(posts[0]!.blocks)}`).toContain('src/server.ts:11');
    expect(github.requests({ method: 'POST' })).toEqual([]);
    expect(o.app.store.agentRuns.list(1)[0]).toMatchObject({ agent: 'pr-review', requestedBy: 'system', subject: `acme/api#501@${HEAD}` });
  });

  it('does nothing with an opened pull request while reviews are off', async () => {
    const o = await start(false);
    expect((await deliver(o.url, SECRET, opened(502))).status).toBe(200);
    await o.settle();
    expect(o.emulator.messages(CI)).toEqual([]);
  });
});
