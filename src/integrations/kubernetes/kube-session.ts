import type { V1Deployment } from '@kubernetes/client-node';
import { UserError } from '../../errors.ts';
import type { KubeApis, KubeClients } from './kube-client.ts';
import { objectName } from './kube-names.ts';
import type { KubeRequester } from './kube-request.ts';
import type { KubeTarget } from './kube-types.ts';

/** What every Kubernetes operation works with; `apis(target)` has already checked the target against the policy. */
export interface KubeSession {
  clients: KubeClients;
  requester: KubeRequester;
  apis(target: KubeTarget): KubeApis;
  /** Epoch ms (the restartedAt annotation). */
  now(): number;
}

export async function readDeployment(s: KubeSession, target: KubeTarget, name: string): Promise<V1Deployment> {
  const apis = s.apis(target);
  const checked = objectName(name, 'deployment');
  try {
    return await s.requester.call(target.context, `read deployment ${checked} in ${target.namespace}`, 'read', () => apis.apps.readNamespacedDeployment({ name: checked, namespace: target.namespace }, s.clients.options()));
  } catch (err) {
    if (err instanceof UserError && err.code === 'k8s_not_found') {
      throw new UserError('k8s_deployment_not_found', `There is no deployment \`${checked}\` in namespace \`${target.namespace}\` (context \`${target.context}\`).`, undefined, { cause: err });
    }
    throw err;
  }
}
