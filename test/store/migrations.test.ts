import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { OpsError } from '../../src/errors.ts';
import { MIGRATIONS, SCHEMA_VERSION, migrate, type Migration } from '../../src/store/migrations.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { useTempFiles } from './temp-files.ts';

function tableNames(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name);
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

describe('migrations', () => {
  const files = useTempFiles();

  it('numbers the migrations 1..N and reports N as the schema version', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('creates the core tables on a new file and records the schema version', () => {
    const db = files.open();

    expect(userVersion(db)).toBe(SCHEMA_VERSION);
    expect(tableNames(db)).toEqual(
      expect.arrayContaining(['audit_log', 'cursors', 'inbox', 'instance_lock', 'processed_events', 'roles']),
    );
  });

  it('applies nothing again when the file is reopened, and keeps its rows', () => {
    const first = files.open();
    first.prepare("INSERT INTO cursors (key, value, updated_at) VALUES ('alerts', '1700.1', 1)").run();
    first.close();

    const again = files.open();

    expect(migrate(again)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    expect(userVersion(again)).toBe(SCHEMA_VERSION);
    expect(again.prepare('SELECT key, value FROM cursors').all()).toEqual([{ key: 'alerts', value: '1700.1' }]);
  });

  it('applies only the migrations a file has not seen yet', () => {
    const db = files.track(new Database(files.path('opsbot.db')));
    const extra: Migration = { version: SCHEMA_VERSION + 1, name: 'notes', sql: 'CREATE TABLE notes (body TEXT) STRICT;' };
    migrate(db);

    expect(migrate(db, [...MIGRATIONS, extra])).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    expect(tableNames(db)).toContain('notes');
  });

  it('refuses a database written by a newer opsbot, naming both schema versions', () => {
    const file = files.path('opsbot.db');
    const raw = new Database(file);
    raw.pragma('user_version = 7');
    raw.close();

    let refused: unknown;
    try {
      files.track(openDatabase(file));
    } catch (err) {
      refused = err;
    }

    expect(refused).toBeInstanceOf(OpsError);
    expect((refused as OpsError).code).toBe('database_too_new');
    expect((refused as OpsError).message).toBe(
      `Database ${file} was written by a newer opsbot (schema 7, this build knows up to ${SCHEMA_VERSION}); ` +
        'upgrade opsbot or restore a backup',
    );
    const after = files.track(new Database(file));
    expect(userVersion(after)).toBe(7);
    expect(tableNames(after)).toEqual([]);
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
  });

  it('leaves the schema version unchanged and no partial tables when a migration fails', () => {
    const db = files.track(new Database(files.path('opsbot.db')));
    const broken: Migration[] = [
      { version: 1, name: 'good', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'also good', sql: 'CREATE TABLE b (x INTEGER) STRICT;' },
      { version: 3, name: 'broken', sql: 'CREATE TABLE c (x INTEGER) STRICT; INSERT INTO missing VALUES (1);' },
    ];

    expect(() => migrate(db, broken)).toThrow(
      expect.objectContaining({
        code: 'migration_failed',
        message: expect.stringMatching(/^Migration 3 \(broken\) failed: no such table: missing; the database was left at schema 0$/),
      }),
    );
    expect(userVersion(db)).toBe(0);
    expect(tableNames(db)).toEqual([]);
  });

  it('keeps the migrations already applied by an earlier run when a later one fails', () => {
    const db = files.track(new Database(files.path('opsbot.db')));
    const first: Migration = { version: 1, name: 'first', sql: 'CREATE TABLE a (x INTEGER) STRICT;' };
    migrate(db, [first]);

    expect(() =>
      migrate(db, [
        first,
        { version: 2, name: 'second', sql: 'CREATE TABLE b (x INTEGER) STRICT;' },
        { version: 3, name: 'broken', sql: 'CREATE TABLE a (x INTEGER);' },
      ]),
    ).toThrow(/Migration 3 \(broken\) failed: table a already exists; the database was left at schema 1/);
    expect(userVersion(db)).toBe(1);
    expect(tableNames(db)).toEqual(['a']);
  });

  it('refuses migrations that leave rows breaking a foreign key', () => {
    const db = files.track(new Database(files.path('opsbot.db')));
    db.pragma('foreign_keys = ON');

    expect(() =>
      migrate(db, [
        {
          version: 1,
          name: 'orphans',
          sql: `CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;
                CREATE TABLE child (parent_id INTEGER REFERENCES parent (id)) STRICT;
                INSERT INTO child VALUES (42);`,
        },
      ]),
    ).toThrow(expect.objectContaining({ code: 'migration_failed' }));
    expect(tableNames(db)).toEqual([]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('lets a migration rebuild a referenced table without cascading deletes', () => {
    const db = files.track(new Database(files.path('opsbot.db')));
    db.pragma('foreign_keys = ON');
    const base: Migration = {
      version: 1,
      name: 'parent and child',
      sql: `CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;
            CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE) STRICT;`,
    };
    migrate(db, [base]);
    db.exec('INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);');

    migrate(db, [
      base,
      {
        version: 2,
        name: 'add a column to parent by rebuilding it',
        sql: `CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT) STRICT;
              INSERT INTO parent_new (id) SELECT id FROM parent;
              DROP TABLE parent;
              ALTER TABLE parent_new RENAME TO parent;`,
      },
    ]);

    expect(db.prepare('SELECT parent_id FROM child').all()).toEqual([{ parent_id: 1 }]);
  });

  it('rejects a migration list with a gap', () => {
    const db = files.track(new Database(':memory:'));

    expect(() =>
      migrate(db, [
        { version: 1, name: 'one', sql: 'SELECT 1;' },
        { version: 3, name: 'three', sql: 'SELECT 1;' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'migrations_invalid' }));
    expect(userVersion(db)).toBe(0);
  });
});
