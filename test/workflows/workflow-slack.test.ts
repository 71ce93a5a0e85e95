import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator } from '../../src/local/emulator/index.ts';
import type { EmulatedMessage, SlackEmulator } from '../../src/local/emulator/types.ts';
import { APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';
import { shown, until } from '../support/workflow-slack-helpers.ts';

/**
 * Workflows through Slack: a real opsbot (Bolt, SQLite, the engine, real child processes for
 * shell steps) talking to the Slack emulator, driven the way people drive it — `/ops` commands,
 * mentions, button clicks and a modal.
 */

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CAROL = 'U0CAROL';
const GENERAL = 'C0GENERAL';

/** `node -e <script> args…`: a shell step that does real work without a shell. */
const node = (script: string, ...args: string[]) => [process.execPath, '-e', script, ...args];
const APPEND = "require('node:fs').appendFileSync(process.argv[1], process.argv[2] + '\\n')";
const WRITE_ARGV = "require('node:fs').writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))";
const WRITE_PID_AND_HANG = "require('node:fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)";

let dir: string;
let out: string;
let workflowsDir: string;
const running: RunningOpsbot[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-wf-slack-'));
  out = path.join(dir, 'out');
  workflowsDir = path.join(dir, 'workflows');
  fs.mkdirSync(out);
  fs.mkdirSync(workflowsDir);
  writeWorkflows();
});

afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeWorkflow(definition: Record<string, unknown>): void {
  // JSON is YAML: the loader reads it like any definition.
  fs.writeFileSync(path.join(workflowsDir, `${String(definition.name)}.yaml`), JSON.stringify(definition, null, 2));
}

function writeWorkflows(): void {
  const effects = path.join(out, 'effects.log');
  const append = (id: string, name: string, line: string, extra: Record<string, unknown> = {}) => ({ id, name, action: 'shell', with: { argv: node(APPEND, effects, line) }, ...extra });
  writeWorkflow({
    name: 'gated',
    description: 'Build, approve, release',
    params: { service: { type: 'string', required: true, pattern: '[a-z][a-z0-9-]*' } },
    role: 'responder',
    steps: [
      append('build', 'Build', 'build ${{ params.service }}'),
      { id: 'approve', name: 'Approve release', approval: { approvers: { groups: ['S0ONCALL'], roles: ['deployer'] }, min: 2, expires: '1h', message: 'Release ${{ params.service }}?' } },
      append('release', 'Release', 'release ${{ params.service }}'),
    ],
  });
  writeWorkflow({
    name: 'expiring',
    description: 'An approval nobody answers',
    params: {},
    role: 'responder',
    steps: [{ id: 'approve', name: 'Approve', approval: { approvers: { users: [BOB] }, min: 1, expires: '10m' } }, append('after', 'After', 'after expiring')],
  });
  writeWorkflow({
    name: 'echoargs',
    description: 'Writes its argv',
    params: { version: { type: 'string', required: true } },
    role: 'responder',
    steps: [{ id: 'write', name: 'Write argv', action: 'shell', with: { argv: node(WRITE_ARGV, path.join(out, 'argv.json'), '${{ params.version }}', 'second') } }],
  });
  writeWorkflow({
    name: 'strict',
    description: 'Takes a version like v1.2.3',
    params: { version: { type: 'string', required: true, pattern: 'v\\d+\\.\\d+\\.\\d+' } },
    role: 'responder',
    steps: [{ id: 'write', name: 'Write argv', action: 'shell', with: { argv: node(WRITE_ARGV, path.join(out, 'strict.json'), '${{ params.version }}') } }],
  });
  const undo = (line: string) => ({ undo: { action: 'shell', with: { argv: node(APPEND, effects, line) } } });
  writeWorkflow({
    name: 'undoable',
    description: 'Three steps with undo, then one that fails',
    params: {},
    role: 'responder',
    steps: [
      append('a', 'Step A', 'do a', undo('undo a')),
      append('b', 'Step B', 'do b', undo('undo b')),
      append('c', 'Step C', 'do c', undo('undo c')),
      { id: 'd', name: 'Step D', action: 'shell', with: { argv: node('process.exit(3)') } },
    ],
  });
  writeWorkflow({
    name: 'sleepy',
    description: 'A step that runs until stopped',
    params: {},
    role: 'responder',
    steps: [
      { id: 'hang', name: 'Hang', action: 'shell', with: { argv: node(WRITE_PID_AND_HANG, path.join(out, 'pid')) } },
      append('after', 'After', 'after sleepy'),
    ],
  });
  fs.writeFileSync(path.join(workflowsDir, 'broken.yaml'), 'name: broken\ndescription: [unclosed\n');
}

