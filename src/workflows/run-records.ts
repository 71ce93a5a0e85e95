import type { WorkflowRunStatus, WorkflowStep } from '../store/types.ts';
import { type ActiveRun, LIVE, count, liveStatus } from './active-run.ts';
import { type EngineContext, emit } from './engine-context.ts';
import { parseItemPath, stepIdOf } from './step-path.ts';

export interface RunChange {
  status: WorkflowRunStatus;
  /** undefined keeps the stored value. */
  error?: string | null;
  finishedAt?: number | null;
}

export interface CommitOptions {
  run?: RunChange;
  /** More writes for the same transaction (audit, approvals). */
  also?: () => void;
  /** No runChanged event (bookkeeping the UI does not show). */
  quiet?: boolean;
}

export function commit(ctx: EngineContext, run: ActiveRun, changes: readonly WorkflowStep[], options: CommitOptions = {}): void {
  const counts = { ...run.counts };
  for (const change of changes) {
    if (run.containers.has(change.path)) continue;
    count(counts, run.records.get(change.path)?.status, -1);
    count(counts, change.status, 1);
  }
  const status = options.run?.status ?? (LIVE.has(run.status) ? liveStatus(counts) : run.status);
  const at = ctx.now();
  ctx.store.transaction(() => {
    for (const change of changes) ctx.store.workflowSteps.put(run.id, change);
    if (options.run || status !== run.status) {
      ctx.store.workflowRuns.setStatus(run.id, { status, at, error: options.run?.error, finishedAt: options.run?.finishedAt });
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
  if (!options.quiet) emit(ctx, 'runChanged', () => ctx.events.runChanged(run.id));
}

export function audit(
  ctx: EngineContext,
  run: { id: string; workflow: string; requestedBy: string; channel: string | null },
  action: string,
  outcome: string,
  detail: string | null,
  args: Record<string, unknown>,
  actor = run.requestedBy,
): void {
  ctx.store.audit.append({
    at: ctx.now(),
    actor,
    channel: run.channel,
    action,
    command: `workflow ${run.workflow}`,
    args: JSON.stringify({ run: run.id, ...args }),
    outcome,
    detail,
  });
}

export function detach(ctx: EngineContext, run: ActiveRun): void {
  for (const timer of run.timers.values()) timer.cancel();
  run.timers.clear();
  if (ctx.active.get(run.id) === run) ctx.active.delete(run.id);
}

export function forgetProcess(ctx: EngineContext, run: ActiveRun, path: string): void {
  const pid = run.records.get(path)?.pid;
  if (pid === null || pid === undefined || ctx.detached) return;
  try {
    ctx.store.workflowSteps.clearProcess(run.id, path, pid);
  } catch (err) {
    ctx.log.debug({ err, runId: run.id, path }, 'could not forget a finished process');
  }
}
