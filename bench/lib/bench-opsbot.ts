import path from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type OpsApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createSlackEmulator } from '../../src/local/emulator/index.ts';
import type { EmulatedChannel, EmulatedUser, SlackEmulator } from '../../src/local/emulator/types.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';

export const BENCH_SIGNING_SECRET = 'bench-signing-secret-0123456789';
export const BENCH_BOT_TOKEN = 'xoxb-1111-2222-benchtoken';

/** A Slack emulator enforcing Slack's rate limits, on the bench's clock. */
export async function startBenchEmulator(clock: Clock, workspace: { channels: EmulatedChannel[]; users?: EmulatedUser[] }): Promise<SlackEmulator> {
  const emulator = createSlackEmulator({ clock, signingSecret: BENCH_SIGNING_SECRET, botToken: BENCH_BOT_TOKEN, ...(workspace.users ? { users: workspace.users } : {}), channels: workspace.channels, enforceRateLimits: true });
  await emulator.start();
  return emulator;
}

/**
 * A real opsbot (not started) talking to `emulator`, its database in `dir`, an empty opsbot.yaml,
 * logging at warn into `logs` so a bench can count what it complained about.
 */
export function createBenchOpsbot(options: {
  dir: string;
  clock: Clock;
  emulator: SlackEmulator;
  env?: Record<string, string>;
  workflowsDir?: string;
  baseEnv?: Record<string, string>;
}): { app: OpsApp; logs: Array<Record<string, unknown>> } {
  const env = {
    SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
    SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
    SLACK_API_URL: options.emulator.apiUrl,
    DATABASE_PATH: path.join(options.dir, 'opsbot.db'),
    OPSBOT_CONFIG: path.join(options.dir, 'opsbot.yaml'),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const loaded = loadConfig(env, { readFile: (file) => (file === env.OPSBOT_CONFIG ? '' : undefined) });
  const config = { ...loaded, http: { host: '127.0.0.1', port: 0 } };
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
    clock: options.clock,
    host: { hostname: 'bench', pid: process.pid, isProcessAlive: () => false },
    workflowsDir: options.workflowsDir ?? path.join(options.dir, 'workflows'),
    playbooksDir: path.join(options.dir, 'playbooks'),
    ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}),
  });
  return { app, logs };
}
