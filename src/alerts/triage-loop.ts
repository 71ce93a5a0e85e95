import type { AgentRunner, ModelBudget, RunContext } from '../agents/agent-runner.ts';
import { affectedService, alertName, groupLabels, severityFloor } from '../agents/alert-text.ts';
import { decideAutorun, type AutorunDecision } from '../agents/autorun-policy.ts';
import type { FixOutput } from '../agents/output-schemas.ts';
import { playbookCandidates, type PlaybookCandidate } from '../agents/playbook-candidate.ts';
import { triageAgent } from '../agents/triage-agent.ts';
import { worstSeverity } from '../agents/taxonomy.ts';
import type { AutorunSwitch } from '../autorun-switch.ts';
import type { Clock } from '../clock.ts';
import type { Severity } from '../config/policy-schema.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ChatPort } from '../slack/chat-port.ts';
import { playbookRunCommand, triageProgressView, triageReplyView, type TriageIncidentNote } from '../slack/views/triage-views.ts';
import type { AuditRepo } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import { AUTOMATIC_REQUESTER, type PlaybookRunner, type PlaybookStarted } from '../workflows/playbook-runner-types.ts';
import { runFixReview } from './fix-review-loop.ts';
import { declareGroupIncident, reachesThreshold, type TriageIncidentDeps } from './triage-incident.ts';
import { runStep } from './triage-step.ts';
import { createTriageThread } from './triage-thread.ts';
import type { AlertTriage, TriageOutcome, TriageRequest } from './triage-types.ts';

/** What the loop reads from opsbot.yaml. */
export interface TriagePolicy {
  /** `autorun.enabled`. */
  autorunEnabled: boolean;
  /** `services`: a customer-facing service's critical alert is P1. */
  services: Readonly<Record<string, { customerFacing: boolean }>>;
  /** `alerts.declare_incident_at`: declare an incident at this severity or worse; unset: never. */
  declareIncidentAt?: Severity;
  /** `alerts.reply_prefix`, e.g. `[auto-ops]`. */
  replyPrefix?: string;
}

export interface AlertTriageDeps {
  agents: AgentRunner;
  /** The loaded playbooks (definitions with source `playbook`); read per group. */
  playbooks: () => Iterable<WorkflowDefinition>;
  chat: ChatPort;
  autorun: AutorunSwitch;
  audit: AuditRepo;
  policy: TriagePolicy;
  /** MAX_TRIAGE_ITERATIONS: fix/review rounds; the model-call budget is 1 + 2 × this. */
  maxIterations: number;
  dryRun: boolean;
  clock: Clock;
  /** `/ops`, for the commands the reply names. */
  commandPrefix: string;
  /** Declaring incidents at the policy's threshold; without it none is declared. */
  incidents?: TriageIncidentDeps;
  /** Automatic playbook starts; without it an automatic run is offered as a button instead. */
  playbookRunner?: PlaybookRunner;
}

/**
 * The triage loop, once per new alert group: the triage agent analyses with read-only tools, the
 * fix agent proposes and the review agent checks it, a rejection going back to the fix agent up
 * to MAX_TRIAGE_ITERATIONS rounds — all within one model-call budget of 1 + 2 × that, retries and
 * tool rounds included. Then the incident (at the policy's threshold), the auto-run decision
 * (from opsbot's own state, never the model's) and one reply in the group's thread. The model, a
 * tool, the incident, the playbook start or Slack failing never loses the outcome: it and its run
 * ids are returned and logged.
 */
