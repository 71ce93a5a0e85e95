import { z } from 'zod';
import { UserError } from '../../errors.ts';
import { KIND_NAMES } from '../../integrations/kubernetes/kube-describe.ts';
import { parseKindName } from '../../integrations/kubernetes/kube-names.ts';
import type { KubeOps, KubeTarget, PodSummary } from '../../integrations/kubernetes/kube-types.ts';
import { defineTool, type ReadOnlyTool, type ToolContext } from '../read-only-tool.ts';

/**
 * Read-only Kubernetes tools for the agents, over the same KubeOps the commands use: summaries
 * of pods, deployments and events, `describe` (env values masked, Secrets refused), and the tail
 * of a pod's log. Targets go through KubeOps.resolve, so the allowlists hold. When the run is
 * about an alert group with a `namespace` label, the tools read that namespace only: text in an
 * alert or a log cannot send the model off to read (and repeat) another team's data.
 */

const AGENTS = ['triage', 'fix'] as const;
const MAX_ITEMS = 30;
const MAX_LOG_LINES = 200;
const DEFAULT_LOG_LINES = 100;
const MAX_LOG_CHARS = 6_000;

const where = {
  namespace: z.string().min(1).max(63).optional().describe("Namespace (default: the alert's namespace label)"),
  context: z.string().min(1).max(200).optional().describe('Kubeconfig context (default: the configured one)'),
};

/** The alert group's own namespace label, if it has one. */
function alertNamespace(context: ToolContext): string | undefined {
  const group = context.alertGroup;
  return group?.commonLabels.namespace ?? group?.alerts.find((a) => a.labels.namespace)?.labels.namespace;
}

function targetFor(kube: KubeOps, args: { namespace?: string | undefined; context?: string | undefined }, context: ToolContext): KubeTarget {
  const own = alertNamespace(context);
  if (own !== undefined && args.namespace !== undefined && args.namespace !== own) {
    throw new UserError('k8s_tool_namespace', `This run is about namespace ${own}; the Kubernetes tools read only there.`);
  }
  const namespace = args.namespace ?? own;
  return kube.resolve({ ...(args.context !== undefined ? { context: args.context } : {}), ...(namespace !== undefined ? { namespace } : {}) });
}

const where_ = (t: KubeTarget) => `${t.context}/${t.namespace} (${t.environment})`;

function podText(p: PodSummary): string {
  const containers = p.containers.map((c) => `${c.name}: ${c.image}${c.reason ? ` ${c.reason}` : ''}${c.lastTerminationReason ? ` (last run ended ${c.lastTerminationReason})` : ''}`).join('; ');
  return `${p.name} ${p.phase} ready ${p.ready} restarts ${p.restarts}${p.reason ? ` reason ${p.reason}` : ''}${p.unhealthy ? ' UNHEALTHY' : ''}${p.node ? ` node ${p.node}` : ''}${p.deployment ? ` deployment ${p.deployment}` : ''} [${containers}]`;
}

function capped(lines: string[], what: string): string {
  if (lines.length <= MAX_ITEMS) return lines.join('\n');
  return [...lines.slice(0, MAX_ITEMS), `(${lines.length - MAX_ITEMS} more ${what} not shown)`].join('\n');
}

