import { z } from 'zod';
import type { Policy } from '../config/policy-schema.ts';
import { PermissionDeniedError, UserError, errorMessage } from '../errors.ts';
import { KIND_NAMES } from '../integrations/kubernetes/kube-describe.ts';
import { deploymentName, parseKindName } from '../integrations/kubernetes/kube-names.ts';
import { kubeRoleNeeded } from '../integrations/kubernetes/kube-roles.ts';
import type { KubeOps, KubeTarget, WriteResult } from '../integrations/kubernetes/kube-types.ts';
import { roleAtLeast } from '../roles.ts';
import { contextsView, describeView, eventsView, logsFit, logsView, podsView, rolloutView, statusView, targetText, type WriteVerb, writeView } from '../slack/views/k8s-views.ts';
import type { Store } from '../store/types.ts';
import { bool, duration, positiveInt } from './arg-types.ts';
import { type CommandContext, defineCommand } from './command.ts';

/**
 * `/ops k8s …`: reading and changing Kubernetes from Slack. A command's own `role` is the least
 * anyone needs to run it at all (viewer to read, responder to write); the real check is made
 * once the target is known: the role its environment (or namespace) asks for writes and for raw
 * logs (kube-roles.ts). Reads answer privately; writes are audited with before and after, and
 * answered in the channel for everyone to see, marked DRY RUN when nothing changed.
 */

export interface KubeCommandServices {
  ops: KubeOps;
  /** DRY_RUN: writes go out with dryRun=All. */
  dryRun: boolean;
}

export interface K8sCommandDeps {
  store: Store;
  policy: Policy;
  /** Absent when there is no kubeconfig and opsbot does not run in a cluster. */
  kube?: KubeCommandServices;
}

type Ctx = CommandContext<K8sCommandDeps>;

/** What a private answer holds before long logs go elsewhere: Slack's section limit, less the fences. */
const PRIVATE_LOG_CHARS = 2_800;

const where = {
  ns: z.string().optional(),
  context: z.string().optional(),
};
// The kind is part of what is asked (`deployment/api`), as kubectl writes it: `api` alone could be anything.
const deploymentArg = z.string().regex(/^(deployment|deployments|deploy)\/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { error: 'a deployment, like deployment/api' });

function kubeOf(ctx: Ctx): KubeCommandServices {
  const kube = ctx.deps.kube;
  if (!kube) {
    throw new UserError(
      'k8s_not_configured',
      'Kubernetes is not configured: set KUBECONFIG.',
      'Point KUBECONFIG at a kubeconfig file (or run opsbot in a pod with a service account), and list the contexts opsbot may use under `kubernetes.contexts` in opsbot.yaml.',
    );
  }
  return kube;
}

function resolve(ctx: Ctx, args: { ns?: string | undefined; context?: string | undefined }): { kube: KubeCommandServices; target: KubeTarget } {
  const kube = kubeOf(ctx);
  return { kube, target: kube.ops.resolve({ ...(args.context !== undefined ? { context: args.context } : {}), ...(args.ns !== undefined ? { namespace: args.ns } : {}) }) };
}

function requireRole(ctx: Ctx, target: KubeTarget, what: 'write' | 'read-raw', doing: string): void {
  const needed = kubeRoleNeeded(ctx.deps.policy, target, what);
  if (!roleAtLeast(ctx.caller.role, needed)) throw new PermissionDeniedError(needed, `${doing} in ${targetText(target)}`, ctx.commandPrefix);
}

export const k8sContexts = defineCommand({
  name: 'k8s contexts',
  summary: 'The Kubernetes contexts and namespaces opsbot may use',
  examples: ['k8s contexts'],
  args: z.object({}),
  role: 'viewer',
  async run(ctx: Ctx) {
    await ctx.reply.private(contextsView(kubeOf(ctx).ops.contexts()));
  },
});

export const k8sStatus = defineCommand({
  name: 'k8s status',
  summary: 'Nodes not ready, pods not running well, deployments missing replicas, recent warnings',
  examples: ['k8s status', 'k8s status shop', 'k8s status shop context=prod-eu'],
  args: z.object(where),
  positional: ['ns'],
  role: 'viewer',
  async run(ctx: Ctx, args) {
    const { kube, target } = resolve(ctx, args);
    await ctx.reply.private(statusView(await kube.ops.status(target)));
  },
});

export const k8sPods = defineCommand({
  name: 'k8s pods',
  summary: 'Pods of a namespace, optionally those a label selector picks',
  examples: ['k8s pods', 'k8s pods shop', 'k8s pods shop app=api', 'k8s pods selector=app.kubernetes.io/name=api'],
  args: z.object({ ...where, selector: z.string().optional(), labels: z.record(z.string(), z.string()).default({}) }),
  positional: ['ns', 'selector'],
  // `k8s pods app=api`: label=value words that are no option of the command are the selector.
  extraNamed: 'labels',
  role: 'viewer',
  async run(ctx: Ctx, args) {
    let { ns, selector } = args;
    // `k8s pods app.kubernetes.io/name=api` has one word, and it is a selector, not a namespace.
    if (ns !== undefined && selector === undefined && /[=!,()]/.test(ns)) [ns, selector] = [undefined, ns];
    const parts = [...(selector ? [selector] : []), ...Object.entries(args.labels).map(([k, v]) => `${k}=${v}`)];
    const { kube, target } = resolve(ctx, { ns, context: args.context });
    const joined = parts.length > 0 ? parts.join(',') : undefined;
    await ctx.reply.private(podsView(target, await kube.ops.pods(target, joined), joined));
  },
});

