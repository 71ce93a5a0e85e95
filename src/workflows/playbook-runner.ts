import type { Logger } from 'pino';
import { decideAutorun } from '../agents/autorun-policy.ts';
import type { PlaybookCandidate } from '../agents/playbook-candidate.ts';
import type { AutorunSwitch } from '../autorun-switch.ts';
import type { Clock } from '../clock.ts';
import type { Policy } from '../config/policy-schema.ts';
import { UserError, errorMessage } from '../errors.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import { incidentId as formatIncidentId, parseIncidentId } from '../incidents/incident-types.ts';
import type { KubeOps } from '../integrations/kubernetes/kube-types.ts';
import type { ChatPort } from '../slack/chat-port.ts';
import type { Store } from '../store/types.ts';
import type { PlaybookRunLink, WorkflowDefinition } from './definition.ts';
import type { WorkflowEngine } from './engine.ts';
import { paramsSchema } from './params.ts';
import { gateStep } from './playbook-gate.ts';
import type { PlaybookRunner, PlaybookStart, PlaybookStarted } from './playbook-runner-types.ts';
import type { PlaybookTimeline } from './playbook-timeline.ts';

/**
 * PlaybookRunner over the workflow engine. A start is checked before anything is recorded:
 * - the name is a loaded playbook (not a workflow), the params pass its own schema, a linked
 *   incident exists;
 * - `trigger: 'auto'` starts only when everything agrees, read at this moment: the playbook is low
 *   risk, allows automatic runs, for this severity (P3/P4 at most); opsbot.yaml's
 *   `autorun.enabled`; and the `/ops autorun` switch. A high-risk playbook never passes. A refusal
 *   is audited and thrown (UserError `playbook_autorun_refused`, its reason from autorun-policy.ts);
 * - a run a person asks for (`click`) of a medium- or high-risk playbook waits for an approval
 *   before any step: it is started with a copy of the playbook whose first step is the gate of
 *   playbook-gate.ts (who approves is said there). A low-risk click runs at once: the click is the
 *   person's decision, and the playbook's `role` was checked by the command.
 *
 * The copy also carries `playbookRun` (trigger, incident, alert group, severity), stored with the
 * run, which is how the run's start, approvals and end reach the incident's timeline
 * (playbook-timeline.ts) — after a restart too. Every start and refusal is audited (`playbook.run`).
 *
 * Where its messages go: the run's message is posted in `channel` (top level: the engine edits a
 * run's own message in place, so it cannot be a reply). When the request came from a thread (an
 * alert group's, a thread-mode incident's), a line there says which run started.
 */

export interface PlaybookRunnerDeps {
  engine: Pick<WorkflowEngine, 'start'>;
  definitions(): ReadonlyMap<string, WorkflowDefinition>;
  store: Pick<Store, 'audit' | 'workflowRuns'>;
  policy: Policy;
  autorun: Pick<AutorunSwitch, 'isOn'>;
  /** For linked incidents: checked before the run starts, told when it does. */
  incidents?: Pick<IncidentService, 'get'>;
  timeline?: Pick<PlaybookTimeline, 'started'>;
  /** For the approver role of a playbook with k8s.* steps (the target's environment). */
  kube?: Pick<KubeOps, 'resolve'>;
  /** For the line in the requesting thread. */
  chat?: Pick<ChatPort, 'post'>;
  clock: Clock;
  log: Logger;
  /** For the audit rows: params come from alert labels and people. */
  redact?(text: string): string;
}

const ALERT_GROUP_ID = /^[^\n\r]{1,300}$/;

