import type { Button } from '@slack/types';
import { clip, context, escapeMrkdwn, section, sectionsOf } from '../../commands/blocks.ts';
import { slackTime, utcTime } from '../../commands/time-format.ts';
import { formatDuration } from '../../duration.ts';
import type { ApprovalStatus, WorkflowRunStatus, WorkflowStepStatus } from '../../store/types.ts';
import type { ApprovalView, RunView, StepView } from '../../workflows/run-view.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { RUN_COMMAND_ACTION } from '../request-handlers.ts';

/**
 * Pure Block Kit builders for a run's messages in Slack: the parent message (edited in place as
 * the run moves), the approval request in its thread, the prompt for a step that may or may not
 * have completed, and step output. Every button is a command (`ops.run:<name>` with the command
 * text as its value), so a click is checked, audited and answered like typing it.
 */

const RUN_STATUS: Record<WorkflowRunStatus, string> = {
  queued: '🕒 queued',
  running: '⏳ running',
  waiting: '⏸️ waiting',
  paused: '⏸️ paused: a step needs a decision',
  succeeded: '✅ succeeded',
  failed: '❌ failed',
  cancelled: '🚫 cancelled',
  rolling_back: '↩️ rolling back',
  rolled_back: '↩️ rolled back',
};

const STEP_MARK: Record<WorkflowStepStatus, string> = {
  pending: '▫️',
  running: '⏳',
  succeeded: '✅',
  failed: '❌',
  skipped: '⏭️',
  waiting: '⏸️',
  cancelled: '🚫',
  interrupted: '⏸️',
};

const LIVE: ReadonlySet<WorkflowRunStatus> = new Set(['queued', 'running', 'waiting', 'paused']);
const ERROR_CHARS = 300;

export function runStatusText(status: WorkflowRunStatus): string {
  return RUN_STATUS[status];
}

export function stepMark(step: Pick<StepView, 'status' | 'undo'>): string {
  if (step.undo?.status === 'succeeded') return '↩️';
  return STEP_MARK[step.status];
}

/** `service=api version=v2.3.0`. */
export function paramsText(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
}

export interface RunMessageOptions {
  now: number;
  dryRun?: boolean;
  /** false leaves the buttons out (a status answer that only shows). Default true. */
  buttons?: boolean;
}

/** The run's parent message. */
export function runMessage(run: RunView, options: RunMessageOptions): MessageContent {
  const elapsed = formatDuration((run.finishedAt ?? options.now) - run.createdAt);
  const params = paramsText(run.params);
  const title = `*${escapeMrkdwn(run.workflow)}* · \`${run.id}\` — ${runStatusText(run.status)}${options.dryRun ? ' · *DRY RUN*' : ''}`;
  const lines = [
    title,
    ...(params ? [`\`${escapeMrkdwn(params)}\``] : []),
    `Started by <@${run.requestedBy}> ${slackTime(run.createdAt)} · ${LIVE.has(run.status) ? 'running for' : 'took'} ${elapsed}`,
  ];
  const blocks: Block[] = [section(lines.join('\n')), ...sectionsOf(run.steps.map(stepLine))];
  if (run.error && !LIVE.has(run.status)) blocks.push(section(`*Error:* ${escapeMrkdwn(clip(run.error, ERROR_CHARS))}`));
  const actions = options.buttons === false ? [] : runButtons(run);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: 'run', elements: actions });
  blocks.push(context(run.description ? escapeMrkdwn(run.description) : `Workflow ${escapeMrkdwn(run.workflow)}`));
  const text = `${run.workflow} ${run.id}: ${run.status.replace('_', ' ')}${params ? ` (${params})` : ''}, started by <@${run.requestedBy}>, ${elapsed}`;
  return { text, blocks };
}

