import type { Logger } from 'pino';
import { severityFromAlert, worstSeverity } from '../agents/taxonomy.ts';
import type { Clock } from '../clock.ts';
import { SEVERITIES, type Policy, type Severity } from '../config/policy-schema.ts';
import { UserError } from '../errors.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import { groupFacts, type GroupFacts } from '../slack/views/alert-group-views.ts';
import type { AlertGroupRepo, GroupSuggestion, StoredAlert, StoredAlertGroup } from '../store/alert-group-repo.ts';
import type { AlertSilence, AlertSilenceRepo } from '../store/alert-silence-repo.ts';
import type { Store } from '../store/types.ts';
import { alertGroupId, parseAlertGroupId } from './alert-group-id.ts';
import { toAlertGroup } from './alert-group.ts';
import { silencing } from './alert-scheduler.ts';
import { nextNotificationAt, type GroupingWindows } from './grouping-policy.ts';

/**
 * What people (the `alerts …` commands and the buttons on a group's message) and other features
 * do with alert groups: list and show, acknowledge, silence and unsilence, declare an incident
 * linked to a group, and set the "Run suggested playbook" button. Every change is one
 * transaction with its audit row (before / after), then the group's message is edited.
 */

export interface Actor {
  userId: string;
  channel: string | null;
}

export interface GroupListing {
  group: StoredAlertGroup;
  facts: GroupFacts;
  silenced: boolean;
}

export interface AlertService {
  list(options: { open: boolean; limit: number }): GroupListing[];
  /** The group and its alerts; a UserError for an unknown id. */
  show(ref: number): { group: StoredAlertGroup; alerts: StoredAlert[]; silence: AlertSilence | undefined };
  acknowledge(ref: number, actor: Actor): { group: StoredAlertGroup; already: boolean };
  /** Silences a group (every group with its key) or the groups whose labels match. */
  silence(input: { ref?: number; matchers?: Record<string, string>; durationMs: number; reason?: string }, actor: Actor): { silence: AlertSilence; group?: StoredAlertGroup };
  silences(): AlertSilence[];
  unsilence(id: number, actor: Actor): AlertSilence;
  /** Declares an incident for the group and links it; a group already linked answers with its incident. */
  declareIncident(ref: number, actor: Actor & { requestKey?: string }, options?: { severity?: Severity }): Promise<{ incidentId: string; created: boolean; group: StoredAlertGroup }>;
  /** The severity an incident for this group would get: the triage's, never below the alerts' own. */
  incidentSeverity(ref: number): Severity;
  /** Sets (or with null removes) the group's "Run suggested playbook" button. Takes `AG-n`. */
  setSuggestion(groupId: string, suggestion: GroupSuggestion | null): void;
}

export interface AlertServiceDeps {
  store: Pick<Store, 'transaction' | 'audit'>;
  groups: AlertGroupRepo;
  silences: AlertSilenceRepo;
  incidents?: IncidentService;
  policy: Policy;
  windows: GroupingWindows;
  clock: Clock;
  log: Logger;
  commandPrefix: string;
  /** Something shown on the group's message changed. */
  refresh(groupId: number): void;
  /** Due times may have moved. */
  poke(): void;
}

const MAX_SILENCE_MS = 30 * 86_400_000;
const SCAN_OPEN = 500;

