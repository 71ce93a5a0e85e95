import type { DefinitionError } from './load-definitions.ts';
import { formatDefinitionError, loadDefinitions } from './load-definitions.ts';

/**
 * `opsbot validate` for the definition folders: one line per problem (`file:line:col: message`),
 * then a summary. Pure apart from reading the folders, so main.ts only prints and exits.
 */

export interface ValidateDefinitionsOptions {
  workflowsDir: string;
  playbooksDir: string;
  /** The action catalog's names; unknown action names are reported when given. */
  knownActions?: ReadonlySet<string>;
}

export interface DefinitionsReport {
  ok: boolean;
  errors: DefinitionError[];
  /** The lines to print: each problem, then `N workflows, M playbooks: ok` or `K errors`. */
  lines: string[];
}

export function validateDefinitions(options: ValidateDefinitionsOptions): DefinitionsReport {
  const workflows = loadDefinitions({ dir: options.workflowsDir, source: 'workflow', knownActions: options.knownActions });
  const playbooks = loadDefinitions({ dir: options.playbooksDir, source: 'playbook', knownActions: options.knownActions });
  const errors = [...workflows.errors, ...playbooks.errors];
  const summary =
    errors.length === 0
      ? `${plural(workflows.definitions.size, 'workflow')}, ${plural(playbooks.definitions.size, 'playbook')}: ok`
      : plural(errors.length, 'error');
  return { ok: errors.length === 0, errors, lines: [...errors.map(formatDefinitionError), summary] };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
