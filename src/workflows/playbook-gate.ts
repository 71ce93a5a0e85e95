import { type Policy, UNKNOWN_ENVIRONMENT } from '../config/policy-schema.ts';
import { kubeRoleNeeded } from '../integrations/kubernetes/kube-roles.ts';
import type { KubeOps, KubeScope } from '../integrations/kubernetes/kube-types.ts';
import { ROLES, type Role } from '../roles.ts';
import type { ApprovalStep, Step, WorkflowDefinition } from './definition.ts';
import { roleToRun } from './params.ts';

/**
 * The approval a person's playbook run of medium or high risk waits for before any of its steps
 * runs. The runner starts such a run with a copy of the playbook whose first step is this gate
 * (the copy is stored with the run, so a restart keeps it), so the engine's own approval rules
 * apply unchanged: the request is stored before its buttons are posted, it expires, a second
 * click changes nothing, and the person who started the run cannot approve it.
 *
 * Who approves: one person holding the highest of
 * - the playbook's own `role` for these params (who may start it),
 * - the role to write where it acts: for a playbook with k8s.* steps, the role its Kubernetes
 *   target asks for (opsbot.yaml environments / namespaces, like `/ops k8s restart`), resolved
 *   from its `context` / `namespace` / `environment` params; else the role of the environment its
 *   `environment` param names; and when neither can be told, the production-like default
 *   (deployer),
 * - deployer, for a high-risk playbook.
 */

/** A remediation waiting longer than this is stale: the run fails and has to be asked for again. */
export const GATE_EXPIRES_MS = 60 * 60_000;

const GATE_ID = 'approve-playbook';
const SCOPE_PARAMS = ['context', 'namespace', 'environment'] as const;
/** What an approval message may quote as written: ids opsbot makes (`INC-3`, an alert group id), never `${{`. */
const PLAIN_ID = /^[\w.:-]{1,100}$/;

export interface GateOptions {
  policy: Policy;
  kube?: Pick<KubeOps, 'resolve'>;
  incidentId?: string;
  alertGroupId?: string;
}

export function higherRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) >= ROLES.indexOf(b) ? a : b;
}

/** The role an approver of this run needs (see above). */
export function approverRole(def: WorkflowDefinition, params: Readonly<Record<string, unknown>>, options: GateOptions): Role {
  let role = higherRole(roleToRun(def, params), writeRole(def, params, options));
  if (def.playbook?.risk === 'high') role = higherRole(role, 'deployer');
  return role;
}

function writeRole(def: WorkflowDefinition, params: Readonly<Record<string, unknown>>, options: GateOptions): Role {
  const { policy, kube } = options;
  if (kube && usesKubernetes(def.steps)) {
    const scope: KubeScope = {};
    for (const key of SCOPE_PARAMS) {
      const value = params[key];
      if (typeof value === 'string' && value !== '') scope[key] = value;
    }
    try {
      return kubeRoleNeeded(policy, kube.resolve(scope), 'write');
    } catch {
      // A target the policy refuses: the steps will fail saying so; the approver is still the strict one.
      return UNKNOWN_ENVIRONMENT.roleToWrite;
    }
  }
  const environment = params.environment;
  if (typeof environment === 'string' && Object.hasOwn(policy.environments, environment)) return policy.environments[environment]!.roleToWrite;
  return UNKNOWN_ENVIRONMENT.roleToWrite;
}

function usesKubernetes(steps: readonly Step[]): boolean {
  return steps.some((step) => (step.kind === 'action' && step.action.startsWith('k8s.')) || (step.kind === 'parallel' && step.branches.some(usesKubernetes)));
}

/** The gate for this run: its id is unique among the playbook's own steps. */
export function gateStep(def: WorkflowDefinition, params: Readonly<Record<string, unknown>>, options: GateOptions): ApprovalStep {
  const taken = new Set(def.steps.map((s) => s.id));
  let id = GATE_ID;
  for (let n = 2; taken.has(id); n++) id = `${GATE_ID}-${n}`;
  const spec = def.playbook;
  const role = approverRole(def, params, options);
  // Evaluated by the engine as a template: param values enter through `params.*`, never as text.
  const values = Object.keys(def.params)
    .filter((name) => params[name] !== undefined && params[name] !== '')
    .map((name) => `${name}=\${{ params.${name} }}`);
  const links = [
    options.incidentId && PLAIN_ID.test(options.incidentId) ? `for ${options.incidentId}` : undefined,
    options.alertGroupId && PLAIN_ID.test(options.alertGroupId) ? `for alert group ${options.alertGroupId}` : undefined,
  ].filter(Boolean);
  const message = [
    `Run playbook ${def.name}${links.length > 0 ? ` ${links.join(', ')}` : ''}?`,
    spec ? ` It is ${spec.risk} risk (${spec.remediation}).` : '',
    values.length > 0 ? ` Targets: ${values.join(', ')}.` : '',
  ].join('');
  return {
    kind: 'approval',
    id,
    name: spec ? `Approve this ${spec.risk}-risk playbook` : 'Approve this playbook',
    approvers: { users: [], groups: [], roles: [role] },
    min: 1,
    expiresMs: GATE_EXPIRES_MS,
    message,
    continueOnError: false,
  };
}
