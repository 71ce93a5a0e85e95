import type { AgentRunner, ModelBudget, RunContext } from '../agents/agent-runner.ts';
import { fixAgent } from '../agents/fix-agent.ts';
import type { FixOutput, ReviewOutput, TriageOutput } from '../agents/output-schemas.ts';
import type { PlaybookCandidate } from '../agents/playbook-candidate.ts';
import { reviewAgent } from '../agents/review-agent.ts';
import type { Logger } from '../logger.ts';
import type { TriageStage } from '../slack/views/triage-views.ts';
import type { AlertGroup } from './alert.ts';
import { runStep } from './triage-step.ts';
import type { TriageProposal, TriageStep } from './triage-types.ts';

export interface FixReviewResult {
  /** The last proposal and its review. */
  fix?: FixOutput;
  review?: ReviewOutput;
  accepted: boolean;
  rounds: number;
  needsHuman?: string;
  proposals: TriageProposal[];
  steps: TriageStep[];
}

export interface FixReviewRequest {
  group: AlertGroup;
  triage: TriageOutput;
  playbooks: PlaybookCandidate[];
  maxRounds: number;
  context: RunContext & { budget: ModelBudget };
  onStage: (stage: TriageStage) => Promise<void>;
}

/**
 * The fix agent proposes, the review agent accepts or rejects with reasons; a rejection goes back
 * to the fix agent with the review, up to `maxRounds`. An acceptance after a model's rejection
 * counts only when the model reviewed the revision: the offline reviewer checks that a proposal
 * is allowed, not that it answers the rejection.
 */
export async function runFixReview(runner: AgentRunner, request: FixReviewRequest, log: Logger): Promise<FixReviewResult> {
  const { group, triage, playbooks, maxRounds, context } = request;
  const proposals: TriageProposal[] = [];
  const steps: TriageStep[] = [];
  let rejected: { proposal: FixOutput; review: ReviewOutput } | undefined;

  const rejections = () => proposals.filter((p) => p.review?.verdict === 'reject');
  const lastReason = () => {
    const review = rejections().at(-1)?.review;
    return review ? [...review.reasons, ...review.requiredChanges.map((c) => `required: ${c}`)].join(' ') : '';
  };
  const stop = (needsHuman: string): FixReviewResult => {
    const last = proposals.at(-1);
    return { ...(last ? { fix: last.fix, ...(last.review ? { review: last.review } : {}) } : {}), accepted: false, rounds: proposals.length, needsHuman, proposals, steps };
  };
  const plural = (n: number) => `${n} proposal${n === 1 ? '' : 's'}`;

  for (let round = 1; round <= maxRounds; round += 1) {
    if (rejected && runner.provider === 'anthropic' && context.budget.remaining <= 0) {
      return stop(`the reviewer rejected ${plural(rejections().length)} and ${budgetText(context)} is spent, so no revision can be reviewed; last reason: ${lastReason()}`);
    }
    await request.onStage({ step: 'fix', round, of: maxRounds });
    const fix = await runStep(runner, fixAgent(), { group, triage, playbooks, actions: [], ...(rejected ? { rejected } : {}) }, context, { step: 'fix', round }, log);
    steps.push(fix.step);
    await request.onStage({ step: 'review', round, of: maxRounds });
    const review = await runStep(runner, reviewAgent(), { group, triage, fix: fix.output }, context, { step: 'review', round }, log);
    steps.push(review.step);
    proposals.push({ round, fix: fix.output, review: review.output });
    log.info({ round, proposal: fix.output.proposal.kind, verdict: review.output.verdict, reviewer: review.step.provider }, 'triage round reviewed');

    if (review.output.verdict === 'accept') {
      if (rejected && review.step.provider === 'offline' && runner.provider === 'anthropic') {
        return stop(`the reviewer rejected ${plural(rejections().length)} and the model could not review the revision (the offline reviewer cannot tell whether it answers the rejection); last reason: ${lastReason()}`);
      }
      return { fix: fix.output, review: review.output, accepted: true, rounds: round, proposals, steps };
    }
    rejected = { proposal: fix.output, review: review.output };
  }
  return stop(`the reviewer rejected ${plural(rejections().length)}, the limit of ${maxRounds} round${maxRounds === 1 ? '' : 's'} (MAX_TRIAGE_ITERATIONS); last reason: ${lastReason()}`);
}

function budgetText(context: { budget: ModelBudget }): string {
  return `the model-call budget for ${context.budget.scope ?? 'this request'}`;
}
