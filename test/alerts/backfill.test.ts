import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cursorKey, parseSince, parseTriageArgs } from '../../src/alerts/backfill.ts';
import { ManualClock, systemClock } from '../../src/clock.ts';
import { ConfigError } from '../../src/errors.ts';
import { createSlackEmulator } from '../../src/local/emulator/index.ts';
import type { SlackEmulator } from '../../src/local/emulator/types.ts';
import { slackPost, templateData, type TemplateAlert } from '../support/alertmanager-slack-message.ts';
import { freePort } from '../support/free-port.ts';
import { BOT_TOKEN, SIGNING_SECRET, startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';

/**
 * `opsbot triage --since … --once`: the history of an alert channel, posted while opsbot was not
 * listening, read through conversations.history into alert groups once, with the cursor stored.
 */

const ALERTS = 'C0ALERTS';
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SINCE = '1000000000.000000';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const instanceDown = (instance: string, status: 'firing' | 'resolved' = 'firing'): TemplateAlert => ({
  status,
  labels: { alertname: 'InstanceDown', app: 'api', env: 'prod', instance, job: 'node', severity: 'page' },
  annotations: { summary: `Instance ${instance} down` },
});
const amPost = (alerts: TemplateAlert[]) => slackPost(templateData({ receiver: 'team-x', externalURL: 'http://alertmanager.example:9093', groupBy: ['alertname'], alerts }));

/** What the channel saw while nobody listened: Alertmanager's posts, a person's, opsbot's own, a thread reply. */
async function history(emulator: SlackEmulator): Promise<void> {
  await emulator.userMessage({ botId: 'B0ALERTMGR', channel: ALERTS, text: '', attachments: amPost([instanceDown('db1:9100')]).attachments });
  const person = await emulator.userMessage({ user: 'U0ALICE', channel: ALERTS, text: 'checkout is down in prod namespace=shop service=checkout' });
  await emulator.userMessage({ user: 'U0BOB', channel: ALERTS, text: 'looking', threadTs: person.ts });
  await emulator.userMessage({ botId: 'B0OPSBOT', channel: ALERTS, text: 'an earlier opsbot post' });
  await emulator.userMessage({ botId: 'B0ALERTMGR', channel: ALERTS, text: '', attachments: amPost([instanceDown('db2:9100')]).attachments });
}

describe('the backfill', () => {
  async function start(env: Record<string, string> = {}): Promise<{ o: RunningOpsbot; emulator: SlackEmulator }> {
    const clock = new ManualClock(Date.now());
    const emulator = createSlackEmulator({ clock, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    await emulator.start();
    cleanup.push(() => emulator.stop());
    await history(emulator);
    const o = await startOpsbot({ slack: emulator, clock, env: { ALERT_CHANNELS: ALERTS, ALERT_GROUP_WAIT: '30s', ...env } });
    cleanup.push(() => o.stop());
    return { o, emulator };
  }

  it('reads the history once into groups, skipping opsbot\'s own posts and thread replies, and stores the cursor', async () => {
    const { o, emulator } = await start();
    const [pass] = await o.app.alerts.backfill.runOnce({ channels: [ALERTS], since: SINCE });
    const last = emulator.messages(ALERTS).at(-1)!.ts;
    expect(pass).toMatchObject({ channel: ALERTS, read: 4, ingested: 3, alerts: 3, cursor: last });
    expect(o.app.store.cursors.get(cursorKey(ALERTS))).toBe(last);

    await o.clock.advance(30_000);
    await o.settle();
    const posted = emulator.messages(ALERTS).filter((m) => m.botId === 'B0OPSBOT' && m.user === 'U0OPSBOT').map((m) => m.text);
    expect(posted).toEqual([expect.stringContaining('[FIRING:2] InstanceDown'), expect.stringContaining('[FIRING:1] checkout is down in prod')]);

    // Again from the cursor: only opsbot's own posts are new, and they are not alerts.
    const [again] = await o.app.alerts.backfill.runOnce({ channels: [ALERTS] });
    expect(again).toMatchObject({ ingested: 0, alerts: 0 });
    // Again from the start: every message was ingested already.
    const [replay] = await o.app.alerts.backfill.runOnce({ channels: [ALERTS], since: SINCE });
    expect(replay).toMatchObject({ ingested: 0 });
    expect(o.app.alerts.groups.totalAlerts()).toBe(3);
  });

  it('advances the cursor under DRY_RUN, where nothing is posted', async () => {
    const { o, emulator } = await start({ DRY_RUN: 'true' });
    const before = emulator.messages(ALERTS).length;
    const [pass] = await o.app.alerts.backfill.runOnce({ channels: [ALERTS], since: SINCE });
    await o.clock.advance(30_000);
    await o.settle();
    expect(o.app.store.cursors.get(cursorKey(ALERTS))).toBe(pass?.cursor);
    expect(emulator.messages(ALERTS)).toHaveLength(before);
    expect(o.logs.filter((l) => l.msg === 'DRY RUN: alert group message logged, not posted')).toHaveLength(2);
  });

  it('joins a public alert channel it is not in, and wants --since where there is no cursor', async () => {
    const { o, emulator } = await start();
    emulator.addChannel({ id: 'C0ALERTS2', name: 'alerts-2', members: ['U0ALICE'] });
    await emulator.userMessage({ user: 'U0ALICE', channel: 'C0ALERTS2', text: 'disk full on db3' });
    await expect(o.app.alerts.backfill.runOnce({ channels: ['C0ALERTS2'] })).rejects.toThrow(/pass --since/);
    const [pass] = await o.app.alerts.backfill.runOnce({ channels: ['C0ALERTS2'], since: SINCE });
    expect(pass).toMatchObject({ ingested: 1 });
    expect(emulator.channels().find((c) => c.id === 'C0ALERTS2')?.members).toContain('U0OPSBOT');
  });
});

describe('triage arguments', () => {
  it('read --since as a Slack ts, epoch seconds or an ISO date, --once by default, channels from ALERT_CHANNELS', () => {
    expect(parseSince('1700000000.0001')).toBe('1700000000.000100');
    expect(parseSince('1700000000')).toBe('1700000000.000000');
    expect(parseSince('2023-11-14T22:13:20Z')).toBe('1700000000.000000');
    expect(parseTriageArgs(['--since', '1700000000'], { channels: [ALERTS] })).toEqual({ mode: 'once', since: '1700000000.000000', channels: [ALERTS], intervalMs: 30_000 });
    expect(parseTriageArgs(['--daemon', '--channel=C0A,C0B', '--channel', 'C0A', '--interval', '1m'], { channels: [ALERTS] })).toEqual({ mode: 'daemon', channels: ['C0A', 'C0B'], intervalMs: 60_000 });
    expect(() => parseTriageArgs(['--once', '--daemon'], { channels: [ALERTS] })).toThrow(ConfigError);
    expect(() => parseTriageArgs(['--since', 'yesterday'], { channels: [ALERTS] })).toThrow(/--since: expected a Slack ts/);
    expect(() => parseTriageArgs([], { channels: [] })).toThrow(/set ALERT_CHANNELS or pass --channel/);
    expect(() => parseTriageArgs(['--channel', '#alerts'], { channels: [] })).toThrow(/channel ID/);
  });
});

describe('opsbot triage --since TS --once', () => {
  it('posts the groups of the history, exits when caught up, and a second run finds nothing new', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-triage-cli-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'opsbot.yaml'), '');
    const emulator = createSlackEmulator({ clock: systemClock(), signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    await emulator.start();
    cleanup.push(() => emulator.stop());
    await emulator.userMessage({ botId: 'B0ALERTMGR', channel: ALERTS, text: '', attachments: amPost([instanceDown('db1:9100')]).attachments });

    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      DATABASE_PATH: join(dir, 'opsbot.db'),
      OPSBOT_CONFIG: join(dir, 'opsbot.yaml'),
      SLACK_API_URL: emulator.apiUrl,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ALERT_CHANNELS: ALERTS,
      ALERT_GROUP_WAIT: '0s',
    };
    const first = await cli(['triage', '--since', SINCE, '--once'], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^${ALERTS}: 1 messages read after ${SINCE.replace('.', '\\.')}, 1 alerts in 1 groups; cursor \\d+\\.\\d+\\n$`));
    const posted = emulator.messages(ALERTS).filter((m) => m.user === 'U0OPSBOT');
    expect(posted.map((m) => m.text)).toEqual([expect.stringContaining('[FIRING:1] InstanceDown')]);
    expect(emulator.replies(ALERTS, posted[0]!.ts).length).toBeGreaterThanOrEqual(2);

    const second = await cli(['triage', '--once'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/1 messages read after \d+\.\d+, 0 alerts in 0 groups/);
    expect(emulator.messages(ALERTS).filter((m) => m.user === 'U0OPSBOT')).toHaveLength(1);
    const db = new Database(join(dir, 'opsbot.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM alerts').get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT value FROM cursors WHERE key = ?').get(cursorKey(ALERTS))).toEqual({ value: posted[0]!.ts });
    } finally {
      db.close();
    }
  }, 30_000);
});

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['src/main.ts', ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}
