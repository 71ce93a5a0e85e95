import { z } from 'zod';
import type { CiActions } from '../integrations/github/ci-actions.ts';
import { parseRepoRef } from '../integrations/github/github-types.ts';
import { positiveInt } from './arg-types.ts';
import { escapeMrkdwn } from './blocks.ts';
import { defineCommand, type CommandContext } from './command.ts';

/**
 * `ci rerun` and `ci issue`: what the buttons of a CI-failure notification run (a click is
 * checked and audited like the typed command). After a click the notification itself is edited
 * to show who did what, so the clicker alone gets the confirmation; a typed command answers in
 * the conversation.
 */

export interface CiCommandDeps {
  ci: CiActions;
}

const repoArg = z.string().transform((text, ctx) => {
  const repo = parseRepoRef(text);
  if (!repo) {
    ctx.issues.push({ code: 'custom', message: 'a repository like octo-org/octo-repo', input: text });
    return z.NEVER;
  }
  return repo;
});

export const ciRerun = defineCommand({
  name: 'ci rerun',
  summary: 'Re-run the failed jobs of a GitHub Actions run (once per attempt)',
  examples: ['ci rerun octo-org/octo-repo 1589141559'],
  args: z.object({ repo: repoArg, run: positiveInt, attempt: positiveInt.optional() }),
  positional: ['repo', 'run'],
  role: 'responder',
  async run({ deps, caller, invocation, reply }: CommandContext<CiCommandDeps>, args) {
    const result = await deps.ci.rerun({
      repo: args.repo,
      runId: args.run,
      ...(args.attempt === undefined ? {} : { expectedAttempt: args.attempt }),
      by: caller.id,
      channel: invocation.channelId || null,
    });
    const run = `<${result.run.url}|run #${result.run.id}> of ${args.repo.owner}/${args.repo.repo}`;
    const text = result.dryRun
      ? `🔁 *DRY RUN*: would re-run the failed jobs of ${run} (attempt ${result.attempt}); nothing was sent to GitHub.`
      : `🔁 <@${caller.id}> re-ran the failed jobs of ${run}: attempt ${result.attempt + 1} starts.`;
    await (invocation.source === 'button' ? reply.private(text) : reply.public(text));
  },
});

export const ciIssue = defineCommand({
  name: 'ci issue',
  summary: 'Open a GitHub issue with the analysis of a failed run opsbot reported',
  examples: ['ci issue octo-org/octo-repo 1589141559'],
  args: z.object({ repo: repoArg, run: positiveInt }),
  positional: ['repo', 'run'],
  role: 'responder',
  async run({ deps, caller, invocation, reply }: CommandContext<CiCommandDeps>, args) {
    const result = await deps.ci.openIssue({ repo: args.repo, runId: args.run, by: caller.id, channel: invocation.channelId || null });
    if (result.existing) {
      await reply.private(`An issue was already opened for this failure: ${result.url}`);
      return;
    }
    const text = result.dryRun
      ? `📝 *DRY RUN*: would open an issue in ${args.repo.owner}/${args.repo.repo}: “${escapeMrkdwn(result.title)}”; nothing was sent to GitHub.`
      : `📝 <@${caller.id}> opened ${result.url} for run #${args.run} of ${args.repo.owner}/${args.repo.repo}.`;
    await (invocation.source === 'button' ? reply.private(text) : reply.public(text));
  },
});

export const ciCommands = [ciRerun, ciIssue];
