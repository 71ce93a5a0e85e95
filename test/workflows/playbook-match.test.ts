import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Alert, AlertGroup } from '../../src/alerts/alert.ts';
import type { WorkflowDefinition } from '../../src/workflows/definition.ts';
import { loadDefinitions, parseDefinition } from '../../src/workflows/load-definitions.ts';
import { alertService, matchPlaybooks } from '../../src/workflows/playbook-match.ts';

/**
 * Which playbooks an alert group is offered, with which targets. Alerts are shaped as
 * kube-prometheus fires them (labels and annotations of its rules); playbooks are the fixtures
 * in test/fixtures/playbooks, or a few lines of YAML where a case needs its own.
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/playbooks/', import.meta.url));
const loaded = loadDefinitions({ dir: FIXTURES, source: 'playbook' });
const fixtures = [...loaded.definitions.values()];

function firing(labels: Record<string, string>, annotations: Record<string, string> = {}): Alert {
  return { status: 'firing', labels, annotations, startsAt: '2024-05-14T09:12:00Z' };
}

/** A group as the grouping stage builds it: common labels are those every alert shares. */
function group(...alerts: Alert[]): AlertGroup {
  const common = <K extends 'labels' | 'annotations'>(key: K) =>
    Object.fromEntries(Object.entries(alerts[0]?.[key] ?? {}).filter(([name, value]) => alerts.every((alert) => alert[key][name] === value)));
  return { key: `{alertname="${alerts[0]?.labels.alertname ?? ''}"}`, commonLabels: common('labels'), commonAnnotations: common('annotations'), alerts };
}

function crashLooping(pod: string, namespace = 'shop'): Alert {
  return firing(
    { alertname: 'KubePodCrashLooping', container: 'api', job: 'kube-state-metrics', namespace, pod, reason: 'CrashLoopBackOff', severity: 'warning' },
    {
      description: `Pod ${namespace}/${pod} (api) is in waiting state (reason: "CrashLoopBackOff") on cluster .`,
      runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping',
      summary: 'Pod is crash looping.',
    },
  );
}

/** A playbook of a few lines: params namespace (a pattern) and deployment, one harmless step. */
function playbook(name: string, ...lines: string[]): WorkflowDefinition {
  const text = [
    `name: ${name}`,
    'description: A test playbook',
    'role: responder',
    'params:',
    "  namespace: { type: string, required: true, pattern: '[a-z0-9-]+' }",
    '  deployment: { type: string, required: true }',
    'steps:',
    '  - { id: go, action: shell, with: { argv: ["true"] } }',
    ...lines,
  ].join('\n');
  const parsed = parseDefinition(text, `playbooks/${name}.yaml`, { source: 'playbook' });
  expect(parsed.errors).toEqual([]);
  if (parsed.definition === undefined) throw new Error(`${name} did not load`);
  return parsed.definition;
}

const summary = (results: ReturnType<typeof matchPlaybooks>) => results.map((r) => ({ name: r.playbook.name, matchedBy: r.matchedBy, params: r.params, missing: r.missing }));

