import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.ts';
import { GitHubRateLimitedError } from '../../../src/integrations/github/github-errors.ts';
import { forbidden, rateLimitExceeded, secondaryRateLimit } from '../../support/fake-github-api.ts';
import { type GitHubRig, startGitHubRig } from '../../support/github-rig.ts';

const REPO = { owner: 'acme', repo: 'api' };
const PR = { ...REPO, number: 42 };
const HEAD = '8a1f0c2d4e6b8a1f0c2d4e6b8a1f0c2d4e6b8a1f';
const PATCH = ['@@ -10,4 +10,6 @@ export function start() {', '   const app = express();', '   app.use(json());', '+  app.use(audit());', '+  app.listen(port);', '   return app;', ' }'].join('\n');

let rig: GitHubRig;
afterEach(async () => {
  await rig?.stop();
});

function addPr(overrides: { pr?: Record<string, unknown>; checkRuns?: Array<Record<string, unknown>>; files?: Array<Record<string, unknown>> } = {}) {
  rig.fake.addPullRequest({
    repo: 'acme/api',
    number: 42,
    author: 'alice',
    pr: { title: 'Audit every request', head: { sha: HEAD, ref: 'audit' }, ...overrides.pr },
    files: overrides.files ?? [{ filename: 'src/server.ts', status: 'modified', additions: 2, deletions: 0, changes: 2, patch: PATCH }],
    checkRuns: overrides.checkRuns ?? [{ name: 'test', status: 'completed', conclusion: 'success' }],
  });
}

async function failure(promise: Promise<unknown>): Promise<UserError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof UserError)) throw new Error(`expected a UserError, got ${String(err)}`);
  return err;
}

describe('reading a pull request', () => {
  it('returns the PR with every file (across pages), its patches, and its checks sorted by outcome', async () => {
    rig = await startGitHubRig();
    const files = Array.from({ length: 130 }, (_, i) => ({ filename: `src/f${i}.ts`, status: 'added', additions: 1, deletions: 0, changes: 1, patch: '@@ -0,0 +1 @@\n+x' }));
    addPr({
      files,
      checkRuns: [
        { name: 'lint', status: 'completed', conclusion: 'success' },
        { name: 'test', status: 'completed', conclusion: 'failure' },
        { name: 'e2e', status: 'in_progress', conclusion: null },
      ],
    });
    rig.fake.setCombinedStatus('acme/api', HEAD, 'success', [{ context: 'ci/jenkins', state: 'success' }]);

    const pr = await rig.ops.pullRequest(PR);

    expect(pr).toMatchObject({ title: 'Audit every request', author: 'alice', headSha: HEAD, headRef: 'audit', mergeable: true, merged: false, state: 'open' });
    expect(pr.files).toHaveLength(130);
    expect(pr.files[0]).toEqual({ filename: 'src/f0.ts', status: 'added', additions: 1, deletions: 0, patch: '@@ -0,0 +1 @@\n+x' });
    expect(pr.checks.passed.map((c) => c.name)).toEqual(['lint', 'ci/jenkins']);
    expect(pr.checks.failing.map((c) => c.name)).toEqual(['test']);
    expect(pr.checks.pending.map((c) => c.name)).toEqual(['e2e']);
    expect(rig.fake.requests({ path: '/repos/acme/api/pulls/42/files' }).map((r) => r.query.page ?? '1')).toEqual(['1', '2']);
  });

  it('says a missing PR was not found or is invisible to the token', async () => {
    rig = await startGitHubRig();
    const err = await failure(rig.ops.pullRequest({ ...REPO, number: 7 }));
    expect(err.code).toBe('github_not_found');
    expect(err.message).toBe('acme/api#7 was not found, or the token cannot see it.');
  });

  it('refuses a repository outside github.repositories before sending anything', async () => {
    rig = await startGitHubRig({ policy: { repositories: ['acme/web'] } });
    const err = await failure(rig.ops.pullRequest(PR));
    expect(err.code).toBe('github_repository_not_allowed');
    expect(err.hint).toContain('acme/web');
    expect(rig.fake.requests()).toHaveLength(0);
  });
});

