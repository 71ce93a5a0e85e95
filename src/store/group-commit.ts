import type { Logger } from 'pino';
import type { Store } from './types.ts';

export interface GroupCommit {
  /**
   * Runs `write` in the next group transaction — every write queued during this turn of the
   * event loop commits together — and resolves once it is committed.
   */
  add(write: () => void): Promise<void>;
  /** Commits whatever is queued now. */
  flush(): void;
}

interface Pending {
  write: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Work done after an acknowledgement (a request's outcome in the audit log, its inbox entry
 * finished) needs no commit of its own: grouping it makes one commit per event-loop turn
 * instead of several per request, and a request's outcome and completion land atomically.
 * Nothing before an ack goes through here — that is recorded synchronously.
 */
export function createGroupCommit(store: Store, log: Logger): GroupCommit {
  let queue: Pending[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    try {
      store.transaction(() => {
        for (const p of batch) p.write();
      });
      for (const p of batch) p.resolve();
    } catch (err) {
      // One bad write must not take the others down: each is retried in its own transaction.
      log.warn({ err, writes: batch.length }, 'group commit failed; committing its writes one by one');
      for (const p of batch) {
        try {
          store.transaction(p.write);
          p.resolve();
        } catch (writeErr) {
          p.reject(writeErr);
        }
      }
    }
  };

  return {
    add(write) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    flush,
  };
}
