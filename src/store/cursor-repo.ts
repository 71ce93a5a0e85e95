import type Database from 'better-sqlite3';
import type { CursorRepo } from './types.ts';

export function createCursorRepo(db: Database.Database): CursorRepo {
  const select = db.prepare<[string], { value: string }>('SELECT value FROM cursors WHERE key = ?');
  const upsert = db.prepare<[string, string, number], never>(
    `INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );

  return {
    get: (key) => select.get(key)?.value,
    set(key, value, at) {
      upsert.run(key, value, at);
    },
  };
}
