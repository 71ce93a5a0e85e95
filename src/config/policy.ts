import { ConfigError } from '../errors.ts';
import { formatProblem, locateIssues, parseYamlSource } from '../yaml-source.ts';
import { policySchema, type Policy } from './policy-schema.ts';

/**
 * opsbot.yaml text → Policy, or a ConfigError whose one line starts `file:line:col: key.path:`.
 * Also what `opsbot validate` uses on its own.
 */
export function parsePolicy(text: string, file: string): Policy {
  const source = parseYamlSource(text, file);
  const result = policySchema.safeParse(source.data);
  if (result.success) return result.data;
  throw new ConfigError(joinProblems(locateIssues(result.error.issues, source).map((problem) => formatProblem(file, problem))));
}

/** Several problems still make one line: the first few, then how many more. */
export function joinProblems(problems: string[], shown = 3): string {
  const head = problems.slice(0, shown).join('; ');
  return problems.length > shown ? `${head}; and ${problems.length - shown} more` : head;
}
