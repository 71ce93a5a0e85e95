import type { AutorunDecision } from '../agents/autorun-policy.ts';
import type { FixOutput, ReviewOutput, TriageOutput } from '../agents/output-schemas.ts';
import type { PlaybookCandidate } from '../agents/playbook-candidate.ts';
import type { Severity } from '../config/policy-schema.ts';
import type { Logger } from '../logger.ts';
import type { AlertGroup } from './alert.ts';

/**
 * The triage loop's contract with alert intake: intake calls `triage` once per new alert group
 * (after its first Slack message is posted), and the loop — triage, then fix ⇄ review up to
 * MAX_TRIAGE_ITERATIONS within one model-call budget — replies in the group's thread.
 */
export interface TriageRequest {
  /** The stored group's id. */
  groupId: string;
  group: AlertGroup;
  /** The group's parent message: the reply and its progress go in this thread. */
  channel: string;
  threadTs: string;
}

export interface TriageOutcome {
  triage: TriageOutput;
  /** The last proposal, accepted or not. */
  fix?: FixOutput;
  review?: ReviewOutput;
  accepted: boolean;
  /** Fix/review rounds run. */
  rounds: number;
  /** Why a person must decide (limit reached, no playbook fits, model unavailable…). */
  needsHuman?: string;
  playbook?: PlaybookCandidate;
  autorun: AutorunDecision;
  /** Never below the alerts' own. */
  severity: Severity;
  /** Agent runs, in order (triage, fix, review, fix, review…). */
  runIds: string[];
  /** Incident declared (or linked) for this group, when the severity reached the policy's threshold. */
  incidentId?: string;
}

export interface AlertTriage {
  triage(request: TriageRequest, log: Logger): Promise<TriageOutcome>;
}
