import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatedMessage } from '../../src/local/emulator/types.ts';
import type { Json } from '../support/fake-kube-patch.ts';
import { useKubeRig } from '../support/kube-rig.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';
import { shown, until } from '../support/workflow-slack-helpers.ts';

/**
 * The workflows opsbot ships (the repository's own workflows/), run end to end through the
 * Slack emulator: `/ops workflow run …`, approval buttons clicked by people holding the right
 * role, the test clock moved through waits and backoffs. Their shell steps do real work (node
 * scripts writing files) in a temp work folder; their health checks call a
 * loopback server; the deploy pipeline changes deployments on the fake Kubernetes API server,
 * reached through a generated kubeconfig (kind-staging is staging, prod-eu production).
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKFLOWS = path.join(REPO, 'workflows');

const ALICE = 'U0ALICE'; // deployer: starts runs
const BOB = 'U0BOB'; // responder
const CAROL = 'U0CAROL'; // deployer
const DAVE = 'U0DAVE'; // deployer
const GENERAL = 'C0GENERAL';
const MINUTE = 60_000;
const kube = useKubeRig();
const POLICY = ['kubernetes:', '  contexts:', '    prod-eu: { environment: production, namespaces: [default, icx] }', '    kind-staging: { environment: staging, namespaces: [default, icx] }', ''].join('\n');

let root: string;
let workDir: string;
let health: HealthServer;
const running: RunningOpsbot[] = [];

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-shipped-'));
  workDir = path.join(root, 'work');
  fs.mkdirSync(workDir);
  health = await startHealthServer();
});

afterEach(async () => {
  for (const o of running.splice(0)) {
    await slackCallsSent(o);
    await o.stop();
  }
  await health.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Lets the Slack calls still paced by the test clock go out, so stopping does not wait on a clock nobody moves. */
async function slackCallsSent(o: RunningOpsbot): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const depth = (await o.app.metrics.outboxDepth.get()).values[0]?.value ?? 0;
    if (depth === 0) return;
    await o.clock.advance(1_000);
    await o.emulator.settle(10).catch(() => undefined);
  }
}

// ---- the loopback service the health checks call ----------------------------------------------

interface HealthServer {
  url: string;
  /** Paths requested, in order. */
  hits: string[];
  /** What it answers from now on. */
  status: number;
  close(): Promise<void>;
}

