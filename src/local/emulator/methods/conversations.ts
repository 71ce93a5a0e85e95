import { tsToMicros } from '../ids.ts';
import type { Args } from '../request-body.ts';
import { bool, num, str } from '../request-body.ts';
import type { EmulatedChannel, EmulatedMessage } from '../types.ts';
import { channelObject, messageObject } from '../wire-format.ts';
import type { MethodContext, MethodHandler } from './context.ts';
import { fail, ok, visibleChannel } from './context.ts';

/** conversations.* — channels, DMs, membership, history with Slack's cursor pagination. */

const created = (ctx: MethodContext) => Math.floor(ctx.clock.now() / 1000);
const channelJson = (ctx: MethodContext, c: EmulatedChannel) => channelObject(ctx.state, c, created(ctx));

/** Slack's cursors are opaque base64 ("bmV4dF90czox…" = "next_ts:1…"); ours encode an offset. */
const encodeCursor = (offset: number) => Buffer.from(`next:${offset}`).toString('base64');
function decodeCursor(cursor: string | undefined): number | undefined {
  if (!cursor) return 0;
  const m = /^next:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

/** One page of `items` per limit/cursor, with Slack's has_more + response_metadata.next_cursor. */
function page<T>(items: T[], args: Args, defaultLimit: number): { items: T[]; hasMore: boolean; nextCursor: string } | undefined {
  const offset = decodeCursor(str(args, 'cursor'));
  if (offset === undefined) return undefined;
  const limit = Math.max(1, Math.min(num(args, 'limit') ?? defaultLimit, 1000));
  const slice = items.slice(offset, offset + limit);
  const hasMore = offset + limit < items.length;
  return { items: slice, hasMore, nextCursor: hasMore ? encodeCursor(offset + limit) : '' };
}

/** oldest / latest bounds (exclusive unless inclusive=true), as conversations.history applies them. */
function inRange(args: Args): (m: EmulatedMessage) => boolean {
  const oldest = str(args, 'oldest');
  const latest = str(args, 'latest');
  const inclusive = bool(args, 'inclusive');
  const lo = oldest ? tsToMicros(oldest) : -Infinity;
  const hi = latest ? tsToMicros(latest) : Infinity;
  return (m) => {
    const t = tsToMicros(m.ts);
    return inclusive ? t >= lo && t <= hi : t > lo && t < hi;
  };
}

/** Reading a conversation needs the bot in it (Slack: not_in_channel for public channels). */
function readable(ctx: MethodContext, id: string | undefined): EmulatedChannel | { error: ReturnType<typeof fail> } {
  const c = visibleChannel(ctx, id);
  if (!c) return { error: fail('channel_not_found') };
  if (!c.members.includes(ctx.state.bot.userId)) return { error: fail('not_in_channel') };
  return c;
}

const history: MethodHandler = (args, ctx) => {
  const c = readable(ctx, str(args, 'channel'));
  if ('error' in c) return c.error;
  const top = ctx.state
    .allMessages(c.id)
    .filter((m) => !m.threadTs || m.threadTs === m.ts || m.replyBroadcast)
    .filter(inRange(args))
    .reverse(); // newest first, as Slack returns history
  const p = page(top, args, 100);
  if (!p) return fail('invalid_cursor');
  return ok({
    messages: p.items.map((m) => messageObject(ctx.state, m, ctx.baseUrl)),
    has_more: p.hasMore,
    pin_count: ctx.state.allMessages(c.id).filter((m) => m.pinned).length,
    channel_actions_ts: null,
    channel_actions_count: 0,
    response_metadata: { next_cursor: p.nextCursor },
  });
};

const replies: MethodHandler = (args, ctx) => {
  const c = readable(ctx, str(args, 'channel'));
  if ('error' in c) return c.error;
  const ts = str(args, 'ts');
  if (!ts) return fail('thread_not_found');
  const anchor = ctx.state.findMessage(c.id, ts);
  const root = anchor?.threadTs ?? ts;
  const parent = ctx.state.findMessage(c.id, root);
  const thread = ctx.state.allMessages(c.id).filter((m) => m.ts === root || m.threadTs === root);
  if (!parent && thread.length === 0) return fail('thread_not_found');
  // Slack always returns the parent first; bounds and paging apply to the whole thread, oldest first.
  const p = page(thread.filter(inRange(args)), args, 1000);
  if (!p) return fail('invalid_cursor');
  return ok({
    messages: p.items.map((m) => messageObject(ctx.state, m, ctx.baseUrl)),
    has_more: p.hasMore,
    response_metadata: { next_cursor: p.nextCursor },
  });
};

const info: MethodHandler = (args, ctx) => {
  const c = visibleChannel(ctx, str(args, 'channel'));
  if (!c) return fail('channel_not_found');
  return ok({ channel: channelJson(ctx, c) });
};

const members: MethodHandler = (args, ctx) => {
  const c = visibleChannel(ctx, str(args, 'channel'));
  if (!c) return fail('channel_not_found');
  const p = page(c.members, args, 100);
  if (!p) return fail('invalid_cursor');
  return ok({ members: p.items, response_metadata: { next_cursor: p.nextCursor } });
};

const list: MethodHandler = (args, ctx) => {
  const types = (str(args, 'types') ?? 'public_channel').split(',').map((t) => t.trim());
  const all = [...ctx.state.channels.values()].filter((c) => {
    if (c.isIm) return types.includes('im') && c.members.includes(ctx.state.bot.userId);
    if (c.isPrivate) return types.includes('private_channel') && c.members.includes(ctx.state.bot.userId);
    return types.includes('public_channel');
  });
  const p = page(all, args, 100);
  if (!p) return fail('invalid_cursor');
  return ok({ channels: p.items.map((c) => channelJson(ctx, c)), response_metadata: { next_cursor: p.nextCursor } });
};

const join: MethodHandler = (args, ctx) => {
  const id = str(args, 'channel');
  const c = id ? ctx.state.channels.get(id) : undefined;
  if (!c) return fail('channel_not_found');
  // Bots cannot join private conversations on their own; they must be invited.
  if (c.isPrivate || c.isIm) return fail('method_not_supported_for_channel_type');
  const already = c.members.includes(ctx.state.bot.userId);
  if (!already) c.members.push(ctx.state.bot.userId);
  return ok({
    channel: channelJson(ctx, c),
    ...(already ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } } : {}),
  });
};

