import { parse as parseCel } from '@marcbachmann/cel-js';
import { Cron } from 'croner';
import { z } from 'zod';
import { duration, showValue, USER_ID } from '../config/fields.ts';
import { formatDuration } from '../duration.ts';
import { ROLES, type Role } from '../roles.ts';
import { dottedPath } from '../yaml-source.ts';
import type {
  ActionCall,
  ActionStep,
  ApprovalStep,
  Concurrency,
  ParamDefinition,
  Retry,
  RunRole,
  Step,
  StepCommon,
  Templated,
  Triggers,
  WorkflowDefinition,
} from './definition.ts';
import { checkParamValue, fullMatch } from './params.ts';
import { checkCondition, checkTemplate } from './expressions.ts';
import { isFullTemplate, scanTemplates } from './template-syntax.ts';

/**
 * The YAML form of a workflow (`workflows/<name>.yaml`) and of a playbook (`playbooks/`), and the
 * zod schema turning it into a WorkflowDefinition (definition.ts). Keys are snake_case, the result
 * camelCase with durations in milliseconds. Every mapping is strict: an unknown key is an error,
 * because a typo (`continue_on_eror`) must not silently change what a run does.
 *
 * ```yaml
 * name: deploy                     # kebab-case, the file's name without .yaml
 * description: Build, test and roll out a service
 * params:                          # the run's inputs: `/ops workflow run deploy service=api version=v2.3.0`
 *   service: { type: string, required: true, enum: [api, web] }
 *   version: { type: string, required: true, pattern: 'v\d+\.\d+\.\d+', description: release tag }
 *   env: { type: string, default: staging, enum: [staging, production] }
 *   replicas: { type: number, default: 3 }
 *   dry: { type: boolean, default: false }
 * role:                            # or just `role: deployer`
 *   default: responder             # who may run it…
 *   by_param: env                  # …unless this param (it needs an enum)…
 *   values: { production: deployer }  # …takes one of these values
 * concurrency:                     # one run per key at a time; the others queue (default) or are refused
 *   key: ${{ params.service }}-${{ params.env }}
 *   mode: queue
 * triggers:                        # all optional
 *   command: true                  # /ops workflow run (default true)
 *   schedule:
 *     - { cron: '0 9 * * 1-5', timezone: Europe/Berlin, params: { service: api, version: v1.0.0 } }
 *   webhook: { token_env: DEPLOY_WEBHOOK_TOKEN }   # POST /webhooks/workflows/deploy, bearer token from that variable
 * steps:                           # each step: an id (unique in the file) and exactly one of action, approval, wait, parallel
 *   - id: build
 *     action: shell
 *     with: { argv: [make, build, 'VERSION=${{ params.version }}'] }
 *     timeout: 10m
 *     retries: { max: 2, backoff: 10s, max_backoff: 1m }   # or `retries: 2`
 *     outputs: { image: '${{ result.stdout }}' }
 *   - id: smoke
 *     action: http
 *     with: { url: 'https://${{ item }}.example.com/${{ params.service }}/health' }
 *     for_each: ${{ ['eu', 'us'] }}    # one run of the action per item (`item` in expressions)…
 *     for_each_concurrency: 2          # …at most this many at once (default 1)
 *   - id: approve
 *     when: ${{ params.env == 'production' }}
 *     approval:
 *       approvers: { users: [U012ABCDEF], groups: [S0123ABCD], roles: [deployer] }
 *       min: 1                     # distinct approvers needed (default 1)
 *       expires: 1h                # default 24h
 *       message: Roll out ${{ params.version }} to production?
 *   - id: soak
 *     wait: 10m
 *   - id: rollout
 *     parallel:                    # branches run side by side, then join
 *       - [ { id: eu, action: shell, with: { argv: [deploy, eu, '${{ steps.build.outputs.image }}'] } } ]
 *       - [ { id: us, action: shell, with: { argv: [deploy, us, '${{ steps.build.outputs.image }}'] } } ]
 *     continue_on_error: false
 *     undo: { action: shell, with: { argv: [rollback, '${{ params.service }}'] } }
 * ```
 *
 * `${{ … }}` holds a CEL expression; `when` and `for_each` must be one whole template. Templates
 * may read `params`, `steps.<id>.outputs` of steps that ran before, `result` (in `outputs`) and
 * `item` (under `for_each`). The loader adds what needs the file and the action catalog (the name
 * matching the file, known action names, each step's line).
 */

