import type { Ids } from './ids.ts';
import { tsToMicros } from './ids.ts';
import type { EmulatedChannel, EmulatedEphemeral, EmulatedMessage, EmulatedUser } from './types.ts';

/**
 * Everything a workspace holds: people, conversations, messages, ephemerals, views, App Home tabs
 * and uploaded files. Plain data plus the few queries every method needs; the Web API methods
 * and the "person" actions both read and write it, and each write is announced to onChange
 * listeners (the local shell redraws from them).
 */

export type ChangeKind = 'message' | 'update' | 'ephemeral' | 'view' | 'home' | 'file';
export interface Change {
  kind: ChangeKind;
  channel?: string;
  ts?: string;
}

export interface ViewRecord {
  id: string;
  user: string;
  /** The view as Slack returns it (id, hash, state, …). */
  view: Record<string, unknown>;
  rootId: string;
  previousId?: string;
  open: boolean;
  /** Field errors from the app's last `response_action: errors`. */
  errors?: Record<string, string>;
}

export interface FileRecord {
  id: string;
  name: string;
  title?: string;
  length: number;
  content?: string;
  uploaded: boolean;
  /** Secret part of the upload URL handed out by files.getUploadURLExternal. */
  uploadKey: string;
  created: number;
  /** Where it was shared: channel → message ts. */
  shares: Array<{ channel: string; ts: string }>;
}

export interface WorkspaceState {
  readonly team: { id: string; domain: string };
  readonly bot: { userId: string; botId: string; name: string };
  readonly appId: string;
  readonly users: Map<string, EmulatedUser>;
  readonly channels: Map<string, EmulatedChannel>;
  readonly usergroups: Map<string, { id: string; handle: string; users: string[] }>;
  readonly ephemerals: EmulatedEphemeral[];
  readonly views: Map<string, ViewRecord>;
  readonly homes: Map<string, Record<string, unknown>>;
  readonly files: Map<string, FileRecord>;
  readonly ids: Ids;

  isMember(channel: string, user: string): boolean;
  /** Every message of a channel (top level and replies), oldest first. */
  allMessages(channel: string): EmulatedMessage[];
  findMessage(channel: string, ts: string): EmulatedMessage | undefined;
  /** Stores a message (ts assigned by the caller) and announces it. */
  addMessage(message: EmulatedMessage): EmulatedMessage;
  removeMessage(channel: string, ts: string): boolean;
  addEphemeral(ephemeral: EmulatedEphemeral): EmulatedEphemeral;
  /** The 1:1 conversation between a user and the bot, created on first use (conversations.open). */
  imWith(user: string): EmulatedChannel;
  emit(change: Change): void;
  onChange(listener: (change: Change) => void): () => void;
}

export function createWorkspaceState(init: {
  team: { id: string; domain: string };
  bot: { userId: string; botId: string; name: string };
  appId: string;
  users: readonly EmulatedUser[];
  channels: readonly EmulatedChannel[];
  usergroups: ReadonlyArray<{ id: string; handle: string; users: string[] }>;
  ids: Ids;
}): WorkspaceState {
  const users = new Map<string, EmulatedUser>();
  const channels = new Map<string, EmulatedChannel>();
  const usergroups = new Map<string, { id: string; handle: string; users: string[] }>();
  const messages = new Map<string, EmulatedMessage[]>();
  const listeners = new Set<(change: Change) => void>();

  // The bot is a workspace user like any other (users.info on it answers is_bot).
  users.set(init.bot.userId, { id: init.bot.userId, name: init.bot.name, isBot: true });
  for (const u of init.users) users.set(u.id, { ...u });
  for (const c of init.channels) channels.set(c.id, { ...c, members: [...c.members] });
  for (const g of init.usergroups) usergroups.set(g.id, { ...g, users: [...g.users] });

  const list = (channel: string): EmulatedMessage[] => {
    let l = messages.get(channel);
    if (!l) messages.set(channel, (l = []));
    return l;
  };

  const state: WorkspaceState = {
    team: init.team,
    bot: init.bot,
    appId: init.appId,
    users,
    channels,
    usergroups,
    ephemerals: [],
    views: new Map(),
    homes: new Map(),
    files: new Map(),
    ids: init.ids,

    isMember: (channel, user) => channels.get(channel)?.members.includes(user) ?? false,
    allMessages: (channel) => list(channel),
    findMessage: (channel, ts) => list(channel).find((m) => m.ts === ts),
    addMessage(message) {
      const l = list(message.channel);
      l.push(message);
      // Messages arrive in ts order except when a test supplies its own; keep the list sorted.
      if (l.length > 1 && tsToMicros(l[l.length - 2]!.ts) > tsToMicros(message.ts)) {
        l.sort((a, b) => tsToMicros(a.ts) - tsToMicros(b.ts));
      }
      state.emit({ kind: 'message', channel: message.channel, ts: message.ts });
      return message;
    },
    removeMessage(channel, ts) {
      const l = list(channel);
      const i = l.findIndex((m) => m.ts === ts);
      if (i < 0) return false;
      l.splice(i, 1);
      state.emit({ kind: 'update', channel, ts });
      return true;
    },
    addEphemeral(ephemeral) {
      state.ephemerals.push(ephemeral);
      state.emit({ kind: 'ephemeral', channel: ephemeral.channel, ts: ephemeral.ts });
      return ephemeral;
    },
    imWith(user) {
      for (const c of channels.values()) {
        if (c.isIm && c.members.includes(user) && c.members.includes(init.bot.userId)) return c;
      }
      const im: EmulatedChannel = { id: init.ids.id('D'), name: user, isIm: true, members: [user, init.bot.userId] };
      channels.set(im.id, im);
      return im;
    },
    emit(change) {
      for (const l of [...listeners]) {
        try {
          l(change);
        } catch {
          // A listener's failure (e.g. the shell's renderer) must not break the Web API answer.
        }
      }
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return state;
}
