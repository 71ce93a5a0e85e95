import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { UserError, errorMessage } from '../errors.ts';
import type { CursorRepo } from '../store/types.ts';
import type { WorkflowDefinition } from './definition.ts';

/**
 * Fires the `schedule:` triggers of workflow definitions on the clock: one timer per schedule,
 * armed for its next cron time and re-armed after each fire.
 *
 * Fires missed while opsbot was down are not replayed (a backlog of deploys or reports at
 * start-up helps nobody); start() logs how many each schedule missed. The last fire time of
 * each schedule is stored (cursor `schedule:<workflow>:<index>`) before its run is started, and
 * the next fire is computed from the later of now and that time, so a restart within the same
 * minute, or a system clock stepped back, never fires one cron time twice.
 */

export interface SchedulerDeps {
  clock: Clock;
  log: Logger;
  definitions: () => ReadonlyMap<string, WorkflowDefinition>;
  /** Starts a run; its rejection is logged, never thrown. */
  start: (name: string, params: Record<string, unknown>, trigger: 'schedule') => Promise<unknown>;
  /** Where last fire times survive restarts; without it they are kept in memory only. */
  store?: { cursors: CursorRepo };
}

export interface ScheduledFire {
  workflow: string;
  /** Position of the schedule in the workflow's `schedule:` list. */
  index: number;
  cron: string;
  at: number;
}

export interface Scheduler {
  /** Arms every schedule and logs the fires missed since each one's last. */
  start(): void;
  /** Cancels every timer; runs already started go on. */
  stop(): void;
  /** Re-arms after the definitions changed. */
  reload(): void;
  /** The next fire of every armed schedule, soonest first (for status and tests). */
  upcoming(): ScheduledFire[];
}

/** setTimeout holds at most 2^31-1 ms (~24.8 days); a longer wait is taken in hops. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Counting missed fires stops here (a per-second cron after a month's outage). */
const MISSED_COUNT_CAP = 10_000;

interface Armed {
  key: string;
  workflow: string;
  index: number;
  cron: string;
  params: Record<string, unknown>;
  job: Cron;
  nextAt: number;
  cancel: () => void;
}

export function scheduleCursorKey(workflow: string, index: number): string {
  return `schedule:${workflow}:${index}`;
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { clock, log, store } = deps;
  const armed = new Map<string, Armed>();
  /** Last fire per key, beside the store: reload() without a store must not fire a time twice. */
  const lastFired = new Map<string, number>();
  let running = false;

  function lastFireOf(key: string): number | undefined {
    const remembered = lastFired.get(key);
    let stored: number | undefined;
    try {
      const value = store?.cursors.get(key);
      if (value !== undefined) {
        const parsed = Date.parse(value);
        if (Number.isNaN(parsed)) log.warn({ key, value }, 'schedule cursor unreadable; ignored');
        else stored = parsed;
      }
    } catch (err) {
      log.error({ err, key }, 'schedule cursor could not be read');
    }
    if (remembered === undefined) return stored;
    return stored === undefined ? remembered : Math.max(remembered, stored);
  }

  function armAll(reportMissed: boolean): void {
    disarmAll();
    for (const [name, definition] of deps.definitions()) {
      definition.triggers.schedules.forEach((schedule, index) => {
        const key = scheduleCursorKey(name, index);
        let job: Cron;
        try {
          // Paused and without a function: croner only computes times; the clock owns timers.
          job = new Cron(schedule.cron, { paused: true, ...(schedule.timezone === undefined ? {} : { timezone: schedule.timezone }) });
        } catch (err) {
          log.error({ workflow: name, schedule: index, cron: schedule.cron, err: errorMessage(err) }, 'schedule not armed: invalid cron');
          return;
        }
        const now = clock.now();
        const last = lastFireOf(key);
        if (reportMissed && last !== undefined) reportMissedFires(job, { workflow: name, index, cron: schedule.cron, last, now });
        const entry: Armed = { key, workflow: name, index, cron: schedule.cron, params: { ...schedule.params }, job, nextAt: 0, cancel: () => undefined };
        armed.set(key, entry);
        armNext(entry, Math.max(now, last ?? now));
      });
    }
  }

  function reportMissedFires(job: Cron, s: { workflow: string; index: number; cron: string; last: number; now: number }): void {
    let missed = 0;
    for (const at of job.enumerate(new Date(s.last))) {
      if (at.getTime() > s.now || missed >= MISSED_COUNT_CAP) break;
      missed++;
    }
    if (missed === 0) return;
    log.warn(
      { workflow: s.workflow, schedule: s.index, cron: s.cron, missed, atLeast: missed >= MISSED_COUNT_CAP, lastFiredAt: new Date(s.last).toISOString() },
      'scheduled fires missed while opsbot was down; not replayed',
    );
  }

  /** Arms the first cron time strictly after `after`. */
  function armNext(entry: Armed, after: number): void {
    const next = entry.job.nextRun(new Date(after));
    if (next === null) {
      armed.delete(entry.key);
      log.info({ workflow: entry.workflow, schedule: entry.index, cron: entry.cron }, 'schedule has no further fire time');
      return;
    }
    entry.nextAt = next.getTime();
    setTimer(entry);
  }

  function setTimer(entry: Armed): void {
    const wait = entry.nextAt - clock.now();
    if (wait > MAX_TIMER_MS) {
      entry.cancel = clock.setTimer(() => setTimer(entry), MAX_TIMER_MS);
      return;
    }
    entry.cancel = clock.setTimer(() => fire(entry), wait);
  }

  function fire(entry: Armed): void {
    if (!running || armed.get(entry.key) !== entry) return;
    const at = entry.nextAt;
    lastFired.set(entry.key, at);
    try {
      store?.cursors.set(entry.key, new Date(at).toISOString(), clock.now());
    } catch (err) {
      log.error({ err, workflow: entry.workflow, schedule: entry.index }, 'schedule cursor could not be stored');
    }
    log.info({ workflow: entry.workflow, schedule: entry.index, cron: entry.cron, at: new Date(at).toISOString() }, 'schedule fired');
    void startRun(entry);
    // A timer that fires early (the system clock stepped) must not find the same time again.
    armNext(entry, Math.max(clock.now(), at));
  }

  async function startRun(entry: Armed): Promise<void> {
    try {
      await deps.start(entry.workflow, { ...entry.params }, 'schedule');
    } catch (err) {
      const fields = { workflow: entry.workflow, schedule: entry.index };
      // A refusal (params, concurrency) is the workflow's business, not opsbot's failure.
      if (err instanceof UserError) log.warn({ ...fields, code: err.code, reason: err.message }, 'scheduled run not started');
      else log.error({ ...fields, err }, 'scheduled run failed to start');
    }
  }

  function disarmAll(): void {
    for (const entry of armed.values()) entry.cancel();
    armed.clear();
  }

  return {
    start() {
      running = true;
      armAll(true);
      log.info({ schedules: armed.size }, 'scheduler started');
    },
    stop() {
      running = false;
      disarmAll();
    },
    reload() {
      if (!running) return;
      armAll(false);
    },
    upcoming() {
      return [...armed.values()]
        .map(({ workflow, index, cron, nextAt }) => ({ workflow, index, cron, at: nextAt }))
        .sort((a, b) => a.at - b.at);
    },
  };
}
