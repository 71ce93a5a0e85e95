import type { Clock } from '../../../clock.ts';
import { MAX_MESSAGE_TEXT, problemsToResponse, validateBlocks } from '../block-limits.ts';
import type { Args } from '../request-body.ts';
import { jsonArg, str } from '../request-body.ts';
import type { SocketModeHub } from '../socket-mode.ts';
import type { TriggerIds } from '../trigger-ids.ts';
import type { EmulatedChannel, EmulatedMessage } from '../types.ts';
import type { WorkspaceState } from '../workspace-state.ts';

/** What a Web API method handler gets besides its arguments. */
export interface MethodContext {
  readonly state: WorkspaceState;
  readonly clock: Clock;
  /** http://127.0.0.1:<port>, for URLs the emulator hands out (uploads, files, sockets). */
  readonly baseUrl: string;
  readonly triggers: TriggerIds;
  readonly socket: SocketModeHub;
  /** Which kind of token authorised the call. */
  readonly token: 'bot' | 'app';
  /** Slack echoes the app's own messages back to it as message events; this schedules that. */
  echo(message: EmulatedMessage): void;
}

export type MethodResult = { ok: boolean } & Record<string, unknown>;
export type MethodHandler = (args: Args, ctx: MethodContext) => MethodResult | Promise<MethodResult>;

export const ok = (fields: Record<string, unknown> = {}): MethodResult => ({ ok: true, ...fields });
export const fail = (error: string, extra: Record<string, unknown> = {}): MethodResult => ({ ok: false, error, ...extra });

/**
 * A conversation as the bot may see it: Slack answers channel_not_found for private
 * conversations the bot is not in, exactly as for ids that do not exist.
 */
export function visibleChannel(ctx: MethodContext, id: string | undefined): EmulatedChannel | undefined {
  if (!id) return undefined;
  const c = ctx.state.channels.get(id);
  if (!c) return undefined;
  if ((c.isPrivate || c.isIm) && !c.members.includes(ctx.state.bot.userId)) return undefined;
  return c;
}

/**
 * Where a bot may write: a visible conversation the bot is a member of. A user id means the
 * app's DM with that user (Slack opens it on the fly).
 */
export function writableChannel(ctx: MethodContext, id: string | undefined): { channel: EmulatedChannel } | { error: MethodResult } {
  if (id && /^[UW]/.test(id) && ctx.state.users.has(id)) return { channel: ctx.state.imWith(id) };
  const c = visibleChannel(ctx, id);
  if (!c) return { error: fail('channel_not_found') };
  if (!c.members.includes(ctx.state.bot.userId)) return { error: fail('not_in_channel') };
  return { channel: c };
}

/** The content of a message write (text, blocks, attachments), checked against Slack's limits. */
export function messageContent(
  args: Args,
  opts: { requireContent: boolean },
): { content: { text?: string; blocks?: unknown[]; attachments?: unknown[] } } | { error: MethodResult } {
  const text = str(args, 'text');
  const blocksArg = jsonArg(args, 'blocks');
  const attachmentsArg = jsonArg(args, 'attachments');
  if (blocksArg.present && (!blocksArg.ok || !Array.isArray(blocksArg.value))) return { error: fail('invalid_blocks_format') };
  if (attachmentsArg.present && (!attachmentsArg.ok || !Array.isArray(attachmentsArg.value))) return { error: fail('invalid_attachments') };
  const blocks = blocksArg.present && blocksArg.ok ? (blocksArg.value as unknown[]) : undefined;
  const attachments = attachmentsArg.present && attachmentsArg.ok ? (attachmentsArg.value as unknown[]) : undefined;

  if (opts.requireContent && !text && !blocks?.length && !attachments?.length) return { error: fail('no_text') };
  if (text !== undefined && text.length > MAX_MESSAGE_TEXT) return { error: fail('msg_too_long') };
  if (blocks) {
    const problems = validateBlocks(blocks, 'message');
    if (problems.length) return { error: fail('invalid_blocks', problemsToResponse(problems)) };
  }
  // Attachments are passed through unvalidated (legacy; Slack's checks there are loose).
  return {
    content: {
      ...(text !== undefined ? { text } : {}),
      ...(blocks ? { blocks } : {}),
      ...(attachments ? { attachments } : {}),
    },
  };
}

/** The thread a reply belongs to: a reply's ts resolves to its parent, as Slack does. */
export function threadRoot(ctx: MethodContext, channel: string, threadTs: string | undefined): string | undefined {
  if (!threadTs) return undefined;
  const parent = ctx.state.findMessage(channel, threadTs);
  return parent?.threadTs && parent.threadTs !== parent.ts ? parent.threadTs : threadTs;
}
