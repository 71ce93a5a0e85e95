import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decideAutorun } from '../../src/agents/autorun-policy.ts';
import { playbookCandidates } from '../../src/agents/playbook-candidate.ts';
import type { AlertGroup } from '../../src/alerts/alert.ts';
import { ACTION_NAMES } from '../../src/workflows/actions/catalog.ts';
import type { Step } from '../../src/workflows/definition.ts';
import { loadDefinitions } from '../../src/workflows/load-definitions.ts';
import { alertFromRule, loadRuleAlerts } from '../support/rule-alerts.ts';

/**
 * The playbooks opsbot ships (the repository's playbooks/): they load and validate with the real
 * action catalog, act only through k8s.* / github.* (and a read-only http query), and answer the
 * kube-prometheus alerts they are written for — built from the rules themselves — and not others.
 */

const { definitions, errors } = loadDefinitions({ dir: fileURLToPath(new URL('../../playbooks', import.meta.url)), source: 'playbook', knownActions: new Set(ACTION_NAMES) });
const PLAYBOOKS = [...definitions.values()];
const RULES = loadRuleAlerts(fileURLToPath(new URL('../fixtures/prometheus-rules/kube-prometheus', import.meta.url)));

function rule(alert: string): AlertGroup {
  const found = RULES.find((r) => r.alert === alert);
  if (!found) throw new Error(`no kube-prometheus rule ${alert}`);
  return found.alertGroup;
}

const names = (group: AlertGroup) => playbookCandidates(group, PLAYBOOKS).map((c) => c.name);
const candidate = (group: AlertGroup, name: string) => playbookCandidates(group, PLAYBOOKS).find((c) => c.name === name);

function actions(steps: readonly Step[]): string[] {
  return steps.flatMap((s) => (s.kind === 'action' ? [s.action, ...(s.undo ? [s.undo.action] : [])] : s.kind === 'parallel' ? s.branches.flatMap(actions) : []));
}

describe('the shipped playbooks', () => {
  it('load without errors: the five common cases, disk filling for volumes and for nodes', () => {
    expect(errors).toEqual([]);
    expect(PLAYBOOKS.map((p) => p.name).sort()).toEqual(['bad-deploy-rollback', 'ci-failed-rerun', 'disk-filling-node', 'disk-filling-volume', 'memory-pressure-scale-out', 'pod-crash-looping']);
  });

  it('act through k8s.* and github.* actions, never a shell; http only to read from Prometheus', () => {
    for (const playbook of PLAYBOOKS) {
      const used = actions(playbook.steps);
      expect(used.every((a) => a.startsWith('k8s.') || a.startsWith('github.') || a === 'http'), `${playbook.name}: ${used.join(', ')}`).toBe(true);
    }
    expect(actions(definitions.get('pod-crash-looping')!.steps)).toEqual(['k8s.deployment', 'k8s.logs', 'k8s.describe', 'k8s.restart', 'k8s.wait-rollout']);
    expect(actions(definitions.get('memory-pressure-scale-out')!.steps)).toEqual(['k8s.deployment', 'k8s.scale', 'k8s.scale', 'k8s.wait-rollout']);
    expect(actions(definitions.get('bad-deploy-rollback')!.steps)).toEqual(['k8s.deployment', 'k8s.describe', 'k8s.rollout-undo', 'k8s.wait-rollout']);
    expect(actions(definitions.get('ci-failed-rerun')!.steps)).toEqual(['github.rerun-failed-jobs']);
  });

  it('rate their risk by the harm a wrong run could do, and only low-risk ones may run by themselves', () => {
    const summary = Object.fromEntries(PLAYBOOKS.map((p) => [p.name, `${p.playbook?.risk} ${p.playbook?.remediation} auto:${p.playbook?.autorun.enabled}`]));
    expect(summary).toEqual({
      'pod-crash-looping': 'low restart-workload auto:true',
      'memory-pressure-scale-out': 'medium scale-out auto:false',
      'bad-deploy-rollback': 'high rollback-deploy auto:false',
      'disk-filling-volume': 'low free-disk auto:true',
      'disk-filling-node': 'low free-disk auto:true',
      'ci-failed-rerun': 'low rerun-job auto:false',
    });
  });
});

