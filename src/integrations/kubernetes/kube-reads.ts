import { describeLines, KIND_NAMES, readObject } from './kube-describe.ts';
import { containerName, labelSelector, objectName } from './kube-names.ts';
import { rolloutStatusOf } from './kube-rollout.ts';
import { byNewest, deploymentSummary, eventSummary, nodeSummary, podSummary } from './kube-summaries.ts';
import type { ClusterStatus, DeploymentSummary, DescribableKind, DescribeResult, EventSummary, KubeTarget, LogOptions, PodSummary, RolloutStatus } from './kube-types.ts';
import { type KubeSession, readDeployment } from './kube-session.ts';

/** The reading half of KubeOps. */

const WARNINGS_SHOWN = 10;
const EVENTS_SHOWN = 50;
export const DEFAULT_TAIL_LINES = 200;
export const MAX_TAIL_LINES = 5_000;
/** A log read is capped in bytes too: a chatty container's 5,000 lines can be megabytes. */
const MAX_LOG_BYTES = 512 * 1024;

export async function clusterStatus(s: KubeSession, target: KubeTarget): Promise<ClusterStatus> {
  const apis = s.apis(target);
  const { namespace, context } = target;
  const read = <T>(what: string, send: () => Promise<T>) => s.requester.call(context, what, 'read', send);
  const [nodes, pods, deployments, warnings] = await Promise.allSettled([
    read('list nodes', () => apis.core.listNode({}, s.clients.options())),
    read(`list pods in ${namespace}`, () => apis.core.listNamespacedPod({ namespace }, s.clients.options())),
    read(`list deployments in ${namespace}`, () => apis.apps.listNamespacedDeployment({ namespace }, s.clients.options())),
    read(`list events in ${namespace}`, () => apis.core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' }, s.clients.options())),
  ]);
  // Pods and deployments are the answer; without nodes or events it is still worth giving.
  if (pods.status === 'rejected') throw pods.reason;
  if (deployments.status === 'rejected') throw deployments.reason;
  const notes: string[] = [];
  if (nodes.status === 'rejected') notes.push(`Nodes not shown: ${reasonText(nodes.reason)}`);
  if (warnings.status === 'rejected') notes.push(`Events not shown: ${reasonText(warnings.reason)}`);
  const badPods = pods.value.items
    .map(podSummary)
    .filter((p) => p.unhealthy)
    .sort((a, b) => b.restarts - a.restarts || a.name.localeCompare(b.name));
  return {
    target,
    nodesNotReady: nodes.status === 'fulfilled' ? nodes.value.items.map(nodeSummary).filter((n) => !n.ready || n.problems.length > 0) : [],
    badPods,
    deploymentsUnavailable: deployments.value.items.map(deploymentSummary).filter((d) => d.unavailable > 0),
    warnings: warnings.status === 'fulfilled' ? warnings.value.items.map(eventSummary).sort(byNewest).slice(0, WARNINGS_SHOWN) : [],
    ...(notes.length > 0 ? { notes } : {}),
  };
}

function reasonText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function listPods(s: KubeSession, target: KubeTarget, selector?: string): Promise<PodSummary[]> {
  const apis = s.apis(target);
  const labels = selector === undefined || selector === '' ? undefined : labelSelector(selector);
  const list = await s.requester.call(target.context, `list pods in ${target.namespace}`, 'read', () =>
    apis.core.listNamespacedPod({ namespace: target.namespace, ...(labels ? { labelSelector: labels } : {}) }, s.clients.options()),
  );
  return list.items.map(podSummary).sort((a, b) => a.name.localeCompare(b.name));
}

export async function listDeployments(s: KubeSession, target: KubeTarget): Promise<DeploymentSummary[]> {
  const apis = s.apis(target);
  const list = await s.requester.call(target.context, `list deployments in ${target.namespace}`, 'read', () => apis.apps.listNamespacedDeployment({ namespace: target.namespace }, s.clients.options()));
  return list.items.map(deploymentSummary).sort((a, b) => a.name.localeCompare(b.name));
}

export async function podLogs(s: KubeSession, target: KubeTarget, pod: string, options: LogOptions = {}): Promise<string> {
  const apis = s.apis(target);
  const name = objectName(pod, 'pod');
  const container = options.container === undefined ? undefined : containerName(options.container);
  const tailLines = Math.min(MAX_TAIL_LINES, Math.max(1, options.tailLines ?? DEFAULT_TAIL_LINES));
  const text = await s.requester.call(target.context, `read the logs of pod ${name}${container ? ` (container ${container})` : ''} in ${target.namespace}`, 'read', () =>
    apis.core.readNamespacedPodLog(
      {
        name,
        namespace: target.namespace,
        tailLines,
        limitBytes: MAX_LOG_BYTES,
        ...(container ? { container } : {}),
        ...(options.previous ? { previous: true } : {}),
        ...(options.sinceSeconds !== undefined ? { sinceSeconds: options.sinceSeconds } : {}),
      },
      s.clients.options(),
    ),
  );
  return typeof text === 'string' ? text : String(text ?? '');
}

export async function describeObject(s: KubeSession, target: KubeTarget, kind: DescribableKind, name: string): Promise<DescribeResult> {
  const apis = s.apis(target);
  const checked = objectName(name, kind);
  const object = await s.requester.call(target.context, `read ${kind} ${checked}${kind === 'node' ? '' : ` in ${target.namespace}`}`, 'read', () => readObject(apis, kind, checked, target.namespace, s.clients.options()));
  const events = await listEvents(s, target, { kind: KIND_NAMES[kind], name: checked }).catch((err: unknown) => [{ type: 'Note', reason: 'EventsUnavailable', object: `${KIND_NAMES[kind]}/${checked}`, message: reasonText(err), count: 1 }] as EventSummary[]);
  return { kind: KIND_NAMES[kind], name: checked, lines: describeLines(kind, object), events };
}

export async function listEvents(s: KubeSession, target: KubeTarget, object?: { kind: string; name: string }): Promise<EventSummary[]> {
  const apis = s.apis(target);
  const fieldSelector = object ? `involvedObject.kind=${kindWord(object.kind)},involvedObject.name=${objectName(object.name, object.kind)}` : undefined;
  const list = await s.requester.call(target.context, `list events in ${target.namespace}`, 'read', () =>
    apis.core.listNamespacedEvent({ namespace: target.namespace, ...(fieldSelector ? { fieldSelector } : {}) }, s.clients.options()),
  );
  return list.items.map(eventSummary).sort(byNewest).slice(0, EVENTS_SHOWN);
}

/** A kind as events name it (`Pod`); only letters, so nothing can be slipped into the field selector. */
function kindWord(kind: string): string {
  const known = Object.values(KIND_NAMES).find((k) => k.toLowerCase() === kind.toLowerCase());
  if (known) return known;
  if (!/^[A-Za-z]{1,63}$/.test(kind)) throw new Error(`not a kind: ${kind}`);
  return kind;
}

export async function rolloutStatus(s: KubeSession, target: KubeTarget, deployment: string): Promise<RolloutStatus> {
  return rolloutStatusOf(await readDeployment(s, target, deployment));
}
