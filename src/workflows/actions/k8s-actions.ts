import { formatDuration } from '../../duration.ts';
import { OpsError, UserError } from '../../errors.ts';
import { DEFAULT_TAIL_LINES, MAX_TAIL_LINES } from '../../integrations/kubernetes/kube-reads.ts';
import type { KubeOps, KubeScope, RolloutStatus, WriteResult } from '../../integrations/kubernetes/kube-types.ts';
import type { NewAuditEntry } from '../../store/types.ts';
import type { ActionContext, ActionDefinition, ActionResult } from '../action.ts';
import { type InputFields, inputFields } from './input-fields.ts';
import { SCOPE_KEYS, needKube, scopeOf, whereText } from './k8s-action-input.ts';

/**
 * `k8s.*` actions: the Kubernetes operations of `/ops k8s …` as workflow steps. Targets go
 * through the same allowlists (KubeOps.resolve) at run time; `environment: staging` picks the one
 * allowed context of that environment, so a workflow need not name clusters. Under DRY_RUN writes
 * go out with dryRun=All and change nothing; `k8s.wait-rollout` looks once and does not wait.
 * Without a kubeconfig they still exist (so workflows validate) and fail at run time saying so.
 * Every write is audited with its before and after.
 */

export interface K8sActionDeps {
  kube?: KubeOps;
  /** Where each write's before/after lands (the audit log). */
  audit?: { append(entry: NewAuditEntry): number };
}

export const K8S_ACTION_NAMES = ['k8s.set-image', 'k8s.restart', 'k8s.scale', 'k8s.rollout-undo', 'k8s.wait-rollout', 'k8s.logs'] as const;

const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DEFAULT_ROLLOUT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_ROLLOUT_INTERVAL_MS = 5_000;
const MIN_ROLLOUT_INTERVAL_MS = 1_000;

interface Scoped {
  scope: KubeScope;
}

function name(fields: InputFields, input: Record<string, unknown>, field: string, what: string): string {
  const value = fields.string(field);
  return OBJECT_NAME.test(value) ? value : fields.fail(field, `a ${what} name (lower-case letters, digits, - and .)`, input[field]);
}

/** A whole number in range; a template gives numbers as numbers, or as text. */
function wholeNumber(fields: InputFields, input: Record<string, unknown>, field: string, min: number, max: number): number {
  const raw = input[field];
  const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max ? value : fields.fail(field, `a whole number from ${min} to ${max}`, raw);
}


function writeOutcome(action: string, result: WriteResult, ctx: ActionContext, deps: K8sActionDeps, extra: Record<string, unknown>): ActionResult {
  const { target } = result;
  deps.audit?.append({
    at: ctx.clock.now(),
    actor: 'system',
    channel: null,
    action,
    command: null,
    args: JSON.stringify({ run: ctx.runId, step: ctx.stepPath, key: ctx.idempotencyKey, target, deployment: result.name, ...extra, dryRun: result.dryRun, before: result.before, after: result.after, ...(result.note ? { note: result.note } : {}) }),
    outcome: 'ok',
  });
  const b = result.before;
  const a = result.after;
  const changes = [
    ...(b.replicas !== a.replicas ? [`replicas ${b.replicas ?? '?'} → ${a.replicas ?? '?'}`] : []),
    ...((b.images ?? []).join(',') !== (a.images ?? []).join(',') ? [`image ${(b.images ?? []).join(', ')} → ${(a.images ?? []).join(', ')}`] : []),
    ...(b.revision !== a.revision ? [`revision ${b.revision ?? '?'} → ${a.revision ?? '?'}`] : []),
  ];
  const log = `${result.dryRun ? 'DRY RUN (dryRun=All, nothing changed): ' : ''}deployment/${result.name} in ${whereText(target)}: ${result.note ?? (changes.join(', ') || 'no change')}`;
  return {
    result: { context: target.context, namespace: target.namespace, environment: target.environment, deployment: result.name, dryRun: result.dryRun, before: result.before, after: result.after, ...(result.note ? { note: result.note } : {}) },
    log,
  };
}

