import { z } from 'zod';
import type { AgentRunner } from '../agents/agent-runner.ts';
import { prReviewOutputSchema } from '../agents/output-schemas.ts';
import { prReviewAgent, type PrReviewInput } from '../agents/pr-review-agent.ts';
import type { Policy } from '../config/policy-schema.ts';
import { UserError } from '../errors.ts';
import type { GitHubOps, PrRef } from '../integrations/github/github-types.ts';
import { parsePrRef } from '../integrations/github/github-types.ts';
import { mergeBlocker } from '../integrations/github/merge-guard.ts';
import { defuse, reviewFromFindings } from '../integrations/github/review-from-findings.ts';
import { prReviewView } from '../slack/views/pr-views.ts';
import type { AgentRun, Store } from '../store/types.ts';
import { clip, escapeMrkdwn } from './blocks.ts';
import { defineCommand, type CommandContext } from './command.ts';

/**
 * `pr review|post-review|comment|approve|merge`: a pull request from Slack. The review runs the
 * PR-review agent over the PR's files, patches and checks and posts its findings with buttons
 * (which run these same commands, so roles and the audit apply to a click). Every GitHub write is
 * audited with what it changed; under DRY_RUN each says what it would have sent and sends nothing.
 * Approving and merging need deployer; nobody approves a PR their own mapped GitHub login opened.
 */

export interface PrCommandDeps {
  store: Store;
  policy: Policy;
  agents: AgentRunner;
  /** Absent without GITHUB_TOKEN. */
  github?: GitHubOps;
  dryRun?: boolean;
}

type Ctx = CommandContext<PrCommandDeps>;

const prArg = z.string().transform((text, ctx) => {
  const ref = parsePrRef(text);
  if (!ref) {
    ctx.issues.push({ code: 'custom', message: 'a pull request like acme/api#42', input: text });
    return z.NEVER;
  }
  return ref;
});
const shaArg = z.string().regex(/^[0-9a-f]{40}$/, { error: 'a full 40-character commit sha' });
const agentRunArg = z.string().regex(/^ag-\d+$/, { error: 'an agent run id like ag-12 (the review’s, from its message)' });

const prName = (ref: PrRef) => `${ref.owner}/${ref.repo}#${ref.number}`;
const short = (sha: string) => sha.slice(0, 7);

function needGitHub(deps: PrCommandDeps): GitHubOps {
  if (!deps.github) throw new UserError('github_not_configured', 'GitHub is not configured: set GITHUB_TOKEN.', 'An admin sets GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise) and restarts opsbot.');
  return deps.github;
}

/** Who did it, as GitHub should read it: the mapped login (defused), or the Slack user. */
function signature(deps: PrCommandDeps, userId: string): string {
  const login = deps.policy.github.users[userId];
  return login ? `@${login}` : `Slack user ${userId}`;
}

function audit(ctx: Ctx, entry: { command: string; action: string; outcome: string; args: Record<string, unknown>; detail?: Record<string, unknown> }): void {
  ctx.deps.store.audit.append({
    at: ctx.clock.now(),
    actor: ctx.caller.id,
    channel: ctx.invocation.channelId || null,
    action: entry.action,
    command: entry.command,
    args: JSON.stringify(entry.args),
    outcome: entry.outcome,
    ...(entry.detail ? { detail: JSON.stringify(entry.detail) } : {}),
  });
}

export const prReview = defineCommand({
  name: 'pr review',
  summary: 'Review a pull request: findings by file and line, checks, and buttons to post, approve or merge',
  examples: ['pr review acme/api#42'],
  args: z.object({ pr: prArg }),
  positional: ['pr'],
  // Runs the model over the diff (cost) and shows the diff's problems in the channel.
  role: 'responder',
  async run(ctx: Ctx, { pr: ref }) {
    const { deps, caller, reply } = ctx;
    const github = needGitHub(deps);
    await reply.private(`🔎 Reviewing ${prName(ref)}: reading the pull request and its checks, then asking the reviewer…`);
    const pr = await github.pullRequest(ref);
    const input: PrReviewInput = { pr: prName(ref), change: { title: pr.title, body: pr.body, author: pr.author, files: pr.files } };
    // The subject pins the reviewed head: `pr post-review` anchors comments on that commit.
    const answer = await deps.agents.run(prReviewAgent(), input, { requestedBy: caller.id, subject: `${prName(ref)}@${pr.headSha}` });
    await reply.public(prReviewView({ pr, review: answer.output, runId: answer.runId, notes: answer.notes, dryRun: deps.dryRun ?? false }));
  },
});

