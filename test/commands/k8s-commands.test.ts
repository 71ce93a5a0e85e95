import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedEphemeral, EmulatedMessage } from '../../src/local/emulator/types.ts';
import { KUBE_POLICY, useKubeRig } from '../support/kube-rig.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';
import { shown } from '../support/workflow-slack-helpers.ts';

/**
 * `/ops k8s …` end to end: the Slack emulator on one side, the fake Kubernetes API server on the
 * other, reached through a generated kubeconfig (KUBECONFIG), with the test policy (kube-rig.ts):
 * kind-staging is staging and the default context, prod-eu is production.
 */

const kube = useKubeRig();
const VIEWER = 'U0VIEWER'; // a workspace member with no grant
const RESPONDER = 'U0RESPONDER';
const DEPLOYER = 'U0DEPLOYER';
const GENERAL = 'C0GENERAL';
const running: RunningOpsbot[] = [];

afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
});

async function start(env: Record<string, string> = {}, options: { kubeconfig?: boolean } = {}): Promise<RunningOpsbot> {
  const o = await startOpsbot({ env: { ...(options.kubeconfig === false ? {} : { KUBECONFIG: kube.kubeconfig }), ...env }, policy: KUBE_POLICY });
  running.push(o);
  for (const [id, name] of [
    [VIEWER, 'viewer'],
    [RESPONDER, 'responder'],
    [DEPLOYER, 'deployer'],
  ] as const) {
    o.emulator.addUser({ id, name });
  }
  o.app.store.roles.grant(RESPONDER, 'responder', 'test', o.clock.now());
  o.app.store.roles.grant(DEPLOYER, 'deployer', 'test', o.clock.now());
  return o;
}

async function ops(o: RunningOpsbot, user: string, text: string): Promise<void> {
  await o.emulator.slashCommand({ user, channel: GENERAL, text });
  await o.settle();
}

const lastPrivate = (o: RunningOpsbot, user: string): EmulatedEphemeral | undefined => o.emulator.ephemerals({ user }).at(-1);
const privateText = (o: RunningOpsbot, user: string) => shown(lastPrivate(o, user) as unknown as EmulatedMessage);
const channel = (o: RunningOpsbot) => o.emulator.messages(GENERAL);
const writes = () => kube.api.requests().filter((r) => r.method !== 'GET');
const k8sAudit = (o: RunningOpsbot) => o.app.store.audit.list({ limit: 100 }).filter((e) => e.action.startsWith('k8s.'));
const nginx = (cluster = 'kind-staging') => kube.api.get(cluster, 'Deployment', 'default', 'nginx') as { spec: { replicas: number; template: { metadata: { annotations?: Record<string, string> } } } };

function buttonOf(message: { blocks?: unknown[] } | undefined, label: RegExp): { action_id: string; value: string; confirm?: unknown } {
  for (const block of (message?.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string }; confirm?: unknown }> }>) {
    for (const element of block.type === 'actions' ? (block.elements ?? []) : []) if (label.test(element.text.text)) return element;
  }
  throw new Error(`no button ${label}`);
}

