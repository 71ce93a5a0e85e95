import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { severityFloor } from '../../src/agents/alert-text.ts';
import { triageOutputSchema } from '../../src/agents/output-schemas.ts';
import type { PlaybookCandidate } from '../../src/agents/playbook-candidate.ts';
import { offlineTriage } from '../../src/agents/triage-agent.ts';
import { loadRuleAlerts } from '../support/rule-alerts.ts';

const RULES = loadRuleAlerts(fileURLToPath(new URL('../fixtures/prometheus-rules/kube-prometheus', import.meta.url)));
const rule = (name: string) => RULES.find((r) => r.alert === name)!.alertGroup;
const EXPECTED_SEVERITY: Record<string, string> = { critical: 'P2', warning: 'P3', info: 'P4' };

describe('offline triage', () => {
  it('maps critical to P2, warning to P3 and info to P4 for every kube-prometheus rule', () => {
    const triaged = RULES.filter((r) => r.severity !== 'none');
    expect(triaged).toHaveLength(137);
    for (const r of triaged) {
      const { output } = offlineTriage({ group: r.alertGroup, playbooks: [], customerFacing: false });
      expect(triageOutputSchema.parse(output).severity, r.alert).toBe(EXPECTED_SEVERITY[r.severity!]);
    }
  });

  it('makes a critical alert P1 when the service is customer-facing', () => {
    const critical = RULES.find((r) => r.severity === 'critical')!;
    expect(offlineTriage({ group: critical.alertGroup, playbooks: [], customerFacing: true }).output.severity).toBe('P1');
  });

  it('never triages Watchdog and InfoInhibitor, whose severity is none', () => {
    expect(severityFloor(rule('Watchdog'), false)).toBeUndefined();
    expect(severityFloor(rule('InfoInhibitor'), true)).toBeUndefined();
  });

  it('reads a crash-looping pod as availability, to be fixed by restarting the workload', () => {
    const { output, thin } = offlineTriage({ group: rule('KubePodCrashLooping'), playbooks: [], customerFacing: false });
    expect(output).toMatchObject({ category: 'availability', remediation: 'restart-workload', service: 'api' });
    expect(output.summary).toMatch(/^KubePodCrashLooping: .*\(namespace shop, cluster prod-eu\)\.$/);
    expect(output.diagnostics.map((d) => d.check)).toContain('container logs (current and previous)');
    expect(thin).toBe(false);
  });

  it('reads an expiring kubelet certificate as a certificate to renew', () => {
    expect(offlineTriage({ group: rule('KubeletClientCertificateExpiration'), playbooks: [], customerFacing: false }).output).toMatchObject({ category: 'certificate', remediation: 'renew-certificate' });
  });

  it('prefers the remediation of a matching playbook and names it', () => {
    const playbook: PlaybookCandidate = {
      name: 'collect-disk-usage',
      description: 'Collect usage',
      remediation: 'free-disk',
      risk: 'low',
      params: { instance: '10.0.0.12:9100' },
      missing: [],
      matchedBy: 'labels alertname=/NodeFilesystem.*/',
      matchedByLabels: true,
      paramDefinitions: {},
    };
    const answer = offlineTriage({ group: rule('NodeFilesystemSpaceFillingUp'), playbooks: [playbook], customerFacing: false });
    expect(answer.output.remediation).toBe('free-disk');
    expect(answer.notes).toContain('Playbook collect-disk-usage matches (labels alertname=/NodeFilesystem.*/).');
  });

  it('says when it only guesses, for an alert it has no rule for', () => {
    const group = { key: 'x', commonLabels: { alertname: 'FrobnicatorWobbly', severity: 'warning' }, commonAnnotations: {}, alerts: [{ status: 'firing' as const, labels: { alertname: 'FrobnicatorWobbly', severity: 'warning' }, annotations: {} }] };
    const answer = offlineTriage({ group, playbooks: [], customerFacing: false });
    expect(answer).toMatchObject({ thin: true, output: { category: 'other', remediation: 'investigate', confidence: 0.1 } });
    expect(answer.notes[0]).toMatch(/knows no rule for FrobnicatorWobbly; category and cause are a guess/);
  });
});