describe('matchPlaybooks over the fixture playbooks', () => {
  it('loads them all', () => {
    expect(loaded.errors).toEqual([]);
  });

  it('offers the crash-loop playbook for KubePodCrashLooping, targeting the alert’s own namespace and pod', () => {
    const results = matchPlaybooks(group(crashLooping('api-7d9c6b5f4-x2kqp')), fixtures);
    expect(summary(results)).toEqual([
      {
        name: 'pod-crash-looping',
        matchedBy: 'match[1]: namespace=~/.+/, text /CrashLoopBackOff|crash ?looping/i',
        params: { namespace: 'shop', pod: 'api-7d9c6b5f4-x2kqp' },
        missing: [],
      },
    ]);
    expect(results[0]?.specificity).toBe(2);
  });

  it('matches label regexes against the whole value: a rollout alert of the right severity gets the rollback', () => {
    const mismatch = (severity: string) =>
      group(firing({ alertname: 'KubeDeploymentReplicasMismatch', deployment: 'checkout', namespace: 'shop', job: 'kube-state-metrics', severity }));
    expect(summary(matchPlaybooks(mismatch('warning'), fixtures))).toEqual([
      {
        name: 'bad-deploy-rollback',
        matchedBy: 'match[1]: alertname=~/KubeDeploymentReplicasMismatch|KubeDeploymentGenerationMismatch/, severity=~/warning|critical/',
        params: { namespace: 'shop', deployment: 'checkout' },
        missing: [],
      },
    ]);
    expect(matchPlaybooks(mismatch('info'), fixtures)).toEqual([]);
    expect(matchPlaybooks(mismatch('warning-ish'), fixtures)).toEqual([]);
  });

  it('reads a label a param needs from the alert, and lists the one it lacks as missing', () => {
    const oom = (labels: Record<string, string>) =>
      group(firing({ alertname: 'ContainerHighMemoryUsage', namespace: 'shop', severity: 'warning', ...labels }, { summary: 'Container High Memory usage (instance 10.0.3.7:8080)' }));
    expect(summary(matchPlaybooks(oom({ deployment: 'cart' }), fixtures))).toEqual([
      {
        name: 'memory-pressure-scale-out',
        matchedBy: 'match[0]: alertname=~/ContainerHighMemoryUsage|ContainerMemoryNearLimit|KubeContainerOOMKilled/',
        params: { namespace: 'shop', deployment: 'cart' },
        missing: [],
      },
    ]);
    expect(summary(matchPlaybooks(oom({}), fixtures))).toEqual([
      expect.objectContaining({ name: 'memory-pressure-scale-out', params: { namespace: 'shop' }, missing: ['deployment'] }),
    ]);
  });

  it('counts an annotation condition: the filling volume is matched on its name and summary, the claim taken from persistentvolumeclaim', () => {
    const filling = firing(
      { alertname: 'KubePersistentVolumeFillingUp', namespace: 'db', persistentvolumeclaim: 'data-postgres-0', job: 'kubelet', metrics_path: '/metrics', severity: 'critical' },
      {
        description: 'The PersistentVolume claimed by data-postgres-0 in Namespace db is only 2.1% free.',
        runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepersistentvolumefillingup',
        summary: 'PersistentVolume is filling up.',
      },
    );
    expect(summary(matchPlaybooks(group(filling), fixtures))).toEqual([
      {
        name: 'disk-filling-collect-usage',
        matchedBy: 'match[0]: alertname=KubePersistentVolumeFillingUp, annotation summary=~/PersistentVolume is filling up\\.?/',
        params: { namespace: 'db', claim: 'data-postgres-0' },
        missing: [],
      },
    ]);
  });

  it('offers nothing for an alert no playbook is about, nor for a group whose alerts have all resolved', () => {
    expect(matchPlaybooks(group(firing({ alertname: 'Watchdog', severity: 'none' }, { summary: 'An alert that should always be firing.' })), fixtures)).toEqual([]);
    const resolved: Alert = { ...crashLooping('api-1'), status: 'resolved', endsAt: '2024-05-14T09:30:00Z' };
    expect(matchPlaybooks(group(resolved), fixtures)).toEqual([]);
  });
});

describe('matchPlaybooks conditions', () => {
  it('finds a service by its service label first, then app, app_kubernetes_io_name, deployment, job', () => {
    const checkout = playbook('checkout-errors', 'risk: medium', 'remediation: rollback-deploy', 'match:', '  - services: [checkout]');
    const service = (labels: Record<string, string>) => matchPlaybooks(group(firing({ alertname: 'HighErrorRate', ...labels })), [checkout]).map((r) => r.matchedBy);
    expect(service({ app: 'checkout', job: 'api' })).toEqual(['match[0]: service checkout (label app)']);
    expect(service({ app_kubernetes_io_name: 'checkout', deployment: 'checkout-v2' })).toEqual(['match[0]: service checkout (label app_kubernetes_io_name)']);
    expect(service({ job: 'checkout' })).toEqual(['match[0]: service checkout (label job)']);
    expect(service({ service: 'payments', app: 'checkout' })).toEqual([]);
    expect(service({ instance: 'checkout:8080' })).toEqual([]);
    expect(alertService({ deployment: 'cart', job: 'kube-state-metrics' })).toEqual({ name: 'cart', label: 'deployment' });
  });

  it('searches text in the alert’s name, summary and description only', () => {
    const oom = playbook('oom', 'risk: low', 'remediation: raise-limits', 'match:', '  - text: /OOMKilled/');
    const matches = (labels: Record<string, string>, annotations: Record<string, string>) => matchPlaybooks(group(firing(labels, annotations)), [oom]).length;
    expect(matches({ alertname: 'KubeContainerWaiting' }, { description: 'pod/api-1 in namespace shop on container api (reason: "OOMKilled")' })).toBe(1);
    expect(matches({ alertname: 'ContainerOOMKilled' }, {})).toBe(1);
    expect(matches({ alertname: 'KubeContainerWaiting', reason: 'OOMKilled' }, { runbook_url: 'https://example.com/OOMKilled' })).toBe(0);
  });

  it('never matches a label the alert does not have, not even with /.*/', () => {
    const any = playbook('any-namespace', 'risk: low', 'remediation: investigate', 'match:', '  - labels: { namespace: /.*/ }');
    expect(matchPlaybooks(group(firing({ alertname: 'NodeDown' })), [any])).toEqual([]);
    expect(matchPlaybooks(group(firing({ alertname: 'NodeDown', namespace: '' })), [any])).toHaveLength(1);
  });

  it('matches regexes written /…/i in any case', () => {
    const crash = playbook('crash', 'risk: low', 'remediation: restart-workload', 'match:', '  - annotations: { summary: /pod is crash looping\\./i }');
    expect(matchPlaybooks(group(crashLooping('api-1')), [crash]).map((r) => r.matchedBy)).toEqual(['match[0]: annotation summary=~/pod is crash looping\\./i']);
  });

  it('uses the most specific matcher of a playbook, and names only what the playbook wrote', () => {
    const crash = playbook(
      'crash',
      'risk: low',
      'remediation: restart-workload',
      'match:',
      '  - labels: { alertname: KubePodCrashLooping }',
      '  - labels: { alertname: KubePodCrashLooping, namespace: /sh.p/ }',
      '    text: /crash/i',
    );
    const [result] = matchPlaybooks(group(crashLooping('api-1')), [crash]);
    expect(result).toMatchObject({ matchedBy: 'match[1]: alertname=KubePodCrashLooping, namespace=~/sh.p/, text /crash/i', specificity: 3 });
  });

  it('ignores definitions that are workflows, not playbooks', () => {
    const workflow = parseDefinition('name: restart\ndescription: Restart\nrole: responder\nsteps:\n  - { id: w, wait: 1s }\n', 'workflows/restart.yaml', { source: 'workflow' }).definition;
    expect(workflow).toBeDefined();
    expect(matchPlaybooks(group(crashLooping('api-1')), workflow ? [workflow] : [])).toEqual([]);
  });
});

