import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { ChatPort, MessageContent } from '../slack/chat-port.ts';
import { alertGroupDetails, alertGroupMessage, alertGroupRepeat } from '../slack/views/alert-group-views.ts';
import type { AlertGroupRepo, StoredAlertGroup } from '../store/alert-group-repo.ts';
import type { AlertSilenceRepo } from '../store/alert-silence-repo.ts';
import { silencing } from './alert-scheduler.ts';
import { toAlertGroup } from './alert-group.ts';
import type { NotificationKind } from './grouping-policy.ts';

/**
 * A group's Slack messages: the parent (posted once, then edited in place with chat.update
 * through the outbox) and the details in its thread. Work per group is serialised; a request
 * while one is under way renders again after it, from what is stored then (so bursts of changes
 * coalesce). A notification is delivered when its version is posted (posted_version); what was
 * decided and not delivered (a crash, Slack down) is delivered again at start-up. Under DRY_RUN
 * the messages are logged instead of posted and count as delivered.
 *
 * After a group's first message, its triage (when due) is handed to `onPosted`.
 */

export interface AlertDelivery {
  /** A notification was decided: post or edit the group's messages; a repeat also says "still firing" in the thread. */
  deliver(groupId: number, kind?: NotificationKind): void;
  /** Something shown changed (acknowledged, silenced, linked, a suggestion): edit the posted message. */
  refresh(groupId: number): void;
  /** Delivers what was decided and not delivered (start-up). */
  resume(): number;
  /** Resolves when no delivery is under way. */
  idle(): Promise<void>;
  busy(): boolean;
  stop(): void;
}

export interface AlertDeliveryDeps {
  groups: AlertGroupRepo;
  silences: AlertSilenceRepo;
  chat: ChatPort;
  clock: Clock;
  log: Logger;
  dryRun: boolean;
  options: () => { prefix?: string; silenceDurationsMs: readonly number[]; commandPrefix: string };
  /** The group's first message is out (or logged under DRY_RUN): its triage may start. */
  onPosted(group: StoredAlertGroup): void;
}

export function createAlertDelivery(deps: AlertDeliveryDeps): AlertDelivery {
  const { groups, chat, clock, log } = deps;
  const running = new Map<number, Promise<void>>();
  /** Asked again while running: go round once more. */
  const again = new Set<number>();
  /** Groups whose next delivery is a repeat (repeat_interval passed with nothing new). */
  const repeats = new Set<number>();
  let stopped = false;
  let warnedNoChannel = false;

  function request(id: number, kind?: NotificationKind): void {
    if (stopped) return;
    if (kind === 'repeat') repeats.add(id);
    if (running.has(id)) {
      again.add(id);
      return;
    }
    const job = (async () => {
      do {
        again.delete(id);
        try {
          await deliverOnce(id);
        } catch (err) {
          // Slack refused for good or the outbox gave up: the notification stays undelivered and
          // is tried again at the next decision or start-up; people still see it in `/ops alerts`.
          log.error({ err: errorMessage(err), group: id }, 'alert group message not delivered');
        }
      } while (again.has(id) && !stopped);
    })().finally(() => running.delete(id));
    running.set(id, job);
  }

  function render(group: StoredAlertGroup): { parent: MessageContent; details: MessageContent } {
    const alerts = groups.alerts(group.id);
    const options = deps.options();
    const silence = silencing(group, deps.silences.active(clock.now()), () => toAlertGroup(group.key, alerts.map((a) => a.alert)).commonLabels);
    return {
      parent: alertGroupMessage(group, alerts, { ...options, ...(silence ? { silence } : {}) }),
      details: alertGroupDetails(group, alerts, options),
    };
  }

  async function deliverOnce(id: number): Promise<void> {
    const group = groups.get(id);
    if (!group) return;
    const version = group.version;
    const decided = version > group.postedVersion;
    if (!decided && group.messageTs === null) {
      // Nothing posted yet and nothing to post (a refresh before the first notification, or under DRY_RUN).
      return;
    }
    if (group.channel === '') {
      if (!warnedNoChannel) log.warn({ group: group.groupId }, 'alert group not posted: no alert channel (set ALERT_CHANNELS or channels.alerts in opsbot.yaml)');
      warnedNoChannel = true;
      groups.update(id, { postedVersion: version, ...(group.triage === 'due' ? { triage: 'skipped', triageNote: 'no alert channel to post in' } : {}) }, clock.now());
      return;
    }
    const { parent, details } = render(group);
    if (deps.dryRun) {
      repeats.delete(id);
      log.info({ group: group.groupId, channel: group.channel, text: parent.text, details: details.text, dryRun: true }, 'DRY RUN: alert group message logged, not posted');
      groups.update(id, { postedVersion: version }, clock.now());
      if (group.triage === 'due') deps.onPosted({ ...group, postedVersion: version });
      return;
    }
    if (group.messageTs === null) {
      const ref = await chat.post(group.channel, parent);
      groups.update(id, { messageTs: ref.ts, postedVersion: version }, clock.now());
      log.info({ group: group.groupId, channel: ref.channel, ts: ref.ts }, 'alert group posted');
      try {
        const thread = await chat.post(group.channel, details, ref.ts);
        groups.update(id, { detailsTs: thread.ts }, clock.now());
      } finally {
        // The thread reads: the details, then the triage. A failed details post does not hold the triage back.
        const posted = groups.get(id);
        if (posted?.triage === 'due') deps.onPosted(posted);
      }
      return;
    }
    const ref = { channel: group.channel, ts: group.messageTs };
    await chat.update(ref, parent);
    if (decided) groups.update(id, { postedVersion: version }, clock.now());
    if (!decided) return;
    if (repeats.delete(id)) {
      // Nothing changed since the last notification: the message is as it was, so the thread says it still fires.
      await chat.post(group.channel, alertGroupRepeat(group, groups.counts(id), deps.options()), group.messageTs);
      return;
    }
    if (group.detailsTs === null) {
      const thread = await chat.post(group.channel, details, group.messageTs);
      groups.update(id, { detailsTs: thread.ts }, clock.now());
    } else {
      await chat.update({ channel: group.channel, ts: group.detailsTs }, details);
    }
  }

  return {
    deliver: request,
    refresh: (id) => request(id),
    resume() {
      const ids = groups.undelivered();
      if (ids.length > 0) log.info({ count: ids.length }, 'delivering alert group messages decided before the restart');
      for (const id of ids) request(id);
      return ids.length;
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    busy: () => running.size > 0,
    stop() {
      stopped = true;
    },
  };
}
