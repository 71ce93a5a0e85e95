import type { Clock } from '../clock.ts';
import type { AlertGroupRepo } from '../store/alert-group-repo.ts';
import type { Store } from '../store/types.ts';
import type { NormalizedAlert } from './alert.ts';
import { groupKey, groupLabelsOf } from './group-key.ts';
import { groupingPolicy, type GroupingWindows } from './grouping-policy.ts';

/**
 * Alerts into SQLite: every alert of a batch (a webhook body, a channel message) is stored and
 * its group moved on by the grouping policy in ONE synchronous transaction, so a webhook answers
 * 200 only once all of it is committed, and a crash loses nothing it answered for. Nothing is
 * awaited; the scheduler is told afterwards that due times may have moved.
 */

export interface IngestOptions {
  /** The channel the group's message goes to ('' when none is configured). */
  channel: string;
  /**
   * A message already ingested under this key is not ingested again (a live message and the
   * backfill of the same history, a resumed inbox entry): `duplicate` is answered.
   */
  messageKey?: string;
  /** The audit row for the batch; channel messages are audited by the Slack intake already. */
  audit?: { actor: string; what: string };
}

export interface IngestResult {
  duplicate: boolean;
  /** Alerts stored. */
  accepted: number;
  /** Row ids of the groups touched, and of those created by this batch. */
  groups: number[];
  created: number[];
}

export interface AlertIngest {
  ingest(alerts: readonly NormalizedAlert[], options: IngestOptions): IngestResult;
}

export interface AlertIngestDeps {
  store: Pick<Store, 'transaction' | 'events' | 'audit'>;
  groups: AlertGroupRepo;
  clock: Clock;
  windows: GroupingWindows;
  groupBy: readonly string[];
  /** Called after each commit that changed a group: due times may have moved. */
  onChanged(): void;
}

export function createAlertIngest(deps: AlertIngestDeps): AlertIngest {
  const { store, groups, clock } = deps;

  function write(alerts: readonly NormalizedAlert[], options: IngestOptions): IngestResult {
    const now = clock.now();
    if (options.messageKey !== undefined && !store.events.markProcessed(options.messageKey, now)) {
      return { duplicate: true, accepted: 0, groups: [], created: [] };
    }
    // Batched by group, arrival order kept: the last status of a fingerprint wins.
    const batches = new Map<string, NormalizedAlert[]>();
    for (const alert of alerts) {
      const key = groupKey(alert.labels, deps.groupBy);
      const batch = batches.get(key);
      if (batch) batch.push(alert);
      else batches.set(key, [alert]);
    }
    const touched: number[] = [];
    const created: number[] = [];
    for (const [key, batch] of batches) {
      const latest = groups.latest(options.channel, key);
      const decision = groupingPolicy({
        group: latest?.state,
        incoming: batch.map((alert) => ({ fingerprint: alert.fingerprint, status: alert.status })),
        now,
        windows: deps.windows,
      });
      const status = decision.state.alerts.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved';
      let id: number;
      if (decision.created || latest === undefined) {
        id = groups.insert({ key, channel: options.channel, labels: groupLabelsOf(batch[0]!.labels, deps.groupBy), state: decision.state, status, notifyAt: decision.notifyAt ?? null, at: now });
        created.push(id);
      } else {
        id = latest.id;
        groups.update(id, { state: decision.state, status, notifyAt: decision.notifyAt ?? null }, now);
      }
      for (const alert of batch) groups.upsertAlert(id, alert, now);
      touched.push(id);
    }
    if (options.audit) {
      store.audit.append({
        at: now,
        actor: options.audit.actor,
        channel: options.channel || null,
        action: 'alerts.received',
        command: options.audit.what,
        args: JSON.stringify({ alerts: alerts.length, groups: touched.length, created: created.length }),
        outcome: 'accepted',
      });
    }
    return { duplicate: false, accepted: alerts.length, groups: touched, created };
  }

  return {
    ingest(alerts, options) {
      const result = store.transaction(() => write(alerts, options));
      if (result.groups.length > 0) deps.onChanged();
      return result;
    },
  };
}
