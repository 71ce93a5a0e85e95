import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedMessage } from '../../src/local/emulator/types.ts';
import { createFakeGitHubApi } from '../support/fake-github-api.ts';
import type { Json } from '../support/fake-kube-patch.ts';
import { ALICE, BOB, CAROL, GENERAL, INCIDENTS, type IncidentRig, useIncidentRig } from '../support/incident-rig.ts';
import { KUBE_POLICY, useKubeRig } from '../support/kube-rig.ts';
import { shown, until } from '../support/workflow-slack-helpers.ts';

/**
 * Playbooks through Slack: the repository's own playbooks/ run by a real opsbot against the Slack
 * emulator, the loopback Kubernetes API server (kind-staging is staging, prod-eu production) and
 * the loopback GitHub. An incident offers the playbooks matching it as buttons; a click starts a
 * run; medium and high risk wait for someone else's approval; nothing runs by itself unless the
 * playbook, opsbot.yaml and `/ops autorun` all allow it; runs and their approvals land on the
 * incident's timeline.
 */

const PLAYBOOKS = fileURLToPath(new URL('../../playbooks', import.meta.url));
const POLICY = `channels:\n  incidents: ${INCIDENTS}\n${KUBE_POLICY}`;
const CRASHING_POD = 'nginx-7fb78fb6d8-crash1';

const kube = useKubeRig();
const github = createFakeGitHubApi();
beforeAll(() => github.start());
afterAll(() => github.stop());
const { start } = useIncidentRig();

async function opsbot(options: { policy?: string } = {}): Promise<IncidentRig> {
  return start({ policy: options.policy ?? POLICY, playbooksDir: PLAYBOOKS, env: { KUBECONFIG: kube.kubeconfig, GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url } });
}

function buttonsOf(message: EmulatedMessage | undefined): Array<{ action_id: string; text: string; value: string }> {
  return (message?.blocks ?? []).flatMap((b) => {
    const block = b as { type?: string; elements?: Array<{ action_id?: string; text?: { text?: string }; value?: string }> };
    return block.type === 'actions' ? (block.elements ?? []).map((e) => ({ action_id: e.action_id ?? '', text: e.text?.text ?? '', value: e.value ?? '' })) : [];
  });
}

/** The run's parent message, in the channel it was asked from. */
function parentOf(o: IncidentRig, runId: string): EmulatedMessage | undefined {
  const run = o.app.store.workflowRuns.get(runId);
  return run?.channel && run.threadTs ? o.emulator.messages(run.channel).find((m) => m.ts === run.threadTs) : undefined;
}

function approvalRequestOf(o: IncidentRig, runId: string): EmulatedMessage | undefined {
  const run = o.app.store.workflowRuns.get(runId);
  const ts = o.app.store.workflowApprovals.forRun(runId)[0]?.messageTs;
  return run?.channel && run.threadTs && ts ? o.emulator.replies(run.channel, run.threadTs).find((m) => m.ts === ts) : undefined;
}

const patches = (cluster = 'kind-staging') => kube.api.requests().filter((r) => r.cluster === cluster && r.method === 'PATCH');
const replicasOf = (cluster = 'kind-staging') => ((kube.api.get(cluster, 'Deployment', 'default', 'nginx') as Json & { spec: { replicas: number } }).spec.replicas);

async function timeline(o: IncidentRig, user: string, id = 'INC-1'): Promise<string> {
  await o.ops(user, GENERAL, `incident timeline ${id}`);
  return o.privateTo(user).at(-1) ?? '';
}

