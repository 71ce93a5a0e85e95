import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach } from 'vitest';
import { openDatabase } from '../../src/store/open-database.ts';

/**
 * A fresh temp folder per test, and every database opened through it closed (then the folder
 * removed) after the test, so a failing test cannot leak handles into the next one.
 */
export function useTempFiles() {
  let dir: string | undefined;
  const opened: Database.Database[] = [];

  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const files = {
    path(...parts: string[]): string {
      dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-store-'));
      return path.join(dir, ...parts);
    },
    /** Opens (and migrates) a database in the temp folder; closed after the test. */
    open(name = 'opsbot.db', options?: { readonly?: boolean }): Database.Database {
      return files.track(openDatabase(files.path(name), options));
    },
    track(db: Database.Database): Database.Database {
      opened.push(db);
      return db;
    },
  };
  return files;
}
