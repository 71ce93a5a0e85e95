/**
 * The Kubernetes operations opsbot performs, as the commands, the workflow actions (k8s.*) and the
 * agents' read-only tools use them. One implementation (kube-ops.ts) over @kubernetes/client-node;
 * everything that reaches a cluster goes through `resolve` first, so the context and namespace
 * allowlists of opsbot.yaml hold for every caller.
 */

/** What a caller asked for; either may be left out. */
export interface KubeScope {
  context?: string;
  namespace?: string;
  /**
   * The environment the context must be (`staging`, `production`); with no context named, the one
   * allowed context of that environment. Lets a workflow say "staging" without naming a cluster.
   */
  environment?: string;
}

/** A context and namespace the policy allows, and the environment the context is. */
export interface KubeTarget {
  context: string;
  namespace: string;
  environment: string;
}

export interface ContainerState {
  name: string;
  ready: boolean;
  restarts: number;
  /** waiting / terminated reason: CrashLoopBackOff, OOMKilled, ImagePullBackOff, Error, Completed… */
  reason?: string;
  /** Why the last run of the container ended (lastState.terminated.reason), e.g. OOMKilled. */
  lastTerminationReason?: string;
  image: string;
}

export interface PodSummary {
  name: string;
  namespace: string;
  phase: string;
  /** `2/3` */
  ready: string;
  restarts: number;
  /** The most telling reason: CrashLoopBackOff, OOMKilled, Pending (Unschedulable), ImagePullBackOff… */
  reason?: string;
  node?: string;
  /** Epoch ms of creation. */
  createdAt?: number;
  /** e.g. `ReplicaSet/api-5d8f7c9b6`. */
  owner?: string;
  containers: ContainerState[];
  /** Not running well: not ready, crash looping, OOMKilled, pending, failed. */
  unhealthy: boolean;
  /** The deployment that owns it (through its ReplicaSet), when there is one: what Restart restarts. */
  deployment?: string;
}

export interface DeploymentSummary {
  name: string;
  namespace: string;
  replicas: number;
  ready: number;
  updated: number;
  available: number;
  unavailable: number;
  images: string[];
  /** `deployment.kubernetes.io/revision`. */
  revision?: string;
  /** The pod template's containers (init containers included) with their images. */
  containers?: Array<{ name: string; image: string }>;
}

export interface NodeSummary {
  name: string;
  ready: boolean;
  /** Conditions that are wrong: `MemoryPressure`, `DiskPressure`, `Ready=Unknown`… */
  problems: string[];
}

export interface EventSummary {
  type: string;
  reason: string;
  /** `Pod/api-5d8f7c9b6-x2x7k` */
  object: string;
  message: string;
  count: number;
  /** Epoch ms. */
  lastSeen?: number;
}

export interface ClusterStatus {
  target: KubeTarget;
  nodesNotReady: NodeSummary[];
  badPods: PodSummary[];
  deploymentsUnavailable: DeploymentSummary[];
  /** Recent warning events in the namespace, newest first. */
  warnings: EventSummary[];
  /** What could not be looked at, e.g. nodes when opsbot may not list them. */
  notes?: string[];
}

/** Kinds `describe` takes; Secrets are not among them and never will be. */
export const DESCRIBABLE_KINDS = ['pod', 'deployment', 'statefulset', 'daemonset', 'replicaset', 'service', 'node', 'job', 'cronjob', 'hpa', 'pvc', 'ingress'] as const;
export type DescribableKind = (typeof DESCRIBABLE_KINDS)[number];

export interface DescribeResult {
  kind: string;
  name: string;
  /** Status, spec highlights and conditions as `key: value` lines; env values in pod specs masked. */
  lines: string[];
  events: EventSummary[];
}

/** What a write changed, for the reply and the audit row. */
export interface WriteResult {
  target: KubeTarget;
  kind: 'Deployment';
  name: string;
  /** Sent with `dryRun=All`: the server validated it and changed nothing. */
  dryRun: boolean;
  before: { replicas?: number; images?: string[]; revision?: string };
  after: { replicas?: number; images?: string[]; revision?: string };
  /** Set when nothing was sent because nothing would change, e.g. a rollback to the template already running. */
  note?: string;
}

export interface RolloutStatus {
  name: string;
  done: boolean;
  /** As kubectl says it: `Waiting for deployment "api" rollout to finish: 1 of 3 updated replicas are available...` */
  message: string;
  revision?: string;
  /** The rollout cannot finish by itself (its progress deadline passed); `message` says so. */
  failed?: boolean;
}

export interface LogOptions {
  container?: string;
  previous?: boolean;
  /** Default 200. */
  tailLines?: number;
  sinceSeconds?: number;
}

export interface KubeOps {
  /** Applies the allowlists; throws a UserError naming what is allowed. */
  resolve(scope: KubeScope): KubeTarget;
  contexts(): Array<{ name: string; environment: string; namespaces: string[] }>;
  status(target: KubeTarget): Promise<ClusterStatus>;
  pods(target: KubeTarget, selector?: string): Promise<PodSummary[]>;
  /** Every deployment of the namespace, by name. */
  deployments(target: KubeTarget): Promise<DeploymentSummary[]>;
  logs(target: KubeTarget, pod: string, options?: LogOptions): Promise<string>;
  describe(target: KubeTarget, kind: DescribableKind, name: string): Promise<DescribeResult>;
  events(target: KubeTarget, object?: { kind: string; name: string }): Promise<EventSummary[]>;
  restart(target: KubeTarget, deployment: string, options: { dryRun: boolean }): Promise<WriteResult>;
  scale(target: KubeTarget, deployment: string, replicas: number, options: { dryRun: boolean }): Promise<WriteResult>;
  /** To `revision`, or the one before the current when absent. */
  rollback(target: KubeTarget, deployment: string, revision: number | undefined, options: { dryRun: boolean }): Promise<WriteResult>;
  setImage(target: KubeTarget, deployment: string, container: string, image: string, options: { dryRun: boolean }): Promise<WriteResult>;
  rolloutStatus(target: KubeTarget, deployment: string): Promise<RolloutStatus>;
}
