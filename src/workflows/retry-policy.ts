import type { Retry, Step } from './definition.ts';

/** Executions a step may have: the first, plus its retries. Approvals and waits get one. */
export function maxAttempts(step: Step): number {
  return step.kind === 'action' ? (step.retry?.max ?? 0) + 1 : 1;
}

/** The pause before attempt `failedAttempt + 1`: backoffMs, doubling per attempt, capped at maxBackoffMs. */
export function backoffAfter(retry: Retry | undefined, failedAttempt: number): number {
  if (!retry) return 0;
  const doubled = retry.backoffMs * 2 ** Math.max(0, failedAttempt - 1);
  return Math.min(doubled, Math.max(retry.backoffMs, retry.maxBackoffMs));
}