/** One line of the step list: mark, name, and what is worth knowing about where it stands. */
export function stepLine(step: StepView): string {
  const indent = '    '.repeat(step.depth);
  const parts = [`${indent}${stepMark(step)} ${escapeMrkdwn(step.name)}`];
  if (step.maxAttempts > 1 && step.attempt > 1) parts.push(`attempt ${step.attempt}/${step.maxAttempts}`);
  if (step.status === 'succeeded' && step.startedAt !== null && step.finishedAt !== null && step.kind === 'action') {
    parts.push(formatDuration(step.finishedAt - step.startedAt));
  }
  if (step.status === 'waiting' && step.wakeAt !== null) parts.push(`${step.kind === 'action' ? 'retrying' : 'until'} ${slackTime(step.wakeAt, '{time_secs}')}`);
  if (step.status === 'waiting' && step.kind === 'approval') parts.push('waiting for approval');
  if (step.status === 'interrupted') parts.push('may or may not have completed: needs a decision');
  if (step.undo?.status === 'running') parts.push('undoing');
  if (step.undo?.status === 'succeeded') parts.push('undone');
  if (step.undo?.status === 'failed') parts.push(`undo failed: ${escapeMrkdwn(clip(step.undo.error ?? 'unknown error', ERROR_CHARS))}`);
  let line = parts.join(' · ');
  const showsError = step.status === 'failed' || (step.status === 'waiting' && step.kind === 'action');
  if (showsError && step.error) line += ` — ${escapeMrkdwn(clip(oneLine(step.error), ERROR_CHARS))}`;
  return line;
}

function runButtons(run: RunView): Button[] {
  switch (run.status) {
    case 'queued':
    case 'running':
    case 'waiting':
    case 'paused':
      return [button('cancel', 'Cancel', `workflow cancel ${run.id}`, 'danger', { title: 'Cancel this run?', text: `Running steps of ${run.id} are stopped; nothing is undone.`, confirm: 'Cancel the run' })];
    case 'failed':
      return [
        button('retry', 'Retry', `workflow retry ${run.id}`, 'primary'),
        button('rollback', 'Roll back', `workflow rollback ${run.id}`, 'danger', { title: 'Roll back?', text: `The undo of every completed step of ${run.id} runs, most recent first.`, confirm: 'Roll back' }),
      ];
    default:
      return [];
  }
}

export function button(name: string, label: string, command: string, style?: 'primary' | 'danger', confirm?: { title: string; text: string; confirm: string }): Button {
  return {
    type: 'button',
    action_id: `${RUN_COMMAND_ACTION}:${name}`,
    text: { type: 'plain_text', text: label, emoji: true },
    value: command,
    ...(style ? { style } : {}),
    ...(confirm
      ? {
          confirm: {
            title: { type: 'plain_text', text: confirm.title },
            text: { type: 'mrkdwn', text: confirm.text },
            confirm: { type: 'plain_text', text: confirm.confirm },
            deny: { type: 'plain_text', text: 'Keep it' },
          },
        }
      : {}),
  };
}

// ---- approvals ------------------------------------------------------------------------------

const APPROVAL_STATUS: Record<ApprovalStatus, string> = {
  pending: '⏳ Waiting for approval',
  approved: '✅ Approved',
  rejected: '❌ Rejected',
  expired: '⌛ Expired',
  cancelled: '🚫 Cancelled',
};

/** `<@U1>, <!subteam^S1>, anyone with the deployer role`. */
export function approversText(approvers: ApprovalView['approvers']): string {
  return [
    ...approvers.users.map((u) => `<@${u}>`),
    ...approvers.groups.map((g) => `<!subteam^${g}>`),
    ...approvers.roles.map((r) => `anyone with the *${r}* role`),
  ].join(', ');
}

/**
 * The approval request in the run's thread: who may approve, how many must, until when; each
 * decision with its time; the buttons only while it is pending. A top-level step's buttons carry
 * just the run; an approval inside a parallel branch names its step, since several may wait.
 */
