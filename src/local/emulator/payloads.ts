import { randomUUID } from 'node:crypto';

/**
 * Bodies Slack sends to an app, shaped like the real samples in test/fixtures/slack-payloads
 * (bolt-python's scenario tests): event_callback envelopes (JSON), slash command forms, and
 * interactive payloads (form with `payload=<JSON>`). Pure builders: callers supply ids and times.
 */

type Obj = Record<string, unknown>;

export interface PayloadWorkspace {
  team: { id: string; domain: string };
  appId: string;
  botUserId: string;
  /** The legacy verification token Slack still puts in bodies (Bolt ignores it). */
  verificationToken: string;
}

export const VERIFICATION_TOKEN = 'emulated-verification-token';

/** An events API envelope around `event` (test_message_bot__*.json, test_events__*.json). */
export function eventEnvelope(ws: PayloadWorkspace, event: Obj, eventId: string, eventTimeSec: number): Obj {
  return {
    token: ws.verificationToken,
    team_id: ws.team.id,
    context_team_id: ws.team.id,
    context_enterprise_id: null,
    api_app_id: ws.appId,
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: eventTimeSec,
    authorizations: [{ enterprise_id: null, team_id: ws.team.id, user_id: ws.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(`${eventId}:${ws.team.id}`).toString('base64url')}`,
  };
}

/** The rich_text block Slack's clients attach to a typed message; `<@U…>` becomes a user element. */
export function richTextBlocks(text: string): Obj[] {
  const elements: Obj[] = [];
  let last = 0;
  for (const m of text.matchAll(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g)) {
    if (m.index > last) elements.push({ type: 'text', text: text.slice(last, m.index) });
    elements.push({ type: 'user', user_id: m[1] });
    last = m.index + m[0].length;
  }
  if (last < text.length) elements.push({ type: 'text', text: text.slice(last) });
  return [{ type: 'rich_text', block_id: randomUUID().slice(0, 5), elements: [{ type: 'rich_text_section', elements }] }];
}

/** A person's message (test_message__message_body__L253.json) or app_mention (test_app__app_mention_event_body__L334.json). */
export function personMessageEvent(
  type: 'message' | 'app_mention',
  args: { user: string; team: string; channel: string; channelType?: string; text: string; ts: string; threadTs?: string; parentUserId?: string },
): Obj {
  return {
    client_msg_id: randomUUID(),
    type,
    text: args.text,
    user: args.user,
    ts: args.ts,
    team: args.team,
    blocks: richTextBlocks(args.text),
    ...(args.threadTs ? { thread_ts: args.threadTs, ...(args.parentUserId ? { parent_user_id: args.parentUserId } : {}) } : {}),
    channel: args.channel,
    event_ts: args.ts,
    ...(type === 'message' && args.channelType ? { channel_type: args.channelType } : {}),
  };
}

/** A slash command form body, fields in Slack's order (test_slash_command__slash_command_body__L125.form.txt). */
export function slashCommandForm(
  ws: PayloadWorkspace,
  args: { channelId: string; channelName: string; userId: string; userName: string; command: string; text: string; responseUrl: string; triggerId: string },
): string {
  return new URLSearchParams([
    ['token', ws.verificationToken],
    ['team_id', ws.team.id],
    ['team_domain', ws.team.domain],
    ['channel_id', args.channelId],
    ['channel_name', args.channelName],
    ['user_id', args.userId],
    ['user_name', args.userName],
    ['command', args.command],
    ['text', args.text],
    ['api_app_id', ws.appId],
    ['is_enterprise_install', 'false'],
    ['response_url', args.responseUrl],
    ['trigger_id', args.triggerId],
  ]).toString();
}

/** Interactive payloads travel as a form with one field. */
export function interactiveForm(payload: Obj): string {
  return new URLSearchParams([['payload', JSON.stringify(payload)]]).toString();
}

function userRef(ws: PayloadWorkspace, user: { id: string; name: string; teamId?: string }): Obj {
  return { id: user.id, username: user.name, name: user.name, team_id: user.teamId ?? ws.team.id };
}

/** block_actions for a button click (test_block_actions__body__L161.json). */
export function blockActionsPayload(
  ws: PayloadWorkspace,
  args: {
    user: { id: string; name: string; teamId?: string };
    channel: { id: string; name: string };
    messageTs: string;
    threadTs?: string;
    isEphemeral: boolean;
    /** The message as Slack shows it; absent for ephemerals, as Slack does. */
    message?: Obj;
    action: { action_id: string; block_id: string; text?: unknown; value?: string; type: string; style?: string };
    actionTs: string;
    triggerId: string;
    responseUrl: string;
  },
): Obj {
  return {
    type: 'block_actions',
    user: userRef(ws, args.user),
    api_app_id: ws.appId,
    token: ws.verificationToken,
    container: {
      type: 'message',
      message_ts: args.messageTs,
      channel_id: args.channel.id,
      is_ephemeral: args.isEphemeral,
      ...(args.threadTs ? { thread_ts: args.threadTs } : {}),
    },
    trigger_id: args.triggerId,
    team: { id: ws.team.id, domain: ws.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: args.channel,
    ...(args.message ? { message: args.message } : {}),
    state: { values: {} },
    response_url: args.responseUrl,
    actions: [{ ...args.action, action_ts: args.actionTs }],
  };
}

/** view_submission (test_view_submission__body__L17.json). */
export function viewSubmissionPayload(
  ws: PayloadWorkspace,
  args: { user: { id: string; name: string; teamId?: string }; view: Obj; values: Record<string, Record<string, unknown>>; triggerId: string },
): Obj {
  return {
    type: 'view_submission',
    team: { id: ws.team.id, domain: ws.team.domain },
    user: userRef(ws, args.user),
    api_app_id: ws.appId,
    token: ws.verificationToken,
    trigger_id: args.triggerId,
    view: { ...args.view, state: { values: args.values } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** message_action for a message shortcut (test_shortcut__message_shortcut_body__L202.json). */
export function messageActionPayload(
  ws: PayloadWorkspace,
  args: {
    user: { id: string; name: string; teamId?: string };
    channel: { id: string; name: string };
    callbackId: string;
    message: Obj;
    messageTs: string;
    actionTs: string;
    triggerId: string;
    responseUrl: string;
  },
): Obj {
  return {
    type: 'message_action',
    token: ws.verificationToken,
    action_ts: args.actionTs,
    team: { id: ws.team.id, domain: ws.team.domain },
    user: { id: args.user.id, name: args.user.name, ...(args.user.teamId ? { team_id: args.user.teamId } : {}) },
    channel: args.channel,
    is_enterprise_install: false,
    enterprise: null,
    callback_id: args.callbackId,
    trigger_id: args.triggerId,
    message_ts: args.messageTs,
    message: args.message,
    response_url: args.responseUrl,
  };
}
