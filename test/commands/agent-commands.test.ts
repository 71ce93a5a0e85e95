import { describe, expect, it } from 'vitest';
import { agentCommands } from '../../src/commands/agent-commands.ts';
import type { AgentRunOutcome, Store } from '../../src/store/types.ts';
import { useOpsbot } from './support.ts';

const RESPONDER = 'U0RESP';
const VIEWER = 'U0VIEW';

function record(store: Store, at: number, agent: string, outcome: Partial<AgentRunOutcome> = {}): string {
  const id = store.agentRuns.start({ agent, provider: 'anthropic', model: 'claude-sonnet-5-5', requestedBy: RESPONDER, subject: '{alertname="KubePodCrashLooping"}', input: { group: 'x' }, startedAt: at });
  store.agentRuns.finish(id, {
    provider: 'anthropic',
    model: 'claude-sonnet-5-5',
    status: 'ok',
    transcript: [
      { type: 'llm', at, ok: true, requests: 1, stop: 'tool_use', usage: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 800, cacheWriteTokens: 0 }, costUsd: 0.0042 },
      { type: 'tool', at: at + 1, tool: 'prometheus_query_range', input: { query: 'up' }, outcome: 'ok', result: '1 series', chars: 8, truncated: false },
    ],
    output: { summary: 'api crash loops' },
    notes: ['Answered by claude-sonnet-5-5.'],
    error: null,
    usage: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 800, cacheWriteTokens: 0 },
    costUsd: 0.0042,
    llmRequests: 1,
    toolCalls: 1,
    finishedAt: at + 2,
    ...outcome,
  });
  return id;
}

describe('agents commands', () => {
  const opsbot = useOpsbot(agentCommands);

  it('lists the newest runs with provider, outcome and cost', async () => {
    const bot = opsbot();
    bot.store.roles.grant(RESPONDER, 'responder', 'system', 0);
    record(bot.store, Date.parse('2026-03-02T09:00:00Z'), 'triage');
    record(bot.store, Date.parse('2026-03-02T09:05:00Z'), 'fix', { provider: 'offline', model: null, status: 'fallback', costUsd: 0 });

    const { text, outcome } = await bot.as(RESPONDER, 'agents runs');

    expect(outcome).toBe('ok');
    const lines = text.split('\n');
    expect(lines[0]).toBe('Agent runs: newest 2');
    expect(lines[1]).toMatch(/^`ag-2` 2026-03-02 09:05:00Z \*fix\* by <@U0RESP> · offline · fallback · .* · 1 calls, 1 tools, \$0\.00$/);
    expect(lines[2]).toMatch(/^`ag-1` .*\*triage\* .* · claude-sonnet-5-5 · ok · .*\$0\.0042$/);
  });

  it('shows one run to a deployer: its input, tool calls, output, tokens and cost', async () => {
    const bot = opsbot();
    bot.store.roles.grant(RESPONDER, 'deployer', 'system', 0);
    const id = record(bot.store, Date.parse('2026-03-02T09:00:00Z'), 'triage');

    const { privates, outcome } = await bot.as(RESPONDER, `agents show ${id}`);
    const shown = JSON.stringify(privates[0]!.blocks);

    expect(outcome).toBe('ok');
    expect(shown).toContain('1000 in, 100 out, 800 cache read, 0 cache write');
    expect(shown).toContain('$0.0042');
    expect(shown).toContain('tool `prometheus_query_range`');
    expect(shown).toContain('api crash loops');
  });

  it('keeps transcripts from viewers and responders (raw production data), who may still see the totals', async () => {
    const bot = opsbot();
    bot.store.roles.grant(RESPONDER, 'responder', 'system', 0);
    const id = record(bot.store, Date.parse('2026-03-02T09:00:00Z'), 'triage');
    expect((await bot.as(RESPONDER, `agents show ${id}`)).text).toMatch(/You need the \*deployer\* role to read agent transcripts/);

    const show = await bot.as(VIEWER, `agents show ${id}`);
    expect(show.outcome).toBe('denied');
    expect(show.text).toMatch(/You need the \*responder\* role/);

    const stats = await bot.as(VIEWER, 'agents stats');
    expect(stats.outcome).toBe('ok');
    expect(stats.text.split('\n')[0]).toBe('Agents, last 7 days: 1 runs, 0 model failures, $0.0042');
    expect(stats.text).toContain('2026-03-02 *triage*: 1 runs (0 offline, 0 model failures) · 1 calls · 1000 in / 100 out / 800 cache read / 0 cache write tokens');
  });

  it('says which run id is unknown and how to find one', async () => {
    const bot = opsbot();
    bot.store.roles.grant(RESPONDER, 'deployer', 'system', 0);
    const { text, outcome } = await bot.as(RESPONDER, 'agents show ag-99');
    expect(outcome).toBe('error');
    expect(text).toContain('There is no agent run ag-99.');
    expect(text).toContain('/ops agents runs');
  });
});
