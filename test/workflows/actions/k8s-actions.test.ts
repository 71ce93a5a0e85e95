import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.ts';
import type { NewAuditEntry } from '../../../src/store/types.ts';
import type { ActionDefinition } from '../../../src/workflows/action.ts';
import { createK8sActions, type K8sActionDeps, withTag } from '../../../src/workflows/actions/k8s-actions.ts';
import { useKubeRig, withClock } from '../../support/kube-rig.ts';
import { actionContext } from './action-context.ts';

/** The k8s.* workflow actions against the fake API server, as the engine calls them: parse, then run. */

const kube = useKubeRig();
const NOW = Date.parse('2026-03-02T09:30:00Z');

function catalog(deps: Partial<K8sActionDeps> = {}) {
  const audit: NewAuditEntry[] = [];
  const clock = new ManualClock(NOW);
  const actions = new Map(createK8sActions({ kube: kube.ops({ clock }), audit: { append: (e) => audit.push(e) }, ...deps }).map((a) => [a.name, a as unknown as ActionDefinition<unknown>]));
  const run = (name: string, input: Record<string, unknown>, options: { dryRun?: boolean } = {}) => {
    const action = actions.get(name)!;
    const ctx = actionContext({ clock, ...(options.dryRun ? { dryRun: true } : {}) });
    return { ctx, result: withClock(clock, action.run(action.parse(input), ctx), 1_000) };
  };
  return { actions, audit, clock, run };
}

