import type { Severity } from './taxonomy.ts';
import type { PlaybookCandidate } from './playbook-candidate.ts';

export interface AutorunDecision {
  auto: boolean;
  /** Why not (or why), for the thread reply and the audit log. */
  reason: string;
}

/**
 * Whether an accepted playbook proposal may run without a click. Every input comes from opsbot's
 * own state — the policy, the kill switch, the playbook file and the alert's own severity label —
 * never from model output: a model can name a playbook, not make it automatic. A model raising the
 * severity only makes a run less automatic (P1/P2 are never auto-run).
 */
export function decideAutorun(options: {
  /** opsbot.yaml `autorun.enabled`. */
  policyEnabled: boolean;
  /** `/ops autorun off|on`. */
  switchOn: boolean;
  playbook: PlaybookCandidate | undefined;
  /** The severity from the alert's own labels and the policy, before any model saw it. */
  alertSeverity: Severity;
  /** The severity the run will carry (the triage may have raised it). */
  triagedSeverity: Severity;
}): AutorunDecision {
  const { playbook } = options;
  if (!options.policyEnabled) return { auto: false, reason: 'automatic runs are disabled in opsbot.yaml' };
  if (!options.switchOn) return { auto: false, reason: 'automatic runs are switched off (`autorun on` resumes them)' };
  if (playbook === undefined) return { auto: false, reason: 'no playbook was proposed' };
  if (playbook.missing.length > 0) return { auto: false, reason: `the alert has no ${playbook.missing.join(', ')} label to target ${playbook.name}` };
  if (playbook.risk !== 'low') return { auto: false, reason: `${playbook.name} is ${playbook.risk} risk; only low-risk playbooks run automatically` };
  if (!playbook.matchedByLabels) return { auto: false, reason: `${playbook.name} matched on the alert's text, which anyone posting an alert writes; it runs only when someone clicks` };
  if (!playbook.autorun?.enabled) return { auto: false, reason: `${playbook.name} does not allow automatic runs` };
  for (const severity of [options.alertSeverity, options.triagedSeverity]) {
    if (!playbook.autorun.severities.includes(severity)) return { auto: false, reason: `${playbook.name} runs automatically only for ${playbook.autorun.severities.join(', ')}, not ${severity}` };
  }
  return { auto: true, reason: `${playbook.name} is low risk and allows automatic runs for ${options.triagedSeverity}` };
}