async function startHealthServer(): Promise<HealthServer> {
  const state = { hits: [] as string[], status: 200 };
  const server: Server = createServer((req, res) => {
    state.hits.push(req.url ?? '');
    res.writeHead(state.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: state.status < 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/health`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

// ---- driving opsbot ---------------------------------------------------------------------------

async function start(): Promise<RunningOpsbot> {
  const o = await startOpsbot({ dir: path.join(root, 'opsbot'), workflowsDir: WORKFLOWS, workDir, baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, env: { KUBECONFIG: kube.kubeconfig }, policy: POLICY });
  running.push(o);
  o.emulator.addUser({ id: DAVE, name: 'dave' });
  const now = o.clock.now();
  o.app.store.roles.grant(ALICE, 'deployer', 'test', now);
  o.app.store.roles.grant(BOB, 'responder', 'test', now);
  o.app.store.roles.grant(CAROL, 'deployer', 'test', now);
  o.app.store.roles.grant(DAVE, 'deployer', 'test', now);
  return o;
}

/** Types `/ops <text>` as `user` and waits until opsbot has handled it. */
async function ops(o: RunningOpsbot, text: string, user = ALICE): Promise<void> {
  await o.emulator.slashCommand({ user, channel: GENERAL, text });
  await o.settle();
}

const statusOf = (o: RunningOpsbot, runId: string) => o.app.workflows.get(runId)?.status;
const stepOf = (o: RunningOpsbot, runId: string, id: string) => o.app.workflows.get(runId)?.steps.find((s) => s.id === id);

function parentOf(o: RunningOpsbot, runId: string): EmulatedMessage | undefined {
  const ts = o.app.store.workflowRuns.get(runId)?.threadTs;
  return o.emulator.messages(GENERAL).find((m) => m.ts === ts);
}

function threadOf(o: RunningOpsbot, runId: string): EmulatedMessage[] {
  const parent = parentOf(o, runId);
  return parent ? o.emulator.replies(GENERAL, parent.ts) : [];
}

/** The approval request of step `id`, once it is posted in the run's thread. */
function approvalMessageOf(o: RunningOpsbot, runId: string, id: string): EmulatedMessage | undefined {
  const ts = o.app.store.workflowApprovals.latest(runId, id)?.messageTs;
  return ts ? threadOf(o, runId).find((m) => m.ts === ts) : undefined;
}

async function waitForApproval(o: RunningOpsbot, runId: string, id: string): Promise<EmulatedMessage> {
  await until(o, `${runId} asks for ${id}`, () => approvalMessageOf(o, runId, id));
  return approvalMessageOf(o, runId, id) as EmulatedMessage;
}

async function click(o: RunningOpsbot, user: string, message: EmulatedMessage, decision: 'approve' | 'reject'): Promise<void> {
  await o.emulator.clickButton({ user, channel: GENERAL, messageTs: message.ts, actionId: `ops.run:${decision}` });
  await o.settle();
}

function ephemeralTexts(o: RunningOpsbot, user: string): string[] {
  return o.emulator.ephemerals({ user }).map((e) => e.text);
}

const inWork = (...parts: string[]) => path.join(workDir, ...parts);

/** The order undo ran in for a run, from the audit log. */
function undoOrderOf(o: RunningOpsbot, runId: string): string[] {
  return o.app.store.audit
    .list({ limit: 500 })
    .filter((e) => e.action === 'workflow.undo')
    .map((e) => ({ ...e, parsed: JSON.parse(e.args ?? '{}') as { run?: string; step?: string } }))
    .filter((e) => e.parsed.run === runId)
    .sort((a, b) => a.id - b.id)
    .map((e) => `${e.parsed.step}:${e.outcome}`);
}

// ---- deploy -----------------------------------------------------------------------------------

const imageOf = (cluster: string) => ((kube.api.get(cluster, 'Deployment', 'default', 'nginx') as Json & { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers[0]?.image);
const patchesOn = (cluster: string) => kube.api.requests().filter((r) => r.cluster === cluster && r.method === 'PATCH');

/** One deploy run from `/ops workflow run` to its production approval being asked for. */
async function deployToProductionGate(o: RunningOpsbot, runId: string, version: string): Promise<void> {
  await ops(o, `workflow run deploy service=nginx version=${version} health_url=${health.url}`);
  const staging = await waitForApproval(o, runId, 'approve-staging');
  await click(o, BOB, staging, 'approve');
  await until(o, `${runId} soaks in staging`, () => stepOf(o, runId, 'soak')?.status === 'waiting');
  await o.clock.advance(5 * MINUTE);
  await waitForApproval(o, runId, 'approve-production');
}

async function approveProduction(o: RunningOpsbot, runId: string): Promise<void> {
  const production = approvalMessageOf(o, runId, 'approve-production') as EmulatedMessage;
  await click(o, CAROL, production, 'approve');
  await click(o, DAVE, production, 'approve');
}

describe('the shipped deploy pipeline', () => {
  it('sets the new tag on the image in staging, watches the rollout, soaks, health-checks, and goes to production after two deployers approve', async () => {
    const o = await start();

    await ops(o, `workflow run deploy service=nginx version=v0.9.0 health_url=${health.url}`);
    const stagingGate = await waitForApproval(o, 'wf-1', 'approve-staging');
    expect(shown(stagingGate)).toContain('Roll nginx v0.9.0 out to staging?');
    expect(kube.api.requests()).toEqual([]);

    // The requester cannot approve their own run; a responder can.
    await click(o, ALICE, stagingGate, 'approve');
    expect(ephemeralTexts(o, ALICE)).toContainEqual('You started wf-1, so you cannot approve it: someone else has to.');
    await click(o, BOB, stagingGate, 'approve');
    await until(o, 'the staging rollout is watched', () => stepOf(o, 'wf-1', 'staging-rollout')?.status === 'succeeded');

    expect(patchesOn('kind-staging')).toEqual([
      expect.objectContaining({ path: '/apis/apps/v1/namespaces/default/deployments/nginx', contentType: 'application/strategic-merge-patch+json', body: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'k8s.gcr.io/nginx-slim:v0.9.0' }] } } } } }),
    ]);
    expect(imageOf('kind-staging')).toBe('k8s.gcr.io/nginx-slim:v0.9.0');
    expect(stepOf(o, 'wf-1', 'staging')?.outputs).toEqual({ previous_revision: '3' });
    expect(patchesOn('prod-eu')).toEqual([]);

    await until(o, 'it soaks', () => stepOf(o, 'wf-1', 'soak')?.status === 'waiting');
    await o.clock.advance(5 * MINUTE);
    const productionGate = await waitForApproval(o, 'wf-1', 'approve-production');
    expect(health.hits).toEqual(['/health']);

    await click(o, CAROL, productionGate, 'approve');
    await until(o, 'the request shows one of two approvals', () => shown(approvalMessageOf(o, 'wf-1', 'approve-production')).includes('(1 of 2)'));
    expect(patchesOn('prod-eu')).toEqual([]);
    await click(o, DAVE, productionGate, 'approve');
    await until(o, 'the run succeeds', () => statusOf(o, 'wf-1') === 'succeeded');

    expect(imageOf('prod-eu')).toBe('k8s.gcr.io/nginx-slim:v0.9.0');
    expect(health.hits).toEqual(['/health', '/health']);
    expect(o.app.store.audit.list({ limit: 200 }).filter((e) => e.action === 'k8s.set-image').map((e) => JSON.parse(e.args ?? '{}').target.context)).toEqual(['prod-eu', 'kind-staging']);
    await until(o, 'the parent message shows it', () => shown(parentOf(o, 'wf-1')).includes('*deploy* · `wf-1` — ✅ succeeded'));
    expect(shown(parentOf(o, 'wf-1'))).toMatch(/✅ Set the image in staging[^\n]*\n✅ Wait for the staging rollout[^\n]*\n✅ Soak in staging\n✅ Staging health check[^\n]*\n✅ Approve production rollout \(four eyes\)\n✅ Set the image in production[^\n]*\n✅ Wait for the production rollout[^\n]*\n✅ Production health check/);
  });

  it('rolls production and then staging back to their previous revisions when the production rollout misses its deadline', async () => {
    const o = await start();
    kube.api.rollouts('prod-eu', 'default', 'nginx', 'fail');

    await deployToProductionGate(o, 'wf-1', 'v0.9.0');
    expect(imageOf('kind-staging')).toBe('k8s.gcr.io/nginx-slim:v0.9.0');
    await approveProduction(o, 'wf-1');
    await until(o, 'the run is rolled back', () => statusOf(o, 'wf-1') === 'rolled_back', 1_000);

    expect(stepOf(o, 'wf-1', 'production-rollout')).toMatchObject({ status: 'failed', error: expect.stringContaining('deployment "nginx" exceeded its progress deadline') });
    expect(undoOrderOf(o, 'wf-1')).toEqual(['production:ok', 'staging:ok']);
    // kubectl rollout undo: the template of revision 3 written back with a JSON Patch, in each cluster.
    for (const cluster of ['prod-eu', 'kind-staging']) {
      const undo = patchesOn(cluster).at(-1);
      expect(undo).toMatchObject({ contentType: 'application/json-patch+json' });
      expect((undo?.body as Array<{ path: string }>).map((op) => op.path)).toEqual(['/spec/template', '/metadata/annotations']);
      expect(imageOf(cluster)).toBe('k8s.gcr.io/nginx-slim:0.8');
    }
    await until(o, 'the parent shows the rollback', () => shown(parentOf(o, 'wf-1')).includes('— ↩️ rolled back'));
    const parent = shown(parentOf(o, 'wf-1'));
    expect(parent).toMatch(/↩️ Set the image in staging[^\n]*undone/);
    expect(parent).toMatch(/↩️ Set the image in production[^\n]*undone/);
    expect(parent).toMatch(/❌ Wait for the production rollout[^\n]*exceeded its progress deadline/);
  });

  it('under DRY_RUN sends every change with dryRun=All and leaves the clusters as they were', async () => {
    const o = await startOpsbot({ dir: path.join(root, 'opsbot'), workflowsDir: WORKFLOWS, workDir, env: { KUBECONFIG: kube.kubeconfig, DRY_RUN: '1' }, policy: POLICY });
    running.push(o);
    o.app.store.roles.grant(ALICE, 'deployer', 'test', o.clock.now());
    o.app.store.roles.grant(BOB, 'responder', 'test', o.clock.now());
    await ops(o, 'workflow run deploy service=nginx version=v0.9.0');
    await click(o, BOB, await waitForApproval(o, 'wf-1', 'approve-staging'), 'approve');
    await until(o, 'staging is done', () => stepOf(o, 'wf-1', 'staging-rollout')?.status === 'succeeded');

    expect(patchesOn('kind-staging').map((r) => r.query)).toEqual([{ dryRun: 'All' }]);
    expect(imageOf('kind-staging')).toBe('k8s.gcr.io/nginx-slim:0.8');
  });
});

// ---- config change ----------------------------------------------------------------------------

describe('the shipped config change', () => {
  it('applies a value only after two deployers approve, writes JSON values as JSON, and rolls back to the backup', async () => {
    const o = await start();
    const file = inWork('settings.json');
    fs.writeFileSync(file, `${JSON.stringify({ replicas: 2, mode: 'blue' }, null, 2)}\n`);
    const read = () => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

    const change = async (runId: string, key: string, value: string) => {
      await ops(o, `workflow run config-change file=settings.json key=${key} value=${value}`);
      const gate = await waitForApproval(o, runId, 'four-eyes');
      expect(shown(gate)).toContain(`Set \`${key}\` in \`settings.json\` to \`${value}\`?`);
      await click(o, CAROL, gate, 'approve');
      await until(o, `${runId} has one of two approvals`, () => shown(approvalMessageOf(o, runId, 'four-eyes')).includes('(1 of 2)'));
      expect(statusOf(o, runId)).toBe('waiting');
      await click(o, DAVE, gate, 'approve');
      await until(o, `${runId} succeeds`, () => statusOf(o, runId) === 'succeeded');
      expect(stepOf(o, runId, 'verify')?.status).toBe('succeeded');
    };

    await change('wf-1', 'replicas', '3');
    expect(read()).toEqual({ replicas: 3, mode: 'blue' });
    expect(JSON.parse(fs.readFileSync(inWork('settings.json.wf-1.bak'), 'utf8'))).toEqual({ replicas: 2, mode: 'blue' });
    expect(JSON.parse(String(stepOf(o, 'wf-1', 'apply')?.outputs?.change))).toEqual({ key: 'replicas', before: 2, after: 3 });

    await change('wf-2', 'enabled', 'true');
    await change('wf-3', 'mode', 'green');
    const beforeLast = fs.readFileSync(file, 'utf8');
    await change('wf-4', 'limits', '{"a":1}');
    expect(read()).toEqual({ replicas: 3, mode: 'green', enabled: true, limits: { a: 1 } });

    await ops(o, 'workflow rollback wf-4');
    await until(o, 'the run is rolled back', () => statusOf(o, 'wf-4') === 'rolled_back');
    expect(fs.readFileSync(file, 'utf8')).toBe(beforeLast);
    expect(undoOrderOf(o, 'wf-4')).toEqual(['apply:ok']);
    await until(o, 'the parent shows it', () => shown(parentOf(o, 'wf-4')).includes('— ↩️ rolled back'));
  });
});