describe('a playbook on an incident', () => {
  it('is offered as a button; a responder’s click, with the pod filled in, restarts its deployment on the API server, and the run is on the timeline', async () => {
    const o = await opsbot();
    await o.ops(ALICE, GENERAL, 'incident declare "checkout pods in CrashLoopBackOff" sev=P3 service=checkout');
    const channel = o.channelNamed('inc-1-checkout-pods-in-crashloopbackoff')!;
    const summary = o.emulator.messages(channel)[0];

    const offered = buttonsOf(summary).find((b) => b.text.includes('pod-crash-looping'));
    expect(offered).toEqual({ action_id: 'ops.run:incident-playbook-0', text: '▶️ Run pod-crash-looping (low risk)', value: 'playbook run pod-crash-looping incident="INC-1"' });
    expect(buttonsOf(summary).map((b) => b.text)).not.toContain('▶️ Run bad-deploy-rollback (high risk)');

    // The incident names no pod: the click opens the playbook's form, which keeps the incident.
    await o.emulator.clickButton({ user: ALICE, channel, messageTs: summary!.ts, actionId: offered!.action_id });
    await o.settle();
    const form = o.emulator.views().at(-1)!;
    expect(form.view.callback_id).toBe('playbook_run');
    expect(patches()).toEqual([]);
    await o.emulator.submitView({
      user: ALICE,
      viewId: form.id,
      values: { 'param:namespace': { value: { type: 'plain_text_input', value: 'default' } }, 'param:pod': { value: { type: 'plain_text_input', value: CRASHING_POD } } },
    });
    await o.settle();
    await until(o, 'the run succeeds', () => o.app.workflows.get('wf-1')?.status === 'succeeded', 1_000);

    const restart = patches().find((r) => r.path === '/apis/apps/v1/namespaces/default/deployments/nginx');
    expect(JSON.stringify(restart?.body)).toContain('kubectl.kubernetes.io/restartedAt');
    const run = o.app.workflows.get('wf-1')!;
    expect(run.steps.map((s) => `${s.path}:${s.status}`)).toEqual(['owner:succeeded', 'logs:succeeded', 'describe:succeeded', 'restart:succeeded', 'rollout:succeeded']);
    await until(o, 'the run message shows it', () => shown(parentOf(o, 'wf-1')).includes('✅ succeeded'));
    expect(o.app.store.workflowRuns.get('wf-1')?.channel).toBe(channel);

    const lines = await timeline(o, ALICE);
    expect(lines).toContain(`started playbook pod-crash-looping as wf-1 by request (low risk, restart-workload) namespace=default pod=${CRASHING_POD}`);
    expect(lines).toContain('playbook pod-crash-looping (wf-1) succeeded');
    expect(o.app.store.audit.list({ limit: 100 }).find((a) => a.action === 'playbook.run')).toMatchObject({ actor: ALICE, outcome: 'started' });
  });

  it('of medium risk waits for someone else’s approval before it changes anything; the approval and the run are on the timeline', async () => {
    const o = await opsbot();
    await o.ops(ALICE, GENERAL, 'incident declare "checkout OOMKilled" sev=P2 service=checkout');
    await o.ops(ALICE, GENERAL, 'playbook run memory-pressure-scale-out namespace=default deployment=nginx incident=INC-1');
    expect(o.privateTo(ALICE).at(-1)).toBe('Started `wf-1`. `memory-pressure-scale-out` is medium risk, so it waits for someone else\'s approval in its thread before it changes anything.');
    await until(o, 'the approval request is posted', () => approvalRequestOf(o, 'wf-1'));
    expect(shown(approvalRequestOf(o, 'wf-1'))).toContain('Run playbook memory-pressure-scale-out for INC-1? It is medium risk (scale-out). Targets: namespace=default, deployment=nginx, add=1, max_replicas=10.');
    expect(o.app.workflows.get('wf-1')?.steps[0]).toMatchObject({ path: 'approve-playbook', status: 'waiting' });
    expect(patches()).toEqual([]);

    const request = approvalRequestOf(o, 'wf-1')!;
    await o.emulator.clickButton({ user: ALICE, channel: GENERAL, messageTs: request.ts, actionId: 'ops.run:approve' });
    await o.emulator.clickButton({ user: BOB, channel: GENERAL, messageTs: request.ts, actionId: 'ops.run:approve' });
    await o.settle();
    expect(o.privateTo(ALICE)).toContain('You started wf-1, so you cannot approve it: someone else has to.');
    expect(o.privateTo(BOB).at(-1)).toContain('You are not one of the approvers of this step (role responder)');
    expect(patches()).toEqual([]);

    await o.emulator.clickButton({ user: CAROL, channel: GENERAL, messageTs: request.ts, actionId: 'ops.run:approve' });
    await o.settle();
    await until(o, 'the run succeeds', () => o.app.workflows.get('wf-1')?.status === 'succeeded', 1_000);
    expect(replicasOf()).toBe(4);

    const lines = await timeline(o, ALICE);
    expect(lines).toContain('started playbook memory-pressure-scale-out as wf-1 by request (medium risk, scale-out) namespace=default deployment=nginx add=1 max_replicas=10; it waits for an approval by a responder');
    expect(lines).toContain('wf-1 (playbook memory-pressure-scale-out) waits for 1 approval by a responder');
    expect(lines).toContain(`*approval* <@${CAROL}>: approved wf-1 (playbook memory-pressure-scale-out)`);
    expect(lines).toContain('playbook memory-pressure-scale-out (wf-1) succeeded');
    // Each once, however many engine events reported them.
    const events = o.app.incidents.timeline(o.app.incidents.get(1)!).map((e) => e.kind);
    expect(events).toEqual(['declared', 'playbook', 'approval', 'approval', 'playbook']);
  });

  it('of high risk asks a deployer in production, and a rejection fails the run without touching the deployment', async () => {
    const o = await opsbot();
    await o.ops(ALICE, GENERAL, 'playbook run bad-deploy-rollback namespace=default deployment=nginx context=prod-eu');
    await until(o, 'the approval request is posted', () => approvalRequestOf(o, 'wf-1'));
    expect(shown(approvalRequestOf(o, 'wf-1'))).toContain('anyone with the *deployer* role');
    await o.emulator.clickButton({ user: CAROL, channel: GENERAL, messageTs: approvalRequestOf(o, 'wf-1')!.ts, actionId: 'ops.run:reject' });
    await o.settle();
    // Reject asks for a reason in a form; submitting it decides.
    const form = o.emulator.views().at(-1)!;
    const input = (form.view.blocks as Array<{ block_id?: string; element?: { action_id?: string } }>).find((b) => b.element)!;
    await o.emulator.submitView({ user: CAROL, viewId: form.id, values: { [input.block_id!]: { [input.element!.action_id!]: { type: 'plain_text_input', value: 'the deploy is fine' } } } });
    await o.settle();
    await until(o, 'the run fails', () => o.app.workflows.get('wf-1')?.status === 'failed');
    expect(o.app.workflows.get('wf-1')?.steps[0]).toMatchObject({ path: 'approve-playbook', status: 'failed', error: `rejected by <@${CAROL}>: the deploy is fine` });
    expect(o.app.workflows.get('wf-1')?.steps.slice(1).every((s) => s.status === 'pending')).toBe(true);
    expect(patches('prod-eu')).toEqual([]);
  });
});

