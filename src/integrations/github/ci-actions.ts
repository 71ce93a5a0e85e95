import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { Policy } from '../../config/policy-schema.ts';
import { errorMessage, OpsError, UserError } from '../../errors.ts';
import type { CiRunRecord, CiRunRepo } from '../../store/ci-run-repo.ts';
import type { AuditRepo } from '../../store/types.ts';
import { type AutoRerunOutcome, type CiRunKey, repoName } from './ci-analysis.ts';
import { ciIssue } from './ci-issue.ts';
import type { GitHubOps, RepoRef, WorkflowRunInfo } from './github-types.ts';

/**
 * The two things a person (or, for re-runs, opsbot itself) does about a failed run: re-run its
 * failed jobs, open an issue. Each happens at most once per run attempt — the claim is a row
 * written before GitHub is called, so a double click or a resumed delivery finds it — and each
 * is audited with what it changed. DRY_RUN shows what would be sent and sends nothing.
 */

export interface CiActionsDeps {
  github: GitHubOps | undefined;
  ciRuns: CiRunRepo;
  audit: AuditRepo;
  clock: Clock;
  dryRun: boolean;
  policy: Pick<Policy, 'github'>;
  log: Logger;
  /** After a re-run or an issue: the run's notification is edited to show it. */
  onChange?: (key: CiRunKey) => Promise<void>;
}

export interface RerunRequest {
  repo: RepoRef;
  runId: number;
  /** The attempt the button was for: a run that has moved past it is not re-run again. */
  expectedAttempt?: number;
  by: string;
  channel: string | null;
}

export interface RerunResult {
  dryRun: boolean;
  /** The attempt whose failed jobs were re-run (GitHub starts attempt + 1). */
  attempt: number;
  run: WorkflowRunInfo;
}

export interface IssueResult {
  dryRun: boolean;
  title: string;
  url?: string;
  /** An issue was already opened for this failure: nothing new was created. */
  existing?: boolean;
}

export interface CiActions {
  rerun(request: RerunRequest): Promise<RerunResult>;
  /** opsbot's own re-run of a transient failure: never throws, says what happened. */
  rerunAutomatically(key: CiRunKey, reason: string): Promise<{ outcome: AutoRerunOutcome; reason: string }>;
  openIssue(request: { repo: RepoRef; runId: number; by: string; channel: string | null }): Promise<IssueResult>;
}

const SYSTEM = 'system';

