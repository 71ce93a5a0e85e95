import { afterEach, describe, expect, it } from 'vitest';
import type { ActionDefinition, ActionResult } from '../../../src/workflows/action.ts';
import {
  createCommentAction,
  createDeploymentAction,
  createDeploymentStatusAction,
  createDispatchWorkflowAction,
  createGitHubActions,
  createIssueAction,
  createRerunFailedJobsAction,
} from '../../../src/workflows/actions/github-actions.ts';
import { type GitHubRig, startGitHubRig } from '../../support/github-rig.ts';
import { actionContext, type TestContext } from './action-context.ts';

let rig: GitHubRig;
afterEach(async () => {
  await rig?.stop();
});

function run<I>(action: ActionDefinition<I>, input: Record<string, unknown>, ctx: TestContext): Promise<ActionResult> {
  return action.run(action.parse(input), ctx);
}

/**
 * Moves the action's clock while it polls GitHub (real sockets): each round waits until the action
 * has made its requests and gone to sleep, lets `between` change GitHub, then wakes it.
 */
async function drive<T>(ctx: TestContext, running: Promise<T>, stepMs: number, between?: () => void): Promise<T> {
  let settled = false;
  running.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let round = 0; !settled && round < 1_000; round++) {
    while (!settled && ctx.clock.pendingTimers === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    if (settled) break;
    between?.();
    await ctx.clock.advance(stepMs);
  }
  return running;
}

describe('the github.* actions', () => {
  it('declare which may be retried after a crash, and all refuse to run without GITHUB_TOKEN', async () => {
    const actions = createGitHubActions({});
    expect(Object.fromEntries(actions.map((a) => [a.name, a.idempotent]))).toEqual({
      'github.dispatch-workflow': false,
      'github.create-issue': false,
      'github.comment': false,
      'github.create-deployment': false,
      'github.deployment-status': true,
      'github.rerun-failed-jobs': false,
    });
    const comment = createCommentAction({});
    await expect(run(comment, { repository: 'acme/api', number: 1, body: 'hi' }, actionContext())).rejects.toMatchObject({
      code: 'github_not_configured',
      message: 'github.comment: GitHub is not configured: set GITHUB_TOKEN.',
    });
  });

  it('name the field that is wrong', () => {
    const dispatch = createDispatchWorkflowAction({});
    expect(() => dispatch.parse({ repository: 'acme', workflow: 'deploy.yml', ref: 'main' })).toThrow('github.dispatch-workflow: `with.repository` must be owner/repo, got "acme".');
    expect(() => dispatch.parse({ repository: 'acme/api', workflow: 'deploy', ref: 'main' })).toThrow('`with.workflow` must be a workflow file name like deploy.yml, or its numeric id');
    expect(() => dispatch.parse({ repository: 'acme/api', workflow: 'deploy.yml', ref: 'main', poll: '1s' })).toThrow('`with.poll` must be at least 5s');
    expect(() => createDeploymentStatusAction({}).parse({ repository: 'acme/api', deployment_id: 3, state: 'done' })).toThrow(
      'github.deployment-status: `with.state` must be one of in_progress, success, failure, error, inactive, got "done".',
    );
    expect(() => createIssueAction({}).parse({ repository: 'acme/api', title: 'x', assignee: 'bob' })).toThrow('github.create-issue: unknown key `with.assignee`.');
  });
});

