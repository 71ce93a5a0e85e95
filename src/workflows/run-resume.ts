import { type ActiveRun, NO_PROCESS, toActive } from './active-run.ts';
import { armExpiry, expire } from './approval-gate.ts';
import type { EngineContext } from './engine-context.ts';
import type { ResumeReport } from './engine.ts';
import { crashRun, promote, pump } from './run-loop.ts';
import { audit, commit } from './run-records.ts';
import { startAttempt } from './step-executor.ts';
import { stepAt } from './step-path.ts';
import { armBackoff, armWait } from './step-timers.ts';
import { pumpRollback, startUndo } from './undo-runner.ts';

/**
 * Start-up after a crash or a stop: orphaned step processes killed first, then each unfinished run
 * taken up where its records say it was (see engine.ts), and queues behind free keys promoted.
 */
function reattach(ctx: EngineContext, run: ActiveRun, report: ResumeReport): void {
  const at = ctx.now();
  if (run.status === 'rolling_back') {
    for (const record of [...run.records.values()]) {
      if (record.undoStatus !== 'running') continue;
      const undo = stepAt(run.index, record.path)?.step.undo;
      if (undo && ctx.catalog.get(undo.action)?.idempotent) {
        startUndo(ctx, run, record, true);
      } else {
        commit(ctx, run, [{ ...record, undoStatus: 'failed', undoError: 'opsbot stopped while this undo ran; it may or may not have completed', ...NO_PROCESS }]);
      }
    }
    pumpRollback(ctx, run);
    return;
  }
  const expired: Array<{ path: string; approvalId: number }> = [];
  for (const record of [...run.records.values()]) {
    const located = stepAt(run.index, record.path);
    if (!located) continue;
    const { step } = located;
    if (record.status === 'running' && step.kind === 'action' && !run.containers.has(record.path)) {
      if (ctx.catalog.get(step.action)?.idempotent) {
        // Same attempt, same idempotency key: an effect that did apply is not applied again.
        if (record.pid !== null) commit(ctx, run, [{ ...record, ...NO_PROCESS }], { quiet: true });
        startAttempt(ctx, run, record.path, step, record.attempt, true);
      } else {
        const error = `step ${record.path} may or may not have completed: opsbot stopped while it was running (attempt ${record.attempt})`;
        commit(ctx, run, [{ ...record, status: 'interrupted', error, ...NO_PROCESS }], {
          also: () => audit(ctx, run, 'workflow.step', 'interrupted', error, { step: record.path, attempt: record.attempt, key: record.idempotencyKey }, 'system'),
        });
        report.interrupted.push({ runId: run.id, path: record.path });
      }
    } else if (record.status === 'waiting') {
      const wakeAt = record.wakeAt ?? at;
      if (step.kind === 'wait') armWait(ctx, run, record.path, wakeAt);
      else if (step.kind === 'action') armBackoff(ctx, run, record.path, wakeAt);
      else if (step.kind === 'approval') {
        const approval = ctx.store.workflowApprovals.latest(run.id, record.path);
        if (approval?.status !== 'pending') continue;
        if (approval.expiresAt <= at) expired.push({ path: record.path, approvalId: approval.id });
        else armExpiry(ctx, run, record.path, approval.id, approval.expiresAt);
      }
    }
  }
  for (const { path, approvalId } of expired) expire(ctx, run, path, approvalId);
  pump(ctx, run);
}

/** Call once at start-up, before anything else. */
export async function resume(ctx: EngineContext): Promise<ResumeReport> {
  const report: ResumeReport = { runs: [], interrupted: [] };
  const rows = ctx.store.workflowRuns.unfinished();
  const runs = rows.filter((r) => r.status !== 'queued' && !ctx.active.has(r.id)).map((r) => toActive(r, ctx.store.workflowSteps.forRun(r.id)));

  // Before anything runs again: what a crashed opsbot left running must not run beside it.
  const recorded = ctx.store.workflowSteps.withProcess();
  if (recorded.length > 0) {
    try {
      const killed = await ctx.deps.killOrphans(recorded.map((p) => ({ pid: p.pid, startedAt: p.pidStartedAt ?? 0, argv0: p.argv0 ?? '' })));
      ctx.log.info({ recorded: recorded.length, killed: Array.isArray(killed) ? killed.length : undefined }, 'checked step processes left by the previous run of opsbot');
    } catch (err) {
      ctx.log.error({ err }, 'killing orphaned step processes failed');
    }
    const resuming = new Set(runs.map((r) => r.id));
    ctx.store.transaction(() => {
      for (const p of recorded) if (!resuming.has(p.runId)) ctx.store.workflowSteps.clearProcess(p.runId, p.path, p.pid);
    });
  }
  if (ctx.stopping) return report;

  for (const run of runs) {
    if (ctx.active.has(run.id)) continue;
    ctx.active.set(run.id, run);
    report.runs.push(run.id);
    try {
      reattach(ctx, run, report);
    } catch (err) {
      crashRun(ctx, run, err);
    }
  }
  const keys = new Map<string, { workflow: string; key: string }>();
  for (const row of rows) if (row.status === 'queued' && row.concurrencyKey !== null) keys.set(`${row.workflow}\0${row.concurrencyKey}`, { workflow: row.workflow, key: row.concurrencyKey });
  for (const { workflow, key } of keys.values()) {
    promote(ctx, workflow, key);
    const holder = ctx.store.workflowRuns.holder(workflow, key);
    if (holder && !report.runs.includes(holder.id)) report.runs.push(holder.id);
  }
  ctx.log.info({ runs: report.runs.length, interrupted: report.interrupted.length }, 'workflow runs resumed');
  return report;
}
