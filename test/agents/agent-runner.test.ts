import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixAgent } from '../../src/agents/fix-agent.ts';
import { triageOutputSchema, type TriageOutput } from '../../src/agents/output-schemas.ts';
import type { PlaybookCandidate } from '../../src/agents/playbook-candidate.ts';
import { prometheusQueryTool } from '../../src/agents/tools/prometheus-query-tool.ts';
import { triageAgent, type TriageInput } from '../../src/agents/triage-agent.ts';
import { apiError, message } from '../support/fake-messages-api.ts';
import { CONFIGURED_SECRET, useAgentRig } from '../support/agent-rig.ts';
import { loadRuleAlerts } from '../support/rule-alerts.ts';

const RULES = fileURLToPath(new URL('../fixtures/prometheus-rules/kube-prometheus', import.meta.url));
const rig = useAgentRig();
const crashLooping = loadRuleAlerts(RULES).find((r) => r.alert === 'KubePodCrashLooping')!.alertGroup;
const triageInput: TriageInput = { group: crashLooping, playbooks: [], customerFacing: false };
const asked = { requestedBy: 'U0ASKER', subject: crashLooping.key };

const modelTriage: TriageOutput = {
  summary: 'api pods in shop crash on start: missing DATABASE_URL.',
  category: 'availability',
  severity: 'P3',
  service: 'api',
  causes: [{ cause: 'missing env var after the last deploy', likelihood: 'high', evidence: 'restart count 14' }],
  diagnostics: [{ check: 'restart rate', status: 'ran', finding: '14 restarts in 1h' }],
  remediation: 'rollback-deploy',
  confidence: 0.8,
};

// A loopback Prometheus answering /api/v1/query_range with a matrix, as the real one does.
const queries: string[] = [];
const prometheus = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  queries.push(url.searchParams.get('query') ?? '');
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { pod: 'api-5d8f7c9b6-x2x7k' }, values: [[1, '2'], [2, '9'], [3, '14']] }] },
    }),
  );
});
let prometheusUrl = '';
beforeAll(async () => {
  prometheus.listen(0, '127.0.0.1');
  await once(prometheus, 'listening');
  prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => prometheus.close(() => resolve())));

