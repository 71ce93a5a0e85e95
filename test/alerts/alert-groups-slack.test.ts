import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedMessage } from '../../src/local/emulator/types.ts';
import { alertmanagerBody, postAlertWebhook, type AlertSpec } from '../support/alert-webhooks.ts';
import { slackPost, templateData } from '../support/alertmanager-slack-message.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';

/**
 * Alert groups through Slack: Alertmanager webhooks into a real opsbot (real SQLite, the real
 * triage loop with offline agents) and the group messages, threads and buttons in the emulator.
 * The grouping windows and Slack's pacing move on the test clock.
 */

const ALERTS = 'C0ALERTS';
const TOKEN = 'am-webhook-token-0123456789abcdef';
const ALICE = 'U0ALICE';
const GROUP_WAIT = 30_000;
const GROUP_INTERVAL = 300_000;
const ENV = { ALERT_CHANNELS: ALERTS, ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, ALERT_GROUP_WAIT: '30s', ALERT_GROUP_INTERVAL: '5m', ALERT_REPEAT_INTERVAL: '4h' };

const running: RunningOpsbot[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
});

async function start(env: Record<string, string> = {}, policy = ''): Promise<RunningOpsbot> {
  const o = await startOpsbot({ env: { ...ENV, ...env }, policy });
  running.push(o);
  o.app.store.roles.grant(ALICE, 'responder', 'test', o.clock.now());
  return o;
}

const crashLooping = (pod: string, status: 'firing' | 'resolved' = 'firing'): AlertSpec => ({
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', service: 'api', pod, severity: 'warning' },
  annotations: { summary: `Pod shop/${pod} is crash looping`, runbook_url: 'https://runbooks.example/KubePodCrashLooping' },
  status,
});

/** Moves the clock past a window, then lets opsbot finish what came due (Slack's pacing on the same clock). */
async function pass(o: RunningOpsbot, ms: number): Promise<void> {
  await o.clock.advance(ms);
  await o.settle();
}

/** Triage agent runs recorded: one per triaged group. */
const triageRuns = (o: RunningOpsbot) => o.app.store.agentRuns.list(10_000).filter((r) => r.agent === 'triage').length;
/** As pass(), in bigger steps of the clock: a storm's Slack delivery is minutes of pacing. */
async function passQuickly(o: RunningOpsbot, ms: number): Promise<void> {
  await o.clock.advance(ms);
  let idle = false;
  const waiting = o.app.idle().then(() => (idle = true));
  for (let i = 0; i < 600 && !idle; i++) {
    await o.emulator.settle(5);
    if (!idle) await o.clock.advance(5_000);
  }
  await waiting;
  await o.emulator.settle(10);
}

const botMessages = (o: RunningOpsbot) => o.emulator.messages(ALERTS).filter((m) => m.botId !== undefined);
const groupReplies = (o: RunningOpsbot, parent: EmulatedMessage) => o.emulator.replies(ALERTS, parent.ts);

describe('an alert group in Slack', () => {
  it('is one message after group_wait with the details and one triage reply in its thread; a repeat changes nothing; the resolution edits it', async () => {
    const o = await start();
    const sent = await postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-7d9f')]), { token: TOKEN });
    expect(sent).toEqual({ status: 200, json: { ok: true, accepted: 1, groups: 1, warnings: 0 } });

    await o.clock.advance(GROUP_WAIT - 5_000);
    await o.emulator.settle(20);
    expect(botMessages(o)).toEqual([]);
    await pass(o, 5_000);

    const [parent, ...others] = botMessages(o);
    expect(others).toEqual([]);
    expect(parent?.text).toContain('[FIRING:1] KubePodCrashLooping · api · shop');
    expect(groupReplies(o, parent!).map((r) => r.text)).toEqual(['Alerts in AG-1: 1 firing, 0 resolved', expect.stringMatching(/^Triage of KubePodCrashLooping/)]);
    expect(o.app.alerts.groups.get(1)).toMatchObject({ triage: 'done', messageTs: parent?.ts });
    expect(triageRuns(o)).toBe(1);

    // The same alert again: nothing new, not even an edit.
    const callsBefore = o.emulator.calls.length;
    await postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-7d9f')]), { token: TOKEN });
    await pass(o, GROUP_INTERVAL);
    expect(botMessages(o)).toHaveLength(1);
    expect(o.emulator.calls.slice(callsBefore).filter((c) => c.method.startsWith('chat.'))).toEqual([]);

    // Resolved: the message is edited in place, no sooner than group_interval after the last.
    await postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-7d9f', 'resolved')]), { token: TOKEN });
    await pass(o, GROUP_INTERVAL);
    const [edited] = botMessages(o);
    expect(edited?.ts).toBe(parent?.ts);
    expect(edited?.text).toContain('[RESOLVED] KubePodCrashLooping');
    expect(edited?.edited).toBeDefined();
    expect(o.app.alerts.groups.get(1)?.triage).toBe('done');
  });
});

