import { OpsError, UserError, errorMessage } from '../errors.ts';
import type { WorkflowStep } from '../store/types.ts';
import { type ActiveRun, FINISHED, blank, scopeFor, toActive } from './active-run.ts';
import { beginApproval } from './approval-gate.ts';
import type { ActionStep, Step } from './definition.ts';
import { type EngineContext, attached, emit, live } from './engine-context.ts';
import { evaluateCondition, evaluateTemplate } from './expressions.ts';
import { type Decision, plan, undoOrder } from './plan.ts';
import { audit, commit, detach } from './run-records.ts';
import { abortAll, startAttempt } from './step-executor.ts';
import { isForEach, itemPath } from './step-path.ts';
import { armWait, clearTimer } from './step-timers.ts';
import { describeValue } from './step-values.ts';
import { pumpRollback } from './undo-runner.ts';

/** A run whose planning does not settle in this many rounds has a bug, not more work. */
const MAX_ROUNDS = 100_000;

export type Applied = 'ok' | 'replan';

/** Applies what plan.ts decides until the run waits on something asynchronous or finishes. */
export function pump(ctx: EngineContext, run: ActiveRun): void {
  if (run.pumping) {
    run.again = true;
    return;
  }
  run.pumping = true;
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      run.again = false;
      if (!live(ctx, run)) return;
      const next = plan(run.definition.steps, run.records);
      let applied = 0;
      for (const decision of next.decisions) {
        applied++;
        // A blocking failure changes what may begin: plan again before the next decision.
        if (apply(ctx, run, decision) === 'replan' || !live(ctx, run)) break;
      }
      if (applied > 0 || run.again) continue;
      if (next.outcome === 'succeeded') finishRun(ctx, run);
      else if (next.outcome === 'failed') failRun(ctx, run, next.failedPath);
      return;
    }
    throw new OpsError('workflow_engine_loop', `run ${run.id} did not settle after ${MAX_ROUNDS} planning rounds`);
  } catch (err) {
    crashRun(ctx, run, err);
  } finally {
    run.pumping = false;
  }
}

/** A bug or a broken database: the run must not hang in memory looking alive. */
export function crashRun(ctx: EngineContext, run: ActiveRun, err: unknown): void {
  ctx.log.error({ err, runId: run.id }, 'workflow run could not advance');
  try {
    if (attached(ctx, run) && !FINISHED.has(run.status)) {
      commit(ctx, run, [], { run: { status: 'failed', error: `internal error: ${errorMessage(err)}`, finishedAt: ctx.now() } });
      abortAll(run, 'the run failed');
      detach(ctx, run);
    }
  } catch (again) {
    ctx.log.error({ err: again, runId: run.id }, 'could not record the failure of a workflow run');
  }
}

export function apply(ctx: EngineContext, run: ActiveRun, decision: Decision): Applied {
  switch (decision.kind) {
    case 'begin':
      return begin(ctx, run, decision.path, decision.step);
    case 'begin-item':
      return startAttempt(ctx, run, decision.path, decision.step as ActionStep, (run.records.get(decision.path)?.attempt ?? 0) + 1);
    case 'finish':
      return finishContainer(ctx, run, decision.path, decision.step, decision.status);
    case 'cancel':
      cancelWaiting(ctx, run, decision.path, decision.step);
      return 'ok';
  }
}

export function begin(ctx: EngineContext, run: ActiveRun, path: string, step: Step): Applied {
  const base = run.records.get(path) ?? blank(path);
  const at = ctx.now();
  if (step.when !== undefined) {
    let go: boolean;
    try {
      go = evaluateCondition(step.when, scopeFor(run));
    } catch (err) {
      return fail(ctx, run, { ...base, status: 'failed', startedAt: at, finishedAt: at, error: `when: ${errorMessage(err)}` });
    }
    if (!go) {
      commit(ctx, run, [{ ...base, status: 'skipped', startedAt: null, finishedAt: at }]);
      return 'ok';
    }
  }
  switch (step.kind) {
    case 'action': {
      if (!step.forEach) return startAttempt(ctx, run, path, step, base.attempt + 1);
      let items: unknown;
      try {
        items = evaluateTemplate(step.forEach.items, scopeFor(run));
        if (!Array.isArray(items)) throw new UserError('workflow_for_each_not_list', `it gave ${describeValue(items)}, not a list`);
      } catch (err) {
        return fail(ctx, run, { ...base, status: 'failed', startedAt: at, finishedAt: at, error: `for_each: ${errorMessage(err)}` });
      }
      commit(ctx, run, [{ ...base, status: 'running', attempt: base.attempt + 1, items, startedAt: at }]);
      return 'ok';
    }
    case 'parallel':
      commit(ctx, run, [{ ...base, status: 'running', attempt: base.attempt + 1, startedAt: at }]);
      return 'ok';
    case 'wait': {
      const wakeAt = at + step.durationMs;
      commit(ctx, run, [{ ...base, status: 'waiting', attempt: base.attempt + 1, startedAt: at, wakeAt }]);
      armWait(ctx, run, path, wakeAt);
      return 'ok';
    }
    case 'approval':
      return beginApproval(ctx, run, path, step, base);
  }
}

