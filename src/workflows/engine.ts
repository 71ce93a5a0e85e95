import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { formatDuration } from '../duration.ts';
import { OpsError, UserError, errorMessage } from '../errors.ts';
import type {
  ApprovalStatus,
  Store,
  WorkflowRun,
  WorkflowRunStatus,
  WorkflowRunSummary,
  WorkflowStep,
  WorkflowStepStatus,
} from '../store/types.ts';
import type { ActionCatalog, ActionContext, ActionDefinition, ActionResult } from './action.ts';
import type { OrphanRecord } from './actions/process-groups.ts';
import type { ActionStep, ApprovalStep, Step, Templated, WorkflowDefinition } from './definition.ts';
import { evaluateCondition, evaluateTemplate, type Scope } from './expressions.ts';
import { paramsSchema } from './params.ts';
import { type Decision, plan, undoOrder } from './plan.ts';
import { backoffAfter, maxAttempts } from './retry-policy.ts';
import { type RunView, buildRunView } from './run-view.ts';
import { type StepIndex, indexSteps, isForEach, itemPath, parseItemPath, stepAt, stepIdOf, topLevelId } from './step-path.ts';

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
    options?: { requestKey?: string },
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

/** Statuses in which a run's steps advance. */
const LIVE: ReadonlySet<WorkflowRunStatus> = new Set(['running', 'waiting', 'paused']);
const FINISHED: ReadonlySet<WorkflowRunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'rolled_back']);
const RETRYABLE: ReadonlySet<WorkflowRunStatus> = new Set(['failed', 'cancelled', 'rolled_back']);
const ROLLBACKABLE: ReadonlySet<WorkflowRunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
/** In-flight slot of an undo, beside the step's own. */
const UNDO = 'undo:';
/** A run whose planning does not settle in this many rounds has a bug, not more work. */
const MAX_ROUNDS = 100_000;

interface Counts {
  running: number;
  waiting: number;
  interrupted: number;
}

interface Inflight {
  controller: AbortController;
  done: Promise<void>;
  cancelTimeout?: () => void;
}

interface Timer {
  cancel: () => void;
}

/** A run this engine drives: its definition, and a mirror of its step rows kept after each commit. */
interface ActiveRun {
  readonly id: string;
  readonly workflow: string;
  readonly definition: WorkflowDefinition;
  readonly params: Scope['params'];
  readonly requestedBy: string;
  readonly channel: string | null;
  readonly concurrencyKey: string | null;
  readonly index: StepIndex;
  /** Parallel and for_each steps: they hold children, they do not execute. */
  readonly containers: ReadonlySet<string>;
  readonly info: Scope['run'];
  status: WorkflowRunStatus;
  error: string | null;
  readonly records: Map<string, WorkflowStep>;
  /** `steps` of the expression scope, updated at each commit rather than rebuilt per step. */
  readonly scopeSteps: Scope['steps'];
  /** Completion order, for undo. */
  seq: number;
  /** Leaf steps by status, for the run's own status. */
  counts: Counts;
  readonly inflight: Map<string, Inflight>;
  readonly timers: Map<string, Timer>;
  pumping: boolean;
  again: boolean;
}

interface RunChange {
  status: WorkflowRunStatus;
  /** undefined keeps the stored value. */
  error?: string | null;
  finishedAt?: number | null;
}

interface CommitOptions {
  run?: RunChange;
  /** More writes for the same transaction (audit, approvals). */
  also?: () => void;
  /** No runChanged event (bookkeeping the UI does not show). */
  quiet?: boolean;
}

type Outcome = { ok: true; result: ActionResult } | { ok: false; error: unknown };
type Applied = 'ok' | 'replan';

interface Unit {
  path: string;
  attempt: number;
  key: string;
  item: { value: unknown } | undefined;
}