// --- k8s.set-image ---------------------------------------------------------------------------

export interface SetImageInput extends Scoped {
  deployment: string;
  container: string;
  /** The whole reference, or only a new tag for the container's current image. */
  image: { reference: string } | { tag: string };
}

const TAG = /^[\w][\w.-]{0,127}$/;

export function parseSetImageInput(input: Record<string, unknown>): SetImageInput {
  const fields = inputFields('k8s.set-image', input);
  fields.only(['deployment', 'container', 'image', 'tag', ...SCOPE_KEYS]);
  const deployment = name(fields, input, 'deployment', 'deployment');
  const container = fields.string('container');
  if (!CONTAINER_NAME.test(container)) fields.fail('container', 'a container name (lower-case letters, digits and -)', input.container);
  const reference = fields.optionalString('image');
  const tag = fields.optionalString('tag');
  if ((reference === undefined) === (tag === undefined)) fields.fail('image', 'given, or else `with.tag` (exactly one of them)', input.image);
  if (reference !== undefined && (reference.length > 512 || !/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/.test(reference))) fields.fail('image', 'an image reference like registry.example.com/team/api:v2.3.0', input.image);
  if (tag !== undefined && !TAG.test(tag)) fields.fail('tag', 'an image tag like v2.3.0', input.tag);
  return { deployment, container, image: reference !== undefined ? { reference } : { tag: tag as string }, scope: scopeOf(fields, input) };
}

/** `registry:5000/team/api:v1@sha256:…` → `registry:5000/team/api:<tag>`. */
export function withTag(image: string, tag: string): string {
  const bare = image.split('@')[0] as string;
  const colon = bare.lastIndexOf(':');
  const repository = colon > bare.lastIndexOf('/') ? bare.slice(0, colon) : bare;
  return `${repository}:${tag}`;
}

