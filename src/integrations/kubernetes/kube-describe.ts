import type {
  ConfigurationOptions,
  ObservableMiddleware,
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Ingress,
  V1Job,
  V1Node,
  V1ObjectMeta,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1Service,
  V1StatefulSet,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { KubeApis } from './kube-client.ts';
import { annotationsText, envLines } from './kube-mask.ts';
import { selectorText, toMillis } from './kube-summaries.ts';
import type { DescribableKind } from './kube-types.ts';

/**
 * `describe`, as kubectl describe shows an object, built from the typed object: status, spec
 * highlights and conditions as `key: value` lines. Env values are masked (kube-mask.ts) and the
 * annotations that copy a whole manifest (last-applied-configuration) are never shown.
 */

export const KIND_NAMES: Record<DescribableKind, string> = {
  pod: 'Pod',
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  replicaset: 'ReplicaSet',
  service: 'Service',
  node: 'Node',
  job: 'Job',
  cronjob: 'CronJob',
  hpa: 'HorizontalPodAutoscaler',
  pvc: 'PersistentVolumeClaim',
  ingress: 'Ingress',
};

type Described = V1Pod | V1Deployment | V1StatefulSet | V1DaemonSet | V1ReplicaSet | V1Service | V1Node | V1Job | V1CronJob | V2HorizontalPodAutoscaler | V1PersistentVolumeClaim | V1Ingress;

/** Reads one object of a describable kind. */
export function readObject(apis: KubeApis, kind: DescribableKind, name: string, namespace: string, options: ConfigurationOptions<ObservableMiddleware>): Promise<Described> {
  const ns = { name, namespace };
  switch (kind) {
    case 'pod':
      return apis.core.readNamespacedPod(ns, options);
    case 'deployment':
      return apis.apps.readNamespacedDeployment(ns, options);
    case 'statefulset':
      return apis.apps.readNamespacedStatefulSet(ns, options);
    case 'daemonset':
      return apis.apps.readNamespacedDaemonSet(ns, options);
    case 'replicaset':
      return apis.apps.readNamespacedReplicaSet(ns, options);
    case 'service':
      return apis.core.readNamespacedService(ns, options);
    case 'node':
      return apis.core.readNode({ name }, options);
    case 'job':
      return apis.batch.readNamespacedJob(ns, options);
    case 'cronjob':
      return apis.batch.readNamespacedCronJob(ns, options);
    case 'hpa':
      return apis.autoscaling.readNamespacedHorizontalPodAutoscaler(ns, options);
    case 'pvc':
      return apis.core.readNamespacedPersistentVolumeClaim(ns, options);
    case 'ingress':
      return apis.networking.readNamespacedIngress(ns, options);
  }
}

const time = (value: unknown) => {
  const ms = toMillis(value);
  return ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z');
};
const kv = (map: Readonly<Record<string, string>> | undefined) =>
  Object.entries(map ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

function header(meta: V1ObjectMeta | undefined, kind: DescribableKind): string[] {
  const lines = [`Name: ${meta?.name ?? ''}`];
  if (kind !== 'node') lines.push(`Namespace: ${meta?.namespace ?? ''}`);
  const labels = kv(meta?.labels);
  if (labels) lines.push(`Labels: ${labels}`);
  const annotations = annotationsText(meta?.annotations);
  if (annotations) lines.push(`Annotations: ${annotations}`);
  const created = time(meta?.creationTimestamp);
  if (created) lines.push(`Created: ${created}`);
  const owner = meta?.ownerReferences?.find((o) => o.controller) ?? meta?.ownerReferences?.[0];
  if (owner) lines.push(`Controlled By: ${owner.kind}/${owner.name}`);
  return lines;
}

function stateText(state: V1ContainerState | undefined): string | undefined {
  if (!state) return undefined;
  if (state.running) return `Running since ${time(state.running.startedAt) ?? '?'}`;
  if (state.waiting) return `Waiting (${state.waiting.reason ?? 'unknown'})${state.waiting.message ? `: ${state.waiting.message}` : ''}`;
  if (state.terminated) {
    const t = state.terminated;
    return `Terminated (${t.reason ?? 'unknown'}, exit code ${t.exitCode})${t.finishedAt ? ` at ${time(t.finishedAt)}` : ''}`;
  }
  return undefined;
}

function containerLines(container: V1Container, status: V1ContainerStatus | undefined, label = 'Container'): string[] {
  const lines = [`${label} ${container.name}:`, `  Image: ${container.image ?? ''}`];
  if (container.ports?.length) lines.push(`  Ports: ${container.ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ')}`);
  if (status) {
    const state = stateText(status.state);
    if (state) lines.push(`  State: ${state}`);
    const last = stateText(status.lastState);
    if (last) lines.push(`  Last State: ${last}`);
    lines.push(`  Ready: ${status.ready}`, `  Restart Count: ${status.restartCount}`);
  }
  const limits = kv(container.resources?.limits);
  if (limits) lines.push(`  Limits: ${limits}`);
  const requests = kv(container.resources?.requests);
  if (requests) lines.push(`  Requests: ${requests}`);
  const env = envLines(container.env, container.envFrom);
  if (env.length > 0) lines.push('  Environment:', ...env.map((l) => `    ${l}`));
  return lines;
}

function templateLines(template: V1PodTemplateSpec | undefined): string[] {
  if (!template) return [];
  const labels = kv(template.metadata?.labels);
  return [
    'Pod Template:',
    ...(labels ? [`  Labels: ${labels}`] : []),
    ...(template.spec?.initContainers ?? []).flatMap((c) => containerLines(c, undefined, 'Init Container').map((l) => `  ${l}`)),
    ...(template.spec?.containers ?? []).flatMap((c) => containerLines(c, undefined).map((l) => `  ${l}`)),
  ];
}

function conditionLines(conditions: ReadonlyArray<{ type: string; status: string; reason?: string; message?: string }> | undefined): string[] {
  if (!conditions?.length) return [];
  return ['Conditions:', ...conditions.map((c) => `  ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`)];
}

/** Pure: the lines of one object. */
export function describeLines(kind: DescribableKind, object: Described): string[] {
  const lines = header(object.metadata, kind);
  switch (kind) {
    case 'pod': {
      const pod = object as V1Pod;
      const status = pod.status;
      lines.push(`Status: ${status?.phase ?? 'Unknown'}${status?.reason ? ` (${status.reason})` : ''}`);
      if (pod.spec?.nodeName) lines.push(`Node: ${pod.spec.nodeName}`);
      if (status?.podIP) lines.push(`IP: ${status.podIP}`);
      if (status?.startTime) lines.push(`Start Time: ${time(status.startTime)}`);
      if (status?.qosClass) lines.push(`QoS Class: ${status.qosClass}`);
      const find = (list: V1ContainerStatus[] | undefined, name: string) => list?.find((s) => s.name === name);
      for (const c of pod.spec?.initContainers ?? []) lines.push(...containerLines(c, find(status?.initContainerStatuses, c.name), 'Init Container'));
      for (const c of pod.spec?.containers ?? []) lines.push(...containerLines(c, find(status?.containerStatuses, c.name)));
      lines.push(...conditionLines(status?.conditions));
      break;
    }
    case 'deployment': {
      const d = object as V1Deployment;
      const s = d.status ?? {};
      lines.push(
        `Replicas: ${d.spec?.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`,
        `Selector: ${selectorText(d.spec?.selector)}`,
        `Strategy: ${d.spec?.strategy?.type ?? 'RollingUpdate'}`,
      );
      if (d.spec?.paused) lines.push('Paused: true');
      lines.push(...templateLines(d.spec?.template), ...conditionLines(s.conditions));
      break;
    }
    case 'statefulset': {
      const s = object as V1StatefulSet;
      lines.push(`Replicas: ${s.spec?.replicas ?? 1} desired | ${s.status?.readyReplicas ?? 0} ready | ${s.status?.updatedReplicas ?? 0} updated`, `Selector: ${selectorText(s.spec?.selector)}`);
      lines.push(...templateLines(s.spec?.template), ...conditionLines(s.status?.conditions));
      break;
    }
    case 'daemonset': {
      const s = object as V1DaemonSet;
      const st = s.status;
      lines.push(`Pods: ${st?.desiredNumberScheduled ?? 0} desired | ${st?.currentNumberScheduled ?? 0} scheduled | ${st?.numberReady ?? 0} ready | ${st?.numberAvailable ?? 0} available | ${st?.numberMisscheduled ?? 0} misscheduled`, `Selector: ${selectorText(s.spec?.selector)}`);
      lines.push(...templateLines(s.spec?.template), ...conditionLines(st?.conditions));
      break;
    }
    case 'replicaset': {
      const r = object as V1ReplicaSet;
      lines.push(`Replicas: ${r.status?.replicas ?? 0} current / ${r.spec?.replicas ?? 1} desired | ${r.status?.readyReplicas ?? 0} ready`, `Selector: ${selectorText(r.spec?.selector)}`);
      lines.push(...templateLines(r.spec?.template), ...conditionLines(r.status?.conditions));
      break;
    }
    case 'service': {
      const s = object as V1Service;
      lines.push(`Type: ${s.spec?.type ?? 'ClusterIP'}`, `Cluster IP: ${s.spec?.clusterIP ?? ''}`);
      if (s.spec?.ports?.length) lines.push(`Ports: ${s.spec.ports.map((p) => `${p.name ? `${p.name} ` : ''}${p.port}→${String(p.targetPort ?? p.port)}/${p.protocol ?? 'TCP'}`).join(', ')}`);
      const selector = kv(s.spec?.selector);
      if (selector) lines.push(`Selector: ${selector}`);
      const ingress = s.status?.loadBalancer?.ingress?.map((i) => i.ip ?? i.hostname).filter(Boolean);
      if (ingress?.length) lines.push(`Load Balancer: ${ingress.join(', ')}`);
      break;
    }
    case 'node': {
      const n = object as V1Node;
      if (n.spec?.unschedulable) lines.push('Unschedulable: true');
      const addresses = n.status?.addresses?.map((a) => `${a.type}=${a.address}`).join(', ');
      if (addresses) lines.push(`Addresses: ${addresses}`);
      const info = n.status?.nodeInfo;
      if (info) lines.push(`Kubelet: ${info.kubeletVersion} · ${info.osImage} · ${info.containerRuntimeVersion}`);
      const capacity = kv(n.status?.capacity);
      if (capacity) lines.push(`Capacity: ${capacity}`);
      const allocatable = kv(n.status?.allocatable);
      if (allocatable) lines.push(`Allocatable: ${allocatable}`);
      lines.push(...conditionLines(n.status?.conditions));
      break;
    }
    case 'job': {
      const j = object as V1Job;
      const s = j.status;
      lines.push(`Pods: ${s?.active ?? 0} active | ${s?.succeeded ?? 0} succeeded | ${s?.failed ?? 0} failed`, `Completions: ${j.spec?.completions ?? 1} · Parallelism: ${j.spec?.parallelism ?? 1} · Backoff Limit: ${j.spec?.backoffLimit ?? 6}`);
      if (s?.startTime) lines.push(`Start Time: ${time(s.startTime)}`);
      if (s?.completionTime) lines.push(`Completed At: ${time(s.completionTime)}`);
      lines.push(...templateLines(j.spec?.template), ...conditionLines(s?.conditions));
      break;
    }
    case 'cronjob': {
      const c = object as V1CronJob;
      lines.push(`Schedule: ${c.spec?.schedule ?? ''}${c.spec?.timeZone ? ` (${c.spec.timeZone})` : ''}`, `Suspend: ${c.spec?.suspend ?? false}`, `Concurrency Policy: ${c.spec?.concurrencyPolicy ?? 'Allow'}`);
      if (c.status?.lastScheduleTime) lines.push(`Last Schedule: ${time(c.status.lastScheduleTime)}`);
      if (c.status?.active?.length) lines.push(`Active Jobs: ${c.status.active.map((a) => a.name).join(', ')}`);
      lines.push(...templateLines(c.spec?.jobTemplate?.spec?.template));
      break;
    }
    case 'hpa': {
      const h = object as V2HorizontalPodAutoscaler;
      const ref = h.spec?.scaleTargetRef;
      lines.push(`Reference: ${ref?.kind ?? ''}/${ref?.name ?? ''}`, `Replicas: min ${h.spec?.minReplicas ?? 1} | max ${h.spec?.maxReplicas ?? 0} | current ${h.status?.currentReplicas ?? 0} | desired ${h.status?.desiredReplicas ?? 0}`);
      for (const m of h.spec?.metrics ?? []) {
        if (m.resource) lines.push(`Metric: ${m.resource.name} ${m.resource.target.averageUtilization !== undefined ? `${m.resource.target.averageUtilization}% utilization` : (m.resource.target.averageValue ?? m.resource.target.value ?? '')}`);
        else lines.push(`Metric: ${m.type}`);
      }
      lines.push(...conditionLines(h.status?.conditions));
      break;
    }
    case 'pvc': {
      const p = object as V1PersistentVolumeClaim;
      lines.push(`Status: ${p.status?.phase ?? 'Unknown'}`, `Volume: ${p.spec?.volumeName ?? ''}`, `Capacity: ${p.status?.capacity?.storage ?? p.spec?.resources?.requests?.storage ?? ''}`, `Access Modes: ${(p.status?.accessModes ?? p.spec?.accessModes ?? []).join(', ')}`);
      if (p.spec?.storageClassName) lines.push(`Storage Class: ${p.spec.storageClassName}`);
      lines.push(...conditionLines(p.status?.conditions));
      break;
    }
    case 'ingress': {
      const i = object as V1Ingress;
      if (i.spec?.ingressClassName) lines.push(`Class: ${i.spec.ingressClassName}`);
      const backend = (b: NonNullable<NonNullable<V1Ingress['spec']>['defaultBackend']> | undefined) => (b?.service ? `${b.service.name}:${b.service.port?.number ?? b.service.port?.name ?? ''}` : (b?.resource?.name ?? '?'));
      if (i.spec?.defaultBackend) lines.push(`Default Backend: ${backend(i.spec.defaultBackend)}`);
      for (const rule of i.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) lines.push(`Rule: ${rule.host ?? '*'}${p.path ?? '/'} → ${backend(p.backend)}`);
      }
      if (i.spec?.tls?.length) lines.push(`TLS: ${i.spec.tls.flatMap((t) => t.hosts ?? []).join(', ') || '(no hosts)'}`);
      const addresses = i.status?.loadBalancer?.ingress?.map((x) => x.ip ?? x.hostname).filter(Boolean);
      if (addresses?.length) lines.push(`Address: ${addresses.join(', ')}`);
      break;
    }
  }
  return lines;
}
