import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import { createKubeClients } from '../../../src/integrations/kubernetes/kube-client.ts';
import { createKubeOps } from '../../../src/integrations/kubernetes/kube-ops.ts';
import { silentLog } from '../../support/chat-rig.ts';
import { freePort } from '../../support/free-port.ts';
import type { Json } from '../../support/fake-kube-patch.ts';
import { kubePolicy, useKubeRig, withClock } from '../../support/kube-rig.ts';

/**
 * Changing deployments through the real client: what is sent (method, path, content type, body,
 * dryRun) and what the fake API server stored, including what its deployment controller made of it.
 */

const kube = useKubeRig();
const staging = { context: 'kind-staging', namespace: 'default', environment: 'staging' };
const NOW = Date.parse('2026-03-02T09:30:00Z');

const deployment = (name = 'nginx', namespace = 'default') => kube.api.get('kind-staging', 'Deployment', namespace, name) as Json & { spec: any; metadata: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const writes = () => kube.api.requests().filter((r) => r.method !== 'GET');
const revisionOf = (rs: string) => (kube.api.get('kind-staging', 'ReplicaSet', 'default', rs)?.metadata as { annotations: Record<string, string> }).annotations['deployment.kubernetes.io/revision'];

describe('restart', () => {
  it('patches the restartedAt annotation of the pod template with a strategic merge patch, and the rollout makes revision 4', async () => {
    const result = await kube.ops({ clock: new ManualClock(NOW) }).restart(staging, 'nginx', { dryRun: false });

    expect(writes()).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/default/deployments/nginx',
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-03-02T09:30:00Z' } } } } },
        query: {},
        status: 200,
      }),
    ]);
    expect(deployment().spec.template.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2026-03-02T09:30:00Z' });
    expect(result).toEqual({
      target: staging,
      kind: 'Deployment',
      name: 'nginx',
      dryRun: false,
      before: { replicas: 3, images: ['k8s.gcr.io/nginx-slim:0.8'], revision: '3' },
      after: { replicas: 3, images: ['k8s.gcr.io/nginx-slim:0.8'], revision: '4' },
    });
  });

  it('in a dry run sends dryRun=All and changes nothing', async () => {
    const result = await kube.ops().restart(staging, 'nginx', { dryRun: true });
    expect(writes()).toEqual([expect.objectContaining({ method: 'PATCH', query: { dryRun: 'All' }, contentType: 'application/strategic-merge-patch+json' })]);
    expect(deployment().spec.template.metadata.annotations).toBeUndefined();
    expect(kube.api.list('kind-staging', 'ReplicaSet', 'default')).toHaveLength(4);
    expect(result.dryRun).toBe(true);
  });

  it('says so when there is no such deployment, without writing', async () => {
    await expect(kube.ops().restart(staging, 'payments', { dryRun: false })).rejects.toThrow('There is no deployment `payments` in namespace `default` (context `kind-staging`).');
    expect(writes()).toEqual([]);
  });
});

describe('scale', () => {
  it('changes replicas through the scale subresource with a merge patch', async () => {
    const result = await kube.ops().scale(staging, 'nginx', 5, { dryRun: false });

    expect(writes()).toEqual([expect.objectContaining({ method: 'PATCH', path: '/apis/apps/v1/namespaces/default/deployments/nginx/scale', contentType: 'application/merge-patch+json', body: { spec: { replicas: 5 } } })]);
    expect(deployment().spec.replicas).toBe(5);
    expect(result.before.replicas).toBe(3);
    expect(result.after.replicas).toBe(5);
  });

  it('in a dry run leaves the replicas as they are', async () => {
    const result = await kube.ops().scale(staging, 'nginx', 0, { dryRun: true });
    expect(writes()[0]?.query).toEqual({ dryRun: 'All' });
    expect(deployment().spec.replicas).toBe(3);
    expect(result).toMatchObject({ dryRun: true, before: { replicas: 3 }, after: { replicas: 0 } });
  });

  it('refuses a count that is not one before asking', async () => {
    await expect(kube.ops().scale(staging, 'nginx', -1, { dryRun: false })).rejects.toThrow('Replicas must be a whole number from 0 to 1000; got -1.');
    expect(kube.api.requests()).toEqual([]);
  });
});

