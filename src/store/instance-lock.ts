import type Database from 'better-sqlite3';
import { OpsError } from '../errors.ts';
import type { InstanceLock, LockHolder } from './types.ts';

export interface InstanceLockOptions {
  /** Whether a process with this pid runs on this host (signal 0 in production). */
  isProcessAlive: (pid: number) => boolean;
  /** A holder whose heartbeat is older than this is presumed dead. Default 30 s. */
  staleAfterMs?: number;
}

type Me = Parameters<InstanceLock['acquire']>[0];

const COLUMNS = `owner, host, pid, started_at AS startedAt, heartbeat_at AS heartbeatAt`;

export function createInstanceLock(db: Database.Database, options: InstanceLockOptions): InstanceLock {
  const { isProcessAlive } = options;
  const staleAfterMs = options.staleAfterMs ?? 30_000;

  const select = db.prepare<[], LockHolder>(`SELECT ${COLUMNS} FROM instance_lock WHERE id = 1`);
  const upsert = db.prepare<[string, string, number, number, number], never>(
    `INSERT INTO instance_lock (id, owner, host, pid, started_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
       started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
  );
  const touch = db.prepare<[number, string], never>(
    'UPDATE instance_lock SET heartbeat_at = ? WHERE id = 1 AND owner = ?',
  );
  const remove = db.prepare<[string], never>('DELETE FROM instance_lock WHERE id = 1 AND owner = ?');

  function isLive(holder: LockHolder, me: Me, now: number): boolean {
    if (now - holder.heartbeatAt >= staleAfterMs) return false;
    // Another host's pids mean nothing here: only its heartbeat can tell. On this host a dead
    // pid (or our own pid, reused by a restarted container) means the holder is gone, so a
    // restart right after a crash need not wait for the heartbeat to go stale.
    if (holder.host !== me.host) return true;
    return holder.pid !== me.pid && isProcessAlive(holder.pid);
  }

  // IMMEDIATE takes the write lock before reading, so two instances starting together cannot
  // both see the row free.
  const acquire = db.transaction((me: Me, now: number) => {
    const holder = select.get();
    if (holder && holder.owner !== me.owner && isLive(holder, me, now)) {
      throw new OpsError(
        'instance_locked',
        `opsbot is already running on host ${holder.host} (pid ${holder.pid}, since ${new Date(holder.startedAt).toISOString()}); ` +
          `stop it first, or wait ${Math.ceil(staleAfterMs / 1000)}s after it died on another host`,
      );
    }
    const startedAt = holder?.owner === me.owner ? holder.startedAt : now;
    upsert.run(me.owner, me.host, me.pid, startedAt, now);
  });

  return {
    acquire(me, now) {
      acquire.immediate(me, now);
    },
    heartbeat(owner, now) {
      // Losing the row means another instance judged us dead and took over (we were paused
      // past staleAfterMs): carrying on would make two instances work on one database.
      if (touch.run(now, owner).changes === 0) {
        const holder = select.get();
        throw new OpsError(
          'instance_lock_lost',
          holder
            ? `This opsbot lost its instance lock to host ${holder.host} (pid ${holder.pid}); stopping so that only one instance runs`
            : 'This opsbot no longer holds its instance lock; stopping so that only one instance runs',
        );
      }
    },
    release(owner) {
      remove.run(owner);
    },
    holder: () => select.get(),
  };
}
