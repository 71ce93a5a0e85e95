import { UserError } from '../../errors.ts';
import { DESCRIBABLE_KINDS, type DescribableKind } from './kube-types.ts';

/**
 * What people and workflows may name, checked before anything is sent: object names, kinds (with
 * kubectl's short names), images, label selectors. Secrets are refused here, by name, before any
 * request could be made.
 */

/** DNS-1123 subdomain: what Kubernetes accepts as an object name. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** A container name is a DNS-1123 label. */
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** `registry[:port]/path/name[:tag][@sha256:…]`, as the image reference grammar allows. */
const IMAGE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
/** Label selector syntax (`app=api,tier in (web,api),!canary`); the server checks the rest. */
const SELECTOR = /^[A-Za-z0-9._/\-=!,() ]{1,500}$/;

const ALIASES: Record<string, DescribableKind> = {
  pod: 'pod',
  pods: 'pod',
  po: 'pod',
  deployment: 'deployment',
  deployments: 'deployment',
  deploy: 'deployment',
  statefulset: 'statefulset',
  statefulsets: 'statefulset',
  sts: 'statefulset',
  daemonset: 'daemonset',
  daemonsets: 'daemonset',
  ds: 'daemonset',
  replicaset: 'replicaset',
  replicasets: 'replicaset',
  rs: 'replicaset',
  service: 'service',
  services: 'service',
  svc: 'service',
  node: 'node',
  nodes: 'node',
  no: 'node',
  job: 'job',
  jobs: 'job',
  cronjob: 'cronjob',
  cronjobs: 'cronjob',
  cj: 'cronjob',
  hpa: 'hpa',
  horizontalpodautoscaler: 'hpa',
  horizontalpodautoscalers: 'hpa',
  pvc: 'pvc',
  persistentvolumeclaim: 'pvc',
  persistentvolumeclaims: 'pvc',
  ingress: 'ingress',
  ingresses: 'ingress',
  ing: 'ingress',
};

const SECRET_WORDS = new Set(['secret', 'secrets']);

export function secretsRefused(): UserError {
  return new UserError('k8s_secrets_refused', 'opsbot never reads or shows Kubernetes Secrets.', 'Describe the pod or deployment instead: it shows which secret keys are used, never their values.');
}

export function parseKind(text: string): DescribableKind {
  const word = text.trim().toLowerCase().replace(/\.(apps|batch|autoscaling|networking\.k8s\.io)$/, '');
  if (SECRET_WORDS.has(word)) throw secretsRefused();
  const kind = ALIASES[word];
  if (!kind) throw new UserError('k8s_kind_unknown', `opsbot can't describe \`${text}\`.`, `Kinds: ${DESCRIBABLE_KINDS.join(', ')}.`);
  return kind;
}

/** `deployment/api` → { kind, name }; a bare word is refused, the kind is part of what is asked. */
export function parseKindName(text: string): { kind: DescribableKind; name: string } {
  const slash = text.indexOf('/');
  if (slash <= 0) {
    if (SECRET_WORDS.has(text.trim().toLowerCase())) throw secretsRefused();
    throw new UserError('k8s_kind_name', `Name it as kind/name, e.g. \`deployment/api\` or \`pod/api-5d8f7c9b6-x2x7k\`; got \`${text}\`.`);
  }
  const kind = parseKind(text.slice(0, slash));
  return { kind, name: objectName(text.slice(slash + 1), kind) };
}

/** `deployment/api` or a bare `api`, for the commands that only act on deployments. */
export function deploymentName(text: string): string {
  const slash = text.indexOf('/');
  if (slash < 0) return objectName(text, 'deployment');
  const kind = parseKind(text.slice(0, slash));
  if (kind !== 'deployment') throw new UserError('k8s_deployment_only', `This works on deployments only; got \`${text}\`.`, 'Name it as `deployment/<name>`.');
  return objectName(text.slice(slash + 1), 'deployment');
}

export function objectName(text: string, what: string): string {
  if (!OBJECT_NAME.test(text)) throw new UserError('k8s_bad_name', `\`${text}\` is not a valid ${what} name.`, 'Kubernetes names are lower-case letters, digits, - and .');
  return text;
}

export function containerName(text: string): string {
  if (!CONTAINER_NAME.test(text)) throw new UserError('k8s_bad_name', `\`${text}\` is not a valid container name.`);
  return text;
}

export function imageReference(text: string): string {
  if (text.length > 512 || !IMAGE.test(text)) throw new UserError('k8s_bad_image', `\`${text}\` is not an image reference.`, 'Like `registry.example.com/team/api:v2.3.0` or `nginx:1.27`.');
  return text;
}

export function labelSelector(text: string): string {
  if (!SELECTOR.test(text)) throw new UserError('k8s_bad_selector', `\`${text}\` is not a label selector.`, 'Like `app=api` or `app=api,tier!=canary`.');
  return text;
}