export const prPostReview = defineCommand({
  name: 'pr post-review',
  summary: 'Post a review opsbot made (pr review) to GitHub, findings as line comments',
  examples: ['pr post-review acme/api#42 ag-12'],
  args: z.object({ pr: prArg, run: agentRunArg }),
  positional: ['pr', 'run'],
  role: 'responder',
  async run(ctx: Ctx, { pr: ref, run: runId }) {
    const { deps, caller, reply, commandPrefix } = ctx;
    const github = needGitHub(deps);
    const stored = deps.store.agentRuns.get(runId);
    const reviewed = stored ? reviewedHead(stored, ref) : undefined;
    if (!stored || !reviewed) {
      throw new UserError('pr_review_not_found', `${runId} is not a review of ${prName(ref)}.`, `\`${commandPrefix ?? '/ops'} pr review ${prName(ref)}\` makes one.`);
    }
    const output = prReviewOutputSchema.safeParse(stored.output);
    if (!output.success || stored.finishedAt === null) throw new UserError('pr_review_unfinished', `${runId} has no finished review to post.`);
    const posted = alreadyPosted(deps.store, runId);
    if (posted) {
      await reply.private(`That review is already on GitHub: ${posted}`);
      return;
    }
    const files = (stored.input as Partial<PrReviewInput> | null)?.change?.files ?? [];
    const provider = stored.provider === 'offline' ? 'offline reviewer (static checks)' : (stored.model ?? 'model');
    const draft = reviewFromFindings({ output: output.data, files, runId, provider, postedBy: signature(deps, caller.id) });
    const summary = `${draft.comments.length} line comment${draft.comments.length === 1 ? '' : 's'}, ${output.data.findings.length - draft.comments.length} finding(s) in the body`;
    const args = { pr: prName(ref), run: runId, commitId: reviewed, lineComments: draft.comments.length };
    if (deps.dryRun) {
      audit(ctx, { command: 'pr post-review', action: 'github.review', outcome: 'dry_run', args });
      await reply.public(`🧪 *DRY RUN*: would post ${runId} as a review of ${prName(ref)} at \`${short(reviewed)}\` (${summary}); nothing was sent to GitHub.\n>>> ${escapeMrkdwn(clip(draft.body, 1_500))}`);
      return;
    }
    const review = await github.postReview(ref, { body: draft.body, event: 'COMMENT', comments: draft.comments, commitId: reviewed });
    audit(ctx, { command: 'pr post-review', action: 'github.review', outcome: 'ok', args, detail: { before: null, after: { reviewId: review.id, url: review.url } } });
    await reply.public(`💬 <@${caller.id}> posted the review of ${prName(ref)} to GitHub (${summary}): ${review.url}`);
  },
});

export const prComment = defineCommand({
  name: 'pr comment',
  summary: 'Comment on a pull request, on one line of its diff (path:line) or on the conversation',
  examples: ['pr comment acme/api#42 src/server.ts:12 "port can be undefined here"', 'pr comment acme/api#42 Thanks, merging after the freeze'],
  args: z.object({ pr: prArg, where: z.string(), text: z.string().optional() }),
  positional: ['pr', 'where'],
  rest: 'text',
  role: 'responder',
  async run(ctx: Ctx, { pr: ref, where, text }) {
    const { deps, caller, reply } = ctx;
    const github = needGitHub(deps);
    const anchor = /^([^\s:]+):(\d+)$/.exec(where);
    const body = anchor ? (text ?? '') : [where, text ?? ''].join(' ').trim();
    if (body === '') throw new UserError('invalid_args', 'The comment is empty.', `Usage: \`pr comment ${prName(ref)} path:line text\`.`);
    const target = anchor ? `${anchor[1]}:${anchor[2]} of ${prName(ref)}` : prName(ref);
    const args = { pr: prName(ref), ...(anchor ? { path: anchor[1], line: Number(anchor[2]) } : {}), chars: body.length };
    if (deps.dryRun) {
      audit(ctx, { command: 'pr comment', action: 'github.comment', outcome: 'dry_run', args });
      await reply.public(`🧪 *DRY RUN*: would comment on ${escapeMrkdwn(target)}; nothing was sent to GitHub.\n>>> ${escapeMrkdwn(clip(body, 1_500))}`);
      return;
    }
    const comment = anchor ? await github.lineComment(ref, { path: anchor[1]!, line: Number(anchor[2]), body }) : await github.comment(ref, body);
    audit(ctx, { command: 'pr comment', action: 'github.comment', outcome: 'ok', args, detail: { before: null, after: { url: comment.url } } });
    await reply.public(`💬 <@${caller.id}> commented on <${comment.url}|${escapeMrkdwn(target)}>.`);
  },
});

