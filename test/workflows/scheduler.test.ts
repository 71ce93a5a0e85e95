import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createStore } from '../../src/store/store.ts';
import type { Store } from '../../src/store/types.ts';
import type { Triggers, WorkflowDefinition } from '../../src/workflows/definition.ts';
import { MAX_TIMER_MS, type Scheduler, createScheduler } from '../../src/workflows/scheduler.ts';
import { useTempFiles } from '../store/temp-files.ts';

const MINUTE = 60_000;

function workflow(name: string, schedules: Triggers['schedules']): WorkflowDefinition {
  return {
    name,
    description: `${name} on a schedule`,
    params: {},
    run: { role: 'deployer' },
    triggers: { command: true, schedules },
    steps: [],
    file: `workflows/${name}.yaml`,
    source: 'workflow',
  };
}

interface Started {
  name: string;
  params: Record<string, unknown>;
  trigger: string;
  at: string;
}

describe('the workflow scheduler', () => {
  const files = useTempFiles();

  function rig(options: { clock: ManualClock; definitions: WorkflowDefinition[]; store?: Store; fail?: (n: number) => Error | undefined }) {
    const started: Started[] = [];
    const logs: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    let definitions = new Map(options.definitions.map((d) => [d.name, d]));
    const scheduler: Scheduler = createScheduler({
      clock: options.clock,
      log,
      definitions: () => definitions,
      start: async (name, params, trigger) => {
        started.push({ name, params, trigger, at: new Date(options.clock.now()).toISOString() });
        const failure = options.fail?.(started.length);
        if (failure) throw failure;
        return { runId: `run-${started.length}` };
      },
      ...(options.store ? { store: options.store } : {}),
    });
    return {
      scheduler,
      started,
      logs,
      setDefinitions(next: WorkflowDefinition[]) {
        definitions = new Map(next.map((d) => [d.name, d]));
      },
    };
  }

  const openStore = () => createStore(files.open(), { isProcessAlive: () => true });

  it('fires a */5 schedule at the next 5-minute mark, then 5 minutes later, with its params', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T10:02:30Z'));
    const { scheduler, started } = rig({ clock, definitions: [workflow('report', [{ cron: '*/5 * * * *', params: { env: 'staging' } }])] });

    scheduler.start();
    await clock.advance(2 * MINUTE);
    expect(started).toEqual([]);

    await clock.advance(30_000);
    expect(started).toEqual([{ name: 'report', params: { env: 'staging' }, trigger: 'schedule', at: '2026-01-01T10:05:00.000Z' }]);

    await clock.advance(5 * MINUTE);
    expect(started.map((s) => s.at)).toEqual(['2026-01-01T10:05:00.000Z', '2026-01-01T10:10:00.000Z']);
    scheduler.stop();
  });

  it("honours a schedule's timezone", async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const { scheduler, started } = rig({
      clock,
      definitions: [
        workflow('berlin-standup', [{ cron: '0 9 * * *', timezone: 'Europe/Berlin', params: {} }]),
        workflow('new-york-standup', [{ cron: '0 9 * * *', timezone: 'America/New_York', params: {} }]),
      ],
    });

    scheduler.start();
    await clock.advance(24 * 60 * MINUTE);

    expect(started.map((s) => `${s.name} ${s.at}`)).toEqual(['berlin-standup 2026-01-01T08:00:00.000Z', 'new-york-standup 2026-01-01T14:00:00.000Z']);
    scheduler.stop();
  });

  it('stores the last fire time of each schedule under schedule:<workflow>:<index>', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T10:02:00Z'));
    const store = openStore();
    const { scheduler } = rig({
      clock,
      store,
      definitions: [workflow('report', [{ cron: '0 * * * *', params: {} }, { cron: '*/5 * * * *', params: {} }])],
    });

    scheduler.start();
    await clock.advance(10 * MINUTE);
    scheduler.stop();

    expect(store.cursors.get('schedule:report:0')).toBeUndefined();
    expect(store.cursors.get('schedule:report:1')).toBe('2026-01-01T10:10:00.000Z');
  });

  it('after a restart in the minute it fired, does not fire that minute again', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T10:04:00Z'));
    const definitions = [workflow('report', [{ cron: '*/5 * * * *', params: {} }])];
    const store = openStore();
    const first = rig({ clock, store, definitions });
    first.scheduler.start();
    await clock.advance(MINUTE);
    first.scheduler.stop();
    expect(first.started.map((s) => s.at)).toEqual(['2026-01-01T10:05:00.000Z']);

    // The system clock was stepped back a little while opsbot restarted.
    const stepped = new ManualClock(Date.parse('2026-01-01T10:04:59Z'));
    const second = rig({ clock: stepped, store, definitions });
    second.scheduler.start();
    await stepped.advance(6 * MINUTE);
    second.scheduler.stop();

    expect(second.started.map((s) => s.at)).toEqual(['2026-01-01T10:10:00.000Z']);
  });

  it('does not replay fires missed while opsbot was down, and says how many were missed', async () => {
    const definitions = [workflow('report', [{ cron: '*/5 * * * *', params: {} }])];
    const store = openStore();
    store.cursors.set('schedule:report:0', '2026-01-01T10:05:00.000Z', Date.parse('2026-01-01T10:05:00Z'));

    const clock = new ManualClock(Date.parse('2026-01-01T10:32:00Z'));
    const { scheduler, started, logs } = rig({ clock, store, definitions });
    scheduler.start();
    await clock.advance(MINUTE);
    expect(started).toEqual([]);
    await clock.advance(2 * MINUTE);
    scheduler.stop();

    expect(started.map((s) => s.at)).toEqual(['2026-01-01T10:35:00.000Z']);
    // 10:10, 10:15, 10:20, 10:25 and 10:30 passed while it was down.
    expect(logs.filter((l) => l.msg === 'scheduled fires missed while opsbot was down; not replayed')).toEqual([
      expect.objectContaining({ workflow: 'report', schedule: 0, missed: 5, lastFiredAt: '2026-01-01T10:05:00.000Z' }),
    ]);
  });

  it('logs a run that fails to start and still fires at the next time', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T10:00:30Z'));
    const { scheduler, started, logs } = rig({
      clock,
      definitions: [workflow('report', [{ cron: '* * * * *', params: {} }])],
      fail: (n) => (n === 1 ? new Error('database is locked') : undefined),
    });

    scheduler.start();
    await clock.advance(2 * MINUTE);
    scheduler.stop();

    expect(started.map((s) => s.at)).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:02:00.000Z']);
    expect(logs.filter((l) => l.msg === 'scheduled run failed to start')).toEqual([
      expect.objectContaining({ workflow: 'report', err: expect.objectContaining({ message: 'database is locked' }) }),
    ]);
  });

  it('fires nothing after stop()', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T10:00:30Z'));
    const { scheduler, started } = rig({ clock, definitions: [workflow('report', [{ cron: '* * * * *', params: {} }])] });

    scheduler.start();
    scheduler.stop();
    await clock.advance(5 * MINUTE);

    expect(started).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('re-arms from the new definitions on reload()', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T10:00:30Z'));
    const { scheduler, started, setDefinitions } = rig({ clock, definitions: [workflow('report', [{ cron: '0 * * * *', params: {} }])] });
    scheduler.start();

    setDefinitions([workflow('cleanup', [{ cron: '*/10 * * * *', params: {} }])]);
    scheduler.reload();
    await clock.advance(60 * MINUTE);
    scheduler.stop();

    expect(started.map((s) => `${s.name} ${s.at.slice(11, 16)}`)).toEqual([
      'cleanup 10:10',
      'cleanup 10:20',
      'cleanup 10:30',
      'cleanup 10:40',
      'cleanup 10:50',
      'cleanup 11:00',
    ]);
    expect(scheduler.upcoming()).toEqual([]);
  });

  it('waits longer than a timer can hold in hops, and fires on time', async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const { scheduler, started } = rig({ clock, definitions: [workflow('yearly', [{ cron: '0 0 1 7 *', params: {} }])] });

    scheduler.start();
    expect(scheduler.upcoming()).toEqual([{ workflow: 'yearly', index: 0, cron: '0 0 1 7 *', at: Date.parse('2026-07-01T00:00:00Z') }]);
    await clock.advance(MAX_TIMER_MS);
    expect(started).toEqual([]);
    await clock.advance(Date.parse('2026-07-01T00:00:00Z') - clock.now());
    scheduler.stop();

    expect(started.map((s) => s.at)).toEqual(['2026-07-01T00:00:00.000Z']);
  });
});