export const k8sLogs = defineCommand({
  name: 'k8s logs',
  summary: 'A pod’s log: the last lines, of a container, of its previous run',
  examples: ['k8s logs api-5d8f7c9b6-x2x7k', 'k8s logs api-5d8f7c9b6-x2x7k previous', 'k8s logs api-5d8f7c9b6-x2x7k sidecar tail=500 since=15m ns=shop'],
  args: z.object({
    pod: z.string({ error: 'a pod name' }),
    words: z.string().optional(),
    container: z.string().optional(),
    previous: bool.optional(),
    tail: positiveInt.max(5_000, { error: 'at most 5000' }).optional(),
    since: duration.optional(),
    ...where,
  }),
  positional: ['pod'],
  rest: 'words',
  role: 'viewer',
  async run(ctx: Ctx, args) {
    let { container, previous } = args;
    for (const word of (args.words ?? '').split(/\s+/).filter(Boolean)) {
      if (word.toLowerCase() === 'previous') previous = true;
      else if (container === undefined) container = word;
      else throw new UserError('invalid_args', `\`k8s logs\`: unexpected \`${word}\`; after the pod come a container name and \`previous\`.`);
    }
    const { kube, target } = resolve(ctx, args);
    requireRole(ctx, target, 'read-raw', 'read pod logs');
    const text = await kube.ops.logs(target, args.pod, {
      ...(container !== undefined ? { container } : {}),
      ...(previous ? { previous: true } : {}),
      ...(args.tail !== undefined ? { tailLines: args.tail } : {}),
      ...(args.since !== undefined ? { sinceSeconds: Math.max(1, Math.ceil(args.since / 1000)) } : {}),
    });
    const title = `${args.pod}${container ? `/${container}` : ''}${previous ? ' (previous run)' : ''}`;
    if (logsFit(text, PRIVATE_LOG_CHARS)) {
      await ctx.reply.private(logsView(target, title, text, { maxChars: PRIVATE_LOG_CHARS }));
      return;
    }
    // Long output goes in a file, but only where everyone who can see the conversation may read
    // these logs anyway; elsewhere the caller gets the end of it, privately.
    if (kubeRoleNeeded(ctx.deps.policy, target, 'read-raw') === 'viewer') {
      await ctx.reply.file({ filename: `${args.pod}${container ? `-${container}` : ''}${previous ? '-previous' : ''}.log`, title: `Logs of ${title} in ${targetText(target)}`, content: text, comment: `<@${ctx.caller.id}> asked for the logs of ${title} in ${targetText(target)}.` });
      return;
    }
    await ctx.reply.private(logsView(target, title, text, { maxChars: PRIVATE_LOG_CHARS, why: `Only the end is shown: in ${target.environment} logs are not posted as a file in the conversation, where people without the role to read them would see them. Narrow it with tail= or since=.` }));
  },
});

export const k8sDescribe = defineCommand({
  name: 'k8s describe',
  summary: 'Status, spec highlights, conditions and events of one object (env values masked)',
  examples: ['k8s describe pod/api-5d8f7c9b6-x2x7k', 'k8s describe deployment/api ns=shop context=prod-eu'],
  args: z.object({ object: z.string({ error: 'kind/name, like deployment/api' }), ...where }),
  positional: ['object'],
  role: 'viewer',
  async run(ctx: Ctx, args) {
    // Parsed before anything else, so `secret/…` is refused before any request is made.
    const { kind, name } = parseKindName(args.object);
    const { kube, target } = resolve(ctx, args);
    await ctx.reply.private(describeView(target, await kube.ops.describe(target, kind, name)));
  },
});

export const k8sEvents = defineCommand({
  name: 'k8s events',
  summary: 'Recent events of a namespace, or of one object',
  examples: ['k8s events', 'k8s events deployment/api ns=shop'],
  args: z.object({ object: z.string().optional(), ...where }),
  positional: ['object'],
  role: 'viewer',
  async run(ctx: Ctx, args) {
    const object = args.object === undefined ? undefined : parseKindName(args.object);
    const { kube, target } = resolve(ctx, args);
    const kindName = object ? { kind: KIND_NAMES[object.kind], name: object.name } : undefined;
    await ctx.reply.private(eventsView(target, await kube.ops.events(target, kindName), args.object));
  },
});

