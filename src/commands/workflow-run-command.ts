import { z } from 'zod';
import { PermissionDeniedError, UserError, errorMessage } from '../errors.ts';
import { ROLES, roleAtLeast, type Role } from '../roles.ts';
import { fillInPrompt, paramsModal } from '../slack/views/workflow-params-modal.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import { missingRequired, paramsSchema, roleToRun } from '../workflows/params.ts';
import { escapeMrkdwn } from './blocks.ts';
import { defineCommand } from './command.ts';
import { requireDefinition, type WorkflowContext } from './workflow-command-deps.ts';

/**
 * `workflow run <name> key=value…`. The params are checked by the workflow's own schema before
 * anything is recorded, and the role comes from the workflow (per value of its environment param
 * where it says so), so the check happens here rather than in the command's own `role`. Missing
 * required params open a modal where there is a trigger_id (a slash command, a button, a modal),
 * and a mention — which has none — is answered with a "Fill in…" button that has one.
 */
export const workflowRun = defineCommand({
  name: 'workflow run',
  summary: 'Start a workflow (missing params open a form)',
  examples: ['workflow run deploy service=api version=v2.3.0 env=production'],
  args: z.object({ workflow: z.string(), param: z.record(z.string(), z.string()).default({}) }),
  positional: ['workflow'],
  extraNamed: 'param',
  role: 'viewer',
  async run(ctx: WorkflowContext, { workflow, param: given }) {
    const { invocation, caller, reply, deps } = ctx;
    const services = deps.workflows;
    const prefix = ctx.commandPrefix ?? '/ops';
    const def = requireDefinition(services, workflow, prefix);
    if (def.source !== 'workflow') {
      throw new UserError('workflow_is_playbook', `\`${def.name}\` is a playbook: alerts start it, not commands.`, `\`${prefix} workflow list\` shows the workflows you can run.`);
    }
    if (!def.triggers.command) {
      throw new UserError('workflow_not_by_command', `\`${def.name}\` is not started by command (its triggers say so).`, `\`${prefix} workflow describe ${def.name}\` shows how it runs.`);
    }

    const missing = missingRequired(def, given);
    if (missing.length > 0) {
      const least = leastRoleToRun(def, given);
      if (!roleAtLeast(caller.role, least)) throw new PermissionDeniedError(least, `run \`${def.name}\``, prefix);
      if (invocation.triggerId) {
        await services.chat.openModal(invocation.triggerId, paramsModal(def, given, { channel: invocation.channelId }));
      } else {
        await reply.private(fillInPrompt(def, given, missing));
      }
      return;
    }

    const parsed = paramsSchema(def).safeParse(given);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => escapeMrkdwn(issue.message));
      throw new UserError('workflow_params_invalid', `\`${def.name}\` was not started: ${problems.join('; ')}.`, `\`${prefix} workflow describe ${def.name}\` shows what each param takes.`);
    }
    const role = roleToRun(def, parsed.data);
    if (!roleAtLeast(caller.role, role)) throw new PermissionDeniedError(role, `run \`${def.name}\`${roleReason(def, parsed.data)}`, prefix);

    const { runId, status } = await services.engine.start(
      def.name,
      given,
      { userId: caller.id, channel: invocation.channelId },
      'command',
      invocation.requestId ? { requestKey: invocation.requestId } : {},
    );
    if (status === 'queued') {
      await reply.private(`\`${runId}\` is queued: another run of \`${def.name}\` with the same key is in progress. It starts when that one finishes.`);
    }
    // Not awaited: the request is finished (in the inbox) once the run is recorded, so a crash
    // cannot replay it into a second run while the parent message waits for Slack's pacing.
    services.whenPosted(runId).catch(async (err: unknown) => {
      const hint = err instanceof UserError && err.hint ? ` ${err.hint}` : '';
      ctx.log.warn({ err: errorMessage(err), runId }, 'run started, but its message could not be posted');
      await reply
        .private(`Started \`${runId}\`, but I can't post its progress here (${errorMessage(err)}).${hint} Follow it with \`${prefix} workflow status ${runId}\`.`)
        .catch((again: unknown) => ctx.log.warn({ err: errorMessage(again), runId }, 'could not tell the requester either'));
    });
  },
});

/** ` with env=production`, when the role depends on a param's value. */
function roleReason(def: WorkflowDefinition, params: Readonly<Record<string, unknown>>): string {
  if (!('byParam' in def.run)) return '';
  const value = params[def.run.byParam];
  return value === undefined ? '' : ` with ${def.run.byParam}=${escapeMrkdwn(String(value))}`;
}

/** Before the form is filled in: the least role any choice of the deciding param could need. */
function leastRoleToRun(def: WorkflowDefinition, given: Readonly<Record<string, string>>): Role {
  const { run } = def;
  if (!('byParam' in run) || (given[run.byParam] ?? '') !== '') return roleToRun(def, given);
  const candidates: Role[] = [run.role, ...Object.values(run.values)];
  return ROLES.find((r) => candidates.includes(r)) ?? run.role;
}
