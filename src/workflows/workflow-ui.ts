import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { UserError, errorMessage } from '../errors.ts';
import type { ChatPort, MessageContent, MessageRef } from '../slack/chat-port.ts';
import { approvalMessage, interruptedMessage, runMessage, stepFailedMessage, stepLogMessage } from '../slack/views/workflow-views.ts';
import { FINISHED_RUN_STATUSES, type Store } from '../store/types.ts';
import type { WorkflowEvents } from './engine.ts';
import type { RunView, StepView } from './run-view.ts';
import type { RunLocation } from './actions/slack-message.ts';

/**
 * The engine's events as Slack messages. Each run has a parent message in the requester's
 * channel, posted once (its ts stored as the run's thread) and then edited in place; its thread
 * holds the approval requests, step output, failures and the prompts for interrupted steps.
 *
 * Per run, renders of the parent message run one at a time: changes that arrive while one is on
 * its way collapse into a single next render of the newest state, so a busy run costs a few
 * chat.update calls, not one per transition (the outbox coalesces further). Thread messages go
 * out in order on their own queue, after the parent exists. Nothing here throws at the engine:
 * Slack being down must not stop a run.
 */

export interface WorkflowUiDeps {
  chat: ChatPort;
  store: Store;
  clock: Clock;
  log: Logger;
  /** The run as the UI shows it (engine.get). */
  view(runId: string): RunView | undefined;
  dryRun?: boolean;
}

export interface WorkflowUi extends WorkflowEvents {
  /** Resolves once the run's parent message is posted; rejects with why it could not be. */
  whenPosted(runId: string): Promise<MessageRef>;
  /** Where the run's messages go, for the slack.message action. */
  location(runId: string): Promise<RunLocation>;
  /** After the engine resumed: approval requests stored but never posted (a crash in between) are posted. */
  recover(): void;
  /** Resolves when every queued render and thread message has been handed to the chat port. */
  idle(): Promise<void>;
}

interface RunState {
  /** Resolved with the parent message once posted (or found stored); rejected when it cannot be. */
  parent: Promise<MessageRef>;
  settleParent: { resolve(ref: MessageRef): void; reject(err: unknown): void };
  ref?: MessageRef;
  failed?: unknown;
  renders: Promise<void>;
  renderQueued: boolean;
  thread: Promise<void>;
  /** Failures already told in the thread (`path#attempt`). */
  told: Set<string>;
  /** Prompts for interrupted steps, by path, until the step is decided. */
  prompts: Map<string, Promise<MessageRef | undefined>>;
}

const FINISHED = new Set<string>(FINISHED_RUN_STATUSES);

