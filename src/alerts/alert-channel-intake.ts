import type { Logger } from 'pino';
import type { InboxHandler } from '../slack/inbox-worker.ts';
import type { AlertIngest } from './alert-ingest.ts';
import { parseSlackAlertMessage, type SlackAlertMessage } from './slack-alert-message.ts';

/**
 * Messages in ALERT_CHANNELS as alerts: Alertmanager's Slack receiver, Grafana, Datadog and
 * plain text (slack-alert-message.ts), from the live `message` events the Slack intake records
 * (inbox kind `message`) and from the backfill of conversations.history — the same path for both,
 * keyed by channel and ts so a message seen both ways is ingested once.
 *
 * Not alerts: opsbot's own posts (also checked here, as history has them), anything starting with
 * the reply prefix (another opsbot, or the runbook's tooling), replies inside threads (people
 * discussing a group), and a mention of opsbot (Slack sends it as app_mention too, which the
 * command path answers; classify-request.ts already skips the message copy).
 */

export interface ChannelMessage extends SlackAlertMessage {
  channel?: string;
  thread_ts?: string;
}

export type ChannelIntakeResult =
  | { outcome: 'ingested'; alerts: number; groups: number[] }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string };

export interface AlertChannelIntake {
  accept(channel: string, message: ChannelMessage, log: Logger): ChannelIntakeResult;
  /** The inbox handler for `message` entries (Slack event_callback bodies). */
  handler: InboxHandler;
}

export interface AlertChannelIntakeDeps {
  ingest: AlertIngest;
  /** opsbot's own user / bot id (known after auth.test). */
  isOwn(message: ChannelMessage): boolean;
  /** Mentions of opsbot are commands, not alerts. */
  mentionsBot(text: string): boolean;
  replyPrefix?: string;
}

/** The processed-event key of a channel message: live and backfilled copies share it. */
export function alertMessageKey(channel: string, ts: string): string {
  return `alert-message:${channel}:${ts}`;
}

export function createAlertChannelIntake(deps: AlertChannelIntakeDeps): AlertChannelIntake {
  function accept(channel: string, message: ChannelMessage, log: Logger): ChannelIntakeResult {
    const ts = message.ts;
    if (!ts) return { outcome: 'ignored', reason: 'no ts' };
    if (deps.isOwn(message)) return { outcome: 'ignored', reason: 'own message' };
    if (message.thread_ts && message.thread_ts !== ts && message.subtype !== 'thread_broadcast') return { outcome: 'ignored', reason: 'thread reply' };
    const text = message.text ?? '';
    if (deps.replyPrefix && text.trimStart().startsWith(deps.replyPrefix)) return { outcome: 'ignored', reason: 'reply prefix' };
    if (deps.mentionsBot(text)) return { outcome: 'ignored', reason: 'mention, handled as a command' };
    const parsed = parseSlackAlertMessage(message);
    if (parsed.alerts.length === 0) {
      log.info({ channel, ts, warnings: parsed.warnings }, 'alert-channel message holds no alert');
      return { outcome: 'ignored', reason: 'no alert' };
    }
    const result = deps.ingest.ingest(parsed.alerts, { channel, messageKey: alertMessageKey(channel, ts) });
    if (result.duplicate) return { outcome: 'duplicate' };
    const context = { channel, ts, format: parsed.format, alerts: result.accepted, groups: result.groups.length, created: result.created.length };
    if (parsed.warnings.length > 0) log.info({ ...context, warnings: parsed.warnings.slice(0, 20) }, 'alert-channel message accepted with assumptions');
    else log.debug(context, 'alert-channel message accepted');
    return { outcome: 'ingested', alerts: result.accepted, groups: result.groups };
  }

  return {
    accept,
    async handler(body, log) {
      const event = (body.event ?? {}) as ChannelMessage;
      const channel = typeof event.channel === 'string' ? event.channel : undefined;
      if (!channel) {
        log.info('alert-channel message without a channel; ignored');
        return;
      }
      const result = accept(channel, event, log);
      if (result.outcome === 'ignored') log.debug({ channel, ts: event.ts, reason: result.reason }, 'alert-channel message not an alert');
    },
  };
}
