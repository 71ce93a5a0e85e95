import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeClients } from '../../../src/integrations/kubernetes/kube-client.ts';
import { kubeRoleNeeded } from '../../../src/integrations/kubernetes/kube-roles.ts';
import { kubePolicy, useKubeRig } from '../../support/kube-rig.ts';

const kube = useKubeRig();
const home = process.env.HOME;
const kubeEnv = process.env.KUBECONFIG;
afterEach(() => {
  process.env.HOME = home;
  if (kubeEnv === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = kubeEnv;
});

describe('loading the kubeconfig', () => {
  it('loads only the file it is given', () => {
    const clients = createKubeClients({ kubeconfig: kube.kubeconfig, inCluster: false, allowedContexts: ['kind-staging'] });
    expect(clients?.contextNames()).toEqual(['prod-eu', 'kind-staging', 'dev-laptop']);
    expect(clients?.currentContext()).toBe('kind-staging');
    expect(clients?.contextNamespace('prod-eu')).toBe('default');
  });

  it('merges several files as kubectl does, the first one’s current context winning', () => {
    const second = path.join(kube.dir, 'second.yaml');
    fs.writeFileSync(second, ['apiVersion: v1', 'kind: Config', 'current-context: ci', 'clusters: [{ name: ci, cluster: { server: "http://127.0.0.1:9", insecure-skip-tls-verify: true } }]', 'users: [{ name: ci, user: { token: t } }]', 'contexts: [{ name: ci, context: { cluster: ci, user: ci } }]', ''].join('\n'));
    const clients = createKubeClients({ kubeconfig: `${kube.kubeconfig}${path.delimiter}${second}`, inCluster: false, allowedContexts: [] });
    expect(clients?.contextNames()).toEqual(['prod-eu', 'kind-staging', 'dev-laptop', 'ci']);
    expect(clients?.currentContext()).toBe('kind-staging');
  });

  it('is off without KUBECONFIG outside a cluster, even when ~/.kube/config and $KUBECONFIG exist', () => {
    fs.mkdirSync(path.join(kube.dir, '.kube'), { recursive: true });
    fs.copyFileSync(kube.kubeconfig, path.join(kube.dir, '.kube', 'config'));
    process.env.HOME = kube.dir;
    process.env.KUBECONFIG = kube.kubeconfig;
    expect(createKubeClients({ kubeconfig: undefined, inCluster: false, allowedContexts: ['kind-staging'] })).toBeUndefined();
  });

  it('stops start-up with one line when the file cannot be read', () => {
    expect(() => createKubeClients({ kubeconfig: path.join(kube.dir, 'missing.yaml'), inCluster: false, allowedContexts: [] })).toThrow(`KUBECONFIG: cannot load "${path.join(kube.dir, 'missing.yaml')}" (ENOENT)`);
  });

  it('makes no client for a context the policy does not allow, though the kubeconfig has it', () => {
    const clients = createKubeClients({ kubeconfig: kube.kubeconfig, inCluster: false, allowedContexts: ['prod-eu', 'kind-staging'] });
    expect(() => clients?.apis('dev-laptop')).toThrow('Context `dev-laptop` is not allowed.');
    expect(clients?.apis('prod-eu')).toBe(clients?.apis('prod-eu'));
  });
});

describe('the role a target needs', () => {
  const policy = kubePolicy();
  it('comes from the environment: production needs a deployer to write', () => {
    expect(kubeRoleNeeded(policy, { context: 'prod-eu', namespace: 'default', environment: 'production' }, 'write')).toBe('deployer');
    expect(kubeRoleNeeded(policy, { context: 'kind-staging', namespace: 'default', environment: 'staging' }, 'write')).toBe('responder');
    expect(kubeRoleNeeded(policy, { context: 'kind-staging', namespace: 'default', environment: 'staging' }, 'read-raw')).toBe('viewer');
  });

  it('or from the namespace when it sets its own', () => {
    expect(kubeRoleNeeded(policy, { context: 'kind-staging', namespace: 'icx', environment: 'staging' }, 'write')).toBe('deployer');
    expect(kubeRoleNeeded(policy, { context: 'kind-staging', namespace: 'icx', environment: 'staging' }, 'read-raw')).toBe('viewer');
  });

  it('is the stricter choice for an environment opsbot.yaml does not describe', () => {
    expect(kubeRoleNeeded(policy, { context: 'x', namespace: 'y', environment: 'dev' }, 'write')).toBe('deployer');
  });
});