export function createAlertService(deps: AlertServiceDeps): AlertService {
  const { store, groups, silences, clock, log } = deps;
  const declaring = new Map<number, Promise<{ incidentId: string; created: boolean; group: StoredAlertGroup }>>();

  function find(ref: number): StoredAlertGroup {
    const group = groups.get(ref);
    if (group) return group;
    const open = groups.list({ open: true, limit: 5 });
    throw new UserError(
      'alert_group_unknown',
      `There is no alert group ${alertGroupId(ref)}.`,
      open.length > 0 ? `Firing groups: ${open.map((g) => g.groupId).join(', ')}.` : `No alert group is firing. \`${deps.commandPrefix} alerts all\` lists past ones.`,
    );
  }

  const commonLabels = (group: StoredAlertGroup) => () => toAlertGroup(group.key, groups.alerts(group.id).map((a) => a.alert)).commonLabels;
  const silenceOf = (group: StoredAlertGroup, active = silences.active(clock.now())) => silencing(group, active, commonLabels(group));

  function audit(actor: Actor, action: string, command: string, before: unknown, after: unknown): void {
    store.audit.append({ at: clock.now(), actor: actor.userId, channel: actor.channel, action, command, args: JSON.stringify({ before, after }), outcome: 'ok' });
  }

  /** Groups a silence holds, among the open ones (and the one named). */
  function silencedBy(silence: AlertSilence, named?: StoredAlertGroup): StoredAlertGroup[] {
    const open = groups.list({ open: true, limit: SCAN_OPEN });
    const all = named && !open.some((g) => g.id === named.id) ? [named, ...open] : open;
    return all.filter((g) => silencing(g, [silence], commonLabels(g)) !== undefined);
  }

  function incidentSeverity(group: StoredAlertGroup): Severity {
    const alerts = groups.alerts(group.id).map((a) => a.alert);
    const firing = alerts.filter((a) => a.status === 'firing');
    const customerFacing = (service: string | undefined) => (service ? deps.policy.services[service]?.customerFacing === true : false);
    let severity: Severity | undefined;
    for (const alert of firing.length > 0 ? firing : alerts) {
      const own = severityFromAlert(alert.severity, customerFacing(alert.service));
      if (own) severity = severity ? worstSeverity(severity, own) : own;
    }
    const triaged = group.triageOutcome?.severity;
    if (triaged && (SEVERITIES as readonly string[]).includes(triaged)) severity = severity ? worstSeverity(severity, triaged as Severity) : (triaged as Severity);
    return severity ?? 'P3';
  }

  async function declare(group: StoredAlertGroup, actor: Actor & { requestKey?: string }, severity: Severity): Promise<{ incidentId: string; created: boolean; group: StoredAlertGroup }> {
    const incidents = deps.incidents;
    if (!incidents) throw new UserError('incidents_unavailable', 'Incidents are not available on this opsbot.');
    const alerts = groups.alerts(group.id).map((a) => a.alert);
    const facts = groupFacts(group, alerts);
    const where = [facts.service, facts.namespace].filter((p): p is string => p !== undefined).join(', ');
    const title = `${facts.name}${where ? ` (${where})` : ''}`.slice(0, 150);
    const summary = [`Declared from alert group ${group.groupId}: ${facts.firing} firing, ${facts.resolved} resolved.`, facts.summary].filter((p): p is string => p !== undefined).join(' ');
    const service = facts.service && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(facts.service) ? facts.service : undefined;
    const { incident, created } = await incidents.declare(
      { title, severity, summary: summary.slice(0, 2_500), ...(service ? { service } : {}) },
      { userId: actor.userId, channel: actor.channel ?? group.channel, ...(actor.requestKey ? { requestKey: actor.requestKey } : {}) },
    );
    const linked = store.transaction(() => {
      const current = groups.get(group.id) ?? group;
      if (current.incidentId) return current;
      groups.update(group.id, { incidentId: incident.id }, clock.now());
      audit(actor, 'alerts.declare', `alerts declare ${group.groupId}`, { incidentId: null }, { incidentId: incident.id, severity });
      return groups.get(group.id)!;
    });
    try {
      await incidents.recordEvent(incident.id, {
        kind: 'alert',
        who: actor.userId,
        at: clock.now(),
        text: `Alert group ${group.groupId} linked: ${facts.name}, ${facts.firing} firing`,
        ref: `alert-group:${group.groupId}`,
      });
    } catch (err) {
      log.warn({ err, group: group.groupId, incident: incident.id }, 'alert group not put on the incident timeline');
    }
    deps.refresh(group.id);
    return { incidentId: linked.incidentId ?? incident.id, created, group: linked };
  }

  return {
    list({ open, limit }) {
      const active = silences.active(clock.now());
      return groups.list({ open, limit }).map((group) => ({
        group,
        facts: groupFacts(group, groups.alerts(group.id).map((a) => a.alert)),
        silenced: silenceOf(group, active) !== undefined,
      }));
    },
    show(ref) {
      const group = find(ref);
      return { group, alerts: groups.alerts(group.id), silence: silenceOf(group) };
    },
    acknowledge(ref, actor) {
      const result = store.transaction(() => {
        const group = find(ref);
        if (group.acknowledgedBy) return { group, already: true };
        const at = clock.now();
        groups.update(group.id, { acknowledgedBy: actor.userId, acknowledgedAt: at }, at);
        audit(actor, 'alerts.ack', `alerts ack ${group.groupId}`, { acknowledgedBy: null }, { acknowledgedBy: actor.userId, at });
        return { group: groups.get(group.id)!, already: false };
      });
      if (!result.already) deps.refresh(result.group.id);
      return result;
    },
    silence(input, actor) {
      if (!(input.durationMs > 0) || input.durationMs > MAX_SILENCE_MS) {
        throw new UserError('silence_duration', 'A silence lasts from a minute to 30 days.', `Like \`${deps.commandPrefix} alerts silence AG-3 4h\`.`);
      }
      const matchers = input.matchers && Object.keys(input.matchers).length > 0 ? input.matchers : undefined;
      if (input.ref === undefined && !matchers) {
        throw new UserError('silence_target', 'Silence what? Name a group or labels.', `Like \`${deps.commandPrefix} alerts silence AG-3 4h\` or \`${deps.commandPrefix} alerts silence alertname=Watchdog 24h\`.`);
      }
      const now = clock.now();
      const result = store.transaction(() => {
        const group = input.ref === undefined ? undefined : find(input.ref);
        const id = silences.create({
          groupKey: group && !matchers ? group.key : null,
          matchers: matchers ?? null,
          startsAt: now,
          endsAt: now + input.durationMs,
          createdBy: actor.userId,
          reason: input.reason?.trim() ? input.reason.trim().slice(0, 500) : null,
        });
        const silence = silences.get(id)!;
        audit(actor, 'alerts.silence', `alerts silence ${group ? group.groupId : 'labels'}`, null, { silence: id, groupKey: silence.groupKey, matchers: silence.matchers, endsAt: silence.endsAt, reason: silence.reason });
        return { silence, ...(group ? { group } : {}) };
      });
      for (const g of silencedBy(result.silence, result.group)) deps.refresh(g.id);
      return result;
    },
    silences: () => silences.active(clock.now()),
    unsilence(id, actor) {
      const silence = store.transaction(() => {
        const found = silences.get(id);
        if (!found || found.removedAt !== null || found.endsAt <= clock.now()) {
          throw new UserError('silence_unknown', `There is no silence ${id} in force.`, `\`${deps.commandPrefix} alerts silences\` lists them.`);
        }
        const at = clock.now();
        silences.remove(id, actor.userId, at);
        audit(actor, 'alerts.unsilence', `alerts unsilence ${id}`, { silence: id, endsAt: found.endsAt }, { silence: id, removedAt: at });
        return found;
      });
      // Groups it held were put off until it ended: what is pending is due again now.
      const now = clock.now();
      for (const group of silencedBy(silence)) {
        const due = nextNotificationAt(group.state, deps.windows);
        if (due !== undefined && (group.notifyAt === null || group.notifyAt > Math.max(due, now))) groups.update(group.id, { notifyAt: Math.max(due, now) }, now);
        deps.refresh(group.id);
      }
      deps.poke();
      return silence;
    },
    async declareIncident(ref, actor, options = {}) {
      const group = find(ref);
      if (group.incidentId) return { incidentId: group.incidentId, created: false, group };
      const pending = declaring.get(group.id);
      if (pending) return pending;
      const job = declare(group, actor, options.severity ?? incidentSeverity(group)).finally(() => declaring.delete(group.id));
      declaring.set(group.id, job);
      return job;
    },
    incidentSeverity: (ref) => incidentSeverity(find(ref)),
    setSuggestion(groupId, suggestion) {
      const ref = parseAlertGroupId(groupId, { bare: true });
      if (ref === undefined) throw new UserError('alert_group_unknown', `${groupId} is not an alert group id like AG-3.`);
      const group = find(ref);
      store.transaction(() => {
        groups.update(group.id, { suggestion }, clock.now());
        audit({ userId: 'opsbot', channel: group.channel || null }, 'alerts.suggest', `alerts suggest ${group.groupId}`, { suggestion: group.suggestion }, { suggestion });
      });
      deps.refresh(group.id);
    },
  };
}
