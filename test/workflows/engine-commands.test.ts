import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { WorkflowDefinition } from '../../src/workflows/definition.ts';
import { REQUESTER, action, approval, parallel, settle, statusOf, stepOf, steps, until, useEngineRig, workflow } from './engine-rig.ts';

describe('workflow engine: commands', () => {
  const rig = useEngineRig();

  describe('cancel', () => {
    it('aborts running actions, cancels waits and approvals, and runs no undo', async () => {
      const def = workflow('deploy', [
        action('prepare', 'record', { value: 'prepared' }, { undo: { action: 'record', with: { value: 'undo prepare' } } }),
        parallel('rollout', [[action('push', 'hang', { value: 'push' })], [approval('gate')]]),
      ]);
      const { engine, clock, events } = rig.open({ definitions: [def] });
      const { runId } = await engine.start('deploy', {}, REQUESTER, 'command');
      await until(clock, 'the push to run', () => rig.world.hanging().includes('rollout/0/push'));
      const approvalId = engine.get(runId)?.approvals[0]?.id;

      await engine.cancel(runId, 'UOPS');
      await settle(clock);

      const view = engine.get(runId);
      expect(view).toMatchObject({ status: 'cancelled', error: 'cancelled by <@UOPS>', finishedAt: clock.now() });
      expect(steps(engine, runId)).toEqual({ prepare: 'succeeded', rollout: 'cancelled', 'rollout/0/push': 'cancelled', 'rollout/1/gate': 'cancelled' });
      expect(view?.approvals[0]?.status).toBe('cancelled');
      expect(rig.world.aborted.get('wf-1:rollout/0/push:1')).toBe('cancelled by <@UOPS>');
      expect(rig.world.ledger.has('wf-1:prepare:undo:1')).toBe(false);
      expect(events).toContain(`approval decided ${approvalId}`);
      expect(engine.activeRuns()).toBe(0);
      await expect(engine.decide(approvalId ?? 0, 'UAPPROVER1', 'approve')).resolves.toEqual({ changed: false, why: 'This approval is already cancelled; nothing changed.' });
    });

    it('refuses to cancel a finished run', async () => {
      const { engine, clock } = rig.open({ definitions: [workflow('quick', [action('one', 'record')])] });
      const { runId } = await engine.start('quick', {}, REQUESTER, 'command');
      await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

      await expect(engine.cancel(runId, 'UOPS')).rejects.toMatchObject({ code: 'workflow_run_finished', message: 'wf-1 has already finished (succeeded); there is nothing to cancel.' });
      await expect(engine.cancel('wf-99', 'UOPS')).rejects.toMatchObject({ code: 'workflow_run_unknown' });
    });
  });

  describe('start', () => {
    it('finds the run a replayed request already started instead of starting another', async () => {
      const { engine, clock, store } = rig.open({ definitions: [workflow('quick', [action('one', 'record')])] });

      const first = await engine.start('quick', {}, REQUESTER, 'command', { requestKey: '1234.5678.abcd' });
      const replay = await engine.start('quick', {}, REQUESTER, 'command', { requestKey: '1234.5678.abcd' });
      const other = await engine.start('quick', {}, REQUESTER, 'command', { requestKey: '9999.0000.ffff' });
      await until(clock, 'the runs to finish', () => statusOf(engine, other.runId) === 'succeeded');

      expect(replay).toEqual({ runId: first.runId, status: 'running', replayed: true });
      expect(other.runId).not.toBe(first.runId);
      expect(store.workflowRuns.list({ limit: 10 }).map((r) => r.id).sort()).toEqual([first.runId, other.runId].sort());
    });
  });

  describe('rollback', () => {
    const def = workflow('release', [
      action('staging', 'record', { value: 'staging' }, { undo: { action: 'record', with: { value: 'undo staging' } } }),
      action('tag', 'record', { value: 'tag' }),
      action('production', 'record', { value: 'production' }, { undo: { action: 'record', with: { value: 'undo ${{ steps.production.outputs.where }}' } }, outputs: { where: "${{ 'prod-' + result.value }}" } }),
    ]);

    it('runs the undo of completed steps of a finished run, most recent first', async () => {
      const { engine, clock, store } = rig.open({ definitions: [def] });
      const { runId } = await engine.start('release', {}, REQUESTER, 'command');
      await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

      await engine.rollback(runId, 'UOPS');
      await until(clock, 'the rollback to finish', () => statusOf(engine, runId) === 'rolled_back');

      expect([...rig.world.ledger.entries()].slice(3)).toEqual([
        ['wf-1:production:undo:1', 'undo prod-production'],
        ['wf-1:staging:undo:1', 'undo staging'],
      ]);
      expect(store.audit.list({ limit: 5, actor: 'UOPS' }).map((e) => e.action)).toEqual(['workflow.rollback']);
      await expect(engine.rollback(runId, 'UOPS')).rejects.toMatchObject({ code: 'workflow_rolled_back' });
    });

    it('refuses to roll back a run that is still going', async () => {
      const { engine, clock } = rig.open({ definitions: [workflow('slow', [action('slow', 'hang', {}, { undo: { action: 'record', with: {} } })])] });
      const { runId } = await engine.start('slow', {}, REQUESTER, 'command');
      await settle(clock);

      await expect(engine.rollback(runId, 'UOPS')).rejects.toMatchObject({ code: 'workflow_not_finished', message: 'wf-1 is running; only a finished run can be rolled back.' });
    });

    it('says so when nothing has an undo', async () => {
      const { engine, clock } = rig.open({ definitions: [workflow('plain', [action('one', 'record')])] });
      const { runId } = await engine.start('plain', {}, REQUESTER, 'command');
      await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

      await expect(engine.rollback(runId, 'UOPS')).rejects.toMatchObject({ code: 'workflow_nothing_to_undo' });
    });
  });

  describe('retry', () => {
    const def = workflow('pipeline', [
      action('build', 'record', { value: 'image-1' }, { outputs: { image: '${{ result.value }}' } }),
      action('test', 'flaky', { failures: 1, name: 'tests' }),
      action('ship', 'record', { value: '${{ steps.build.outputs.image }}' }),
    ]);

    async function failedRun() {
      const opened = rig.open({ definitions: [def] });
      const { runId } = await opened.engine.start('pipeline', {}, REQUESTER, 'command');
      await until(opened.clock, 'the run to fail', () => statusOf(opened.engine, runId) === 'failed');
      return { ...opened, runId };
    }

    it('starts a failed run again from the failed step; earlier steps keep their outputs and do not run again', async () => {
      const { engine, clock, runId } = await failedRun();

      await engine.retry(runId, {}, 'UOPS');
      await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

      expect(rig.world.calls).toEqual(['wf-1:build:1', 'wf-1:test:1', 'wf-1:test:2', 'wf-1:ship:1']);
      expect(rig.world.ledger.get('wf-1:ship:1')).toBe('image-1');
      expect(engine.get(runId)).toMatchObject({ status: 'succeeded', error: null });
    });

    it('starts again from the step named, with new attempts (and keys) for every step from there', async () => {
      const { engine, clock, runId } = await failedRun();

      await engine.retry(runId, { from: 'build' }, 'UOPS');
      await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

      expect(rig.world.calls).toEqual(['wf-1:build:1', 'wf-1:test:1', 'wf-1:build:2', 'wf-1:test:2', 'wf-1:ship:1']);
      expect(stepOf(engine, runId, 'build').attempt).toBe(2);
    });

    it('refuses a run that did not fail, and a step that does not exist', async () => {
      const { engine, clock, runId } = await failedRun();

      await expect(engine.retry(runId, { from: 'deploy' }, 'UOPS')).rejects.toMatchObject({ code: 'workflow_step_unknown', hint: 'Steps: build, test, ship.' });
      await engine.retry(runId, {}, 'UOPS');
      await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');
      await expect(engine.retry(runId, {}, 'UOPS')).rejects.toMatchObject({
        code: 'workflow_not_retryable',
        message: 'wf-1 is succeeded; only a failed, cancelled or rolled-back run can be retried.',
      });
    });

    it('runs a rolled-back step again, since its effect was undone', async () => {
      const undone = workflow('pipeline', [
        action('build', 'record', { value: 'image' }, { undo: { action: 'record', with: { value: 'delete image' } } }),
        action('test', 'flaky', { failures: 1, name: 'tests' }),
      ]);
      const { engine, clock } = rig.open({ definitions: [undone] });
      const { runId } = await engine.start('pipeline', {}, REQUESTER, 'command');
      await until(clock, 'the rollback to finish', () => statusOf(engine, runId) === 'rolled_back');

      await expect(engine.retry(runId, { from: 'test' }, 'UOPS')).rejects.toMatchObject({ code: 'workflow_retry_after_undo' });
      await engine.retry(runId, {}, 'UOPS');
      await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');
      expect(rig.world.calls).toEqual(['wf-1:build:1', 'wf-1:test:1', 'wf-1:build:undo:1', 'wf-1:build:2', 'wf-1:test:2']);
      expect(stepOf(engine, runId, 'build').undo).toEqual({ status: null, error: null });
    });
  });

  describe('concurrency', () => {
    const keyed = (mode: 'queue' | 'refuse'): WorkflowDefinition =>
      workflow('deploy', [action('deploy', 'hang.idempotent', { value: '${{ params.env }}' })], {
        params: { env: { type: 'string', required: true } },
        concurrency: { key: '${{ params.env }}', mode },
      });

    it('queues a run behind the one holding its key, and starts it when that one finishes', async () => {
      const { engine, clock } = rig.open({ definitions: [keyed('queue')] });

      expect(await engine.start('deploy', { env: 'production' }, REQUESTER, 'command')).toEqual({ runId: 'wf-1', status: 'running' });
      expect(await engine.start('deploy', { env: 'production' }, { userId: 'UOTHER', channel: null }, 'command')).toEqual({ runId: 'wf-2', status: 'queued' });
      expect(await engine.start('deploy', { env: 'staging' }, REQUESTER, 'command')).toEqual({ runId: 'wf-3', status: 'running' });
      await settle(clock);
      expect(rig.world.hanging()).toEqual(['deploy', 'deploy']);
      expect(statusOf(engine, 'wf-2')).toBe('queued');

      rig.world.release('deploy');
      await until(clock, 'wf-2 to start', () => statusOf(engine, 'wf-2') === 'running');
      expect(statusOf(engine, 'wf-1')).toBe('succeeded');
      expect(rig.world.calls).toEqual(['wf-1:deploy:1', 'wf-3:deploy:1', 'wf-2:deploy:1']);
    });

    it('refuses a run while another holds its key, naming that run', async () => {
      const { engine } = rig.open({ definitions: [keyed('refuse')] });
      await engine.start('deploy', { env: 'production' }, REQUESTER, 'command');

      await expect(engine.start('deploy', { env: 'production' }, { userId: 'UOTHER', channel: null }, 'command')).rejects.toMatchObject({
        code: 'workflow_busy',
        message: 'deploy is already running for production: wf-1, started by <@UREQUESTER>.',
      });
      expect(engine.list({ limit: 10 }).map((r) => r.id)).toEqual(['wf-1']);
    });

    it('keeps the queue across a restart', async () => {
      const def = keyed('queue');
      const first = rig.open({ definitions: [def] });
      await first.engine.start('deploy', { env: 'production' }, REQUESTER, 'command');
      await first.engine.start('deploy', { env: 'production' }, REQUESTER, 'command');
      await settle(first.clock);
      rig.world.crash();

      const second = rig.open({ definitions: [def], clock: new ManualClock(first.clock.now()) });
      expect(await second.engine.resume()).toEqual({ runs: ['wf-1'], interrupted: [] });
      await settle(second.clock);
      expect(statusOf(second.engine, 'wf-2')).toBe('queued');
      rig.world.release('deploy');
      await until(second.clock, 'wf-2 to start', () => rig.world.hanging().length === 1 && statusOf(second.engine, 'wf-2') === 'running');
    });

    it('starts a queued run at start-up when the run it waited for had finished', async () => {
      const def = keyed('queue');
      const { engine, store, clock } = rig.open({ definitions: [def] });
      // On disk as if opsbot died between finishing wf-1 and starting wf-2.
      const run = { workflow: 'deploy', definition: def, params: { env: 'production' }, requestedBy: 'UREQUESTER', channel: null, trigger: 'command', concurrencyKey: 'production', createdAt: clock.now() };
      store.workflowRuns.create({ ...run, status: 'succeeded' });
      store.workflowRuns.create({ ...run, status: 'queued' });

      expect(await engine.resume()).toEqual({ runs: ['wf-2'], interrupted: [] });
      await settle(clock);
      expect(statusOf(engine, 'wf-2')).toBe('running');
      expect(rig.world.hanging()).toEqual(['deploy']);
    });

    it('cancels a queued run without ever running it', async () => {
      const { engine, clock } = rig.open({ definitions: [keyed('queue')] });
      await engine.start('deploy', { env: 'production' }, REQUESTER, 'command');
      await engine.start('deploy', { env: 'production' }, REQUESTER, 'command');

      await engine.cancel('wf-2', 'UOPS');
      rig.world.release('deploy');
      await until(clock, 'wf-1 to finish', () => statusOf(engine, 'wf-1') === 'succeeded');

      expect(statusOf(engine, 'wf-2')).toBe('cancelled');
      expect(rig.world.calls).toEqual(['wf-1:deploy:1']);
    });
  });

  it('lists runs newest first, by workflow and status', async () => {
    const { engine, clock } = rig.open({ definitions: [workflow('a', [action('one', 'record')]), workflow('b', [action('one', 'hang')])] });
    await engine.start('a', {}, REQUESTER, 'command');
    await engine.start('b', {}, REQUESTER, 'schedule');
    await engine.start('a', {}, REQUESTER, 'webhook');
    await settle(clock);

    expect(engine.list({ limit: 10 }).map((r) => [r.id, r.workflow, r.status, r.trigger])).toEqual([
      ['wf-3', 'a', 'succeeded', 'webhook'],
      ['wf-2', 'b', 'running', 'schedule'],
      ['wf-1', 'a', 'succeeded', 'command'],
    ]);
    expect(engine.list({ limit: 1, workflow: 'a' }).map((r) => r.id)).toEqual(['wf-3']);
    expect(engine.list({ limit: 10, status: ['running', 'waiting'] }).map((r) => r.id)).toEqual(['wf-2']);
    expect(engine.get('2')?.id).toBe('wf-2');
  });
});