describe('rollback', () => {
  it('copies the pod template of the previous revision’s ReplicaSet, without pod-template-hash, into the deployment with a JSON Patch', async () => {
    const result = await kube.ops().rollback(staging, 'nginx', undefined, { dryRun: false });

    const list = kube.api.requests().find((r) => r.path === '/apis/apps/v1/namespaces/default/replicasets');
    expect(list?.query).toEqual({ labelSelector: 'app=nginx' });
    const [patch] = writes();
    expect(patch).toMatchObject({ method: 'PATCH', path: '/apis/apps/v1/namespaces/default/deployments/nginx', contentType: 'application/json-patch+json' });
    const ops = patch?.body as Array<{ op: string; path: string; value: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(['replace /spec/template', 'replace /metadata/annotations']);
    expect(ops[0]?.value.metadata.labels).toEqual({ app: 'nginx' });
    expect(ops[0]?.value.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:0.7');
    expect(ops[1]?.value).toEqual({
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': expect.stringContaining('"kind":"Deployment"'),
      'kubernetes.io/change-cause': 'kubectl set image deployment/nginx nginx=k8s.gcr.io/nginx-slim:0.7',
      'opsbot.test/derived': 'true',
    });

    expect(deployment().spec.template.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:0.7');
    // The controller takes the old ReplicaSet up again as the newest revision, as the real one does.
    expect(revisionOf('nginx-5bbc876d89')).toBe('4');
    expect(result).toMatchObject({ before: { images: ['k8s.gcr.io/nginx-slim:0.8'], revision: '3' }, after: { images: ['k8s.gcr.io/nginx-slim:0.7'], revision: '2' } });
  });

  it('goes to a named revision, and says which revisions exist when the one named does not', async () => {
    const ops = kube.ops();
    await ops.rollback(staging, 'nginx', 1, { dryRun: false });
    expect(deployment().spec.template.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:0.6');

    await expect(ops.rollback(staging, 'nginx', 9, { dryRun: false })).rejects.toThrow('Deployment `nginx` has no revision 9.');
    await expect(ops.rollback(staging, 'nginx', 9, { dryRun: false })).rejects.toMatchObject({ hint: 'Its revisions: 2, 3, 4.' });
  });

  it('skips the patch when the deployment already runs that revision’s template', async () => {
    const result = await kube.ops().rollback(staging, 'nginx', 3, { dryRun: false });
    expect(writes()).toEqual([]);
    expect(result.note).toBe('skipped rollback: current template already matches revision 3');
  });

  it('refuses when there is nothing before the current revision', async () => {
    await expect(kube.ops().rollback({ ...staging, namespace: 'icx' }, 'icx-db', undefined, { dryRun: false })).rejects.toThrow('Deployment `icx-db` has no revision before 1 to roll back to.');
  });

  it('in a dry run sends dryRun=All and changes nothing', async () => {
    await kube.ops().rollback(staging, 'nginx', undefined, { dryRun: true });
    expect(writes()[0]?.query).toEqual({ dryRun: 'All' });
    expect(deployment().spec.template.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:0.8');
    expect(revisionOf('nginx-5bbc876d89')).toBe('2');
  });
});

describe('set image', () => {
  it('names the container in a strategic merge patch, leaving the rest of the template', async () => {
    const result = await kube.ops().setImage(staging, 'nginx', 'nginx', 'k8s.gcr.io/nginx-slim:0.9', { dryRun: false });
    expect(writes()).toEqual([expect.objectContaining({ contentType: 'application/strategic-merge-patch+json', body: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'k8s.gcr.io/nginx-slim:0.9' }] } } } } })]);
    expect(deployment().spec.template.spec.containers[0]).toMatchObject({ name: 'nginx', image: 'k8s.gcr.io/nginx-slim:0.9', env: [{ name: 'FRED' }, { name: 'PROPS' }] });
    expect(result).toMatchObject({ before: { images: ['k8s.gcr.io/nginx-slim:0.8'] }, after: { images: ['k8s.gcr.io/nginx-slim:0.9'], revision: '4' } });
  });

  it('names the containers there are when the one asked for is not', async () => {
    await expect(kube.ops().setImage(staging, 'nginx', 'web', 'nginx:1.27', { dryRun: false })).rejects.toMatchObject({ message: 'Deployment `nginx` has no container `web`.', hint: 'Its containers: `nginx`.' });
    expect(writes()).toEqual([]);
  });

  it('refuses what is not an image reference before asking', async () => {
    await expect(kube.ops().setImage(staging, 'nginx', 'nginx', 'nginx:latest; curl evil', { dryRun: false })).rejects.toThrow('is not an image reference');
    expect(kube.api.requests()).toEqual([]);
  });
});

