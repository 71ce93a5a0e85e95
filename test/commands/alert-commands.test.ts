import { afterEach, describe, expect, it } from 'vitest';
import { alertmanagerBody, postAlertWebhook, type AlertSpec } from '../support/alert-webhooks.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';

/** `/ops alerts …` as people type it, against a real opsbot holding alert groups from a webhook. */

const TOKEN = 'am-webhook-token-0123456789abcdef';
const ALICE = 'U0ALICE'; // responder
const BOB = 'U0BOB'; // viewer
const GENERAL = 'C0GENERAL';

const running: RunningOpsbot[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
});

async function start(): Promise<RunningOpsbot> {
  const o = await startOpsbot({ env: { ALERT_CHANNELS: 'C0ALERTS', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN } });
  running.push(o);
  o.app.store.roles.grant(ALICE, 'responder', 'test', o.clock.now());
  return o;
}

const spec = (alertname: string, pod: string, status: 'firing' | 'resolved' = 'firing'): AlertSpec => ({
  labels: { alertname, namespace: 'shop', service: 'api', pod, severity: 'critical' },
  annotations: { summary: `${alertname} on ${pod}`, runbook_url: `https://runbooks.example/${alertname}` },
  status,
});

/** Runs `/ops <text>` and returns what the caller saw, text and blocks flattened. */
async function ops(o: RunningOpsbot, user: string, text: string): Promise<string> {
  const before = o.emulator.ephemerals({ user }).length;
  await o.emulator.slashCommand({ user, channel: GENERAL, text });
  await o.settle();
  return o.emulator
    .ephemerals({ user })
    .slice(before)
    .map((e) => `${e.text}\n${JSON.stringify(e.blocks ?? [])}`)
    .join('\n');
}

describe('/ops alerts', () => {
  it('lists the firing groups, all of them with `all`, and shows one with its alerts and links', async () => {
    const o = await start();
    expect(await ops(o, BOB, 'alerts')).toContain('No alert group is firing.');
    await postAlertWebhook(o.url, alertmanagerBody([spec('KubePodCrashLooping', 'api-1'), spec('KubePodCrashLooping', 'api-2'), spec('CPUThrottlingHigh', 'api-1', 'resolved')]), { token: TOKEN });

    const open = await ops(o, BOB, 'alerts');
    expect(open).toContain('*AG-1* [FIRING:2] KubePodCrashLooping · api · shop');
    expect(open).not.toContain('CPUThrottlingHigh');
    expect(await ops(o, BOB, 'alerts all')).toContain('*AG-2* [RESOLVED] CPUThrottlingHigh');

    const shown = await ops(o, BOB, 'alerts show AG-1');
    expect(shown).toContain('`pod=api-2`');
    expect(shown).toContain('<https://runbooks.example/KubePodCrashLooping|Runbook>');
    expect(shown).toContain('Triage: pending');
    expect(await ops(o, BOB, 'alerts show AG-9')).toContain('There is no alert group AG-9.');
    expect(await ops(o, BOB, 'alerts show nine')).toContain('an alert group id like AG-3');
  });

  it('acknowledges for a responder only, once, with an audit row of before and after', async () => {
    const o = await start();
    await postAlertWebhook(o.url, alertmanagerBody([spec('KubePodCrashLooping', 'api-1')]), { token: TOKEN });
    expect(await ops(o, BOB, 'alerts ack AG-1')).toMatch(/responder/);
    expect(await ops(o, ALICE, 'alerts ack AG-1')).toContain('Acknowledged AG-1.');
    expect(await ops(o, ALICE, 'alerts ack 1')).toContain('AG-1 was already acknowledged by <@U0ALICE>.');
    const [row] = o.app.store.audit.list({ limit: 50 }).filter((a) => a.action === 'alerts.ack');
    expect(JSON.parse(row!.args!)).toMatchObject({ before: { acknowledgedBy: null }, after: { acknowledgedBy: ALICE } });
  });

  it('silences for a while with a reason, lists and lifts silences, and says what is wrong with a bad request', async () => {
    const o = await start();
    await postAlertWebhook(o.url, alertmanagerBody([spec('KubePodCrashLooping', 'api-1')]), { token: TOKEN });
    expect(await ops(o, ALICE, 'alerts silence AG-1')).toContain('For how long?');
    expect(await ops(o, ALICE, 'alerts silence AG-1 forever')).toContain('`forever` is not a duration.');
    expect(await ops(o, ALICE, 'alerts silence AG-1 90d')).toContain('A silence lasts from a minute to 30 days.');
    expect(await ops(o, BOB, 'alerts silence AG-1 1h')).toMatch(/responder/);
    expect(await ops(o, ALICE, 'alerts silence AG-1 24h noisy during the migration')).toContain('Silenced AG-1 for 24h (silence 1)');
    expect(await ops(o, ALICE, 'alerts silence alertname=Watchdog 4h')).toContain('Silenced alertname=Watchdog for 4h (silence 2)');

    const listed = await ops(o, BOB, 'alerts silences');
    expect(listed).toContain('noisy during the migration');
    expect(listed).toContain('`alertname=Watchdog`');
    expect(await ops(o, ALICE, 'alerts unsilence 2')).toContain('Silence 2 removed.');
    expect(await ops(o, ALICE, 'alerts unsilence 2')).toContain('There is no silence 2 in force.');
    expect(await ops(o, BOB, 'alerts silences')).not.toContain('Watchdog');
    expect(o.app.store.audit.list({ limit: 50 }).filter((a) => a.action === 'alerts.silence' || a.action === 'alerts.unsilence')).toHaveLength(3);
  });

  it('declares an incident for a group at the severity its alerts call for, checking who may declare it', async () => {
    const o = await start();
    await postAlertWebhook(o.url, alertmanagerBody([spec('KubePodCrashLooping', 'api-1')]), { token: TOKEN });
    expect(await ops(o, BOB, 'alerts declare AG-1')).toContain('Declared *INC-1* (P2) for AG-1, and linked them.');
    expect(await ops(o, BOB, 'alerts declare AG-1 sev=P1')).toContain('AG-1 is linked to *INC-1*.');
    expect(o.app.incidents.list({ limit: 5 })).toHaveLength(1);
  });

  it('are listed in help', async () => {
    const o = await start();
    const help = await ops(o, ALICE, 'help');
    for (const name of ['alerts show', 'alerts ack', 'alerts silence', 'alerts silences', 'alerts unsilence', 'alerts declare']) expect(help).toContain(name);
  });
});
