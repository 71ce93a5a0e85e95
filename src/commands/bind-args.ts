import type { z } from 'zod';
import { UserError } from '../errors.ts';
import type { CommandDefinition } from './command.ts';
import type { ParsedArgs } from './parser.ts';
import { argShape, enumValues } from './schema-shape.ts';
import { escapeMrkdwn } from './blocks.ts';
import { usage } from './usage.ts';

/**
 * Turns parsed words into a command's args object: positional words map to
 * `command.positional` in order, leftover words join into `command.rest` (when declared),
 * named arguments are merged (a positional argument may also be given by name), then the
 * schema validates. Every failure is a UserError('invalid_args') whose message names the
 * argument and ends with the usage line.
 */
export function bindArgs<A extends z.ZodType>(command: CommandDefinition<A, unknown>, parsed: ParsedArgs, commandPrefix = '/ops'): z.infer<A> {
  const fail = (problem: string): never => {
    throw new UserError('invalid_args', `\`${command.name}\`: ${escapeMrkdwn(problem)}. Usage: \`${escapeMrkdwn(usage(command, commandPrefix))}\``, `Type \`${commandPrefix} help ${command.name}\` for examples.`);
  };

  const names = command.positional ?? [];
  const raw: Record<string, string> = {};
  const extra: Record<string, string> = {};
  names.forEach((name, i) => {
    const word = parsed.positional[i];
    if (word !== undefined) raw[name] = word;
  });
  const leftover = parsed.positional.slice(names.length);
  if (leftover.length > 0) {
    if (command.rest) raw[command.rest] = leftover.join(' ');
    else fail(`unexpected argument \`${clip(leftover[0] as string)}\``);
  }

  const shape = argShape(command.args);
  for (const [key, value] of Object.entries(parsed.named)) {
    if (shape && !Object.hasOwn(shape, key) && command.extraNamed) {
      extra[key] = value;
      continue;
    }
    if (shape && !Object.hasOwn(shape, key)) {
      const options = Object.keys(shape).filter((k) => !names.includes(k) && k !== command.rest);
      fail(`unknown option \`${key}\`` + (options.length > 0 ? ` (options: ${options.map((k) => `\`${k}\``).join(', ')})` : ''));
    }
    if (Object.hasOwn(raw, key)) fail(`\`${key}\` is given twice`);
    raw[key] = value;
  }

  const result = command.args.safeParse(command.extraNamed ? { ...raw, [command.extraNamed]: extra } : raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => describeIssue(issue, raw, shape));
  return fail([...new Set(problems)].join('; '));
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, string>, shape: Record<string, z.ZodType> | undefined): string {
  const key = issue.path[0];
  const got = typeof key === 'string' ? raw[key] : undefined;
  const subject = typeof key === 'string' ? `\`${key}\` ` : '';
  const gotText = got !== undefined ? ` (got \`${clip(got)}\`)` : '';

  // Left out (not given empty): "is required" says more than the type it should have had.
  if (typeof key === 'string' && got === undefined && issue.code !== 'custom') return `${subject}is required`;
  // Lower case: a message written for "`arg` must be …" (see arg-types.ts).
  if (/^[a-z]/.test(issue.message)) return `${subject}must be ${issue.message}${gotText}`;

  switch (issue.code) {
    case 'invalid_value': {
      const schema = typeof key === 'string' ? shape?.[key] : undefined;
      const values = (schema && enumValues(schema)) ?? issue.values.map(String);
      return `${subject}must be one of ${values.join(', ')}${gotText}`;
    }
    case 'too_small':
      return `${subject}must be ${limitText(issue.origin, issue.minimum, issue.inclusive !== false, 'at least', 'more than')}${gotText}`;
    case 'too_big':
      return `${subject}must be ${limitText(issue.origin, issue.maximum, issue.inclusive !== false, 'at most', 'less than')}${gotText}`;
    case 'invalid_format':
      return `${subject}must be a valid ${issue.format}${gotText}`;
    case 'invalid_type':
      return `${subject}must be a ${issue.expected}${gotText}`;
    default:
      return `${subject}is not valid: ${issue.message}${gotText}`;
  }
}

function limitText(origin: string, limit: number | bigint, inclusive: boolean, within: string, beyond: string): string {
  if (origin === 'string') return `${within} ${limit} characters long`;
  if (origin === 'number' || origin === 'bigint') return `${inclusive ? within : beyond} ${limit}`;
  return `${within} ${limit} items`;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
