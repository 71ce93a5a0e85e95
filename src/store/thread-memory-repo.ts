import type Database from 'better-sqlite3';
import type { ThreadMemoryRepo, ThreadTurn } from './types.ts';

interface Row {
  channel: string;
  thread_ts: string;
  role: ThreadTurn['role'];
  user_id: string | null;
  text: string;
  at: number;
}

export function createThreadMemoryRepo(db: Database.Database): ThreadMemoryRepo {
  const insert = db.prepare<[string, string, string, string | null, string, number], never>(
    'INSERT INTO thread_turns (channel, thread_ts, role, user_id, text, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const selectRecent = db.prepare<[string, string, number, number], Row>(
    `SELECT * FROM (SELECT channel, thread_ts, role, user_id, text, at, id FROM thread_turns
       WHERE channel = ? AND thread_ts = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id`,
  );
  const deleteBefore = db.prepare<[number], never>('DELETE FROM thread_turns WHERE at < ?');
  return {
    append(turn) {
      insert.run(turn.channel, turn.threadTs, turn.role, turn.userId, turn.text, turn.at);
    },
    recent: (channel, threadTs, { limit, since }) =>
      selectRecent.all(channel, threadTs, since, limit).map((row) => ({
        channel: row.channel,
        threadTs: row.thread_ts,
        role: row.role,
        userId: row.user_id,
        text: row.text,
        at: row.at,
      })),
    prune: (before) => deleteBefore.run(before).changes,
  };
}
