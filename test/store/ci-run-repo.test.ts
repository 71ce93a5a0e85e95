import { describe, expect, it } from 'vitest';
import { createCiRunRepo } from '../../src/store/ci-run-repo.ts';
import { useTempFiles } from './temp-files.ts';

const KEY = { repo: { owner: 'Octo-Org', repo: 'Octo-Repo' }, runId: 30433642, attempt: 1 };
const analysis = { jobs: [], moreJobs: [], unavailable: [], provider: null, model: null, notes: [] };

describe('the CI run repository', () => {
  const files = useTempFiles();
  const repo = () => createCiRunRepo(files.open());

  it('lets the first delivery of a run attempt handle it and every other one find it handled', () => {
    const runs = repo();
    expect(runs.claim(KEY, 'github:d-1', 1)).toBe('first');
    expect(runs.claim(KEY, 'github:d-2', 2)).toBe('duplicate');
    // Names differ only in case on GitHub's side: the same repository.
    expect(runs.claim({ ...KEY, repo: { owner: 'octo-org', repo: 'octo-repo' } }, 'github:d-3', 3)).toBe('duplicate');
    expect(runs.claim({ ...KEY, attempt: 2 }, 'github:d-4', 4)).toBe('first');
  });

  it('lets the same delivery resume after a crash, and another take over one that failed', () => {
    const runs = repo();
    runs.claim(KEY, 'github:d-1', 1);
    expect(runs.claim(KEY, 'github:d-1', 2)).toBe('resumed');

    runs.failed(KEY, 'Slack was down', 3);
    expect(runs.claim(KEY, 'github:d-2', 4)).toBe('taken_over');
    expect(runs.get(KEY)).toMatchObject({ status: 'analyzing', claimedBy: 'github:d-2', error: null, repo: 'Octo-Org/Octo-Repo' });

    runs.notified(KEY, { analysis, channel: 'C0CI', messageTs: '1.2' }, 5);
    expect(runs.claim(KEY, 'github:d-2', 6)).toBe('duplicate');
    runs.failed(KEY, 'too late', 7);
    expect(runs.get(KEY)?.status).toBe('notified');
  });

  it('records at most one re-run per attempt, released again when GitHub refused it', () => {
    const runs = repo();
    expect(runs.claimRerun(KEY, 'system', true, 1)).toBe(true);
    expect(runs.claimRerun(KEY, 'U0ALICE', false, 2)).toBe(false);
    expect(runs.rerunOf(KEY)).toEqual({ requestedBy: 'system', automatic: true, at: 1 });
    runs.releaseRerun(KEY, 'U0ALICE');
    expect(runs.rerunOf(KEY)?.requestedBy).toBe('system');
    runs.releaseRerun(KEY, 'system');
    expect(runs.claimRerun(KEY, 'U0ALICE', false, 3)).toBe(true);
  });

  it('records at most one issue per analysed attempt', () => {
    const runs = repo();
    runs.claim(KEY, 'github:d-1', 1);
    runs.notified(KEY, { analysis, channel: null, messageTs: null }, 2);
    expect(runs.latest(KEY.repo, KEY.runId)?.attempt).toBe(1);
    expect(runs.claimIssue(KEY, 'U0ALICE', 3)).toBe(true);
    expect(runs.claimIssue(KEY, 'U0BOB', 4)).toBe(false);
    runs.releaseIssue(KEY, 'U0ALICE', 5);
    expect(runs.claimIssue(KEY, 'U0BOB', 6)).toBe(true);
    runs.setIssue(KEY, 'https://github.com/octo-org/octo-repo/issues/7', 7);
    runs.releaseIssue(KEY, 'U0BOB', 8);
    expect(runs.get(KEY)).toMatchObject({ issueBy: 'U0BOB', issueUrl: 'https://github.com/octo-org/octo-repo/issues/7' });
  });
});
