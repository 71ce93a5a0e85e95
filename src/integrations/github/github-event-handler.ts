import type { Logger } from 'pino';
import type { InboxHandler } from '../../slack/inbox-worker.ts';
import type { CiFailureFlow } from './ci-failure.ts';
import type { PrRef } from './github-types.ts';
import type { GitHubInboxItem } from './webhook-events.ts';

export interface GitHubEventHandlerDeps {
  ci: CiFailureFlow;
  /** The automatic review of an opened pull request; absent: logged and skipped. */
  reviewPullRequest?: (pr: PrRef, log: Logger) => Promise<void>;
}

/** Works a recorded GitHub delivery (inbox kind `github`) off the inbox. */
export function createGitHubEventHandler(deps: GitHubEventHandlerDeps): InboxHandler {
  return async (body, log) => {
    const item = body as unknown as GitHubInboxItem;
    // The delivery's inbox key: a resumed entry recognises its own claim on a run.
    const by = `github:${item.delivery}`;
    const work = item.work;
    switch (work.type) {
      case 'failed_run':
        await deps.ci.failedRun(work.run, by, log);
        return;
      case 'failed_check':
        await deps.ci.failedCheck(work, by, log);
        return;
      case 'pull_request_opened': {
        const pr = `${work.pr.owner}/${work.pr.repo}#${work.pr.number}`;
        if (work.draft) {
          log.info({ pr }, 'draft pull request: not reviewed automatically');
          return;
        }
        if (!deps.reviewPullRequest) {
          log.warn({ pr }, 'github.ci.review_pull_requests is on, but this opsbot has no pull request review to run');
          return;
        }
        await deps.reviewPullRequest(work.pr, log);
        return;
      }
    }
  };
}
