import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { WorkflowDefinition } from '../../src/workflows/definition.ts';
import { type EngineRun, REQUESTER, action, settle, statusOf, stepOf, steps, until, useEngineRig, workflow } from './engine-rig.ts';

/**
 * A crash: the first engine is left exactly as it was (its store open, its step running), the
 * world forgets what hung in the dead process, and a new engine opens the same file and resumes.
 */
describe('workflow engine: resuming after a crash', () => {
  const rig = useEngineRig();

  async function runUntilHanging(def: WorkflowDefinition, path: string) {
    const first = rig.open({ definitions: [def] });
    const { runId } = await first.engine.start(def.name, {}, REQUESTER, 'command');
    await until(first.clock, `${path} to be running`, () => rig.world.hanging().includes(path));
    return { first, runId };
  }

  function restart(first: EngineRun, def: WorkflowDefinition): EngineRun {
    rig.world.crash();
    return rig.open({ definitions: [def], clock: new ManualClock(first.clock.now() + 5_000) });
  }

  it('re-runs an idempotent step that was in flight with the same idempotency key, so its effect applies once', async () => {
    const def = workflow('deploy', [action('build', 'record', { value: 'image' }), action('apply', 'hang.idempotent', { value: 'applied' }), action('verify', 'record', { value: 'ok' })]);
    const { first, runId } = await runUntilHanging(def, 'apply');
    expect(rig.world.ledger.get('wf-1:apply:1')).toBe('applied');

    const second = restart(first, def);
    expect(await second.engine.resume()).toEqual({ runs: ['wf-1'], interrupted: [] });
    await settle(second.clock);
    expect(rig.world.hanging()).toEqual(['apply']);
    rig.world.release('apply');
    await until(second.clock, 'the run to finish', () => statusOf(second.engine, runId) === 'succeeded');

    expect(rig.world.calls).toEqual(['wf-1:build:1', 'wf-1:apply:1', 'wf-1:apply:1', 'wf-1:verify:1']);
    expect([...rig.world.ledger.keys()]).toEqual(['wf-1:build:1', 'wf-1:apply:1', 'wf-1:verify:1']);
    expect(stepOf(second.engine, runId, 'apply')).toMatchObject({ status: 'succeeded', attempt: 1, idempotencyKey: 'wf-1:apply:1' });
  });

  describe('a non-idempotent step that was in flight', () => {
    const def = workflow('migrate', [
      action('backup', 'record', { value: 'backup' }, { undo: { action: 'record', with: { value: 'drop backup' } } }),
      action('migrate', 'hang', { value: 'ALTER TABLE' }),
      action('announce', 'record', { value: 'done' }),
    ]);

    async function crashedWhileMigrating() {
      const { first, runId } = await runUntilHanging(def, 'migrate');
      const second = restart(first, def);
      const report = await second.engine.resume();
      await settle(second.clock);
      return { second, runId, report };
    }

    it('pauses the run, saying the step may or may not have completed, and does not run it again', async () => {
      const { second, runId, report } = await crashedWhileMigrating();

      expect(report).toEqual({ runs: ['wf-1'], interrupted: [{ runId: 'wf-1', path: 'migrate' }] });
      expect(statusOf(second.engine, runId)).toBe('paused');
      expect(stepOf(second.engine, runId, 'migrate')).toMatchObject({
        status: 'interrupted',
        attempt: 1,
        error: 'step migrate may or may not have completed: opsbot stopped while it was running (attempt 1)',
      });
      expect(rig.world.appended).toEqual([{ key: 'wf-1:migrate:1', value: 'ALTER TABLE' }]);
      expect(rig.world.ledger.has('wf-1:announce:1')).toBe(false);
    });

    it('runs it again as a new attempt when a person says retry', async () => {
      const { second, runId } = await crashedWhileMigrating();

      await second.engine.resolveInterrupted(runId, 'migrate', 'retry', 'UOPS');
      await settle(second.clock);
      expect(statusOf(second.engine, runId)).toBe('running');
      rig.world.release('migrate');
      await until(second.clock, 'the run to finish', () => statusOf(second.engine, runId) === 'succeeded');

      expect(rig.world.appended.map((a) => a.key)).toEqual(['wf-1:migrate:1', 'wf-1:migrate:2']);
      expect(stepOf(second.engine, runId, 'migrate')).toMatchObject({ status: 'succeeded', attempt: 2 });
      expect(second.store.audit.list({ limit: 20, actor: 'UOPS' }).map((e) => [e.action, e.outcome])).toEqual([['workflow.resolve', 'retry']]);
    });

    it('goes on without running it when a person marks it done', async () => {
      const { second, runId } = await crashedWhileMigrating();

      await second.engine.resolveInterrupted(runId, 'migrate', 'mark-done', 'UOPS');
      await until(second.clock, 'the run to finish', () => statusOf(second.engine, runId) === 'succeeded');

      expect(rig.world.appended).toHaveLength(1);
      expect(steps(second.engine, runId)).toEqual({ backup: 'succeeded', migrate: 'succeeded', announce: 'succeeded' });
    });

    it('fails the run and undoes completed steps when a person aborts it', async () => {
      const { second, runId } = await crashedWhileMigrating();

      await second.engine.resolveInterrupted(runId, 'migrate', 'abort', 'UOPS');
      await until(second.clock, 'the rollback to finish', () => statusOf(second.engine, runId) === 'rolled_back');

      expect(stepOf(second.engine, runId, 'migrate')).toMatchObject({ status: 'cancelled', error: 'aborted by <@UOPS>: it may or may not have completed' });
      expect(rig.world.ledger.get('wf-1:backup:undo:1')).toBe('drop backup');
      expect(rig.world.ledger.has('wf-1:announce:1')).toBe(false);
    });

    it('refuses a resolution for a step that is not waiting for one', async () => {
      const { second, runId } = await crashedWhileMigrating();

      await expect(second.engine.resolveInterrupted(runId, 'backup', 'retry', 'UOPS')).rejects.toMatchObject({
        code: 'workflow_not_interrupted',
        message: 'Step backup of wf-1 is not waiting for a decision.',
      });
    });
  });

  it('hands the process groups recorded by steps in flight to killOrphans before anything runs again, once', async () => {
    const def = workflow('shell', [action('script', 'spawn', { pid: 4242, argv0: './deploy.sh', startedAt: 1_767_225_600_000 })]);
    const { first, runId } = await runUntilHanging(def, 'script');
    expect(first.store.workflowSteps.get(runId, 'script')).toMatchObject({ pid: 4242, argv0: './deploy.sh', pidStartedAt: 1_767_225_600_000 });

    const second = restart(first, def);
    await second.engine.resume();

    expect(rig.world.orphanChecks).toEqual([[{ pid: 4242, argv0: './deploy.sh', startedAt: 1_767_225_600_000 }]]);
    expect(second.store.workflowSteps.get(runId, 'script')).toMatchObject({ status: 'interrupted', pid: null, argv0: null });
    const third = restart(second, def);
    await third.engine.resume();
    expect(rig.world.orphanChecks).toHaveLength(1);
  });

  it('re-runs an idempotent undo that was in flight with the same key', async () => {
    const def = workflow('release', [
      action('publish', 'record', { value: 'v2' }, { undo: { action: 'hang.idempotent', with: { value: 'unpublish' } } }),
      action('check', 'fail', { message: 'smoke test failed' }),
    ]);
    const { first, runId } = await runUntilHanging(def, 'publish');
    expect(statusOf(first.engine, runId)).toBe('rolling_back');

    const second = restart(first, def);
    await second.engine.resume();
    await settle(second.clock);
    rig.world.release('publish');
    await until(second.clock, 'the rollback to finish', () => statusOf(second.engine, runId) === 'rolled_back');

    expect(rig.world.calls.filter((k) => k.includes('undo'))).toEqual(['wf-1:publish:undo:1', 'wf-1:publish:undo:1']);
    expect(rig.world.ledger.get('wf-1:publish:undo:1')).toBe('unpublish');
  });

  it('marks a non-idempotent undo that was in flight failed, and finishes the rollback', async () => {
    const def = workflow('release', [
      action('one', 'record', { value: 1 }, { undo: { action: 'record', with: { value: 'undo one' } } }),
      action('two', 'record', { value: 2 }, { undo: { action: 'hang', with: { value: 'undo two' } } }),
      action('check', 'fail'),
    ]);
    const { first, runId } = await runUntilHanging(def, 'two');

    const second = restart(first, def);
    await second.engine.resume();
    await until(second.clock, 'the rollback to finish', () => statusOf(second.engine, runId) === 'failed');

    expect(stepOf(second.engine, runId, 'two').undo).toEqual({ status: 'failed', error: 'opsbot stopped while this undo ran; it may or may not have completed' });
    expect(rig.world.ledger.get('wf-1:one:undo:1')).toBe('undo one');
    expect(second.engine.get(runId)?.error).toBe('check: failed on purpose; undo failed for two');
  });
});

