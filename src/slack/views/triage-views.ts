import type { FixOutput, Proposal, ReviewOutput, Risk, TriageOutput } from '../../agents/output-schemas.ts';
import { BLOCKS_MAX, clip, context, escapeMrkdwn, section, sectionsOf } from '../../commands/blocks.ts';
import type { TriageOutcome, TriageProposal, TriageStep } from '../../alerts/triage-types.ts';
import type { Severity } from '../../config/policy-schema.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { quoteArg } from './incident-messages.ts';
import { button } from './workflow-views.ts';

/**
 * The alert-triage reply in a group's thread, as pure Block Kit: first a progress line edited in
 * place while the agents work, then the answer — the analysis, the accepted proposal (or why a
 * person must decide), the rejections on the way, the auto-run decision, which provider answered
 * and the agent run ids — with a Run button that is a command, so roles and approvals apply.
 */

export type TriageStage = { step: 'triage' } | { step: 'fix' | 'review'; round: number; of: number };

/** What happened about an incident for the group. */
export type TriageIncidentNote =
  | { kind: 'declared' | 'linked'; id: string; severity: Severity }
  | { kind: 'dry-run'; severity: Severity }
  | { kind: 'failed'; severity: Severity; error: string };

export interface TriageReplyInput {
  outcome: TriageOutcome;
  alertName: string;
  /** The alerts' own severity: the floor the triage could not go below. */
  alertSeverity: Severity;
  maxRounds: number;
  /** Risk of the accepted playbook: a non-low one asks for a confirmation on click. */
  playbookRisk?: Risk;
  incident?: TriageIncidentNote;
  dryRun: boolean;
  /** policy `alerts.reply_prefix`, e.g. `[auto-ops]`. */
  prefix?: string;
  /** `/ops`, for the commands the reply names. */
  commandPrefix: string;
}

const PROGRESS: Record<TriageStage['step'], string> = { triage: '🔎 Triage', fix: '🛠 Proposing a fix', review: '🧐 Reviewing' };
const LIKELIHOOD_MARK: Record<string, string> = { high: '🔴', medium: '🟠', low: '⚪' };
const TEXT_CHARS = 600;
const LIST_SHOWN = 6;
const DIFF_CHARS = 1_500;
const NOTE_CHARS = 300;
/** Slack's limit for a button's value. */
const BUTTON_VALUE_MAX = 2_000;
export const TRIAGE_RUN_BUTTON = 'playbook-run';

export function triageProgressView(input: { alertName: string; stage: TriageStage; prefix?: string }): MessageContent {
  const { stage } = input;
  const round = stage.step === 'triage' ? '' : ` (round ${stage.round} of ${stage.of})`;
  const line = `${PROGRESS[stage.step]}${round}…`;
  const text = `${pre(input.prefix)}${line} ${input.alertName}`;
  return {
    text,
    blocks: [section(`${pre(input.prefix)}${line} *${escapeMrkdwn(clip(input.alertName, 150))}*`), context('Agents can take a minute; this message is replaced by their answer.')],
  };
}

export function triageReplyView(input: TriageReplyInput): MessageContent {
  const { outcome } = input;
  const { triage } = outcome;
  const blocks: Block[] = [section(headline(input)), section(escapeMrkdwn(clip(triage.summary, TEXT_CHARS)))];
  const analysis = [...causeLines(triage), ...diagnosticLines(triage)];
  if (analysis.length > 0) blocks.push(...sectionsOf(analysis));

  for (const rejected of (outcome.proposals ?? []).filter((p) => p.review?.verdict === 'reject')) blocks.push(section(rejectionText(rejected, input.maxRounds)));
  if (outcome.fix) blocks.push(...proposalBlocks(outcome.fix, outcome.review, outcome.accepted, outcome.rounds, input.maxRounds));
  if (outcome.needsHuman) blocks.push(section(`🙋 *Needs a human:* ${escapeMrkdwn(clip(outcome.needsHuman, TEXT_CHARS))}`));

  blocks.push(section(autorunText(input)));
  if (input.incident) blocks.push(section(incidentText(input.incident)));
  const run = runButton(input);
  if (run) blocks.push({ type: 'actions', block_id: 'triage', elements: [run] });
  blocks.push(...footer(input));

  const proposal = outcome.accepted && outcome.fix ? ` — proposes ${proposalLabel(outcome.fix.proposal)}` : outcome.needsHuman ? ' — needs a human' : '';
  const text = `${pre(input.prefix)}Triage of ${input.alertName} (${outcome.severity}, ${triage.category}): ${clip(triage.summary, 300)}${proposal}${input.dryRun ? ' [DRY RUN]' : ''}`;
  return { text, blocks: fit(blocks) };
}