const deployment = (name = 'nginx', namespace = 'default') => kube.api.get('kind-staging', 'Deployment', namespace, name) as { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('parsing a step’s with:', () => {
  it('names the field that is wrong', () => {
    const { actions } = catalog();
    const parse = (name: string, input: Record<string, unknown>) => () => actions.get(name)!.parse(input);
    expect(parse('k8s.scale', { deployment: 'api', replicas: -1 })).toThrow('k8s.scale: `with.replicas` must be a whole number from 0 to 1000, got -1.');
    expect(parse('k8s.set-image', { deployment: 'api', container: 'api', image: 'api:v1 && rm' })).toThrow('k8s.set-image: `with.image` must be an image reference like registry.example.com/team/api:v2.3.0');
    expect(parse('k8s.restart', { deployment: 'Api_1' })).toThrow('k8s.restart: `with.deployment` must be a deployment name (lower-case letters, digits, - and .), got "Api_1".');
    expect(parse('k8s.restart', { deployment: 'api', namspace: 'shop' })).toThrow('k8s.restart: unknown key `with.namspace`.');
    expect(parse('k8s.wait-rollout', { deployment: 'api', interval: '100ms' })).toThrow('k8s.wait-rollout: `with.interval` must be at least 1s');
  });

  it('takes numbers as templates give them, as numbers or as text', () => {
    const { actions } = catalog();
    expect(actions.get('k8s.scale')!.parse({ deployment: 'api', replicas: '3' })).toMatchObject({ replicas: 3 });
    expect(actions.get('k8s.rollout-undo')!.parse({ deployment: 'api', revision: '' })).toEqual({ deployment: 'api', scope: {} });
    expect(actions.get('k8s.rollout-undo')!.parse({ deployment: 'api', revision: 2, environment: 'staging' })).toEqual({ deployment: 'api', revision: 2, scope: { environment: 'staging' } });
  });
});

describe('k8s.set-image', () => {
  it('sets the image in the environment’s context, returns before and after, and audits them', async () => {
    const { run, audit } = catalog();
    const { result } = run('k8s.set-image', { environment: 'staging', deployment: 'nginx', container: 'nginx', image: 'k8s.gcr.io/nginx-slim:0.9' });
    const outcome = await result;

    expect(deployment().spec.template.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:0.9');
    expect(outcome.result).toEqual({
      context: 'kind-staging',
      namespace: 'default',
      environment: 'staging',
      deployment: 'nginx',
      dryRun: false,
      before: { replicas: 3, images: ['k8s.gcr.io/nginx-slim:0.8'], revision: '3' },
      after: { replicas: 3, images: ['k8s.gcr.io/nginx-slim:0.9'], revision: '4' },
    });
    expect(outcome.log).toBe('deployment/nginx in kind-staging/default (staging): image k8s.gcr.io/nginx-slim:0.8 → k8s.gcr.io/nginx-slim:0.9, revision 3 → 4');
    expect(audit).toEqual([expect.objectContaining({ action: 'k8s.set-image', actor: 'system', outcome: 'ok' })]);
    expect(JSON.parse(audit[0]!.args!)).toMatchObject({ run: 'run-1', step: 'deploy', image: 'k8s.gcr.io/nginx-slim:0.9', before: { revision: '3' }, after: { revision: '4' } });
  });

  it('with only a tag keeps the container’s image repository', async () => {
    const { run, audit } = catalog();
    const outcome = await run('k8s.set-image', { deployment: 'nginx', container: 'nginx', tag: 'v0.9.0' }).result;
    expect(deployment().spec.template.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:v0.9.0');
    expect(outcome.result).toMatchObject({ after: { images: ['k8s.gcr.io/nginx-slim:v0.9.0'] } });
    expect(JSON.parse(audit[0]!.args!)).toMatchObject({ tag: 'v0.9.0' });
    expect(withTag('registry.example.com:5000/team/api:v1@sha256:' + 'a'.repeat(64), 'v2')).toBe('registry.example.com:5000/team/api:v2');
    expect(withTag('registry.example.com:5000/team/api', 'v2')).toBe('registry.example.com:5000/team/api:v2');
    await expect(run('k8s.set-image', { deployment: 'nginx', container: 'web', tag: 'v1' }).result).rejects.toMatchObject({ message: 'k8s.set-image: deployment `nginx` has no container `web`.', hint: 'Its containers: `nginx`.' });
    expect(() => catalog().actions.get('k8s.set-image')!.parse({ deployment: 'nginx', container: 'nginx', tag: 'v1', image: 'nginx:1' })).toThrow('`with.image` must be given, or else `with.tag` (exactly one of them)');
  });

  it('under DRY_RUN sends dryRun=All and changes nothing', async () => {
    const { run } = catalog();
    const outcome = await run('k8s.set-image', { deployment: 'nginx', container: 'nginx', image: 'k8s.gcr.io/nginx-slim:0.9' }, { dryRun: true }).result;
    expect(kube.api.requests().find((r) => r.method === 'PATCH')?.query).toEqual({ dryRun: 'All' });
    expect(deployment().spec.template.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:0.8');
    expect(outcome.log).toMatch(/^DRY RUN \(dryRun=All, nothing changed\): /);
  });

  it('stays inside the allowlists', async () => {
    const { run } = catalog();
    await expect(run('k8s.set-image', { environment: 'production', namespace: 'kube-system', deployment: 'nginx', container: 'nginx', image: 'nginx:1.27' }).result).rejects.toThrow('Namespace `kube-system` is not allowed in context `prod-eu`.');
    await expect(run('k8s.restart', { context: 'dev-laptop', deployment: 'nginx' }).result).rejects.toThrow('Context `dev-laptop` is not allowed.');
    expect(kube.api.requests()).toEqual([]);
  });
});

describe('k8s.scale, k8s.restart and k8s.rollout-undo', () => {
  it('scale and restart as the commands do', async () => {
    const { run } = catalog();
    expect((await run('k8s.scale', { deployment: 'nginx', replicas: 2 }).result).result).toMatchObject({ before: { replicas: 3 }, after: { replicas: 2 } });
    await run('k8s.restart', { deployment: 'nginx' }).result;
    expect(deployment().spec).toMatchObject({ replicas: 2, template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': expect.stringMatching(/^2026-03-02T09:3\d:\d\dZ$/) } } } });
  });

  it('rolls back to the revision named, as the deploy workflow’s undo does', async () => {
    const { run } = catalog();
    const outcome = await run('k8s.rollout-undo', { environment: 'staging', deployment: 'nginx', revision: '1' }).result;
    expect(deployment().spec.template.spec.containers[0].image).toBe('k8s.gcr.io/nginx-slim:0.6');
    expect(outcome.result).toMatchObject({ before: { revision: '3' }, after: { revision: '1' } });
  });
});

describe('k8s.wait-rollout', () => {
  it('polls on the clock until the rollout is done', async () => {
    const { run } = catalog();
    kube.api.rollouts('kind-staging', 'default', 'nginx', 'hold');
    await run('k8s.set-image', { deployment: 'nginx', container: 'nginx', image: 'k8s.gcr.io/nginx-slim:0.9' }).result;

    const { ctx, result } = run('k8s.wait-rollout', { deployment: 'nginx', interval: '10s', timeout: '5m' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const looks = () => kube.api.requests().filter((r) => r.method === 'GET' && r.path.endsWith('/deployments/nginx')).length;
    await expect.poll(looks).toBeGreaterThan(2);
    kube.api.finishRollout('kind-staging', 'default', 'nginx');
    const outcome = await result;

    expect(outcome.result).toMatchObject({ done: true, revision: '4', message: 'deployment "nginx" successfully rolled out' });
    expect(ctx.progressLines).toContain('Waiting for deployment "nginx" rollout to finish: 0 out of 3 new replicas have been updated...');
  });

  it('fails at once when the rollout exceeded its progress deadline', async () => {
    const { run } = catalog();
    kube.api.rollouts('kind-staging', 'default', 'nginx', 'fail');
    await run('k8s.restart', { deployment: 'nginx' }).result;
    await expect(run('k8s.wait-rollout', { deployment: 'nginx' }).result).rejects.toThrow('k8s.wait-rollout: deployment "nginx" exceeded its progress deadline (kind-staging/default (staging))');
  });

  it('gives up after its timeout, saying where the rollout stands', async () => {
    const { run } = catalog();
    await expect(run('k8s.wait-rollout', { deployment: 'nginx', timeout: '30s', interval: '10s' }).result).rejects.toThrow(
      'k8s.wait-rollout: deployment/nginx did not finish rolling out within 30s (4 looks); last: Waiting for deployment "nginx" rollout to finish: 1 of 3 updated replicas are available...',
    );
  });

  it('under DRY_RUN looks once and does not wait', async () => {
    const { run } = catalog();
    const outcome = await run('k8s.wait-rollout', { deployment: 'nginx' }, { dryRun: true }).result;
    expect(outcome.result).toMatchObject({ done: false, dryRun: true, polls: 1 });
  });
});

describe('k8s.logs', () => {
  it('posts the tail of a pod’s log', async () => {
    const { run } = catalog();
    const outcome = await run('k8s.logs', { pod: 'nginx-7fb78fb6d8-oom01', previous: true, tail: 1 }).result;
    expect(outcome.log).toBe('2019/12/31 21:01:57 [alert] 1#1: worker process 4242 exited on signal 9 (OOMKilled)\n');
    expect(outcome.result).toEqual({ context: 'kind-staging', namespace: 'default', pod: 'nginx-7fb78fb6d8-oom01', lines: 1 });
  });
});

describe('without a kubeconfig', () => {
  it('the actions still parse, and fail at run time saying what is missing', async () => {
    const actions = createK8sActions({});
    const restart = actions.find((a) => a.name === 'k8s.restart') as unknown as ActionDefinition<unknown>;
    const input = restart.parse({ deployment: 'api' });
    await expect(restart.run(input, actionContext())).rejects.toThrow('k8s.restart: Kubernetes is not configured: set KUBECONFIG.');
  });
});
