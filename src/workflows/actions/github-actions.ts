import { OpsError, UserError } from '../../errors.ts';
import { formatDuration } from '../../duration.ts';
import type { GitHubOps, RepoRef, WorkflowRunInfo } from '../../integrations/github/github-types.ts';
import { parseRepoRef } from '../../integrations/github/github-types.ts';
import type { ActionContext, ActionDefinition, ActionResult } from '../action.ts';
import { type InputFields, inputFields } from './input-fields.ts';

/**
 * `github.*` actions. Which repositories they may touch is the policy's (github.repositories,
 * enforced by GitHubOps before any request); under DRY_RUN nothing is sent and the result says
 * what would have been. Without GITHUB_TOKEN they still exist (so workflows validate) and fail
 * at run time saying so.
 */

export interface GitHubActionDeps {
  github?: GitHubOps;
}

export const GITHUB_ACTION_NAMES = ['github.dispatch-workflow', 'github.create-issue', 'github.comment', 'github.create-deployment', 'github.deployment-status', 'github.rerun-failed-jobs'] as const;

const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_POLL_MS = 15_000;
const MIN_POLL_MS = 5_000;
/** How far back a run may have been created and still be the one a dispatch started (clock skew, second precision). */
const DISPATCH_SKEW_MS = 60_000;

function need(deps: GitHubActionDeps, action: string): GitHubOps {
  if (!deps.github) throw new UserError('github_not_configured', `${action}: GitHub is not configured: set GITHUB_TOKEN.`);
  return deps.github;
}

function repository(fields: InputFields, input: Record<string, unknown>): RepoRef {
  const text = fields.string('repository');
  return parseRepoRef(text) ?? fields.fail('repository', 'owner/repo', input.repository);
}

function positiveInt(fields: InputFields, input: Record<string, unknown>, field: string): number {
  const value = typeof input[field] === 'string' && /^\d+$/.test(input[field]) ? Number(input[field]) : input[field];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : fields.fail(field, 'a positive whole number', input[field]);
}

const repoName = (r: RepoRef) => `${r.owner}/${r.repo}`;

// --- github.dispatch-workflow -------------------------------------------------------------

export interface DispatchInput {
  repo: RepoRef;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  wait: boolean;
  timeoutMs: number;
  pollMs: number;
}

export function parseDispatchInput(input: Record<string, unknown>): DispatchInput {
  const fields = inputFields('github.dispatch-workflow', input);
  fields.only(['repository', 'workflow', 'ref', 'inputs', 'wait', 'timeout', 'poll']);
  const repo = repository(fields, input);
  const workflow = fields.string('workflow');
  if (!/^(?:\d+|[A-Za-z0-9._-]+\.ya?ml)$/.test(workflow)) fields.fail('workflow', 'a workflow file name like deploy.yml, or its numeric id', input.workflow);
  const ref = fields.string('ref');
  const inputs = fields.optionalStringMap('inputs') ?? {};
  const wait = fields.optionalBoolean('wait') ?? false;
  const timeoutMs = fields.optionalDuration('timeout') ?? DEFAULT_WAIT_TIMEOUT_MS;
  const pollMs = fields.optionalDuration('poll') ?? DEFAULT_POLL_MS;
  if (pollMs < MIN_POLL_MS) fields.fail('poll', `at least ${formatDuration(MIN_POLL_MS)} (GitHub rate-limits polling)`, input.poll);
  return { repo, workflow, ref, inputs, wait, timeoutMs, pollMs };
}

export function createDispatchWorkflowAction(deps: GitHubActionDeps): ActionDefinition<DispatchInput> {
  return {
    name: 'github.dispatch-workflow',
    summary: 'Start a GitHub Actions workflow (workflow_dispatch), optionally waiting for its run to finish',
    // Each dispatch starts another run: an attempt cut short by a crash waits for a person.
    idempotent: false,
    parse: parseDispatchInput,
    run: (input, ctx) => dispatch(need(deps, 'github.dispatch-workflow'), input, ctx),
  };
}

