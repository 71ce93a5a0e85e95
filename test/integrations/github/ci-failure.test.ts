import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAgentRunner } from '../../../src/agents/agent-runner.ts';
import { createLlmClient } from '../../../src/agents/llm-client.ts';
import { createAutorunSwitch } from '../../../src/autorun-switch.ts';
import { parsePolicy } from '../../../src/config.ts';
import { createLogger } from '../../../src/logger.ts';
import { createCiActions } from '../../../src/integrations/github/ci-actions.ts';
import { createCiFailureFlow } from '../../../src/integrations/github/ci-failure.ts';
import { createGitHubClient } from '../../../src/integrations/github/github-client.ts';
import { createGitHubOps } from '../../../src/integrations/github/github-ops.ts';
import type { CiRunSubject } from '../../../src/integrations/github/webhook-events.ts';
import { createRedactor } from '../../../src/redact.ts';
import { createCiRunRepo } from '../../../src/store/ci-run-repo.ts';
import { createStore } from '../../../src/store/store.ts';
import { runUntilSettled, startChatRig, type ChatRig } from '../../support/chat-rig.ts';
import { createFakeGitHubApi, forbidden, jobStepBody } from '../../support/fake-github-api.ts';
import { createFakeMessagesApi, message } from '../../support/fake-messages-api.ts';
import { useTempFiles } from '../../store/temp-files.ts';

/**
 * The CI-failure flow over the real GitHubOps (Octokit with its plugins) against the loopback
 * GitHub API, the offline analyst, real SQLite and the chat port into the Slack emulator.
 */

