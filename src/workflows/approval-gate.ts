import { formatDuration } from '../duration.ts';
import { errorMessage } from '../errors.ts';
import type { ApprovalStatus, WorkflowStep } from '../store/types.ts';
import { type ActiveRun, scopeFor } from './active-run.ts';
import type { ApprovalStep } from './definition.ts';
import { type EngineContext, attached, emit } from './engine-context.ts';
import type { DecideResult } from './engine.ts';
import { evaluateTemplate } from './expressions.ts';
import { type Applied, fail, pump } from './run-loop.ts';
import { audit, commit } from './run-records.ts';
import { stepAt } from './step-path.ts';
import { arm, clearTimer } from './step-timers.ts';
import { evaluateOutputs, renderText } from './step-values.ts';

/** Approval steps: the request stored, decisions checked and recorded, expiry on the clock. */

export function beginApproval(ctx: EngineContext, run: ActiveRun, path: string, step: ApprovalStep, base: WorkflowStep): Applied {
  const at = ctx.now();
  let message: string | null = null;
  try {
    if (step.message !== undefined) message = renderText(evaluateTemplate(step.message, scopeFor(run)));
  } catch (err) {
    return fail(ctx, run, { ...base, status: 'failed', startedAt: at, finishedAt: at, error: `message: ${errorMessage(err)}` });
  }
  const expiresAt = at + step.expiresMs;
  let approvalId = 0;
  commit(ctx, run, [{ ...base, status: 'waiting', attempt: base.attempt + 1, error: null, startedAt: at, finishedAt: null }], {
    also: () => {
      approvalId = ctx.store.workflowApprovals.create({ runId: run.id, path, approvers: step.approvers, min: step.min, message, expiresAt, createdAt: at });
    },
  });
  emit(ctx, 'approvalRequested', () => ctx.events.approvalRequested(approvalId));
  armExpiry(ctx, run, path, approvalId, expiresAt);
  return 'ok';
}

export function armExpiry(ctx: EngineContext, run: ActiveRun, path: string, approvalId: number, expiresAt: number): void {
  arm(ctx, run, path, expiresAt, () => expire(ctx, run, path, approvalId));
}

export function expire(ctx: EngineContext, run: ActiveRun, path: string, approvalId: number): void {
  const record = run.records.get(path);
  const approval = ctx.store.workflowApprovals.get(approvalId);
  if (record?.status !== 'waiting' || approval?.status !== 'pending') return;
  const at = ctx.now();
  const error = `the approval expired after ${formatDuration(approval.expiresAt - approval.createdAt)} without ${approval.min} approval${approval.min === 1 ? '' : 's'}`;
  commit(ctx, run, [{ ...record, status: 'failed', error, finishedAt: at }], {
    also: () => {
      ctx.store.workflowApprovals.settle(approvalId, 'expired', at);
      audit(ctx, run, 'workflow.approval', 'expired', error, { step: path, approval: approvalId }, 'system');
    },
  });
  emit(ctx, 'approvalDecided', () => ctx.events.approvalDecided(approvalId));
  pump(ctx, run);
}

type Eligible = { approvalId: number; run: ActiveRun; record: WorkflowStep };

/** The rules that need no lookup elsewhere; checked before and again after isApprover. */
export function checkDecision(ctx: EngineContext, approvalId: number, userId: string, decision: 'approve' | 'reject'): Eligible | { why: string } {
  const approval = ctx.store.workflowApprovals.get(approvalId);
  if (!approval) return { why: `There is no approval ${approvalId}.` };
  if (approval.status !== 'pending') return { why: `This approval is already ${approval.status}; nothing changed.` };
  const run = ctx.active.get(approval.runId);
  const record = run?.records.get(approval.path);
  if (!run || !attached(ctx, run) || record?.status !== 'waiting') return { why: `Run ${approval.runId} is not waiting for this approval.` };
  if (decision === 'approve' && userId === run.requestedBy) {
    return { why: `You started ${run.id}, so you cannot approve it: someone else has to.` };
  }
  const previous = ctx.store.workflowApprovals.decisions(approval.id).find((d) => d.userId === userId);
  if (previous) {
    return { why: `You already ${previous.decision === 'approve' ? 'approved' : 'rejected'} this; your first decision stands.` };
  }
  return { approvalId: approval.id, run, record };
}

/** A person's decision on an approval; the step settles once enough approve, or one rejects. */
export async function decide(
  ctx: EngineContext,
  approvalId: number,
  userId: string,
  decision: 'approve' | 'reject',
  reason?: string,
): Promise<DecideResult> {
  const first = checkDecision(ctx, approvalId, userId, decision);
  if ('why' in first) return { changed: false, why: first.why };
  const approval = ctx.store.workflowApprovals.get(first.approvalId);
  if (!approval) return { changed: false, why: `There is no approval ${approvalId}.` };
  if (!(await ctx.deps.isApprover(userId, approval.approvers))) {
    return { changed: false, why: `You are not one of the approvers of this step (${describeApprovers(approval.approvers)}).` };
  }
  // The world may have moved while the approver set was looked up.
  const checked = checkDecision(ctx, approvalId, userId, decision);
  if ('why' in checked) return { changed: false, why: checked.why };
  const { run, record } = checked;
  const at = ctx.now();
  const earlier = ctx.store.workflowApprovals.decisions(approval.id);
  const approvedBy = [...earlier.filter((d) => d.decision === 'approve').map((d) => d.userId), ...(decision === 'approve' ? [userId] : [])];
  const status: ApprovalStatus = decision === 'reject' ? 'rejected' : approvedBy.length >= approval.min ? 'approved' : 'pending';
  const changes: WorkflowStep[] = [];
  if (status === 'rejected') {
    changes.push({ ...record, status: 'failed', error: `rejected by <@${userId}>${reason ? `: ${reason}` : ''}`, finishedAt: at });
  } else if (status === 'approved') {
    const step = stepAt(run.index, record.path)?.step;
    let outputs: Record<string, unknown> = { approvedBy };
    try {
      outputs = evaluateOutputs(step?.outputs, scopeFor(run, undefined, { approvedBy })) ?? outputs;
    } catch (err) {
      ctx.log.warn({ err, runId: run.id, step: record.path }, 'approval outputs could not be evaluated');
    }
    changes.push({ ...record, status: 'succeeded', outputs, error: null, finishedAt: at, completedSeq: ++run.seq });
  }
  commit(ctx, run, changes, {
    quiet: changes.length === 0,
    also: () => {
      ctx.store.workflowApprovals.addDecision({ approvalId: approval.id, userId, decision, reason: reason ?? null, at });
      if (status !== 'pending') ctx.store.workflowApprovals.settle(approval.id, status, at);
      audit(ctx, run, 'workflow.approval', decision === 'approve' ? 'approved' : 'rejected', reason ?? null, { step: record.path, approval: approval.id, status }, userId);
    },
  });
  emit(ctx, 'approvalDecided', () => ctx.events.approvalDecided(approval.id));
  if (status !== 'pending') {
    clearTimer(run, record.path);
    pump(ctx, run);
  }
  return { changed: true, status, approvals: approvedBy.length, min: approval.min };
}

function describeApprovers(approvers: ApprovalStep['approvers']): string {
  const parts = [
    ...approvers.users.map((u) => `<@${u}>`),
    ...approvers.groups.map((g) => `<!subteam^${g}>`),
    ...approvers.roles.map((r) => `role ${r}`),
  ];
  return parts.length > 0 ? parts.join(', ') : 'nobody';
}
