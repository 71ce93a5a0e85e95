import { z } from 'zod';
import { ROLES } from '../roles.ts';
import { DURATION_EXAMPLES, parseDuration } from '../duration.ts';

/**
 * Reusable argument schemas. Every value arrives as a string from the parser.
 *
 * Convention for error messages (also for commands' own schemas): a custom message completes
 * the sentence "`arg` must be …", starting lower case — e.g. `{ error: 'a user: mention them
 * like @alice' }` reads "`user` must be a user: mention them like @alice (got `bob`)".
 * bind-args.ts relies on it: lower-case messages are ours, capitalised ones are zod's defaults
 * and get reworded per issue code.
 */

/** `U…` members and `W…` Enterprise Grid users; the parser has already turned `<@U1|alice>` into `U1`. */
export const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, { error: 'a user: mention them like @alice' });

/** Public (`C`), private (`G`) and direct (`D`) conversations. */
export const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, { error: 'a channel: mention it like #general' });

export const usergroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, { error: 'a user group: mention it like @oncall' });

/** Enum errors are worded by bind-args as "must be one of viewer, responder, …". */
export const role = z.enum(ROLES);

export const positiveInt = z.coerce
  .number({ error: 'a whole number above 0' })
  .int({ error: 'a whole number above 0' })
  .positive({ error: 'a whole number above 0' });

const TRUE = new Set(['true', 'yes', 'on', '1', 'y']);
const FALSE = new Set(['false', 'no', 'off', '0', 'n']);

/** `yes/no`, `on/off`, `true/false`, `1/0`; `--flag` arrives as `true`. */
export const bool = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => TRUE.has(v) || FALSE.has(v), { error: 'yes or no' })
  .transform((v) => TRUE.has(v));

/** `30s`, `5m`, `1h30m` … → milliseconds (duration.ts is the one reader of durations). */
export const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch {
    ctx.issues.push({ code: 'custom', message: `a duration like ${DURATION_EXAMPLES}`, input: text });
    return z.NEVER;
  }
});