describe('/ops k8s status', () => {
  it('shows anyone the pods not running well with their restarts, with Logs, Describe and Restart buttons', async () => {
    const o = await start();
    await ops(o, VIEWER, 'k8s status');

    const status = lastPrivate(o, VIEWER);
    const text = privateText(o, VIEWER);
    expect(text).toContain('Kubernetes status: kind-staging/default (staging)');
    expect(text).toContain('`nginx-7fb78fb6d8-crash1` Running 0/1 · *CrashLoopBackOff* · 14 restarts');
    expect(text).toContain('`nginx-7fb78fb6d8-oom01` Running 1/1 · *OOMKilled* · 5 restarts');
    expect(text).toContain('`nginx-7fb78fb6d8-pend1` Pending 0/1 · *Pending (Unschedulable)*');
    expect(text).toContain('`nginx`: 1/3 available, 2 unavailable');
    expect(text).toContain('`minikube-m02`: Ready=Unknown (NodeStatusUnknown), DiskPressure, SchedulingDisabled');
    expect(text).toContain('*BackOff* `Pod/nginx-7fb78fb6d8-crash1` ×61');

    expect(buttonOf(status, /^Logs/).value).toBe('k8s logs nginx-7fb78fb6d8-crash1 previous ns=default context=kind-staging');
    expect(buttonOf(status, /^Describe/).value).toBe('k8s describe pod/nginx-7fb78fb6d8-crash1 ns=default context=kind-staging');
    const restart = buttonOf(status, /^Restart nginx/);
    expect(restart.value).toBe('k8s restart deployment/nginx ns=default context=kind-staging');
    expect(restart.confirm).toMatchObject({ title: { text: 'Restart the deployment?' }, confirm: { text: 'Restart' } });
  });

  it('runs the Logs and Describe buttons like the typed commands', async () => {
    const o = await start();
    await ops(o, RESPONDER, 'k8s status');
    const status = lastPrivate(o, RESPONDER)!;

    await o.emulator.clickButton({ user: RESPONDER, channel: GENERAL, messageTs: status.ts, actionId: buttonOf(status, /^Logs/).action_id });
    await o.settle();
    // Longer than a message, and staging logs are anyone's to read: a file in the conversation.
    const file = channel(o).flatMap((m) => m.files ?? []).at(-1);
    expect(file?.name).toBe('nginx-7fb78fb6d8-crash1-previous.log');
    expect(file?.content).toContain('host not found in upstream "db.internal:5432"');
    expect(channel(o).at(-1)?.text).toContain(`<@${RESPONDER}> asked for the logs of nginx-7fb78fb6d8-crash1 (previous run) in kind-staging/default (staging).`);
    expect(kube.api.requests().at(-1)).toMatchObject({ path: '/api/v1/namespaces/default/pods/nginx-7fb78fb6d8-crash1/log', query: { previous: 'true', tailLines: '200' } });

    await o.emulator.clickButton({ user: RESPONDER, channel: GENERAL, messageTs: status.ts, actionId: buttonOf(status, /^Describe/).action_id });
    await o.settle();
    const described = privateText(o, RESPONDER);
    expect(described).toContain('DATABASE_URL: (value hidden)');
    expect(described).not.toContain('s3cr3t');
  });

  it('refuses a viewer’s click on Restart, and restarts for a responder: one PATCH, audited, told in the channel', async () => {
    const o = await start();
    await ops(o, VIEWER, 'k8s status');
    const viewerStatus = lastPrivate(o, VIEWER)!;
    await o.emulator.clickButton({ user: VIEWER, channel: GENERAL, messageTs: viewerStatus.ts, actionId: buttonOf(viewerStatus, /^Restart nginx/).action_id });
    await o.settle();
    expect(privateText(o, VIEWER)).toContain('You need the *responder* role to run `k8s restart`.');
    expect(writes()).toEqual([]);

    await ops(o, RESPONDER, 'k8s status');
    const status = lastPrivate(o, RESPONDER)!;
    await o.emulator.clickButton({ user: RESPONDER, channel: GENERAL, messageTs: status.ts, actionId: buttonOf(status, /^Restart nginx/).action_id });
    await o.settle();

    expect(writes()).toEqual([expect.objectContaining({ method: 'PATCH', contentType: 'application/strategic-merge-patch+json', path: '/apis/apps/v1/namespaces/default/deployments/nginx' })]);
    expect(Object.keys(nginx().spec.template.metadata.annotations ?? {})).toEqual(['kubectl.kubernetes.io/restartedAt']);
    expect(channel(o).map((m) => m.text).join('\n')).toContain(`🔄 <@${RESPONDER}> restarted \`deployment/nginx\`: its pods are replaced one by one in kind-staging/default (staging).`);
    const [entry] = k8sAudit(o);
    expect(entry).toMatchObject({ actor: RESPONDER, action: 'k8s.restart', outcome: 'ok' });
    expect(JSON.parse(entry!.args!)).toMatchObject({ deployment: 'nginx', dryRun: false, before: { replicas: 3, images: ['k8s.gcr.io/nginx-slim:0.8'], revision: '3' }, after: { revision: '4' } });
  });
});

