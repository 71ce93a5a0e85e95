import type { Logger } from 'pino';
import type { Invocation } from '../commands/command.ts';
import type { DispatchOutcome } from '../commands/dispatch.ts';
import type { CallerResolver } from './caller-resolver.ts';
import type { ChatPort, Replier } from './chat-port.ts';
import type { InboxHandler } from './inbox-worker.ts';
import { type HomeSections, homeView } from './home-view.ts';
import { INTENT_CANCEL_ACTION, INTENT_RUN_ACTION, intentDoneView } from './views/intent-view.ts';

type Body = Record<string, unknown>;

/** The action id of buttons that run a command; the button's value is the command text. */
export const RUN_COMMAND_ACTION = 'ops.run';

/**
 * A modal whose submission runs a command: the view becomes command text, so it is checked,
 * audited and answered like the typed command.
 */
export interface ViewCommand {
  /** Field errors that keep the modal open (acked while Slack waits); undefined: it may be submitted. */
  errors?(view: Body): Record<string, string> | undefined;
  /** The command the submission runs and the conversation it answers in; undefined: nothing to run. */
  command(view: Body): { text: string; channelId: string } | undefined;
}

export interface HandlerDeps {
  chat: ChatPort;
  callers: CallerResolver;
  dispatch: (invocation: Invocation, log: Logger) => Promise<DispatchOutcome | void>;
  makeReplier: (invocation: Invocation, log: Logger) => Replier;
  botUserId: () => string | undefined;
  commandName: string;
  /** By the modal's callback_id. */
  viewCommands?: Readonly<Record<string, ViewCommand>>;
  /** App Home's lists for one person (open incidents, approvals waiting, their runs); absent: none shown. */
  homeSections?: (userId: string) => Promise<HomeSections>;
}

/** The field errors of a submitted modal, for the ack (bolt-app.ts); undefined when it may be submitted. */
export function viewSubmissionErrors(viewCommands: Readonly<Record<string, ViewCommand>> | undefined, body: Body): Record<string, string> | undefined {
  if (body.type !== 'view_submission') return undefined;
  const view = (body.view ?? {}) as Body;
  return viewCommands?.[str(view.callback_id) ?? '']?.errors?.(view);
}

/** Turns each kind of recorded Slack request into an invocation of the one command path. */
export function createRequestHandlers(deps: HandlerDeps): Record<string, InboxHandler> {
  return {
    command: async (body, log) => {
      await deps.dispatch(
        {
          source: 'slash',
          text: str(body.text) ?? '',
          userId: str(body.user_id) ?? '',
          teamId: str(body.team_id),
          channelId: str(body.channel_id) ?? '',
          responseUrl: str(body.response_url),
          triggerId: str(body.trigger_id),
          requestId: str(body.trigger_id),
        },
        log,
      );
    },

    // app_mention events, and a person's direct messages to opsbot (message.im).
    mention: async (body, log) => {
      const event = (body.event ?? {}) as Body;
      await deps.dispatch(
        {
          source: 'mention',
          text: stripMention(str(event.text) ?? '', deps.botUserId()),
          userId: str(event.user) ?? '',
          teamId: str(body.team_id),
          channelId: str(event.channel) ?? '',
          // Slash commands don't work in threads; mentions do, and are answered where they were made:
          // in the thread, or one started under the mention. A direct message is answered in the DM.
          threadTs: str(event.thread_ts) ?? (event.channel_type === 'im' ? undefined : str(event.ts)),
          requestId: str(body.event_id),
        },
        log,
      );
    },

    action: async (body, log) => {
      const actions = Array.isArray(body.actions) ? (body.actions as Body[]) : [];
      const container = (body.container ?? {}) as Body;
      const message = (body.message ?? {}) as Body;
      const userId = str((body.user as Body | undefined)?.id) ?? '';
      const channelId = str((body.channel as Body | undefined)?.id) ?? str(container.channel_id) ?? '';
      const proposal = str(container.message_ts) ? { channel: channelId, ts: str(container.message_ts)! } : undefined;
      for (const action of actions) {
        if (action.action_id === INTENT_CANCEL_ACTION) {
          // Anyone who can see the proposal may dismiss it; dismissing runs nothing.
          if (proposal) await deps.chat.update(proposal, intentDoneView(str(action.value) ?? '', deps.commandName, 'cancelled', userId));
          continue;
        }
        if (action.action_id !== RUN_COMMAND_ACTION && !String(action.action_id).startsWith(`${RUN_COMMAND_ACTION}:`)) {
          log.info({ actionId: action.action_id }, 'no handler for button');
          continue;
        }
        const outcome = await deps.dispatch(
          {
            source: 'button',
            text: str(action.value) ?? '',
            userId,
            teamId: str((body.team as Body | undefined)?.id),
            channelId,
            threadTs: str(container.thread_ts) ?? str(message.thread_ts),
            responseUrl: str(body.response_url),
            triggerId: str(body.trigger_id),
            // One click can run several buttons' commands; each is its own request.
            requestId: str(body.trigger_id) && `${str(body.trigger_id)}:${String(action.action_id)}`,
          },
          log,
        );
        // A proposal runs once: after a permitted click its buttons go. A refused click (no role,
        // bad arguments) leaves them for someone who may.
        if (action.action_id === INTENT_RUN_ACTION && proposal && (outcome === 'ok' || outcome === 'error')) {
          await deps.chat.update(proposal, intentDoneView(str(action.value) ?? '', deps.commandName, 'ran', userId));
        }
      }
    },

    view: async (body, log) => {
      if (body.type !== 'view_submission') return;
      const view = (body.view ?? {}) as Body;
      const handler = deps.viewCommands?.[str(view.callback_id) ?? ''];
      if (!handler) {
        log.info({ callbackId: view.callback_id }, 'no handler for view submission');
        return;
      }
      // Refused with field errors in the ack: the modal stayed open and shows them.
      if (handler.errors?.(view)) return;
      const command = handler.command(view);
      if (!command) {
        log.warn({ callbackId: view.callback_id }, 'view submission without what its command needs');
        return;
      }
      await deps.dispatch(
        {
          source: 'button',
          text: command.text,
          userId: str((body.user as Body | undefined)?.id) ?? '',
          teamId: str((body.team as Body | undefined)?.id),
          channelId: command.channelId,
          triggerId: str(body.trigger_id),
          requestId: str(body.trigger_id),
        },
        log,
      );
    },

    home: async (body, log) => {
      const event = (body.event ?? {}) as Body;
      const userId = str(event.user);
      if (!userId) return;
      const caller = await deps.callers.resolve(userId);
      // Lists are for people with a role; a failing list must not cost everyone their App Home.
      const sections = caller.role && deps.homeSections ? await deps.homeSections(userId).catch((err: unknown) => log.warn({ err }, 'App Home lists failed')) : undefined;
      await deps.chat.publishHome(userId, homeView({ role: caller.role, command: deps.commandName, ...(sections ? { sections } : {}) }));
      log.debug({ userId }, 'app home published');
    },
  };
}

/** `<@U0BOT> deploy api` → `deploy api`: the mention of opsbot is the addressing, not the command. */
export function stripMention(text: string, botUserId: string | undefined): string {
  const pattern = botUserId ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g') : /^\s*<@[UW][A-Z0-9]+(\|[^>]*)?>/;
  return text.replace(pattern, ' ').replace(/\s+/g, ' ').trim();
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
