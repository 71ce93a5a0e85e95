import { UserError } from '../../errors.ts';
import type { KubeOps, KubeScope, KubeTarget } from '../../integrations/kubernetes/kube-types.ts';
import type { InputFields } from './input-fields.ts';

/** What every k8s.* action reads the same way: where it acts, and whether Kubernetes is there at all. */

export const SCOPE_KEYS = ['context', 'namespace', 'environment'] as const;

export function needKube(kube: KubeOps | undefined, action: string): KubeOps {
  if (!kube) throw new UserError('k8s_not_configured', `${action}: Kubernetes is not configured: set KUBECONFIG.`);
  return kube;
}

/** An empty value (a template over an empty param) leaves the choice to the policy, as leaving the key out does. */
export function scopeOf(fields: InputFields, input: Record<string, unknown>): KubeScope {
  const scope: KubeScope = {};
  for (const key of SCOPE_KEYS) {
    if (input[key] === '') continue;
    const value = fields.optionalString(key);
    if (value !== undefined) scope[key] = value;
  }
  return scope;
}

export const whereText = (t: KubeTarget): string => `${t.context}/${t.namespace} (${t.environment})`;
