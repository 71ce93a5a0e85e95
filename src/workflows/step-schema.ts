import { z } from 'zod';
import { duration, USER_ID } from '../config/fields.ts';
import { formatDuration } from '../duration.ts';
import type { Role } from '../roles.ts';
import type { ActionCall, ActionStep, ApprovalStep, Retry, Step, StepCommon } from './definition.ts';
import { checkCondition } from './expressions.ts';
import { type Ctx, either, expecting, fail, flag, isMapping, mapping, matching, orEmpty, record, roleName, text, wholeNumber } from './schema-kit.ts';
import { actionInputs, fullTemplate, templatedText } from './template-schema.ts';

/** The schema of a workflow step (action, approval, wait or parallel) and the walk over a list of them. */

export const DEFAULT_BACKOFF_MS = 5_000;
export const DEFAULT_MAX_BACKOFF_MS = 300_000;
export const DEFAULT_APPROVAL_EXPIRY_MS = 86_400_000;
export const MAX_RETRIES = 10;
export const MAX_FOR_EACH_CONCURRENCY = 100;
export const MAX_APPROVERS = 20;

const STEP_ID = /^[a-z][a-z0-9_-]*$/;
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ACTION_NAME = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*$/;
const USER_GROUP_ID = /^S[A-Z0-9]{2,}$/;
const KINDS = ['action', 'approval', 'wait', 'parallel'] as const;
const ACTION_ONLY = ['with', 'for_each', 'for_each_concurrency'] as const;

const actionName = matching(ACTION_NAME, 'an action name like shell, http or slack.message');

const actionCall = mapping({ action: actionName, with: actionInputs.optional() }, 'an action call').transform(
  (raw): ActionCall => ({ action: raw.action, with: raw.with ?? {} }),
);

const retryMapping = mapping(
  {
    max: wholeNumber(0, MAX_RETRIES),
    backoff: duration('5s', { allowZero: true }).optional(),
    max_backoff: duration('5m').optional(),
  },
  'retries',
).transform((raw, ctx): Retry => {
  const backoffMs = raw.backoff ?? DEFAULT_BACKOFF_MS;
  const maxBackoffMs = raw.max_backoff ?? Math.max(DEFAULT_MAX_BACKOFF_MS, backoffMs);
  if (maxBackoffMs < backoffMs) {
    fail(ctx, `expected at least the first backoff (${formatDuration(backoffMs)}), got ${formatDuration(maxBackoffMs)}`, raw.max_backoff, ['max_backoff']);
  }
  return { max: raw.max, backoffMs, maxBackoffMs };
});

const retries = either(
  (value) => !isMapping(value),
  wholeNumber(0, MAX_RETRIES).transform((max): Retry => ({ max, backoffMs: DEFAULT_BACKOFF_MS, maxBackoffMs: DEFAULT_MAX_BACKOFF_MS })),
  retryMapping,
);

const approvalSchema = mapping(
  {
    approvers: mapping(
      {
        users: z.array(matching(USER_ID, 'a Slack user ID like U012ABCDEF'), { error: expecting('a list of Slack user IDs') }).optional(),
        groups: z.array(matching(USER_GROUP_ID, 'a Slack user group ID like S0123ABCD'), { error: expecting('a list of Slack user group IDs') }).optional(),
        roles: z.array(roleName(), { error: expecting('a list of roles') }).optional(),
      },
      'who may approve',
    ),
    min: wholeNumber(1, MAX_APPROVERS).optional(),
    expires: duration('1h').optional(),
    message: templatedText('the text shown to the approvers').optional(),
  },
  'an approval',
).transform((raw, ctx): Omit<ApprovalStep, keyof StepCommon | 'kind'> => {
  const users = [...new Set(raw.approvers.users ?? [])];
  const groups = [...new Set(raw.approvers.groups ?? [])];
  const roles: Role[] = [...new Set(raw.approvers.roles ?? [])];
  const min = raw.min ?? 1;
  if (users.length + groups.length + roles.length === 0) fail(ctx, 'expected at least one approver: users, groups or roles', raw.approvers, ['approvers']);
  // Groups and roles may hold any number of people; a list of users alone is a hard ceiling.
  else if (groups.length === 0 && roles.length === 0 && min > users.length) {
    fail(ctx, `expected at most ${users.length} (the number of users who may approve), got ${min}`, min, ['min']);
  }
  const approval = { approvers: { users, groups, roles }, min, expiresMs: raw.expires ?? DEFAULT_APPROVAL_EXPIRY_MS };
  return raw.message === undefined ? approval : { ...approval, message: raw.message };
});

