import type Database from 'better-sqlite3';
import type { Role } from '../roles.ts';

/**
 * Repository contracts, one per aggregate. Every method is synchronous (better-sqlite3), so a
 * caller can compose several of them inside one `db.transaction(...)` with nothing awaited.
 */

export interface AuditEntry {
  id: number;
  at: number;
  /** Slack user id, or `system`. */
  actor: string;
  channel: string | null;
  /** What happened: `command`, `denied`, `received`, `role.grant`, … */
  action: string;
  command: string | null;
  /** JSON text of the (redacted) arguments. */
  args: string | null;
  /** `ok`, `error`, `denied`, `invalid`, `accepted`, … */
  outcome: string;
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'channel' | 'command' | 'args' | 'detail'> &
  Partial<Pick<AuditEntry, 'channel' | 'command' | 'args' | 'detail'>>;

export interface AuditRepo {
  /** Append-only: there is no update or delete. */
  append(entry: NewAuditEntry): number;
  /** Newest first. */
  list(options: {
    limit: number;
    actor?: string;
    /** `received` rows record each request at intake, before its outcome row; default true. */
    includeReceived?: boolean;
  }): AuditEntry[];
}

export interface RoleGrant {
  userId: string;
  role: Role;
  grantedBy: string;
  grantedAt: number;
}

export interface RoleRepo {
  get(userId: string): RoleGrant | undefined;
  grant(userId: string, role: Role, grantedBy: string, at: number): void;
  /** false when the user had no grant. */
  revoke(userId: string): boolean;
  list(): RoleGrant[];
}

export interface ProcessedEventRepo {
  /** Records a request key; false when it was already recorded (a retry). */
  markProcessed(key: string, at: number): boolean;
  /** Deletes keys recorded before `before`; returns how many. */
  prune(before: number): number;
}

export type InboxStatus = 'pending' | 'running' | 'done' | 'failed';

export interface InboxEntry {
  id: number;
  key: string;
  kind: string;
  /** JSON text of the request body as Slack sent it. */
  payload: string;
  status: InboxStatus;
  attempts: number;
  receivedAt: number;
  updatedAt: number;
  error: string | null;
}

export interface InboxRepo {
  /** Throws OpsError(`inbox_duplicate_key`) when the key is already in the inbox. */
  add(entry: { key: string; kind: string; payload: string; at: number }): number;
  get(id: number): InboxEntry | undefined;
  /** Entries not finished (pending or running), oldest first: what start-up resumes. */
  unfinished(): InboxEntry[];
  /**
   * Marks running and counts the attempt (a failed entry may be started again). The live path
   * skips it (one write fewer per request; a crash still leaves the entry unfinished), so finish
   * and fail count an entry that was never started as one attempt. `done` is final:
   * start, finish and fail throw OpsError(`inbox_already_done`) on a done entry, and
   * OpsError(`inbox_not_found`) on an unknown id.
   */
  start(id: number, at: number): void;
  finish(id: number, at: number): void;
  fail(id: number, at: number, error: string): void;
  /** Finished entries older than `before` are deleted; returns how many. */
  prune(before: number): number;
  /** Pending + running, for the metrics gauge. */
  depth(): number;
}

export interface CursorRepo {
  get(key: string): string | undefined;
  set(key: string, value: string, at: number): void;
}

export interface LockHolder {
  owner: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface InstanceLock {
  /**
   * Takes the lock, or throws an OpsError(`instance_locked`) whose message says where the live
   * holder runs (host, pid, since). A holder is live when its heartbeat is fresh and — on the
   * same host — its pid is still alive.
   */
  acquire(me: { owner: string; host: string; pid: number }, now: number): void;
  /**
   * Throws OpsError(`instance_lock_lost`) when `owner` no longer holds the lock (another instance
   * took it over after our heartbeat went stale): the caller must stop.
   */
  heartbeat(owner: string, now: number): void;
  /** Does nothing unless `owner` holds the lock. */
  release(owner: string): void;
  holder(): LockHolder | undefined;
}

export interface Store {
  db: Database.Database;
  audit: AuditRepo;
  roles: RoleRepo;
  events: ProcessedEventRepo;
  inbox: InboxRepo;
  cursors: CursorRepo;
  lock: InstanceLock;
  /** Runs `fn` in one synchronous transaction. */
  transaction<T>(fn: () => T): T;
  close(): void;
}
