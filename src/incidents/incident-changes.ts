import { context, escapeMrkdwn, section } from '../commands/blocks.ts';
import type { Severity } from '../config/policy-schema.ts';
import { formatDuration } from '../agents/offline/postmortem-template.ts';
import { UserError } from '../errors.ts';
import type { MessageContent } from '../slack/chat-port.ts';
import type { Actor, IncidentCore } from './incident-core.ts';
import type { Paging } from './incident-paging.ts';
import type { Incident, IncidentEvent, IncidentRole, IncidentStatus, NewIncidentEvent } from './incident-types.ts';

/**
 * Changes to an open incident: status updates, severity, roles, notes, acknowledgement, and
 * events other parts of opsbot report (alerts, workflow and playbook runs, approvals). Each is
 * stored with its timeline event and audit entry first; then the pinned summary is edited and a
 * line is posted where the incident lives.
 */

const SEVERITY_ORDER: readonly Severity[] = ['P4', 'P3', 'P2', 'P1'];

function line(text: string): MessageContent {
  return { text, blocks: [section(text)] };
}

export function requireOpen(incident: Incident, what: string): void {
  if (incident.status === 'resolved') {
    throw new UserError(
      'incident_resolved',
      `${incident.id} is already resolved${incident.resolvedAt !== null ? ` (after ${formatDuration(incident.resolvedAt - incident.declaredAt)})` : ''}; it cannot ${what}.`,
      'Declare a new incident if it is happening again.',
    );
  }
}

export interface IncidentChanges {
  update(incident: Incident, change: { text?: string; status?: IncidentStatus }, actor: Actor): Promise<Incident>;
  setSeverity(incident: Incident, severity: Severity, actor: Actor): Promise<Incident>;
  assign(incident: Incident, user: string, role: IncidentRole, actor: Actor): Promise<{ incident: Incident; changed: boolean }>;
  note(incident: Incident, text: string, actor: Actor, options?: { ref?: string; at?: number; who?: string | null; quiet?: boolean }): Promise<IncidentEvent | undefined>;
  record(incident: Incident, event: NewIncidentEvent, options?: { post?: boolean; actor?: Actor }): Promise<IncidentEvent | undefined>;
  acknowledge(incident: Incident, actor: Actor): Promise<{ incident: Incident; already: boolean }>;
}

