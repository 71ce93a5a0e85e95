import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { ChatPort, MessageContent, MessageRef } from '../../src/slack/chat-port.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';
import type { ActionCatalog, ActionContext, ActionDefinition, ActionResult } from '../../src/workflows/action.ts';
import type { Step, WorkflowDefinition } from '../../src/workflows/definition.ts';
import { createWorkflowEngine, type WorkflowEngine } from '../../src/workflows/engine.ts';
import { createWorkflowUi, type WorkflowUi } from '../../src/workflows/workflow-ui.ts';
import { useTempFiles } from '../store/temp-files.ts';

/**
 * The UI against a real engine on a real SQLite file; the chat port is a recording one (the port
 * is opsbot's own interface; what it does with Slack is tested in test/slack).
 */

const CHANNEL = 'C0DEPLOYS';
const REQUESTER = { userId: 'U0ALICE', channel: CHANNEL };

interface Posted {
  channel: string;
  ts: string;
  threadTs?: string;
  message: MessageContent;
}

function recordingChat() {
  const posts: Posted[] = [];
  const updates: Array<{ ref: MessageRef; message: MessageContent }> = [];
  let n = 0;
  const chat: ChatPort = {
    async post(channel, message, threadTs) {
      const ts = `${1_000 + ++n}.000100`;
      posts.push({ channel, ts, message, ...(threadTs ? { threadTs } : {}) });
      return { channel, ts };
    },
    async update(ref, message) {
      updates.push({ ref, message });
    },
    ephemeral: async () => undefined,
    respond: async () => undefined,
    openModal: async () => undefined,
    publishHome: async () => undefined,
    upload: async () => undefined,
  };
  /** A message as it reads now: its last edit, or as posted. */
  const current = (ts: string) => updates.filter((u) => u.ref.ts === ts).at(-1)?.message ?? posts.find((p) => p.ts === ts)?.message;
  return { chat, posts, updates, current };
}

function action(name: string, idempotent: boolean, run: (input: Record<string, unknown>, ctx: ActionContext) => Promise<ActionResult>): ActionDefinition<never> {
  return { name, summary: name, idempotent, parse: (input: Record<string, unknown>) => input, run } as unknown as ActionDefinition<never>;
}

const hangs: Array<() => void> = [];
const catalog: ActionCatalog = new Map([
  ['ok', action('ok', true, async (input: Record<string, unknown>) => ({ result: {}, ...(typeof input.log === 'string' ? { log: input.log } : {}) }))],
  ['fail', action('fail', true, async () => Promise.reject(new Error('exit status 2: tests failed')))],
  [
    'hang',
    action('hang', false, (_input, ctx) => new Promise((resolve, reject) => {
      hangs.push(() => resolve({ result: {} }));
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    })),
  ],
]);

const step = (id: string, name: string, extra: Record<string, unknown> = {}): Step => ({ kind: 'action', id, action: name, with: {}, continueOnError: false, ...extra }) as Step;

function workflow(name: string, steps: Step[]): WorkflowDefinition {
  return { name, description: `${name} (test)`, params: {}, run: { role: 'responder' }, triggers: { command: true, schedules: [] }, steps, file: `workflows/${name}.yaml`, source: 'workflow' };
}

const definitions = new Map(
  [
    workflow('five', ['a', 'b', 'c', 'd', 'e'].map((id) => step(id, 'ok'))),
    workflow('logs', [step('build', 'ok', { name: 'Build', with: { log: 'compiled 12 files\nok' } })]),
    workflow('broken', [step('test', 'fail', { name: 'Test' })]),
    workflow('gated', [{ kind: 'approval', id: 'approve', name: 'Approve', approvers: { users: ['U0BOB'], groups: [], roles: [] }, min: 1, expiresMs: 3_600_000, continueOnError: false, message: 'Ship it?' }, step('ship', 'ok')]),
    workflow('hanging', [step('deploy', 'hang', { name: 'Deploy' }), step('after', 'ok')]),
  ].map((d) => [d.name, d]),
);

function useRig() {
  const files = useTempFiles();
  return (clock = new ManualClock()) => {
    const store = createStore(files.open('opsbot.db'), { isProcessAlive: () => true });
    const recorded = recordingChat();
    return { ...open(store, clock, recorded.chat), store, clock, ...recorded };
  };
}

function open(store: Store, clock: ManualClock, chat: ChatPort): { engine: WorkflowEngine; ui: WorkflowUi } {
  const log = pino({ level: 'silent' });
  const ui: WorkflowUi = createWorkflowUi({ chat, store, clock, log, view: (runId) => engine.get(runId) });
  const engine = createWorkflowEngine({
    store,
    clock,
    log,
    catalog,
    definitions: () => definitions,
    isApprover: async (userId) => userId === 'U0BOB',
    killOrphans: () => [],
    events: ui,
    dryRun: false,
  });
  return { engine, ui };
}

async function settled(clock: ManualClock, ui: WorkflowUi): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await clock.advance(0);
    await ui.idle();
  }
}

const texts = (messages: Array<{ message: MessageContent }>) => messages.map((m) => m.message.text);
const actionIds = (message: MessageContent | undefined) => (message?.blocks ?? []).flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => e.action_id) : []));

