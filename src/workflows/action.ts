import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';

/**
 * The action catalog's contract. An action is the only thing that changes the world; the
 * engine hands it evaluated inputs and an idempotency key, and records what it returns.
 */
export interface ActionContext {
  /** `<runId>:<stepPath>:<attempt>` — the same key when an interrupted attempt is retried after a crash. */
  idempotencyKey: string;
  runId: string;
  stepPath: string;
  attempt: number;
  /** Aborted on cancel and on the step's timeout. */
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  dryRun: boolean;
  /**
   * Evaluates a `${{ }}` template against the run's current scope (wait-until polls with it).
   * `extraScope` adds names for this one evaluation (wait-until's `probe`), laid over the run's
   * scope.
   */
  evaluate(template: string, extraScope?: Record<string, unknown>): unknown;
  /**
   * Called by long-running actions so the engine can kill leftovers after a crash (shell: pgid).
   * `info` is what process-groups.ts `killOrphans` needs to tell the process from a later one
   * that reused the pid; the engine stores it with the pid.
   */
  recordProcess?(pid: number, info?: { argv0: string; startedAt: number }): void;
  /** Progress lines shown in the run's thread (coalesced). */
  progress?(line: string): void;
}

export interface ActionResult {
  /** Available to `outputs:` templates as `result`. */
  result: Record<string, unknown>;
  /** Long text (stdout, response bodies) the engine posts to the run's thread (as a file when long). */
  log?: string;
}

export interface ActionDefinition<Input = Record<string, unknown>> {
  name: string;
  summary: string;
  /**
   * true: running it twice with the same idempotency key has the effect of running it once, so
   * an attempt interrupted by a crash is simply retried. false: the run pauses for a person.
   */
  idempotent: boolean;
  /**
   * `with:` keys the engine passes as written, without evaluating their `${{ }}` templates,
   * because the action evaluates them itself (wait-until's `condition`, polled with
   * `ctx.evaluate`). Absent: every key is evaluated.
   */
  rawInputs?: readonly string[];
  /** Validates and coerces the evaluated `with:`; throws a UserError naming the bad field. */
  parse(input: Record<string, unknown>): Input;
  run(input: Input, ctx: ActionContext): Promise<ActionResult>;
}

export type ActionCatalog = ReadonlyMap<string, ActionDefinition<never>>;
