import type { PrReviewOutput } from '../../agents/output-schemas.ts';
import { clip, context, escapeMrkdwn, header, section, sectionsOf } from '../../commands/blocks.ts';
import type { PullRequest } from '../../integrations/github/github-types.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { button } from './workflow-views.ts';

/**
 * The Slack side of `pr review`: the findings (file:line, severity), the checks and whether the
 * PR can be merged, and buttons that run `pr post-review` / `pr approve` / `pr merge` — commands,
 * so a click is role-checked and audited like typing them. Merge is offered only when every
 * check passed and GitHub says the PR is mergeable; both buttons pin the head that was reviewed.
 * Pure.
 */

type Finding = PrReviewOutput['findings'][number];

export const SEVERITY_MARK: Record<Finding['severity'], string> = { blocker: '⛔', major: '🔴', minor: '🟡', nit: '⚪' };
const SEVERITY_ORDER: readonly Finding['severity'][] = ['blocker', 'major', 'minor', 'nit'];
/** Findings listed in Slack; the rest are one `agents show` away. */
const FINDINGS_SHOWN = 25;
const MESSAGE_CHARS = 400;

export interface PrReviewViewInput {
  pr: PullRequest;
  review: PrReviewOutput;
  runId: string;
  /** What the runner said about the answer: provider, fallback, thin answer, blocked output. */
  notes: string[];
  dryRun: boolean;
}

export const prName = (pr: Pick<PullRequest, 'ref'>) => `${pr.ref.owner}/${pr.ref.repo}#${pr.ref.number}`;

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.file.localeCompare(b.file) || a.line - b.line);
}

export function findingLine(f: Finding): string {
  const where = f.line > 0 ? `${f.file}:${f.line}` : f.file;
  return `${SEVERITY_MARK[f.severity]} *${f.severity}* \`${escapeMrkdwn(clip(where, 200))}\` ${escapeMrkdwn(clip(f.message.replace(/\s+/g, ' '), MESSAGE_CHARS))}`;
}

export function checksLine(pr: PullRequest): string {
  const { passed, failing, pending } = pr.checks;
  const names = (list: PullRequest['checks']['failing']) => list.map((c) => (c.url ? `<${c.url}|${escapeMrkdwn(clip(c.name, 60))}>` : escapeMrkdwn(clip(c.name, 60)))).join(', ');
  const parts = [
    ...(failing.length > 0 ? [`❌ failing: ${names(failing.slice(0, 10))}${failing.length > 10 ? ` and ${failing.length - 10} more` : ''}`] : []),
    ...(pending.length > 0 ? [`⏳ running: ${names(pending.slice(0, 10))}${pending.length > 10 ? ` and ${pending.length - 10} more` : ''}`] : []),
    ...(passed.length > 0 ? [`✅ ${passed.length} passed`] : []),
  ];
  return `*Checks* ${parts.length > 0 ? parts.join(' · ') : 'none reported'}`;
}

export function mergeableLine(pr: PullRequest): string {
  if (pr.merged) return '*Merge* already merged';
  if (pr.state !== 'open') return `*Merge* the PR is ${pr.state}`;
  if (pr.draft) return '*Merge* draft: not ready';
  if (pr.mergeable === null) return '*Merge* GitHub is still working out whether it can be merged';
  return pr.mergeable ? `*Merge* mergeable (${escapeMrkdwn(pr.mergeableState)})` : `*Merge* ⚠️ not mergeable (${escapeMrkdwn(pr.mergeableState)})`;
}

/** Every check passed and GitHub says it can merge: the only state the Merge button is offered in. */
export function mergeOffered(pr: PullRequest): boolean {
  return pr.state === 'open' && !pr.merged && !pr.draft && pr.mergeable === true && pr.checks.failing.length === 0 && pr.checks.pending.length === 0;
}

export function prReviewView(input: PrReviewViewInput): MessageContent {
  const { pr, review } = input;
  const name = prName(pr);
  const findings = sortFindings(review.findings);
  const counts = SEVERITY_ORDER.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  const tally = counts.length > 0 ? counts.map(([s, n]) => `${n} ${s}`).join(', ') : 'no findings';
  const added = pr.files.reduce((sum, f) => sum + f.additions, 0);
  const removed = pr.files.reduce((sum, f) => sum + f.deletions, 0);

  const blocks: Block[] = [
    header(`🔎 Review of ${name}: ${pr.title}`),
    section(
      `<${pr.url}|${name}> by ${escapeMrkdwn(pr.author)} · \`${escapeMrkdwn(clip(pr.headRef, 80))}\` → \`${escapeMrkdwn(clip(pr.baseRef, 80))}\` · head \`${pr.headSha.slice(0, 7)}\` · +${added} −${removed} in ${pr.files.length} file${pr.files.length === 1 ? '' : 's'}`,
    ),
    section(`*Summary* (${tally})\n${escapeMrkdwn(clip(review.summary, 2_500))}`),
  ];
  if (findings.length > 0) {
    const shown = findings.slice(0, FINDINGS_SHOWN).map(findingLine);
    if (findings.length > FINDINGS_SHOWN) shown.push(`… and ${findings.length - FINDINGS_SHOWN} more: \`agents show ${input.runId}\``);
    blocks.push(...sectionsOf(shown, '*Findings*'));
  }
  blocks.push(section(`${checksLine(pr)}\n${mergeableLine(pr)}`));

  const pin = `sha=${pr.headSha}`;
  const buttons = [
    button('pr-post-review', 'Post as review comment', `pr post-review ${name} ${input.runId}`),
    button('pr-approve', 'Approve', `pr approve ${name} ${pin}`, undefined, {
      title: 'Approve on GitHub?',
      text: `Approve ${name} at \`${pr.headSha.slice(0, 7)}\` as opsbot, in your name.`,
      confirm: 'Approve',
    }),
    ...(mergeOffered(pr)
      ? [button('pr-merge', 'Merge', `pr merge ${name} ${pin}`, 'primary', { title: `Merge ${clip(name, 80)}?`, text: `Merge \`${pr.headSha.slice(0, 7)}\` into \`${escapeMrkdwn(clip(pr.baseRef, 60))}\`.`, confirm: 'Merge' })]
      : []),
  ];
  if (!pr.merged && pr.state === 'open') blocks.push({ type: 'actions', block_id: 'pr', elements: buttons });
  const notes = input.notes.map((n) => escapeMrkdwn(clip(n, 300))).join(' ');
  blocks.push(context(`${notes} Agent run \`${input.runId}\`.${input.dryRun ? ' *DRY RUN*: posting, approving and merging are shown, not sent.' : ''}`));

  const worst = findings[0];
  const text = `Review of ${name}: ${tally}${worst ? ` — ${worst.severity} ${worst.line > 0 ? `${worst.file}:${worst.line}` : worst.file}: ${clip(worst.message, 150)}` : ''}`;
  return { text, blocks };
}