describe('a flapping alert', () => {
  it('edits the same message as it resolves and fires again, is triaged once, and a repeat says it still fires', async () => {
    const o = await start();
    const send = (status: 'firing' | 'resolved') => postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-1', status)]), { token: TOKEN });
    await send('firing');
    await pass(o, GROUP_WAIT);
    const [parent] = botMessages(o);
    await send('resolved');
    await pass(o, GROUP_INTERVAL);
    expect(botMessages(o)[0]?.text).toContain('[RESOLVED]');
    await send('firing');
    await pass(o, GROUP_INTERVAL);

    expect(botMessages(o).map((m) => m.ts)).toEqual([parent?.ts]);
    expect(botMessages(o)[0]?.text).toContain('[FIRING:1] KubePodCrashLooping');
    expect(triageRuns(o)).toBe(1);

    const replies = groupReplies(o, parent!).length;
    await pass(o, 4 * 3_600_000);
    expect(groupReplies(o, parent!).slice(replies).map((r) => r.text)).toEqual([expect.stringMatching(/^🔁 AG-1 still firing: 1 alert, since /)]);
    expect(botMessages(o)).toHaveLength(1);
    expect(triageRuns(o)).toBe(1);
  });
});

describe('a storm', () => {
  it('of 5,000 alerts in 50 groups makes 50 group messages and 50 triage runs, within Slack\'s rate limits', async () => {
    const o = await start();
    const GROUPS = 50;
    for (let batch = 0; batch < 50; batch++) {
      // Each POST carries 2 alerts of every group, as Alertmanager's receivers batch them.
      const alerts = Array.from({ length: 100 }, (_, i): AlertSpec => ({
        labels: { alertname: `Storm${i % GROUPS}`, namespace: 'shop', service: 'api', pod: `pod-${batch}-${i}`, severity: 'warning' },
      }));
      const sent = await postAlertWebhook(o.url, alertmanagerBody(alerts), { token: TOKEN });
      expect(sent.status).toBe(200);
    }
    expect(o.app.alerts.groups.totalAlerts()).toBe(5_000);

    await passQuickly(o, GROUP_WAIT);

    const parents = botMessages(o);
    expect(parents).toHaveLength(GROUPS);
    expect(new Set(parents.map((m) => /Storm\d+/.exec(m.text)?.[0])).size).toBe(GROUPS);
    for (const parent of parents) expect(parent.text).toContain('[FIRING:100]');
    expect(triageRuns(o)).toBe(GROUPS);
    expect(o.app.alerts.groups.list({ open: true, limit: 100 }).every((g) => g.triage === 'done')).toBe(true);
    expect(o.emulator.calls.filter((c) => c.status === 429)).toEqual([]);

    // The storm again (Alertmanager re-sends its groups): nothing new anywhere.
    const posts = o.emulator.callsTo('chat.postMessage').length;
    for (let batch = 0; batch < 5; batch++) {
      const alerts = Array.from({ length: 100 }, (_, i): AlertSpec => ({ labels: { alertname: `Storm${i % GROUPS}`, namespace: 'shop', service: 'api', pod: `pod-${batch}-${i}`, severity: 'warning' } }));
      await postAlertWebhook(o.url, alertmanagerBody(alerts), { token: TOKEN });
    }
    await pass(o, GROUP_INTERVAL);
    expect(o.emulator.callsTo('chat.postMessage')).toHaveLength(posts);
    expect(triageRuns(o)).toBe(GROUPS);
  }, 60_000);
});

