import type { InputBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseArgs, tokenize } from '../../../src/commands/parser.ts';
import type { MessageContent } from '../../../src/slack/chat-port.ts';
import { workflowDescribeView, workflowHistoryView, workflowListView } from '../../../src/slack/views/workflow-info-views.ts';
import { fillInPrompt, paramsModal, paramsModalErrors, readParamsModal, runCommandText } from '../../../src/slack/views/workflow-params-modal.ts';
import { approvalMessage, interruptedMessage, runMessage, stepLogMessage } from '../../../src/slack/views/workflow-views.ts';
import type { WorkflowDefinition } from '../../../src/workflows/definition.ts';
import type { ApprovalView, RunView, StepView } from '../../../src/workflows/run-view.ts';

const T0 = Date.parse('2026-03-02T09:30:00Z');

function step(path: string, extra: Partial<StepView> = {}): StepView {
  return {
    path,
    id: path,
    name: path,
    kind: 'action',
    depth: 0,
    status: 'pending',
    attempt: 0,
    maxAttempts: 1,
    idempotencyKey: null,
    startedAt: null,
    finishedAt: null,
    wakeAt: null,
    outputs: null,
    error: null,
    undo: null,
    ...extra,
  };
}

function run(extra: Partial<RunView> = {}): RunView {
  return {
    id: 'wf-3',
    workflow: 'deploy',
    params: { service: 'api', version: 'v2.3.0' },
    status: 'running',
    requestedBy: 'U0ALICE',
    channel: 'C0GENERAL',
    threadTs: '1.000100',
    trigger: 'command',
    concurrencyKey: null,
    error: null,
    createdAt: T0,
    updatedAt: T0,
    finishedAt: null,
    description: 'Build and roll out a service',
    steps: [],
    approvals: [],
    ...extra,
  };
}

function approval(extra: Partial<ApprovalView> = {}): ApprovalView {
  return {
    id: 7,
    runId: 'wf-3',
    path: 'approve',
    approvers: { users: ['U0BOB'], groups: ['S0ONCALL'], roles: ['deployer'] },
    min: 2,
    message: 'Roll api v2.3.0 out to production?',
    expiresAt: T0 + 3_600_000,
    status: 'pending',
    messageTs: null,
    createdAt: T0,
    decidedAt: null,
    decisions: [],
    ...extra,
  };
}

/** Every text a person reads in a message's blocks. */
function shown(message: MessageContent): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'text' && typeof v === 'string') parts.push(v);
        else walk(v);
      }
    }
  };
  walk(message.blocks);
  return parts.join('\n');
}

function buttons(message: MessageContent): Array<{ action_id: string; value: string }> {
  return (message.blocks ?? []).flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => ({ action_id: String(e.action_id), value: String((e as { value?: string }).value) })) : []));
}

