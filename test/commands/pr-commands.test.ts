import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatedMessage } from '../../src/local/emulator/types.ts';
import { createFakeGitHubApi, secondaryRateLimit } from '../support/fake-github-api.ts';
import { createFakeMessagesApi, message } from '../support/fake-messages-api.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';
import { shown } from '../support/workflow-slack-helpers.ts';

/**
 * `/ops pr …` through Slack against a loopback GitHub (answers built from GitHub's own OpenAPI
 * examples) and, for one review, a loopback Messages API.
 */

const ALICE = 'U0ALICE'; // deployer, GitHub login alice: the PR's author
const BOB = 'U0BOB'; // deployer, GitHub login bob
const CAROL = 'U0CAROL'; // viewer
const GENERAL = 'C0GENERAL';
const HEAD = '8a1f0c2d4e6b8a1f0c2d4e6b8a1f0c2d4e6b8a1f';
const PATCH = ['@@ -10,4 +10,7 @@ export function start() {', '   const app = express();', '   app.use(json());', '+  app.use(audit());', '+  // TODO: remove before release', '+  app.listen(port);', '   return app;', ' }'].join('\n');
const POLICY = ['github:', '  merge_method: squash', '  users:', '    U0ALICE: alice', '    U0BOB: bob'].join('\n');

const github = createFakeGitHubApi();
const anthropic = createFakeMessagesApi();
beforeAll(async () => {
  await github.start();
  await anthropic.start();
});
afterAll(async () => {
  await github.stop();
  await anthropic.stop();
});

const running: RunningOpsbot[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
  anthropic.clear();
});

let pr = 40;
/** A fresh PR number per test: the fake GitHub outlives each opsbot. */
let PR = '';
beforeEach(() => {
  pr += 1;
  PR = `acme/api#${pr}`;
  github.clearRequests();
  github.clearFailures();
});

function addPr(overrides: { pr?: Record<string, unknown>; checkRuns?: Array<Record<string, unknown>> } = {}) {
  github.addPullRequest({
    repo: 'acme/api',
    number: pr,
    author: 'alice',
    pr: { title: 'Audit every request', head: { sha: HEAD, ref: 'audit' }, base: { ref: 'main' }, ...overrides.pr },
    files: [{ filename: 'src/server.ts', status: 'modified', additions: 3, deletions: 0, changes: 3, patch: PATCH }],
    checkRuns: overrides.checkRuns ?? [
      { name: 'lint', status: 'completed', conclusion: 'success' },
      { name: 'test', status: 'completed', conclusion: 'success' },
    ],
  });
}

async function start(env: Record<string, string> = {}): Promise<RunningOpsbot> {
  const o = await startOpsbot({ env: { GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url, ...env }, policy: POLICY });
  running.push(o);
  o.app.store.roles.grant(ALICE, 'deployer', 'test', o.clock.now());
  o.app.store.roles.grant(BOB, 'deployer', 'test', o.clock.now());
  return o;
}

async function ops(o: RunningOpsbot, user: string, text: string): Promise<void> {
  await o.emulator.slashCommand({ user, channel: GENERAL, text });
  await o.settle();
}

const posted = (o: RunningOpsbot) => o.emulator.messages(GENERAL).filter((m) => m.botId !== undefined);
const lastPosted = (o: RunningOpsbot) => posted(o).at(-1);
const privateTo = (o: RunningOpsbot, user: string) => o.emulator.ephemerals({ user }).map((e) => e.text);
const buttons = (m: EmulatedMessage | undefined) =>
  ((m?.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string } }> }>)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => ({ actionId: e.action_id, value: e.value, label: e.text.text }));

async function click(o: RunningOpsbot, user: string, m: EmulatedMessage, label: string): Promise<void> {
  const b = buttons(m).find((x) => x.label === label);
  if (!b) throw new Error(`no ${label} button on: ${m.text}`);
  await o.emulator.clickButton({ user, channel: GENERAL, messageTs: m.ts, actionId: b.actionId, value: b.value });
  await o.settle();
}