export function fail(ctx: EngineContext, run: ActiveRun, record: WorkflowStep, also?: () => void): Applied {
  commit(ctx, run, [record], also ? { also } : {});
  return 'replan';
}

export function finishContainer(ctx: EngineContext, run: ActiveRun, path: string, step: Step, status: 'succeeded' | 'failed'): Applied {
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
  commit(ctx, run, [{ ...record, status, outputs, error, finishedAt: ctx.now(), completedSeq }]);
  return status === 'failed' ? 'replan' : 'ok';
}

export function cancelWaiting(ctx: EngineContext, run: ActiveRun, path: string, step: Step): void {
  const record = run.records.get(path);
  if (!record) return;
  clearTimer(run, path);
  const at = ctx.now();
  let approvalId: number | undefined;
  commit(ctx, run, [{ ...record, status: 'cancelled', error: 'cancelled: another step failed', finishedAt: at }], {
    also: () => {
      if (step.kind !== 'approval') return;
      const approval = ctx.store.workflowApprovals.latest(run.id, path);
      if (approval?.status === 'pending' && ctx.store.workflowApprovals.settle(approval.id, 'cancelled', at)) approvalId = approval.id;
    },
  });
  if (approvalId !== undefined) {
    const id = approvalId;
    emit(ctx, 'approvalDecided', () => ctx.events.approvalDecided(id));
  }
}

export function finishRun(ctx: EngineContext, run: ActiveRun): void {
  commit(ctx, run, [], {
    run: { status: 'succeeded', error: null, finishedAt: ctx.now() },
    also: () => audit(ctx, run, 'workflow.run', 'ok', null, { status: 'succeeded' }),
  });
  detach(ctx, run);
  promote(ctx, run.workflow, run.concurrencyKey);
}

export function failRun(ctx: EngineContext, run: ActiveRun, failedPath: string | undefined): void {
  const failed = failedPath === undefined ? undefined : run.records.get(failedPath);
  const error = failed ? `${failed.path}: ${failed.error ?? failed.status}` : 'the run failed';
  const units = undoOrder(run.index, run.records.values());
  if (units.length === 0) {
    commit(ctx, run, [], { run: { status: 'failed', error, finishedAt: ctx.now() }, also: () => audit(ctx, run, 'workflow.run', 'error', error, { status: 'failed' }) });
    detach(ctx, run);
    promote(ctx, run.workflow, run.concurrencyKey);
    return;
  }
  commit(
    ctx,
    run,
    units.map((u) => ({ ...u, undoStatus: 'pending' as const, undoError: null })),
    { run: { status: 'rolling_back', error }, also: () => audit(ctx, run, 'workflow.run', 'error', error, { status: 'rolling_back' }) },
  );
  pumpRollback(ctx, run);
}

/** Starts the oldest run queued behind `key`, if nothing holds the key now. */
export function promote(ctx: EngineContext, workflow: string, key: string | null): void {
  if (key === null || ctx.stopping) return;
  if (ctx.store.workflowRuns.holder(workflow, key)) return;
  const next = ctx.store.workflowRuns.nextQueued(workflow, key);
  const row = next && ctx.store.workflowRuns.get(next.id);
  if (!row) return;
  const run = toActive(row, ctx.store.workflowSteps.forRun(row.id));
  ctx.active.set(run.id, run);
  commit(ctx, run, [], { run: { status: 'running' } });
  pump(ctx, run);
}
