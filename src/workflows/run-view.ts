import type {
  UndoStatus,
  WorkflowApproval,
  WorkflowDecision,
  WorkflowRun,
  WorkflowRunSummary,
  WorkflowStep,
  WorkflowStepStatus,
} from '../store/types.ts';
import type { Step } from './definition.ts';
import { branchPath, isForEach, itemPath, stepPath } from './step-path.ts';

/**
 * A run as the UI shows it (the parent message's step list, `/ops workflow status`): every step
 * of the run's definition in order — those that have not run yet as pending — with parallel
 * branches' steps and for_each items one level deeper.
 */

export interface StepView {
  path: string;
  id: string;
  /** The step's name, or its id. */
  name: string;
  kind: Step['kind'];
  /** 0 for top-level steps; +1 inside a parallel branch or for a for_each item. */
  depth: number;
  /** For a parallel branch's step: the branch's position. */
  branch?: number;
  /** For a for_each item: its position and value. */
  item?: { index: number; value: unknown };
  status: WorkflowStepStatus;
  attempt: number;
  /** 1 + the step's retries. */
  maxAttempts: number;
  idempotencyKey: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** When a wait, or the backoff before the next attempt, ends. */
  wakeAt: number | null;
  outputs: Record<string, unknown> | null;
  error: string | null;
  /** Whether the step declares undo, and how its undo went once it ran. */
  undo: { status: UndoStatus | null; error: string | null } | null;
}

export interface ApprovalView extends WorkflowApproval {
  decisions: WorkflowDecision[];
}

export interface RunView extends WorkflowRunSummary {
  description: string;
  steps: StepView[];
  approvals: ApprovalView[];
}

export function buildRunView(run: WorkflowRun, records: readonly WorkflowStep[], approvals: readonly WorkflowApproval[], decisions: readonly WorkflowDecision[]): RunView {
  const byPath = new Map(records.map((r) => [r.path, r]));
  const steps: StepView[] = [];

  const view = (step: Step, path: string, depth: number, extra: Pick<StepView, 'branch' | 'item'>): StepView => {
    const record = byPath.get(path);
    return {
      path,
      id: step.id,
      name: extra.item ? `${step.name ?? step.id} [${extra.item.index}]` : (step.name ?? step.id),
      kind: step.kind,
      depth,
      ...extra,
      status: record?.status ?? 'pending',
      attempt: record?.attempt ?? 0,
      maxAttempts: step.kind === 'action' ? (step.retry?.max ?? 0) + 1 : 1,
      idempotencyKey: record?.idempotencyKey ?? null,
      startedAt: record?.startedAt ?? null,
      finishedAt: record?.finishedAt ?? null,
      wakeAt: record?.wakeAt ?? null,
      outputs: record?.outputs ?? null,
      error: record?.error ?? null,
      undo: step.undo ? { status: record?.undoStatus ?? null, error: record?.undoError ?? null } : null,
    };
  };

  const walk = (list: readonly Step[], listPath: string, depth: number, branch?: number) => {
    for (const step of list) {
      const path = stepPath(listPath, step.id);
      steps.push(view(step, path, depth, branch === undefined ? {} : { branch }));
      if (step.kind === 'parallel') step.branches.forEach((b, i) => walk(b, branchPath(path, i), depth + 1, i));
      if (isForEach(step)) {
        const items = byPath.get(path)?.items ?? [];
        items.forEach((value, index) => steps.push(view(step, itemPath(path, index), depth + 1, { item: { index, value } })));
      }
    }
  };
  walk(run.definition.steps, '', 0);

  const { definition, ...summary } = run;
  return {
    ...summary,
    description: definition.description,
    steps,
    approvals: approvals.map((a) => ({ ...a, decisions: decisions.filter((d) => d.approvalId === a.id) })),
  };
}
