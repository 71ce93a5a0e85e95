import type { AgentRunner } from '../../agents/agent-runner.ts';
import { prReviewAgent } from '../../agents/pr-review-agent.ts';
import type { Policy } from '../../config/policy-schema.ts';
import type { Logger } from '../../logger.ts';
import type { ChatPort } from '../../slack/chat-port.ts';
import { prReviewView } from '../../slack/views/pr-views.ts';
import type { GitHubOps, PrRef } from './github-types.ts';

/**
 * `github.ci.review_pull_requests`: an opened pull request is reviewed like `/ops pr review`, by
 * opsbot itself, and the findings are posted in `channels.ci` with the same buttons (which check
 * the clicker's role). Nothing is sent to GitHub until someone clicks.
 */
export function createAutoReview(deps: { github: GitHubOps; agents: AgentRunner; chat: ChatPort; policy: Policy; dryRun: boolean }) {
  let warned = false;
  return async (ref: PrRef, log: Logger): Promise<void> => {
    const channel = deps.policy.channels.ci;
    if (channel === undefined) {
      if (!warned) log.warn('channels.ci is not set in opsbot.yaml: opened pull requests are not reviewed automatically');
      warned = true;
      return;
    }
    const name = `${ref.owner}/${ref.repo}#${ref.number}`;
    const pr = await deps.github.pullRequest(ref);
    if (pr.draft) return;
    const answer = await deps.agents.run(prReviewAgent(), { pr: name, change: { title: pr.title, body: pr.body, author: pr.author, files: pr.files } }, { requestedBy: 'system', subject: `${name}@${pr.headSha}` });
    await deps.chat.post(channel, prReviewView({ pr, review: answer.output, runId: answer.runId, notes: answer.notes, dryRun: deps.dryRun }));
    log.info({ pr: name, agentRun: answer.runId }, 'pull request reviewed automatically');
  };
}
