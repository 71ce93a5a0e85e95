import { type Policy, UNKNOWN_ENVIRONMENT } from '../../config/policy-schema.ts';
import type { Role } from '../../roles.ts';
import type { KubeTarget } from './kube-types.ts';

/**
 * The least role that may do `what` to a resolved target: the environment's role (the context's
 * environment in opsbot.yaml), unless its namespace sets its own. `read-raw` is for data as it is
 * (logs); summaries (status, pods, describe with env values masked, events) need no more than the
 * commands' own role.
 */
export function kubeRoleNeeded(policy: Policy, target: KubeTarget, what: 'write' | 'read-raw'): Role {
  const environment = policy.environments[target.environment] ?? UNKNOWN_ENVIRONMENT;
  const namespace = policy.kubernetes.contexts[target.context]?.namespaces[target.namespace];
  return what === 'write' ? (namespace?.roleToWrite ?? environment.roleToWrite) : (namespace?.roleToReadRaw ?? environment.roleToReadRaw);
}
