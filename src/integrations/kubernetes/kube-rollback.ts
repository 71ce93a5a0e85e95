import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { UserError } from '../../errors.ts';
import { POD_TEMPLATE_HASH, REVISION_ANNOTATION } from './kube-summaries.ts';

/**
 * `kubectl rollout undo`, which apps/v1 has no endpoint for: find the ReplicaSet the deployment
 * owns for the target revision (default: the one before the newest), and write its pod template,
 * without the `pod-template-hash` label, back into the deployment with a JSON Patch that replaces
 * `spec.template` and the annotations, as kubectl does. The deployment controller then rolls
 * that template out and numbers it as the newest revision.
 */

export type RollbackPlan =
  | { kind: 'patch'; revision: number; replicaSet: string; template: V1PodTemplateSpec; patch: unknown[] }
  | { kind: 'skip'; revision: number; replicaSet: string; reason: string };

/** Annotations that describe the deployment itself, kept from it rather than copied from the ReplicaSet (kubectl's annotationsToSkip). */
const OWN_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export function ownedBy(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet[] {
  const uid = deployment.metadata?.uid;
  return replicaSets.filter((rs) => (rs.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && o.controller !== false && (uid ? o.uid === uid : o.name === deployment.metadata?.name)));
}

function revisionOf(rs: V1ReplicaSet): number | undefined {
  const text = rs.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = text === undefined ? NaN : Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function revisionsOf(replicaSets: readonly V1ReplicaSet[]): number[] {
  return replicaSets
    .map(revisionOf)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
}

export function withoutHash(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const copy = JSON.parse(JSON.stringify(template)) as V1PodTemplateSpec;
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
}

/** `replicaSets` are the deployment's own (ownedBy). */
export function planRollback(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[], toRevision: number | undefined): RollbackPlan {
  const name = deployment.metadata?.name ?? '';
  if (deployment.spec?.paused) {
    throw new UserError('k8s_rollback_paused', `You cannot roll back the paused deployment \`${name}\`.`, 'Resume it first (`kubectl rollout resume`), then try again.');
  }
  const byRevision = replicaSets.map((rs) => ({ rs, revision: revisionOf(rs) })).filter((x): x is { rs: V1ReplicaSet; revision: number } => x.revision !== undefined);
  const known = byRevision.map((x) => x.revision).sort((a, b) => a - b);
  let target: { rs: V1ReplicaSet; revision: number } | undefined;
  if (toRevision !== undefined) {
    target = byRevision.find((x) => x.revision === toRevision);
    if (!target) throw new UserError('k8s_revision_not_found', `Deployment \`${name}\` has no revision ${toRevision}.`, known.length > 0 ? `Its revisions: ${known.join(', ')}.` : 'It has no rollout history.');
  } else {
    const sorted = [...byRevision].sort((a, b) => b.revision - a.revision);
    target = sorted[1];
    if (!target) throw new UserError('k8s_no_previous_revision', `Deployment \`${name}\` has no revision before ${sorted[0]?.revision ?? 'its current one'} to roll back to.`);
  }
  const replicaSet = target.rs.metadata?.name ?? '';
  const template = withoutHash(target.rs.spec?.template ?? {});
  if (JSON.stringify(template) === JSON.stringify(withoutHash(deployment.spec?.template ?? {}))) {
    return { kind: 'skip', revision: target.revision, replicaSet, reason: `current template already matches revision ${target.revision}` };
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(deployment.metadata?.annotations ?? {})) if (OWN_ANNOTATIONS.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(target.rs.metadata?.annotations ?? {})) if (!OWN_ANNOTATIONS.has(k)) annotations[k] = v;
  return {
    kind: 'patch',
    revision: target.revision,
    replicaSet,
    template,
    patch: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}
