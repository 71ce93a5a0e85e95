import { DURATION_EXAMPLES, parseDuration } from '../../duration.ts';
import { UserError } from '../../errors.ts';

/**
 * Readers for an action's evaluated `with:` map. Every refusal is a UserError that names the
 * action and the field (`shell: with.argv[2] must be …, got …`), so a workflow author sees
 * which line to fix; unknown keys are refused too, because a misspelt `timout` silently
 * ignored is worse than a failed step.
 */

export interface InputFields {
  /** `with.<path>` as messages show it. */
  at(field: string): string;
  fail(field: string, expected: string, got: unknown): never;
  /** Refuses keys other than `known`. */
  only(known: readonly string[]): void;
  string(field: string): string;
  optionalString(field: string): string | undefined;
  optionalBoolean(field: string): boolean | undefined;
  /** A duration string (`30s`, `5m`) or milliseconds. */
  optionalDuration(field: string): number | undefined;
  /** A map of strings; numbers and booleans are written out, anything else refused. */
  optionalStringMap(field: string, keyPattern?: { pattern: RegExp; described: string }): Record<string, string> | undefined;
  optionalMap(field: string): Record<string, unknown> | undefined;
}

export function inputFields(action: string, input: Record<string, unknown>, prefix = 'with'): InputFields {
  const at = (field: string) => `${prefix}.${field}`;
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new UserError('invalid_action_input', `${action}: \`${at(field)}\` must be ${expected}, got ${describe(got)}.`);
  };
  const present = (field: string) => input[field] !== undefined && input[field] !== null;

  const fields: InputFields = {
    at,
    fail,
    only(known) {
      const unknown = Object.keys(input).filter((k) => !known.includes(k));
      if (unknown.length > 0) {
        throw new UserError(
          'invalid_action_input',
          `${action}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => `\`${at(k)}\``).join(', ')}.`,
          `\`${action}\` takes ${known.map((k) => `\`${k}\``).join(', ')}.`,
        );
      }
    },
    string(field) {
      const value = input[field];
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value !== 'string' || value === '') return fail(field, 'a non-empty string', value);
      return value;
    },
    optionalString(field) {
      return present(field) ? fields.string(field) : undefined;
    },
    optionalBoolean(field) {
      if (!present(field)) return undefined;
      const value = input[field];
      return typeof value === 'boolean' ? value : fail(field, 'true or false', value);
    },
    optionalDuration(field) {
      if (!present(field)) return undefined;
      const value = input[field];
      if (typeof value === 'number') {
        return Number.isSafeInteger(value) && value >= 0 ? value : fail(field, `a duration like ${DURATION_EXAMPLES}, or milliseconds`, value);
      }
      if (typeof value === 'string') {
        try {
          return parseDuration(value);
        } catch {
          return fail(field, `a duration like ${DURATION_EXAMPLES}`, value);
        }
      }
      return fail(field, `a duration like ${DURATION_EXAMPLES}`, value);
    },
    optionalStringMap(field, keyPattern) {
      const map = fields.optionalMap(field);
      if (!map) return undefined;
      const out: Record<string, string> = {};
      for (const [key, value] of Object.entries(map)) {
        if (keyPattern && !keyPattern.pattern.test(key)) fail(`${field}`, `a map whose keys are ${keyPattern.described}`, key);
        if (typeof value === 'string') out[key] = value;
        else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') out[key] = String(value);
        else fail(`${field}.${key}`, 'a string', value);
      }
      return out;
    },
    optionalMap(field) {
      if (!present(field)) return undefined;
      const value = input[field];
      return isPlainMap(value) ? value : fail(field, 'a map', value);
    },
  };
  return fields;
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message shows it: short, and telling its kind. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
    return value === '' ? 'an empty string' : JSON.stringify(shown);
  }
  return String(value);
}
