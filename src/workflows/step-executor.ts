import type { Logger } from 'pino';
import { formatDuration } from '../duration.ts';
import { OpsError, UserError, errorMessage } from '../errors.ts';
import type { ActionContext, ActionDefinition, ActionResult } from './action.ts';
import { type ActiveRun, type Inflight, NO_PROCESS, blank, itemOf, scopeFor } from './active-run.ts';
import type { ActionStep } from './definition.ts';
import { type EngineContext, attached, emit } from './engine-context.ts';
import { evaluateTemplate } from './expressions.ts';
import { backoffAfter, maxAttempts } from './retry-policy.ts';
import { type Applied, crashRun, fail, pump } from './run-loop.ts';
import { audit, commit, forgetProcess } from './run-records.ts';
import { armBackoff } from './step-timers.ts';
import { evaluateInputs, evaluateOutputs } from './step-values.ts';

/** Runs action steps: one attempt at a time, with its timeout, retries after a backoff, and abort. */

export type Outcome = { ok: true; result: ActionResult } | { ok: false; error: unknown };

export interface Unit {
  path: string;
  attempt: number;
  key: string;
  item: { value: unknown } | undefined;
}

/**
 * One execution of an action step (or item): inputs evaluated and parsed, the attempt recorded
 * as running with its idempotency key, then the action called. `recorded`: the attempt is
 * already in the database (an idempotent re-run after a crash keeps attempt and key).
 */
export function startAttempt(ctx: EngineContext, run: ActiveRun, path: string, step: ActionStep, attempt: number, recorded = false, also?: () => void): Applied {
  const base = run.records.get(path) ?? blank(path);
  const at = ctx.now();
  const key = `${run.id}:${path}:${attempt}`;
  const item = itemOf(run, path);
  const action = ctx.catalog.get(step.action) as ActionDefinition<unknown> | undefined;
  let input: unknown;
  try {
    if (!action) throw new UserError('workflow_unknown_action', `there is no action named ${step.action}`);
    input = action.parse(evaluateInputs(step.with, action.rawInputs, scopeFor(run, item)));
  } catch (err) {
    // Inputs come from the definition and recorded outputs: a retry would fail the same way.
    const error = errorMessage(err);
    return fail(ctx, run, { ...base, status: 'failed', attempt, idempotencyKey: key, startedAt: at, finishedAt: at, wakeAt: null, error, ...NO_PROCESS }, () => {
      also?.();
      audit(ctx, run, 'workflow.step', 'error', error, { step: path, attempt, key });
    });
  }
  if (!recorded) {
    commit(ctx, run, [{ ...base, status: 'running', attempt, idempotencyKey: key, outputs: null, error: null, startedAt: at, finishedAt: null, wakeAt: null, ...NO_PROCESS }], also ? { also } : {});
  }
  launch(ctx, run, path, { path, attempt, key, item }, action, input, step.timeoutMs, (outcome) => {
    if (outcome.ok) attemptSucceeded(ctx, run, path, step, attempt, outcome.result);
    else attemptFailed(ctx, run, path, step, attempt, outcome.error);
  });
  return 'ok';
}

export function attemptSucceeded(ctx: EngineContext, run: ActiveRun, path: string, step: ActionStep, attempt: number, result: ActionResult): void {
  const record = run.records.get(path);
  if (record?.status !== 'running' || record.attempt !== attempt) return;
  const at = ctx.now();
  let outputs: Record<string, unknown> | null;
  try {
    outputs = evaluateOutputs(step.outputs, scopeFor(run, itemOf(run, path), result.result));
  } catch (err) {
    const error = `outputs: ${errorMessage(err)}`;
    fail(ctx, run, { ...record, status: 'failed', error, finishedAt: at, ...NO_PROCESS }, () => audit(ctx, run, 'workflow.step', 'error', error, { step: path, attempt, key: record.idempotencyKey }));
    pump(ctx, run);
    return;
  }
  commit(ctx, run, [{ ...record, status: 'succeeded', outputs, error: null, finishedAt: at, completedSeq: ++run.seq, ...NO_PROCESS }], {
    also: () => audit(ctx, run, 'workflow.step', 'ok', null, { step: path, attempt, key: record.idempotencyKey }),
  });
  if (result.log) {
    const text = result.log;
    emit(ctx, 'stepLog', () => ctx.events.stepLog(run.id, path, text));
  }
  pump(ctx, run);
}

