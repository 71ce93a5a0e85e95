import type Database from 'better-sqlite3';

/** PagerDuty Events API v2 messages waiting to be sent (or sent, or given up), in order per incident. */

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';
export type PagerDutyEventStatus = 'pending' | 'sent' | 'failed';

export interface PagerDutyEvent {
  id: number;
  incident: number;
  action: PagerDutyAction;
  /** The event without its routing key (added when it is sent). */
  payload: Record<string, unknown>;
  status: PagerDutyEventStatus;
  attempts: number;
  nextAttemptAt: number;
  error: string | null;
  createdAt: number;
  sentAt: number | null;
}

export interface PagerDutyEventRepo {
  enqueue(event: { incident: number; action: PagerDutyAction; payload: Record<string, unknown>; at: number }): number;
  /** The oldest pending event of each incident: a later one waits for it (a resolve never overtakes its trigger). */
  heads(): PagerDutyEvent[];
  /** The earliest attempt due among the heads. */
  nextAttempt(): number | undefined;
  sent(id: number, attempts: number, at: number): void;
  retry(id: number, attempts: number, nextAttemptAt: number, error: string): void;
  failed(id: number, attempts: number, error: string): void;
  forIncident(incident: number): PagerDutyEvent[];
}

type Row = Omit<PagerDutyEvent, 'payload'> & { payload: string };

const COLUMNS = `id, incident, action, payload, status, attempts, next_attempt_at AS nextAttemptAt, error, created_at AS createdAt, sent_at AS sentAt`;

export function createPagerDutyEventRepo(db: Database.Database): PagerDutyEventRepo {
  const insert = db.prepare<[number, PagerDutyAction, string, number, number], never>(
    `INSERT INTO pagerduty_events (incident, action, payload, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`,
  );
  const selectHeads = db.prepare<[], Row>(
    `SELECT ${COLUMNS} FROM pagerduty_events WHERE id IN (SELECT MIN(id) FROM pagerduty_events WHERE status = 'pending' GROUP BY incident) ORDER BY id`,
  );
  const markSent = db.prepare<[number, number, number], never>(`UPDATE pagerduty_events SET status = 'sent', attempts = ?, sent_at = ?, error = NULL WHERE id = ?`);
  const markRetry = db.prepare<[number, number, string, number], never>(`UPDATE pagerduty_events SET attempts = ?, next_attempt_at = ?, error = ? WHERE id = ?`);
  const markFailed = db.prepare<[number, string, number], never>(`UPDATE pagerduty_events SET status = 'failed', attempts = ?, error = ? WHERE id = ?`);
  const selectIncident = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM pagerduty_events WHERE incident = ? ORDER BY id`);
  const parse = (row: Row): PagerDutyEvent => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> });

  return {
    enqueue: ({ incident, action, payload, at }) => Number(insert.run(incident, action, JSON.stringify(payload), at, at).lastInsertRowid),
    heads: () => selectHeads.all().map(parse),
    nextAttempt() {
      const heads = selectHeads.all();
      return heads.length === 0 ? undefined : Math.min(...heads.map((h) => h.nextAttemptAt));
    },
    sent(id, attempts, at) {
      markSent.run(attempts, at, id);
    },
    retry(id, attempts, nextAttemptAt, error) {
      markRetry.run(attempts, nextAttemptAt, error, id);
    },
    failed(id, attempts, error) {
      markFailed.run(attempts, error, id);
    },
    forIncident: (incident) => selectIncident.all(incident).map(parse),
  };
}