describe('a playbook asked for in a thread-mode incident’s thread', () => {
  it('is linked to that incident without naming it; its message goes to the channel and the thread says which run started', async () => {
    const o = await opsbot({ policy: `${POLICY}incidents:\n  mode: thread\n` });
    await o.ops(ALICE, GENERAL, 'incident declare "Queue backlog" sev=P3');
    const incident = o.app.incidents.get(1)!;
    await o.emulator.mention({ user: ALICE, channel: INCIDENTS, threadTs: incident.threadTs!, text: `playbook run pod-crash-looping namespace=default pod=${CRASHING_POD}` });
    await o.settle();
    await until(o, 'the run succeeds', () => o.app.workflows.get('wf-1')?.status === 'succeeded', 1_000);

    expect(o.app.store.workflowRuns.get('wf-1')?.definition.playbookRun).toEqual({ trigger: 'click', incidentId: 'INC-1' });
    expect(parentOf(o, 'wf-1')?.ts).not.toBe(incident.threadTs);
    const thread = o.emulator.replies(INCIDENTS, incident.threadTs!).map(shown).join('\n');
    expect(thread).toContain(`▶️ <@${ALICE}> started playbook *pod-crash-looping* as \`wf-1\`. Its progress is in <#${INCIDENTS}>.`);
    expect(await timeline(o, ALICE)).toContain('playbook pod-crash-looping (wf-1) succeeded');
  });
});

