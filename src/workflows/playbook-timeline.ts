import type { Logger } from 'pino';
import { utcTime } from '../commands/time-format.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import type { NewIncidentEvent } from '../incidents/incident-types.ts';
import { FINISHED_RUN_STATUSES, type Store, type WorkflowApproval, type WorkflowRun } from '../store/types.ts';
import type { PlaybookRunLink } from './definition.ts';
import type { WorkflowEvents } from './engine.ts';
import { AUTOMATIC_REQUESTER } from './playbook-runner-types.ts';

/**
 * Playbook runs on incident timelines. A run linked to an incident (its stored definition carries
 * `playbookRun.incidentId`) puts there, from the engine's own events: its start (the runner tells
 * `started`), each approval request, each decision (who, when, approve or reject) and how an
 * approval ended when nobody decided (expired, cancelled), and how the run ended. Each event has a
 * `ref` (`wf-3:approval:2:U0BOB`), so an event reported twice — a repeated engine event, a restart —
 * is on the timeline once.
 *
 * Linked runs are known from the runner (new ones), from their approvals (a run's first approval
 * is requested while the runner is still starting it), and, once per process, from the unfinished
 * runs in the store (runs started before a restart). The start always comes first on the
 * timeline: whichever of these sees a run first tells it. A run finished before a restart and
 * retried after it is not followed again: its retry does not reach the timeline.
 */

export interface PlaybookTimelineDeps {
  store: Pick<Store, 'workflowRuns' | 'workflowApprovals'>;
  incidents: Pick<IncidentService, 'recordEvent'>;
  log: Logger;
}

interface Linked {
  playbook: string;
  incidentId: string;
}

export interface PlaybookTimeline extends Pick<WorkflowEvents, 'runChanged' | 'approvalRequested' | 'approvalDecided'> {
  /** A linked run was recorded: its start goes on the timeline now (once). */
  started(runId: string): void;
}

const FINISHED = new Set<string>(FINISHED_RUN_STATUSES);

