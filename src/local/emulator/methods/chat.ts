import { bool, str } from '../request-body.ts';
import type { EmulatedMessage } from '../types.ts';
import { messageObject } from '../wire-format.ts';
import type { MethodHandler, MethodResult } from './context.ts';
import { fail, messageContent, ok, threadRoot, visibleChannel, writableChannel } from './context.ts';

/** chat.* — posting, editing, ephemerals, permalinks. Errors and their order follow Slack's docs. */

const TS_PATTERN = /^\d+\.\d+$/;

/** A thread_ts argument: absent, or a well-formed ts (Slack rejects "" and "0" with invalid_thread_ts). */
function threadArg(value: string | undefined): { threadTs?: string } | { error: MethodResult } {
  if (value === undefined) return {};
  if (!TS_PATTERN.test(value)) return { error: fail('invalid_thread_ts', { response_metadata: { messages: [`[ERROR] ${value || '""'} is not a valid thread_ts`] } }) };
  return { threadTs: value };
}

const postMessage: MethodHandler = (args, ctx) => {
  const target = writableChannel(ctx, str(args, 'channel'));
  if ('error' in target) return target.error;
  const thread = threadArg(str(args, 'thread_ts'));
  if ('error' in thread) return thread.error;
  const body = messageContent(args, { requireContent: true });
  if ('error' in body) return body.error;

  const channel = target.channel.id;
  const threadTs = threadRoot(ctx, channel, thread.threadTs);
  const message: EmulatedMessage = {
    channel,
    ts: ctx.state.ids.ts(),
    ...(threadTs ? { threadTs } : {}),
    user: ctx.state.bot.userId,
    botId: ctx.state.bot.botId,
    text: body.content.text ?? '',
    ...(body.content.blocks ? { blocks: body.content.blocks } : {}),
    ...(body.content.attachments ? { attachments: body.content.attachments } : {}),
    ...(threadTs && bool(args, 'reply_broadcast') ? { replyBroadcast: true } : {}),
  };
  ctx.state.addMessage(message);
  ctx.echo(message);
  return ok({ channel, ts: message.ts, message: messageObject(ctx.state, message, ctx.baseUrl) });
};

const update: MethodHandler = (args, ctx) => {
  const channel = visibleChannel(ctx, str(args, 'channel'));
  if (!channel) return fail('channel_not_found');
  const ts = str(args, 'ts');
  const message = ts ? ctx.state.findMessage(channel.id, ts) : undefined;
  if (!message) return fail('message_not_found');
  if (message.botId !== ctx.state.bot.botId) return fail('cant_update_message');
  const body = messageContent(args, { requireContent: false });
  if ('error' in body) return body.error;

  // Slack keeps blocks / attachments that an update leaves out; an empty array removes them.
  if (body.content.text !== undefined) message.text = body.content.text;
  if (body.content.blocks !== undefined) {
    if (body.content.blocks.length) message.blocks = body.content.blocks;
    else delete message.blocks;
  }
  if (body.content.attachments !== undefined) {
    if (body.content.attachments.length) message.attachments = body.content.attachments;
    else delete message.attachments;
  }
  message.edited = { at: ctx.clock.now(), count: (message.edited?.count ?? 0) + 1 };
  ctx.state.emit({ kind: 'update', channel: channel.id, ts: message.ts });
  return ok({ channel: channel.id, ts: message.ts, text: message.text, message: messageObject(ctx.state, message, ctx.baseUrl) });
};

const deleteMessage: MethodHandler = (args, ctx) => {
  const channel = visibleChannel(ctx, str(args, 'channel'));
  if (!channel) return fail('channel_not_found');
  const ts = str(args, 'ts');
  const message = ts ? ctx.state.findMessage(channel.id, ts) : undefined;
  if (!message) return fail('message_not_found');
  if (message.botId !== ctx.state.bot.botId) return fail('cant_delete_message');
  ctx.state.removeMessage(channel.id, message.ts);
  return ok({ channel: channel.id, ts: message.ts });
};

const postEphemeral: MethodHandler = (args, ctx) => {
  const target = writableChannel(ctx, str(args, 'channel'));
  if ('error' in target) return target.error;
  const user = str(args, 'user');
  if (!user || !ctx.state.users.has(user)) return fail('user_not_found');
  if (!target.channel.members.includes(user)) return fail('user_not_in_channel');
  const thread = threadArg(str(args, 'thread_ts'));
  if ('error' in thread) return thread.error;
  const body = messageContent(args, { requireContent: true });
  if ('error' in body) return body.error;

  const ts = ctx.state.ids.ts();
  const threadTs = threadRoot(ctx, target.channel.id, thread.threadTs);
  ctx.state.addEphemeral({
    ts,
    channel: target.channel.id,
    user,
    ...(threadTs ? { threadTs } : {}),
    text: body.content.text ?? '',
    ...(body.content.blocks ? { blocks: body.content.blocks } : {}),
    at: ctx.clock.now(),
    via: 'chat.postEphemeral',
  });
  return ok({ message_ts: ts });
};

const getPermalink: MethodHandler = (args, ctx) => {
  const channel = visibleChannel(ctx, str(args, 'channel'));
  if (!channel) return fail('channel_not_found');
  const ts = str(args, 'message_ts');
  const message = ts ? ctx.state.findMessage(channel.id, ts) : undefined;
  if (!message) return fail('message_not_found');
  const base = `https://${ctx.state.team.domain}.slack.com/archives/${channel.id}/p${message.ts.replace('.', '')}`;
  const permalink = message.threadTs && message.threadTs !== message.ts ? `${base}?thread_ts=${message.threadTs}&cid=${channel.id}` : base;
  return ok({ channel: channel.id, permalink });
};

export const chatMethods: Record<string, MethodHandler> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.delete': deleteMessage,
  'chat.postEphemeral': postEphemeral,
  'chat.getPermalink': getPermalink,
};
