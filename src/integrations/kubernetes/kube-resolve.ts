import type { Policy } from '../../config/policy-schema.ts';
import { UserError } from '../../errors.ts';
import type { KubeScope, KubeTarget } from './kube-types.ts';

/** What resolve needs to know of the kubeconfig. */
export interface KubeconfigView {
  contextNames(): string[];
  currentContext(): string | undefined;
  contextNamespace(context: string): string | undefined;
}

const list = (names: Iterable<string>) => [...names].map((n) => `\`${n}\``).join(', ');

/**
 * Turns what a caller asked for into a context and namespace the policy allows, or a UserError
 * naming what is allowed. Nothing outside `policy.kubernetes.contexts` and their namespaces comes
 * out of here, whoever asks (a person, a workflow, an agent's tool).
 *
 * Context, when none is named: the one of `environment` when that is given; else
 * `kubernetes.default_context`; else the only allowed one; else the kubeconfig's current context
 * when it is allowed. Namespace, when none is named: the only one allowed in the context; else the
 * context's own namespace in the kubeconfig when it is allowed.
 */
export function resolveTarget(policy: Policy['kubernetes'], kubeconfig: KubeconfigView, scope: KubeScope): KubeTarget {
  const contexts = policy.contexts;
  const allowed = Object.keys(contexts);
  if (allowed.length === 0) {
    throw new UserError('k8s_no_contexts', 'No Kubernetes context is allowed yet.', 'List the kubeconfig contexts opsbot may use under `kubernetes.contexts` in opsbot.yaml.');
  }
  const context = pickContext(policy, kubeconfig, scope, allowed);
  const entry = contexts[context]!;
  if (scope.environment !== undefined && entry.environment !== scope.environment) {
    throw new UserError('k8s_environment_mismatch', `Context \`${context}\` is ${entry.environment}, not ${scope.environment}.`);
  }
  if (!kubeconfig.contextNames().includes(context)) {
    throw new UserError('k8s_context_missing', `Context \`${context}\` is allowed in opsbot.yaml, but the kubeconfig has no such context.`, `The kubeconfig has ${list(kubeconfig.contextNames()) || 'none'}.`);
  }
  const namespaces = Object.keys(entry.namespaces);
  const namespace = pickNamespace(scope.namespace, context, namespaces, kubeconfig.contextNamespace(context));
  return { context, namespace, environment: entry.environment };
}

function pickContext(policy: Policy['kubernetes'], kubeconfig: KubeconfigView, scope: KubeScope, allowed: string[]): string {
  if (scope.context !== undefined) {
    if (!allowed.includes(scope.context)) throw new UserError('k8s_context_not_allowed', `Context \`${scope.context}\` is not allowed.`, `Allowed contexts: ${list(allowed)}.`);
    return scope.context;
  }
  if (scope.environment !== undefined) {
    const matching = allowed.filter((c) => policy.contexts[c]!.environment === scope.environment);
    if (matching.length === 1) return matching[0]!;
    if (matching.length === 0) {
      const environments = new Set(allowed.map((c) => policy.contexts[c]!.environment));
      throw new UserError('k8s_no_context_for_environment', `No allowed context is ${scope.environment}.`, `Allowed contexts are ${list(environments)}.`);
    }
    if (policy.defaultContext !== undefined && matching.includes(policy.defaultContext)) return policy.defaultContext;
    throw new UserError('k8s_context_ambiguous', `Several allowed contexts are ${scope.environment}: ${list(matching)}.`, 'Name one with `context=`.');
  }
  if (policy.defaultContext !== undefined) return policy.defaultContext;
  if (allowed.length === 1) return allowed[0]!;
  const current = kubeconfig.currentContext();
  if (current !== undefined && allowed.includes(current)) return current;
  throw new UserError('k8s_context_required', 'Which cluster? Several contexts are allowed.', `Add \`context=\` with one of ${list(allowed)}.`);
}

function pickNamespace(asked: string | undefined, context: string, namespaces: string[], own: string | undefined): string {
  if (asked !== undefined) {
    if (!namespaces.includes(asked)) {
      throw new UserError('k8s_namespace_not_allowed', `Namespace \`${asked}\` is not allowed in context \`${context}\`.`, namespaces.length > 0 ? `Allowed there: ${list(namespaces)}.` : 'opsbot.yaml allows no namespace there.');
    }
    return asked;
  }
  if (namespaces.length === 1) return namespaces[0]!;
  if (own !== undefined && namespaces.includes(own)) return own;
  if (namespaces.length === 0) throw new UserError('k8s_namespace_not_allowed', `No namespace is allowed in context \`${context}\`.`, 'List the namespaces under its entry in opsbot.yaml.');
  throw new UserError('k8s_namespace_required', `Which namespace in \`${context}\`?`, `Add \`ns=\` with one of ${list(namespaces)}.`);
}
