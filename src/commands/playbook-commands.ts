import { z } from 'zod';
import type { AutorunSwitch } from '../autorun-switch.ts';
import type { Policy } from '../config/policy-schema.ts';
import { PermissionDeniedError, UserError, errorMessage } from '../errors.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import { incidentId, parseIncidentId } from '../incidents/incident-types.ts';
import { roleAtLeast } from '../roles.ts';
import { type PlaybookLinks, playbookFillInPrompt, playbookListView, playbookParamsModal } from '../slack/views/playbook-views.ts';
import type { Store } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import { missingRequired, paramsSchema, roleToRun } from '../workflows/params.ts';
import type { PlaybookRunner } from '../workflows/playbook-runner-types.ts';
import { escapeMrkdwn } from './blocks.ts';
import { type CommandContext, defineCommand } from './command.ts';
import type { WorkflowServices } from './workflow-command-deps.ts';

/**
 * `/ops playbook list` and `/ops playbook run <name> key=value… [incident=INC-n] [alert=<group id>]`.
 * A run needs a responder to ask at all, then the playbook's own `role` for these params; a
 * medium- or high-risk playbook then waits for someone else's approval in its thread (the runner
 * puts that gate first, see playbook-gate.ts). The "Run playbook" buttons on incidents and alert
 * groups hold this command's text, so a click is checked exactly like the typed command.
 * Targets the alert did not fill in open the params form (or, from a mention, a Fill in… button).
 */

export interface PlaybookCommandDeps {
  store: Store;
  workflows: WorkflowServices;
  /** Absent in installs wired without playbooks: `playbook run` says so. */
  playbooks?: PlaybookRunner;
  policy: Policy;
  autorun: AutorunSwitch;
  /** The incident of the channel or thread a run is asked from, when none is named. */
  incidents?: Pick<IncidentService, 'at'>;
}

type Ctx = CommandContext<PlaybookCommandDeps>;

/** Names `playbook run` takes for itself: a playbook param by one of these names could not be given. */
const RESERVED = ['incident', 'alert'] as const;