/** `playbook run pod-crash-looping namespace=shop pod=api-1 alert=AG-7 [incident=INC-3]`: what the Run button sends. */
export function playbookRunCommand(name: string, params: Readonly<Record<string, string>>, links: { alert: string; incident?: string }): string {
  return [
    'playbook run',
    name,
    ...Object.entries(params).map(([key, value]) => `${key}=${arg(value)}`),
    `alert=${arg(links.alert)}`,
    ...(links.incident ? [`incident=${arg(links.incident)}`] : []),
  ].join(' ');
}

function headline(input: TriageReplyInput): string {
  const { outcome } = input;
  const raised = outcome.severity !== input.alertSeverity ? ` (raised from the alerts' ${input.alertSeverity})` : '';
  const confidence = Math.round(outcome.triage.confidence * 100);
  return (
    `${pre(input.prefix)}🔎 *Triage: ${escapeMrkdwn(clip(input.alertName, 150))}*${input.dryRun ? ' · *DRY RUN*' : ''}\n` +
    `*${outcome.severity}*${raised} · ${outcome.triage.category}${outcome.triage.service ? ` · service \`${escapeMrkdwn(clip(outcome.triage.service, 80))}\`` : ''} · confidence ${confidence}%`
  );
}

function causeLines(triage: TriageOutput): string[] {
  if (triage.causes.length === 0) return [];
  return [
    '*Likely causes*',
    ...triage.causes.slice(0, LIST_SHOWN).map((c) => `${LIKELIHOOD_MARK[c.likelihood] ?? '•'} ${escapeMrkdwn(clip(c.cause, 300))} — _${escapeMrkdwn(clip(c.evidence, 300))}_`),
  ];
}

function diagnosticLines(triage: TriageOutput): string[] {
  const ran = triage.diagnostics.filter((d) => d.status === 'ran');
  const recommended = triage.diagnostics.filter((d) => d.status === 'recommended');
  return [
    ...(ran.length > 0 ? ['*Diagnostics run*', ...ran.slice(0, LIST_SHOWN).map((d) => `✅ ${escapeMrkdwn(clip(d.check, 200))}${d.finding ? `: ${escapeMrkdwn(clip(d.finding, 300))}` : ''}`)] : []),
    ...(recommended.length > 0 ? ['*Checks recommended*', ...recommended.slice(0, LIST_SHOWN).map((d) => `▫️ ${escapeMrkdwn(clip(d.check, 200))}`)] : []),
  ];
}

function rejectionText(rejected: TriageProposal, maxRounds: number): string {
  const review = rejected.review!;
  const changes = review.requiredChanges.length > 0 ? `\nRequired: ${review.requiredChanges.map((c) => escapeMrkdwn(clip(c, 200))).join('; ')}` : '';
  return `↩️ *Round ${rejected.round} of ${maxRounds}: the reviewer rejected* ${escapeMrkdwn(proposalLabel(rejected.fix.proposal))}: ${escapeMrkdwn(clip(review.reasons.join(' '), 500))}${changes}`;
}

function proposalBlocks(fix: FixOutput, review: ReviewOutput | undefined, accepted: boolean, rounds: number, maxRounds: number): Block[] {
  const title = accepted ? `✅ *Proposal, accepted by the reviewer${rounds > 1 ? ` in round ${rounds} of ${maxRounds}` : ''}*` : '⛔ *Last proposal, not accepted*';
  const lines = [`${title} · risk ${fix.risk} · confidence ${Math.round(fix.confidence * 100)}%`, escapeMrkdwn(clip(fix.summary, 300)), ...proposalLines(fix.proposal)];
  if (accepted && review) lines.push(`_Review: ${escapeMrkdwn(clip(review.reasons.join(' '), 400))}_`);
  return sectionsOf(lines);
}

function proposalLines(proposal: Proposal): string[] {
  switch (proposal.kind) {
    case 'playbook':
      return [`Playbook *${escapeMrkdwn(proposal.name)}*${pairs(proposal.params)}`, `_${escapeMrkdwn(clip(proposal.rationale, 400))}_`];
    case 'action':
      return [`Action *${escapeMrkdwn(proposal.action)}*${pairs(proposal.params)}`, `_${escapeMrkdwn(clip(proposal.rationale, 400))}_`];
    case 'manual':
      return [...proposal.steps.slice(0, 10).map((step, i) => `${i + 1}. ${escapeMrkdwn(clip(step, 300))}`), `_${escapeMrkdwn(clip(proposal.rationale, 400))}_`];
    case 'patch': {
      const where = `${proposal.repository ? `${proposal.repository}: ` : ''}${proposal.path}`;
      // Shown as text for a person to apply: opsbot never commits it.
      const diff = escapeMrkdwn(clip(proposal.diff, DIFF_CHARS)).replace(/```/g, "'''");
      return [`Patch for \`${escapeMrkdwn(clip(where, 200))}\` (for a person to review and apply):`, `\`\`\`${diff}\`\`\``, `_${escapeMrkdwn(clip(proposal.rationale, 400))}_`];
    }
  }
}