export function createWorkflowUi(deps: WorkflowUiDeps): WorkflowUi {
  const { chat, store, clock, log } = deps;
  const runs = new Map<string, RunState>();
  const approvals = new Map<number, Promise<void>>();

  const quietly = (what: string, fields: Record<string, unknown>) => (err: unknown) => {
    // Stopping: what was still queued for Slack is recovered at the next start.
    const stopping = (err as { code?: unknown }).code === 'outbox_stopped';
    log[stopping ? 'debug' : 'warn']({ ...fields, err: errorMessage(err) }, what);
  };

  function stateOf(runId: string): RunState {
    const existing = runs.get(runId);
    if (existing) return existing;
    const settle = Promise.withResolvers<MessageRef>();
    // Nobody may be waiting when it rejects; those who wait see the rejection themselves.
    settle.promise.catch(() => undefined);
    const state: RunState = {
      parent: settle.promise,
      settleParent: settle,
      renders: Promise.resolve(),
      renderQueued: false,
      thread: Promise.resolve(),
      told: new Set(),
      prompts: new Map(),
    };
    runs.set(runId, state);
    const row = store.workflowRuns.get(runId);
    if (row?.threadTs && row.channel) {
      state.ref = { channel: row.channel, ts: row.threadTs };
      settle.resolve(state.ref);
      // Posted by an earlier process: what it already told is not told again.
      for (const step of deps.view(runId)?.steps ?? []) if (step.status === 'failed') state.told.add(`${step.path}#${step.attempt}`);
    } else if (row && !row.channel) {
      state.failed = new UserError('workflow_no_channel', `${runId} has no channel to report in.`);
      settle.reject(state.failed);
    } else {
      queueRender(runId, state);
    }
    return state;
  }

  function queueRender(runId: string, state: RunState): void {
    if (state.renderQueued) return;
    state.renderQueued = true;
    state.renders = state.renders
      .then(() => {
        state.renderQueued = false;
        return render(runId, state);
      })
      .catch(quietly('workflow message could not be updated', { runId }));
  }

  async function render(runId: string, state: RunState): Promise<void> {
    if (state.ref) {
      const view = deps.view(runId);
      if (!view) return;
      await chat.update(state.ref, runMessage(view, { now: clock.now(), dryRun: deps.dryRun }));
      afterRender(runId, state, view);
      return;
    }
    if (state.failed) return;
    let view: RunView | undefined;
    try {
      view = deps.view(runId);
      if (!view?.channel) throw new UserError('workflow_no_channel', `${runId} has no channel to report in.`);
      const ref = await chat.post(view.channel, runMessage(view, { now: clock.now(), dryRun: deps.dryRun }));
      state.ref = ref;
      store.workflowRuns.setThread(runId, ref.ts, clock.now());
      state.settleParent.resolve(ref);
    } catch (err) {
      // Told once; the run goes on without its messages rather than posting again at each change.
      state.failed = err;
      state.settleParent.reject(err);
      throw err;
    }
    afterRender(runId, state, view);
  }

  function afterRender(runId: string, state: RunState, view: RunView): void {
    tellSteps(runId, state, view);
    if (FINISHED.has(view.status)) forgetWhenQuiet(runId, state);
  }

  /** Failures and interrupted steps, once each, in the thread. */
  function tellSteps(runId: string, state: RunState, view: RunView): void {
    for (const step of view.steps) {
      const failedAttempt = step.kind === 'action' && step.error && (step.status === 'failed' || step.status === 'waiting');
      const key = `${step.path}#${step.attempt}`;
      if (failedAttempt && !state.told.has(key)) {
        state.told.add(key);
        inThread(runId, state, () => stepFailedMessage(step));
      }
      const prompt = state.prompts.get(step.path);
      if (step.status === 'interrupted' && !prompt) {
        state.prompts.set(step.path, inThread(runId, state, () => interruptedMessage(runId, step)));
      } else if (step.status !== 'interrupted' && prompt) {
        state.prompts.delete(step.path);
        void settlePrompt(runId, prompt, step);
      }
    }
  }

  async function settlePrompt(runId: string, prompt: Promise<MessageRef | undefined>, step: StepView): Promise<void> {
    const ref = await prompt;
    if (ref) await chat.update(ref, interruptedMessage(runId, step)).catch(quietly('interrupted-step prompt could not be updated', { runId }));
  }

  /** Posts into the run's thread, in order; resolves with the message (undefined when it could not be posted). */
  function inThread(runId: string, state: RunState, content: () => MessageContent | undefined, posted?: (ref: MessageRef) => void): Promise<MessageRef | undefined> {
    const result = state.thread.then(async () => {
      const parent = await state.parent;
      const message = content();
      if (!message) return undefined;
      const ref = await chat.post(parent.channel, message, parent.ts);
      posted?.(ref);
      return ref;
    });
    const done = result.catch((err: unknown) => {
      if (!state.failed) quietly('workflow thread message could not be posted', { runId })(err);
      return undefined;
    });
    state.thread = done.then(() => undefined);
    return done;
  }

  /** A finished run's state is dropped once its queues are empty; its thread stays in the store. */
  function forgetWhenQuiet(runId: string, state: RunState): void {
    void Promise.all([state.thread, state.renders]).then(() => {
      if (runs.get(runId) === state && !state.renderQueued && state.prompts.size === 0) runs.delete(runId);
    });
  }

  function approvalContent(approvalId: number): MessageContent | undefined {
    const approval = store.workflowApprovals.get(approvalId);
    const view = approval && deps.view(approval.runId);
    const shown = view?.approvals.find((a) => a.id === approvalId);
    return view && shown ? approvalMessage(view, shown, { dryRun: deps.dryRun }) : undefined;
  }

  const ui: WorkflowUi = {
    runChanged(runId) {
      queueRender(runId, stateOf(runId));
    },

    approvalRequested(approvalId) {
      const approval = store.workflowApprovals.get(approvalId);
      if (!approval) return;
      const state = stateOf(approval.runId);
      const posted = inThread(approval.runId, state, () => approvalContent(approvalId), (ref) => {
        try {
          store.workflowApprovals.setMessageTs(approvalId, ref.ts);
        } catch (err) {
          quietly('approval message ts could not be stored', { approvalId })(err);
        }
      });
      approvals.set(approvalId, posted.then(() => undefined));
    },

    approvalDecided(approvalId) {
      const approval = store.workflowApprovals.get(approvalId);
      if (!approval) return;
      const before = approvals.get(approvalId);
      if (!before && approval.messageTs === null) {
        // Requested by an earlier process that died before posting it: post it now, as it stands.
        ui.approvalRequested(approvalId);
        return;
      }
      const next = (before ?? Promise.resolve()).then(async () => {
        const current = store.workflowApprovals.get(approvalId);
        const content = approvalContent(approvalId);
        const channel = store.workflowRuns.get(approval.runId)?.channel;
        if (!current?.messageTs || !content || !channel) return;
        await chat.update({ channel, ts: current.messageTs }, content);
      });
      const settled = next.catch(quietly('approval message could not be updated', { approvalId }));
      approvals.set(approvalId, settled);
      void settled.then(() => {
        if (approvals.get(approvalId) === settled && store.workflowApprovals.get(approvalId)?.status !== 'pending') approvals.delete(approvalId);
      });
    },

    stepLog(runId, path, text) {
      const state = stateOf(runId);
      void inThread(runId, state, () => {
        const step = deps.view(runId)?.steps.find((s) => s.path === path);
        return stepLogMessage({ path, name: step?.name ?? path }, text);
      });
    },

    whenPosted: (runId) => stateOf(runId).parent,

    async location(runId) {
      const parent = await stateOf(runId).parent;
      return { channel: parent.channel, threadTs: parent.ts };
    },

    recover() {
      for (const run of store.workflowRuns.unfinished()) {
        for (const approval of store.workflowApprovals.forRun(run.id)) {
          if (approval.status === 'pending' && approval.messageTs === null && !approvals.has(approval.id)) ui.approvalRequested(approval.id);
        }
      }
    },

    async idle() {
      for (;;) {
        const pending = [...runs.values()].flatMap((s) => [s.renders, s.thread]).concat([...approvals.values()]);
        await Promise.allSettled(pending);
        const after = [...runs.values()].flatMap((s) => [s.renders, s.thread]).concat([...approvals.values()]);
        if (after.length === pending.length && after.every((p, i) => p === pending[i])) return;
      }
    },
  };
  return ui;
}
