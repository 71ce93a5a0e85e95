import type { AgentAnswer } from '../../agents/agent-runner.ts';
import type { IntentOutput } from '../../agents/output-schemas.ts';
import { clip, context, escapeMrkdwn, section } from '../../commands/blocks.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { button } from './workflow-views.ts';

/** Action ids of the proposal's buttons: Run is a command button (`ops.run:…`) the handler also marks as used. */
export const INTENT_RUN_ACTION = 'ops.run:intent';
export const INTENT_CANCEL_ACTION = 'ops.cancel:intent';

/** A reply to free text: the answer, the question, or the proposed command with Run / Cancel. Pure. */
export function intentView(answer: Pick<AgentAnswer<IntentOutput>, 'output' | 'notes'>, commandPrefix: string): MessageContent {
  const footer = context(escapeMrkdwn(clip(answer.notes.join(' '), 2_900)));
  const { output } = answer;
  if (output.kind === 'answer') return { text: output.answer, blocks: [section(escapeMrkdwn(clip(output.answer, 2_900))), footer] };
  if (output.kind === 'question') return { text: output.question, blocks: [section(escapeMrkdwn(clip(output.question, 2_900))), footer] };
  const command = `${commandPrefix} ${output.command}`;
  return {
    text: `I can run: ${command}`,
    blocks: [
      section(`I can run this for you:\n\`${escapeMrkdwn(command)}\`\n${escapeMrkdwn(clip(output.explanation, 2_000))}`),
      { type: 'actions', elements: [{ ...button('intent', 'Run', output.command, 'primary'), action_id: INTENT_RUN_ACTION }, { ...button('intent-cancel', 'Cancel', output.command), action_id: INTENT_CANCEL_ACTION }] },
      footer,
    ] as Block[],
  };
}

/** The proposal once someone acted on it: the command stays visible, the buttons go. Pure. */
export function intentDoneView(command: string, commandPrefix: string, outcome: 'ran' | 'cancelled', userId: string): MessageContent {
  const what = outcome === 'ran' ? `▶️ Run by <@${userId}>` : `✖️ Cancelled by <@${userId}>`;
  return { text: `${commandPrefix} ${command}: ${outcome} by ${userId}`, blocks: [section(`\`${escapeMrkdwn(`${commandPrefix} ${command}`)}\``), context(what)] };
}