export function createCiActions(deps: CiActionsDeps): CiActions {
  const { ciRuns, audit, clock, log } = deps;

  function ops(repo: RepoRef): GitHubOps {
    const allowed = deps.policy.github.repositories;
    if (allowed.length > 0 && !allowed.some((r) => r.toLowerCase() === repoName(repo).toLowerCase())) {
      throw new UserError('github_repo_not_allowed', `${repoName(repo)} is not one of the repositories opsbot may act on.`, 'An admin lists them under `github.repositories` in opsbot.yaml.');
    }
    if (!deps.github) throw new UserError('github_not_configured', 'GitHub is not configured on this opsbot: GITHUB_TOKEN is not set.');
    return deps.github;
  }

  const record = (entry: { actor: string; channel: string | null; action: string; command: string; args: unknown; outcome: string; detail?: string }) =>
    audit.append({ at: clock.now(), actor: entry.actor, channel: entry.channel, action: entry.action, command: entry.command, args: JSON.stringify(entry.args), outcome: entry.outcome, detail: entry.detail ?? null });

  const changed = async (key: CiRunKey) => {
    try {
      await deps.onChange?.(key);
    } catch (err) {
      log.warn({ err, run: key.runId }, 'could not update the CI notification');
    }
  };

  return {
    async rerun(request) {
      const github = ops(request.repo);
      const name = repoName(request.repo);
      const command = `ci rerun ${name} ${request.runId}`;
      const run = await github.workflowRun(request.repo, request.runId).catch((err: unknown) => {
        throw forPeople(err, 'nothing was re-run');
      });
      if (request.expectedAttempt !== undefined && run.attempt > request.expectedAttempt) {
        throw new UserError(
          'ci_rerun_superseded',
          `Run #${run.id} of ${name} has moved on: attempt ${run.attempt} is the current one (${run.conclusion ?? run.status}). Nothing was re-run.`,
          `To re-run attempt ${run.attempt}, type \`ci rerun ${name} ${run.id}\`.`,
        );
      }
      if (run.status !== 'completed') throw new UserError('ci_run_running', `Run #${run.id} of ${name} is ${run.status.replace(/_/g, ' ')}; re-run it once it has finished.`);
      if (run.conclusion === 'success') throw new UserError('ci_run_passed', `Run #${run.id} of ${name} passed: there is no failed job to re-run.`);
      const key: CiRunKey = { repo: request.repo, runId: run.id, attempt: run.attempt };
      const before = { attempt: run.attempt, conclusion: run.conclusion };
      if (deps.dryRun) {
        record({ actor: request.by, channel: request.channel, action: 'ci.rerun', command, args: { before, after: before }, outcome: 'dry_run' });
        return { dryRun: true, attempt: run.attempt, run };
      }
      if (!ciRuns.claimRerun(key, request.by, false, clock.now())) {
        const earlier = ciRuns.rerunOf(key);
        const who = earlier?.automatic ? ' automatically by opsbot' : earlier ? ` by <@${earlier.requestedBy}>` : '';
        throw new UserError('ci_rerun_already', `Attempt ${run.attempt} of run #${run.id} was already re-run${who}; nothing was re-run again.`);
      }
      try {
        await github.rerunFailedJobs(request.repo, run.id);
      } catch (err) {
        ciRuns.releaseRerun(key, request.by);
        record({ actor: request.by, channel: request.channel, action: 'ci.rerun', command, args: { before, after: before }, outcome: 'error', detail: errorMessage(err) });
        throw forPeople(err, 'nothing was re-run');
      }
      record({ actor: request.by, channel: request.channel, action: 'ci.rerun', command, args: { before, after: { attempt: run.attempt + 1, status: 'requested' } }, outcome: 'ok' });
      await changed(key);
      return { dryRun: false, attempt: run.attempt, run };
    },

    async rerunAutomatically(key, reason) {
      const name = repoName(key.repo);
      const command = `ci rerun ${name} ${key.runId}`;
      const before = { attempt: key.attempt };
      let github: GitHubOps;
      try {
        github = ops(key.repo);
      } catch (err) {
        return { outcome: 'skipped', reason: errorMessage(err) };
      }
      if (deps.dryRun) {
        record({ actor: SYSTEM, channel: null, action: 'ci.rerun', command, args: { before, after: before, automatic: true, reason }, outcome: 'dry_run' });
        return { outcome: 'dry_run', reason };
      }
      if (!ciRuns.claimRerun(key, SYSTEM, true, clock.now())) {
        const earlier = ciRuns.rerunOf(key);
        // A resumed delivery finds its own claim: the request went out (or failed and was released).
        if (earlier?.automatic) return { outcome: 'requested', reason };
        return { outcome: 'skipped', reason: `<@${earlier?.requestedBy ?? '?'}> already re-ran it` };
      }
      try {
        await github.rerunFailedJobs(key.repo, key.runId);
      } catch (err) {
        ciRuns.releaseRerun(key, SYSTEM);
        record({ actor: SYSTEM, channel: null, action: 'ci.rerun', command, args: { before, after: before, automatic: true, reason }, outcome: 'error', detail: errorMessage(err) });
        log.warn({ err, repo: name, run: key.runId }, 'automatic CI re-run failed');
        return { outcome: 'failed', reason: forPeople(err, 'nothing was re-run').message };
      }
      record({ actor: SYSTEM, channel: null, action: 'ci.rerun', command, args: { before, after: { attempt: key.attempt + 1, status: 'requested' }, automatic: true, reason }, outcome: 'ok' });
      return { outcome: 'requested', reason };
    },

    async openIssue(request) {
      const github = ops(request.repo);
      const name = repoName(request.repo);
      const command = `ci issue ${name} ${request.runId}`;
      const found = ciRuns.latest(request.repo, request.runId);
      if (!found?.run || !found.analysis) {
        throw new UserError('ci_run_unknown', `opsbot has no analysis of run #${request.runId} of ${name}: it opens issues for failed runs it reported.`);
      }
      const key: CiRunKey = { repo: request.repo, runId: found.runId, attempt: found.attempt };
      const issue = ciIssue(found.run, found.analysis, deps.policy.github.users[request.by]);
      if (found.issueUrl) return { dryRun: false, title: issue.title, url: found.issueUrl, existing: true };
      if (deps.dryRun) {
        record({ actor: request.by, channel: request.channel, action: 'ci.issue', command, args: { before: null, after: { title: issue.title } }, outcome: 'dry_run' });
        return { dryRun: true, title: issue.title };
      }
      if (!ciRuns.claimIssue(key, request.by, clock.now())) throw issueBusy(ciRuns.get(key));
      let created: { number: number; url: string };
      try {
        created = await github.createIssue(request.repo, issue);
      } catch (err) {
        ciRuns.releaseIssue(key, request.by, clock.now());
        record({ actor: request.by, channel: request.channel, action: 'ci.issue', command, args: { before: null, after: null }, outcome: 'error', detail: errorMessage(err) });
        throw forPeople(err, 'no issue was opened');
      }
      ciRuns.setIssue(key, created.url, clock.now());
      record({ actor: request.by, channel: request.channel, action: 'ci.issue', command, args: { before: null, after: { issue: created.number, url: created.url, title: issue.title } }, outcome: 'ok' });
      await changed(key);
      return { dryRun: false, title: issue.title, url: created.url };
    },
  };
}

function issueBusy(found: CiRunRecord | undefined): UserError {
  if (found?.issueUrl) return new UserError('ci_issue_exists', `An issue was already opened for this failure: ${found.issueUrl}`);
  return new UserError('ci_issue_in_progress', `<@${found?.issueBy ?? '?'}> is opening an issue for this failure right now.`);
}

/** GitHub's failure (github-errors.ts: each one a UserError) with what it meant for this request. */
export function forPeople(err: unknown, consequence: string): UserError {
  if (err instanceof UserError) return new UserError(err.code, `${err.message.replace(/\.$/, '')}; ${consequence}.`, err.hint, { cause: err });
  const code = err instanceof OpsError ? err.code : 'github_unavailable';
  return new UserError(code, `GitHub could not be asked (${errorMessage(err)}); ${consequence}.`, 'Try again in a minute.', { cause: err });
}