describe('merging', () => {
  it('refuses while a check fails, and sends no merge', async () => {
    rig = await startGitHubRig();
    addPr({ checkRuns: [{ name: 'test', status: 'completed', conclusion: 'failure' }] });
    const err = await failure(rig.ops.merge(PR, 'squash', HEAD));
    expect(err.code).toBe('github_checks_failing');
    expect(err.message).toBe('acme/api#42 has failing checks: test (failure).');
    expect(rig.fake.requests({ method: 'PUT' })).toHaveLength(0);
  });

  it('refuses a PR GitHub says cannot be merged, and one whose head moved', async () => {
    rig = await startGitHubRig();
    addPr({ pr: { mergeable: false, mergeable_state: 'dirty' } });
    const conflicts = await failure(rig.ops.merge(PR, 'squash', HEAD));
    expect(conflicts.code).toBe('github_not_mergeable');
    expect(conflicts.hint).toContain('conflicts');
    const moved = await failure(rig.ops.merge(PR, 'squash', 'ffffffffffffffffffffffffffffffffffffffff'));
    expect(moved.code).toBe('github_head_changed');
    expect(rig.fake.requests({ method: 'PUT' })).toHaveLength(0);
  });

  it('merges with the method asked, pinned to the head sha', async () => {
    rig = await startGitHubRig();
    addPr();
    const merged = await rig.ops.merge(PR, 'squash', HEAD);
    expect(merged.message).toBe('Pull Request successfully merged');
    const put = rig.fake.requests({ method: 'PUT' });
    expect(put.map((r) => r.body)).toEqual([{ sha: HEAD, merge_method: 'squash' }]);
  });

  it('names the setting when the repository does not allow the merge method', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.setMergeMethods('acme/api', ['merge']);
    const err = await failure(rig.ops.merge(PR, 'squash', HEAD));
    expect(err.code).toBe('github_merge_method_not_allowed');
    expect(err.message).toContain('Squash merges are not allowed on this repository.');
    expect(err.hint).toContain('github.merge_method');
  });

  it('after a 502, reads the PR back: merged means done, not merged means one more try', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail({ method: 'PUT', path: '/repos/acme/api/pulls/42/merge', status: 502, applyFirst: true });
    await rig.ops.merge(PR, 'squash', HEAD);
    expect(rig.fake.requests({ method: 'PUT' })).toHaveLength(1);

    rig.fake.addPullRequest({ repo: 'acme/api', number: 43, author: 'alice', pr: { head: { sha: HEAD } }, checkRuns: [] });
    rig.fake.fail({ method: 'PUT', path: '/repos/acme/api/pulls/43/merge', status: 502 });
    const merged = await rig.ops.merge({ ...REPO, number: 43 }, 'merge', HEAD);
    expect(merged.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(rig.fake.requests({ method: 'PUT', path: '/repos/acme/api/pulls/43/merge' }).map((r) => r.status)).toEqual([502, 200]);
  });
});

