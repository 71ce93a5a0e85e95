/**
 * PATCH as the API server applies it, enough for what opsbot sends: JSON Patch (RFC 6902),
 * JSON Merge Patch (RFC 7386) and strategic merge patch (a merge patch whose lists of containers,
 * env vars, ports, volumes and mounts merge by their key instead of being replaced).
 */

export type Json = Record<string, unknown>;

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

/** Thrown for a patch the server would refuse; `status` is the HTTP code it answers. */
export class PatchError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyPatch(target: Json, type: PatchType, patch: unknown): Json {
  switch (type) {
    case 'application/json-patch+json':
      if (!Array.isArray(patch)) throw new PatchError(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      return jsonPatch(target, patch as Json[]);
    case 'application/merge-patch+json':
      return mergePatch(target, patch, false) as Json;
    case 'application/strategic-merge-patch+json':
      return mergePatch(target, patch, true) as Json;
  }
}

/** Merge keys of the lists strategic merge patch merges (from the Kubernetes API's patchMergeKey). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
};

function mergePatch(target: unknown, patch: unknown, strategic: boolean, key?: string): unknown {
  if (strategic && key !== undefined && MERGE_KEYS[key] && Array.isArray(patch) && Array.isArray(target)) return mergeList(target, patch, MERGE_KEYS[key]);
  if (!isMap(patch)) return structuredClone(patch);
  const out: Json = isMap(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, strategic, k);
  }
  return out;
}

function mergeList(target: unknown[], patch: unknown[], mergeKey: string): unknown[] {
  const out = structuredClone(target) as Json[];
  for (const item of patch) {
    if (!isMap(item)) continue;
    const i = out.findIndex((existing) => existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = mergePatch(out[i], item, true) as Json;
    else out.push(structuredClone(item));
  }
  return out;
}

function jsonPatch(target: Json, ops: Json[]): Json {
  const doc = structuredClone(target);
  for (const op of ops) {
    const path = String(op.path ?? '');
    const parts = path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) throw new PatchError(422, `invalid JSON Patch path ${JSON.stringify(path)}`);
    let parent: unknown = doc;
    for (const part of parts) {
      parent = Array.isArray(parent) ? parent[Number(part)] : isMap(parent) ? parent[part] : undefined;
      if (parent === undefined) throw new PatchError(422, `the server rejected our request due to an error in our request: doc is missing path: ${path}`);
    }
    const container = parent as Json;
    switch (op.op) {
      case 'add':
      case 'replace':
        if (op.op === 'replace' && !(last in container)) throw new PatchError(422, `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: ${path}`);
        container[last] = structuredClone(op.value);
        break;
      case 'remove':
        if (!(last in container)) throw new PatchError(422, `the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: ${path}`);
        delete container[last];
        break;
      case 'test':
        if (JSON.stringify(container[last]) !== JSON.stringify(op.value)) throw new PatchError(422, `the server rejected our request due to an error in our request: testing value ${path} failed`);
        break;
      default:
        throw new PatchError(422, `Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}
