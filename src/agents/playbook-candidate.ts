import type { ParamDefinition } from '../workflows/definition.ts';
import type { Risk } from './output-schemas.ts';
import type { Remediation } from './taxonomy.ts';

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
  /** The playbook's own params: what any other value a proposal sets is checked against. */
  paramDefinitions: Record<string, ParamDefinition>;
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
