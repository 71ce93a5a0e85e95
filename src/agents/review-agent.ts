import type { AlertGroup } from '../alerts/alert.ts';
import type { AgentDefinition, OfflineAnswer } from './agent.ts';
import { alertGroupText } from './alert-text.ts';
import { reviewOutputSchema, type FixOutput, type ReviewOutput, type TriageOutput } from './output-schemas.ts';
import { higherRisk } from './proposal-guard.ts';

export interface ReviewInput {
  group: AlertGroup;
  triage: TriageOutput;
  /** Already guarded: a proposal that reaches review names only what exists. */
  fix: FixOutput;
}

const SYSTEM = `You are the review agent of opsbot, a ChatOps bot run by an SRE team. You check a proposed remediation for an alert before a person sees it.
Accept it only when it addresses the triaged cause, targets only what the alert concerns, is proportionate (the least risky fix that works) and is reversible or low risk. Otherwise reject it, with requiredChanges saying exactly what must change; the fix agent will try again.
Answer with verdict (accept or reject), reasons (at least one), risk (low, medium or high) and requiredChanges (empty when you accept).`;

export function reviewAgent(): AgentDefinition<ReviewInput, ReviewOutput> {
  return {
    name: 'review',
    system: SYSTEM,
    output: reviewOutputSchema,
    maxTokens: 1024,
    usesTools: false,
    prompt: (input, fence) =>
      [
        'Triage (quoting the alert):',
        fence('triage', JSON.stringify(input.triage, null, 2)),
        'Proposed remediation:',
        fence('proposed remediation', JSON.stringify(input.fix, null, 2)),
        'The alert group:',
        fence('alert group', alertGroupText(input.group)),
      ].join('\n\n'),
    offline: offlineReview,
    // A reviewer may judge a fix riskier than the fix agent did, never safer.
    guard: (output, input) =>
      higherRisk(output.risk, input.fix.risk) === output.risk
        ? { output, violations: [] }
        : { output: { ...output, risk: input.fix.risk }, violations: [`risk ${output.risk} is below the proposal's own ${input.fix.risk}; kept ${input.fix.risk}`] },
    audit: (output) => ({ action: 'agent.verdict', outcome: output.verdict, detail: JSON.stringify(output) }),
  };
}

export function offlineReview(input: ReviewInput): OfflineAnswer<ReviewOutput> {
  const { proposal } = input.fix;
  const reasons: string[] = [];
  switch (proposal.kind) {
    case 'playbook':
      reasons.push(`Playbook ${proposal.name} matches the alert and takes its targets from the alert's labels.`);
      break;
    case 'action':
      reasons.push(`Action ${proposal.action} is in the catalog and targeted from the alert's labels.`);
      break;
    case 'manual':
      reasons.push('Steps for a person: nothing runs without someone doing it.');
      break;
    case 'patch':
      reasons.push('A patch is shown for a person to review and apply; the offline reviewer cannot check code.');
      break;
  }
  if (input.fix.risk !== 'low') reasons.push(`Risk is ${input.fix.risk}: it needs approval before it runs.`);
  return { output: { verdict: 'accept', reasons, risk: input.fix.risk, requiredChanges: [] }, thin: true, notes: ['The offline reviewer checks only that the proposal is allowed, not that it is right.'] };
}
