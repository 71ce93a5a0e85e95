import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixOutput, ReviewOutput, TriageOutput } from '../../src/agents/output-schemas.ts';
import { prometheusQueryTool } from '../../src/agents/tools/prometheus-query-tool.ts';
import type { AlertGroup } from '../../src/alerts/alert.ts';
import { createAlertTriage, type TriagePolicy } from '../../src/alerts/triage-loop.ts';
import type { TriageOutcome } from '../../src/alerts/triage-types.ts';
import { createAutorunSwitch } from '../../src/autorun-switch.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';
import type { Store } from '../../src/store/types.ts';
import { loadDefinitions } from '../../src/workflows/load-definitions.ts';
import type { PlaybookRunner, PlaybookStart } from '../../src/workflows/playbook-runner-types.ts';
import { useAgentRig } from '../support/agent-rig.ts';
import { startChatRig, type ChatRig } from '../support/chat-rig.ts';
import { apiError, message } from '../support/fake-messages-api.ts';
import { loadRuleAlerts } from '../support/rule-alerts.ts';
import { shown } from '../support/workflow-slack-helpers.ts';

/**
 * The triage loop for one alert group, with the real agents and runner against the scripted
 * Messages API, and its thread reply through the real chat port into the Slack emulator.
 */

const ALERTS = 'C0ALERTS';
const PLAYBOOKS = [...loadDefinitions({ dir: fileURLToPath(new URL('../fixtures/playbooks', import.meta.url)), source: 'playbook' }).definitions.values()];
const RULES = loadRuleAlerts(fileURLToPath(new URL('../fixtures/prometheus-rules/kube-prometheus', import.meta.url)));
const rule = (name: string) => RULES.find((r) => r.alert === name)!.alertGroup;
const crashLooping = rule('KubePodCrashLooping');
const rolloutStuck = rule('KubeDeploymentRolloutStuck');
const critical = (group: AlertGroup): AlertGroup => ({
  ...group,
  commonLabels: { ...group.commonLabels, severity: 'critical' },
  alerts: group.alerts.map((a) => ({ ...a, labels: { ...a.labels, severity: 'critical' } })),
});

const rig = useAgentRig();
let slack: ChatRig;

// A loopback Prometheus for the query tool the triage agent may call.
const prometheus = createServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { pod: 'api-5d8f7c9b6-x2x7k' }, values: [[1, '3'], [2, '14']] }] } }));
});
let prometheusUrl = '';
beforeAll(async () => {
  slack = await startChatRig();
  prometheus.listen(0, '127.0.0.1');
  await once(prometheus, 'listening');
  prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await slack.stop();
  await new Promise<void>((resolve) => prometheus.close(() => resolve()));
});

const modelTriage: TriageOutput = {
  summary: 'Pod shop/api-5d8f7c9b6-x2x7k restarts 14 times an hour: it exits on start.',
  category: 'availability',
  severity: 'P3',
  service: 'api',
  causes: [{ cause: 'a bad config in the last rollout', likelihood: 'high', evidence: '14 restarts since 08:00' }],
  diagnostics: [{ check: 'restart rate', status: 'ran', finding: '3 → 14 restarts' }],
  remediation: 'restart-workload',
  confidence: 0.8,
};
const restartPod: FixOutput = {
  summary: 'Restart the crash-looping pod.',
  proposal: { kind: 'playbook', name: 'pod-crash-looping', params: [{ name: 'namespace', value: 'shop' }, { name: 'pod', value: 'api-5d8f7c9b6-x2x7k' }], rationale: 'a fresh pod may start cleanly' },
  risk: 'low',
  confidence: 0.6,
};
const manualSteps: FixOutput = {
  summary: 'Find the bad config before restarting anything.',
  proposal: { kind: 'manual', steps: ['Read the previous container logs.', 'Compare the config of the last two rollouts.'], rationale: 'a restart will crash again' },
  risk: 'low',
  confidence: 0.7,
};
const reject = (reason: string): ReviewOutput => ({ verdict: 'reject', reasons: [reason], risk: 'low', requiredChanges: ['find the cause first'] });
const accept: ReviewOutput = { verdict: 'accept', reasons: ['it addresses the cause without changing anything'], risk: 'low', requiredChanges: [] };

interface Triaged {
  outcome: TriageOutcome;
  store: Store;
  /** The thread's replies as people read them. */
  replies: string[];
  replyCount: number;
  logs: string[];
  starts: PlaybookStart[];
}

let groups = 0;

