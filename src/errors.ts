import type { Role } from './roles.ts';

/**
 * Coded errors. One boundary (commands/dispatch.ts for Slack, main.ts for the CLI) turns them
 * into a reply and a log line; nothing else formats errors for people.
 */
export class OpsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Safe to show in Slack as it is: it names what was wrong and what to do instead. */
export class UserError extends OpsError {
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.hint = hint;
  }
}

export class PermissionDeniedError extends UserError {
  readonly needed: Role;
  constructor(needed: Role, what: string, commandPrefix = '/ops') {
    super('permission_denied', `You need the *${needed}* role to ${what}.`, `Ask an admin: \`${commandPrefix} role grant @you ${needed}\`.`);
    this.needed = needed;
  }
}

/** A start-up problem: the message is one line naming the variable or file:line. */
export class ConfigError extends OpsError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
