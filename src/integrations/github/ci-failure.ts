import type { Logger } from 'pino';
import type { AgentRunner } from '../../agents/agent-runner.ts';
import { ciAnalystAgent, offlineCiAnalysis } from '../../agents/ci-analyst-agent.ts';
import type { AutorunSwitch } from '../../autorun-switch.ts';
import type { Clock } from '../../clock.ts';
import type { Policy } from '../../config/policy-schema.ts';
import { errorMessage, OpsError, UserError } from '../../errors.ts';
import type { ChatPort } from '../../slack/chat-port.ts';
import { ciFailureView } from '../../slack/views/ci-failure-view.ts';
import type { CiRunRepo } from '../../store/ci-run-repo.ts';
import type { CiActions } from './ci-actions.ts';
import { type CiJobAnalysis, type CiRunAnalysis, type CiRunKey, isTransient, repoName } from './ci-analysis.ts';
import { GitHubRateLimitedError } from './github-errors.ts';
import type { GitHubOps } from './github-types.ts';
import type { CiRunSubject, GitHubWork } from './webhook-events.ts';

/**
 * A failed GitHub Actions run → one Slack notification. Whichever of the run's webhook events
 * arrives first claims (repository, run, attempt) in one transaction; the others find the claim
 * and stop. The claimant fetches the failed jobs and their logs, has the CI-failure analyst read
 * each, re-runs the failed jobs by itself once when every job looks transient and policy and the
 * kill switch allow it, and posts the notification in `channels.ci`. What GitHub would not give
 * (403, 429, 5xx after retries) is named in the notification instead of being dropped.
 */

export interface CiFailureDeps {
  github: GitHubOps | undefined;
  ciRuns: CiRunRepo;
  actions: CiActions;
  agents: AgentRunner;
  chat: ChatPort;
  autorun: AutorunSwitch;
  policy: Pick<Policy, 'channels' | 'github' | 'autorun'>;
  dryRun: boolean;
  clock: Clock;
  log: Logger;
  /** Waits before each new try of a GitHub read that failed for a passing reason (5xx, 429). */
  retryDelaysMs?: readonly number[];
}

export interface CiFailureFlow {
  /** A completed, failed `workflow_run`. `by` is the delivery's inbox key. */
  failedRun(run: CiRunSubject, by: string, log: Logger): Promise<void>;
  /** A failed Actions job's `check_run`: handled as its run, once the run has completed. */
  failedCheck(check: Extract<GitHubWork, { type: 'failed_check' }>, by: string, log: Logger): Promise<void>;
  /** Edits a run's notification to show what happened since (a re-run, an issue). */
  refresh(key: CiRunKey): Promise<void>;
}

/** Failed jobs whose logs are read; the rest are named. Each one is an analyst run. */
export const MAX_JOBS_ANALYSED = 4;
/** Of a job's log, the end is kept: that is where a build says why it stopped. */
export const MAX_LOG_CHARS = 1_000_000;
/** Below this the analyst is guessing, and a guess does not start anything by itself. */
export const AUTO_RERUN_MIN_CONFIDENCE = 0.5;
const DEFAULT_RETRY_DELAYS_MS = [10_000, 30_000];
const FAILED = new Set(['failure', 'timed_out']);

type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

