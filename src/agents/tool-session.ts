import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { AgentTranscriptEntry } from '../store/types.ts';
import type { LlmTool, LlmToolCall } from './llm-client.ts';
import type { ReadOnlyTool, ToolContext } from './read-only-tool.ts';
import type { Fence } from './untrusted.ts';

export interface ToolLimits {
  /** Tool calls per agent run; later calls are refused and the model is told to answer. */
  maxCalls: number;
  /** Characters of one result the model sees; the rest is cut with a note. */
  maxResultChars: number;
}

export interface ToolResult {
  toolUseId: string;
  content: string;
  isError: boolean;
}

export interface ToolSession {
  readonly definitions: LlmTool[];
  call(call: LlmToolCall): Promise<ToolResult>;
  readonly calls: number;
  readonly transcript: AgentTranscriptEntry[];
}

/**
 * The tools of one agent run: caps the number of calls and the size of each result, refuses an
 * identical repeated call (the model already has that answer), and records every call — refused
 * ones too — in the run's transcript. Results are fenced as untrusted data, secrets redacted.
 */
export function createToolSession(options: {
  tools: readonly ReadOnlyTool[];
  agent: string;
  limits: ToolLimits;
  context: ToolContext;
  fence: Fence;
  clock: Clock;
}): ToolSession {
  const offered = options.tools.filter((tool) => tool.agents === undefined || tool.agents.includes(options.agent));
  const byName = new Map(offered.map((tool) => [tool.name, tool]));
  const seen = new Set<string>();
  const transcript: AgentTranscriptEntry[] = [];
  let calls = 0;

  const definitions: LlmTool[] = offered.map((tool) => {
    const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.input, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
    return { name: tool.name, description: tool.description, input_schema: { type: 'object', ...schema } } as LlmTool;
  });

  const record = (name: string, input: unknown, outcome: 'ok' | 'error' | 'refused', result: string, chars: number, truncated: boolean) =>
    transcript.push({ type: 'tool', at: options.clock.now(), tool: name, input, outcome, result, chars, truncated });

  return {
    definitions,
    transcript,
    get calls() {
      return calls;
    },
    async call(call) {
      const refuse = (why: string): ToolResult => {
        record(call.name, call.input, 'refused', why, 0, false);
        return { toolUseId: call.id, content: why, isError: true };
      };
      const tool = byName.get(call.name);
      if (tool === undefined) return refuse(`There is no tool named ${call.name}. Available: ${[...byName.keys()].join(', ') || 'none'}.`);
      const key = `${call.name} ${stableJson(call.input)}`;
      if (seen.has(key)) return refuse('Refused: this exact call was already made in this run; use its earlier result.');
      if (calls >= options.limits.maxCalls) return refuse(`Refused: the limit of ${options.limits.maxCalls} tool calls per run is reached; answer with what you have.`);
      const args = tool.input.safeParse(call.input);
      if (!args.success) return refuse(`Invalid input for ${call.name}: ${z.prettifyError(args.error)}`);
      seen.add(key);
      calls += 1;
      let text: string;
      let isError = false;
      try {
        text = await tool.run(args.data, options.context);
      } catch (err) {
        text = `The tool failed: ${errorMessage(err)}`;
        isError = true;
      }
      const chars = text.length;
      const truncated = chars > options.limits.maxResultChars;
      const shown = truncated ? `${text.slice(0, options.limits.maxResultChars)}\n[… ${chars - options.limits.maxResultChars} more characters cut]` : text;
      const fenced = options.fence(`tool result: ${call.name}`, shown);
      // The transcript keeps what the model saw (fenced, so already redacted).
      record(call.name, call.input, isError ? 'error' : 'ok', fenced, chars, truncated);
      return { toolUseId: call.id, content: fenced, isError };
    },
  };
}

/** JSON with sorted keys, so `{a, b}` and `{b, a}` are the same call. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
