import type Database from 'better-sqlite3';
import type { AuditEntry, AuditRepo, NewAuditEntry } from './types.ts';

const COLUMNS = 'id, at, actor, channel, action, command, args, outcome, detail';

export function createAuditRepo(db: Database.Database): AuditRepo {
  const insert = db.prepare<[Omit<AuditEntry, 'id'>], never>(
    `INSERT INTO audit_log (at, actor, channel, action, command, args, outcome, detail)
     VALUES (@at, @actor, @channel, @action, @command, @args, @outcome, @detail)`,
  );
  const newest = db.prepare<{ limit: number; actor: string | null; received: number }, AuditEntry>(
    `SELECT ${COLUMNS} FROM audit_log
     WHERE (@actor IS NULL OR actor = @actor) AND (@received = 1 OR action <> 'received')
     ORDER BY id DESC LIMIT @limit`,
  );

  return {
    append(entry: NewAuditEntry): number {
      const result = insert.run({
        at: entry.at,
        actor: entry.actor,
        channel: entry.channel ?? null,
        action: entry.action,
        command: entry.command ?? null,
        args: entry.args ?? null,
        outcome: entry.outcome,
        detail: entry.detail ?? null,
      });
      return Number(result.lastInsertRowid);
    },

    list({ limit, actor, includeReceived = true }): AuditEntry[] {
      // SQLite reads a negative LIMIT as "no limit"; a caller asking for nothing gets nothing.
      const n = Math.max(0, Math.floor(limit));
      return newest.all({ limit: n, actor: actor ?? null, received: includeReceived ? 1 : 0 });
    },
  };
}
