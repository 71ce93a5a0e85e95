import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { clusterObjects, type KubeObject, RESOURCES } from './fake-kube-objects.ts';
import { applyPatch, type Json, PATCH_TYPES, PatchError, type PatchType } from './fake-kube-patch.ts';

/**
 * A loopback Kubernetes API server speaking the REST paths opsbot uses, reached through a
 * generated kubeconfig (real @kubernetes/client-node on the other side):
 * - lists (labelSelector, fieldSelector) and gets of pods, events, nodes, services, PVCs,
 *   deployments, replica sets, stateful sets, daemon sets, jobs, cron jobs, HPAs and ingresses;
 * - `pods/<name>/log` (container, previous, tailLines, limitBytes; sinceSeconds is recorded, the
 *   lines are not timed) as text/plain;
 * - PATCH of deployments in the three patch content types (anything else: 415), the `scale`
 *   subresource (GET, PUT, PATCH), and `dryRun=All` honoured: the answer shows the change, nothing
 *   is stored;
 * - a minimal deployment controller: a changed pod template gets a ReplicaSet of the next revision
 *   (an existing one with the same template is taken up again, as the real controller does), and
 *   the rollout completes at once, or is held or fails its progress deadline when told;
 * - errors as the real server sends them (`kind: Status` with reason and code); Secrets answer
 *   403 and every request is recorded, so a test can prove none was asked for.
 *
 * Each kubeconfig context is its own cluster (`/clusters/<name>/…`) with its own copy of the
 * objects and its own bearer token.
 */

export const CONTEXTS = ['prod-eu', 'kind-staging', 'dev-laptop'] as const;
export type FakeContext = (typeof CONTEXTS)[number];

export interface RecordedKubeRequest {
  cluster: string;
  method: string;
  /** Without the `/clusters/<name>` prefix and the query. */
  path: string;
  query: Record<string, string>;
  contentType?: string;
  body?: unknown;
  status: number;
}

export interface Fault {
  /** Matched against the request path (no cluster prefix, no query). */
  path: string | RegExp;
  method?: string;
  cluster?: string;
  status?: number;
  /** How many requests it answers; default every one. */
  times?: number;
  retryAfterSeconds?: number;
  /** Never answer (the client's timeout fires). */
  hang?: boolean;
}

export type RolloutMode = 'complete' | 'hold' | 'fail';

export interface FakeKubeApi {
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Writes a kubeconfig with the three contexts (prod-eu, kind-staging, dev-laptop) into `dir`; returns its path. */
  writeKubeconfig(dir: string, options?: { currentContext?: FakeContext; token?: string }): string;
  requests(): RecordedKubeRequest[];
  /** Every request since start, resets included: for "no Secret was ever asked for". */
  everRequested(): RecordedKubeRequest[];
  fail(fault: Fault): void;
  /** The stored object, or undefined. */
  get(cluster: string, kind: string, namespace: string | undefined, name: string): Json | undefined;
  list(cluster: string, kind: string, namespace?: string): Json[];
  /** How the controller treats the next template change of a deployment. */
  rollouts(cluster: string, namespace: string, name: string, mode: RolloutMode): void;
  /** Completes a held rollout now. */
  finishRollout(cluster: string, namespace: string, name: string): void;
  /** Sets a container's log (current or previous run). */
  setLog(cluster: string, namespace: string, pod: string, container: string, lines: string[], previous?: boolean): void;
  /** Back to the fixtures: objects, faults, rollout modes, logs and recorded requests. */
  reset(): void;
}

interface Cluster {
  objects: Map<string, Json>;
  rollouts: Map<string, RolloutMode>;
  logs: Map<string, string[]>;
}

const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';
const KIND_BY_RESOURCE = new Map(Object.entries(RESOURCES).map(([kind, r]) => [`${r.group}|${r.resource}`, kind]));
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const meta = (o: Json) => o.metadata as Json & { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string>; uid?: string };
const keyOf = (kind: string, namespace: string | undefined, name: string) => `${kind}|${namespace ?? ''}|${name}`;