const NAME_PATTERN = /^[a-z0-9_-]+$/;

const create: MethodHandler = (args, ctx) => {
  const name = str(args, 'name') ?? '';
  if (!name) return fail('invalid_name_required');
  if (name.length > 80) return fail('invalid_name_maxlength');
  if (!NAME_PATTERN.test(name)) return fail('invalid_name_specials');
  if ([...ctx.state.channels.values()].some((c) => c.name === name && !c.isIm)) return fail('name_taken');
  const c: EmulatedChannel = {
    id: ctx.state.ids.id('C'),
    name,
    ...(bool(args, 'is_private') ? { isPrivate: true } : {}),
    members: [ctx.state.bot.userId],
  };
  ctx.state.channels.set(c.id, c);
  return ok({ channel: { ...channelJson(ctx, c), creator: ctx.state.bot.userId } });
};

const invite: MethodHandler = (args, ctx) => {
  const c = visibleChannel(ctx, str(args, 'channel'));
  if (!c) return fail('channel_not_found');
  if (c.isIm) return fail('method_not_supported_for_channel_type');
  if (!c.members.includes(ctx.state.bot.userId)) return fail('not_in_channel');
  const ids = (str(args, 'users') ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (ids.length === 0) return fail('no_user');
  const errors: Array<{ user: string; ok: false; error: string }> = [];
  for (const u of ids) {
    if (u === ctx.state.bot.userId) errors.push({ user: u, ok: false, error: 'cant_invite_self' });
    else if (!ctx.state.users.has(u)) errors.push({ user: u, ok: false, error: 'user_not_found' });
    else if (c.members.includes(u)) errors.push({ user: u, ok: false, error: 'already_in_channel' });
  }
  if (errors.length) return fail(errors[0]!.error, { errors });
  c.members.push(...ids);
  return ok({ channel: channelJson(ctx, c) });
};

const open: MethodHandler = (args, ctx) => {
  const channelArg = str(args, 'channel');
  if (channelArg) {
    const c = visibleChannel(ctx, channelArg);
    if (!c) return fail('channel_not_found');
    return ok({ no_op: true, already_open: true, channel: bool(args, 'return_im') ? channelJson(ctx, c) : { id: c.id } });
  }
  const ids = (str(args, 'users') ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (ids.length === 0) return fail('users_list_not_supplied');
  for (const u of ids) if (!ctx.state.users.has(u)) return fail('user_not_found');
  if (ids.length === 1) {
    const existing = [...ctx.state.channels.values()].some((c) => c.isIm && c.members.includes(ids[0]!) && c.members.includes(ctx.state.bot.userId));
    const im = ctx.state.imWith(ids[0]!);
    return ok({ ...(existing ? { no_op: true, already_open: true } : {}), channel: bool(args, 'return_im') ? channelJson(ctx, im) : { id: im.id } });
  }
  // A group DM: a private conversation of the bot and the users.
  const mpim: EmulatedChannel = { id: ctx.state.ids.id('G'), name: `mpdm-${ids.join('--')}-1`, isPrivate: true, members: [ctx.state.bot.userId, ...ids] };
  ctx.state.channels.set(mpim.id, mpim);
  return ok({ channel: { id: mpim.id } });
};

export const conversationsMethods: Record<string, MethodHandler> = {
  'conversations.history': history,
  'conversations.replies': replies,
  'conversations.info': info,
  'conversations.members': members,
  'conversations.list': list,
  'conversations.join': join,
  'conversations.create': create,
  'conversations.invite': invite,
  'conversations.open': open,
};