export function approvalMessage(run: Pick<RunView, 'id' | 'workflow' | 'steps'>, approval: ApprovalView, options: { dryRun?: boolean } = {}): MessageContent {
  const step = run.steps.find((s) => s.path === approval.path);
  const stepName = step?.name ?? approval.path;
  const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
  const pending = approval.status === 'pending';
  const who = approversText(approval.approvers);
  const head = `🔐 *${escapeMrkdwn(stepName)}* · ${escapeMrkdwn(run.workflow)} \`${run.id}\`${options.dryRun ? ' · *DRY RUN*' : ''}`;
  const lines = [head, ...(approval.message ? [escapeMrkdwn(approval.message)] : [])];
  const rule = `${pending ? 'Approvers' : 'Asked'}: ${who} · needs ${approval.min} approval${approval.min === 1 ? '' : 's'}${pending ? ` · expires ${slackTime(approval.expiresAt)}` : ''}`;
  const decided = approval.decisions.map((d) => `${d.decision === 'approve' ? '✅' : '❌'} <@${d.userId}> ${d.decision === 'approve' ? 'approved' : 'rejected'} ${slackTime(d.at)}${d.reason ? `: ${escapeMrkdwn(d.reason)}` : ''}`);
  const status = `*${APPROVAL_STATUS[approval.status]}*${pending && approval.min > 1 ? ` (${approvals} of ${approval.min})` : ''}${!pending && approval.decidedAt !== null ? ` ${slackTime(approval.decidedAt)}` : ''}`;
  const suffix = approval.path.includes('/') ? ` step=${approval.path}` : '';
  const blocks: Block[] = [section(lines.join('\n')), context(rule), ...(decided.length > 0 ? [section(decided.join('\n'))] : []), section(status)];
  if (pending) {
    blocks.push({
      type: 'actions',
      block_id: `approval-${approval.id}`,
      elements: [button('approve', 'Approve', `workflow approve ${run.id}${suffix}`, 'primary'), button('reject', 'Reject', `workflow reject ${run.id}${suffix} --ask`, 'danger')],
    });
  }
  const textDecided = approval.decisions.map((d) => `${d.decision === 'approve' ? 'approved' : 'rejected'} by <@${d.userId}> at ${utcTime(d.at)}`);
  const text = pending
    ? `Approval needed for ${run.workflow} ${run.id} (${stepName}) from ${who}${approval.message ? `: ${approval.message}` : ''}`
    : `${APPROVAL_STATUS[approval.status]}: ${run.workflow} ${run.id} (${stepName})${textDecided.length > 0 ? `, ${textDecided.join(', ')}` : ''}`;
  return { text, blocks };
}

// ---- thread messages ------------------------------------------------------------------------

/** A step that was running when opsbot stopped and cannot safely run again by itself. */
export function interruptedMessage(runId: string, step: Pick<StepView, 'path' | 'name' | 'attempt' | 'status'>): MessageContent {
  const open = step.status === 'interrupted';
  const head = `⚠️ Step *${escapeMrkdwn(step.name)}* (\`${step.path}\`) may or may not have completed: opsbot stopped while it ran (attempt ${step.attempt}).`;
  const blocks: Block[] = [section(open ? `${head}\nRun it again, mark it done, or abort the run here?` : head)];
  if (open) {
    const command = (resolution: string) => `workflow resolve ${runId} ${step.path} ${resolution}`;
    blocks.push({
      type: 'actions',
      block_id: 'resolve',
      elements: [
        button('resolve-retry', 'Retry', command('retry'), 'primary'),
        button('resolve-mark-done', 'Mark done', command('mark-done')),
        button('resolve-abort', 'Abort', command('abort'), 'danger'),
      ],
    });
  } else {
    blocks.push(context(`Decided: the step is now ${step.status}.`));
  }
  return { text: `Step ${step.name} of ${runId} may or may not have completed${open ? ': retry, mark done or abort?' : `; decided (${step.status})`}`, blocks };
}

/** Longer output is sent as text alone, which the chat port splits into messages or files. */
const LOG_IN_BLOCKS = 2_800;

/** An action's output or a progress line, for the run's thread. */
export function stepLogMessage(step: Pick<StepView, 'path' | 'name'>, text: string): MessageContent {
  const title = `*${escapeMrkdwn(step.name)}*${step.name === step.path ? '' : ` (\`${step.path}\`)`}`;
  const body = text.trimEnd();
  if (!body.includes('\n') && body.length <= 200) return { text: `${step.name}: ${body}`, blocks: [context(`${title}: ${escapeMrkdwn(body)}`)] };
  const fenced = `\`\`\`${escapeMrkdwn(body.replace(/```/g, "'''"))}\`\`\``;
  if (fenced.length <= LOG_IN_BLOCKS) return { text: `${step.name}:\n${body}`, blocks: [section(`${title}\n${fenced}`)] };
  return { text: `${title}\n${fenced}` };
}

/** A failed attempt: the last one (the step failed) or one that will be retried. */
export function stepFailedMessage(step: StepView): MessageContent {
  const retrying = step.status === 'waiting' && step.kind === 'action';
  const attempt = step.maxAttempts > 1 ? ` (attempt ${step.attempt}/${step.maxAttempts})` : '';
  const head = retrying ? `⚠️ *${escapeMrkdwn(step.name)}* failed${attempt}; retrying` : `❌ *${escapeMrkdwn(step.name)}* failed${attempt}`;
  const error = step.error ?? 'unknown error';
  return { text: `${step.name} failed${attempt}: ${error}`, blocks: [section(`${head}\n\`\`\`${escapeMrkdwn(clip(error, 2_500))}\`\`\``)] };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
