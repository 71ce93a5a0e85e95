import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backupDatabase } from '../../src/store/backup.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { useTempFiles } from './temp-files.ts';

describe('backupDatabase', () => {
  const files = useTempFiles();

  it('copies a consistent snapshot while another connection keeps writing', async () => {
    const source = files.open();
    const writer = files.open();
    const insert = writer.prepare(
      "INSERT INTO audit_log (at, actor, action, outcome, detail) VALUES (?, 'U1', 'command', 'ok', ?)",
    );
    const filler = 'x'.repeat(1_000);
    writer.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run(i, filler);
    })();

    // Each write lands between two backup steps (the backup yields to the event loop).
    let writes = 0;
    let writing = true;
    const writeLoop = async () => {
      while (writing) {
        insert.run(10_000 + writes, filler);
        writes++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const writeDone = writeLoop();
    const target = files.path('backups', 'opsbot-1.db');
    const { pages } = await backupDatabase(source, target);
    writing = false;
    await writeDone;

    expect(writes).toBeGreaterThan(0);
    expect(pages).toBeGreaterThan(100);
    const copy = files.open('backups/opsbot-1.db');
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const { n, maxId } = copy.prepare('SELECT count(*) AS n, max(id) AS maxId FROM audit_log').get() as { n: number; maxId: number };
    expect(n).toBeGreaterThanOrEqual(2_000);
    expect(maxId).toBe(n);
    expect(n).toBeLessThanOrEqual(2_000 + writes);
  });

  it('refuses to overwrite an existing file, leaving it as it was', async () => {
    const db = files.open();
    const target = files.path('keep.db');
    fs.writeFileSync(target, 'an older backup');

    await expect(backupDatabase(db, target)).rejects.toMatchObject({
      code: 'backup_target_exists',
      message: `${target} already exists; choose a new file for the backup`,
    });
    expect(fs.readFileSync(target, 'utf8')).toBe('an older backup');
  });

  it('backs up an in-memory database to a file', async () => {
    const db = files.track(openDatabase(':memory:'));
    db.prepare("INSERT INTO cursors (key, value, updated_at) VALUES ('k', 'v', 1)").run();

    await backupDatabase(db, files.path('mem.db'));

    expect(files.open('mem.db').prepare('SELECT value FROM cursors').get()).toEqual({ value: 'v' });
  });
});
