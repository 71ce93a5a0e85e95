import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { createAlertWebhook } from '../http/alert-webhooks.ts';
import type { Route } from '../http/server.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import type { ChatPort } from '../slack/chat-port.ts';
import type { InboxHandler } from '../slack/inbox-worker.ts';
import { type AlertGroupRepo, createAlertGroupRepo } from '../store/alert-group-repo.ts';
import { createAlertSilenceRepo } from '../store/alert-silence-repo.ts';
import type { Store } from '../store/types.ts';
import { createAlertChannelIntake, type ChannelMessage } from './alert-channel-intake.ts';
import { createAlertDelivery } from './alert-delivery.ts';
import { type AlertIngest, createAlertIngest } from './alert-ingest.ts';
import { createAlertScheduler, silencing } from './alert-scheduler.ts';
import { toAlertGroup } from './alert-group.ts';
import { type AlertService, createAlertService } from './alert-service.ts';
import { createAlertTriageRunner } from './alert-triage-runner.ts';
import { parseAlertmanagerWebhook } from './alertmanager-webhook.ts';
import { type Backfill, createBackfill, type SlackCall } from './backfill.ts';
import { parseGrafanaWebhook } from './grafana-webhook.ts';
import type { GroupingWindows } from './grouping-policy.ts';
import type { AlertTriage } from './triage-types.ts';

/**
 * Alerts as the app runs them (issue 7): intake (webhooks, alert-channel messages, backfill) into
 * SQLite, the scheduler that decides notifications by the grouping windows, delivery of each
 * group's Slack messages, the triage loop once per new group, and the service the `alerts`
 * commands and buttons use. Nothing starts before start().
 */

export interface AlertRuntimeDeps {
  config: Pick<Config, 'alerts' | 'alertmanagerWebhookToken' | 'dryRun' | 'policy'> & { slack: Pick<Config['slack'], 'command'> };
  store: Store;
  chat: ChatPort;
  /** Slack Web API calls through the outbox (conversations.history and join for the backfill). */
  slackCall: SlackCall;
  incidents?: IncidentService;
  /** The triage loop; without it new groups are marked skipped. */
  triage?: AlertTriage;
  clock: Clock;
  log: Logger;
  /** Triage runs at once (default 4). */
  triageConcurrency?: number;
}

export interface AlertRuntime {
  service: AlertService;
  ingest: AlertIngest;
  groups: AlertGroupRepo;
  /** POST /webhooks/alertmanager and /webhooks/grafana. */
  routes: Route[];
  /** Inbox handler for `message` entries (messages in ALERT_CHANNELS). */
  messageHandler: InboxHandler;
  backfill: Backfill;
  /** Webhook alerts go here: the first of ALERT_CHANNELS, else opsbot.yaml channels.alerts ('' when neither). */
  readonly webhookChannel: string;
  /** The bot's identity (auth.test), so its own posts are never read as alerts. */
  setBot(bot: { userId: string; botId: string }): void;
  /** Wires the triage loop after construction (when it is built later than intake). */
  setTriage(triage: AlertTriage): void;
  start(): void;
  stop(): void;
  /** Resolves when no delivery or triage is under way (scheduled notifications are not waited for). */
  idle(): Promise<void>;
  /**
   * Resolves once each of these groups has had its first notification — or cannot have one now
   * (silenced, nothing firing) — and its message and triage are done: what `triage --once` waits
   * for before it exits. Waits on the clock for their group_wait.
   */
  untilNotified(groupIds: readonly number[], signal?: AbortSignal): Promise<void>;
}

