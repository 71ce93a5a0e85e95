import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { OpsError } from '../errors.ts';

const PAGES_PER_STEP = 100;
const ALL_REMAINING = 0x7fffffff;

/**
 * SQLite restarts an online backup whenever another connection writes to the source, so small
 * steps alone may never finish under steady traffic. Small steps keep the event loop free while
 * the file is quiet; after the first restart the rest is copied in one step, under one read
 * snapshot, which no writer can interrupt (WAL lets the writers carry on meanwhile).
 */
function stepSize(): (progress: { remainingPages: number }) => number {
  let lastRemaining = Infinity;
  let restarted = false;
  return ({ remainingPages }) => {
    if (remainingPages >= lastRemaining) restarted = true;
    lastRemaining = remainingPages;
    return restarted ? ALL_REMAINING : PAGES_PER_STEP;
  };
}

/**
 * Copies the live database to a new file with SQLite's online backup: other connections keep
 * writing meanwhile and the copy is one consistent snapshot.
 */
export async function backupDatabase(db: Database.Database, destinationPath: string): Promise<{ pages: number }> {
  const target = path.resolve(destinationPath);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Creating the file with O_EXCL reserves the name atomically: an existing file (perhaps the
  // only good backup) is never overwritten, even by a concurrent `opsbot backup`.
  try {
    fs.closeSync(fs.openSync(target, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new OpsError('backup_target_exists', `${destinationPath} already exists; choose a new file for the backup`, {
        cause: err,
      });
    }
    throw err;
  }
  try {
    const { totalPages } = await db.backup(target, { progress: stepSize() });
    return { pages: totalPages };
  } catch (err) {
    // A half-written copy must not pass for a backup, nor block a retry with the same name.
    fs.rmSync(target, { force: true });
    throw err;
  }
}
