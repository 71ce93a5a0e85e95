#!/usr/bin/env node
/**
 * The only file that reads process.env and argv, or touches the process: it loads the
 * configuration, builds the app through app.ts and runs one CLI command.
 */
import { randomBytes } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createApp, type HostInfo, type OpsApp } from './app.ts';
import { ACTION_NAMES } from './workflows/actions/catalog.ts';
import { systemClock } from './clock.ts';
import { type Config, loadConfig } from './config.ts';
import { ConfigError, errorMessage, OpsError } from './errors.ts';
import { createSlackEmulator } from './local/emulator/index.ts';
import { runShell } from './local/shell.ts';
import { createLogger } from './logger.ts';
import { createRedactor } from './redact.ts';
import { backupDatabase } from './store/backup.ts';
import { SCHEMA_VERSION } from './store/migrations.ts';
import { openDatabase } from './store/open-database.ts';
import { validateDefinitions } from './workflows/validate-command.ts';
import { validateEscalationFile } from './incidents/escalation-validate.ts';
import { parseTriageArgs } from './alerts/backfill.ts';

const USAGE = `Usage: opsbot <command>

  start            Run opsbot: Slack when its tokens are set; otherwise (outside production) the local shell
  shell            Run the local shell (an emulated Slack workspace in your terminal), whatever is set
  validate         Check opsbot.yaml, its escalation file, and workflows/, playbooks/ once they hold definitions
  triage [--since TS] [--once | --daemon] [--channel C…] [--interval 30s]
                   Read the alert channels' history (from TS, else where the last run stopped) as alerts;
                   --once (default) exits when caught up, --daemon keeps polling (and serving, as start does)
  migrate          Create or upgrade the database at DATABASE_PATH
  backup FILE      Copy the live database to FILE (online backup; safe while opsbot runs)
  help             Show this`;

