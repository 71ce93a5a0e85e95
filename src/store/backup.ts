import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { OpsError } from '../errors.ts';

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
    const { totalPages } = await db.backup(target);
    return { pages: totalPages };
  } catch (err) {
    // A half-written copy must not pass for a backup, nor block a retry with the same name.
    fs.rmSync(target, { force: true });
    throw err;
  }
}