describe('the workflow UI', () => {
  const rig = useRig();

  it("posts the run's parent message once, stores it as the run's thread, and edits it in place", async () => {
    const { engine, ui, store, clock, posts, updates, current } = rig();

    const { runId } = await engine.start('five', {}, REQUESTER, 'command');
    await settled(clock, ui);

    expect(posts).toEqual([expect.objectContaining({ channel: CHANNEL })]);
    expect(store.workflowRuns.get(runId)?.threadTs).toBe(posts[0]?.ts);
    expect(current(posts[0]!.ts)?.text).toBe('five wf-1: succeeded, started by <@U0ALICE>, 0s');
    // Eleven transitions (the run, five steps begun and done) reach Slack as far fewer edits.
    expect(updates.length).toBeLessThanOrEqual(2);
    expect(await ui.whenPosted(runId)).toEqual({ channel: CHANNEL, ts: posts[0]?.ts });
  });

  it('posts step output into the thread', async () => {
    const { engine, ui, clock, posts } = rig();

    await engine.start('logs', {}, REQUESTER, 'command');
    await settled(clock, ui);

    expect(posts.slice(1).map((p) => [p.threadTs, p.message.text])).toEqual([[posts[0]?.ts, 'Build:\ncompiled 12 files\nok']]);
  });

  it('tells a failed step once in the thread, and offers Retry and Roll back on the parent', async () => {
    const { engine, ui, clock, posts, current } = rig();

    await engine.start('broken', {}, REQUESTER, 'command');
    await settled(clock, ui);

    expect(texts(posts.slice(1))).toEqual(['Test failed: exit status 2: tests failed']);
    expect(actionIds(current(posts[0]!.ts))).toEqual(['ops.run:retry', 'ops.run:rollback']);
  });

  it('posts the approval request in the thread, records its ts, and edits it once decided, without buttons', async () => {
    const { engine, ui, store, clock, posts, current } = rig();

    await engine.start('gated', {}, REQUESTER, 'command');
    await settled(clock, ui);
    const request = posts[1];
    expect(request).toMatchObject({ threadTs: posts[0]?.ts, message: { text: 'Approval needed for gated wf-1 (Approve) from <@U0BOB>: Ship it?' } });
    expect(store.workflowApprovals.get(1)?.messageTs).toBe(request?.ts);
    expect(actionIds(request?.message)).toEqual(['ops.run:approve', 'ops.run:reject']);

    await engine.decide(1, 'U0BOB', 'approve', 'go');
    await settled(clock, ui);

    expect(current(request!.ts)?.text).toMatch(/^✅ Approved: gated wf-1 \(Approve\), approved by <@U0BOB> at /);
    expect(actionIds(current(request!.ts))).toEqual([]);
    expect(engine.get('wf-1')?.status).toBe('succeeded');
  });

  it('posts an approval stored by an earlier process that died before posting it', async () => {
    const clock = new ManualClock();
    const { store, chat, posts } = rig(clock);
    // The first process records the approval but its message never goes out.
    const silent = createWorkflowEngine({
      store,
      clock,
      log: pino({ level: 'silent' }),
      catalog,
      definitions: () => definitions,
      isApprover: async () => true,
      killOrphans: () => [],
      events: { runChanged: () => undefined, approvalRequested: () => undefined, approvalDecided: () => undefined, stepLog: () => undefined },
      dryRun: false,
    });
    await silent.start('gated', {}, REQUESTER, 'command');
    await clock.advance(0);
    await silent.stop();

    const { engine, ui } = open(store, clock, chat);
    await engine.resume();
    ui.recover();
    await settled(clock, ui);

    expect(texts(posts)).toEqual(['gated wf-1: waiting, started by <@U0ALICE>, 0s', 'Approval needed for gated wf-1 (Approve) from <@U0BOB>: Ship it?']);
    expect(store.workflowApprovals.get(1)?.messageTs).toBe(posts[1]?.ts);
  });

  it('after a restart mid-step, asks in the existing thread whether the step completed, and drops the buttons once decided', async () => {
    const { engine, ui, store, clock, chat, posts, current } = rig();
    await engine.start('hanging', {}, REQUESTER, 'command');
    await settled(clock, ui);
    await engine.stop();

    const restarted = open(store, clock, chat);
    await restarted.engine.resume();
    await settled(clock, restarted.ui);

    expect(posts.filter((p) => !p.threadTs)).toHaveLength(1);
    const prompt = posts.find((p) => p.message.text.startsWith('Step Deploy of wf-1 may or may not have completed'));
    expect(prompt?.threadTs).toBe(posts[0]?.ts);
    expect(actionIds(prompt?.message)).toEqual(['ops.run:resolve-retry', 'ops.run:resolve-mark-done', 'ops.run:resolve-abort']);
    expect(current(posts[0]!.ts)?.text).toMatch(/^hanging wf-1: paused/);

    await restarted.engine.resolveInterrupted('wf-1', 'deploy', 'mark-done', 'U0ALICE');
    await settled(clock, restarted.ui);

    expect(actionIds(current(prompt!.ts))).toEqual([]);
    expect(current(prompt!.ts)?.text).toBe('Step Deploy of wf-1 may or may not have completed; decided (succeeded)');
    expect(restarted.engine.get('wf-1')?.status).toBe('succeeded');
  });

  it('posts nothing for a run without a channel, and says so to whoever waits for its message', async () => {
    const { engine, ui, clock, posts } = rig();

    const { runId } = await engine.start('five', {}, { userId: 'system', channel: null }, 'schedule');
    await settled(clock, ui);

    expect(posts).toEqual([]);
    await expect(ui.whenPosted(runId)).rejects.toThrow('wf-1 has no channel to report in.');
  });
});
