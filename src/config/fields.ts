import { z } from 'zod';
import { DURATION_EXAMPLES, parseDuration } from '../duration.ts';
import { createRedactor } from '../redact.ts';
import { ROLES, type Role } from '../roles.ts';

/**
 * Field schemas shared by the environment and opsbot.yaml. Each carries its own message of the
 * form "expected …, got …" so the one line a person sees says what to write instead.
 */

// Built-in credential shapes only: a value echoed in an error must not leak a pasted token.
const scrub = createRedactor([]);

/** How a bad value is quoted back: redacted, shortened, and with its YAML type when not text. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') {
    const clean = scrub.redactString(value);
    return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 57)}...` : clean);
  }
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function invalid<T>(ctx: z.core.$RefinementCtx<T>, message: string, input: unknown): typeof z.NEVER {
  ctx.issues.push({ code: 'custom', message, input });
  return z.NEVER;
}

export const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
export const USER_ID = /^[UW][A-Z0-9]{2,}$/;

export function channelId() {
  return z.string({ error: (iss) => `expected a Slack channel ID like C0123456789, got ${showValue(iss.input)}` }).regex(CHANNEL_ID, {
    error: (iss) => `expected a Slack channel ID like C0123456789 (not a #name), got ${showValue(iss.input)}`,
  });
}

/** A duration in milliseconds, written like `example` (its default, so the message shows it). */
export function duration(example: string, options: { allowZero?: boolean } = {}) {
  const expected = `expected a duration like ${example} (${DURATION_EXAMPLES})`;
  return z.string({ error: (iss) => `${expected}, got ${showValue(iss.input)}` }).transform((text, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch {
      return invalid(ctx, `${expected}, got ${showValue(text)}`, text);
    }
    if (ms === 0 && options.allowZero !== true) return invalid(ctx, `expected a duration above zero like ${example}, got ${showValue(text)}`, text);
    return ms;
  });
}

export function role() {
  return z.enum(ROLES, { error: (iss) => `expected one of ${ROLES.join(', ')}, got ${showValue(iss.input)}` });
}

/** A role, or `none` (nothing at all until granted) which reads as null. */
export function roleOrNone() {
  const choices = [...ROLES, 'none'] as const;
  return z
    .enum(choices, { error: (iss) => `expected one of ${choices.join(', ')}, got ${showValue(iss.input)}` })
    .transform((value): Role | null => (value === 'none' ? null : value));
}

/**
 * A strict mapping: unknown keys are errors (typos must not be silently ignored), and an empty
 * section (`channels:` with every child commented out, which YAML reads as null) means defaults.
 */
export function section<Shape extends z.ZodRawShape>(shape: Shape) {
  const keys = Object.keys(shape).join(', ');
  return z.preprocess(
    (value) => value ?? {},
    z.strictObject(shape, {
      error: (iss) => (iss.code === 'unrecognized_keys' ? `expected one of: ${keys}` : `expected a mapping with keys ${keys}, got ${showValue(iss.input)}`),
    }),
  );
}

/** Comma- or space-separated Slack IDs matching `pattern`; the message names the first bad one. */
export function idList(pattern: RegExp, what: string, example: string) {
  return z.string().transform((text, ctx) => {
    const ids = text.split(/[\s,]+/).filter((id) => id !== '');
    const bad = ids.find((id) => !pattern.test(id));
    if (bad !== undefined) return invalid(ctx, `expected ${what} like ${example}, separated by commas, got ${showValue(bad)}`, text);
    return [...new Set(ids)];
  });
}

export function integer(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= min && n <= max)) return invalid(ctx, `expected an integer from ${min} to ${max}, got ${showValue(text)}`, text);
    return n;
  });
}

/** An http(s) URL; `trailingSlash` normalises the form the client library expects. */
export function httpUrl(trailingSlash: 'add' | 'remove' | 'keep' = 'keep') {
  return z.url({ protocol: /^https?$/, error: (iss) => `expected an http(s) URL, got ${showValue(iss.input)}` }).transform((url) => {
    if (trailingSlash === 'add') return url.endsWith('/') ? url : `${url}/`;
    if (trailingSlash === 'remove') return url.replace(/\/+$/, '');
    return url;
  });
}
