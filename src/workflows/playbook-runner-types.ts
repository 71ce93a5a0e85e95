import type { Severity } from '../config/policy-schema.ts';

/**
 * Starting playbooks (playbooks/*.yaml) for an alert group or an incident, by a click or by
 * themselves. One implementation (playbook-runner.ts) over the workflow engine: a run that is not
 * automatic and whose playbook is not low risk waits for an approval in its thread; a high-risk
 * playbook never runs by itself; `/ops autorun off` stops every automatic start. Runs and their
 * approvals are put on the linked incident's timeline.
 */
export interface PlaybookStart {
  name: string;
  /** As text, like typed params; targets come from the alert's labels (params_from_alert). */
  params: Record<string, string>;
  /** Slack user id, or `opsbot` for an automatic start. */
  requestedBy: string;
  trigger: 'click' | 'auto';
  /** The alert group it is for (alerts issue), if any. */
  alertGroupId?: string;
  /** The incident it is for, if any (INC-n). */
  incidentId?: string;
  /** The severity the run is for: the triaged one, never below the alert's own. */
  severity?: Severity;
  /** Where the run's message goes: the group's or incident's channel and thread. */
  channel?: string;
  threadTs?: string;
  /** The Slack request that asked (trigger_id / event id): a replayed request finds its run. */
  requestKey?: string;
}

export interface PlaybookStarted {
  runId: string;
  /** true when the run waits for an approval before it changes anything. */
  needsApproval: boolean;
}

/** `requestedBy` of an automatic start. */
export const AUTOMATIC_REQUESTER = 'opsbot';

export interface PlaybookRunner {
  start(request: PlaybookStart): Promise<PlaybookStarted>;
}
