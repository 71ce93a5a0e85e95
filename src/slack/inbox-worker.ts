import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { InboxEntry, Store } from '../store/types.ts';

export type InboxHandler = (body: Record<string, unknown>, entry: InboxEntry, log: Logger) => Promise<void>;

export interface InboxWorker {
  /** Runs an accepted entry (after its ack). */
  schedule(id: number): void;
  /** Re-runs what a previous process accepted but did not finish. */
  resumeUnfinished(): number;
  /** Resolves when nothing is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs inbox entries. Work is at-least-once: an entry is finished only after its handler
 * resolves, so a crash mid-way re-runs it at start-up (handlers are written to tolerate that).
 */
export function createInboxWorker(deps: {
  store: Store;
  clock: Clock;
  log: Logger;
  handlers: Partial<Record<string, InboxHandler>>;
  onDepthChange?: (depth: number) => void;
}): InboxWorker {
  const { store, clock, log } = deps;
  const running = new Map<number, Promise<void>>();
  let stopped = false;

  const run = async (id: number): Promise<void> => {
    const entry = store.inbox.get(id);
    if (!entry || entry.status === 'done' || entry.status === 'failed') return;
    const handler = deps.handlers[entry.kind];
    const entryLog = log.child({ inboxId: id, kind: entry.kind });
    store.inbox.start(id, clock.now());
    if (!handler) {
      store.inbox.finish(id, clock.now());
      return;
    }
    try {
      await handler(JSON.parse(entry.payload) as Record<string, unknown>, entry, entryLog);
      store.inbox.finish(id, clock.now());
    } catch (err) {
      // Handlers answer users themselves; what reaches here is a bug or an outage, kept for audit.
      entryLog.error({ err }, 'inbox entry failed');
      store.inbox.fail(id, clock.now(), errorMessage(err));
    }
  };

  const reportDepth = () => {
    try {
      deps.onDepthChange?.(store.inbox.depth());
    } catch (err) {
      log.warn({ err }, 'inbox depth unavailable');
    }
  };

  const schedule = (id: number) => {
    if (stopped || running.has(id)) return;
    const job = run(id)
      // Nobody awaits a job: a failure of the inbox's own writes (the database) must be logged,
      // not become an unhandled rejection that ends the process. The entry stays unfinished.
      .catch((err: unknown) => log.error({ err, inboxId: id }, 'inbox bookkeeping failed; entry left for the next start'))
      .finally(() => {
        running.delete(id);
        reportDepth();
      });
    running.set(id, job);
    reportDepth();
  };

  return {
    schedule,
    resumeUnfinished() {
      const entries = store.inbox.unfinished();
      if (entries.length > 0) log.info({ count: entries.length }, 'resuming unfinished requests');
      for (const e of entries) schedule(e.id);
      return entries.length;
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    async stop() {
      stopped = true;
      await Promise.allSettled([...running.values()]);
    },
  };
}
