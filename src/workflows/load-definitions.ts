import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { showValue } from '../config/fields.ts';
import { dottedPath, locateIssues, parseYamlSource, YamlSyntaxError, type LocatedProblem, type YamlSource } from '../yaml-source.ts';
import type { WorkflowDefinition } from './definition.ts';
import { playbookDocumentSchema, walkSteps, workflowDocumentSchema } from './definition-schema.ts';

/**
 * Reads every `*.yaml` / `*.yml` in a folder (workflows/ or playbooks/) into WorkflowDefinitions;
 * the source picks the schema (a playbook also has match, risk…). Each file stands alone: one that does not parse or validate is reported — every problem in it,
 * each at its file:line:column — and the others still load.
 */

export interface DefinitionError {
  file: string;
  line: number;
  column: number;
  /** `steps[2].retries.max: expected a whole number from 0 to 10, got -1` (the path, then the rule broken). */
  message: string;
}

export interface LoadDefinitionsOptions {
  dir: string;
  source: WorkflowDefinition['source'];
  /** The action catalog's names; when given, a step naming another action is an error. */
  knownActions?: ReadonlySet<string>;
}

export interface LoadedDefinitions {
  definitions: Map<string, WorkflowDefinition>;
  errors: DefinitionError[];
}

export function loadDefinitions(options: LoadDefinitionsOptions): LoadedDefinitions {
  const definitions = new Map<string, WorkflowDefinition>();
  const errors: DefinitionError[] = [];
  let entries: string[];
  try {
    entries = readdirSync(options.dir, { withFileTypes: true })
      // Symbolic links count: a Kubernetes ConfigMap mounts every file as one. Hidden files do
      // not: editors leave lock files like `.#deploy.yaml` beside the real one.
      .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && /^[^.].*\.ya?ml$/.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // No folder means no definitions of this kind, like a folder holding only its README.
    if (code === 'ENOENT') return { definitions, errors };
    errors.push({ file: options.dir, line: 1, column: 1, message: `cannot read the folder (${typeof code === 'string' ? code : String(err)})` });
    return { definitions, errors };
  }

  for (const entry of entries) {
    const file = join(options.dir, entry);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      errors.push({ file, line: 1, column: 1, message: `cannot read the file (${typeof code === 'string' ? code : String(err)})` });
      continue;
    }
    const parsed = parseDefinition(text, file, options);
    if (parsed.definition === undefined) {
      errors.push(...parsed.errors);
      continue;
    }
    const { name } = parsed.definition;
    const other = definitions.get(name);
    if (other !== undefined) {
      // foo.yaml and foo.yml: both name themselves foo, the first in name order wins.
      errors.push({ file, line: 1, column: 1, message: `name: ${name} is already defined by ${other.file}` });
      continue;
    }
    definitions.set(name, parsed.definition);
  }
  return { definitions, errors };
}

/** One file's text → its definition, or every problem found in it, in the order they appear. */
export function parseDefinition(
  text: string,
  file: string,
  options: Pick<LoadDefinitionsOptions, 'source' | 'knownActions'>,
): { definition?: WorkflowDefinition; errors: DefinitionError[] } {
  let source: YamlSource;
  try {
    source = parseYamlSource(text, file);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    return { errors: [{ file, line: err.line, column: err.col, message: `invalid YAML: ${err.reason}` }] };
  }

  const result = (options.source === 'playbook' ? playbookDocumentSchema : workflowDocumentSchema).safeParse(source.data);
  const problems: LocatedProblem[] = result.success ? [] : locateIssues(result.error.issues, source);
  const expectedName = basename(file, extname(file));
  const writtenName = (source.data as { name?: unknown } | null)?.name;
  if (typeof writtenName === 'string' && writtenName !== expectedName) {
    problems.push(at(source, ['name'], `expected the file's name, ${showValue(expectedName)}, got ${showValue(writtenName)} (rename one of them)`));
  }
  if (result.success && options.knownActions !== undefined) {
    problems.push(...unknownActions(result.data.steps, options.knownActions, source));
  }

  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    return { errors: problems.map((problem) => toError(file, problem)) };
  }

  const definition: WorkflowDefinition = { ...result.data, file, source: options.source };
  walkSteps(definition.steps, (step, path) => {
    step.line = source.locate(path, 'value').line;
  });
  return { definition, errors: [] };
}

/** `file:line:col: message`, the one line `opsbot validate` prints per problem. */
export function formatDefinitionError(error: DefinitionError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.message}`;
}

function unknownActions(steps: WorkflowDefinition['steps'], known: ReadonlySet<string>, source: YamlSource): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const check = (action: string, path: PropertyKey[]) => {
    if (!known.has(action)) problems.push(at(source, path, `unknown action ${showValue(action)} (known: ${[...known].sort().join(', ')})`));
  };
  walkSteps(steps, (step, path) => {
    if (step.kind === 'action') check(step.action, [...path, 'action']);
    if (step.undo !== undefined) check(step.undo.action, [...path, 'undo', 'action']);
  });
  return problems;
}

function at(source: YamlSource, path: PropertyKey[], message: string): LocatedProblem {
  return { ...source.locate(path, 'value'), path, message };
}

function toError(file: string, problem: LocatedProblem): DefinitionError {
  const prefix = problem.path.length > 0 ? `${dottedPath(problem.path)}: ` : '';
  return { file, line: problem.line, column: problem.col, message: `${prefix}${problem.message}` };
}