async function start(options: { slack?: SlackEmulator; clock?: ManualClock } = {}): Promise<RunningOpsbot> {
  const o = await startOpsbot({ dir, workflowsDir, ...options });
  running.push(o);
  const now = o.clock.now();
  o.app.store.roles.grant(ALICE, 'responder', 'test', now);
  o.app.store.roles.grant(CAROL, 'deployer', 'test', now);
  return o;
}

function buttons(message: EmulatedMessage | undefined): string[] {
  return (message?.blocks ?? []).flatMap((b) => {
    const block = b as { type?: string; elements?: Array<{ action_id?: string }> };
    return block.type === 'actions' ? (block.elements ?? []).map((e) => e.action_id ?? '') : [];
  });
}

function parentOf(o: RunningOpsbot, runId: string): EmulatedMessage | undefined {
  const ts = o.app.store.workflowRuns.get(runId)?.threadTs;
  return o.emulator.messages(GENERAL).find((m) => m.ts === ts);
}

function approvalMessageOf(o: RunningOpsbot, runId: string, index = 0): EmulatedMessage | undefined {
  const parent = parentOf(o, runId);
  const ts = o.app.store.workflowApprovals.forRun(runId)[index]?.messageTs;
  return parent && ts ? o.emulator.replies(GENERAL, parent.ts).find((m) => m.ts === ts) : undefined;
}