describe('retries and rate limits', () => {
  it('retries a read after 5xx until it succeeds', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail({ path: '/repos/acme/api/pulls/42', status: 502, times: 2 });
    await rig.ops.pullRequest(PR);
    expect(rig.fake.requests({ path: '/repos/acme/api/pulls/42' }).map((r) => r.status)).toEqual([502, 502, 200]);
  });

  it('gives up on a read after its retries with a clear message', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail({ path: '/repos/acme/api/pulls/42', status: 503, times: Infinity });
    const err = await failure(rig.ops.pullRequest(PR));
    expect(err.code).toBe('github_unavailable');
    expect(err.message).toBe('GitHub answered 503 (Service Unavailable) while fetching acme/api#42.');
    expect(rig.fake.requests({ path: '/repos/acme/api/pulls/42' })).toHaveLength(3);
  });

  it('sends a comment once even when GitHub answers 502, and says it may have happened', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail({ method: 'POST', path: '/repos/acme/api/issues/42/comments', status: 502, applyFirst: true });
    const err = await failure(rig.ops.comment(PR, 'LGTM'));
    expect(err.code).toBe('github_unavailable');
    expect(err.hint).toBe('It may or may not have happened: check acme/api#42 on GitHub before trying again.');
    expect(rig.fake.requests({ method: 'POST' })).toHaveLength(1);
  });

  it('says which permission a 403 lacked, without retrying', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail(forbidden('/repos/acme/api/issues/42/comments', 'issues=write'));
    const err = await failure(rig.ops.comment(PR, 'LGTM'));
    expect(err.code).toBe('github_forbidden');
    expect(err.message).toBe('GitHub refused commenting on acme/api#42: Resource not accessible by personal access token (403).');
    expect(err.hint).toBe('The token needs issues: write on the repository.');
    expect(rig.fake.requests()).toHaveLength(1);
  });

  it('waits out a secondary rate limit (retry-after) and retries, even a write', async () => {
    rig = await startGitHubRig({ timing: { throttleSecondMs: 100 } });
    addPr();
    rig.fake.fail(secondaryRateLimit(1, '/repos/acme/api/issues/42/comments'));
    const started = Date.now();
    const comment = await rig.ops.comment(PR, 'LGTM');
    expect(comment.url).toMatch(/^https:\/\/github\.com\/acme\/api\/pull\/42#issuecomment-\d+$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(rig.fake.requests({ method: 'POST' }).map((r) => r.status)).toEqual([403, 201]);
  });

  it('handles a 429 secondary limit in the throttler alone (one retry, not one per plugin)', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail({ ...secondaryRateLimit(1, '/repos/acme/api/pulls/42', 429), times: 1 });
    await rig.ops.pullRequest(PR);
    expect(rig.fake.requests({ path: '/repos/acme/api/pulls/42' }).map((r) => r.status)).toEqual([429, 200]);
  });

  it('does not wait out a long rate limit: it answers when to come back', async () => {
    rig = await startGitHubRig();
    addPr();
    const reset = Math.floor(Date.now() / 1000) + 3600;
    rig.fake.fail({ ...rateLimitExceeded(reset, '/repos/acme/api/pulls/42'), times: Infinity });
    const err = await failure(rig.ops.pullRequest(PR));
    expect(err).toBeInstanceOf(GitHubRateLimitedError);
    expect(err.code).toBe('github_rate_limited');
    expect(err.message).toBe("GitHub's rate limit stopped fetching acme/api#42.");
    expect((err as GitHubRateLimitedError).retryAt).toBe(reset * 1000);
    expect(err.hint).toBe(`Try again after ${new Date(reset * 1000).toISOString().slice(11, 19)} UTC.`);
    expect(rig.fake.requests({ path: '/repos/acme/api/pulls/42' })).toHaveLength(1);
  });

  it('retries a primary rate limit whose reset is seconds away', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail(rateLimitExceeded(Math.floor(Date.now() / 1000) + 1, '/repos/acme/api/pulls/42'));
    await rig.ops.pullRequest(PR);
    expect(rig.fake.requests({ path: '/repos/acme/api/pulls/42' }).map((r) => r.status)).toEqual([403, 200]);
  });

  it('times a silent GitHub out', async () => {
    rig = await startGitHubRig({ timing: { requestTimeoutMs: 150, retries: 1 } });
    rig.fake.fail({ path: '/repos/acme/api/pulls/42', status: 200, hang: true, times: Infinity });
    const err = await failure(rig.ops.pullRequest(PR));
    expect(err.code).toBe('github_unavailable');
    expect(err.message).toBe('GitHub did not answer in time while fetching acme/api#42.');
    expect(rig.fake.requests()).toHaveLength(2);
  });

  it('never writes the token to the log', async () => {
    rig = await startGitHubRig();
    addPr();
    rig.fake.fail({ path: '/repos/acme/api/pulls/42', status: 502 });
    await rig.ops.pullRequest(PR);
    await failure(rig.ops.pullRequest({ ...REPO, number: 9 }));
    expect(rig.logText()).toContain('GitHub call failed');
    expect(rig.logText()).not.toContain(rig.fake.token);
  });
});