async function setImage(kube: KubeOps, input: SetImageInput, ctx: ActionContext): Promise<WriteResult> {
  const target = kube.resolve(input.scope);
  if ('reference' in input.image) return kube.setImage(target, input.deployment, input.container, input.image.reference, { dryRun: ctx.dryRun });
  const current = (await kube.deployments(target)).find((d) => d.name === input.deployment);
  if (!current) throw new UserError('k8s_deployment_not_found', `k8s.set-image: there is no deployment \`${input.deployment}\` in ${whereText(target)}.`);
  const container = current.containers?.find((c) => c.name === input.container);
  if (!container) throw new UserError('k8s_container_not_found', `k8s.set-image: deployment \`${input.deployment}\` has no container \`${input.container}\`.`, `Its containers: ${(current.containers ?? []).map((c) => `\`${c.name}\``).join(', ') || 'none'}.`);
  return kube.setImage(target, input.deployment, input.container, withTag(container.image, input.image.tag), { dryRun: ctx.dryRun });
}

// --- k8s.restart / k8s.scale / k8s.rollout-undo ------------------------------------------

export interface DeploymentInput extends Scoped {
  deployment: string;
}

function parseDeploymentInput(action: string, input: Record<string, unknown>, extra: readonly string[] = []): { fields: InputFields; value: DeploymentInput } {
  const fields = inputFields(action, input);
  fields.only(['deployment', ...extra, ...SCOPE_KEYS]);
  return { fields, value: { deployment: name(fields, input, 'deployment', 'deployment'), scope: scopeOf(fields, input) } };
}

export interface ScaleInput extends DeploymentInput {
  replicas: number;
}

export interface UndoInput extends DeploymentInput {
  revision?: number;
}

// --- k8s.wait-rollout ------------------------------------------------------------------------

export interface WaitRolloutInput extends DeploymentInput {
  timeoutMs: number;
  intervalMs: number;
}

export function parseWaitRolloutInput(input: Record<string, unknown>): WaitRolloutInput {
  const { fields, value } = parseDeploymentInput('k8s.wait-rollout', input, ['timeout', 'interval']);
  const timeoutMs = fields.optionalDuration('timeout') ?? DEFAULT_ROLLOUT_TIMEOUT_MS;
  if (timeoutMs === 0) fields.fail('timeout', 'a duration above 0', input.timeout);
  const intervalMs = fields.optionalDuration('interval') ?? DEFAULT_ROLLOUT_INTERVAL_MS;
  if (intervalMs < MIN_ROLLOUT_INTERVAL_MS) fields.fail('interval', `at least ${formatDuration(MIN_ROLLOUT_INTERVAL_MS)}`, input.interval);
  return { ...value, timeoutMs, intervalMs };
}

async function waitRollout(kube: KubeOps, input: WaitRolloutInput, ctx: ActionContext): Promise<ActionResult> {
  const target = kube.resolve(input.scope);
  const started = ctx.clock.now();
  ctx.progress?.(`waiting for deployment/${input.deployment} in ${whereText(target)} to roll out (up to ${formatDuration(input.timeoutMs)})`);
  let status: RolloutStatus;
  for (let polls = 1; ; polls++) {
    status = await kube.rolloutStatus(target, input.deployment);
    const waitedMs = ctx.clock.now() - started;
    const result = { context: target.context, namespace: target.namespace, environment: target.environment, deployment: input.deployment, done: status.done, message: status.message, ...(status.revision !== undefined ? { revision: status.revision } : {}), polls, waitedMs };
    if (status.done) return { result, log: `${status.message}${status.revision ? ` (revision ${status.revision})` : ''}` };
    if (status.failed) throw new OpsError('k8s_rollout_failed', `k8s.wait-rollout: ${status.message} (${whereText(target)})`);
    // What it waits for is usually the effect of a write a dry run did not make.
    if (ctx.dryRun) return { result: { ...result, dryRun: true }, log: `DRY RUN: not waiting; right now: ${status.message}` };
    const remaining = started + input.timeoutMs - ctx.clock.now();
    if (remaining <= 0) throw new OpsError('k8s_rollout_timeout', `k8s.wait-rollout: deployment/${input.deployment} did not finish rolling out within ${formatDuration(input.timeoutMs)} (${polls} looks); last: ${status.message}`);
    ctx.progress?.(status.message);
    await ctx.clock.sleep(Math.min(input.intervalMs, remaining), ctx.signal);
  }
}

// --- k8s.logs --------------------------------------------------------------------------------

export interface LogsInput extends Scoped {
  pod: string;
  container?: string;
  previous: boolean;
  tailLines: number;
  sinceSeconds?: number;
}

export function parseLogsInput(input: Record<string, unknown>): LogsInput {
  const fields = inputFields('k8s.logs', input);
  fields.only(['pod', 'container', 'previous', 'tail', 'since', ...SCOPE_KEYS]);
  const pod = name(fields, input, 'pod', 'pod');
  const container = fields.optionalString('container');
  if (container !== undefined && !CONTAINER_NAME.test(container)) fields.fail('container', 'a container name (lower-case letters, digits and -)', input.container);
  const previous = fields.optionalBoolean('previous') ?? false;
  const tailLines = input.tail === undefined || input.tail === null ? DEFAULT_TAIL_LINES : wholeNumber(fields, input, 'tail', 1, MAX_TAIL_LINES);
  const sinceMs = fields.optionalDuration('since');
  return { pod, previous, tailLines, scope: scopeOf(fields, input), ...(container !== undefined ? { container } : {}), ...(sinceMs !== undefined ? { sinceSeconds: Math.max(1, Math.ceil(sinceMs / 1000)) } : {}) };
}

// --- the catalog entries -----------------------------------------------------------------------

export function createK8sActions(deps: K8sActionDeps): Array<ActionDefinition<never>> {
  const actions = [
    define<SetImageInput>({
      name: 'k8s.set-image',
      summary: 'Set the image of one container of a deployment (kubectl set image), or only its tag',
      // The same image twice is the same deployment: a retry after a crash changes nothing more.
      idempotent: true,
      parse: parseSetImageInput,
      async run(input, ctx) {
        const result = await setImage(needKube(deps.kube, 'k8s.set-image'), input, ctx);
        const asked = 'reference' in input.image ? { image: input.image.reference } : { tag: input.image.tag };
        return writeOutcome('k8s.set-image', result, ctx, deps, { container: input.container, ...asked });
      },
    }),
    define<DeploymentInput>({
      name: 'k8s.restart',
      summary: 'Rollout restart of a deployment (kubectl rollout restart)',
      // Each restart replaces every pod again; whether an interrupted one went out cannot be told
      // from the deployment, so a crash mid-step waits for a person instead of restarting twice.
      idempotent: false,
      parse: (input) => parseDeploymentInput('k8s.restart', input).value,
      async run(input, ctx) {
        const kube = needKube(deps.kube, 'k8s.restart');
        const result = await kube.restart(kube.resolve(input.scope), input.deployment, { dryRun: ctx.dryRun });
        return writeOutcome('k8s.restart', result, ctx, deps, {});
      },
    }),
    define<ScaleInput>({
      name: 'k8s.scale',
      summary: 'Set the number of replicas of a deployment (scale subresource)',
      // Setting a count is the same however often it is done.
      idempotent: true,
      parse(input) {
        const { fields, value } = parseDeploymentInput('k8s.scale', input, ['replicas']);
        return { ...value, replicas: wholeNumber(fields, input, 'replicas', 0, 1_000) };
      },
      async run(input, ctx) {
        const kube = needKube(deps.kube, 'k8s.scale');
        const result = await kube.scale(kube.resolve(input.scope), input.deployment, input.replicas, { dryRun: ctx.dryRun });
        return writeOutcome('k8s.scale', result, ctx, deps, { replicas: input.replicas });
      },
    }),
    define<UndoInput>({
      name: 'k8s.rollout-undo',
      summary: 'Roll a deployment back to the revision named, or the one before the newest (kubectl rollout undo)',
      // "The one before" moves with each undo: run twice, it would flip back again.
      idempotent: false,
      parse(input) {
        const { fields, value } = parseDeploymentInput('k8s.rollout-undo', input, ['revision']);
        // A template over a missing output gives '': no revision named.
        const given = input.revision !== undefined && input.revision !== null && input.revision !== '';
        return given ? { ...value, revision: wholeNumber(fields, input, 'revision', 1, Number.MAX_SAFE_INTEGER) } : value;
      },
      async run(input, ctx) {
        const kube = needKube(deps.kube, 'k8s.rollout-undo');
        const result = await kube.rollback(kube.resolve(input.scope), input.deployment, input.revision, { dryRun: ctx.dryRun });
        return writeOutcome('k8s.rollback', result, ctx, deps, input.revision !== undefined ? { revision: input.revision } : {});
      },
    }),
    define<WaitRolloutInput>({
      name: 'k8s.wait-rollout',
      summary: 'Wait until a deployment has rolled out (kubectl rollout status), or time out',
      idempotent: true,
      parse: parseWaitRolloutInput,
      run: (input, ctx) => waitRollout(needKube(deps.kube, 'k8s.wait-rollout'), input, ctx),
    }),
    define<LogsInput>({
      name: 'k8s.logs',
      summary: 'The last lines of a pod’s log, posted in the run’s thread',
      idempotent: true,
      parse: parseLogsInput,
      async run(input) {
        const kube = needKube(deps.kube, 'k8s.logs');
        const target = kube.resolve(input.scope);
        const text = await kube.logs(target, input.pod, {
          previous: input.previous,
          tailLines: input.tailLines,
          ...(input.container !== undefined ? { container: input.container } : {}),
          ...(input.sinceSeconds !== undefined ? { sinceSeconds: input.sinceSeconds } : {}),
        });
        const lines = text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
        return { result: { context: target.context, namespace: target.namespace, pod: input.pod, lines }, log: text === '' ? `(no log output from ${input.pod})` : text };
      },
    }),
  ];
  return actions;
}

/** The catalog holds actions of different inputs; the engine only hands `run` what `parse` returned. */
function define<Input>(action: ActionDefinition<Input>): ActionDefinition<never> {
  return action as unknown as ActionDefinition<never>;
}
