import type { Logger } from 'pino';
import type { Clock } from './clock.ts';

/**
 * One clock timer for many durable ones. What is due lives in the database (an incident's next
 * page, reminder or PagerDuty attempt; an alert group's next notification); this only arms the
 * clock for the earliest of them, runs what is due when it fires, and arms again. After a restart
 * start() finds the stored times, and any that passed while opsbot was down run at once.
 */

export interface DueTimer {
  start(): void;
  /** A stored time may have moved: re-arm for the earliest. */
  poke(): void;
  stop(): void;
  /** Resolves when no run is in progress (tests). */
  idle(): Promise<void>;
}

/** setTimeout holds at most 2^31-1 ms; a longer wait is taken in hops. */
const MAX_WAIT_MS = 2 ** 31 - 1;

export function createDueTimer(deps: {
  /** For log lines: `incident timers`, `alert scheduler`. */
  name: string;
  clock: Clock;
  log: Logger;
  nextDue: () => number | undefined;
  run: () => Promise<void>;
}): DueTimer {
  const { clock, log } = deps;
  let cancel: (() => void) | undefined;
  let armedFor: number | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  function arm(): void {
    if (stopped || running) return;
    let due: number | undefined;
    try {
      due = deps.nextDue();
    } catch (err) {
      log.error({ err, timer: deps.name }, 'could not read what is due');
      return;
    }
    if (due === armedFor && cancel) return;
    cancel?.();
    cancel = undefined;
    armedFor = due;
    if (due === undefined) return;
    cancel = clock.setTimer(fire, Math.min(MAX_WAIT_MS, Math.max(0, due - clock.now())));
  }

  function fire(): void {
    cancel = undefined;
    armedFor = undefined;
    if (stopped) return;
    // A run in progress re-arms when it ends.
    if (running) return;
    running = (async () => {
      try {
        await deps.run();
      } catch (err) {
        log.error({ err, timer: deps.name }, 'due timer run failed');
      }
    })().finally(() => {
      running = undefined;
      // What the run changed is re-read here. A time still due (the run failed on it) would fire
      // at once, in a loop: it is tried again a second later instead.
      const due = safeNextDue();
      if (due !== undefined && due <= clock.now()) {
        if (!stopped) cancel = clock.setTimer(fire, 1_000);
        return;
      }
      arm();
    });
  }

  function safeNextDue(): number | undefined {
    try {
      return deps.nextDue();
    } catch {
      return undefined;
    }
  }

  return {
    start() {
      stopped = false;
      arm();
    },
    poke() {
      arm();
    },
    stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
      armedFor = undefined;
    },
    async idle() {
      while (running) await running;
    },
  };
}
