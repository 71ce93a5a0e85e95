import { OpsError, UserError } from '../errors.ts';
import type { WorkflowRun, WorkflowRunStatus, WorkflowRunSummary, WorkflowStep } from '../store/types.ts';
import { FINISHED, blank, toActive } from './active-run.ts';
import type { Step } from './definition.ts';
import { type EngineContext, emit } from './engine-context.ts';
import type { Requester, Resolution, StartOptions } from './engine.ts';
import { evaluateTemplate, type Scope } from './expressions.ts';
import { paramsSchema } from './params.ts';
import { undoOrder } from './plan.ts';
import { promote, pump } from './run-loop.ts';
import { audit, commit, detach } from './run-records.ts';
import { type RunView, buildRunView } from './run-view.ts';
import { abortAll, startAttempt } from './step-executor.ts';
import { stepAt, topLevelId } from './step-path.ts';
import { renderText } from './step-values.ts';
import { pumpRollback } from './undo-runner.ts';

/** What people ask of runs: start, cancel, retry, roll back, resolve an interrupted step, look one up. */

const RETRYABLE: ReadonlySet<WorkflowRunStatus> = new Set(['failed', 'cancelled', 'rolled_back']);
const ROLLBACKABLE: ReadonlySet<WorkflowRunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export function requireRun(ctx: EngineContext, runId: string): WorkflowRun {
  const id = /^\d+$/.test(runId) ? `wf-${runId}` : runId;
  const row = ctx.store.workflowRuns.get(id);
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

export function ensureRunning(ctx: EngineContext): void {
  if (ctx.stopping) throw new OpsError('engine_stopped', 'The workflow engine is stopping; try again once opsbot is back.');
}

export async function startRun(
  ctx: EngineContext,
  name: string,
  rawParams: Record<string, unknown>,
  requester: Requester,
  trigger: string,
  options: StartOptions = {},
): Promise<{ runId: string; status: 'running' | 'queued'; replayed?: true }> {
  ensureRunning(ctx);
  const replayed = options.requestKey ? ctx.store.workflowRuns.byRequest(options.requestKey) : undefined;
  if (replayed) return { runId: replayed.id, status: replayed.status === 'queued' ? 'queued' : 'running', replayed: true };
  const definitions = ctx.deps.definitions();
  if (options.definition && options.definition.name !== name) {
    throw new OpsError('workflow_definition_mismatch', `a run of ${name} cannot be started with the definition of ${options.definition.name}`);
  }
  const definition = options.definition ?? definitions.get(name);
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
  const at = ctx.now();
  // What the run is stored with, and kept in memory with once it starts: one source for both.
  const fields: Omit<WorkflowRun, 'id' | 'status' | 'error' | 'createdAt' | 'updatedAt' | 'finishedAt'> = {
    workflow: name,
    definition,
    params,
    requestedBy: requester.userId,
    channel: requester.channel,
    threadTs: requester.threadTs ?? null,
    trigger,
    concurrencyKey: key,
  };
  const { runId, status } = ctx.store.transaction(() => {
    let status: 'running' | 'queued' = 'running';
    if (key !== null) {
      const holder = ctx.store.workflowRuns.holder(name, key);
      if (holder && definition.concurrency?.mode === 'refuse') throw busy(name, key, holder);
      if (holder) status = 'queued';
    }
    const runId = ctx.store.workflowRuns.create({ ...fields, status, requestKey: options.requestKey ?? null, createdAt: at });
    audit(ctx, { id: runId, workflow: name, requestedBy: requester.userId, channel: requester.channel }, 'workflow.run', status === 'queued' ? 'queued' : 'started', null, { trigger });
    return { runId, status };
  });
  emit(ctx, 'runChanged', () => ctx.events.runChanged(runId));
  if (status === 'running') {
    const row: WorkflowRun = { id: runId, ...fields, status, error: null, createdAt: at, updatedAt: at, finishedAt: null };
    const run = toActive(row, []);
    ctx.active.set(runId, run);
    pump(ctx, run);
  }
  return { runId, status };
}

export async function cancelRun(ctx: EngineContext, runId: string, by: string): Promise<void> {
  const row = requireRun(ctx, runId);
  if (FINISHED.has(row.status)) throw new UserError('workflow_run_finished', `${row.id} has already finished (${row.status}); there is nothing to cancel.`);
  const at = ctx.now();
  const error = `cancelled by <@${by}>`;
  const run = ctx.active.get(row.id);
  if (!run) {
    ctx.store.transaction(() => {
      ctx.store.workflowRuns.setStatus(row.id, { status: 'cancelled', at, error, finishedAt: at });
      audit(ctx, row, 'workflow.cancel', 'ok', null, {}, by);
    });
    emit(ctx, 'runChanged', () => ctx.events.runChanged(row.id));
    promote(ctx, row.workflow, row.concurrencyKey);
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
  commit(ctx, run, changes, {
    run: { status: 'cancelled', error, finishedAt: at },
    also: () => {
      for (const approval of ctx.store.workflowApprovals.forRun(run.id)) {
        if (approval.status === 'pending' && ctx.store.workflowApprovals.settle(approval.id, 'cancelled', at)) cancelled.push(approval.id);
      }
      audit(ctx, run, 'workflow.cancel', 'ok', null, {}, by);
    },
  });
  // Committed first: should opsbot die right here, start-up still finds the recorded processes.
  abortAll(run, error);
  detach(ctx, run);
  for (const id of cancelled) emit(ctx, 'approvalDecided', () => ctx.events.approvalDecided(id));
  promote(ctx, run.workflow, run.concurrencyKey);
}

export async function retryRun(ctx: EngineContext, runId: string, options: { from?: string }, by: string): Promise<void> {
  ensureRunning(ctx);
  const row = requireRun(ctx, runId);
  if (!RETRYABLE.has(row.status)) {
    throw new UserError(
      'workflow_not_retryable',
      `${row.id} is ${row.status}; only a failed, cancelled or rolled-back run can be retried.`,
      row.status === 'paused' ? 'A paused run waits for a decision on its interrupted step: retry, mark done or abort it.' : undefined,
    );
  }
  const records = ctx.store.workflowSteps.forRun(row.id);
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
  const holder = key === null ? undefined : ctx.store.workflowRuns.holder(row.workflow, key);
  if (holder && key !== null && row.definition.concurrency?.mode === 'refuse') throw busy(row.workflow, key, holder);
  const status = holder ? 'queued' : 'running';
  const at = ctx.now();
  ctx.store.transaction(() => {
    for (const reset of resets) ctx.store.workflowSteps.put(row.id, reset);
    ctx.store.workflowRuns.setStatus(row.id, { status, at, error: null, finishedAt: null });
    audit(ctx, row, 'workflow.retry', 'ok', null, { from: top[from]?.id }, by);
  });
  emit(ctx, 'runChanged', () => ctx.events.runChanged(row.id));
  if (status === 'running') {
    const run = toActive({ ...row, status, error: null }, ctx.store.workflowSteps.forRun(row.id));
    ctx.active.set(run.id, run);
    pump(ctx, run);
  }
}

export async function rollbackRun(ctx: EngineContext, runId: string, by: string): Promise<void> {
  ensureRunning(ctx);
  const row = requireRun(ctx, runId);
  if (row.status === 'rolled_back') throw new UserError('workflow_rolled_back', `${row.id} has already been rolled back.`);
  if (!ROLLBACKABLE.has(row.status)) {
    throw new UserError('workflow_not_finished', `${row.id} is ${row.status.replace('_', ' ')}; only a finished run can be rolled back.`, 'Cancel it first, then roll it back.');
  }
  const key = row.concurrencyKey;
  const holder = key === null ? undefined : ctx.store.workflowRuns.holder(row.workflow, key);
  if (holder && key !== null) throw busy(row.workflow, key, holder);
  const run = toActive(row, ctx.store.workflowSteps.forRun(row.id));
  const units = undoOrder(run.index, run.records.values());
  if (units.length === 0) throw new UserError('workflow_nothing_to_undo', `${row.id} has no completed steps with an undo to run.`);
  ctx.active.set(run.id, run);
  commit(
    ctx,
    run,
    units.map((u) => ({ ...u, undoStatus: 'pending' as const, undoError: null })),
    { run: { status: 'rolling_back', finishedAt: null }, also: () => audit(ctx, run, 'workflow.rollback', 'ok', null, {}, by) },
  );
  pumpRollback(ctx, run);
}

export async function resolveInterrupted(ctx: EngineContext, runId: string, path: string, resolution: Resolution, by: string): Promise<void> {
  ensureRunning(ctx);
  const row = requireRun(ctx, runId);
  const run = ctx.active.get(row.id);
  const record = run?.records.get(path);
  const step = run && stepAt(run.index, path)?.step;
  if (!run || record?.status !== 'interrupted' || step?.kind !== 'action') {
    throw new UserError('workflow_not_interrupted', `Step ${path} of ${row.id} is not waiting for a decision.`);
  }
  const at = ctx.now();
  const also = () => audit(ctx, run, 'workflow.resolve', resolution, null, { step: path, attempt: record.attempt }, by);
  switch (resolution) {
    case 'retry':
      startAttempt(ctx, run, path, step, record.attempt + 1, false, also);
      break;
    case 'mark-done':
      commit(ctx, run, [{ ...record, status: 'succeeded', error: null, outputs: record.outputs ?? (step.outputs ? {} : null), finishedAt: at, completedSeq: ++run.seq }], { also });
      break;
    case 'abort':
      commit(ctx, run, [{ ...record, status: 'cancelled', error: `aborted by <@${by}>: it may or may not have completed`, finishedAt: at }], { also });
      break;
  }
  pump(ctx, run);
}

export function getRun(ctx: EngineContext, runId: string): RunView | undefined {
  const id = /^\d+$/.test(runId) ? `wf-${runId}` : runId;
  const row = ctx.store.workflowRuns.get(id);
  if (!row) return undefined;
  return buildRunView(row, ctx.store.workflowSteps.forRun(id), ctx.store.workflowApprovals.forRun(id), ctx.store.workflowApprovals.decisionsForRun(id));
}