describe('the run parent message', () => {
  it('shows the workflow, params, who started it, status, elapsed time and the step list with marks', () => {
    const view = run({
      status: 'waiting',
      steps: [
        step('build', { name: 'Build', status: 'succeeded', attempt: 2, maxAttempts: 3, startedAt: T0, finishedAt: T0 + 12_000 }),
        step('checks', { kind: 'parallel', name: 'Checks', status: 'succeeded' }),
        step('checks/0/lint', { name: 'Lint', depth: 1, status: 'skipped' }),
        step('approve', { kind: 'approval', name: 'Approve', status: 'waiting' }),
        step('rollout', { name: 'Roll out' }),
      ],
    });

    const message = runMessage(view, { now: T0 + 125_000 });

    const lines = shown(message).split('\n');
    expect(lines.slice(0, 3)).toEqual(['*deploy* · `wf-3` — ⏸️ waiting', '`service=api version=v2.3.0`', expect.stringMatching(/^Started by <@U0ALICE> <!date\^\d+\^.*> · running for 2m5s$/)]);
    expect(lines.slice(3, 8)).toEqual(['✅ Build · attempt 2/3 · 12s', '✅ Checks', '    ⏭️ Lint', '⏸️ Approve · waiting for approval', '▫️ Roll out']);
    expect(buttons(message)).toEqual([{ action_id: 'ops.run:cancel', value: 'workflow cancel wf-3' }]);
    expect(message.text).toBe('deploy wf-3: waiting (service=api version=v2.3.0), started by <@U0ALICE>, 2m5s');
  });

  it('offers Retry and Roll back on a failed run, with the error and the failing attempt', () => {
    const view = run({
      status: 'failed',
      finishedAt: T0 + 60_000,
      error: 'test: exited with 2',
      steps: [step('test', { name: 'Test', status: 'failed', attempt: 3, maxAttempts: 3, error: 'exited with 2\nexpected 200, got 500' })],
    });

    const message = runMessage(view, { now: T0 + 3_600_000 });

    expect(shown(message)).toContain('❌ Test · attempt 3/3 — exited with 2 expected 200, got 500');
    expect(shown(message)).toContain('*Error:* test: exited with 2');
    expect(shown(message)).toContain('took 1m');
    expect(buttons(message)).toEqual([
      { action_id: 'ops.run:retry', value: 'workflow retry wf-3' },
      { action_id: 'ops.run:rollback', value: 'workflow rollback wf-3' },
    ]);
  });

  it('marks undone steps and offers nothing once rolled back', () => {
    const view = run({
      status: 'rolled_back',
      finishedAt: T0 + 1_000,
      steps: [step('a', { status: 'succeeded', undo: { status: 'succeeded', error: null } }), step('b', { status: 'failed', error: 'boom' })],
    });

    const message = runMessage(view, { now: T0 + 2_000 });

    expect(shown(message)).toContain('↩️ a · undone\n❌ b — boom');
    expect(buttons(message)).toEqual([]);
  });

  it('says DRY RUN when opsbot changes nothing outside itself', () => {
    expect(shown(runMessage(run(), { now: T0, dryRun: true }))).toContain('*deploy* · `wf-3` — ⏳ running · *DRY RUN*');
    expect(shown(approvalMessage(run(), approval(), { dryRun: true }))).toContain('🔐 *approve* · deploy `wf-3` · *DRY RUN*');
  });

  it('escapes what people typed, so a param cannot become a mention or a link', () => {
    expect(shown(runMessage(run({ params: { note: '<!channel> & <http://x|y>' } }), { now: T0 }))).toContain('`note=&lt;!channel&gt; &amp; &lt;http://x|y&gt;`');
  });
});

describe('the approval request', () => {
  it('mentions the approvers and says how many must approve, until when, with Approve and Reject buttons', () => {
    const message = approvalMessage(run({ steps: [step('approve', { kind: 'approval', name: 'Production rollout' })] }), approval());

    expect(message.text).toBe('Approval needed for deploy wf-3 (Production rollout) from <@U0BOB>, <!subteam^S0ONCALL>, anyone with the *deployer* role: Roll api v2.3.0 out to production?');
    expect(shown(message)).toContain('🔐 *Production rollout* · deploy `wf-3`\nRoll api v2.3.0 out to production?');
    expect(shown(message)).toMatch(/Approvers: <@U0BOB>, <!subteam\^S0ONCALL>, anyone with the \*deployer\* role · needs 2 approvals · expires <!date\^\d+/);
    expect(buttons(message)).toEqual([
      { action_id: 'ops.run:approve', value: 'workflow approve wf-3' },
      { action_id: 'ops.run:reject', value: 'workflow reject wf-3 --ask' },
    ]);
  });

  it('shows each decision with its time while more are needed', () => {
    const message = approvalMessage(run(), approval({ decisions: [{ approvalId: 7, userId: 'U0BOB', decision: 'approve', reason: 'looks good', at: T0 + 60_000 }] }));

    expect(shown(message)).toMatch(/✅ <@U0BOB> approved <!date\^\d+\^[^|]+\|2026-03-02 09:31:00Z>: looks good/);
    expect(shown(message)).toContain('*⏳ Waiting for approval* (1 of 2)');
    expect(buttons(message)).toHaveLength(2);
  });

  it('loses its buttons once settled, saying how it ended', () => {
    const rejected = approvalMessage(run(), approval({ status: 'rejected', decidedAt: T0 + 5_000, decisions: [{ approvalId: 7, userId: 'U0CAROL', decision: 'reject', reason: null, at: T0 + 5_000 }] }));
    const expired = approvalMessage(run(), approval({ status: 'expired', decidedAt: T0 + 3_600_000 }));

    expect(shown(rejected)).toContain('❌ <@U0CAROL> rejected');
    expect(shown(rejected)).toContain('*❌ Rejected*');
    expect(rejected.text).toBe('❌ Rejected: deploy wf-3 (approve), rejected by <@U0CAROL> at 2026-03-02 09:30:05Z');
    expect(buttons(rejected)).toEqual([]);
    expect(shown(expired)).toContain('*⌛ Expired*');
    expect(shown(expired)).not.toContain('expires');
    expect(buttons(expired)).toEqual([]);
  });

  it('names its step on the buttons inside a parallel branch, where several may wait', () => {
    expect(buttons(approvalMessage(run(), approval({ path: 'regions/1/eu' }))).map((b) => b.value)).toEqual(['workflow approve wf-3 step=regions/1/eu', 'workflow reject wf-3 step=regions/1/eu --ask']);
  });
});

