import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { createDueTimer } from '../due-timer.ts';
import type { AlertGroupRepo, StoredAlertGroup, TriageStatus } from '../store/alert-group-repo.ts';
import type { AlertSilence, AlertSilenceRepo } from '../store/alert-silence-repo.ts';
import type { Store } from '../store/types.ts';
import { toAlertGroup } from './alert-group.ts';
import { groupNotification, type GroupingWindows, type NotificationKind } from './grouping-policy.ts';

/**
 * When groups are notified: one clock timer, armed for the earliest `notify_at` in SQLite (so
 * windows survive a restart: what came due while opsbot was down runs at start()). When it
 * fires, each due group is decided in its own transaction by groupNotification — first message
 * after group_wait, updates no sooner than group_interval, repeats after repeat_interval, triage
 * once — and handed to delivery, which posts or edits its Slack message. A silenced group is not
 * decided at all: nothing new is posted nor triaged, and it is looked at again when the silence ends.
 */

export interface AlertScheduler {
  start(): void;
  /** Due times may have moved (alerts came in, a silence was removed): re-arm for the earliest. */
  poke(): void;
  stop(): void;
  /** Decides every group due now; returns the ids handed to delivery. */
  runDue(): number[];
}

export interface AlertSchedulerDeps {
  store: Pick<Store, 'transaction'>;
  groups: AlertGroupRepo;
  silences: AlertSilenceRepo;
  clock: Clock;
  log: Logger;
  windows: GroupingWindows;
  /** A notification was decided for the group: post or edit its message (a repeat also says so in its thread). */
  deliver(groupId: number, kind: NotificationKind): void;
  /** A silence on the group ended with nothing new to notify: its message should stop saying it is silenced. */
  refresh?(groupId: number): void;
}

const BATCH = 500;
/** A group whose decision threw is looked at again after this long, not in a tight loop. */
const RETRY_MS = 5_000;

export function createAlertScheduler(deps: AlertSchedulerDeps): AlertScheduler {
  const { groups, clock, log } = deps;
  const timer = createDueTimer({ name: 'alert scheduler', clock, log, nextDue: () => groups.nextDue(), run: async () => void runDue() });

  function runDue(): number[] {
    const decided: Array<{ id: number; kind: NotificationKind }> = [];
    const unsilenced: number[] = [];
    const now = clock.now();
    const silences = deps.silences.active(now);
    const seen = new Set<number>();
    for (;;) {
      const ids = groups.due(now, BATCH).filter((id) => !seen.has(id));
      if (ids.length === 0) break;
      for (const id of ids) {
        seen.add(id);
        try {
          const kind = deps.store.transaction(() => decide(id, now, silences));
          if (kind === 'unsilenced') unsilenced.push(id);
          else if (kind) decided.push({ id, kind });
        } catch (err) {
          log.error({ err, group: id }, 'alert group notification could not be decided; trying again shortly');
          try {
            groups.update(id, { notifyAt: now + RETRY_MS }, now);
          } catch {
            // The database itself is failing: the next fire tries again.
          }
        }
      }
    }
    for (const { id, kind } of decided) deps.deliver(id, kind);
    for (const id of unsilenced) deps.refresh?.(id);
    return decided.map((d) => d.id);
  }

  /** One group, inside a transaction: the notification decided, if any. */
  function decide(id: number, now: number, silences: readonly AlertSilence[]): NotificationKind | 'unsilenced' | undefined {
    const group = groups.get(id);
    if (!group || group.notifyAt === null || group.notifyAt > now) return undefined;
    const silence = silencing(group, silences, () => toAlertGroup(group.key, groups.alerts(id).map((a) => a.alert)).commonLabels);
    if (silence) {
      log.debug({ group: group.groupId, silence: silence.id }, 'alert group silenced: nothing posted');
      groups.update(id, { notifyAt: silence.endsAt }, now);
      return undefined;
    }
    const decision = groupNotification({ group: group.state, now, windows: deps.windows });
    if (!decision.notify) {
      groups.update(id, { notifyAt: decision.notifyAt === undefined ? null : Math.max(decision.notifyAt, now + 1) }, now);
      // Due before the policy says: it was put off by a silence that has now ended.
      return group.messageTs !== null ? 'unsilenced' : undefined;
    }
    const triage = decision.triage ? triageStart(group) : undefined;
    groups.update(
      id,
      {
        state: decision.state,
        notifyAt: decision.notifyAt ?? null,
        version: group.version + 1,
        ...(triage ? { triage: triage.status, triageNote: triage.note } : {}),
      },
      now,
    );
    groups.markNotified(id);
    log.debug({ group: group.groupId, kind: decision.kind, triage: triage?.status }, 'alert group notification decided');
    return decision.kind ?? 'update';
  }

  /** `severity: none` (Watchdog, InfoInhibitor) is stored and shown, never triaged. */
  function triageStart(group: StoredAlertGroup): { status: TriageStatus; note: string | null } {
    if (group.triage !== 'pending') return { status: group.triage, note: group.triageNote };
    const alerts = groups.alerts(group.id).filter((a) => a.status === 'firing');
    if (alerts.length > 0 && alerts.every((a) => (a.alert.severity ?? '').trim().toLowerCase() === 'none')) return { status: 'skipped', note: 'severity none' };
    return { status: 'due', note: null };
  }

  return {
    start: () => timer.start(),
    poke: () => timer.poke(),
    stop: () => timer.stop(),
    runDue,
  };
}

/** The silence in force on a group: by its key, or matchers all equal to its labels (its common labels computed only when needed). */
export function silencing(group: Pick<StoredAlertGroup, 'key' | 'labels'>, silences: readonly AlertSilence[], commonLabels: () => Record<string, string>): AlertSilence | undefined {
  let common: Record<string, string> | undefined;
  for (const silence of silences) {
    if (silence.groupKey !== null && silence.groupKey === group.key) return silence;
    if (silence.matchers !== null) {
      common ??= { ...commonLabels(), ...group.labels };
      const labels = common;
      if (Object.entries(silence.matchers).every(([name, value]) => labels[name] === value)) return silence;
    }
  }
  return undefined;
}