export function createPlaybookTimeline(deps: PlaybookTimelineDeps): PlaybookTimeline {
  const { store, log } = deps;
  const linked = new Map<string, Linked>();
  /** Refs recorded by this process: an engine event repeats often, a timeline write (and its audit row) should not. */
  const told = new Set<string>();
  let loaded = false;

  const linkOf = (run: Pick<WorkflowRun, 'workflow' | 'definition'>): Linked | undefined => {
    const link: PlaybookRunLink | undefined = run.definition.playbookRun;
    return link?.incidentId ? { playbook: run.workflow, incidentId: link.incidentId } : undefined;
  };

  /** A run's link, from memory; `lookUp` also reads the run (rare events: a start, an approval). */
  function find(runId: string, lookUp = false): Linked | undefined {
    if (!loaded) {
      loaded = true;
      for (const run of store.workflowRuns.unfinished()) {
        const link = linkOf(run);
        if (link) linked.set(run.id, link);
      }
    }
    let link = linked.get(runId);
    if (!link && lookUp) {
      const run = store.workflowRuns.get(runId);
      link = run && linkOf(run);
      if (link) linked.set(runId, link);
    }
    if (link) tellStart(runId, link);
    return link;
  }

  function tellStart(runId: string, link: Linked): void {
    const ref = `${runId}:start`;
    if (told.has(ref)) return;
    const run = store.workflowRuns.get(runId);
    if (run) void record(link, ref, { kind: 'playbook', who: run.requestedBy === AUTOMATIC_REQUESTER ? null : run.requestedBy, text: startText(run), at: run.createdAt });
  }

  function tellEnd(runId: string, link: Linked): void {
    const run = store.workflowRuns.get(runId);
    if (!run || !FINISHED.has(run.status)) return;
    const at = run.finishedAt ?? run.updatedAt;
    void record(link, `${runId}:end:${at}`, { kind: 'playbook', who: null, text: `playbook ${link.playbook} (${runId}) ${run.status.replace('_', ' ')}${run.error ? `: ${run.error}` : ''}`, at });
  }

  async function record(link: Linked, ref: string, event: Omit<NewIncidentEvent, 'ref'>): Promise<void> {
    if (told.has(ref)) return;
    told.add(ref);
    try {
      await deps.incidents.recordEvent(link.incidentId, { ...event, ref });
    } catch (err) {
      // The run goes on; the timeline misses one line, and the log says which.
      log.warn({ err, incident: link.incidentId, ref }, 'playbook event could not be put on the incident timeline');
    }
  }

  const approvalOf = (approvalId: number): { approval: WorkflowApproval; link: Linked } | undefined => {
    const approval = store.workflowApprovals.get(approvalId);
    const link = approval && find(approval.runId, true);
    return approval && link ? { approval, link } : undefined;
  };

  return {
    started(runId) {
      // A run whose steps were all skipped may have finished before the runner got here.
      const link = find(runId, true);
      if (link) tellEnd(runId, link);
    },

    runChanged(runId) {
      const link = find(runId);
      if (link) tellEnd(runId, link);
    },

    approvalRequested(approvalId) {
      const found = approvalOf(approvalId);
      if (!found) return;
      const { approval, link } = found;
      void record(link, `${approval.runId}:approval:${approval.id}:requested`, {
        kind: 'approval',
        who: null,
        text: `${approval.runId} (playbook ${link.playbook}) waits for ${approval.min} approval${approval.min === 1 ? '' : 's'} by ${approversText(approval)}, until ${utcTime(approval.expiresAt)}`,
        at: approval.createdAt,
      });
    },

    approvalDecided(approvalId) {
      const found = approvalOf(approvalId);
      if (!found) return;
      const { approval, link } = found;
      for (const decision of store.workflowApprovals.decisions(approval.id)) {
        void record(link, `${approval.runId}:approval:${approval.id}:${decision.userId}`, {
          kind: 'approval',
          who: decision.userId,
          text: `${decision.decision === 'approve' ? 'approved' : 'rejected'} ${approval.runId} (playbook ${link.playbook})${decision.reason ? `: ${decision.reason}` : ''}`,
          at: decision.at,
        });
      }
      if (approval.status === 'expired' || approval.status === 'cancelled') {
        void record(link, `${approval.runId}:approval:${approval.id}:${approval.status}`, {
          kind: 'approval',
          who: null,
          text: `the approval of ${approval.runId} (playbook ${link.playbook}) ${approval.status === 'expired' ? 'expired without enough approvals' : 'was cancelled'}`,
          at: approval.decidedAt ?? approval.expiresAt,
        });
      }
    },
  };
}

/** `started playbook X as wf-3 by request (medium risk, scale-out) namespace=shop deployment=api; it waits for an approval by a responder`. */
export function startText(run: Pick<WorkflowRun, 'id' | 'workflow' | 'definition' | 'params'>): string {
  const link = run.definition.playbookRun;
  const spec = run.definition.playbook;
  const how = link?.trigger === 'auto' ? `automatically${link.severity ? ` for ${link.severity}` : ''}` : 'by request';
  const targets = Object.entries(run.params)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const gate = link?.approvalStep === undefined ? undefined : run.definition.steps.find((s) => s.id === link.approvalStep);
  const approver = gate?.kind === 'approval' ? gate.approvers.roles[0] : undefined;
  return [
    `started playbook ${run.workflow} as ${run.id} ${how}`,
    spec ? ` (${spec.risk} risk, ${spec.remediation})` : '',
    targets ? ` ${targets}` : '',
    link?.alertGroupId ? ` for alert group ${link.alertGroupId}` : '',
    approver ? `; it waits for an approval by a ${approver}` : '',
  ].join('');
}

function approversText(approval: WorkflowApproval): string {
  const { users, groups, roles } = approval.approvers;
  // Timeline text is shown escaped: people and groups by id, not as mentions.
  const parts = [...users.map((u) => `user ${u}`), ...groups.map((g) => `group ${g}`), ...roles.map((r) => `a ${r}`)];
  return parts.length > 0 ? parts.join(' or ') : 'nobody';
}
