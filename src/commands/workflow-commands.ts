import { z } from 'zod';
import { UserError } from '../errors.ts';
import { workflowDescribeView, workflowHistoryView, workflowListView } from '../slack/views/workflow-info-views.ts';
import { runMessage } from '../slack/views/workflow-views.ts';
import { positiveInt } from './arg-types.ts';
import { defineCommand } from './command.ts';
import type { AnyCommand } from './command-types.ts';
import { requireDefinition, requireView, runIdArg, type WorkflowContext } from './workflow-command-deps.ts';
import { workflowApprove, workflowCancel, workflowReject, workflowResolve, workflowRetry, workflowRollback } from './workflow-control-commands.ts';
import { workflowRun } from './workflow-run-command.ts';

/** The `workflow …` commands: reading ones here, running and changing ones beside this file. */

export const workflowList = defineCommand({
  name: 'workflow list',
  summary: 'List the workflows you can run',
  examples: ['workflow list'],
  args: z.object({}),
  role: 'viewer',
  async run(ctx: WorkflowContext) {
    await ctx.reply.private(workflowListView([...ctx.deps.workflows.definitions().values()], ctx.commandPrefix ?? '/ops'));
  },
});

export const workflowDescribe = defineCommand({
  name: 'workflow describe',
  summary: "Show a workflow's params, steps, triggers and the role it needs",
  examples: ['workflow describe deploy'],
  args: z.object({ workflow: z.string() }),
  positional: ['workflow'],
  role: 'viewer',
  async run(ctx: WorkflowContext, args) {
    const prefix = ctx.commandPrefix ?? '/ops';
    await ctx.reply.private(workflowDescribeView(requireDefinition(ctx.deps.workflows, args.workflow, prefix), prefix));
  },
});

/** How far back `workflow status` looks for the caller's own latest run. */
const OWN_RUNS_SCAN = 200;

export const workflowStatus = defineCommand({
  name: 'workflow status',
  summary: 'Show a run (default: your latest) with its steps',
  examples: ['workflow status', 'workflow status wf-12'],
  args: z.object({ run: runIdArg.optional() }),
  positional: ['run'],
  role: 'viewer',
  async run(ctx: WorkflowContext, args) {
    const { engine } = ctx.deps.workflows;
    let runId = args.run;
    if (runId === undefined) {
      runId = engine.list({ limit: OWN_RUNS_SCAN }).find((r) => r.requestedBy === ctx.caller.id)?.id;
      if (runId === undefined) throw new UserError('workflow_no_runs', "You haven't started a workflow run recently.", 'Name one: `workflow status wf-12`, or see `workflow history`.');
    }
    await ctx.reply.private(runMessage(requireView(engine, runId, ctx.commandPrefix), { now: ctx.clock.now() }));
  },
});

export const workflowHistory = defineCommand({
  name: 'workflow history',
  summary: 'Show recent runs, of every workflow or of one',
  examples: ['workflow history', 'workflow history deploy n=50'],
  args: z.object({ workflow: z.string().optional(), n: positiveInt.max(100, { error: 'at most 100' }).default(20) }),
  positional: ['workflow'],
  role: 'viewer',
  async run(ctx: WorkflowContext, args) {
    const runs = ctx.deps.workflows.engine.list({ limit: args.n, ...(args.workflow !== undefined ? { workflow: args.workflow } : {}) });
    await ctx.reply.private(workflowHistoryView(runs, args.workflow));
  },
});

/** Every workflow command, for the registry (app.ts appends them to the built-in ones). */
export const workflowCommands: AnyCommand[] = [
  workflowList,
  workflowDescribe,
  workflowRun,
  workflowStatus,
  workflowApprove,
  workflowReject,
  workflowCancel,
  workflowRetry,
  workflowRollback,
  workflowResolve,
  workflowHistory,
];
