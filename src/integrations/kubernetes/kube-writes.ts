import { PatchStrategy, type V1Deployment } from '@kubernetes/client-node';
import { UserError } from '../../errors.ts';
import { containerName, imageReference } from './kube-names.ts';
import { ownedBy, planRollback } from './kube-rollback.ts';
import { type KubeSession, readDeployment } from './kube-session.ts';
import { imagesOf, REVISION_ANNOTATION, selectorText } from './kube-summaries.ts';
import type { KubeTarget, WriteResult } from './kube-types.ts';

/**
 * The writing half of KubeOps. Each write reads the deployment first (for the "before" of the
 * audit row and a clear "no such deployment"), sends one PATCH with an explicit content type,
 * and answers with what the API server returned as the "after". With `dryRun` the PATCH carries
 * `dryRun=All`: the server validates and answers as if it had applied it, and changes nothing.
 */

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
export const MAX_REPLICAS = 1_000;

type State = WriteResult['before'];

function stateOf(deployment: V1Deployment): State {
  const revision = deployment.metadata?.annotations?.[REVISION_ANNOTATION];
  return { replicas: deployment.spec?.replicas ?? 1, images: imagesOf(deployment), ...(revision !== undefined ? { revision } : {}) };
}

function result(target: KubeTarget, name: string, dryRun: boolean, before: State, after: State, note?: string): WriteResult {
  return { target, kind: 'Deployment', name, dryRun, before, after, ...(note ? { note } : {}) };
}

const dryRunParam = (dryRun: boolean) => (dryRun ? { dryRun: 'All' } : {});

async function patchDeployment(s: KubeSession, target: KubeTarget, name: string, what: string, strategy: PatchStrategy, body: object, dryRun: boolean): Promise<V1Deployment> {
  const apis = s.apis(target);
  return s.requester.call(target.context, `${what} in ${target.namespace}`, 'write', () =>
    apis.apps.patchNamespacedDeployment({ name, namespace: target.namespace, body, ...dryRunParam(dryRun) }, s.clients.options({ name: 'Content-Type', value: strategy })),
  );
}

/** `kubectl rollout restart`: a new value of the restartedAt annotation on the pod template starts a rollout. */
export async function restartDeployment(s: KubeSession, target: KubeTarget, name: string, options: { dryRun: boolean }): Promise<WriteResult> {
  const before = await readDeployment(s, target, name);
  if (before.spec?.paused) throw new UserError('k8s_paused', `Deployment \`${name}\` is paused, so a restart would not roll out.`, 'Resume it first (`kubectl rollout resume`).');
  const at = new Date(s.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } };
  const after = await patchDeployment(s, target, name, `restart deployment ${name}`, PatchStrategy.StrategicMergePatch, body, options.dryRun);
  return result(target, name, options.dryRun, stateOf(before), stateOf(after));
}

/** Through the `scale` subresource, as kubectl scale does: only the replica count is written. */
export async function scaleDeployment(s: KubeSession, target: KubeTarget, name: string, replicas: number, options: { dryRun: boolean }): Promise<WriteResult> {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) throw new UserError('k8s_bad_replicas', `Replicas must be a whole number from 0 to ${MAX_REPLICAS}; got ${replicas}.`);
  const before = await readDeployment(s, target, name);
  const apis = s.apis(target);
  const scale = await s.requester.call(target.context, `scale deployment ${name} in ${target.namespace}`, 'write', () =>
    apis.apps.patchNamespacedDeploymentScale(
      { name, namespace: target.namespace, body: { spec: { replicas } }, ...dryRunParam(options.dryRun) },
      s.clients.options({ name: 'Content-Type', value: PatchStrategy.MergePatch }),
    ),
  );
  const was = stateOf(before);
  return result(target, name, options.dryRun, was, { ...was, replicas: scale.spec?.replicas ?? replicas });
}

/** `kubectl set image`: a strategic merge patch naming the container, so the others are left as they are. */
export async function setDeploymentImage(s: KubeSession, target: KubeTarget, name: string, container: string, image: string, options: { dryRun: boolean }): Promise<WriteResult> {
  const checkedContainer = containerName(container);
  const checkedImage = imageReference(image);
  const before = await readDeployment(s, target, name);
  const spec = before.spec?.template.spec;
  const init = spec?.initContainers?.some((c) => c.name === checkedContainer) ?? false;
  if (!init && !spec?.containers.some((c) => c.name === checkedContainer)) {
    const names = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map((c) => `\`${c.name}\``);
    throw new UserError('k8s_container_not_found', `Deployment \`${name}\` has no container \`${checkedContainer}\`.`, `Its containers: ${names.join(', ') || 'none'}.`);
  }
  const list = [{ name: checkedContainer, image: checkedImage }];
  const body = { spec: { template: { spec: init ? { initContainers: list } : { containers: list } } } };
  const after = await patchDeployment(s, target, name, `set the image of ${name}/${checkedContainer}`, PatchStrategy.StrategicMergePatch, body, options.dryRun);
  return result(target, name, options.dryRun, stateOf(before), stateOf(after));
}

/** `kubectl rollout undo` (kube-rollback.ts): to `revision`, or the one before the newest. */
export async function rollbackDeployment(s: KubeSession, target: KubeTarget, name: string, revision: number | undefined, options: { dryRun: boolean }): Promise<WriteResult> {
  if (revision !== undefined && (!Number.isInteger(revision) || revision < 1)) throw new UserError('k8s_bad_revision', `A revision is a whole number from 1; got ${revision}.`);
  const before = await readDeployment(s, target, name);
  const apis = s.apis(target);
  const selector = selectorText(before.spec?.selector);
  const replicaSets = await s.requester.call(target.context, `list the replica sets of ${name} in ${target.namespace}`, 'read', () =>
    apis.apps.listNamespacedReplicaSet({ namespace: target.namespace, ...(selector ? { labelSelector: selector } : {}) }, s.clients.options()),
  );
  const plan = planRollback(before, ownedBy(before, replicaSets.items), revision);
  const was = stateOf(before);
  if (plan.kind === 'skip') return result(target, name, options.dryRun, was, was, `skipped rollback: ${plan.reason}`);
  const after = await patchDeployment(s, target, name, `roll back deployment ${name} to revision ${plan.revision}`, PatchStrategy.JsonPatch, plan.patch, options.dryRun);
  return result(target, name, options.dryRun, was, { ...stateOf(after), revision: String(plan.revision) });
}