describe('the buttons on a group message', () => {
  async function posted(o: RunningOpsbot): Promise<EmulatedMessage> {
    await postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-1')]), { token: TOKEN });
    await pass(o, GROUP_WAIT);
    const [parent] = botMessages(o);
    if (!parent) throw new Error('no group message');
    return parent;
  }
  const current = (o: RunningOpsbot, ts: string) => o.emulator.messages(ALERTS).find((m) => m.ts === ts)!;

  it('Silence 4h holds the group: nothing new is posted until it is lifted; silences are listed and removable', async () => {
    const o = await start();
    const parent = await posted(o);
    await o.emulator.clickButton({ user: ALICE, channel: ALERTS, messageTs: parent.ts, actionId: 'ops.run:alert-silence-4h-1' });
    await o.settle();
    expect(current(o, parent.ts).text).toContain('[FIRING:1]');
    expect(JSON.stringify(current(o, parent.ts).blocks)).toContain('Silenced until');
    expect(o.emulator.ephemerals({ user: ALICE }).at(-1)?.text).toMatch(/^🔇 Silenced AG-1 for 4h \(silence 1\)/);

    await postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-1'), crashLooping('api-2')]), { token: TOKEN });
    await pass(o, GROUP_INTERVAL);
    expect(current(o, parent.ts).text).toContain('[FIRING:1]');
    expect(botMessages(o)).toHaveLength(1);

    await o.emulator.slashCommand({ user: ALICE, channel: ALERTS, text: 'alerts silences' });
    await o.settle();
    expect(JSON.stringify(o.emulator.ephemerals({ user: ALICE }).at(-1)?.blocks)).toContain('KubePodCrashLooping');

    await o.emulator.slashCommand({ user: ALICE, channel: ALERTS, text: 'alerts unsilence 1' });
    await o.settle();
    await pass(o, 1_000);
    expect(current(o, parent.ts).text).toContain('[FIRING:2]');
    expect(JSON.stringify(current(o, parent.ts).blocks)).not.toContain('Silenced until');
    await o.emulator.slashCommand({ user: ALICE, channel: ALERTS, text: 'alerts silences' });
    await o.settle();
    expect(o.emulator.ephemerals({ user: ALICE }).at(-1)?.text).toBe('No silences in force.');
  });

  it('a new group under a silence is neither posted nor triaged until the silence ends', async () => {
    const o = await start();
    await o.emulator.slashCommand({ user: ALICE, channel: ALERTS, text: 'alerts silence alertname=KubePodCrashLooping 1h maintenance' });
    await o.settle();
    await postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-1')]), { token: TOKEN });
    await pass(o, GROUP_WAIT);
    expect(botMessages(o)).toEqual([]);
    expect(triageRuns(o)).toBe(0);
    expect(o.app.alerts.groups.get(1)?.triage).toBe('pending');

    await pass(o, 3_600_000);
    expect(botMessages(o).map((m) => m.text)).toEqual([expect.stringContaining('[FIRING:1] KubePodCrashLooping')]);
    expect(triageRuns(o)).toBe(1);
  });

  it('Acknowledge and Declare incident edit the message; a viewer may not acknowledge', async () => {
    const o = await start();
    const parent = await posted(o);
    await o.emulator.clickButton({ user: 'U0BOB', channel: ALERTS, messageTs: parent.ts, actionId: 'ops.run:alert-ack-1' });
    await o.settle();
    expect(o.emulator.ephemerals({ user: 'U0BOB' }).at(-1)?.text).toMatch(/responder/);
    expect(o.app.alerts.groups.get(1)?.acknowledgedBy).toBeNull();

    await o.emulator.clickButton({ user: ALICE, channel: ALERTS, messageTs: parent.ts, actionId: 'ops.run:alert-ack-1' });
    await o.settle();
    expect(JSON.stringify(current(o, parent.ts).blocks)).toContain('Acknowledged by <@U0ALICE>');

    await o.emulator.clickButton({ user: ALICE, channel: ALERTS, messageTs: parent.ts, actionId: 'ops.run:alert-incident-1' });
    await o.settle();
    const [incident] = o.app.incidents.list({ limit: 5 });
    expect(incident).toMatchObject({ title: 'KubePodCrashLooping (api, shop)', severity: 'P3', service: 'api' });
    expect(o.app.alerts.groups.get(1)?.incidentId).toBe(incident?.id);
    expect(JSON.stringify(current(o, parent.ts).blocks)).toContain(`Incident *${incident?.id}*`);
    expect(o.app.incidents.timeline(incident!).filter((e) => e.kind === 'alert')).toHaveLength(1);
    // Linked once: a second click answers with the incident.
    await o.emulator.slashCommand({ user: ALICE, channel: ALERTS, text: 'alerts declare AG-1' });
    await o.settle();
    expect(o.app.incidents.list({ limit: 5 })).toHaveLength(1);
  });
});