describe('thread messages', () => {
  it('asks about an interrupted step with Retry, Mark done and Abort, and drops them once decided', () => {
    const open = interruptedMessage('wf-3', { path: 'deploy', name: 'Deploy', attempt: 1, status: 'interrupted' });
    const decided = interruptedMessage('wf-3', { path: 'deploy', name: 'Deploy', attempt: 1, status: 'succeeded' });

    expect(shown(open)).toContain('Step *Deploy* (`deploy`) may or may not have completed');
    expect(buttons(open).map((b) => b.value)).toEqual(['workflow resolve wf-3 deploy retry', 'workflow resolve wf-3 deploy mark-done', 'workflow resolve wf-3 deploy abort']);
    expect(buttons(decided)).toEqual([]);
    expect(shown(decided)).toContain('Decided: the step is now succeeded.');
  });

  it('shows a short log line inline, longer output in a code block, and very long output as text the chat port files', () => {
    expect(stepLogMessage({ path: 'build', name: 'Build' }, 'built image api:v2\n')).toEqual({ text: 'Build: built image api:v2', blocks: [expect.objectContaining({ type: 'context' })] });
    expect(shown(stepLogMessage({ path: 'build', name: 'Build' }, 'line 1\nline 2'))).toBe('*Build* (`build`)\n```line 1\nline 2```');
    const long = stepLogMessage({ path: 'build', name: 'build' }, 'x'.repeat(10_000));
    expect(long.blocks).toBeUndefined();
    expect(long.text.length).toBeGreaterThan(10_000);
  });
});

