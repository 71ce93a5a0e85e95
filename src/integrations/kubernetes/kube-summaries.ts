import type { CoreV1Event, V1ContainerStatus, V1Deployment, V1LabelSelector, V1Node, V1Pod } from '@kubernetes/client-node';
import type { ContainerState, DeploymentSummary, EventSummary, NodeSummary, PodSummary } from './kube-types.ts';

/** Pure: API objects → the summaries commands, actions and agents show. */

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Waiting reasons that mean the container will not come up by itself. */
const BAD_WAITING = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export function toMillis(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function containerState(status: V1ContainerStatus): ContainerState {
  const reason = status.state?.waiting?.reason ?? status.state?.terminated?.reason;
  const last = status.lastState?.terminated?.reason;
  return {
    name: status.name,
    ready: status.ready,
    restarts: status.restartCount,
    image: status.image,
    ...(reason ? { reason } : {}),
    ...(last ? { lastTerminationReason: last } : {}),
  };
}

export function podSummary(pod: V1Pod): PodSummary {
  const statuses = pod.status?.containerStatuses ?? [];
  const containers = statuses.map(containerState);
  // Containers with no status yet (pending pods) still count, as kubectl's READY column does.
  const total = Math.max(pod.spec?.containers.length ?? 0, containers.length);
  const ready = containers.filter((c) => c.ready).length;
  const restarts = containers.reduce((sum, c) => sum + c.restarts, 0);
  const phase = pod.status?.phase ?? 'Unknown';
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  const reason = podReason(pod, containers);
  const oom = containers.some((c) => c.reason === 'OOMKilled' || c.lastTerminationReason === 'OOMKilled');
  const unhealthy =
    phase === 'Pending' ||
    phase === 'Failed' ||
    phase === 'Unknown' ||
    oom ||
    containers.some((c) => c.reason !== undefined && BAD_WAITING.has(c.reason)) ||
    (phase === 'Running' && ready < total) ||
    initFailing(pod);
  const deployment = owner?.kind === 'ReplicaSet' ? deploymentOf(owner.name, pod.metadata?.labels?.[POD_TEMPLATE_HASH]) : undefined;
  const created = toMillis(pod.metadata?.creationTimestamp);
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    phase,
    ready: `${ready}/${total}`,
    restarts,
    ...(reason ? { reason } : {}),
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    ...(created !== undefined ? { createdAt: created } : {}),
    ...(owner ? { owner: `${owner.kind}/${owner.name}` } : {}),
    containers,
    unhealthy,
    ...(deployment ? { deployment } : {}),
  };
}

/** A ReplicaSet a deployment made is named `<deployment>-<pod-template-hash>`. */
function deploymentOf(replicaSet: string, hash: string | undefined): string | undefined {
  return hash && replicaSet.endsWith(`-${hash}`) ? replicaSet.slice(0, -(hash.length + 1)) : undefined;
}

function initFailing(pod: V1Pod): boolean {
  return (pod.status?.initContainerStatuses ?? []).some((s) => {
    const waiting = s.state?.waiting?.reason;
    return (waiting !== undefined && BAD_WAITING.has(waiting)) || (s.state?.terminated !== undefined && s.state.terminated.exitCode !== 0);
  });
}

/** The most telling reason, in the spirit of kubectl's STATUS column (with OOMKilled kept visible after a restart). */
function podReason(pod: V1Pod, containers: ContainerState[]): string | undefined {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  for (const s of pod.status?.initContainerStatuses ?? []) {
    const waiting = s.state?.waiting?.reason;
    if (waiting && waiting !== 'PodInitializing') return `Init:${waiting}`;
    if (s.state?.terminated && s.state.terminated.exitCode !== 0) return `Init:${s.state.terminated.reason ?? 'Error'}`;
  }
  const bad = containers.find((c) => c.reason !== undefined && c.reason !== 'Completed');
  if (bad?.reason) return bad.reason;
  if (containers.some((c) => c.lastTerminationReason === 'OOMKilled')) return 'OOMKilled';
  const phase = pod.status?.phase;
  if (phase === 'Pending') {
    const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    return unscheduled?.reason ? `Pending (${unscheduled.reason})` : 'Pending';
  }
  if (phase === 'Failed') return pod.status?.reason ?? 'Failed';
  if (phase === 'Succeeded') return 'Completed';
  return undefined;
}

export function deploymentSummary(deployment: V1Deployment): DeploymentSummary {
  const status = deployment.status ?? {};
  const replicas = deployment.spec?.replicas ?? 1;
  const available = status.availableReplicas ?? 0;
  const revision = deployment.metadata?.annotations?.[REVISION_ANNOTATION];
  return {
    name: deployment.metadata?.name ?? '',
    namespace: deployment.metadata?.namespace ?? '',
    replicas,
    ready: status.readyReplicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    available,
    unavailable: status.unavailableReplicas ?? Math.max(0, replicas - available),
    images: imagesOf(deployment),
    ...(revision !== undefined ? { revision } : {}),
    containers: [...(deployment.spec?.template.spec?.containers ?? []), ...(deployment.spec?.template.spec?.initContainers ?? [])].map((c) => ({ name: c.name, image: c.image ?? '' })),
  };
}

export function imagesOf(deployment: V1Deployment): string[] {
  return (deployment.spec?.template.spec?.containers ?? []).map((c) => c.image ?? '');
}

const PRESSURES = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

export function nodeSummary(node: V1Node): NodeSummary {
  const conditions = node.status?.conditions ?? [];
  const readyCondition = conditions.find((c) => c.type === 'Ready');
  const ready = readyCondition?.status === 'True';
  const problems = [
    ...(readyCondition && !ready ? [`Ready=${readyCondition.status}${readyCondition.reason ? ` (${readyCondition.reason})` : ''}`] : []),
    ...(!readyCondition ? ['Ready condition missing'] : []),
    ...conditions.filter((c) => PRESSURES.has(c.type) && c.status === 'True').map((c) => c.type),
    ...(node.spec?.unschedulable ? ['SchedulingDisabled'] : []),
  ];
  return { name: node.metadata?.name ?? '', ready, problems };
}

export function eventSummary(event: CoreV1Event): EventSummary {
  const last = toMillis(event.lastTimestamp) ?? toMillis(event.eventTime) ?? toMillis(event.series?.lastObservedTime) ?? toMillis(event.metadata.creationTimestamp);
  return {
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    object: `${event.involvedObject.kind ?? ''}/${event.involvedObject.name ?? ''}`,
    message: (event.message ?? '').trim(),
    count: event.series?.count ?? event.count ?? 1,
    ...(last !== undefined ? { lastSeen: last } : {}),
  };
}

/** Newest first; events with no time last. */
export function byNewest(a: EventSummary, b: EventSummary): number {
  return (b.lastSeen ?? 0) - (a.lastSeen ?? 0);
}

/** `app=nginx,tier in (web,api)` from a label selector, as the list calls take it. */
export function selectorText(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