async function dispatch(github: GitHubOps, input: DispatchInput, ctx: ActionContext): Promise<ActionResult> {
  const what = `${input.workflow} on ${input.ref} in ${repoName(input.repo)}`;
  const shownInputs = Object.keys(input.inputs).length > 0 ? ` with inputs ${JSON.stringify(input.inputs)}` : '';
  if (ctx.dryRun) {
    return { result: { dryRun: true, repository: repoName(input.repo), workflow: input.workflow, ref: input.ref, inputs: input.inputs }, log: `would dispatch ${what}${shownInputs}${input.wait ? ' and wait for its run' : ''}` };
  }
  const since = new Date(ctx.clock.now() - DISPATCH_SKEW_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const filter = { event: 'workflow_dispatch', branch: input.ref, createdSince: since };
  // Runs that existed before the dispatch cannot be the one it starts.
  const before = input.wait ? new Set((await github.workflowRuns(input.repo, input.workflow, filter)).map((r) => r.id)) : new Set<number>();
  const started = await github.dispatchWorkflow(input.repo, input.workflow, input.ref, input.inputs);
  ctx.progress?.(`dispatched ${what}${started.runId ? `: run ${started.runId}` : ''}`);
  if (!input.wait) {
    return { result: { dispatched: true, ...(started.runId ? { runId: started.runId, url: started.url ?? null } : {}) }, log: `dispatched ${what}${shownInputs}` };
  }

  const deadline = ctx.clock.now() + input.timeoutMs;
  let runId = started.runId;
  let last: WorkflowRunInfo | undefined;
  for (;;) {
    ctx.signal.throwIfAborted();
    if (runId === undefined) {
      const candidates = (await github.workflowRuns(input.repo, input.workflow, filter)).filter((r) => !before.has(r.id));
      // Newest first: the oldest new run is the one this dispatch started.
      const found = candidates.at(-1);
      if (found) {
        runId = found.id;
        ctx.progress?.(`run ${found.id} found: ${found.url}`);
      }
    }
    if (runId !== undefined) {
      const run = await github.workflowRun(input.repo, runId);
      if (run.status !== last?.status) ctx.progress?.(`run ${run.id}: ${run.status}`);
      last = run;
      if (run.status === 'completed') {
        const result = { runId: run.id, conclusion: run.conclusion, url: run.url, attempt: run.attempt };
        if (run.conclusion !== 'success') {
          throw new OpsError('github_run_failed', `github.dispatch-workflow: run ${run.id} of ${what} finished ${run.conclusion ?? 'without a conclusion'}: ${run.url}`);
        }
        return { result, log: `run ${run.id} of ${what} succeeded: ${run.url}` };
      }
    }
    const left = deadline - ctx.clock.now();
    if (left <= 0) {
      const where = runId === undefined ? 'no run of it appeared' : `run ${runId} is still ${last?.status ?? 'unknown'} (${last?.url ?? ''})`;
      throw new OpsError('wait_timeout', `github.dispatch-workflow: ${what} did not finish within ${formatDuration(input.timeoutMs)}: ${where}`);
    }
    await ctx.clock.sleep(Math.min(input.pollMs, left), ctx.signal);
  }
}

// --- github.create-issue ------------------------------------------------------------------

export interface CreateIssueInput {
  repo: RepoRef;
  title: string;
  body: string;
  labels: string[];
}

export function parseCreateIssueInput(input: Record<string, unknown>): CreateIssueInput {
  const fields = inputFields('github.create-issue', input);
  fields.only(['repository', 'title', 'body', 'labels']);
  const repo = repository(fields, input);
  const title = fields.string('title');
  if (title.length > 256) fields.fail('title', 'at most 256 characters', input.title);
  const body = fields.optionalString('body') ?? '';
  const labels = input.labels === undefined || input.labels === null ? [] : input.labels;
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string' && l !== '')) fields.fail('labels', 'a list of label names', input.labels);
  return { repo, title, body, labels: labels as string[] };
}

export function createIssueAction(deps: GitHubActionDeps): ActionDefinition<CreateIssueInput> {
  return {
    name: 'github.create-issue',
    summary: 'Open a GitHub issue',
    // GitHub has no idempotency key for issues: a second attempt opens a second issue.
    idempotent: false,
    parse: parseCreateIssueInput,
    async run(input, ctx) {
      const github = need(deps, 'github.create-issue');
      if (ctx.dryRun) {
        return { result: { dryRun: true, repository: repoName(input.repo), title: input.title }, log: `would open an issue in ${repoName(input.repo)}: ${input.title}${input.labels.length > 0 ? ` [${input.labels.join(', ')}]` : ''}` };
      }
      const issue = await github.createIssue(input.repo, { title: input.title, body: input.body, ...(input.labels.length > 0 ? { labels: input.labels } : {}) });
      return { result: { number: issue.number, url: issue.url }, log: `opened ${repoName(input.repo)}#${issue.number}: ${issue.url}` };
    },
  };
}

// --- github.comment -----------------------------------------------------------------------

export interface CommentInput {
  repo: RepoRef;
  number: number;
  body: string;
}

export function parseCommentInput(input: Record<string, unknown>): CommentInput {
  const fields = inputFields('github.comment', input);
  fields.only(['repository', 'number', 'body']);
  const repo = repository(fields, input);
  const number = positiveInt(fields, input, 'number');
  const body = fields.string('body');
  if (body.length > 65_536) fields.fail('body', 'at most 65,536 characters (GitHub’s limit)', `${body.slice(0, 20)}…`);
  return { repo, number, body };
}

export function createCommentAction(deps: GitHubActionDeps): ActionDefinition<CommentInput> {
  return {
    name: 'github.comment',
    summary: 'Comment on a GitHub issue or pull request',
    idempotent: false,
    parse: parseCommentInput,
    async run(input, ctx) {
      const github = need(deps, 'github.comment');
      const target = `${repoName(input.repo)}#${input.number}`;
      if (ctx.dryRun) return { result: { dryRun: true, target }, log: `would comment on ${target}: ${input.body}` };
      const comment = await github.comment({ ...input.repo, number: input.number }, input.body);
      return { result: { url: comment.url }, log: `commented on ${target}: ${comment.url}` };
    },
  };
}

// --- github.create-deployment -------------------------------------------------------------

export interface CreateDeploymentInput {
  repo: RepoRef;
  ref: string;
  environment: string;
  description?: string;
}

export function parseCreateDeploymentInput(input: Record<string, unknown>): CreateDeploymentInput {
  const fields = inputFields('github.create-deployment', input);
  fields.only(['repository', 'ref', 'environment', 'description']);
  const repo = repository(fields, input);
  const ref = fields.string('ref');
  const environment = fields.string('environment');
  const description = fields.optionalString('description');
  return { repo, ref, environment, ...(description !== undefined ? { description } : {}) };
}

export function createDeploymentAction(deps: GitHubActionDeps): ActionDefinition<CreateDeploymentInput> {
  return {
    name: 'github.create-deployment',
    summary: 'Record a GitHub deployment of a ref to an environment',
    // Each call records another deployment.
    idempotent: false,
    parse: parseCreateDeploymentInput,
    async run(input, ctx) {
      const github = need(deps, 'github.create-deployment');
      const what = `${input.ref} to ${input.environment} in ${repoName(input.repo)}`;
      if (ctx.dryRun) return { result: { dryRun: true, repository: repoName(input.repo), ref: input.ref, environment: input.environment }, log: `would create a deployment of ${what}` };
      const deployment = await github.createDeployment(input.repo, { ref: input.ref, environment: input.environment, ...(input.description ? { description: input.description } : {}) });
      return { result: { id: deployment.id }, log: `created deployment ${deployment.id} of ${what}` };
    },
  };
}

// --- github.deployment-status -------------------------------------------------------------

const DEPLOYMENT_STATES = ['in_progress', 'success', 'failure', 'error', 'inactive'] as const;

export interface DeploymentStatusInput {
  repo: RepoRef;
  deploymentId: number;
  state: (typeof DEPLOYMENT_STATES)[number];
  description?: string;
  logUrl?: string;
}

export function parseDeploymentStatusInput(input: Record<string, unknown>): DeploymentStatusInput {
  const fields = inputFields('github.deployment-status', input);
  fields.only(['repository', 'deployment_id', 'state', 'description', 'log_url']);
  const repo = repository(fields, input);
  const deploymentId = positiveInt(fields, input, 'deployment_id');
  const state = fields.string('state');
  if (!(DEPLOYMENT_STATES as readonly string[]).includes(state)) fields.fail('state', `one of ${DEPLOYMENT_STATES.join(', ')}`, input.state);
  const description = fields.optionalString('description');
  const logUrl = fields.optionalString('log_url');
  if (logUrl !== undefined && !/^https?:\/\//.test(logUrl)) fields.fail('log_url', 'an http(s) URL', input.log_url);
  return { repo, deploymentId, state: state as DeploymentStatusInput['state'], ...(description !== undefined ? { description } : {}), ...(logUrl !== undefined ? { logUrl } : {}) };
}

export function createDeploymentStatusAction(deps: GitHubActionDeps): ActionDefinition<DeploymentStatusInput> {
  return {
    name: 'github.deployment-status',
    summary: 'Set the state of a GitHub deployment (in_progress, success, failure, error, inactive)',
    // Setting the same state again leaves the deployment as it was.
    idempotent: true,
    parse: parseDeploymentStatusInput,
    async run(input, ctx) {
      const github = need(deps, 'github.deployment-status');
      const what = `deployment ${input.deploymentId} of ${repoName(input.repo)} to ${input.state}`;
      if (ctx.dryRun) return { result: { dryRun: true, deploymentId: input.deploymentId, state: input.state }, log: `would set ${what}` };
      await github.createDeploymentStatus(input.repo, input.deploymentId, {
        state: input.state,
        ...(input.description ? { description: input.description } : {}),
        ...(input.logUrl ? { logUrl: input.logUrl } : {}),
      });
      return { result: { deploymentId: input.deploymentId, state: input.state }, log: `set ${what}` };
    },
  };
}

// --- github.rerun-failed-jobs -------------------------------------------------------------

export interface RerunInput {
  repo: RepoRef;
  runId: number;
}

/** What a finished run may have ended as and still have failed jobs worth running again. */
const RERUNNABLE = new Set(['failure', 'timed_out', 'cancelled', 'startup_failure']);

export function parseRerunInput(input: Record<string, unknown>): RerunInput {
  const fields = inputFields('github.rerun-failed-jobs', input);
  fields.only(['repository', 'run_id']);
  return { repo: repository(fields, input), runId: positiveInt(fields, input, 'run_id') };
}

export function createRerunFailedJobsAction(deps: GitHubActionDeps): ActionDefinition<RerunInput> {
  return {
    name: 'github.rerun-failed-jobs',
    summary: 'Re-run the failed jobs of a finished GitHub Actions workflow run (a new attempt)',
    // Each call starts another attempt; one cut short by a crash waits for a person.
    idempotent: false,
    parse: parseRerunInput,
    async run(input, ctx) {
      const github = need(deps, 'github.rerun-failed-jobs');
      const what = `workflow run ${input.runId} of ${repoName(input.repo)}`;
      // Looked at first: GitHub refuses a run still in progress, and a run that passed meanwhile needs nothing.
      const run = await github.workflowRun(input.repo, input.runId);
      if (run.status !== 'completed') throw new UserError('github_run_in_progress', `github.rerun-failed-jobs: ${what} is still ${run.status}: ${run.url}`, 'Wait for it to finish; it may pass this time.');
      if (!RERUNNABLE.has(run.conclusion ?? '')) {
        return { result: { rerun: false, runId: run.id, attempt: run.attempt, conclusion: run.conclusion, url: run.url }, log: `${what} (${run.name}) finished ${run.conclusion ?? 'without a conclusion'}: nothing to re-run. ${run.url}` };
      }
      if (ctx.dryRun) {
        return { result: { dryRun: true, rerun: false, runId: run.id, attempt: run.attempt, url: run.url }, log: `would re-run the failed jobs of ${what} (${run.name}, attempt ${run.attempt} ${run.conclusion ?? ''}): ${run.url}` };
      }
      await github.rerunFailedJobs(input.repo, input.runId);
      return {
        result: { rerun: true, runId: run.id, attempt: run.attempt + 1, url: run.url },
        log: `re-running the failed jobs of ${what} (${run.name} on ${run.headBranch}) as attempt ${run.attempt + 1}: ${run.url}`,
      };
    },
  };
}

export function createGitHubActions(deps: GitHubActionDeps): Array<ActionDefinition<never>> {
  return [
    createDispatchWorkflowAction(deps),
    createIssueAction(deps),
    createCommentAction(deps),
    createDeploymentAction(deps),
    createDeploymentStatusAction(deps),
    createRerunFailedJobsAction(deps),
  ] as unknown as Array<ActionDefinition<never>>;
}