// ---- maintenance window -----------------------------------------------------------------------

describe('the shipped maintenance window', () => {
  it('announces the window, flags the service, clears the flag once the work is confirmed, checks the service and announces the end', async () => {
    const o = await start();
    const flag = inWork('data', 'maintenance', 'api.flag');

    await ops(o, `workflow run maintenance-window service=api reason="database upgrade" status_url=${health.url}`, BOB);
    const ready = await waitForApproval(o, 'wf-1', 'ready');

    const channel = () => o.emulator.messages(GENERAL).map((m) => m.text);
    expect(channel()).toContainEqual(':construction: Maintenance of *api* starts now: database upgrade');
    expect(JSON.parse(fs.readFileSync(flag, 'utf8'))).toMatchObject({ service: 'api', reason: 'database upgrade', run: 'wf-1' });
    expect(health.hits).toEqual([]);

    await click(o, CAROL, ready, 'approve');
    await until(o, 'the run succeeds', () => statusOf(o, 'wf-1') === 'succeeded');

    expect(fs.existsSync(flag)).toBe(false);
    expect(health.hits).toEqual(['/health']);
    await until(o, 'the end is announced in the channel', () => channel().includes(':white_check_mark: Maintenance of *api* is over.'));
    const texts = channel();
    expect(texts.indexOf(':construction: Maintenance of *api* starts now: database upgrade')).toBeLessThan(texts.indexOf(':white_check_mark: Maintenance of *api* is over.'));
  });

  it('removes the flag when the work is rejected, and never announces the end', async () => {
    const o = await start();
    const flag = inWork('data', 'maintenance', 'api.flag');

    await ops(o, 'workflow run maintenance-window service=api reason="kernel patch"', BOB);
    const ready = await waitForApproval(o, 'wf-1', 'ready');
    expect(fs.existsSync(flag)).toBe(true);

    await click(o, CAROL, ready, 'reject');
    // Reject asks for an optional reason first; its submission is the typed command.
    await until(o, 'the reason modal opens', () => o.emulator.views().some((v) => v.view.callback_id === 'workflow_decision'));
    const modal = o.emulator.views().find((v) => v.view.callback_id === 'workflow_decision');
    await o.emulator.submitView({ user: CAROL, viewId: modal!.id, values: { reason: { value: { type: 'plain_text_input', value: 'patch not signed off' } } } });
    await o.settle();
    await until(o, 'the run is rolled back', () => statusOf(o, 'wf-1') === 'rolled_back');

    expect(o.app.workflows.get('wf-1')?.approvals[0]?.decisions).toEqual([expect.objectContaining({ userId: CAROL, decision: 'reject', reason: 'patch not signed off' })]);
    // The approval message, edited in place, shows who rejected and why.
    const edited = o.emulator.replies(GENERAL, ready.threadTs ?? '').find((m) => m.ts === ready.ts);
    expect(JSON.stringify(edited?.blocks)).toContain('rejected');
    expect(JSON.stringify(edited?.blocks)).toContain('patch not signed off');

    expect(fs.existsSync(flag)).toBe(false);
    expect(undoOrderOf(o, 'wf-1')).toEqual(['flag:ok']);
    expect(stepOf(o, 'wf-1', 'announce-end')?.status).toBe('pending');
    expect(o.emulator.messages(GENERAL).map((m) => m.text)).not.toContain(':white_check_mark: Maintenance of *api* is over.');
  });
});