describe('automatic playbook runs', () => {
  const crashLoop = { name: 'pod-crash-looping', params: { namespace: 'default', pod: CRASHING_POD }, requestedBy: 'opsbot', trigger: 'auto' as const, channel: GENERAL };

  it('never start a high-risk playbook, whatever the severity', async () => {
    const o = await opsbot();
    await expect(o.app.playbooks.start({ name: 'bad-deploy-rollback', params: { namespace: 'default', deployment: 'nginx' }, requestedBy: 'opsbot', trigger: 'auto', severity: 'P4', channel: GENERAL })).rejects.toMatchObject({
      code: 'playbook_autorun_refused',
      message: '`bad-deploy-rollback` does not run by itself: high-risk playbooks never run automatically.',
    });
    expect(o.app.workflows.list({ limit: 10 })).toEqual([]);
    expect(o.app.store.audit.list({ limit: 20 }).find((a) => a.action === 'playbook.run')).toMatchObject({ actor: 'opsbot', outcome: 'refused', detail: 'high-risk playbooks never run automatically' });
  });

  it('stop with `/ops autorun off`, never run for P1/P2, and start again with `/ops autorun on` — a low-risk one then runs without approval', async () => {
    const o = await opsbot();
    await o.ops(ALICE, GENERAL, 'autorun off');
    await expect(o.app.playbooks.start({ ...crashLoop, severity: 'P3' })).rejects.toMatchObject({ code: 'playbook_autorun_refused', message: expect.stringContaining('switched off') });
    await o.ops(ALICE, GENERAL, 'autorun on');
    await expect(o.app.playbooks.start({ ...crashLoop, severity: 'P2' })).rejects.toMatchObject({ message: expect.stringContaining('runs automatically only for P3, P4, not P2') });
    await expect(o.app.playbooks.start({ ...crashLoop, name: 'memory-pressure-scale-out', params: { namespace: 'default', deployment: 'nginx' }, severity: 'P4' })).rejects.toMatchObject({ message: expect.stringContaining('medium risk') });
    expect(o.app.workflows.list({ limit: 10 })).toEqual([]);
    expect(patches()).toEqual([]);

    await expect(o.app.playbooks.start({ ...crashLoop, severity: 'P3' })).resolves.toEqual({ runId: 'wf-1', needsApproval: false });
    await until(o, 'the run succeeds', () => o.app.workflows.get('wf-1')?.status === 'succeeded', 1_000);
    expect(patches().some((r) => r.path === '/apis/apps/v1/namespaces/default/deployments/nginx')).toBe(true);
    expect(o.app.store.workflowRuns.get('wf-1')).toMatchObject({ requestedBy: 'opsbot', trigger: 'playbook:auto' });
  });

  it('never start when opsbot.yaml disables them, even with the switch on', async () => {
    const o = await opsbot({ policy: `${POLICY}autorun:\n  enabled: false\n` });
    await expect(o.app.playbooks.start({ ...crashLoop, severity: 'P4' })).rejects.toMatchObject({ message: expect.stringContaining('automatic runs are disabled in opsbot.yaml') });
    await o.ops(ALICE, GENERAL, 'playbook list');
    expect(o.privateTo(ALICE).at(-1)).toContain('Automatic runs are disabled in opsbot.yaml: every playbook waits for a click.');
    expect(o.app.workflows.list({ limit: 10 })).toEqual([]);
  });
});

describe('playbook commands', () => {
  it('list what exists with its risk, remediation and whether it runs by itself', async () => {
    const o = await opsbot();
    await o.ops(BOB, GENERAL, 'playbook list');
    const list = o.privateTo(BOB).at(-1) ?? '';
    expect(list).toContain("*pod-crash-looping* — Keep a crash-looping pod's previous logs, state and events, then rollout-restart its deployment");
    expect(list).toContain('🟢 low risk · restart-workload · runs by itself for P3/P4 · needs responder · targets from `namespace`, `pod`, `container`');
    expect(list).toContain('🔴 high risk · rollback-deploy · a click, then an approval');
    expect(list).toContain('Automatic runs are on');
  });

  it('refuse a viewer, an unknown playbook, an unknown incident and a bad target, starting nothing', async () => {
    const o = await opsbot();
    await o.ops(BOB, GENERAL, 'playbook run pod-crash-looping namespace=default pod=x');
    expect(o.privateTo(BOB).at(-1)).toContain('responder');
    await o.ops(ALICE, GENERAL, 'playbook run no-such-thing');
    expect(o.privateTo(ALICE).at(-1)).toContain('There is no playbook named `no-such-thing`.');
    await o.ops(ALICE, GENERAL, 'playbook run pod-crash-looping namespace=default pod=x incident=INC-9');
    expect(o.privateTo(ALICE).at(-1)).toContain('There is no incident INC-9.');
    await o.ops(ALICE, GENERAL, 'playbook run pod-crash-looping namespace=Default pod=x');
    expect(o.privateTo(ALICE).at(-1)).toContain('`pod-crash-looping` was not started: namespace: must match');
    expect(o.app.workflows.list({ limit: 10 })).toEqual([]);
  });

  it('re-run the failed jobs of a failed CI run on GitHub', async () => {
    const o = await opsbot();
    github.addWorkflowRun({ repo: 'octo-org/octo-repo', run: { id: 30433642, run_attempt: 1, status: 'completed', conclusion: 'failure' }, jobs: { 1: [{ id: 399444496, conclusion: 'failure' }] } });
    await o.ops(ALICE, GENERAL, 'playbook run ci-failed-rerun repository=octo-org/octo-repo run_id=30433642');
    await until(o, 'the run succeeds', () => o.app.workflows.get('wf-1')?.status === 'succeeded', 500);
    expect(github.requests({ method: 'POST', path: '/repos/octo-org/octo-repo/actions/runs/30433642/rerun-failed-jobs' })).toHaveLength(1);
    expect(github.workflowRunOf('octo-org/octo-repo', 30433642)).toMatchObject({ run_attempt: 2 });
  });
});