/** Moves Slack's clock (the outbox paces by it) while real loopback I/O — the model, its retries — takes its time. */
async function settled<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  const giveUp = Date.now() + 10_000;
  while (!done) {
    if (Date.now() > giveUp) throw new Error('not settled within 10 s');
    if (slack.clock.pendingTimers > 0) await slack.clock.advance(250);
    else await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return promise;
}

function capture(): { log: Logger; logs: string[] } {
  const logs: string[] = [];
  return { logs, log: createLogger({ level: 'debug', pretty: false, redactor: createRedactor([]), destination: { write: (line: string) => void logs.push(line) } }) };
}

async function triage(
  group: AlertGroup,
  options: { llm?: boolean; maxIterations?: number; policy?: Partial<TriagePolicy>; dryRun?: boolean; switchOff?: boolean; runner?: boolean } = {},
): Promise<Triaged> {
  const { runner, store } = rig.runner({ llm: options.llm ?? false, tools: [prometheusQueryTool({ url: prometheusUrl, clock: rig.clock })] });
  const { log, logs } = capture();
  const autorun = createAutorunSwitch(store);
  if (options.switchOff) autorun.set(false, 'U0ALICE', rig.clock.now());
  const starts: PlaybookStart[] = [];
  // The PlaybookRunner is another feature's; here it records what the loop asked it to start.
  const playbookRunner: PlaybookRunner = {
    start: (request) => {
      starts.push(request);
      return Promise.resolve({ runId: `wr-${starts.length}`, needsApproval: false });
    },
  };
  const loop = createAlertTriage({
    agents: runner,
    playbooks: () => PLAYBOOKS,
    chat: slack.chat,
    autorun,
    audit: store.audit,
    policy: { autorunEnabled: true, services: {}, ...options.policy },
    maxIterations: options.maxIterations ?? 3,
    dryRun: options.dryRun ?? false,
    clock: rig.clock,
    commandPrefix: '/ops',
    ...(options.runner === false ? {} : { playbookRunner }),
  });
  groups += 1;
  const parent = await settled(slack.chat.post(ALERTS, { text: `🔥 ${group.key}` }));
  const outcome = await settled(loop.triage({ groupId: `AG-${groups}`, group, channel: ALERTS, threadTs: parent.ts }, log));
  await settled(slack.outbox.drain());
  const thread = slack.emulator.replies(ALERTS, parent.ts);
  return { outcome, store, replies: thread.map(shown), replyCount: thread.length, logs, starts };
}

