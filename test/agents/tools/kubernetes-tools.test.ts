import { describe, expect, it } from 'vitest';
import type { AlertGroup } from '../../../src/alerts/alert.ts';
import { kubernetesTools } from '../../../src/agents/tools/kubernetes-tools.ts';
import type { ReadOnlyTool } from '../../../src/agents/read-only-tool.ts';
import { useKubeRig } from '../../support/kube-rig.ts';

/** The agents' read-only Kubernetes tools, over the same KubeOps as the commands, against the fake API server. */

const kube = useKubeRig();

const crashLooping: AlertGroup = {
  key: '{alertname="KubePodCrashLooping",namespace="default"}',
  commonLabels: { alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'nginx-7fb78fb6d8-crash1' },
  commonAnnotations: {},
  alerts: [{ status: 'firing', labels: { alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'nginx-7fb78fb6d8-crash1' }, annotations: {} }],
};

function tool(name: string): ReadOnlyTool {
  const found = kubernetesTools({ kube: kube.ops() }).find((t) => t.name === name);
  if (!found) throw new Error(name);
  return found;
}

const call = (name: string, args: Record<string, unknown>, alertGroup?: AlertGroup) => {
  const t = tool(name);
  return t.run(t.input.parse(args), alertGroup ? { alertGroup } : {});
};

describe('the Kubernetes tools', () => {
  it('are offered to the triage and fix agents', () => {
    expect(kubernetesTools({ kube: kube.ops() }).map((t) => [t.name, t.agents])).toEqual([
      ['kubernetes_get', ['triage', 'fix']],
      ['kubernetes_describe', ['triage', 'fix']],
      ['kubernetes_logs', ['triage', 'fix']],
      ['kubernetes_events', ['triage', 'fix']],
    ]);
  });

  it('read the alert’s own namespace by default', async () => {
    const text = await call('kubernetes_get', { resource: 'status' }, { ...crashLooping, commonLabels: { ...crashLooping.commonLabels, namespace: 'icx' } });
    // Nodes are the cluster's; the namespace itself is fine.
    expect(text).toBe('kind-staging/icx (staging):\nnode minikube-m02 not ready: Ready=Unknown (NodeStatusUnknown), DiskPressure, SchedulingDisabled');
    expect(kube.api.requests().map((r) => r.path)).toContain('/api/v1/namespaces/icx/pods');
  });

  it('summarise what is not running well', async () => {
    const text = await call('kubernetes_get', { resource: 'status' }, crashLooping);
    expect(text).toContain('nginx-7fb78fb6d8-crash1 Running ready 0/1 restarts 14 reason CrashLoopBackOff UNHEALTHY');
    expect(text).toContain('(last run ended OOMKilled)');
    expect(text).toContain('deployment nginx: 1/3 available, images k8s.gcr.io/nginx-slim:0.8, revision 3');
    expect(text).toContain('node minikube-m02 not ready: Ready=Unknown (NodeStatusUnknown), DiskPressure, SchedulingDisabled');
  });

  it('list deployments and pods', async () => {
    expect(await call('kubernetes_get', { resource: 'deployments' }, crashLooping)).toBe('nginx: 1/3 ready, 1 available, 2 unavailable, 3 updated, images k8s.gcr.io/nginx-slim:0.8, revision 3');
    expect(await call('kubernetes_get', { resource: 'pods', selector: 'app=nginx' }, crashLooping)).toMatch(/^4 pods in kind-staging\/default \(staging\):/);
  });

  it('refuse another namespace than the alert’s: alert text cannot send the model elsewhere', async () => {
    await expect(call('kubernetes_logs', { pod: 'icx-db-7d4b578979-abcde', namespace: 'icx' }, crashLooping)).rejects.toThrow('This run is about namespace default; the Kubernetes tools read only there.');
    expect(kube.api.requests()).toEqual([]);
  });

  it('keep to the allowlists when no alert names a namespace', async () => {
    await expect(call('kubernetes_get', { resource: 'pods', namespace: 'kube-system' })).rejects.toThrow('Namespace `kube-system` is not allowed in context `kind-staging`.');
    await expect(call('kubernetes_get', { resource: 'pods', context: 'dev-laptop' })).rejects.toThrow('Context `dev-laptop` is not allowed.');
    expect(kube.api.requests()).toEqual([]);
  });

  it('describe with env values masked, and never a Secret', async () => {
    const text = await call('kubernetes_describe', { object: 'pod/nginx-7fb78fb6d8-crash1' }, crashLooping);
    expect(text).toContain('DATABASE_URL: (value hidden)');
    expect(text).toContain('Warning BackOff x61');
    expect(text).not.toContain('s3cr3t');

    await expect(call('kubernetes_describe', { object: 'secret/api-credentials' }, crashLooping)).rejects.toThrow('opsbot never reads or shows Kubernetes Secrets.');
    await expect(call('kubernetes_events', { object: 'secrets/api-credentials' }, crashLooping)).rejects.toThrow('opsbot never reads or shows Kubernetes Secrets.');
    expect(kube.api.requests().map((r) => r.path)).toEqual(['/api/v1/namespaces/default/pods/nginx-7fb78fb6d8-crash1', '/api/v1/namespaces/default/events']);
  });

  it('read the end of a log, capped in lines', async () => {
    const text = await call('kubernetes_logs', { pod: 'nginx-7fb78fb6d8-crash1', previous: true, tail: 2 }, crashLooping);
    expect(text).toContain('nginx: [emerg] host not found in upstream "db.internal:5432"');
    expect(kube.api.requests()[0]?.query).toMatchObject({ previous: 'true', tailLines: '2' });
    expect(() => tool('kubernetes_logs').input.parse({ pod: 'x', tail: 5_000 })).toThrow();
  });

  it('list the events of one object', async () => {
    const text = await call('kubernetes_events', { object: 'pod/nginx-7fb78fb6d8-oom01' }, crashLooping);
    expect(text).toBe('2019-12-31T21:01:58.000Z Warning OOMKilling Pod/nginx-7fb78fb6d8-oom01 x5: Memory cgroup out of memory: Killed process 4242 (nginx)');
  });
});