export type WorkflowDocument = Omit<WorkflowDefinition, 'file' | 'source'>;

export const DEFAULT_BACKOFF_MS = 5_000;
export const DEFAULT_MAX_BACKOFF_MS = 300_000;
export const DEFAULT_APPROVAL_EXPIRY_MS = 86_400_000;
export const MAX_RETRIES = 10;
export const MAX_FOR_EACH_CONCURRENCY = 100;
export const MAX_APPROVERS = 20;

const WORKFLOW_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const STEP_ID = /^[a-z][a-z0-9_-]*$/;
// Param and output names are read in CEL as `params.<name>`: a - would be a subtraction there.
const IDENTIFIER = /^[a-z][a-z0-9_]*$/;
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ACTION_NAME = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const USER_GROUP_ID = /^S[A-Z0-9]{2,}$/;
const KINDS = ['action', 'approval', 'wait', 'parallel'] as const;
const ACTION_ONLY = ['with', 'for_each', 'for_each_concurrency'] as const;

type Ctx = z.core.$RefinementCtx;

function fail(ctx: Ctx, message: string, input: unknown, path: PropertyKey[] = [], at: 'key' | 'value' = 'value'): void {
  ctx.issues.push({ code: 'custom', message, input, path, ...(at === 'key' ? { params: { at } } : {}) });
}

/** "required: …" for a missing key, "expected …, got …" for a wrong value. */
function expecting(what: string) {
  return (iss: { input?: unknown }) => (iss.input === undefined ? `required: ${what}` : `expected ${what}, got ${showValue(iss.input)}`);
}

function text(what: string) {
  return z.string({ error: expecting(what) }).min(1, { error: expecting(what) });
}

function matching(pattern: RegExp, what: string) {
  return z.string({ error: expecting(what) }).regex(pattern, { error: expecting(what) });
}

function flag() {
  return z.boolean({ error: expecting('true or false') });
}

function wholeNumber(min: number, max: number) {
  const error = expecting(`a whole number from ${min} to ${max}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function roleName() {
  return z.enum(ROLES, { error: expecting(`one of ${ROLES.join(', ')}`) });
}

/** A strict mapping; its messages list the keys it takes. */
function mapping<Shape extends z.ZodRawShape>(shape: Shape, what: string) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `expected one of: ${keys}` : expecting(`${what} (a mapping with keys ${keys})`)(iss)),
  });
}

/** A mapping whose every entry may be commented out: `params:` alone (null) reads as none. */
function orEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => value ?? {}, schema);
}

/** Two shapes for one key (`retries: 2` or a mapping): the value's shape picks the schema, so messages fit what was written. */
function either<A extends z.ZodType, B extends z.ZodType>(isFirst: (value: unknown) => boolean, first: A, second: B) {
  return z.unknown().transform((value, ctx): z.output<A> | z.output<B> => {
    const result = (isFirst(value) ? first : second).safeParse(value);
    if (result.success) return result.data as z.output<A> | z.output<B>;
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: value } as z.core.$ZodRawIssue);
    return z.NEVER;
  });
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// As names they would reach or shadow Object.prototype (and z.record silently drops `__proto__`).
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

function reservedName(name: string): string {
  return `${showValue(name)} is reserved: pick another name`;
}

/** A mapping of names to values (params, outputs, action inputs…): each name and each value checked, every name kept. */
function record<V extends z.ZodType>(name: z.ZodType<string>, value: V, what: string) {
  return z.unknown().transform((input, ctx): Record<string, z.output<V>> => {
    if (!isMapping(input)) {
      fail(ctx, expecting(what)({ input }), input);
      return z.NEVER;
    }
    const out: Record<string, z.output<V>> = {};
    for (const [key, item] of Object.entries(input)) {
      if (RESERVED_NAMES.has(key)) {
        fail(ctx, reservedName(key), key, [key], 'key');
        continue;
      }
      const checkedName = name.safeParse(key);
      if (!checkedName.success) {
        for (const issue of checkedName.error.issues) fail(ctx, issue.message, key, [key], 'key');
        continue;
      }
      const checked = value.safeParse(item);
      if (checked.success) out[key] = checked.data as z.output<V>;
      else for (const issue of checked.error.issues) ctx.issues.push({ ...issue, path: [key, ...issue.path], input: item } as z.core.$ZodRawIssue);
    }
    return out;
  });
}

// --- templates ---------------------------------------------------------------------------

/**
 * Action inputs are checked for syntax only: an action may evaluate one in a scope of its own
 * (wait-until's `probe`), so the names it reads are the action's business. Everything else goes
 * through expressions.ts, the engine's own checks, names and types included.
 */
function inputTemplateProblem(value: string): string | undefined {
  const scan = scanTemplates(value);
  if (!scan.ok) return scan.error;
  for (const segment of scan.segments) {
    if (typeof segment === 'string') continue;
    const source = segment.expression.trim();
    if (source === '') return '${{ }}: the expression is empty';
    try {
      parseCel(source);
    } catch (err) {
      const summary = (err as { summary?: unknown }).summary;
      const reason = (typeof summary === 'string' ? summary : err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      return `\${{ ${source.length > 120 ? `${source.slice(0, 120)}…` : source} }}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
    }
  }
  return undefined;
}

