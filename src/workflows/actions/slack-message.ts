import type { ChatPort } from '../../slack/chat-port.ts';
import type { ActionContext, ActionDefinition, ActionResult } from '../action.ts';
import { inputFields } from './input-fields.ts';

/**
 * `slack.message`: posts text into the run's thread (default), the run's channel, or another
 * channel. Not idempotent: Slack's chat.postMessage has no idempotency key, so an attempt cut
 * short by a crash may or may not have posted, and a person decides.
 */

export interface RunLocation {
  /** Where the run's parent message is. */
  channel: string;
  /** The parent message's ts: the run's thread. */
  threadTs?: string;
}

export type RunLocator = (runId: string) => RunLocation | Promise<RunLocation>;

export interface SlackMessageDeps {
  chat: ChatPort;
  runLocation: RunLocator;
}

export interface SlackMessageInput {
  channel?: string;
  text: string;
  /** Into the run's thread (default); only applies when posting to the run's channel. */
  thread: boolean;
}

const KEYS = ['channel', 'text', 'thread'] as const;

export function createSlackMessageAction(deps: SlackMessageDeps): ActionDefinition<SlackMessageInput> {
  return {
    name: 'slack.message',
    summary: "Post a message into the run's thread, or to a channel",
    idempotent: false,
    parse: parseSlackMessageInput,
    run: (input, ctx) => postMessage(deps, input, ctx),
  };
}

export function parseSlackMessageInput(input: Record<string, unknown>): SlackMessageInput {
  const fields = inputFields('slack.message', input);
  fields.only(KEYS);
  const channel = fields.optionalString('channel');
  const text = fields.string('text');
  const thread = fields.optionalBoolean('thread') ?? true;
  return { ...(channel !== undefined ? { channel } : {}), text, thread };
}

async function postMessage(deps: SlackMessageDeps, input: SlackMessageInput, ctx: ActionContext): Promise<ActionResult> {
  const run = await deps.runLocation(ctx.runId);
  const channel = input.channel ?? run.channel;
  // A thread belongs to the run's channel; elsewhere the message stands on its own.
  const threadTs = input.thread && channel === run.channel ? run.threadTs : undefined;
  if (ctx.dryRun) {
    return { result: { dryRun: true, channel, text: input.text }, log: `would post to <#${channel}>${threadTs ? ' (in the thread)' : ''}: ${input.text}` };
  }
  ctx.signal.throwIfAborted();
  const ref = await deps.chat.post(channel, { text: input.text }, threadTs);
  return { result: { channel: ref.channel, ts: ref.ts } };
}