export const k8sRolloutStatus = defineCommand({
  name: 'k8s rollout-status',
  summary: 'Whether a deployment’s rollout has finished, in kubectl’s words',
  examples: ['k8s rollout-status deployment/api'],
  args: z.object({ deployment: deploymentArg, ...where }),
  positional: ['deployment'],
  role: 'viewer',
  async run(ctx: Ctx, args) {
    const name = deploymentName(args.deployment);
    const { kube, target } = resolve(ctx, args);
    await ctx.reply.private(rolloutView(target, await kube.ops.rolloutStatus(target, name)));
  },
});

const dryRunFlag = { 'dry-run': bool.optional() };

export const k8sRestart = defineCommand({
  name: 'k8s restart',
  summary: 'Rollout restart of a deployment: its pods are replaced a few at a time',
  examples: ['k8s restart deployment/api', 'k8s restart deployment/api ns=shop context=prod-eu --dry-run'],
  args: z.object({ deployment: deploymentArg, ...where, ...dryRunFlag }),
  positional: ['deployment'],
  role: 'responder',
  async run(ctx: Ctx, args) {
    const name = deploymentName(args.deployment);
    await write(ctx, 'restart', args, name, {}, (ops, target, dryRun) => ops.restart(target, name, { dryRun }));
  },
});

export const k8sScale = defineCommand({
  name: 'k8s scale',
  summary: 'Set the number of replicas of a deployment',
  examples: ['k8s scale deployment/api 5', 'k8s scale deployment/api 0 ns=shop --dry-run'],
  args: z.object({
    deployment: deploymentArg,
    replicas: z.coerce.number({ error: 'a whole number from 0 to 1000' }).int({ error: 'a whole number from 0 to 1000' }).min(0, { error: 'a whole number from 0 to 1000' }).max(1_000, { error: 'a whole number from 0 to 1000' }),
    ...where,
    ...dryRunFlag,
  }),
  positional: ['deployment', 'replicas'],
  role: 'responder',
  async run(ctx: Ctx, args) {
    const name = deploymentName(args.deployment);
    await write(ctx, 'scale', args, name, { replicas: args.replicas }, (ops, target, dryRun) => ops.scale(target, name, args.replicas, { dryRun }));
  },
});

export const k8sRollback = defineCommand({
  name: 'k8s rollback',
  summary: 'Roll a deployment back to its previous revision, or to the one named',
  examples: ['k8s rollback deployment/api', 'k8s rollback deployment/api 3 ns=shop'],
  args: z.object({ deployment: deploymentArg, revision: positiveInt.optional(), ...where, ...dryRunFlag }),
  positional: ['deployment', 'revision'],
  role: 'responder',
  async run(ctx: Ctx, args) {
    const name = deploymentName(args.deployment);
    await write(ctx, 'rollback', args, name, args.revision !== undefined ? { revision: args.revision } : {}, (ops, target, dryRun) => ops.rollback(target, name, args.revision, { dryRun }));
  },
});

export const k8sCommands = [k8sContexts, k8sStatus, k8sPods, k8sLogs, k8sDescribe, k8sEvents, k8sRolloutStatus, k8sRestart, k8sScale, k8sRollback];

const ACTIONS: Record<WriteVerb, string> = { restart: 'k8s.restart', scale: 'k8s.scale', rollback: 'k8s.rollback', 'set-image': 'k8s.set-image' };
const DOING: Record<WriteVerb, string> = { restart: 'restart deployments', scale: 'scale deployments', rollback: 'roll back deployments', 'set-image': 'change deployments' };

/**
 * One write: the role its target asks for, then the change, then the audit row with before and
 * after (or the error), then the answer in the conversation.
 */
async function write(
  ctx: Ctx,
  verb: WriteVerb,
  args: { ns?: string | undefined; context?: string | undefined; 'dry-run'?: boolean | undefined },
  deployment: string,
  extra: Record<string, unknown>,
  change: (ops: KubeOps, target: KubeTarget, dryRun: boolean) => Promise<WriteResult>,
): Promise<void> {
  const { kube, target } = resolve(ctx, args);
  requireRole(ctx, target, 'write', DOING[verb]);
  const dryRun = kube.dryRun || args['dry-run'] === true;
  const audit = (outcome: 'ok' | 'error', details: Record<string, unknown>, detail?: string) =>
    ctx.deps.store.audit.append({
      at: ctx.clock.now(),
      actor: ctx.caller.id,
      channel: ctx.invocation.channelId,
      action: ACTIONS[verb],
      command: `k8s ${verb}`,
      args: JSON.stringify({ target, deployment, ...extra, dryRun, ...details }),
      outcome,
      ...(detail !== undefined ? { detail } : {}),
    });
  let result: WriteResult;
  try {
    result = await change(kube.ops, target, dryRun);
  } catch (err) {
    audit('error', {}, errorMessage(err).slice(0, 500));
    throw err;
  }
  audit('ok', { before: result.before, after: result.after, ...(result.note ? { note: result.note } : {}) });
  await ctx.reply.public(writeView(verb, result, ctx.caller.id, kube.dryRun));
}
