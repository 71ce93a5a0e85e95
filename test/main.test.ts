/**
 * The real CLI, as a person or a process manager runs it: `node src/main.ts …` in a child
 * process with an explicit environment. Assertions are on what a person sees (stdout, stderr,
 * exit code) or on what was stored (the SQLite file, opened read-only after the child exits).
 */
import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.ts';
import { createSlackEmulator } from '../src/local/emulator/index.ts';
import type { SlackEmulator } from '../src/local/emulator/types.ts';
import { freePort } from './support/free-port.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SIGNING_SECRET = 'main-test-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-1111-2222-maintesttoken';
const MISSING_SLACK = /SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET|SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET/;
const STACK_FRAME = /^\s+at /m;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Opsbot {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<Exit>;
}

const children = new Set<ChildProcess>();
let dir: string;
let emulator: SlackEmulator | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsbot-main-'));
});

afterEach(async () => {
  // No orphans, whatever the test did: every child still running is killed and reaped.
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = once(child, 'exit');
        child.kill('SIGKILL');
        await gone;
      }
    }),
  );
  children.clear();
  await emulator?.stop();
  emulator = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Only what the test names: never the parent's Slack variables. */
function envFor(extra: Record<string, string> = {}): Record<string, string> {
  const policy = join(dir, 'opsbot.yaml');
  if (!existsSync(policy)) writeFileSync(policy, '');
  return {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    DATABASE_PATH: join(dir, 'opsbot.db'),
    OPSBOT_CONFIG: policy,
    ...extra,
  };
}

function launch(args: string[], env: Record<string, string>, options: { stdin?: 'pipe' | 'ignore'; input?: string } = {}): Opsbot {
  const stdio: StdioOptions = [options.stdin ?? (options.input === undefined ? 'ignore' : 'pipe'), 'pipe', 'pipe'];
  const child = spawn(process.execPath, ['src/main.ts', ...args], { cwd: REPO, env, stdio });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  if (options.input !== undefined) child.stdin?.end(options.input);
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
  };
}

/** Runs a command to completion (or fails the test after timeoutMs instead of hanging). */
async function run(args: string[], env: Record<string, string>, options: { stdin?: 'pipe' | 'ignore'; input?: string; timeoutMs?: number } = {}) {
  const opsbot = launch(args, env, options);
  const { code } = await exitWithin(opsbot, options.timeoutMs ?? 15_000);
  const { stdout, stderr } = opsbot;
  return { code, stdout, stderr, stderrLines: stderr.split('\n').filter((l) => l !== '') };
}

