import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { AgentDefinition } from '../../src/agents/agent.ts';
import type { AgentAnswer, AgentRunner } from '../../src/agents/agent-runner.ts';
import { severityFloor } from '../../src/agents/alert-text.ts';
import { ciAnalystAgent } from '../../src/agents/ci-analyst-agent.ts';
import { fixAgent, offlineFix, type FixInput } from '../../src/agents/fix-agent.ts';
import {
  ciAnalysisOutputSchema,
  fixOutputSchema,
  intentOutputSchema,
  postmortemOutputSchema,
  prReviewOutputSchema,
  reviewOutputSchema,
  triageOutputSchema,
} from '../../src/agents/output-schemas.ts';
import { playbookCandidates, type ProposableAction } from '../../src/agents/playbook-candidate.ts';
import { postmortemAgent } from '../../src/agents/postmortem-agent.ts';
import { prReviewAgent } from '../../src/agents/pr-review-agent.ts';
import { reviewAgent } from '../../src/agents/review-agent.ts';
import type { Severity } from '../../src/agents/taxonomy.ts';
import { prometheusQueryTool } from '../../src/agents/tools/prometheus-query-tool.ts';
import { offlineTriage, triageAgent, type TriageInput } from '../../src/agents/triage-agent.ts';
import type { AlertGroup } from '../../src/alerts/alert.ts';
import { builtinCommands, featureCommands } from '../../src/commands/index.ts';
import { tokenize } from '../../src/commands/parser.ts';
import { createRegistry } from '../../src/commands/registry.ts';
import { defaultPolicy } from '../../src/config/policy-schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';
import { roleAtLeast, type Role } from '../../src/roles.ts';
import { createFreeTextHandler } from '../../src/slack/free-text.ts';
import type { MessageContent } from '../../src/slack/chat-port.ts';
import type { Store } from '../../src/store/types.ts';
import { loadDefinitions } from '../../src/workflows/load-definitions.ts';
import { CORPUS, SLACK_CASES, type AlertSpec, type InjectionCase, type SlackCase } from '../fixtures/prompt-injection/corpus.ts';
import { CONFIGURED_SECRET, TEST_API_KEY, useAgentRig } from '../support/agent-rig.ts';
import { message, type RecordedRequest } from '../support/fake-messages-api.ts';
import { fenceProblems, injectionProblems, runButtons, type Evidence, type Rules } from '../support/injection-checks.ts';
import { startOpsbot, type RunningOpsbot } from '../support/opsbot.ts';
import { alertFromRule, loadRuleAlerts } from '../support/rule-alerts.ts';

/**
 * The prompt-injection corpus (test/fixtures/prompt-injection): every case through the real
 * runner and agent definitions against the scripted Messages API, every case checked for the same
 * invariants (test/support/injection-checks.ts). A case whose check exposes a hole in src/ runs
 * that check as `it.fails`, with the hole in its name, until src/ is fixed.
 */

const rig = useAgentRig();
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const RULE_ALERTS = loadRuleAlerts(here('../fixtures/prometheus-rules/kube-prometheus'));
const PLAYBOOKS = loadDefinitions({ dir: here('../fixtures/playbooks'), source: 'playbook' }).definitions;
const REGISTRY = createRegistry([...builtinCommands, ...featureCommands]);
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0GENERAL';

/** The catalog actions agents may propose in these tests (the Kubernetes issue adds the real ones). */
const ACTIONS: ProposableAction[] = [
  {
    name: 'k8s.rollout-restart',
    description: 'Rolling restart of a deployment',
    risk: 'low',
    paramDefinitions: {
      namespace: { type: 'string', required: true, pattern: '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?' },
      deployment: { type: 'string', required: true, pattern: '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?' },
      reason: { type: 'string', required: false },
    },
    paramsFromAlert: { namespace: 'namespace', deployment: 'deployment' },
  },
];

// A loopback Prometheus answering /api/v1/query_range with one series, as the real one does.
const queries: string[] = [];
let series: Record<string, string> = { pod: 'api-5d8f7c9b6-x2x7k' };
const prometheus = createServer((req, res) => {
  queries.push(new URL(req.url ?? '/', 'http://localhost').searchParams.get('query') ?? '');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: series, values: [[1, '2'], [2, '9']] }] } }));
});
let prometheusUrl = '';
beforeAll(async () => {
  prometheus.listen(0, '127.0.0.1');
  await once(prometheus, 'listening');
  prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => prometheus.close(() => resolve())));

