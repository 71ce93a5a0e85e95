import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertSchemaCurrent, migrate, readSchemaVersion } from './migrations.ts';

export interface OpenDatabaseOptions {
  /** Opens an existing file without writing to it; its schema must already be current. */
  readonly?: boolean;
}

/**
 * Opens the SQLite file and brings its schema up to date. `:memory:` works too (tests, the
 * local shell), without WAL.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database.Database {
  const readonly = options.readonly ?? false;
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory && !readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });

  const db = new Database(file, { readonly, fileMustExist: readonly });
  try {
    db.pragma('busy_timeout = 5000');
    // Before anything is written: a file from a newer opsbot is refused untouched.
    readSchemaVersion(db);
    // The journal mode is stored in the file; a read-only connection inherits the writer's.
    if (!readonly) db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL survives a crashed or killed process; only a power loss may drop the
    // last commits. FULL would add an fsync to every commit on the request path.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (readonly) assertSchemaCurrent(db);
    else migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
