import { severityRank } from '../agents/taxonomy.ts';
import type { Severity } from '../config/policy-schema.ts';
import { errorMessage } from '../errors.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import type { Logger } from '../logger.ts';
import type { TriageIncidentNote } from '../slack/views/triage-views.ts';

export interface TriageIncidentDeps {
  incidents: Pick<IncidentService, 'declare' | 'recordEvent'>;
  /** Who declares: opsbot's own Slack user (`system` until it is known). */
  declarer: () => string;
  /** A link to the group's message for the timeline, when Slack gives one. */
  permalink?: (channel: string, ts: string) => Promise<string | undefined>;
}

export interface GroupIncidentRequest {
  groupId: string;
  alertName: string;
  firing: number;
  /** The triaged severity, never below the alerts' own. */
  severity: Severity;
  service: string | null;
  summary: string;
  channel: string;
  threadTs: string;
}

/** The Slack request key of a group's incident: the same group finds its incident again instead of declaring another. */
export function groupIncidentKey(groupId: string): string {
  return `alert-group:${groupId}`;
}

export function reachesThreshold(severity: Severity, threshold: Severity | undefined): boolean {
  return threshold !== undefined && severityRank(severity) <= severityRank(threshold);
}

/**
 * Declares the group's incident (once: a second call for the same group finds the first by its
 * request key) and puts the group on its timeline as an `alert` event (kept once by its ref).
 * Never throws: a failure comes back as a note for the reply.
 */
export async function declareGroupIncident(deps: TriageIncidentDeps, request: GroupIncidentRequest, options: { dryRun: boolean; log: Logger }): Promise<TriageIncidentNote> {
  const { severity } = request;
  if (options.dryRun) {
    options.log.info({ groupId: request.groupId, severity }, 'DRY RUN: would declare an incident for the alert group');
    return { kind: 'dry-run', severity };
  }
  try {
    const { incident, created } = await deps.incidents.declare(
      { title: `${request.alertName}${request.service ? ` (${request.service})` : ''}`, severity, ...(request.service ? { service: request.service } : {}), summary: request.summary },
      { userId: deps.declarer(), channel: request.channel, requestKey: groupIncidentKey(request.groupId) },
    );
    const link = await deps.permalink?.(request.channel, request.threadTs).catch(() => undefined);
    await deps.incidents.recordEvent(incident.id, {
      kind: 'alert',
      who: null,
      text: `Alert group ${request.alertName} (${request.firing} firing), triaged ${severity}: ${request.summary}${link ? ` (${link})` : ''}`,
      ref: groupIncidentKey(request.groupId),
    });
    options.log.info({ groupId: request.groupId, incident: incident.id, created }, created ? 'incident declared for the alert group' : 'alert group linked to its incident');
    return { kind: created ? 'declared' : 'linked', id: incident.id, severity: incident.severity };
  } catch (err) {
    options.log.error({ err: errorMessage(err), groupId: request.groupId, severity }, 'could not declare the incident for the alert group');
    return { kind: 'failed', severity, error: errorMessage(err) };
  }
}