const host: HostInfo = {
  hostname: hostname(),
  pid: process.pid,
  isProcessAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      // EPERM: the process exists but belongs to someone else.
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(process.env);
  switch (command) {
    case 'start':
      return config.mode === 'local' ? runLocal(config) : runSlack(config);
    case 'shell':
      return runLocal(config);
    case 'triage':
      return runTriage(config, args);
    case 'validate': {
      process.stdout.write(`${config.configPath}: ok\n`);
      const escalation = validateEscalationFile(config);
      if (escalation) process.stdout.write(`${escalation.line}\n`);
      const report = validateDefinitions({ workflowsDir: 'workflows', playbooksDir: 'playbooks', knownActions: new Set(ACTION_NAMES) });
      process.stdout.write(report.lines.map((line) => `${line}\n`).join(''));
      return report.ok && escalation?.ok !== false ? 0 : 1;
    }
    case 'migrate': {
      const db = namingDatabasePath(config.databasePath, () => openDatabase(config.databasePath));
      db.close();
      process.stdout.write(`${config.databasePath}: schema version ${SCHEMA_VERSION}\n`);
      return 0;
    }
    case 'backup': {
      const target = args[0];
      if (!target) throw new ConfigError('backup: name the file to write, e.g. `opsbot backup ./opsbot-backup.db`');
      const db = namingDatabasePath(config.databasePath, () => openDatabase(config.databasePath));
      try {
        const { pages } = await backupDatabase(db, target);
        process.stdout.write(`backed up ${config.databasePath} to ${target} (${pages} pages)\n`);
      } finally {
        db.close();
      }
      return 0;
    }
    default:
      process.stderr.write(`opsbot: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

function makeLogger(config: Config, options: { shell: boolean }): Logger {
  return createLogger({
    // In the shell the terminal belongs to the conversation: only problems are logged, to stderr.
    level: options.shell && process.env.LOG_LEVEL === undefined ? 'warn' : config.logLevel,
    pretty: !config.production && (options.shell || Boolean(process.stdout.isTTY)),
    redactor: createRedactor(config.secrets),
    destination: options.shell ? process.stderr : process.stdout,
  });
}

async function runSlack(config: Config): Promise<number> {
  const log = makeLogger(config, { shell: false });
  const lost = Promise.withResolvers<Error>();
  const app = namingDatabasePath(config.databasePath, () => createApp({ config, log, clock: systemClock(), host, baseEnv: shellEnv(), workDir: process.cwd(), secretEnv: (name) => process.env[name], onFatal: (err) => lost.resolve(err) }));
  await startOrCleanUp(app);
  const fatal = await Promise.race([untilSignal(log), lost.promise]);
  await app.stop();
  if (fatal) throw fatal;
  return 0;
}

/**
 * `opsbot triage`: opsbot itself (it posts the groups and triages them, and holds the database
 * lock like `start`) reading the alert channels' history through the same intake as live messages.
 */
async function runTriage(config: Config, args: string[]): Promise<number> {
  const options = parseTriageArgs(args, { channels: config.alerts.channels });
  if (config.mode === 'local') throw new ConfigError('triage: reads and posts in Slack, so SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) must be set');
  const log = makeLogger(config, { shell: false });
  const lost = Promise.withResolvers<Error>();
  const clock = systemClock();
  const app = namingDatabasePath(config.databasePath, () => createApp({ config, log, clock, host, baseEnv: shellEnv(), workDir: process.cwd(), secretEnv: (name) => process.env[name], onFatal: (err) => lost.resolve(err) }));
  await startOrCleanUp(app);
  const stop = new AbortController();
  const stopping = untilSignal(log).then(() => stop.abort());
  void lost.promise.then(() => stop.abort());
  try {
    if (options.mode === 'daemon') {
      await app.alerts.backfill.runDaemon({ channels: options.channels, ...(options.since ? { since: options.since } : {}), intervalMs: options.intervalMs, signal: stop.signal });
    } else {
      const passes = await app.alerts.backfill.runOnce({ channels: options.channels, ...(options.since ? { since: options.since } : {}) });
      for (const p of passes) process.stdout.write(`${p.channel}: ${p.read} messages read after ${p.from}, ${p.alerts} alerts in ${p.groups.length} groups; cursor ${p.cursor}\n`);
      await app.alerts.untilNotified(passes.flatMap((p) => p.groups), stop.signal).catch(() => undefined);
      await app.idle();
    }
  } finally {
    await app.stop();
    void stopping;
  }
  const fatal = await Promise.race([lost.promise, Promise.resolve(undefined)]);
  if (fatal) throw fatal;
  return 0;
}

/** A start that fails half-way (Slack rejected the token) must not leave the listener and the lock behind. */
async function startOrCleanUp(app: OpsApp): Promise<{ url: string }> {
  try {
    return await app.start();
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
}

async function runLocal(config: Config): Promise<number> {
  if (!stdinUsable()) {
    throw new ConfigError(
      config.mode === 'local'
        ? 'No Slack credentials (SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET, or with SLACK_APP_TOKEN for Socket Mode) and no terminal or piped input for the local shell'
        : 'The local shell needs a terminal or piped input (stdin is closed)',
    );
  }
  const log = makeLogger(config, { shell: true });
  const clock = systemClock();
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = `xoxb-local-${randomBytes(8).toString('hex')}`;
  const emulator = createSlackEmulator({ clock, signingSecret, botToken });
  await emulator.start();
  const localConfig: Config = {
    ...config,
    mode: 'http',
    slack: { ...config.slack, botToken, signingSecret, appToken: undefined, apiUrl: emulator.apiUrl },
    // Loopback only, and an ephemeral port unless PORT was given, so a shell never collides.
    http: { host: '127.0.0.1', port: process.env.PORT ? config.http.port : 0 },
    secrets: [...config.secrets, botToken, signingSecret],
  };
  const stopOnSignal = new AbortController();
  let fatal: Error | undefined;
  let app: OpsApp;
  try {
    app = namingDatabasePath(config.databasePath, () =>
      createApp({
        config: localConfig,
        log,
        clock,
        host,
        baseEnv: shellEnv(),
        workDir: process.cwd(),
        secretEnv: (name) => process.env[name],
        onFatal: (err) => {
          fatal ??= err;
          stopOnSignal.abort();
        },
      }),
    );
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  try {
    const { url } = await app.start();
    emulator.setEventsUrl(`${url}/slack/events`);
    process.once('SIGINT', () => stopOnSignal.abort());
    process.once('SIGTERM', () => stopOnSignal.abort());
    await runShell({
      emulator,
      input: process.stdin,
      output: process.stdout,
      interactive: Boolean(process.stdin.isTTY),
      idle: () => app.idle(),
      grantRole: (userId, role) => app.store.roles.grant(userId, role, 'local-shell', clock.now()),
      command: localConfig.slack.command,
      database: localConfig.databasePath,
      url,
      signal: stopOnSignal.signal,
    });
  } finally {
    await app.stop();
    await emulator.stop();
  }
  if (fatal) throw fatal;
  return 0;
}

/** What workflow shell steps inherit: never opsbot's whole environment, which holds its tokens. */
function shellEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG'] as const) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** A terminal or a pipe/file can feed the shell; a closed stdin or /dev/null cannot. */
function stdinUsable(): boolean {
  if (process.stdin.isTTY) return true;
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isFile() || stat.isSocket();
  } catch {
    return false;
  }
}

/** A database file that cannot be opened is a configuration problem: name DATABASE_PATH, not a stack trace. */
function namingDatabasePath<T>(path: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    // SQLite's codes (SQLITE_CANTOPEN, SQLITE_NOTADB) and the file system's (ENOTDIR, EACCES); a bug stays a bug.
    if (err instanceof OpsError || typeof (err as { code?: unknown }).code !== 'string') throw err;
    throw new ConfigError(`DATABASE_PATH: cannot open ${JSON.stringify(path)} as opsbot's SQLite database (${errorMessage(err)})`);
  }
}

function untilSignal(log: Logger): Promise<undefined> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve(undefined);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line, naming what is wrong: config errors and refusals are for people, not stack traces.
    const message = err instanceof OpsError ? err.message : `unexpected error: ${errorMessage(err)}`;
    process.stderr.write(`opsbot: ${message.split('\n')[0]}\n`);
    if (!(err instanceof OpsError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  },
);
