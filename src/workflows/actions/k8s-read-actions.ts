import { UserError } from '../../errors.ts';
import { KIND_NAMES } from '../../integrations/kubernetes/kube-describe.ts';
import { objectName, parseKindName } from '../../integrations/kubernetes/kube-names.ts';
import type { DeploymentSummary, DescribableKind, EventSummary, KubeOps, KubeScope } from '../../integrations/kubernetes/kube-types.ts';
import type { ActionDefinition, ActionResult } from '../action.ts';
import { type InputFields, inputFields } from './input-fields.ts';
import { SCOPE_KEYS, needKube, scopeOf, whereText } from './k8s-action-input.ts';

/**
 * Read-only `k8s.*` actions, for playbooks that collect what a person needs before (or instead
 * of) changing anything: which deployment runs a pod and how it stands, an object described the
 * way `/ops k8s describe` shows it (env values masked, Secrets never read), and recent events.
 * They go through the same allowlists (KubeOps.resolve) as every other Kubernetes call, change
 * nothing, and are idempotent, so a crash mid-step simply asks again.
 */

export interface K8sReadActionDeps {
  kube?: KubeOps;
}

export const K8S_READ_ACTION_NAMES = ['k8s.deployment', 'k8s.describe', 'k8s.events'] as const;


/** A name the input gives, or undefined when it is absent or empty (a template over an empty param). */
function optionalName(fields: InputFields, input: Record<string, unknown>, field: string, what: string): string | undefined {
  if (input[field] === '' || input[field] === undefined || input[field] === null) return undefined;
  const value = fields.string(field);
  try {
    return objectName(value, what);
  } catch {
    return fields.fail(field, `a ${what} name (lower-case letters, digits, - and .)`, input[field]);
  }
}

/** `kind/name`, checked like `/ops k8s describe` checks it (Secrets refused by name). */
function kindName(fields: InputFields, input: Record<string, unknown>, field: string): { kind: DescribableKind; name: string } {
  const value = fields.string(field);
  try {
    return parseKindName(value);
  } catch (err) {
    return fields.fail(field, `kind/name, like pod/api-5d8f7c9b6-x2x7k or deployment/api${err instanceof UserError ? ` (${err.message})` : ''}`, input[field]);
  }
}

const eventLine = (e: EventSummary) => `${e.type} ${e.reason} ${e.object}${e.count > 1 ? ` (×${e.count})` : ''}: ${e.message}`;

// --- k8s.deployment ------------------------------------------------------------------------

export interface DeploymentLookupInput {
  scope: KubeScope;
  /** Exactly one of them: the deployment by name, or the deployment that runs this pod. */
  deployment?: string;
  pod?: string;
}

export function parseDeploymentLookupInput(input: Record<string, unknown>): DeploymentLookupInput {
  const fields = inputFields('k8s.deployment', input);
  fields.only(['deployment', 'pod', ...SCOPE_KEYS]);
  const deployment = optionalName(fields, input, 'deployment', 'deployment');
  const pod = optionalName(fields, input, 'pod', 'pod');
  if ((deployment === undefined) === (pod === undefined)) fields.fail('deployment', 'given, or else `with.pod` (exactly one of them, not empty)', input.deployment);
  return { scope: scopeOf(fields, input), ...(deployment !== undefined ? { deployment } : {}), ...(pod !== undefined ? { pod } : {}) };
}

async function lookUpDeployment(kube: KubeOps, input: DeploymentLookupInput): Promise<ActionResult> {
  const target = kube.resolve(input.scope);
  let name = input.deployment;
  let via = '';
  if (input.pod !== undefined) {
    const pod = (await kube.pods(target)).find((p) => p.name === input.pod);
    if (!pod) throw new UserError('k8s_pod_not_found', `k8s.deployment: there is no pod \`${input.pod}\` in ${whereText(target)}: it may have been replaced since the alert fired.`);
    if (!pod.deployment) {
      throw new UserError(
        'k8s_pod_without_deployment',
        `k8s.deployment: pod \`${input.pod}\` in ${whereText(target)} is not run by a deployment${pod.owner ? ` (its owner is ${pod.owner})` : ' (it has no owner)'}, so there is no deployment to act on.`,
      );
    }
    name = pod.deployment;
    via = ` (runs pod ${pod.name}: ${pod.phase}${pod.reason ? `, ${pod.reason}` : ''}, ${pod.restarts} restarts)`;
  }
  const found: DeploymentSummary | undefined = (await kube.deployments(target)).find((d) => d.name === name);
  if (!found) throw new UserError('k8s_deployment_not_found', `k8s.deployment: there is no deployment \`${name ?? ''}\` in ${whereText(target)}.`);
  return {
    result: {
      context: target.context,
      namespace: target.namespace,
      environment: target.environment,
      deployment: found.name,
      replicas: found.replicas,
      ready: found.ready,
      available: found.available,
      unavailable: found.unavailable,
      updated: found.updated,
      revision: found.revision ?? '',
      images: found.images,
    },
    log: `deployment/${found.name} in ${whereText(target)}${via}: ${found.ready}/${found.replicas} ready, ${found.unavailable} unavailable${found.revision ? `, revision ${found.revision}` : ''}; images ${found.images.join(', ') || 'none'}`,
  };
}

