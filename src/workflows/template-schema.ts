import { parse as parseCel } from '@marcbachmann/cel-js';
import { z } from 'zod';
import { showValue } from '../config/fields.ts';
import type { Templated } from './definition.ts';
import { checkTemplate } from './expressions.ts';
import { expecting, fail, isMapping, orEmpty, record, RESERVED_NAMES, reservedName } from './schema-kit.ts';
import { isFullTemplate, scanTemplates } from './template-syntax.ts';

/** The schemas of values holding `${{ … }}` templates: templated text, whole-template values, action inputs. */

/**
 * Action inputs are checked for syntax only: an action may evaluate one in a scope of its own
 * (wait-until's `probe`), so the names it reads are the action's business. Everything else goes
 * through expressions.ts, the engine's own checks, names and types included.
 */
function inputTemplateProblem(value: string): string | undefined {
  const scan = scanTemplates(value);
  if (!scan.ok) return scan.error;
  for (const segment of scan.segments) {
    if (typeof segment === 'string') continue;
    const source = segment.expression.trim();
    if (source === '') return '${{ }}: the expression is empty';
    try {
      parseCel(source);
    } catch (err) {
      const summary = (err as { summary?: unknown }).summary;
      const reason = (typeof summary === 'string' ? summary : err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      return `\${{ ${source.length > 120 ? `${source.slice(0, 120)}…` : source} }}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
    }
  }
  return undefined;
}

/** A string that may hold templates among literal text. */
export function templatedText(what: string) {
  return z.string({ error: expecting(what) }).superRefine((value, ctx) => {
    const problem = checkTemplate(value);
    if (problem !== undefined) fail(ctx, problem, value);
  });
}

/** One whole `${{ … }}` (when, for_each): the value is the expression's, not a string around it. */
export function fullTemplate(what: string, check: (template: string) => string | undefined = checkTemplate) {
  const expected = `one \${{ … }} expression as the whole value (${what})`;
  return z.string({ error: expecting(expected) }).transform((value, ctx) => {
    const trimmed = value.trim();
    const scan = scanTemplates(trimmed);
    if (!scan.ok) fail(ctx, scan.error, value);
    else if (!isFullTemplate(trimmed)) fail(ctx, `expected ${expected}, got ${showValue(value)}`, value);
    else {
      const problem = check(trimmed);
      if (problem !== undefined) fail(ctx, problem, value);
    }
    return trimmed;
  });
}

/** Every string in a `with:` value, with its path below that value. */
export function stringsIn(value: unknown, path: PropertyKey[] = []): Array<{ text: string; path: PropertyKey[] }> {
  if (typeof value === 'string') return [{ text: value, path }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, [...path, i]));
  if (isMapping(value)) return Object.entries(value).flatMap(([key, item]) => stringsIn(item, [...path, key]));
  return [];
}

/** A value of `with:`: any YAML, its strings checked as templates, its mapping keys as names. */
const actionInput = z.unknown().superRefine((input, ctx) => {
  for (const { text: value, path } of stringsIn(input)) {
    const problem = inputTemplateProblem(value);
    if (problem !== undefined) fail(ctx, problem, value, path);
  }
  const visitKeys = (value: unknown, path: PropertyKey[]) => {
    if (Array.isArray(value)) value.forEach((item, i) => visitKeys(item, [...path, i]));
    else if (isMapping(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (RESERVED_NAMES.has(key)) fail(ctx, reservedName(key), key, [...path, key], 'key');
        else visitKeys(item, [...path, key]);
      }
    }
  };
  visitKeys(input, []);
});

export const actionInputs = orEmpty(record(z.string(), actionInput, "a mapping of the action's inputs")).transform((inputs) => inputs as Record<string, Templated>);
