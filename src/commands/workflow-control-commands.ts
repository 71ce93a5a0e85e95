import { z } from 'zod';
import { UserError } from '../errors.ts';
import { rejectModal } from '../slack/views/workflow-decision-modal.ts';
import type { ApprovalView, RunView } from '../workflows/run-view.ts';
import { bool } from './arg-types.ts';
import { defineCommand } from './command.ts';
import { requireControl, requireRun, requireView, runIdArg, type WorkflowContext } from './workflow-command-deps.ts';

/**
 * Commands that change a run. Approve and reject are what the approval buttons run, so a click
 * and a typed command follow the same rules: the engine decides (requester, approver set, a
 * second decision) and a refusal is answered privately with its reason.
 */

const decisionArgs = z.object({ run: runIdArg, reason: z.string().optional(), step: z.string().optional(), ask: bool.default(false) });

function decisionCommand(decision: 'approve' | 'reject') {
  const verb = decision === 'approve' ? 'approved' : 'rejected';
  return defineCommand({
    name: `workflow ${decision}`,
    summary: decision === 'approve' ? "Approve a run's pending approval step" : "Reject a run's pending approval step (the step fails)",
    examples: [decision === 'approve' ? 'workflow approve wf-12' : 'workflow reject wf-12 not during the freeze'],
    args: decisionArgs,
    positional: ['run'],
    rest: 'reason',
    role: 'viewer',
    async run(ctx: WorkflowContext, args) {
      const { engine } = ctx.deps.workflows;
      const approval = pickApproval(requireView(engine, args.run, ctx.commandPrefix), args.step);
      // The Reject button asks for an optional reason first (a modal needs the click's trigger).
      if (decision === 'reject' && args.ask && !args.reason && ctx.invocation.triggerId) {
        const step = approval.path.includes('/') ? approval.path : undefined;
        await ctx.deps.workflows.chat.openModal(ctx.invocation.triggerId, rejectModal({ run: approval.runId, channel: ctx.invocation.channelId, ...(step ? { step } : {}) }));
        return;
      }
      const result = await engine.decide(approval.id, ctx.caller.id, decision, args.reason);
      if (!result.changed) throw new UserError('approval_refused', result.why);
      const progress = result.status === 'pending' ? ` (${result.approvals} of ${result.min} approvals so far)` : '';
      await ctx.reply.private(`You ${verb} \`${args.run}\`${progress}.`);
    },
  });
}

export const workflowApprove = decisionCommand('approve');
export const workflowReject = decisionCommand('reject');

/**
 * The approval a decision is about: the run's pending one, or the one named by `step`. With none
 * pending, the latest, so the engine explains that it was already decided or expired.
 */
function pickApproval(view: RunView, step: string | undefined): ApprovalView {
  const candidates = step === undefined ? view.approvals : view.approvals.filter((a) => a.path === step);
  const pending = candidates.filter((a) => a.status === 'pending');
  if (pending.length > 1) {
    throw new UserError('approval_ambiguous', `\`${view.id}\` waits for several approvals: ${pending.map((a) => `\`${a.path}\``).join(', ')}.`, 'Name one with `step=<step>`.');
  }
  const approval = pending[0] ?? candidates.at(-1);
  if (!approval) throw new UserError('approval_none', step === undefined ? `\`${view.id}\` has no approval step waiting.` : `\`${view.id}\` has no approval at step \`${step}\`.`);
  return approval;
}

export const workflowCancel = defineCommand({
  name: 'workflow cancel',
  summary: 'Cancel a run: running steps are stopped (shell steps killed), nothing is undone',
  examples: ['workflow cancel wf-12'],
  args: z.object({ run: runIdArg }),
  positional: ['run'],
  role: 'viewer',
  async run(ctx: WorkflowContext, args) {
    const run = requireRun(ctx.deps.store, args.run, ctx.commandPrefix);
    requireControl(ctx, run, 'cancel', { requesterMay: true });
    await ctx.deps.workflows.engine.cancel(run.id, ctx.caller.id);
    await ctx.reply.private(`Cancelled \`${run.id}\`.`);
  },
});

export const workflowRetry = defineCommand({
  name: 'workflow retry',
  summary: 'Run a failed or cancelled run again from its failed step, or from `from=<step>`',
  examples: ['workflow retry wf-12', 'workflow retry wf-12 from=build'],
  args: z.object({ run: runIdArg, from: z.string().optional() }),
  positional: ['run'],
  role: 'viewer',
  async run(ctx: WorkflowContext, args) {
    const run = requireRun(ctx.deps.store, args.run, ctx.commandPrefix);
    requireControl(ctx, run, 'retry');
    await ctx.deps.workflows.engine.retry(run.id, args.from === undefined ? {} : { from: args.from }, ctx.caller.id);
    await ctx.reply.private(`Retrying \`${run.id}\`${args.from ? ` from \`${args.from}\`` : ''}.`);
  },
});

export const workflowRollback = defineCommand({
  name: 'workflow rollback',
  summary: "Run the undo of a finished run's completed steps, most recent first",
  examples: ['workflow rollback wf-12'],
  args: z.object({ run: runIdArg }),
  positional: ['run'],
  role: 'viewer',
  async run(ctx: WorkflowContext, args) {
    const run = requireRun(ctx.deps.store, args.run, ctx.commandPrefix);
    requireControl(ctx, run, 'roll back');
    await ctx.deps.workflows.engine.rollback(run.id, ctx.caller.id);
    await ctx.reply.private(`Rolling back \`${run.id}\`.`);
  },
});

const RESOLUTIONS = ['retry', 'mark-done', 'abort'] as const;

export const workflowResolve = defineCommand({
  name: 'workflow resolve',
  summary: 'Decide about a step that may or may not have completed: retry, mark-done or abort',
  examples: ['workflow resolve wf-12 deploy retry', 'workflow resolve wf-12 deploy mark-done'],
  args: z.object({ run: runIdArg, step: z.string(), resolution: z.enum(RESOLUTIONS) }),
  positional: ['run', 'step', 'resolution'],
  role: 'viewer',
  async run(ctx: WorkflowContext, args) {
    const run = requireRun(ctx.deps.store, args.run, ctx.commandPrefix);
    requireControl(ctx, run, 'decide about a step of');
    await ctx.deps.workflows.engine.resolveInterrupted(run.id, args.step, args.resolution, ctx.caller.id);
    const done = { retry: 'runs again', 'mark-done': 'is marked done', abort: 'is aborted' }[args.resolution];
    await ctx.reply.private(`Step \`${args.step}\` of \`${run.id}\` ${done}.`);
  },
});
