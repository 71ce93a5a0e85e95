import { afterAll, afterEach, beforeAll } from 'vitest';
import { createAgentRunner, type AgentRunner } from '../../src/agents/agent-runner.ts';
import { createLlmClient } from '../../src/agents/llm-client.ts';
import type { ReadOnlyTool } from '../../src/agents/read-only-tool.ts';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';
import { useTempFiles } from '../store/temp-files.ts';
import { createFakeMessagesApi, type FakeMessagesApi } from './fake-messages-api.ts';

export const TEST_API_KEY = 'sk-ant-api03-agent-rig-test-key';
/** A configured secret (as a GitHub token would be): must never reach the model, a log or a reply. */
export const CONFIGURED_SECRET = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';

export interface AgentRig {
  api: FakeMessagesApi;
  /** Log lines written while the test ran. */
  logs: string[];
  clock: ManualClock;
  /** A runner over a fresh store; `llm: false` makes it offline (no key). */
  runner(options?: { llm?: boolean; tools?: ReadOnlyTool[]; maxToolCalls?: number; maxResultChars?: number }): { runner: AgentRunner; store: Store };
}

/** Registers its own hooks: call once at the top of a test file. */
export function useAgentRig(): AgentRig {
  const api = createFakeMessagesApi({ knownKeys: { configured: TEST_API_KEY } });
  const files = useTempFiles();
  const logs: string[] = [];
  const clock = new ManualClock(Date.parse('2026-11-21T08:00:00Z'));
  const redactor = createRedactor([TEST_API_KEY, CONFIGURED_SECRET]);
  const log = createLogger({ level: 'debug', pretty: false, redactor, destination: { write: (line: string) => void logs.push(line) } });

  beforeAll(() => api.start());
  afterAll(() => api.stop());
  afterEach(() => {
    logs.length = 0;
    const left = api.pending();
    api.clear();
    if (left > 0) throw new Error(`${left} scripted Messages API replies left unused`);
  });

  return {
    api,
    logs,
    clock,
    runner(options = {}) {
      const store = createStore(files.open(), { isProcessAlive: () => true });
      const llm = options.llm === false ? undefined : createLlmClient({ apiKey: TEST_API_KEY, baseUrl: api.url, model: 'claude-sonnet-5-5', timeoutMs: 5_000, maxRetries: 1, clock, log });
      const runner = createAgentRunner({
        ...(llm ? { llm } : {}),
        runs: store.agentRuns,
        audit: store.audit,
        tools: options.tools ?? [],
        limits: { maxCalls: options.maxToolCalls ?? 4, maxResultChars: options.maxResultChars ?? 2_000 },
        breaker: { failures: 3, cooldownMs: 5 * 60_000 },
        redactor,
        clock,
        log,
      });
      return { runner, store };
    },
  };
}
