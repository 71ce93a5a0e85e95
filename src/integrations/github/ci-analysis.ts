import type { CiFailureCategory } from '../../agents/offline/ci-failure-category.ts';
import type { AgentProvider } from '../../store/types.ts';
import type { JobInfo, RepoRef } from './github-types.ts';

/** One failed run attempt, the unit opsbot handles once. */
export interface CiRunKey {
  repo: RepoRef;
  runId: number;
  attempt: number;
}

export interface CiJobAnalysis {
  job: JobInfo;
  /** Absent when the job's log could not be fetched (see `unavailable`). */
  category?: CiFailureCategory;
  confidence?: number;
  summary?: string;
  suggestedAction?: string;
  /** Line numbers in the job's whole log as GitHub shows it. */
  errorLines: Array<{ line: number; text: string }>;
  agentRunId?: string;
  /** The model called it transient and the offline keywords did not: no automatic re-run. */
  transientUnconfirmed?: boolean;
}

/** `skipped`: it looked transient, but policy, the kill switch or the attempt number said no. */
export type AutoRerunOutcome = 'requested' | 'dry_run' | 'failed' | 'skipped';

/** What the notification shows and `ci issue` writes up; stored with the run. */
export interface CiRunAnalysis {
  jobs: CiJobAnalysis[];
  /** Failed jobs past the analysed cap: named, not read. */
  moreJobs: string[];
  /** What could not be fetched from GitHub, and why, in words for people. */
  unavailable: string[];
  provider: AgentProvider | null;
  model: string | null;
  notes: string[];
  autoRerun?: { outcome: AutoRerunOutcome; reason: string };
}

export function repoName(repo: RepoRef): string {
  return `${repo.owner}/${repo.repo}`;
}

/** GitHub compares owner and repository names without case. */
export function repoKey(repo: RepoRef): string {
  return repoName(repo).toLowerCase();
}

/** infrastructure and flaky failures may pass on a second try; the rest need a change. */
export function isTransient(category: CiFailureCategory | undefined): boolean {
  return category === 'infrastructure' || category === 'flaky';
}
