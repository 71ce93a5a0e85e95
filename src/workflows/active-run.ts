import type { WorkflowRun, WorkflowRunStatus, WorkflowStep, WorkflowStepStatus } from '../store/types.ts';
import type { WorkflowDefinition } from './definition.ts';
import type { Scope } from './expressions.ts';
import { type StepIndex, indexSteps, isForEach, parseItemPath, stepIdOf } from './step-path.ts';

/** Statuses in which a run's steps advance. */
export const LIVE: ReadonlySet<WorkflowRunStatus> = new Set(['running', 'waiting', 'paused']);
export const FINISHED: ReadonlySet<WorkflowRunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'rolled_back']);

export interface Counts {
  running: number;
  waiting: number;
  interrupted: number;
}

export interface Inflight {
  controller: AbortController;
  done: Promise<void>;
  cancelTimeout?: () => void;
}

export interface Timer {
  cancel: () => void;
}

/** A run this engine drives: its definition, and a mirror of its step rows kept after each commit. */
export interface ActiveRun {
  readonly id: string;
  readonly workflow: string;
  readonly definition: WorkflowDefinition;
  readonly params: Scope['params'];
  readonly requestedBy: string;
  readonly channel: string | null;
  readonly concurrencyKey: string | null;
  readonly index: StepIndex;
  /** Parallel and for_each steps: they hold children, they do not execute. */
  readonly containers: ReadonlySet<string>;
  readonly info: Scope['run'];
  status: WorkflowRunStatus;
  error: string | null;
  readonly records: Map<string, WorkflowStep>;
  /** `steps` of the expression scope, updated at each commit rather than rebuilt per step. */
  readonly scopeSteps: Scope['steps'];
  /** Completion order, for undo. */
  seq: number;
  /** Leaf steps by status, for the run's own status. */
  counts: Counts;
  readonly inflight: Map<string, Inflight>;
  readonly timers: Map<string, Timer>;
  pumping: boolean;
  again: boolean;
}

export function toActive(row: WorkflowRun, records: readonly WorkflowStep[]): ActiveRun {
  const index = indexSteps(row.definition.steps);
  const containers = new Set<string>();
  for (const [path, { step }] of index) if (step.kind === 'parallel' || isForEach(step)) containers.add(path);
  const run: ActiveRun = {
    id: row.id,
    workflow: row.workflow,
    definition: row.definition,
    params: row.params,
    requestedBy: row.requestedBy,
    channel: row.channel,
    concurrencyKey: row.concurrencyKey,
    index,
    containers,
    info: { id: row.id, requestedBy: row.requestedBy, workflow: row.workflow },
    status: row.status,
    error: row.error,
    records: new Map(),
    scopeSteps: {},
    seq: 0,
    counts: { running: 0, waiting: 0, interrupted: 0 },
    inflight: new Map(),
    timers: new Map(),
    pumping: false,
    again: false,
  };
  for (const record of records) {
    run.records.set(record.path, record);
    if (!parseItemPath(record.path)) run.scopeSteps[stepIdOf(record.path)] = { outputs: record.outputs ?? {}, status: record.status };
    if (!containers.has(record.path)) count(run.counts, record.status, 1);
    run.seq = Math.max(run.seq, record.completedSeq ?? 0);
  }
  return run;
}

export function scopeFor(run: ActiveRun, item?: { value: unknown }, result?: Record<string, unknown>): Scope {
  const scope: Scope = { params: run.params, steps: run.scopeSteps, run: run.info };
  if (item) scope.item = item.value;
  if (result) scope.result = result;
  return scope;
}

export function itemOf(run: ActiveRun, path: string): { value: unknown } | undefined {
  const item = parseItemPath(path);
  if (!item) return undefined;
  return { value: run.records.get(item.parent)?.items?.[item.index] };
}

export const NO_PROCESS = { pid: null, pidStartedAt: null, argv0: null } as const;

export function blank(path: string): WorkflowStep {
  return {
    path,
    status: 'pending',
    attempt: 0,
    idempotencyKey: null,
    outputs: null,
    items: null,
    error: null,
    startedAt: null,
    finishedAt: null,
    wakeAt: null,
    completedSeq: null,
    ...NO_PROCESS,
    undoStatus: null,
    undoAttempt: 0,
    undoError: null,
  };
}

export function count(counts: Counts, status: WorkflowStepStatus | undefined, delta: number): void {
  if (status === 'running' || status === 'waiting' || status === 'interrupted') counts[status] += delta;
}

/** A person is needed > something runs > only timers and approvals are pending. */
export function liveStatus(counts: Counts): WorkflowRunStatus {
  if (counts.interrupted > 0) return 'paused';
  if (counts.running > 0) return 'running';
  if (counts.waiting > 0) return 'waiting';
  return 'running';
}