function playbooksOf(ctx: Ctx): WorkflowDefinition[] {
  return [...ctx.deps.workflows.definitions().values()].filter((d) => d.source === 'playbook').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function requirePlaybook(ctx: Ctx, name: string): WorkflowDefinition {
  const prefix = ctx.commandPrefix ?? '/ops';
  const def = ctx.deps.workflows.definitions().get(name);
  if (def?.source === 'playbook') return def;
  if (def) throw new UserError('playbook_is_workflow', `\`${def.name}\` is a workflow, not a playbook.`, `Start it with \`${prefix} workflow run ${def.name}\`.`);
  const names = playbooksOf(ctx).map((d) => `\`${d.name}\``);
  throw new UserError('playbook_unknown', `There is no playbook named \`${name}\`.`, names.length > 0 ? `Playbooks: ${names.join(', ')}. \`${prefix} playbook list\` describes them.` : 'No playbooks are loaded (playbooks/ is empty).');
}

function linksOf(ctx: Ctx, args: { incident?: string | undefined; alert?: string | undefined }): PlaybookLinks {
  const links: PlaybookLinks = {};
  if (args.incident !== undefined) {
    const number = parseIncidentId(args.incident, { bare: true });
    if (number === undefined) throw new UserError('incident_id_invalid', `\`${escapeMrkdwn(args.incident)}\` is not an incident id.`, 'Name it like `incident=INC-3`.');
    links.incident = incidentId(number);
  } else {
    const here = ctx.deps.incidents?.at({ channel: ctx.invocation.channelId, ...(ctx.invocation.threadTs ? { threadTs: ctx.invocation.threadTs } : {}) });
    if (here) links.incident = here.id;
  }
  if (args.alert !== undefined && args.alert !== '') links.alert = args.alert;
  return links;
}

export const playbookList = defineCommand({
  name: 'playbook list',
  summary: 'The playbooks: what each fixes, its risk, and whether it may run by itself',
  examples: ['playbook list'],
  args: z.object({}),
  role: 'viewer',
  async run(ctx: Ctx) {
    const { deps } = ctx;
    await ctx.reply.private(playbookListView(playbooksOf(ctx), { policyEnabled: deps.policy.autorun.enabled, switchOn: deps.autorun.isOn() }, ctx.commandPrefix ?? '/ops'));
  },
});

export const playbookRun = defineCommand({
  name: 'playbook run',
  summary: 'Start a playbook (medium and high risk wait for an approval)',
  examples: ['playbook run pod-crash-looping namespace=shop pod=api-5d8f7c9b6-x2x7k incident=INC-3'],
  args: z.object({
    playbook: z.string(),
    incident: z.string().optional(),
    alert: z.string().max(300, { error: 'an alert group id' }).optional(),
    param: z.record(z.string(), z.string()).default({}),
  }),
  positional: ['playbook'],
  extraNamed: 'param',
  role: 'responder',
  async run(ctx: Ctx, args) {
    const { invocation, caller, reply, deps } = ctx;
    const prefix = ctx.commandPrefix ?? '/ops';
    const def = requirePlaybook(ctx, args.playbook);
    const given = args.param;
    const reserved = RESERVED.filter((name) => Object.hasOwn(def.params, name));
    if (reserved.length > 0) throw new UserError('playbook_param_reserved', `\`${def.name}\` declares a param named ${reserved.join(', ')}, which \`playbook run\` keeps for itself.`, 'Rename the param in the playbook file.');
    const links = linksOf(ctx, args);

    const missing = missingRequired(def, given);
    if (missing.length > 0) {
      const least = roleToRun(def, given);
      if (!roleAtLeast(caller.role, least)) throw new PermissionDeniedError(least, `run the playbook \`${def.name}\``, prefix);
      if (invocation.triggerId) await deps.workflows.chat.openModal(invocation.triggerId, playbookParamsModal(def, given, { channel: invocation.channelId, ...links }));
      else await reply.private(playbookFillInPrompt(def, given, missing, links));
      return;
    }
    const parsed = paramsSchema(def).safeParse(given);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => escapeMrkdwn(issue.message));
      throw new UserError('workflow_params_invalid', `\`${def.name}\` was not started: ${problems.join('; ')}.`, `\`${prefix} workflow describe ${def.name}\` shows what each param takes.`);
    }
    const role = roleToRun(def, parsed.data);
    if (!roleAtLeast(caller.role, role)) throw new PermissionDeniedError(role, `run the playbook \`${def.name}\``, prefix);
    if (!deps.playbooks) throw new UserError('playbooks_not_configured', 'Playbooks cannot be started in this install.');

    const { runId, needsApproval } = await deps.playbooks.start({
      name: def.name,
      params: given,
      requestedBy: caller.id,
      trigger: 'click',
      ...(links.incident ? { incidentId: links.incident } : {}),
      ...(links.alert ? { alertGroupId: links.alert } : {}),
      channel: invocation.channelId,
      ...(invocation.threadTs ? { threadTs: invocation.threadTs } : {}),
      ...(invocation.requestId ? { requestKey: invocation.requestId } : {}),
    });
    if (needsApproval) {
      await reply.private(`Started \`${runId}\`. \`${def.name}\` is ${def.playbook?.risk ?? ''} risk, so it waits for someone else's approval in its thread before it changes anything.`);
    }
    // Not awaited, as for `workflow run`: the request is done once the run is recorded.
    deps.workflows.whenPosted(runId).catch(async (err: unknown) => {
      ctx.log.warn({ err: errorMessage(err), runId }, 'playbook run started, but its message could not be posted');
      await reply
        .private(`Started \`${runId}\`, but I can't post its progress here (${errorMessage(err)}). Follow it with \`${prefix} workflow status ${runId}\`.`)
        .catch((again: unknown) => ctx.log.warn({ err: errorMessage(again), runId }, 'could not tell the requester either'));
    });
  },
});

export const playbookCommands = [playbookList, playbookRun];
