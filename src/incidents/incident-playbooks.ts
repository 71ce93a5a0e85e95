import type { AlertGroup } from '../alerts/alert.ts';
import { playbookCandidates } from '../agents/playbook-candidate.ts';
import type { PlaybookButton } from '../slack/views/incident-messages.ts';
import { playbookRunCommand } from '../slack/views/playbook-views.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import type { Incident } from './incident-types.ts';

/**
 * The "Run playbook" buttons on an incident's summary: the playbooks whose match rules fit the
 * alert groups linked to it (their labels fill in the targets, as on the alert group itself), then
 * those fitting the incident itself — its service as the `service` label, its title and summary as
 * the alert's summary and description, so `services:` and `text:` matchers apply. Best match
 * first, each playbook once. A button runs `playbook run <name> <targets> incident=INC-n`; targets
 * the labels could not give are asked for in a form when it is clicked.
 */

export interface LinkedAlertGroup {
  /** The stored group's id (`alert=<id>` in the command). */
  id: string;
  group: AlertGroup;
}

export interface IncidentPlaybookDeps {
  definitions(): Iterable<WorkflowDefinition>;
  /** The alert groups linked to the incident (the alerts issue stores the link); none without it. */
  linkedAlertGroups?(incident: Incident): readonly LinkedAlertGroup[];
}

/** The incident as an alert a playbook can match: what people wrote, never a target. */
export function incidentSubject(incident: Incident): AlertGroup {
  const labels: Record<string, string> = incident.service ? { service: incident.service } : {};
  const annotations: Record<string, string> = { summary: incident.title, ...(incident.summary ? { description: incident.summary } : {}) };
  return { key: incident.id, commonLabels: labels, commonAnnotations: annotations, alerts: [{ status: 'firing', labels, annotations }] };
}

export function incidentPlaybookButtons(incident: Incident, deps: IncidentPlaybookDeps): PlaybookButton[] {
  const definitions = [...deps.definitions()].filter((d) => d.source === 'playbook');
  if (definitions.length === 0) return [];
  const subjects: Array<{ alert?: string; group: AlertGroup }> = [
    ...(deps.linkedAlertGroups?.(incident) ?? []).map((linked) => ({ alert: linked.id, group: linked.group })),
    { group: incidentSubject(incident) },
  ];
  const seen = new Set<string>();
  const buttons: PlaybookButton[] = [];
  for (const subject of subjects) {
    for (const candidate of playbookCandidates(subject.group, definitions)) {
      if (seen.has(candidate.name)) continue;
      seen.add(candidate.name);
      buttons.push({
        label: `Run ${candidate.name} (${candidate.risk} risk)`,
        command: playbookRunCommand(candidate.name, candidate.params, { incident: incident.id, ...(subject.alert ? { alert: subject.alert } : {}) }),
      });
    }
  }
  return buttons;
}