/** A string that may hold templates among literal text. */
function templatedText(what: string) {
  return z.string({ error: expecting(what) }).superRefine((value, ctx) => {
    const problem = checkTemplate(value);
    if (problem !== undefined) fail(ctx, problem, value);
  });
}

/** One whole `${{ … }}` (when, for_each): the value is the expression's, not a string around it. */
function fullTemplate(what: string, check: (template: string) => string | undefined = checkTemplate) {
  const expected = `one \${{ … }} expression as the whole value (${what})`;
  return z.string({ error: expecting(expected) }).transform((value, ctx) => {
    const trimmed = value.trim();
    const scan = scanTemplates(trimmed);
    if (!scan.ok) fail(ctx, scan.error, value);
    else if (!isFullTemplate(trimmed)) fail(ctx, `expected ${expected}, got ${showValue(value)}`, value);
    else {
      const problem = check(trimmed);
      if (problem !== undefined) fail(ctx, problem, value);
    }
    return trimmed;
  });
}

/** Every string in a `with:` value, with its path below that value. */
function stringsIn(value: unknown, path: PropertyKey[] = []): Array<{ text: string; path: PropertyKey[] }> {
  if (typeof value === 'string') return [{ text: value, path }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, [...path, i]));
  if (isMapping(value)) return Object.entries(value).flatMap(([key, item]) => stringsIn(item, [...path, key]));
  return [];
}

/** A value of `with:`: any YAML, its strings checked as templates, its mapping keys as names. */
const actionInput = z.unknown().superRefine((input, ctx) => {
  for (const { text: value, path } of stringsIn(input)) {
    const problem = inputTemplateProblem(value);
    if (problem !== undefined) fail(ctx, problem, value, path);
  }
  const visitKeys = (value: unknown, path: PropertyKey[]) => {
    if (Array.isArray(value)) value.forEach((item, i) => visitKeys(item, [...path, i]));
    else if (isMapping(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (RESERVED_NAMES.has(key)) fail(ctx, reservedName(key), key, [...path, key], 'key');
        else visitKeys(item, [...path, key]);
      }
    }
  };
  visitKeys(input, []);
});

const actionInputs = orEmpty(record(z.string(), actionInput, "a mapping of the action's inputs")).transform((inputs) => inputs as Record<string, Templated>);

// --- params, role, concurrency, triggers -------------------------------------------------

const paramSchema = mapping(
  {
    type: z.enum(['string', 'number', 'boolean'], { error: expecting('string, number or boolean') }),
    description: text('a description').optional(),
    required: flag().optional(),
    default: z.union([z.string(), z.number(), z.boolean()], { error: expecting('a text, number, true or false') }).optional(),
    enum: z
      .array(z.union([z.string(), z.number()], { error: expecting('a text or a number') }), { error: expecting('a list of the allowed values') })
      .min(1, { error: 'expected at least one allowed value' })
      .optional(),
    pattern: z.string({ error: expecting('a regular expression') }).optional(),
  },
  'a param',
).transform((raw, ctx): ParamDefinition => {
  const param: ParamDefinition = { type: raw.type, required: raw.required ?? false };
  if (raw.description !== undefined) param.description = raw.description;
  if (raw.pattern !== undefined) {
    if (raw.type !== 'string') {
      fail(ctx, `a pattern applies to string params only (this one is a ${raw.type})`, raw.pattern, ['pattern']);
    } else {
      try {
        fullMatch(raw.pattern);
        param.pattern = raw.pattern;
      } catch (err) {
        fail(ctx, `expected a regular expression, got ${showValue(raw.pattern)} (${err instanceof Error ? err.message : String(err)})`, raw.pattern, ['pattern']);
      }
    }
  }
  if (raw.enum !== undefined) {
    if (raw.type === 'boolean') fail(ctx, 'a boolean param is true or false: it takes no enum', raw.enum, ['enum']);
    raw.enum.forEach((choice, i) => {
      if (raw.type !== 'boolean' && typeof choice !== raw.type) fail(ctx, `expected a ${raw.type} (the param's type), got ${showValue(choice)}`, choice, ['enum', i]);
    });
    param.enum = raw.enum;
  }
  if (raw.default !== undefined) {
    if (param.required) fail(ctx, 'a required param takes no default (it would never be used): drop one of them', raw.default, ['default']);
    const checked = checkParamValue(param, raw.default);
    if (checked.ok) param.default = checked.value;
    else fail(ctx, checked.message, raw.default, ['default']);
  }
  return param;
});

