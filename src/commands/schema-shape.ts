import { z } from 'zod';

/**
 * Reads a command's argument schema for usage lines and binding. Commands declare `args` as a
 * zod object, possibly refined or transformed (a pipe whose input is the object).
 */
export function argShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, z.ZodType>;
  if (schema instanceof z.ZodPipe) return argShape(schema.in as z.ZodType);
  return undefined;
}

/** Optional or defaulted: the user may leave it out. */
export function isOptionalArg(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

/** The schema under `.optional()`, `.default()`, `.nullable()`, `.prefault()`. */
export function unwrapArg(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable || current instanceof z.ZodPrefault) {
      current = current.unwrap() as z.ZodType;
    } else {
      return current;
    }
  }
}

/** The values of an enum argument, for usage lines and error messages. */
export function enumValues(schema: z.ZodType): string[] | undefined {
  const inner = unwrapArg(schema);
  if (inner instanceof z.ZodEnum) return inner.options.map(String);
  return undefined;
}