const stepShape = {
  id: matching(STEP_ID, 'a step id of lowercase letters, digits, - and _, starting with a letter'),
  name: text('a step name').optional(),
  when: fullTemplate('a condition', checkCondition).optional(),
  timeout: duration('10m').optional(),
  retries: retries.optional(),
  continue_on_error: flag().optional(),
  outputs: orEmpty(
    record(matching(OUTPUT_NAME, 'an output name of letters, digits and _'), templatedText('a template over the result like ${{ result.status }}'), 'a mapping of output names to templates'),
  ).optional(),
  undo: actionCall.optional(),
  action: actionName.optional(),
  with: actionInputs.optional(),
  for_each: fullTemplate('a list').optional(),
  for_each_concurrency: wholeNumber(1, MAX_FOR_EACH_CONCURRENCY).optional(),
  approval: approvalSchema.optional(),
  wait: duration('10m').optional(),
  get parallel() {
    return z
      .array(z.array(stepSchema, { error: expecting('a branch: a list of steps') }).min(1, { error: 'expected a branch with at least one step' }), {
        error: expecting('a list of branches, each a list of steps'),
      })
      .min(1, { error: 'expected at least one branch' })
      .optional();
  },
};

/** Exactly one kind, and the action-only keys only on actions: checked first, so the rest reads sensibly. */
function checkKind(value: unknown, ctx: Ctx): unknown {
  if (!isMapping(value)) return value;
  // In the order written: the first is what the step does, the others are reported.
  const kinds = Object.keys(value).filter((key) => (KINDS as readonly string[]).includes(key));
  if (kinds.length === 0) fail(ctx, `expected what the step does: one of ${KINDS.join(', ')}`, value);
  for (const extra of kinds.slice(1)) {
    fail(ctx, `a step does one thing: it has ${kinds[0]} already (make ${extra} a step of its own)`, value[extra], [extra], 'key');
  }
  if (kinds.length > 0 && !kinds.includes('action')) {
    for (const key of ACTION_ONLY) if (Object.hasOwn(value, key)) fail(ctx, `only an action step takes ${key}`, value[key], [key], 'key');
  } else if (Object.hasOwn(value, 'for_each_concurrency') && !Object.hasOwn(value, 'for_each')) {
    fail(ctx, 'for_each_concurrency needs for_each', value.for_each_concurrency, ['for_each_concurrency'], 'key');
  }
  return value;
}

export const stepSchema: z.ZodType<Step, unknown> = z.preprocess(
  checkKind,
  mapping(stepShape, 'a step').transform((raw): Step => {
    const common: StepCommon = { id: raw.id, continueOnError: raw.continue_on_error ?? false };
    if (raw.name !== undefined) common.name = raw.name;
    if (raw.when !== undefined) common.when = raw.when;
    if (raw.timeout !== undefined) common.timeoutMs = raw.timeout;
    if (raw.retries !== undefined) common.retry = raw.retries;
    if (raw.outputs !== undefined) common.outputs = raw.outputs;
    if (raw.undo !== undefined) common.undo = raw.undo;
    if (raw.action !== undefined) {
      const step: ActionStep = { ...common, kind: 'action', action: raw.action, with: raw.with ?? {} };
      if (raw.for_each !== undefined) step.forEach = { items: raw.for_each, concurrency: raw.for_each_concurrency ?? 1 };
      return step;
    }
    if (raw.approval !== undefined) return { ...common, kind: 'approval', ...raw.approval };
    if (raw.wait !== undefined) return { ...common, kind: 'wait', durationMs: raw.wait };
    // checkKind let nothing else through.
    return { ...common, kind: 'parallel', branches: raw.parallel ?? [] };
  }),
);

/** Visits every step, branches included, with its path in the YAML (`['steps', 2, 'parallel', 0, 1]`). */
export function walkSteps(steps: readonly Step[], visit: (step: Step, path: PropertyKey[]) => void, path: PropertyKey[] = ['steps']): void {
  steps.forEach((step, i) => {
    const at = [...path, i];
    visit(step, at);
    if (step.kind === 'parallel') step.branches.forEach((branch, b) => walkSteps(branch, visit, [...at, 'parallel', b]));
  });
}
