import type { AlertGroup } from '../alerts/alert.ts';
import type { AgentDefinition } from './agent.ts';
import { affectedService, alertGroupText, alertName, groupAnnotations, groupLabels, severityFloor } from './alert-text.ts';
import { matchAlertRule } from './offline/alert-rules.ts';
import { triageOutputSchema, type TriageOutput } from './output-schemas.ts';
import { usable, type PlaybookCandidate } from './playbook-candidate.ts';
import { CATEGORIES, REMEDIATIONS, severityRank, type Severity } from './taxonomy.ts';

export interface TriageInput {
  group: AlertGroup;
  /** Playbooks whose match rules fit the group, best first. */
  playbooks: PlaybookCandidate[];
  /** The policy marks the affected service customer-facing: `critical` means P1, not P2. */
  customerFacing: boolean;
}

const SYSTEM = `You are the triage agent of opsbot, a ChatOps bot run by an SRE team. You receive a group of Prometheus alerts and analyse what is wrong. You may call read-only diagnostic tools; you never change anything.
Answer with JSON matching the schema:
- summary: what is wrong, two sentences at most, concrete (names, numbers).
- category: one of ${CATEGORIES.join(', ')}.
- severity: P1 (customer-facing outage) to P4 (no impact). Never lower than the floor given with the alerts.
- service: the affected service or null.
- causes: likely causes, most likely first, each with the evidence for it.
- diagnostics: checks you ran through tools (status "ran", with the finding) or recommend to a human ("recommended").
- remediation: the kind of fix that fits first: one of ${REMEDIATIONS.join(', ')} ("investigate" when only a human can tell, "none" when nothing is wrong).
- confidence: 0 to 1.`;

export function triageAgent(): AgentDefinition<TriageInput, TriageOutput> {
  return {
    name: 'triage',
    system: SYSTEM,
    output: triageOutputSchema,
    maxTokens: 2048,
    usesTools: true,
    prompt(input, fence) {
      const floor = severityFloor(input.group, input.customerFacing) ?? 'P4';
      const playbooks = input.playbooks.length === 0 ? 'none' : input.playbooks.map((p) => `${p.name} (${p.remediation}, risk ${p.risk}): ${p.description}`).join('\n');
      return [
        `Severity floor from the alerts' own labels and the policy: ${floor}${input.customerFacing ? ' (the service is customer-facing)' : ''}.`,
        `Playbooks whose match rules fit this group:\n${playbooks}`,
        'The alert group:',
        fence('alert group', alertGroupText(input.group)),
      ].join('\n\n');
    },
    offline: offlineTriage,
    guard(output, input) {
      const floor = severityFloor(input.group, input.customerFacing) ?? 'P4';
      if (severityRank(output.severity) <= severityRank(floor)) return { output, violations: [] };
      return { output: { ...output, severity: floor }, violations: [`severity ${output.severity} is below the alerts' own ${floor}; kept ${floor}`] };
    },
  };
}

export function offlineTriage(input: TriageInput) {
  const { group } = input;
  const name = alertName(group);
  const labels = groupLabels(group);
  const annotations = groupAnnotations(group);
  const text = [annotations.summary, annotations.description, annotations.message].filter(Boolean).join(' ');
  const match = matchAlertRule(name, text);
  const severity: Severity = severityFloor(group, input.customerFacing) ?? 'P4';
  const playbook = input.playbooks.find(usable);
  const firing = group.alerts.filter((a) => a.status === 'firing').length;
  const notes: string[] = [];
  const headline = (annotations.summary ?? annotations.description ?? annotations.message ?? name).trim();
  const scope = [labels.namespace && `namespace ${labels.namespace}`, labels.cluster && `cluster ${labels.cluster}`].filter(Boolean).join(', ');
  const summary = `${name}: ${headline}${scope ? ` (${scope})` : ''}${firing > 1 ? `; ${firing} alerts firing` : ''}.`;

  if (match === undefined) notes.push(`Offline triage knows no rule for ${name}; category and cause are a guess from its labels — check the alert's runbook.`);
  else if (match.on === 'text') notes.push(`Offline triage matched ${name} only by its description, not its name; treat the cause as a hint.`);
  if (playbook) notes.push(`Playbook ${playbook.name} matches (${playbook.matchedBy}).`);

  const output: TriageOutput = {
    summary,
    category: match?.rule.category ?? 'other',
    severity,
    service: affectedService(labels),
    causes: match ? [{ cause: match.rule.cause, likelihood: match.on === 'name' ? 'medium' : 'low', evidence: `the alert ${name}${text ? `: ${truncate(text, 200)}` : ''}` }] : [],
    diagnostics: [
      ...(match?.rule.checks ?? ['the alert expression in Prometheus', 'the runbook linked from the alert']).map((check) => ({ check, status: 'recommended' as const, finding: null })),
      ...(annotations.runbook_url ? [{ check: `runbook ${annotations.runbook_url}`, status: 'recommended' as const, finding: null }] : []),
    ],
    remediation: playbook?.remediation ?? match?.rule.remediation ?? 'investigate',
    confidence: match === undefined ? 0.1 : match.on === 'name' ? (playbook ? 0.7 : 0.6) : 0.35,
  };
  return { output, thin: match?.on !== 'name', notes };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