describe('github.dispatch-workflow', () => {
  it('dispatches and, told to wait, follows the run it started to success', async () => {
    rig = await startGitHubRig();
    rig.fake.onDispatch(() => ({ id: 7001, status: 'queued' }));
    const ctx = actionContext({ clock: rig.clock });
    const action = createDispatchWorkflowAction({ github: rig.ops });
    // GitHub moves the run along while opsbot polls: in progress two polls after it appears, done two later.
    let polls = 0;
    const result = await drive(ctx, run(action, { repository: 'acme/api', workflow: 'deploy.yml', ref: 'main', inputs: { version: 'v2.1.0' }, wait: true, poll: '15s' }, ctx), 15_000, () => {
      if (!rig.fake.workflowRunOf('acme/api', 7001)) return;
      polls += 1;
      if (polls === 2) rig.fake.updateWorkflowRun('acme/api', 7001, { status: 'in_progress' });
      if (polls === 4) rig.fake.updateWorkflowRun('acme/api', 7001, { status: 'completed', conclusion: 'success' });
    });
    expect(result.result).toEqual({ runId: 7001, conclusion: 'success', url: 'https://github.com/acme/api/actions/runs/7001', attempt: 1 });
    expect(ctx.progressLines).toEqual(['dispatched deploy.yml on main in acme/api: run 7001', 'run 7001: queued', 'run 7001: in_progress', 'run 7001: completed']);
    expect(rig.fake.requests({ method: 'POST' }).map((r) => r.body)).toEqual([{ ref: 'main', inputs: { version: 'v2.1.0' }, return_run_details: true }]);
  });

  it('on a GitHub without run details, finds the new run among the workflow’s runs, not an older one', async () => {
    rig = await startGitHubRig({ fake: { dispatchRunDetails: false } });
    const earlier = new Date(rig.clock.now() - 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    rig.fake.addWorkflowRun({ repo: 'acme/api', run: { id: 6999, event: 'workflow_dispatch', head_branch: 'main', path: '.github/workflows/deploy.yml@refs/heads/main', status: 'in_progress', conclusion: null, created_at: earlier } });
    rig.fake.onDispatch(() => ({ id: 7002, status: 'completed', conclusion: 'failure' }));
    const ctx = actionContext({ clock: rig.clock });
    const running = run(createDispatchWorkflowAction({ github: rig.ops }), { repository: 'acme/api', workflow: 'deploy.yml', ref: 'main', wait: true }, ctx);
    await expect(drive(ctx, running, 15_000)).rejects.toMatchObject({
      code: 'github_run_failed',
      message: 'github.dispatch-workflow: run 7002 of deploy.yml on main in acme/api finished failure: https://github.com/acme/api/actions/runs/7002',
    });
    expect(ctx.progressLines).toContain('run 7002 found: https://github.com/acme/api/actions/runs/7002');
  });

  it('gives up waiting after its timeout, naming the run', async () => {
    rig = await startGitHubRig();
    rig.fake.onDispatch(() => ({ id: 7003, status: 'in_progress' }));
    const ctx = actionContext({ clock: rig.clock });
    const running = run(createDispatchWorkflowAction({ github: rig.ops }), { repository: 'acme/api', workflow: 'deploy.yml', ref: 'main', wait: true, timeout: '1m', poll: '20s' }, ctx);
    await expect(drive(ctx, running, 20_000)).rejects.toMatchObject({
      code: 'wait_timeout',
      message: 'github.dispatch-workflow: deploy.yml on main in acme/api did not finish within 1m: run 7003 is still in_progress (https://github.com/acme/api/actions/runs/7003)',
    });
  });

  it('under DRY_RUN sends nothing and says what it would have', async () => {
    rig = await startGitHubRig();
    const result = await run(createDispatchWorkflowAction({ github: rig.ops }), { repository: 'acme/api', workflow: 'deploy.yml', ref: 'main', inputs: { version: 'v2' }, wait: true }, actionContext({ dryRun: true }));
    expect(result.log).toBe('would dispatch deploy.yml on main in acme/api with inputs {"version":"v2"} and wait for its run');
    expect(rig.fake.requests()).toHaveLength(0);
  });
});

describe('issues, comments and deployments', () => {
  it('opens an issue, comments, records a deployment and moves its status', async () => {
    rig = await startGitHubRig();
    const ctx = actionContext({ clock: rig.clock });
    const issue = await run(createIssueAction({ github: rig.ops }), { repository: 'acme/api', title: 'Postmortem: api 502s', body: 'Timeline…', labels: ['postmortem'] }, ctx);
    expect(issue.result).toEqual({ number: 1, url: 'https://github.com/acme/api/issues/1' });
    const comment = await run(createCommentAction({ github: rig.ops }), { repository: 'acme/api', number: '1', body: 'Action items filed.' }, ctx);
    expect(comment.result.url).toMatch(/^https:\/\/github\.com\/acme\/api\/issues\/1#issuecomment-\d+$/);
    const deployment = await run(createDeploymentAction({ github: rig.ops }), { repository: 'acme/api', ref: 'v2.1.0', environment: 'production', description: 'from opsbot' }, ctx);
    const id = deployment.result.id as number;
    await run(createDeploymentStatusAction({ github: rig.ops }), { repository: 'acme/api', deployment_id: id, state: 'success', log_url: 'https://ci.example.com/1' }, ctx);

    expect(rig.fake.requests({ method: 'POST' }).map((r) => [r.path, r.body])).toEqual([
      ['/repos/acme/api/issues', { title: 'Postmortem: api 502s', body: 'Timeline…', labels: ['postmortem'] }],
      ['/repos/acme/api/issues/1/comments', { body: 'Action items filed.' }],
      ['/repos/acme/api/deployments', { ref: 'v2.1.0', environment: 'production', description: 'from opsbot', auto_merge: false }],
      [`/repos/acme/api/deployments/${id}/statuses`, { state: 'success', log_url: 'https://ci.example.com/1' }],
    ]);
  });

  it('under DRY_RUN send nothing', async () => {
    rig = await startGitHubRig();
    const ctx = actionContext({ dryRun: true });
    const results = [
      await run(createIssueAction({ github: rig.ops }), { repository: 'acme/api', title: 'x' }, ctx),
      await run(createCommentAction({ github: rig.ops }), { repository: 'acme/api', number: 1, body: 'y' }, ctx),
      await run(createDeploymentAction({ github: rig.ops }), { repository: 'acme/api', ref: 'main', environment: 'staging' }, ctx),
      await run(createDeploymentStatusAction({ github: rig.ops }), { repository: 'acme/api', deployment_id: 4, state: 'failure' }, ctx),
    ];
    expect(results.map((r) => r.log)).toEqual([
      'would open an issue in acme/api: x',
      'would comment on acme/api#1: y',
      'would create a deployment of main to staging in acme/api',
      'would set deployment 4 of acme/api to failure',
    ]);
    expect(rig.fake.requests()).toHaveLength(0);
  });

  it('refuse a repository outside github.repositories', async () => {
    rig = await startGitHubRig({ policy: { repositories: ['acme/web'] } });
    await expect(run(createIssueAction({ github: rig.ops }), { repository: 'acme/api', title: 'x' }, actionContext())).rejects.toMatchObject({ code: 'github_repository_not_allowed' });
    expect(rig.fake.requests()).toHaveLength(0);
  });
});

describe('github.rerun-failed-jobs', () => {
  const REPO = 'octo-org/octo-repo';

  it('re-runs the failed jobs of a failed run as its next attempt', async () => {
    rig = await startGitHubRig();
    rig.fake.addWorkflowRun({ repo: REPO, run: { id: 501, run_attempt: 1, status: 'completed', conclusion: 'failure' }, jobs: { 1: [{ id: 9001, conclusion: 'failure' }] } });
    const outcome = await run(createRerunFailedJobsAction({ github: rig.ops }), { repository: REPO, run_id: '501' }, actionContext({ clock: rig.clock }));
    expect(outcome.result).toMatchObject({ rerun: true, runId: 501, attempt: 2 });
    expect(rig.fake.requests({ method: 'POST' }).map((r) => r.path)).toEqual([`/repos/${REPO}/actions/runs/501/rerun-failed-jobs`]);
  });

  it('leaves a run alone that is still going (refused) or has passed since (nothing to do), and under DRY_RUN sends nothing', async () => {
    rig = await startGitHubRig();
    rig.fake.addWorkflowRun({ repo: REPO, run: { id: 502, run_attempt: 1, status: 'in_progress', conclusion: null } });
    rig.fake.addWorkflowRun({ repo: REPO, run: { id: 503, run_attempt: 2, status: 'completed', conclusion: 'success' } });
    rig.fake.addWorkflowRun({ repo: REPO, run: { id: 504, run_attempt: 1, status: 'completed', conclusion: 'failure' } });
    const action = createRerunFailedJobsAction({ github: rig.ops });
    await expect(run(action, { repository: REPO, run_id: 502 }, actionContext({ clock: rig.clock }))).rejects.toMatchObject({ code: 'github_run_in_progress' });
    expect((await run(action, { repository: REPO, run_id: 503 }, actionContext({ clock: rig.clock }))).result).toMatchObject({ rerun: false, conclusion: 'success' });
    expect((await run(action, { repository: REPO, run_id: 504 }, actionContext({ clock: rig.clock, dryRun: true }))).log).toContain('would re-run the failed jobs of workflow run 504');
    expect(rig.fake.requests({ method: 'POST' })).toEqual([]);
  });
});
