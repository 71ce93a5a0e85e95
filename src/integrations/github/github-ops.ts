import type { PrFile } from '../../agents/offline/pr-static-checks.ts';
import type { Clock } from '../../clock.ts';
import type { Policy } from '../../config/policy-schema.ts';
import { UserError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { summariseChecks } from './check-summary.ts';
import { mergeBlocker } from './merge-guard.ts';
import { NO_RETRY, type GitHubClient } from './github-client.ts';
import { isRequestError, isUnavailable, toGitHubError } from './github-errors.ts';
import type { CommitInfo, DeploymentInfo, GitHubOps, JobInfo, PrRef, PullRequest, RepoRef, WorkflowRunInfo } from './github-types.ts';
import { downloadLog } from './log-download.ts';

export interface GitHubOpsOptions {
  client: GitHubClient;
  policy: Policy['github'];
  clock: Clock;
  log: Logger;
  /** For log storage (no Authorization is sent there). */
  fetch?: typeof fetch;
  limits?: Partial<GitHubLimits>;
}

export interface GitHubLimits {
  /** Files of a pull request read (GitHub lists at most 3,000). */
  maxFiles: number;
  maxCheckRuns: number;
  /** Of a job log, the tail kept. */
  logKeepBytes: number;
  /** A log download stops here. */
  logMaxDownloadBytes: number;
  logTimeoutMs: number;
  /** Largest file fileContents returns. */
  maxFileBytes: number;
  maxSearchResults: number;
}

export const DEFAULT_GITHUB_LIMITS: GitHubLimits = {
  maxFiles: 3_000,
  maxCheckRuns: 300,
  logKeepBytes: 512 * 1024,
  logMaxDownloadBytes: 32 * 1024 * 1024,
  logTimeoutMs: 30_000,
  maxFileBytes: 512 * 1024,
  maxSearchResults: 20,
};

/** Conclusions of a job that failed (cancelled jobs were stopped, not broken). */
const FAILED = new Set(['failure', 'timed_out', 'startup_failure']);

/**
 * GitHubOps over Octokit. Every call first checks the repository against `github.repositories`
 * (when set) and sends nothing for one outside it; every failure comes out as a coded UserError
 * naming what was being done (github-errors.ts). Writes that are not idempotent are sent once
 * (NO_RETRY); merge is pinned to the head sha it was asked for and, after a server error, re-reads
 * the pull request to learn whether it went through before trying again.
 */
export function createGitHubOps(options: GitHubOpsOptions): GitHubOps {
  const { client, clock } = options;
  const limits = { ...DEFAULT_GITHUB_LIMITS, ...options.limits };
  const log = options.log.child({ component: 'github' });
  const allowed = new Set(options.policy.repositories.map((r) => r.toLowerCase()));

  const name = (repo: RepoRef) => `${repo.owner}/${repo.repo}`;
  const prName = (ref: PrRef) => `${name(ref)}#${ref.number}`;

  function guard(repo: RepoRef): void {
    if (allowed.size > 0 && !allowed.has(name(repo).toLowerCase())) {
      throw new UserError(
        'github_repository_not_allowed',
        `${name(repo)} is not one of the repositories opsbot may use.`,
        `Allowed: ${options.policy.repositories.join(', ')} (github.repositories in opsbot.yaml).`,
      );
    }
  }

  /** Runs one GitHub call for `repo`, turning its failure into a coded error. */
  async function call<T>(repo: RepoRef, doing: string, subject: string, fn: () => Promise<T>, unsafeToRepeat = false): Promise<T> {
    guard(repo);
    try {
      return await fn();
    } catch (err) {
      const mapped = toGitHubError(err, { doing, subject, now: clock.now(), unsafeToRepeat });
      log.warn({ err: isRequestError(err) ? { status: err.status, message: err.message } : err, doing, code: (mapped as { code?: string }).code }, 'GitHub call failed');
      throw mapped;
    }
  }

  async function paginateCapped<T>(route: string, params: Record<string, unknown>, cap: number): Promise<T[]> {
    const items: T[] = [];
    for await (const response of client.paginate.iterator(route as never, { ...params, per_page: 100 } as never)) {
      items.push(...((response as { data: T[] }).data ?? []));
      if (items.length >= cap) break;
    }
    return items.slice(0, cap);
  }

  async function checksOf(repo: RepoRef, ref: string): Promise<PullRequest['checks']> {
    const [runs, combined] = await Promise.all([
      paginateCapped<{ name: string; status: string; conclusion: string | null; html_url: string | null; details_url: string | null }>(
        'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
        { owner: repo.owner, repo: repo.repo, ref, filter: 'latest' },
        limits.maxCheckRuns,
      ),
      client.rest.repos.getCombinedStatusForRef({ owner: repo.owner, repo: repo.repo, ref, per_page: 100 }),
    ]);
    return summariseChecks(runs, combined.data.statuses);
  }

  async function pullRequestCore(ref: PrRef, withFiles: boolean): Promise<PullRequest> {
    const { data: pr } = await client.rest.pulls.get({ owner: ref.owner, repo: ref.repo, pull_number: ref.number });
    const [files, checks] = await Promise.all([
      withFiles
        ? paginateCapped<{ filename: string; status: string; additions: number; deletions: number; patch?: string }>(
            'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
            { owner: ref.owner, repo: ref.repo, pull_number: ref.number },
            limits.maxFiles,
          )
        : Promise.resolve([]),
      checksOf(ref, pr.head.sha),
    ]);
    return {
      ref,
      title: pr.title,
      body: pr.body ?? null,
      author: pr.user.login,
      url: pr.html_url,
      state: pr.state,
      draft: pr.draft ?? false,
      merged: pr.merged,
      mergeable: pr.mergeable ?? null,
      mergeableState: pr.mergeable_state,
      headSha: pr.head.sha,
      headRef: pr.head.ref,
      baseRef: pr.base.ref,
      files: files.map(
        (f): PrFile => ({ filename: f.filename, status: f.status, additions: f.additions, deletions: f.deletions, ...(typeof f.patch === 'string' ? { patch: f.patch } : {}) }),
      ),
      checks,
    };
  }

  function runInfo(repo: RepoRef, run: WorkflowRunData): WorkflowRunInfo {
    return {
      repo,
      id: run.id,
      attempt: run.run_attempt ?? 1,
      name: run.name ?? run.display_title ?? String(run.workflow_id),
      event: run.event,
      status: run.status ?? 'unknown',
      conclusion: run.conclusion ?? null,
      headBranch: run.head_branch ?? '',
      headSha: run.head_sha,
      url: run.html_url,
      ...(run.actor?.login ? { actor: run.actor.login } : {}),
    };
  }

  async function merge(ref: PrRef, method: 'merge' | 'squash' | 'rebase', expectedHeadSha: string): Promise<{ sha: string; message: string }> {
    const doing = `merging ${prName(ref)}`;
    const pr = await call(ref, `reading ${prName(ref)}`, prName(ref), () => pullRequestCore(ref, false));
    const blocker = mergeBlocker(pr, expectedHeadSha);
    if (blocker) throw blocker;
    const put = () => client.rest.pulls.merge({ owner: ref.owner, repo: ref.repo, pull_number: ref.number, sha: expectedHeadSha, merge_method: method, request: NO_RETRY });
    // A merge pinned to a sha is safe to send again once GitHub says it did not happen: the pull
    // request is re-read after a server error, and the second attempt is the last.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { data } = await call(ref, doing, prName(ref), put, true);
        log.info({ pr: prName(ref), method, sha: data.sha }, 'pull request merged');
        return { sha: data.sha, message: data.message };
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        if (attempt === 1 && isUnavailable(cause)) {
          const now = await call(ref, `reading ${prName(ref)}`, prName(ref), () => client.rest.pulls.get({ owner: ref.owner, repo: ref.repo, pull_number: ref.number })).catch(() => undefined);
          if (now?.data.merged && now.data.merge_commit_sha) {
            log.info({ pr: prName(ref) }, 'merge answered with a server error but went through');
            return { sha: now.data.merge_commit_sha, message: 'Pull Request successfully merged' };
          }
          if (now && now.data.head.sha === expectedHeadSha && now.data.state === 'open') continue;
        }
        throw notMergeable(err, ref, method);
      }
    }
  }

  function notMergeable(err: unknown, ref: PrRef, method: string): unknown {
    if (!(err instanceof UserError) || err.code !== 'github_conflict') return err;
    const message = err.message.replace(/^GitHub refused merging [^:]+: /, '');
    if (/not allowed on this repository/i.test(message)) {
      return new UserError('github_merge_method_not_allowed', `${prName(ref)}: ${message}`, `opsbot merges with \`${method}\` (github.merge_method in opsbot.yaml); choose a method the repository allows.`);
    }
    if (/head branch was modified/i.test(message)) {
      return new UserError('github_head_changed', `${prName(ref)} changed while it was being merged.`, 'Review it again before merging.');
    }
    return new UserError('github_not_mergeable', `GitHub would not merge ${prName(ref)}: ${message}`, 'See the pull request on GitHub for what blocks it (branch protection, required reviews, conflicts).');
  }

  return {
    pullRequest: (ref) => call(ref, `fetching ${prName(ref)}`, prName(ref), () => pullRequestCore(ref, true)),

    async postReview(ref, review) {
      const { data } = await call(
        ref,
        review.event === 'APPROVE' ? `approving ${prName(ref)}` : `posting a review on ${prName(ref)}`,
        prName(ref),
        () =>
          client.rest.pulls.createReview({
            owner: ref.owner,
            repo: ref.repo,
            pull_number: ref.number,
            body: review.body,
            event: review.event,
            ...(review.commitId ? { commit_id: review.commitId } : {}),
            comments: review.comments.map((c) => ({ path: c.path, line: c.line, side: 'RIGHT', body: c.body })),
            request: NO_RETRY,
          }),
        true,
      );
      return { id: data.id, url: data.html_url };
    },

    async comment(ref, body) {
      const { data } = await call(ref, `commenting on ${prName(ref)}`, prName(ref), () => client.rest.issues.createComment({ owner: ref.owner, repo: ref.repo, issue_number: ref.number, body, request: NO_RETRY }), true);
      return { url: data.html_url };
    },

    async lineComment(ref, comment) {
      const head = await call(ref, `reading ${prName(ref)}`, prName(ref), () => client.rest.pulls.get({ owner: ref.owner, repo: ref.repo, pull_number: ref.number }));
      const { data } = await call(
        ref,
        `commenting on ${comment.path}:${comment.line} of ${prName(ref)}`,
        prName(ref),
        () =>
          client.rest.pulls.createReviewComment({
            owner: ref.owner,
            repo: ref.repo,
            pull_number: ref.number,
            commit_id: head.data.head.sha,
            path: comment.path,
            line: comment.line,
            side: 'RIGHT',
            body: comment.body,
            request: NO_RETRY,
          }),
        true,
      );
      return { url: data.html_url };
    },

    merge,

    async workflowRun(repo, runId) {
      const { data } = await call(repo, `fetching workflow run ${runId} of ${name(repo)}`, `Workflow run ${runId} of ${name(repo)}`, () =>
        client.rest.actions.getWorkflowRun({ owner: repo.owner, repo: repo.repo, run_id: runId }),
      );
      return runInfo(repo, data);
    },

    async failedJobs(repo, runId, attempt) {
      const jobs = await call(repo, `listing the jobs of workflow run ${runId} of ${name(repo)}`, `Attempt ${attempt} of workflow run ${runId} of ${name(repo)}`, () =>
        paginateCapped<JobData>('GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs', { owner: repo.owner, repo: repo.repo, run_id: runId, attempt_number: attempt }, 500),
      );
      return jobs
        .filter((j) => j.conclusion !== null && FAILED.has(j.conclusion))
        .map(
          (j): JobInfo => ({
            id: j.id,
            name: j.name,
            conclusion: j.conclusion,
            url: j.html_url ?? '',
            failedSteps: (j.steps ?? []).filter((s) => s.conclusion !== null && s.conclusion !== undefined && FAILED.has(s.conclusion)).map((s) => s.name),
          }),
        );
    },

    async jobLog(repo, jobId) {
      const subject = `The log of job ${jobId} of ${name(repo)}`;
      const response = await call(repo, `fetching the log of job ${jobId} of ${name(repo)}`, subject, () =>
        // GitHub answers 302 to signed storage; following it here would take Octokit's headers along.
        client.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { owner: repo.owner, repo: repo.repo, job_id: jobId, request: { redirect: 'manual' } }),
      );
      const location = (response.headers as Record<string, unknown>).location;
      if (typeof location !== 'string') return typeof response.data === 'string' ? response.data : String(response.data ?? '');
      try {
        return await downloadLog(location, {
          fetch: options.fetch ?? fetch,
          timeoutMs: limits.logTimeoutMs,
          keepBytes: limits.logKeepBytes,
          maxDownloadBytes: limits.logMaxDownloadBytes,
        });
      } catch (err) {
        log.warn({ err, jobId }, 'job log download failed');
        throw new UserError('github_unavailable', `${subject} could not be downloaded from GitHub's log storage (${err instanceof Error ? err.message : String(err)}).`, 'Open the job on GitHub, or try again in a few minutes.', { cause: err });
      }
    },

    async rerunFailedJobs(repo, runId) {
      await call(
        repo,
        `re-running the failed jobs of workflow run ${runId} of ${name(repo)}`,
        `Workflow run ${runId} of ${name(repo)}`,
        () => client.rest.actions.reRunWorkflowFailedJobs({ owner: repo.owner, repo: repo.repo, run_id: runId, request: NO_RETRY }),
        true,
      );
    },

    async createIssue(repo, issue) {
      const { data } = await call(
        repo,
        `opening an issue in ${name(repo)}`,
        name(repo),
        () => client.rest.issues.create({ owner: repo.owner, repo: repo.repo, title: issue.title, body: issue.body, ...(issue.labels ? { labels: issue.labels } : {}), request: NO_RETRY }),
        true,
      );
      return { number: data.number, url: data.html_url };
    },

    async dispatchWorkflow(repo, workflow, ref, inputs) {
      const doing = `starting workflow ${workflow} on ${ref} in ${name(repo)}`;
      const subject = `Workflow ${workflow} of ${name(repo)}`;
      const send = (details: boolean) =>
        client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
          owner: repo.owner,
          repo: repo.repo,
          workflow_id: workflow,
          ref,
          inputs,
          ...(details ? { return_run_details: true } : {}),
          request: NO_RETRY,
        });
      let response;
      try {
        response = await call(repo, doing, subject, () => send(true), true);
      } catch (err) {
        // GitHub Enterprise Server versions before `return_run_details` refuse the unknown key.
        if (!(err instanceof UserError && err.code === 'github_invalid' && /return_run_details/.test(err.message))) throw err;
        response = await call(repo, doing, subject, () => send(false), true);
      }
      const data = response.data as { workflow_run_id?: number; html_url?: string } | undefined;
      return typeof data?.workflow_run_id === 'number' ? { runId: data.workflow_run_id, ...(data.html_url ? { url: data.html_url } : {}) } : {};
    },

    async workflowRuns(repo, workflow, filter) {
      const { data } = await call(repo, `listing the runs of workflow ${workflow} of ${name(repo)}`, `Workflow ${workflow} of ${name(repo)}`, () =>
        client.rest.actions.listWorkflowRuns({
          owner: repo.owner,
          repo: repo.repo,
          workflow_id: workflow,
          per_page: 30,
          ...(filter.event ? { event: filter.event } : {}),
          ...(filter.branch ? { branch: filter.branch } : {}),
          ...(filter.createdSince ? { created: `>=${filter.createdSince}` } : {}),
        }),
      );
      return data.workflow_runs.map((run) => runInfo(repo, run));
    },

    async createDeployment(repo, deployment) {
      const { data } = await call(
        repo,
        `creating a ${deployment.environment} deployment of ${deployment.ref} in ${name(repo)}`,
        name(repo),
        () =>
          client.rest.repos.createDeployment({
            owner: repo.owner,
            repo: repo.repo,
            ref: deployment.ref,
            environment: deployment.environment,
            ...(deployment.description ? { description: deployment.description } : {}),
            // GitHub would otherwise merge the default branch into `ref` first: a deployment
            // record must not change code.
            auto_merge: false,
            request: NO_RETRY,
          }),
        true,
      );
      if (!('id' in data)) throw new UserError('github_invalid', `GitHub did not create the deployment: ${data.message ?? 'no deployment in the answer'}.`);
      return { id: data.id };
    },

    async createDeploymentStatus(repo, deploymentId, status) {
      // Setting the same state twice leaves the deployment as once: retried like a read.
      await call(repo, `setting deployment ${deploymentId} of ${name(repo)} to ${status.state}`, `Deployment ${deploymentId} of ${name(repo)}`, () =>
        client.rest.repos.createDeploymentStatus({
          owner: repo.owner,
          repo: repo.repo,
          deployment_id: deploymentId,
          state: status.state,
          ...(status.description ? { description: status.description.slice(0, 140) } : {}),
          ...(status.logUrl ? { log_url: status.logUrl } : {}),
        }),
      );
    },

    async recentCommits(repo, filter) {
      const { data } = await call(repo, `listing commits of ${name(repo)}`, name(repo), () =>
        client.rest.repos.listCommits({
          owner: repo.owner,
          repo: repo.repo,
          per_page: Math.min(100, Math.max(1, filter.limit ?? 20)),
          ...(filter.sha ? { sha: filter.sha } : {}),
          ...(filter.since ? { since: filter.since } : {}),
        }),
      );
      return data.map(
        (c): CommitInfo => ({
          sha: c.sha,
          message: c.commit.message,
          author: c.author?.login ?? c.commit.author?.name ?? 'unknown',
          date: c.commit.author?.date ?? c.commit.committer?.date ?? '',
          url: c.html_url,
        }),
      );
    },

    async fileContents(repo, path, ref) {
      const subject = `${path}${ref ? ` at ${ref}` : ''} in ${name(repo)}`;
      const { data } = await call(repo, `reading ${subject}`, `File ${subject}`, () =>
        client.rest.repos.getContent({ owner: repo.owner, repo: repo.repo, path, ...(ref ? { ref } : {}) }),
      );
      if (Array.isArray(data)) throw new UserError('github_not_a_file', `${path} in ${name(repo)} is a directory.`);
      if (data.type !== 'file' || !('content' in data)) throw new UserError('github_not_a_file', `${path} in ${name(repo)} is a ${data.type}, not a file.`);
      if (data.size > limits.maxFileBytes || data.encoding !== 'base64') throw new UserError('github_file_too_large', `${path} in ${name(repo)} is ${data.size} bytes; opsbot reads files up to ${limits.maxFileBytes}.`);
      return Buffer.from(data.content, 'base64').toString('utf8');
    },

    async searchCode(repo, query) {
      // The scope is opsbot's to choose: qualifiers that would widen it are dropped from the query.
      const terms = query.replace(/\b(?:repo|org|user|owner|is|fork):\S*/gi, ' ').replace(/\s+/g, ' ').trim();
      if (terms === '') throw new UserError('github_invalid', 'A code search needs words to look for.');
      const { data } = await call(repo, `searching the code of ${name(repo)}`, name(repo), () =>
        client.rest.search.code({ q: `${terms} repo:${name(repo)}`, per_page: limits.maxSearchResults }),
      );
      return data.items.slice(0, limits.maxSearchResults).map((item) => ({ path: item.path, url: item.html_url }));
    },

    checks: (repo, ref) => call(repo, `reading the checks of ${ref} in ${name(repo)}`, `${ref} in ${name(repo)}`, () => checksOf(repo, ref)),

    async recentDeployments(repo, filter) {
      const { data } = await call(repo, `listing deployments of ${name(repo)}`, name(repo), () =>
        client.rest.repos.listDeployments({ owner: repo.owner, repo: repo.repo, per_page: Math.min(100, Math.max(1, filter.limit ?? 10)), ...(filter.environment ? { environment: filter.environment } : {}) }),
      );
      return data.map(
        (d): DeploymentInfo => ({
          id: d.id,
          ref: d.ref,
          sha: d.sha,
          environment: d.environment,
          description: d.description ?? null,
          creator: d.creator?.login ?? 'unknown',
          createdAt: d.created_at,
        }),
      );
    },

    async recentRuns(repo, filter) {
      const { data } = await call(repo, `listing workflow runs of ${name(repo)}`, name(repo), () =>
        client.rest.actions.listWorkflowRunsForRepo({
          owner: repo.owner,
          repo: repo.repo,
          per_page: Math.min(100, Math.max(1, filter.limit ?? 10)),
          ...(filter.branch ? { branch: filter.branch } : {}),
          ...(filter.event ? { event: filter.event } : {}),
        }),
      );
      return data.workflow_runs.map((run) => runInfo(repo, run));
    },
  };
}

interface WorkflowRunData {
  id: number;
  run_attempt?: number;
  name?: string | null;
  display_title?: string;
  workflow_id: number;
  event: string;
  status: string | null;
  conclusion: string | null;
  head_branch: string | null;
  head_sha: string;
  html_url: string;
  actor?: { login: string } | null;
}

interface JobData {
  id: number;
  name: string;
  conclusion: string | null;
  html_url: string | null;
  steps?: Array<{ name: string; conclusion: string | null }>;
}
