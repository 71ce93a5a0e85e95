import { z } from 'zod';
import { PermissionDeniedError, UserError } from '../errors.ts';
import { roleAtLeast } from '../roles.ts';
import type { ChatPort, MessageRef } from '../slack/chat-port.ts';
import type { Store, WorkflowRun } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import type { WorkflowEngine } from '../workflows/engine.ts';
import type { RunView } from '../workflows/run-view.ts';
import { roleToRun } from '../workflows/params.ts';
import type { CommandContext } from './command.ts';

/** What the workflow commands need from the composition root (app.ts). */
export interface WorkflowServices {
  engine: WorkflowEngine;
  /** Workflows and playbooks by name, as loaded at start-up. */
  definitions(): ReadonlyMap<string, WorkflowDefinition>;
  /** For the params modal. */
  chat: Pick<ChatPort, 'openModal'>;
  /** Resolves once the run's parent message is posted; rejects with why it could not be. */
  whenPosted(runId: string): Promise<MessageRef>;
}

export interface WorkflowCommandDeps {
  store: Store;
  workflows: WorkflowServices;
}

export type WorkflowContext = CommandContext<WorkflowCommandDeps>;

/** `wf-12`, or just `12`. */
export const runIdArg = z
  .string()
  .regex(/^(?:wf-)?\d+$/i, { error: 'a run id like wf-12' })
  .transform((id) => (/^wf-/i.test(id) ? id.toLowerCase() : `wf-${id}`));

export function requireRun(store: Store, runId: string, commandPrefix = '/ops'): WorkflowRun {
  const run = store.workflowRuns.get(runId);
  if (!run) throw new UserError('workflow_run_unknown', `There is no workflow run ${runId}.`, `See \`${commandPrefix} workflow history\` for recent runs.`);
  return run;
}

export function requireView(engine: WorkflowEngine, runId: string, commandPrefix = '/ops'): RunView {
  const view = engine.get(runId);
  if (!view) throw new UserError('workflow_run_unknown', `There is no workflow run ${runId}.`, `See \`${commandPrefix} workflow history\` for recent runs.`);
  return view;
}

/**
 * Changing a run (cancel, retry, roll back, resolve) takes the role that running it with the same
 * params takes; the person who started it may always cancel it.
 */
export function requireControl(ctx: WorkflowContext, run: WorkflowRun, what: string, options: { requesterMay?: boolean } = {}): void {
  if (options.requesterMay && run.requestedBy === ctx.caller.id) return;
  const role = roleToRun(run.definition, run.params);
  if (!roleAtLeast(ctx.caller.role, role)) throw new PermissionDeniedError(role, `${what} ${run.id} (${run.workflow})`, ctx.commandPrefix);
}

export function requireDefinition(services: WorkflowServices, name: string, commandPrefix = '/ops'): WorkflowDefinition {
  const definitions = services.definitions();
  const def = definitions.get(name);
  if (def) return def;
  const names = [...definitions.values()].filter((d) => d.source === 'workflow').map((d) => d.name).sort();
  throw new UserError(
    'workflow_unknown',
    `There is no workflow named \`${name}\`.`,
    names.length > 0 ? `Workflows: ${names.map((n) => `\`${n}\``).join(', ')}. \`${commandPrefix} workflow list\` describes them.` : 'No workflows are defined yet.',
  );
}