describe('messages in an alert channel', () => {
  const instanceDown = (instance: string, status: 'firing' | 'resolved' = 'firing') => ({
    status,
    labels: { alertname: 'InstanceDown', app: 'api', env: 'prod', instance, job: 'node', severity: 'page' },
    annotations: { summary: `Instance ${instance} down` },
  });

  it("from Alertmanager's Slack receiver become a group; opsbot's own posts and a mention do not", async () => {
    const o = await start();
    const post = slackPost(templateData({ receiver: 'team-x', externalURL: 'http://alertmanager.example:9093', groupBy: ['alertname'], alerts: [instanceDown('db1:9100')] }));
    const { response } = await o.emulator.userMessage({ botId: 'B0ALERTMGR', channel: ALERTS, text: '', attachments: post.attachments });
    expect(response.status).toBe(200);
    await o.settle();
    await o.emulator.mention({ user: ALICE, channel: ALERTS, text: 'alerts' });
    await o.settle();
    await pass(o, GROUP_WAIT);

    const groups = o.app.alerts.groups.list({ open: false, limit: 10 });
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ channel: ALERTS, key: '{alertname="InstanceDown"}', status: 'firing' });
    const ours = botMessages(o);
    expect(ours).toHaveLength(2);
    // The mention was answered as the command `alerts`, in its thread; the group message is the other.
    expect(ours.map((m) => m.text).some((t) => t.includes('[FIRING:1] InstanceDown'))).toBe(true);
    expect(o.app.alerts.groups.totalAlerts()).toBe(1);

    const resolved = slackPost(templateData({ receiver: 'team-x', externalURL: 'http://alertmanager.example:9093', groupBy: ['alertname'], alerts: [instanceDown('db1:9100', 'resolved')] }));
    await o.emulator.userMessage({ botId: 'B0ALERTMGR', channel: ALERTS, text: '', attachments: resolved.attachments });
    await o.settle();
    await pass(o, GROUP_INTERVAL);
    expect(botMessages(o).find((m) => m.text.includes('InstanceDown'))?.text).toContain('[RESOLVED] InstanceDown');
  });

  it('under DRY_RUN are grouped and triaged, with the group message logged instead of posted', async () => {
    const o = await start({ DRY_RUN: 'true' });
    await o.emulator.userMessage({ user: ALICE, channel: ALERTS, text: 'checkout is down in prod namespace=shop service=checkout' });
    await o.settle();
    await pass(o, GROUP_WAIT);
    expect(o.emulator.messages(ALERTS).filter((m) => m.botId !== undefined)).toEqual([]);
    expect(o.logs).toContainEqual(expect.objectContaining({ msg: 'DRY RUN: alert group message logged, not posted', channel: ALERTS, text: expect.stringContaining('[FIRING:1] checkout is down in prod') }));
    expect(o.app.alerts.groups.get(1)).toMatchObject({ messageTs: null, triage: 'done' });
  });

  it('severity none is stored and shown, never triaged', async () => {
    const o = await start();
    await postAlertWebhook(o.url, alertmanagerBody([{ labels: { alertname: 'Watchdog', severity: 'none' }, annotations: { summary: 'An alert that should always be firing' } }]), { token: TOKEN });
    await pass(o, GROUP_WAIT);
    const [parent] = botMessages(o);
    expect(parent?.text).toContain('[FIRING:1] Watchdog');
    expect(groupReplies(o, parent!)).toHaveLength(1);
    expect(o.app.alerts.groups.get(1)).toMatchObject({ triage: 'skipped', triageNote: 'severity none' });
    expect(triageRuns(o)).toBe(0);
  });
});

describe('an incident declared from an alert group', () => {
  it('offers the playbooks matching the group, targeted by its alerts’ labels', async () => {
    const o = await startOpsbot({ env: ENV, playbooksDir: fileURLToPath(new URL('../fixtures/playbooks', import.meta.url)) });
    running.push(o);
    o.app.store.roles.grant(ALICE, 'responder', 'test', o.clock.now());
    await postAlertWebhook(o.url, alertmanagerBody([crashLooping('api-7d9f')]), { token: TOKEN });
    await pass(o, GROUP_WAIT);
    await o.emulator.slashCommand({ user: ALICE, channel: ALERTS, text: 'alerts declare AG-1' });
    await o.settle();

    const [incident] = o.app.incidents.list({ limit: 5 });
    await o.emulator.slashCommand({ user: ALICE, channel: ALERTS, text: `incident show ${incident!.id}` });
    await o.settle();
    const buttons = JSON.stringify(o.emulator.ephemerals({ user: ALICE }).at(-1)?.blocks).match(/"value":"playbook run [^"\\]*(?:\\.[^"\\]*)*"/g) ?? [];
    expect(buttons.map((b) => JSON.parse(`{${b}}`) as { value: string }).map((b) => b.value)).toEqual([
      'playbook run pod-crash-looping namespace="shop" pod="api-7d9f" incident="INC-1" alert="AG-1"',
    ]);
  });
});