describe('reviews and comments', () => {
  it('posts a review with line comments on the head, and a line comment pinned to it', async () => {
    rig = await startGitHubRig();
    addPr();
    const review = await rig.ops.postReview(PR, { body: 'Two notes', event: 'COMMENT', comments: [{ path: 'src/server.ts', line: 13, body: 'port may be undefined' }], commitId: HEAD });
    expect(review.url).toBe(`https://github.com/acme/api/pull/42#pullrequestreview-${review.id}`);
    const line = await rig.ops.lineComment(PR, { path: 'src/server.ts', line: 12, body: 'audit() logs bodies' });
    expect(line.url).toMatch(/#discussion_r\d+$/);
    expect(rig.fake.requests({ method: 'POST' }).map((r) => r.body)).toEqual([
      { body: 'Two notes', event: 'COMMENT', commit_id: HEAD, comments: [{ path: 'src/server.ts', line: 13, side: 'RIGHT', body: 'port may be undefined' }] },
      { commit_id: HEAD, path: 'src/server.ts', line: 12, side: 'RIGHT', body: 'audit() logs bodies' },
    ]);
  });

  it("passes GitHub's own refusal through: a line outside the diff", async () => {
    rig = await startGitHubRig();
    addPr();
    const err = await failure(rig.ops.postReview(PR, { body: '', event: 'COMMENT', comments: [{ path: 'src/server.ts', line: 99, body: 'x' }] }));
    expect(err.code).toBe('github_invalid');
    expect(err.message).toBe('GitHub refused posting a review on acme/api#42: Unprocessable Entity: Line could not be resolved (422).');
  });
});

describe('Actions', () => {
  it('lists the failed jobs of one attempt with their failed steps', async () => {
    rig = await startGitHubRig();
    rig.fake.addWorkflowRun({
      repo: 'acme/api',
      run: { id: 901, run_attempt: 2, status: 'completed', conclusion: 'failure', name: 'CI' },
      jobs: {
        1: [{ id: 1, name: 'test', conclusion: 'failure' }],
        2: [
          { id: 2, name: 'build', conclusion: 'success' },
          { id: 3, name: 'test', conclusion: 'failure', steps: [{ name: 'Set up job', status: 'completed', conclusion: 'success', number: 1 }, { name: 'npm test', status: 'completed', conclusion: 'failure', number: 2 }] },
        ],
      },
    });
    const run = await rig.ops.workflowRun(REPO, 901);
    expect(run).toMatchObject({ id: 901, attempt: 2, name: 'CI', conclusion: 'failure', url: 'https://github.com/acme/api/actions/runs/901' });
    const jobs = await rig.ops.failedJobs(REPO, 901, 2);
    expect(jobs).toEqual([{ id: 3, name: 'test', conclusion: 'failure', url: 'https://github.com/acme/api/actions/runs/901/job/3', failedSteps: ['npm test'] }]);
  });

  it('follows the log redirect to the storage host without the token, keeping the tail of a long log', async () => {
    rig = await startGitHubRig({ limits: { logKeepBytes: 64 } });
    rig.fake.addWorkflowRun({ repo: 'acme/api', run: { id: 901 }, jobs: { 1: [{ id: 3, name: 'test', conclusion: 'failure' }] } });
    const lines = Array.from({ length: 50 }, (_, i) => `2026-01-01T00:00:${String(i).padStart(2, '0')}.0000000Z line ${i}`);
    rig.fake.setJobLog(3, `${lines.join('\n')}\n##[error]Process completed with exit code 1.\n`);

    const text = await rig.ops.jobLog(REPO, 3);

    expect(text.split('\n')[0]).toMatch(/^\[log cut: the first \d+ bytes are not shown\]$/);
    expect(text).toContain('##[error]Process completed with exit code 1.');
    expect(text).not.toContain('line 0\n');
    const [api] = rig.fake.requests({ path: '/repos/acme/api/actions/jobs/3/logs' });
    expect(api).toMatchObject({ authorized: true, status: 302 });
    const storage = rig.fake.logRequests();
    expect(storage).toHaveLength(1);
    expect(storage[0]).toMatchObject({ path: '/ab1f3cCFPB34Nd6imvFxpGZH5hNlDp2wijMwl2gDoO0bcrrlJj/_apis/pipelines/1/jobs/3/signedlogcontent', hadAuthorization: false });
    expect(storage[0]!.query.urlSignature).toBeDefined();
  });

  it('re-runs failed jobs once, and dispatches a workflow learning the run it started', async () => {
    rig = await startGitHubRig();
    rig.fake.addWorkflowRun({ repo: 'acme/api', run: { id: 901, run_attempt: 1, status: 'completed', conclusion: 'failure' }, jobs: { 1: [{ id: 3, conclusion: 'failure' }] } });
    await rig.ops.rerunFailedJobs(REPO, 901);
    expect((await rig.ops.workflowRun(REPO, 901)).attempt).toBe(2);

    rig.fake.onDispatch(() => ({ id: 5001 }));
    const started = await rig.ops.dispatchWorkflow(REPO, 'deploy.yml', 'main', { version: 'v2' });
    expect(started).toEqual({ runId: 5001, url: 'https://github.com/acme/api/actions/runs/5001' });
    expect(rig.fake.requests({ method: 'POST', path: '/repos/acme/api/actions/workflows/deploy.yml/dispatches' })[0]!.body).toEqual({ ref: 'main', inputs: { version: 'v2' }, return_run_details: true });
  });

  it('dispatches without run details on a GitHub that predates them', async () => {
    rig = await startGitHubRig({ fake: { dispatchRunDetails: false } });
    const started = await rig.ops.dispatchWorkflow(REPO, 'deploy.yml', 'main', {});
    expect(started).toEqual({});
    expect(rig.fake.requests({ method: 'POST' }).map((r) => r.status)).toEqual([422, 204]);
  });
});

describe('repository reads for agents', () => {
  it('reads a file, searches code within the repository only, and lists commits, deployments and runs', async () => {
    rig = await startGitHubRig();
    rig.fake.setFile('acme/api', 'src/server.ts', 'export const port = Number(process.env.PORT ?? 8080);\n');
    rig.fake.setCommits('acme/api', [{ sha: 'a'.repeat(40), commit: { message: 'Raise the pool size', author: { name: 'Alice', date: '2026-01-01T10:00:00Z' } } }]);
    rig.fake.addDeployment('acme/api', { ref: 'v1.2.3', environment: 'production' });
    rig.fake.addWorkflowRun({ repo: 'acme/api', run: { id: 77, name: 'CI', conclusion: 'success', status: 'completed' } });

    expect(await rig.ops.fileContents(REPO, 'src/server.ts')).toBe('export const port = Number(process.env.PORT ?? 8080);\n');
    expect(await rig.ops.searchCode(REPO, 'PORT repo:evil/other')).toEqual([{ path: 'src/server.ts', url: 'https://github.com/acme/api/blob/main/src/server.ts' }]);
    expect(rig.fake.requests({ path: '/search/code' })[0]!.query.q).toBe('PORT repo:acme/api');
    expect((await rig.ops.recentCommits(REPO, { limit: 5 }))[0]).toMatchObject({ sha: 'a'.repeat(40), message: 'Raise the pool size', date: '2026-01-01T10:00:00Z' });
    expect((await rig.ops.recentDeployments(REPO, {}))[0]).toMatchObject({ ref: 'v1.2.3', environment: 'production' });
    expect((await rig.ops.recentRuns(REPO, {}))[0]).toMatchObject({ id: 77, name: 'CI', conclusion: 'success' });
    const missing = await failure(rig.ops.fileContents(REPO, 'nope.ts', 'main'));
    expect(missing.message).toBe('File nope.ts at main in acme/api was not found, or the token cannot see it.');
  });
});
