import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { REQUESTER, action, approval, settle, statusOf, stepOf, steps, until, useEngineRig, workflow } from './engine-rig.ts';

const HOUR = 3_600_000;

describe('workflow engine: approvals', () => {
  const rig = useEngineRig();

  const gated = (min = 1) =>
    workflow('deploy', [
      action('staging', 'record', { value: 'staging' }, { undo: { action: 'record', with: { value: 'undo staging' } } }),
      approval('gate', { min, message: 'Deploy ${{ params.version }} to production?', outputs: { by: '${{ result.approvedBy[0] }}' } }),
      action('production', 'record', { value: 'production' }),
    ], { params: { version: { type: 'string', required: false, default: 'v2' } } });

  async function startGated(min = 1) {
    const opened = rig.open({ definitions: [gated(min)] });
    const { runId } = await opened.engine.start('deploy', {}, REQUESTER, 'command');
    await settle(opened.clock);
    const approvalId = opened.engine.get(runId)?.approvals[0]?.id ?? -1;
    return { ...opened, runId, approvalId };
  }

  it('stores the approval, then asks the UI to post it, and waits', async () => {
    const { engine, runId, approvalId, events, clock } = await startGated();

    expect(statusOf(engine, runId)).toBe('waiting');
    expect(stepOf(engine, runId, 'gate').status).toBe('waiting');
    expect(engine.get(runId)?.approvals).toEqual([
      {
        id: approvalId,
        runId,
        path: 'gate',
        approvers: { users: ['UAPPROVER1', 'UAPPROVER2'], groups: [], roles: [] },
        min: 1,
        message: 'Deploy v2 to production?',
        expiresAt: clock.now() + HOUR,
        status: 'pending',
        messageTs: null,
        createdAt: clock.now(),
        decidedAt: null,
        decisions: [],
      },
    ]);
    expect(events).toContain(`approval requested ${approvalId}`);
    expect(rig.world.ledger.has('wf-1:production:1')).toBe(false);
  });

  it('continues the run when an eligible approver approves', async () => {
    const { engine, runId, approvalId, clock, events } = await startGated();

    const result = await engine.decide(approvalId, 'UAPPROVER1', 'approve', 'looks good');
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');

    expect(result).toEqual({ changed: true, status: 'approved', approvals: 1, min: 1 });
    expect(stepOf(engine, runId, 'gate')).toMatchObject({ status: 'succeeded', outputs: { by: 'UAPPROVER1' } });
    expect(engine.get(runId)?.approvals[0]).toMatchObject({
      status: 'approved',
      decidedAt: clock.now(),
      decisions: [{ approvalId, userId: 'UAPPROVER1', decision: 'approve', reason: 'looks good', at: clock.now() }],
    });
    expect(events).toContain(`approval decided ${approvalId}`);
    expect(rig.world.ledger.get('wf-1:production:1')).toBe('production');
  });

  it('refuses the requester, even when they are in the approver set', async () => {
    const { engine, runId, approvalId } = await startGated();

    const result = await engine.decide(approvalId, 'UREQUESTER', 'approve');

    expect(result).toEqual({ changed: false, why: 'You started wf-1, so you cannot approve it: someone else has to.' });
    expect(engine.get(runId)?.approvals[0]).toMatchObject({ status: 'pending', decisions: [] });
  });

  it('records one decision when the same person clicks twice', async () => {
    const { engine, runId, approvalId } = await startGated(2);

    const first = engine.decide(approvalId, 'UAPPROVER1', 'approve');
    const second = engine.decide(approvalId, 'UAPPROVER1', 'approve');

    expect(await first).toEqual({ changed: true, status: 'pending', approvals: 1, min: 2 });
    expect(await second).toEqual({ changed: false, why: 'You already approved this; your first decision stands.' });
    expect(engine.get(runId)?.approvals[0]?.decisions.map((d) => d.userId)).toEqual(['UAPPROVER1']);
    expect(statusOf(engine, runId)).toBe('waiting');
  });

  it('refuses someone who is not an approver, saying who is', async () => {
    const { engine, runId, approvalId } = await startGated();

    const result = await engine.decide(approvalId, 'USTRANGER', 'approve');

    expect(result).toEqual({ changed: false, why: 'You are not one of the approvers of this step (<@UAPPROVER1>, <@UAPPROVER2>).' });
    expect(engine.get(runId)?.approvals[0]?.decisions).toEqual([]);
  });

  it('needs `min` distinct approvers before the run continues', async () => {
    const { engine, runId, approvalId, clock } = await startGated(2);

    await engine.decide(approvalId, 'UAPPROVER1', 'approve');
    await settle(clock);
    expect(stepOf(engine, runId, 'gate').status).toBe('waiting');
    expect(rig.world.ledger.has('wf-1:production:1')).toBe(false);

    expect(await engine.decide(approvalId, 'UAPPROVER2', 'approve')).toEqual({ changed: true, status: 'approved', approvals: 2, min: 2 });
    await until(clock, 'the run to finish', () => statusOf(engine, runId) === 'succeeded');
    expect(engine.get(runId)?.approvals[0]?.decisions.map((d) => d.userId)).toEqual(['UAPPROVER1', 'UAPPROVER2']);
  });

  it('fails the gate on a reject, and the run undoes what it completed', async () => {
    const { engine, runId, approvalId, clock } = await startGated(2);

    await engine.decide(approvalId, 'UAPPROVER1', 'approve');
    expect(await engine.decide(approvalId, 'UAPPROVER2', 'reject', 'not during the sale')).toEqual({ changed: true, status: 'rejected', approvals: 1, min: 2 });
    await until(clock, 'the rollback to finish', () => statusOf(engine, runId) === 'rolled_back');

    expect(stepOf(engine, runId, 'gate')).toMatchObject({ status: 'failed', attempt: 1, error: 'rejected by <@UAPPROVER2>: not during the sale' });
    expect(engine.get(runId)?.error).toBe('gate: rejected by <@UAPPROVER2>: not during the sale');
    expect(rig.world.ledger.get('wf-1:staging:undo:1')).toBe('undo staging');
    expect(await engine.decide(approvalId, 'UAPPROVER1', 'approve')).toEqual({ changed: false, why: 'This approval is already rejected; nothing changed.' });
  });

  it('expires the approval when its time passes, failing the gate', async () => {
    const { engine, runId, approvalId, clock, events } = await startGated();

    await clock.advance(HOUR - 1);
    expect(stepOf(engine, runId, 'gate').status).toBe('waiting');
    await clock.advance(1);
    await until(clock, 'the rollback to finish', () => statusOf(engine, runId) === 'rolled_back');

    expect(engine.get(runId)?.approvals[0]).toMatchObject({ status: 'expired', decidedAt: clock.now() - 0 });
    expect(stepOf(engine, runId, 'gate').error).toBe('the approval expired after 1h without 1 approval');
    expect(events).toContain(`approval decided ${approvalId}`);
    expect(await engine.decide(approvalId, 'UAPPROVER1', 'approve')).toEqual({ changed: false, why: 'This approval is already expired; nothing changed.' });
  });

  it('fails the gate at start-up when the approval expired while opsbot was down', async () => {
    const first = await startGated();
    await first.engine.stop();
    first.store.close();

    const second = rig.open({ definitions: [gated()], clock: new ManualClock(first.clock.now() + 2 * HOUR) });
    await second.engine.resume();
    await until(second.clock, 'the rollback to finish', () => statusOf(second.engine, first.runId) === 'rolled_back');

    expect(steps(second.engine, first.runId)).toEqual({ staging: 'succeeded', gate: 'failed', production: 'pending' });
    expect(second.engine.get(first.runId)?.approvals[0]).toMatchObject({ status: 'expired', decidedAt: second.clock.now() });
  });

  it('keeps a pending approval across a restart, and it can still be approved', async () => {
    const first = await startGated();
    await first.engine.stop();
    first.store.close();

    const second = rig.open({ definitions: [gated()], clock: new ManualClock(first.clock.now() + HOUR / 2) });
    await second.engine.resume();
    expect(await second.engine.decide(first.approvalId, 'UAPPROVER2', 'approve')).toMatchObject({ changed: true, status: 'approved' });
    await until(second.clock, 'the run to finish', () => statusOf(second.engine, first.runId) === 'succeeded');
  });

  it('cancels a pending approval in a parallel branch when another branch fails', async () => {
    const def = workflow('both', [
      {
        kind: 'parallel',
        id: 'both',
        continueOnError: false,
        branches: [[approval('gate')], [action('check', 'fail', { message: 'red' })]],
      },
    ]);
    const { engine, clock, events } = rig.open({ definitions: [def] });
    const { runId } = await engine.start('both', {}, REQUESTER, 'command');
    await until(clock, 'the run to fail', () => statusOf(engine, runId) === 'failed');

    const gate = engine.get(runId)?.approvals[0];
    expect(gate?.status).toBe('cancelled');
    expect(steps(engine, runId)).toEqual({ both: 'failed', 'both/0/gate': 'cancelled', 'both/1/check': 'failed' });
    expect(engine.get(runId)?.error).toBe('both/1/check: red');
    expect(events).toContain(`approval decided ${gate?.id}`);
  });
});
