import type { Alert } from '../alerts/alert.ts';
import { checkParamValue } from '../workflows/params.ts';
import type { ParamDefinition } from '../workflows/definition.ts';
import type { ParamPair, Proposal, Risk } from './output-schemas.ts';
import { usable, type PlaybookCandidate, type ProposableAction } from './playbook-candidate.ts';

const RISKS: readonly Risk[] = ['low', 'medium', 'high'];

export function higherRisk(a: Risk, b: Risk): Risk {
  return RISKS.indexOf(a) >= RISKS.indexOf(b) ? a : b;
}

export type ProposalCheck = { ok: true; proposal: Proposal; risk: Risk; violations: string[] } | { ok: false; violations: string[] };

/**
 * A model's proposal against what may run: only playbooks that match the alert and catalog
 * actions offered to agents, named exactly; targets (namespace, deployment…) from the alert's own
 * labels whatever the model wrote; every other param valid for its schema. Text proposals (manual
 * steps, patches) pass: they are shown to people, never run.
 */
export function checkProposal(
  proposal: Proposal,
  options: { playbooks: readonly PlaybookCandidate[]; actions: readonly ProposableAction[]; labels: Alert['labels'] },
): ProposalCheck {
  if (proposal.kind === 'manual' || proposal.kind === 'patch') return { ok: true, proposal, risk: proposal.kind === 'patch' ? 'high' : 'low', violations: [] };

  if (proposal.kind === 'playbook') {
    const playbook = options.playbooks.find((p) => p.name === proposal.name);
    if (playbook === undefined) return { ok: false, violations: [`playbook ${JSON.stringify(proposal.name)} is not one that matches this alert`] };
    if (!usable(playbook)) return { ok: false, violations: [`playbook ${playbook.name} cannot be targeted: the alert has no ${playbook.missing.join(', ')} label`] };
    const params = targetedParams(proposal.params, playbook.params, playbook.paramDefinitions);
    if (!params.ok) return { ok: false, violations: params.violations };
    return { ok: true, proposal: { ...proposal, params: params.pairs }, risk: playbook.risk, violations: params.violations };
  }

  const action = options.actions.find((a) => a.name === proposal.action);
  if (action === undefined) return { ok: false, violations: [`action ${JSON.stringify(proposal.action)} is not in the catalog of actions agents may propose`] };
  const targets: Record<string, string> = {};
  const missing: string[] = [];
  for (const [param, label] of Object.entries(action.paramsFromAlert)) {
    const value = options.labels[label];
    if (value === undefined || value === '') missing.push(label);
    else targets[param] = value;
  }
  if (missing.length > 0) return { ok: false, violations: [`action ${action.name} cannot be targeted: the alert has no ${missing.join(', ')} label`] };
  const params = targetedParams(proposal.params, targets, action.paramDefinitions);
  if (!params.ok) return { ok: false, violations: params.violations };
  return { ok: true, proposal: { ...proposal, params: params.pairs }, risk: action.risk, violations: params.violations };
}

function targetedParams(
  given: readonly ParamPair[],
  targets: Readonly<Record<string, string>>,
  definitions: Readonly<Record<string, ParamDefinition>>,
): { ok: true; pairs: ParamPair[]; violations: string[] } | { ok: false; violations: string[] } {
  const violations: string[] = [];
  const out = new Map<string, string>(Object.entries(targets));
  for (const { name, value } of given) {
    if (Object.hasOwn(targets, name)) {
      if (value !== targets[name]) violations.push(`${name}=${JSON.stringify(value)} replaced by the alert's own ${name}=${JSON.stringify(targets[name])}`);
      continue;
    }
    const definition = Object.hasOwn(definitions, name) ? definitions[name] : undefined;
    if (definition === undefined) {
      violations.push(`unknown param ${JSON.stringify(name)} dropped`);
      continue;
    }
    const checked = checkParamValue(definition, value);
    if (!checked.ok) return { ok: false, violations: [`param ${name} ${checked.message}`] };
    out.set(name, String(checked.value));
  }
  const unset = Object.entries(definitions)
    .filter(([name, definition]) => definition.required && definition.default === undefined && !out.has(name))
    .map(([name]) => name);
  if (unset.length > 0) return { ok: false, violations: [...violations, `required param ${unset.join(', ')} not set`] };
  return { ok: true, pairs: [...out].map(([name, value]) => ({ name, value })), violations };
}