describe('matching kube-prometheus alerts', () => {
  it('answers KubePodCrashLooping with the crash-loop playbook, targeted at the alert’s namespace, pod and container', () => {
    expect(names(rule('KubePodCrashLooping'))).toEqual(['pod-crash-looping']);
    expect(candidate(rule('KubePodCrashLooping'), 'pod-crash-looping')).toMatchObject({ params: { namespace: 'shop', pod: 'api-5d8f7c9b6-x2x7k', container: 'api' }, missing: [], matchedByLabels: true });
  });

  it('answers a stuck or short rollout with the rollback, targeted at the alert’s deployment', () => {
    for (const alert of ['KubeDeploymentRolloutStuck', 'KubeDeploymentReplicasMismatch', 'KubeDeploymentGenerationMismatch']) {
      expect(names(rule(alert)), alert).toEqual(['bad-deploy-rollback']);
      expect(candidate(rule(alert), 'bad-deploy-rollback')).toMatchObject({ params: { namespace: 'shop', deployment: 'api' }, missing: [] });
    }
  });

  it('answers a filling persistent volume with the volume playbook, and a filling node filesystem with the node one', () => {
    for (const r of RULES.filter((x) => x.alert === 'KubePersistentVolumeFillingUp' || x.alert === 'KubePersistentVolumeInodesFillingUp')) {
      expect(names(r.alertGroup), r.alert).toEqual(['disk-filling-volume']);
      expect(candidate(r.alertGroup, 'disk-filling-volume')).toMatchObject({ params: { namespace: 'shop', claim: 'data-db-0' }, missing: [] });
    }
    const nodeAlerts = RULES.filter((x) => /^NodeFilesystem(SpaceFillingUp|AlmostOutOfSpace|FilesFillingUp|AlmostOutOfFiles)$/.test(x.alert));
    expect(nodeAlerts.length).toBeGreaterThanOrEqual(4);
    for (const r of nodeAlerts) {
      expect(names(r.alertGroup), r.alert).toEqual(['disk-filling-node']);
      expect(candidate(r.alertGroup, 'disk-filling-node')).toMatchObject({ params: { instance: '10.0.0.12:9100', mountpoint: '/var' }, missing: [] });
    }
  });

  it('does not offer scale-out for KubeMemoryOvercommit: the cluster’s requests exceed its nodes, and more replicas would add to them', () => {
    expect(names(rule('KubeMemoryOvercommit'))).toEqual([]);
    expect(names(rule('NodeMemoryHighUtilization'))).toEqual([]);
  });

  it('answers an OOMKilled container alert with scale-out, which needs a person (medium risk)', () => {
    const oom = alertFromRule({ alert: 'KubePodOOMKilled', labels: { severity: 'warning', namespace: 'shop', pod: 'api-5d8f7c9b6-x2x7k' }, annotations: { summary: 'Container was OOMKilled.' } });
    expect(candidate(oom, 'memory-pressure-scale-out')).toMatchObject({ risk: 'medium', params: { namespace: 'shop', pod: 'api-5d8f7c9b6-x2x7k' }, missing: ['deployment'] });
  });

  it('answers a failed CI run alert carrying repository and run_id with the re-run', () => {
    const failed = alertFromRule({ alert: 'GitHubActionsWorkflowFailed', labels: { severity: 'warning', repository: 'octo-org/octo-repo', run_id: '30433642' } });
    expect(candidate(failed, 'ci-failed-rerun')).toMatchObject({ params: { repository: 'octo-org/octo-repo', run_id: '30433642' }, missing: [] });
  });

  it('offers nothing for every other kube-prometheus alert, so a button is never a guess', () => {
    const answered = new Set(['KubePodCrashLooping', 'KubeDeploymentRolloutStuck', 'KubeDeploymentReplicasMismatch', 'KubeDeploymentGenerationMismatch', 'KubePersistentVolumeFillingUp', 'KubePersistentVolumeInodesFillingUp', 'NodeFilesystemSpaceFillingUp', 'NodeFilesystemAlmostOutOfSpace', 'NodeFilesystemFilesFillingUp', 'NodeFilesystemAlmostOutOfFiles']);
    const stray = RULES.filter((r) => !answered.has(r.alert) && names(r.alertGroup).length > 0).map((r) => `${r.alert} → ${names(r.alertGroup).join(', ')}`);
    expect(stray).toEqual([]);
  });

  it('auto-runs only the low-risk ones that allow it, for a P3 alert; the rollback never', () => {
    const decide = (alert: string, name: string) => decideAutorun({ policyEnabled: true, switchOn: true, playbook: candidate(rule(alert), name), alertSeverity: 'P3', triagedSeverity: 'P3' });
    expect(decide('KubePodCrashLooping', 'pod-crash-looping').auto).toBe(true);
    expect(decide('NodeFilesystemSpaceFillingUp', 'disk-filling-node').auto).toBe(true);
    expect(decide('KubeDeploymentRolloutStuck', 'bad-deploy-rollback')).toMatchObject({ auto: false, reason: 'bad-deploy-rollback is high risk; only low-risk playbooks run automatically' });
  });
});
