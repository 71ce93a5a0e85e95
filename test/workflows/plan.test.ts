import { describe, expect, it } from 'vitest';
import type { WorkflowStep, WorkflowStepStatus } from '../../src/store/types.ts';
import type { Step } from '../../src/workflows/definition.ts';
import { blank } from '../../src/workflows/active-run.ts';
import { type PlanStep, plan, undoOrder } from '../../src/workflows/plan.ts';
import { indexSteps } from '../../src/workflows/step-path.ts';
import { action, approval, parallel, wait } from './engine-rig.ts';

function records(entries: Record<string, WorkflowStepStatus | PlanStep>): Map<string, PlanStep> {
  return new Map(Object.entries(entries).map(([path, r]) => [path, typeof r === 'string' ? { status: r } : r]));
}

/** The decisions as `kind path` (+ status for finish), for reading. */
function decided(steps: Step[], entries: Record<string, WorkflowStepStatus | PlanStep>): { decisions: string[]; outcome: string; failedPath?: string } {
  const result = plan(steps, records(entries));
  return {
    decisions: result.decisions.map((d) => (d.kind === 'finish' ? `finish ${d.path} ${d.status}` : `${d.kind} ${d.path}`)),
    outcome: result.outcome,
    ...(result.failedPath === undefined ? {} : { failedPath: result.failedPath }),
  };
}

const sequence = [action('build', 'record'), action('test', 'record'), action('ship', 'record')];

