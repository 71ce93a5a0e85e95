import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Role } from '../roles.ts';
import type { Replier } from '../slack/chat-port.ts';

/** Where a request came from. All go through the same parser and registry. */
export type InvocationSource = 'slash' | 'mention' | 'button';

export interface Invocation {
  source: InvocationSource;
  /** The command text after `/ops` or after the bot mention, Slack markup left in. */
  text: string;
  userId: string;
  teamId?: string;
  channelId: string;
  /** The thread the request belongs to (mentions inside threads, buttons on thread messages). */
  threadTs?: string;
  responseUrl?: string;
  triggerId?: string;
  /**
   * Slack's own id of the request (trigger_id, or event_id for events): the same when a request is
   * replayed after a crash, so a command that creates something (a workflow run) does it once.
   */
  requestId?: string;
}

export interface Caller {
  id: string;
  /** null: a guest or a user of another workspace who was never granted a role. */
  role: Role | null;
}

/**
 * A command is data: help, parsing, validation and permission checks all come from this one
 * definition. `args` is a zod object over named arguments; `positional` maps positional words
 * to those names in order, and `rest` collects the remaining words into one string.
 */
export interface CommandDefinition<Args extends z.ZodType = z.ZodType, Deps = unknown> {
  /** One or more words, e.g. `help` or `incident declare`. */
  name: string;
  summary: string;
  examples?: string[];
  args: Args;
  positional?: string[];
  rest?: string;
  /**
   * Named arguments the schema does not declare are collected into this key as a
   * `Record<string, string>` instead of being refused: `workflow run deploy version=v2 env=prod`,
   * whose keys are the workflow's own params. Declared keys still bind as usual.
   */
  extraNamed?: string;
  /** Minimum role to run it; help lists a command only to callers who have it. */
  role: Role;
  run(ctx: CommandContext<Deps>, args: z.infer<Args>): Promise<void>;
}

export interface CommandContext<Deps = unknown> {
  invocation: Invocation;
  caller: Caller;
  reply: Replier;
  log: Logger;
  clock: Clock;
  deps: Deps;
  /**
   * The slash command as configured (`OPS_COMMAND`, e.g. `/ops`), for usage lines and hints.
   * Always set by the dispatcher; optional so contexts built elsewhere still type-check.
   */
  commandPrefix?: string;
}

/** Keeps the args type tied to the schema when a command is declared. */
export function defineCommand<Args extends z.ZodType, Deps>(def: CommandDefinition<Args, Deps>): CommandDefinition<Args, Deps> {
  return def;
}
