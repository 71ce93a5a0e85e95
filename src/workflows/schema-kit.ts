import { z } from 'zod';
import { showValue } from '../config/fields.ts';
import { ROLES } from '../roles.ts';

/**
 * The zod building blocks of the workflow schemas: strict mappings, messages naming what was
 * expected, and name-checked records. Shared by definition-schema.ts and the schemas it assembles.
 */

export type Ctx = z.core.$RefinementCtx;

export function fail(ctx: Ctx, message: string, input: unknown, path: PropertyKey[] = [], at: 'key' | 'value' = 'value'): void {
  ctx.issues.push({ code: 'custom', message, input, path, ...(at === 'key' ? { params: { at } } : {}) });
}

/** "required: …" for a missing key, "expected …, got …" for a wrong value. */
export function expecting(what: string) {
  return (iss: { input?: unknown }) => (iss.input === undefined ? `required: ${what}` : `expected ${what}, got ${showValue(iss.input)}`);
}

export function text(what: string) {
  return z.string({ error: expecting(what) }).min(1, { error: expecting(what) });
}

export function matching(pattern: RegExp, what: string) {
  return z.string({ error: expecting(what) }).regex(pattern, { error: expecting(what) });
}

export function flag() {
  return z.boolean({ error: expecting('true or false') });
}

export function wholeNumber(min: number, max: number) {
  const error = expecting(`a whole number from ${min} to ${max}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export function roleName() {
  return z.enum(ROLES, { error: expecting(`one of ${ROLES.join(', ')}`) });
}

/** A strict mapping; its messages list the keys it takes. */
export function mapping<Shape extends z.ZodRawShape>(shape: Shape, what: string) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `expected one of: ${keys}` : expecting(`${what} (a mapping with keys ${keys})`)(iss)),
  });
}

/** A mapping whose every entry may be commented out: `params:` alone (null) reads as none. */
export function orEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => value ?? {}, schema);
}

/** Two shapes for one key (`retries: 2` or a mapping): the value's shape picks the schema, so messages fit what was written. */
export function either<A extends z.ZodType, B extends z.ZodType>(isFirst: (value: unknown) => boolean, first: A, second: B) {
  return z.unknown().transform((value, ctx): z.output<A> | z.output<B> => {
    const result = (isFirst(value) ? first : second).safeParse(value);
    if (result.success) return result.data as z.output<A> | z.output<B>;
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: value } as z.core.$ZodRawIssue);
    return z.NEVER;
  });
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// As names they would reach or shadow Object.prototype (and z.record silently drops `__proto__`).
export const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

export function reservedName(name: string): string {
  return `${showValue(name)} is reserved: pick another name`;
}

/** A mapping of names to values (params, outputs, action inputs…): each name and each value checked, every name kept. */
export function record<V extends z.ZodType>(name: z.ZodType<string>, value: V, what: string) {
  return z.unknown().transform((input, ctx): Record<string, z.output<V>> => {
    if (!isMapping(input)) {
      fail(ctx, expecting(what)({ input }), input);
      return z.NEVER;
    }
    const out: Record<string, z.output<V>> = {};
    for (const [key, item] of Object.entries(input)) {
      if (RESERVED_NAMES.has(key)) {
        fail(ctx, reservedName(key), key, [key], 'key');
        continue;
      }
      const checkedName = name.safeParse(key);
      if (!checkedName.success) {
        for (const issue of checkedName.error.issues) fail(ctx, issue.message, key, [key], 'key');
        continue;
      }
      const checked = value.safeParse(item);
      if (checked.success) out[key] = checked.data as z.output<V>;
      else for (const issue of checked.error.issues) ctx.issues.push({ ...issue, path: [key, ...issue.path], input: item } as z.core.$ZodRawIssue);
    }
    return out;
  });
}
