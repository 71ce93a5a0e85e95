import type { AutorunDecision } from '../agents/autorun-policy.ts';
import type { FixOutput, ReviewOutput, TriageOutput } from '../agents/output-schemas.ts';
import type { PlaybookCandidate } from '../agents/playbook-candidate.ts';
import type { Severity } from '../config/policy-schema.ts';
import type { Logger } from '../logger.ts';
import type { AgentProvider } from '../store/types.ts';
import type { PlaybookStarted } from '../workflows/playbook-runner-types.ts';
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
  // ── Added by alert intake ──
  /**
   * DRY_RUN (or no message could be posted): the group's message was logged, not posted, so
   * `threadTs` is '' — log the reply instead of posting it. Intake stores the outcome all the same.
   */
  dryRun?: true;
}

/*
 * What intake does with the outcome (src/alerts/alert-triage-runner.ts): stores a summary on the
 * group (severity, accepted, needsHuman, playbook, incidentId, runIds; `/ops alerts show`), links
 * `incidentId` to the group, and — when `accepted` — puts a "Run suggested playbook" button on the
 * group's parent message running `runCommand` (else one built from `playbook` and its params).
 * To set or change that button from elsewhere: `app.alerts.service.setSuggestion(groupId, { label, command })`.
 * opsbot.yaml `alerts.reply_prefix` (Policy.alerts.replyPrefix, e.g. `[auto-ops]`) goes before the
 * text of opsbot's posts in alert channels; `alerts.incident_threshold` (Policy.alerts.incidentThreshold)
 * is the severity at or above which the loop declares an incident.
 */

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
  // ── Added by the triage loop (optional, so fakes of AlertTriage need not fill them) ──
  /** Each agent run, in order, with what the reply says about it. */
  steps?: TriageStep[];
  /** Each proposal and its review, in order: a rejection and the revision that followed. */
  proposals?: TriageProposal[];
  /** The playbook run started automatically, when one was. */
  started?: PlaybookStarted;
  /** What the reply's Run button runs (`playbook run <name> k=v… alert=<group id>`), when it has one. */
  runCommand?: string;
}

/** One agent run of the loop as the reply reports it. */
export interface TriageStep {
  agent: 'triage' | 'fix' | 'review';
  /** 0 for the triage, else the fix/review round (1-based). */
  round: number;
  /** Absent only when the runner itself threw and the offline answer was used without a record. */
  runId?: string;
  provider: AgentProvider;
  model: string | null;
  /** The runner's notes: which provider answered, a fallback, `Blocked:` lines. */
  notes: string[];
}

export interface TriageProposal {
  round: number;
  fix: FixOutput;
  review?: ReviewOutput;
}

export interface AlertTriage {
  triage(request: TriageRequest, log: Logger): Promise<TriageOutcome>;
}
