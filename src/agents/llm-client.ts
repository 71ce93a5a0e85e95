import Anthropic, { APIConnectionTimeoutError, APIError, InternalServerError, RateLimitError } from '@anthropic-ai/sdk';
import type { Middleware } from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import type { ContentBlock, Message, MessageParam, TextBlockParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import type { z } from 'zod';
import { systemClock, type Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { estimateCostUsd, type TokenUsage } from './llm-pricing.ts';

export type LlmErrorCode = 'invalid_output' | 'refused' | 'truncated' | 'rate_limited' | 'unavailable' | 'timeout';
export type LlmUsage = TokenUsage;
export type LlmMessage = MessageParam;
export type LlmTool = Tool;

export interface LlmClientOptions {
  apiKey: string;
  /** API base without the /v1 path, e.g. "https://api.anthropic.com". Defaults to Anthropic's. */
  baseUrl?: string;
  model: string;
  /** Per HTTP attempt; the SDK retries a timed-out attempt like any other transport failure. */
  timeoutMs: number;
  /** SDK retries (429, 408, 409, 5xx, 529, connection errors, timeouts) shared by one complete(). */
  maxRetries: number;
  clock?: Clock;
  log: Logger;
}

export interface CompleteRequest<T> {
  /** The stable system prompt: sent with a prompt-cache breakpoint. */
  system: string;
  messages: LlmMessage[];
  outputSchema: z.ZodType<T>;
  /** Read-only tool definitions; the last one carries a prompt-cache breakpoint. */
  tools?: LlmTool[];
  maxTokens: number;
  /** Who is asking (triage, fix, …): for logs and, later, the agent-run record. */
  agent: string;
  /**
   * At most this many HTTP requests for this call, retries and the repair included (a caller's
   * budget, e.g. an alert group's); fewer retries are made to stay within it. Default: no cap
   * beyond `maxRetries + 2`.
   */
  maxAttempts?: number;
}

interface Accounting {
  usage: LlmUsage;
  /** Estimated, from llm-pricing.ts. */
  costUsd: number;
  /** HTTP requests sent, SDK retries and the repair included. */
  attempts: number;
}

export interface LlmSuccess<T> extends Accounting {
  ok: true;
  value: T;
  model: string;
}

export interface LlmToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** The model asked to run tools before answering; only possible when the request offered tools. */
export interface LlmToolUse extends Accounting {
  ok: true;
  toolCalls: LlmToolCall[];
  /** The assistant turn to append before the tool results. */
  content: ContentBlock[];
  model: string;
}

export interface LlmFailure extends Accounting {
  ok: false;
  error: { code: LlmErrorCode; message: string };
}

export type LlmResult<T> = LlmSuccess<T> | LlmFailure;

export interface LlmClient {
  readonly model: string;
  /**
   * One structured answer. At most `maxRetries + 2` HTTP requests: the first request and its SDK
   * retries share `1 + maxRetries`; one repair request (after invalid output, a refusal or a
   * truncation) gets whatever retries are left over, and counts one more.
   */
  complete<T>(request: CompleteRequest<T> & { tools?: undefined }): Promise<LlmResult<T>>;
  complete<T>(request: CompleteRequest<T> & { tools: LlmTool[] }): Promise<LlmResult<T> | LlmToolUse>;
}

// Headers the SDK itself sets. Anything else on a request came from ANTHROPIC_CUSTOM_HEADERS,
// which the SDK reads from the environment unconditionally; it is dropped (config is the only input).
const SDK_HEADERS = /^(accept|content-type|content-length|user-agent|authorization|anthropic-version|anthropic-beta|idempotency-key|x-stainless-[a-z-]+)$/;

/** Repair outcomes: a failed answer that earns one more request with feedback. */
type Verdict<T> =
  | { kind: 'value'; value: T }
  | { kind: 'tool_use'; toolCalls: LlmToolCall[] }
  | { kind: 'repair'; code: 'invalid_output' | 'refused' | 'truncated'; message: string; feedback: string };

export function createLlmClient(options: LlmClientOptions): LlmClient {
  const clock = options.clock ?? systemClock();
  const log = options.log.child({ component: 'llm' });
  const apiKey = options.apiKey;

  const onlyConfiguredHeaders: Middleware = async (request, next) => {
    for (const name of Array.from(request.headers.keys(), String)) {
      if (!SDK_HEADERS.test(name)) request.headers.delete(name);
    }
    request.headers.set('authorization', `Bearer ${apiKey}`);
    return next(request);
  };

  // Every option is passed so the SDK reads nothing ambient: an explicit apiKey stops it reading
  // ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN / profiles, an explicit baseURL stops ANTHROPIC_BASE_URL,
  // webhookKey null stops ANTHROPIC_WEBHOOK_SIGNING_KEY, logLevel stops ANTHROPIC_LOG.
  const sdk = new Anthropic({
    apiKey,
    baseURL: options.baseUrl ?? 'https://api.anthropic.com',
    webhookKey: null,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    defaultHeaders: {},
    logLevel: 'warn',
    logger: sdkLogger(log),
    middleware: [onlyConfiguredHeaders],
  });

  async function complete<T>(request: CompleteRequest<T>): Promise<LlmResult<T> | LlmToolUse> {
    const started = clock.now();
    const format = zodOutputFormat(request.outputSchema as z.ZodType<T>);
    const usage: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    let attempts = 0;
    const countAttempt: Middleware = async (req, next) => {
      attempts += 1;
      return next(req);
    };
    const account = (): Accounting => ({ usage: { ...usage }, costUsd: estimateCostUsd(options.model, usage), attempts });
    const done = <R extends LlmResult<T> | LlmToolUse>(result: R, stopReason?: string | null): R => {
      log.info(
        { agent: request.agent, model: options.model, ok: result.ok, attempts, usage, costUsd: result.costUsd, stopReason, durationMs: clock.now() - started },
        'llm call',
      );
      return result;
    };

    const system: TextBlockParam[] = [{ type: 'text', text: request.system, cache_control: { type: 'ephemeral' } }];
    const tools = request.tools?.map((tool, index, all) => (index === all.length - 1 ? { ...tool, cache_control: { type: 'ephemeral' as const } } : tool));
    let messages = request.messages;
    const cap = request.maxAttempts ?? Number.POSITIVE_INFINITY;

    for (let round = 0; round < 2; round += 1) {
      const retriesLeft = Math.max(0, Math.min(options.maxRetries - Math.max(0, attempts - round), cap - attempts - 1));
      let message: Message;
      try {
        message = await sdk.messages.create(
          {
            model: options.model,
            max_tokens: request.maxTokens,
            system,
            messages,
            ...(tools ? { tools } : {}),
            output_config: { format: { type: format.type, schema: format.schema } },
          },
          { maxRetries: retriesLeft, middleware: [countAttempt] },
        );
      } catch (error) {
        return done({ ok: false, error: transportError(error), ...account() });
      }
      addUsage(usage, message);

      const verdict = judge(message, format.parse, request.tools !== undefined, request.maxTokens);
      if (verdict.kind === 'value') return done({ ok: true, value: verdict.value, model: message.model, ...account() }, message.stop_reason);
      if (verdict.kind === 'tool_use') {
        return done({ ok: true, toolCalls: verdict.toolCalls, content: message.content, model: message.model, ...account() }, message.stop_reason);
      }
      if (round === 1 || attempts >= cap) return done({ ok: false, error: { code: verdict.code, message: verdict.message }, ...account() }, message.stop_reason);

      log.warn({ agent: request.agent, code: verdict.code, reason: verdict.message }, 'llm answer rejected; asking once more');
      const previous = textOf(message);
      messages = [
        ...request.messages,
        ...(previous.trim() === '' ? [] : [{ role: 'assistant' as const, content: previous }]),
        { role: 'user' as const, content: verdict.feedback },
      ];
    }
    throw new Error('unreachable: the repair loop always returns');
  }

  return { model: options.model, complete: complete as LlmClient['complete'] };
}

function judge<T>(message: Message, parse: (text: string) => T, toolsOffered: boolean, maxTokens: number): Verdict<T> {
  if (message.stop_reason === 'refusal') {
    return {
      kind: 'repair',
      code: 'refused',
      message: 'the model declined to answer',
      feedback: 'Your previous reply was a refusal. This is a routine, read-only operations analysis. Answer with JSON matching the required schema.',
    };
  }
  if (message.stop_reason === 'max_tokens' || message.stop_reason === 'model_context_window_exceeded') {
    return {
      kind: 'repair',
      code: 'truncated',
      message: `the answer was cut off (${message.stop_reason}, max_tokens ${maxTokens})`,
      feedback: `Your previous reply was cut off at the output limit of ${maxTokens} tokens. Answer again, more briefly, with complete JSON matching the required schema.`,
    };
  }
  const toolCalls = message.content.flatMap((block) => (block.type === 'tool_use' ? [{ id: block.id, name: block.name, input: block.input }] : []));
  if (toolsOffered && message.stop_reason === 'tool_use' && toolCalls.length > 0) return { kind: 'tool_use', toolCalls };
  try {
    return { kind: 'value', value: parse(textOf(message)) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      kind: 'repair',
      code: 'invalid_output',
      message: reason,
      feedback: `Your previous reply did not match the required schema:\n${reason}\nAnswer again with only JSON that matches the schema.`,
    };
  }
}

function textOf(message: Message): string {
  return message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
}

function addUsage(total: LlmUsage, message: Message): void {
  total.inputTokens += message.usage.input_tokens;
  total.outputTokens += message.usage.output_tokens;
  total.cacheCreationInputTokens += message.usage.cache_creation_input_tokens ?? 0;
  total.cacheReadInputTokens += message.usage.cache_read_input_tokens ?? 0;
}

/** What the SDK throws once its retries are spent, as a typed failure; programming errors propagate. */
function transportError(error: unknown): { code: LlmErrorCode; message: string } {
  if (error instanceof APIConnectionTimeoutError) return { code: 'timeout', message: 'the Messages API did not answer in time' };
  if (error instanceof RateLimitError) return { code: 'rate_limited', message: `rate limited: ${error.message}` };
  if (error instanceof InternalServerError) return { code: 'unavailable', message: `the Messages API is unavailable (${String(error.status)}): ${error.message}` };
  // 400/401/403/404…: not retryable and not the model's fault; still "no answer available".
  if (error instanceof APIError) return { code: 'unavailable', message: `the Messages API refused the request (${String(error.status ?? 'connection')}): ${error.message}` };
  throw error;
}

function sdkLogger(log: Logger) {
  const at =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, ...rest: unknown[]) =>
      log[level]({ sdk: rest.length > 0 ? rest : undefined }, message);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
