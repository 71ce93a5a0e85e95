import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { formatDuration } from '../../duration.ts';
import { OpsError, UserError } from '../../errors.ts';
import type { ActionContext, ActionDefinition, ActionResult } from '../action.ts';
import { inputFields } from './input-fields.ts';
import { terminateGroup } from './process-groups.ts';
import { createTailBuffer } from './tail-buffer.ts';

/**
 * `shell`: runs an argv array — never through a shell, so a parameter value such as
 * `v1; rm -rf /` reaches the program as one literal argument. The command runs as the leader of
 * its own process group (recorded, so a crashed opsbot's leftovers are killed on resume) with
 * only the base environment opsbot was given (PATH, HOME, LANG) plus the step's `env`: never
 * opsbot's own environment, which holds its tokens.
 *
 * `shell` is not idempotent: a step interrupted by a crash pauses the run for a person.
 * `shell.idempotent` runs the same way but declares the command safe to repeat (a build into a
 * fixed path, `kubectl apply`), so an interrupted attempt is simply run again. Both pass the
 * attempt's idempotency key to the command as OPSBOT_IDEMPOTENCY_KEY.
 */

export interface ShellDeps {
  /** The whole environment a command inherits before its step's `env`. */
  baseEnv: Readonly<Record<string, string>>;
  /** Between SIGTERM and SIGKILL when a step is cancelled or times out. */
  killGraceMs?: number;
  /** Kept of stdout and of stderr each (the tail). */
  outputCapBytes?: number;
  /**
   * The folder a step runs in when it names no `cwd`, and the one a relative `cwd` is resolved
   * against, so relative paths in a workflow land where the deployment (or a test) says. Default
   * `.`, which Node resolves against opsbot's own working directory.
   */
  workDir?: string;
}

export interface ShellInput {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  stdin?: string;
}

