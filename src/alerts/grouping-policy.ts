import type { AlertStatus } from './alert.ts';

/**
 * When a group's Slack message is posted, updated or repeated, and when it is triaged: Alertmanager's
 * route timing (https://prometheus.io/docs/alerting/latest/configuration/#route), as pure functions
 * of the group's stored state and a time passed in.
 *
 * - group_wait: a new group waits this long before its first notification, to gather the alerts
 *   that fire together (a storm becomes one message per group).
 * - group_interval: after a notification, a change (an alert joins, re-fires or resolves) is
 *   notified no sooner than this.
 * - repeat_interval: with nothing changed, a group still firing is notified again after this.
 *
 * What counts as a change is Alertmanager's (notify.DedupStage.needsUpdate, with send_resolved):
 * a firing alert the last notification did not show firing, a resolved alert it did not show
 * resolved, or every alert resolved after some were shown firing. A group never notified and
 * with nothing firing is not notified at all.
 *
 * Triage runs once per group, at its first notification: later alerts, repeats and flapping (the
 * same fingerprint resolving and firing again) update the message but never triage again. A group
 * whose alerts have all been resolved for `reopenAfterMs` starts afresh on its next firing alert —
 * a new message, a new triage — as Alertmanager forgets a group once it is resolved and notified.
 *
 * Times are milliseconds since the epoch.
 */

export interface GroupingWindows {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** After this long fully resolved, the next firing alert makes a new group. Default: repeatIntervalMs. */
  reopenAfterMs?: number;
}

/** An alert of the group by its fingerprint, with its latest status. */
export interface GroupAlertState {
  fingerprint: string;
  status: AlertStatus;
}

/** What is stored per group (plain JSON). */
export interface GroupState {
  firstSeenAt: number;
  /** Every alert that joined, in order of arrival. */
  alerts: GroupAlertState[];
  /** Undefined until the first notification. */
  lastNotifiedAt?: number;
  /** Fingerprints the last notification showed firing / resolved. */
  notifiedFiring: string[];
  notifiedResolved: string[];
  triaged: boolean;
  /** Since when every alert of the group is resolved; undefined while one fires. */
  resolvedAt?: number;
  /** When the next notification is due; undefined: none is. */
  notifyAt?: number;
}

export type GroupChange = 'new' | 'changed' | 'unchanged' | 'resolved';

export interface GroupingDecision {
  /**
   * new: a group with a firing alert was created (first notification after group_wait); changed:
   * alerts joined, re-fired or resolved; unchanged: only repeats; resolved: every alert is now resolved.
   */
  change: GroupChange;
  /** A new state was started (no group yet, or it reopened after `reopenAfterMs`): a new Slack message. */
  created: boolean;
  state: GroupState;
  /** When the next notification is due (never before `now`); undefined: nothing to send. */
  notifyAt: number | undefined;
  /** Fingerprints new to the group. */
  added: string[];
  /** Fingerprints that fired again after resolving (flapping): shown, never triaged anew. */
  refired: string[];
  /** Fingerprints that resolved. */
  resolved: string[];
}

export interface GroupingInput {
  group: GroupState | undefined;
  incoming: readonly GroupAlertState[];
  now: number;
  windows: GroupingWindows;
}

/** The group after `incoming` (in arrival order; the last status of a fingerprint wins) and what that changes. */
export function groupingPolicy({ group, incoming, now, windows }: GroupingInput): GroupingDecision {
  const reopenAfter = windows.reopenAfterMs ?? windows.repeatIntervalMs;
  const anyFiring = incoming.some((alert) => alert.status === 'firing');
  const created =
    group === undefined || (anyFiring && group.resolvedAt !== undefined && now - group.resolvedAt >= reopenAfter);
  const base: GroupState = created || group === undefined ? { firstSeenAt: now, alerts: [], notifiedFiring: [], notifiedResolved: [], triaged: false } : group;

  const before = new Map(base.alerts.map((alert) => [alert.fingerprint, alert.status]));
  const after = new Map(before);
  for (const alert of incoming) after.set(alert.fingerprint, alert.status);

  const added: string[] = [];
  const refired: string[] = [];
  const resolved: string[] = [];
  for (const [fingerprint, status] of after) {
    const was = before.get(fingerprint);
    if (was === undefined) added.push(fingerprint);
    else if (was !== status) (status === 'resolved' ? resolved : refired).push(fingerprint);
  }

  const alerts = [...after].map(([fingerprint, status]) => ({ fingerprint, status }));
  const allResolved = alerts.length > 0 && alerts.every((alert) => alert.status === 'resolved');
  const state: GroupState = { ...base, alerts };
  if (allResolved) state.resolvedAt = base.resolvedAt ?? now;
  else delete state.resolvedAt;
  setNotifyAt(state, clampedDue(state, windows, now));

  let change: GroupChange;
  if (created) change = anyFiring ? 'new' : 'resolved';
  else if (added.length + refired.length + resolved.length === 0) change = 'unchanged';
  else change = allResolved ? 'resolved' : 'changed';
  return { change, created, state, notifyAt: state.notifyAt, added, refired, resolved };
}

