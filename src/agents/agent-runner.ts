import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { Redactor } from '../redact.ts';
import type { AgentProvider, AgentRunRepo, AgentRunStatus, AgentTranscriptEntry, AgentUsage, AuditRepo } from '../store/types.ts';
import type { AgentDefinition, OfflineAnswer } from './agent.ts';
import type { LlmClient, LlmMessage, LlmResult, LlmToolUse } from './llm-client.ts';
import type { ReadOnlyTool, ToolContext } from './read-only-tool.ts';
import { createToolSession, type ToolLimits } from './tool-session.ts';
import { createFence, UNTRUSTED_RULES } from './untrusted.ts';

export interface AgentAnswer<O> {
  runId: string;
  provider: AgentProvider;
  model: string | null;
  output: O;
  /** What the reply must say beside the answer: which provider, a fallback, a thin answer, blocked output. */
  notes: string[];
  thin: boolean;
  violations: string[];
  costUsd: number;
}

export interface RunContext {
  /** Slack user id, or `system` for automatic runs. */
  requestedBy: string;
  /** What the run is about (alert group key, thread, PR), for `/ops agents runs` and history. */
  subject?: string;
  tools?: ToolContext;
  /** Model requests several runs share (an alert group's triage loop); spent, the run answers offline. */
  budget?: ModelBudget;
}

/**
 * HTTP requests to the model that may still be sent, SDK retries, repairs and tool rounds
 * included. Each request a run sends is taken off `remaining`; a call is never given more
 * attempts than are left.
 */
export interface ModelBudget {
  remaining: number;
  /** What the budget is for, as the note says it: "this alert group". */
  scope?: string;
}

export interface AgentRunner {
  run<I, O>(agent: AgentDefinition<I, O>, input: I, context: RunContext): Promise<AgentAnswer<O>>;
  /** `anthropic` with a key, `offline` without one. */
  readonly provider: AgentProvider;
}

export interface AgentRunnerOptions {
  /** Absent without ANTHROPIC_API_KEY: every agent answers offline. */
  llm?: LlmClient;
  runs: AgentRunRepo;
  audit: AuditRepo;
  tools: readonly ReadOnlyTool[];
  limits: ToolLimits;
  /** Consecutive model failures after which the model is left alone for `cooldownMs`. */
  breaker: { failures: number; cooldownMs: number };
  redactor: Redactor;
  clock: Clock;
  log: Logger;
}

const ZERO: AgentUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

/**
 * Runs one agent: the model with read-only tools when a key is configured, the offline provider
 * otherwise or when the model fails. Every answer passes the agent's guard, has its secrets
 * redacted, and is stored with its transcript, tokens and cost.
 */