function effects(): string[] {
  const file = path.join(out, 'effects.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
}

function ephemeralTexts(o: RunningOpsbot, user: string): string[] {
  return o.emulator.ephemerals({ user }).map((e) => e.text);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('workflows through Slack', () => {
  it('pauses at an approval gate, refuses the requester, records a double click once, and continues once approved', async () => {
    const o = await start();

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run gated service=api' });
    await o.settle();
    await until(o, 'the approval request is posted', () => approvalMessageOf(o, 'wf-1'));

    const parent = shown(parentOf(o, 'wf-1'));
    expect(parent).toContain('*gated* · `wf-1` — ⏸️ waiting');
    expect(parent).toContain('`service=api`');
    expect(parent).toContain(`Started by <@${ALICE}>`);
    expect(parent).toMatch(/✅ Build[^\n]*\n⏸️ Approve release · waiting for approval\n▫️ Release/);
    expect(buttons(parentOf(o, 'wf-1'))).toEqual(['ops.run:cancel']);
    const request = approvalMessageOf(o, 'wf-1');
    expect(shown(request)).toContain('<!subteam^S0ONCALL>, anyone with the *deployer* role · needs 2 approvals · expires');
    expect(shown(request)).toContain('Release api?');
    expect(buttons(request)).toEqual(['ops.run:approve', 'ops.run:reject']);
    expect(effects()).toEqual(['build api']);

    // The requester is in the approver group, and still may not approve their own run.
    await o.emulator.clickButton({ user: ALICE, channel: GENERAL, messageTs: request!.ts, actionId: 'ops.run:approve' });
    await o.settle();
    expect(ephemeralTexts(o, ALICE)).toContainEqual('You started wf-1, so you cannot approve it: someone else has to.');

    // Bob (in the group) clicks twice before the first click is handled: one decision.
    await Promise.all([
      o.emulator.clickButton({ user: BOB, channel: GENERAL, messageTs: request!.ts, actionId: 'ops.run:approve' }),
      o.emulator.clickButton({ user: BOB, channel: GENERAL, messageTs: request!.ts, actionId: 'ops.run:approve' }),
    ]);
    await o.settle();
    expect(o.app.store.workflowApprovals.decisions(1)).toEqual([expect.objectContaining({ userId: BOB, decision: 'approve' })]);
    expect(ephemeralTexts(o, BOB)).toEqual(expect.arrayContaining(['You approved `wf-1` (1 of 2 approvals so far).', 'You already approved this; your first decision stands.']));
    await until(o, 'the request shows the first approval', () => shown(approvalMessageOf(o, 'wf-1')).includes('(1 of 2)'));
    expect(effects()).toEqual(['build api']);

    // Carol holds the deployer role: the second approval opens the gate.
    await o.emulator.clickButton({ user: CAROL, channel: GENERAL, messageTs: request!.ts, actionId: 'ops.run:approve' });
    await o.settle();
    await until(o, 'the run succeeds', () => o.app.workflows.get('wf-1')?.status === 'succeeded');
    await until(o, 'the parent message shows it', () => shown(parentOf(o, 'wf-1')).includes('✅ succeeded'));

    expect(effects()).toEqual(['build api', 'release api']);
    expect(shown(parentOf(o, 'wf-1'))).toMatch(/✅ Build[^\n]*\n✅ Approve release\n✅ Release/);
    expect(buttons(parentOf(o, 'wf-1'))).toEqual([]);
    await until(o, 'the request shows who approved', () => shown(approvalMessageOf(o, 'wf-1')).includes('✅ Approved'));
    const decided = approvalMessageOf(o, 'wf-1');
    expect(shown(decided)).toMatch(new RegExp(`✅ <@${BOB}> approved <!date\\^\\d+\\^[^>]+>\\n✅ <@${CAROL}> approved <!date`));
    expect(buttons(decided)).toEqual([]);
  });

  it('fails the gate when the approval expires, and shows it expired without buttons', async () => {
    const o = await start();

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run expiring' });
    await o.settle();
    await until(o, 'the approval request is posted', () => approvalMessageOf(o, 'wf-1'));
    expect(buttons(approvalMessageOf(o, 'wf-1'))).toEqual(['ops.run:approve', 'ops.run:reject']);

    await o.clock.advance(11 * 60_000);
    await until(o, 'the run fails', () => o.app.workflows.get('wf-1')?.status === 'failed');
    await until(o, 'the request shows it expired', () => shown(approvalMessageOf(o, 'wf-1')).includes('⌛ Expired'));

    expect(buttons(approvalMessageOf(o, 'wf-1'))).toEqual([]);
    await until(o, 'the parent shows the failure', () => shown(parentOf(o, 'wf-1')).includes('❌ failed'));
    expect(shown(parentOf(o, 'wf-1'))).toContain('the approval expired after 10m');
    expect(effects()).toEqual([]);

    // A late decision changes nothing and says why.
    await o.emulator.slashCommand({ user: BOB, channel: GENERAL, text: 'workflow approve wf-1' });
    await o.settle();
    expect(ephemeralTexts(o, BOB)).toContainEqual('This approval is already expired; nothing changed.');
  });

  it('hands a param with shell metacharacters to the step as one literal argv element', async () => {
    const o = await start();

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run echoargs version="v1; rm -rf /"' });
    await o.settle();
    await until(o, 'the step wrote its argv', () => fs.existsSync(path.join(out, 'argv.json')));

    expect(JSON.parse(fs.readFileSync(path.join(out, 'argv.json'), 'utf8'))).toEqual(['v1; rm -rf /', 'second']);
    await until(o, 'the run succeeds', () => o.app.workflows.get('wf-1')?.status === 'succeeded');
    expect(shown(parentOf(o, 'wf-1'))).toContain('`version=v1; rm -rf /`');
  });

  it('refuses a value failing its declared pattern before the run starts, naming the param', async () => {
    const o = await start();

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run strict version="v1; rm -rf /"' });
    await o.settle();

    expect(ephemeralTexts(o, ALICE)).toEqual([
      '`strict` was not started: version: must match v\\d+\\.\\d+\\.\\d+ (got "v1; rm -rf /").\n`/ops workflow describe strict` shows what each param takes.',
    ]);
    expect(o.app.workflows.list({ limit: 10 })).toEqual([]);
    expect(o.emulator.messages(GENERAL)).toEqual([]);
  });

  it('runs the undo steps in reverse order when a step fails', async () => {
    const o = await start();

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run undoable' });
    await o.settle();
    await until(o, 'the run is rolled back', () => o.app.workflows.get('wf-1')?.status === 'rolled_back');

    expect(effects()).toEqual(['do a', 'do b', 'do c', 'undo c', 'undo b', 'undo a']);
    await until(o, 'the parent shows it', () => shown(parentOf(o, 'wf-1')).includes('↩️ rolled back'));
    expect(shown(parentOf(o, 'wf-1'))).toMatch(/↩️ Step A[^\n]*undone\n↩️ Step B[^\n]*undone\n↩️ Step C[^\n]*undone\n❌ Step D[^\n]*exit/);
    await until(o, 'the failure is told in the thread', () => o.emulator.replies(GENERAL, parentOf(o, 'wf-1')!.ts).some((m) => m.text.startsWith('Step D failed')));
  });

  it('kills a running shell step when the requester clicks Cancel', async () => {
    const o = await start();
    const pidFile = path.join(out, 'pid');

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run sleepy' });
    await o.settle();
    await until(o, 'the step is running', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== '');
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    await until(o, 'the parent shows the step running', () => shown(parentOf(o, 'wf-1')).includes('⏳ Hang'));

    await o.emulator.clickButton({ user: ALICE, channel: GENERAL, messageTs: parentOf(o, 'wf-1')!.ts, actionId: 'ops.run:cancel' });
    await o.settle();

    await until(o, 'the step process is gone', () => !alive(pid));
    expect(o.app.workflows.get('wf-1')?.status).toBe('cancelled');
    await until(o, 'the parent shows it', () => shown(parentOf(o, 'wf-1')).includes('🚫 cancelled'));
    expect(buttons(parentOf(o, 'wf-1'))).toEqual([]);
    expect(effects()).toEqual([]);
  });

  it('opens a modal for missing params; a refused value stays in the modal, a valid one starts the run', async () => {
    const o = await start();

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run gated' });
    await until(o, 'the modal opens', () => o.emulator.views().length > 0);
    const [modal] = o.emulator.views();
    expect(modal?.view).toMatchObject({ callback_id: 'workflow_run', title: { text: 'Run gated' } });

    const field = (value: string) => ({ 'param:service': { value: { type: 'plain_text_input', value } } });
    await o.emulator.submitView({ user: ALICE, viewId: modal!.id, values: field('Not Valid!') });
    await o.settle();
    expect(o.emulator.views()[0]?.errors).toEqual({ 'param:service': 'must match [a-z][a-z0-9-]* (got "Not Valid!")' });
    expect(o.app.workflows.list({ limit: 10 })).toEqual([]);

    await o.emulator.submitView({ user: ALICE, viewId: modal!.id, values: field('web') });
    await o.settle();
    expect(o.emulator.views()).toEqual([]);
    await until(o, 'the run waits for approval', () => approvalMessageOf(o, 'wf-1'));
    expect(o.app.workflows.get('wf-1')).toMatchObject({ workflow: 'gated', params: { service: 'web' }, requestedBy: ALICE, channel: GENERAL });
    expect(effects()).toEqual(['build web']);
  });

  it('answers a mention missing params with a Fill in… button that opens the modal', async () => {
    const o = await start();

    await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'workflow run gated' });
    await o.settle();
    const [prompt] = o.emulator.ephemerals({ user: ALICE });
    expect(prompt?.text).toBe('gated needs service. Fill them in to start it.');

    await o.emulator.clickButton({ user: ALICE, channel: GENERAL, messageTs: prompt!.ts, actionId: 'ops.run:fill-in' });
    await until(o, 'the modal opens', () => o.emulator.views().length > 0);
    expect(o.emulator.views()[0]?.view).toMatchObject({ callback_id: 'workflow_run' });
  });

  it('logs a malformed workflow file with file:line and loads the others', async () => {
    const o = await start();

    const warnings = o.logs.filter((l) => String(l.msg).startsWith('workflow definition skipped'));
    expect(warnings).toEqual([expect.objectContaining({ level: 40, file: path.join(workflowsDir, 'broken.yaml'), line: expect.any(Number) })]);
    expect(String(warnings[0]?.msg)).toMatch(/broken\.yaml:\d+:\d+: /);

    await o.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow list' });
    await o.settle();
    const [list] = ephemeralTexts(o, ALICE);
    expect(list?.split('\n')).toEqual(['Workflows:', expect.stringMatching(/^echoargs:/), expect.stringMatching(/^expiring:/), expect.stringMatching(/^gated:/), expect.stringMatching(/^sleepy:/), expect.stringMatching(/^strict:/), expect.stringMatching(/^undoable:/)]);
  });

  it('after a restart mid-step, asks whether the step completed, and goes on once marked done', async () => {
    const clock = new ManualClock(Date.now());
    const slack = createSlackEmulator({ clock, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, appToken: APP_TOKEN });
    await slack.start();
    try {
      const first = await start({ slack, clock });
      await first.emulator.slashCommand({ user: ALICE, channel: GENERAL, text: 'workflow run sleepy' });
      await first.settle();
      await until(first, 'the step is running', () => fs.existsSync(path.join(out, 'pid')));
      running.splice(running.indexOf(first), 1);
      await first.stop();

      const second = await start({ slack, clock });
      await until(second, 'the prompt is posted', () => second.emulator.replies(GENERAL, parentOf(second, 'wf-1')!.ts).some((m) => buttons(m).length > 0));
      const prompt = second.emulator.replies(GENERAL, parentOf(second, 'wf-1')!.ts).find((m) => buttons(m).length > 0);
      expect(shown(prompt)).toContain('Step *Hang* (`hang`) may or may not have completed');
      expect(buttons(prompt)).toEqual(['ops.run:resolve-retry', 'ops.run:resolve-mark-done', 'ops.run:resolve-abort']);
      expect(shown(parentOf(second, 'wf-1'))).toContain('⏸️ paused');

      await second.emulator.clickButton({ user: ALICE, channel: GENERAL, messageTs: prompt!.ts, actionId: 'ops.run:resolve-mark-done' });
      await second.settle();
      await until(second, 'the run succeeds', () => second.app.workflows.get('wf-1')?.status === 'succeeded');
      expect(effects()).toEqual(['after sleepy']);
      await until(second, 'the prompt loses its buttons', () => buttons(second.emulator.replies(GENERAL, parentOf(second, 'wf-1')!.ts).find((m) => m.ts === prompt!.ts)).length === 0);
    } finally {
      for (const o of running.splice(0)) await o.stop();
      await slack.stop();
    }
  });
});