export type NotificationKind = 'first' | 'update' | 'resolved' | 'repeat';

export interface NotificationDecision {
  /** Post (first) or update the group's message now. */
  notify: boolean;
  kind: NotificationKind | undefined;
  /** Start the group's triage (once per group, with its first notification). */
  triage: boolean;
  /** The state after notifying (unchanged when `notify` is false). */
  state: GroupState;
  /** When the next notification is due after this one. */
  notifyAt: number | undefined;
}

/**
 * Called when a group's notifyAt has come (a timer, or a sweep at start-up): whether to notify
 * now, how, and whether to triage. Early (before the group is due) or with nothing due: no.
 */
export function groupNotification({ group, now, windows }: { group: GroupState; now: number; windows: GroupingWindows }): NotificationDecision {
  const due = nextNotificationAt(group, windows);
  if (due === undefined || now < due) return { notify: false, kind: undefined, triage: false, state: group, notifyAt: due };
  const kind = pendingChange(group) ?? 'repeat';
  const firing = fingerprints(group, 'firing');
  const triage = !group.triaged && firing.length > 0;
  const state: GroupState = {
    ...group,
    lastNotifiedAt: now,
    notifiedFiring: firing,
    notifiedResolved: fingerprints(group, 'resolved'),
    triaged: group.triaged || triage,
  };
  setNotifyAt(state, nextNotificationAt(state, windows));
  return { notify: true, kind, triage, state, notifyAt: state.notifyAt };
}

/** When the group is next due, by its state alone (may be in the past: then it is due now). */
export function nextNotificationAt(group: GroupState, windows: GroupingWindows): number | undefined {
  const pending = pendingChange(group);
  if (pending === 'first') return group.firstSeenAt + windows.groupWaitMs;
  if (group.lastNotifiedAt === undefined) return undefined;
  if (pending !== undefined) return group.lastNotifiedAt + windows.groupIntervalMs;
  return group.alerts.some((alert) => alert.status === 'firing') ? group.lastNotifiedAt + windows.repeatIntervalMs : undefined;
}

/** What the next notification would show that the last did not (Alertmanager's needsUpdate, repeat aside). */
function pendingChange(group: GroupState): Exclude<NotificationKind, 'repeat'> | undefined {
  const firing = fingerprints(group, 'firing');
  if (group.lastNotifiedAt === undefined) return firing.length > 0 ? 'first' : undefined;
  const shownFiring = new Set(group.notifiedFiring);
  if (firing.some((fingerprint) => !shownFiring.has(fingerprint))) return 'update';
  if (firing.length === 0) return group.notifiedFiring.length > 0 ? 'resolved' : undefined;
  const shownResolved = new Set(group.notifiedResolved);
  return fingerprints(group, 'resolved').some((fingerprint) => !shownResolved.has(fingerprint)) ? 'update' : undefined;
}

function clampedDue(group: GroupState, windows: GroupingWindows, now: number): number | undefined {
  const due = nextNotificationAt(group, windows);
  return due === undefined ? undefined : Math.max(due, now);
}

function fingerprints(group: GroupState, status: AlertStatus): string[] {
  return group.alerts.filter((alert) => alert.status === status).map((alert) => alert.fingerprint);
}

function setNotifyAt(state: GroupState, at: number | undefined): void {
  if (at === undefined) delete state.notifyAt;
  else state.notifyAt = at;
}
