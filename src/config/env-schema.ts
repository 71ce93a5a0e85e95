import { z } from 'zod';
import { CHANNEL_ID, duration, httpUrl, idList, integer, showValue, USER_ID } from './fields.ts';

/** DESIGN §3's environment table, plus what later issues read (Prometheus, PagerDuty). */

export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables whose values are credentials: never echoed in errors, always redacted in logs. */
export const SECRET_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'ANTHROPIC_API_KEY',
  'GITHUB_TOKEN',
  'GITHUB_WEBHOOK_SECRET',
  'ALERTMANAGER_WEBHOOK_TOKEN',
  'PAGERDUTY_ROUTING_KEY',
] as const;

/** Presence only: the shape of these is the issuer's business, and the value is never echoed. */
const secret = () => z.string().optional();

function slackToken(prefix: string, what: string, otherPrefix: string, otherVariable: string) {
  return z
    .string()
    .refine((value) => value.startsWith(prefix), {
      error: (iss) => {
        const value = String(iss.input);
        // The two Slack tokens are easy to swap when pasting; say so rather than just "wrong".
        const hint = value.startsWith(otherPrefix) ? ` (this one starts with ${otherPrefix}: it belongs in ${otherVariable})` : '';
        return `expected ${what} starting with ${prefix}${hint}`;
      },
    })
    .optional();
}

export const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  OPSBOT_CONFIG: z.string().optional(),

  SLACK_BOT_TOKEN: slackToken('xoxb-', 'a bot token', 'xapp-', 'SLACK_APP_TOKEN'),
  SLACK_SIGNING_SECRET: secret(),
  SLACK_APP_TOKEN: slackToken('xapp-', 'an app-level token', 'xoxb-', 'SLACK_BOT_TOKEN'),
  // The Web API client joins method names onto this base, so it must end in a slash.
  SLACK_API_URL: httpUrl('add').prefault('https://slack.com/api/'),
  OPS_COMMAND: z
    .string()
    .regex(/^\/[a-z0-9][a-z0-9_-]{0,30}$/, {
      error: (iss) => `expected a slash command like /ops (a leading /, then lowercase letters, digits, - or _), got ${showValue(iss.input)}`,
    })
    .default('/ops'),

  PORT: integer(1, 65535).prefault('3000'),
  HOST: z
    .string()
    .regex(/^\S+$/, { error: (iss) => `expected an address to listen on like 0.0.0.0 or 127.0.0.1, got ${showValue(iss.input)}` })
    .default('0.0.0.0'),
  DATABASE_PATH: z.string().default('./data/opsbot.db'),

  ALERT_CHANNELS: idList(CHANNEL_ID, 'Slack channel IDs', 'C0123456789').prefault(''),
  // Defaults as Alertmanager's group_wait / group_interval / repeat_interval.
  ALERT_GROUP_WAIT: duration('30s', { allowZero: true }).prefault('30s'),
  ALERT_GROUP_INTERVAL: duration('5m').prefault('5m'),
  ALERT_REPEAT_INTERVAL: duration('4h').prefault('4h'),
  MAX_TRIAGE_ITERATIONS: integer(1, 10).prefault('3'),
  OPS_ADMINS: idList(USER_ID, 'Slack user IDs', 'U0123456789').prefault(''),

  ANTHROPIC_API_KEY: secret(),
  ANTHROPIC_BASE_URL: httpUrl('remove').optional(),
  ANTHROPIC_MODEL: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, { error: (iss) => `expected a model id like ${DEFAULT_ANTHROPIC_MODEL}, got ${showValue(iss.input)}` })
    .default(DEFAULT_ANTHROPIC_MODEL),

  GITHUB_TOKEN: secret(),
  GITHUB_API_URL: httpUrl('remove').prefault('https://api.github.com'),
  GITHUB_WEBHOOK_SECRET: secret(),

  KUBECONFIG: z.string().optional(),
  // Set by Kubernetes in every pod: in-cluster config is used when KUBECONFIG is not.
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  ALERTMANAGER_WEBHOOK_TOKEN: secret(),
  PROMETHEUS_URL: httpUrl('remove').optional(),
  PAGERDUTY_ROUTING_KEY: secret(),
  // Where PagerDuty events go; tests point it at a loopback fake of the Events API v2.
  PAGERDUTY_EVENTS_URL: httpUrl('keep').prefault('https://events.pagerduty.com/v2/enqueue'),

  DRY_RUN: z
    .stringbool({
      truthy: ['1', 'true', 'yes'],
      falsy: ['0', 'false', 'no'],
      case: 'insensitive',
      error: (iss) => `expected one of 1, 0, true, false, yes, no, got ${showValue(iss.input)}`,
    })
    .default(false),
  LOG_LEVEL: z
    .string()
    .transform((level) => level.toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: (iss) => `expected one of ${LOG_LEVELS.join(', ')}, got ${showValue(iss.input)}` }))
    .default('info'),
});

export type Env = z.output<typeof envSchema>;

export const ENV_VARIABLES = Object.keys(envSchema.shape) as Array<keyof typeof envSchema.shape>;

/**
 * Only the variables opsbot reads, trimmed, with empty meaning unset: `FOO=` in a .env file or
 * a compose file is how people "turn something off".
 */
export function pickEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of ENV_VARIABLES) {
    const value = env[name]?.trim();
    out[name] = value === '' ? undefined : value;
  }
  return out;
}
