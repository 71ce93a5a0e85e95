import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { PermissionDeniedError, UserError } from '../errors.ts';
import { roleAtLeast } from '../roles.ts';
import type { MessageContent, Replier } from '../slack/chat-port.ts';
import type { NewAuditEntry, Store } from '../store/types.ts';
import { bindArgs } from './bind-args.ts';
import type { Caller, CommandContext, Invocation } from './command.ts';
import type { AnyCommand } from './command-types.ts';
import { didYouMean } from './did-you-mean.ts';
import { parseArgs, tokenize, type Token } from './parser.ts';
import type { Registry } from './registry.ts';

/** `intent`: a mention that was no command went to the intent agent (freeText). */
export type DispatchOutcome = 'ok' | 'error' | 'denied' | 'invalid' | 'unknown' | 'intent';

export interface DispatcherOptions<Deps> {
  registry: Registry;
  store: Store;
  clock: Clock;
  /** `OPS_COMMAND`, e.g. `/ops`, for usage lines and hints. */
  commandPrefix: string;
  /** Handed to every command as `ctx.deps`; must satisfy every registered command's deps. */
  deps: Deps;
  /**
   * Writes a request's outcome row. Default: at once. The app groups it with the inbox entry's
   * completion (store/group-commit.ts), so both commit together after the reply went out.
   */
  recordOutcome?: (entry: NewAuditEntry) => void | Promise<void>;
  /**
   * A mention that does not start with a command: free text for the intent agent, answered in
   * the thread. Slash commands and buttons keep the "did you mean" reply.
   */
  freeText?: (request: { invocation: Invocation; caller: Caller; reply: Replier; log: Logger }) => Promise<void>;
  /** Applied to free text before it is stored in the audit log (people paste tokens). Default: none. */
  redact?: (text: string) => string;
}

export interface DispatchResult {
  outcome: DispatchOutcome;
  /** The matched command's name; null when nothing matched (or a caller with no role named nothing). */
  command: string | null;
}

export interface Dispatcher {
  dispatch(invocation: Invocation, caller: Caller, reply: Replier, log: Logger): Promise<DispatchResult>;
}

export const NO_ACCESS = "You don't have access to opsbot yet; ask an admin to grant you a role.";

/**
 * The error boundary for commands (errors.ts): the only place that turns errors into replies.
 * Every request ends in exactly one `command` audit row whose outcome is the returned value.
 * Commands throw UserError (shown as it is, with its hint) and never format errors themselves;
 * anything else is logged with a short reference and the caller gets a safe message.
 * Replies here are private: a mistake or a denial is nobody else's business.
 */
export function createDispatcher<Deps>(options: DispatcherOptions<Deps>): Dispatcher {
  const { registry, store, clock, commandPrefix, deps } = options;
  const recordOutcome = options.recordOutcome ?? ((entry: NewAuditEntry) => void store.audit.append(entry));
  const redact = (text: string | null | undefined) => (text == null ? null : options.redact ? options.redact(text) : text);

  return {
    async dispatch(invocation, caller, reply, log) {
      const record = (outcome: DispatchOutcome, fields: { command?: string | null; args?: string | null; detail?: string | null }) => {
        const entry: NewAuditEntry = {
          at: clock.now(),
          actor: caller.id,
          channel: invocation.channelId,
          action: 'command',
          command: fields.command ?? null,
          // What people typed may hold a pasted token: arguments and details are stored redacted.
          args: redact(fields.args),
          outcome,
          detail: redact(fields.detail),
        };
        // The reply still goes out; a broken audit log must be loud, not a crash of the worker.
        const failed = (err: unknown) => log.error({ err }, 'audit write failed');
        try {
          void Promise.resolve(recordOutcome(entry)).catch(failed);
        } catch (err) {
          failed(err);
        }
      };
      const tell = async (message: MessageContent | string) => {
        try {
          await reply.private(message);
        } catch (err) {
          log.error({ err }, 'reply failed');
        }
      };

      let command: AnyCommand | undefined;
      const done = (outcome: DispatchOutcome): DispatchResult => ({ outcome, command: command?.name ?? null });

      if (caller.role === null) {
        command = peekCommand(registry, invocation.text);
        record('denied', { command: command?.name ?? null, detail: 'no_role' });
        await tell(NO_ACCESS);
        return done('denied');
      }

      let argsJson: string | null = null;
      let running = false;
      try {
        const tokens = tokenize(invocation.text);
        const found = registry.match(tokens.length > 0 ? tokens : [{ text: 'help', quoted: false }]);
        if (found.kind === 'unknown' && invocation.source === 'mention' && options.freeText) {
          await options.freeText({ invocation, caller, reply, log });
          record('intent', { detail: invocation.text.slice(0, 500) });
          return done('intent');
        }
        if (found.kind === 'unknown') {
          record('unknown', { detail: found.input });
          const suggestion = didYouMean(found.suggestions);
          await tell(`I don't know \`${found.input}\`.${suggestion ? ` ${suggestion}` : ''} Type \`${commandPrefix} help\` for the list.`);
          return done('unknown');
        }
        command = found.command;

        if (!roleAtLeast(caller.role, command.role)) {
          const denied = new PermissionDeniedError(command.role, `run \`${command.name}\``, commandPrefix);
          record('denied', { command: command.name, args: bestEffortArgs(command, found.rest, commandPrefix), detail: denied.code });
          await tell(userText(denied));
          return done('denied');
        }

        const args = bindArgs(command, parseArgs(found.rest), commandPrefix);
        argsJson = toJson(args);
        const ctx: CommandContext<Deps> = {
          invocation,
          caller,
          reply,
          log: log.child({ command: command.name }),
          clock,
          deps,
          commandPrefix,
        };
        running = true;
        await command.run(ctx, args);
        record('ok', { command: command.name, args: argsJson });
        return done('ok');
      } catch (err) {
        const name = command?.name ?? null;
        if (err instanceof PermissionDeniedError) {
          record('denied', { command: name, args: argsJson, detail: err.code });
          await tell(userText(err));
          return done('denied');
        }
        if (err instanceof UserError) {
          // Before the command ran it is the request that was wrong; after, the command refused.
          const outcome = running ? 'error' : 'invalid';
          record(outcome, { command: name, args: argsJson, detail: err.code });
          await tell(userText(err));
          return done(outcome);
        }
        const ref = randomUUID().slice(0, 8);
        log.error({ err, ref, command: name }, 'command failed');
        record('error', { command: name, args: argsJson, detail: `internal error, ref ${ref}` });
        await tell(`Something went wrong${name ? ` running \`${name}\`` : ''} (ref ${ref}); it's in the logs.`);
        return done('error');
      }
    },
  };
}

function userText(err: UserError): string {
  return err.hint ? `${err.message}\n${err.hint}` : err.message;
}

/** The command a request names, if it parses; for the audit row of a caller with no role. */
function peekCommand(registry: Registry, text: string): AnyCommand | undefined {
  try {
    const found = registry.match(tokenize(text));
    return found.kind === 'command' ? found.command : undefined;
  } catch {
    return undefined;
  }
}

/** What a denied caller tried: bound when the words bind, else as parsed. */
function bestEffortArgs(command: AnyCommand, rest: readonly Token[], commandPrefix: string): string | null {
  try {
    const parsed = parseArgs(rest);
    try {
      return toJson(bindArgs(command, parsed, commandPrefix));
    } catch {
      return toJson(parsed);
    }
  } catch {
    return toJson({ words: rest.map((t) => t.text) });
  }
}

function toJson(value: unknown): string | null {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? null;
  } catch {
    return null;
  }
}
