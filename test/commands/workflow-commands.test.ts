import type { View } from '@slack/types';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { Invocation } from '../../src/commands/command.ts';
import { createDispatcher } from '../../src/commands/dispatch.ts';
import { builtinCommands, featureCommands } from '../../src/commands/index.ts';
import { createRegistry } from '../../src/commands/registry.ts';
import type { WorkflowServices } from '../../src/commands/workflow-command-deps.ts';
import type { Role } from '../../src/roles.ts';
import { createStore } from '../../src/store/store.ts';
import type { ActionCatalog, ActionDefinition } from '../../src/workflows/action.ts';
import type { Step, WorkflowDefinition } from '../../src/workflows/definition.ts';
import { createWorkflowEngine } from '../../src/workflows/engine.ts';
import { useTempFiles } from '../store/temp-files.ts';
import { capturingLogger, recordingReplier } from './support.ts';

/** The `workflow …` commands through the real dispatcher and registry, on a real engine and store. */

const CHANNEL = 'C0DEPLOYS';

const hangs: Array<() => void> = [];
const catalog: ActionCatalog = new Map([
  ['ok', { name: 'ok', summary: 'ok', idempotent: true, parse: (i: Record<string, unknown>) => i, run: async () => ({ result: {} }) } as unknown as ActionDefinition<never>],
  [
    'hang',
    {
      name: 'hang',
      summary: 'hang',
      idempotent: false,
      parse: (i: Record<string, unknown>) => i,
      run: (_i: unknown, ctx: { signal: AbortSignal }) =>
        new Promise((resolve, reject) => {
          hangs.push(() => resolve({ result: {} }));
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    } as unknown as ActionDefinition<never>,
  ],
]);

const ok = (id: string): Step => ({ kind: 'action', id, action: 'ok', with: {}, continueOnError: false });

function workflow(name: string, extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition {
  return { name, description: `${name} (test)`, params: {}, run: { role: 'responder' }, triggers: { command: true, schedules: [] }, steps: [ok('one')], file: `workflows/${name}.yaml`, source: 'workflow', ...extra };
}

const definitions = new Map(
  [
    workflow('deploy', {
      params: {
        service: { type: 'string', required: true, pattern: '[a-z]+' },
        env: { type: 'string', required: false, default: 'staging', enum: ['staging', 'production'] },
      },
      run: { role: 'responder', byParam: 'env', values: { production: 'deployer' } },
      steps: [{ kind: 'approval', id: 'approve', approvers: { users: ['U0BOB'], groups: [], roles: [] }, min: 1, expiresMs: 3_600_000, continueOnError: false }, ok('ship')],
    }),
    workflow('slow', { steps: [{ kind: 'action', id: 'work', action: 'hang', with: {}, continueOnError: false }] }),
    workflow('nightly', { triggers: { command: false, schedules: [{ cron: '0 3 * * *', params: {} }] } }),
    workflow('restart-pod', { source: 'playbook' }),
  ].map((d) => [d.name, d]),
);

function useWorkflowCommands() {
  const files = useTempFiles();
  return () => {
    const store = createStore(files.open('opsbot.db'), { isProcessAlive: () => true });
    const clock = new ManualClock(Date.parse('2026-03-02T09:30:00Z'));
    const engine = createWorkflowEngine({
      store,
      clock,
      log: pino({ level: 'silent' }),
      catalog,
      definitions: () => definitions,
      isApprover: async (userId) => userId === 'U0BOB',
      killOrphans: () => [],
      events: { runChanged: () => undefined, approvalRequested: () => undefined, approvalDecided: () => undefined, stepLog: () => undefined },
      dryRun: false,
    });
    const modals: Array<{ triggerId: string; view: View }> = [];
    const workflows: WorkflowServices = {
      engine,
      definitions: () => definitions,
      chat: { openModal: async (triggerId, view) => void modals.push({ triggerId, view }) },
      whenPosted: async () => ({ channel: CHANNEL, ts: '1.000100' }),
    };
    const registry = createRegistry([...builtinCommands, ...featureCommands]);
    const dispatcher = createDispatcher({ registry, store, clock, commandPrefix: '/ops', deps: { store, registry, workflows } });

    const as = async (userId: string, text: string, options: { role?: Role; triggerId?: string; source?: Invocation['source'] } = {}) => {
      const invocation: Invocation = { source: options.source ?? 'slash', text, userId, channelId: CHANNEL, ...(options.triggerId ? { triggerId: options.triggerId } : {}) };
      const { reply, privates } = recordingReplier();
      const result = await dispatcher.dispatch(invocation, { id: userId, role: options.role ?? 'viewer' }, reply, capturingLogger().log);
      await clock.advance(0);
      return { ...result, text: privates.map((m) => m.text).join('\n'), privates };
    };
    return { as, engine, store, clock, modals };
  };
}

describe('workflow commands', () => {
  const opsbot = useWorkflowCommands();

  it('shows a viewer the workflow commands in help, with the params form of `run` in its usage', async () => {
    const { as } = opsbot();

    expect((await as('U0VIEW', 'help')).text).toContain('workflow run: Start a workflow (missing params open a form)');
    expect((await as('U0VIEW', 'help workflow run')).text).toContain('Usage: /ops workflow run &lt;workflow&gt; [&lt;param&gt;=&lt;value&gt;…]');
  });

  it('lists and describes workflows; an unknown name gets the list', async () => {
    const { as } = opsbot();

    expect((await as('U0VIEW', 'workflow list')).text.split('\n')).toEqual(['Workflows:', 'deploy: deploy (test)', 'nightly: nightly (test)', 'restart-pod: restart-pod (test)', 'slow: slow (test)']);
    expect((await as('U0VIEW', 'workflow describe deploy')).text).toContain('Run: /ops workflow run deploy service=<service>');
    const unknown = await as('U0VIEW', 'workflow describe deplyo');
    expect(unknown.text).toBe('There is no workflow named `deplyo`.\nWorkflows: `deploy`, `nightly`, `slow`. `/ops workflow list` describes them.');
  });

  it('starts a run for a caller with the role, recording who asked and where', async () => {
    const { as, engine } = opsbot();

    const { outcome } = await as('U0ALICE', 'workflow run deploy service=api', { role: 'responder' });

    expect(outcome).toBe('ok');
    expect(engine.get('wf-1')).toMatchObject({ workflow: 'deploy', params: { service: 'api', env: 'staging' }, requestedBy: 'U0ALICE', channel: CHANNEL, trigger: 'command', status: 'waiting' });
  });

  it('asks for the role the chosen environment needs, before anything is recorded', async () => {
    const { as, engine } = opsbot();

    const denied = await as('U0ALICE', 'workflow run deploy service=api env=production', { role: 'responder' });

    expect(denied.outcome).toBe('denied');
    expect(denied.text).toBe('You need the *deployer* role to run `deploy` with env=production.\nAsk an admin: `/ops role grant @you deployer`.');
    expect(engine.list({ limit: 5 })).toEqual([]);
  });

  it('refuses params the workflow does not accept, naming them', async () => {
    const { as, engine } = opsbot();

    const { text } = await as('U0ALICE', 'workflow run deploy service=API! colour=red', { role: 'responder' });

    expect(text).toBe('`deploy` was not started: colour: unknown param; deploy takes service, env; service: must match [a-z]+ (got "API!").\n`/ops workflow describe deploy` shows what each param takes.');
    expect(engine.list({ limit: 5 })).toEqual([]);
  });

  it('opens the params form when required params are missing and there is a trigger_id, else offers a Fill in… button', async () => {
    const { as, modals, engine } = opsbot();

    await as('U0ALICE', 'workflow run deploy env=production', { role: 'deployer', triggerId: '1.2.abc' });
    expect(modals).toEqual([{ triggerId: '1.2.abc', view: expect.objectContaining({ callback_id: 'workflow_run', private_metadata: JSON.stringify({ workflow: 'deploy', channel: CHANNEL }) }) }]);

    const mention = await as('U0ALICE', 'workflow run deploy', { role: 'responder', source: 'mention' });
    expect(mention.text).toBe('deploy needs service. Fill them in to start it.');
    expect(engine.list({ limit: 5 })).toEqual([]);

    // Without even the least role the form could lead to, there is no form.
    expect((await as('U0VIEW', 'workflow run deploy', { triggerId: '1.2.def' })).outcome).toBe('denied');
    expect(modals).toHaveLength(1);
  });

  it('does not start playbooks or workflows whose triggers leave out the command', async () => {
    const { as } = opsbot();

    expect((await as('U0ALICE', 'workflow run restart-pod', { role: 'admin' })).text).toContain('`restart-pod` is a playbook: alerts start it, not commands.');
    expect((await as('U0ALICE', 'workflow run nightly', { role: 'admin' })).text).toContain('`nightly` is not started by command');
  });

  it('decides approvals by the same rules as the buttons, answering a refusal with the reason', async () => {
    const { as, engine } = opsbot();
    await as('U0ALICE', 'workflow run deploy service=api', { role: 'responder' });

    expect((await as('U0ALICE', 'workflow approve wf-1')).text).toBe('You started wf-1, so you cannot approve it: someone else has to.');
    expect((await as('U0CAROL', 'workflow approve 1')).text).toBe('You are not one of the approvers of this step (<@U0BOB>).');
    expect((await as('U0BOB', 'workflow approve wf-1 ship it')).text).toBe('You approved `wf-1`.');
    expect((await as('U0BOB', 'workflow reject wf-1')).text).toBe('This approval is already approved; nothing changed.');

    expect(engine.get('wf-1')).toMatchObject({ status: 'succeeded', approvals: [{ status: 'approved', decisions: [{ userId: 'U0BOB', decision: 'approve', reason: 'ship it' }] }] });
  });

  it('lets the requester, or someone with the role to run it, cancel a run; nobody else', async () => {
    const { as, engine } = opsbot();
    await as('U0ALICE', 'workflow run slow', { role: 'responder' });

    const stranger = await as('U0VIEW', 'workflow cancel wf-1');
    expect(stranger.text).toBe('You need the *responder* role to cancel wf-1 (slow).\nAsk an admin: `/ops role grant @you responder`.');
    expect((await as('U0ALICE', 'workflow cancel wf-1', { role: 'viewer' })).text).toBe('Cancelled `wf-1`.');
    expect(engine.get('wf-1')?.status).toBe('cancelled');

    expect((await as('U0VIEW', 'workflow retry wf-1')).outcome).toBe('denied');
    expect((await as('U0DEPLOYER', 'workflow retry wf-1', { role: 'deployer' })).text).toBe('Retrying `wf-1`.');
    expect(engine.get('wf-1')?.status).toBe('running');
  });

  it("shows the caller's latest run by default, and history newest first", async () => {
    const { as } = opsbot();

    expect((await as('U0ALICE', 'workflow status')).text).toBe("You haven't started a workflow run recently.\nName one: `workflow status wf-12`, or see `workflow history`.");
    await as('U0ALICE', 'workflow run deploy service=api', { role: 'responder' });
    await as('U0BOB', 'workflow run deploy service=web', { role: 'responder' });

    expect((await as('U0ALICE', 'workflow status')).text).toMatch(/^deploy wf-1: waiting \(service=api env=staging\), started by <@U0ALICE>/);
    expect((await as('U0ALICE', 'workflow status wf-3')).text).toBe('There is no workflow run wf-3.\nSee `/ops workflow history` for recent runs.');
    expect((await as('U0ALICE', 'workflow history deploy')).text.split('\n').slice(0, 3)).toEqual([
      'Recent runs of deploy',
      expect.stringMatching(/^wf-2 deploy waiting by <@U0BOB>/),
      expect.stringMatching(/^wf-1 deploy waiting by <@U0ALICE>/),
    ]);
  });

  it('passes a step decision to the engine, whose refusal is shown as it is', async () => {
    const { as } = opsbot();
    await as('U0ALICE', 'workflow run slow', { role: 'responder' });

    const { text } = await as('U0ALICE', 'workflow resolve wf-1 work mark-done', { role: 'responder' });

    expect(text).toBe('Step work of wf-1 is not waiting for a decision.');
  });
});
