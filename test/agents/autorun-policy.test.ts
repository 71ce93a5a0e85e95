import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decideAutorun } from '../../src/agents/autorun-policy.ts';
import { playbookCandidates } from '../../src/agents/playbook-candidate.ts';
import { loadDefinitions } from '../../src/workflows/load-definitions.ts';
import { loadRuleAlerts } from '../support/rule-alerts.ts';

const PLAYBOOKS = [...loadDefinitions({ dir: fileURLToPath(new URL('../fixtures/playbooks', import.meta.url)), source: 'playbook' }).definitions.values()];
const RULES = loadRuleAlerts(fileURLToPath(new URL('../fixtures/prometheus-rules/kube-prometheus', import.meta.url)));
const crashLooping = RULES.find((r) => r.alert === 'KubePodCrashLooping')!.alertGroup;
const candidate = playbookCandidates(crashLooping, PLAYBOOKS).find((c) => c.name === 'pod-crash-looping')!;
const base = { policyEnabled: true, switchOn: true, playbook: candidate, alertSeverity: 'P3' as const, triagedSeverity: 'P3' as const };

describe('playbook candidates', () => {
  it('offers the crash-looping playbook for KubePodCrashLooping, targeted by the alert labels', () => {
    expect(candidate).toMatchObject({ remediation: 'restart-workload', risk: 'low', params: { namespace: 'shop', pod: 'api-5d8f7c9b6-x2x7k' }, missing: [] });
  });
});

describe('auto-run', () => {
  it('runs a low-risk playbook that allows it, for a P3 alert', () => {
    expect(decideAutorun(base)).toEqual({ auto: true, reason: 'pod-crash-looping is low risk and allows automatic runs for P3' });
  });

  it('never runs when opsbot.yaml disables it or the switch is off', () => {
    expect(decideAutorun({ ...base, policyEnabled: false }).auto).toBe(false);
    expect(decideAutorun({ ...base, switchOn: false })).toMatchObject({ auto: false, reason: expect.stringContaining('switched off') });
  });

  it('does not run when the triage raised the severity above what the playbook allows', () => {
    expect(decideAutorun({ ...base, triagedSeverity: 'P2' })).toMatchObject({ auto: false, reason: 'pod-crash-looping runs automatically only for P3, P4, not P2' });
  });

  it('never runs a medium- or high-risk playbook, nor one it cannot target', () => {
    expect(decideAutorun({ ...base, playbook: { ...candidate, risk: 'high' } }).auto).toBe(false);
    expect(decideAutorun({ ...base, playbook: { ...candidate, risk: 'medium' } }).auto).toBe(false);
    expect(decideAutorun({ ...base, playbook: { ...candidate, missing: ['pod'] } })).toMatchObject({ auto: false, reason: 'the alert has no pod label to target pod-crash-looping' });
  });
});