function proposalLabel(proposal: Proposal): string {
  switch (proposal.kind) {
    case 'playbook':
      return `playbook ${proposal.name}`;
    case 'action':
      return `action ${proposal.action}`;
    case 'manual':
      return `${proposal.steps.length} manual step${proposal.steps.length === 1 ? '' : 's'}`;
    case 'patch':
      return `a patch to ${proposal.path}`;
  }
}

function pairs(params: ReadonlyArray<{ name: string; value: string }>): string {
  return params.length === 0 ? '' : ` \`${escapeMrkdwn(clip(params.map((p) => `${p.name}=${p.value}`).join(' '), 500))}\``;
}

function autorunText(input: TriageReplyInput): string {
  const { outcome } = input;
  if (outcome.started) {
    return `⚡ *Started automatically:* run \`${outcome.started.runId}\`${outcome.started.needsApproval ? ', waiting for an approval' : ''} — ${escapeMrkdwn(outcome.autorun.reason)}. \`${input.commandPrefix} autorun off\` stops automatic runs.`;
  }
  return `${outcome.autorun.auto ? '⚡' : '✋'} *Not run automatically:* ${escapeMrkdwn(outcome.autorun.reason)}.`;
}

function incidentText(note: TriageIncidentNote): string {
  switch (note.kind) {
    case 'declared':
      return `🚨 *Declared ${note.id}* (${note.severity}) for this alert group.`;
    case 'linked':
      return `🚨 Linked to *${note.id}* (${note.severity}).`;
    case 'dry-run':
      return `🚨 *DRY RUN:* would declare a ${note.severity} incident for this alert group.`;
    case 'failed':
      return `⚠️ A ${note.severity} incident should be declared, but declaring failed: ${escapeMrkdwn(clip(note.error, NOTE_CHARS))}. Declare it by hand.`;
  }
}

function runButton(input: TriageReplyInput) {
  const command = input.outcome.runCommand;
  if (command === undefined || input.outcome.started || command.length > BUTTON_VALUE_MAX) return undefined;
  const name = input.outcome.fix?.proposal.kind === 'playbook' ? input.outcome.fix.proposal.name : 'the playbook';
  const risky = input.playbookRisk !== undefined && input.playbookRisk !== 'low';
  return button(
    TRIAGE_RUN_BUTTON,
    'Run playbook',
    command,
    'primary',
    risky ? { title: 'Run playbook?', text: `${escapeMrkdwn(name)} is ${input.playbookRisk} risk; it waits for an approval where the workflow rules ask for one.`, confirm: 'Run' } : undefined,
  );
}

function footer(input: TriageReplyInput): Block[] {
  const steps = input.outcome.steps ?? [];
  const answered = [...new Set(steps.map(providerText))];
  const who = answered.length === 1 ? `Answered by ${answered[0]!} (${steps.map(stepName).join(', ')})` : steps.map((s) => `${stepName(s)}: ${providerText(s)}`).join(' · ');
  const notes = [...new Set(steps.flatMap((s) => s.notes).filter((n) => !/^Answered by (?!the offline)/.test(n)))].map((n) => escapeMrkdwn(clip(n, NOTE_CHARS)));
  const ids = steps.flatMap((s) => (s.runId ? [`\`${s.runId}\``] : []));
  return [
    context(clip(who || 'No agent ran.', 2_900)),
    ...(notes.length > 0 ? [context(clip(notes.join('\n'), 2_900))] : []),
    ...(ids.length > 0 ? [context(clip(`Agent runs ${ids.join(' ')} · \`${input.commandPrefix} agents show <id>\``, 2_900))] : []),
  ];
}

function stepName(step: TriageStep): string {
  return step.round === 0 ? step.agent : `${step.agent} ${step.round}`;
}

function providerText(step: TriageStep): string {
  return step.provider === 'offline' ? 'the offline rules' : escapeMrkdwn(step.model ?? 'the model');
}

/** Within Slack's 50 blocks: the middle (rejections, analysis) gives way, the decision and the footer stay. */
function fit(blocks: Block[]): Block[] {
  if (blocks.length <= BLOCKS_MAX) return blocks;
  const tail = blocks.slice(-8);
  return [...blocks.slice(0, BLOCKS_MAX - tail.length - 1), context('(some of the analysis is left out to fit one Slack message)'), ...tail];
}

function pre(prefix: string | undefined): string {
  return prefix ? `${prefix} ` : '';
}

/** Bare when it reads back as itself; quoted with the parser's escapes otherwise. */
function arg(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/.test(value) ? value : quoteArg(value);
}
