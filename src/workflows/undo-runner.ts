import { UserError, errorMessage } from '../errors.ts';
import type { WorkflowStep } from '../store/types.ts';
import type { ActionDefinition } from './action.ts';
import { type ActiveRun, NO_PROCESS, itemOf, scopeFor } from './active-run.ts';
import { type EngineContext, attached, emit } from './engine-context.ts';
import { crashRun, promote } from './run-loop.ts';
import { audit, commit, detach } from './run-records.ts';
import { launch } from './step-executor.ts';
import { stepAt } from './step-path.ts';
import { evaluateInputs } from './step-values.ts';

/** In-flight slot of an undo, beside the step's own. */
const UNDO = 'undo:';

/** Runs pending undos one at a time, most recently completed first, then settles the run. */
export function pumpRollback(ctx: EngineContext, run: ActiveRun): void {
  try {
    for (;;) {
      if (ctx.stopping || !attached(ctx, run) || run.status !== 'rolling_back') return;
      for (const slot of run.inflight.keys()) if (slot.startsWith(UNDO)) return;
      let next: WorkflowStep | undefined;
      for (const record of run.records.values()) {
        if (record.undoStatus === 'pending' && (!next || (record.completedSeq ?? 0) > (next.completedSeq ?? 0))) next = record;
      }
      if (!next) return finishRollback(ctx, run);
      if (startUndo(ctx, run, next) === 'started') return;
    }
  } catch (err) {
    crashRun(ctx, run, err);
  }
}

export function startUndo(ctx: EngineContext, run: ActiveRun, record: WorkflowStep, recorded = false): 'started' | 'failed' {
  const undo = stepAt(run.index, record.path)?.step.undo;
  const step = stepAt(run.index, record.path)?.step;
  const attempt = recorded ? record.undoAttempt : record.undoAttempt + 1;
  const key = `${run.id}:${record.path}:undo:${attempt}`;
  const item = itemOf(run, record.path);
  const action = undo ? (ctx.catalog.get(undo.action) as ActionDefinition<unknown> | undefined) : undefined;
  let input: unknown;
  try {
    if (!undo || !action) throw new UserError('workflow_unknown_action', `there is no action named ${undo?.action ?? '(none)'}`);
    input = action.parse(evaluateInputs(undo.with, action.rawInputs, scopeFor(run, item)));
  } catch (err) {
    const error = errorMessage(err);
    commit(ctx, run, [{ ...record, undoStatus: 'failed', undoAttempt: attempt, undoError: error }], {
      also: () => audit(ctx, run, 'workflow.undo', 'error', error, { step: record.path, attempt, key }),
    });
    return 'failed';
  }
  if (!recorded) commit(ctx, run, [{ ...record, undoStatus: 'running', undoAttempt: attempt, undoError: null, ...NO_PROCESS }]);
  launch(ctx, run, UNDO + record.path, { path: record.path, attempt, key, item }, action, input, step?.timeoutMs, (outcome) => {
    const current = run.records.get(record.path);
    if (current?.undoStatus !== 'running') return;
    const error = outcome.ok ? null : errorMessage(outcome.error);
    commit(ctx, run, [{ ...current, undoStatus: outcome.ok ? 'succeeded' : 'failed', undoError: error, ...NO_PROCESS }], {
      also: () => audit(ctx, run, 'workflow.undo', outcome.ok ? 'ok' : 'error', error, { step: record.path, attempt, key }),
    });
    if (outcome.ok && outcome.result.log) {
      const text = outcome.result.log;
      emit(ctx, 'stepLog', () => ctx.events.stepLog(run.id, record.path, text));
    }
    pumpRollback(ctx, run);
  });
  return 'started';
}

export function finishRollback(ctx: EngineContext, run: ActiveRun): void {
  const failed = [...run.records.values()].filter((r) => r.undoStatus === 'failed').map((r) => r.path);
  const at = ctx.now();
  if (failed.length > 0) {
    const error = `${run.error ? `${run.error}; ` : ''}undo failed for ${failed.join(', ')}`;
    commit(ctx, run, [], { run: { status: 'failed', error, finishedAt: at }, also: () => audit(ctx, run, 'workflow.run', 'error', error, { status: 'failed' }) });
  } else {
    commit(ctx, run, [], { run: { status: 'rolled_back', finishedAt: at }, also: () => audit(ctx, run, 'workflow.run', 'ok', null, { status: 'rolled_back' }) });
  }
  detach(ctx, run);
  promote(ctx, run.workflow, run.concurrencyKey);
}
