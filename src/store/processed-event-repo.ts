import type Database from 'better-sqlite3';
import type { ProcessedEventRepo } from './types.ts';

export function createProcessedEventRepo(db: Database.Database): ProcessedEventRepo {
  // ON CONFLICT DO NOTHING rather than INSERT OR IGNORE: only a repeated key is a retry; any
  // other constraint failure must still throw.
  const insert = db.prepare<[string, number], never>(
    'INSERT INTO processed_events (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
  );
  const deleteBefore = db.prepare<[number], never>('DELETE FROM processed_events WHERE at < ?');

  return {
    markProcessed: (key, at) => insert.run(key, at).changes === 1,
    prune: (before) => deleteBefore.run(before).changes,
  };
}
