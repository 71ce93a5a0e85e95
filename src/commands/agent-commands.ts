import { z } from 'zod';
import type { Policy } from '../config/policy-schema.ts';
import { PermissionDeniedError, UserError } from '../errors.ts';
import { roleAtLeast } from '../roles.ts';
import type { MessageContent } from '../slack/chat-port.ts';
import type { AgentRun, AgentStatsRow, Store } from '../store/types.ts';
import { positiveInt } from './arg-types.ts';
import { clip, context, escapeMrkdwn, header, section, sectionsOf } from './blocks.ts';
import { defineCommand, type CommandContext } from './command.ts';
import { utcTime } from './time-format.ts';

export interface AgentCommandDeps {
  store: Store;
  policy: Policy;
}

const RUNS_DEFAULT = 20;
const RUNS_MAX = 100;
const STATS_DAYS_MAX = 90;
const DAY_MS = 86_400_000;
/** Of a run's input or output as shown in Slack; `agents show` is for reading, the database keeps it all. */
const JSON_SHOWN = 2_500;

export const agentsRuns = defineCommand({
  name: 'agents runs',
  summary: 'List the newest agent runs: agent, provider, outcome, cost',
  examples: ['agents runs', 'agents runs 50'],
  args: z.object({ n: positiveInt.max(RUNS_MAX, { error: `at most ${RUNS_MAX}` }).default(RUNS_DEFAULT) }),
  positional: ['n'],
  role: 'responder',
  async run({ reply, deps }: CommandContext<AgentCommandDeps>, { n }) {
    const runs = deps.store.agentRuns.list(n);
    if (runs.length === 0) {
      await reply.private('No agent has run yet.');
      return;
    }
    await reply.private(runsView(runs));
  },
});

export const agentsShow = defineCommand({
  name: 'agents show',
  summary: 'Show one agent run: input, tool calls, output, tokens and cost',
  examples: ['agents show ag-12'],
  args: z.object({ run: z.string().regex(/^ag-\d+$/, { error: 'an agent run id like ag-12 (see `agents runs`)' }) }),
  positional: ['run'],
  role: 'responder',
  async run({ reply, deps, caller, commandPrefix }: CommandContext<AgentCommandDeps>, { run: id }) {
    // A transcript holds raw data (alert bodies, logs, tool results): the production read role applies.
    const needed = deps.policy.environments.production?.roleToReadRaw ?? 'deployer';
    if (!roleAtLeast(caller.role, needed)) throw new PermissionDeniedError(needed, 'read agent transcripts', commandPrefix);
    const run = deps.store.agentRuns.get(id);
    if (run === undefined) throw new UserError('agent_run_not_found', `There is no agent run ${id}.`, `\`${commandPrefix} agents runs\` lists the newest.`);
    await reply.private(runView(run));
  },
});

export const agentsStats = defineCommand({
  name: 'agents stats',
  summary: 'Agent calls, tokens, cost and failures by agent and day',
  examples: ['agents stats', 'agents stats days=30'],
  args: z.object({ days: positiveInt.max(STATS_DAYS_MAX, { error: `at most ${STATS_DAYS_MAX}` }).default(7) }),
  role: 'viewer',
  async run({ reply, deps, clock }: CommandContext<AgentCommandDeps>, { days }) {
    const since = Math.floor(clock.now() / DAY_MS - (days - 1)) * DAY_MS;
    const rows = deps.store.agentRuns.stats(since);
    if (rows.length === 0) {
      await reply.private(`No agent runs in the last ${days} days.`);
      return;
    }
    await reply.private(statsView(rows, days));
  },
});

export const agentCommands = [agentsRuns, agentsShow, agentsStats];

type RunSummary = Omit<AgentRun, 'input' | 'transcript' | 'output'>;

const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
const provider = (r: Pick<AgentRun, 'provider' | 'model'>) => (r.provider === 'offline' ? 'offline' : (r.model ?? 'anthropic'));