async function exitWithin(opsbot: Opsbot, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`opsbot still running after ${ms} ms\nstdout: ${opsbot.stdout}\nstderr: ${opsbot.stderr}`)), ms);
  });
  try {
    return await Promise.race([opsbot.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}


async function startEmulator(): Promise<SlackEmulator> {
  emulator = createSlackEmulator({ clock: systemClock(), signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  await emulator.start();
  return emulator;
}

/** An opsbot in HTTP mode against the test's emulator, on a port of its own. */
function slackEnv(slack: SlackEmulator, port: number, extra: Record<string, string> = {}) {
  return envFor({
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...extra,
  });
}

/** Starts opsbot in HTTP mode and waits until /readyz says it is ready; the emulator is pointed at it. */
async function startSlackOpsbot(slack: SlackEmulator, extra: Record<string, string> = {}): Promise<Opsbot & { port: number }> {
  const port = await freePort();
  const opsbot = launch(['start'], slackEnv(slack, port, extra));
  let exited = false;
  void opsbot.exited.then(() => (exited = true));
  for (const started = Date.now(); Date.now() - started < 15_000; ) {
    if (exited) throw new Error(`opsbot exited during start-up\nstderr: ${opsbot.stderr}\nstdout: ${opsbot.stdout}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) {
      slack.setEventsUrl(`http://127.0.0.1:${port}/slack/events`);
      return Object.assign(opsbot, { port });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`opsbot not ready after 15 s\nstderr: ${opsbot.stderr}\nstdout: ${opsbot.stdout}`);
}

function readDb<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  for (const started = Date.now(); !check(); ) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('opsbot start refuses a bad configuration with one line naming the problem', () => {
  it('names PORT when it is not a number', async () => {
    const result = await run(['start'], envFor({ PORT: 'abc' }));
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([expect.stringMatching(/^opsbot: PORT: .*"abc"/)]);
    expect(result.stdout).toBe('');
  });

  it('names SLACK_BOT_TOKEN when it is not a bot token', async () => {
    const result = await run(['start'], envFor({ SLACK_BOT_TOKEN: 'nope', SLACK_SIGNING_SECRET: SIGNING_SECRET }));
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([expect.stringMatching(/^opsbot: SLACK_BOT_TOKEN: expected a bot token starting with xoxb-/)]);
    // A credential is never echoed back.
    expect(result.stderr).not.toContain('nope');
    expect(result.stderr).not.toContain(SIGNING_SECRET);
  });

  it('names the file and line of an unknown key in opsbot.yaml', async () => {
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, 'roles:\n  default: viewer\nautoran: false\n');
    const result = await run(['start'], envFor({ OPSBOT_CONFIG: file }));
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([expect.stringMatching(/^opsbot: .*typo\.yaml:3:\d+: autoran: unknown key/)]);
  });

  it('names the file and line of a bad duration in opsbot.yaml', async () => {
    const file = join(dir, 'duration.yaml');
    writeFileSync(file, '# retention\nretention:\n  inbox: 5 parsecs\n');
    const result = await run(['start'], envFor({ OPSBOT_CONFIG: file }));
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([expect.stringMatching(/^opsbot: .*duration\.yaml:3:\d+: retention\.inbox: .*"5 parsecs"/)]);
  });

  it('names OPSBOT_CONFIG\'s file when it cannot be read', async () => {
    const result = await run(['validate'], envFor({ OPSBOT_CONFIG: dir }));
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([`opsbot: ${dir}: cannot be read (EISDIR)`]);
  });

  it('names DATABASE_PATH when the file there is not a SQLite database', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'not a database, just notes\n'.repeat(100));
    for (const args of [['migrate'], ['start']]) {
      const result = await run(args, envFor({ DATABASE_PATH: file }), { input: '/ops help\n' });
      expect(result.code).toBe(2);
      expect(result.stderrLines).toEqual([`opsbot: DATABASE_PATH: cannot open "${file}" as opsbot's SQLite database (file is not a database)`]);
    }
  });

  it('names the missing Slack variables when NODE_ENV=production has none', async () => {
    const result = await run(['start'], envFor({ NODE_ENV: 'production' }), { input: '/ops help\n' });
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([expect.stringMatching(MISSING_SLACK)]);
    expect(result.stdout).toBe('');
  });

  it('names the missing Slack variables, instead of waiting, when start has no Slack variables and no input', async () => {
    const result = await run(['start'], envFor(), { stdin: 'ignore', timeoutMs: 10_000 });
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([expect.stringMatching(MISSING_SLACK)]);
  });

  it('says Slack rejected the token, and exits, when auth.test answers invalid_auth', async () => {
    const slack = await startEmulator();
    const port = await freePort();
    const result = await run(['start'], slackEnv(slack, port, { SLACK_BOT_TOKEN: 'xoxb-revoked-0000' }), { timeoutMs: 10_000 });
    expect(result.code).toBe(2);
    expect(result.stderrLines.filter((l) => l.startsWith('opsbot:'))).toEqual([expect.stringMatching(/^opsbot: SLACK_BOT_TOKEN: Slack rejected the token \(invalid_auth\)/)]);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    // It let go of the database: the next start is not refused.
    const db = join(dir, 'opsbot.db');
    expect(readDb(db, (d) => d.prepare('select count(*) as n from instance_lock').get())).toEqual({ n: 0 });
  });
});

describe('one opsbot per database', () => {
  it('refuses a second instance on the same database, saying where the first runs', async () => {
    const slack = await startEmulator();
    const first = await startSlackOpsbot(slack);

    const second = await run(['start'], slackEnv(slack, await freePort()), { timeoutMs: 10_000 });

    expect(second.code).not.toBe(0);
    expect(second.stderrLines).toEqual([expect.stringMatching(new RegExp(`^opsbot: opsbot is already running on host ${hostname()} \\(pid ${first.child.pid}\\b`))]);
    // The first one is unharmed.
    expect((await fetch(`http://127.0.0.1:${first.port}/readyz`)).status).toBe(200);
  });

  it('stops cleanly on SIGTERM and lets the next instance start at once', async () => {
    const slack = await startEmulator();
    const first = await startSlackOpsbot(slack);

    first.child.kill('SIGTERM');
    const exit = await exitWithin(first, 10_000);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(first.stderr).toBe('');
    expect(readDb(join(dir, 'opsbot.db'), (d) => d.prepare('select count(*) as n from instance_lock').get())).toEqual({ n: 0 });
    const next = await startSlackOpsbot(slack);
    expect(next.child.exitCode).toBeNull();
  });
});

describe('an opsbot that lost its instance lock', () => {
  it('stops at its next heartbeat, saying who holds the database now, and leaves the new holder alone', async () => {
    const slack = await startEmulator();
    const opsbot = await startSlackOpsbot(slack);
    const path = join(dir, 'opsbot.db');
    // What another host does after judging this one dead (it was paused past the stale time).
    const db = new Database(path);
    try {
      db.prepare("UPDATE instance_lock SET owner = 'ops-2:4242:1', host = 'ops-2', pid = 4242, started_at = ?, heartbeat_at = ?").run(Date.now(), Date.now());
    } finally {
      db.close();
    }

    const exit = await exitWithin(opsbot, 15_000);

    expect(exit.code).toBe(1);
    expect(opsbot.stderr.split('\n').filter((l) => l !== '')).toEqual([
      'opsbot: This opsbot lost its instance lock to host ops-2 (pid 4242); stopping so that only one instance runs',
    ]);
    expect(readDb(path, (d) => d.prepare('select host, pid from instance_lock').all())).toEqual([{ host: 'ops-2', pid: 4242 }]);
  }, 20_000);
});

describe('a request acked just before kill -9', () => {
  it('keeps its audit row and inbox entry, and is answered once after the restart', async () => {
    const slack = await startEmulator();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldCalls = 0;
    slack.intercept('users.info', async () => {
      heldCalls++;
      await held;
    });
    const first = await startSlackOpsbot(slack);

    const ack = await slack.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'help' });
    expect(ack.status).toBe(200);
    await until('the work to reach users.info', () => heldCalls === 1);
    first.child.kill('SIGKILL');
    expect(await exitWithin(first, 5_000)).toEqual({ code: null, signal: 'SIGKILL' });

    const db = join(dir, 'opsbot.db');
    const stored = readDb(db, (d) => ({
      audit: d.prepare('select actor, action, command from audit_log').all(),
      inbox: d.prepare('select kind, status from inbox').all() as Array<{ kind: string; status: string }>,
    }));
    expect(stored.audit).toEqual([{ actor: 'U0ALICE', action: 'received', command: 'command' }]);
    expect(stored.inbox).toEqual([{ kind: 'command', status: expect.not.stringMatching(/^done$/) }]);
    expect(slack.ephemerals()).toEqual([]);

    slack.intercept('users.info', null);
    release();
    // The dead process's lock is taken over at once: no waiting for its heartbeat to go stale.
    const second = await startSlackOpsbot(slack);
    await until('the help answer', () => slack.ephemerals({ user: 'U0ALICE' }).length > 0);
    await slack.settle(200);
    second.child.kill('SIGTERM');
    expect(await exitWithin(second, 10_000)).toEqual({ code: 0, signal: null });

    const answers = slack.ephemerals({ user: 'U0ALICE' });
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ channel: 'C0GENERAL', text: expect.stringContaining('help: List the commands you can run') });
    expect(readDb(db, (d) => d.prepare('select status from inbox').all())).toEqual([{ status: 'done' }]);
    expect(second.stderr).toBe('');
  });
});

