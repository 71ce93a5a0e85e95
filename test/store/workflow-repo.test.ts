import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/store.ts';
import type { NewWorkflowRun, Store, WorkflowStep } from '../../src/store/types.ts';
import type { WorkflowDefinition } from '../../src/workflows/definition.ts';
import { useTempFiles } from './temp-files.ts';

const definition: WorkflowDefinition = {
  name: 'deploy',
  description: 'Deploy a service',
  params: { env: { type: 'string', required: true } },
  run: { role: 'deployer' },
  concurrency: { key: '${{ params.env }}', mode: 'queue' },
  triggers: { command: true, schedules: [] },
  steps: [{ kind: 'action', id: 'apply', action: 'shell', with: { argv: ['deploy', '${{ params.env }}'] }, continueOnError: false }],
  file: 'workflows/deploy.yaml',
  source: 'workflow',
};

function newRun(extra: Partial<NewWorkflowRun> = {}): NewWorkflowRun {
  return {
    workflow: 'deploy',
    definition,
    params: { env: 'production' },
    status: 'running',
    requestedBy: 'U1',
    channel: 'C1',
    trigger: 'command',
    concurrencyKey: 'production',
    createdAt: 1_000,
    ...extra,
  };
}

function step(path: string, extra: Partial<WorkflowStep> = {}): WorkflowStep {
  return {
    path,
    status: 'running',
    attempt: 1,
    idempotencyKey: `wf-1:${path}:1`,
    outputs: null,
    items: null,
    error: null,
    startedAt: 1_000,
    finishedAt: null,
    wakeAt: null,
    completedSeq: null,
    pid: null,
    pidStartedAt: null,
    argv0: null,
    undoStatus: null,
    undoAttempt: 0,
    undoError: null,
    ...extra,
  };
}

