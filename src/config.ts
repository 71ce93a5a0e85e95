import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';
import { envSchema, pickEnv, SECRET_VARIABLES, type Env, type LogLevel } from './config/env-schema.ts';
import { joinProblems, parsePolicy } from './config/policy.ts';
import { defaultPolicy, type Policy } from './config/policy-schema.ts';

export type { LogLevel } from './config/env-schema.ts';
export { DEFAULT_ANTHROPIC_MODEL, LOG_LEVELS } from './config/env-schema.ts';
export type { EnvironmentPolicy, Policy, Severity } from './config/policy-schema.ts';
export { DEFAULT_ENVIRONMENTS, DEFAULT_SEVERITIES, defaultPolicy, SEVERITIES } from './config/policy-schema.ts';
export { parsePolicy } from './config/policy.ts';

export type Mode = 'http' | 'socket' | 'local';

export interface Config {
  /** socket when SLACK_APP_TOKEN is set; http with bot token + signing secret; local with no Slack credentials outside production. */
  mode: Mode;
  /** NODE_ENV === 'production'. */
  production: boolean;
  slack: {
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    /** Web API base, always ending in "/". */
    apiUrl: string;
    /** The slash command, e.g. "/ops". */
    command: string;
  };
  http: { port: number; host: string };
  databasePath: string;
  alerts: { channels: string[]; groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number };
  /** Fix/review rounds per alert group, 1..10. */
  maxTriageIterations: number;
  /** Slack user ids bootstrapped as admins. */
  admins: string[];
  anthropic: { apiKey: string | undefined; baseUrl: string | undefined; model: string };
  github: { token: string | undefined; apiUrl: string; webhookSecret: string | undefined };
  kubeconfig: string | undefined;
  /** Running in a pod (KUBERNETES_SERVICE_HOST set): the service account is used when KUBECONFIG is not set. */
  inCluster: boolean;
  alertmanagerWebhookToken: string | undefined;
  prometheus: { url: string | undefined };
  /** Events API v2: routing key (secret) and the enqueue URL (PAGERDUTY_EVENTS_URL). */
  pagerduty: { routingKey: string | undefined; eventsUrl: string };
  dryRun: boolean;
  logLevel: LogLevel;
  /** The opsbot.yaml path that was read (or would have been, when the default is absent). */
  configPath: string;
  policy: Policy;
  /** Every configured secret value, for the log redactor. */
  secrets: string[];
}

export interface LoadConfigOptions {
  /** The file's text, or undefined when there is no such file. Defaults to the filesystem. */
  readFile?: (path: string) => string | undefined;
}

export const DEFAULT_CONFIG_PATH = './opsbot.yaml';

/**
 * Validates the environment and opsbot.yaml once, at start-up. Any problem throws a ConfigError
 * whose message is one line naming the variable (or file:line:col and key) and what was expected.
 */
export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const parsed = envSchema.safeParse(pickEnv(env));
  if (!parsed.success) {
    throw new ConfigError(joinProblems(parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`)));
  }
  const vars = parsed.data;
  const production = vars.NODE_ENV === 'production';
  const mode = slackMode(vars, production);

  const configPath = vars.OPSBOT_CONFIG ?? DEFAULT_CONFIG_PATH;
  const policy = loadPolicy(configPath, vars.OPSBOT_CONFIG !== undefined, options.readFile ?? readFileIfExists);

  return {
    mode,
    production,
    slack: {
      botToken: vars.SLACK_BOT_TOKEN,
      signingSecret: vars.SLACK_SIGNING_SECRET,
      appToken: vars.SLACK_APP_TOKEN,
      apiUrl: vars.SLACK_API_URL,
      command: vars.OPS_COMMAND,
    },
    http: { port: vars.PORT, host: vars.HOST },
    databasePath: vars.DATABASE_PATH,
    alerts: {
      channels: vars.ALERT_CHANNELS,
      groupWaitMs: vars.ALERT_GROUP_WAIT,
      groupIntervalMs: vars.ALERT_GROUP_INTERVAL,
      repeatIntervalMs: vars.ALERT_REPEAT_INTERVAL,
    },
    maxTriageIterations: vars.MAX_TRIAGE_ITERATIONS,
    admins: vars.OPS_ADMINS,
    anthropic: { apiKey: vars.ANTHROPIC_API_KEY, baseUrl: vars.ANTHROPIC_BASE_URL, model: vars.ANTHROPIC_MODEL },
    github: { token: vars.GITHUB_TOKEN, apiUrl: vars.GITHUB_API_URL, webhookSecret: vars.GITHUB_WEBHOOK_SECRET },
    kubeconfig: vars.KUBECONFIG,
    inCluster: vars.KUBERNETES_SERVICE_HOST !== undefined && vars.KUBERNETES_SERVICE_HOST !== '',
    alertmanagerWebhookToken: vars.ALERTMANAGER_WEBHOOK_TOKEN,
    prometheus: { url: vars.PROMETHEUS_URL },
    pagerduty: { routingKey: vars.PAGERDUTY_ROUTING_KEY, eventsUrl: vars.PAGERDUTY_EVENTS_URL },
    dryRun: vars.DRY_RUN,
    logLevel: vars.LOG_LEVEL,
    configPath,
    policy,
    secrets: collectSecrets(vars),
  };
}

function slackMode(vars: Env, production: boolean): Mode {
  const bot = vars.SLACK_BOT_TOKEN !== undefined;
  const signing = vars.SLACK_SIGNING_SECRET !== undefined;
  const app = vars.SLACK_APP_TOKEN !== undefined;
  // Socket Mode still calls the Web API with the bot token; only the signing secret is optional.
  if (app) {
    if (!bot) throw new ConfigError('SLACK_BOT_TOKEN: required with SLACK_APP_TOKEN (Socket Mode posts with the bot token)');
    return 'socket';
  }
  if (bot && signing) return 'http';
  if (bot) throw new ConfigError('SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for Socket Mode)');
  if (signing) throw new ConfigError('SLACK_BOT_TOKEN: required with SLACK_SIGNING_SECRET');
  if (production) {
    // Never fall back to the local shell in production: a missing secret must stop the rollout.
    throw new ConfigError('SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode) are required when NODE_ENV=production');
  }
  return 'local';
}

function loadPolicy(path: string, explicit: boolean, readFile: (path: string) => string | undefined): Policy {
  const text = readFile(path);
  if (text === undefined) {
    if (explicit) throw new ConfigError(`OPSBOT_CONFIG: no such file ${JSON.stringify(path)}`);
    return defaultPolicy();
  }
  return parsePolicy(text, path.replace(/^\.\//, ''));
}

function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`${path}: cannot be read (${typeof code === 'string' ? code : String(err)})`);
  }
}

function collectSecrets(vars: Env): string[] {
  const secrets = new Set<string>();
  for (const name of SECRET_VARIABLES) {
    const value = vars[name];
    if (value !== undefined) secrets.add(value);
  }
  // Credentials written into an endpoint (https://user:pass@prometheus…) are secrets too.
  for (const url of [vars.SLACK_API_URL, vars.ANTHROPIC_BASE_URL, vars.GITHUB_API_URL, vars.PROMETHEUS_URL, vars.PAGERDUTY_EVENTS_URL]) {
    if (url === undefined) continue;
    const { password } = new URL(url);
    if (password !== '') {
      secrets.add(password);
      try {
        secrets.add(decodeURIComponent(password));
      } catch {
        // A malformed %-escape: the raw form above is what appears in logs anyway.
      }
    }
  }
  return [...secrets];
}
