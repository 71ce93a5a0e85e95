import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { parsePolicy } from '../../src/config/policy.ts';
import type { Policy } from '../../src/config/policy-schema.ts';
import { createKubeClients } from '../../src/integrations/kubernetes/kube-client.ts';
import { createKubeOps } from '../../src/integrations/kubernetes/kube-ops.ts';
import type { KubeOps } from '../../src/integrations/kubernetes/kube-types.ts';
import { silentLog } from './chat-rig.ts';
import { createFakeKubeApi, type FakeKubeApi } from './fake-kube-api.ts';

/**
 * The policy the Kubernetes tests run under: prod-eu is production (default and icx), kind-staging
 * is staging (default, and icx with its own stricter write role), dev-laptop is in the kubeconfig
 * but not allowed.
 */
export const KUBE_POLICY = [
  'kubernetes:',
  '  contexts:',
  '    prod-eu:',
  '      environment: production',
  '      namespaces: [default, icx]',
  '    kind-staging:',
  '      environment: staging',
  '      namespaces:',
  '        default: {}',
  '        icx: { role_to_write: deployer }',
  '  default_context: kind-staging',
  '',
].join('\n');

export function kubePolicy(text = KUBE_POLICY): Policy {
  return parsePolicy(text, 'opsbot.yaml');
}

export interface KubeRig {
  api: FakeKubeApi;
  /** A folder with the generated kubeconfig in it. */
  dir: string;
  kubeconfig: string;
  ops(options?: { policy?: Policy; clock?: ManualClock; timeoutMs?: number }): KubeOps;
}

/** One fake API server for the file; objects, faults and requests are reset after each test. */
export function useKubeRig(): KubeRig {
  const api = createFakeKubeApi();
  const rig = { api, dir: '', kubeconfig: '' } as KubeRig;
  beforeAll(async () => {
    await api.start();
    rig.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-kube-'));
    rig.kubeconfig = api.writeKubeconfig(rig.dir);
  });
  afterEach(() => api.reset());
  afterAll(async () => {
    // Whatever a file's tests did, opsbot never asked for a Secret.
    const secrets = api.everRequested().filter((r) => /\/secrets(\/|$)/.test(r.path));
    await api.stop();
    fs.rmSync(rig.dir, { recursive: true, force: true });
    if (secrets.length > 0) throw new Error(`a Secret was requested: ${secrets.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  });
  rig.ops = (options = {}) => {
    const policy = options.policy ?? kubePolicy();
    const clients = createKubeClients({ kubeconfig: rig.kubeconfig, inCluster: false, allowedContexts: Object.keys(policy.kubernetes.contexts), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    if (!clients) throw new Error('no kube clients');
    return createKubeOps({ clients, policy: policy.kubernetes, clock: options.clock ?? new ManualClock(Date.parse('2026-03-02T09:30:00Z')), log: silentLog });
  };
  return rig;
}

/** Resolves `work` while moving `clock` (retry backoffs sleep on it). */
export async function withClock<T>(clock: ManualClock, work: Promise<T>, stepMs = 500): Promise<T> {
  let done = false;
  // Handled at once, so a rejection is not reported as unhandled while the clock still moves.
  const outcome = work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void outcome.then(() => (done = true));
  for (let i = 0; i < 400 && !done; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (!done) await clock.advance(stepMs);
  }
  const result = await outcome;
  if (!result.ok) throw result.error;
  return result.value;
}