describe('workflow repos', () => {
  const files = useTempFiles();
  const open = (): Store => createStore(files.open(), { isProcessAlive: () => true });

  describe('runs', () => {
    it('numbers runs wf-1, wf-2, … and keeps the definition they started with', () => {
      const store = open();

      expect(store.workflowRuns.create(newRun())).toBe('wf-1');
      expect(store.workflowRuns.create(newRun({ status: 'queued' }))).toBe('wf-2');

      expect(store.workflowRuns.get('wf-1')).toEqual({
        id: 'wf-1',
        workflow: 'deploy',
        definition,
        params: { env: 'production' },
        status: 'running',
        requestedBy: 'U1',
        channel: 'C1',
        threadTs: null,
        trigger: 'command',
        concurrencyKey: 'production',
        error: null,
        createdAt: 1_000,
        updatedAt: 1_000,
        finishedAt: null,
      });
      expect(store.workflowRuns.get('wf-3')).toBeUndefined();
    });

    it('changes status, error and finish time, keeping what a change leaves out', () => {
      const store = open();
      const id = store.workflowRuns.create(newRun());

      store.workflowRuns.setStatus(id, { status: 'rolling_back', at: 2_000, error: 'apply: exit 1' });
      expect(store.workflowRuns.get(id)).toMatchObject({ status: 'rolling_back', error: 'apply: exit 1', updatedAt: 2_000, finishedAt: null });
      store.workflowRuns.setStatus(id, { status: 'rolled_back', at: 3_000, finishedAt: 3_000 });
      expect(store.workflowRuns.get(id)).toMatchObject({ status: 'rolled_back', error: 'apply: exit 1', finishedAt: 3_000 });
      store.workflowRuns.setThread(id, '1700000000.000100', 3_500);
      expect(store.workflowRuns.get(id)?.threadTs).toBe('1700000000.000100');
    });

    it('finds what start-up resumes, who holds a key and who queues behind it', () => {
      const store = open();
      const done = store.workflowRuns.create(newRun());
      store.workflowRuns.setStatus(done, { status: 'succeeded', at: 2_000, finishedAt: 2_000 });
      const holder = store.workflowRuns.create(newRun({ status: 'waiting' }));
      const queued = store.workflowRuns.create(newRun({ status: 'queued' }));
      store.workflowRuns.create(newRun({ status: 'queued' }));
      store.workflowRuns.create(newRun({ concurrencyKey: 'staging' }));

      expect(store.workflowRuns.unfinished().map((r) => r.id)).toEqual(['wf-2', 'wf-3', 'wf-4', 'wf-5']);
      expect(store.workflowRuns.holder('deploy', 'production')?.id).toBe(holder);
      expect(store.workflowRuns.nextQueued('deploy', 'production')?.id).toBe(queued);
      expect(store.workflowRuns.holder('other', 'production')).toBeUndefined();
      expect(store.workflowRuns.holder('deploy', 'dev')).toBeUndefined();
    });

    it('lists newest first, by workflow and status, without definitions', () => {
      const store = open();
      store.workflowRuns.create(newRun());
      store.workflowRuns.create(newRun({ workflow: 'restart', status: 'failed' }));
      store.workflowRuns.create(newRun({ status: 'paused' }));

      expect(store.workflowRuns.list({ limit: 10 }).map((r) => r.id)).toEqual(['wf-3', 'wf-2', 'wf-1']);
      expect(store.workflowRuns.list({ limit: 10, workflow: 'deploy' }).map((r) => r.id)).toEqual(['wf-3', 'wf-1']);
      expect(store.workflowRuns.list({ limit: 10, status: ['failed', 'paused'] }).map((r) => r.id)).toEqual(['wf-3', 'wf-2']);
      expect(store.workflowRuns.list({ limit: -1 })).toEqual([]);
      expect(store.workflowRuns.list({ limit: 1 })[0]).not.toHaveProperty('definition');
    });
  });

  describe('steps', () => {
    it('writes a whole step row and reads it back, JSON included', () => {
      const store = open();
      const runId = store.workflowRuns.create(newRun());
      const row = step('notify', { status: 'succeeded', items: ['eu', { region: 'us' }], outputs: { code: 200, body: { ok: true } }, completedSeq: 3 });

      store.workflowSteps.put(runId, row);
      store.workflowSteps.put(runId, step('apply'));

      expect(store.workflowSteps.get(runId, 'notify')).toEqual(row);
      expect(store.workflowSteps.forRun(runId).map((s) => s.path)).toEqual(['apply', 'notify']);
      store.workflowSteps.put(runId, { ...row, status: 'failed', error: 'boom' });
      expect(store.workflowSteps.get(runId, 'notify')).toMatchObject({ status: 'failed', error: 'boom', outputs: { code: 200, body: { ok: true } } });
    });

    it('refuses a step of a run that does not exist', () => {
      const store = open();
      expect(() => store.workflowSteps.put('wf-9', step('apply'))).toThrow(/FOREIGN KEY/);
    });

    it('lists recorded processes of any run, and forgets one only if it is still the same pid', () => {
      const store = open();
      const runId = store.workflowRuns.create(newRun());
      store.workflowSteps.put(runId, step('apply', { pid: 4242, pidStartedAt: 5_000, argv0: 'deploy' }));
      store.workflowSteps.put(runId, step('other'));

      expect(store.workflowSteps.withProcess()).toEqual([{ runId, path: 'apply', pid: 4242, pidStartedAt: 5_000, argv0: 'deploy' }]);
      store.workflowSteps.clearProcess(runId, 'apply', 999);
      expect(store.workflowSteps.withProcess()).toHaveLength(1);
      store.workflowSteps.clearProcess(runId, 'apply', 4242);
      expect(store.workflowSteps.withProcess()).toEqual([]);
      expect(store.workflowSteps.get(runId, 'apply')).toMatchObject({ pid: null, pidStartedAt: null, argv0: null, status: 'running' });
    });
  });

  describe('approvals', () => {
    function withApproval(store: Store) {
      const runId = store.workflowRuns.create(newRun());
      const id = store.workflowApprovals.create({
        runId,
        path: 'gate',
        approvers: { users: ['U2'], groups: ['S1'], roles: ['admin'] },
        min: 2,
        message: 'Ship it?',
        expiresAt: 9_000,
        createdAt: 1_000,
      });
      return { runId, id };
    }

    it('stores an approval as pending, and settles it only once', () => {
      const store = open();
      const { runId, id } = withApproval(store);

      expect(store.workflowApprovals.get(id)).toEqual({
        id,
        runId,
        path: 'gate',
        approvers: { users: ['U2'], groups: ['S1'], roles: ['admin'] },
        min: 2,
        message: 'Ship it?',
        expiresAt: 9_000,
        status: 'pending',
        messageTs: null,
        createdAt: 1_000,
        decidedAt: null,
      });
      expect(store.workflowApprovals.settle(id, 'approved', 2_000)).toBe(true);
      expect(store.workflowApprovals.settle(id, 'expired', 9_000)).toBe(false);
      expect(store.workflowApprovals.get(id)).toMatchObject({ status: 'approved', decidedAt: 2_000 });
      store.workflowApprovals.setMessageTs(id, '1700000000.000200');
      expect(store.workflowApprovals.latest(runId, 'gate')?.messageTs).toBe('1700000000.000200');
    });

    it('keeps one decision per person: a second one is refused and the first stands', () => {
      const store = open();
      const { runId, id } = withApproval(store);

      expect(store.workflowApprovals.addDecision({ approvalId: id, userId: 'U2', decision: 'approve', reason: null, at: 1_500 })).toBe(true);
      expect(store.workflowApprovals.addDecision({ approvalId: id, userId: 'U2', decision: 'reject', reason: 'changed my mind', at: 1_600 })).toBe(false);
      expect(store.workflowApprovals.addDecision({ approvalId: id, userId: 'U3', decision: 'reject', reason: 'no', at: 1_700 })).toBe(true);

      expect(store.workflowApprovals.decisions(id)).toEqual([
        { approvalId: id, userId: 'U2', decision: 'approve', reason: null, at: 1_500 },
        { approvalId: id, userId: 'U3', decision: 'reject', reason: 'no', at: 1_700 },
      ]);
      expect(store.workflowApprovals.decisionsForRun(runId)).toHaveLength(2);
    });

    it('finds the newest approval of a step asked again after a retry', () => {
      const store = open();
      const { runId } = withApproval(store);
      const again = store.workflowApprovals.create({ runId, path: 'gate', approvers: { users: [], groups: [], roles: ['deployer'] }, min: 1, message: null, expiresAt: 20_000, createdAt: 10_000 });

      expect(store.workflowApprovals.latest(runId, 'gate')?.id).toBe(again);
      expect(store.workflowApprovals.forRun(runId).map((a) => a.id)).toHaveLength(2);
    });
  });
});
