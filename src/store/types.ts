import type Database from 'better-sqlite3';
import type { Role } from '../roles.ts';
import type { ApprovalStep, WorkflowDefinition } from '../workflows/definition.ts';

/**
 * Repository contracts, one per aggregate. Every method is synchronous (better-sqlite3), so a
 * caller can compose several of them inside one `db.transaction(...)` with nothing awaited.
 */

export interface AuditEntry {
  id: number;
  at: number;
  /** Slack user id, or `system`. */
  actor: string;
  channel: string | null;
  /** What happened: `command`, `denied`, `received`, `role.grant`, … */
  action: string;
  command: string | null;
  /** JSON text of the (redacted) arguments. */
  args: string | null;
  /** `ok`, `error`, `denied`, `invalid`, `accepted`, … */
  outcome: string;
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'channel' | 'command' | 'args' | 'detail'> &
  Partial<Pick<AuditEntry, 'channel' | 'command' | 'args' | 'detail'>>;

export interface AuditRepo {
  /** Append-only: there is no update or delete. */
  append(entry: NewAuditEntry): number;
  /** Newest first. */
  list(options: {
    limit: number;
    actor?: string;
    /** `received` rows record each request at intake, before its outcome row; default true. */
    includeReceived?: boolean;
  }): AuditEntry[];
}

export interface RoleGrant {
  userId: string;
  role: Role;
  grantedBy: string;
  grantedAt: number;
}

export interface RoleRepo {
  get(userId: string): RoleGrant | undefined;
  grant(userId: string, role: Role, grantedBy: string, at: number): void;
  /** false when the user had no grant. */
  revoke(userId: string): boolean;
  list(): RoleGrant[];
}

export interface ProcessedEventRepo {
  /** Records a request key; false when it was already recorded (a retry). */
  markProcessed(key: string, at: number): boolean;
  /** Deletes keys recorded before `before`; returns how many. */
  prune(before: number): number;
}

export type InboxStatus = 'pending' | 'running' | 'done' | 'failed';

export interface InboxEntry {
  id: number;
  key: string;
  kind: string;
  /** JSON text of the request body as Slack sent it. */
  payload: string;
  status: InboxStatus;
  attempts: number;
  receivedAt: number;
  updatedAt: number;
  error: string | null;
}

export interface InboxRepo {
  /** Throws OpsError(`inbox_duplicate_key`) when the key is already in the inbox. */
  add(entry: { key: string; kind: string; payload: string; at: number }): number;
  get(id: number): InboxEntry | undefined;
  /** Entries not finished (pending or running), oldest first: what start-up resumes. */
  unfinished(): InboxEntry[];
  /**
   * Marks running and counts the attempt (a failed entry may be started again). The live path
   * skips it (one write fewer per request; a crash still leaves the entry unfinished), so finish
   * and fail count an entry that was never started as one attempt. `done` is final:
   * start, finish and fail throw OpsError(`inbox_already_done`) on a done entry, and
   * OpsError(`inbox_not_found`) on an unknown id.
   */
  start(id: number, at: number): void;
  finish(id: number, at: number): void;
  fail(id: number, at: number, error: string): void;
  /** Finished entries older than `before` are deleted; returns how many. */
  prune(before: number): number;
  /** Pending + running, for the metrics gauge. */
  depth(): number;
}

export interface CursorRepo {
  get(key: string): string | undefined;
  set(key: string, value: string, at: number): void;
}

export interface LockHolder {
  owner: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface InstanceLock {
  /**
   * Takes the lock, or throws an OpsError(`instance_locked`) whose message says where the live
   * holder runs (host, pid, since). A holder is live when its heartbeat is fresh and — on the
   * same host — its pid is still alive.
   */
  acquire(me: { owner: string; host: string; pid: number }, now: number): void;
  /**
   * Throws OpsError(`instance_lock_lost`) when `owner` no longer holds the lock (another instance
   * took it over after our heartbeat went stale): the caller must stop.
   */
  heartbeat(owner: string, now: number): void;
  /** Does nothing unless `owner` holds the lock. */
  release(owner: string): void;
  holder(): LockHolder | undefined;
}

export type WorkflowRunStatus =
  | 'queued'
  | 'running'
  | 'waiting'
  | 'paused'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'rolling_back'
  | 'rolled_back';

/** Statuses a run does not leave by itself. */
export const FINISHED_RUN_STATUSES: readonly WorkflowRunStatus[] = ['succeeded', 'failed', 'cancelled', 'rolled_back'];

export interface WorkflowRun {
  /** `wf-<n>`. */
  id: string;
  workflow: string;
  /** The definition as it was when the run started; the run follows it to the end. */
  definition: WorkflowDefinition;
  params: Record<string, string | number | boolean>;
  status: WorkflowRunStatus;
  requestedBy: string;
  channel: string | null;
  /** The run's parent message, once the UI has posted it. */
  threadTs: string | null;
  /** `command`, `schedule`, `webhook`, … */
  trigger: string;
  concurrencyKey: string | null;
  error: string | null;
  createdAt: number;
  /** When the status last changed. */
  updatedAt: number;
  finishedAt: number | null;
}

/** A run without its definition: what lists and history need. */
export type WorkflowRunSummary = Omit<WorkflowRun, 'definition'>;

export type NewWorkflowRun = Omit<WorkflowRun, 'id' | 'threadTs' | 'error' | 'updatedAt' | 'finishedAt'> & { threadTs?: string | null; requestKey?: string | null };

export interface WorkflowRunRepo {
  /** Inserts the run under the next id and returns it. */
  create(run: NewWorkflowRun): string;
  /** The run a request (its Slack trigger or event id) started, if any. */
  byRequest(requestKey: string): { id: string; status: WorkflowRunStatus } | undefined;
  get(id: string): WorkflowRun | undefined;
  setStatus(id: string, change: { status: WorkflowRunStatus; at: number; error?: string | null; finishedAt?: number | null }): void;
  setThread(id: string, threadTs: string, at: number): void;
  /** Runs not finished (queued included), oldest first: what start-up resumes. */
  unfinished(): WorkflowRun[];
  /** The unfinished, not queued, run holding `key` for `workflow`. */
  holder(workflow: string, key: string): WorkflowRunSummary | undefined;
  /** The oldest run queued behind `key` for `workflow`. */
  nextQueued(workflow: string, key: string): WorkflowRunSummary | undefined;
  /** Newest first. */
  list(options: { limit: number; workflow?: string; status?: readonly WorkflowRunStatus[] }): WorkflowRunSummary[];
}

export type WorkflowStepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'waiting' | 'cancelled' | 'interrupted';
export type UndoStatus = 'pending' | 'running' | 'succeeded' | 'failed';

/** One step execution unit of a run: a step, a parallel branch's step, or a for_each item. */
export interface WorkflowStep {
  /** `deploy`, `checks/0/lint`, `notify[2]`. */
  path: string;
  status: WorkflowStepStatus;
  /** Executions so far (0: never ran); keeps counting across retries of the run. */
  attempt: number;
  idempotencyKey: string | null;
  outputs: Record<string, unknown> | null;
  /** A for_each step's evaluated list. */
  items: unknown[] | null;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** When a wait or a retry backoff ends. */
  wakeAt: number | null;
  /** Order of completion within the run: undo runs in reverse. */
  completedSeq: number | null;
  /** Process group leader of the running shell action (or undo), for killing orphans after a crash. */
  pid: number | null;
  pidStartedAt: number | null;
  argv0: string | null;
  undoStatus: UndoStatus | null;
  undoAttempt: number;
  undoError: string | null;
}

export interface WorkflowStepRepo {
  /** The run's rows in path order. */
  forRun(runId: string): WorkflowStep[];
  get(runId: string, path: string): WorkflowStep | undefined;
  /** Writes the whole row (insert or replace). */
  put(runId: string, step: WorkflowStep): void;
  /** Every row, of any run, that still records a process group (what start-up checks for orphans). */
  withProcess(): RecordedProcess[];
  /** Forgets the recorded process, if it is still `pid`. */
  clearProcess(runId: string, path: string, pid: number): void;
}

export interface RecordedProcess {
  runId: string;
  path: string;
  pid: number;
  pidStartedAt: number | null;
  argv0: string | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface WorkflowApproval {
  id: number;
  runId: string;
  path: string;
  approvers: ApprovalStep['approvers'];
  min: number;
  message: string | null;
  expiresAt: number;
  status: ApprovalStatus;
  /** The approval request's message in the run's thread, once posted. */
  messageTs: string | null;
  createdAt: number;
  decidedAt: number | null;
}

export type NewWorkflowApproval = Pick<WorkflowApproval, 'runId' | 'path' | 'approvers' | 'min' | 'message' | 'expiresAt' | 'createdAt'>;

export interface WorkflowDecision {
  approvalId: number;
  userId: string;
  decision: 'approve' | 'reject';
  reason: string | null;
  at: number;
}

export interface WorkflowApprovalRepo {
  create(approval: NewWorkflowApproval): number;
  get(id: number): WorkflowApproval | undefined;
  /** Oldest first. */
  forRun(runId: string): WorkflowApproval[];
  /** The newest approval of a step (a retried run asks again). */
  latest(runId: string, path: string): WorkflowApproval | undefined;
  /** pending → `status`; false when it was no longer pending. */
  settle(id: number, status: Exclude<ApprovalStatus, 'pending'>, at: number): boolean;
  setMessageTs(id: number, messageTs: string): void;
  /** false when this user has already decided on this approval (their first decision stands). */
  addDecision(decision: WorkflowDecision): boolean;
  decisions(approvalId: number): WorkflowDecision[];
  /** Every decision on the run's approvals, oldest first. */
  decisionsForRun(runId: string): WorkflowDecision[];
  /** Approvals still waiting for decisions, newest first (App Home's "waiting for you"). */
  pending(limit: number): WorkflowApproval[];
}

export type AgentProvider = 'anthropic' | 'offline';
/** `fallback`: the model failed and the offline provider answered instead. */
export type AgentRunStatus = 'running' | 'ok' | 'fallback' | 'failed';

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** One entry of a run's transcript: a model request or a tool call, in order. */
export type AgentTranscriptEntry =
  | { type: 'llm'; at: number; ok: boolean; requests: number; stop: string; usage: AgentUsage; costUsd: number; error?: string }
  | { type: 'tool'; at: number; tool: string; input: unknown; outcome: 'ok' | 'error' | 'refused'; result: string; chars: number; truncated: boolean };

export interface AgentRun {
  id: string;
  agent: string;
  provider: AgentProvider;
  model: string | null;
  status: AgentRunStatus;
  requestedBy: string;
  /** What the run was about: an alert group key, a thread, a PR, a CI run. */
  subject: string | null;
  /** Redacted. */
  input: unknown;
  transcript: AgentTranscriptEntry[];
  output: unknown;
  /** Said to the user beside the answer: the provider used, a fallback, a thin answer. */
  notes: string[];
  error: string | null;
  usage: AgentUsage;
  costUsd: number;
  llmRequests: number;
  toolCalls: number;
  startedAt: number;
  finishedAt: number | null;
}

export type NewAgentRun = Pick<AgentRun, 'agent' | 'provider' | 'model' | 'requestedBy' | 'subject' | 'input' | 'startedAt'>;
export type AgentRunOutcome = Pick<AgentRun, 'provider' | 'model' | 'status' | 'transcript' | 'output' | 'notes' | 'error' | 'usage' | 'costUsd' | 'llmRequests' | 'toolCalls' | 'finishedAt'>;

export interface AgentStatsRow {
  /** UTC date, YYYY-MM-DD. */
  day: string;
  agent: string;
  runs: number;
  /** Runs the model failed (answered offline instead, or not at all). */
  failures: number;
  offline: number;
  llmRequests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

export interface AgentRunRepo {
  start(run: NewAgentRun): string;
  finish(id: string, outcome: AgentRunOutcome): void;
  get(id: string): AgentRun | undefined;
  /** Newest first, without input, transcript and output. */
  list(limit: number): Omit<AgentRun, 'input' | 'transcript' | 'output'>[];
  /** Newest day first. */
  stats(since: number): AgentStatsRow[];
  prune(before: number): number;
}

export interface ThreadTurn {
  channel: string;
  threadTs: string;
  role: 'user' | 'assistant';
  userId: string | null;
  text: string;
  at: number;
}

export interface ThreadMemoryRepo {
  append(turn: ThreadTurn): void;
  /** The last `limit` turns at or after `since`, oldest first. */
  recent(channel: string, threadTs: string, options: { limit: number; since: number }): ThreadTurn[];
  prune(before: number): number;
}

export interface Store {
  db: Database.Database;
  agentRuns: AgentRunRepo;
  threadMemory: ThreadMemoryRepo;
  audit: AuditRepo;
  roles: RoleRepo;
  events: ProcessedEventRepo;
  inbox: InboxRepo;
  cursors: CursorRepo;
  lock: InstanceLock;
  workflowRuns: WorkflowRunRepo;
  workflowSteps: WorkflowStepRepo;
  workflowApprovals: WorkflowApprovalRepo;
  /** Runs `fn` in one synchronous transaction. */
  transaction<T>(fn: () => T): T;
  close(): void;
}