const deploy: WorkflowDefinition = {
  name: 'deploy',
  description: 'Build and roll out a service',
  params: {
    service: { type: 'string', required: true, enum: ['api', 'web'] },
    version: { type: 'string', required: true, pattern: 'v\\d+', description: 'release tag' },
    env: { type: 'string', required: false, default: 'staging', enum: ['staging', 'production'] },
    dry: { type: 'boolean', required: false, default: false },
  },
  run: { role: 'responder', byParam: 'env', values: { production: 'deployer' } },
  concurrency: { key: '${{ params.service }}', mode: 'queue' },
  triggers: { command: true, schedules: [{ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', params: { service: 'api' } }], webhook: { tokenEnv: 'DEPLOY_TOKEN' } },
  steps: [
    { kind: 'action', id: 'build', name: 'Build', action: 'shell', with: {}, continueOnError: false, retry: { max: 2, backoffMs: 1000, maxBackoffMs: 5000 } },
    { kind: 'approval', id: 'approve', approvers: { users: [], groups: [], roles: ['deployer'] }, min: 2, expiresMs: 3_600_000, continueOnError: false },
    { kind: 'parallel', id: 'regions', continueOnError: false, branches: [[{ kind: 'wait', id: 'soak', durationMs: 300_000, continueOnError: false }]] },
  ],
  file: 'workflows/deploy.yaml',
  source: 'workflow',
};

describe('workflow list, describe and history', () => {
  it('describes params with types, defaults, enums and patterns, the steps, the role per env and the triggers', () => {
    const text = shown(workflowDescribeView(deploy, '/ops'));

    expect(text).toContain('*Run:* `/ops workflow run deploy service=&lt;service&gt; version=&lt;version&gt;`');
    expect(text).toContain('*Needs:* *responder* (env=production: *deployer*)');
    expect(text).toContain('• *service* (string, required) — one of `api`, `web`');
    expect(text).toContain('• *version* (string, required) — release tag · matches `v\\d+`');
    expect(text).toContain('• *env* (string, optional) — one of `staging`, `production` · default `staging`');
    expect(text).toContain('1. `build` — Build · shell · 2 retries');
    expect(text).toContain('2. `approve` · approval by anyone with the *deployer* role (2 needed, expires after 1h)');
    expect(text).toContain('3. `regions` · 1 branches in parallel\n    _branch 1_\n        • `soak` · wait 5m');
    expect(text).toContain('• schedule `0 9 * * 1-5` (Europe/Berlin) with `service=api`');
    expect(text).toContain('• `POST /webhooks/workflows/deploy` with the token in `DEPLOY_TOKEN`');
    expect(text).toContain('one run at a time per `${{ params.service }}`; others are queued');
  });

  it('lists workflows and playbooks apart, and history newest first', () => {
    const list = workflowListView([deploy, { ...deploy, name: 'restart-pod', source: 'playbook' }], '/ops');
    expect(list.text).toBe('Workflows:\ndeploy: Build and roll out a service\nrestart-pod: Build and roll out a service');
    expect(shown(list)).toContain('*Playbooks* (triggered by alerts)\n• *restart-pod*');

    const history = workflowHistoryView([{ ...run({ status: 'succeeded' }), id: 'wf-4' }, run({ status: 'failed' })], 'deploy');
    expect(history.text.split('\n')).toEqual(['Recent runs of deploy', 'wf-4 deploy succeeded by <@U0ALICE> at 2026-03-02 09:30:00Z', 'wf-3 deploy failed by <@U0ALICE> at 2026-03-02 09:30:00Z']);
  });
});

describe('the params modal', () => {
  it('has an input per param: choices as selects, given values and defaults filled in, required ones required', () => {
    const modal = paramsModal(deploy, { service: 'web' }, { channel: 'C0GENERAL' });

    expect(modal).toMatchObject({ type: 'modal', callback_id: 'workflow_run', private_metadata: JSON.stringify({ workflow: 'deploy', channel: 'C0GENERAL' }) });
    const inputs = modal.blocks.filter((b): b is InputBlock => b.type === 'input');
    expect(inputs.map((b) => [b.block_id, b.optional, b.element.type])).toEqual([
      ['param:service', false, 'static_select'],
      ['param:version', false, 'plain_text_input'],
      ['param:env', true, 'static_select'],
      ['param:dry', true, 'static_select'],
    ]);
    expect(inputs[0]?.element).toMatchObject({ initial_option: { value: 'web' } });
    expect(inputs[1]).toMatchObject({ hint: { text: 'release tag · must match v\\d+' } });
    expect(inputs[2]?.element).toMatchObject({ initial_option: { value: 'staging' } });
    expect(inputs[3]?.element).toMatchObject({ options: [{ value: 'true' }, { value: 'false' }], initial_option: { value: 'false' } });
  });

  it('reads a submission back, and names the fields the params schema refuses', () => {
    const submitted = {
      ...paramsModal(deploy, {}, { channel: 'C0GENERAL' }),
      state: {
        values: {
          'param:service': { value: { type: 'static_select', selected_option: { value: 'api' } } },
          'param:version': { value: { type: 'plain_text_input', value: 'latest' } },
          'param:env': { value: { type: 'static_select', selected_option: null } },
        },
      },
    };

    expect(readParamsModal(submitted)).toEqual({ workflow: 'deploy', target: { channel: 'C0GENERAL' }, params: { service: 'api', version: 'latest' } });
    expect(paramsModalErrors(submitted, new Map([['deploy', deploy]]))).toEqual({ 'param:version': 'must match v\\d+ (got "latest")' });
  });

  it('turns values into command text the parser gives back exactly', () => {
    const values = { a: 'v1; rm -rf /', b: 'say "hi" \\o/', c: '<@U0BOB> & <!here>', d: '“curly” „low“', e: "it's" };

    const text = runCommandText('deploy', values);

    expect(parseArgs(tokenize(text))).toEqual({ positional: ['workflow', 'run', 'deploy'], named: values });
  });

  it('offers a Fill in… button that runs the command with what was given', () => {
    const prompt = fillInPrompt(deploy, { service: 'api' }, ['version']);
    expect(prompt.text).toBe('deploy needs version. Fill them in to start it.');
    expect(buttons(prompt)).toEqual([{ action_id: 'ops.run:fill-in', value: 'workflow run deploy service="api"' }]);
  });
});