describe('alert triage, offline', () => {
  it('proposes the matching playbook for a crash-looping pod and replies once in the group thread', async () => {
    const { outcome, replies, replyCount, store } = await triage(crashLooping, { switchOff: true });

    expect(outcome).toMatchObject({ accepted: true, rounds: 1, severity: 'P3', playbook: { name: 'pod-crash-looping' } });
    expect(outcome.runIds).toHaveLength(3);
    expect(outcome.runIds.map((id) => store.agentRuns.get(id)?.agent)).toEqual(['triage', 'fix', 'review']);
    expect(replyCount).toBe(1);
    const reply = replies[0]!;
    expect(reply).toContain('Triage: KubePodCrashLooping');
    expect(reply).toContain('Playbook *pod-crash-looping* `namespace=shop pod=api-5d8f7c9b6-x2x7k`');
    expect(reply).toMatch(/Not run automatically:\* automatic runs are switched off/);
    expect(reply).toContain('Answered by the offline provider (no ANTHROPIC_API_KEY is configured).');
    for (const id of outcome.runIds) expect(reply).toContain(id);
    expect(outcome.runCommand).toBe(`playbook run pod-crash-looping namespace=shop pod=api-5d8f7c9b6-x2x7k alert=AG-${groups}`);
  });

  it('shows progress in the thread first, then edits that message into the answer', async () => {
    const before = slack.emulator.calls.length;
    await triage(crashLooping, { switchOff: true });
    const calls = slack.emulator.calls.slice(before).filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
    const [parent, progress, ...updates] = calls;
    expect(parent!.args.thread_ts).toBeUndefined();
    expect(progress).toMatchObject({ method: 'chat.postMessage', args: { thread_ts: expect.any(String), text: '🔎 Triage… KubePodCrashLooping' } });
    expect(updates.map((c) => c.method)).not.toContain('chat.postMessage');
    expect(updates.at(-1)!.args.text).toMatch(/^Triage of KubePodCrashLooping/);
    expect(updates.at(-1)!.args.ts).toBe((progress!.response as { ts: string }).ts);
  });

  it('puts the Run button on the reply, running the playbook command for this group', async () => {
    const { outcome } = await triage(crashLooping, { switchOff: true });
    const [reply] = slack.emulator.replies(ALERTS, slack.emulator.messages(ALERTS).at(-1)!.ts);
    const actions = (reply!.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions');
    expect(actions?.elements).toEqual([expect.objectContaining({ action_id: 'ops.run:playbook-run', value: outcome.runCommand })]);
  });

  it('records the decision in the audit log', async () => {
    const { store, outcome } = await triage(crashLooping, { switchOff: true });
    const [row] = store.audit.list({ limit: 5 }).filter((r) => r.action === 'alert.triage');
    expect(row).toMatchObject({ actor: 'system', channel: ALERTS, outcome: 'accepted' });
    expect(JSON.parse(row!.detail!)).toMatchObject({ severity: 'P3', playbook: 'pod-crash-looping', runIds: outcome.runIds });
  });
});

describe('auto-run', () => {
  it('starts a low-risk playbook matched by labels by itself when the switch is on', async () => {
    const { outcome, starts, replies } = await triage(crashLooping);

    expect(starts).toEqual([
      expect.objectContaining({ name: 'pod-crash-looping', trigger: 'auto', requestedBy: 'opsbot', params: { namespace: 'shop', pod: 'api-5d8f7c9b6-x2x7k' }, alertGroupId: `AG-${groups}`, severity: 'P3', channel: ALERTS }),
    ]);
    expect(outcome).toMatchObject({ autorun: { auto: true }, started: { runId: 'wr-1' } });
    expect(outcome.runCommand).toBeUndefined();
    expect(replies[0]).toContain('Started automatically:* run `wr-1`');
  });

  it('does not start anything when the switch is off, and offers the button instead', async () => {
    const { outcome, starts } = await triage(crashLooping, { switchOff: true });
    expect(starts).toEqual([]);
    expect(outcome.autorun).toEqual({ auto: false, reason: 'automatic runs are switched off (`autorun on` resumes them)' });
    expect(outcome.runCommand).toMatch(/^playbook run pod-crash-looping /);
  });

  it('never starts a high-risk playbook by itself; its button asks to confirm', async () => {
    const { outcome, starts, replies } = await triage(rolloutStuck);
    expect(starts).toEqual([]);
    expect(outcome.playbook?.name).toBe('bad-deploy-rollback');
    expect(outcome.autorun).toEqual({ auto: false, reason: 'bad-deploy-rollback is high risk; only low-risk playbooks run automatically' });
    expect(replies[0]).toContain('bad-deploy-rollback is high risk; it waits for an approval where the workflow rules ask for one.');
  });

  it('does not start a P2 alert playbook by itself, even a low-risk one', async () => {
    const { outcome, starts } = await triage(critical(crashLooping));
    expect(starts).toEqual([]);
    expect(outcome.autorun.reason).toBe('pod-crash-looping runs automatically only for P3, P4, not P2');
  });

  it('says so when no playbook runner is available', async () => {
    const { outcome } = await triage(crashLooping, { runner: false });
    expect(outcome.autorun).toMatchObject({ auto: false, reason: expect.stringMatching(/but playbook runs are not available in this opsbot$/) });
    expect(outcome.runCommand).toBeDefined();
  });
});

describe('alert triage with the model', () => {
  it('sends a rejected proposal back to the fix agent and shows the accepted revision; both are in the stored transcripts', async () => {
    rig.api.script(
      message({ text: modelTriage }),
      message({ text: restartPod }),
      message({ text: reject('A restart does not fix a bad config: the pod will crash again.') }),
      message({ text: manualSteps }),
      message({ text: accept }),
    );
    const { outcome, store, replies } = await triage(crashLooping, { llm: true });

    expect(outcome).toMatchObject({ accepted: true, rounds: 2, fix: manualSteps, review: accept });
    expect(outcome.needsHuman).toBe('the accepted proposal is steps for a person');
    const runs = outcome.runIds.map((id) => store.agentRuns.get(id)!);
    expect(runs.map((r) => `${r.agent}:${r.provider}`)).toEqual(['triage:anthropic', 'fix:anthropic', 'review:anthropic', 'fix:anthropic', 'review:anthropic']);
    expect(runs[2]!.output).toMatchObject({ verdict: 'reject' });
    expect(runs[3]!.input).toMatchObject({ rejected: { proposal: { proposal: { kind: 'playbook', name: 'pod-crash-looping' } }, review: { verdict: 'reject' } } });
    expect(runs[3]!.output).toMatchObject({ proposal: { kind: 'manual' } });
    const revision = rig.api.requests().at(-2)!.body as { messages: Array<{ content: string }> };
    expect(revision.messages[0]!.content).toContain('Your previous proposal was rejected by the reviewer.');

    const reply = replies[0]!;
    expect(reply).toContain('Round 1 of 3: the reviewer rejected* playbook pod-crash-looping: A restart does not fix a bad config');
    expect(reply).toContain('Proposal, accepted by the reviewer in round 2 of 3');
    expect(reply).toContain('1. Read the previous container logs.');
    expect(reply).toContain('Not run automatically:* no playbook was proposed');
    expect(reply).toContain('Answered by claude-sonnet-5-5 (triage, fix 1, review 1, fix 2, review 2)');
    expect(replies).toHaveLength(1);
  });

  it('stops at MAX_TRIAGE_ITERATIONS and says a person must decide', async () => {
    rig.api.script(
      message({ text: modelTriage }),
      message({ text: restartPod }),
      message({ text: reject('It only hides the crash.') }),
      message({ text: restartPod }),
      message({ text: reject('Still only a restart.') }),
    );
    const { outcome, replies, starts } = await triage(crashLooping, { llm: true, maxIterations: 2 });

    expect(outcome).toMatchObject({ accepted: false, rounds: 2, autorun: { auto: false, reason: 'no proposal was accepted' } });
    expect(outcome.needsHuman).toBe('the reviewer rejected 2 proposals, the limit of 2 rounds (MAX_TRIAGE_ITERATIONS); last reason: Still only a restart. required: find the cause first');
    expect(outcome.runCommand).toBeUndefined();
    expect(starts).toEqual([]);
    expect(replies[0]).toContain('Needs a human:* the reviewer rejected 2 proposals, the limit of 2 rounds');
    expect(replies[0]).toContain('Last proposal, not accepted');
  });

  it('never sends more than 1 + 2 × MAX_TRIAGE_ITERATIONS requests, tool rounds and 429 retries included', async () => {
    const toolUse = (id: string, query: string) => message({ toolUse: [{ id, name: 'prometheus_query_range', input: { query, minutes: 30 } }], stopReason: 'tool_use' });
    const tooMany = () => apiError(429, { 'retry-after-ms': '0' });
    // Budget 5: triage asks a tool (1), then is rate limited and retried (2, 3); the fix agent asks a
    // tool (4) and is rate limited with one request left, so it is not retried (5). The review never asks.
    rig.api.script(toolUse('t1', 'up'), tooMany(), tooMany(), toolUse('t2', 'rate(x[5m])'), tooMany());
    const before = rig.api.requests().length;
    const { outcome, replies, store } = await triage(crashLooping, { llm: true, maxIterations: 2 });

    expect(rig.api.requests().length - before).toBe(5);
    expect(outcome.runIds.map((id) => store.agentRuns.get(id)!.llmRequests)).toEqual([3, 2, 0]);
    expect(outcome).toMatchObject({ accepted: true, playbook: { name: 'pod-crash-looping' } });
    expect(replies[0]).toContain('Answered by the offline provider: the model-call budget for this alert group is spent.');
    expect(replies[0]).toMatch(/The model failed \(rate_limited: /);
  });

  it('needs a human when the budget is spent after a rejection, rather than revising without the model', async () => {
    const toolUse = (id: string) => message({ toolUse: [{ id, name: 'prometheus_query_range', input: { query: `up{n="${id}"}`, minutes: 30 } }], stopReason: 'tool_use' });
    rig.api.script(toolUse('t1'), toolUse('t2'), message({ text: modelTriage }), message({ text: restartPod }), message({ text: reject('It only hides the crash.') }));
    const { outcome, store } = await triage(crashLooping, { llm: true, maxIterations: 2 });

    expect(outcome).toMatchObject({ accepted: false, rounds: 1 });
    expect(outcome.needsHuman).toMatch(/^the reviewer rejected 1 proposal and the model-call budget for this alert group is spent, so no revision can be reviewed; last reason: It only hides the crash\./);
    expect(outcome.runIds.map((id) => store.agentRuns.get(id)!.agent)).toEqual(['triage', 'fix', 'review']);
  });

  it('does not let the offline reviewer accept a revision of a proposal the model rejected', async () => {
    const toolUse = message({ toolUse: [{ id: 't1', name: 'prometheus_query_range', input: { query: 'up', minutes: 30 } }], stopReason: 'tool_use' });
    // Budget 5: triage 2, fix 1, review 1 (reject), the revision 1; its review finds the budget spent.
    rig.api.script(toolUse, message({ text: modelTriage }), message({ text: restartPod }), message({ text: reject('It only hides the crash.') }), message({ text: manualSteps }));
    const { outcome, replies } = await triage(crashLooping, { llm: true, maxIterations: 2 });

    expect(outcome).toMatchObject({ accepted: false, rounds: 2, fix: manualSteps, review: { verdict: 'accept' } });
    expect(outcome.needsHuman).toMatch(/^the reviewer rejected 1 proposal and the model could not review the revision/);
    expect(outcome.steps!.at(-1)).toMatchObject({ agent: 'review', round: 2, provider: 'offline' });
    expect(replies[0]).toContain('Last proposal, not accepted');
  });

  it('falls back to the offline analysis when the model fails, and says so', async () => {
    const down = () => apiError(529, { 'retry-after-ms': '0' });
    rig.api.script(down(), down(), down(), down(), down(), down());
    const { outcome, replies } = await triage(crashLooping, { llm: true, switchOff: true });

    expect(outcome).toMatchObject({ accepted: true, severity: 'P3', playbook: { name: 'pod-crash-looping' } });
    expect(outcome.steps!.map((s) => s.provider)).toEqual(['offline', 'offline', 'offline']);
    expect(replies[0]).toMatch(/The model failed \(unavailable: .*\); answered by the offline provider instead\./);
  });

  it('keeps the alerts own severity when the model lowers it', async () => {
    rig.api.script(message({ text: { ...modelTriage, severity: 'P4' } }), message({ text: restartPod }), message({ text: accept }));
    const { outcome, replies } = await triage(critical(crashLooping), { llm: true });

    expect(outcome.severity).toBe('P2');
    expect(outcome.triage.severity).toBe('P2');
    expect(replies[0]).toContain('*P2*');
    expect(replies[0]).toContain("Blocked: severity P4 is below the alerts' own P2; kept P2.");
  });

  it('keeps a raised severity and says it was raised', async () => {
    rig.api.script(message({ text: { ...modelTriage, severity: 'P2' } }), message({ text: restartPod }), message({ text: accept }));
    const { outcome, replies } = await triage(crashLooping, { llm: true });
    expect(outcome.severity).toBe('P2');
    expect(replies[0]).toContain("*P2* (raised from the alerts' P3)");
  });
});

describe('alert triage reply', () => {
  it('starts with the reply prefix from the policy', async () => {
    const { replies } = await triage(crashLooping, { switchOff: true, policy: { replyPrefix: '[auto-ops]' } });
    expect(replies[0]).toMatch(/^\[auto-ops\] Triage of KubePodCrashLooping/);
  });

  it('is logged, not posted, in DRY_RUN, and nothing starts by itself', async () => {
    const { replyCount, logs, outcome, starts } = await triage(crashLooping, { dryRun: true });
    expect(replyCount).toBe(0);
    expect(starts).toEqual([]);
    expect(outcome.autorun.reason).toMatch(/^DRY RUN: it would have run by itself/);
    const logged = logs.map((l) => JSON.parse(l) as { msg: string; reply?: string }).find((l) => l.msg === 'DRY RUN: triage reply logged, not posted');
    expect(logged?.reply).toMatch(/^Triage of KubePodCrashLooping \(P3, availability\): .* — proposes playbook pod-crash-looping \[DRY RUN\]$/);
  });

  it('returns and logs the outcome when Slack refuses the reply', async () => {
    const { runner, store } = rig.runner({ llm: false });
    const { log, logs } = capture();
    const loop = createAlertTriage({
      agents: runner,
      playbooks: () => PLAYBOOKS,
      chat: slack.chat,
      autorun: createAutorunSwitch(store),
      audit: store.audit,
      policy: { autorunEnabled: false, services: {} },
      maxIterations: 3,
      dryRun: false,
      clock: rig.clock,
      commandPrefix: '/ops',
    });
    // A channel that does not exist: every post fails with channel_not_found.
    const outcome = await settled(loop.triage({ groupId: 'AG-404', group: crashLooping, channel: 'C0NOWHERE', threadTs: '1700000000.000100' }, log));

    expect(outcome).toMatchObject({ accepted: true, playbook: { name: 'pod-crash-looping' } });
    expect(outcome.runIds).toHaveLength(3);
    const lines = logs.map((l) => JSON.parse(l) as { msg: string; runIds?: string[] });
    expect(lines.some((l) => l.msg === 'triage reply not delivered')).toBe(true);
    expect(lines.find((l) => l.msg === 'alert group triaged')?.runIds).toEqual(outcome.runIds);
  });
});