export function createAlertTriage(deps: AlertTriageDeps): AlertTriage {
  const { agents, policy, maxIterations } = deps;

  async function triage(request: TriageRequest, baseLog: Logger): Promise<TriageOutcome> {
    const { group, groupId, channel, threadTs } = request;
    const log = baseLog.child({ component: 'triage', groupId });
    const started = deps.clock.now();
    const name = alertName(group);
    const labels = groupLabels(group);
    const service = affectedService(labels);
    const customerFacing = service !== null && policy.services[service]?.customerFacing === true;
    // Intake does not triage `severity: none` groups; should one arrive, it is the least severe.
    const floor: Severity = severityFloor(group, customerFacing) ?? 'P4';
    const candidates = playbookCandidates(group, deps.playbooks());
    const budget: ModelBudget = { remaining: 1 + 2 * maxIterations, scope: 'this alert group' };
    const context: RunContext & { budget: ModelBudget } = { requestedBy: 'system', subject: group.key, tools: { alertGroup: group }, budget };
    const thread = createTriageThread({ chat: deps.chat, dryRun: deps.dryRun, log, channel, threadTs });
    const prefix = policy.replyPrefix;

    await thread.progress(triageProgressView({ alertName: name, stage: { step: 'triage' }, ...(prefix ? { prefix } : {}) }));
    const triaged = await runStep(agents, triageAgent(), { group, playbooks: candidates, customerFacing }, context, { step: 'triage', round: 0 }, log);
    // The guard keeps the floor; kept here too, since nothing downstream may see a lower one.
    const severity = worstSeverity(triaged.output.severity, floor);
    const triageOutput = { ...triaged.output, severity };

    // The severity is settled once the triage is done: people are paged now, not after the fix rounds.
    let incident: TriageIncidentNote | undefined;
    if (deps.incidents && reachesThreshold(severity, policy.declareIncidentAt)) {
      incident = await declareGroupIncident(
        deps.incidents,
        { groupId, alertName: name, firing: group.alerts.filter((a) => a.status === 'firing').length, severity, service, summary: triageOutput.summary, channel, threadTs },
        { dryRun: deps.dryRun, log },
      );
    }
    const incidentId = incident?.kind === 'declared' || incident?.kind === 'linked' ? incident.id : undefined;

    const loop = await runFixReview(
      agents,
      {
        group,
        triage: triageOutput,
        playbooks: candidates,
        maxRounds: maxIterations,
        context,
        onStage: (stage) => thread.progress(triageProgressView({ alertName: name, stage, ...(prefix ? { prefix } : {}) })),
      },
      log,
    );

    const accepted = loop.accepted ? loop.fix : undefined;
    const proposal = accepted?.proposal;
    const playbook = proposal?.kind === 'playbook' ? candidates.find((c) => c.name === proposal.name) : undefined;
    const needsHuman = loop.needsHuman ?? (accepted ? textOnly(accepted, candidates.length > 0) : undefined);

    const runCommand = playbook && accepted ? playbookRunCommand(playbook.name, runParams(accepted, playbook), { alert: groupId, ...(incidentId ? { incident: incidentId } : {}) }) : undefined;
    const decision: AutorunDecision = loop.accepted
      ? decideAutorun({ policyEnabled: policy.autorunEnabled, switchOn: switchOn(log), playbook, alertSeverity: floor, triagedSeverity: severity })
      : { auto: false, reason: 'no proposal was accepted' };
    const auto = await startAutomatically(decision, { playbook, accepted, severity, groupId, incidentId, channel, log });

    const outcome: TriageOutcome = {
      triage: triageOutput,
      ...(loop.fix ? { fix: loop.fix } : {}),
      ...(loop.review ? { review: loop.review } : {}),
      accepted: loop.accepted,
      rounds: loop.rounds,
      ...(needsHuman ? { needsHuman } : {}),
      ...(playbook ? { playbook } : {}),
      autorun: auto.decision,
      severity,
      runIds: [triaged.step, ...loop.steps].flatMap((s) => (s.runId ? [s.runId] : [])),
      ...(incidentId ? { incidentId } : {}),
      steps: [triaged.step, ...loop.steps],
      proposals: loop.proposals,
      ...(auto.started ? { started: auto.started } : {}),
      ...(runCommand && !auto.started ? { runCommand } : {}),
    };

    try {
      const reply = triageReplyView({
        outcome,
        alertName: name,
        alertSeverity: floor,
        maxRounds: maxIterations,
        ...(playbook ? { playbookRisk: playbook.risk } : {}),
        ...(incident ? { incident } : {}),
        dryRun: deps.dryRun,
        ...(prefix ? { prefix } : {}),
        commandPrefix: deps.commandPrefix,
      });
      await thread.finish(reply);
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'could not build or send the triage reply');
    }

    audit(outcome, request, log);
    log.info(
      {
        alert: name,
        severity,
        floor,
        accepted: outcome.accepted,
        rounds: outcome.rounds,
        playbook: playbook?.name,
        autorun: outcome.autorun,
        started: outcome.started?.runId,
        incidentId,
        needsHuman,
        runIds: outcome.runIds,
        modelCallsLeft: budget.remaining,
        durationMs: deps.clock.now() - started,
      },
      'alert group triaged',
    );
    return outcome;
  }

  async function startAutomatically(
    decision: AutorunDecision,
    args: { playbook: PlaybookCandidate | undefined; accepted: FixOutput | undefined; severity: Severity; groupId: string; incidentId: string | undefined; channel: string; log: Logger },
  ): Promise<{ decision: AutorunDecision; started?: PlaybookStarted }> {
    const { playbook, accepted } = args;
    if (!decision.auto || playbook === undefined || accepted === undefined) return { decision };
    if (deps.dryRun) return { decision: { auto: false, reason: `DRY RUN: it would have run by itself (${decision.reason})` } };
    if (!deps.playbookRunner) return { decision: { auto: false, reason: `${decision.reason}, but playbook runs are not available in this opsbot` } };
    try {
      const started = await deps.playbookRunner.start({
        name: playbook.name,
        params: runParams(accepted, playbook),
        requestedBy: AUTOMATIC_REQUESTER,
        trigger: 'auto',
        alertGroupId: args.groupId,
        ...(args.incidentId ? { incidentId: args.incidentId } : {}),
        severity: args.severity,
        // The run's message goes to the channel; no thread line: the triage reply says it started.
        channel: args.channel,
        requestKey: `alert-group:${args.groupId}:autorun`,
      });
      args.log.info({ playbook: playbook.name, runId: started.runId, needsApproval: started.needsApproval }, 'playbook started automatically');
      return { decision, started };
    } catch (err) {
      args.log.error({ err: errorMessage(err), playbook: playbook.name }, 'automatic playbook start failed');
      return { decision: { auto: false, reason: `starting it automatically failed (${errorMessage(err)})` } };
    }
  }

  /** The kill switch as stored; unreadable counts as off. */
  function switchOn(log: Logger): boolean {
    try {
      return deps.autorun.isOn();
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'could not read the autorun switch; not running anything by itself');
      return false;
    }
  }

  function audit(outcome: TriageOutcome, request: TriageRequest, log: Logger): void {
    try {
      deps.audit.append({
        at: deps.clock.now(),
        actor: 'system',
        channel: request.channel,
        action: 'alert.triage',
        command: `triage ${request.groupId}`,
        args: JSON.stringify({ group: request.group.key }),
        outcome: outcome.started ? 'autorun' : outcome.accepted ? 'accepted' : 'needs_human',
        detail: JSON.stringify({
          severity: outcome.severity,
          playbook: outcome.playbook?.name ?? null,
          autorun: outcome.autorun,
          started: outcome.started?.runId ?? null,
          incident: outcome.incidentId ?? null,
          needsHuman: outcome.needsHuman ?? null,
          runIds: outcome.runIds,
        }),
      });
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'could not audit the triage outcome');
    }
  }

  return { triage };
}

/** The accepted proposal's params, with the targets the alert's labels give always winning. */
function runParams(accepted: FixOutput, playbook: PlaybookCandidate): Record<string, string> {
  const given = accepted.proposal.kind === 'playbook' ? Object.fromEntries(accepted.proposal.params.map((p) => [p.name, p.value])) : {};
  return { ...given, ...playbook.params };
}

/** An accepted proposal nothing can run: a person carries it out. */
function textOnly(fix: FixOutput, playbooksMatched: boolean): string | undefined {
  switch (fix.proposal.kind) {
    case 'manual':
      return playbooksMatched ? 'the accepted proposal is steps for a person' : 'no playbook fits this alert; the accepted proposal is steps for a person';
    case 'patch':
      return 'the accepted proposal is a patch for a person to review and apply';
    case 'action':
      return `the accepted proposal is the action ${fix.proposal.action}, which a person runs`;
    case 'playbook':
      return undefined;
  }
}
