import type Database from 'better-sqlite3';

/** Alert silences (migration 6): a group key or label matchers, until a time, by someone. */

export interface AlertSilence {
  id: number;
  /** Silences every group with this key (what the Silence buttons create). */
  groupKey: string | null;
  /** Label → value, all equal: silences the groups whose common labels have them all. */
  matchers: Record<string, string> | null;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  reason: string | null;
  removedBy: string | null;
  removedAt: number | null;
}

export type NewAlertSilence = Pick<AlertSilence, 'groupKey' | 'matchers' | 'startsAt' | 'endsAt' | 'createdBy' | 'reason'>;

export interface AlertSilenceRepo {
  create(silence: NewAlertSilence): number;
  get(id: number): AlertSilence | undefined;
  /** Silences in force at `now` (not removed, not ended), ending soonest first. */
  active(now: number): AlertSilence[];
  /** false when it was already removed. */
  remove(id: number, by: string, at: number): boolean;
}

interface Row extends Omit<AlertSilence, 'matchers'> {
  matchers: string | null;
}

const COLUMNS = `id, group_key AS groupKey, matchers, starts_at AS startsAt, ends_at AS endsAt, created_by AS createdBy, reason,
  removed_by AS removedBy, removed_at AS removedAt`;

export function createAlertSilenceRepo(db: Database.Database): AlertSilenceRepo {
  const insert = db.prepare<{ groupKey: string | null; matchers: string | null; startsAt: number; endsAt: number; createdBy: string; reason: string | null }, never>(
    `INSERT INTO alert_silences (group_key, matchers, starts_at, ends_at, created_by, reason)
     VALUES (@groupKey, @matchers, @startsAt, @endsAt, @createdBy, @reason)`,
  );
  const select = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM alert_silences WHERE id = ?`);
  const selectActive = db.prepare<[number, number], Row>(
    `SELECT ${COLUMNS} FROM alert_silences WHERE removed_at IS NULL AND ends_at > ? AND starts_at <= ? ORDER BY ends_at, id`,
  );
  const markRemoved = db.prepare<[string, number, number], never>('UPDATE alert_silences SET removed_by = ?, removed_at = ? WHERE id = ? AND removed_at IS NULL');

  const toSilence = (row: Row | undefined): AlertSilence | undefined => row && { ...row, matchers: row.matchers === null ? null : (JSON.parse(row.matchers) as Record<string, string>) };

  return {
    create: (silence) => Number(insert.run({ ...silence, matchers: silence.matchers === null ? null : JSON.stringify(silence.matchers) }).lastInsertRowid),
    get: (id) => toSilence(select.get(id)),
    active: (now) => selectActive.all(now, now).map((row) => toSilence(row)!),
    remove: (id, by, at) => markRemoved.run(by, at, id).changes > 0,
  };
}
