import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { ApprovalStatus, Store, WorkflowRunStatus, WorkflowRunSummary } from '../store/types.ts';
import type { ActionCatalog } from './action.ts';
import type { OrphanRecord } from './actions/process-groups.ts';
import { decide } from './approval-gate.ts';
import type { ApprovalStep, WorkflowDefinition } from './definition.ts';
import { createEngineContext } from './engine-context.ts';
import { cancelRun, getRun, resolveInterrupted, retryRun, rollbackRun, startRun } from './run-commands.ts';
import { resume } from './run-resume.ts';
import type { RunView } from './run-view.ts';
import { abortAll } from './step-executor.ts';

/**
 * The durable workflow engine. Every transition (a step begun, an attempt recorded, a result,
 * a decision, a timer's end) is one synchronous SQLite transaction, committed before the engine
 * tells anyone (events) or starts the next asynchronous work; what to do next is decided by
 * plan.ts from the recorded steps alone, so after a crash `resume()` continues exactly where the
 * records say the run was:
 * - a step that was running when opsbot died is re-run with the SAME attempt and idempotency key
 *   when its action is idempotent (so its effect applies once); otherwise the step becomes
 *   `interrupted` and the run `paused` until a person resolves it (retry / mark done / abort);
 * - waits and retry backoffs re-arm from their recorded wake time; an approval whose expiry
 *   passed while opsbot was down expires, and its gate fails;
 * - process groups recorded by shell steps that may still run are handed to killOrphans first.
 *
 * stop(): timers stop and nothing new begins. Actions still running after `drainMs` (default 0)
 * are aborted (a shell step's group is terminated) and their outcome is not recorded: the next
 * start treats them as after a crash. A graceful shutdown can pass drainMs to let them finish.
 *
 * The engine never talks to Slack: it reports through `events`, after each commit.
 *
 * This file wires the parts, which share one EngineContext (engine-context.ts): run-commands.ts
 * (what people ask), run-loop.ts (planning, finishing, queues), step-executor.ts and
 * step-timers.ts (attempts, timeouts, waits, backoffs), approval-gate.ts, undo-runner.ts,
 * run-resume.ts (start-up), run-records.ts (commit + audit) and active-run.ts (a run in memory).
 */

export interface WorkflowEvents {
  /** Something visible about the run changed (status, a step, its outputs). */
  runChanged(runId: string): void;
  /** An approval row was stored; the UI posts its request (and records message_ts). */
  approvalRequested(approvalId: number): void;
  /** A decision was recorded, or the approval settled (approved, rejected, expired, cancelled). */
  approvalDecided(approvalId: number): void;
  /** Progress lines and an action's log text, for the run's thread. */
  stepLog(runId: string, path: string, text: string): void;
}

export interface WorkflowEngineDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  catalog: ActionCatalog;
  definitions: () => ReadonlyMap<string, WorkflowDefinition>;
  /** Whether the user is in the approver set (users, Slack user groups, roles). */
  isApprover: (userId: string, approvers: ApprovalStep['approvers']) => Promise<boolean>;
  /** process-groups.ts killOrphans: kills recorded process groups that are provably still ours. */
  killOrphans: (records: OrphanRecord[]) => unknown;
  events: WorkflowEvents;
  dryRun: boolean;
}

export interface Requester {
  userId: string;
  channel: string | null;
  threadTs?: string;
}

export type Resolution = 'retry' | 'mark-done' | 'abort';

export interface StartOptions {
  requestKey?: string;
  /**
   * Run this copy of the named workflow's definition instead of the loaded one (same name). The
   * run is stored with it and follows it to the end, resumes included: the playbook runner starts
   * playbooks this way, with its approval gate put in front of their steps.
   */
  definition?: WorkflowDefinition;
}

export type DecideResult =
  | { changed: true; status: ApprovalStatus; approvals: number; min: number }
  | { changed: false; why: string };

export interface ResumeReport {
  /** Runs taken up again (queued ones that could start included). */
  runs: string[];
  /** Steps that were in flight with a non-idempotent action: their runs wait for a person. */
  interrupted: Array<{ runId: string; path: string }>;
}

export interface WorkflowEngine {
  /** Validates params, applies the workflow's concurrency rule, records the run and starts it. */
  /**
   * `requestKey` names the request that asked for the run (a Slack trigger or event id): a request
   * replayed after a crash finds the run it already started (`replayed`) instead of starting another.
   */
  start(
    name: string,
    rawParams: Record<string, unknown>,
    requester: Requester,
    trigger: string,
    options?: StartOptions,
  ): Promise<{ runId: string; status: 'running' | 'queued'; replayed?: true }>;
  decide(approvalId: number, userId: string, decision: 'approve' | 'reject', reason?: string): Promise<DecideResult>;
  /** Aborts running actions, cancels waits and approvals; no undo. */
  cancel(runId: string, by: string): Promise<void>;
  /** A failed, cancelled or rolled-back run runs again from its failed step, or from `from` (a top-level step). */
  retry(runId: string, options: { from?: string }, by: string): Promise<void>;
  /** Runs the undo of completed steps, most recent first. */
  rollback(runId: string, by: string): Promise<void>;
  resolveInterrupted(runId: string, path: string, resolution: Resolution, by: string): Promise<void>;
  /** Call once at start-up, before anything else. */
  resume(): Promise<ResumeReport>;
  get(runId: string): RunView | undefined;
  list(options: { limit: number; workflow?: string; status?: readonly WorkflowRunStatus[] }): WorkflowRunSummary[];
  /** Runs this engine is driving now (a gauge). */
  activeRuns(): number;
  stop(options?: { drainMs?: number }): Promise<void>;
}

export function createWorkflowEngine(deps: WorkflowEngineDeps): WorkflowEngine {
  const ctx = createEngineContext(deps);
  const { store, clock, active } = ctx;
  return {
    start: (name, rawParams, requester, trigger, options) => startRun(ctx, name, rawParams, requester, trigger, options),
    decide: (approvalId, userId, decision, reason) => decide(ctx, approvalId, userId, decision, reason),
    cancel: (runId, by) => cancelRun(ctx, runId, by),
    retry: (runId, options, by) => retryRun(ctx, runId, options, by),
    rollback: (runId, by) => rollbackRun(ctx, runId, by),
    resolveInterrupted: (runId, path, resolution, by) => resolveInterrupted(ctx, runId, path, resolution, by),
    resume: () => resume(ctx),
    get: (runId) => getRun(ctx, runId),
    list: (options) => store.workflowRuns.list(options),
    activeRuns: () => active.size,

    async stop(options = {}) {
      if (ctx.stopping) return;
      ctx.stopping = true;
      for (const run of active.values()) {
        for (const timer of run.timers.values()) timer.cancel();
        run.timers.clear();
      }
      const inflight = [...active.values()].flatMap((run) => [...run.inflight.values()]);
      const drainMs = options.drainMs ?? 0;
      if (drainMs > 0 && inflight.length > 0) {
        const giveUp = new AbortController();
        await Promise.race([Promise.allSettled(inflight.map((e) => e.done)), clock.sleep(drainMs, giveUp.signal).catch(() => {})]);
        giveUp.abort();
      }
      ctx.detached = true;
      for (const run of active.values()) abortAll(run, 'opsbot is stopping');
      active.clear();
    },
  };
}