export function createCiFailureFlow(deps: CiFailureDeps): CiFailureFlow {
  const { ciRuns, clock, policy } = deps;
  const delays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  let warnedNoChannel = false;

  /**
   * GitHub reads are safe to repeat: an outage or a rate limit (after the client's own retries)
   * is tried again a little later, a refusal (403 permission, 404) is not.
   */
  async function read<T>(what: string, fn: () => Promise<T>, log: Logger): Promise<Read<T>> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return { ok: true, value: await fn() };
      } catch (err) {
        const delay = retryDelay(err, delays[attempt], clock.now());
        if (delay === undefined) {
          log.warn({ err: errorMessage(err), what, tries: attempt + 1 }, 'GitHub read failed');
          return { ok: false, reason: describe(err) };
        }
        log.info({ err: errorMessage(err), what, retryInMs: delay }, 'GitHub read failed; trying again');
        await clock.sleep(delay);
      }
    }
  }

  async function analyse(run: CiRunSubject, log: Logger): Promise<CiRunAnalysis> {
    const analysis: CiRunAnalysis = { jobs: [], moreJobs: [], unavailable: [], provider: null, model: null, notes: [] };
    const github = deps.github;
    if (!github) {
      analysis.unavailable.push('the failed jobs and their logs: GITHUB_TOKEN is not set on this opsbot');
      return analysis;
    }
    const name = repoName(run.repo);
    const jobs = await read('failed jobs', () => github.failedJobs(run.repo, run.id, run.attempt), log);
    if (!jobs.ok) {
      analysis.unavailable.push(`the failed jobs of run #${run.id}: ${jobs.reason}`);
      return analysis;
    }
    analysis.moreJobs = jobs.value.slice(MAX_JOBS_ANALYSED).map((j) => j.name);
    for (const job of jobs.value.slice(0, MAX_JOBS_ANALYSED)) {
      const fetched = await read(`log of job ${job.id}`, () => github.jobLog(run.repo, job.id), log);
      if (!fetched.ok) {
        analysis.unavailable.push(`the log of ${job.name}: ${fetched.reason}`);
        analysis.jobs.push({ job, errorLines: [] });
        continue;
      }
      const { text, skippedLines } = logTail(fetched.value, MAX_LOG_CHARS);
      if (skippedLines > 0) addNote(analysis, `The first ${skippedLines} lines of ${job.name}'s log were not read (it is over ${MAX_LOG_CHARS / 1_000_000} MB).`);
      // GitHubOps keeps only the end of a long log and says so on its first line.
      if (text.startsWith('[log cut:')) addNote(analysis, `${job.name}'s log is long: only its end was read, and line numbers count from where it was cut.`);
      const input = { job: `${name} · ${run.name} · ${job.name}`, log: text };
      const answer = await deps.agents.run(ciAnalystAgent(), input, { requestedBy: 'system', subject: `${name} run ${run.id} attempt ${run.attempt}: ${job.name}` });
      // A model's "transient" starts a re-run only when the log's own keywords agree: log text is
      // written by whoever controls the build and may argue with the model, not with a regex.
      const agrees = answer.provider === 'offline' || !isTransient(answer.output.category) || isTransient(offlineCiAnalysis(input).output.category);
      const entry: CiJobAnalysis = {
        job,
        ...(agrees ? {} : { transientUnconfirmed: true }),
        category: answer.output.category,
        confidence: answer.output.confidence,
        summary: answer.output.summary,
        suggestedAction: answer.output.suggestedAction,
        errorLines: answer.output.errorLines.map((l) => ({ line: l.line + skippedLines, text: l.text })),
        agentRunId: answer.runId,
      };
      analysis.jobs.push(entry);
      if (analysis.provider !== 'anthropic') {
        analysis.provider = answer.provider;
        analysis.model = answer.model;
      }
      for (const note of answer.notes) addNote(analysis, note);
    }
    return analysis;
  }

  async function decideAutoRerun(key: CiRunKey, analysis: CiRunAnalysis): Promise<CiRunAnalysis['autoRerun']> {
    const jobs = analysis.jobs;
    const looksTransient =
      jobs.length > 0 && analysis.unavailable.length === 0 && analysis.moreJobs.length === 0 && jobs.every((j) => isTransient(j.category) && (j.confidence ?? 0) >= AUTO_RERUN_MIN_CONFIDENCE);
    if (!looksTransient) return undefined;
    const categories = [...new Set(jobs.map((j) => j.category))].join(' or ');
    const confidence = Math.round(Math.min(...jobs.map((j) => j.confidence ?? 0)) * 100);
    const looks = `it looks ${categories} (${confidence}% confident)`;
    const skip = (why: string) => ({ outcome: 'skipped' as const, reason: `${looks}, but ${why}` });
    if (jobs.some((j) => j.transientUnconfirmed)) return skip('nothing in the log itself points to a passing failure');
    if (!policy.github.ci.rerunTransient) return skip('`github.ci.rerun_transient` is off in opsbot.yaml');
    if (!policy.autorun.enabled) return skip('`autorun.enabled` is false in opsbot.yaml');
    // Read now, not when the delivery arrived: switching off stops the next re-run.
    if (!deps.autorun.isOn()) return skip('automatic actions are switched off (`autorun on` turns them back on)');
    if (key.attempt > 1) return skip(`this is attempt ${key.attempt}: opsbot re-runs a failure by itself only once`);
    return deps.actions.rerunAutomatically(key, looks);
  }

  async function notify(key: CiRunKey, run: CiRunSubject, analysis: CiRunAnalysis, log: Logger): Promise<void> {
    const channel = policy.channels.ci;
    if (!channel) {
      if (!warnedNoChannel) {
        warnedNoChannel = true;
        log.warn('channels.ci is not set in opsbot.yaml: failed CI runs are analysed and recorded, not posted');
      }
      ciRuns.notified(key, { analysis, channel: null, messageTs: null }, clock.now());
      return;
    }
    const found = ciRuns.get(key);
    const view = ciFailureView({ run, analysis, ...rerunOf(key), issueUrl: found?.issueUrl ?? null, dryRun: deps.dryRun });
    const ref = await deps.chat.post(channel, view);
    ciRuns.notified(key, { analysis, channel, messageTs: ref.ts }, clock.now());
  }

  const rerunOf = (key: CiRunKey) => {
    const rerun = ciRuns.rerunOf(key);
    return rerun ? { rerun } : {};
  };

  async function failedRun(run: CiRunSubject, by: string, log: Logger): Promise<void> {
    const key: CiRunKey = { repo: run.repo, runId: run.id, attempt: run.attempt };
    const runLog = log.child({ repo: repoName(run.repo), run: run.id, attempt: run.attempt });
    const claim = ciRuns.claim(key, by, clock.now());
    if (claim === 'duplicate') {
      runLog.info({ by }, 'failed CI run already handled; this delivery adds nothing');
      return;
    }
    runLog.info({ claim }, 'handling a failed CI run');
    ciRuns.saveRun(key, run, clock.now());
    let analysis: CiRunAnalysis;
    try {
      analysis = await analyse(run, runLog);
    } catch (err) {
      // The notification still goes out, saying what is missing; the cause is in the log.
      runLog.error({ err }, 'CI failure analysis failed');
      analysis = { jobs: [], moreJobs: [], unavailable: [`the analysis: opsbot failed (${errorMessage(err)})`], provider: null, model: null, notes: [] };
    }
    const autoRerun = await decideAutoRerun(key, analysis);
    if (autoRerun) analysis.autoRerun = autoRerun;
    try {
      await notify(key, run, analysis, runLog);
    } catch (err) {
      // Another delivery of this run may take it over; this one is recorded as failed in the inbox.
      ciRuns.failed(key, errorMessage(err), clock.now());
      throw err;
    }
    runLog.info({ jobs: analysis.jobs.length, unavailable: analysis.unavailable.length, autoRerun: autoRerun?.outcome }, 'failed CI run reported');
  }

  return {
    failedRun,

    async failedCheck(check, by, log) {
      const github = deps.github;
      const checkLog = log.child({ repo: repoName(check.repo), run: check.runId, job: check.jobId });
      if (!github) {
        checkLog.info('failed check run ignored: without GITHUB_TOKEN its run cannot be looked up (the workflow_run event reports it)');
        return;
      }
      const found = await read(`run ${check.runId}`, () => github.workflowRun(check.repo, check.runId), checkLog);
      if (!found.ok) throw new OpsError('github_unavailable', `run ${check.runId} of ${repoName(check.repo)} could not be looked up: ${found.reason}`);
      const run = found.value;
      if (run.status !== 'completed') {
        checkLog.info({ status: run.status }, 'a job failed while its run goes on; the run is handled when it completes');
        return;
      }
      if (!run.conclusion || !FAILED.has(run.conclusion)) {
        checkLog.info({ conclusion: run.conclusion }, 'check run failed but its run did not');
        return;
      }
      await failedRun(run, by, log);
    },

    async refresh(key) {
      const found = ciRuns.get(key);
      if (!found?.run || !found.analysis || !found.channel || !found.messageTs) return;
      const view = ciFailureView({ run: found.run, analysis: found.analysis, ...rerunOf(key), issueUrl: found.issueUrl, dryRun: deps.dryRun });
      await deps.chat.update({ channel: found.channel, ts: found.messageTs }, view);
    },
  };
}