const paramsSection = orEmpty(
  record(matching(IDENTIFIER, 'a param name of lowercase letters, digits and _, starting with a letter'), paramSchema, 'a mapping of param names to their definitions'),
);

const runRole = either(
  (value) => !isMapping(value),
  roleName().transform((role): RunRole => ({ role })),
  mapping(
    {
      default: roleName(),
      by_param: matching(IDENTIFIER, 'the name of a param with an enum'),
      values: record(z.string(), roleName(), "a mapping of that param's values to roles"),
    },
    'a role, or a role per value of one param',
  ).transform((raw): RunRole => ({ role: raw.default, byParam: raw.by_param, values: raw.values })),
);

const concurrencySchema = mapping(
  {
    key: templatedText('a key template like ${{ params.service }}-${{ params.env }}').pipe(z.string().min(1, { error: 'expected a key template, got an empty string' })),
    mode: z.enum(['queue', 'refuse'], { error: expecting('queue or refuse') }).optional(),
  },
  'how many runs at a time',
).transform((raw): Concurrency => ({ key: raw.key, mode: raw.mode ?? 'queue' }));

const cronSchema = z.string({ error: expecting("a cron expression like '0 9 * * 1-5'") }).superRefine((pattern, ctx) => {
  let job: Cron | undefined;
  try {
    // Paused and without a function: croner only parses, nothing is scheduled.
    job = new Cron(pattern, { paused: true });
    if (job.nextRun() === null) fail(ctx, `expected a cron expression that fires, ${showValue(pattern)} never does`, pattern);
  } catch (err) {
    fail(ctx, `expected a cron expression like '0 9 * * 1-5', got ${showValue(pattern)} (${(err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '')})`, pattern);
  } finally {
    job?.stop();
  }
});

const timezoneSchema = z.string({ error: expecting('an IANA time zone like Europe/Berlin') }).superRefine((zone, ctx) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    fail(ctx, `expected an IANA time zone like Europe/Berlin, got ${showValue(zone)}`, zone);
  }
});

const scheduleSchema = mapping(
  {
    cron: cronSchema,
    timezone: timezoneSchema.optional(),
    params: orEmpty(
      record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: expecting('a text, number, true or false') }), 'a mapping of param names to values'),
    ).optional(),
  },
  'a schedule entry',
);

const triggersSchema = orEmpty(
  mapping(
    {
      command: flag().optional(),
      schedule: z.array(scheduleSchema, { error: expecting('a list of schedule entries') }).optional(),
      webhook: mapping({ token_env: matching(ENV_NAME, 'the name of an environment variable like DEPLOY_WEBHOOK_TOKEN') }, 'a webhook trigger').optional(),
    },
    'the triggers',
  ),
).transform((raw): Triggers => {
  const triggers: Triggers = {
    command: raw.command ?? true,
    schedules: (raw.schedule ?? []).map((entry) => ({ cron: entry.cron, ...(entry.timezone !== undefined ? { timezone: entry.timezone } : {}), params: entry.params ?? {} })),
  };
  if (raw.webhook !== undefined) triggers.webhook = { tokenEnv: raw.webhook.token_env };
  return triggers;
});

// --- steps -------------------------------------------------------------------------------

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

