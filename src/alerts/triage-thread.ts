import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ChatPort, MessageContent, MessageRef } from '../slack/chat-port.ts';

/**
 * The one triage message in an alert group's thread: posted with the first progress line, edited
 * as the agents move on, and edited into the final reply. Slack failing never fails the triage:
 * it is logged, and the reply is posted anew if the progress message could not be edited. In
 * DRY_RUN nothing is posted; the reply is logged instead.
 */
export interface TriageThread {
  progress(message: MessageContent): Promise<void>;
  /** The reply's message, or undefined when it was only logged (DRY_RUN, or Slack refused). */
  finish(message: MessageContent): Promise<MessageRef | undefined>;
}

export function createTriageThread(deps: { chat: ChatPort; dryRun: boolean; log: Logger; channel: string; threadTs: string }): TriageThread {
  const { chat, log, channel, threadTs } = deps;
  let ref: MessageRef | undefined;

  const post = async (message: MessageContent, what: string): Promise<MessageRef | undefined> => {
    try {
      return await chat.post(channel, message, threadTs);
    } catch (err) {
      log.warn({ err: errorMessage(err), channel, threadTs }, `could not post the triage ${what}`);
      return undefined;
    }
  };

  return {
    async progress(message) {
      if (deps.dryRun) {
        log.debug({ channel, threadTs, progress: message.text }, 'DRY RUN: triage progress not posted');
        return;
      }
      if (ref === undefined) {
        ref = await post(message, 'progress');
        return;
      }
      try {
        await chat.update(ref, message);
      } catch (err) {
        log.warn({ err: errorMessage(err), channel, ts: ref.ts }, 'could not update the triage progress');
      }
    },
    async finish(message) {
      if (deps.dryRun) {
        log.info({ channel, threadTs, reply: message.text, blocks: message.blocks }, 'DRY RUN: triage reply logged, not posted');
        return undefined;
      }
      if (ref !== undefined) {
        try {
          await chat.update(ref, message);
          return ref;
        } catch (err) {
          log.warn({ err: errorMessage(err), channel, ts: ref.ts }, 'could not edit the progress message into the triage reply; posting it');
        }
      }
      const posted = await post(message, 'reply');
      if (posted === undefined) log.error({ channel, threadTs, reply: message.text }, 'triage reply not delivered');
      return posted;
    },
  };
}
