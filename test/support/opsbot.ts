import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type OpsApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createSlackEmulator } from '../../src/local/emulator/index.ts';
import type { EmulatorOptions, SlackEmulator } from '../../src/local/emulator/types.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';
import type { GitHubTiming } from '../../src/integrations/github/github-client.ts';
import { FAST_GITHUB_TIMING } from './github-timing.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-1111-2222-testtoken';
export const APP_TOKEN = 'xapp-1-A0OPSBOT-3333-testapptoken';

export interface RunningOpsbot {
  app: OpsApp;
  emulator: SlackEmulator;
  clock: ManualClock;
  config: Config;
  url: string;
  dir: string;
  /** Every log line opsbot wrote, as parsed JSON. */
  logs: Array<Record<string, unknown>>;
  /** Waits until opsbot has finished what it accepted, moving the clock for Slack's pacing. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment, on top of a valid HTTP-mode set pointing at the emulator. */
  env?: Record<string, string>;
  /** opsbot.yaml text. */
  policy?: string;
  socketMode?: boolean;
  emulator?: Partial<EmulatorOptions>;
  /** Reuse a database folder (restart scenarios). */
  dir?: string;
  /**
   * Attach to a running emulator instead of starting one (restart scenarios: the workspace, its
   * messages and response_urls outlive the app). It is left running on stop().
   */
  slack?: SlackEmulator;
  /** The clock of `slack` when reusing one, so opsbot and the workspace share one time. */
  clock?: ManualClock;
  /** Workflow definitions; default `<dir>/workflows`, which does not exist: none. */
  workflowsDir?: string;
  /** Playbooks; default `<dir>/playbooks`, which does not exist: none. */
  playbooksDir?: string;
  /** What shell steps inherit; default none. */
  baseEnv?: Record<string, string>;
  /** Where shell steps run (relative paths in workflows land here); default the test process's working directory. */
  workDir?: string;
  /** What the app reads for workflows' webhook tokens. */
  secretEnv?: Record<string, string>;
  /** Octokit's timers; default FAST_GITHUB_TIMING (retries in milliseconds). */
  githubTiming?: Partial<GitHubTiming>;
}

/** The environment a test opsbot runs with: a valid HTTP-mode (or Socket Mode) set pointing at the emulator. */
export function testEnv(args: { apiUrl: string; dir: string; socketMode?: boolean; env?: Record<string, string> }): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: args.apiUrl,
    DATABASE_PATH: join(args.dir, 'opsbot.db'),
    LOG_LEVEL: 'debug',
    OPSBOT_CONFIG: join(args.dir, 'opsbot.yaml'),
    ...(args.socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    ...args.env,
  };
}

/** loadConfig over `env` with `policy` as opsbot.yaml, listening on an ephemeral loopback port. */
export function testConfig(env: Record<string, string>, policy = ''): Config {
  const loaded = loadConfig(env, { readFile: (path) => (path === env.OPSBOT_CONFIG ? policy : undefined) });
  return { ...loaded, http: { host: '127.0.0.1', port: 0 } };
}

/**
 * A real opsbot (real Bolt, real SQLite file in a temp folder, real HTTP on loopback) talking
 * to the Slack emulator: the "through Slack" test tier.
 */
export async function startOpsbot(options: StartOptions = {}): Promise<RunningOpsbot> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'opsbot-test-'));
  // Bolt checks request timestamps against the real clock, so the test clock starts at real now.
  const clock = options.clock ?? new ManualClock(Date.now());
  const emulator =
    options.slack ??
    createSlackEmulator({
      clock,
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      ...options.emulator,
    });
  if (!options.slack) await emulator.start();
  const config = testConfig(testEnv({ apiUrl: emulator.apiUrl, dir, socketMode: options.socketMode, env: options.env }), options.policy);
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ level: config.logLevel, pretty: false, redactor: createRedactor(config.secrets), destination });
  const app = createApp({
    config,
    log,
    clock,
    host: { hostname: 'test-host', pid: process.pid, isProcessAlive: () => false },
    // Never the repository's own workflows/: a test opsbot runs only what its test gives it.
    workflowsDir: options.workflowsDir ?? join(dir, 'workflows'),
    playbooksDir: options.playbooksDir ?? join(dir, 'playbooks'),
    ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}),
    ...(options.workDir ? { workDir: options.workDir } : {}),
    ...(options.secretEnv ? { secretEnv: (name: string) => options.secretEnv?.[name] } : {}),
    githubTiming: options.githubTiming ?? FAST_GITHUB_TIMING,
  });
  const { url } = await app.start();
  emulator.setEventsUrl(`${url}/slack/events`);

  const settle = async () => {
    let idle = false;
    const waiting = app.idle().then(() => {
      idle = true;
    });
    for (let i = 0; i < 600 && !idle; i++) {
      await emulator.settle(20);
      if (idle) break;
      await clock.advance(1_000);
    }
    await waiting;
    await emulator.settle(20);
  };

  return {
    app,
    emulator,
    clock,
    config,
    url,
    dir,
    logs,
    settle,
    async stop() {
      // Stopping drains Slack calls paced by the test clock (with a give-up wait on the same
      // clock), so the clock has to move while the app stops.
      let stopped = false;
      const stopping = app.stop().finally(() => {
        stopped = true;
      });
      for (let i = 0; i < 600 && !stopped; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (!stopped) await clock.advance(1_000);
      }
      await stopping;
      if (!options.slack) await emulator.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signs and posts a raw body to opsbot's /slack/events as Slack would. */
export { signRequest } from '../../src/local/emulator/index.ts';
