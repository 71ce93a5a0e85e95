import type Database from 'better-sqlite3';
import { type CiRunAnalysis, type CiRunKey, repoKey, repoName } from '../integrations/github/ci-analysis.ts';
import type { CiRunSubject } from '../integrations/github/webhook-events.ts';

export type CiRunStatus = 'analyzing' | 'notified' | 'failed';

export interface CiRunRecord {
  /** owner/repo as GitHub spelled it. */
  repo: string;
  runId: number;
  attempt: number;
  status: CiRunStatus;
  claimedBy: string;
  run: CiRunSubject | null;
  analysis: CiRunAnalysis | null;
  channel: string | null;
  messageTs: string | null;
  error: string | null;
  issueBy: string | null;
  issueUrl: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface CiRerun {
  requestedBy: string;
  automatic: boolean;
  at: number;
}

/**
 * `first`: nobody handled this attempt yet, go. `resumed`: the same delivery was interrupted
 * (a crash) and picks up where it stopped. `taken_over`: an earlier delivery gave up on it, this
 * one tries again. `duplicate`: handled, or being handled by another delivery: do nothing.
 */
export type CiClaim = 'first' | 'resumed' | 'taken_over' | 'duplicate';

export interface CiRunRepo {
  /** Decides, in one transaction, whether `by` (an inbox key) handles this run attempt. */
  claim(key: CiRunKey, by: string, at: number): CiClaim;
  get(key: CiRunKey): CiRunRecord | undefined;
  /** The newest attempt of a run that was analysed. */
  latest(repo: CiRunKey['repo'], runId: number): CiRunRecord | undefined;
  saveRun(key: CiRunKey, run: CiRunSubject, at: number): void;
  notified(key: CiRunKey, done: { analysis: CiRunAnalysis; channel: string | null; messageTs: string | null }, at: number): void;
  failed(key: CiRunKey, error: string, at: number): void;
  /** false when a re-run of this attempt was already requested. */
  claimRerun(key: CiRunKey, by: string, automatic: boolean, at: number): boolean;
  rerunOf(key: CiRunKey): CiRerun | undefined;
  /** The request failed at GitHub: the attempt may be re-run again. */
  releaseRerun(key: CiRunKey, by: string): void;
  /** false when an issue was opened, or is being opened, for this attempt. */
  claimIssue(key: CiRunKey, by: string, at: number): boolean;
  setIssue(key: CiRunKey, url: string, at: number): void;
  releaseIssue(key: CiRunKey, by: string, at: number): void;
}

interface Row {
  repo: string;
  runId: number;
  attempt: number;
  status: CiRunStatus;
  claimedBy: string;
  run: string | null;
  analysis: string | null;
  channel: string | null;
  messageTs: string | null;
  error: string | null;
  issueBy: string | null;
  issueUrl: string | null;
  createdAt: number;
  updatedAt: number;
}

const COLUMNS = `repo, run_id AS runId, attempt, status, claimed_by AS claimedBy, run, analysis, channel,
  message_ts AS messageTs, error, issue_by AS issueBy, issue_url AS issueUrl, created_at AS createdAt, updated_at AS updatedAt`;
const KEY = 'repo_key = ? AND run_id = ? AND attempt = ?';

type K = [string, number, number];

export function createCiRunRepo(db: Database.Database): CiRunRepo {
  const select = db.prepare<K, Row>(`SELECT ${COLUMNS} FROM ci_runs WHERE ${KEY}`);
  const selectLatest = db.prepare<[string, number], Row>(
    `SELECT ${COLUMNS} FROM ci_runs WHERE repo_key = ? AND run_id = ? AND analysis IS NOT NULL ORDER BY attempt DESC LIMIT 1`,
  );
  const insert = db.prepare<[string, number, number, string, string, number, number], never>(
    `INSERT INTO ci_runs (repo_key, run_id, attempt, repo, status, claimed_by, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'analyzing', ?, ?, ?)`,
  );
  const takeOver = db.prepare<[string, number, ...K], never>(
    `UPDATE ci_runs SET status = 'analyzing', claimed_by = ?, error = NULL, updated_at = ? WHERE ${KEY} AND status = 'failed'`,
  );
  const updateRun = db.prepare<[string, number, ...K], never>(`UPDATE ci_runs SET run = ?, updated_at = ? WHERE ${KEY}`);
  const updateNotified = db.prepare<[string, string | null, string | null, number, ...K], never>(
    `UPDATE ci_runs SET status = 'notified', analysis = ?, channel = ?, message_ts = ?, error = NULL, updated_at = ? WHERE ${KEY}`,
  );
  const updateFailed = db.prepare<[string, number, ...K], never>(`UPDATE ci_runs SET status = 'failed', error = ?, updated_at = ? WHERE ${KEY} AND status <> 'notified'`);
  const insertRerun = db.prepare<[...K, string, number, number], never>(
    `INSERT INTO ci_reruns (repo_key, run_id, attempt, requested_by, automatic, at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (repo_key, run_id, attempt) DO NOTHING`,
  );
  const selectRerun = db.prepare<K, { requestedBy: string; automatic: number; at: number }>(
    `SELECT requested_by AS requestedBy, automatic, at FROM ci_reruns WHERE ${KEY}`,
  );
  const deleteRerun = db.prepare<[...K, string], never>(`DELETE FROM ci_reruns WHERE ${KEY} AND requested_by = ?`);
  const updateIssueClaim = db.prepare<[string, number, ...K], never>(`UPDATE ci_runs SET issue_by = ?, updated_at = ? WHERE ${KEY} AND issue_by IS NULL`);
  const updateIssueUrl = db.prepare<[string, number, ...K], never>(`UPDATE ci_runs SET issue_url = ?, updated_at = ? WHERE ${KEY}`);
  const clearIssueClaim = db.prepare<[number, ...K, string], never>(`UPDATE ci_runs SET issue_by = NULL, updated_at = ? WHERE ${KEY} AND issue_by = ? AND issue_url IS NULL`);

  const k = (key: CiRunKey): K => [repoKey(key.repo), key.runId, key.attempt];
  const toRecord = (row: Row): CiRunRecord => ({
    ...row,
    run: row.run === null ? null : (JSON.parse(row.run) as CiRunSubject),
    analysis: row.analysis === null ? null : (JSON.parse(row.analysis) as CiRunAnalysis),
  });

  const claim = db.transaction((key: CiRunKey, by: string, at: number): CiClaim => {
    const row = select.get(...k(key));
    if (!row) {
      insert.run(...k(key), repoName(key.repo), by, at, at);
      return 'first';
    }
    if (row.status === 'analyzing' && row.claimedBy === by) return 'resumed';
    if (row.status === 'failed' && takeOver.run(by, at, ...k(key)).changes === 1) return 'taken_over';
    return 'duplicate';
  });

  return {
    // IMMEDIATE: the read and the insert must not interleave with another connection's claim.
    claim: (key, by, at) => claim.immediate(key, by, at),
    get(key) {
      const row = select.get(...k(key));
      return row && toRecord(row);
    },
    latest(repo, runId) {
      const row = selectLatest.get(repoKey(repo), runId);
      return row && toRecord(row);
    },
    saveRun(key, run, at) {
      updateRun.run(JSON.stringify(run), at, ...k(key));
    },
    notified(key, done, at) {
      updateNotified.run(JSON.stringify(done.analysis), done.channel, done.messageTs, at, ...k(key));
    },
    failed(key, error, at) {
      updateFailed.run(error, at, ...k(key));
    },
    claimRerun: (key, by, automatic, at) => insertRerun.run(...k(key), by, automatic ? 1 : 0, at).changes === 1,
    rerunOf(key) {
      const row = selectRerun.get(...k(key));
      return row && { requestedBy: row.requestedBy, automatic: row.automatic === 1, at: row.at };
    },
    releaseRerun(key, by) {
      deleteRerun.run(...k(key), by);
    },
    claimIssue: (key, by, at) => updateIssueClaim.run(by, at, ...k(key)).changes === 1,
    setIssue(key, url, at) {
      updateIssueUrl.run(url, at, ...k(key));
    },
    releaseIssue(key, by, at) {
      clearIssueClaim.run(at, ...k(key), by);
    },
  };
}