/** Pure. */
export function runsView(runs: readonly RunSummary[]): MessageContent {
  const line = (r: RunSummary) =>
    `\`${r.id}\` ${utcTime(r.startedAt)} *${r.agent}* by ${r.requestedBy === 'system' ? 'opsbot' : `<@${r.requestedBy}>`} · ${provider(r)} · ${r.status}` +
    `${r.subject ? ` · ${escapeMrkdwn(clip(r.subject, 80))}` : ''} · ${r.llmRequests} calls, ${r.toolCalls} tools, ${usd(r.costUsd)}`;
  const title = `Agent runs: newest ${runs.length}`;
  return {
    text: [title, ...runs.map(line)].join('\n'),
    blocks: [header(title), ...sectionsOf(runs.map(line)), context('`agents show <id>` for one run’s input, tool calls and output.')],
  };
}

/** Pure. */
export function runView(run: AgentRun): MessageContent {
  const tokens = `${run.usage.inputTokens} in, ${run.usage.outputTokens} out, ${run.usage.cacheReadTokens} cache read, ${run.usage.cacheWriteTokens} cache write`;
  const summary = [
    `*${run.agent}* by ${run.requestedBy === 'system' ? 'opsbot' : `<@${run.requestedBy}>`} at ${utcTime(run.startedAt)} · ${provider(run)} · ${run.status}`,
    `${run.llmRequests} model requests · ${run.toolCalls} tool calls · ${tokens} · ${usd(run.costUsd)}`,
    ...(run.subject ? [`About: ${escapeMrkdwn(run.subject)}`] : []),
    ...(run.error ? [`Model error: ${escapeMrkdwn(run.error)}`] : []),
  ];
  const steps = run.transcript.map((entry) =>
    entry.type === 'llm'
      ? `${utcTime(entry.at)} model → ${entry.stop}${entry.ok ? '' : ` (${escapeMrkdwn(clip(entry.error ?? '', 200))})`} · ${entry.usage.inputTokens}/${entry.usage.outputTokens} tokens · ${usd(entry.costUsd)}`
      : `${utcTime(entry.at)} tool \`${entry.tool}\` ${escapeMrkdwn(clip(JSON.stringify(entry.input), 200))} → ${entry.outcome}, ${entry.chars} chars${entry.truncated ? ' (cut)' : ''}`,
  );
  const json = (value: unknown) => `\`\`\`${clip(JSON.stringify(value, null, 1), JSON_SHOWN).replace(/```/g, "'''")}\`\`\``;
  const title = `Agent run ${run.id}`;
  return {
    text: `${title}: ${run.agent}, ${run.status}`,
    blocks: [
      header(title),
      ...sectionsOf(summary),
      ...(run.notes.length > 0 ? sectionsOf(run.notes.map((n) => `• ${escapeMrkdwn(n)}`), '*Notes*') : []),
      section(`*Input*\n${json(run.input)}`),
      ...(steps.length > 0 ? sectionsOf(steps, '*Transcript*') : []),
      section(`*Output*\n${json(run.output)}`),
      context('Only visible to you. Inputs and tool results were redacted before the model saw them.'),
    ],
  };
}

/** Pure. */
export function statsView(rows: readonly AgentStatsRow[], days: number): MessageContent {
  const total = rows.reduce((sum, r) => ({ runs: sum.runs + r.runs, failures: sum.failures + r.failures, cost: sum.cost + r.costUsd }), { runs: 0, failures: 0, cost: 0 });
  const line = (r: AgentStatsRow) =>
    `${r.day} *${r.agent}*: ${r.runs} runs (${r.offline} offline, ${r.failures} model failures) · ${r.llmRequests} calls · ${r.inputTokens} in / ${r.outputTokens} out / ${r.cacheReadTokens} cache read / ${r.cacheWriteTokens} cache write tokens · ${usd(r.costUsd)}`;
  const title = `Agents, last ${days} days: ${total.runs} runs, ${total.failures} model failures, ${usd(total.cost)}`;
  return { text: [title, ...rows.map(line)].join('\n'), blocks: [header(clip(title, 150)), ...sectionsOf(rows.map(line)), context('Cost is estimated from token counts and list prices.')] };
}
