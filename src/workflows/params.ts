import { z } from 'zod';
import { showValue } from '../config/fields.ts';
import type { Role } from '../roles.ts';
import type { ParamDefinition, WorkflowDefinition } from './definition.ts';

/**
 * A run's inputs, checked against the workflow's own `params:` before the run starts. Values
 * arrive as text typed in Slack (`version=v2.3.0 replicas=3 dry=true`), from a modal, or already
 * typed (a schedule's YAML, a webhook's JSON); they leave typed, with defaults filled in. Every
 * message names the param and what it expects, and quotes the refused value (redacted, shortened).
 */

export type ParamValue = string | number | boolean;
export type Params = Record<string, ParamValue>;

export type ParamCheck = { ok: true; value: ParamValue } | { ok: false; message: string };

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Longer text is refused before any pattern runs: a param is a name or a version, not a document. */
export const MAX_PARAM_CHARS = 1_000;

/** One value for `param` → its typed value, or what was expected (without the param's name). */
export function checkParamValue(param: ParamDefinition, input: unknown): ParamCheck {
  const typed = coerce(param.type, input);
  if (!typed.ok) return typed;
  const { value } = typed;
  if (typeof value === 'string' && value.length > MAX_PARAM_CHARS) {
    return { ok: false, message: `must be at most ${MAX_PARAM_CHARS} characters (got ${value.length})` };
  }
  if (param.enum !== undefined && !param.enum.some((choice) => choice === value)) {
    return { ok: false, message: `must be one of ${param.enum.join(', ')} (got ${showValue(input)})` };
  }
  if (param.pattern !== undefined && typeof value === 'string' && !fullMatch(param.pattern).test(value)) {
    return { ok: false, message: `must match ${param.pattern} (got ${showValue(input)})` };
  }
  return { ok: true, value };
}

/** The pattern as a regular expression that must match the whole value, not just a part of it. */
export function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function coerce(type: ParamDefinition['type'], input: unknown): ParamCheck {
  switch (type) {
    case 'string':
      if (typeof input === 'string') return { ok: true, value: input };
      if (typeof input === 'number' || typeof input === 'boolean') return { ok: true, value: String(input) };
      return { ok: false, message: `must be text (got ${showValue(input)})` };
    case 'number': {
      if (typeof input === 'number' && Number.isFinite(input)) return { ok: true, value: input };
      const text = typeof input === 'string' ? input.trim() : undefined;
      if (text !== undefined && NUMBER.test(text)) return { ok: true, value: Number(text) };
      return { ok: false, message: `must be a number (got ${showValue(input)})` };
    }
    case 'boolean': {
      if (typeof input === 'boolean') return { ok: true, value: input };
      const text = typeof input === 'string' ? input.trim().toLowerCase() : undefined;
      if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
      return { ok: false, message: `must be true or false (got ${showValue(input)})` };
    }
  }
}

/** An empty field in a modal, or `version=` in a command, is a value not given. */
function given(raw: Readonly<Record<string, unknown>>, name: string): boolean {
  return Object.hasOwn(raw, name) && raw[name] !== undefined && raw[name] !== '';
}

/**
 * The zod schema of a run's inputs: raw values by name → typed params with defaults. Unknown
 * names are refused (a typo must not silently fall back to a default). Each issue's path is the
 * param's name and its message starts with it: `version: must match ^v\d+$ (got "v1; rm -rf /")`.
 */
export function paramsSchema(def: Pick<WorkflowDefinition, 'name' | 'params'>): z.ZodType<Params, Record<string, unknown>> {
  const declared = Object.keys(def.params);
  // Not z.record: it copies entries into a fresh object, where a `__proto__` key would vanish
  // (or become its prototype) instead of being refused as the unknown param it is.
  return z.custom<Record<string, unknown>>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), {
    error: 'expected params as a mapping of names to values',
  }).transform((raw, ctx) => {
    const params: Params = {};
    for (const name of Object.keys(raw)) {
      if (Object.hasOwn(def.params, name)) continue;
      const takes = declared.length > 0 ? `${def.name} takes ${declared.join(', ')}` : `${def.name} takes no params`;
      ctx.issues.push({ code: 'custom', path: [name], input: raw[name], message: `${name}: unknown param; ${takes}` });
    }
    for (const [name, param] of Object.entries(def.params)) {
      if (!given(raw, name)) {
        if (param.default !== undefined) params[name] = param.default;
        else if (param.required) {
          ctx.issues.push({ code: 'custom', path: [name], input: undefined, message: `${name}: required${param.description ? ` (${param.description})` : ''}` });
        }
        continue;
      }
      const checked = checkParamValue(param, raw[name]);
      if (checked.ok) params[name] = checked.value;
      else ctx.issues.push({ code: 'custom', path: [name], input: raw[name], message: `${name}: ${checked.message}` });
    }
    return params;
  });
}

/** Required params with no default that `raw` leaves out, in declaration order (the modal asks for these). */
export function missingRequired(def: Pick<WorkflowDefinition, 'params'>, raw: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(def.params)
    .filter(([name, param]) => param.required && param.default === undefined && !given(raw, name))
    .map(([name]) => name);
}

/** The least role that may run `def` with these (parsed) params. */
export function roleToRun(def: Pick<WorkflowDefinition, 'run'>, params: Readonly<Record<string, unknown>>): Role {
  const { run } = def;
  if ('byParam' in run) {
    const value = params[run.byParam];
    const key = value === undefined ? undefined : String(value);
    if (key !== undefined && Object.hasOwn(run.values, key)) return run.values[key] as Role;
  }
  return run.role;
}
