import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLlmClient, type LlmClientOptions } from '../../src/agents/llm-client.ts';
import { estimateCostUsd } from '../../src/agents/llm-pricing.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';
import { apiError, createFakeMessagesApi, hang, message } from '../support/fake-messages-api.ts';

const KEY = 'sk-ant-api03-configured-test-key';
const CANARY = 'sk-ant-api03-ambient-canary-key';
const HEADER_CANARY = 'x-ambient-canary';

const triage = z.object({ summary: z.string(), severity: z.enum(['P1', 'P2', 'P3', 'P4']) });
const answer = { summary: 'disk full on db-1', severity: 'P2' };

const api = createFakeMessagesApi({ knownKeys: { configured: KEY, canary: CANARY } });
const logLines: string[] = [];
const log = createLogger({ level: 'info', pretty: false, redactor: createRedactor([KEY]), destination: { write: (line: string) => void logLines.push(line) } });
const ambient = { key: process.env.ANTHROPIC_API_KEY, token: process.env.ANTHROPIC_AUTH_TOKEN, headers: process.env.ANTHROPIC_CUSTOM_HEADERS };

beforeAll(async () => {
  // The SDK reads these when not told otherwise; the client must tell it otherwise.
  process.env.ANTHROPIC_API_KEY = CANARY;
  process.env.ANTHROPIC_AUTH_TOKEN = CANARY;
  process.env.ANTHROPIC_CUSTOM_HEADERS = `${HEADER_CANARY}: ${CANARY}`;
  await api.start();
});
afterAll(async () => {
  restore('ANTHROPIC_API_KEY', ambient.key);
  restore('ANTHROPIC_AUTH_TOKEN', ambient.token);
  restore('ANTHROPIC_CUSTOM_HEADERS', ambient.headers);
  await api.stop();
});
afterEach(() => {
  expect(api.pending(), 'scripted replies left unused').toBe(0);
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function client(overrides: Partial<LlmClientOptions> = {}) {
  return createLlmClient({ apiKey: KEY, baseUrl: api.url, model: 'claude-sonnet-5-5', timeoutMs: 5_000, maxRetries: 2, log, ...overrides });
}

function ask(overrides: Partial<LlmClientOptions> = {}) {
  return client(overrides).complete({
    system: 'You triage alerts.',
    messages: [{ role: 'user', content: 'alert: DiskFull on db-1' }],
    outputSchema: triage,
    maxTokens: 1024,
    agent: 'triage',
  });
}

function sent(from: number) {
  return api.requests().slice(from);
}

describe('the LLM client', () => {
  it('returns a schema-valid structured answer with its usage, cost and the model that answered', async () => {
    const before = api.requests().length;
    api.script(message({ text: answer, usage: { input_tokens: 1200, output_tokens: 80, cache_creation_input_tokens: 3000, cache_read_input_tokens: 9000 } }));

    const result = await ask();

    expect(result).toMatchObject({ ok: true, value: answer, attempts: 1, model: 'claude-sonnet-5-5' });
    const usage = { inputTokens: 1200, outputTokens: 80, cacheCreationInputTokens: 3000, cacheReadInputTokens: 9000 };
    expect(result.usage).toEqual(usage);
    // sonnet estimate: 1200×3 + 80×15 + 3000×3.75 + 9000×0.3 micro-dollars
    expect(result.costUsd).toBe(0.01875);
    expect(result.costUsd).toBe(estimateCostUsd('claude-sonnet-5-5', usage));
    const [request] = sent(before);
    expect(request?.body).toMatchObject({
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'You triage alerts.', cache_control: { type: 'ephemeral' } }],
      output_config: { format: { type: 'json_schema', schema: { type: 'object', required: ['summary', 'severity'] } } },
    });
  });

  it('sends the configured key and the SDK version headers, and nothing from the ambient environment', async () => {
    const before = api.requests().length;
    api.script(message({ text: answer }));

    await ask();

    const [request] = sent(before);
    expect(request?.credentials).toEqual(['configured']);
    expect(request?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(request?.headers['x-stainless-package-version']).toBe('1.11.0');
    expect(request?.headers['user-agent']).toBe('Anthropic/JS 1.11.0');
    expect(request?.headers[HEADER_CANARY]).toBeUndefined();
    expect(logLines.join('')).not.toContain(KEY);
  });

  it('puts a cache breakpoint on the system prompt and on the last tool definition', async () => {
    const before = api.requests().length;
    api.script(message({ toolUse: [{ id: 'toolu_1', name: 'kube_get', input: { kind: 'pod' } }], stopReason: 'tool_use' }));
    const tool = (name: string) => ({ name, description: `${name} (read-only)`, input_schema: { type: 'object' as const, properties: {} } });

    const result = await client().complete({
      system: 'You triage alerts.',
      messages: [{ role: 'user', content: 'alert' }],
      outputSchema: triage,
      tools: [tool('kube_logs'), tool('kube_get')],
      maxTokens: 512,
      agent: 'triage',
    });

    expect(result).toMatchObject({ ok: true, toolCalls: [{ id: 'toolu_1', name: 'kube_get', input: { kind: 'pod' } }], attempts: 1 });
    const body = sent(before)[0]?.body;
    expect(body?.tools).toEqual([tool('kube_logs'), { ...tool('kube_get'), cache_control: { type: 'ephemeral' } }]);
    expect(body?.system).toEqual([{ type: 'text', text: 'You triage alerts.', cache_control: { type: 'ephemeral' } }]);
  });

  it('repairs an invalid answer once, sending the validation error back as feedback', async () => {
    const before = api.requests().length;
    api.script(message({ text: { summary: 'disk full', severity: 'urgent' } }), message({ text: answer }));

    const result = await ask();

    expect(result).toMatchObject({ ok: true, value: answer, attempts: 2 });
    expect(result.usage).toMatchObject({ inputTokens: 200, outputTokens: 100 });
    const repair = sent(before)[1]?.body.messages as Array<{ role: string; content: string }>;
    expect(repair.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user']);
    expect(repair[1]?.content).toContain('"urgent"');
    expect(repair[2]?.content).toMatch(/did not match the required schema[\s\S]*severity/);
  });

  it('gives up with invalid_output after the repair is invalid too', async () => {
    api.script(message({ text: 'not json' }), message({ text: { summary: 1 } }));

    const result = await ask();

    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_output' }, attempts: 2 });
    expect(result.usage.outputTokens).toBe(100);
    expect(result.costUsd).toBeGreaterThan(0);
  });

  it('asks once more after a refusal and reports refused when it is refused again', async () => {
    const before = api.requests().length;
    api.script(message({ text: '', stopReason: 'refusal' }), message({ text: '', stopReason: 'refusal' }));

    const result = await ask();

    expect(result).toMatchObject({ ok: false, error: { code: 'refused' }, attempts: 2 });
    const repair = sent(before)[1]?.body.messages as Array<{ role: string; content: string }>;
    expect(repair.map((turn) => turn.role)).toEqual(['user', 'user']);
    expect(repair[1]?.content).toContain('refusal');
  });

  it('reports truncated when the answer is cut off at max_tokens twice', async () => {
    const before = api.requests().length;
    api.script(message({ text: '{"summary": "disk', stopReason: 'max_tokens' }), message({ text: '{"summ', stopReason: 'max_tokens' }));

    const result = await ask();

    expect(result).toMatchObject({ ok: false, error: { code: 'truncated' }, attempts: 2 });
    expect((sent(before)[1]?.body.messages as Array<{ content: string }>)[2]?.content).toContain('cut off at the output limit of 1024 tokens');
  });

  it('waits out a 429 as retry-after says and counts the retry as an attempt', async () => {
    const before = api.requests().length;
    api.script(apiError(429, { 'retry-after': '0.001' }), message({ text: answer }));

    const result = await ask();

    expect(result).toMatchObject({ ok: true, value: answer, attempts: 2 });
    expect(sent(before).map((request) => request.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });

  it('reports rate_limited when 429s outlast the retries', async () => {
    api.script(apiError(429, { 'retry-after': '0.001' }), apiError(429, { 'retry-after': '0.001' }));

    const result = await ask({ maxRetries: 1 });

    expect(result).toMatchObject({ ok: false, error: { code: 'rate_limited' }, attempts: 2 });
  });

  it('reports unavailable after 1 + maxRetries overloaded (529) answers', async () => {
    const before = api.requests().length;
    const overloaded = () => apiError(529, { 'retry-after': '0.001' }, 'Overloaded');
    api.script(overloaded(), overloaded(), overloaded());

    const result = await ask({ maxRetries: 2 });

    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' }, attempts: 3 });
    expect(!result.ok && result.error.message).toContain('529');
    expect(sent(before)).toHaveLength(3);
  });

  it('shares the retry budget with the repair: at most maxRetries + 2 requests in all', async () => {
    const before = api.requests().length;
    api.script(apiError(500, { 'retry-after': '0.001' }), message({ text: 'nope' }), apiError(500, { 'retry-after': '0.001' }));

    const result = await ask({ maxRetries: 1 });

    // request, SDK retry (budget spent), repair with no retries left → the 500 is final
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' }, attempts: 3 });
    expect(sent(before)).toHaveLength(3);
  });

  it('reports timeout when the API does not answer within timeoutMs', async () => {
    api.script(hang());

    const result = await ask({ timeoutMs: 50, maxRetries: 0 });

    expect(result).toMatchObject({ ok: false, error: { code: 'timeout' }, attempts: 1 });
  });
});