const CI = 'C0CI';
const REPO = 'octo-org/octo-repo';
const SHA = 'acb5820ced9479c074f688cc328bf03f341a511d';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/ci-logs/${name}`, import.meta.url), 'utf8');
const TEST_LOG = fixture('cidiff_11/fail.log');
const TRANSIENT_LOG = fixture('mimecraft_2316/fail.log');

const API_KEY = 'sk-ant-api03-ci-failure-test-key';
const github = createFakeGitHubApi();
const anthropic = createFakeMessagesApi({ knownKeys: { configured: API_KEY } });
beforeAll(() => Promise.all([github.start(), anthropic.start()]));
afterAll(() => Promise.all([github.stop(), anthropic.stop()]));

describe('a failed CI run', () => {
  const files = useTempFiles();
  let rig: ChatRig | undefined;
  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
    github.clearRequests();
    github.clearFailures();
    anthropic.clear();
  });

  let nextRun = 5000;
  /** A failed run in the fake with one job per log, its jobs failing at the "Run Tests" step. */
  function failedRun(logs: string[], overrides: { attempt?: number } = {}): CiRunSubject {
    const id = nextRun++;
    const attempt = overrides.attempt ?? 1;
    const jobs = logs.map((log, i) => {
      const jobId = id * 10 + i;
      github.setJobLog(jobId, log);
      return { id: jobId, name: `build-${i + 1}`, status: 'completed', conclusion: 'failure', steps: [jobStepBody({ name: 'Set up job', conclusion: 'success' }), jobStepBody({ name: 'Run Tests', conclusion: 'failure', number: 2 })] };
    });
    github.addWorkflowRun({ repo: REPO, run: { id, name: 'CI', status: 'completed', conclusion: 'failure', run_attempt: attempt, head_sha: SHA, head_branch: 'main' }, jobs: { [attempt]: jobs } });
    return {
      repo: { owner: 'octo-org', repo: 'octo-repo' },
      id,
      attempt,
      name: 'CI',
      event: 'push',
      status: 'completed',
      conclusion: 'failure',
      headBranch: 'main',
      headSha: SHA,
      url: `https://github.com/${REPO}/actions/runs/${id}`,
      commitMessage: 'Create linter.yaml',
    };
  }

  async function setup(options: { policy?: string; dryRun?: boolean; retryDelaysMs?: number[]; llm?: boolean } = {}) {
    rig = await startChatRig();
    const { clock, chat } = rig;
    rig.emulator.addChannel({ id: CI, name: 'ci', members: [rig.emulator.botUserId] });
    const logs: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: 'debug', pretty: false, redactor: createRedactor([github.token]), destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } });
    const policy = parsePolicy(options.policy ?? `channels:\n  ci: ${CI}\n`, 'opsbot.yaml');
    const store = createStore(files.open(), { isProcessAlive: () => false });
    const ciRuns = createCiRunRepo(store.db);
    const client = createGitHubClient({ token: github.token, baseUrl: github.url, userAgent: 'opsbot-test', log, clock, timing: { retries: 0, writeSpacingMs: 0, searchSpacingMs: 0, notificationSpacingMs: 0 } });
    const ops = createGitHubOps({ client, policy: policy.github, clock, log });
    const llm = options.llm ? createLlmClient({ apiKey: API_KEY, baseUrl: anthropic.url, model: 'claude-sonnet-5-5', timeoutMs: 5_000, maxRetries: 0, clock, log }) : undefined;
    const agents = createAgentRunner({ ...(llm ? { llm } : {}), runs: store.agentRuns, audit: store.audit, tools: [], limits: { maxCalls: 4, maxResultChars: 2_000 }, breaker: { failures: 3, cooldownMs: 60_000 }, redactor: createRedactor([]), clock, log });
    const autorun = createAutorunSwitch(store);
    const late: { flow?: ReturnType<typeof createCiFailureFlow> } = {};
    const actions = createCiActions({ github: ops, ciRuns, audit: store.audit, clock, dryRun: options.dryRun ?? false, policy, log, onChange: async (key) => late.flow?.refresh(key) });
    const flow = createCiFailureFlow({ github: ops, ciRuns, actions, agents, chat, autorun, policy, dryRun: options.dryRun ?? false, clock, log, ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}) });
    late.flow = flow;
    const settle = <T>(p: Promise<T>) => runUntilSettled(clock, p);
    const posted = () => rig!.emulator.messages(CI);
    const reruns = () => github.requests({ method: 'POST', path: /rerun-failed-jobs$/ });
    return { flow, actions, store, ciRuns, autorun, logs, settle, posted, reruns, log, clock };
  }

  const allText = (message: { text?: string; blocks?: unknown }) => `${message.text ?? ''}\n${JSON.stringify(message.blocks ?? [])}`;

  it('is analysed from its job log and posted once, with the error lines, category, provider and buttons', async () => {
    const s = await setup();
    const run = failedRun([TEST_LOG]);

    await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));
    await s.settle(s.flow.failedRun(run, 'github:d-2', s.log));

    const posted = s.posted();
    expect(posted).toHaveLength(1);
    const text = allText(posted[0]!);
    expect(posted[0]!.text).toContain(`❌ CI failed: ${REPO} · CI on main (acb5820): test`);
    // The ground truth of this log (cidiff's groundtruth file): lines 242-244, the failed test and the build failure.
    expect(text).toContain('242: LogDifferTest &gt; testGithubParsing() FAILED');
    expect(text).toContain('243: FAILURE: Build failed with an exception.');
    expect(text).toContain('*test*, confidence');
    expect(text).toContain('Analysed by the offline heuristics');
    expect(text).toContain('(step _Run Tests_)');
    const buttons = (posted[0]!.blocks as Array<{ type: string; elements?: Array<{ value?: string; text?: { text: string } }> }>).find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => [b.text?.text, b.value])).toEqual([
      ['Re-run failed jobs', `ci rerun ${REPO} ${run.id} attempt=1`],
      ['Open issue', `ci issue ${REPO} ${run.id}`],
    ]);
    expect(s.reruns()).toEqual([]);
    expect(s.ciRuns.get({ repo: run.repo, runId: run.id, attempt: 1 })).toMatchObject({ status: 'notified', channel: CI, messageTs: posted[0]!.ts, claimedBy: 'github:d-1' });
  });

  it('from a failed check run waits for its run to complete, then is handled once with the workflow_run', async () => {
    const s = await setup();
    const run = failedRun([TEST_LOG]);
    github.updateWorkflowRun(REPO, run.id, { status: 'in_progress', conclusion: null });
    const check = { type: 'failed_check' as const, repo: run.repo, runId: run.id, jobId: run.id * 10, check: 'build-1', conclusion: 'failure', headSha: SHA };

    await s.settle(s.flow.failedCheck(check, 'github:c-1', s.log));
    expect(s.posted()).toHaveLength(0);

    github.updateWorkflowRun(REPO, run.id, { status: 'completed', conclusion: 'failure' });
    await s.settle(s.flow.failedCheck({ ...check, jobId: check.jobId + 1 }, 'github:c-2', s.log));
    await s.settle(s.flow.failedRun(run, 'github:w-1', s.log));
    expect(s.posted()).toHaveLength(1);
  });

  it('that looks transient is re-run automatically once, and the notification says so; its second attempt is not', async () => {
    const s = await setup();
    const run = failedRun([TRANSIENT_LOG]);

    await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));
    expect(s.reruns()).toHaveLength(1);
    const first = allText(s.posted()[0]!);
    expect(first).toContain('Re-run automatically');
    expect(first).not.toContain('Re-run failed jobs');
    expect(s.store.audit.list({ limit: 5 }).find((a) => a.action === 'ci.rerun')).toMatchObject({ actor: 'system', outcome: 'ok', command: `ci rerun ${REPO} ${run.id}` });

    // GitHub started attempt 2 (the fake moved the run on); it fails the same way.
    github.updateWorkflowRun(REPO, run.id, { status: 'completed', conclusion: 'failure' });
    github.setJobs(REPO, run.id, 2, [{ id: run.id * 10 + 9, name: 'build-1', status: 'completed', conclusion: 'failure' }]);
    github.setJobLog(run.id * 10 + 9, TRANSIENT_LOG);
    await s.settle(s.flow.failedRun({ ...run, attempt: 2 }, 'github:d-2', s.log));

    expect(s.reruns()).toHaveLength(1);
    expect(s.posted()).toHaveLength(2);
    const second = allText(s.posted()[1]!);
    expect(second).toContain('Not re-run automatically');
    expect(second).toContain('this is attempt 2');
    expect(second).toContain('Re-run failed jobs');
  });

  it('is not re-run when only the model calls it flaky and nothing in the log says so', async () => {
    const s = await setup({ llm: true });
    anthropic.script(message({ text: { summary: 'A flaky test.', errorLines: [{ line: 242, text: 'LogDifferTest > testGithubParsing() FAILED' }], category: 'flaky', risk: 'low', confidence: 0.95, suggestedAction: 'rerun' } }));

    await s.settle(s.flow.failedRun(failedRun([TEST_LOG]), 'github:d-1', s.log));

    expect(s.reruns()).toEqual([]);
    const text = allText(s.posted()[0]!);
    expect(text).toContain('Analysed by claude-sonnet-5-5');
    expect(text).toContain('Not re-run automatically: it looks flaky (95% confident), but nothing in the log itself points to a passing failure');
  });

  it('is re-run when the model calls it transient and the log agrees', async () => {
    const s = await setup({ llm: true });
    anthropic.script(message({ text: { summary: 'The plugin repository was unreachable.', errorLines: [{ line: 1, text: 'x' }], category: 'infrastructure', risk: 'low', confidence: 0.8, suggestedAction: 'rerun' } }));
    await s.settle(s.flow.failedRun(failedRun([TRANSIENT_LOG]), 'github:d-1', s.log));
    expect(s.reruns()).toHaveLength(1);
  });

  it('that looks transient is not re-run while automatic actions are off', async () => {
    const s = await setup();
    s.autorun.set(false, 'U0ALICE', s.clock.now());
    const run = failedRun([TRANSIENT_LOG]);

    await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));

    expect(s.reruns()).toEqual([]);
    expect(allText(s.posted()[0]!)).toContain('automatic actions are switched off');
  });

  it('under DRY_RUN shows the automatic re-run it would have made and sends nothing', async () => {
    const s = await setup({ dryRun: true });
    await s.settle(s.flow.failedRun(failedRun([TRANSIENT_LOG]), 'github:d-1', s.log));
    expect(s.reruns()).toEqual([]);
    expect(allText(s.posted()[0]!)).toContain('*DRY RUN*: would have re-run the failed jobs automatically');
  });

  it('is still reported when GitHub keeps failing: the notification says what could not be fetched', async () => {
    const s = await setup({ retryDelaysMs: [1_000, 2_000] });
    const run = failedRun([TEST_LOG]);
    github.fail({ method: 'GET', path: `/repos/${REPO}/actions/runs/${run.id}/attempts/1/jobs`, status: 503, times: Infinity });

    await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));

    expect(github.requests({ path: `/repos/${REPO}/actions/runs/${run.id}/attempts/1/jobs` })).toHaveLength(3);
    const text = allText(s.posted()[0]!);
    expect(text).toContain('Could not fetch');
    expect(text).toContain(`the failed jobs of run #${run.id}: GitHub answered 503`);
    expect(text).toContain('Re-run failed jobs');
  });

  it('goes on when a read fails once for a passing reason (503), and names a log it may not read (403) without retrying it', async () => {
    const s = await setup({ retryDelaysMs: [1_000] });
    const run = failedRun([TEST_LOG, TEST_LOG]);
    github.fail({ method: 'GET', path: `/repos/${REPO}/actions/runs/${run.id}/attempts/1/jobs`, status: 503, times: 1 });
    github.fail(forbidden(`/repos/${REPO}/actions/jobs/${run.id * 10 + 1}/logs`, 'actions=read'));

    await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));

    expect(github.requests({ path: `/repos/${REPO}/actions/jobs/${run.id * 10 + 1}/logs` })).toHaveLength(1);
    const text = allText(s.posted()[0]!);
    expect(text).toContain('243: FAILURE: Build failed with an exception.');
    expect(text).toContain('the log of build-2: GitHub refused fetching the log of job');
    expect(text).toContain('actions: read');
  });

  it('is analysed and recorded, not posted, when channels.ci is not set (warned once)', async () => {
    const s = await setup({ policy: '' });
    const run = failedRun([TEST_LOG]);
    await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));
    await s.settle(s.flow.failedRun(failedRun([TEST_LOG]), 'github:d-2', s.log));

    expect(rig!.emulator.callsTo('chat.postMessage')).toEqual([]);
    expect(s.ciRuns.get({ repo: run.repo, runId: run.id, attempt: 1 })).toMatchObject({ status: 'notified', channel: null });
    expect(s.logs.filter((l) => String(l.msg).startsWith('channels.ci is not set'))).toHaveLength(1);
  });

  describe('Re-run failed jobs', () => {
    it('re-runs once: a second click finds the run moved on, and the notification shows who re-ran it', async () => {
      const s = await setup();
      const run = failedRun([TEST_LOG]);
      await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));

      const result = await s.settle(s.actions.rerun({ repo: run.repo, runId: run.id, expectedAttempt: 1, by: 'U0ALICE', channel: CI }));
      expect(result).toMatchObject({ dryRun: false, attempt: 1 });
      await expect(s.settle(s.actions.rerun({ repo: run.repo, runId: run.id, expectedAttempt: 1, by: 'U0BOB', channel: CI }))).rejects.toThrow(/has moved on: attempt 2 is the current one/);

      expect(s.reruns()).toHaveLength(1);
      const updated = allText(s.posted()[0]!);
      expect(updated).toContain('<@U0ALICE> re-ran the failed jobs');
      expect(updated).not.toContain('Re-run failed jobs');
      const audit = s.store.audit.list({ limit: 10 }).filter((a) => a.action === 'ci.rerun');
      expect(audit.map((a) => [a.actor, a.outcome, JSON.parse(a.args ?? '{}')])).toEqual([['U0ALICE', 'ok', { before: { attempt: 1, conclusion: 'failure' }, after: { attempt: 2, status: 'requested' } }]]);
    });

    it('refuses two clicks racing on the same attempt: the second finds the first one’s claim', async () => {
      const s = await setup();
      const run = failedRun([TEST_LOG]);
      const results = await s.settle(
        Promise.allSettled([
          s.actions.rerun({ repo: run.repo, runId: run.id, expectedAttempt: 1, by: 'U0ALICE', channel: CI }),
          s.actions.rerun({ repo: run.repo, runId: run.id, expectedAttempt: 1, by: 'U0BOB', channel: CI }),
        ]),
      );
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(s.reruns()).toHaveLength(1);
    });

    it('under DRY_RUN says what it would do and sends nothing', async () => {
      const s = await setup({ dryRun: true });
      const run = failedRun([TEST_LOG]);
      expect(await s.settle(s.actions.rerun({ repo: run.repo, runId: run.id, by: 'U0ALICE', channel: CI }))).toMatchObject({ dryRun: true, attempt: 1 });
      expect(s.reruns()).toEqual([]);
    });
  });

  describe('Open issue', () => {
    it('opens one issue with the analysis; a second click points at it', async () => {
      const s = await setup();
      const run = failedRun([TEST_LOG]);
      await s.settle(s.flow.failedRun(run, 'github:d-1', s.log));

      const first = await s.settle(s.actions.openIssue({ repo: run.repo, runId: run.id, by: 'U0ALICE', channel: CI }));
      const second = await s.settle(s.actions.openIssue({ repo: run.repo, runId: run.id, by: 'U0BOB', channel: CI }));

      const created = github.requests({ method: 'POST', path: `/repos/${REPO}/issues` });
      expect(created).toHaveLength(1);
      const body = created[0]!.body as { title: string; body: string };
      expect(body.title).toBe('CI failed: CI on main (test)');
      expect(body.body).toContain('242: LogDifferTest > testGithubParsing() FAILED');
      expect(body.body).toContain(`[run #${run.id}, attempt 1](https://github.com/${REPO}/actions/runs/${run.id})`);
      expect(second).toEqual({ dryRun: false, title: body.title, url: first.url, existing: true });
      expect(allText(s.posted()[0]!)).toContain(`Issue opened: ${first.url}`);
    });

    it('refuses a run opsbot never reported', async () => {
      const s = await setup();
      await expect(s.actions.openIssue({ repo: { owner: 'octo-org', repo: 'octo-repo' }, runId: 1, by: 'U0ALICE', channel: CI })).rejects.toThrow(/no analysis of run #1/);
    });
  });
});
