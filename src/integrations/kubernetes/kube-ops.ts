import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { Policy } from '../../config/policy-schema.ts';
import type { KubeClients } from './kube-client.ts';
import { clusterStatus, describeObject, listDeployments, listEvents, listPods, podLogs, rolloutStatus } from './kube-reads.ts';
import { createKubeRequester, type KubeRequester } from './kube-request.ts';
import { resolveTarget } from './kube-resolve.ts';
import type { KubeSession } from './kube-session.ts';
import type { KubeOps, KubeTarget } from './kube-types.ts';
import { restartDeployment, rollbackDeployment, scaleDeployment, setDeploymentImage } from './kube-writes.ts';

export interface KubeOpsDeps {
  clients: KubeClients;
  /** policy.kubernetes: the allowlists every call is checked against. */
  policy: Policy['kubernetes'];
  clock: Clock;
  log: Logger;
  /** Default: retries as kube-request.ts describes, on `clock`. */
  requester?: KubeRequester;
}

/**
 * KubeOps over @kubernetes/client-node (kube-types.ts). Every operation checks its target again
 * against the policy, so a target made up by hand (not from `resolve`) cannot reach a context or
 * namespace outside the allowlists either.
 */
export function createKubeOps(deps: KubeOpsDeps): KubeOps {
  const log = deps.log.child({ component: 'kubernetes' });
  const requester = deps.requester ?? createKubeRequester({ clock: deps.clock, log });
  const missing = Object.keys(deps.policy.contexts).filter((c) => !deps.clients.contextNames().includes(c));
  if (missing.length > 0) log.warn({ missing, kubeconfig: deps.clients.contextNames() }, 'opsbot.yaml allows Kubernetes contexts the kubeconfig does not have');
  const resolve = (scope: Parameters<KubeOps['resolve']>[0]) => resolveTarget(deps.policy, deps.clients, scope);
  const session: KubeSession = {
    clients: deps.clients,
    requester,
    now: () => deps.clock.now(),
    apis(target: KubeTarget) {
      const checked = resolve({ context: target.context, namespace: target.namespace });
      return deps.clients.apis(checked.context);
    },
  };
  return {
    resolve,
    contexts: () => Object.entries(deps.policy.contexts).map(([name, c]) => ({ name, environment: c.environment, namespaces: Object.keys(c.namespaces) })),
    status: (target) => clusterStatus(session, target),
    pods: (target, selector) => listPods(session, target, selector),
    deployments: (target) => listDeployments(session, target),
    logs: (target, pod, options) => podLogs(session, target, pod, options),
    describe: (target, kind, name) => describeObject(session, target, kind, name),
    events: (target, object) => listEvents(session, target, object),
    restart: (target, deployment, options) => restartDeployment(session, target, deployment, options),
    scale: (target, deployment, replicas, options) => scaleDeployment(session, target, deployment, replicas, options),
    rollback: (target, deployment, revision, options) => rollbackDeployment(session, target, deployment, revision, options),
    setImage: (target, deployment, container, image, options) => setDeploymentImage(session, target, deployment, container, image, options),
    rolloutStatus: (target, deployment) => rolloutStatus(session, target, deployment),
  };
}