describe('plan', () => {
  it('begins the first step of a run that has not started', () => {
    expect(decided(sequence, {})).toEqual({ decisions: ['begin build'], outcome: 'active' });
  });

  it('waits while a step is running, waiting or interrupted', () => {
    for (const status of ['running', 'waiting', 'interrupted'] as const) {
      expect(decided(sequence, { build: status })).toEqual({ decisions: [], outcome: 'active' });
    }
  });

  it('passes succeeded and skipped steps, and failed ones that continue on error', () => {
    const steps = [action('build', 'record'), action('lint', 'record', {}, { continueOnError: true }), action('ship', 'record')];
    expect(decided(steps, { build: 'succeeded', lint: 'failed' })).toEqual({ decisions: ['begin ship'], outcome: 'active' });
    expect(decided(steps, { build: 'skipped', lint: 'failed', ship: 'succeeded' })).toEqual({ decisions: [], outcome: 'succeeded' });
  });

  it('treats a step reset by a retry (pending) as not run', () => {
    expect(decided(sequence, { build: 'succeeded', test: 'pending', ship: 'pending' })).toEqual({ decisions: ['begin test'], outcome: 'active' });
  });

  it('fails the run at a blocking failure and begins nothing after it', () => {
    expect(decided(sequence, { build: 'succeeded', test: 'failed' })).toEqual({ decisions: [], outcome: 'failed', failedPath: 'test' });
    expect(decided(sequence, { build: 'cancelled' })).toEqual({ decisions: [], outcome: 'failed', failedPath: 'build' });
  });

  describe('parallel', () => {
    const steps = [
      parallel('checks', [[action('lint', 'record'), action('report', 'record')], [action('unit', 'record')], [wait('soak', 1_000)]]),
      action('ship', 'record'),
    ];

    it('begins the first step of every branch', () => {
      expect(decided(steps, { checks: 'running' }).decisions).toEqual(['begin checks/0/lint', 'begin checks/1/unit', 'begin checks/2/soak']);
    });

    it('finishes the parallel step when every branch is done, then goes on', () => {
      const done = { checks: 'running', 'checks/0/lint': 'succeeded', 'checks/0/report': 'succeeded', 'checks/1/unit': 'succeeded', 'checks/2/soak': 'succeeded' } as const;
      expect(decided(steps, done).decisions).toEqual(['finish checks succeeded']);
      expect(decided(steps, { ...done, checks: 'succeeded' }).decisions).toEqual(['begin ship']);
    });

    it('after a branch fails: begins nothing new, cancels waits, lets running steps finish, then fails', () => {
      const failing = { checks: 'running', 'checks/0/lint': 'succeeded', 'checks/1/unit': 'failed', 'checks/2/soak': 'waiting' } as const;
      expect(decided(steps, failing)).toEqual({ decisions: ['cancel checks/2/soak'], outcome: 'active', failedPath: 'checks/1/unit' });

      const running = { ...failing, 'checks/0/lint': 'running', 'checks/2/soak': 'cancelled' } as const;
      expect(decided(steps, running)).toEqual({ decisions: [], outcome: 'active', failedPath: 'checks/1/unit' });

      const settled = { ...running, 'checks/0/lint': 'succeeded' } as const;
      expect(decided(steps, settled).decisions).toEqual(['finish checks failed']);
      expect(decided(steps, { ...settled, checks: 'failed' })).toEqual({ decisions: [], outcome: 'failed', failedPath: 'checks/1/unit' });
    });

    it('names the failure, not the step it cancelled, as the reason', () => {
      const branches = [parallel('both', [[approval('gate')], [action('check', 'fail')]])];
      expect(decided(branches, { both: 'failed', 'both/0/gate': 'cancelled', 'both/1/check': 'failed' }).failedPath).toBe('both/1/check');
    });
  });

  describe('for_each', () => {
    const notify = action('notify', 'record', {}, { forEach: { items: '${{ [1, 2, 3, 4, 5] }}', concurrency: 2 } });
    const items = [1, 2, 3, 4, 5];

    it('begins items up to the concurrency cap', () => {
      expect(decided([notify], { notify: { status: 'running', items } }).decisions).toEqual(['begin-item notify[0]', 'begin-item notify[1]']);
      expect(decided([notify], { notify: { status: 'running', items }, 'notify[0]': 'succeeded', 'notify[1]': 'running' }).decisions).toEqual(['begin-item notify[2]']);
    });

    it('finishes the step when every item is done; an empty list is done at once', () => {
      const allDone = Object.fromEntries(items.map((_, i) => [`notify[${i}]`, 'succeeded' as const]));
      expect(decided([notify], { notify: { status: 'running', items }, ...allDone }).decisions).toEqual(['finish notify succeeded']);
      expect(decided([notify], { notify: { status: 'running', items: [] } }).decisions).toEqual(['finish notify succeeded']);
    });

    it('stops beginning items after one fails, and fails the step once the rest in flight finish', () => {
      const failing = { notify: { status: 'running' as const, items }, 'notify[0]': 'failed' as const, 'notify[1]': 'running' as const };
      expect(decided([notify], failing)).toEqual({ decisions: [], outcome: 'active', failedPath: 'notify[0]' });
      expect(decided([notify], { ...failing, 'notify[1]': 'succeeded' }).decisions).toEqual(['finish notify failed']);
    });

    it('runs every item despite failures with continue_on_error, and the run goes on', () => {
      const tolerant = action('notify', 'record', {}, { forEach: { items: '[]', concurrency: 5 }, continueOnError: true });
      const next = action('next', 'record');
      const failing = { notify: { status: 'running' as const, items: [1, 2] }, 'notify[0]': 'failed' as const };
      expect(decided([tolerant, next], failing).decisions).toEqual(['begin-item notify[1]']);
      expect(decided([tolerant, next], { ...failing, 'notify[1]': 'succeeded' }).decisions).toEqual(['finish notify failed']);
      expect(decided([tolerant, next], { ...failing, 'notify[1]': 'succeeded', notify: { status: 'failed', items: [1, 2] } }).decisions).toEqual(['begin next']);
    });
  });

  describe('undoOrder', () => {
    const undo = { action: 'record', with: {} };
    const steps = [
      action('a', 'record', {}, { undo }),
      action('b', 'record'),
      action('each', 'record', {}, { undo, forEach: { items: '[]', concurrency: 1 } }),
      action('c', 'record', {}, { undo }),
    ];
    const row = (path: string, completedSeq: number, extra: Partial<WorkflowStep> = {}): WorkflowStep => ({ ...blank(path), status: 'succeeded', attempt: 1, completedSeq, ...extra });

    it('lists completed units with an undo, most recently completed first; for_each items one by one', () => {
      const rows = [row('a', 1), row('b', 2), row('each[0]', 4), row('each[1]', 3), row('each', 5), row('c', 6, { status: 'failed' })];
      expect(undoOrder(indexSteps(steps), rows).map((r) => r.path)).toEqual(['each[0]', 'each[1]', 'a']);
    });

    it('leaves out units already undone', () => {
      const rows = [row('a', 1, { undoStatus: 'succeeded' }), row('c', 2, { undoStatus: 'failed' })];
      expect(undoOrder(indexSteps(steps), rows).map((r) => r.path)).toEqual(['c']);
    });
  });
});
