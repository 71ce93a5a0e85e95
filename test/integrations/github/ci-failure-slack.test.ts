import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeGitHubApi, forbidden, jobStepBody } from '../../support/fake-github-api.ts';
import { deliver, failedRunDeliveries, type FailedRunSpec } from '../../support/github-webhooks.ts';
import { startOpsbot, type RunningOpsbot } from '../../support/opsbot.ts';

/**
 * A failed GitHub Actions run end to end: the webhook deliveries GitHub sends for it (payloads
 * from @octokit/webhooks-examples, ids adjusted in code) reach a real opsbot, which reads the
 * run from the loopback GitHub API and notifies the Slack emulator's CI channel; its Re-run
 * button, clicked by a responder, reaches GitHub's re-run endpoint once.
 */

const SECRET = 'github-webhook-secret-for-tests-0123';
const CI = 'C0CICHANNEL';
const ALICE = 'U0ALICE'; // responder
const BOB = 'U0BOB'; // viewer
const REPO = 'octo-org/octo-repo';
const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/ci-logs/${name}`, import.meta.url), 'utf8');
const TEST_LOG = fixture('cidiff_11/fail.log');
const TRANSIENT_LOG = fixture('mimecraft_2316/fail.log');

const github = createFakeGitHubApi();
beforeAll(() => github.start());
afterAll(() => github.stop());

const running: RunningOpsbot[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
  github.clearRequests();
  github.clearFailures();
});

async function start(): Promise<RunningOpsbot> {
  const o = await startOpsbot({
    env: { GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url, GITHUB_WEBHOOK_SECRET: SECRET },
    policy: `channels:\n  ci: ${CI}\n`,
  });
  running.push(o);
  o.emulator.addChannel({ id: CI, name: 'ci', members: [ALICE, BOB, o.emulator.botUserId] });
  o.app.store.roles.grant(ALICE, 'responder', 'test', o.clock.now());
  return o;
}

let nextRun = 7000;
/** A failed run in the fake GitHub (completed, one failed job with `log`) and the events GitHub sends for it. */
function failedRun(log: string, attempt = 1): FailedRunSpec {
  const runId = nextRun++;
  const jobId = runId * 10;
  github.setJobLog(jobId, log);
  github.addWorkflowRun({
    repo: REPO,
    run: { id: runId, name: 'CI', status: 'completed', conclusion: 'failure', run_attempt: attempt, head_sha: SHA, head_branch: 'main' },
    jobs: { [attempt]: [{ id: jobId, name: 'build', status: 'completed', conclusion: 'failure', steps: [jobStepBody({ name: 'Run Tests', conclusion: 'failure' })] }] },
  });
  return { repo: REPO, runId, attempt, sha: SHA, workflow: 'CI', jobs: [{ id: jobId, name: 'build', conclusion: 'failure' }, { id: jobId + 1, name: 'lint', conclusion: 'success' }] };
}

async function deliverAll(o: RunningOpsbot, spec: FailedRunSpec, options: { redeliverLast?: boolean } = {}) {
  const deliveries = failedRunDeliveries(spec);
  for (const d of deliveries) expect((await deliver(o.url, SECRET, d)).status).toBeLessThan(300);
  if (options.redeliverLast) expect(await deliver(o.url, SECRET, deliveries.at(-1)!)).toEqual({ status: 200, body: { ok: true, duplicate: true } });
  await o.settle();
}

const notifications = (o: RunningOpsbot) => o.emulator.messages(CI).filter((m) => m.botId !== undefined);
const shown = (m: { text: string; blocks?: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
const reruns = () => github.requests({ method: 'POST', path: /\/rerun-failed-jobs$/ });

describe('the GitHub webhook through a running opsbot', () => {
  it('answers a delivery with a wrong signature 401 and does nothing', async () => {
    const o = await start();
    const spec = failedRun(TEST_LOG);
    const completed = failedRunDeliveries(spec).at(-1)!;

    expect(await deliver(o.url, 'a-different-secret', completed)).toEqual({ status: 401, body: { ok: false, error: 'unauthorized' } });
    await o.settle();

    const count = (table: string) => o.app.store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    expect([count('processed_events'), count('inbox'), count('ci_runs')]).toEqual([0, 0, 0]);
    expect(notifications(o)).toEqual([]);
    expect(github.requests()).toEqual([]);
  });

  it('turns one failed run, delivered as every event GitHub sends plus a redelivery, into one notification whose Re-run button re-runs once', async () => {
    const o = await start();
    const spec = failedRun(TEST_LOG);

    await deliverAll(o, spec, { redeliverLast: true });

    const posted = notifications(o);
    expect(posted).toHaveLength(1);
    const message = posted[0]!;
    expect(message.text).toBe(`❌ CI failed: ${REPO} · CI on main (ec26c3e): test — > Task :cidiff:test FAILED`);
    expect(shown(message)).toContain('242: LogDifferTest &gt; testGithubParsing() FAILED');
    expect(shown(message)).toContain('243: FAILURE: Build failed with an exception.');
    expect(shown(message)).toContain('Analysed by the offline heuristics');
    expect(reruns()).toEqual([]);

    // A viewer may not; a responder may, once.
    await o.emulator.clickButton({ user: BOB, channel: CI, messageTs: message.ts, actionId: 'ops.run:ci-rerun' });
    await o.settle();
    expect(reruns()).toEqual([]);
    expect(o.emulator.ephemerals({ user: BOB }).at(-1)?.text).toContain('You need the *responder* role');

    await o.emulator.clickButton({ user: ALICE, channel: CI, messageTs: message.ts, actionId: 'ops.run:ci-rerun' });
    await o.settle();
    expect(reruns()).toHaveLength(1);
    expect(reruns()[0]!.path).toBe(`/repos/${REPO}/actions/runs/${spec.runId}/rerun-failed-jobs`);
    expect(o.emulator.ephemerals({ user: ALICE }).at(-1)?.text).toContain('re-ran the failed jobs');
    const edited = notifications(o)[0]!;
    expect(shown(edited)).toContain(`<@${ALICE}> re-ran the failed jobs`);
    expect(shown(edited)).not.toContain('ops.run:ci-rerun');

    // The click Slack still shows someone (an older copy of the message) does nothing more.
    await o.emulator.sendRaw(
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: ALICE },
          team: { id: 'T0TEAM' },
          channel: { id: CI },
          container: { type: 'message', channel_id: CI, message_ts: message.ts },
          trigger_id: 'trigger-second-click',
          response_url: o.emulator.issueResponseUrl({ user: ALICE, channel: CI }),
          actions: [{ action_id: 'ops.run:ci-rerun', value: `ci rerun ${REPO} ${spec.runId} attempt=1`, type: 'button' }],
        }),
      }).toString(),
      'application/x-www-form-urlencoded',
    );
    await o.settle();
    expect(reruns()).toHaveLength(1);
    expect(o.emulator.ephemerals({ user: ALICE }).at(-1)?.text).toContain('has moved on: attempt 2 is the current one');
    const audit = o.app.store.audit.list({ limit: 50 }).filter((a) => a.action === 'ci.rerun');
    expect(audit.map((a) => [a.actor, a.outcome])).toEqual([[ALICE, 'ok']]);
  });

  it('re-runs a transient failure by itself once, and not its second attempt', async () => {
    const o = await start();
    const spec = failedRun(TRANSIENT_LOG);

    await deliverAll(o, spec);

    expect(reruns()).toHaveLength(1);
    expect(notifications(o)).toHaveLength(1);
    expect(shown(notifications(o)[0]!)).toContain('Re-run automatically');

    // The re-run (attempt 2) fails the same way; GitHub sends the events of attempt 2.
    github.updateWorkflowRun(REPO, spec.runId, { status: 'completed', conclusion: 'failure' });
    github.setJobs(REPO, spec.runId, 2, [{ id: spec.runId * 10 + 2, name: 'build', status: 'completed', conclusion: 'failure' }]);
    github.setJobLog(spec.runId * 10 + 2, TRANSIENT_LOG);
    await deliverAll(o, { ...spec, attempt: 2, jobs: [{ id: spec.runId * 10 + 2, name: 'build', conclusion: 'failure' }] });

    expect(reruns()).toHaveLength(1);
    expect(notifications(o)).toHaveLength(2);
    expect(shown(notifications(o)[1]!)).toContain('this is attempt 2');
  });

  it('does not re-run a transient failure by itself after /ops autorun off', async () => {
    const o = await start();
    await o.emulator.slashCommand({ user: ALICE, channel: CI, text: 'autorun off' });
    await o.settle();

    await deliverAll(o, failedRun(TRANSIENT_LOG));

    expect(reruns()).toEqual([]);
    expect(shown(notifications(o).at(-1)!)).toContain('automatic actions are switched off');
  });

  it('opens one issue from the Open issue button, and answers a typed `ci rerun` in the channel', async () => {
    const o = await start();
    const spec = failedRun(TEST_LOG);
    await deliverAll(o, spec);
    const message = notifications(o)[0]!;

    await o.emulator.clickButton({ user: ALICE, channel: CI, messageTs: message.ts, actionId: 'ops.run:ci-issue' });
    await o.settle();
    await o.emulator.slashCommand({ user: ALICE, channel: CI, text: `ci issue ${REPO} ${spec.runId}` });
    await o.settle();

    const issues = github.requests({ method: 'POST', path: `/repos/${REPO}/issues` });
    expect(issues).toHaveLength(1);
    expect((issues[0]!.body as { title: string }).title).toBe('CI failed: CI on main (test)');
    expect(shown(notifications(o)[0]!)).toContain('Issue opened: https://github.com/octo-org/octo-repo/issues/');
    expect(o.emulator.ephemerals({ user: ALICE }).at(-1)?.text).toContain('An issue was already opened for this failure');

    await o.emulator.slashCommand({ user: ALICE, channel: CI, text: `ci rerun ${REPO} ${spec.runId}` });
    await o.settle();
    expect(reruns()).toHaveLength(1);
    expect(notifications(o).at(-1)?.text).toContain(`<@${ALICE}> re-ran the failed jobs of <https://github.com/${REPO}/actions/runs/${spec.runId}|run #${spec.runId}>`);
  });

  it('still notifies when GitHub refuses a job log (403), saying what could not be fetched', async () => {
    const o = await start();
    const spec = failedRun(TEST_LOG);
    github.fail(forbidden(`/repos/${REPO}/actions/jobs/${spec.runId * 10}/logs`, 'actions=read'));

    await deliverAll(o, spec);

    const posted = notifications(o);
    expect(posted).toHaveLength(1);
    expect(shown(posted[0]!)).toContain('Could not fetch');
    expect(shown(posted[0]!)).toContain('The token needs actions: read on the repository.');
    expect(shown(posted[0]!)).toContain('ops.run:ci-rerun');
  });
});