export function attemptFailed(ctx: EngineContext, run: ActiveRun, path: string, step: ActionStep, attempt: number, err: unknown): void {
  const record = run.records.get(path);
  if (record?.status !== 'running' || record.attempt !== attempt) return;
  const at = ctx.now();
  const error = errorMessage(err);
  const also = () => audit(ctx, run, 'workflow.step', 'error', error, { step: path, attempt, key: record.idempotencyKey });
  if (attempt < maxAttempts(step)) {
    const wakeAt = at + backoffAfter(step.retry, attempt);
    commit(ctx, run, [{ ...record, status: 'waiting', error, wakeAt, ...NO_PROCESS }], { also });
    armBackoff(ctx, run, path, wakeAt);
  } else {
    commit(ctx, run, [{ ...record, status: 'failed', error, finishedAt: at, ...NO_PROCESS }], { also });
  }
  pump(ctx, run);
}

export function launch(ctx: EngineContext, run: ActiveRun, slot: string, unit: Unit, action: ActionDefinition<unknown>, input: unknown, timeoutMs: number | undefined, settle: (outcome: Outcome) => void): void {
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
      forgetProcess(ctx, run, unit.path);
      return;
    }
    run.inflight.delete(slot);
    if (!attached(ctx, run)) return;
    try {
      settle(outcome);
    } catch (err) {
      crashRun(ctx, run, err);
    }
  };
  if (timeoutMs !== undefined && timeoutMs > 0) {
    entry.cancelTimeout = ctx.clock.setTimer(() => {
      const reason = new OpsError('step_timeout', `timed out after ${formatDuration(timeoutMs)}`);
      controller.abort(reason);
      // An action that ignores its signal does not hold the run: the attempt has failed.
      finish({ ok: false, error: reason });
    }, timeoutMs);
  }
  let childLog: Logger | undefined;
  const context: ActionContext = {
    idempotencyKey: unit.key,
    runId: run.id,
    stepPath: unit.path,
    attempt: unit.attempt,
    signal: controller.signal,
    clock: ctx.clock,
    get log() {
      childLog ??= ctx.log.child({ runId: run.id, step: unit.path, attempt: unit.attempt });
      return childLog;
    },
    dryRun: ctx.deps.dryRun,
    evaluate: (template, extraScope) => evaluateTemplate(template, scopeFor(run, unit.item), extraScope),
    recordProcess: (pid, info) => {
      const record = run.records.get(unit.path);
      if (run.inflight.get(slot) !== entry || !attached(ctx, run) || !record) return;
      commit(ctx, run, [{ ...record, pid, pidStartedAt: info?.startedAt ?? null, argv0: info?.argv0 ?? null }], { quiet: true });
    },
    progress: (line) => emit(ctx, 'stepLog', () => ctx.events.stepLog(run.id, unit.path, line)),
  };
  let running: Promise<ActionResult>;
  try {
    running = action.run(input, context);
  } catch (err) {
    running = Promise.reject(err);
  }
  entry.done = running.then(
    (result) => finish({ ok: true, result }),
    (error: unknown) => finish({ ok: false, error }),
  );
}

export function abortAll(run: ActiveRun, why: string): void {
  for (const entry of run.inflight.values()) {
    entry.cancelTimeout?.();
    entry.controller.abort(new OpsError('workflow_aborted', why));
  }
  run.inflight.clear();
}
