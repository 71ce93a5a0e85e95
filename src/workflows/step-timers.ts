import type { ActiveRun, Timer } from './active-run.ts';
import { type EngineContext, live } from './engine-context.ts';
import { crashRun, pump } from './run-loop.ts';
import { commit } from './run-records.ts';
import { startAttempt } from './step-executor.ts';
import { stepAt } from './step-path.ts';

/** Waits and retry backoffs: one clock timer per step path, re-armed from the recorded wake time. */
export function arm(ctx: EngineContext, run: ActiveRun, path: string, at: number, fire: () => void): void {
  clearTimer(run, path);
  if (ctx.stopping) return;
  const timer: Timer = { cancel: () => {} };
  timer.cancel = ctx.clock.setTimer(() => {
    if (run.timers.get(path) !== timer) return;
    run.timers.delete(path);
    if (!live(ctx, run)) return;
    try {
      fire();
    } catch (err) {
      crashRun(ctx, run, err);
    }
  }, Math.max(0, at - ctx.now()));
  run.timers.set(path, timer);
}

export function clearTimer(run: ActiveRun, path: string): void {
  run.timers.get(path)?.cancel();
  run.timers.delete(path);
}

export function armWait(ctx: EngineContext, run: ActiveRun, path: string, wakeAt: number): void {
  arm(ctx, run, path, wakeAt, () => {
    const record = run.records.get(path);
    if (record?.status !== 'waiting') return;
    commit(ctx, run, [{ ...record, status: 'succeeded', finishedAt: ctx.now(), completedSeq: ++run.seq }]);
    pump(ctx, run);
  });
}

export function armBackoff(ctx: EngineContext, run: ActiveRun, path: string, wakeAt: number): void {
  arm(ctx, run, path, wakeAt, () => {
    const record = run.records.get(path);
    const step = stepAt(run.index, path)?.step;
    if (record?.status !== 'waiting' || step?.kind !== 'action') return;
    startAttempt(ctx, run, path, step, record.attempt + 1);
    pump(ctx, run);
  });
}
