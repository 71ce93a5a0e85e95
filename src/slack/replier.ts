import type { Logger } from 'pino';
import type { Invocation } from '../commands/command.ts';
import { UserError } from '../errors.ts';
import { toContent, type ChatPort, type FileContent, type MessageContent, type MessageRef, type Replier } from './chat-port.ts';
import { slackErrorCode } from './slack-chat.ts';

export interface ReplierOptions {
  chat: ChatPort;
  invocation: Invocation;
  log: Logger;
  /** As people type it after `/invite @`. */
  botName?: string;
}

/** A response_url lives 30 minutes and takes 5 answers; after that the reply goes ephemeral. */
const RESPONSE_URL_SPENT = new Set(['expired_url', 'used_url', 'http_404', 'http_410']);

/**
 * The replies to one request. Private answers use the response_url where there is one: it works
 * in channels the bot is not in, where chat.postEphemeral would fail.
 */
export function createReplier(options: ReplierOptions): Replier {
  const { chat, invocation, log } = options;
  const { channelId: channel, userId: user, threadTs, responseUrl, source } = invocation;
  const hint = `Invite me with \`/invite @${options.botName ?? 'opsbot'}\`, then try again.`;

  async function privateReply(message: MessageContent | string): Promise<void> {
    const content = toContent(message);
    // A mention has no response_url; its ephemeral goes into the thread it was asked in.
    if (!responseUrl || source === 'mention') return chat.ephemeral(channel, user, content, threadTs);
    try {
      await chat.respond(responseUrl, { ...content, replaceOriginal: false });
    } catch (err) {
      if (!RESPONSE_URL_SPENT.has(slackErrorCode(err) ?? '')) throw err;
      log.info({ channel, code: slackErrorCode(err) }, 'response_url spent; answering with an ephemeral');
      await chat.ephemeral(channel, user, content, threadTs);
    }
  }

  /**
   * Posting where the bot cannot (a private channel it was not invited to; the chat port already
   * joined public ones) rejects with a UserError carrying the invite hint: the handler stops, and
   * the one error boundary (the dispatcher) tells the caller privately, once.
   */
  async function inConversation<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (err) {
      if (!cannotPostHere(err)) throw err;
      log.info({ channel, source, code: slackErrorCode(err) ?? 'not_in_channel' }, 'not in channel');
      throw new UserError('not_in_channel', "I'm not in this private channel.", hint, { cause: err });
    }
  }

  return {
    private: privateReply,
    public: (message): Promise<MessageRef> => inConversation(() => chat.post(channel, toContent(message), threadTs)),
    file: (file: FileContent) => inConversation(() => chat.upload(channel, file, threadTs)),
  };
}

/** The request's own channel exists, so "not found" there means private and not a member. */
function cannotPostHere(err: unknown): boolean {
  if (err instanceof UserError) return err.code === 'not_in_channel';
  const code = slackErrorCode(err);
  return code === 'not_in_channel' || code === 'channel_not_found';
}
