import type { Logger } from 'pino';
import { NO_ACCESS } from '../commands/dispatch.ts';
import type { Policy } from '../config/policy-schema.ts';
import type { CallerResolver } from '../slack/caller-resolver.ts';
import type { ChatPort } from '../slack/chat-port.ts';
import type { InboxHandler } from '../slack/inbox-worker.ts';
import type { ViewCommand } from '../slack/request-handlers.ts';
import {
  declareModal,
  declareModalCommand,
  declareModalErrors,
  DECLARE_FROM_MESSAGE_CALLBACK,
  INCIDENT_DECLARE_CALLBACK,
  INCIDENT_RESOLVE_CALLBACK,
  resolveModalCommand,
  resolveModalErrors,
} from '../slack/views/incident-modals.ts';
import type { IncidentService } from './incident-service.ts';
import type { IncidentSlack } from './incident-slack.ts';

/**
 * What reaches incidents from Slack besides commands: a 📌 (`pushpin`) reaction on a message in
 * an incident's channel or thread puts that message on the timeline; the message shortcut
 * "Declare incident from message" opens the declare modal filled in from the message. The two
 * modals' submissions become commands (viewCommands).
 */

type Body = Record<string, unknown>;

export const PIN_REACTION = 'pushpin';
const TITLE_FROM_MESSAGE = 80;

export interface IncidentHandlerDeps {
  service: IncidentService;
  slack: IncidentSlack;
  chat: ChatPort;
  callers: CallerResolver;
  policy: Policy;
  log: Logger;
}

export function incidentViewCommands(): Record<string, ViewCommand> {
  return {
    [INCIDENT_DECLARE_CALLBACK]: { errors: declareModalErrors, command: declareModalCommand },
    [INCIDENT_RESOLVE_CALLBACK]: { errors: resolveModalErrors, command: resolveModalCommand },
  };
}

export function createIncidentHandlers(deps: IncidentHandlerDeps): { reaction: InboxHandler; shortcut: InboxHandler } {
  const { service, slack, log } = deps;

  return {
    async reaction(body, requestLog) {
      const event = (body.event ?? {}) as Body;
      const item = (event.item ?? {}) as Body;
      if (event.type !== 'reaction_added' || event.reaction !== PIN_REACTION || item.type !== 'message') return;
      const channel = str(item.channel);
      const ts = str(item.ts);
      const reactor = str(event.user);
      // Reactions arrive from every channel opsbot is in: only incident channels cost a Slack call.
      if (!channel || !ts || !reactor || !service.core.repo.usesChannel(channel)) return;
      const caller = await deps.callers.resolve(reactor);
      if (caller.role === null) {
        requestLog.info({ channel, reactor }, 'pin by someone without a role; not recorded');
        return;
      }
      let incident = service.at({ channel });
      const message = await slack.message(channel, ts);
      if (!incident) incident = service.at({ channel, threadTs: message?.threadTs ?? ts });
      if (!incident) return;
      if (!message) {
        log.info({ channel, ts, incident: incident.id }, 'pinned message could not be read; not recorded');
        return;
      }
      const seconds = Number(ts);
      const stored = await service.note(incident, `${message.text || '(no text)'} — 📌 by <@${reactor}>`, { userId: reactor, channel }, {
        ref: `pin:${channel}/${ts}`,
        // When it was said, by whom said it: the timeline reads as the incident happened.
        at: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : service.core.clock.now(),
        who: message.user,
        quiet: true,
      });
      requestLog.info({ incident: incident.id, channel, ts, recorded: stored !== undefined }, 'pinned message put on the timeline');
    },

    async shortcut(body, requestLog) {
      if (body.type !== 'message_action' || body.callback_id !== DECLARE_FROM_MESSAGE_CALLBACK) return;
      const userId = str((body.user as Body | undefined)?.id);
      const channel = str((body.channel as Body | undefined)?.id);
      const triggerId = str(body.trigger_id);
      const message = (body.message ?? {}) as Body;
      const ts = str(message.ts) ?? str(body.message_ts);
      if (!userId || !channel || !triggerId || !ts) {
        requestLog.warn('message shortcut without user, channel, trigger or message');
        return;
      }
      const caller = await deps.callers.resolve(userId);
      const responseUrl = str(body.response_url);
      if (caller.role === null) {
        if (responseUrl) await deps.chat.respond(responseUrl, { text: NO_ACCESS });
        return;
      }
      const text = plainText(str(message.text) ?? '');
      await deps.chat.openModal(
        triggerId,
        declareModal({
          channel,
          severities: deps.policy.severities,
          services: Object.keys(deps.policy.services),
          title: firstLine(text, TITLE_FROM_MESSAGE),
          summary: text,
          source: { channel, ts },
        }),
      );
    },
  };
}

/** Slack markup as a person reads it: `<https://x|label>` → label, `<@U1>` and `<#C1>` left out. */
function plainText(text: string): string {
  return text
    .replace(/<([^>|]*)\|([^>]*)>/g, '$2')
    .replace(/<[@#!][^>]*>/g, '')
    .replace(/<([^>]*)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

function firstLine(text: string, max: number): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
