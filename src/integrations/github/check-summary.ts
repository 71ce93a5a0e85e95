import type { CheckSummary, PullRequest } from './github-types.ts';

type Checks = PullRequest['checks'];

/** Conclusions that do not block a merge: GitHub's own "passing" set. */
const PASSING = new Set(['success', 'neutral', 'skipped']);

export interface CheckRunLike {
  name: string;
  status: string;
  conclusion: string | null;
  html_url?: string | null;
  details_url?: string | null;
}

export interface CommitStatusLike {
  context: string;
  state: string;
  target_url?: string | null;
}

/**
 * Sorts a ref's check runs and commit statuses into passed / failing / pending. A check run counts
 * once it completed; a commit status of `error` fails like `failure`. Pure.
 */
export function summariseChecks(runs: readonly CheckRunLike[], statuses: readonly CommitStatusLike[]): Checks {
  const checks: Checks = { passed: [], failing: [], pending: [] };
  for (const run of runs) {
    const url = run.html_url ?? run.details_url ?? undefined;
    const summary: CheckSummary = { name: run.name, status: run.status, conclusion: run.conclusion, ...(url ? { url } : {}) };
    if (run.status !== 'completed') checks.pending.push(summary);
    else if (run.conclusion !== null && PASSING.has(run.conclusion)) checks.passed.push(summary);
    else checks.failing.push(summary);
  }
  for (const status of statuses) {
    const summary: CheckSummary = {
      name: status.context,
      status: status.state === 'pending' ? 'in_progress' : 'completed',
      conclusion: status.state === 'pending' ? null : status.state,
      ...(status.target_url ? { url: status.target_url } : {}),
    };
    if (status.state === 'success') checks.passed.push(summary);
    else if (status.state === 'pending') checks.pending.push(summary);
    else checks.failing.push(summary);
  }
  return checks;
}
