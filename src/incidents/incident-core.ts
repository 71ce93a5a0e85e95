import type { Logger } from 'pino';
import type { AgentRunner } from '../agents/agent-runner.ts';
import type { Clock } from '../clock.ts';
import type { Policy, Severity } from '../config/policy-schema.ts';
import type { GitHubOps } from '../integrations/github/github-types.ts';
import type { ChatPort, MessageContent, MessageRef } from '../slack/chat-port.ts';
import { incidentAnnouncement, incidentSummaryMessage, type PlaybookButton } from '../slack/views/incident-messages.ts';
import type { IncidentPatch, IncidentRepo } from '../store/incident-repo.ts';
import type { PagerDutyEventRepo } from '../store/pagerduty-event-repo.ts';
import type { AuditRepo } from '../store/types.ts';
import type { EscalationPolicy } from './escalation-policy.ts';
import type { IncidentSlack } from './incident-slack.ts';
import type { Incident, IncidentEvent } from './incident-types.ts';
import type { PagerDutySender } from './pagerduty-sender.ts';

/**
 * What every incident operation shares: its dependencies, and the one way a change is made —
 * the row, its timeline event and its audit entry in one transaction, before anything is said
 * in Slack — and the one way Slack is brought up to date afterwards.
 */

/** Who changes something, and where they asked (for the audit log). */
export interface Actor {
  userId: string;
  channel: string | null;
}

export const SYSTEM: Actor = { userId: 'system', channel: null };

export interface IncidentMetrics {
  declared(severity: Severity): void;
  acknowledged(severity: Severity, seconds: number): void;
  resolved(severity: Severity, seconds: number): void;
  open(counts: Record<Severity, number>): void;
}

export interface IncidentDeps {
  repo: IncidentRepo;
  audit: AuditRepo;
  /** Runs `fn` in one synchronous SQLite transaction. */
  transaction<T>(fn: () => T): T;
  chat: ChatPort;
  slack: IncidentSlack;
  clock: Clock;
  log: Logger;
  policy: Policy;
  /** From `incidents.escalation_file`; absent: nobody is paged. */
  escalation?: EscalationPolicy;
  /** With PAGERDUTY_ROUTING_KEY: the queue of Events API messages. */
  pagerduty?: { sender: PagerDutySender; events: PagerDutyEventRepo };
  agents: AgentRunner;
  github?: GitHubOps;
  metrics?: IncidentMetrics;
  dryRun: boolean;
  commandPrefix: string;
  redact(text: string): string;
  /** "Run playbook" buttons for an incident; wired by the playbook feature. */
  playbooksFor?(incident: Incident): readonly PlaybookButton[];
  /** A stored next-due time may have moved: the timer loop re-arms. */
  onTimersChanged?(): void;
}

export interface Change {
  patch?: IncidentPatch;
  event?: { kind: string; text: string; who?: string | null; at?: number; ref?: string };
  /** `incident.<action>` in the audit log. */
  action: string;
  actor: Actor;
  /** More for the audit entry. */
  details?: Record<string, unknown>;
}

export interface IncidentCore extends IncidentDeps {
  /** Writes the change in one transaction and returns the incident as stored after it. */
  commit(incident: Incident, change: Change): { incident: Incident; event: IncidentEvent | undefined };
  /** Edits the summary (and the announcement) to show the incident as stored now. Never throws. */
  refresh(incident: Incident): Promise<void>;
  /** Posts in the incident's channel or thread. Never throws: the change is stored already. */
  postHome(incident: Incident, message: MessageContent): Promise<MessageRef | undefined>;
  /** Where the incident lives: its channel, or its thread. */
  home(incident: Incident): { channel: string; threadTs?: string } | undefined;
  summaryMessage(incident: Incident): MessageContent;
  reportOpen(): void;
}

export function createIncidentCore(deps: IncidentDeps): IncidentCore {
  const { repo, clock, log } = deps;

  const home = (incident: Incident) => {
    if (!incident.channel) return undefined;
    return incident.mode === 'thread' && incident.threadTs ? { channel: incident.channel, threadTs: incident.threadTs } : { channel: incident.channel };
  };

  const summaryMessage = (incident: Incident) =>
    incidentSummaryMessage(incident, {
      now: clock.now(),
      severityText: deps.policy.severities[incident.severity].description,
      playbooks: incident.status === 'resolved' ? [] : (deps.playbooksFor?.(incident) ?? []),
    });

  const core: IncidentCore = {
    ...deps,
    home,
    summaryMessage,
    commit(incident, change) {
      const at = clock.now();
      let event: IncidentEvent | undefined;
      deps.transaction(() => {
        if (change.patch && Object.keys(change.patch).length > 0) repo.update(incident.number, change.patch, at);
        if (change.event) {
          event = repo.addEvent(
            {
              incident: incident.number,
              at: change.event.at ?? at,
              who: change.event.who === undefined ? change.actor.userId : change.event.who,
              kind: change.event.kind,
              text: change.event.text,
              ref: change.event.ref ?? null,
            },
            at,
          );
        }
        const before = change.patch ? Object.fromEntries(Object.keys(change.patch).map((key) => [key, incident[key as keyof Incident] ?? null])) : undefined;
        deps.audit.append({
          at,
          actor: change.actor.userId,
          channel: change.actor.channel,
          action: `incident.${change.action}`,
          command: null,
          args: deps.redact(
            JSON.stringify({
              incident: incident.id,
              ...(before ? { before, after: change.patch } : {}),
              ...(change.event ? { event: { kind: change.event.kind, text: change.event.text } } : {}),
              ...change.details,
            }),
          ),
          outcome: 'ok',
        });
      });
      return { incident: repo.get(incident.number) ?? incident, event };
    },
    async refresh(incident) {
      const fresh = repo.get(incident.number) ?? incident;
      try {
        if (fresh.channel && fresh.summaryTs) await deps.chat.update({ channel: fresh.channel, ts: fresh.summaryTs }, summaryMessage(fresh));
        if (fresh.announceChannel && fresh.announceTs && fresh.channel) {
          await deps.chat.update({ channel: fresh.announceChannel, ts: fresh.announceTs }, incidentAnnouncement(fresh, fresh.channel));
        }
      } catch (err) {
        log.warn({ err, incident: fresh.id }, 'could not update the incident summary');
      }
    },
    async postHome(incident, message) {
      const where = home(incident);
      if (!where) return undefined;
      try {
        return await deps.chat.post(where.channel, message, where.threadTs);
      } catch (err) {
        log.warn({ err, incident: incident.id }, 'could not post in the incident channel');
        return undefined;
      }
    },
    reportOpen() {
      try {
        deps.metrics?.open(repo.openCounts());
      } catch (err) {
        log.warn({ err }, 'could not count open incidents');
      }
    },
  };
  return core;
}