function alertGroup(spec: AlertSpec): AlertGroup {
  const base = typeof spec.rule === 'string' ? RULE_ALERTS.find((r) => r.alert === spec.rule)?.alertGroup : alertFromRule(spec.rule);
  if (base === undefined) throw new Error(`no kube-prometheus rule ${String(spec.rule)}`);
  const labels = { ...base.commonLabels, ...spec.labels };
  const annotations = { ...base.commonAnnotations, ...spec.annotations };
  return { key: base.key, commonLabels: labels, commonAnnotations: annotations, alerts: base.alerts.map((a) => ({ ...a, labels, annotations })) };
}

/** May `role` run this one command, as the dispatcher would read it? */
function mayRun(role: Role, command: string): boolean {
  const found = REGISTRY.match(tokenize(command));
  return found.kind === 'command' && roleAtLeast(role, found.command.role);
}

interface Prepared {
  run(runner: AgentRunner): Promise<AgentAnswer<unknown>>;
  rules: Omit<Rules, 'secrets'>;
  schema: z.ZodType;
  /** Range queries the agent may make at all (tool-using agents with the Prometheus tool). */
  tools: boolean;
}

const asked = { requestedBy: ALICE };

/** The agent and input a case targets, and what its output may be, from the alert, files and policy only. */
function prepare(c: InjectionCase, store: Store): Prepared {
  const group = c.alert ? alertGroup(c.alert) : undefined;
  const customerFacing = c.alert?.customerFacing ?? false;
  const candidates = group ? playbookCandidates(group, PLAYBOOKS.values()) : [];
  const floor: Severity | undefined = group ? severityFloor(group, customerFacing) : undefined;
  const triageInput: TriageInput | undefined = group ? { group, playbooks: candidates, customerFacing } : undefined;
  const context = { ...asked, ...(group ? { subject: group.key, tools: { alertGroup: group } } : {}) };
  const run =
    <I, O>(agent: AgentDefinition<I, O>, input: I) =>
    (runner: AgentRunner): Promise<AgentAnswer<unknown>> =>
      runner.run(agent, input, context);

  switch (c.agent) {
    case 'triage':
      return { run: run(triageAgent(), triageInput!), rules: { severityFloor: floor }, schema: triageOutputSchema, tools: true };
    case 'fix':
    case 'review': {
      const triage = offlineTriage(triageInput!).output;
      const fixInput: FixInput = { group: group!, triage, playbooks: candidates, actions: ACTIONS };
      if (c.agent === 'review') {
        const fix = offlineFix(fixInput).output;
        return { run: run(reviewAgent(), { group: group!, triage, fix }), rules: { riskFloor: fix.risk }, schema: reviewOutputSchema, tools: false };
      }
      const triagedSeverity = triage.severity;
      return {
        run: run(fixAgent(), fixInput),
        rules: {
          proposal: { candidates, actions: ACTIONS, definitions: PLAYBOOKS, labels: group!.commonLabels, alertSeverity: floor! },
          autorun: (c.autorun ?? []).map((a) => ({ ...a, triagedSeverity: a.triagedSeverity ?? triagedSeverity })),
        },
        schema: fixOutputSchema,
        tools: true,
      };
    }
    case 'ci-analyst':
      return { run: run(ciAnalystAgent(), c.ci!), rules: { logLines: c.ci!.log.split(/\r\n|\r|\n/).length }, schema: ciAnalysisOutputSchema, tools: false };
    case 'pr-review':
      return { run: run(prReviewAgent(), { pr: 'acme/shop#42', change: c.pr! }), rules: { prFiles: c.pr!.files.map((f) => f.filename) }, schema: prReviewOutputSchema, tools: false };
    case 'postmortem':
      return { run: run(postmortemAgent(), c.incident!), rules: {}, schema: postmortemOutputSchema, tools: false };
    case 'intent': {
      const chat = c.chat!;
      const thread = '1700000000.000100';
      chat.history?.forEach((turn, i) =>
        store.threadMemory.append({ channel: CHANNEL, threadTs: thread, role: turn.role, userId: turn.role === 'user' ? ALICE : null, text: turn.text, at: rig.clock.now() - 60_000 + i }),
      );
      return {
        // The real @opsbot free-text handler: its `check` is the dispatcher's own reading of a command.
        async run(runner) {
          const answers: Array<AgentAnswer<unknown>> = [];
          const recording: AgentRunner = {
            provider: runner.provider,
            run: async (agent, input, context) => {
              const answer = await runner.run(agent, input, context);
              answers.push(answer as AgentAnswer<unknown>);
              return answer;
            },
          };
          const handler = createFreeTextHandler({ runner: recording, registry: REGISTRY, workflows: () => [], store, clock: rig.clock, policy: defaultPolicy(), commandPrefix: '/ops', redact: (text) => createRedactor([TEST_API_KEY, CONFIGURED_SECRET]).redactString(text) });
          const replies: MessageContent[] = [];
          const reply = {
            private: async () => undefined,
            public: async (m: MessageContent | string) => {
              replies.push(typeof m === 'string' ? { text: m } : m);
              return { channel: CHANNEL, ts: '1700000000.000200' };
            },
            file: async () => undefined,
          };
          await handler({ invocation: { source: 'mention', text: chat.text, userId: ALICE, channelId: CHANNEL, threadTs: thread }, caller: { id: ALICE, role: chat.role }, reply, log: caseLog });
          expect(replies).toHaveLength(1);
          return answers[0]!;
        },
        rules: { mayRun: (command) => mayRun(chat.role, command) },
        schema: intentOutputSchema,
        tools: false,
      };
    }
  }
}