export function tokenFor(cluster: string): string {
  return `fake-token-${cluster}`;
}

export function createFakeKubeApi(): FakeKubeApi {
  let server: Server | undefined;
  let url = '';
  let resourceVersion = 40_000_000;
  let recorded: RecordedKubeRequest[] = [];
  const history: RecordedKubeRequest[] = [];
  let faults: Array<Fault & { left: number }> = [];
  const clusters = new Map<string, Cluster>();
  const hanging = new Set<ServerResponse>();

  const load = () => {
    clusters.clear();
    for (const name of CONTEXTS) {
      const objects = new Map<string, Json>();
      for (const object of clusterObjects()) objects.set(keyOf(object.kind as string, object.metadata.namespace, object.metadata.name), object as Json);
      clusters.set(name, { objects, rollouts: new Map(), logs: new Map() });
    }
  };
  load();

  const cluster = (name: string): Cluster => {
    const found = clusters.get(name);
    if (!found) throw new Error(`no fake cluster ${name}`);
    return found;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/clusters\/([^/]+)(\/.*)$/.exec(target.pathname);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    const query = Object.fromEntries(target.searchParams);
    const entry: RecordedKubeRequest = { cluster: match?.[1] ?? '', method, path: match?.[2] ?? target.pathname, query, status: 0 };
    if (contentType) entry.contentType = contentType;
    if (raw) entry.body = parseJson(raw);
    recorded.push(entry);
    history.push(entry);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
      res.end(text);
    };

    if (!match || !clusters.has(match[1]!)) return send(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    const clusterName = match[1]!;
    const apiPath = match[2]!;
    if (req.headers.authorization !== `Bearer ${tokenFor(clusterName)}`) return send(401, statusBody(401, 'Unauthorized', 'Unauthorized'));

    const fault = faults.find((f) => f.left > 0 && (f.cluster === undefined || f.cluster === clusterName) && (f.method === undefined || f.method === method) && (typeof f.path === 'string' ? f.path === apiPath : f.path.test(apiPath)));
    if (fault) {
      fault.left--;
      if (fault.hang) {
        hanging.add(res);
        return;
      }
      const status = fault.status ?? 500;
      return send(status, statusBody(status, REASONS[status] ?? 'InternalError', FAULT_MESSAGES[status] ?? `Internal error occurred: injected ${status}`), fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
    }

    const route = parseRoute(apiPath);
    if (!route) return send(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    if (route.resource === 'secrets') {
      return send(403, statusBody(403, 'Forbidden', `secrets is forbidden: User "system:serviceaccount:ops:opsbot" cannot ${method === 'GET' ? (route.name ? 'get' : 'list') : 'update'} resource "secrets" in API group "" in the namespace "${route.namespace ?? ''}"`, { kind: 'secrets' }));
    }
    const kind = KIND_BY_RESOURCE.get(`${route.group}|${route.resource}`);
    if (!kind) return send(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    const c = cluster(clusterName);
    const notFound = () => send(404, statusBody(404, 'NotFound', `${route.resource}${route.group ? `.${route.group}` : ''} "${route.name}" not found`, { name: route.name, group: route.group, kind: route.resource }));
    const dryRun = query.dryRun;
    if (dryRun !== undefined && dryRun !== 'All') return send(400, statusBody(400, 'BadRequest', `dryRun: Unsupported value: "${dryRun}": supported values: "All"`));

    try {
      if (!route.name) {
        if (method !== 'GET') return send(405, statusBody(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
        const items = listObjects(c, kind, route.namespace).filter((o) => matchesLabels(o, query.labelSelector) && matchesFields(o, query.fieldSelector));
        return send(200, { kind: `${kind}List`, apiVersion: apiVersionOf(route), metadata: { resourceVersion: String(resourceVersion) }, items: items.map((o) => served(o, route)) });
      }
      const key = keyOf(kind, RESOURCES[kind]!.namespaced ? route.namespace : undefined, route.name);
      const object = c.objects.get(key);
      if (!object) return notFound();

      if (route.subresource === 'log' && kind === 'Pod' && method === 'GET') return sendLog(c, object, query, send);
      if (route.subresource === 'scale' && kind === 'Deployment') return handleScale(c, key, object, method, contentType, entry.body, dryRun !== undefined, route, send);
      if (route.subresource) return send(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      if (method === 'GET') return send(200, served(object, route));
      if (method === 'PATCH' && kind === 'Deployment') {
        if (!PATCH_TYPES.includes(contentType as PatchType)) return send(415, statusBody(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}, application/apply-patch+yaml, application/apply-patch+cbor`));
        if (entry.body === undefined) return send(400, statusBody(400, 'BadRequest', 'the body of the request could not be decoded'));
        const patched = applyPatch(object, contentType as PatchType, entry.body);
        validateDeployment(patched, route.name);
        if (dryRun !== undefined) return send(200, served(patched, route));
        return send(200, served(store(c, key, object, patched), route));
      }
      return send(405, statusBody(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    } catch (err) {
      if (err instanceof PatchError) return send(err.status, statusBody(err.status, err.status === 422 ? 'Invalid' : 'BadRequest', err.message));
      throw err;
    }
  }

  function listObjects(c: Cluster, kind: string, namespace: string | undefined): Json[] {
    const out: Json[] = [];
    for (const [key, object] of c.objects) {
      const [k, ns] = key.split('|');
      if (k === kind && (namespace === undefined || ns === namespace)) out.push(object);
    }
    return out;
  }

  /** Stores a changed deployment the way the API server and the deployment controller would. */
  function store(c: Cluster, key: string, before: Json, after: Json): Json {
    const next = structuredClone(after);
    const m = meta(next);
    const specChanged = JSON.stringify(before.spec) !== JSON.stringify(next.spec);
    m.resourceVersion = String(++resourceVersion);
    if (specChanged) m.generation = Number(meta(before).generation ?? 1) + 1;
    c.objects.set(key, next);
    if (specChanged) reconcile(c, before, next);
    return c.objects.get(key) as Json;
  }

  function reconcile(c: Cluster, before: Json, deployment: Json): void {
    const m = meta(deployment);
    const spec = deployment.spec as Json & { replicas?: number; template: Json };
    const replicas = spec.replicas ?? 1;
    const mode = c.rollouts.get(`${m.namespace}/${m.name}`) ?? 'complete';
    const templateChanged = JSON.stringify((before.spec as Json).template) !== JSON.stringify(spec.template);
    if (templateChanged) {
      const owned = listObjects(c, 'ReplicaSet', m.namespace).filter((rs) => ((meta(rs).ownerReferences as Json[] | undefined) ?? []).some((o) => o.uid === m.uid));
      const revision = Math.max(0, ...owned.map((rs) => Number(meta(rs).annotations?.[REVISION] ?? 0))) + 1;
      const wanted = JSON.stringify(withoutHash(spec.template));
      let current = owned.find((rs) => JSON.stringify(withoutHash((rs.spec as Json).template as Json)) === wanted);
      if (!current) {
        const hash = createHash('sha256').update(wanted).digest('hex').slice(0, 10);
        const template = structuredClone(spec.template) as Json & { metadata: Json & { labels?: Record<string, string> } };
        template.metadata = { ...template.metadata, labels: { ...template.metadata.labels, [HASH_LABEL]: hash } };
        current = {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${m.name}-${hash}`,
            namespace: m.namespace,
            uid: `r-${hash}`,
            resourceVersion: String(++resourceVersion),
            labels: { ...((spec.template.metadata as Json | undefined)?.labels as Record<string, string> | undefined), [HASH_LABEL]: hash },
            annotations: {},
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: m.name, uid: m.uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: { replicas: 0, selector: { matchLabels: { ...((spec.selector as Json).matchLabels as Json), [HASH_LABEL]: hash } }, template },
          status: { replicas: 0 },
        };
        c.objects.set(keyOf('ReplicaSet', m.namespace, meta(current).name), current);
      }
      meta(current).annotations = { ...meta(current).annotations, [REVISION]: String(revision) };
      m.annotations = { ...m.annotations, [REVISION]: String(revision) };
      for (const rs of owned) if (rs !== current) (rs.spec as Json).replicas = 0;
      (current.spec as Json).replicas = replicas;
    }
    const status = (deployment.status ?? {}) as Json;
    status.observedGeneration = m.generation;
    if (mode === 'complete' || !templateChanged) {
      completeStatus(deployment);
      return;
    }
    Object.assign(status, { replicas: replicas + Number(status.availableReplicas ?? 0), updatedReplicas: 0, unavailableReplicas: replicas });
    const conditions = ((status.conditions as Json[] | undefined) ?? []).filter((cond) => cond.type !== 'Progressing');
    conditions.push(
      mode === 'fail'
        ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${m.name}" has timed out progressing.` }
        : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${m.name}" is progressing.` },
    );
    status.conditions = conditions;
    deployment.status = status;
  }

  function completeStatus(deployment: Json): void {
    const replicas = ((deployment.spec as Json).replicas as number | undefined) ?? 1;
    const status = (deployment.status ?? {}) as Json;
    Object.assign(status, { observedGeneration: meta(deployment).generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas });
    delete status.unavailableReplicas;
    const conditions = ((status.conditions as Json[] | undefined) ?? []).filter((cond) => cond.type !== 'Progressing');
    conditions.push({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${meta(deployment).name}" has successfully progressed.` });
    status.conditions = conditions;
    deployment.status = status;
  }

  function handleScale(c: Cluster, key: string, deployment: Json, method: string, contentType: string | undefined, body: unknown, dryRun: boolean, route: Route, send: Sender): void {
    const scaleOf = (d: Json) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: meta(d).name, namespace: meta(d).namespace, uid: meta(d).uid, resourceVersion: meta(d).resourceVersion, creationTimestamp: meta(d).creationTimestamp },
      spec: { replicas: (d.spec as Json).replicas ?? 1 },
      status: { replicas: (d.status as Json | undefined)?.replicas ?? 0, selector: selectorString((d.spec as Json).selector as Json) },
    });
    if (method === 'GET') return send(200, scaleOf(deployment));
    let wanted: unknown;
    if (method === 'PUT') wanted = isMap(body) && isMap(body.spec) ? body.spec.replicas : undefined;
    else if (method === 'PATCH') {
      if (!PATCH_TYPES.includes(contentType as PatchType)) return send(415, statusBody(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`));
      wanted = (applyPatch(scaleOf(deployment), contentType as PatchType, body).spec as Json).replicas;
    } else return send(405, statusBody(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted < 0) {
      return send(422, statusBody(422, 'Invalid', `Scale.autoscaling "${route.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(wanted)}: must be greater than or equal to 0`));
    }
    const next = structuredClone(deployment);
    (next.spec as Json).replicas = wanted;
    if (dryRun) return send(200, scaleOf(next));
    return send(200, scaleOf(store(c, key, deployment, next)));
  }

  function sendLog(c: Cluster, pod: Json, query: Record<string, string>, send: Sender): void {
    const spec = pod.spec as Json & { containers: Json[]; initContainers?: Json[] };
    const names = spec.containers.map((x) => String(x.name));
    const all = [...names, ...(spec.initContainers ?? []).map((x) => String(x.name))];
    const name = meta(pod).name;
    let container = query.container;
    if (container === undefined) {
      if (names.length > 1) return send(400, statusBody(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`));
      container = names[0]!;
    }
    if (!all.includes(container)) return send(400, statusBody(400, 'BadRequest', `container ${container} is not valid for pod ${name}`));
    const previous = query.previous === 'true';
    const statuses = [...(((pod.status as Json | undefined)?.containerStatuses as Json[] | undefined) ?? []), ...(((pod.status as Json | undefined)?.initContainerStatuses as Json[] | undefined) ?? [])];
    const restarts = Number(statuses.find((s) => s.name === container)?.restartCount ?? 0);
    if (previous && restarts === 0) return send(400, statusBody(400, 'BadRequest', `previous terminated container "${container}" in pod "${name}" not found`));
    let lines = c.logs.get(logKey(String(meta(pod).namespace), name, container, previous)) ?? defaultLog(name, container, previous);
    const tail = query.tailLines === undefined ? undefined : Number(query.tailLines);
    if (tail !== undefined) lines = tail <= 0 ? [] : lines.slice(-tail);
    let text = lines.map((l) => `${l}\n`).join('');
    const limit = query.limitBytes === undefined ? undefined : Number(query.limitBytes);
    if (limit !== undefined) text = text.slice(0, limit);
    send(200, text);
  }

  return {
    get url() {
      return url;
    },
    async start() {
      server = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(statusBody(500, 'InternalError', `fake: ${String(err)}`)));
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      if (!server) return;
      const closing = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closing;
    },
    writeKubeconfig(dir, options = {}) {
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: CONTEXTS.map((name) => ({ name, cluster: { server: `${url}/clusters/${name}`, 'insecure-skip-tls-verify': true } })),
        users: CONTEXTS.map((name) => ({ name: `${name}-opsbot`, user: { token: options.token ?? tokenFor(name) } })),
        contexts: CONTEXTS.map((name) => ({ name, context: { cluster: name, user: `${name}-opsbot`, namespace: 'default' } })),
        'current-context': options.currentContext ?? 'kind-staging',
        preferences: {},
      };
      const file = path.join(dir, 'kubeconfig.yaml');
      fs.writeFileSync(file, stringify(config));
      return file;
    },
    requests: () => [...recorded],
    everRequested: () => [...history],
    fail(fault) {
      faults.push({ ...fault, left: fault.times ?? Infinity });
    },
    get(clusterName, kind, namespace, name) {
      const object = cluster(clusterName).objects.get(keyOf(kind, RESOURCES[kind]?.namespaced ? namespace : undefined, name));
      return object && structuredClone(object);
    },
    list(clusterName, kind, namespace) {
      return listObjects(cluster(clusterName), kind, namespace).map((o) => structuredClone(o));
    },
    rollouts(clusterName, namespace, name, mode) {
      cluster(clusterName).rollouts.set(`${namespace}/${name}`, mode);
    },
    finishRollout(clusterName, namespace, name) {
      const c = cluster(clusterName);
      c.rollouts.delete(`${namespace}/${name}`);
      const deployment = c.objects.get(keyOf('Deployment', namespace, name));
      if (deployment) completeStatus(deployment);
    },
    setLog(clusterName, namespace, pod, container, lines, previous = false) {
      cluster(clusterName).logs.set(logKey(namespace, pod, container, previous), lines);
    },
    reset() {
      load();
      faults = [];
      recorded = [];
    },
  };
}

type Sender = (status: number, body: unknown, headers?: Record<string, string>) => void;

interface Route {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

function parseRoute(apiPath: string): Route | undefined {
  const parts = apiPath.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1]) [group, version, rest] = ['', parts[1], parts.slice(2)];
  else if (parts[0] === 'apis' && parts[1] && parts[2]) [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return undefined;
  return { group, version, resource, ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}) };
}

function apiVersionOf(route: Route): string {
  return route.group ? `${route.group}/${route.version}` : route.version;
}

/** As the server converts a stored object to the version asked for (HPA v1 → v2 included). */
function served(object: Json, route: Route): Json {
  const out = structuredClone(object);
  out.apiVersion = apiVersionOf(route);
  if (out.kind === 'HorizontalPodAutoscaler' && route.version === 'v2') {
    const spec = out.spec as Json;
    const target = spec.targetCPUUtilizationPercentage;
    delete spec.targetCPUUtilizationPercentage;
    if (target !== undefined) spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];
    const status = (out.status ?? {}) as Json;
    const current = status.currentCPUUtilizationPercentage;
    delete status.currentCPUUtilizationPercentage;
    if (current !== undefined) status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }];
  }
  return out;
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };
const FAULT_MESSAGES: Record<number, string> = {
  403: 'deployments.apps is forbidden: User "system:serviceaccount:ops:opsbot" cannot patch resource "deployments" in API group "apps" in the namespace "default"',
  429: 'Too many requests, please try again later.',
  500: 'Internal error occurred: etcdserver: request timed out',
  503: 'the server is currently unable to handle the request',
};

function statusBody(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function validateDeployment(deployment: Json, name: string): void {
  const spec = deployment.spec as Json & { replicas?: unknown; template?: Json };
  const invalid = (field: string, what: string) => {
    throw new PatchError(422, `Deployment.apps "${name}" is invalid: ${field}: ${what}`);
  };
  if (spec.replicas !== undefined && (typeof spec.replicas !== 'number' || !Number.isInteger(spec.replicas) || spec.replicas < 0)) invalid('spec.replicas', `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`);
  const containers = ((spec.template?.spec as Json | undefined)?.containers as Json[] | undefined) ?? [];
  if (containers.length === 0) invalid('spec.template.spec.containers', 'Required value');
  containers.forEach((c, i) => {
    if (typeof c.image !== 'string' || c.image === '') invalid(`spec.template.spec.containers[${i}].image`, 'Required value');
  });
  const labels = ((spec.template?.metadata as Json | undefined)?.labels ?? {}) as Record<string, string>;
  const selector = ((spec.selector as Json | undefined)?.matchLabels ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) invalid('spec.template.metadata.labels', `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``);
}

function withoutHash(template: Json): Json {
  const copy = structuredClone(template) as Json & { metadata?: Json & { labels?: Record<string, string> } };
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
  if (copy.metadata && copy.metadata.creationTimestamp === null) delete copy.metadata.creationTimestamp;
  return copy;
}

function selectorString(selector: Json | undefined): string {
  return Object.entries((selector?.matchLabels ?? {}) as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function logKey(namespace: string, pod: string, container: string, previous: boolean): string {
  return `${namespace}/${pod}/${container}/${previous ? 'previous' : 'current'}`;
}

/** 300 lines of an nginx-like access log; the previous run of a crashed container ends in its crash. */
function defaultLog(pod: string, container: string, previous: boolean): string[] {
  const lines = Array.from({ length: 300 }, (_, i) => `10.44.0.${(i % 200) + 1} - - [31/Dec/2019:19:${String(27 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.15" ${pod}/${container} #${i + 1}`);
  if (!previous) return lines;
  const end = pod.includes('oom') ? ['2019/12/31 21:01:57 [alert] 1#1: worker process 4242 exited on signal 9 (OOMKilled)'] : ['2019/12/31 20:41:12 [emerg] 1#1: host not found in upstream "db.internal:5432" in /etc/nginx/conf.d/default.conf:12', 'nginx: [emerg] host not found in upstream "db.internal:5432"'];
  return [...lines.slice(0, 40), ...end];
}

function matchesLabels(object: Json, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels = meta(object).labels ?? {};
  return splitTerms(selector).every((term) => {
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      const has = set[1]! in labels && values.includes(labels[set[1]!]!);
      return set[2] === 'in' ? has : !has;
    }
    const cmp = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
    if (cmp) return cmp[2] === '!=' ? labels[cmp[1]!] !== cmp[3] : labels[cmp[1]!] === cmp[3];
    if (/^![\w./-]+$/.test(term)) return !(term.slice(1) in labels);
    if (/^[\w./-]+$/.test(term)) return term in labels;
    throw new PatchError(400, `unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

function matchesFields(object: Json, selector: string | undefined): boolean {
  if (!selector) return true;
  return splitTerms(selector).every((term) => {
    const cmp = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!cmp) throw new PatchError(400, `invalid selector: '${selector}'; can't understand '${term}'`);
    let value: unknown = object;
    for (const part of cmp[1]!.split('.')) value = isMap(value) ? value[part] : undefined;
    const equal = String(value ?? '') === cmp[3];
    return cmp[2] === '!=' ? !equal : equal;
  });
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Objects by kind as the fake starts, for tests that name what they expect. */
export function fixtureObjects(): KubeObject[] {
  return clusterObjects();
}