export function createAlertRuntime(deps: AlertRuntimeDeps): AlertRuntime {
  const { config, store, clock } = deps;
  const log = deps.log.child({ component: 'alerts' });
  const policy = config.policy.alerts;
  const windows: GroupingWindows = {
    groupWaitMs: config.alerts.groupWaitMs,
    groupIntervalMs: config.alerts.groupIntervalMs,
    repeatIntervalMs: config.alerts.repeatIntervalMs,
  };
  const webhookChannel = config.alerts.channels[0] ?? config.policy.channels.alerts ?? '';
  const groups = createAlertGroupRepo(store.db);
  const silences = createAlertSilenceRepo(store.db);
  let bot: { userId: string; botId: string } | undefined;
  let triage = deps.triage;

  // The closures below run only after construction, when every part exists.
  const ingest = createAlertIngest({ store, groups, clock, windows, groupBy: policy.groupBy, onChanged: () => scheduler.poke() });
  const triageRunner = createAlertTriageRunner({
    groups,
    store,
    // Read at each start: the loop may be wired after construction (setTriage).
    get triage() {
      return triage;
    },
    clock,
    log,
    dryRun: config.dryRun,
    concurrency: deps.triageConcurrency ?? 4,
    onChanged: (id) => delivery.refresh(id),
  });
  const delivery = createAlertDelivery({
    groups,
    silences,
    chat: deps.chat,
    clock,
    log,
    dryRun: config.dryRun,
    options: () => ({ ...(policy.replyPrefix ? { prefix: policy.replyPrefix } : {}), silenceDurationsMs: policy.silenceDurationsMs, commandPrefix: config.slack.command }),
    onPosted: (group) => triageRunner.start(group),
  });
  const scheduler = createAlertScheduler({ store, groups, silences, clock, log, windows, deliver: (id, kind) => delivery.deliver(id, kind), refresh: (id) => delivery.refresh(id) });
  const service = createAlertService({
    store,
    groups,
    silences,
    ...(deps.incidents ? { incidents: deps.incidents } : {}),
    policy: config.policy,
    windows,
    clock,
    log,
    commandPrefix: config.slack.command,
    refresh: (id) => delivery.refresh(id),
    poke: () => scheduler.poke(),
  });
  const isOwn = (message: ChannelMessage) =>
    bot !== undefined && (message.user === bot.userId || message.bot_id === bot.botId || (message.bot_profile as { id?: string } | undefined)?.id === bot.botId);
  const channelIntake = createAlertChannelIntake({
    ingest,
    isOwn,
    mentionsBot: (text) => bot !== undefined && text.includes(`<@${bot.userId}>`),
    ...(policy.replyPrefix ? { replyPrefix: policy.replyPrefix } : {}),
  });
  const backfill = createBackfill({ call: deps.slackCall, cursors: store.cursors, intake: channelIntake, clock, log });
  if (!webhookChannel) log.info('webhook alerts are stored and grouped but not posted: ALERT_CHANNELS is empty and opsbot.yaml sets no channels.alerts');

  const webhookLog = deps.log.child({ component: 'alert-webhook' });
  const routes: Route[] = [
    {
      method: 'POST',
      path: '/webhooks/alertmanager',
      handler: createAlertWebhook({ token: config.alertmanagerWebhookToken, source: 'alertmanager', parse: parseAlertmanagerWebhook, ingest, channel: webhookChannel, log: webhookLog }),
    },
    {
      method: 'POST',
      path: '/webhooks/grafana',
      handler: createAlertWebhook({ token: config.alertmanagerWebhookToken, source: 'grafana', parse: parseGrafanaWebhook, ingest, channel: webhookChannel, log: webhookLog }),
    },
  ];

  return {
    service,
    ingest,
    groups,
    routes,
    messageHandler: channelIntake.handler,
    backfill,
    webhookChannel,
    setBot(identity) {
      bot = identity;
    },
    setTriage(loop) {
      triage = loop;
    },
    start() {
      // What was decided and not delivered, triage that was due or cut off, then what came due while down.
      delivery.resume();
      triageRunner.resume();
      scheduler.start();
    },
    stop() {
      scheduler.stop();
      delivery.stop();
      triageRunner.stop();
    },
    idle,
    async untilNotified(groupIds, signal) {
      for (;;) {
        await idle();
        const now = clock.now();
        const active = silences.active(now);
        let earliest: number | undefined;
        for (const id of groupIds) {
          const group = groups.get(id);
          if (!group || group.state.lastNotifiedAt !== undefined || group.notifyAt === null || group.status !== 'firing') continue;
          if (silencing(group, active, () => toAlertGroup(group.key, groups.alerts(id).map((a) => a.alert)).commonLabels)) continue;
          earliest = Math.min(earliest ?? group.notifyAt, group.notifyAt);
        }
        if (earliest === undefined) return;
        // Just past the due time, so the scheduler's timer has fired and handed the group to delivery.
        await clock.sleep(Math.max(0, earliest - now) + NOTIFIED_SLACK_MS, signal);
      }
    },
  };

  async function idle(): Promise<void> {
    // A triage that finished edits its group's message, and a posted message starts a triage: round until both are quiet.
    while (delivery.busy() || triageRunner.busy()) {
      await delivery.idle();
      await triageRunner.idle();
    }
  }
}

const NOTIFIED_SLACK_MS = 100;
