import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpsError, UserError } from '../../../src/errors.ts';
import { listGroupMembers, readProcess } from '../../../src/workflows/actions/process-groups.ts';
import { type ShellInput, createShellAction } from '../../../src/workflows/actions/shell.ts';
import { actionContext, eventually } from './action-context.ts';

const NODE = process.execPath;
const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const shell = createShellAction({ baseEnv, killGraceMs: 200 });
const run = (input: Record<string, unknown>, ctx = actionContext()) => shell.run(shell.parse(input), ctx);
const printArgs = [NODE, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))'];

const isRunning = (pid: number) => {
  const info = readProcess(pid);
  return !!info && info.state !== 'Z';
};

let tempDir: string | undefined;
const temp = () => (tempDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-shell-')));
afterEach(() => {
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
});

/** Starts a command whose group has `members` processes, and returns their pids. */
async function startGroup(input: Record<string, unknown>, members: number, ctx = actionContext()) {
  const running = run(input, ctx);
  running.catch(() => {});
  const leader = await eventually(() => ctx.recorded[0]?.pid, 'the process to be recorded');
  const pids = await eventually(() => {
    const found = listGroupMembers(leader).map((p) => p.pid);
    return found.length === members && found;
  }, `${members} processes in the group`);
  return { running, ctx, leader, pids };
}

describe('shell runs an argv array without a shell', () => {
  it('passes `v1; rm -rf /` to the program as one argument, and nothing is expanded', async () => {
    const args = ['v1; rm -rf /', '$HOME', '*', '`id`', '$(whoami)', 'a b'];
    const { result } = await run({ argv: [...printArgs, ...args] });
    expect(JSON.parse(result.stdout as string)).toEqual(args);
    expect(result.exitCode).toBe(0);
  });

  it('writes numbers in argv out as text and refuses anything else, naming the element', () => {
    expect(shell.parse({ argv: ['echo', 2, 1.5] }).argv).toEqual(['echo', '2', '1.5']);
    expect(() => shell.parse({ argv: ['echo', true] })).toThrow(/`with\.argv\[1\]` must be a string or a number, got true/);
    expect(() => shell.parse({ argv: ['echo', { a: 1 }] })).toThrow(UserError);
    expect(() => shell.parse({ argv: [] })).toThrow(/`with\.argv` must be a list with the program first/);
    expect(() => shell.parse({ argv: 'make deploy' })).toThrow(/`with\.argv` must be a list/);
  });

  it('refuses a key it does not know, so a misspelling is not silently ignored', () => {
    expect(() => shell.parse({ argv: ['true'], timout: '5s' })).toThrow(/unknown key `with\.timout`/);
  });

  it('gives the command only the base environment and the step env, never opsbot’s own', async () => {
    process.env.OPSBOT_TEST_SECRET = 'hunter2';
    try {
      const { result } = await run({
        argv: [NODE, '-e', 'console.log(JSON.stringify(process.env))'],
        env: { RELEASE: 'v2.3.0' },
      });
      const env = JSON.parse(result.stdout as string) as Record<string, string>;
      expect(env.OPSBOT_TEST_SECRET).toBeUndefined();
      expect(env).toMatchObject({ PATH: baseEnv.PATH, RELEASE: 'v2.3.0', OPSBOT_IDEMPOTENCY_KEY: 'run-1:deploy:1' });
    } finally {
      delete process.env.OPSBOT_TEST_SECRET;
    }
  });

  it('runs in cwd, feeds stdin, and reports exit code, output and duration', async () => {
    const dir = fs.realpathSync(temp());
    const script = 'process.stdin.on("data", (d) => console.log(process.cwd(), String(d).toUpperCase()))';
    const { result, log } = await run({ argv: [NODE, '-e', script], cwd: dir, stdin: 'hello' });
    expect(result).toMatchObject({ exitCode: 0, stdout: `${dir} HELLO\n`, stderr: '', durationMs: 0 });
    expect(log).toBe(`${dir} HELLO`);
  });

  it('records its process group so a crashed engine’s leftovers can be found', async () => {
    const ctx = actionContext();
    await run({ argv: [NODE, '-e', ''] }, ctx);
    expect(ctx.recorded).toEqual([{ pid: expect.any(Number), argv0: NODE, startedAt: expect.any(Number) }]);
  });
});

describe('shell reports a failed command', () => {
  it('fails with the exit code and the last lines of stderr', async () => {
    const script = 'console.error(Array.from({ length: 30 }, (_, i) => "line " + i).join("\\n")); process.exit(3)';
    const failure = await run({ argv: [NODE, '-e', script] }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OpsError);
    expect((failure as OpsError).code).toBe('shell_failed');
    expect((failure as OpsError).message).toMatch(/exited with code 3; stderr ends with:\nline 20\n[\s\S]*line 29$/);
    expect((failure as OpsError).message).not.toMatch(/line 19/);
  });

  it('says so when the program does not exist', async () => {
    await expect(run({ argv: ['opsbot-no-such-program'] })).rejects.toMatchObject({ code: 'shell_spawn_failed', message: /ENOENT/ });
  });

  it('says so when cwd is not a directory', async () => {
    await expect(run({ argv: [NODE, '-e', ''], cwd: path.join(temp(), 'missing') })).rejects.toMatchObject({ code: 'shell_bad_cwd' });
  });

  it('keeps the tail of long output and notes what was cut', async () => {
    const capped = createShellAction({ baseEnv, outputCapBytes: 1_000 });
    const input = capped.parse({ argv: [NODE, '-e', 'process.stdout.write("x".repeat(5000) + "END")'] }) as ShellInput;
    const { result } = await capped.run(input, actionContext());
    expect(result.stdout).toBe(`[… 4003 bytes cut; the last 1000 follow]\n${'x'.repeat(997)}END`);
  });
});

describe('shell stops the whole process group', () => {
  it('kills the command and its grandchildren when its timeout passes on the clock', async () => {
    const { running, ctx, pids } = await startGroup({ argv: ['sh', '-c', 'sleep 60 & sleep 60; echo never'], timeout: '5m' }, 3);
    await ctx.clock.advance(5 * 60_000);
    await expect(running).rejects.toMatchObject({ code: 'shell_timeout', message: /was stopped after 5m/ });
    expect(pids.filter(isRunning)).toEqual([]);
  });

  it('kills on cancel, with SIGKILL when the processes ignore SIGTERM', async () => {
    const { running, ctx, pids } = await startGroup({ argv: ['sh', '-c', 'trap "" TERM; sleep 60 & sleep 60; echo never'] }, 3);
    const reason = new OpsError('run_cancelled', 'cancelled by alice');
    ctx.cancel(reason);
    await expect(running).rejects.toBe(reason);
    expect(pids.filter(isRunning)).toEqual([]);
  });

  it('stops what the command left running in the background when it exits', async () => {
    const ctx = actionContext();
    const { result } = await run({ argv: ['sh', '-c', 'sleep 60 & echo $! > "$1"', 'sh', path.join(temp(), 'pid')] }, ctx);
    expect(result.exitCode).toBe(0);
    const background = Number(fs.readFileSync(path.join(temp(), 'pid'), 'utf8'));
    expect(isRunning(background)).toBe(false);
  });

  it('does not start when already cancelled', async () => {
    const ctx = actionContext();
    ctx.cancel(new Error('cancelled'));
    await expect(run({ argv: [NODE, '-e', ''] }, ctx)).rejects.toThrow('cancelled');
    expect(ctx.recorded).toEqual([]);
  });
});

describe('shell in a dry run', () => {
  it('runs nothing and shows the argv as a JSON array', async () => {
    const marker = path.join(temp(), 'touched');
    const argv = [NODE, '-e', 'require("fs").writeFileSync(process.argv[1], "x")', marker];
    const { result, log } = await run({ argv, cwd: temp() }, actionContext({ dryRun: true }));
    expect(result).toEqual({ dryRun: true, argv });
    expect(log).toBe(`would run: ${JSON.stringify(argv)} in ${temp()}`);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('shell.idempotent', () => {
  it('runs the same way and declares itself safe to repeat', async () => {
    const idempotent = createShellAction({ baseEnv }, { idempotent: true });
    expect([shell.idempotent, idempotent.name, idempotent.idempotent]).toEqual([false, 'shell.idempotent', true]);
    const { result } = await idempotent.run(idempotent.parse({ argv: [...printArgs, 'a'] }), actionContext());
    expect(result.stdout).toBe('["a"]\n');
  });
});
