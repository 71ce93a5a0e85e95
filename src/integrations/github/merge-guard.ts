import { UserError } from '../../errors.ts';
import type { PullRequest } from './github-types.ts';

/**
 * Why opsbot will not merge `pr` at `expectedHeadSha`, or undefined when it may: open, not a
 * draft, unchanged since it was checked, every check passed, and GitHub says it is mergeable.
 * Pure; the merge itself (github-ops.ts) and DRY_RUN previews ask the same question.
 */
export function mergeBlocker(pr: PullRequest, expectedHeadSha: string): UserError | undefined {
  const name = `${pr.ref.owner}/${pr.ref.repo}#${pr.ref.number}`;
  if (pr.merged) return new UserError('github_already_merged', `${name} is already merged.`);
  if (pr.state !== 'open') return new UserError('github_not_mergeable', `${name} is ${pr.state}; only an open pull request can be merged.`);
  if (pr.headSha !== expectedHeadSha) {
    return new UserError('github_head_changed', `${name} changed since it was checked: its head is now ${pr.headSha.slice(0, 7)}, not ${expectedHeadSha.slice(0, 7)}.`, 'Review it again before merging.');
  }
  if (pr.draft) return new UserError('github_not_mergeable', `${name} is a draft.`, 'Mark it ready for review on GitHub first.');
  if (pr.checks.failing.length > 0) {
    return new UserError('github_checks_failing', `${name} has failing checks: ${pr.checks.failing.map((c) => `${c.name} (${c.conclusion ?? c.status})`).join(', ')}.`, 'It can be merged once they pass.');
  }
  if (pr.checks.pending.length > 0) {
    return new UserError('github_checks_pending', `${name} has checks still running: ${pr.checks.pending.map((c) => c.name).join(', ')}.`, 'Try again when they have finished.');
  }
  if (pr.mergeable === null) return new UserError('github_mergeability_unknown', `GitHub is still working out whether ${name} can be merged.`, 'Try again in a few seconds.');
  if (!pr.mergeable) {
    return new UserError(
      'github_not_mergeable',
      `${name} cannot be merged (${pr.mergeableState}).`,
      pr.mergeableState === 'dirty' ? 'It has conflicts with its base branch: resolve them first.' : 'See the pull request on GitHub for what blocks it.',
    );
  }
  return undefined;
}