/** The end of a log, from a whole line on, and how many lines were left out before it. */
export function logTail(log: string, max: number): { text: string; skippedLines: number } {
  if (log.length <= max) return { text: log, skippedLines: 0 };
  let start = log.length - max;
  const newline = log.indexOf('\n', start);
  start = newline === -1 ? start : newline + 1;
  let skippedLines = 0;
  for (let i = log.indexOf('\n'); i !== -1 && i < start; i = log.indexOf('\n', i + 1)) skippedLines += 1;
  return { text: log.slice(start), skippedLines };
}

function addNote(analysis: CiRunAnalysis, note: string): void {
  if (!analysis.notes.includes(note)) analysis.notes.push(note);
}

/** The codes of GitHub failures that trying later can fix (github-errors.ts). */
const PASSING = new Set(['github_unavailable', 'github_rate_limited']);
/** A rate limit that lifts later than this is reported, not waited out. */
const MAX_RATE_LIMIT_WAIT_MS = 5 * 60_000;

/** How long to wait before trying a failed read again; undefined: do not. */
function retryDelay(err: unknown, planned: number | undefined, now: number): number | undefined {
  if (planned === undefined || !(err instanceof OpsError) || !PASSING.has(err.code)) return undefined;
  const retryAt = err instanceof GitHubRateLimitedError ? err.retryAt : undefined;
  if (retryAt === undefined) return planned;
  const wait = retryAt - now;
  return wait > MAX_RATE_LIMIT_WAIT_MS ? undefined : Math.max(planned, wait);
}

/** Why a GitHub read failed, in words for the notification. */
function describe(err: unknown): string {
  if (err instanceof UserError) return [err.message, err.hint].filter(Boolean).join(' ');
  return `opsbot failed (${errorMessage(err)})`;
}
