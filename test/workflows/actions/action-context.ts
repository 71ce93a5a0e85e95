import { ManualClock } from '../../../src/clock.ts';
import type { ActionContext } from '../../../src/workflows/action.ts';
import { type Scope, evaluateTemplate } from '../../../src/workflows/expressions.ts';
import { silentLog } from '../../support/chat-rig.ts';

export interface TestContext extends ActionContext {
  clock: ManualClock;
  /** What recordProcess was told. */
  recorded: Array<{ pid: number; argv0?: string; startedAt?: number }>;
  progressLines: string[];
  /** The run's scope templates are evaluated against; tests change it between polls. */
  scope: Scope;
  cancel(reason?: unknown): void;
}

/**
 * An ActionContext as the engine hands one over, on a ManualClock; `evaluate` is the engine's
 * own, over `scope` plus any extra scope.
 */
export function actionContext(overrides: Partial<Pick<ActionContext, 'dryRun' | 'idempotencyKey'>> & { clock?: ManualClock } = {}): TestContext {
  const controller = new AbortController();
  const recorded: TestContext['recorded'] = [];
  const progressLines: string[] = [];
  const scope: Scope = { params: {}, steps: {}, run: { id: 'run-1', requestedBy: 'U0ALICE', workflow: 'deploy' } };
  return {
    idempotencyKey: overrides.idempotencyKey ?? 'run-1:deploy:1',
    runId: 'run-1',
    stepPath: 'deploy',
    attempt: 1,
    signal: controller.signal,
    clock: overrides.clock ?? new ManualClock(),
    log: silentLog,
    dryRun: overrides.dryRun ?? false,
    scope,
    evaluate: (template, extra) => evaluateTemplate(template, scope, extra),
    recordProcess(pid, info) {
      recorded.push({ pid, ...info });
    },
    progress(line) {
      progressLines.push(line);
    },
    recorded,
    progressLines,
    cancel: (reason) => controller.abort(reason),
  };
}

/** Waits (in real time: processes and sockets run on it) until `check` holds. */
export async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
