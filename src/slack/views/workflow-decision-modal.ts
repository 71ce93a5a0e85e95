import type { ModalView } from '@slack/types';
import { escapeMrkdwn, section } from '../../commands/blocks.ts';

/**
 * The Reject button asks for an optional reason before the decision is made. The submission
 * becomes the typed command `workflow reject <run> "<reason>"`, so a click and a command follow
 * the same rules and the same audit.
 */

export const WORKFLOW_DECISION_CALLBACK = 'workflow_decision';
const REASON_BLOCK = 'reason';
const REASON_ACTION = 'value';

interface Metadata {
  run: string;
  step?: string;
  channel: string;
}

type Obj = Record<string, unknown>;

export function rejectModal(target: Metadata): ModalView {
  return {
    type: 'modal',
    callback_id: WORKFLOW_DECISION_CALLBACK,
    private_metadata: JSON.stringify(target),
    title: { type: 'plain_text', text: 'Reject' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(`Reject the pending approval of \`${escapeMrkdwn(target.run)}\`${target.step ? ` at \`${escapeMrkdwn(target.step)}\`` : ''}? The step fails.`),
      {
        type: 'input',
        block_id: REASON_BLOCK,
        optional: true,
        label: { type: 'plain_text', text: 'Reason (optional)' },
        element: { type: 'plain_text_input', action_id: REASON_ACTION, multiline: true, max_length: 500 },
      },
    ],
  };
}

/** The command a submitted reject modal runs, in the conversation the button was in. */
export function rejectCommand(view: Obj): { text: string; channelId: string } | undefined {
  let meta: Metadata;
  try {
    meta = JSON.parse(String(view.private_metadata ?? '')) as Metadata;
  } catch {
    return undefined;
  }
  if (typeof meta.run !== 'string' || typeof meta.channel !== 'string') return undefined;
  const values = ((view.state as Obj | undefined)?.values ?? {}) as Record<string, Record<string, { value?: unknown }>>;
  const reason = values[REASON_BLOCK]?.[REASON_ACTION]?.value;
  const parts = ['workflow reject', meta.run];
  if (typeof reason === 'string' && reason.trim()) parts.push(quote(reason.trim()));
  if (meta.step) parts.push(`step=${quote(meta.step)}`);
  return { text: parts.join(' '), channelId: meta.channel };
}

/** Double-quoted for the command parser: only `\` and `"` need escaping there. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