export const prApprove = defineCommand({
  name: 'pr approve',
  summary: 'Approve a pull request on GitHub (not your own)',
  examples: ['pr approve acme/api#42'],
  args: z.object({ pr: prArg, sha: shaArg.optional() }),
  positional: ['pr'],
  role: 'deployer',
  async run(ctx: Ctx, { pr: ref, sha }) {
    const { deps, caller, reply } = ctx;
    const github = needGitHub(deps);
    const pr = await github.pullRequest(ref);
    const login = deps.policy.github.users[caller.id];
    if (login !== undefined && login.toLowerCase() === pr.author.toLowerCase()) {
      throw new UserError('pr_own_approval', `You opened ${prName(ref)} (as ${pr.author}): someone else has to approve it.`);
    }
    if (pr.merged || pr.state !== 'open') throw new UserError('github_not_open', `${prName(ref)} is ${pr.merged ? 'already merged' : pr.state}; there is nothing to approve.`);
    if (sha !== undefined && sha !== pr.headSha) {
      throw new UserError('github_head_changed', `${prName(ref)} changed since it was reviewed: its head is now ${short(pr.headSha)}, not ${short(sha)}.`, 'Review it again before approving.');
    }
    const body = `Approved from Slack by ${defuse(signature(deps, caller.id))} via opsbot.`;
    const args = { pr: prName(ref), commitId: pr.headSha, author: pr.author };
    if (deps.dryRun) {
      audit(ctx, { command: 'pr approve', action: 'github.approve', outcome: 'dry_run', args });
      await reply.public(`🧪 *DRY RUN*: would approve ${prName(ref)} at \`${short(pr.headSha)}\`; nothing was sent to GitHub.`);
      return;
    }
    const review = await github.postReview(ref, { body, event: 'APPROVE', comments: [], commitId: pr.headSha });
    audit(ctx, { command: 'pr approve', action: 'github.approve', outcome: 'ok', args, detail: { before: { approvedBy: null }, after: { reviewId: review.id, url: review.url } } });
    await reply.public(`✅ <@${caller.id}> approved <${review.url}|${prName(ref)}> at \`${short(pr.headSha)}\`.`);
  },
});

export const prMerge = defineCommand({
  name: 'pr merge',
  summary: 'Merge a pull request whose checks all passed (method from github.merge_method)',
  examples: ['pr merge acme/api#42'],
  args: z.object({ pr: prArg, sha: shaArg.optional() }),
  positional: ['pr'],
  role: 'deployer',
  async run(ctx: Ctx, { pr: ref, sha }) {
    const { deps, caller, reply } = ctx;
    const github = needGitHub(deps);
    const method = deps.policy.github.mergeMethod;
    const pr = await github.pullRequest(ref);
    const expected = sha ?? pr.headSha;
    // Checked here too, so a refusal (and a dry run) sends nothing.
    const blocker = mergeBlocker(pr, expected);
    if (blocker) throw blocker;
    const args = { pr: prName(ref), method, commitId: expected };
    if (deps.dryRun) {
      audit(ctx, { command: 'pr merge', action: 'github.merge', outcome: 'dry_run', args });
      await reply.public(`🧪 *DRY RUN*: would ${method}-merge ${prName(ref)} at \`${short(expected)}\` into \`${escapeMrkdwn(pr.baseRef)}\`; nothing was sent to GitHub.`);
      return;
    }
    const merged = await github.merge(ref, method, expected);
    audit(ctx, { command: 'pr merge', action: 'github.merge', outcome: 'ok', args, detail: { before: { state: 'open', headSha: expected }, after: { merged: true, sha: merged.sha } } });
    await reply.public(`🔀 <@${caller.id}> merged <${pr.url}|${prName(ref)}> into \`${escapeMrkdwn(pr.baseRef)}\` (${method}): \`${short(merged.sha)}\`.`);
  },
});

export const prCommands = [prReview, prPostReview, prComment, prApprove, prMerge];

/** The head sha a stored review was made on, when it is a `pr review` run of `ref`. */
function reviewedHead(run: AgentRun, ref: PrRef): string | undefined {
  if (run.agent !== 'pr-review' || run.subject === null) return undefined;
  const at = run.subject.lastIndexOf('@');
  if (at < 0 || run.subject.slice(0, at).toLowerCase() !== prName(ref).toLowerCase()) return undefined;
  const sha = run.subject.slice(at + 1);
  return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

/** The URL of the review a stored run was already posted as, from the audit log. */
function alreadyPosted(store: Store, runId: string): string | undefined {
  for (const entry of store.audit.list({ limit: 1_000, includeReceived: false })) {
    if (entry.action !== 'github.review' || entry.outcome !== 'ok' || entry.args === null) continue;
    try {
      const args = JSON.parse(entry.args) as { run?: unknown };
      if (args.run !== runId) continue;
      const detail = JSON.parse(entry.detail ?? '{}') as { after?: { url?: unknown } };
      return typeof detail.after?.url === 'string' ? detail.after.url : 'posted earlier';
    } catch {
      continue;
    }
  }
  return undefined;
}
