import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { Store } from '../store/types.ts';

export type InboxHandler = (body: Record<string, unknown>, log: Logger) => Promise<void>;

/** A request the intake just recorded: its body is at hand, no need to read it back. */
export interface AcceptedRequest {
  kind: string;
  body: Record<string, unknown>;
}

export interface InboxWorker {
  /** Runs an entry: just accepted (its body given), or read back from the inbox. */
  schedule(id: number, accepted?: AcceptedRequest): void;
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
  /** How many entries are being worked on (the in-memory count; /metrics reads the table). */
  onDepthChange?: (depth: number) => void;
  /** Commits an entry's completion; the app groups it with the request's outcome row. Default: at once. */
  commit?: (write: () => void) => Promise<void>;
}): InboxWorker {
  const { store, clock, log } = deps;
  const commit = deps.commit ?? (async (write: () => void) => write());
  const running = new Map<number, Promise<void>>();
  let stopped = false;

  /** Read back from the inbox (a resume, or no body at hand): counted as a new attempt. */
  const load = (id: number): AcceptedRequest | undefined => {
    const entry = store.inbox.get(id);
    if (!entry || entry.status === 'done' || entry.status === 'failed') return undefined;
    store.inbox.start(id, clock.now());
    return { kind: entry.kind, body: JSON.parse(entry.payload) as Record<string, unknown> };
  };

  const run = async (id: number, accepted: AcceptedRequest | undefined): Promise<void> => {
    const request = accepted ?? load(id);
    if (!request) return;
    const handler = deps.handlers[request.kind];
    if (!handler) {
      await commit(() => store.inbox.finish(id, clock.now()));
      return;
    }
    const entryLog = log.child({ inboxId: id, kind: request.kind });
    try {
      await handler(request.body, entryLog);
    } catch (err) {
      // Handlers answer users themselves; what reaches here is a bug or an outage, kept for audit.
      entryLog.error({ err }, 'inbox entry failed');
      await commit(() => store.inbox.fail(id, clock.now(), errorMessage(err)));
      return;
    }
    await commit(() => store.inbox.finish(id, clock.now()));
  };

  const schedule = (id: number, accepted?: AcceptedRequest) => {
    if (stopped || running.has(id)) return;
    const job = run(id, accepted)
      // Nobody awaits a job: a failure of the inbox's own writes (the database) must be logged,
      // not become an unhandled rejection that ends the process. The entry stays unfinished.
      .catch((err: unknown) => log.error({ err, inboxId: id }, 'inbox bookkeeping failed; entry left for the next start'))
      .finally(() => {
        running.delete(id);
        deps.onDepthChange?.(running.size);
      });
    running.set(id, job);
    deps.onDepthChange?.(running.size);
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
