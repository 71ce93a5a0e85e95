import type { Clock } from '../../clock.ts';
import type { AppDelivery } from './app-delivery.ts';
import { validateView } from './block-limits.ts';
import { materialiseView } from './methods/views.ts';
import {
  blockActionsPayload,
  eventEnvelope,
  interactiveForm,
  messageActionPayload,
  personMessageEvent,
  richTextBlocks,
  slashCommandForm,
  viewSubmissionPayload,
  type PayloadWorkspace,
} from './payloads.ts';
import type { ResponseUrls } from './response-urls.ts';
import type { TriggerIds } from './trigger-ids.ts';
import type { AppResponse, EmulatedChannel, EmulatedMessage, EmulatedUser, SlackEmulator } from './types.ts';
import { channelType, messageObject } from './wire-format.ts';
import type { WorkspaceState } from './workspace-state.ts';

/**
 * What a person (or an integration) does in the workspace, turned into what Slack sends the
 * app: the message lands in the workspace first (as in Slack, the app sees an event about
 * something already visible), then the signed request or Socket Mode envelope goes out.
 */

type Obj = Record<string, unknown>;

export interface PersonActionDeps {
  state: WorkspaceState;
  clock: Clock;
  delivery: AppDelivery;
  triggers: TriggerIds;
  responseUrls: ResponseUrls;
  payloadWorkspace: PayloadWorkspace;
  baseUrl: () => string;
}

type PersonActions = Pick<SlackEmulator, 'slashCommand' | 'mention' | 'userMessage' | 'clickButton' | 'submitView' | 'openHome' | 'addReaction' | 'messageShortcut'>;

const NOT_DELIVERED: AppResponse = { status: 0, body: '', error: 'not_delivered' };