describe('/ops pr review', () => {
  it('posts the findings by file:line and severity, the checks, and Post / Approve / Merge buttons', async () => {
    const o = await start();
    addPr();
    await ops(o, ALICE, `pr review ${PR}`);

    const review = lastPosted(o)!;
    const text = shown(review);
    expect(text).toContain(`Review of ${PR}: Audit every request`);
    expect(text).toContain('*major* `src/server.ts` Source changed (src/server.ts) but no test file was touched');
    expect(text).toContain('*nit* `src/server.ts:13` TODO added: remove before release');
    expect(text).toContain('*Checks* ✅ 2 passed');
    expect(text).toContain('*Merge* mergeable (clean)');
    expect(text).toContain('Answered by the offline provider (no ANTHROPIC_API_KEY is configured).');
    expect(buttons(review).map((b) => [b.label, b.value])).toEqual([
      ['Post as review comment', expect.stringMatching(new RegExp(`^pr post-review ${PR} ag-\\d+$`))],
      ['Approve', `pr approve ${PR} sha=${HEAD}`],
      ['Merge', `pr merge ${PR} sha=${HEAD}`],
    ]);
    expect(github.requests({ method: 'POST' })).toHaveLength(0);
  });

  it('posts the stored review to GitHub as line comments on the reviewed head, once', async () => {
    const o = await start();
    addPr();
    await ops(o, ALICE, `pr review ${PR}`);
    const review = lastPosted(o)!;

    await click(o, BOB, review, 'Post as review comment');
    await click(o, BOB, review, 'Post as review comment');

    const sent = github.requests({ method: 'POST', path: `/repos/acme/api/pulls/${pr}/reviews` });
    expect(sent).toHaveLength(1);
    const body = sent[0]!.body as { body: string; event: string; commit_id: string; comments: unknown[] };
    expect(body.event).toBe('COMMENT');
    expect(body.commit_id).toBe(HEAD);
    expect(body.comments).toEqual([{ path: 'src/server.ts', line: 13, side: 'RIGHT', body: '**nit**: TODO added: remove before release' }]);
    expect(body.body).toContain('- **major** `src/server.ts`: Source changed (src/server.ts) but no test file was touched');
    expect(body.body).toContain('posted from Slack by @\u200bbob');
    expect(shown(lastPosted(o))).toMatch(new RegExp(`<@${BOB}> posted the review of ${PR} to GitHub \\(1 line comment, 1 finding\\(s\\) in the body\\): https://github.com/acme/api/pull/${pr}#pullrequestreview-\\d+`));
    expect(privateTo(o, BOB).at(-1)).toMatch(/^That review is already on GitHub: https:\/\/github\.com\//);
    const audit = o.app.store.audit.list({ limit: 50, includeReceived: false }).find((e) => e.action === 'github.review');
    expect(audit).toMatchObject({ actor: BOB, outcome: 'ok', command: 'pr post-review' });
  });

  it('says which model reviewed, and lets it read the code it reviews', async () => {
    const o = await start({ ANTHROPIC_API_KEY: 'sk-ant-api03-pr-review-test', ANTHROPIC_BASE_URL: anthropic.url });
    addPr();
    github.setFile('acme/api', 'src/server.ts', 'export function start() {\n  const app = express();\n  app.use(json());\n  return app;\n}\n');
    anthropic.script(
      message({ toolUse: [{ id: 'toolu_1', name: 'github_file', input: { repository: 'acme/api', path: 'src/server.ts', ref: 'main' } }], stopReason: 'tool_use' }),
      message({ text: { summary: 'Adds request auditing; listen() moves into start().', findings: [{ file: 'src/server.ts', line: 14, severity: 'major', message: 'listen() now runs on every start() call: tests that start the app twice bind the port twice.' }] } }),
    );
    await ops(o, ALICE, `pr review ${PR}`);

    const text = shown(lastPosted(o));
    expect(text).toContain('*major* `src/server.ts:14` listen() now runs on every start() call');
    expect(text).toContain('Answered by claude-sonnet-5-5.');
    expect(github.requests({ path: '/repos/acme/api/contents/src/server.ts' })).toHaveLength(1);
    const toolResult = (anthropic.requests()[1]!.body as { messages: Array<{ content: unknown }> }).messages.at(-1)!.content;
    expect(JSON.stringify(toolResult)).toContain('2:   const app = express();');
  });

  it('answers with what went wrong when GitHub fails, after retrying the reads', async () => {
    const o = await start();
    addPr();
    github.fail({ path: `/repos/acme/api/pulls/${pr}`, status: 502, times: Infinity });
    await ops(o, ALICE, `pr review ${PR}`);
    expect(privateTo(o, ALICE).at(-1)).toBe(`GitHub answered 502 (Server Error) while fetching ${PR}.\nopsbot already retried; try again in a few minutes, or check https://www.githubstatus.com.`);
    expect(github.requests({ path: `/repos/acme/api/pulls/${pr}` })).toHaveLength(3);
  });

  it('says when to come back when GitHub rate-limits it for longer than opsbot waits', async () => {
    const o = await start();
    addPr();
    github.fail({ ...secondaryRateLimit(600, `/repos/acme/api/pulls/${pr}`, 429), times: Infinity });
    await ops(o, ALICE, `pr review ${PR}`);
    expect(privateTo(o, ALICE).at(-1)).toMatch(new RegExp(`^GitHub's rate limit stopped fetching ${PR}\\.\nTry again after \\d\\d:\\d\\d:\\d\\d UTC\\.$`));
    expect(github.requests({ path: `/repos/acme/api/pulls/${pr}` })).toHaveLength(1);
  });

  it('tells the user to set GITHUB_TOKEN when GitHub is not configured', async () => {
    const o = await startOpsbot({ policy: POLICY });
    running.push(o);
    o.app.store.roles.grant(ALICE, 'deployer', 'test', o.clock.now());
    await ops(o, ALICE, `pr review ${PR}`);
    expect(privateTo(o, ALICE).at(-1)).toMatch(/^GitHub is not configured: set GITHUB_TOKEN\./);
  });
});

describe('/ops pr merge', () => {
  it('is refused while a check fails: no Merge button, and a typed merge sends nothing', async () => {
    const o = await start();
    addPr({ checkRuns: [{ name: 'test', status: 'completed', conclusion: 'failure', html_url: 'https://github.com/acme/api/runs/7' }] });
    await ops(o, ALICE, `pr review ${PR}`);
    expect(shown(lastPosted(o))).toContain('*Checks* ❌ failing: <https://github.com/acme/api/runs/7|test>');
    expect(buttons(lastPosted(o)).map((b) => b.label)).toEqual(['Post as review comment', 'Approve']);

    await ops(o, BOB, `pr merge ${PR}`);
    expect(privateTo(o, BOB).at(-1)).toBe(`${PR} has failing checks: test (failure).\nIt can be merged once they pass.`);
    expect(github.requests({ method: 'PUT' })).toHaveLength(0);
  });

  it('is refused when GitHub says the PR cannot be merged', async () => {
    const o = await start();
    addPr({ pr: { mergeable: false, mergeable_state: 'dirty' } });
    await ops(o, BOB, `pr merge ${PR}`);
    expect(privateTo(o, BOB).at(-1)).toBe(`${PR} cannot be merged (dirty).\nIt has conflicts with its base branch: resolve them first.`);
    expect(github.requests({ method: 'PUT' })).toHaveLength(0);
  });

  it('merges from the button with the configured method, pinned to the reviewed head, and audits it', async () => {
    const o = await start();
    addPr();
    await ops(o, ALICE, `pr review ${PR}`);
    await click(o, BOB, lastPosted(o)!, 'Merge');
    expect(github.requests({ method: 'PUT' }).map((r) => r.body)).toEqual([{ sha: HEAD, merge_method: 'squash' }]);
    expect(shown(lastPosted(o))).toMatch(new RegExp(`<@${BOB}> merged <https://github.com/acme/api/pull/${pr}\\|${PR}> into \`main\` \\(squash\\): \`[0-9a-f]{7}\`\\.`));
    const audit = o.app.store.audit.list({ limit: 50, includeReceived: false }).find((e) => e.action === 'github.merge')!;
    expect(JSON.parse(audit.detail!)).toMatchObject({ before: { state: 'open', headSha: HEAD }, after: { merged: true } });
  });

  it('needs the deployer role', async () => {
    const o = await start();
    addPr();
    await ops(o, CAROL, `pr merge ${PR}`);
    expect(privateTo(o, CAROL).at(-1)).toMatch(/^You need the \*deployer\* role to run `pr merge`\./);
    expect(github.requests()).toHaveLength(0);
  });

  it('under DRY_RUN says what it would do and sends nothing', async () => {
    const o = await start({ DRY_RUN: 'true' });
    addPr();
    await ops(o, BOB, `pr merge ${PR}`);
    expect(shown(lastPosted(o))).toBe(`🧪 *DRY RUN*: would squash-merge ${PR} at \`8a1f0c2\` into \`main\`; nothing was sent to GitHub.`);
    expect(github.requests({ method: 'PUT' })).toHaveLength(0);
    expect(o.app.store.audit.list({ limit: 50, includeReceived: false }).find((e) => e.action === 'github.merge')).toMatchObject({ outcome: 'dry_run' });
  });
});

describe('/ops pr approve', () => {
  it("is refused to the PR author's own mapped Slack user, and sent for someone else", async () => {
    const o = await start();
    addPr();
    await ops(o, ALICE, `pr review ${PR}`);
    const review = lastPosted(o)!;

    await click(o, ALICE, review, 'Approve');
    expect(privateTo(o, ALICE).at(-1)).toBe(`You opened ${PR} (as alice): someone else has to approve it.`);
    expect(github.requests({ method: 'POST' })).toHaveLength(0);

    await click(o, BOB, review, 'Approve');
    const sent = github.requests({ method: 'POST', path: `/repos/acme/api/pulls/${pr}/reviews` });
    expect(sent.map((r) => r.body)).toEqual([{ body: 'Approved from Slack by @\u200bbob via opsbot.', event: 'APPROVE', commit_id: HEAD, comments: [] }]);
    expect(shown(lastPosted(o))).toContain(`<@${BOB}> approved <https://github.com/acme/api/pull/${pr}#pullrequestreview-`);
  });

  it('refuses a head that moved since the review', async () => {
    const o = await start();
    addPr();
    await ops(o, ALICE, `pr review ${PR}`);
    github.updatePullRequest('acme/api', pr, { head: { sha: 'b'.repeat(40) } });
    await click(o, BOB, lastPosted(o)!, 'Approve');
    expect(privateTo(o, BOB).at(-1)).toBe(`${PR} changed since it was reviewed: its head is now bbbbbbb, not 8a1f0c2.\nReview it again before approving.`);
    expect(github.requests({ method: 'POST' })).toHaveLength(0);
  });
});

describe('/ops pr comment', () => {
  it('comments on a line of the diff, waiting out a secondary rate limit', async () => {
    const o = await start();
    addPr();
    github.fail(secondaryRateLimit(1, `/repos/acme/api/pulls/${pr}/comments`));
    await ops(o, BOB, `pr comment ${PR} src/server.ts:12 "audit() logs request bodies: mask tokens"`);
    const sent = github.requests({ method: 'POST', path: `/repos/acme/api/pulls/${pr}/comments` });
    expect(sent.map((r) => r.status)).toEqual([403, 201]);
    expect(sent[1]!.body).toEqual({ commit_id: HEAD, path: 'src/server.ts', line: 12, side: 'RIGHT', body: 'audit() logs request bodies: mask tokens' });
    expect(shown(lastPosted(o))).toMatch(new RegExp(`<@${BOB}> commented on <https://github.com/acme/api/pull/${pr}#discussion_r\\d+\\|src/server.ts:12 of ${PR}>\\.`));
  });

  it('comments on the conversation when no path:line is given, and explains a 403', async () => {
    const o = await start();
    addPr();
    github.fail({ method: 'POST', path: `/repos/acme/api/issues/${pr}/comments`, status: 403, headers: { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' } });
    await ops(o, BOB, `pr comment ${PR} Thanks, merging after the freeze`);
    expect(privateTo(o, BOB).at(-1)).toBe(`GitHub refused commenting on ${PR}: Resource not accessible by personal access token (403).\nThe token needs issues: write; pull_requests: write on the repository.`);
    await ops(o, BOB, `pr comment ${PR} Thanks, merging after the freeze`);
    expect(github.requests({ method: 'POST' }).map((r) => r.body)).toEqual([{ body: 'Thanks, merging after the freeze' }, { body: 'Thanks, merging after the freeze' }]);
    expect(shown(lastPosted(o))).toContain(`<@${BOB}> commented on <https://github.com/acme/api/pull/${pr}#issuecomment-`);
  });
});
