import type Database from 'better-sqlite3';
import { OpsError } from '../errors.ts';
import type { InboxEntry, InboxRepo } from './types.ts';

const COLUMNS = `id, key, kind, payload, status, attempts, received_at AS receivedAt,
  updated_at AS updatedAt, error`;

export function createInboxRepo(db: Database.Database): InboxRepo {
  const insert = db.prepare<[string, string, string, number, number], never>(
    `INSERT INTO inbox (key, kind, payload, status, attempts, received_at, updated_at)
     VALUES (?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (key) DO NOTHING`,
  );
  const select = db.prepare<[number], InboxEntry>(`SELECT ${COLUMNS} FROM inbox WHERE id = ?`);
  const selectUnfinished = db.prepare<[], InboxEntry>(
    `SELECT ${COLUMNS} FROM inbox WHERE status IN ('pending', 'running') ORDER BY id`,
  );
  // `done` is final: whatever ran must not be run, or reported, a second time.
  const markRunning = db.prepare<[number, number], never>(
    `UPDATE inbox SET status = 'running', attempts = attempts + 1, updated_at = ?, error = NULL
     WHERE id = ? AND status <> 'done'`,
  );
  const markDone = db.prepare<[number, number], never>(
    // An entry finished on the live path was never marked running: it ran once.
    `UPDATE inbox SET status = 'done', attempts = MAX(attempts, 1), updated_at = ?, error = NULL WHERE id = ? AND status <> 'done'`,
  );
  const markFailed = db.prepare<[number, string, number], never>(
    `UPDATE inbox SET status = 'failed', attempts = MAX(attempts, 1), updated_at = ?, error = ? WHERE id = ? AND status <> 'done'`,
  );
  const deleteFinished = db.prepare<[number], never>(
    `DELETE FROM inbox WHERE status IN ('done', 'failed') AND updated_at < ?`,
  );
  const countUnfinished = db.prepare<[], { n: number }>(
    `SELECT count(*) AS n FROM inbox WHERE status IN ('pending', 'running')`,
  );

  function explainNoChange(id: number, verb: string): never {
    const entry = select.get(id);
    if (!entry) throw new OpsError('inbox_not_found', `Inbox entry ${id} does not exist; cannot ${verb} it`);
    throw new OpsError('inbox_already_done', `Inbox entry ${id} (${entry.key}) is already done; cannot ${verb} it`);
  }

  return {
    add({ key, kind, payload, at }) {
      // The caller dedupes retries through processed events first, so a repeated key here means
      // two requests share an id: refuse it loudly instead of silently merging them.
      const result = insert.run(key, kind, payload, at, at);
      if (result.changes === 0) {
        throw new OpsError('inbox_duplicate_key', `Inbox already holds an entry for ${key}`);
      }
      return Number(result.lastInsertRowid);
    },
    get: (id) => select.get(id),
    unfinished: () => selectUnfinished.all(),
    start(id, at) {
      if (markRunning.run(at, id).changes === 0) explainNoChange(id, 'start');
    },
    finish(id, at) {
      if (markDone.run(at, id).changes === 0) explainNoChange(id, 'finish');
    },
    fail(id, at, error) {
      if (markFailed.run(at, error, id).changes === 0) explainNoChange(id, 'fail');
    },
    prune: (before) => deleteFinished.run(before).changes,
    depth: () => countUnfinished.get()?.n ?? 0,
  };
}
