import type Database from 'better-sqlite3';
import type { Severity } from '../config/policy-schema.ts';
import { incidentId, type Incident, type IncidentEvent, type IncidentMode, type IncidentStatus } from '../incidents/incident-types.ts';

/** Incidents, their responders and their timeline. Synchronous, so changes compose in one transaction. */

export interface NewIncident {
  title: string;
  severity: Severity;
  service: string | null;
  summary: string | null;
  commander: string;
  declaredBy: string;
  mode: IncidentMode;
  requestKey: string | null;
  declaredAt: number;
  nextReminderAt: number | null;
}

/** The columns a change may set. */
export type IncidentPatch = Partial<
  Pick<
    Incident,
    | 'title'
    | 'severity'
    | 'status'
    | 'service'
    | 'lastUpdate'
    | 'commander'
    | 'communications'
    | 'mode'
    | 'channel'
    | 'threadTs'
    | 'summaryTs'
    | 'announceChannel'
    | 'announceTs'
    | 'acknowledgedAt'
    | 'acknowledgedBy'
    | 'mitigatedAt'
    | 'resolvedAt'
    | 'resolution'
    | 'lastUpdateAt'
    | 'escalationLevel'
    | 'pages'
    | 'pagedAt'
    | 'nextPageAt'
    | 'nextReminderAt'
  >
>;

export interface IncidentTimes {
  number: number;
  severity: Severity;
  status: IncidentStatus;
  declaredAt: number;
  acknowledgedAt: number | null;
  mitigatedAt: number | null;
  resolvedAt: number | null;
}

export interface IncidentRepo {
  create(incident: NewIncident): number;
  get(number: number): Incident | undefined;
  /** The incident a Slack request (trigger or event id) declared. */
  byRequest(requestKey: string): Incident | undefined;
  /** The incident living in this channel (channel mode), or in this thread of it (thread mode). */
  byLocation(channel: string, threadTs?: string): Incident | undefined;
  /** Whether any incident lives in this channel (cheap check before asking Slack about a message). */
  usesChannel(channel: string): boolean;
  /** Newest first. */
  list(options: { open?: boolean; severity?: Severity; limit: number }): Incident[];
  update(number: number, patch: IncidentPatch, at: number): void;
  addResponder(number: number, userId: string, by: string, at: number): boolean;
  removeResponder(number: number, userId: string): boolean;
  /** undefined when an event with the same ref is already on the timeline. */
  addEvent(event: Omit<IncidentEvent, 'id'>, recordedAt: number): IncidentEvent | undefined;
  /** Oldest first; same-millisecond events in the order they were recorded. */
  events(number: number): IncidentEvent[];
  /** The earliest pending page or reminder of an open incident. */
  nextTimer(): number | undefined;
  /** Open incidents with a page or a reminder due at `now`. */
  dueTimers(now: number): Incident[];
  /** Incidents declared since `since`, for stats. */
  times(since: number): IncidentTimes[];
  openCounts(): Record<Severity, number>;
}

interface Row {
  number: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  service: string | null;
  summary: string | null;
  lastUpdate: string | null;
  commander: string;
  communications: string | null;
  declaredBy: string;
  mode: IncidentMode;
  channel: string | null;
  threadTs: string | null;
  summaryTs: string | null;
  announceChannel: string | null;
  announceTs: string | null;
  declaredAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  mitigatedAt: number | null;
  resolvedAt: number | null;
  resolution: string | null;
  lastUpdateAt: number;
  escalationLevel: number;
  pages: number;
  pagedAt: number | null;
  nextPageAt: number | null;
  nextReminderAt: number | null;
  updatedAt: number;
}

/** camelCase field → column. */
const COLUMN: Record<keyof Omit<Row, 'number'>, string> = {
  title: 'title',
  severity: 'severity',
  status: 'status',
  service: 'service',
  summary: 'summary',
  lastUpdate: 'last_update',
  commander: 'commander',
  communications: 'communications',
  declaredBy: 'declared_by',
  mode: 'mode',
  channel: 'channel',
  threadTs: 'thread_ts',
  summaryTs: 'summary_ts',
  announceChannel: 'announce_channel',
  announceTs: 'announce_ts',
  declaredAt: 'declared_at',
  acknowledgedAt: 'acknowledged_at',
  acknowledgedBy: 'acknowledged_by',
  mitigatedAt: 'mitigated_at',
  resolvedAt: 'resolved_at',
  resolution: 'resolution',
  lastUpdateAt: 'last_update_at',
  escalationLevel: 'escalation_level',
  pages: 'pages',
  pagedAt: 'paged_at',
  nextPageAt: 'next_page_at',
  nextReminderAt: 'next_reminder_at',
  updatedAt: 'updated_at',
};

const COLUMNS = ['number', ...Object.entries(COLUMN).map(([field, column]) => (field === column ? column : `${column} AS ${field}`))].join(', ');
const EVENT_COLUMNS = 'id, incident, at, who, kind, text, ref';

