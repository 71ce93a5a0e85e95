import type { Step } from './definition.ts';
import { type StepIndex, branchPath, isForEach, itemPath, stepAt, stepPath } from './step-path.ts';
import type { WorkflowStep, WorkflowStepStatus } from '../store/types.ts';

/**
 * What a run should do next, decided from its definition and its recorded steps alone — no
 * clock, no I/O — so the engine's behaviour after a restart is the behaviour it had before.
 *
 * Rules:
 * - A step list runs in order: the first step not finished is begun, or waited on.
 * - A step is fine to pass when it succeeded, was skipped, or failed with continueOnError.
 *   A failure without continueOnError (a for_each item's counts as its step's), or a step that
 *   was cancelled or aborted, is blocking: from then on nothing new begins anywhere in the run,
 *   waits and approvals still pending are cancelled, actions already running finish, and when
 *   nothing is left in flight the run fails.
 * - A parallel step finishes when every branch has: succeeded when all did, failed otherwise.
 * - A for_each step keeps at most `concurrency` items in flight and finishes when all items
 *   have: failed when any did (which only blocks the run without continueOnError).
 */

export interface PlanStep {
  status: WorkflowStepStatus;
  /** A for_each step's evaluated list (set when the step began). */
  items?: readonly unknown[] | null;
}

export type Decision =
  /** Begin a step that has not run (evaluate `when`, then start it by kind). */
  | { kind: 'begin'; path: string; step: Step }
  /** Begin item `index` of a for_each step. */
  | { kind: 'begin-item'; path: string; parent: string; index: number; step: Step }
  /** Every child of a parallel or for_each step has finished. */
  | { kind: 'finish'; path: string; step: Step; status: 'succeeded' | 'failed' }
  /** A wait, approval or retry backoff that a blocking failure made pointless. */
  | { kind: 'cancel'; path: string; step: Step };

export interface Plan {
  decisions: Decision[];
  /** active: something is in flight, or decisions are to be applied (then plan again). */
  outcome: 'active' | 'succeeded' | 'failed';
  /** The first blocking failure, in definition order (an item or branch step before its parent). */
  failedPath?: string;
}

type ListState = 'done' | 'failed' | 'active' | 'halted';

const IN_FLIGHT: ReadonlySet<WorkflowStepStatus> = new Set(['running', 'waiting', 'interrupted']);

export function plan(steps: readonly Step[], records: ReadonlyMap<string, PlanStep>): Plan {
  const failedPath = firstBlockingFailure(steps, '', records);
  const halting = failedPath !== undefined;
  const decisions: Decision[] = [];

  const walkList = (list: readonly Step[], listPath: string): ListState => {
    for (const step of list) {
      const path = stepPath(listPath, step.id);
      const status = records.get(path)?.status ?? 'pending';
      switch (status) {
        case 'pending':
          if (halting) return 'halted';
          decisions.push({ kind: 'begin', path, step });
          return 'active';
        case 'succeeded':
        case 'skipped':
          continue;
        case 'failed':
          if (step.continueOnError) continue;
          return 'failed';
        case 'cancelled':
          return 'failed';
        case 'waiting':
          if (halting) decisions.push({ kind: 'cancel', path, step });
          return 'active';
        case 'interrupted':
          return 'active';
        case 'running':
          if (step.kind === 'parallel') walkParallel(step, path);
          else if (isForEach(step)) walkForEach(step, path);
          return 'active';
      }
    }
    return 'done';
  };

  const walkParallel = (step: Extract<Step, { kind: 'parallel' }>, path: string): void => {
    const states = step.branches.map((branch, i) => walkList(branch, branchPath(path, i)));
    if (states.includes('active')) return;
    decisions.push({ kind: 'finish', path, step, status: states.every((s) => s === 'done') ? 'succeeded' : 'failed' });
  };

  const walkForEach = (step: Step & { forEach: { concurrency: number } }, path: string): void => {
    const items = records.get(path)?.items ?? [];
    let inFlight = 0;
    let anyFailed = false;
    const notStarted: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const child = itemPath(path, i);
      const status = records.get(child)?.status ?? 'pending';
      if (status === 'pending') notStarted.push(i);
      else if (IN_FLIGHT.has(status)) {
        inFlight++;
        if (halting && status === 'waiting') decisions.push({ kind: 'cancel', path: child, step });
      } else if (status === 'failed' || status === 'cancelled') anyFailed = true;
    }
    if (!halting) {
      const free = Math.max(0, step.forEach.concurrency - inFlight);
      for (const index of notStarted.slice(0, free)) {
        decisions.push({ kind: 'begin-item', path: itemPath(path, index), parent: path, index, step });
        inFlight++;
      }
    }
    if (inFlight > 0) return;
    const failed = anyFailed || notStarted.length > 0;
    decisions.push({ kind: 'finish', path, step, status: failed ? 'failed' : 'succeeded' });
  };

  const state = walkList(steps, '');
  const outcome = state === 'done' ? 'succeeded' : state === 'active' ? 'active' : 'failed';
  return failedPath === undefined ? { decisions, outcome } : { decisions, outcome, failedPath };
}

/**
 * The first failure that blocks the run, in definition order (an item or a branch step before
 * its parent). A step cancelled because of a failure (or aborted by a person) blocks too, but a
 * real failure is what explains the run, so it is preferred.
 */
function firstBlockingFailure(list: readonly Step[], listPath: string, records: ReadonlyMap<string, PlanStep>): string | undefined {
  const found: { failed?: string; cancelled?: string } = {};
  const note = (step: Step, path: string, status: WorkflowStepStatus | undefined) => {
    if (status === 'failed' && !step.continueOnError) found.failed ??= path;
    else if (status === 'cancelled') found.cancelled ??= path;
  };
  const walk = (steps: readonly Step[], prefix: string) => {
    for (const step of steps) {
      const path = stepPath(prefix, step.id);
      const record = records.get(path);
      if (!record) continue;
      if (step.kind === 'parallel') step.branches.forEach((branch, i) => walk(branch, branchPath(path, i)));
      else if (isForEach(step)) (record.items ?? []).forEach((_, i) => note(step, itemPath(path, i), records.get(itemPath(path, i))?.status));
      note(step, path, record.status);
    }
  };
  walk(list, listPath);
  return found.failed ?? found.cancelled;
}

/**
 * The units whose undo runs on rollback, most recently completed first: succeeded units whose
 * step declares `undo` (a for_each step's undo runs once per succeeded item) and whose undo
 * has not succeeded yet (a rollback that failed half-way may be asked for again).
 */
export function undoOrder(index: StepIndex, records: Iterable<WorkflowStep>): WorkflowStep[] {
  const units: WorkflowStep[] = [];
  for (const record of records) {
    if (record.status !== 'succeeded' || record.undoStatus === 'succeeded') continue;
    const located = stepAt(index, record.path);
    if (!located?.step.undo) continue;
    if (isForEach(located.step) && !located.item) continue;
    units.push(record);
  }
  return units.sort((a, b) => (b.completedSeq ?? 0) - (a.completedSeq ?? 0));
}
