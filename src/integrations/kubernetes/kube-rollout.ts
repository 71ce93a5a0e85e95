import type { V1Deployment } from '@kubernetes/client-node';
import { REVISION_ANNOTATION } from './kube-summaries.ts';
import type { RolloutStatus } from './kube-types.ts';

/**
 * `kubectl rollout status deployment/<name>`, one look: the same decision and the same words as
 * kubectl's DeploymentStatusViewer, so what opsbot says matches what people see in a terminal.
 */
export function rolloutStatusOf(deployment: V1Deployment): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const revision = deployment.metadata?.annotations?.[REVISION_ANNOTATION];
  const base = { name, ...(revision !== undefined ? { revision } : {}) };
  const status = deployment.status ?? {};
  const generation = deployment.metadata?.generation ?? 0;
  if (generation > (status.observedGeneration ?? 0)) return { ...base, done: false, message: 'Waiting for deployment spec update to be observed...' };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { ...base, done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline` };
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted) return { ...base, done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${wanted} new replicas have been updated...` };
  if (total > updated) return { ...base, done: false, message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
  if (available < updated) return { ...base, done: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { ...base, done: true, message: `deployment "${name}" successfully rolled out` };
}
