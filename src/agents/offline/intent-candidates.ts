import { z } from 'zod';
import type { AnyCommand } from '../../commands/command-types.ts';
import { argShape, enumValues, isOptionalArg, unwrapArg } from '../../commands/schema-shape.ts';
import type { WorkflowDefinition } from '../../workflows/definition.ts';

/**
 * What the offline intent matcher can propose, read from the same definitions as help and the
 * parser: one candidate per registry command, and one per workflow a command may start (in place
 * of the bare `workflow run`, whose real params are the workflow's). Nothing here names a command.
 */

export type IntentParamType = 'string' | 'number' | 'boolean' | 'user' | 'channel' | 'other';

export interface IntentParam {
  name: string;
  /** Typed as a word on the command line rather than as `name=value`. */
  positional: boolean;
  /** The user must give it: no default and not optional. */
  required: boolean;
  type: IntentParamType;
  enum?: string[];
  /** A regular expression the whole value must match (as written in its definition). */
  pattern?: string;
  description?: string;
}

export interface IntentCandidate {
  /** As typed after `/ops`: `help`, `role grant`, `workflow run deploy`. */
  command: string;
  summary: string;
  /** Positional ones first, in command-line order; then named ones. */
  params: IntentParam[];
}

/** The registry command whose params are a workflow's; the `extraNamed` contract of command.ts. */
const WORKFLOW_RUN = 'workflow run';

export function intentCandidates(commands: readonly AnyCommand[], workflows: Iterable<WorkflowDefinition>): IntentCandidate[] {
  const candidates: IntentCandidate[] = [];
  let runsWorkflows = false;
  for (const command of commands) {
    if (command.name === WORKFLOW_RUN) {
      runsWorkflows = true;
      continue;
    }
    candidates.push({ command: command.name, summary: command.summary, params: commandParams(command) });
  }
  // Without the run command in the registry, proposing a workflow would propose something unknown.
  if (!runsWorkflows) return candidates;
  for (const def of workflows) {
    if (def.source !== 'workflow' || !def.triggers.command) continue;
    candidates.push({ command: `${WORKFLOW_RUN} ${def.name}`, summary: def.description, params: workflowParams(def) });
  }
  return candidates;
}

function commandParams(command: AnyCommand): IntentParam[] {
  const shape = argShape(command.args) ?? {};
  const onLine = [...(command.positional ?? []), ...(command.rest ? [command.rest] : [])];
  const named = Object.keys(shape).filter((key) => !onLine.includes(key) && key !== command.extraNamed);
  return [...onLine.map((name) => ({ name, positional: true })), ...named.map((name) => ({ name, positional: false }))].flatMap(({ name, positional }) => {
    const schema = shape[name];
    return schema === undefined ? [] : [{ name, positional, ...describeArg(schema) }];
  });
}

function workflowParams(def: WorkflowDefinition): IntentParam[] {
  return Object.entries(def.params).map(([name, param]) => ({
    name,
    positional: false,
    required: param.required && param.default === undefined,
    type: param.type,
    ...(param.enum !== undefined ? { enum: param.enum.map(String) } : {}),
    ...(param.pattern !== undefined ? { pattern: param.pattern } : {}),
    ...(param.description !== undefined ? { description: param.description } : {}),
  }));
}

/**
 * A command argument's kind, found by trying the schema on sample words rather than by knowing
 * the reusable schemas in arg-types.ts, so a command declaring its own still reads right.
 */
function describeArg(schema: z.ZodType): Omit<IntentParam, 'name' | 'positional'> {
  const required = !isOptionalArg(schema);
  const description = schema.description ?? unwrapArg(schema).description;
  const extra = description !== undefined ? { description } : {};
  const values = enumValues(schema);
  if (values !== undefined) return { required, type: 'string', enum: values, ...extra };

  const parsed = (input: string) => schema.safeParse(input);
  const accepts = (input: string) => parsed(input).success;
  const prose = accepts('hello');
  let type: IntentParamType = 'other';
  if (!prose && accepts('U0123ABCD')) type = 'user';
  else if (!prose && accepts('C0123ABCD')) type = 'channel';
  else if (typeof parsed('5').data === 'number') type = 'number';
  else if (typeof parsed('yes').data === 'boolean') type = 'boolean';
  else if (prose) type = 'string';
  const pattern = type === 'string' || type === 'other' ? regexOf(schema) : undefined;
  return { required, type, ...(pattern !== undefined ? { pattern } : {}), ...extra };
}

/** The first `.regex()` of a string schema, looking through optional/default wrappers and transforms. */
function regexOf(schema: z.ZodType): string | undefined {
  const inner = unwrapArg(schema);
  if (inner instanceof z.ZodPipe) return regexOf(inner.in as z.ZodType);
  if (!(inner instanceof z.ZodString)) return undefined;
  for (const check of inner.def.checks ?? []) {
    const def = check._zod.def as { format?: string; pattern?: unknown };
    if (def.format === 'regex' && def.pattern instanceof RegExp) return def.pattern.source;
  }
  return undefined;
}
