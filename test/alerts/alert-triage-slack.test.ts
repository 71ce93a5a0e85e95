import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertGroup } from '../../src/alerts/alert.ts';
import type { TriageOutcome } from '../../src/alerts/triage-types.ts';
import { silentLog } from '../support/chat-rig.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';
import { loadRuleAlerts } from '../support/rule-alerts.ts';
import { shown, until } from '../support/workflow-slack-helpers.ts';

/**
 * The app's triage loop through Slack: a real opsbot (offline agents, the fixture playbooks, the
 * incident service) replies in an alert group's thread in the emulator, as alert intake has it do
 * after posting the group's message.
 */

const ALERTS = 'C0ALERTS';
const PLAYBOOKS = fileURLToPath(new URL('../fixtures/playbooks', import.meta.url));
const RULES = loadRuleAlerts(fileURLToPath(new URL('../fixtures/prometheus-rules/kube-prometheus', import.meta.url)));
const crashLooping = RULES.find((r) => r.alert === 'KubePodCrashLooping')!.alertGroup;
const criticalCrashLooping: AlertGroup = {
  ...crashLooping,
  commonLabels: { ...crashLooping.commonLabels, severity: 'critical' },
  alerts: crashLooping.alerts.map((a) => ({ ...a, labels: { ...a.labels, severity: 'critical' } })),
};

const APPEND = "require('node:fs').appendFileSync(process.argv[1], process.argv.slice(2).join(' ') + '\\n')";

const running: RunningOpsbot[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const o of running.splice(0)) await o.stop();
  for (const dir of folders.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(policy = '', playbooksDir = PLAYBOOKS): Promise<RunningOpsbot> {
  const o = await startOpsbot({ playbooksDir, policy, env: { ALERT_CHANNELS: ALERTS } });
  running.push(o);
  return o;
}

/**
 * A low-risk playbook for crash-looping pods, allowed to run by itself, whose one step only writes
 * down what it was asked to do: the fixture's own steps would run kubectl.
 */
function notingPlaybook(): { dir: string; effects: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-triage-playbooks-'));
  folders.push(dir);
  const effects = path.join(dir, 'effects.log');
  fs.writeFileSync(
    path.join(dir, 'crash-loop-note.yaml'),
    JSON.stringify({
      name: 'crash-loop-note',
      description: 'Write down which crash-looping pod would be restarted',
      params: { namespace: { type: 'string', required: true }, pod: { type: 'string', required: true } },
      role: 'responder',
      risk: 'low',
      remediation: 'restart-workload',
      autorun: { enabled: true },
      match: [{ labels: { alertname: 'KubePodCrashLooping' } }],
      params_from_alert: { namespace: 'namespace', pod: 'pod' },
      steps: [{ id: 'note', action: 'shell', with: { argv: [process.execPath, '-e', APPEND, effects, 'restart', '${{ params.namespace }}/${{ params.pod }}'] } }],
    }),
  );
  return { dir, effects };
}

const effectsOf = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

/** The group's parent message, as intake posts it, then the app's triage for it; the clock moves for Slack's pacing. */
async function triageInThread(o: RunningOpsbot, group: AlertGroup, groupId: string, threadTs?: string): Promise<{ outcome: TriageOutcome; threadTs: string }> {
  const parent = threadTs ?? (await moving(o, o.app.chat.post(ALERTS, { text: `🔥 ${group.key}` }))).ts;
  const outcome = await moving(o, o.app.alertTriage.triage({ groupId, group, channel: ALERTS, threadTs: parent }, silentLog));
  await o.settle();
  return { outcome, threadTs: parent };
}

async function moving<T>(o: RunningOpsbot, promise: Promise<T>): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  const giveUp = Date.now() + 15_000;
  while (!done) {
    if (Date.now() > giveUp) throw new Error('not settled within 15 s');
    await o.emulator.settle(5).catch(() => undefined);
    if (!done) await o.clock.advance(250);
  }
  return promise;
}