export function createPlaybookRunner(deps: PlaybookRunnerDeps): PlaybookRunner {
  const { store, clock } = deps;
  const log = deps.log.child({ component: 'playbooks' });

  const redact = deps.redact ?? ((text: string) => text);
  const auditStart = (request: PlaybookStart, outcome: string, details: Record<string, unknown>, detail?: string) => {
    const args = {
      playbook: request.name,
      trigger: request.trigger,
      ...(request.incidentId ? { incident: request.incidentId } : {}),
      ...(request.alertGroupId ? { alertGroup: request.alertGroupId } : {}),
      ...(request.severity ? { severity: request.severity } : {}),
      params: request.params,
      ...details,
    };
    store.audit.append({ at: clock.now(), actor: request.requestedBy, channel: request.channel ?? null, action: 'playbook.run', command: null, args: redact(JSON.stringify(args)), outcome, ...(detail ? { detail } : {}) });
  };

  function playbookNamed(name: string): WorkflowDefinition & { playbook: NonNullable<WorkflowDefinition['playbook']> } {
    const definitions = deps.definitions();
    const def = definitions.get(name);
    const playbooks = [...definitions.values()].filter((d) => d.source === 'playbook').map((d) => d.name).sort();
    if (!def) {
      throw new UserError('playbook_unknown', `There is no playbook named \`${name}\`.`, playbooks.length > 0 ? `Playbooks: ${playbooks.map((p) => `\`${p}\``).join(', ')}.` : 'No playbooks are loaded (playbooks/ is empty).');
    }
    if (def.source !== 'playbook' || !def.playbook) {
      throw new UserError('playbook_is_workflow', `\`${name}\` is a workflow, not a playbook.`, `Start it with \`workflow run ${name}\`.`);
    }
    return def as WorkflowDefinition & { playbook: NonNullable<WorkflowDefinition['playbook']> };
  }

  function linkedIncident(request: PlaybookStart): string | undefined {
    if (request.incidentId === undefined) return undefined;
    const number = parseIncidentId(request.incidentId, { bare: true });
    const incident = number === undefined ? undefined : deps.incidents?.get(number);
    if (!incident) throw new UserError('incident_unknown', `There is no incident ${request.incidentId}.`);
    return formatIncidentId(incident.number);
  }

  return {
    async start(request): Promise<PlaybookStarted> {
      const def = playbookNamed(request.name);
      const spec = def.playbook;
      const incidentId = linkedIncident(request);
      if (request.alertGroupId !== undefined && !ALERT_GROUP_ID.test(request.alertGroupId)) {
        throw new UserError('playbook_alert_group_invalid', 'The alert group id is empty, too long, or spans lines.');
      }
      const parsed = paramsSchema(def).safeParse(request.params);
      if (!parsed.success) {
        throw new UserError('workflow_params_invalid', `\`${def.name}\` was not started: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
      }

      if (request.trigger === 'auto') {
        const reason = refusal(def, request, deps);
        if (reason !== undefined) {
          auditStart(request, 'refused', {}, reason);
          log.info({ playbook: def.name, reason, incident: incidentId, alertGroup: request.alertGroupId }, 'automatic playbook run refused');
          throw new UserError('playbook_autorun_refused', `\`${def.name}\` does not run by itself: ${reason}.`, 'Someone can still start it with a click (and an approval where its risk asks for one).');
        }
      }

      const needsApproval = request.trigger !== 'auto' && spec.risk !== 'low';
      const link: PlaybookRunLink = {
        trigger: request.trigger,
        ...(incidentId ? { incidentId } : {}),
        ...(request.alertGroupId !== undefined ? { alertGroupId: request.alertGroupId } : {}),
        ...(request.severity ? { severity: request.severity } : {}),
      };
      const gateOptions = {
        policy: deps.policy,
        ...(deps.kube ? { kube: deps.kube } : {}),
        ...(incidentId ? { incidentId } : {}),
        ...(request.alertGroupId !== undefined ? { alertGroupId: request.alertGroupId } : {}),
      };
      const gate = needsApproval ? gateStep(def, parsed.data, gateOptions) : undefined;
      const copy: WorkflowDefinition = { ...def, steps: gate ? [gate, ...def.steps] : def.steps, playbookRun: gate ? { ...link, approvalStep: gate.id } : link };

      const started = await deps.engine.start(
        def.name,
        request.params,
        { userId: request.requestedBy, channel: request.channel ?? null },
        `playbook:${request.trigger}`,
        { definition: copy, ...(request.requestKey ? { requestKey: request.requestKey } : {}) },
      );
      // A replayed request found the run it started before: that start was audited and told already.
      if (started.replayed) return { runId: started.runId, needsApproval: store.workflowRuns.get(started.runId)?.definition.playbookRun?.approvalStep !== undefined };

      const approver = gate?.approvers.roles[0];
      auditStart(request, started.status === 'queued' ? 'queued' : 'started', { run: started.runId, risk: spec.risk, ...(approver ? { approval: approver } : {}) });
      log.info({ playbook: def.name, runId: started.runId, trigger: request.trigger, incident: incidentId, needsApproval }, 'playbook run started');

      deps.timeline?.started(started.runId);
      if (request.threadTs && request.channel && deps.chat) {
        const line = `▶️ ${request.trigger === 'auto' ? 'Automatically started' : `<@${request.requestedBy}> started`} playbook *${def.name}* as \`${started.runId}\`${approver ? `; it waits for an approval by a *${approver}*` : ''}. Its progress is in <#${request.channel}>.`;
        await deps.chat.post(request.channel, { text: line }, request.threadTs).catch((err: unknown) => log.warn({ err: errorMessage(err), runId: started.runId }, 'could not say in the thread that the playbook started'));
      }
      return { runId: started.runId, needsApproval };
    },
  };
}

/** Why an automatic start is refused, or undefined when everything allows it. */
function refusal(def: WorkflowDefinition & { playbook: NonNullable<WorkflowDefinition['playbook']> }, request: PlaybookStart, deps: Pick<PlaybookRunnerDeps, 'policy' | 'autorun'>): string | undefined {
  const spec = def.playbook;
  if (spec.risk === 'high') return 'high-risk playbooks never run automatically';
  if (request.severity === undefined) return 'an automatic run needs the severity it is for, and none was given';
  // The caller matched the playbook on the alert's labels and filled its targets from them; what
  // is left to decide is the policy's, the switch's and the playbook's own say, for this severity.
  const candidate: PlaybookCandidate = {
    name: def.name,
    description: def.description,
    remediation: spec.remediation,
    risk: spec.risk,
    params: {},
    missing: [],
    matchedBy: '',
    matchedByLabels: true,
    paramDefinitions: def.params,
    autorun: spec.autorun,
  };
  const decision = decideAutorun({ policyEnabled: deps.policy.autorun.enabled, switchOn: deps.autorun.isOn(), playbook: candidate, alertSeverity: request.severity, triagedSeverity: request.severity });
  return decision.auto ? undefined : decision.reason;
}