describe('writes need the role of their environment', () => {
  it('lets only a deployer restart in production', async () => {
    const o = await start();
    await ops(o, RESPONDER, 'k8s restart deployment/nginx context=prod-eu');
    expect(privateText(o, RESPONDER)).toContain('You need the *deployer* role to restart deployments in prod-eu/default (production).');
    expect(writes()).toEqual([]);

    await ops(o, DEPLOYER, 'k8s restart deployment/nginx context=prod-eu');
    expect(writes()).toEqual([expect.objectContaining({ cluster: 'prod-eu', method: 'PATCH' })]);
  });

  it('takes a namespace’s own stricter role', async () => {
    const o = await start();
    await ops(o, RESPONDER, 'k8s scale deployment/icx-db 2 ns=icx');
    expect(privateText(o, RESPONDER)).toContain('You need the *deployer* role to scale deployments in kind-staging/icx (staging).');
    expect(writes()).toEqual([]);
  });

  it('keeps production logs from viewers and responders: raw production data needs a deployer', async () => {
    const o = await start();
    await ops(o, RESPONDER, 'k8s logs nginx context=prod-eu');
    expect(privateText(o, RESPONDER)).toContain('You need the *deployer* role to read pod logs in prod-eu/default (production).');
    await ops(o, VIEWER, 'k8s logs nginx context=prod-eu');
    expect(privateText(o, VIEWER)).toContain('You need the *deployer* role to read pod logs in prod-eu/default (production).');
    expect(kube.api.requests()).toEqual([]);
  });
});

describe('the allowlists', () => {
  it('refuse a namespace outside them, saying which are allowed, before any request', async () => {
    const o = await start();
    await ops(o, VIEWER, 'k8s status kube-system');
    expect(lastPrivate(o, VIEWER)?.text).toBe('Namespace `kube-system` is not allowed in context `kind-staging`.\nAllowed there: `default`, `icx`.');
    expect(kube.api.requests()).toEqual([]);
  });

  it('refuse a context outside them, though the kubeconfig has it', async () => {
    const o = await start();
    await ops(o, DEPLOYER, 'k8s restart deployment/nginx context=dev-laptop');
    expect(lastPrivate(o, DEPLOYER)?.text).toBe('Context `dev-laptop` is not allowed.\nAllowed contexts: `prod-eu`, `kind-staging`.');
    expect(kube.api.requests()).toEqual([]);
  });

  it('never describe a Secret: refused before any request', async () => {
    const o = await start();
    await ops(o, DEPLOYER, 'k8s describe secret/icx-creds ns=icx');
    expect(privateText(o, DEPLOYER)).toContain('opsbot never reads or shows Kubernetes Secrets.');
    expect(kube.api.requests()).toEqual([]);
  });
});

describe('DRY_RUN', () => {
  it('sends dryRun=All, changes nothing and says DRY RUN in the channel', async () => {
    const o = await start({ DRY_RUN: '1' });
    await ops(o, RESPONDER, 'k8s scale deployment/nginx 5');

    expect(writes()).toEqual([expect.objectContaining({ path: '/apis/apps/v1/namespaces/default/deployments/nginx/scale', query: { dryRun: 'All' }, contentType: 'application/merge-patch+json' })]);
    expect(nginx().spec.replicas).toBe(3);
    const told = channel(o).at(-1)?.text ?? '';
    expect(told).toContain(`📏 *DRY RUN* · <@${RESPONDER}> scaled \`deployment/nginx\` from 3 to 5 replicas in kind-staging/default (staging).`);
    expect(told).toContain('DRY_RUN is on: the API server checked the change (dryRun=All) and nothing was changed.');
    expect(JSON.parse(k8sAudit(o)[0]!.args!)).toMatchObject({ dryRun: true, before: { replicas: 3 }, after: { replicas: 5 } });
  });
});

describe('rollback and rollout status', () => {
  it('rolls back to the previous revision and says so', async () => {
    const o = await start();
    await ops(o, RESPONDER, 'k8s rollback deployment/nginx');
    expect(channel(o).at(-1)?.text).toContain(`↩️ <@${RESPONDER}> rolled \`deployment/nginx\` back to revision 2 in kind-staging/default (staging).`);
    expect(channel(o).at(-1)?.text).toContain('image k8s.gcr.io/nginx-slim:0.8 → k8s.gcr.io/nginx-slim:0.7');
    expect(k8sAudit(o)[0]).toMatchObject({ action: 'k8s.rollback', outcome: 'ok' });

    await ops(o, VIEWER, 'k8s rollout-status deployment/nginx');
    expect(lastPrivate(o, VIEWER)?.text).toBe('✅ deployment "nginx" successfully rolled out (revision 4) · kind-staging/default (staging)');
  });
});