export function createIncidentRepo(db: Database.Database): IncidentRepo {
  const insert = db.prepare<NewIncident, never>(
    `INSERT INTO incidents (title, severity, status, service, summary, commander, declared_by, mode, request_key, declared_at,
       last_update_at, next_reminder_at, updated_at)
     VALUES (@title, @severity, 'investigating', @service, @summary, @commander, @declaredBy, @mode, @requestKey, @declaredAt,
       @declaredAt, @nextReminderAt, @declaredAt)`,
  );
  const select = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM incidents WHERE number = ?`);
  const selectRequest = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM incidents WHERE request_key = ?`);
  const selectChannel = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM incidents WHERE channel = ? AND mode = 'channel' ORDER BY number DESC LIMIT 1`);
  const selectThread = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM incidents WHERE channel = ? AND thread_ts = ? ORDER BY number DESC LIMIT 1`);
  const anyInChannel = db.prepare<[string], { n: number }>('SELECT 1 AS n FROM incidents WHERE channel = ? LIMIT 1');
  const selectResponders = db.prepare<[number], { userId: string }>('SELECT user_id AS userId FROM incident_responders WHERE incident = ? ORDER BY at, user_id');
  const insertResponder = db.prepare<[number, string, string, number], never>(
    'INSERT INTO incident_responders (incident, user_id, added_by, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const deleteResponder = db.prepare<[number, string], never>('DELETE FROM incident_responders WHERE incident = ? AND user_id = ?');
  const insertEvent = db.prepare<Omit<IncidentEvent, 'id'> & { recordedAt: number }, never>(
    `INSERT INTO incident_events (incident, at, who, kind, text, ref, recorded_at)
     VALUES (@incident, @at, @who, @kind, @text, @ref, @recordedAt) ON CONFLICT DO NOTHING`,
  );
  const selectEvents = db.prepare<[number], IncidentEvent>(`SELECT ${EVENT_COLUMNS} FROM incident_events WHERE incident = ? ORDER BY at, id`);
  const selectNextTimer = db.prepare<[], { at: number | null }>(
    `SELECT MIN(MIN(COALESCE(next_page_at, 9e15), COALESCE(next_reminder_at, 9e15))) AS at FROM incidents
     WHERE status <> 'resolved' AND (next_page_at IS NOT NULL OR next_reminder_at IS NOT NULL)`,
  );
  const selectDue = db.prepare<[number, number], Row>(
    `SELECT ${COLUMNS} FROM incidents WHERE status <> 'resolved' AND (next_page_at <= ? OR next_reminder_at <= ?) ORDER BY number`,
  );
  const selectTimes = db.prepare<[number], IncidentTimes>(
    `SELECT number, severity, status, declared_at AS declaredAt, acknowledged_at AS acknowledgedAt, mitigated_at AS mitigatedAt,
       resolved_at AS resolvedAt FROM incidents WHERE declared_at >= ? ORDER BY number`,
  );
  const selectOpenCounts = db.prepare<[], { severity: Severity; n: number }>(
    `SELECT severity, COUNT(*) AS n FROM incidents WHERE status <> 'resolved' GROUP BY severity`,
  );

  const withResponders = (row: Row | undefined): Incident | undefined =>
    row && { ...row, id: incidentId(row.number), responders: selectResponders.all(row.number).map((r) => r.userId) };

  return {
    create: (incident) => Number(insert.run(incident).lastInsertRowid),
    get: (number) => withResponders(select.get(number)),
    byRequest: (key) => withResponders(selectRequest.get(key)),
    byLocation(channel, threadTs) {
      // A thread inside an incident channel still belongs to that channel's incident.
      return withResponders(selectChannel.get(channel) ?? (threadTs ? selectThread.get(channel, threadTs) : undefined));
    },
    usesChannel: (channel) => anyInChannel.get(channel) !== undefined,
    list({ open, severity, limit }) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (open) where.push(`status <> 'resolved'`);
      if (severity) {
        where.push('severity = ?');
        params.push(severity);
      }
      params.push(limit);
      const rows = db
        .prepare<Array<string | number>, Row>(`SELECT ${COLUMNS} FROM incidents ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY number DESC LIMIT ?`)
        .all(...params);
      return rows.map((row) => withResponders(row)!);
    },
    update(number, patch, at) {
      const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
      const sets = entries.map(([field]) => {
        const column = COLUMN[field as keyof typeof COLUMN];
        if (!column) throw new Error(`incident field ${field} cannot be updated`);
        return `${column} = @${field}`;
      });
      db.prepare(`UPDATE incidents SET ${[...sets, 'updated_at = @updatedAt'].join(', ')} WHERE number = @number`).run({
        ...Object.fromEntries(entries),
        updatedAt: at,
        number,
      });
    },
    addResponder: (number, userId, by, at) => insertResponder.run(number, userId, by, at).changes === 1,
    removeResponder: (number, userId) => deleteResponder.run(number, userId).changes === 1,
    addEvent(event, recordedAt) {
      const result = insertEvent.run({ ...event, recordedAt });
      if (result.changes === 0) return undefined;
      return { ...event, id: Number(result.lastInsertRowid) };
    },
    events: (number) => selectEvents.all(number),
    nextTimer() {
      const at = selectNextTimer.get()?.at;
      return at === null || at === undefined ? undefined : at;
    },
    dueTimers: (now) => selectDue.all(now, now).map((row) => withResponders(row)!),
    times: (since) => selectTimes.all(since),
    openCounts() {
      const counts: Record<Severity, number> = { P1: 0, P2: 0, P3: 0, P4: 0 };
      for (const row of selectOpenCounts.all()) counts[row.severity] = row.n;
      return counts;
    },
  };
}
