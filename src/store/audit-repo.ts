import type Database from 'better-sqlite3';
import type { AuditEntry, AuditRepo, NewAuditEntry } from './types.ts';

const COLUMNS = 'id, at, actor, channel, action, command, args, outcome, detail';

export function createAuditRepo(db: Database.Database): AuditRepo {
  const insert = db.prepare<[Omit<AuditEntry, 'id'>], never>(
    `INSERT INTO audit_log (at, actor, channel, action, command, args, outcome, detail)
     VALUES (@at, @actor, @channel, @action, @command, @args, @outcome, @detail)`,
  );
  const newest = db.prepare<[number], AuditEntry>(`SELECT ${COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?`);
  const newestByActor = db.prepare<[string, number], AuditEntry>(
    `SELECT ${COLUMNS} FROM audit_log WHERE actor = ? ORDER BY id DESC LIMIT ?`,
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

    list({ limit, actor }): AuditEntry[] {
      // SQLite reads a negative LIMIT as "no limit"; a caller asking for nothing gets nothing.
      const n = Math.max(0, Math.floor(limit));
      return actor === undefined ? newest.all(n) : newestByActor.all(actor, n);
    },
  };
}
