import type { AlertGroup } from '../alerts/alert.ts';
import type { AgentDefinition, OfflineAnswer } from './agent.ts';
import { alertGroupText, alertName, groupLabels } from './alert-text.ts';
import { matchAlertRule } from './offline/alert-rules.ts';
import { fixOutputSchema, type FixOutput, type ReviewOutput, type TriageOutput } from './output-schemas.ts';
import { usable, type PlaybookCandidate, type ProposableAction } from './playbook-candidate.ts';
import { checkProposal, higherRisk } from './proposal-guard.ts';

export interface FixInput {
  group: AlertGroup;
  triage: TriageOutput;
  playbooks: PlaybookCandidate[];
  actions: ProposableAction[];
  /** The last proposal and the review that sent it back, when this is another round. */
  rejected?: { proposal: FixOutput; review: ReviewOutput };
}

const SYSTEM = `You are the fix agent of opsbot, a ChatOps bot run by an SRE team. From an alert group and its triage you propose ONE remediation. You never act: a person or the policy decides whether it runs.
Prefer, in order: a matching playbook (kind "playbook", by its exact name); a catalog action (kind "action", by its exact name); human steps (kind "manual"); a code or config patch as text (kind "patch").
Only the playbooks and actions listed in the request exist. Targets such as namespace, deployment or repository are filled in from the alert's own labels; do not invent others.
params are name/value pairs of the playbook's or action's own params. risk is low, medium or high. confidence is 0 to 1.`;

export function fixAgent(): AgentDefinition<FixInput, FixOutput> {
  return {
    name: 'fix',
    system: SYSTEM,
    output: fixOutputSchema,
    maxTokens: 2048,
    usesTools: true,
    prompt(input, fence) {
      const playbooks = input.playbooks.filter(usable);
      // The triage quotes the alert, and targets are label values: both are data, fenced like the alert.
      const parts = [
        'Triage (from the triage agent, quoting the alert):',
        fence('triage', JSON.stringify(input.triage, null, 2)),
        'Matching playbooks (names, risk, params; targets are the alert\'s label values):',
        fence('matching playbooks', playbooks.length === 0 ? 'none' : playbooks.map((p) => `- ${p.name} (${p.remediation}, risk ${p.risk}; targets ${JSON.stringify(p.params)}; params ${Object.keys(p.paramDefinitions).join(', ') || 'none'}): ${p.description}`).join('\n')),
        `Catalog actions you may propose:\n${input.actions.length === 0 ? 'none' : input.actions.map((a) => `- ${a.name} (risk ${a.risk}; params ${Object.keys(a.paramDefinitions).join(', ')}): ${a.description}`).join('\n')}`,
      ];
      if (input.rejected) {
        parts.push('Your previous proposal was rejected by the reviewer. Address every point of the review.', fence('previous proposal', JSON.stringify(input.rejected.proposal, null, 2)), fence('review', JSON.stringify(input.rejected.review, null, 2)));
      }
      parts.push('The alert group:', fence('alert group', alertGroupText(input.group)));
      return parts.join('\n\n');
    },
    offline: offlineFix,
    guard(output, input) {
      const checked = checkProposal(output.proposal, { playbooks: input.playbooks, actions: input.actions, labels: groupLabels(input.group) });
      if (!checked.ok) return { output: offlineFix(input).output, violations: [...checked.violations, 'the offline proposal is shown instead'] };
      const risk = higherRisk(output.risk, checked.risk);
      const understated = risk !== output.risk ? [`risk ${output.risk} is below the ${output.proposal.kind}'s own ${risk}; kept ${risk}`] : [];
      return { output: { ...output, proposal: checked.proposal, risk }, violations: [...checked.violations, ...understated] };
    },
    audit: (output) => ({ action: 'agent.proposal', outcome: output.proposal.kind, detail: JSON.stringify({ summary: output.summary, proposal: output.proposal, risk: output.risk }) }),
  };
}

export function offlineFix(input: FixInput): OfflineAnswer<FixOutput> {
  const playbook = input.playbooks.find(usable);
  if (playbook) {
    return {
      output: {
        summary: `Run playbook ${playbook.name}: ${playbook.description}`,
        proposal: { kind: 'playbook', name: playbook.name, params: Object.entries(playbook.params).map(([name, value]) => ({ name, value })), rationale: `It matches the alert (${playbook.matchedBy}) and fixes ${playbook.remediation.replace(/-/g, ' ')} cases.` },
        risk: playbook.risk,
        confidence: 0.6,
      },
      thin: false,
      notes: [],
    };
  }
  const name = alertName(input.group);
  const rule = matchAlertRule(name, input.triage.summary)?.rule;
  const steps = [
    ...(rule?.checks ?? input.triage.diagnostics.map((d) => d.check)).map((check) => `Check ${check}.`),
    remediationStep(input.triage.remediation, groupLabels(input.group)),
  ];
  const notes = input.playbooks.length > 0 ? [`Playbook ${input.playbooks[0]!.name} matches but cannot be targeted: the alert has no ${input.playbooks[0]!.missing.join(', ')} label.`] : [];
  return {
    output: { summary: `No playbook fits ${name}; steps for a person.`, proposal: { kind: 'manual', steps, rationale: input.triage.causes[0]?.cause ?? 'from the triage' }, risk: 'low', confidence: 0.3 },
    thin: true,
    notes: [...notes, 'No playbook matches this alert: the offline fix lists steps for a person.'],
  };
}

/** A label value shown in a step only when it looks like a name: labels are whatever the alert's sender wrote. */
const NAME_LIKE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,252}$/;

function remediationStep(remediation: TriageOutput['remediation'], raw: Record<string, string>): string {
  const labels = Object.fromEntries(Object.entries(raw).filter(([, v]) => NAME_LIKE.test(v)));
  const target = [labels.deployment ?? labels.statefulset ?? labels.daemonset ?? labels.pod ?? labels.service ?? labels.instance, labels.namespace && `in ${labels.namespace}`].filter(Boolean).join(' ');
  const on = target ? ` (${target})` : '';
  switch (remediation) {
    case 'restart-workload': return `If the logs show a stuck or leaking process, restart the workload${on}.`;
    case 'rollback-deploy': return `If it started with the last rollout, roll back${on}.`;
    case 'scale-out': return `Add replicas${on} if the load is legitimate.`;
    case 'raise-limits': return `Raise the resource limits${on} if usage is expected to be this high.`;
    case 'add-capacity': return 'Add nodes or raise the quota, or lower the requests that do not need that much.';
    case 'free-disk': return `Free space or expand the volume${on}.`;
    case 'renew-certificate': return `Renew the certificate${on} and check why automatic renewal did not.`;
    case 'fix-config': return `Fix the configuration${on} and reload.`;
    case 'rerun-job': return `Re-run the job${on} once the cause is fixed or known to be transient.`;
    case 'none': return 'Nothing to do: this alert is informational.';
    case 'investigate': return `Investigate${on} with the checks above before changing anything.`;
  }
}
