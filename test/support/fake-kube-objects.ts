import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The objects the fake Kubernetes API (fake-kube-api.ts) serves: real ones from
 * test/fixtures/kubernetes-objects (k9s test data, see its SOURCE.txt), plus the variants a test
 * needs that no sample has, built here from a sample and marked `opsbot.test/derived: "true"`.
 */

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
};

export const FIXTURES = fileURLToPath(new URL('../fixtures/kubernetes-objects/', import.meta.url));
export const DERIVED = 'opsbot.test/derived';

/** Where each kind lives in the API: group and plural resource name. */
export const RESOURCES: Record<string, { group: string; resource: string; namespaced: boolean }> = {
  Pod: { group: '', resource: 'pods', namespaced: true },
  Event: { group: '', resource: 'events', namespaced: true },
  Node: { group: '', resource: 'nodes', namespaced: false },
  Service: { group: '', resource: 'services', namespaced: true },
  PersistentVolumeClaim: { group: '', resource: 'persistentvolumeclaims', namespaced: true },
  Deployment: { group: 'apps', resource: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', resource: 'replicasets', namespaced: true },
  StatefulSet: { group: 'apps', resource: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', resource: 'daemonsets', namespaced: true },
  Job: { group: 'batch', resource: 'jobs', namespaced: true },
  CronJob: { group: 'batch', resource: 'cronjobs', namespaced: true },
  HorizontalPodAutoscaler: { group: 'autoscaling', resource: 'horizontalpodautoscalers', namespaced: true },
  Ingress: { group: 'networking.k8s.io', resource: 'ingresses', namespaced: true },
};

const SAMPLES = [
  'dao__p1.json',
  'dao__n1.json',
  'xray__dp.json',
  'xray__rs.json',
  'render__dp.json',
  'render__rs.json',
  'render__po.json',
  'render__po_sidecar.json',
  'render__ev.json',
  'render__svc.json',
  'render__sts.json',
  'render__ds.json',
  'render__job.json',
  'render__cj.json',
  'render__hpa.json',
  'render__pvc.json',
  'render__ing.json',
];

export function sample(file: string): KubeObject {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as KubeObject;
}

const clone = <T>(value: T): T => structuredClone(value);

function derived<T extends KubeObject>(object: T): T {
  object.metadata.annotations = { ...object.metadata.annotations, [DERIVED]: 'true' };
  return object;
}

function rename(pod: KubeObject, name: string, uid: string): KubeObject {
  const copy = clone(pod);
  copy.metadata.name = name;
  copy.metadata.uid = uid;
  copy.metadata.selfLink = `/api/v1/namespaces/${copy.metadata.namespace}/pods/${name}`;
  return copy;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `default/nginx-7fb78fb6d8-2w75j` (dao__p1) crash looping: waiting in CrashLoopBackOff after 14 restarts, with a literal env value to be masked. */
function crashLoopingPod(base: KubeObject): KubeObject {
  const pod = rename(base, 'nginx-7fb78fb6d8-crash1', 'd0000000-0000-4000-8000-000000000001') as Json;
  pod.spec.containers[0].env = [
    { name: 'DATABASE_URL', value: 'postgres://app:s3cr3t-pa55@db.internal:5432/app' },
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api-credentials', key: 'token' } } },
  ];
  const status = pod.status;
  status.conditions = status.conditions.map((c: Json) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [nginx]' } : c));
  status.containerStatuses = [
    {
      ...status.containerStatuses[0],
      ready: false,
      started: false,
      restartCount: 14,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=nginx pod=${pod.metadata.name}_default(${pod.metadata.uid})` } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2019-12-31T20:41:10Z', finishedAt: '2019-12-31T20:41:12Z', containerID: 'docker://5e2b7f1e0c' } },
    },
  ];
  return derived(pod as KubeObject);
}

/** The same pod OOMKilled: running again after its fifth restart, the last run killed for memory. */
function oomKilledPod(base: KubeObject): KubeObject {
  const pod = rename(base, 'nginx-7fb78fb6d8-oom01', 'd0000000-0000-4000-8000-000000000002') as Json;
  pod.status.containerStatuses = [
    {
      ...pod.status.containerStatuses[0],
      restartCount: 5,
      state: { running: { startedAt: '2019-12-31T21:02:00Z' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2019-12-31T20:55:00Z', finishedAt: '2019-12-31T21:01:58Z', containerID: 'docker://0f0a9c33d1' } },
    },
  ];
  return derived(pod as KubeObject);
}

/** The same pod never scheduled: pending for lack of memory. */
function pendingPod(base: KubeObject): KubeObject {
  const pod = rename(base, 'nginx-7fb78fb6d8-pend1', 'd0000000-0000-4000-8000-000000000003') as Json;
  delete pod.spec.nodeName;
  pod.status = {
    phase: 'Pending',
    qosClass: pod.status.qosClass,
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.', lastProbeTime: null, lastTransitionTime: '2019-12-31T21:10:00Z' }],
  };
  return derived(pod as KubeObject);
}

/** Warning events about the derived pods, shaped after render__ev. */
function warningEvents(base: KubeObject, pods: KubeObject[]): KubeObject[] {
  const about = (pod: KubeObject, reason: string, message: string, count: number, last: string, n: number): KubeObject => {
    const event = clone(base) as Json;
    event.metadata.name = `${pod.metadata.name}.17b0c0ffee0${n}`;
    event.metadata.uid = `e0000000-0000-4000-8000-00000000000${n}`;
    event.metadata.namespace = pod.metadata.namespace;
    event.metadata.selfLink = `/api/v1/namespaces/${pod.metadata.namespace}/events/${event.metadata.name}`;
    event.involvedObject = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid, fieldPath: 'spec.containers{nginx}' };
    Object.assign(event, { type: 'Warning', reason, message, count, firstTimestamp: '2019-12-31T19:30:00Z', lastTimestamp: last });
    return derived(event as KubeObject);
  };
  const [crash, oom, pending] = pods as [KubeObject, KubeObject, KubeObject];
  return [
    about(crash, 'BackOff', 'Back-off restarting failed container nginx in pod nginx-7fb78fb6d8-crash1_default', 61, '2019-12-31T21:20:00Z', 1),
    about(oom, 'OOMKilling', 'Memory cgroup out of memory: Killed process 4242 (nginx)', 5, '2019-12-31T21:01:58Z', 2),
    about(pending, 'FailedScheduling', '0/1 nodes are available: 1 Insufficient memory.', 12, '2019-12-31T21:15:00Z', 3),
  ];
}

/** A second node (from dao__n1) whose kubelet stopped reporting. */
function notReadyNode(base: KubeObject): KubeObject {
  const node = clone(base) as Json;
  node.metadata.name = 'minikube-m02';
  node.metadata.uid = 'n0000000-0000-4000-8000-000000000002';
  node.metadata.labels = { ...node.metadata.labels, 'kubernetes.io/hostname': 'minikube-m02' };
  delete node.metadata.labels['node-role.kubernetes.io/master'];
  node.spec = { ...node.spec, unschedulable: true };
  node.status.conditions = node.status.conditions.map((c: Json) =>
    c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : { ...c, status: c.type === 'DiskPressure' ? 'True' : c.status },
  );
  return derived(node as KubeObject);
}

/** default/nginx (xray__dp) asked for 3 replicas of which only the sample pod is available. */
function degradedDeployment(base: KubeObject): KubeObject {
  const deployment = clone(base) as Json;
  deployment.spec.replicas = 3;
  Object.assign(deployment.status, { replicas: 3, updatedReplicas: 3, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 2 });
  return derived(deployment as KubeObject);
}

/**
 * The ReplicaSets of default/nginx's three revisions, shaped after xray__rs: revision 3 is the
 * deployment's own template (the sample pods' `pod-template-hash` 7fb78fb6d8); 2 and 1 ran older
 * images and have been scaled to 0.
 */
function nginxReplicaSets(rsSample: KubeObject, deployment: KubeObject): KubeObject[] {
  const dep = deployment as Json;
  const make = (hash: string, revision: number, image: string, replicas: number, extraAnnotations: Record<string, string> = {}): KubeObject => {
    const rs = clone(rsSample) as Json;
    const name = `nginx-${hash}`;
    rs.metadata = {
      ...rs.metadata,
      name,
      namespace: 'default',
      uid: `r0000000-0000-4000-8000-00000000000${revision}`,
      selfLink: `/apis/apps/v1/namespaces/default/replicasets/${name}`,
      labels: { app: 'nginx', 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4', 'deployment.kubernetes.io/revision': String(revision), ...extraAnnotations },
      ownerReferences: [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'Deployment', name: 'nginx', uid: dep.metadata.uid }],
    };
    const template = clone(dep.spec.template);
    template.metadata.labels = { ...template.metadata.labels, 'pod-template-hash': hash };
    template.spec.containers[0].image = image;
    rs.spec = { replicas, selector: { matchLabels: { app: 'nginx', 'pod-template-hash': hash } }, template };
    rs.status = { replicas, fullyLabeledReplicas: replicas, readyReplicas: Math.min(replicas, 1), availableReplicas: Math.min(replicas, 1), observedGeneration: 1 };
    return derived(rs as KubeObject);
  };
  const current = dep.spec.template.spec.containers[0].image as string;
  return [
    make('6c7b8d9f54', 1, 'k8s.gcr.io/nginx-slim:0.6', 0),
    make('5bbc876d89', 2, 'k8s.gcr.io/nginx-slim:0.7', 0, { 'kubernetes.io/change-cause': 'kubectl set image deployment/nginx nginx=k8s.gcr.io/nginx-slim:0.7' }),
    make('7fb78fb6d8', 3, current, 3),
  ];
}

/** Every object one fake cluster starts with. */
export function clusterObjects(): KubeObject[] {
  const objects = SAMPLES.map(sample);
  const pod = sample('dao__p1.json');
  const derivedPods = [crashLoopingPod(pod), oomKilledPod(pod), pendingPod(pod)];
  const nginx = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'nginx') as KubeObject;
  const degraded = degradedDeployment(nginx);
  return [
    ...objects.map((o) => (o === nginx ? degraded : o)),
    ...derivedPods,
    ...warningEvents(sample('render__ev.json'), derivedPods),
    notReadyNode(sample('dao__n1.json')),
    ...nginxReplicaSets(sample('xray__rs.json'), degraded),
  ];
}
