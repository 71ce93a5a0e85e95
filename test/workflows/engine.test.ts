import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { REQUESTER, action, parallel, settle, statusOf, stepOf, steps, until, useEngineRig, wait, workflow } from './engine-rig.ts';

describe('workflow engine: running steps', () => {
  const rig = useEngineRig();

  it('runs steps in order, and a later step sees an earlier step outputs', async () => {
    const def = workflow('build', [
      action('build', 'record', { value: '${{ params.version }}' }, { outputs: { image: "${{ 'registry/api:' + result.value }}" } }),
      action('push', 'record', { value: '${{ steps.build.outputs.image }}' }),
    ], { params: { version: { type: 'string', required: true } } });
    const { engine, clock, events } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('build', { version: 'v2.3.0' }, REQUESTER, 'command');
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(runId).toBe('wf-1');
    expect(rig.world.ledger).toEqual(new Map([
      ['wf-1:build:1', 'v2.3.0'],
      ['wf-1:push:1', 'registry/api:v2.3.0'],
    ]));
    const view = engine.get(runId);
    expect(view).toMatchObject({ workflow: 'build', params: { version: 'v2.3.0' }, requestedBy: 'UREQUESTER', channel: 'C0DEPLOYS', trigger: 'command', error: null });
    expect(view?.steps.map((s) => [s.path, s.status, s.attempt, s.idempotencyKey])).toEqual([
      ['build', 'succeeded', 1, 'wf-1:build:1'],
      ['push', 'succeeded', 1, 'wf-1:push:1'],
    ]);
    expect(stepOf(engine, runId, 'build').outputs).toEqual({ image: 'registry/api:v2.3.0' });
    expect(view?.finishedAt).toBe(clock.now());
    expect(events.every((e) => e === 'run wf-1')).toBe(true);
    expect(engine.activeRuns()).toBe(0);
  });

  it('skips a step whose when is false and goes on', async () => {
    const def = workflow('deploy', [
      action('announce', 'record', { value: 'prod only' }, { when: "${{ params.env == 'production' }}" }),
      action('deploy', 'record', { value: 'deployed' }),
    ], { params: { env: { type: 'string', required: true } } });
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('deploy', { env: 'staging' }, REQUESTER, 'command');
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(steps(engine, runId)).toEqual({ announce: 'skipped', deploy: 'succeeded' });
    expect([...rig.world.ledger.keys()]).toEqual(['wf-1:deploy:1']);
  });

  it('refuses params that fail their schema before any run exists, naming the param', async () => {
    const def = workflow('deploy', [action('deploy', 'record')], {
      params: { version: { type: 'string', required: true, pattern: 'v\\d+\\.\\d+\\.\\d+' } },
    });
    const { engine } = rig.open({ definitions: [def] });

    await expect(engine.start('deploy', { version: 'v1; rm -rf /' }, REQUESTER, 'command')).rejects.toMatchObject({
      code: 'workflow_params_invalid',
      message: expect.stringContaining('version: must match'),
    });
    await expect(engine.start('nope', {}, REQUESTER, 'command')).rejects.toMatchObject({ code: 'workflow_unknown' });
    expect(engine.list({ limit: 10 })).toEqual([]);
  });

  it('retries a failing step after a backoff that doubles, with a new idempotency key per attempt', async () => {
    const def = workflow('flaky', [
      action('probe', 'flaky', { failures: 2 }, { retry: { max: 3, backoffMs: 1_000, maxBackoffMs: 60_000 } }),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('flaky', {}, REQUESTER, 'command');
    await settle(clock);
    expect(stepOf(engine, runId, 'probe')).toMatchObject({ status: 'waiting', attempt: 1, error: 'probe failed (call 1)', wakeAt: clock.now() + 1_000 });
    expect(statusOf(engine, runId)).toBe('waiting');

    await clock.advance(999);
    expect(stepOf(engine, runId, 'probe').attempt).toBe(1);
    await clock.advance(1);
    expect(stepOf(engine, runId, 'probe')).toMatchObject({ status: 'waiting', attempt: 2, wakeAt: clock.now() + 2_000 });
    await clock.advance(2_000);

    expect(stepOf(engine, runId, 'probe')).toMatchObject({ status: 'succeeded', attempt: 3, error: null });
    expect(statusOf(engine, runId)).toBe('succeeded');
    expect(rig.world.calls).toEqual(['wf-1:probe:1', 'wf-1:probe:2', 'wf-1:probe:3']);
  });

  it('fails the run when retries run out, and runs completed steps undo in reverse order', async () => {
    const def = workflow('release', [
      action('staging', 'record', { value: 'staging v2' }, { undo: { action: 'record', with: { value: 'undo staging' } } }),
      action('notes', 'record', { value: 'notes' }),
      action('production', 'record', { value: 'production v2' }, { undo: { action: 'record', with: { value: 'undo production' } } }),
      action('verify', 'fail', { message: 'health check failed' }, { retry: { max: 1, backoffMs: 10, maxBackoffMs: 10 } }),
      action('never', 'record'),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('release', {}, REQUESTER, 'command');
    await clock.advance(10);
    await until(clock, 'the rollback to finish', () => statusOf(engine, runId) === 'rolled_back');

    expect([...rig.world.ledger.values()]).toEqual(['staging v2', 'notes', 'production v2', 'undo production', 'undo staging']);
    expect([...rig.world.ledger.keys()].slice(3)).toEqual(['wf-1:production:undo:1', 'wf-1:staging:undo:1']);
    const view = engine.get(runId);
    expect(view?.error).toBe('verify: health check failed');
    expect(steps(engine, runId)).toEqual({ staging: 'succeeded', notes: 'succeeded', production: 'succeeded', verify: 'failed', never: 'pending' });
    expect(stepOf(engine, runId, 'verify').attempt).toBe(2);
    expect(stepOf(engine, runId, 'staging').undo).toEqual({ status: 'succeeded', error: null });
    expect(stepOf(engine, runId, 'notes').undo).toBeNull();
  });

  it('ends a run failed, naming the undo that failed, when an undo fails', async () => {
    const def = workflow('release', [
      action('first', 'record', { value: 1 }, { undo: { action: 'record', with: { value: 'undo first' } } }),
      action('second', 'record', { value: 2 }, { undo: { action: 'fail', with: { message: 'cannot undo' } } }),
      action('boom', 'fail'),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('release', {}, REQUESTER, 'command');
    await until(clock, 'the rollback to finish', () => statusOf(engine, runId) === 'failed');

    expect(engine.get(runId)?.error).toBe('boom: failed on purpose; undo failed for second');
    expect(stepOf(engine, runId, 'second').undo).toEqual({ status: 'failed', error: 'cannot undo' });
    expect(rig.world.ledger.get('wf-1:first:undo:1')).toBe('undo first');
  });

  it('goes on past a failed step that has continue_on_error', async () => {
    const def = workflow('tidy', [
      action('optional', 'fail', { message: 'cache was cold' }, { continueOnError: true }),
      action('main', 'record', { value: '${{ steps.optional.status }}' }),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('tidy', {}, REQUESTER, 'command');
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(stepOf(engine, runId, 'optional')).toMatchObject({ status: 'failed', error: 'cache was cold' });
    expect(rig.world.ledger.get('wf-1:main:1')).toBe('failed');
  });

  it('aborts an attempt at its timeout and counts it as a failure', async () => {
    const def = workflow('slow', [action('slow', 'hang.idempotent', {}, { timeoutMs: 5_000 })]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('slow', {}, REQUESTER, 'command');
    await clock.advance(4_999);
    expect(stepOf(engine, runId, 'slow').status).toBe('running');
    await clock.advance(1);

    expect(stepOf(engine, runId, 'slow')).toMatchObject({ status: 'failed', error: 'timed out after 5s' });
    expect(statusOf(engine, runId)).toBe('failed');
    expect(rig.world.aborted.get('wf-1:slow:1')).toBe('timed out after 5s');
  });

  it('runs a for_each step once per item with at most `concurrency` in flight, and lists the items outputs', async () => {
    const def = workflow('notify', [
      action('notify', 'hang.idempotent', { value: '${{ item }}' }, {
        forEach: { items: "${{ ['eu', 'us', 'ap', 'sa'] }}", concurrency: 2 },
        outputs: { region: '${{ item }}', ok: '${{ result.ok }}' },
      }),
      action('after', 'record', { value: '${{ steps.notify.outputs.region }}' }),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('notify', {}, REQUESTER, 'command');
    await settle(clock);
    expect(rig.world.hanging()).toEqual(['notify[0]', 'notify[1]']);

    rig.world.release('notify[1]', { ok: true });
    await settle(clock);
    expect(rig.world.hanging()).toEqual(['notify[0]', 'notify[2]']);
    for (const path of ['notify[0]', 'notify[2]']) rig.world.release(path, { ok: true });
    await settle(clock);
    expect(rig.world.hanging()).toEqual(['notify[3]']);
    rig.world.release('notify[3]', { ok: false });
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(stepOf(engine, runId, 'notify').outputs).toEqual({ region: ['eu', 'us', 'ap', 'sa'], ok: [true, true, true, false] });
    expect(stepOf(engine, runId, 'notify[2]')).toMatchObject({ status: 'succeeded', item: { index: 2, value: 'ap' }, idempotencyKey: 'wf-1:notify[2]:1' });
    expect(rig.world.ledger.get('wf-1:after:1')).toEqual(['eu', 'us', 'ap', 'sa']);
  });

  it('fails a for_each step when an item fails, after the items in flight finish, starting no more', async () => {
    const def = workflow('notify', [
      action('notify', 'hang.idempotent', { value: '${{ item }}' }, { forEach: { items: '${{ [1, 2, 3, 4] }}', concurrency: 2 } }),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('notify', {}, REQUESTER, 'command');
    await settle(clock);
    rig.world.failHanging('notify[0]', 'region down');
    await settle(clock);
    expect(rig.world.hanging()).toEqual(['notify[1]']);
    expect(statusOf(engine, runId)).toBe('running');
    rig.world.release('notify[1]');
    await until(clock, 'the run to fail', () => statusOf(engine, runId) === 'failed');

    expect(steps(engine, runId)).toEqual({ notify: 'failed', 'notify[0]': 'failed', 'notify[1]': 'succeeded', 'notify[2]': 'pending', 'notify[3]': 'pending' });
    expect(stepOf(engine, runId, 'notify').error).toBe('1 of 4 items failed, 2 not run');
    expect(engine.get(runId)?.error).toBe('notify[0]: region down');
  });

  it('runs parallel branches at the same time and joins them before the next step', async () => {
    const def = workflow('checks', [
      parallel('checks', [
        [action('lint', 'hang.idempotent', { value: 'lint' }, { outputs: { warnings: '${{ result.warnings }}' } }), action('lint-report', 'record', { value: 'lint report' })],
        [action('test', 'hang.idempotent', { value: 'test' }, { outputs: { passed: '${{ result.passed }}' } })],
      ]),
      action('summary', 'record', { value: '${{ string(steps.lint.outputs.warnings) + " warnings, " + string(steps.test.outputs.passed) + " passed" }}' }),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('checks', {}, REQUESTER, 'command');
    await settle(clock);
    expect(rig.world.hanging()).toEqual(['checks/0/lint', 'checks/1/test']);

    rig.world.release('checks/1/test', { passed: 42 });
    await settle(clock);
    expect(steps(engine, runId)).toMatchObject({ checks: 'running', 'checks/1/test': 'succeeded', summary: 'pending' });
    rig.world.release('checks/0/lint', { warnings: 3 });
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(rig.world.ledger.get('wf-1:summary:1')).toBe('3 warnings, 42 passed');
    expect(engine.get(runId)?.steps.map((s) => [s.path, s.depth, s.branch])).toEqual([
      ['checks', 0, undefined],
      ['checks/0/lint', 1, 0],
      ['checks/0/lint-report', 1, 0],
      ['checks/1/test', 1, 1],
      ['summary', 0, undefined],
    ]);
  });

  it('fails a parallel step when a branch fails, once the other branches settle, and undoes what completed', async () => {
    const def = workflow('rollout', [
      parallel('regions', [
        [action('eu', 'hang.idempotent', { value: 'eu' }, { undo: { action: 'record', with: { value: 'undo eu' } } })],
        [action('us', 'hang.idempotent', { value: 'us' }), action('us-after', 'record', { value: 'never' })],
      ]),
    ]);
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('rollout', {}, REQUESTER, 'command');
    await settle(clock);
    rig.world.failHanging('regions/1/us', 'quota exceeded');
    rig.world.release('regions/0/eu');
    await until(clock, 'the rollback to finish', () => statusOf(engine, runId) === 'rolled_back');

    expect(steps(engine, runId)).toEqual({ regions: 'failed', 'regions/0/eu': 'succeeded', 'regions/1/us': 'failed', 'regions/1/us-after': 'pending' });
    expect(stepOf(engine, runId, 'regions').error).toBe('failed: regions/1/us');
    expect(rig.world.ledger.get('wf-1:regions/0/eu:undo:1')).toBe('undo eu');
  });

  it('posts an action log and progress lines to the run as step logs', async () => {
    const { engine, clock, events } = rig.open({ definitions: [workflow('talk', [action('talk', 'log', { value: 'api' })])] });

    const { runId } = await engine.start('talk', {}, REQUESTER, 'command');
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(events.filter((e) => e.startsWith('log'))).toEqual(['log wf-1 talk: working on api', 'log wf-1 talk: done with api']);
  });

  it('hands raw inputs to the action unevaluated, and ctx.evaluate evaluates them against the run', async () => {
    const def = workflow('raw', [
      action('raw', 'echo-raw', { template: '${{ params.env }}' }, { outputs: { raw: '${{ result.raw }}', evaluated: '${{ result.evaluated }}' } }),
    ], { params: { env: { type: 'string', required: true } } });
    const { engine, clock } = rig.open({ definitions: [def] });

    const { runId } = await engine.start('raw', { env: 'staging' }, REQUESTER, 'command');
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(stepOf(engine, runId, 'raw').outputs).toEqual({ raw: '${{ params.env }}', evaluated: 'staging' });
  });

  it('keeps a wait across a restart: the next step runs when the recorded time comes', async () => {
    const def = workflow('soak', [wait('soak', 3_600_000), action('after', 'record', { value: 'after soak' })]);
    const first = rig.open({ definitions: [def] });
    const { runId } = await first.engine.start('soak', {}, REQUESTER, 'command');
    await settle(first.clock);
    expect(stepOf(first.engine, runId, 'soak')).toMatchObject({ status: 'waiting', wakeAt: first.clock.now() + 3_600_000 });
    expect(statusOf(first.engine, runId)).toBe('waiting');
    await first.clock.advance(1_800_000);
    await first.engine.stop();
    first.store.close();

    const second = rig.open({ definitions: [def], clock: new ManualClock(first.clock.now()) });
    expect(await second.engine.resume()).toEqual({ runs: ['wf-1'], interrupted: [] });
    await second.clock.advance(1_799_999);
    expect(stepOf(second.engine, runId, 'soak').status).toBe('waiting');
    await second.clock.advance(1);
    await until(second.clock, 'the run to finish', () => statusOf(second.engine, runId) === 'succeeded');

    expect(rig.world.ledger.get('wf-1:after:1')).toBe('after soak');
  });

  it('keeps a retry backoff across a restart', async () => {
    const def = workflow('flaky', [action('probe', 'flaky', { failures: 1, name: 'backoff' }, { retry: { max: 1, backoffMs: 60_000, maxBackoffMs: 60_000 } })]);
    const first = rig.open({ definitions: [def] });
    const { runId } = await first.engine.start('flaky', {}, REQUESTER, 'command');
    await settle(first.clock);
    await first.engine.stop();
    first.store.close();

    const second = rig.open({ definitions: [def], clock: new ManualClock(first.clock.now() + 59_000) });
    await second.engine.resume();
    await second.clock.advance(999);
    expect(stepOf(second.engine, runId, 'probe')).toMatchObject({ status: 'waiting', attempt: 1 });
    await second.clock.advance(1);
    await until(second.clock, 'the run to finish', () => statusOf(second.engine, runId) === 'succeeded');
    expect(rig.world.calls).toEqual(['wf-1:probe:1', 'wf-1:probe:2']);
  });
});
