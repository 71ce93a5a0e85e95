import type { Remediation, Severity } from '../agents/taxonomy.ts';
import type { Role } from '../roles.ts';

/**
 * A workflow as opsbot holds it after loading and validating `workflows/<name>.yaml` (the zod
 * schema in definition-schema.ts produces exactly this). Values that may hold `${{ … }}`
 * expressions are kept as written (`Templated`) and evaluated by the engine when the step runs.
 */

/** A string, number, boolean, list or map that may contain `${{ expr }}` templates. */
export type Templated = string | number | boolean | null | Templated[] | { [key: string]: Templated };

export interface ParamDefinition {
  type: 'string' | 'number' | 'boolean';
  description?: string;
  required: boolean;
  default?: string | number | boolean;
  enum?: Array<string | number>;
  /** Regular expression a string value must match in full. */
  pattern?: string;
}

/** Who may run the workflow: one role, or a role per value of one param (e.g. env). */
export type RunRole = { role: Role } | { role: Role; byParam: string; values: Record<string, Role> };

export interface Concurrency {
  /** Template over params; runs with the same key are limited to one at a time. */
  key: string;
  /** queue: wait for the running one; refuse: answer the requester that one is running. */
  mode: 'queue' | 'refuse';
}

export interface Triggers {
  /** `/ops workflow run <name>` (default true). */
  command: boolean;
  schedules: Array<{ cron: string; timezone?: string; params: Record<string, string | number | boolean> }>;
  /** POST /webhooks/workflows/<name> with this token (from the environment variable named). */
  webhook?: { tokenEnv: string };
}

export interface Retry {
  max: number;
  /** First backoff; doubles each attempt up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

/** What every step may carry, whatever its kind. */
export interface StepCommon {
  id: string;
  name?: string;
  /** Template evaluating to a boolean; false skips the step. */
  when?: string;
  timeoutMs?: number;
  retry?: Retry;
  continueOnError: boolean;
  /** name → template over the step's `result` (and params, steps); stored as the step's outputs. */
  outputs?: Record<string, string>;
  /** Runs (in reverse order of completion) on failure or on `/ops workflow rollback`. */
  undo?: ActionCall;
  /** Source position of the step in its file, for messages. */
  line?: number;
}

export interface ActionCall {
  /** Name in the action catalog, e.g. `shell`, `http`, `slack.message`, `wait-until`, `k8s.restart`. */
  action: string;
  with: Record<string, Templated>;
}

export interface ActionStep extends StepCommon, ActionCall {
  kind: 'action';
  /** Template evaluating to a list: the action runs once per item (`item` in expressions). */
  forEach?: { items: string; concurrency: number };
}

export interface ApprovalStep extends StepCommon {
  kind: 'approval';
  approvers: { users: string[]; groups: string[]; roles: Role[] };
  /** How many distinct approvers must approve. */
  min: number;
  expiresMs: number;
  message?: string;
}

export interface WaitStep extends StepCommon {
  kind: 'wait';
  durationMs: number;
}

export interface ParallelStep extends StepCommon {
  kind: 'parallel';
  branches: Step[][];
}

export type Step = ActionStep | ApprovalStep | WaitStep | ParallelStep;

export interface WorkflowDefinition {
  name: string;
  description: string;
  params: Record<string, ParamDefinition>;
  run: RunRole;
  concurrency?: Concurrency;
  triggers: Triggers;
  steps: Step[];
  /** `workflows/deploy.yaml`, for messages. */
  file: string;
  /** `workflow` (on demand) or `playbook` (alert-triggered). */
  source: 'workflow' | 'playbook';
  /** Which alerts the playbook answers and how far it may go on its own; present iff source is `playbook`. */
  playbook?: PlaybookSpec;
  /**
   * Only on the copy a playbook run is started with (playbook-runner.ts), stored with the run:
   * what the run is for, so its start, approvals and end reach the incident's timeline, after a
   * restart too. Never in a loaded file.
   */
  playbookRun?: PlaybookRunLink;
}

/** Why a playbook run exists: how it was started and what it is linked to. */
export interface PlaybookRunLink {
  trigger: 'click' | 'auto';
  incidentId?: string;
  alertGroupId?: string;
  severity?: Severity;
  /** The id of the approval step the runner put first (medium and high risk, not automatic). */
  approvalStep?: string;
}

// --- playbooks (playbook-schema.ts reads them, playbook-match.ts applies them) ------------------
// Plain data, like the rest of the definition: regular expressions are kept as written and
// compiled where they are applied, so a definition can be cloned, stored or sent as JSON.

export type Risk = 'low' | 'medium' | 'high';

/** A regular expression as written between the slashes of `/…/` or `/…/i`. */
export interface Pattern {
  regex: string;
  ignoreCase: boolean;
}

/** A label's or annotation's expected value: exact text, or a Pattern the whole value must match. */
export type ValueMatcher = { equals: string } | Pattern;

/** One entry of `match:`; every condition written must hold. At least one is present. */
export interface AlertMatcher {
  labels?: Record<string, ValueMatcher>;
  annotations?: Record<string, ValueMatcher>;
  /** The alert's service (playbook-match.ts SERVICE_LABELS) must be one of these. */
  services?: string[];
  /** Searched (not anchored) in the alert's name, summary and description. */
  text?: Pattern;
}

export interface PlaybookSpec {
  /** Any one matching is enough. */
  match: AlertMatcher[];
  risk: Risk;
  /** What kind of fix the playbook is. */
  remediation: Remediation;
  /** May run without a person's approval for these severities; never when risk is not low. */
  autorun: { enabled: boolean; severities: Severity[] };
  /** param name → alert label supplying its value: targets come from the alert, never from a model. */
  paramsFromAlert: Record<string, string>;
}