export function createIncidentChanges(core: IncidentCore, paging: Paging): IncidentChanges {
  const { clock } = core;

  return {
    async update(incident, { text, status }, actor) {
      requireOpen(incident, 'be updated');
      if (status === 'resolved') throw new UserError('incident_use_resolve', `Resolve ${incident.id} with \`${core.commandPrefix} incident resolve ${incident.id} "what fixed it"\`.`);
      const now = clock.now();
      const reminder = core.policy.incidents.statusReminderMs;
      const clean = text?.trim() ? core.redact(text.trim()) : undefined;
      const statusChanged = status !== undefined && status !== incident.status;
      if (!clean && !statusChanged) throw new UserError('incident_update_empty', `Nothing to update: ${incident.id} is already ${incident.status}.`, `Say what changed: \`${core.commandPrefix} incident update ${incident.id} "…" [status=identified]\`.`);
      const { incident: after } = core.commit(incident, {
        patch: {
          ...(clean ? { lastUpdate: clean } : {}),
          lastUpdateAt: now,
          nextReminderAt: reminder > 0 ? now + reminder : null,
          ...(statusChanged ? { status } : {}),
          ...(status === 'monitoring' && incident.mitigatedAt === null ? { mitigatedAt: now } : {}),
        },
        event: statusChanged
          ? { kind: 'status', text: `${incident.status} → ${status}${clean ? `: ${clean}` : ''}` }
          : { kind: 'update', text: clean ?? '' },
        action: statusChanged ? 'status' : 'update',
        actor,
      });
      core.onTimersChanged?.();
      await core.refresh(after);
      const head = statusChanged ? `📣 *${after.id}* is now *${after.status}*` : `📣 *Update on ${after.id}*`;
      await core.postHome(after, line(`${head} — <@${actor.userId}>${clean ? `\n${escapeMrkdwn(clean)}` : ''}`));
      return after;
    },

    async setSeverity(incident, severity, actor) {
      requireOpen(incident, 'change severity');
      if (severity === incident.severity) throw new UserError('incident_severity_same', `${incident.id} is already ${severity}.`);
      const raised = SEVERITY_ORDER.indexOf(severity) > SEVERITY_ORDER.indexOf(incident.severity);
      const { incident: changed } = core.commit(incident, {
        patch: { severity },
        event: { kind: 'severity', text: `${incident.severity} → ${severity}` },
        action: 'severity',
        actor,
      });
      core.reportOpen();
      await core.refresh(changed);
      await core.postHome(changed, line(`${raised ? '⬆️' : '⬇️'} <@${actor.userId}> changed the severity of *${changed.id}* from ${incident.severity} to *${severity}*.`));
      return paging.recheck(changed, actor);
    },

    async assign(incident, user, role, actor) {
      requireOpen(incident, 'change roles');
      if (role === 'responder' && (incident.responders.includes(user) || incident.commander === user)) return { incident, changed: false };
      if (role === 'commander' && incident.commander === user) return { incident, changed: false };
      if (role === 'communications' && incident.communications === user) return { incident, changed: false };
      let after: Incident;
      if (role === 'responder') {
        after = core.transaction(() => {
          core.repo.addResponder(incident.number, user, actor.userId, clock.now());
          return core.commit(incident, { event: { kind: 'role', text: `<@${user}> joined as responder` }, action: 'assign', actor, details: { user, role } }).incident;
        });
      } else {
        const previous = role === 'commander' ? incident.commander : incident.communications;
        after = core.transaction(() => {
          // The one handing over stays on as a responder.
          if (previous && previous !== user) core.repo.addResponder(incident.number, previous, actor.userId, clock.now());
          core.repo.removeResponder(incident.number, user);
          return core.commit(incident, {
            patch: role === 'commander' ? { commander: user } : { communications: user },
            event: { kind: 'role', text: `<@${user}> is now ${role === 'commander' ? 'commander' : 'communications lead'}${previous ? ` (was <@${previous}>)` : ''}` },
            action: 'assign',
            actor,
            details: { user, role },
          }).incident;
        });
      }
      if (after.mode === 'channel' && after.channel) await core.slack.invite(after.channel, [user]);
      await core.refresh(after);
      await core.postHome(after, line(`👤 <@${actor.userId}> made <@${user}> ${role === 'communications' ? 'communications lead' : role} of *${after.id}*.`));
      return { incident: after, changed: true };
    },

    async note(incident, text, actor, options = {}) {
      const clean = core.redact(text.trim());
      if (!clean) throw new UserError('incident_note_empty', 'The note is empty.', `\`${core.commandPrefix} incident note ${incident.id} "what you saw"\``);
      const { event } = core.commit(incident, {
        event: { kind: 'note', text: clean, ...(options.ref ? { ref: options.ref } : {}), ...(options.at !== undefined ? { at: options.at } : {}), ...(options.who !== undefined ? { who: options.who } : {}) },
        action: 'note',
        actor,
      });
      if (event && !options.quiet) await core.postHome(incident, { text: `📝 Noted on ${incident.id}'s timeline`, blocks: [context(`📝 <@${actor.userId}> noted on the timeline: ${escapeMrkdwn(clean)}`)] });
      return event;
    },

    async record(incident, event, options = {}) {
      const actor = options.actor ?? { userId: event.who ?? 'system', channel: null };
      const { event: stored } = core.commit(incident, {
        event: { kind: event.kind, text: core.redact(event.text), who: event.who, ...(event.at !== undefined ? { at: event.at } : {}), ...(event.ref !== undefined ? { ref: event.ref } : {}) },
        action: `event.${event.kind}`,
        actor,
      });
      if (stored && options.post) {
        await core.postHome(incident, { text: `${incident.id}: ${event.kind}: ${event.text}`, blocks: [context(`🧾 *${escapeMrkdwn(event.kind)}*${event.who ? ` · <@${event.who}>` : ''}: ${escapeMrkdwn(event.text)}`)] });
      }
      return stored;
    },

    async acknowledge(incident, actor) {
      if (incident.acknowledgedAt !== null) return { incident, already: true };
      requireOpen(incident, 'be acknowledged');
      const now = clock.now();
      const { incident: after } = core.commit(incident, {
        patch: { acknowledgedAt: now, acknowledgedBy: actor.userId, nextPageAt: null },
        event: { kind: 'ack', text: `Acknowledged${incident.pages > 0 ? ` after ${incident.pages} page${incident.pages === 1 ? '' : 's'}` : ''}` },
        action: 'ack',
        actor,
      });
      core.metrics?.acknowledged(after.severity, (now - after.declaredAt) / 1000);
      core.onTimersChanged?.();
      paging.pagerDuty(after, 'acknowledge', actor);
      await core.refresh(after);
      await core.postHome(after, line(`✅ <@${actor.userId}> acknowledged *${after.id}* after ${formatDuration(now - after.declaredAt)}.`));
      return { incident: after, already: false };
    },
  };
}
