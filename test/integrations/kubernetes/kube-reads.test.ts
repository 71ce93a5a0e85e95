import { describe, expect, it } from 'vitest';
import { useKubeRig } from '../../support/kube-rig.ts';

/**
 * Reading a cluster through the real client and a generated kubeconfig, against the fake API
 * server serving the k9s sample objects and the variants derived from them.
 */

const kube = useKubeRig();
const staging = { context: 'kind-staging', namespace: 'default', environment: 'staging' };

describe('cluster status', () => {
  it('shows the crash-looping, OOMKilled and pending pods with restart counts, the deployment missing replicas, the node not ready and the newest warnings', async () => {
    const status = await kube.ops().status(staging);

    expect(status.badPods.map((p) => [p.name, p.reason, p.restarts, p.ready])).toEqual([
      ['nginx-7fb78fb6d8-crash1', 'CrashLoopBackOff', 14, '0/1'],
      ['nginx-7fb78fb6d8-oom01', 'OOMKilled', 5, '1/1'],
      ['nginx-7fb78fb6d8-pend1', 'Pending (Unschedulable)', 0, '0/1'],
    ]);
    expect(status.badPods[0]).toMatchObject({ deployment: 'nginx', owner: 'ReplicaSet/nginx-7fb78fb6d8', node: 'gke-k9s-default-pool-0fa2fb89-lbtf' });
    expect(status.badPods[1]?.containers[0]).toMatchObject({ name: 'nginx', lastTerminationReason: 'OOMKilled' });
    expect(status.deploymentsUnavailable).toEqual([expect.objectContaining({ name: 'nginx', replicas: 3, available: 1, unavailable: 2, images: ['k8s.gcr.io/nginx-slim:0.8'], revision: '3' })]);
    expect(status.nodesNotReady).toEqual([{ name: 'minikube-m02', ready: false, problems: ['Ready=Unknown (NodeStatusUnknown)', 'DiskPressure', 'SchedulingDisabled'] }]);
    expect(status.warnings.map((w) => `${w.reason} ${w.object} x${w.count}`)).toEqual([
      'BackOff Pod/nginx-7fb78fb6d8-crash1 x61',
      'FailedScheduling Pod/nginx-7fb78fb6d8-pend1 x12',
      'OOMKilling Pod/nginx-7fb78fb6d8-oom01 x5',
    ]);
    expect(status.notes).toBeUndefined();

    const asked = kube.api.requests().map((r) => `${r.cluster} ${r.method} ${r.path}${r.query.fieldSelector ? `?fieldSelector=${r.query.fieldSelector}` : ''}`);
    expect(asked.sort()).toEqual([
      'kind-staging GET /api/v1/namespaces/default/events?fieldSelector=type=Warning',
      'kind-staging GET /api/v1/namespaces/default/pods',
      'kind-staging GET /api/v1/nodes',
      'kind-staging GET /apis/apps/v1/namespaces/default/deployments',
    ]);
  });

  it('still answers when nodes may not be listed, and says so', async () => {
    kube.api.fail({ path: '/api/v1/nodes', status: 403 });
    const status = await kube.ops().status(staging);
    expect(status.badPods).toHaveLength(3);
    expect(status.nodesNotReady).toEqual([]);
    expect(status.notes?.[0]).toMatch(/^Nodes not shown: Kubernetes did not allow opsbot to list nodes in context `kind-staging` \(403 Forbidden\)/);
  });

  it('uses the context the policy names and that context’s own credentials', async () => {
    const ops = kube.ops();
    await ops.pods(ops.resolve({ context: 'prod-eu', namespace: 'icx' }));
    expect(kube.api.requests()).toEqual([expect.objectContaining({ cluster: 'prod-eu', path: '/api/v1/namespaces/icx/pods', status: 200 })]);
  });
});

describe('pods', () => {
  it('lists the pods a label selector picks, healthy or not', async () => {
    const pods = await kube.ops().pods(staging, 'app=nginx');
    expect(pods.map((p) => `${p.name} ${p.phase} ${p.ready} ${p.unhealthy ? 'bad' : 'ok'}`)).toEqual([
      'nginx-7fb78fb6d8-2w75j Running 1/1 ok',
      'nginx-7fb78fb6d8-crash1 Running 0/1 bad',
      'nginx-7fb78fb6d8-oom01 Running 1/1 bad',
      'nginx-7fb78fb6d8-pend1 Pending 0/1 bad',
    ]);
    expect(kube.api.requests()[0]?.query).toEqual({ labelSelector: 'app=nginx' });
  });

  it('refuses a selector that is not one, before asking', async () => {
    await expect(kube.ops().pods(staging, 'app=nginx; rm -rf')).rejects.toThrow('is not a label selector');
    expect(kube.api.requests()).toEqual([]);
  });
});

