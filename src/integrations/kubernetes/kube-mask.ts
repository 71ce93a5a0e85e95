import type { V1Container, V1EnvFromSource, V1EnvVar } from '@kubernetes/client-node';

/**
 * Environment values never leave opsbot: a literal `value` is replaced, a `valueFrom` is shown as
 * the reference it is (which secret key, config map key or field), never resolved. Secrets
 * themselves are never read, so a reference is all opsbot could show anyway.
 */

export const MASKED = '(value hidden)';

/** Annotations whose values are safe and useful to show; others are counted, not shown. */
const SHOWN_ANNOTATIONS = new Set(['deployment.kubernetes.io/revision', 'kubernetes.io/change-cause', 'kubectl.kubernetes.io/restartedAt', 'kubectl.kubernetes.io/default-container']);

/** `NAME: …` for each variable, as kubectl describe shows references, with literal values masked. */
export function envLines(env: readonly V1EnvVar[] | undefined, envFrom: readonly V1EnvFromSource[] | undefined): string[] {
  const lines = (env ?? []).map((e) => `${e.name}: ${envValue(e)}`);
  for (const source of envFrom ?? []) {
    const prefix = source.prefix ? ` (prefix ${source.prefix})` : '';
    if (source.configMapRef) lines.push(`all keys of config map '${source.configMapRef.name}'${prefix}`);
    if (source.secretRef) lines.push(`all keys of secret '${source.secretRef.name}'${prefix}`);
  }
  return lines;
}

function envValue(e: V1EnvVar): string {
  const from = e.valueFrom;
  if (!from) return e.value === undefined ? "''" : MASKED;
  if (from.secretKeyRef) return `<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name ?? ''}'>`;
  if (from.configMapKeyRef) return `<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name ?? ''}'>`;
  if (from.fieldRef) return `(${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})`;
  if (from.resourceFieldRef) return `(${from.resourceFieldRef.containerName ? `${from.resourceFieldRef.containerName}:` : ''}${from.resourceFieldRef.resource})`;
  if (from.fileKeyRef) return `<set to the key '${from.fileKeyRef.key}' in file '${from.fileKeyRef.path}'>`;
  return '<set from a reference>';
}

/** A container with every literal env value replaced: for anything that would show a spec as it is. */
export function maskContainer(container: V1Container): V1Container {
  return { ...container, ...(container.env ? { env: container.env.map((e) => (e.valueFrom || e.value === undefined ? e : { ...e, value: MASKED })) } : {}) };
}

/** `key=value` for the annotations worth showing, plus how many others there are. */
export function annotationsText(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  const entries = Object.entries(annotations ?? {});
  if (entries.length === 0) return undefined;
  const shown = entries.filter(([k]) => SHOWN_ANNOTATIONS.has(k)).map(([k, v]) => `${k}=${v.length > 120 ? `${v.slice(0, 119)}…` : v}`);
  const others = entries.length - shown.length;
  return [...shown, ...(others > 0 ? [`(${others} more not shown)`] : [])].join(', ');
}