describe('alert triage through Slack', () => {
  it('replies once in the alert group thread with the analysis, the matching playbook and its Run button', async () => {
    const o = await start('alerts:\n  reply_prefix: "[auto-ops]"\n');
    o.app.store.roles.grant('U0ALICE', 'responder', 'test', o.clock.now());
    await o.emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'autorun off' });
    await o.settle();
    const { outcome, threadTs } = await triageInThread(o, crashLooping, 'AG-1');

    const replies = o.emulator.replies(ALERTS, threadTs);
    expect(replies).toHaveLength(1);
    const reply = shown(replies[0]);
    expect(reply).toMatch(/^\[auto-ops\] Triage of KubePodCrashLooping \(P3, availability\)/);
    expect(reply).toContain('Playbook *pod-crash-looping* `namespace=shop pod=api-5d8f7c9b6-x2x7k`');
    expect(reply).toContain('Not run automatically:* automatic runs are switched off');
    for (const id of outcome.runIds) expect(reply).toContain(id);
    const actions = (replies[0]!.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions');
    expect(actions?.elements?.[0]).toMatchObject({ action_id: 'ops.run:playbook-run', value: 'playbook run pod-crash-looping namespace=shop pod=api-5d8f7c9b6-x2x7k alert=AG-1' });
    // The progress message was edited into the answer, not followed by a second one.
    expect(replies[0]!.edited).toBeDefined();
    expect(o.emulator.messages(ALERTS)).toHaveLength(1);
  });

  it('declares one incident for a critical alert at the P2 threshold, and links the group once', async () => {
    const o = await start('alerts:\n  incident_threshold: P2\n');
    const first = await triageInThread(o, criticalCrashLooping, 'AG-7');
    const again = await triageInThread(o, criticalCrashLooping, 'AG-7', first.threadTs);

    expect(first.outcome).toMatchObject({ severity: 'P2', incidentId: 'INC-1' });
    expect(again.outcome.incidentId).toBe('INC-1');
    const incidents = o.app.incidents.list({ limit: 10 });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ severity: 'P2', title: 'KubePodCrashLooping (api)' });
    expect(o.app.incidents.timeline(incidents[0]!).filter((e) => e.kind === 'alert')).toHaveLength(1);
    const replies = o.emulator.replies(ALERTS, first.threadTs).map(shown);
    expect(replies[0]).toContain('Declared INC-1* (P2) for this alert group.');
    expect(replies[1]).toContain('Linked to *INC-1* (P2).');
  });

  it('declares nothing below the threshold', async () => {
    const o = await start('alerts:\n  incident_threshold: P2\n');
    const { outcome } = await triageInThread(o, crashLooping, 'AG-2');
    expect(outcome.incidentId).toBeUndefined();
    expect(o.app.incidents.list({ limit: 10 })).toHaveLength(0);
  });

  it('starts a low-risk playbook matched by the alert labels by itself through the playbook runner', async () => {
    const { dir, effects } = notingPlaybook();
    const o = await start('', dir);
    const { outcome, threadTs } = await triageInThread(o, crashLooping, 'AG-3');

    expect(outcome).toMatchObject({ autorun: { auto: true }, started: { runId: expect.any(String), needsApproval: false } });
    await until(o, 'the playbook run finished', () => o.app.store.workflowRuns.get(outcome.started!.runId)?.status === 'succeeded');
    expect(effectsOf(effects)).toBe('restart shop/api-5d8f7c9b6-x2x7k\n');
    const replies = o.emulator.replies(ALERTS, threadTs);
    expect(replies).toHaveLength(1);
    expect(shown(replies[0])).toContain(`Started automatically:* run \`${outcome.started!.runId}\``);
  });

  it('runs nothing by itself when autorun is off; the Run button starts it for a responder', async () => {
    const { dir, effects } = notingPlaybook();
    const o = await start('', dir);
    o.app.store.roles.grant('U0ALICE', 'responder', 'test', o.clock.now());
    await o.emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'autorun off' });
    await o.settle();
    const { outcome, threadTs } = await triageInThread(o, crashLooping, 'AG-4');

    expect(outcome.started).toBeUndefined();
    expect(effectsOf(effects)).toBe('');
    const [reply] = o.emulator.replies(ALERTS, threadTs);
    await o.emulator.clickButton({ user: 'U0ALICE', channel: ALERTS, messageTs: reply!.ts, actionId: 'ops.run:playbook-run' });
    await o.settle();
    await until(o, 'the clicked playbook ran', () => effectsOf(effects) !== '');
    expect(effectsOf(effects)).toBe('restart shop/api-5d8f7c9b6-x2x7k\n');
  });
});
