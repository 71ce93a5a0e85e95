import { Cron } from 'croner';
import { z } from 'zod';
import { showValue } from '../config/fields.ts';
import type { Concurrency, Triggers } from './definition.ts';
import { expecting, fail, flag, mapping, matching, orEmpty, record } from './schema-kit.ts';
import { templatedText } from './template-schema.ts';

/** The schemas of when a workflow's runs start (triggers) and how many run at once (concurrency). */

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

export const concurrencySchema = mapping(
  {
    key: templatedText('a key template like ${{ params.service }}-${{ params.env }}').pipe(z.string().min(1, { error: 'expected a key template, got an empty string' })),
    mode: z.enum(['queue', 'refuse'], { error: expecting('queue or refuse') }).optional(),
  },
  'how many runs at a time',
).transform((raw): Concurrency => ({ key: raw.key, mode: raw.mode ?? 'queue' }));

const cronSchema = z.string({ error: expecting("a cron expression like '0 9 * * 1-5'") }).superRefine((pattern, ctx) => {
  let job: Cron | undefined;
  try {
    // Paused and without a function: croner only parses, nothing is scheduled.
    job = new Cron(pattern, { paused: true });
    if (job.nextRun() === null) fail(ctx, `expected a cron expression that fires, ${showValue(pattern)} never does`, pattern);
  } catch (err) {
    fail(ctx, `expected a cron expression like '0 9 * * 1-5', got ${showValue(pattern)} (${(err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '')})`, pattern);
  } finally {
    job?.stop();
  }
});

const timezoneSchema = z.string({ error: expecting('an IANA time zone like Europe/Berlin') }).superRefine((zone, ctx) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    fail(ctx, `expected an IANA time zone like Europe/Berlin, got ${showValue(zone)}`, zone);
  }
});

const scheduleSchema = mapping(
  {
    cron: cronSchema,
    timezone: timezoneSchema.optional(),
    params: orEmpty(
      record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: expecting('a text, number, true or false') }), 'a mapping of param names to values'),
    ).optional(),
  },
  'a schedule entry',
);

export const triggersSchema = orEmpty(
  mapping(
    {
      command: flag().optional(),
      schedule: z.array(scheduleSchema, { error: expecting('a list of schedule entries') }).optional(),
      webhook: mapping({ token_env: matching(ENV_NAME, 'the name of an environment variable like DEPLOY_WEBHOOK_TOKEN') }, 'a webhook trigger').optional(),
    },
    'the triggers',
  ),
).transform((raw): Triggers => {
  const triggers: Triggers = {
    command: raw.command ?? true,
    schedules: (raw.schedule ?? []).map((entry) => ({ cron: entry.cron, ...(entry.timezone !== undefined ? { timezone: entry.timezone } : {}), params: entry.params ?? {} })),
  };
  if (raw.webhook !== undefined) triggers.webhook = { tokenEnv: raw.webhook.token_env };
  return triggers;
});
