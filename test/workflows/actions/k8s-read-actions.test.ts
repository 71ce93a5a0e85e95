import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import type { ActionDefinition } from '../../../src/workflows/action.ts';
import { createK8sReadActions } from '../../../src/workflows/actions/k8s-read-actions.ts';
import { useKubeRig } from '../../support/kube-rig.ts';
import { actionContext } from './action-context.ts';

/** The read-only k8s.* actions playbooks collect with, against the fake API server: parse, then run. */

const kube = useKubeRig();

function catalog() {
  const clock = new ManualClock(Date.parse('2026-03-02T09:30:00Z'));
  const actions = new Map(createK8sReadActions({ kube: kube.ops({ clock }) }).map((a) => [a.name, a as unknown as ActionDefinition<unknown>]));
  const parse = (name: string, input: Record<string, unknown>) => actions.get(name)!.parse(input);
  const run = (name: string, input: Record<string, unknown>) => actions.get(name)!.run(parse(name, input), actionContext({ clock }));
  return { actions, parse, run };
}

describe('k8s.deployment', () => {
  it('finds the deployment that runs a pod (through its ReplicaSet), with its replicas and revision', async () => {
    const { run } = catalog();
    const outcome = await run('k8s.deployment', { namespace: 'default', pod: 'nginx-7fb78fb6d8-crash1', context: '' });
    expect(outcome.result).toMatchObject({ context: 'kind-staging', namespace: 'default', deployment: 'nginx', replicas: 3, ready: 1, revision: '3' });
    expect(outcome.log).toMatch(/^deployment\/nginx in kind-staging\/default \(staging\) \(runs pod nginx-7fb78fb6d8-crash1: Running, CrashLoopBackOff, 14 restarts\): 1\/3 ready/);
  });

  it('says whose a pod is when no deployment runs it, and when the pod is gone', async () => {
    const { run } = catalog();
    await expect(run('k8s.deployment', { namespace: 'default', pod: 'nginx' })).rejects.toThrow('pod `nginx` in kind-staging/default (staging) is not run by a deployment (it has no owner), so there is no deployment to act on.');
    await expect(run('k8s.deployment', { namespace: 'default', pod: 'api-gone-123' })).rejects.toThrow('there is no pod `api-gone-123` in kind-staging/default (staging)');
  });

  it('takes exactly one of deployment and pod, an empty one counting as none', () => {
    const { parse } = catalog();
    expect(parse('k8s.deployment', { deployment: 'nginx', pod: '' })).toEqual({ deployment: 'nginx', scope: {} });
    expect(() => parse('k8s.deployment', { deployment: 'nginx', pod: 'nginx-1' })).toThrow('exactly one of them');
    expect(() => parse('k8s.deployment', { deployment: null, pod: '' })).toThrow('exactly one of them');
    expect(() => parse('k8s.deployment', { deployment: 'Nginx' })).toThrow('`with.deployment` must be a deployment name');
  });
});

describe('k8s.describe and k8s.events', () => {
  it('describe a pod with its env values masked, and list its events', async () => {
    const { run } = catalog();
    const described = await run('k8s.describe', { namespace: 'default', object: 'pod/nginx-7fb78fb6d8-crash1' });
    expect(described.result).toMatchObject({ kind: 'Pod', name: 'nginx-7fb78fb6d8-crash1', warnings: expect.any(Number) });
    expect(described.log).toContain('Waiting (CrashLoopBackOff)');
    expect(described.log).not.toContain('s3cr3t-pa55');
    const events = await run('k8s.events', { namespace: 'default', object: 'pod/nginx-7fb78fb6d8-crash1' });
    expect(events.log).toMatch(/^Events for pod\/nginx-7fb78fb6d8-crash1 in kind-staging\/default \(staging\):\nWarning BackOff/);
  });

  it('refuse a Secret before anything is asked of the cluster', () => {
    const { parse } = catalog();
    expect(() => parse('k8s.describe', { object: 'secret/api-credentials' })).toThrow('opsbot never reads or shows Kubernetes Secrets.');
    expect(() => parse('k8s.events', { object: 'secrets/api-credentials' })).toThrow('opsbot never reads or shows Kubernetes Secrets.');
    expect(kube.api.requests()).toEqual([]);
  });
});