export function createAgentRunner(options: AgentRunnerOptions): AgentRunner {
  const { clock, redactor, llm } = options;
  const log = options.log.child({ component: 'agents' });
  const fence = createFence(redactor);
  let consecutiveFailures = 0;
  let pausedUntil = 0;

  async function run<I, O>(agent: AgentDefinition<I, O>, input: I, context: RunContext): Promise<AgentAnswer<O>> {
    const started = clock.now();
    const runId = options.runs.start({
      agent: agent.name,
      provider: llm ? 'anthropic' : 'offline',
      model: llm?.model ?? null,
      requestedBy: context.requestedBy,
      subject: context.subject ?? null,
      input: redactor.redactValue(input),
      startedAt: started,
    });
    const runLog = log.child({ runId, agent: agent.name });
    const transcript: AgentTranscriptEntry[] = [];
    const usage: AgentUsage = { ...ZERO };
    let costUsd = 0;
    let llmRequests = 0;
    let toolCalls = 0;
    let modelError: string | null = null;

    let answer: { provider: AgentProvider; output: O; thin: boolean; notes: string[] } | undefined;
    const budget = context.budget;
    const spent = () => `the model-call budget for ${budget?.scope ?? 'this request'} is spent`;
    if (llm === undefined) {
      answer = offlineAnswer(agent, input, ['Answered by the offline provider (no ANTHROPIC_API_KEY is configured).']);
    } else if (clock.now() < pausedUntil) {
      answer = offlineAnswer(agent, input, [
        `Answered by the offline provider: the model failed ${options.breaker.failures} times in a row, so it is not asked again before ${new Date(pausedUntil).toISOString()}.`,
      ]);
    } else if (budget !== undefined && budget.remaining <= 0) {
      modelError = `budget_spent: ${spent()}`;
      answer = offlineAnswer(agent, input, [`Answered by the offline provider: ${spent()}.`]);
    } else {
      const tools = agent.usesTools ? createToolSession({ tools: options.tools, agent: agent.name, limits: options.limits, context: context.tools ?? {}, fence, clock }) : undefined;
      const system = `${agent.system}\n\n${UNTRUSTED_RULES}`;
      let messages: LlmMessage[] = [{ role: 'user', content: agent.prompt(input, fence) }];
      // Each round is one model answer. Refused calls (repeats, past the cap) take rounds too, so a
      // model that keeps asking gets as many refusals as it had calls before the run gives up.
      const maxRounds = (tools ? 2 * options.limits.maxCalls : 0) + 2;
      let budgetSpent = false;
      for (let round = 0; round < maxRounds && answer === undefined && modelError === null; round += 1) {
        if (budget !== undefined && budget.remaining <= 0) {
          budgetSpent = true;
          break;
        }
        const request = {
          agent: agent.name,
          system,
          messages,
          outputSchema: agent.output,
          maxTokens: agent.maxTokens,
          ...(budget !== undefined ? { maxAttempts: budget.remaining } : {}),
        };
        const result: LlmResult<O> | LlmToolUse =
          tools && tools.definitions.length > 0 ? await llm.complete({ ...request, tools: tools.definitions }) : await llm.complete(request);
        if (budget !== undefined) budget.remaining -= result.attempts;
        llmRequests += result.attempts;
        costUsd += result.costUsd;
        addUsage(usage, result.usage);
        transcript.push({
          type: 'llm',
          at: clock.now(),
          ok: result.ok,
          requests: result.attempts,
          stop: !result.ok ? result.error.code : 'toolCalls' in result ? 'tool_use' : 'answer',
          usage: { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, cacheReadTokens: result.usage.cacheReadInputTokens, cacheWriteTokens: result.usage.cacheCreationInputTokens },
          costUsd: result.costUsd,
          ...(result.ok ? {} : { error: result.error.message }),
        });
        if (!result.ok) {
          modelError = `${result.error.code}: ${result.error.message}`;
        } else if ('toolCalls' in result) {
          const results = [];
          for (const call of result.toolCalls) results.push(await tools!.call(call));
          transcript.push(...tools!.transcript.splice(0));
          toolCalls = tools!.calls;
          messages = [
            ...messages,
            { role: 'assistant', content: result.content },
            { role: 'user', content: results.map((r) => ({ type: 'tool_result' as const, tool_use_id: r.toolUseId, content: r.content, is_error: r.isError })) },
          ];
        } else {
          answer = { provider: 'anthropic', output: result.value, thin: false, notes: [`Answered by ${result.model}.`] };
        }
      }
      if (answer === undefined && budgetSpent) {
        // Not the model's fault: the breaker does not count it.
        modelError = `budget_spent: ${spent()} before the model answered`;
        runLog.warn({ llmRequests }, 'model-call budget spent; answering offline');
        answer = offlineAnswer(agent, input, [`The model did not answer before ${spent()}; answered by the offline provider instead.`]);
      } else if (answer === undefined) {
        modelError ??= `no_answer: the model kept calling tools after ${maxRounds} rounds`;
        consecutiveFailures += 1;
        if (consecutiveFailures >= options.breaker.failures) pausedUntil = clock.now() + options.breaker.cooldownMs;
        runLog.warn({ error: modelError, consecutiveFailures }, 'agent model failed; answering offline');
        answer = offlineAnswer(agent, input, [`The model failed (${modelError}); answered by the offline provider instead.`]);
      } else {
        consecutiveFailures = 0;
      }
    }

    // Redact first, so the guard judges (and any note quotes) only what could be shown.
    const redacted = redactor.redactValue(answer.output) as O;
    const secretsRemoved = JSON.stringify(redacted) !== JSON.stringify(answer.output);
    const guarded = agent.guard ? agent.guard(redacted, input) : { output: redacted, violations: [] };
    const violations = [...(secretsRemoved ? ['secrets removed from the answer'] : []), ...guarded.violations];
    // Notes quote errors and the guard's findings, which may quote the model: redacted like the rest.
    const notes = [...answer.notes, ...violations.map((v) => `Blocked: ${v}.`)].map((note) => redactor.redactString(note));
    if (violations.length > 0) runLog.warn({ violations }, 'agent output guarded');

    const status: AgentRunStatus = modelError !== null ? 'fallback' : 'ok';
    options.runs.finish(runId, {
      provider: answer.provider,
      model: answer.provider === 'anthropic' ? (llm?.model ?? null) : null,
      status,
      transcript: redactor.redactValue(transcript) as AgentTranscriptEntry[],
      output: guarded.output,
      notes,
      error: modelError === null ? null : redactor.redactString(modelError),
      usage,
      costUsd,
      llmRequests,
      toolCalls,
      finishedAt: clock.now(),
    });
    const auditRow = agent.audit?.(guarded.output);
    if (auditRow) {
      options.audit.append({ at: clock.now(), actor: context.requestedBy, action: auditRow.action, command: `agent ${agent.name} ${runId}`, outcome: auditRow.outcome, detail: redactor.redactString(auditRow.detail) });
    }
    runLog.info({ provider: answer.provider, status, llmRequests, toolCalls, costUsd, violations: violations.length, durationMs: clock.now() - started }, 'agent answered');
    return { runId, provider: answer.provider, model: answer.provider === 'anthropic' ? (llm?.model ?? null) : null, output: guarded.output, notes, thin: answer.thin, violations, costUsd };
  }

  return { run, provider: llm ? 'anthropic' : 'offline' };
}

function offlineAnswer<I, O>(agent: AgentDefinition<I, O>, input: I, notes: string[]): { provider: AgentProvider; output: O; thin: boolean; notes: string[] } {
  const offline: OfflineAnswer<O> = agent.offline(input);
  return { provider: 'offline', output: offline.output, thin: offline.thin, notes: [...notes, ...offline.notes] };
}

function addUsage(total: AgentUsage, usage: { inputTokens: number; outputTokens: number; cacheReadInputTokens: number; cacheCreationInputTokens: number }): void {
  total.inputTokens += usage.inputTokens;
  total.outputTokens += usage.outputTokens;
  total.cacheReadTokens += usage.cacheReadInputTokens;
  total.cacheWriteTokens += usage.cacheCreationInputTokens;
}