describe('the local shell', () => {
  it('answers piped /ops help and exits 0', async () => {
    const result = await run(['start'], envFor(), { input: '/ops help\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(only visible to alice) #general opsbot:');
    expect(result.stdout).toContain('`help` — List the commands you can run');
    expect(result.stderr).toBe('');
  });

  it('lets an admin grant a role and list it, from a piped script', async () => {
    const script = [':as alice admin', '/ops role grant @bob deployer', '/ops role list', ''].join('\n');
    const result = await run(['start'], envFor(), { input: script });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('You are now alice (admin).');
    expect(result.stdout).toContain('@bob now has the *deployer* role');
    const list = result.stdout.slice(result.stdout.indexOf('Granted roles'));
    expect(list).toMatch(/\*deployer\*\n\s+• @bob — granted by @alice/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stderr).toBe('');
  });

  it('stops on SIGTERM while waiting for input, and lets go of the database', async () => {
    const shell = launch(['shell'], envFor(), { stdin: 'pipe' });
    shell.child.stdin?.write('/ops help\n');
    await until('the help answer', () => shell.stdout.includes('opsbot commands'));

    shell.child.kill('SIGTERM');
    const exit = await exitWithin(shell, 5_000);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(shell.stderr).toBe('');
    expect(readDb(join(dir, 'opsbot.db'), (d) => d.prepare('select count(*) as n from instance_lock').get())).toEqual({ n: 0 });
  });
});

describe('database and configuration commands', () => {
  it('migrate creates the database and prints its schema version', async () => {
    const env = envFor({ DATABASE_PATH: join(dir, 'new', 'opsbot.db') });
    const result = await run(['migrate'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${env.DATABASE_PATH}: schema version \\d+\\n$`));
    expect(existsSync(env.DATABASE_PATH ?? '')).toBe(true);
    const version = Number(/schema version (\d+)/.exec(result.stdout)?.[1]);
    expect(readDb(env.DATABASE_PATH ?? '', (d) => d.pragma('user_version', { simple: true }))).toBe(version);
  });

  it('backup writes a copy that holds the audit rows, and refuses to overwrite a file', async () => {
    const env = envFor();
    expect((await run(['start'], env, { input: '/ops help\n/ops role list\n' })).code).toBe(0);
    const audit = (path: string) => readDb(path, (d) => d.prepare('select actor, action, command from audit_log order by id').all());
    const original = audit(env.DATABASE_PATH ?? '');
    expect(original.length).toBeGreaterThan(0);

    const target = join(dir, 'backup.db');
    const result = await run(['backup', target], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`to ${target}`);
    expect(audit(target)).toEqual(original);

    const again = await run(['backup', target], env);
    expect(again.code).not.toBe(0);
    expect(again.stderrLines).toEqual([`opsbot: ${target} already exists; choose a new file for the backup`]);
    expect(audit(target)).toEqual(original);
  });

  it('backup without a file name says how to call it', async () => {
    const result = await run(['backup'], envFor());
    expect(result.code).toBe(2);
    expect(result.stderrLines).toEqual([expect.stringMatching(/^opsbot: backup: name the file to write/)]);
  });

  it('validate accepts the shipped opsbot.example.yaml', async () => {
    const result = await run(['validate'], envFor({ OPSBOT_CONFIG: 'opsbot.example.yaml' }));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^opsbot\.example\.yaml: ok\n\d+ workflows?, \d+ playbooks?: ok\n$/);
  });

  it('help prints the usage', async () => {
    const result = await run(['help'], envFor());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: opsbot <command>/);
    for (const command of ['start', 'shell', 'validate', 'migrate', 'backup FILE']) expect(result.stdout).toContain(`  ${command} `);
  });

  it('an unknown command exits 2 with the usage', async () => {
    const result = await run(['strat'], envFor());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^opsbot: unknown command "strat"\n\nUsage: opsbot <command>/);
    expect(result.stdout).toBe('');
  });
});
