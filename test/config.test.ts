import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Config, DEFAULT_ANTHROPIC_MODEL, defaultPolicy, loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

const BOT = 'xoxb-1111-2222-abcdefghijkl';
const SIGNING = '8f14e45fceea167a5a36dedd4bea2543';
const APP = 'xapp-1-A0123-4567-abcdef';

/** No files at all: the default ./opsbot.yaml is absent. */
const noFiles = { readFile: () => undefined };

/** loadConfig reading opsbot.yaml from `files` (by path) instead of the disk. */
function load(env: Record<string, string | undefined>, files: Record<string, string> = {}): Config {
  return loadConfig(env, { readFile: (path) => files[path] });
}

/** The one-line message loadConfig fails with. */
function failure(env: Record<string, string | undefined>, files: Record<string, string> = {}): string {
  try {
    load(env, files);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected loadConfig to fail');
}

/** The message for an opsbot.yaml with this text. */
function yamlFailure(text: string): string {
  return failure({}, { './opsbot.yaml': text });
}

describe('loadConfig with an empty environment', () => {
  const config = loadConfig({}, noFiles);

  it('runs the local shell outside production', () => {
    expect(config.mode).toBe('local');
    expect(config.production).toBe(false);
  });

  it('uses the documented defaults', () => {
    expect(config).toMatchObject({
      slack: { botToken: undefined, signingSecret: undefined, appToken: undefined, apiUrl: 'https://slack.com/api/', command: '/ops' },
      http: { port: 3000, host: '0.0.0.0' },
      databasePath: './data/opsbot.db',
      alerts: { channels: [], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 },
      maxTriageIterations: 3,
      admins: [],
      anthropic: { apiKey: undefined, baseUrl: undefined, model: DEFAULT_ANTHROPIC_MODEL },
      github: { token: undefined, apiUrl: 'https://api.github.com', webhookSecret: undefined },
      kubeconfig: undefined,
      alertmanagerWebhookToken: undefined,
      prometheus: { url: undefined },
      pagerduty: { routingKey: undefined },
      dryRun: false,
      logLevel: 'info',
      configPath: './opsbot.yaml',
      secrets: [],
    });
  });

  it('applies the built-in policy when ./opsbot.yaml does not exist', () => {
    expect(config.policy).toEqual(defaultPolicy());
    expect(config.policy).toMatchObject({
      channels: {},
      retention: { processedEventsMs: 7 * 86_400_000, inboxMs: 30 * 86_400_000 },
      roles: { default: 'viewer', guests: null },
      environments: {
        production: { roleToWrite: 'deployer', roleToReadRaw: 'deployer' },
        staging: { roleToWrite: 'responder', roleToReadRaw: 'viewer' },
      },
      autorun: { enabled: true },
    });
    expect(Object.keys(config.policy.severities)).toEqual(['P1', 'P2', 'P3', 'P4']);
  });

  it('treats empty and blank variables as unset', () => {
    expect(loadConfig({ PORT: '', SLACK_BOT_TOKEN: '  ', DRY_RUN: '' }, noFiles)).toMatchObject({ mode: 'local', http: { port: 3000 }, dryRun: false });
  });
});

describe('loadConfig reading the environment', () => {
  it('reads every variable into its typed place', () => {
    const config = load({
      SLACK_BOT_TOKEN: BOT,
      SLACK_SIGNING_SECRET: SIGNING,
      SLACK_API_URL: 'http://127.0.0.1:4000/api',
      OPS_COMMAND: '/ops-staging',
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_PATH: '/var/lib/opsbot/opsbot.db',
      ALERT_CHANNELS: 'C0ALERTS01, G0PRIVATE1 C0ALERTS01',
      ALERT_GROUP_WAIT: '0',
      ALERT_GROUP_INTERVAL: '1m30s',
      ALERT_REPEAT_INTERVAL: '1d',
      MAX_TRIAGE_ITERATIONS: '10',
      OPS_ADMINS: 'U0ADMIN01,W0ADMIN02',
      ANTHROPIC_API_KEY: 'sk-ant-api03-key',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:5000/',
      ANTHROPIC_MODEL: 'claude-opus-4-5',
      GITHUB_TOKEN: 'ghp_token',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
      GITHUB_WEBHOOK_SECRET: 'gh-hook-secret',
      KUBECONFIG: '/home/ops/.kube/config',
      ALERTMANAGER_WEBHOOK_TOKEN: 'am-token-123',
      PROMETHEUS_URL: 'http://prometheus:9090',
      PAGERDUTY_ROUTING_KEY: 'pd-routing-key',
      DRY_RUN: 'YES',
      LOG_LEVEL: 'Debug',
    });
    expect(config).toMatchObject({
      mode: 'http',
      slack: { botToken: BOT, signingSecret: SIGNING, apiUrl: 'http://127.0.0.1:4000/api/', command: '/ops-staging' },
      http: { port: 8080, host: '127.0.0.1' },
      databasePath: '/var/lib/opsbot/opsbot.db',
      alerts: { channels: ['C0ALERTS01', 'G0PRIVATE1'], groupWaitMs: 0, groupIntervalMs: 90_000, repeatIntervalMs: 86_400_000 },
      maxTriageIterations: 10,
      admins: ['U0ADMIN01', 'W0ADMIN02'],
      anthropic: { apiKey: 'sk-ant-api03-key', baseUrl: 'http://127.0.0.1:5000', model: 'claude-opus-4-5' },
      github: { token: 'ghp_token', apiUrl: 'https://ghe.example.com/api/v3', webhookSecret: 'gh-hook-secret' },
      kubeconfig: '/home/ops/.kube/config',
      alertmanagerWebhookToken: 'am-token-123',
      prometheus: { url: 'http://prometheus:9090' },
      pagerduty: { routingKey: 'pd-routing-key' },
      dryRun: true,
      logLevel: 'debug',
    });
  });

  it.each([
    ['1', true],
    ['0', false],
    ['true', true],
    ['false', false],
    ['yes', true],
    ['no', false],
  ])('reads DRY_RUN=%s as %s', (value, dryRun) => {
    expect(load({ DRY_RUN: value }).dryRun).toBe(dryRun);
  });

  it('collects every configured secret for the log redactor, including passwords inside URLs', () => {
    const config = load({
      SLACK_BOT_TOKEN: BOT,
      SLACK_SIGNING_SECRET: SIGNING,
      ANTHROPIC_API_KEY: 'sk-ant-key',
      GITHUB_TOKEN: 'ghp_token',
      GITHUB_WEBHOOK_SECRET: 'gh-hook',
      ALERTMANAGER_WEBHOOK_TOKEN: 'am-token',
      PAGERDUTY_ROUTING_KEY: 'pd-key',
      PROMETHEUS_URL: 'https://reader:pr%40m-pass@prometheus.example.com',
    });
    expect(config.secrets).toEqual(expect.arrayContaining([BOT, SIGNING, 'sk-ant-key', 'ghp_token', 'gh-hook', 'am-token', 'pd-key', 'pr%40m-pass', 'pr@m-pass']));
    expect(config.secrets).not.toContain('reader');
  });
});

describe('loadConfig choosing how to reach Slack', () => {
  it('uses HTTP mode with a bot token and a signing secret', () => {
    expect(load({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING }).mode).toBe('http');
  });

  it('uses Socket Mode whenever an app token is set, with or without a signing secret', () => {
    expect(load({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP }).mode).toBe('socket');
    expect(load({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING, SLACK_APP_TOKEN: APP }).mode).toBe('socket');
  });

  it('uses Slack, not the local shell, in production when credentials are set', () => {
    expect(load({ NODE_ENV: 'production', SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING })).toMatchObject({ mode: 'http', production: true });
  });

  it('refuses to start in production without Slack credentials', () => {
    expect(failure({ NODE_ENV: 'production' })).toBe(
      'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode) are required when NODE_ENV=production',
    );
  });

  it.each([{}, { NODE_ENV: 'production' }])('names the signing secret when only a bot token is set (%o)', (env) => {
    expect(failure({ ...env, SLACK_BOT_TOKEN: BOT })).toBe('SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for Socket Mode)');
  });

  it('names the bot token when only a signing secret or only an app token is set', () => {
    expect(failure({ SLACK_SIGNING_SECRET: SIGNING })).toMatch(/^SLACK_BOT_TOKEN: required with SLACK_SIGNING_SECRET/);
    expect(failure({ SLACK_APP_TOKEN: APP })).toMatch(/^SLACK_BOT_TOKEN: required with SLACK_APP_TOKEN/);
  });
});

describe('loadConfig rejecting a bad variable with one line naming it', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT: expected an integer from 1 to 65535, got "abc"'],
    [{ PORT: '70000' }, 'PORT: expected an integer from 1 to 65535, got "70000"'],
    [{ PORT: '0' }, 'PORT: expected an integer from 1 to 65535, got "0"'],
    [{ MAX_TRIAGE_ITERATIONS: '11' }, 'MAX_TRIAGE_ITERATIONS: expected an integer from 1 to 10, got "11"'],
    [{ ALERT_GROUP_WAIT: 'soon' }, 'ALERT_GROUP_WAIT: expected a duration like 30s (30s, 5m, 4h, 7d or 1h30m), got "soon"'],
    [{ ALERT_REPEAT_INTERVAL: '0' }, 'ALERT_REPEAT_INTERVAL: expected a duration above zero like 4h, got "0"'],
    [{ ALERT_CHANNELS: 'C0ALERTS01,#alerts' }, 'ALERT_CHANNELS: expected Slack channel IDs like C0123456789, separated by commas, got "#alerts"'],
    [{ OPS_ADMINS: 'alice' }, 'OPS_ADMINS: expected Slack user IDs like U0123456789, separated by commas, got "alice"'],
    [{ OPS_COMMAND: 'ops' }, 'OPS_COMMAND: expected a slash command like /ops (a leading /, then lowercase letters, digits, - or _), got "ops"'],
    [{ DRY_RUN: 'maybe' }, 'DRY_RUN: expected one of 1, 0, true, false, yes, no, got "maybe"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [{ SLACK_API_URL: 'slack.com/api' }, 'SLACK_API_URL: expected an http(s) URL, got "slack.com/api"'],
    [{ PROMETHEUS_URL: 'ftp://prometheus' }, 'PROMETHEUS_URL: expected an http(s) URL, got "ftp://prometheus"'],
  ])('%o → %s', (env, message) => {
    expect(failure(env)).toBe(message);
  });

  it('names a bot token of the wrong shape without echoing it', () => {
    const message = failure({ SLACK_BOT_TOKEN: 'nope-secret-value', SLACK_SIGNING_SECRET: SIGNING });
    expect(message).toBe('SLACK_BOT_TOKEN: expected a bot token starting with xoxb-');
    expect(message).not.toContain('nope-secret-value');
  });

  it('says so when the bot and app tokens were swapped', () => {
    expect(failure({ SLACK_BOT_TOKEN: APP, SLACK_APP_TOKEN: BOT })).toBe(
      'SLACK_BOT_TOKEN: expected a bot token starting with xoxb- (this one starts with xapp-: it belongs in SLACK_APP_TOKEN); ' +
        'SLACK_APP_TOKEN: expected an app-level token starting with xapp- (this one starts with xoxb-: it belongs in SLACK_BOT_TOKEN)',
    );
  });

  it('does not echo a credential pasted into an endpoint variable', () => {
    const message = failure({ ANTHROPIC_BASE_URL: 'sk-ant-api03-abcdefghijkl' });
    expect(message).toMatch(/^ANTHROPIC_BASE_URL: expected an http\(s\) URL/);
    expect(message).not.toContain('abcdefghijkl');
  });

  it('lists several bad variables on the same line', () => {
    expect(failure({ PORT: 'abc', DRY_RUN: 'maybe' })).toBe('PORT: expected an integer from 1 to 65535, got "abc"; DRY_RUN: expected one of 1, 0, true, false, yes, no, got "maybe"');
  });
});