export function createWorkflowEngine(deps: WorkflowEngineDeps): WorkflowEngine {
  const { store, clock, log, catalog, events } = deps;
  const active = new Map<string, ActiveRun>();
  let stopping = false;
  let detached = false;

  const now = () => clock.now();
  const attached = (run: ActiveRun) => !detached && active.get(run.id) === run;
  const live = (run: ActiveRun) => !stopping && attached(run) && LIVE.has(run.status);

  function emit(event: keyof WorkflowEvents, fire: () => void): void {
    try {
      fire();
    } catch (err) {
      log.warn({ err, event }, 'workflow event listener failed');
    }
  }

  // ---- records ------------------------------------------------------------------------------

  function commit(run: ActiveRun, changes: readonly WorkflowStep[], options: CommitOptions = {}): void {
    const counts = { ...run.counts };
    for (const change of changes) {
      if (run.containers.has(change.path)) continue;
      count(counts, run.records.get(change.path)?.status, -1);
      count(counts, change.status, 1);
    }
    const status = options.run?.status ?? (LIVE.has(run.status) ? liveStatus(counts) : run.status);
    const at = now();
    store.transaction(() => {
      for (const change of changes) store.workflowSteps.put(run.id, change);
      if (options.run || status !== run.status) {
        store.workflowRuns.setStatus(run.id, { status, at, error: options.run?.error, finishedAt: options.run?.finishedAt });
      }
      options.also?.();
    });
    for (const change of changes) {
      run.records.set(change.path, change);
      if (!parseItemPath(change.path)) run.scopeSteps[stepIdOf(change.path)] = { outputs: change.outputs ?? {}, status: change.status };
    }
    run.counts = counts;
    run.status = status;
    if (options.run?.error !== undefined) run.error = options.run.error;
    if (!options.quiet) emit('runChanged', () => events.runChanged(run.id));
  }

  function audit(
    run: { id: string; workflow: string; requestedBy: string; channel: string | null },
    action: string,
    outcome: string,
    detail: string | null,
    args: Record<string, unknown>,
    actor = run.requestedBy,
  ): void {
    store.audit.append({
      at: now(),
      actor,
      channel: run.channel,
      action,
      command: `workflow ${run.workflow}`,
      args: JSON.stringify({ run: run.id, ...args }),
      outcome,
      detail,
    });
  }

  function toActive(row: WorkflowRun, records: readonly WorkflowStep[]): ActiveRun {
    const index = indexSteps(row.definition.steps);
    const containers = new Set<string>();
    for (const [path, { step }] of index) if (step.kind === 'parallel' || isForEach(step)) containers.add(path);
    const run: ActiveRun = {
      id: row.id,
      workflow: row.workflow,
      definition: row.definition,
      params: row.params,
      requestedBy: row.requestedBy,
      channel: row.channel,
      concurrencyKey: row.concurrencyKey,
      index,
      containers,
      info: { id: row.id, requestedBy: row.requestedBy, workflow: row.workflow },
      status: row.status,
      error: row.error,
      records: new Map(),
      scopeSteps: {},
      seq: 0,
      counts: { running: 0, waiting: 0, interrupted: 0 },
      inflight: new Map(),
      timers: new Map(),
      pumping: false,
      again: false,
    };
    for (const record of records) {
      run.records.set(record.path, record);
      if (!parseItemPath(record.path)) run.scopeSteps[stepIdOf(record.path)] = { outputs: record.outputs ?? {}, status: record.status };
      if (!containers.has(record.path)) count(run.counts, record.status, 1);
      run.seq = Math.max(run.seq, record.completedSeq ?? 0);
    }
    return run;
  }

  function scopeFor(run: ActiveRun, item?: { value: unknown }, result?: Record<string, unknown>): Scope {
    const scope: Scope = { params: run.params, steps: run.scopeSteps, run: run.info };
    if (item) scope.item = item.value;
    if (result) scope.result = result;
    return scope;
  }

  function itemOf(run: ActiveRun, path: string): { value: unknown } | undefined {
    const item = parseItemPath(path);
    if (!item) return undefined;
    return { value: run.records.get(item.parent)?.items?.[item.index] };
  }

  function detach(run: ActiveRun): void {
    for (const timer of run.timers.values()) timer.cancel();
    run.timers.clear();
    if (active.get(run.id) === run) active.delete(run.id);
  }

  // ---- planning loop ------------------------------------------------------------------------

  /** Applies what plan.ts decides until the run waits on something asynchronous or finishes. */
  function pump(run: ActiveRun): void {
    if (run.pumping) {
      run.again = true;
      return;
    }
    run.pumping = true;
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        run.again = false;
        if (!live(run)) return;
        const next = plan(run.definition.steps, run.records);
        let applied = 0;
        for (const decision of next.decisions) {
          applied++;
          // A blocking failure changes what may begin: plan again before the next decision.
          if (apply(run, decision) === 'replan' || !live(run)) break;
        }
        if (applied > 0 || run.again) continue;
        if (next.outcome === 'succeeded') finishRun(run);
        else if (next.outcome === 'failed') failRun(run, next.failedPath);
        return;
      }
      throw new OpsError('workflow_engine_loop', `run ${run.id} did not settle after ${MAX_ROUNDS} planning rounds`);
    } catch (err) {
      crashRun(run, err);
    } finally {
      run.pumping = false;
    }
  }

  /** A bug or a broken database: the run must not hang in memory looking alive. */
  function crashRun(run: ActiveRun, err: unknown): void {
    log.error({ err, runId: run.id }, 'workflow run could not advance');
    try {
      if (attached(run) && !FINISHED.has(run.status)) {
        commit(run, [], { run: { status: 'failed', error: `internal error: ${errorMessage(err)}`, finishedAt: now() } });
        abortAll(run, 'the run failed');
        detach(run);
      }
    } catch (again) {
      log.error({ err: again, runId: run.id }, 'could not record the failure of a workflow run');
    }
  }

  function apply(run: ActiveRun, decision: Decision): Applied {
    switch (decision.kind) {
      case 'begin':
        return begin(run, decision.path, decision.step);
      case 'begin-item':
        return startAttempt(run, decision.path, decision.step as ActionStep, (run.records.get(decision.path)?.attempt ?? 0) + 1);
      case 'finish':
        return finishContainer(run, decision.path, decision.step, decision.status);
      case 'cancel':
        cancelWaiting(run, decision.path, decision.step);
        return 'ok';
    }
  }

  function begin(run: ActiveRun, path: string, step: Step): Applied {
    const base = run.records.get(path) ?? blank(path);
    const at = now();
    if (step.when !== undefined) {
      let go: boolean;
      try {
        go = evaluateCondition(step.when, scopeFor(run));
      } catch (err) {
        return fail(run, { ...base, status: 'failed', startedAt: at, finishedAt: at, error: `when: ${errorMessage(err)}` });
      }
      if (!go) {
        commit(run, [{ ...base, status: 'skipped', startedAt: null, finishedAt: at }]);
        return 'ok';
      }
    }
    switch (step.kind) {
      case 'action': {
        if (!step.forEach) return startAttempt(run, path, step, base.attempt + 1);
        let items: unknown;
        try {
          items = evaluateTemplate(step.forEach.items, scopeFor(run));
          if (!Array.isArray(items)) throw new UserError('workflow_for_each_not_list', `it gave ${describeValue(items)}, not a list`);
        } catch (err) {
          return fail(run, { ...base, status: 'failed', startedAt: at, finishedAt: at, error: `for_each: ${errorMessage(err)}` });
        }
        commit(run, [{ ...base, status: 'running', attempt: base.attempt + 1, items, startedAt: at }]);
        return 'ok';
      }
      case 'parallel':
        commit(run, [{ ...base, status: 'running', attempt: base.attempt + 1, startedAt: at }]);
        return 'ok';
      case 'wait': {
        const wakeAt = at + step.durationMs;
        commit(run, [{ ...base, status: 'waiting', attempt: base.attempt + 1, startedAt: at, wakeAt }]);
        armWait(run, path, wakeAt);
        return 'ok';
      }
      case 'approval':
        return beginApproval(run, path, step, base);
    }
  }

  function fail(run: ActiveRun, record: WorkflowStep, also?: () => void): Applied {
    commit(run, [record], also ? { also } : {});
    return 'replan';
  }

  function finishContainer(run: ActiveRun, path: string, step: Step, status: 'succeeded' | 'failed'): Applied {
    const record = run.records.get(path) ?? blank(path);
    let outputs: Record<string, unknown> | null = null;
    let error: string | null = null;
    if (isForEach(step)) {
      const items = (record.items ?? []).map((_, i) => run.records.get(itemPath(path, i)));
      // Each output becomes the list of the items' values, in item order.
      if (step.outputs) outputs = Object.fromEntries(Object.keys(step.outputs).map((name) => [name, items.map((r) => r?.outputs?.[name] ?? null)]));
      if (status === 'failed') {
        const failed = items.filter((r) => r?.status === 'failed' || r?.status === 'cancelled').length;
        const notRun = items.filter((r) => !r || r.status === 'pending').length;
        error = `${failed} of ${items.length} items failed${notRun > 0 ? `, ${notRun} not run` : ''}`;
      }
    } else if (status === 'failed') {
      const failed = [...run.records.values()].filter((r) => r.path.startsWith(`${path}/`) && (r.status === 'failed' || r.status === 'cancelled'));
      error = `failed: ${failed.map((r) => r.path).join(', ') || 'a branch did not finish'}`;
    }
    const completedSeq = status === 'succeeded' ? ++run.seq : record.completedSeq;
    commit(run, [{ ...record, status, outputs, error, finishedAt: now(), completedSeq }]);
    return status === 'failed' ? 'replan' : 'ok';
  }

  function cancelWaiting(run: ActiveRun, path: string, step: Step): void {
    const record = run.records.get(path);
    if (!record) return;
    clearTimer(run, path);
    const at = now();
    let approvalId: number | undefined;
    commit(run, [{ ...record, status: 'cancelled', error: 'cancelled: another step failed', finishedAt: at }], {
      also: () => {
        if (step.kind !== 'approval') return;
        const approval = store.workflowApprovals.latest(run.id, path);
        if (approval?.status === 'pending' && store.workflowApprovals.settle(approval.id, 'cancelled', at)) approvalId = approval.id;
      },
    });
    if (approvalId !== undefined) {
      const id = approvalId;
      emit('approvalDecided', () => events.approvalDecided(id));
    }
  }

  function finishRun(run: ActiveRun): void {
    commit(run, [], {
      run: { status: 'succeeded', error: null, finishedAt: now() },
      also: () => audit(run, 'workflow.run', 'ok', null, { status: 'succeeded' }),
    });
    detach(run);
    promote(run.workflow, run.concurrencyKey);
  }

  function failRun(run: ActiveRun, failedPath: string | undefined): void {
    const failed = failedPath === undefined ? undefined : run.records.get(failedPath);
    const error = failed ? `${failed.path}: ${failed.error ?? failed.status}` : 'the run failed';
    const units = undoOrder(run.index, run.records.values());
    if (units.length === 0) {
      commit(run, [], { run: { status: 'failed', error, finishedAt: now() }, also: () => audit(run, 'workflow.run', 'error', error, { status: 'failed' }) });
      detach(run);
      promote(run.workflow, run.concurrencyKey);
      return;
    }
    commit(
      run,
      units.map((u) => ({ ...u, undoStatus: 'pending' as const, undoError: null })),
      { run: { status: 'rolling_back', error }, also: () => audit(run, 'workflow.run', 'error', error, { status: 'rolling_back' }) },
    );
    pumpRollback(run);
  }

  // ---- actions ------------------------------------------------------------------------------

  /**
   * One execution of an action step (or item): inputs evaluated and parsed, the attempt recorded
   * as running with its idempotency key, then the action called. `recorded`: the attempt is
   * already in the database (an idempotent re-run after a crash keeps attempt and key).
   */
  function startAttempt(run: ActiveRun, path: string, step: ActionStep, attempt: number, recorded = false, also?: () => void): Applied {
    const base = run.records.get(path) ?? blank(path);
    const at = now();
    const key = `${run.id}:${path}:${attempt}`;
    const item = itemOf(run, path);
    const action = catalog.get(step.action) as ActionDefinition<unknown> | undefined;
    let input: unknown;
    try {
      if (!action) throw new UserError('workflow_unknown_action', `there is no action named ${step.action}`);
      input = action.parse(evaluateInputs(step.with, action.rawInputs, scopeFor(run, item)));
    } catch (err) {
      // Inputs come from the definition and recorded outputs: a retry would fail the same way.
      const error = errorMessage(err);
      return fail(run, { ...base, status: 'failed', attempt, idempotencyKey: key, startedAt: at, finishedAt: at, wakeAt: null, error, ...NO_PROCESS }, () => {
        also?.();
        audit(run, 'workflow.step', 'error', error, { step: path, attempt, key });
      });
    }
    if (!recorded) {
      commit(run, [{ ...base, status: 'running', attempt, idempotencyKey: key, outputs: null, error: null, startedAt: at, finishedAt: null, wakeAt: null, ...NO_PROCESS }], also ? { also } : {});
    }
    launch(run, path, { path, attempt, key, item }, action, input, step.timeoutMs, (outcome) => {
      if (outcome.ok) attemptSucceeded(run, path, step, attempt, outcome.result);
      else attemptFailed(run, path, step, attempt, outcome.error);
    });
    return 'ok';
  }

  function attemptSucceeded(run: ActiveRun, path: string, step: ActionStep, attempt: number, result: ActionResult): void {
    const record = run.records.get(path);
    if (record?.status !== 'running' || record.attempt !== attempt) return;
    const at = now();
    let outputs: Record<string, unknown> | null;
    try {
      outputs = evaluateOutputs(step.outputs, scopeFor(run, itemOf(run, path), result.result));
    } catch (err) {
      const error = `outputs: ${errorMessage(err)}`;
      fail(run, { ...record, status: 'failed', error, finishedAt: at, ...NO_PROCESS }, () => audit(run, 'workflow.step', 'error', error, { step: path, attempt, key: record.idempotencyKey }));
      pump(run);
      return;
    }
    commit(run, [{ ...record, status: 'succeeded', outputs, error: null, finishedAt: at, completedSeq: ++run.seq, ...NO_PROCESS }], {
      also: () => audit(run, 'workflow.step', 'ok', null, { step: path, attempt, key: record.idempotencyKey }),
    });
    if (result.log) {
      const text = result.log;
      emit('stepLog', () => events.stepLog(run.id, path, text));
    }
    pump(run);
  }

  function attemptFailed(run: ActiveRun, path: string, step: ActionStep, attempt: number, err: unknown): void {
    const record = run.records.get(path);
    if (record?.status !== 'running' || record.attempt !== attempt) return;
    const at = now();
    const error = errorMessage(err);
    const also = () => audit(run, 'workflow.step', 'error', error, { step: path, attempt, key: record.idempotencyKey });
    if (attempt < maxAttempts(step)) {
      const wakeAt = at + backoffAfter(step.retry, attempt);
      commit(run, [{ ...record, status: 'waiting', error, wakeAt, ...NO_PROCESS }], { also });
      armBackoff(run, path, wakeAt);
    } else {
      commit(run, [{ ...record, status: 'failed', error, finishedAt: at, ...NO_PROCESS }], { also });
    }
    pump(run);
  }

  function launch(run: ActiveRun, slot: string, unit: Unit, action: ActionDefinition<unknown>, input: unknown, timeoutMs: number | undefined, settle: (outcome: Outcome) => void): void {
    const controller = new AbortController();
    const entry: Inflight = { controller, done: Promise.resolve() };
    run.inflight.set(slot, entry);
    let finished = false;
    const finish = (outcome: Outcome) => {
      if (finished) return;
      finished = true;
      entry.cancelTimeout?.();
      if (run.inflight.get(slot) !== entry) {
        // Cancelled: the record says cancelled; the process it recorded has been told to stop.
        forgetProcess(run, unit.path);
        return;
      }
      run.inflight.delete(slot);
      if (!attached(run)) return;
      try {
        settle(outcome);
      } catch (err) {
        crashRun(run, err);
      }
    };
    if (timeoutMs !== undefined && timeoutMs > 0) {
      entry.cancelTimeout = clock.setTimer(() => {
        const reason = new OpsError('step_timeout', `timed out after ${formatDuration(timeoutMs)}`);
        controller.abort(reason);
        // An action that ignores its signal does not hold the run: the attempt has failed.
        finish({ ok: false, error: reason });
      }, timeoutMs);
    }
    let childLog: Logger | undefined;
    const ctx: ActionContext = {
      idempotencyKey: unit.key,
      runId: run.id,
      stepPath: unit.path,
      attempt: unit.attempt,
      signal: controller.signal,
      clock,
      get log() {
        childLog ??= log.child({ runId: run.id, step: unit.path, attempt: unit.attempt });
        return childLog;
      },
      dryRun: deps.dryRun,
      evaluate: (template, extraScope) => evaluateTemplate(template, scopeFor(run, unit.item), extraScope),
      recordProcess: (pid, info) => {
        const record = run.records.get(unit.path);
        if (run.inflight.get(slot) !== entry || !attached(run) || !record) return;
        commit(run, [{ ...record, pid, pidStartedAt: info?.startedAt ?? null, argv0: info?.argv0 ?? null }], { quiet: true });
      },
      progress: (line) => emit('stepLog', () => events.stepLog(run.id, unit.path, line)),
    };
    let running: Promise<ActionResult>;
    try {
      running = action.run(input, ctx);
    } catch (err) {
      running = Promise.reject(err);
    }
    entry.done = running.then(
      (result) => finish({ ok: true, result }),
      (error: unknown) => finish({ ok: false, error }),
    );
  }

  function forgetProcess(run: ActiveRun, path: string): void {
    const pid = run.records.get(path)?.pid;
    if (pid === null || pid === undefined || detached) return;
    try {
      store.workflowSteps.clearProcess(run.id, path, pid);
    } catch (err) {
      log.debug({ err, runId: run.id, path }, 'could not forget a finished process');
    }
  }

  function abortAll(run: ActiveRun, why: string): void {
    for (const entry of run.inflight.values()) {
      entry.cancelTimeout?.();
      entry.controller.abort(new OpsError('workflow_aborted', why));
    }
    run.inflight.clear();
  }

  // ---- timers -------------------------------------------------------------------------------

  function arm(run: ActiveRun, path: string, at: number, fire: () => void): void {
    clearTimer(run, path);
    if (stopping) return;
    const timer: Timer = { cancel: () => {} };
    timer.cancel = clock.setTimer(() => {
      if (run.timers.get(path) !== timer) return;
      run.timers.delete(path);
      if (!live(run)) return;
      try {
        fire();
      } catch (err) {
        crashRun(run, err);
      }
    }, Math.max(0, at - now()));
    run.timers.set(path, timer);
  }

  function clearTimer(run: ActiveRun, path: string): void {
    run.timers.get(path)?.cancel();
    run.timers.delete(path);
  }

  function armWait(run: ActiveRun, path: string, wakeAt: number): void {
    arm(run, path, wakeAt, () => {
      const record = run.records.get(path);
      if (record?.status !== 'waiting') return;
      commit(run, [{ ...record, status: 'succeeded', finishedAt: now(), completedSeq: ++run.seq }]);
      pump(run);
    });
  }

  function armBackoff(run: ActiveRun, path: string, wakeAt: number): void {
    arm(run, path, wakeAt, () => {
      const record = run.records.get(path);
      const step = stepAt(run.index, path)?.step;
      if (record?.status !== 'waiting' || step?.kind !== 'action') return;
      startAttempt(run, path, step, record.attempt + 1);
      pump(run);
    });
  }

  // ---- approvals ----------------------------------------------------------------------------

  function beginApproval(run: ActiveRun, path: string, step: ApprovalStep, base: WorkflowStep): Applied {
    const at = now();
    let message: string | null = null;
    try {
      if (step.message !== undefined) message = renderText(evaluateTemplate(step.message, scopeFor(run)));
    } catch (err) {
      return fail(run, { ...base, status: 'failed', startedAt: at, finishedAt: at, error: `message: ${errorMessage(err)}` });
    }
    const expiresAt = at + step.expiresMs;
    let approvalId = 0;
    commit(run, [{ ...base, status: 'waiting', attempt: base.attempt + 1, error: null, startedAt: at, finishedAt: null }], {
      also: () => {
        approvalId = store.workflowApprovals.create({ runId: run.id, path, approvers: step.approvers, min: step.min, message, expiresAt, createdAt: at });
      },
    });
    emit('approvalRequested', () => events.approvalRequested(approvalId));
    armExpiry(run, path, approvalId, expiresAt);
    return 'ok';
  }

  function armExpiry(run: ActiveRun, path: string, approvalId: number, expiresAt: number): void {
    arm(run, path, expiresAt, () => expire(run, path, approvalId));
  }

  function expire(run: ActiveRun, path: string, approvalId: number): void {
    const record = run.records.get(path);
    const approval = store.workflowApprovals.get(approvalId);
    if (record?.status !== 'waiting' || approval?.status !== 'pending') return;
    const at = now();
    const error = `the approval expired after ${formatDuration(approval.expiresAt - approval.createdAt)} without ${approval.min} approval${approval.min === 1 ? '' : 's'}`;
    commit(run, [{ ...record, status: 'failed', error, finishedAt: at }], {
      also: () => {
        store.workflowApprovals.settle(approvalId, 'expired', at);
        audit(run, 'workflow.approval', 'expired', error, { step: path, approval: approvalId }, 'system');
      },
    });
    emit('approvalDecided', () => events.approvalDecided(approvalId));
    pump(run);
  }

  type Eligible = { approvalId: number; run: ActiveRun; record: WorkflowStep };

  /** The rules that need no lookup elsewhere; checked before and again after isApprover. */
  function checkDecision(approvalId: number, userId: string, decision: 'approve' | 'reject'): Eligible | { why: string } {
    const approval = store.workflowApprovals.get(approvalId);
    if (!approval) return { why: `There is no approval ${approvalId}.` };
    if (approval.status !== 'pending') return { why: `This approval is already ${approval.status}; nothing changed.` };
    const run = active.get(approval.runId);
    const record = run?.records.get(approval.path);
    if (!run || !attached(run) || record?.status !== 'waiting') return { why: `Run ${approval.runId} is not waiting for this approval.` };
    if (decision === 'approve' && userId === run.requestedBy) {
      return { why: `You started ${run.id}, so you cannot approve it: someone else has to.` };
    }
    const previous = store.workflowApprovals.decisions(approval.id).find((d) => d.userId === userId);
    if (previous) {
      return { why: `You already ${previous.decision === 'approve' ? 'approved' : 'rejected'} this; your first decision stands.` };
    }
    return { approvalId: approval.id, run, record };
  }

  // ---- rollback -----------------------------------------------------------------------------

  /** Runs pending undos one at a time, most recently completed first, then settles the run. */
  function pumpRollback(run: ActiveRun): void {
    try {
      for (;;) {
        if (stopping || !attached(run) || run.status !== 'rolling_back') return;
        for (const slot of run.inflight.keys()) if (slot.startsWith(UNDO)) return;
        let next: WorkflowStep | undefined;
        for (const record of run.records.values()) {
          if (record.undoStatus === 'pending' && (!next || (record.completedSeq ?? 0) > (next.completedSeq ?? 0))) next = record;
        }
        if (!next) return finishRollback(run);
        if (startUndo(run, next) === 'started') return;
      }
    } catch (err) {
      crashRun(run, err);
    }
  }

  function startUndo(run: ActiveRun, record: WorkflowStep, recorded = false): 'started' | 'failed' {
    const undo = stepAt(run.index, record.path)?.step.undo;
    const step = stepAt(run.index, record.path)?.step;
    const attempt = recorded ? record.undoAttempt : record.undoAttempt + 1;
    const key = `${run.id}:${record.path}:undo:${attempt}`;
    const item = itemOf(run, record.path);
    const action = undo ? (catalog.get(undo.action) as ActionDefinition<unknown> | undefined) : undefined;
    let input: unknown;
    try {
      if (!undo || !action) throw new UserError('workflow_unknown_action', `there is no action named ${undo?.action ?? '(none)'}`);
      input = action.parse(evaluateInputs(undo.with, action.rawInputs, scopeFor(run, item)));
    } catch (err) {
      const error = errorMessage(err);
      commit(run, [{ ...record, undoStatus: 'failed', undoAttempt: attempt, undoError: error }], {
        also: () => audit(run, 'workflow.undo', 'error', error, { step: record.path, attempt, key }),
      });
      return 'failed';
    }
    if (!recorded) commit(run, [{ ...record, undoStatus: 'running', undoAttempt: attempt, undoError: null, ...NO_PROCESS }]);
    launch(run, UNDO + record.path, { path: record.path, attempt, key, item }, action, input, step?.timeoutMs, (outcome) => {
      const current = run.records.get(record.path);
      if (current?.undoStatus !== 'running') return;
      const error = outcome.ok ? null : errorMessage(outcome.error);
      commit(run, [{ ...current, undoStatus: outcome.ok ? 'succeeded' : 'failed', undoError: error, ...NO_PROCESS }], {
        also: () => audit(run, 'workflow.undo', outcome.ok ? 'ok' : 'error', error, { step: record.path, attempt, key }),
      });
      if (outcome.ok && outcome.result.log) {
        const text = outcome.result.log;
        emit('stepLog', () => events.stepLog(run.id, record.path, text));
      }
      pumpRollback(run);
    });
    return 'started';
  }

  function finishRollback(run: ActiveRun): void {
    const failed = [...run.records.values()].filter((r) => r.undoStatus === 'failed').map((r) => r.path);
    const at = now();
    if (failed.length > 0) {
      const error = `${run.error ? `${run.error}; ` : ''}undo failed for ${failed.join(', ')}`;
      commit(run, [], { run: { status: 'failed', error, finishedAt: at }, also: () => audit(run, 'workflow.run', 'error', error, { status: 'failed' }) });
    } else {
      commit(run, [], { run: { status: 'rolled_back', finishedAt: at }, also: () => audit(run, 'workflow.run', 'ok', null, { status: 'rolled_back' }) });
    }
    detach(run);
    promote(run.workflow, run.concurrencyKey);
  }

  // ---- concurrency --------------------------------------------------------------------------

  /** Starts the oldest run queued behind `key`, if nothing holds the key now. */
  function promote(workflow: string, key: string | null): void {
    if (key === null || stopping) return;
    if (store.workflowRuns.holder(workflow, key)) return;
    const next = store.workflowRuns.nextQueued(workflow, key);
    const row = next && store.workflowRuns.get(next.id);
    if (!row) return;
    const run = toActive(row, store.workflowSteps.forRun(row.id));
    active.set(run.id, run);
    commit(run, [], { run: { status: 'running' } });
    pump(run);
  }

  // ---- resume -------------------------------------------------------------------------------

  function reattach(run: ActiveRun, report: ResumeReport): void {
    const at = now();
    if (run.status === 'rolling_back') {
      for (const record of [...run.records.values()]) {
        if (record.undoStatus !== 'running') continue;
        const undo = stepAt(run.index, record.path)?.step.undo;
        if (undo && catalog.get(undo.action)?.idempotent) {
          startUndo(run, record, true);
        } else {
          commit(run, [{ ...record, undoStatus: 'failed', undoError: 'opsbot stopped while this undo ran; it may or may not have completed', ...NO_PROCESS }]);
        }
      }
      pumpRollback(run);
      return;
    }
    const expired: Array<{ path: string; approvalId: number }> = [];
    for (const record of [...run.records.values()]) {
      const located = stepAt(run.index, record.path);
      if (!located) continue;
      const { step } = located;
      if (record.status === 'running' && step.kind === 'action' && !run.containers.has(record.path)) {
        if (catalog.get(step.action)?.idempotent) {
          // Same attempt, same idempotency key: an effect that did apply is not applied again.
          if (record.pid !== null) commit(run, [{ ...record, ...NO_PROCESS }], { quiet: true });
          startAttempt(run, record.path, step, record.attempt, true);
        } else {
          const error = `step ${record.path} may or may not have completed: opsbot stopped while it was running (attempt ${record.attempt})`;
          commit(run, [{ ...record, status: 'interrupted', error, ...NO_PROCESS }], {
            also: () => audit(run, 'workflow.step', 'interrupted', error, { step: record.path, attempt: record.attempt, key: record.idempotencyKey }, 'system'),
          });
          report.interrupted.push({ runId: run.id, path: record.path });
        }
      } else if (record.status === 'waiting') {
        const wakeAt = record.wakeAt ?? at;
        if (step.kind === 'wait') armWait(run, record.path, wakeAt);
        else if (step.kind === 'action') armBackoff(run, record.path, wakeAt);
        else if (step.kind === 'approval') {
          const approval = store.workflowApprovals.latest(run.id, record.path);
          if (approval?.status !== 'pending') continue;
          if (approval.expiresAt <= at) expired.push({ path: record.path, approvalId: approval.id });
          else armExpiry(run, record.path, approval.id, approval.expiresAt);
        }
      }
    }
    for (const { path, approvalId } of expired) expire(run, path, approvalId);
    pump(run);
  }

  // ---- commands -----------------------------------------------------------------------------

  function requireRun(runId: string): WorkflowRun {
    const id = /^\d+$/.test(runId) ? `wf-${runId}` : runId;
    const row = store.workflowRuns.get(id);
    if (!row) throw new UserError('workflow_run_unknown', `There is no workflow run ${runId}.`, 'See `workflow history` for recent runs.');
    return row;
  }

  function busy(workflow: string, key: string, holder: WorkflowRunSummary): UserError {
    return new UserError(
      'workflow_busy',
      `${workflow} is already running for ${key}: ${holder.id}, started by <@${holder.requestedBy}>.`,
      `Wait for ${holder.id} to finish, or cancel it first.`,
    );
  }

  function ensureRunning(): void {
    if (stopping) throw new OpsError('engine_stopped', 'The workflow engine is stopping; try again once opsbot is back.');
  }

  const engine: WorkflowEngine = {
    async start(name, rawParams, requester, trigger, options = {}) {
      ensureRunning();
      const replayed = options.requestKey ? store.workflowRuns.byRequest(options.requestKey) : undefined;
      if (replayed) return { runId: replayed.id, status: replayed.status === 'queued' ? 'queued' : 'running', replayed: true };
      const definitions = deps.definitions();
      const definition = definitions.get(name);
      if (!definition) {
        throw new UserError('workflow_unknown', `There is no workflow named ${name}.`, `Workflows: ${[...definitions.keys()].sort().join(', ') || 'none'}.`);
      }
      const parsed = paramsSchema(definition).safeParse(rawParams);
      if (!parsed.success) {
        throw new UserError('workflow_params_invalid', `${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      }
      const params = parsed.data;
      let key: string | null = null;
      if (definition.concurrency) {
        const scope: Scope = { params, steps: {}, run: { id: '', requestedBy: requester.userId, workflow: name } };
        key = renderText(evaluateTemplate(definition.concurrency.key, scope));
      }
      const at = now();
      const { runId, status } = store.transaction(() => {
        let status: 'running' | 'queued' = 'running';
        if (key !== null) {
          const holder = store.workflowRuns.holder(name, key);
          if (holder && definition.concurrency?.mode === 'refuse') throw busy(name, key, holder);
          if (holder) status = 'queued';
        }
        const runId = store.workflowRuns.create({
          workflow: name,
          definition,
          params,
          status,
          requestedBy: requester.userId,
          channel: requester.channel,
          threadTs: requester.threadTs ?? null,
          trigger,
          concurrencyKey: key,
          requestKey: options.requestKey ?? null,
          createdAt: at,
        });
        audit({ id: runId, workflow: name, requestedBy: requester.userId, channel: requester.channel }, 'workflow.run', status === 'queued' ? 'queued' : 'started', null, { trigger });
        return { runId, status };
      });
      emit('runChanged', () => events.runChanged(runId));
      if (status === 'running') {
        const row: WorkflowRun = {
          id: runId,
          workflow: name,
          definition,
          params,
          status,
          requestedBy: requester.userId,
          channel: requester.channel,
          threadTs: requester.threadTs ?? null,
          trigger,
          concurrencyKey: key,
          error: null,
          createdAt: at,
          updatedAt: at,
          finishedAt: null,
        };
        const run = toActive(row, []);
        active.set(runId, run);
        pump(run);
      }
      return { runId, status };
    },

    async decide(approvalId, userId, decision, reason) {
      const first = checkDecision(approvalId, userId, decision);
      if ('why' in first) return { changed: false, why: first.why };
      const approval = store.workflowApprovals.get(first.approvalId);
      if (!approval) return { changed: false, why: `There is no approval ${approvalId}.` };
      if (!(await deps.isApprover(userId, approval.approvers))) {
        return { changed: false, why: `You are not one of the approvers of this step (${describeApprovers(approval.approvers)}).` };
      }
      // The world may have moved while the approver set was looked up.
      const checked = checkDecision(approvalId, userId, decision);
      if ('why' in checked) return { changed: false, why: checked.why };
      const { run, record } = checked;
      const at = now();
      const earlier = store.workflowApprovals.decisions(approval.id);
      const approvedBy = [...earlier.filter((d) => d.decision === 'approve').map((d) => d.userId), ...(decision === 'approve' ? [userId] : [])];
      const status: ApprovalStatus = decision === 'reject' ? 'rejected' : approvedBy.length >= approval.min ? 'approved' : 'pending';
      const changes: WorkflowStep[] = [];
      if (status === 'rejected') {
        changes.push({ ...record, status: 'failed', error: `rejected by <@${userId}>${reason ? `: ${reason}` : ''}`, finishedAt: at });
      } else if (status === 'approved') {
        const step = stepAt(run.index, record.path)?.step;
        let outputs: Record<string, unknown> = { approvedBy };
        try {
          outputs = evaluateOutputs(step?.outputs, scopeFor(run, undefined, { approvedBy })) ?? outputs;
        } catch (err) {
          log.warn({ err, runId: run.id, step: record.path }, 'approval outputs could not be evaluated');
        }
        changes.push({ ...record, status: 'succeeded', outputs, error: null, finishedAt: at, completedSeq: ++run.seq });
      }
      commit(run, changes, {
        quiet: changes.length === 0,
        also: () => {
          store.workflowApprovals.addDecision({ approvalId: approval.id, userId, decision, reason: reason ?? null, at });
          if (status !== 'pending') store.workflowApprovals.settle(approval.id, status, at);
          audit(run, 'workflow.approval', decision === 'approve' ? 'approved' : 'rejected', reason ?? null, { step: record.path, approval: approval.id, status }, userId);
        },
      });
      emit('approvalDecided', () => events.approvalDecided(approval.id));
      if (status !== 'pending') {
        clearTimer(run, record.path);
        pump(run);
      }
      return { changed: true, status, approvals: approvedBy.length, min: approval.min };
    },

    async cancel(runId, by) {
      const row = requireRun(runId);
      if (FINISHED.has(row.status)) throw new UserError('workflow_run_finished', `${row.id} has already finished (${row.status}); there is nothing to cancel.`);
      const at = now();
      const error = `cancelled by <@${by}>`;
      const run = active.get(row.id);
      if (!run) {
        store.transaction(() => {
          store.workflowRuns.setStatus(row.id, { status: 'cancelled', at, error, finishedAt: at });
          audit(row, 'workflow.cancel', 'ok', null, {}, by);
        });
        emit('runChanged', () => events.runChanged(row.id));
        promote(row.workflow, row.concurrencyKey);
        return;
      }
      const changes: WorkflowStep[] = [];
      for (const record of run.records.values()) {
        const stops = record.status === 'running' || record.status === 'waiting' || record.status === 'interrupted';
        const undo = record.undoStatus === 'running' ? 'failed' : record.undoStatus === 'pending' ? null : record.undoStatus;
        if (!stops && undo === record.undoStatus) continue;
        changes.push({
          ...record,
          ...(stops ? { status: 'cancelled' as const, error: record.error ?? error, finishedAt: at } : {}),
          undoStatus: undo,
          undoError: record.undoStatus === 'running' ? error : record.undoError,
        });
      }
      const cancelled: number[] = [];
      commit(run, changes, {
        run: { status: 'cancelled', error, finishedAt: at },
        also: () => {
          for (const approval of store.workflowApprovals.forRun(run.id)) {
            if (approval.status === 'pending' && store.workflowApprovals.settle(approval.id, 'cancelled', at)) cancelled.push(approval.id);
          }
          audit(run, 'workflow.cancel', 'ok', null, {}, by);
        },
      });
      // Committed first: should opsbot die right here, start-up still finds the recorded processes.
      abortAll(run, error);
      detach(run);
      for (const id of cancelled) emit('approvalDecided', () => events.approvalDecided(id));
      promote(run.workflow, run.concurrencyKey);
    },

    async retry(runId, options, by) {
      ensureRunning();
      const row = requireRun(runId);
      if (!RETRYABLE.has(row.status)) {
        throw new UserError(
          'workflow_not_retryable',
          `${row.id} is ${row.status}; only a failed, cancelled or rolled-back run can be retried.`,
          row.status === 'paused' ? 'A paused run waits for a decision on its interrupted step: retry, mark done or abort it.' : undefined,
        );
      }
      const records = store.workflowSteps.forRun(row.id);
      const top = row.definition.steps;
      const undone = (id: string) => records.some((r) => topLevelId(r.path) === id && r.undoStatus === 'succeeded');
      const passed = (step: Step) => {
        const record = records.find((r) => r.path === step.id);
        return record !== undefined && (record.status === 'succeeded' || record.status === 'skipped' || (record.status === 'failed' && step.continueOnError));
      };
      let from: number;
      if (options.from !== undefined) {
        const id = topLevelId(options.from);
        from = top.findIndex((s) => s.id === id);
        if (from === -1) {
          throw new UserError('workflow_step_unknown', `${row.workflow} has no step ${options.from}.`, `Steps: ${top.map((s) => s.id).join(', ')}.`);
        }
        const rolledBack = top.slice(0, from).find((s) => undone(s.id));
        if (rolledBack) throw new UserError('workflow_retry_after_undo', `${rolledBack.id} was rolled back, so ${row.id} must run again from ${rolledBack.id} or earlier.`);
      } else {
        from = top.findIndex((s) => !passed(s) || undone(s.id));
        if (from === -1) throw new UserError('workflow_nothing_to_retry', `Every step of ${row.id} succeeded; there is nothing to retry.`);
      }
      const again = new Set(top.slice(from).map((s) => s.id));
      // Attempt counters survive the reset: the next attempt gets a key never handed out before.
      const resets = records
        .filter((r) => again.has(topLevelId(r.path)))
        .map((r) => ({ ...blank(r.path), attempt: r.attempt, undoAttempt: r.undoAttempt }));
      const key = row.concurrencyKey;
      const holder = key === null ? undefined : store.workflowRuns.holder(row.workflow, key);
      if (holder && key !== null && row.definition.concurrency?.mode === 'refuse') throw busy(row.workflow, key, holder);
      const status = holder ? 'queued' : 'running';
      const at = now();
      store.transaction(() => {
        for (const reset of resets) store.workflowSteps.put(row.id, reset);
        store.workflowRuns.setStatus(row.id, { status, at, error: null, finishedAt: null });
        audit(row, 'workflow.retry', 'ok', null, { from: top[from]?.id }, by);
      });
      emit('runChanged', () => events.runChanged(row.id));
      if (status === 'running') {
        const run = toActive({ ...row, status, error: null }, store.workflowSteps.forRun(row.id));
        active.set(run.id, run);
        pump(run);
      }
    },

    async rollback(runId, by) {
      ensureRunning();
      const row = requireRun(runId);
      if (row.status === 'rolled_back') throw new UserError('workflow_rolled_back', `${row.id} has already been rolled back.`);
      if (!ROLLBACKABLE.has(row.status)) {
        throw new UserError('workflow_not_finished', `${row.id} is ${row.status.replace('_', ' ')}; only a finished run can be rolled back.`, 'Cancel it first, then roll it back.');
      }
      const key = row.concurrencyKey;
      const holder = key === null ? undefined : store.workflowRuns.holder(row.workflow, key);
      if (holder && key !== null) throw busy(row.workflow, key, holder);
      const run = toActive(row, store.workflowSteps.forRun(row.id));
      const units = undoOrder(run.index, run.records.values());
      if (units.length === 0) throw new UserError('workflow_nothing_to_undo', `${row.id} has no completed steps with an undo to run.`);
      active.set(run.id, run);
      commit(
        run,
        units.map((u) => ({ ...u, undoStatus: 'pending' as const, undoError: null })),
        { run: { status: 'rolling_back', finishedAt: null }, also: () => audit(run, 'workflow.rollback', 'ok', null, {}, by) },
      );
      pumpRollback(run);
    },

    async resolveInterrupted(runId, path, resolution, by) {
      ensureRunning();
      const row = requireRun(runId);
      const run = active.get(row.id);
      const record = run?.records.get(path);
      const step = run && stepAt(run.index, path)?.step;
      if (!run || record?.status !== 'interrupted' || step?.kind !== 'action') {
        throw new UserError('workflow_not_interrupted', `Step ${path} of ${row.id} is not waiting for a decision.`);
      }
      const at = now();
      const also = () => audit(run, 'workflow.resolve', resolution, null, { step: path, attempt: record.attempt }, by);
      switch (resolution) {
        case 'retry':
          startAttempt(run, path, step, record.attempt + 1, false, also);
          break;
        case 'mark-done':
          commit(run, [{ ...record, status: 'succeeded', error: null, outputs: record.outputs ?? (step.outputs ? {} : null), finishedAt: at, completedSeq: ++run.seq }], { also });
          break;
        case 'abort':
          commit(run, [{ ...record, status: 'cancelled', error: `aborted by <@${by}>: it may or may not have completed`, finishedAt: at }], { also });
          break;
      }
      pump(run);
    },

    async resume() {
      const report: ResumeReport = { runs: [], interrupted: [] };
      const rows = store.workflowRuns.unfinished();
      const runs = rows.filter((r) => r.status !== 'queued' && !active.has(r.id)).map((r) => toActive(r, store.workflowSteps.forRun(r.id)));

      // Before anything runs again: what a crashed opsbot left running must not run beside it.
      const recorded = store.workflowSteps.withProcess();
      if (recorded.length > 0) {
        try {
          const killed = await deps.killOrphans(recorded.map((p) => ({ pid: p.pid, startedAt: p.pidStartedAt ?? 0, argv0: p.argv0 ?? '' })));
          log.info({ recorded: recorded.length, killed: Array.isArray(killed) ? killed.length : undefined }, 'checked step processes left by the previous run of opsbot');
        } catch (err) {
          log.error({ err }, 'killing orphaned step processes failed');
        }
        const resuming = new Set(runs.map((r) => r.id));
        store.transaction(() => {
          for (const p of recorded) if (!resuming.has(p.runId)) store.workflowSteps.clearProcess(p.runId, p.path, p.pid);
        });
      }
      if (stopping) return report;

      for (const run of runs) {
        if (active.has(run.id)) continue;
        active.set(run.id, run);
        report.runs.push(run.id);
        try {
          reattach(run, report);
        } catch (err) {
          crashRun(run, err);
        }
      }
      const keys = new Map<string, { workflow: string; key: string }>();
      for (const row of rows) if (row.status === 'queued' && row.concurrencyKey !== null) keys.set(`${row.workflow}\0${row.concurrencyKey}`, { workflow: row.workflow, key: row.concurrencyKey });
      for (const { workflow, key } of keys.values()) {
        promote(workflow, key);
        const holder = store.workflowRuns.holder(workflow, key);
        if (holder && !report.runs.includes(holder.id)) report.runs.push(holder.id);
      }
      log.info({ runs: report.runs.length, interrupted: report.interrupted.length }, 'workflow runs resumed');
      return report;
    },

    get(runId) {
      const id = /^\d+$/.test(runId) ? `wf-${runId}` : runId;
      const row = store.workflowRuns.get(id);
      if (!row) return undefined;
      return buildRunView(row, store.workflowSteps.forRun(id), store.workflowApprovals.forRun(id), store.workflowApprovals.decisionsForRun(id));
    },

    list: (options) => store.workflowRuns.list(options),

    activeRuns: () => active.size,

    async stop(options = {}) {
      if (stopping) return;
      stopping = true;
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
      detached = true;
      for (const run of active.values()) abortAll(run, 'opsbot is stopping');
      active.clear();
    },
  };
  return engine;
}

const NO_PROCESS = { pid: null, pidStartedAt: null, argv0: null } as const;

function blank(path: string): WorkflowStep {
  return {
    path,
    status: 'pending',
    attempt: 0,
    idempotencyKey: null,
    outputs: null,
    items: null,
    error: null,
    startedAt: null,
    finishedAt: null,
    wakeAt: null,
    completedSeq: null,
    ...NO_PROCESS,
    undoStatus: null,
    undoAttempt: 0,
    undoError: null,
  };
}

function count(counts: Counts, status: WorkflowStepStatus | undefined, delta: number): void {
  if (status === 'running' || status === 'waiting' || status === 'interrupted') counts[status] += delta;
}

/** A person is needed > something runs > only timers and approvals are pending. */
function liveStatus(counts: Counts): WorkflowRunStatus {
  if (counts.interrupted > 0) return 'paused';
  if (counts.running > 0) return 'running';
  if (counts.waiting > 0) return 'waiting';
  return 'running';
}

/** `with:`, evaluated except the keys the action evaluates itself. */
function evaluateInputs(inputs: Record<string, Templated>, raw: readonly string[] | undefined, scope: Scope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    if (raw?.includes(key)) {
      out[key] = value;
      continue;
    }
    try {
      out[key] = evaluateTemplate(value, scope);
    } catch (err) {
      throw new UserError('expression_failed', `with.${key}: ${errorMessage(err)}`, undefined, { cause: err });
    }
  }
  return out;
}

function evaluateOutputs(outputs: Record<string, string> | undefined, scope: Scope): Record<string, unknown> | null {
  if (!outputs) return null;
  const out: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(outputs)) {
    try {
      out[name] = evaluateTemplate(template, scope);
    } catch (err) {
      throw new UserError('expression_failed', `${name}: ${errorMessage(err)}`, undefined, { cause: err });
    }
  }
  return out;
}

function renderText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

function describeApprovers(approvers: ApprovalStep['approvers']): string {
  const parts = [
    ...approvers.users.map((u) => `<@${u}>`),
    ...approvers.groups.map((g) => `<!subteam^${g}>`),
    ...approvers.roles.map((r) => `role ${r}`),
  ];
  return parts.length > 0 ? parts.join(', ') : 'nobody';
}
