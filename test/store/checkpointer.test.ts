import { statSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/store/checkpointer.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { useTempFiles } from './temp-files.ts';

describe('the background checkpointer', () => {
  const files = useTempFiles();

  it('moves committed pages from the WAL into the database file without the writer checkpointing', async () => {
    const db = openDatabase(files.path('opsbot.db'));
    const checkpointer = startCheckpointer(db, { log: pino({ level: 'silent' }), intervalMs: 20 });
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const insert = db.prepare('INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, 0)');
      for (let i = 0; i < 2000; i++) insert.run(`k${i}`, 'x'.repeat(200));
      const before = statSync(files.path('opsbot.db')).size;

      // The writer never checkpoints now; the database file grows only through the worker.
      for (let i = 0; i < 100 && statSync(files.path('opsbot.db')).size <= before; i++) await new Promise((r) => setTimeout(r, 20));

      expect(statSync(files.path('opsbot.db')).size).toBeGreaterThan(before);
    } finally {
      await checkpointer.stop();
    }
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(db.prepare('SELECT count(*) AS n FROM cursors').get()).toEqual({ n: 2000 });
    db.close();
  });
});
