import { UserError } from '../errors.ts';
import { formatDuration } from '../agents/offline/postmortem-template.ts';
import { pageMessage, reminderMessage } from '../slack/views/incident-messages.ts';
import { type Actor, type IncidentCore, SYSTEM } from './incident-core.ts';
import { escalationRuleFor, type EscalationRule } from './escalation-policy.ts';
import type { Incident } from './incident-types.ts';

/**
 * Paging and reminders. An incident an escalation rule matches is paged at once (its rule's
 * `page` groups), then again every `repage_interval` until someone acknowledges; once
 * `ack_timeout` has passed since the first page, `escalate_to` is paged as well. The next page and
 * the next status reminder are stored on the incident, so they survive a restart; the timer loop
 * (incident-timers.ts) wakes for the earliest and calls `runDue`.
 */

const PD_SEVERITY = { P1: 'critical', P2: 'error', P3: 'warning', P4: 'info' } as const;

const mentions = (groups: readonly string[]) => groups.map((g) => `<!subteam^${g}>`).join(' ');

export interface Paging {
  /** After declaring or raising the severity: pages when a rule matches and nobody was paged yet. */
  start(incident: Incident, actor: Actor): Promise<Incident>;
  /** The severity or service changed: paging stops when no rule matches any more. */
  recheck(incident: Incident, actor: Actor): Promise<Incident>;
  escalate(incident: Incident, actor: Actor): Promise<Incident>;
  /** Pages and reminds whatever is due now. */
  runDue(): Promise<void>;
  /** Queues a PagerDuty event for the incident (nothing without a routing key; logged in DRY_RUN). */
  pagerDuty(incident: Incident, action: 'trigger' | 'acknowledge' | 'resolve', actor: Actor): void;
}