describe('logs', () => {
  it('uploads long staging logs as a file, where anyone in the channel may read them', async () => {
    const o = await start();
    await ops(o, VIEWER, 'k8s logs nginx-7fb78fb6d8-2w75j tail=300');
    const file = channel(o).flatMap((m) => m.files ?? []).at(-1);
    expect(file?.name).toBe('nginx-7fb78fb6d8-2w75j.log');
    expect(file?.content.trim().split('\n')).toHaveLength(300);
  });

  it('keeps long production logs private, showing the end', async () => {
    const o = await start();
    await ops(o, DEPLOYER, 'k8s logs nginx-7fb78fb6d8-2w75j tail=300 context=prod-eu');
    expect(channel(o).flatMap((m) => m.files ?? [])).toEqual([]);
    const text = privateText(o, DEPLOYER);
    expect(text).toMatch(/Logs of nginx-7fb78fb6d8-2w75j in prod-eu\/default \(production\): the last \d+ of 300 lines/);
    expect(text).toContain('nginx-7fb78fb6d8-2w75j/nginx #300');
    expect(text).toContain('in production logs are not posted as a file');
  });

  it('reads a container’s previous run', async () => {
    const o = await start();
    await ops(o, RESPONDER, 'k8s logs nginx-7fb78fb6d8-oom01 nginx previous tail=1 since=10m');
    expect(privateText(o, RESPONDER)).toContain('exited on signal 9 (OOMKilled)');
    expect(kube.api.requests().at(-1)?.query).toEqual({ container: 'nginx', previous: 'true', tailLines: '1', sinceSeconds: '600', limitBytes: '524288' });
  });
});

describe('when the API server fails', () => {
  it('turns a 403 into a clear message', async () => {
    const o = await start();
    kube.api.fail({ method: 'PATCH', path: /deployments\/nginx$/, status: 403 });
    await ops(o, RESPONDER, 'k8s restart deployment/nginx');
    expect(privateText(o, RESPONDER)).toContain('Kubernetes did not allow opsbot to restart deployment nginx in default in context `kind-staging` (403 Forbidden)');
    expect(privateText(o, RESPONDER)).toContain("Grant opsbot's Kubernetes user that permission (RBAC)");
    expect(k8sAudit(o)[0]).toMatchObject({ action: 'k8s.restart', outcome: 'error' });
  });

  it('retries a 429 and answers', async () => {
    const o = await start();
    kube.api.fail({ path: '/api/v1/namespaces/default/pods', status: 429, times: 1, retryAfterSeconds: 1 });
    await ops(o, VIEWER, 'k8s pods');
    expect(privateText(o, VIEWER)).toContain('Pods in kind-staging/default (staging): 6');
  });

  it('says the cluster failed when it keeps answering 5xx', async () => {
    const o = await start();
    kube.api.fail({ path: '/api/v1/namespaces/default/pods', status: 503 });
    await ops(o, VIEWER, 'k8s pods default app=nginx');
    expect(lastPrivate(o, VIEWER)?.text).toBe(
      'The Kubernetes API of context `kind-staging` failed (503 ServiceUnavailable) while opsbot tried to list pods in default: the server is currently unable to handle the request.\nIt is the cluster side; try again shortly.',
    );
    expect(kube.api.requests().filter((r) => r.path === '/api/v1/namespaces/default/pods')).toHaveLength(3);
    expect(kube.api.requests()[0]?.query).toEqual({ labelSelector: 'app=nginx' });
  });
});

describe('without a kubeconfig', () => {
  it('says Kubernetes is not configured', async () => {
    const o = await start({}, { kubeconfig: false });
    await ops(o, VIEWER, 'k8s status');
    expect(privateText(o, VIEWER)).toContain('Kubernetes is not configured: set KUBECONFIG.');
  });
});