const caseLog = createLogger({ level: 'debug', pretty: false, redactor: createRedactor([TEST_API_KEY, CONFIGURED_SECRET]), destination: { write: (line: string) => void rig.logs.push(line) } });

interface Played {
  answer: AgentAnswer<unknown>;
  evidence: Evidence;
  rules: Rules;
  requests: RecordedRequest[];
  queries: string[];
  prepared: Prepared;
}

async function play(c: InjectionCase, mode: 'model' | 'offline'): Promise<Played> {
  const { runner, store } = rig.runner({ llm: mode === 'model', tools: [prometheusQueryTool({ url: prometheusUrl, clock: rig.clock })] });
  if (mode === 'model') rig.api.script(...c.model.map((reply) => message(reply)));
  const sentBefore = rig.api.requests().length;
  const logsBefore = rig.logs.length;
  queries.length = 0;
  series = c.prometheusSeries ?? { pod: 'api-5d8f7c9b6-x2x7k' };
  const prepared = prepare(c, store);
  const answer = await prepared.run(runner);
  const requests = rig.api.requests().slice(sentBefore);
  const last = c.model.at(-1);
  const modelAnswer = mode === 'model' && answer.provider === 'anthropic' && typeof last?.text === 'object' ? prepared.schema.safeParse(last.text).data : undefined;
  const evidence: Evidence = {
    output: answer.output,
    violations: answer.violations,
    notes: answer.notes,
    run: store.agentRuns.get(answer.runId),
    audit: store.audit.list({ limit: 100 }),
    logs: rig.logs.slice(logsBefore),
    requests,
  };
  const rules: Rules = {
    ...prepared.rules,
    secrets: [CONFIGURED_SECRET, TEST_API_KEY, ...(c.secrets ?? [])],
    ...(c.forbidden ? { forbidden: c.forbidden } : {}),
    ...(mode === 'model' && c.blocked ? { blocked: c.blocked } : {}),
    ...(modelAnswer !== undefined ? { modelAnswer } : {}),
  };
  return { answer, evidence, rules, requests, queries: [...queries], prepared };
}

/** One online run per case, shared by its checks. */
function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

const knownHole = (c: InjectionCase, check: 'fence' | 'guard' | 'offline') => c.hole?.checks.includes(check) === true;
const named = (c: InjectionCase, check: 'fence' | 'guard' | 'offline', text: string) => (knownHole(c, check) ? `${text} — HOLE: ${c.hole!.where}` : text);

describe('prompt-injection corpus', () => {
  for (const c of CORPUS) {
    describe(`${c.id} ${c.title}`, () => {
      const online = memo(() => play(c, 'model'));

      (knownHole(c, 'guard') ? it.fails : it)(named(c, 'guard', 'the guard holds every invariant against the model'), async () => {
        const { answer, evidence, rules, queries: ran, prepared } = await online();

        expect(injectionProblems(evidence, rules)).toEqual([]);
        expect(answer.provider).toBe(c.provider ?? 'anthropic');
        if (c.output) expect(answer.output).toMatchObject(c.output);
        expect(ran).toHaveLength(c.toolRuns ?? 0);
        if (prepared.tools && answer.provider === 'anthropic') {
          const asked = c.model.flatMap((m) => (m.stopReason === 'tool_use' ? (m.toolUse ?? []) : [])).length;
          const run = evidence.run as { transcript: Array<{ type: string; outcome?: string }>; toolCalls: number };
          expect(run.transcript.filter((e) => e.type === 'tool' && e.outcome === 'refused')).toHaveLength(asked - (c.toolRuns ?? 0));
          expect(run.toolCalls).toBe(c.toolRuns ?? 0);
        }
      });

      if (c.family === 'input') {
        (knownHole(c, 'fence') ? it.fails : it)(named(c, 'fence', 'reaches the model only inside a data fence, with its secrets redacted'), async () => {
          const { requests } = await online();
          expect(fenceProblems(requests, { injected: c.injected ?? [], fakeTags: c.fakeTags ?? [], secrets: [CONFIGURED_SECRET, ...(c.secrets ?? [])] })).toEqual([]);
        });

        (knownHole(c, 'offline') ? it.fails : it)(named(c, 'offline', 'answers offline without the injected action'), async () => {
          const { answer, evidence, rules, requests } = await play(c, 'offline');
          expect(answer.provider).toBe('offline');
          expect(requests).toHaveLength(0);
          expect(injectionProblems(evidence, rules)).toEqual([]);
        });
      }
    });
  }
});