// --- k8s.describe ----------------------------------------------------------------------------

export interface DescribeInput {
  scope: KubeScope;
  kind: DescribableKind;
  name: string;
}

export function parseDescribeInput(input: Record<string, unknown>): DescribeInput {
  const fields = inputFields('k8s.describe', input);
  fields.only(['object', ...SCOPE_KEYS]);
  return { ...kindName(fields, input, 'object'), scope: scopeOf(fields, input) };
}

// --- k8s.events ------------------------------------------------------------------------------

export interface EventsInput {
  scope: KubeScope;
  /** Absent: the namespace's recent events. */
  object?: { kind: DescribableKind; name: string };
}

export function parseEventsInput(input: Record<string, unknown>): EventsInput {
  const fields = inputFields('k8s.events', input);
  fields.only(['object', ...SCOPE_KEYS]);
  const given = input.object !== undefined && input.object !== null && input.object !== '';
  return { scope: scopeOf(fields, input), ...(given ? { object: kindName(fields, input, 'object') } : {}) };
}

// --- the catalog entries -----------------------------------------------------------------------

export function createK8sReadActions(deps: K8sReadActionDeps): Array<ActionDefinition<never>> {
  return [
    define<DeploymentLookupInput>({
      name: 'k8s.deployment',
      summary: 'A deployment’s replicas, readiness, revision and images — by name, or the one that runs a pod',
      idempotent: true,
      parse: parseDeploymentLookupInput,
      run: (input) => lookUpDeployment(needKube(deps.kube, 'k8s.deployment'), input),
    }),
    define<DescribeInput>({
      name: 'k8s.describe',
      summary: 'Describe an object (kubectl describe: status, conditions, events; env values masked, never a Secret)',
      idempotent: true,
      parse: parseDescribeInput,
      async run(input) {
        const kube = needKube(deps.kube, 'k8s.describe');
        const target = kube.resolve(input.scope);
        const described = await kube.describe(target, input.kind, input.name);
        const warnings = described.events.filter((e) => e.type === 'Warning').length;
        const text = [`${described.kind} ${described.name} in ${whereText(target)}`, ...described.lines, '', described.events.length > 0 ? 'Events:' : 'No events.', ...described.events.map(eventLine)].join('\n');
        return { result: { context: target.context, namespace: target.namespace, kind: described.kind, name: described.name, events: described.events.length, warnings }, log: text };
      },
    }),
    define<EventsInput>({
      name: 'k8s.events',
      summary: 'Recent events of a namespace, or of one object',
      idempotent: true,
      parse: parseEventsInput,
      async run(input) {
        const kube = needKube(deps.kube, 'k8s.events');
        const target = kube.resolve(input.scope);
        const events = await kube.events(target, input.object ? { kind: KIND_NAMES[input.object.kind], name: input.object.name } : undefined);
        const what = input.object ? `${input.object.kind}/${input.object.name}` : `namespace ${target.namespace}`;
        const warnings = events.filter((e) => e.type === 'Warning').length;
        return {
          result: { context: target.context, namespace: target.namespace, events: events.length, warnings },
          log: events.length === 0 ? `No recent events for ${what} in ${whereText(target)}.` : [`Events for ${what} in ${whereText(target)}:`, ...events.map(eventLine)].join('\n'),
        };
      },
    }),
  ];
}

/** The catalog holds actions of different inputs; the engine only hands `run` what `parse` returned. */
function define<Input>(action: ActionDefinition<Input>): ActionDefinition<never> {
  return action as unknown as ActionDefinition<never>;
}