describe('workflow engine: stopping', () => {
  const rig = useEngineRig();
  const def = workflow('deploy', [action('apply', 'hang.idempotent', { value: 'applied' }), action('verify', 'record', { value: 'ok' })]);

  it('aborts steps in flight without recording an outcome, so the next start resumes them as after a crash', async () => {
    const first = rig.open({ definitions: [def] });
    const { runId } = await first.engine.start('deploy', {}, REQUESTER, 'command');
    await settle(first.clock);

    await first.engine.stop();
    await settle(first.clock);

    expect(rig.world.aborted.get('wf-1:apply:1')).toBe('opsbot is stopping');
    expect(first.store.workflowSteps.get(runId, 'apply')?.status).toBe('running');
    await expect(first.engine.start('deploy', {}, REQUESTER, 'command')).rejects.toMatchObject({ code: 'engine_stopped' });

    const second = rig.open({ definitions: [def], clock: new ManualClock(first.clock.now()) });
    await second.engine.resume();
    await settle(second.clock);
    rig.world.release('apply');
    await until(second.clock, 'the run to finish', () => statusOf(second.engine, runId) === 'succeeded');
    expect(stepOf(second.engine, runId, 'apply').idempotencyKey).toBe('wf-1:apply:1');
  });

  it('with drainMs, records steps that finish in time but begins nothing new', async () => {
    const first = rig.open({ definitions: [def] });
    const { runId } = await first.engine.start('deploy', {}, REQUESTER, 'command');
    await settle(first.clock);

    const stopping = first.engine.stop({ drainMs: 30_000 });
    rig.world.release('apply');
    await stopping;
    await settle(first.clock);

    expect(steps(first.engine, runId)).toEqual({ apply: 'succeeded', verify: 'pending' });
    expect(statusOf(first.engine, runId)).toBe('running');
    expect(first.clock.pendingTimers).toBe(0);
  });
});