export function kubernetesTools(options: { kube: KubeOps }): ReadOnlyTool[] {
  const { kube } = options;
  return [
    defineTool({
      name: 'kubernetes_get',
      description: 'Summaries of pods (phase, readiness, restarts, reason, OOMKilled), deployments (replicas, available, images, revision) or recent events of a namespace. Read-only; never Secrets.',
      input: z.object({
        resource: z.enum(['pods', 'deployments', 'events', 'status']).describe('What to list; status = everything not running well'),
        selector: z.string().max(200).optional().describe('Label selector for pods, e.g. app=api'),
        ...where,
      }),
      agents: AGENTS,
      async run(args, context) {
        const target = targetFor(kube, args, context);
        switch (args.resource) {
          case 'pods': {
            const pods = await kube.pods(target, args.selector);
            return pods.length === 0 ? `No pods in ${where_(target)}${args.selector ? ` matching ${args.selector}` : ''}.` : `${pods.length} pods in ${where_(target)}:\n${capped(pods.map(podText), 'pods')}`;
          }
          case 'deployments': {
            const list = await kube.deployments(target);
            return list.length === 0 ? `No deployments in ${where_(target)}.` : capped(list.map((d) => `${d.name}: ${d.ready}/${d.replicas} ready, ${d.available} available, ${d.unavailable} unavailable, ${d.updated} updated, images ${d.images.join(', ')}, revision ${d.revision ?? '?'}`), 'deployments');
          }
          case 'status': {
            const status = await kube.status(target);
            const lines = [
              ...status.nodesNotReady.map((n) => `node ${n.name} not ready: ${n.problems.join(', ')}`),
              ...status.deploymentsUnavailable.map((d) => `deployment ${d.name}: ${d.available}/${d.replicas} available, images ${d.images.join(', ')}, revision ${d.revision ?? '?'}`),
              ...status.badPods.map(podText),
              ...status.warnings.map((e) => `event ${e.type} ${e.reason} ${e.object} x${e.count}: ${e.message}`),
              ...(status.notes ?? []),
            ];
            return lines.length === 0 ? `Everything in ${where_(target)} is running and ready.` : `${where_(target)}:\n${capped(lines, 'lines')}`;
          }
          case 'events': {
            const events = await kube.events(target);
            return events.length === 0 ? `No events in ${where_(target)}.` : capped(events.map((e) => `${e.lastSeen !== undefined ? new Date(e.lastSeen).toISOString() : '?'} ${e.type} ${e.reason} ${e.object} x${e.count}: ${e.message}`), 'events');
          }
        }
      },
    }),
    defineTool({
      name: 'kubernetes_describe',
      description: 'Describe one object as kind/name (pod, deployment, statefulset, daemonset, replicaset, service, node, job, cronjob, hpa, pvc, ingress): status, conditions, containers and its events. Environment values are masked. Secrets cannot be read.',
      input: z.object({ object: z.string().min(3).max(300).describe('kind/name, e.g. deployment/api or pod/api-5d8f7c9b6-x2x7k'), ...where }),
      agents: AGENTS,
      async run(args, context) {
        const { kind, name } = parseKindName(args.object);
        const target = targetFor(kube, args, context);
        const result = await kube.describe(target, kind, name);
        const events = result.events.map((e) => `${e.type} ${e.reason} x${e.count}: ${e.message}`);
        return [`${KIND_NAMES[kind]} ${name} in ${where_(target)}:`, ...result.lines, ...(events.length > 0 ? ['Events:', ...events.slice(0, MAX_ITEMS)] : ['No events.'])].join('\n');
      },
    }),
    defineTool({
      name: 'kubernetes_logs',
      description: `The last lines of a pod's log (at most ${MAX_LOG_LINES}), optionally of one container or of its previous run (after a crash or OOMKill). Read-only.`,
      input: z.object({
        pod: z.string().min(1).max(253),
        container: z.string().min(1).max(63).optional(),
        previous: z.boolean().default(false).describe('The run before the last restart'),
        tail: z.number().int().min(1).max(MAX_LOG_LINES).default(DEFAULT_LOG_LINES),
        ...where,
      }),
      agents: AGENTS,
      async run(args, context) {
        const target = targetFor(kube, args, context);
        const text = await kube.logs(target, args.pod, { tailLines: args.tail, previous: args.previous, ...(args.container ? { container: args.container } : {}) });
        if (text.trim() === '') return `No log output from ${args.pod}${args.previous ? ' (previous run)' : ''}.`;
        // The end of a log is what explains a crash: keep it when the lines are long.
        return text.length > MAX_LOG_CHARS ? `(first ${text.length - MAX_LOG_CHARS} characters cut)\n${text.slice(-MAX_LOG_CHARS)}` : text;
      },
    }),
    defineTool({
      name: 'kubernetes_events',
      description: 'Recent events of a namespace, or of one object given as kind/name, newest first. Read-only.',
      input: z.object({ object: z.string().min(3).max(300).optional().describe('kind/name, e.g. pod/api-5d8f7c9b6-x2x7k'), ...where }),
      agents: AGENTS,
      async run(args, context) {
        const object = args.object === undefined ? undefined : parseKindName(args.object);
        const target = targetFor(kube, args, context);
        const events = await kube.events(target, object ? { kind: KIND_NAMES[object.kind], name: object.name } : undefined);
        if (events.length === 0) return `No events${args.object ? ` for ${args.object}` : ''} in ${where_(target)}.`;
        return capped(events.map((e) => `${e.lastSeen !== undefined ? new Date(e.lastSeen).toISOString() : '?'} ${e.type} ${e.reason} ${e.object} x${e.count}: ${e.message}`), 'events');
      },
    }),
  ];
}
