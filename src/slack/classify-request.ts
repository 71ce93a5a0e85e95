import { createHash } from 'node:crypto';

/** What the inbox worker does with a request. */
export type RequestKind = 'command' | 'mention' | 'message' | 'action' | 'view' | 'shortcut' | 'home' | 'reaction';

export type Classification =
  | { kind: RequestKind; key: string; userId: string | undefined; channelId: string | undefined; summary: string }
  | { ignore: string };

export interface BotIdentity {
  userId: string;
  botId: string;
}

type Body = Record<string, unknown>;

/**
 * Decides, from Slack's body alone, whether a request is work for opsbot and under which key a
 * retry of it would arrive again. Pure: the intake records what this returns.
 */
export function classifyRequest(body: Body, options: { command: string; bot: BotIdentity | undefined }): Classification {
  if (typeof body.command === 'string') {
    if (body.command !== options.command) return { ignore: `slash command ${body.command} is not ours` };
    return {
      kind: 'command',
      key: `command:${str(body.trigger_id) ?? digest(body)}`,
      userId: str(body.user_id),
      channelId: str(body.channel_id),
      summary: `${body.command} ${str(body.text) ?? ''}`.trim(),
    };
  }
  if (body.type === 'event_callback') return classifyEvent(body, options.bot);
  const interactive = classifyInteractive(body);
  if (interactive) return interactive;
  return { ignore: `unhandled request type ${String(body.type)}` };
}

function classifyEvent(body: Body, bot: BotIdentity | undefined): Classification {
  const event = (body.event ?? {}) as Body;
  const key = `event:${str(body.event_id) ?? digest(body)}`;
  const userId = str(event.user);
  const channelId = str(event.channel);
  if (isOwn(event, bot)) return { ignore: 'own message' };
  switch (event.type) {
    case 'app_mention':
      return { kind: 'mention', key, userId, channelId, summary: str(event.text) ?? '' };
    case 'message': {
      const subtype = str(event.subtype);
      // Edits, deletions and joins are not new messages; bot_message is (alert integrations post so).
      if (subtype && subtype !== 'bot_message' && subtype !== 'file_share' && subtype !== 'thread_broadcast') {
        return { ignore: `message subtype ${subtype}` };
      }
      // In a direct message everything is addressed to opsbot, and Slack sends no app_mention there
      // (mentioned or not): a person's DM is handled like a mention.
      if (event.channel_type === 'im' && !subtype && userId) return { kind: 'mention', key, userId, channelId, summary: str(event.text) ?? '' };
      // Elsewhere a mention arrives twice (app_mention and message): the app_mention is the one handled.
      if (bot && (str(event.text) ?? '').includes(`<@${bot.userId}>`)) return { ignore: 'mention, handled as app_mention' };
      return { kind: 'message', key, userId, channelId, summary: (str(event.text) ?? '').slice(0, 200) };
    }
    case 'app_home_opened':
      if (str(event.tab) !== undefined && event.tab !== 'home') return { ignore: 'app home tab other than home' };
      return { kind: 'home', key, userId, channelId, summary: 'app home opened' };
    case 'reaction_added':
      return { kind: 'reaction', key, userId, channelId: str((event.item as Body | undefined)?.channel), summary: `:${str(event.reaction) ?? ''}:` };
    default:
      return { ignore: `event ${String(event.type)}` };
  }
}

function classifyInteractive(body: Body): Classification | undefined {
  const user = (body.user ?? {}) as Body;
  const userId = str(user.id);
  const key = (prefix: string) => `${prefix}:${str(body.trigger_id) ?? digest(body)}`;
  switch (body.type) {
    case 'block_actions': {
      const channelId = str((body.channel as Body | undefined)?.id) ?? str((body.container as Body | undefined)?.channel_id);
      const actions = Array.isArray(body.actions) ? (body.actions as Body[]) : [];
      return { kind: 'action', key: key('action'), userId, channelId, summary: actions.map((a) => str(a.action_id)).join(',') };
    }
    case 'view_submission':
      return { kind: 'view', key: key('view'), userId, channelId: undefined, summary: str((body.view as Body | undefined)?.callback_id) ?? '' };
    case 'message_action':
    case 'shortcut':
      return {
        kind: 'shortcut',
        key: key('shortcut'),
        userId,
        channelId: str((body.channel as Body | undefined)?.id),
        summary: str(body.callback_id) ?? '',
      };
    default:
      return undefined;
  }
}

/** opsbot ignores its own messages (and the echoes of its own posts Slack sends back). */
function isOwn(event: Body, bot: BotIdentity | undefined): boolean {
  if (!bot) return false;
  if (event.user === bot.userId || event.bot_id === bot.botId) return true;
  const profile = event.bot_profile as Body | undefined;
  return profile?.id === bot.botId;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Requests without an id of their own dedupe on their content. */
function digest(body: Body): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32);
}
