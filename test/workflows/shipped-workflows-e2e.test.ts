import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatedMessage } from '../../src/local/emulator/types.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';
import { shown, until } from '../support/workflow-slack-helpers.ts';

/**
 * The workflows opsbot ships (the repository's own workflows/), run end to end through the
 * Slack emulator: `/ops workflow run …`, approval buttons clicked by people holding the right
 * role, the test clock moved through waits and backoffs. Their shell steps do real work (tar,
 * sha256sum, node scripts writing files) in a temp work folder; their health checks call a
 * loopback server.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKFLOWS = path.join(REPO, 'workflows');

const ALICE = 'U0ALICE'; // deployer: starts runs
const BOB = 'U0BOB'; // responder
const CAROL = 'U0CAROL'; // deployer
const DAVE = 'U0DAVE'; // deployer
const GENERAL = 'C0GENERAL';
const MINUTE = 60_000;

let root: string;
let workDir: string;
let source: string;
let health: HealthServer;
const running: RunningOpsbot[] = [];

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-shipped-'));
  workDir = path.join(root, 'work');
  source = path.join(root, 'source');
  fs.mkdirSync(workDir);
  fs.mkdirSync(path.join(source, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(source, 'package.json'), '{ "name": "api", "version": "1.2.3" }\n');
  fs.writeFileSync(path.join(source, 'index.js'), "console.log('api');\n");
  fs.writeFileSync(path.join(source, 'lib', 'util.js'), 'module.exports = {};\n');
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
  const o = await startOpsbot({ dir: path.join(root, 'opsbot'), workflowsDir: WORKFLOWS, workDir, baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
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
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

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

/** One deploy run from `/ops workflow run` to its production approval being given; returns at that point. */
async function deployToProductionGate(o: RunningOpsbot, runId: string, version: string): Promise<void> {
  await ops(o, `workflow run deploy service=api version=${version} source=${source} health_url=${health.url}`);
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
  it('builds and checks a real archive, promotes it to staging, soaks, health-checks, and goes to production after two deployers approve', async () => {
    const o = await start();

    await ops(o, `workflow run deploy service=api version=v1.2.3 source=${source} health_url=${health.url}`);
    const stagingGate = await waitForApproval(o, 'wf-1', 'approve-staging');

    // Build, test and checksum ran for real, in the work folder.
    const archive = inWork('data', 'releases', 'api-v1.2.3.tgz');
    expect(fs.existsSync(archive)).toBe(true);
    const listed = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listed).toEqual(['./', './index.js', './lib/', './lib/util.js', './package.json']);
    expect(stepOf(o, 'wf-1', 'build')?.outputs).toEqual({ archive: 'data/releases/api-v1.2.3.tgz' });
    expect(stepOf(o, 'wf-1', 'test')?.outputs).toEqual({ files: 5 });
    expect(stepOf(o, 'wf-1', 'checksum')?.outputs).toEqual({ sha256: sha256(archive) });
    expect(shown(stagingGate)).toContain(`Roll api v1.2.3 out to staging? (5 files, sha256 ${sha256(archive)})`);
    expect(fs.existsSync(inWork('data', 'deploy', 'staging', 'api', 'current.tgz'))).toBe(false);

    await click(o, BOB, stagingGate, 'approve');
    await until(o, 'staging is promoted and soaking', () => stepOf(o, 'wf-1', 'soak')?.status === 'waiting');
    expect(fs.readFileSync(inWork('data', 'deploy', 'staging', 'api', 'current.tgz'))).toEqual(fs.readFileSync(archive));
    expect(health.hits).toEqual([]);

    // The soak is a durable 5-minute wait on the clock; the staging health check follows it.
    await o.clock.advance(5 * MINUTE);
    const productionGate = await waitForApproval(o, 'wf-1', 'approve-production');
    expect(stepOf(o, 'wf-1', 'verify-staging')?.status).toBe('succeeded');
    expect(health.hits).toEqual(['/health']);

    // Four eyes: the requester may not be one of them, and one approval is not enough.
    await click(o, ALICE, productionGate, 'approve');
    expect(ephemeralTexts(o, ALICE)).toContainEqual('You started wf-1, so you cannot approve it: someone else has to.');
    await click(o, CAROL, productionGate, 'approve');
    await until(o, 'the request shows one of two approvals', () => shown(approvalMessageOf(o, 'wf-1', 'approve-production')).includes('(1 of 2)'));
    expect(statusOf(o, 'wf-1')).toBe('waiting');
    expect(fs.existsSync(inWork('data', 'deploy', 'production', 'api', 'current.tgz'))).toBe(false);

    await click(o, DAVE, productionGate, 'approve');
    await until(o, 'the run succeeds', () => statusOf(o, 'wf-1') === 'succeeded');

    expect(fs.readFileSync(inWork('data', 'deploy', 'production', 'api', 'current.tgz'))).toEqual(fs.readFileSync(archive));
    expect(health.hits).toEqual(['/health', '/health']);
    expect(o.app.store.workflowApprovals.decisionsForRun('wf-1').map((d) => `${d.userId}:${d.decision}`)).toEqual([`${BOB}:approve`, `${CAROL}:approve`, `${DAVE}:approve`]);
    await until(o, 'the parent message shows it', () => shown(parentOf(o, 'wf-1')).includes('*deploy* · `wf-1` — ✅ succeeded'));
    expect(shown(parentOf(o, 'wf-1'))).toMatch(/✅ Build release archive[^\n]*\n✅ Check the archive[^\n]*\n[\s\S]*✅ Soak in staging\n✅ Staging health check[^\n]*\n✅ Approve production rollout \(four eyes\)\n✅ Roll out to production[^\n]*\n✅ Production health check/);
  });

  it('rolls production and then staging back to the previous release when production fails its health check after every retry', async () => {
    const o = await start();

    // A first release goes all the way out.
    await deployToProductionGate(o, 'wf-1', 'v1.0.0');
    await approveProduction(o, 'wf-1');
    await until(o, 'the first release is out', () => statusOf(o, 'wf-1') === 'succeeded');
    const first = fs.readFileSync(inWork('data', 'releases', 'api-v1.0.0.tgz'));
    const second = () => fs.readFileSync(inWork('data', 'releases', 'api-v1.1.0.tgz'));

    // The second one passes staging, then breaks production.
    await deployToProductionGate(o, 'wf-2', 'v1.1.0');
    expect(fs.readFileSync(inWork('data', 'deploy', 'staging', 'api', 'current.tgz'))).toEqual(second());
    const hitsBefore = health.hits.length;
    health.status = 500;
    await approveProduction(o, 'wf-2');
    await until(o, 'production is promoted', () => stepOf(o, 'wf-2', 'production')?.status === 'succeeded');
    expect(fs.readFileSync(inWork('data', 'deploy', 'production', 'api', 'current.tgz'))).toEqual(second());

    // 1 + 3 retries, 10 s / 20 s / 40 s apart on the clock; then undo, most recent first.
    await until(o, 'the run is rolled back', () => statusOf(o, 'wf-2') === 'rolled_back', 5_000);

    expect(health.hits.length - hitsBefore).toBe(4);
    expect(stepOf(o, 'wf-2', 'verify-production')).toMatchObject({ status: 'failed', attempt: 4, error: expect.stringContaining('answered 500 (expected 2xx)') });
    expect(undoOrderOf(o, 'wf-2')).toEqual(['production:ok', 'staging:ok']);
    expect(fs.readFileSync(inWork('data', 'deploy', 'production', 'api', 'current.tgz'))).toEqual(first);
    expect(fs.readFileSync(inWork('data', 'deploy', 'staging', 'api', 'current.tgz'))).toEqual(first);
    expect(fs.existsSync(inWork('data', 'deploy', 'production', 'api', 'previous.tgz'))).toBe(false);

    // The thread tells the undo in the same order; the parent message shows the outcome.
    await until(o, 'both restores are told in the thread', () => threadOf(o, 'wf-2').filter((m) => m.text.includes('restored data/deploy/')).length === 2);
    expect(threadOf(o, 'wf-2').filter((m) => m.text.includes('restored data/deploy/')).map((m) => m.text)).toEqual([
      'Roll out to production: restored data/deploy/production/api',
      'Roll out to staging: restored data/deploy/staging/api',
    ]);
    await until(o, 'the parent shows the rollback', () => shown(parentOf(o, 'wf-2')).includes('— ↩️ rolled back'));
    const parent = shown(parentOf(o, 'wf-2'));
    expect(parent).toMatch(/↩️ Roll out to staging[^\n]*undone/);
    expect(parent).toMatch(/↩️ Roll out to production[^\n]*undone/);
    expect(parent).toMatch(/❌ Production health check · attempt 4\/4[^\n]*answered 500/);
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