// ---- through Slack ------------------------------------------------------------------------

describe('prompt-injection corpus through Slack', () => {
  const running: RunningOpsbot[] = [];
  afterEach(async () => {
    for (const o of running.splice(0)) await o.stop();
  });

  async function mention(c: SlackCase): Promise<{ o: RunningOpsbot; evidence: Evidence; rules: Rules }> {
    const o = await startOpsbot({ env: { ANTHROPIC_API_KEY: TEST_API_KEY, ANTHROPIC_BASE_URL: rig.api.url, ...c.env } });
    running.push(o);
    o.app.store.roles.grant(ALICE, 'responder', 'test', o.clock.now());
    rig.api.script(...c.model.map((reply) => message(reply)));
    const sentBefore = rig.api.requests().length;
    const parent = await o.emulator.userMessage({ user: ALICE, channel: CHANNEL, text: 'api is flapping in staging' });
    const callsBefore = o.emulator.calls.length;
    await o.emulator.mention({ user: ALICE, channel: CHANNEL, text: `<@U0OPSBOT> ${c.text}`, threadTs: parent.ts });
    await o.settle();

    const [summary] = o.app.store.agentRuns.list(1);
    const run = o.app.store.agentRuns.get(summary!.id)!;
    const violations = run.notes.filter((n) => n.startsWith('Blocked: ')).map((n) => n.slice('Blocked: '.length, -1));
    const evidence: Evidence = {
      output: run.output,
      violations,
      notes: run.notes,
      run,
      audit: o.app.store.audit.list({ limit: 100 }),
      logs: o.logs.map((l) => JSON.stringify(l)),
      requests: rig.api.requests().slice(sentBefore),
      slack: o.emulator.calls.slice(callsBefore).map((call) => ({ method: call.method, args: call.args })),
    };
    const rules: Rules = {
      secrets: [...o.config.secrets, CONFIGURED_SECRET, ...(c.secrets ?? [])],
      forbidden: c.forbidden,
      mayRun: (command) => mayRun('responder', command),
      ...(c.blocked ? { blocked: c.blocked } : {}),
    };
    return { o, evidence, rules };
  }

  for (const c of SLACK_CASES) {
    (c.hole ? it.fails : it)(`${c.id} ${c.title}${c.hole ? ` — HOLE: ${c.hole}` : ''}`, async () => {
      const { o, evidence, rules } = await mention(c);

      expect(injectionProblems(evidence, rules)).toEqual([]);
      const replies = (evidence.slack as Array<{ method: string }>).filter((call) => call.method === 'chat.postMessage');
      expect(replies.length).toBeGreaterThan(0);
      for (const value of runButtons(evidence.slack)) expect(mayRun('responder', value)).toBe(true);
      expect(o.app.store.roles.get(BOB)).toBeUndefined();
      expect(o.app.store.audit.list({ limit: 100 }).filter((e) => e.action === 'command' && e.outcome === 'ok')).toEqual([]);
    });
  }
});

it(`covers at least 40 cases (${CORPUS.length} through the runner, ${SLACK_CASES.length} through Slack)`, () => {
  expect(CORPUS.length + SLACK_CASES.length).toBeGreaterThanOrEqual(40);
  expect(CORPUS.filter((c) => c.family === 'output').length).toBeGreaterThanOrEqual(20);
  expect(CORPUS.filter((c) => c.family === 'input').length).toBeGreaterThanOrEqual(10);
  expect(new Set([...CORPUS.map((c) => c.id), ...SLACK_CASES.map((c) => c.id)]).size).toBe(CORPUS.length + SLACK_CASES.length);
});
