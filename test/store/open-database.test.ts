import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { OpsError } from '../../src/errors.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { useTempFiles } from './temp-files.ts';

describe('openDatabase', () => {
  const files = useTempFiles();

  it('creates the missing parent folders of the database file', () => {
    const file = files.path('nested', 'deeper', 'opsbot.db');

    files.track(openDatabase(file));

    expect(fs.existsSync(file)).toBe(true);
  });

  it('sets WAL, synchronous NORMAL, foreign keys and a busy timeout on the connection', () => {
    const db = files.open();

    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('leaves the file in WAL mode for the next connection', () => {
    files.open().close();

    const plain = files.track(new Database(files.path('opsbot.db')));

    expect(plain.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('opens and migrates an in-memory database', () => {
    const db = files.track(openDatabase(':memory:'));

    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'inbox'").get()).toEqual({ name: 'inbox' });
  });

  it('opens a migrated file read-only, reading but refusing writes', () => {
    const writer = files.open();
    writer.prepare("INSERT INTO cursors (key, value, updated_at) VALUES ('k', 'v', 1)").run();

    const reader = files.open('opsbot.db', { readonly: true });

    expect(reader.prepare('SELECT value FROM cursors').get()).toEqual({ value: 'v' });
    expect(() => reader.prepare("INSERT INTO cursors (key, value, updated_at) VALUES ('x', 'y', 1)").run()).toThrow(
      /readonly/,
    );
  });

  it('refuses to open a file read-only when its schema is older than this build', () => {
    const file = files.path('old.db');
    new Database(file).close();

    expect(() => files.track(openDatabase(file, { readonly: true }))).toThrow(
      expect.objectContaining({ code: 'database_outdated', message: expect.stringContaining(`this build needs ${SCHEMA_VERSION}`) }),
    );
  });

  it('does not create a file when asked to open a missing one read-only', () => {
    const file = files.path('missing.db');

    expect(() => files.track(openDatabase(file, { readonly: true }))).toThrow();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('closes the file again when it refuses a database', () => {
    const file = files.path('future.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();

    let refused: unknown;
    try {
      files.track(openDatabase(file));
    } catch (err) {
      refused = err;
    }

    expect(refused).toBeInstanceOf(OpsError);
    // An exclusive lock succeeds only when no other connection in this process holds the file.
    const other = files.track(new Database(file, { timeout: 0 }));
    expect(() => other.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;')).not.toThrow();
  });
});