describe('logs', () => {
  it('reads the last 200 lines by default, with a byte cap', async () => {
    const text = await kube.ops().logs(staging, 'nginx-7fb78fb6d8-2w75j');
    expect(text.trim().split('\n')).toHaveLength(200);
    expect(text.trim().split('\n').at(-1)).toContain('nginx-7fb78fb6d8-2w75j/nginx #300');
    expect(kube.api.requests()[0]).toMatchObject({ path: '/api/v1/namespaces/default/pods/nginx-7fb78fb6d8-2w75j/log', query: { tailLines: '200', limitBytes: '524288' } });
  });

  it('passes container, previous, tail and since to the server', async () => {
    const text = await kube.ops().logs(staging, 'nginx-7fb78fb6d8-crash1', { container: 'nginx', previous: true, tailLines: 2, sinceSeconds: 3600 });
    expect(text).toBe('2019/12/31 20:41:12 [emerg] 1#1: host not found in upstream "db.internal:5432" in /etc/nginx/conf.d/default.conf:12\nnginx: [emerg] host not found in upstream "db.internal:5432"\n');
    expect(kube.api.requests()[0]?.query).toEqual({ container: 'nginx', previous: 'true', tailLines: '2', sinceSeconds: '3600', limitBytes: '524288' });
  });

  it('says what the server said when there is no previous run', async () => {
    await expect(kube.ops().logs(staging, 'nginx', { previous: true })).rejects.toThrow('Kubernetes refused to read the logs of pod nginx in default in context `kind-staging` (400): previous terminated container "nginx" in pod "nginx" not found.');
  });
});

describe('describe', () => {
  it('shows a pod’s state, restarts and environment with literal values masked and secret values never read', async () => {
    const result = await kube.ops().describe(staging, 'pod', 'nginx-7fb78fb6d8-crash1');
    const text = result.lines.join('\n');

    expect(result.kind).toBe('Pod');
    expect(text).toContain('Controlled By: ReplicaSet/nginx-7fb78fb6d8');
    expect(text).toContain('  State: Waiting (CrashLoopBackOff): back-off 5m0s restarting failed container=nginx');
    expect(text).toContain('  Last State: Terminated (Error, exit code 1) at 2019-12-31T20:41:12Z');
    expect(text).toContain('  Restart Count: 14');
    expect(text).toContain('    DATABASE_URL: (value hidden)');
    expect(text).toContain("    API_TOKEN: <set to the key 'token' in secret 'api-credentials'>");
    expect(text).toContain('    POD_IP: (v1:status.podIP)');
    expect(text).not.toContain('s3cr3t');
    expect(result.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning BackOff']);
    expect(kube.api.requests().map((r) => r.path)).toEqual(['/api/v1/namespaces/default/pods/nginx-7fb78fb6d8-crash1', '/api/v1/namespaces/default/events']);
    expect(kube.api.requests()[1]?.query).toEqual({ fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=nginx-7fb78fb6d8-crash1' });
  });

  it('shows a deployment’s replicas and template without the last-applied manifest', async () => {
    const result = await kube.ops().describe({ ...staging, namespace: 'icx' }, 'deployment', 'icx-db');
    const text = result.lines.join('\n');
    expect(text).toContain('Replicas: 1 desired | 1 updated | 1 total | 1 available | 0 unavailable');
    expect(text).toContain('Annotations: deployment.kubernetes.io/revision=1, (1 more not shown)');
    expect(text).toContain("      POSTGRES_PASSWORD: <set to the key 'pg_pwd' in secret 'icx-creds'>");
    expect(text).not.toContain('last-applied');
  });

  it('reads the other kinds from their own API groups', async () => {
    const ops = kube.ops();
    const paths: string[] = [];
    for (const [kind, name] of [
      ['statefulset', 'nginx-sts'],
      ['service', 'dictionary1'],
      ['node', 'minikube'],
      ['job', 'hello-1567179180'],
      ['cronjob', 'hello'],
      ['hpa', 'nginx'],
      ['pvc', 'www-nginx-sts-0'],
      ['ingress', 'test-ingress'],
    ] as const) {
      const result = await ops.describe(staging, kind, name);
      expect(result.lines[0]).toBe(`Name: ${name}`);
      paths.push(kube.api.requests().at(-2)!.path);
    }
    expect(paths).toEqual([
      '/apis/apps/v1/namespaces/default/statefulsets/nginx-sts',
      '/api/v1/namespaces/default/services/dictionary1',
      '/api/v1/nodes/minikube',
      '/apis/batch/v1/namespaces/default/jobs/hello-1567179180',
      '/apis/batch/v1/namespaces/default/cronjobs/hello',
      '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/nginx',
      '/api/v1/namespaces/default/persistentvolumeclaims/www-nginx-sts-0',
      '/apis/networking.k8s.io/v1/namespaces/default/ingresses/test-ingress',
    ]);
  });

  it('says plainly when the object does not exist', async () => {
    await expect(kube.ops().describe(staging, 'deployment', 'nope')).rejects.toThrow('Could not read deployment nope in default in context `kind-staging`: not found: deployments.apps "nope" not found.');
  });
});

describe('rollout status', () => {
  it('says what kubectl says', async () => {
    const ops = kube.ops();
    expect(await ops.rolloutStatus(staging, 'nginx')).toEqual({ name: 'nginx', revision: '3', done: false, message: 'Waiting for deployment "nginx" rollout to finish: 1 of 3 updated replicas are available...' });
    expect(await ops.rolloutStatus({ ...staging, namespace: 'icx' }, 'icx-db')).toEqual({ name: 'icx-db', revision: '1', done: true, message: 'deployment "icx-db" successfully rolled out' });
  });
});
