import { str } from '../request-body.ts';
import type { MethodHandler } from './context.ts';
import { fail, ok, visibleChannel } from './context.ts';

/** reactions.add and pins.add, on messages in conversations the bot can see. */

const reactionsAdd: MethodHandler = (args, ctx) => {
  const channel = visibleChannel(ctx, str(args, 'channel'));
  if (!channel) return fail('channel_not_found');
  const name = (str(args, 'name') ?? '').replace(/^:|:$/g, '');
  if (!name) return fail('invalid_name');
  const ts = str(args, 'timestamp');
  const message = ts ? ctx.state.findMessage(channel.id, ts) : undefined;
  if (!message) return fail('message_not_found');
  const reactions = (message.reactions ??= []);
  let reaction = reactions.find((r) => r.name === name);
  if (!reaction) reactions.push((reaction = { name, users: [] }));
  if (reaction.users.includes(ctx.state.bot.userId)) return fail('already_reacted');
  reaction.users.push(ctx.state.bot.userId);
  ctx.state.emit({ kind: 'update', channel: channel.id, ts: message.ts });
  return ok();
};

const pinsAdd: MethodHandler = (args, ctx) => {
  const channel = visibleChannel(ctx, str(args, 'channel'));
  if (!channel) return fail('channel_not_found');
  if (!channel.members.includes(ctx.state.bot.userId)) return fail('not_in_channel');
  const ts = str(args, 'timestamp');
  const message = ts ? ctx.state.findMessage(channel.id, ts) : undefined;
  if (!message) return fail('message_not_found');
  if (message.pinned) return fail('already_pinned');
  message.pinned = true;
  ctx.state.emit({ kind: 'update', channel: channel.id, ts: message.ts });
  return ok();
};

export const reactionsPinsMethods: Record<string, MethodHandler> = {
  'reactions.add': reactionsAdd,
  'pins.add': pinsAdd,
};