// ---- incident checklist -----------------------------------------------------------------------

describe('the shipped incident checklist', () => {
  it('posts the checklist, waits for each confirmation, skips stakeholders for a P3, and reminds about a status update after 30 minutes', async () => {
    const o = await start();

    await ops(o, 'workflow run incident-checklist incident=INC-42 severity=P3', BOB);
    await waitForApproval(o, 'wf-1', 'commander');
    expect(threadOf(o, 'wf-1')[0]?.text).toContain(':rotating_light: *INC-42* (P3) response checklist:');

    for (const id of ['commander', 'impact', 'mitigation']) {
      const gate = await waitForApproval(o, 'wf-1', id);
      // The requester confirms nothing alone: someone else on call does.
      await click(o, CAROL, gate, 'approve');
    }
    await until(o, 'the status-update wait begins', () => stepOf(o, 'wf-1', 'first-update')?.status === 'waiting');

    expect(stepOf(o, 'wf-1', 'stakeholders')?.status).toBe('skipped');
    expect(o.app.store.workflowApprovals.forRun('wf-1').map((a) => a.path)).toEqual(['commander', 'impact', 'mitigation']);
    const reminder = ':memo: INC-42: 30 minutes in — post a status update (`/ops incident update …`).';
    expect(threadOf(o, 'wf-1').map((m) => m.text)).not.toContain(reminder);

    await o.clock.advance(30 * MINUTE);
    await until(o, 'the run succeeds', () => statusOf(o, 'wf-1') === 'succeeded');
    await until(o, 'the reminder is in the thread', () => threadOf(o, 'wf-1').some((m) => m.text === reminder));
    await until(o, 'the parent shows the skipped step', () => shown(parentOf(o, 'wf-1')).includes('⏭️ Stakeholders informed'));
  });
});

// ---- opsbot validate --------------------------------------------------------------------------

describe('opsbot validate on the repository', () => {
  it('passes every shipped workflow', async () => {
    const child = spawn(process.execPath, [path.join(REPO, 'src', 'main.ts'), 'validate'], {
      cwd: REPO,
      // Only what the CLI needs: never the parent's Slack variables.
      env: { PATH: process.env.PATH ?? '', HOME: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^4 workflows, \d+ playbooks?: ok$/m);
  });
});
