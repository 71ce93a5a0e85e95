import { tsToMicros } from './ids.ts';
import type { FileRecord, WorkspaceState } from './workspace-state.ts';
import type { EmulatedChannel, EmulatedMessage, EmulatedUser } from './types.ts';

/**
 * How the emulator's records look on Slack's wire: message, conversation, user, file objects as
 * the Web API returns them and as events and interactive payloads carry them. Field sets follow
 * Slack's documented examples and the payload fixtures in test/fixtures/slack-payloads.
 */

type Obj = Record<string, unknown>;

export function botProfile(state: WorkspaceState, clockSeconds: number): Obj {
  return {
    id: state.bot.botId,
    deleted: false,
    name: state.bot.name,
    updated: clockSeconds,
    app_id: state.appId,
    icons: { image_36: '', image_48: '', image_72: '' },
    team_id: state.team.id,
  };
}

export function fileObject(state: WorkspaceState, file: FileRecord, baseUrl: string): Obj {
  const created = Math.floor(file.created / 1000);
  const shares: Record<string, Array<{ ts: string; channel_name: string; team_id: string }>> = {};
  for (const s of file.shares) {
    (shares[s.channel] ??= []).push({ ts: s.ts, channel_name: state.channels.get(s.channel)?.name ?? '', team_id: state.team.id });
  }
  return {
    id: file.id,
    created,
    timestamp: created,
    name: file.name,
    title: file.title ?? file.name,
    mimetype: 'text/plain',
    filetype: 'text',
    pretty_type: 'Plain Text',
    user: state.bot.userId,
    user_team: state.team.id,
    editable: false,
    size: file.length,
    mode: 'hosted',
    is_external: false,
    external_type: '',
    is_public: file.shares.length > 0,
    public_url_shared: false,
    display_as_bot: false,
    username: '',
    url_private: `${baseUrl}/files/${file.id}/${encodeURIComponent(file.name)}`,
    url_private_download: `${baseUrl}/files/${file.id}/download/${encodeURIComponent(file.name)}`,
    permalink: `https://${state.team.domain}.slack.com/files/${state.bot.userId}/${file.id}/${encodeURIComponent(file.name)}`,
    channels: file.shares.map((s) => s.channel).filter((c, i, a) => a.indexOf(c) === i),
    shares: { public: shares },
  };
}

/** A stored message as conversations.history / chat.postMessage / payloads show it. */
export function messageObject(state: WorkspaceState, m: EmulatedMessage, baseUrl: string): Obj {
  const out: Obj = { type: 'message' };
  if (m.subtype) out.subtype = m.subtype;
  out.text = m.text;
  if (m.user) out.user = m.user;
  if (m.botId) {
    out.bot_id = m.botId;
    if (m.botId === state.bot.botId) {
      out.app_id = state.appId;
      out.bot_profile = botProfile(state, Math.floor(tsToMicros(m.ts) / 1_000_000));
    }
  }
  out.ts = m.ts;
  out.team = state.team.id;
  if (m.blocks) out.blocks = m.blocks;
  if (m.attachments) out.attachments = m.attachments;
  if (m.files) {
    out.files = m.files.map((f) => {
      const rec = state.files.get(f.id);
      return rec ? fileObject(state, rec, baseUrl) : { id: f.id, name: f.name, title: f.title ?? f.name };
    });
    out.upload = false;
  }
  if (m.edited) out.edited = { user: m.user ?? state.bot.userId, ts: m.ts };
  if (m.threadTs) {
    out.thread_ts = m.threadTs;
    const parent = state.findMessage(m.channel, m.threadTs);
    if (m.threadTs !== m.ts && parent) out.parent_user_id = parent.user ?? parent.botId;
  }
  // Thread parents carry Slack's reply summary.
  const replies = state.allMessages(m.channel).filter((r) => r.threadTs === m.ts && r.ts !== m.ts);
  if (replies.length > 0) {
    out.thread_ts = m.ts;
    out.reply_count = replies.length;
    out.reply_users = [...new Set(replies.map((r) => r.user ?? r.botId ?? ''))];
    out.reply_users_count = (out.reply_users as string[]).length;
    out.latest_reply = replies[replies.length - 1]!.ts;
  }
  if (m.reactions?.length) out.reactions = m.reactions.map((r) => ({ name: r.name, users: [...r.users], count: r.users.length }));
  if (m.pinned) out.pinned_to = [m.channel];
  return out;
}

export function channelType(c: EmulatedChannel): 'channel' | 'group' | 'im' {
  return c.isIm ? 'im' : c.isPrivate ? 'group' : 'channel';
}

export function channelObject(state: WorkspaceState, c: EmulatedChannel, created: number): Obj {
  if (c.isIm) {
    return { id: c.id, created, is_im: true, is_org_shared: false, user: c.members.find((u) => u !== state.bot.userId) ?? '', is_user_deleted: false, priority: 0 };
  }
  return {
    id: c.id,
    name: c.name,
    is_channel: !c.isPrivate,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: !!c.isPrivate,
    created,
    is_archived: false,
    is_general: c.name === 'general',
    unlinked: 0,
    name_normalized: c.name,
    is_shared: false,
    is_org_shared: false,
    is_ext_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: state.team.id,
    is_member: c.members.includes(state.bot.userId),
    creator: '',
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
    num_members: c.members.length,
  };
}

export function userObject(state: WorkspaceState, u: EmulatedUser): Obj {
  const isBot = !!u.isBot;
  const guest = !!u.guest;
  return {
    id: u.id,
    team_id: u.teamId ?? state.team.id,
    name: u.name,
    deleted: false,
    real_name: u.name,
    tz: 'Etc/UTC',
    tz_label: 'Coordinated Universal Time',
    tz_offset: 0,
    profile: {
      real_name: u.name,
      display_name: u.name,
      real_name_normalized: u.name,
      display_name_normalized: u.name,
      team: u.teamId ?? state.team.id,
      ...(u.id === state.bot.userId ? { bot_id: state.bot.botId, api_app_id: state.appId, always_active: true } : {}),
    },
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: guest,
    is_ultra_restricted: guest && !!u.singleChannelGuest,
    is_bot: isBot,
    is_app_user: false,
    // Slack Connect users: Slack marks members of other workspaces as strangers to this one.
    ...(u.teamId && u.teamId !== state.team.id ? { is_stranger: true } : {}),
    updated: 0,
  };
}