export interface ShellResult extends Record<string, unknown> {
  exitCode: number | null;
  /** Set when the process was ended by a signal. */
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const DEFAULT_KILL_GRACE_MS = 5_000;
const DEFAULT_OUTPUT_CAP = 1024 * 1024;
/** How long pipes may stay open after the group is gone (a process that left the group holds them). */
const PIPE_DRAIN_MS = 1_000;
const STDERR_LINES_IN_ERRORS = 10;
const STDERR_CHARS_IN_ERRORS = 1_500;
const ENV_NAME = { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, described: 'environment variable names (letters, digits, _)' };
const KEYS = ['argv', 'cwd', 'env', 'timeout', 'stdin'] as const;

export function createShellAction(deps: ShellDeps, options: { idempotent?: boolean } = {}): ActionDefinition<ShellInput> {
  const idempotent = options.idempotent ?? false;
  const name = idempotent ? 'shell.idempotent' : 'shell';
  return {
    name,
    summary: idempotent
      ? 'Run a command (argv, no shell) that is safe to repeat: retried after a crash'
      : 'Run a command (argv, no shell); after a crash mid-run, a person decides',
    idempotent,
    parse: (input) => parseShellInput(name, input),
    run: (input, ctx) => (ctx.dryRun ? Promise.resolve(dryRun(input)) : runCommand(deps, input, ctx)),
  };
}

export function parseShellInput(action: string, input: Record<string, unknown>): ShellInput {
  const fields = inputFields(action, input);
  fields.only(KEYS);
  const rawArgv = input.argv;
  if (!Array.isArray(rawArgv) || rawArgv.length === 0) fields.fail('argv', 'a list with the program first, like [make, deploy]', rawArgv);
  const argv = (rawArgv as unknown[]).map((arg, i) => {
    // Numbers are written out (a version 2 or a port); anything else has no single right spelling.
    const text = typeof arg === 'number' && Number.isFinite(arg) ? String(arg) : arg;
    if (typeof text !== 'string') return fields.fail(`argv[${i}]`, 'a string or a number', arg);
    if (text.includes('\0')) return fields.fail(`argv[${i}]`, 'text without NUL characters', arg);
    return text;
  });
  if (argv[0] === '') fields.fail('argv[0]', 'the program to run', '');
  const cwd = fields.optionalString('cwd');
  const env = fields.optionalStringMap('env', ENV_NAME);
  const timeoutMs = fields.optionalDuration('timeout');
  if (timeoutMs === 0) fields.fail('timeout', 'a duration above 0', input.timeout);
  const rawStdin = input.stdin ?? undefined;
  if (rawStdin !== undefined && typeof rawStdin !== 'string') fields.fail('stdin', 'a string', rawStdin);
  const stdin = rawStdin as string | undefined;
  return {
    argv,
    ...(cwd !== undefined ? { cwd } : {}),
    ...(env !== undefined ? { env } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(stdin !== undefined ? { stdin } : {}),
  };
}

/** argv as a JSON array, so a reader sees where each element starts and ends. */
export function showArgv(argv: readonly string[]): string {
  return JSON.stringify(argv);
}

function dryRun(input: ShellInput): ActionResult {
  const where = input.cwd ? ` in ${input.cwd}` : '';
  const env = input.env && Object.keys(input.env).length > 0 ? ` with env ${Object.keys(input.env).join(', ')}` : '';
  return { result: { dryRun: true, argv: input.argv }, log: `would run: ${showArgv(input.argv)}${where}${env}` };
}

async function runCommand(deps: ShellDeps, input: ShellInput, ctx: ActionContext): Promise<ActionResult> {
  ctx.signal.throwIfAborted();
  const [program = '', ...args] = input.argv;
  const cwd = path.resolve(deps.workDir ?? '.', input.cwd ?? '.');
  if (!isDirectory(cwd)) {
    const named = input.cwd === undefined ? 'the working folder' : `cwd ${JSON.stringify(input.cwd)}`;
    throw new UserError('shell_bad_cwd', `shell: ${named} (${cwd}) is not a directory.`);
  }
  const graceMs = deps.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const cap = deps.outputCapBytes ?? DEFAULT_OUTPUT_CAP;
  const stdout = createTailBuffer(cap);
  const stderr = createTailBuffer(cap);
  const started = ctx.clock.now();

  const child = spawn(program, args, {
    shell: false,
    // Its own session and process group (pgid = pid): the unit that is killed, and recorded.
    detached: true,
    cwd,
    env: { ...deps.baseEnv, ...input.env, OPSBOT_IDEMPOTENCY_KEY: ctx.idempotencyKey },
    stdio: [input.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

  try {
    await spawned;
  } catch (err) {
    throw new OpsError('shell_spawn_failed', `shell: could not start ${JSON.stringify(program)}: ${(err as Error).message}`, { cause: err });
  }
  const pid = child.pid as number;
  // Wall-clock time, not the domain clock: killOrphans compares it with the kernel's record.
  ctx.recordProcess?.(pid, { argv0: program, startedAt: Date.now() });
  ctx.log.debug({ pid, argv0: program }, 'shell step started');
  if (input.stdin !== undefined && child.stdin) {
    // A command that exits without reading its input closes the pipe: EPIPE is not our failure.
    child.stdin.on('error', () => {});
    child.stdin.end(input.stdin);
  }

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= terminateGroup(pid, graceMs));
  let timedOut = false;
  // The step's own `timeout` is a domain timer, so it runs by the clock; only the SIGTERM →
  // SIGKILL grace inside terminateGroup is real time (see process-groups.ts).
  const onAbort = () => void stop();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal.aborted) onAbort();
  const cancelTimeout =
    input.timeoutMs === undefined
      ? () => {}
      : ctx.clock.setTimer(() => {
          timedOut = true;
          void stop();
        }, input.timeoutMs);

  let outcome: { code: number | null; signal: NodeJS.Signals | null };
  try {
    outcome = await exited;
    cancelTimeout();
    // Whatever the command left running in its group would be an orphan once the step is over.
    await stop();
    await closedWithin(closed, PIPE_DRAIN_MS);
    child.stdout?.destroy();
    child.stderr?.destroy();
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    cancelTimeout();
  }

  const result: ShellResult = {
    exitCode: outcome.code,
    ...(outcome.signal ? { signal: outcome.signal } : {}),
    stdout: stdout.text(),
    stderr: stderr.text(),
    durationMs: ctx.clock.now() - started,
  };
  ctx.log.debug({ pid, exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs }, 'shell step ended');

  if (ctx.signal.aborted) throw abortReason(ctx.signal, input.argv);
  const shown = briefly(showArgv(input.argv));
  if (timedOut) {
    throw new OpsError('shell_timeout', `${shown} was stopped after ${formatDuration(input.timeoutMs ?? 0)}${stderrTail(result.stderr)}`);
  }
  if (outcome.code !== 0) {
    const how = outcome.code === null ? `was killed by ${outcome.signal ?? 'a signal'}` : `exited with code ${outcome.code}`;
    throw new OpsError('shell_failed', `${shown} ${how}${stderrTail(result.stderr)}`);
  }
  return { result, ...logText(result) };
}

function abortReason(signal: AbortSignal, argv: readonly string[]): Error {
  return signal.reason instanceof Error ? signal.reason : new OpsError('shell_cancelled', `${briefly(showArgv(argv))} was cancelled`);
}

/** Error messages name the command, but a script passed inline (`node -e …`) should not fill them. */
function briefly(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function stderrTail(stderr: string): string {
  const lines = stderr.trimEnd().split('\n').slice(-STDERR_LINES_IN_ERRORS).join('\n');
  if (lines === '') return '';
  const text = lines.length > STDERR_CHARS_IN_ERRORS ? `…${lines.slice(-STDERR_CHARS_IN_ERRORS)}` : lines;
  return `; stderr ends with:\n${text}`;
}

function logText(result: ShellResult): { log?: string } {
  const parts = [result.stdout.trimEnd(), result.stderr.trimEnd() ? `--- stderr ---\n${result.stderr.trimEnd()}` : ''].filter(Boolean);
  return parts.length > 0 ? { log: parts.join('\n') } : {};
}

async function closedWithin(closed: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
