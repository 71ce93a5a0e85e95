import type { Logger } from 'pino';
import { slackErrorCode } from '../slack/slack-chat.ts';

/**
 * The Slack calls incidents need beyond the chat port: a channel of their own, inviting people,
 * pinning the summary, permalinks, reading a message (📌 and the message shortcut) and user
 * names (for the postmortem file, where `<@U…>` does not render). Writes go through the outbox
 * (`call`), so Slack's pacing and retries apply.
 */

export interface SlackMessage {
  ts: string;
  text: string;
  user: string | null;
  threadTs: string | null;
}

export interface IncidentSlack {
  /** The new channel's id, or Slack's error code (`name_taken`, …). */
  createChannel(name: string): Promise<{ id: string } | { error: string }>;
  /** Best effort, one by one: someone already there, or who cannot be invited, does not stop the others. */
  invite(channel: string, users: readonly string[]): Promise<void>;
  /** Best effort. */
  pin(channel: string, ts: string): Promise<void>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
  message(channel: string, ts: string): Promise<SlackMessage | undefined>;
  /** `alice` for U0ALICE; the id itself when Slack does not say. Cached for the process's life. */
  userName(userId: string): Promise<string>;
}

/** A Web API call answering Slack's JSON body (the SDK's WebAPICallResult). */
export type SlackCall = (method: string, args: Record<string, unknown>) => Promise<object>;

export function createIncidentSlack(deps: { call: SlackCall; log: Logger }): IncidentSlack {
  const { log } = deps;
  const call = async (method: string, args: Record<string, unknown>) => (await deps.call(method, args)) as Record<string, unknown>;
  const names = new Map<string, string>();

  const find = (messages: unknown, ts: string): SlackMessage | undefined => {
    if (!Array.isArray(messages)) return undefined;
    const m = (messages as Array<Record<string, unknown>>).find((x) => x.ts === ts);
    if (!m) return undefined;
    return {
      ts,
      text: typeof m.text === 'string' ? m.text : '',
      user: typeof m.user === 'string' ? m.user : null,
      threadTs: typeof m.thread_ts === 'string' ? m.thread_ts : null,
    };
  };

  return {
    async createChannel(name) {
      try {
        const res = await call('conversations.create', { name, is_private: false });
        const id = (res.channel as { id?: unknown } | undefined)?.id;
        return typeof id === 'string' ? { id } : { error: 'no_channel_id' };
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === undefined) throw err;
        return { error: code };
      }
    },
    async invite(channel, users) {
      for (const user of new Set(users)) {
        try {
          await call('conversations.invite', { channel, users: user });
        } catch (err) {
          const code = slackErrorCode(err);
          if (code === 'already_in_channel' || code === 'cant_invite_self') continue;
          log.warn({ channel, user, code, err: code ? undefined : err }, 'could not invite to the incident channel');
        }
      }
    },
    async pin(channel, ts) {
      try {
        await call('pins.add', { channel, timestamp: ts });
      } catch (err) {
        const code = slackErrorCode(err);
        if (code !== 'already_pinned') log.warn({ channel, ts, code, err: code ? undefined : err }, 'could not pin the incident summary');
      }
    },
    async permalink(channel, ts) {
      try {
        const res = await call('chat.getPermalink', { channel, message_ts: ts });
        return typeof res.permalink === 'string' ? res.permalink : undefined;
      } catch (err) {
        log.debug({ channel, ts, code: slackErrorCode(err) }, 'no permalink');
        return undefined;
      }
    },
    async message(channel, ts) {
      // A reply is found through its thread, a top-level message through the history; the bounds
      // select just the one message either way, and the match on ts picks it out of what comes back.
      const bounds = { channel, latest: ts, oldest: ts, inclusive: true, limit: 1 };
      try {
        const found = find((await call('conversations.replies', { ...bounds, ts })).messages, ts);
        if (found) return found;
      } catch (err) {
        if (slackErrorCode(err) === undefined) throw err;
      }
      try {
        return find((await call('conversations.history', bounds)).messages, ts);
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === undefined) throw err;
        log.info({ channel, ts, code }, 'could not read the message');
        return undefined;
      }
    },
    async userName(userId) {
      const known = names.get(userId);
      if (known) return known;
      try {
        const res = await call('users.info', { user: userId });
        const user = (res.user ?? {}) as { name?: unknown; profile?: { display_name?: unknown; real_name?: unknown } };
        const name = [user.profile?.display_name, user.name, user.profile?.real_name].find((n): n is string => typeof n === 'string' && n !== '');
        if (name) {
          names.set(userId, name);
          return name;
        }
      } catch (err) {
        log.debug({ userId, code: slackErrorCode(err) }, 'users.info failed');
      }
      return userId;
    },
  };
}