export function createPersonActions(deps: PersonActionDeps): PersonActions & { echo(message: EmulatedMessage): void } {
  const { state, clock, delivery, triggers, responseUrls } = deps;
  const ws = deps.payloadWorkspace;

  const user = (id: string): EmulatedUser => {
    const u = state.users.get(id);
    if (!u) throw new Error(`Slack emulator: unknown user ${id}`);
    return u;
  };
  const channel = (id: string): EmulatedChannel => {
    const c = state.channels.get(id);
    if (!c) throw new Error(`Slack emulator: unknown channel ${id}`);
    return c;
  };
  const botIn = (c: EmulatedChannel) => c.members.includes(state.bot.userId);
  const eventTime = () => Math.floor(clock.now() / 1000);

  const sendEvent = async (event: Obj): Promise<AppResponse> => {
    const body = JSON.stringify(eventEnvelope(ws, event, state.ids.eventId(), eventTime()));
    return (await delivery.send(body, 'application/json')).response;
  };
  /** A person's action must reach an app; silence here would make a test pass for the wrong reason. */
  const requireApp = () => {
    if (!delivery.hasDestination()) throw new Error('Slack emulator: no app to deliver to (call setEventsUrl or connect over Socket Mode)');
  };
  const threadRoot = (channelId: string, threadTs: string | undefined) => {
    if (!threadTs) return undefined;
    const m = state.findMessage(channelId, threadTs);
    return m?.threadTs ?? threadTs;
  };

  /** Slack shows a slash command's ack body to the person (or the channel, for in_channel). */
  const showCommandAck = (response: AppResponse, c: EmulatedChannel, userId: string) => {
    if (response.status !== 200 || !response.body) return;
    const json = response.json ?? tryJson(response.body);
    const ack: Obj = typeof json === 'object' && json !== null ? (json as Obj) : { text: response.body };
    const text = typeof ack.text === 'string' ? ack.text : '';
    const blocks = Array.isArray(ack.blocks) ? (ack.blocks as unknown[]) : undefined;
    if (!text && !blocks) return;
    if (ack.response_type === 'in_channel') {
      const message: EmulatedMessage = { channel: c.id, ts: state.ids.ts(), botId: state.bot.botId, subtype: 'bot_message', text, ...(blocks ? { blocks } : {}) };
      state.addMessage(message);
      echo(message);
      return;
    }
    state.addEphemeral({ ts: state.ids.ts(), channel: c.id, user: userId, text, ...(blocks ? { blocks } : {}), at: clock.now(), via: 'ack' });
  };

  /**
   * Slack delivers the app's own messages back to it as message events (in conversations the
   * bot is in); the app must recognise and ignore them. Sent in the background: the Web API
   * answer does not wait for it, as at Slack.
   */
  function echo(message: EmulatedMessage): void {
    const c = state.channels.get(message.channel);
    if (!c || !botIn(c) || !delivery.hasDestination()) return;
    const wire = messageObject(state, message, deps.baseUrl());
    const event: Obj = { ...wire, channel: c.id, event_ts: message.ts, channel_type: channelType(c) };
    if (message.files) {
      event.subtype = 'file_share';
      event.display_as_bot = false;
    }
    void sendEvent(event).catch(() => {
      // The app being gone is its own business; the echo is best effort, as Slack's is.
    });
  }

  return {
    echo,

    async slashCommand({ user: userId, channel: channelId, text, command = '/ops' }) {
      const u = user(userId);
      const c = channel(channelId);
      requireApp();
      const form = slashCommandForm(ws, {
        channelId: c.id,
        channelName: c.isIm ? 'directmessage' : c.name,
        userId: u.id,
        userName: u.name,
        command,
        text,
        responseUrl: responseUrls.issue({ channel: c.id, user: u.id }),
        triggerId: triggers.issue(u.id),
      });
      const { response } = await delivery.send(form, 'application/x-www-form-urlencoded');
      showCommandAck(response, c, u.id);
      return response;
    },

    async mention({ user: userId, channel: channelId, text, threadTs }) {
      const u = user(userId);
      const c = channel(channelId);
      const tag = `<@${state.bot.userId}>`;
      const fullText = text.includes(tag) ? text : `${tag} ${text}`;
      const root = threadRoot(c.id, threadTs);
      const parent = root ? state.findMessage(c.id, root) : undefined;
      const ts = state.ids.ts();
      state.addMessage({ channel: c.id, ts, ...(root ? { threadTs: root } : {}), user: u.id, text: fullText, blocks: richTextBlocks(fullText) });
      // Slack only tells an app about mentions in conversations it is in. Messages land in the
      // workspace even with no app attached (a test may only be arranging history).
      if (!botIn(c) || !delivery.hasDestination()) return { ts, responses: [] };
      const base = { user: u.id, team: u.teamId ?? state.team.id, channel: c.id, text: fullText, ts, ...(root ? { threadTs: root } : {}), ...(parent?.user ? { parentUserId: parent.user } : {}) };
      // In a direct message with the app Slack sends no app_mention, mentioned or not: only message.im.
      const responses = c.isIm ? [] : [await sendEvent(personMessageEvent('app_mention', base))];
      responses.push(await sendEvent(personMessageEvent('message', { ...base, channelType: channelType(c) })));
      return { ts, responses };
    },

    async userMessage({ user: userId, botId, channel: channelId, text, threadTs, attachments, subtype }) {
      const c = channel(channelId);
      if (userId) user(userId);
      const root = threadRoot(c.id, threadTs);
      const parent = root ? state.findMessage(c.id, root) : undefined;
      const ts = state.ids.ts();
      const effectiveSubtype = botId ? (subtype ?? 'bot_message') : subtype;
      state.addMessage({
        channel: c.id,
        ts,
        ...(root ? { threadTs: root } : {}),
        ...(userId ? { user: userId } : {}),
        ...(botId ? { botId } : {}),
        ...(effectiveSubtype ? { subtype: effectiveSubtype } : {}),
        text,
        ...(attachments ? { attachments } : {}),
      });
      if (!botIn(c) || !delivery.hasDestination()) return { ts, response: NOT_DELIVERED };
      let event: Obj;
      if (botId) {
        // An integration's post (test_message_bot__classic_bot_message_event_payload__L173.json).
        event = {
          type: 'message',
          subtype: effectiveSubtype,
          text,
          ts,
          ...(userId ? { user: userId } : {}),
          username: userId ? state.users.get(userId)?.name ?? 'integration' : 'integration',
          bot_id: botId,
          ...(attachments ? { attachments } : {}),
          ...(root ? { thread_ts: root } : {}),
          channel: c.id,
          event_ts: ts,
          channel_type: channelType(c),
        };
      } else {
        const u = user(userId ?? '');
        event = personMessageEvent('message', {
          user: u.id,
          team: u.teamId ?? state.team.id,
          channel: c.id,
          channelType: channelType(c),
          text,
          ts,
          ...(root ? { threadTs: root } : {}),
          ...(parent?.user ? { parentUserId: parent.user } : {}),
        });
        if (subtype) event.subtype = subtype;
        if (attachments) event.attachments = attachments;
      }
      return { ts, response: await sendEvent(event) };
    },

    async clickButton({ user: userId, channel: channelId, messageTs, actionId, value }) {
      const u = user(userId);
      const c = channel(channelId);
      const message = state.findMessage(c.id, messageTs);
      const ephemeral = message ? undefined : state.ephemerals.find((e) => e.channel === c.id && e.ts === messageTs);
      if (!message && !ephemeral) throw new Error(`Slack emulator: no message ${messageTs} in ${c.id}`);
      if (ephemeral && ephemeral.user !== u.id) throw new Error(`Slack emulator: ${u.id} cannot see the ephemeral ${messageTs} (it is ${ephemeral.user}'s)`);
      const blocks = withBlockIds((message ?? ephemeral)!.blocks ?? []);
      const found = findElement(blocks, actionId);
      if (!found) throw new Error(`Slack emulator: no element with action_id ${actionId} on ${messageTs}`);
      requireApp();

      const threadTs = message?.threadTs ?? ephemeral?.threadTs;
      const el = found.element;
      const actionValue = value ?? (typeof el.value === 'string' ? el.value : undefined);
      const payload = blockActionsPayload(ws, {
        user: { id: u.id, name: u.name, ...(u.teamId ? { teamId: u.teamId } : {}) },
        channel: { id: c.id, name: c.isIm ? 'directmessage' : c.name },
        messageTs,
        ...(threadTs && threadTs !== messageTs ? { threadTs } : {}),
        isEphemeral: !!ephemeral,
        ...(message ? { message: { ...messageObject(state, message, deps.baseUrl()), blocks } } : {}),
        action: {
          action_id: actionId,
          block_id: found.blockId,
          ...(el.text !== undefined ? { text: el.text } : {}),
          ...(actionValue !== undefined ? { value: actionValue } : {}),
          type: typeof el.type === 'string' ? el.type : 'button',
          ...(typeof el.style === 'string' ? { style: el.style } : {}),
        },
        actionTs: state.ids.ts(),
        triggerId: triggers.issue(u.id),
        responseUrl: responseUrls.issue({
          channel: c.id,
          user: u.id,
          ...(threadTs ? { threadTs } : {}),
          original: { ts: messageTs, ephemeral: !!ephemeral },
        }),
      });
      return (await delivery.send(interactiveForm(payload), 'application/x-www-form-urlencoded')).response;
    },

    async submitView({ user: userId, viewId, values }) {
      const u = user(userId);
      const record = state.views.get(viewId);
      if (!record || !record.open) throw new Error(`Slack emulator: view ${viewId} is not open`);
      if (record.user !== u.id) throw new Error(`Slack emulator: view ${viewId} belongs to ${record.user}, not ${u.id}`);
      requireApp();
      const payload = viewSubmissionPayload(ws, {
        user: { id: u.id, name: u.name, ...(u.teamId ? { teamId: u.teamId } : {}) },
        view: record.view,
        values,
        triggerId: triggers.issue(u.id),
      });
      const { response } = await delivery.send(interactiveForm(payload), 'application/x-www-form-urlencoded');
      // Slack keeps the modal open when the app failed to ack; otherwise the ack decides.
      if (response.status !== 200) return response;
      const json = response.json ?? tryJson(response.body);
      const ack: Obj = typeof json === 'object' && json !== null ? (json as Obj) : {};
      const ctx = { state, clock };
      switch (ack.response_action) {
        case 'errors':
          record.errors = (ack.errors ?? {}) as Record<string, string>;
          break;
        case 'update':
          if (validateView(ack.view, 'modal').length === 0) {
            record.view = materialiseView(ctx, ack.view as Obj, record.id, record.rootId, record.previousId);
            delete record.errors;
          }
          break;
        case 'push':
          if (validateView(ack.view, 'modal').length === 0) {
            const id = state.ids.id('V');
            state.views.set(id, { id, user: u.id, view: materialiseView(ctx, ack.view as Obj, id, record.rootId, record.id), rootId: record.rootId, previousId: record.id, open: true });
          }
          break;
        case 'clear':
          for (const r of state.views.values()) if (r.rootId === record.rootId) r.open = false;
          break;
        default:
          record.open = false;
      }
      state.emit({ kind: 'view' });
      return response;
    },

    async openHome(userId) {
      const u = user(userId);
      requireApp();
      const im = state.imWith(u.id);
      const home = state.homes.get(u.id);
      return sendEvent({ type: 'app_home_opened', user: u.id, channel: im.id, tab: 'home', ...(home ? { view: home } : {}), event_ts: state.ids.ts() });
    },

    async messageShortcut({ user: userId, channel: channelId, messageTs, callbackId }) {
      const u = user(userId);
      const c = channel(channelId);
      if ((c.isPrivate || c.isIm) && !c.members.includes(u.id)) throw new Error(`Slack emulator: ${u.id} cannot see ${c.id}`);
      const message = state.findMessage(c.id, messageTs);
      if (!message) throw new Error(`Slack emulator: no message ${messageTs} in ${c.id}`);
      requireApp();
      const payload = messageActionPayload(ws, {
        user: { id: u.id, name: u.name, ...(u.teamId ? { teamId: u.teamId } : {}) },
        channel: { id: c.id, name: c.isIm ? 'directmessage' : c.name },
        callbackId,
        message: messageObject(state, message, deps.baseUrl()),
        messageTs,
        actionTs: state.ids.ts(),
        triggerId: triggers.issue(u.id),
        responseUrl: responseUrls.issue({ channel: c.id, user: u.id, ...(message.threadTs ? { threadTs: message.threadTs } : {}) }),
      });
      return (await delivery.send(interactiveForm(payload), 'application/x-www-form-urlencoded')).response;
    },

    async addReaction({ user: userId, channel: channelId, ts, name }) {
      const u = user(userId);
      const c = channel(channelId);
      const message = state.findMessage(c.id, ts);
      if (!message) throw new Error(`Slack emulator: no message ${ts} in ${c.id}`);
      const reactions = (message.reactions ??= []);
      let r = reactions.find((x) => x.name === name);
      if (!r) reactions.push((r = { name, users: [] }));
      if (!r.users.includes(u.id)) r.users.push(u.id);
      state.emit({ kind: 'update', channel: c.id, ts });
      if (!botIn(c) || !delivery.hasDestination()) return NOT_DELIVERED;
      return sendEvent({
        type: 'reaction_added',
        user: u.id,
        item: { type: 'message', channel: c.id, ts },
        reaction: name,
        item_user: message.user ?? state.bot.userId,
        event_ts: state.ids.ts(),
      });
    },
  };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Slack gives every block a block_id when the app left it out; a click reports it. Derived
 * from the position so the same message always yields the same ids.
 */
function withBlockIds(blocks: unknown[]): Obj[] {
  return blocks.map((b, i) => {
    const block = (typeof b === 'object' && b !== null ? b : {}) as Obj;
    return typeof block.block_id === 'string' ? block : { ...block, block_id: `blk${i}` };
  });
}

/** The interactive element with `actionId`: in an actions block, a section accessory or an input. */
function findElement(blocks: Obj[], actionId: string): { element: Obj; blockId: string } | undefined {
  for (const block of blocks) {
    const candidates: unknown[] = [
      ...(Array.isArray(block.elements) ? block.elements : []),
      ...(block.accessory !== undefined ? [block.accessory] : []),
      ...(block.element !== undefined ? [block.element] : []),
    ];
    for (const el of candidates) {
      if (typeof el === 'object' && el !== null && (el as Obj).action_id === actionId) return { element: el as Obj, blockId: String(block.block_id) };
    }
  }
  return undefined;
}
