import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator } from '../../src/local/emulator/index.ts';
import type { SlackEmulator } from '../../src/local/emulator/types.ts';
import { alertmanagerBody, postAlertWebhook, type AlertSpec } from '../support/alert-webhooks.ts';
import { BOT_TOKEN, SIGNING_SECRET, startOpsbot, testEnv, type RunningOpsbot } from '../support/opsbot.ts';

/**
 * "A webhook answers 200 only after its alerts are committed": opsbot runs in a worker thread
 * and is stopped dead (`worker.terminate()`: no stop(), no finally blocks, as kill -9) while
 * webhooks are being answered. Every alert of every request answered 200 is in the database,
 * and the next opsbot on the same file posts their groups when their windows come due.
 */

const TOKEN = 'am-webhook-token-0123456789abcdef';
const ALERTS = 'C0ALERTS';
const REQUESTS = 20;
const PER_REQUEST = 50;

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const alertsOf = (request: number): AlertSpec[] =>
  Array.from({ length: PER_REQUEST }, (_, i) => ({ labels: { alertname: `Crash${i % 5}`, namespace: 'shop', service: 'api', pod: `pod-${request}-${i}`, severity: 'warning' } }));

describe('a crash right after a webhook was answered 200', () => {
  it('loses none of its alerts, and the next start posts their groups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbot-alert-crash-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new ManualClock(Date.now());
    const emulator: SlackEmulator = createSlackEmulator({ clock, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    await emulator.start();
    cleanup.push(() => emulator.stop());
    const env = testEnv({ apiUrl: emulator.apiUrl, dir, env: { ALERT_CHANNELS: ALERTS, ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, ALERT_GROUP_WAIT: '30s' } });
    const worker = new Worker(new URL('../support/opsbot-thread.ts', import.meta.url), { workerData: { env } });
    cleanup.push(async () => void (await worker.terminate()));
    const { url } = await new Promise<{ url: string }>((resolve, reject) => worker.once('message', resolve).once('error', reject));

    // Twenty bodies at once; the thread dies as the fifth 200 arrives, others still in flight.
    const answered: number[] = [];
    let killed: Promise<number> | undefined;
    await Promise.allSettled(
      Array.from({ length: REQUESTS }, async (_, request) => {
        const res = await postAlertWebhook(url, alertmanagerBody(alertsOf(request)), { token: TOKEN });
        if (res.status !== 200 || killed) return;
        answered.push(request);
        if (answered.length === 5) killed = worker.terminate();
      }),
    );
    await killed;
    expect(answered.length).toBeGreaterThanOrEqual(5);

    const db = new Database(join(dir, 'opsbot.db'), { readonly: true });
    try {
      const pods = new Set(db.prepare<[], { alert: string }>('SELECT alert FROM alerts').all().map((r) => (JSON.parse(r.alert) as { labels: { pod: string } }).labels.pod));
      for (const request of answered) for (const spec of alertsOf(request)) expect(pods.has(spec.labels.pod!), spec.labels.pod).toBe(true);
      expect(db.prepare('SELECT COUNT(*) AS n FROM alert_groups WHERE notify_at IS NOT NULL').get()).toEqual({ n: 5 });
    } finally {
      db.close();
    }

    const second: RunningOpsbot = await startOpsbot({ dir, slack: emulator, clock, env: { ALERT_CHANNELS: ALERTS, ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, ALERT_GROUP_WAIT: '30s' } });
    cleanup.push(() => second.stop());
    // The thread's clock started at its own real now, after this one: past its group_wait with room to spare.
    await clock.advance(60_000);
    await second.settle();
    const parents = emulator.messages(ALERTS).filter((m) => m.botId !== undefined);
    expect(parents).toHaveLength(5);
    const firing = parents.map((m) => Number(/\[FIRING:(\d+)\]/.exec(m.text)?.[1])).reduce((a, b) => a + b, 0);
    expect(firing).toBe(second.app.alerts.groups.totalAlerts());
    expect(firing).toBeGreaterThanOrEqual(answered.length * PER_REQUEST);
  });
});