const stepSchema: z.ZodType<Step, unknown> = z.preprocess(
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

// --- the whole document ------------------------------------------------------------------

export const workflowDocumentSchema: z.ZodType<WorkflowDocument, unknown> = mapping(
  {
    name: matching(WORKFLOW_NAME, 'a kebab-case name like deploy-api'),
    description: text('a one-line description'),
    params: paramsSection.optional(),
    role: runRole,
    concurrency: concurrencySchema.optional(),
    triggers: triggersSchema.optional(),
    steps: z.array(stepSchema, { error: expecting('a list of steps') }).min(1, { error: 'expected at least one step' }),
  },
  'a workflow',
).transform((raw, ctx): WorkflowDocument => {
  const params = raw.params ?? {};
  const triggers = raw.triggers ?? { command: true, schedules: [] };
  checkRunRole(raw.role, params, ctx);
  triggers.schedules = triggers.schedules.map((schedule, i) => ({ ...schedule, params: checkScheduleParams(schedule.params, params, i, ctx) }));
  checkStepIds(raw.steps, ctx);
  checkReferences(raw.steps, params, raw.concurrency, ctx);
  const doc: WorkflowDocument = { name: raw.name, description: raw.description, params, run: raw.role, triggers, steps: raw.steps };
  if (raw.concurrency !== undefined) doc.concurrency = raw.concurrency;
  return doc;
});

function checkRunRole(run: RunRole, params: Record<string, ParamDefinition>, ctx: Ctx): void {
  if (!('byParam' in run)) return;
  const param = Object.hasOwn(params, run.byParam) ? params[run.byParam] : undefined;
  if (param === undefined) {
    fail(ctx, `expected the name of a declared param, got ${showValue(run.byParam)} (${declared(params)})`, run.byParam, ['role', 'by_param']);
    return;
  }
  if (param.enum === undefined) {
    fail(ctx, `param ${run.byParam} has no enum: a role per value needs the values listed`, run.byParam, ['role', 'by_param']);
    return;
  }
  const choices = param.enum.map(String);
  for (const value of Object.keys(run.values)) {
    if (!choices.includes(value)) fail(ctx, `${showValue(value)} is not a value of ${run.byParam} (one of ${choices.join(', ')})`, value, ['role', 'values', value], 'key');
  }
}

/** A scheduled run has nobody to ask: its params must be complete and valid as written. */
function checkScheduleParams(
  given: Record<string, string | number | boolean>,
  params: Record<string, ParamDefinition>,
  index: number,
  ctx: Ctx,
): Record<string, string | number | boolean> {
  const at = ['triggers', 'schedule', index, 'params'];
  const typed: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(given)) {
    const param = Object.hasOwn(params, name) ? params[name] : undefined;
    if (param === undefined) {
      fail(ctx, `unknown param (${declared(params)})`, value, [...at, name], 'key');
      continue;
    }
    const checked = checkParamValue(param, value);
    if (checked.ok) typed[name] = checked.value;
    else fail(ctx, checked.message, value, [...at, name]);
  }
  for (const [name, param] of Object.entries(params)) {
    if (param.required && param.default === undefined && !Object.hasOwn(given, name)) {
      fail(ctx, `missing required param ${name}: a scheduled run has nobody to ask for it`, given, at);
    }
  }
  return typed;
}

function declared(params: Record<string, ParamDefinition>): string {
  const names = Object.keys(params);
  return names.length === 0 ? 'this workflow declares no params' : `declared: ${names.join(', ')}`;
}

function checkStepIds(steps: readonly Step[], ctx: Ctx): void {
  const seen = new Map<string, string>();
  walkSteps(steps, (step, path) => {
    const first = seen.get(step.id);
    if (first !== undefined) fail(ctx, `step id ${step.id} is used twice (first at ${first}); ids are unique in the whole workflow`, step.id, [...path, 'id']);
    else seen.set(step.id, dottedPath(path));
  });
}

// --- references in templates (best effort: a regular expression over each expression) ----------

interface TemplateSite {
  path: PropertyKey[];
  value: string;
  /** Evaluated once the step has finished (outputs, undo): a parallel step's branches have run by then. */
  after: boolean;
  /** The undo runs after its own step, so it may read that step's outputs. */
  inUndo: boolean;
}