describe('loadConfig reading opsbot.yaml', () => {
  it('reads the file named by OPSBOT_CONFIG', () => {
    const config = load({ OPSBOT_CONFIG: '/etc/opsbot/policy.yaml' }, { '/etc/opsbot/policy.yaml': 'autorun:\n  enabled: false\n' });
    expect(config.configPath).toBe('/etc/opsbot/policy.yaml');
    expect(config.policy.autorun.enabled).toBe(false);
  });

  it('fails when OPSBOT_CONFIG names a file that does not exist', () => {
    expect(failure({ OPSBOT_CONFIG: '/etc/opsbot/missing.yaml' })).toBe('OPSBOT_CONFIG: no such file "/etc/opsbot/missing.yaml"');
  });

  it('accepts an empty file, or one with only comments and empty sections', () => {
    expect(load({}, { './opsbot.yaml': '' }).policy).toEqual(defaultPolicy());
    expect(load({}, { './opsbot.yaml': '# nothing yet\nchannels:\nretention:\n' }).policy).toEqual(defaultPolicy());
  });

  it('parses durations, roles, channels, environments and severities', () => {
    const policy = load(
      {},
      {
        './opsbot.yaml': [
          'channels:',
          '  incidents: C0INCIDENT',
          '  ci: G0CIBUILDS',
          'retention:',
          '  processed_events: 1d12h',
          '  inbox: 2w',
          'roles:',
          '  default: none',
          '  guests: viewer',
          'environments:',
          '  production:',
          '    role_to_write: admin',
          '  staging:',
          '    role_to_read_raw: responder',
          '  dev:',
          '    role_to_write: viewer',
          'severities:',
          '  P1: Everything is on fire.',
          '',
        ].join('\n'),
      },
    ).policy;
    expect(policy.channels).toEqual({ incidents: 'C0INCIDENT', ci: 'G0CIBUILDS' });
    expect(policy.retention).toEqual({ processedEventsMs: 36 * 3_600_000, inboxMs: 14 * 86_400_000 });
    expect(policy.roles).toEqual({ default: null, guests: 'viewer' });
    expect(policy.environments).toEqual({
      production: { roleToWrite: 'admin', roleToReadRaw: 'deployer' },
      staging: { roleToWrite: 'responder', roleToReadRaw: 'responder' },
      dev: { roleToWrite: 'viewer', roleToReadRaw: 'deployer' },
    });
    expect(policy.severities.P1.description).toBe('Everything is on fire.');
    expect(policy.severities.P2.description).toBe(defaultPolicy().severities.P2.description);
  });

  it('names file:line:col and the key path of a bad value', () => {
    const yaml = ['# opsbot policy', 'channels:', '  alerts: C0ALERTS01', '', 'retention:', '  inbox: 30d', '  processed_events: soon', ''].join('\n');
    expect(yamlFailure(yaml)).toBe('opsbot.yaml:7:21: retention.processed_events: expected a duration like 7d (30s, 5m, 4h, 7d or 1h30m), got "soon"');
  });

  it.each([
    ['roles:\n  default: god\n', 'opsbot.yaml:2:12: roles.default: expected one of viewer, responder, deployer, admin, none, got "god"'],
    ['channels:\n  alerts: "#alerts"\n', 'opsbot.yaml:2:11: channels.alerts: expected a Slack channel ID like C0123456789 (not a #name), got "#alerts"'],
    ['retention:\n  inbox: 30\n', 'opsbot.yaml:2:10: retention.inbox: expected a duration like 30d (30s, 5m, 4h, 7d or 1h30m), got 30'],
    ['autorun:\n  enabled: yes\n', 'opsbot.yaml:2:12: autorun.enabled: expected true or false, got "yes"'],
    ['environments:\n  Prod:\n    role_to_write: admin\n', 'opsbot.yaml:2:3: environments.Prod: expected an environment name of lowercase letters, digits, - and _, got "Prod"'],
    ['retention: 7d\n', 'opsbot.yaml:1:12: retention: expected a mapping with keys processed_events, inbox, got "7d"'],
    ['- channels\n', 'opsbot.yaml:1:1: expected a mapping with keys channels, retention, roles, environments, severities, autorun, services, agents, kubernetes, github, incidents, alerts, got a list'],
    ['services:\n  api:\n    customer_facing: sometimes\n', 'opsbot.yaml:3:22: services.api.customer_facing: expected true or false, got "sometimes"'],
    ['agents:\n  memory:\n    turns: 100\n', 'opsbot.yaml:3:12: agents.memory.turns: expected a whole number from 0 to 50, got 100'],
    ['kubernetes:\n  contexts:\n    prod:\n      environment: production\n      namespaces: [Shop]\n', 'opsbot.yaml:5:19: kubernetes.contexts.prod.namespaces.Shop: expected a namespace name (lowercase letters, digits and -), got "Shop"'],
    ['github:\n  merge_method: fast-forward\n', 'opsbot.yaml:2:17: github.merge_method: expected merge, squash or rebase, got "fast-forward"'],
    ['agents:\n  breaker:\n    cooldown: soon\n', 'opsbot.yaml:3:15: agents.breaker.cooldown: expected a duration like 5m (30s, 5m, 4h, 7d or 1h30m), got "soon"'],
  ])('explains %j', (yaml, message) => {
    expect(yamlFailure(yaml)).toBe(message);
  });

  it('rejects an unknown key, naming it, its line and the keys allowed there', () => {
    expect(yamlFailure('retention:\n  inbox: 30d\n  procesed_events: 7d\n')).toBe(
      'opsbot.yaml:3:3: retention.procesed_events: unknown key, expected one of: processed_events, inbox',
    );
    expect(yamlFailure('autorun: {}\nescalation:\n  after: 5m\n')).toBe(
      'opsbot.yaml:2:1: escalation: unknown key, expected one of: channels, retention, roles, environments, severities, autorun, services, agents, kubernetes, github, incidents, alerts',
    );
    expect(yamlFailure('severities:\n  P5: never\n')).toBe('opsbot.yaml:2:3: severities.P5: unknown key, expected one of: P1, P2, P3, P4');
  });

  it('gives file:line:col for a YAML syntax error', () => {
    expect(yamlFailure('channels:\n  alerts: [C0ALERTS01\nretention: {}\n')).toMatch(/^opsbot\.yaml:3:1: invalid YAML: /);
    expect(yamlFailure('autorun:\n  enabled: true\n  enabled: false\n')).toMatch(/^opsbot\.yaml:3:3: invalid YAML: Map keys must be unique/);
  });

  it('uses the configured path in messages', () => {
    expect(failure({ OPSBOT_CONFIG: 'deploy/opsbot.yaml' }, { 'deploy/opsbot.yaml': 'roles:\n  guests: everyone\n' })).toMatch(/^deploy\/opsbot\.yaml:2:11: roles\.guests: /);
  });

  it('reads a real file from disk, and treats a missing default file as "use the defaults"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-config-'));
    try {
      const path = join(dir, 'opsbot.yaml');
      writeFileSync(path, 'autorun:\n  enabled: false\n');
      expect(loadConfig({ OPSBOT_CONFIG: path }).policy.autorun.enabled).toBe(false);
      expect(() => loadConfig({ OPSBOT_CONFIG: join(dir, 'absent.yaml') })).toThrow(ConfigError);
      expect(() => loadConfig({ OPSBOT_CONFIG: dir })).toThrow(/cannot be read \(EISDIR\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the shipped examples', () => {
  const root = new URL('../', import.meta.url);

  it('opsbot.example.yaml loads and documents exactly the built-in defaults', () => {
    const text = readFileSync(new URL('opsbot.example.yaml', root), 'utf8');
    const config = load({ OPSBOT_CONFIG: 'opsbot.example.yaml' }, { 'opsbot.example.yaml': text });
    expect(config.policy).toEqual(defaultPolicy());
  });

  it('opsbot.example.yaml mentions every policy key', () => {
    const text = readFileSync(new URL('opsbot.example.yaml', root), 'utf8');
    for (const key of ['channels', 'incidents', 'alerts', 'ci', 'retention', 'processed_events', 'inbox', 'roles', 'default', 'guests', 'environments', 'role_to_write', 'role_to_read_raw', 'severities', 'autorun', 'enabled']) {
      expect(text).toMatch(new RegExp(`^\\s*#?\\s*${key}:`, 'm'));
    }
  });

  it('.env.example lists every variable opsbot reads, and loads as it ships', () => {
    const text = readFileSync(new URL('.env.example', root), 'utf8');
    const env = Object.fromEntries(
      text
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'OPS_COMMAND', 'PORT', 'HOST', 'DATABASE_PATH', 'ALERT_CHANNELS', 'ALERT_GROUP_WAIT', 'ALERT_GROUP_INTERVAL', 'ALERT_REPEAT_INTERVAL', 'MAX_TRIAGE_ITERATIONS', 'OPS_ADMINS', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL', 'GITHUB_TOKEN', 'GITHUB_API_URL', 'GITHUB_WEBHOOK_SECRET', 'KUBECONFIG', 'ALERTMANAGER_WEBHOOK_TOKEN', 'DRY_RUN', 'LOG_LEVEL', 'NODE_ENV', 'OPSBOT_CONFIG', 'PROMETHEUS_URL', 'PAGERDUTY_ROUTING_KEY']) {
      expect(env).toHaveProperty(name);
    }
    const config = loadConfig(env, noFiles);
    expect(config.mode).toBe('local');
    expect(config.http.port).toBe(3000);
  });
});
