import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { createDueTimer } from '../src/due-timer.ts';
import { capturingLogger } from './commands/support.ts';

/** The one clock timer behind every incident timer: it wakes for the earliest stored time. */

function setup(initial: number[]) {
  const clock = new ManualClock(0);
  const due = [...initial];
  const runs: number[] = [];
  let fail = false;
  const timer = createDueTimer({
    name: 'test timer',
    clock,
    log: capturingLogger().log,
    nextDue: () => (due.length > 0 ? Math.min(...due) : undefined),
    run: async () => {
      runs.push(clock.now());
      if (fail) throw new Error('Slack is down');
      for (let i = due.length - 1; i >= 0; i--) if (due[i]! <= clock.now()) due.splice(i, 1);
    },
  });
  return { clock, due, runs, timer, failing: (v: boolean) => (fail = v) };
}

describe('the incident timer loop', () => {
  it('runs at each stored time, earliest first, and re-arms when told a time moved', async () => {
    const t = setup([5_000, 2_000]);
    t.timer.start();
    await t.clock.advance(1_999);
    expect(t.runs).toEqual([]);
    await t.clock.advance(1);
    expect(t.runs).toEqual([2_000]);
    t.due.push(3_000);
    t.timer.poke();
    await t.clock.advance(10_000);
    expect(t.runs).toEqual([2_000, 3_000, 5_000]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('runs at once what came due while it was stopped', async () => {
    const t = setup([1_000]);
    await t.clock.advance(60_000);
    t.timer.start();
    await t.clock.advance(0);
    expect(t.runs).toEqual([60_000]);
  });

  it('tries a failed run again a second later instead of spinning, and stops when stopped', async () => {
    const t = setup([1_000]);
    t.failing(true);
    t.timer.start();
    await t.clock.advance(3_000);
    expect(t.runs).toEqual([1_000, 2_000, 3_000]);
    t.failing(false);
    await t.clock.advance(1_000);
    expect(t.runs).toEqual([1_000, 2_000, 3_000, 4_000]);
    t.due.push(10_000);
    t.timer.poke();
    t.timer.stop();
    await t.clock.advance(20_000);
    expect(t.runs).toHaveLength(4);
  });
});
