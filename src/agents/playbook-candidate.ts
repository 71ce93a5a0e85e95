import type { AlertGroup } from '../alerts/alert.ts';
import type { ParamDefinition, WorkflowDefinition } from '../workflows/definition.ts';
import { matchPlaybooks } from '../workflows/playbook-match.ts';
import type { Risk } from './output-schemas.ts';
import type { Remediation, Severity } from './taxonomy.ts';

/** A playbook whose match rules fit an alert group, with the params its labels fill in. */
export interface PlaybookCandidate {
  name: string;
  description: string;
  remediation: Remediation;
  risk: Risk;
  /** From `params_from_alert`: the targets, taken from the alert's own labels. */
  params: Record<string, string>;
  /** Labels `params_from_alert` needs that the alert lacks: the playbook cannot be targeted. */
  missing: string[];
  /** Why it matched, for people. */
  matchedBy: string;
  /** Matched on labels (and services) alone, not on annotations or text: a condition of auto-run. */
  matchedByLabels: boolean;
  /** The playbook's own params: what any other value a proposal sets is checked against. */
  paramDefinitions: Record<string, ParamDefinition>;
  /** As the playbook declares it; whether a run is automatic is decided by autorun-policy.ts. */
  autorun?: { enabled: boolean; severities: Severity[] };
}

/** The playbooks whose match rules fit the group, best first, as agents see them. */
export function playbookCandidates(group: AlertGroup, definitions: Iterable<WorkflowDefinition>): PlaybookCandidate[] {
  return matchPlaybooks(group, definitions).flatMap((m) => {
    const spec = m.playbook.playbook;
    if (spec === undefined) return [];
    return [
      {
        name: m.playbook.name,
        description: m.playbook.description,
        remediation: spec.remediation,
        risk: spec.risk,
        params: m.params,
        missing: m.missing,
        matchedBy: m.matchedBy,
        matchedByLabels: m.byLabels,
        paramDefinitions: m.playbook.params,
        autorun: spec.autorun,
      },
    ];
  });
}

/** A catalog action agents may propose (the Kubernetes and GitHub issue adds them), and how it is targeted. */
export interface ProposableAction {
  name: string;
  description: string;
  risk: Risk;
  paramDefinitions: Record<string, ParamDefinition>;
  /** Param → alert label: targets come from the alert, never from the model. */
  paramsFromAlert: Record<string, string>;
}

export function usable(candidate: PlaybookCandidate): boolean {
  return candidate.missing.length === 0;
}
