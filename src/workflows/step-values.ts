import { UserError, errorMessage } from '../errors.ts';
import type { Templated } from './definition.ts';
import { evaluateTemplate, type Scope } from './expressions.ts';

/** `with:`, evaluated except the keys the action evaluates itself. */
export function evaluateInputs(inputs: Record<string, Templated>, raw: readonly string[] | undefined, scope: Scope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    if (raw?.includes(key)) {
      out[key] = value;
      continue;
    }
    try {
      out[key] = evaluateTemplate(value, scope);
    } catch (err) {
      throw new UserError('expression_failed', `with.${key}: ${errorMessage(err)}`, undefined, { cause: err });
    }
  }
  return out;
}

export function evaluateOutputs(outputs: Record<string, string> | undefined, scope: Scope): Record<string, unknown> | null {
  if (!outputs) return null;
  const out: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(outputs)) {
    try {
      out[name] = evaluateTemplate(template, scope);
    } catch (err) {
      throw new UserError('expression_failed', `${name}: ${errorMessage(err)}`, undefined, { cause: err });
    }
  }
  return out;
}

export function renderText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}
