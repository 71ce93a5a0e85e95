import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/types.ts';
import type { ActionCatalog } from './action.ts';
import { type ActiveRun, LIVE } from './active-run.ts';
import type { WorkflowEngineDeps, WorkflowEvents } from './engine.ts';

/** What the parts of one engine share: its dependencies, the runs it drives, and whether it is stopping. */
export interface EngineContext {
  readonly deps: WorkflowEngineDeps;
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly catalog: ActionCatalog;
  readonly events: WorkflowEvents;
  readonly active: Map<string, ActiveRun>;
  /** Timers stop and nothing new begins. */
  stopping: boolean;
  /** After stop(): outcomes of actions still running are no longer recorded. */
  detached: boolean;
  now(): number;
}

export function createEngineContext(deps: WorkflowEngineDeps): EngineContext {
  const { store, clock, log, catalog, events } = deps;
  return { deps, store, clock, log, catalog, events, active: new Map(), stopping: false, detached: false, now: () => clock.now() };
}

export function attached(ctx: EngineContext, run: ActiveRun): boolean {
  return !ctx.detached && ctx.active.get(run.id) === run;
}

export function live(ctx: EngineContext, run: ActiveRun): boolean {
  return !ctx.stopping && attached(ctx, run) && LIVE.has(run.status);
}

export function emit(ctx: EngineContext, event: keyof WorkflowEvents, fire: () => void): void {
  try {
    fire();
  } catch (err) {
    ctx.log.warn({ err, event }, 'workflow event listener failed');
  }
}
