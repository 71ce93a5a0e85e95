import type { PrFile } from '../../agents/offline/pr-static-checks.ts';

/**
 * The GitHub operations opsbot performs, as the `pr …` / `ci …` commands, the webhook's CI-failure
 * flow, the workflow actions (github.*) and the agents' read-only tools use them. One
 * implementation (github-ops.ts) over Octokit with its retry and throttling plugins. Failures come
 * out as UserError (what a person can fix: not found, no permission, not mergeable) or OpsError
 * with code `github_unavailable` / `github_rate_limited` (retried already where safe).
 */

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface PrRef extends RepoRef {
  number: number;
}

export interface CheckSummary {
  name: string;
  /** queued / in_progress / completed */
  status: string;
  /** success / failure / neutral / cancelled / skipped / timed_out / action_required, or null while running */
  conclusion: string | null;
  url?: string;
}

export interface PullRequest {
  ref: PrRef;
  title: string;
  body: string | null;
  author: string;
  url: string;
  state: string;
  draft: boolean;
  merged: boolean;
  /** null while GitHub computes it. */
  mergeable: boolean | null;
  mergeableState: string;
  headSha: string;
  headRef: string;
  baseRef: string;
  files: PrFile[];
  checks: { passed: CheckSummary[]; failing: CheckSummary[]; pending: CheckSummary[] };
}

export interface ReviewComment {
  path: string;
  line: number;
  body: string;
}

export interface WorkflowRunInfo {
  repo: RepoRef;
  id: number;
  attempt: number;
  name: string;
  event: string;
  status: string;
  conclusion: string | null;
  headBranch: string;
  headSha: string;
  url: string;
  actor?: string;
}

export interface JobInfo {
  id: number;
  name: string;
  conclusion: string | null;
  url: string;
  /** Names of the steps that failed. */
  failedSteps: string[];
}

export interface CommitInfo {
  sha: string;
  message: string;
  author: string;
  date: string;
  url: string;
}

export interface GitHubOps {
  pullRequest(ref: PrRef): Promise<PullRequest>;
  /** `event` COMMENT unless approving; comments anchored at lines of the PR's head. */
  postReview(
    ref: PrRef,
    review: {
      body: string;
      event: 'COMMENT' | 'APPROVE' | 'REQUEST_CHANGES';
      comments: ReviewComment[];
      /** The head the review was made on (GitHub's `commit_id`); default the PR's current head. */
      commitId?: string;
    },
  ): Promise<{ id: number; url: string }>;
  /** A comment on the pull request's conversation (or an issue's). */
  comment(ref: PrRef, body: string): Promise<{ url: string }>;
  /** A comment on one line of the diff. */
  lineComment(ref: PrRef, comment: ReviewComment): Promise<{ url: string }>;
  merge(ref: PrRef, method: 'merge' | 'squash' | 'rebase', expectedHeadSha: string): Promise<{ sha: string; message: string }>;
  workflowRun(repo: RepoRef, runId: number): Promise<WorkflowRunInfo>;
  failedJobs(repo: RepoRef, runId: number, attempt: number): Promise<JobInfo[]>;
  /** The job's log as text (GitHub answers with a redirect to storage on another host). */
  jobLog(repo: RepoRef, jobId: number): Promise<string>;
  rerunFailedJobs(repo: RepoRef, runId: number): Promise<void>;
  createIssue(repo: RepoRef, issue: { title: string; body: string; labels?: string[] }): Promise<{ number: number; url: string }>;
  /** The run it started when GitHub says (`return_run_details`); otherwise find it with workflowRuns. */
  dispatchWorkflow(repo: RepoRef, workflow: string, ref: string, inputs: Record<string, string>): Promise<{ runId?: number; url?: string }>;
  /** Runs of one workflow, newest first, for finding the run a dispatch started. */
  workflowRuns(repo: RepoRef, workflow: string, options: { event?: string; branch?: string; createdSince?: string }): Promise<WorkflowRunInfo[]>;
  createDeployment(repo: RepoRef, deployment: { ref: string; environment: string; description?: string }): Promise<{ id: number }>;
  createDeploymentStatus(repo: RepoRef, deploymentId: number, status: { state: 'in_progress' | 'success' | 'failure' | 'error' | 'inactive'; description?: string; logUrl?: string }): Promise<void>;
  recentCommits(repo: RepoRef, options: { sha?: string; since?: string; limit?: number }): Promise<CommitInfo[]>;
  fileContents(repo: RepoRef, path: string, ref?: string): Promise<string>;
  searchCode(repo: RepoRef, query: string): Promise<Array<{ path: string; url: string }>>;
  /** Check runs and commit statuses of a ref (sha, branch or tag), as pullRequest sorts them. */
  checks(repo: RepoRef, ref: string): Promise<PullRequest['checks']>;
  /** Deployments, newest first. */
  recentDeployments(repo: RepoRef, options: { environment?: string; limit?: number }): Promise<DeploymentInfo[]>;
  /** Workflow runs of any workflow, newest first. */
  recentRuns(repo: RepoRef, options: { branch?: string; event?: string; limit?: number }): Promise<WorkflowRunInfo[]>;
}

export interface DeploymentInfo {
  id: number;
  ref: string;
  sha: string;
  environment: string;
  description: string | null;
  creator: string;
  createdAt: string;
}

/** `owner/repo#123` → its parts; undefined when it is not that shape. */
export function parsePrRef(text: string): PrRef | undefined {
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)#(\d+)$/.exec(text.trim());
  return m ? { owner: m[1]!, repo: m[2]!, number: Number(m[3]) } : undefined;
}

export function parseRepoRef(text: string): RepoRef | undefined {
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(text.trim());
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}