function templateSites(step: Step): TemplateSite[] {
  const sites: TemplateSite[] = [];
  const add = (value: unknown, path: PropertyKey[], when: 'before' | 'after' | 'undo' = 'before') => {
    for (const found of stringsIn(value)) sites.push({ value: found.text, path: [...path, ...found.path], after: when !== 'before', inUndo: when === 'undo' });
  };
  add(step.when, ['when']);
  add(step.outputs, ['outputs'], 'after');
  add(step.undo?.with, ['undo', 'with'], 'undo');
  if (step.kind === 'action') {
    add(step.forEach?.items, ['for_each']);
    add(step.with, ['with']);
  }
  if (step.kind === 'approval') add(step.message, ['approval', 'message']);
  return sites;
}

function expressionsIn(value: string): string[] {
  const scan = scanTemplates(value);
  return scan.ok ? scan.segments.flatMap((segment) => (typeof segment === 'string' ? [] : [segment.expression])) : [];
}

const STRING_LITERAL = /[rRbB]{0,2}('''[\s\S]*?'''|"""[\s\S]*?"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")/g;

/** Names read as `root.<name>` or `root['<name>']` in a CEL expression. */
function namesUnder(root: 'steps' | 'params', expression: string): Array<{ name: string; dotted: boolean }> {
  const names: Array<{ name: string; dotted: boolean }> = [];
  for (const match of expression.matchAll(new RegExp(`(?<![\\w.])${root}\\s*\\[\\s*(['"])([^'"]*)\\1\\s*\\]`, 'g'))) {
    names.push({ name: match[2] ?? '', dotted: false });
  }
  // Literal text is not a reference: `'steps.x'` in a message stays text.
  const code = expression.replace(STRING_LITERAL, '""');
  for (const match of code.matchAll(new RegExp(`(?<![\\w.])${root}\\s*\\.\\s*([A-Za-z_][\\w-]*)`, 'g'))) {
    names.push({ name: match[1] ?? '', dotted: true });
  }
  return names;
}

function checkReferences(steps: readonly Step[], params: Record<string, ParamDefinition>, concurrency: Concurrency | undefined, ctx: Ctx): void {
  const all = new Set<string>();
  walkSteps(steps, (step) => all.add(step.id));

  const checkParams = (site: TemplateSite) => {
    for (const expression of expressionsIn(site.value)) {
      for (const { name } of namesUnder('params', expression)) {
        if (!Object.hasOwn(params, name)) fail(ctx, `params.${name}: no such param (${declared(params)})`, site.value, site.path);
      }
    }
  };

  const checkSite = (site: TemplateSite, before: ReadonlySet<string>, self: string) => {
    checkParams(site);
    for (const expression of expressionsIn(site.value)) {
      for (const ref of namesUnder('steps', expression)) {
        let name = ref.name;
        if (ref.dotted && name.includes('-')) {
          // In CEL `steps.build-image` is `steps.build - image`: say how to write it.
          if (all.has(name)) {
            fail(ctx, `write steps['${name}'] (in steps.${name} the - is a subtraction)`, site.value, site.path);
            continue;
          }
          name = name.slice(0, name.indexOf('-'));
        }
        if (before.has(name) || (site.inUndo && name === self)) continue;
        const why = !all.has(name) ? 'no step has this id' : name === self ? 'a step cannot read its own outputs' : 'that step has not run yet here (it comes later, or in a parallel branch)';
        fail(ctx, `steps.${name}: ${why}`, site.value, site.path);
      }
    }
  };

  /** `before`: ids of the steps certainly finished when these steps start; gains each as it passes. */
  const visit = (list: readonly Step[], path: PropertyKey[], before: Set<string>) => {
    list.forEach((step, i) => {
      const at = [...path, i];
      const sites = templateSites(step).map((site) => ({ ...site, path: [...at, ...site.path] }));
      for (const site of sites) if (!site.after) checkSite(site, before, step.id);
      if (step.kind === 'parallel') {
        step.branches.forEach((branch, b) => visit(branch, [...at, 'parallel', b], new Set(before)));
        walkSteps(step.branches.flat(), (inner) => before.add(inner.id));
      }
      for (const site of sites) if (site.after) checkSite(site, before, step.id);
      before.add(step.id);
    });
  };
  visit(steps, ['steps'], new Set());

  if (concurrency !== undefined) {
    const site = { value: concurrency.key, path: ['concurrency', 'key'], after: false, inUndo: false };
    checkParams(site);
    for (const expression of expressionsIn(concurrency.key)) {
      if (namesUnder('steps', expression).length > 0) fail(ctx, 'the concurrency key is known before any step runs: use params only', concurrency.key, site.path);
    }
  }
}
