import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { policySchema, type Policy } from './policy-schema.ts';
import { parseYamlSource, type YamlSource } from './yaml-source.ts';

/**
 * opsbot.yaml text → Policy, or a ConfigError whose one line starts `file:line:col: key.path:`.
 * Also what `opsbot validate` uses on its own.
 */
export function parsePolicy(text: string, file: string): Policy {
  const source = parseYamlSource(text, file);
  const result = policySchema.safeParse(source.data);
  if (result.success) return result.data;
  throw new ConfigError(joinProblems(result.error.issues.flatMap((issue) => describeIssue(issue, source, file))));
}

function describeIssue(issue: z.core.$ZodIssue, source: YamlSource, file: string): string[] {
  const at = (path: ReadonlyArray<PropertyKey>, where: 'key' | 'value') => {
    const { line, col } = source.locate(path, where);
    return `${file}:${line}:${col}: ${path.length > 0 ? `${dotted(path)}: ` : ''}`;
  };
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${at([...issue.path, key], 'key')}unknown key, ${issue.message}`);
  }
  if (issue.code === 'invalid_key') {
    return [`${at(issue.path, 'key')}${issue.issues[0]?.message ?? issue.message}`];
  }
  return [`${at(issue.path, 'value')}${issue.message}`];
}

function dotted(path: ReadonlyArray<PropertyKey>): string {
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : `${i > 0 ? '.' : ''}${String(segment)}`)).join('');
}

/** Several problems still make one line: the first few, then how many more. */
export function joinProblems(problems: string[], shown = 3): string {
  const head = problems.slice(0, shown).join('; ');
  return problems.length > shown ? `${head}; and ${problems.length - shown} more` : head;
}
