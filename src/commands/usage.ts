import type { AnyCommand } from './command-types.ts';
import type { ZodType } from 'zod';
import { bool } from './arg-types.ts';
import { argShape, enumValues, isOptionalArg, unwrapArg } from './schema-shape.ts';

/**
 * The usage line generated from a command's definition, e.g.
 * `/ops role grant <user> <role>` or `/ops audit [n] [user=<user>]`:
 * positional names in `<>` (optional ones in `[]`), the rest words as `<name…>`, named options
 * as `key=<key>` (`key=a|b|c` for enums, `--key` for yes/no switches).
 */
export function usage(command: AnyCommand, commandPrefix = '/ops'): string {
  const shape = argShape(command.args) ?? {};
  const parts = [commandPrefix, command.name];
  const onCommandLine = new Set<string>([...(command.positional ?? []), ...(command.rest ? [command.rest] : [])]);

  for (const name of command.positional ?? []) {
    parts.push(wrap(`${name}`, isOptional(shape, name)));
  }
  if (command.rest) parts.push(wrap(`${command.rest}…`, isOptional(shape, command.rest)));

  for (const [key, schema] of Object.entries(shape)) {
    if (onCommandLine.has(key) || key === command.extraNamed) continue;
    const optional = isOptionalArg(schema);
    if (unwrapArg(schema) === bool) {
      parts.push(optional ? `[--${key}]` : `--${key}`);
      continue;
    }
    const values = enumValues(schema);
    const option = `${key}=${values ? values.join('|') : `<${key}>`}`;
    parts.push(optional ? `[${option}]` : option);
  }
  if (command.extraNamed) parts.push(`[<${command.extraNamed}>=<value>…]`);
  return parts.join(' ');
}

function isOptional(shape: Record<string, ZodType>, name: string): boolean {
  const schema = shape[name];
  return schema === undefined || isOptionalArg(schema);
}

function wrap(name: string, optional: boolean): string {
  return optional ? `[${name}]` : `<${name}>`;
}