export function createPaging(core: IncidentCore): Paging {
  const { clock, log, repo } = core;
  const ruleFor = (incident: Incident) => escalationRuleFor(core.escalation, incident);

  /** The next page: the re-page interval, or sooner when the acknowledgement timeout escalates first. */
  function nextPageAt(incident: Incident, rule: EscalationRule, now: number, level: number, pagedAt: number): number {
    const repage = now + rule.repageIntervalMs;
    if (level === 0 && rule.escalateTo.length > 0) return Math.min(repage, pagedAt + rule.ackTimeoutMs);
    return repage;
  }

  /** Pages are posted where the groups are: the incidents channel in channel mode, else the thread. */
  function pageTarget(incident: Incident): { channel: string; threadTs?: string } | undefined {
    if (incident.mode === 'channel' && incident.announceChannel) return { channel: incident.announceChannel };
    return core.home(incident);
  }

  async function page(incident: Incident, rule: EscalationRule, options: { level: number; reason: 'first' | 'repage' | 'escalated' | 'manual'; actor: Actor }): Promise<Incident> {
    const now = clock.now();
    const groups = options.level >= 1 ? [...rule.page, ...rule.escalateTo] : rule.page;
    const number = incident.pages + 1;
    const target = pageTarget(incident);
    if (target) {
      const message = pageMessage(incident, groups, {
        page: number,
        escalated: options.level >= 1 && options.reason !== 'manual',
        where: incident.mode === 'channel' && incident.channel !== target.channel ? incident.channel : null,
      });
      try {
        await core.chat.post(target.channel, message, target.threadTs);
      } catch (err) {
        // The page is still counted and the next one scheduled: a Slack outage must not stop paging.
        log.warn({ err, incident: incident.id }, 'could not post the page');
      }
    }
    const pagedAt = incident.pagedAt ?? now;
    const acknowledged = incident.acknowledgedAt !== null;
    const firstEvent = options.reason === 'first' ? { kind: 'page', text: `Paged ${mentions(groups)}`, who: null } : undefined;
    const { incident: after } = core.commit(incident, {
      patch: {
        pages: number,
        pagedAt,
        escalationLevel: options.level,
        nextPageAt: acknowledged || incident.status === 'resolved' ? null : nextPageAt(incident, rule, now, options.level, pagedAt),
      },
      ...(firstEvent ? { event: firstEvent } : {}),
      action: 'page',
      actor: options.actor,
      details: { groups, page: number, reason: options.reason },
    });
    core.onTimersChanged?.();
    await core.refresh(after);
    return after;
  }

  const paging: Paging = {
    async start(incident, actor) {
      const rule = ruleFor(incident);
      if (!rule || incident.pages > 0 || incident.acknowledgedAt !== null || incident.status === 'resolved') return incident;
      const paged = await page(incident, rule, { level: 0, reason: 'first', actor });
      paging.pagerDuty(paged, 'trigger', actor);
      return paged;
    },

    async recheck(incident, actor) {
      if (incident.pages === 0) return paging.start(incident, actor);
      const rule = ruleFor(incident);
      if (rule && incident.nextPageAt === null && incident.acknowledgedAt === null && incident.status !== 'resolved') {
        // Paged once, stopped when no rule matched, matched again: paging goes on from now.
        return page(incident, rule, { level: incident.escalationLevel, reason: 'repage', actor });
      }
      if (incident.nextPageAt !== null && !rule) {
        const { incident: after } = core.commit(incident, { patch: { nextPageAt: null }, action: 'page.stop', actor, details: { reason: 'no escalation rule matches any more' } });
        core.onTimersChanged?.();
        return after;
      }
      return incident;
    },

    async escalate(incident, actor) {
      if (incident.status === 'resolved') throw new UserError('incident_resolved', `${incident.id} is resolved; there is nobody to page.`);
      const rule = ruleFor(incident);
      if (!rule && !core.pagerduty) {
        const why = core.escalation
          ? `no rule in ${core.escalation.file} matches ${incident.id} (${incident.severity}${incident.service ? `, service ${incident.service}` : ', no service'})`
          : 'opsbot.yaml names no escalation file (`incidents.escalation_file`)';
        throw new UserError('no_escalation_policy', `Nobody to page for ${incident.id}: ${why}.`, 'Add a rule for this service and severity, or page people directly.');
      }
      const level = rule && rule.escalateTo.length > 0 ? 1 : incident.escalationLevel;
      const groups = rule ? (level >= 1 ? [...rule.page, ...rule.escalateTo] : rule.page) : [];
      const { incident: escalated } = core.commit(incident, {
        event: { kind: 'escalated', text: groups.length > 0 ? `Escalated: paging ${mentions(groups)}${core.pagerduty ? ' and PagerDuty' : ''}` : 'Escalated to PagerDuty' },
        action: 'escalate',
        actor,
        details: { groups },
      });
      const after = rule ? await page(escalated, rule, { level, reason: 'manual', actor }) : escalated;
      paging.pagerDuty(after, 'trigger', actor);
      return after;
    },

    async runDue() {
      const now = clock.now();
      for (const due of repo.dueTimers(now)) {
        try {
          let incident = due;
          if (incident.nextPageAt !== null && incident.nextPageAt <= now) incident = await repage(incident);
          if (incident.nextReminderAt !== null && incident.nextReminderAt <= now) await remind(incident);
        } catch (err) {
          log.error({ err, incident: due.id }, 'incident timer failed');
        }
      }
    },

    pagerDuty(incident, action, actor) {
      if (!core.pagerduty) return;
      if (action !== 'trigger' && !core.pagerduty.events.forIncident(incident.number).some((e) => e.action === 'trigger')) return;
      if (core.dryRun) {
        core.commit(incident, { event: { kind: 'pagerduty', text: `DRY RUN: would send PagerDuty ${action}`, who: null }, action: 'pagerduty', actor, details: { action, dryRun: true } });
        return;
      }
      const payload: Record<string, unknown> =
        action === 'trigger'
          ? {
              event_action: 'trigger',
              dedup_key: incident.id,
              payload: {
                summary: `${incident.id} (${incident.severity}) ${incident.title}`.slice(0, 1024),
                source: incident.service ?? 'opsbot',
                severity: PD_SEVERITY[incident.severity],
                ...(incident.service ? { component: incident.service } : {}),
                class: 'incident',
                custom_details: { incident: incident.id, status: incident.status, commander: incident.commander, declared_at: new Date(incident.declaredAt).toISOString() },
              },
              client: 'opsbot',
            }
          : { event_action: action, dedup_key: incident.id };
      core.pagerduty.sender.enqueue(incident.number, action, payload, clock.now());
      core.audit.append({ at: clock.now(), actor: actor.userId, channel: actor.channel, action: 'incident.pagerduty', args: JSON.stringify({ incident: incident.id, action }), outcome: 'queued' });
      core.onTimersChanged?.();
    },
  };

  async function repage(incident: Incident): Promise<Incident> {
    const rule = ruleFor(incident);
    if (!rule || incident.acknowledgedAt !== null) {
      const { incident: after } = core.commit(incident, { patch: { nextPageAt: null }, action: 'page.stop', actor: SYSTEM, details: { reason: rule ? 'acknowledged' : 'no escalation rule matches' } });
      return after;
    }
    const now = clock.now();
    let level = incident.escalationLevel;
    let current = incident;
    if (level === 0 && rule.escalateTo.length > 0 && now >= (incident.pagedAt ?? incident.declaredAt) + rule.ackTimeoutMs) {
      level = 1;
      current = core.commit(incident, {
        patch: { escalationLevel: 1 },
        event: { kind: 'escalated', text: `Not acknowledged after ${formatDuration(rule.ackTimeoutMs)}: escalated to ${mentions(rule.escalateTo)}`, who: null },
        action: 'escalate',
        actor: SYSTEM,
        details: { groups: rule.escalateTo, automatic: true },
      }).incident;
    }
    return page(current, rule, { level, reason: level > incident.escalationLevel ? 'escalated' : 'repage', actor: SYSTEM });
  }

  async function remind(incident: Incident): Promise<void> {
    const interval = core.policy.incidents.statusReminderMs;
    const now = clock.now();
    if (interval > 0) await core.postHome(incident, reminderMessage(incident, now - incident.lastUpdateAt, core.commandPrefix));
    core.commit(incident, { patch: { nextReminderAt: interval > 0 ? now + interval : null }, action: 'reminder', actor: SYSTEM, details: { since: incident.lastUpdateAt } });
  }

  return paging;
}
