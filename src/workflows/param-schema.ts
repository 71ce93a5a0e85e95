import { z } from 'zod';
import { showValue } from '../config/fields.ts';
import type { ParamDefinition, RunRole } from './definition.ts';
import { checkParamValue, fullMatch } from './params.ts';
import { either, expecting, fail, flag, isMapping, mapping, matching, orEmpty, record, roleName, text } from './schema-kit.ts';

/** The schemas of a workflow's params and of its role (which may depend on one param's value). */

// Param and output names are read in CEL as `params.<name>`: a - would be a subtraction there.
const IDENTIFIER = /^[a-z][a-z0-9_]*$/;

const paramSchema = mapping(
  {
    type: z.enum(['string', 'number', 'boolean'], { error: expecting('string, number or boolean') }),
    description: text('a description').optional(),
    required: flag().optional(),
    default: z.union([z.string(), z.number(), z.boolean()], { error: expecting('a text, number, true or false') }).optional(),
    enum: z
      .array(z.union([z.string(), z.number()], { error: expecting('a text or a number') }), { error: expecting('a list of the allowed values') })
      .min(1, { error: 'expected at least one allowed value' })
      .optional(),
    pattern: z.string({ error: expecting('a regular expression') }).optional(),
  },
  'a param',
).transform((raw, ctx): ParamDefinition => {
  const param: ParamDefinition = { type: raw.type, required: raw.required ?? false };
  if (raw.description !== undefined) param.description = raw.description;
  if (raw.pattern !== undefined) {
    if (raw.type !== 'string') {
      fail(ctx, `a pattern applies to string params only (this one is a ${raw.type})`, raw.pattern, ['pattern']);
    } else {
      try {
        fullMatch(raw.pattern);
        param.pattern = raw.pattern;
      } catch (err) {
        fail(ctx, `expected a regular expression, got ${showValue(raw.pattern)} (${err instanceof Error ? err.message : String(err)})`, raw.pattern, ['pattern']);
      }
    }
  }
  if (raw.enum !== undefined) {
    if (raw.type === 'boolean') fail(ctx, 'a boolean param is true or false: it takes no enum', raw.enum, ['enum']);
    raw.enum.forEach((choice, i) => {
      if (raw.type !== 'boolean' && typeof choice !== raw.type) fail(ctx, `expected a ${raw.type} (the param's type), got ${showValue(choice)}`, choice, ['enum', i]);
    });
    param.enum = raw.enum;
  }
  if (raw.default !== undefined) {
    if (param.required) fail(ctx, 'a required param takes no default (it would never be used): drop one of them', raw.default, ['default']);
    const checked = checkParamValue(param, raw.default);
    if (checked.ok) param.default = checked.value;
    else fail(ctx, checked.message, raw.default, ['default']);
  }
  return param;
});

export const paramsSection = orEmpty(
  record(matching(IDENTIFIER, 'a param name of lowercase letters, digits and _, starting with a letter'), paramSchema, 'a mapping of param names to their definitions'),
);

export const runRole = either(
  (value) => !isMapping(value),
  roleName().transform((role): RunRole => ({ role })),
  mapping(
    {
      default: roleName(),
      by_param: matching(IDENTIFIER, 'the name of a param with an enum'),
      values: record(z.string(), roleName(), "a mapping of that param's values to roles"),
    },
    'a role, or a role per value of one param',
  ).transform((raw): RunRole => ({ role: raw.default, byParam: raw.by_param, values: raw.values })),
);
