import type { PrRef, RepoRef, WorkflowRunInfo } from './github-types.ts';

/**
 * Decides, from a GitHub webhook delivery alone, whether it is work for opsbot. Pure: the
 * webhook records what this returns (a small work item, not the whole payload) and the inbox
 * worker acts on it later.
 *
 * One failed GitHub Actions run arrives as several events: `workflow_run` (requested,
 * in_progress, completed), a `check_run` per job and a `check_suite`. The completed
 * `workflow_run` names the run and its attempt and is the one that normally does the work; a
 * failed Actions `check_run` names the run through its details URL and stands in when the
 * `workflow_run` event is not subscribed (the CI flow handles each attempt once either way).
 * A `check_suite` names no run at all, so it adds nothing and is not recorded.
 */

/** The run as the completed `workflow_run` event describes it, with the head commit's message. */
export type CiRunSubject = WorkflowRunInfo & { commitMessage?: string };

export type GitHubWork =
  | { type: 'failed_run'; run: CiRunSubject }
  | { type: 'failed_check'; repo: RepoRef; runId: number; jobId: number; check: string; conclusion: string; headSha: string }
  | { type: 'pull_request_opened'; pr: PrRef; author: string; title: string; draft: boolean };

/** What the inbox holds for a delivery: the work item, not GitHub's whole payload. */
export interface GitHubInboxItem {
  delivery: string;
  event: string;
  work: GitHubWork;
}

export type GitHubClassification = { work: GitHubWork; summary: string } | { ignore: string };

export interface ClassifyOptions {
  /** `owner/repo` opsbot may act on; empty: any. */
  repositories: readonly string[];
  reviewPullRequests: boolean;
}

const FAILED = new Set(['failure', 'timed_out']);
/** `…/actions/runs/<run>` and `…/actions/runs/<run>/job/<job>`, as Actions sets a check run's URLs. */
const ACTIONS_RUN_URL = /\/actions\/runs\/(\d+)(?:\/job\/(\d+))?/;

type Body = Record<string, unknown>;

export function classifyGitHubEvent(event: string, payload: Body, options: ClassifyOptions): GitHubClassification {
  const repo = repoOf(payload.repository);
  if (event === 'ping') return { ignore: 'ping' };
  if (!repo) return { ignore: `${event} without a repository` };
  const name = `${repo.owner}/${repo.repo}`;
  if (options.repositories.length > 0 && !options.repositories.some((r) => r.toLowerCase() === name.toLowerCase())) {
    return { ignore: `${name} is not in github.repositories` };
  }
  const action = str(payload.action);
  switch (event) {
    case 'workflow_run':
      return workflowRun(repo, action, obj(payload.workflow_run), obj(payload.workflow));
    case 'check_run':
      return checkRun(repo, action, obj(payload.check_run));
    case 'check_suite':
      return { ignore: 'check_suite names no run; its runs arrive as workflow_run and check_run' };
    case 'pull_request': {
      if (action !== 'opened') return { ignore: `pull_request ${action ?? ''}`.trim() };
      if (!options.reviewPullRequests) return { ignore: 'pull request reviews are off (github.ci.review_pull_requests)' };
      const pr = obj(payload.pull_request);
      const number = num(payload.number) ?? num(pr.number);
      if (number === undefined) return { ignore: 'pull_request without a number' };
      return {
        work: { type: 'pull_request_opened', pr: { ...repo, number }, author: str(obj(pr.user).login) ?? '', title: str(pr.title) ?? '', draft: pr.draft === true },
        summary: `${name}#${number} opened`,
      };
    }
    default:
      return { ignore: `event ${event}` };
  }
}

function workflowRun(repo: RepoRef, action: string | undefined, run: Body, workflow: Body): GitHubClassification {
  const conclusion = str(run.conclusion);
  if (action !== 'completed' || str(run.status) !== 'completed') return { ignore: `workflow_run ${action ?? ''} (${str(run.status) ?? 'no status'})` };
  if (!conclusion || !FAILED.has(conclusion)) return { ignore: `workflow_run completed: ${conclusion ?? 'no conclusion'}` };
  const id = num(run.id);
  if (id === undefined) return { ignore: 'workflow_run without an id' };
  const headCommit = obj(run.head_commit);
  const actor = str(obj(run.triggering_actor).login) ?? str(obj(run.actor).login);
  const subject: CiRunSubject = {
    repo,
    id,
    attempt: num(run.run_attempt) ?? 1,
    name: str(run.name) ?? str(workflow.name) ?? 'workflow',
    event: str(run.event) ?? '',
    status: 'completed',
    conclusion,
    headBranch: str(run.head_branch) ?? '',
    headSha: str(run.head_sha) ?? '',
    url: str(run.html_url) ?? `https://github.com/${repo.owner}/${repo.repo}/actions/runs/${id}`,
    ...(actor ? { actor } : {}),
    ...(str(headCommit.message) ? { commitMessage: str(headCommit.message) } : {}),
  };
  return { work: { type: 'failed_run', run: subject }, summary: `${repo.owner}/${repo.repo} run ${id} attempt ${subject.attempt} ${conclusion}` };
}

function checkRun(repo: RepoRef, action: string | undefined, check: Body): GitHubClassification {
  const conclusion = str(check.conclusion);
  if (action !== 'completed') return { ignore: `check_run ${action ?? ''}`.trim() };
  if (!conclusion || !FAILED.has(conclusion)) return { ignore: `check_run completed: ${conclusion ?? 'no conclusion'}` };
  if (str(obj(check.app).slug) !== 'github-actions') return { ignore: 'check_run of another CI app: opsbot reads GitHub Actions logs only' };
  const match = ACTIONS_RUN_URL.exec(str(check.details_url) ?? '') ?? ACTIONS_RUN_URL.exec(str(check.html_url) ?? '');
  const id = num(check.id);
  if (!match || id === undefined) return { ignore: 'check_run whose URLs name no Actions run' };
  const runId = Number(match[1]);
  // In GitHub Actions a job's check run has the job's id.
  const jobId = match[2] !== undefined ? Number(match[2]) : id;
  return {
    work: { type: 'failed_check', repo, runId, jobId, check: str(check.name) ?? '', conclusion, headSha: str(check.head_sha) ?? '' },
    summary: `${repo.owner}/${repo.repo} run ${runId} job ${str(check.name) ?? jobId} ${conclusion}`,
  };
}

function repoOf(value: unknown): RepoRef | undefined {
  const repository = obj(value);
  const owner = str(obj(repository.owner).login);
  const name = str(repository.name);
  if (owner && name) return { owner, repo: name };
  const [o, r, ...rest] = (str(repository.full_name) ?? '').split('/');
  return o && r && rest.length === 0 ? { owner: o, repo: r } : undefined;
}

function obj(value: unknown): Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