describe('when the API server says no', () => {
  it('explains a 403 and does not retry it', async () => {
    kube.api.fail({ method: 'PATCH', path: /deployments\/nginx$/, status: 403 });
    await expect(kube.ops().restart(staging, 'nginx', { dryRun: false })).rejects.toMatchObject({
      code: 'k8s_forbidden',
      message: 'Kubernetes did not allow opsbot to restart deployment nginx in default in context `kind-staging` (403 Forbidden): deployments.apps is forbidden: User "system:serviceaccount:ops:opsbot" cannot patch resource "deployments" in API group "apps" in the namespace "default".',
    });
    expect(writes()).toHaveLength(1);
  });

  it('retries a write after a 429, honouring Retry-After', async () => {
    const clock = new ManualClock(NOW);
    kube.api.fail({ method: 'PATCH', path: /scale$/, status: 429, times: 1, retryAfterSeconds: 2 });
    const result = await withClock(clock, kube.ops({ clock }).scale(staging, 'nginx', 4, { dryRun: false }));
    expect(writes().map((r) => r.status)).toEqual([429, 200]);
    expect(result.after.replicas).toBe(4);
  });

  it('retries reads after a 5xx, but never a write', async () => {
    const clock = new ManualClock(NOW);
    kube.api.fail({ method: 'GET', path: '/api/v1/namespaces/default/pods', status: 503, times: 2 });
    expect(await withClock(clock, kube.ops({ clock }).pods(staging))).toHaveLength(6);

    kube.api.fail({ method: 'PATCH', path: /deployments\/nginx$/, status: 500 });
    await expect(withClock(clock, kube.ops({ clock }).restart(staging, 'nginx', { dryRun: false }))).rejects.toMatchObject({
      code: 'k8s_server_error',
      message: 'The Kubernetes API of context `kind-staging` failed (500 InternalError) while opsbot tried to restart deployment nginx in default: Internal error occurred: etcdserver: request timed out.',
    });
    expect(writes()).toHaveLength(1);
  });

  it('gives up on an API server that does not answer, after its timeout', async () => {
    const clock = new ManualClock(NOW);
    kube.api.fail({ path: /deployments\/nginx$/, hang: true });
    await expect(withClock(clock, kube.ops({ clock, timeoutMs: 200 }).rolloutStatus(staging, 'nginx'), 50)).rejects.toThrow('Could not reach the Kubernetes API of context `kind-staging` to read deployment nginx in default (no answer in time).');
  });
});

describe('a cluster that is down', () => {
  it('says it could not be reached, after retrying', async () => {
    const port = await freePort();
    const file = path.join(kube.dir, 'down.yaml');
    fs.writeFileSync(file, ['apiVersion: v1', 'kind: Config', 'current-context: gone', `clusters: [{ name: gone, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`, 'users: [{ name: gone, user: { token: t } }]', 'contexts: [{ name: gone, context: { cluster: gone, user: gone } }]', ''].join('\n'));
    const policy = kubePolicy('kubernetes:\n  contexts:\n    gone: { environment: staging, namespaces: [default] }\n');
    const clients = createKubeClients({ kubeconfig: file, inCluster: false, allowedContexts: ['gone'] })!;
    const clock = new ManualClock(NOW);
    const ops = createKubeOps({ clients, policy: policy.kubernetes, clock, log: silentLog });
    await expect(withClock(clock, ops.pods(ops.resolve({})))).rejects.toMatchObject({
      code: 'k8s_unreachable',
      message: 'Could not reach the Kubernetes API of context `gone` to list pods in default (connection refused).',
    });
  });
});

describe('the allowlists', () => {
  it('refuse a context or namespace the policy does not list, naming what is allowed, before any request', async () => {
    const ops = kube.ops();
    expect(() => ops.resolve({ context: 'dev-laptop' })).toThrow(expect.objectContaining({ message: 'Context `dev-laptop` is not allowed.', hint: 'Allowed contexts: `prod-eu`, `kind-staging`.' }));
    expect(() => ops.resolve({ context: 'prod-eu', namespace: 'kube-system' })).toThrow(expect.objectContaining({ message: 'Namespace `kube-system` is not allowed in context `prod-eu`.', hint: 'Allowed there: `default`, `icx`.' }));
    await expect(ops.restart({ context: 'dev-laptop', namespace: 'default', environment: 'staging' }, 'nginx', { dryRun: false })).rejects.toThrow('Context `dev-laptop` is not allowed.');
    await expect(ops.pods({ context: 'kind-staging', namespace: 'kube-system', environment: 'staging' })).rejects.toThrow('Namespace `kube-system` is not allowed in context `kind-staging`.');
    expect(kube.api.requests()).toEqual([]);
  });

  it('pick the default context, or the one of an environment', () => {
    const ops = kube.ops();
    expect(ops.resolve({})).toEqual({ context: 'kind-staging', namespace: 'default', environment: 'staging' });
    expect(ops.resolve({ environment: 'production', namespace: 'icx' })).toEqual({ context: 'prod-eu', namespace: 'icx', environment: 'production' });
    expect(() => ops.resolve({ context: 'kind-staging', environment: 'production' })).toThrow('Context `kind-staging` is staging, not production.');
  });
});