describe('matchPlaybooks targets', () => {
  const restart = playbook(
    'restart-deployment',
    'risk: low',
    'remediation: restart-workload',
    'match:',
    '  - labels: { alertname: KubeDeploymentRolloutStuck }',
    'params_from_alert: { namespace: namespace, deployment: deployment }',
  );
  const stuck = (deployment: string, namespace = 'shop', status: Alert['status'] = 'firing'): Alert => ({
    ...firing({ alertname: 'KubeDeploymentRolloutStuck', deployment, namespace, severity: 'warning' }),
    status,
  });

  it('takes a value every firing alert of the group agrees on', () => {
    expect(summary(matchPlaybooks(group(stuck('cart', 'shop'), stuck('cart', 'shop')), [restart]))[0]).toMatchObject({ params: { namespace: 'shop', deployment: 'cart' }, missing: [] });
  });

  it('lists a label whose value differs between the firing alerts as missing, ignoring resolved ones', () => {
    const results = matchPlaybooks(group(stuck('cart'), stuck('checkout')), [restart]);
    expect(summary(results)[0]).toMatchObject({ params: { namespace: 'shop' }, missing: ['deployment'] });
    const withResolved = matchPlaybooks(group(stuck('cart'), stuck('checkout', 'shop', 'resolved')), [restart]);
    expect(summary(withResolved)[0]).toMatchObject({ params: { namespace: 'shop', deployment: 'cart' }, missing: [] });
  });

  it('falls back to the group’s common labels for an alert that lacks the label', () => {
    const bare: Alert = firing({ alertname: 'KubeDeploymentRolloutStuck', deployment: 'cart' });
    const results = matchPlaybooks({ key: 'k', commonLabels: { alertname: 'KubeDeploymentRolloutStuck', namespace: 'shop' }, commonAnnotations: {}, alerts: [bare] }, [restart]);
    expect(summary(results)[0]).toMatchObject({ params: { namespace: 'shop', deployment: 'cart' }, missing: [] });
  });

  it('lists a label whose value the param refuses as missing', () => {
    const results = matchPlaybooks(group(stuck('cart', 'shop; kubectl delete ns prod')), [restart]);
    expect(summary(results)[0]).toMatchObject({ params: { deployment: 'cart' }, missing: ['namespace'] });
  });
});

describe('matchPlaybooks order', () => {
  it('puts more conditions matched first, then lower risk, then name', () => {
    const crash = (name: string, risk: string, ...matcher: string[]) => playbook(name, `risk: ${risk}`, 'remediation: restart-workload', 'match:', ...matcher);
    const oneCondition = '  - labels: { alertname: KubePodCrashLooping }';
    const playbooks = [
      crash('zeta-high', 'high', oneCondition),
      crash('beta-low', 'low', oneCondition),
      crash('alpha-low', 'low', oneCondition),
      crash('medium', 'medium', oneCondition),
      crash('specific-high', 'high', '  - labels: { alertname: KubePodCrashLooping, namespace: shop }'),
      crash('unrelated', 'low', '  - labels: { alertname: KubeHpaMaxedOut }'),
    ];
    expect(matchPlaybooks(group(crashLooping('api-1')), playbooks).map((r) => `${r.playbook.name} (${r.specificity})`)).toEqual([
      'specific-high (2)',
      'alpha-low (1)',
      'beta-low (1)',
      'medium (1)',
      'zeta-high (1)',
    ]);
  });
});