describe('agent runner', () => {
  it('answers offline without a key, says so, and stores the run', async () => {
    const { runner, store } = rig.runner({ llm: false });
    const answer = await runner.run(triageAgent(), triageInput, asked);

    expect(triageOutputSchema.parse(answer.output)).toMatchObject({ category: 'availability', severity: 'P3', remediation: 'restart-workload' });
    expect(answer.provider).toBe('offline');
    expect(answer.notes[0]).toMatch(/offline provider \(no ANTHROPIC_API_KEY/);
    const run = store.agentRuns.get(answer.runId)!;
    expect(run).toMatchObject({ agent: 'triage', provider: 'offline', status: 'ok', subject: crashLooping.key, llmRequests: 0, costUsd: 0 });
    expect(run.output).toEqual(answer.output);
    expect(rig.api.requests()).toHaveLength(0);
  });

  it('returns the model answer with its tokens and cost recorded', async () => {
    const { runner, store } = rig.runner();
    rig.api.script(message({ text: modelTriage, usage: { input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 900, cache_creation_input_tokens: 0 } }));
    const answer = await runner.run(triageAgent(), triageInput, asked);

    expect(answer).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-5-5', output: modelTriage });
    const run = store.agentRuns.get(answer.runId)!;
    expect(run.usage).toEqual({ inputTokens: 1200, outputTokens: 300, cacheReadTokens: 900, cacheWriteTokens: 0 });
    expect(run.costUsd).toBeGreaterThan(0);
    expect(run.llmRequests).toBe(1);
  });

  it('sends the alert fenced as data, with the system prompt and tools marked for caching', async () => {
    const { runner } = rig.runner({ tools: [prometheusQueryTool({ url: prometheusUrl, clock: rig.clock })] });
    rig.api.script(message({ text: modelTriage }));
    await runner.run(triageAgent(), triageInput, asked);

    const body = rig.api.requests().at(-1)!.body as { system: Array<{ cache_control?: unknown; text: string }>; tools: Array<{ name: string; cache_control?: unknown }>; messages: Array<{ content: string }> };
    expect(body.system[0]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(body.tools.map((t) => t.name)).toEqual(['prometheus_query_range']);
    expect(body.tools.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });
    expect(body.messages[0]!.content).toMatch(/<data-[0-9a-f]{12} label="alert group">\n[\s\S]*KubePodCrashLooping[\s\S]*\n<\/data-[0-9a-f]{12}>/);
  });

  it('runs a tool the model asks for and keeps the call in the transcript', async () => {
    const { runner, store } = rig.runner({ tools: [prometheusQueryTool({ url: prometheusUrl, clock: rig.clock })] });
    rig.api.script(
      message({ toolUse: [{ id: 'toolu_1', name: 'prometheus_query_range', input: { query: 'kube_pod_container_status_restarts_total', minutes: 60 } }], stopReason: 'tool_use' }),
      message({ text: modelTriage }),
    );
    const answer = await runner.run(triageAgent(), triageInput, asked);

    expect(queries.at(-1)).toBe('kube_pod_container_status_restarts_total');
    const second = rig.api.requests().at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
    const toolResult = (second.messages.at(-1)!.content as Array<{ type: string; content: string }>)[0]!;
    expect(toolResult.type).toBe('tool_result');
    expect(toolResult.content).toMatch(/first 2, min 2, max 14, last 14 \(3 points\)/);
    const run = store.agentRuns.get(answer.runId)!;
    expect(run.toolCalls).toBe(1);
    expect(run.transcript.filter((e) => e.type === 'tool')).toMatchObject([{ tool: 'prometheus_query_range', outcome: 'ok', truncated: false }]);
  });

  it('refuses an identical repeated tool call and calls past the cap', async () => {
    const { runner, store } = rig.runner({ tools: [prometheusQueryTool({ url: prometheusUrl, clock: rig.clock })], maxToolCalls: 2 });
    const call = (id: string, query: string) => message({ toolUse: [{ id, name: 'prometheus_query_range', input: { query, minutes: 30 } }], stopReason: 'tool_use' });
    rig.api.script(call('t1', 'up'), call('t2', 'up'), call('t3', 'rate(x[5m])'), call('t4', 'sum(y)'), message({ text: modelTriage }));
    const answer = await runner.run(triageAgent(), triageInput, asked);

    const outcomes = store.agentRuns.get(answer.runId)!.transcript.flatMap((e) => (e.type === 'tool' ? [`${e.outcome}: ${e.result.slice(0, 60)}`] : []));
    expect(outcomes).toEqual([
      expect.stringMatching(/^ok: /),
      expect.stringMatching(/^refused: Refused: this exact call was already made in this run/),
      expect.stringMatching(/^ok: /),
      expect.stringMatching(/^refused: Refused: the limit of 2 tool calls per run is reached/),
    ]);
    expect(answer.provider).toBe('anthropic');
  });

  it('repairs one invalid answer by asking once more', async () => {
    const { runner, store } = rig.runner();
    rig.api.script(message({ text: { ...modelTriage, category: 'vibes' } }), message({ text: modelTriage }));
    const answer = await runner.run(triageAgent(), triageInput, asked);

    expect(answer).toMatchObject({ provider: 'anthropic', output: modelTriage });
    const repair = rig.api.requests().at(-1)!.body as { messages: Array<{ role: string; content: string }> };
    expect(repair.messages.at(-1)!.content).toMatch(/did not match the required schema/);
    expect(store.agentRuns.get(answer.runId)).toMatchObject({ status: 'ok', llmRequests: 2 });
  });

  it('answers offline after a second invalid answer, and says why', async () => {
    const { runner, store } = rig.runner();
    rig.api.script(message({ text: 'not json' }), message({ text: { ...modelTriage, severity: 'P9' } }));
    const answer = await runner.run(triageAgent(), triageInput, asked);

    expect(answer.provider).toBe('offline');
    expect(answer.notes[0]).toMatch(/^The model failed \(invalid_output: /);
    expect(store.agentRuns.get(answer.runId)).toMatchObject({ status: 'fallback', llmRequests: 2 });
  });

  it('falls back to the offline answer when the model keeps failing, and says so', async () => {
    const { runner, store } = rig.runner();
    rig.api.script(apiError(529, { 'retry-after-ms': '0' }), apiError(529, { 'retry-after-ms': '0' }));
    const answer = await runner.run(triageAgent(), triageInput, asked);

    expect(answer.provider).toBe('offline');
    expect(answer.notes[0]).toMatch(/^The model failed \(unavailable: .*\); answered by the offline provider instead\.$/);
    expect(answer.output.remediation).toBe('restart-workload');
    expect(store.agentRuns.get(answer.runId)).toMatchObject({ status: 'fallback', llmRequests: 2 });
  });

  it('stops asking the model after three failures in a row, until the cool-down ends', async () => {
    const { runner } = rig.runner();
    for (let i = 0; i < 3; i += 1) {
      rig.api.script(apiError(429, { 'retry-after-ms': '0' }), apiError(429, { 'retry-after-ms': '0' }));
      await runner.run(triageAgent(), triageInput, asked);
    }
    const sentBefore = rig.api.requests().length;
    const paused = await runner.run(triageAgent(), triageInput, asked);
    expect(rig.api.requests().length).toBe(sentBefore);
    expect(paused.notes[0]).toMatch(/failed 3 times in a row, so it is not asked again before/);

    await rig.clock.advance(5 * 60_000);
    rig.api.script(message({ text: modelTriage }));
    expect((await runner.run(triageAgent(), triageInput, asked)).provider).toBe('anthropic');
  });

  it('stops asking the model once a shared model-call budget is spent, tool rounds and retries included, and says so', async () => {
    const { runner, store } = rig.runner({ tools: [prometheusQueryTool({ url: prometheusUrl, clock: rig.clock })] });
    const call = (id: string, query: string) => message({ toolUse: [{ id, name: 'prometheus_query_range', input: { query, minutes: 30 } }], stopReason: 'tool_use' });
    // The client may retry a 429 once (maxRetries 1); with one request left in the budget it does not.
    rig.api.script(call('t1', 'up'), call('t2', 'rate(x[5m])'), apiError(429, { 'retry-after-ms': '0' }));
    const budget = { remaining: 3, scope: 'this alert group' };
    const before = rig.api.requests().length;
    const first = await runner.run(triageAgent(), triageInput, { ...asked, budget });

    expect(rig.api.requests().length - before).toBe(3);
    expect(budget.remaining).toBe(0);
    expect(first.provider).toBe('offline');
    expect(store.agentRuns.get(first.runId)).toMatchObject({ status: 'fallback', llmRequests: 3 });

    const second = await runner.run(triageAgent(), triageInput, { ...asked, budget });
    expect(rig.api.requests().length - before).toBe(3);
    expect(second.notes[0]).toBe('Answered by the offline provider: the model-call budget for this alert group is spent.');
    expect(store.agentRuns.get(second.runId)).toMatchObject({ provider: 'offline', status: 'fallback', llmRequests: 0 });
  });

  it('answers offline when the budget runs out between tool rounds, without counting it as a model failure', async () => {
    const { runner, store } = rig.runner({ tools: [prometheusQueryTool({ url: prometheusUrl, clock: rig.clock })] });
    rig.api.script(message({ toolUse: [{ id: 't1', name: 'prometheus_query_range', input: { query: 'up', minutes: 30 } }], stopReason: 'tool_use' }));
    const before = rig.api.requests().length;
    const answer = await runner.run(triageAgent(), triageInput, { ...asked, budget: { remaining: 1, scope: 'this alert group' } });

    expect(rig.api.requests().length - before).toBe(1);
    expect(answer.notes[0]).toBe('The model did not answer before the model-call budget for this alert group is spent; answered by the offline provider instead.');
    expect(store.agentRuns.get(answer.runId)).toMatchObject({ status: 'fallback', toolCalls: 1, error: expect.stringMatching(/^budget_spent: /) });
  });

  it('keeps the alerts own severity when the model lowers it', async () => {
    const { runner } = rig.runner();
    const critical = { ...triageInput, group: { ...crashLooping, commonLabels: { ...crashLooping.commonLabels, severity: 'critical' }, alerts: crashLooping.alerts.map((a) => ({ ...a, labels: { ...a.labels, severity: 'critical' } })) } };
    rig.api.script(message({ text: { ...modelTriage, severity: 'P4' } }));
    const answer = await runner.run(triageAgent(), critical, asked);

    expect(answer.output.severity).toBe('P2');
    expect(answer.notes).toContain("Blocked: severity P4 is below the alerts' own P2; kept P2.");
  });

  it('removes a secret the model echoes before anyone sees or stores it', async () => {
    const { runner, store } = rig.runner();
    rig.api.script(message({ text: { ...modelTriage, summary: `token ${CONFIGURED_SECRET} leaked in logs` } }));
    const answer = await runner.run(triageAgent(), triageInput, asked);

    expect(answer.output.summary).toBe('token [REDACTED] leaked in logs');
    expect(answer.notes).toContain('Blocked: secrets removed from the answer.');
    expect(JSON.stringify(store.agentRuns.get(answer.runId))).not.toContain(CONFIGURED_SECRET);
    expect(rig.logs.join('\n')).not.toContain(CONFIGURED_SECRET);
  });

  it('writes each fix proposal to the audit log', async () => {
    const { runner, store } = rig.runner({ llm: false });
    const playbook: PlaybookCandidate = {
      name: 'restart-crashlooping-pod',
      description: 'Collect logs, then restart the deployment',
      remediation: 'restart-workload',
      risk: 'low',
      params: { namespace: 'shop', deployment: 'api' },
      missing: [],
      matchedBy: 'labels alertname=KubePodCrashLooping',
      matchedByLabels: true,
      paramDefinitions: { namespace: { type: 'string', required: true }, deployment: { type: 'string', required: true } },
    };
    const triage = (await runner.run(triageAgent(), triageInput, asked)).output;
    const answer = await runner.run(fixAgent(), { group: crashLooping, triage, playbooks: [playbook], actions: [] }, asked);

    expect(answer.output.proposal).toEqual({ kind: 'playbook', name: 'restart-crashlooping-pod', params: [{ name: 'namespace', value: 'shop' }, { name: 'deployment', value: 'api' }], rationale: expect.any(String) });
    const [row] = store.audit.list({ limit: 1 });
    expect(row).toMatchObject({ actor: 'U0ASKER', action: 'agent.proposal', outcome: 'playbook', command: `agent fix ${answer.runId}` });
    expect(row!.detail).toContain('restart-crashlooping-pod');
  });
});
