import type Database from 'better-sqlite3';
import type { AlertStatus, NormalizedAlert } from '../alerts/alert.ts';
import { alertGroupId } from '../alerts/alert-group-id.ts';
import type { GroupState } from '../alerts/grouping-policy.ts';

/**
 * Alert groups and their alerts (migration 6). Synchronous, so an intake batch (alerts stored,
 * groups moved on) and a notification decision each commit in one transaction.
 *
 * A group's GroupState is stored in two parts, so a batch writes what it changed and not the
 * whole group again (a storm's group of thousands would otherwise be rewritten per batch): its
 * times and flags in alert_groups.state, and its per-alert lists in the alerts rows — `alerts`
 * is every row's fingerprint and status (written by upsertAlert), notifiedFiring /
 * notifiedResolved the rows whose `notified` says so (written by markNotified). `update` with a
 * state therefore stores only its times and flags.
 */

/**
 * pending: not notified yet; due: the first notification decided to triage (waiting for the
 * group's message); running: handed to the triage loop; done / failed: its result; skipped: never
 * triaged (severity none, no triage loop wired, dry-run without a thread…), triage_note says why.
 */
export type TriageStatus = 'pending' | 'due' | 'running' | 'done' | 'failed' | 'skipped';

/** A "Run suggested playbook" button: its label and the command its click runs. */
export interface GroupSuggestion {
  label: string;
  command: string;
}

/** What is kept of a triage outcome: enough to show, link and audit (the transcript is in agent_runs). */
export interface TriageSummary {
  severity: string;
  accepted: boolean;
  rounds: number;
  needsHuman?: string;
  playbook?: string;
  incidentId?: string;
  runIds: string[];
}

export interface StoredAlertGroup {
  /** Row id; `groupId` is how people name it. */
  id: number;
  groupId: string;
  key: string;
  channel: string;
  labels: Record<string, string>;
  state: GroupState;
  status: AlertStatus;
  notifyAt: number | null;
  version: number;
  postedVersion: number;
  messageTs: string | null;
  detailsTs: string | null;
  triage: TriageStatus;
  triageNote: string | null;
  triagedAt: number | null;
  triageOutcome: TriageSummary | null;
  suggestion: GroupSuggestion | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  incidentId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface StoredAlert {
  groupId: number;
  fingerprint: string;
  status: AlertStatus;
  alert: NormalizedAlert;
  firstSeenAt: number;
  lastSeenAt: number;
  /** How many times it was received. */
  received: number;
}

export interface NewAlertGroup {
  key: string;
  channel: string;
  labels: Record<string, string>;
  state: GroupState;
  status: AlertStatus;
  notifyAt: number | null;
  at: number;
}

/** Columns a change may set. */
export type AlertGroupPatch = Partial<
  Pick<
    StoredAlertGroup,
    | 'state'
    | 'status'
    | 'notifyAt'
    | 'version'
    | 'postedVersion'
    | 'messageTs'
    | 'detailsTs'
    | 'triage'
    | 'triageNote'
    | 'triagedAt'
    | 'triageOutcome'
    | 'suggestion'
    | 'acknowledgedBy'
    | 'acknowledgedAt'
    | 'incidentId'
  >
>;

export interface AlertCounts {
  firing: number;
  resolved: number;
}

export interface AlertGroupRepo {
  insert(group: NewAlertGroup): number;
  get(id: number): StoredAlertGroup | undefined;
  /** The newest group with this key in this channel. */
  latest(channel: string, key: string): StoredAlertGroup | undefined;
  /** `state`: its times and flags only (see above). */
  update(id: number, patch: AlertGroupPatch, at: number): void;
  /** The group's last notification showed every alert as it is now (its notified lists). */
  markNotified(id: number): void;
  /** Ids of groups due at `now`, earliest first. */
  due(now: number, limit: number): number[];
  /** The earliest notify_at. */
  nextDue(): number | undefined;
  /** Ids of groups with a notification decided and not delivered. */
  undelivered(): number[];
  /** Ids of groups whose triage is due or was running (a restart takes them up). */
  triagePending(): number[];
  /** Newest first; `open`: those with an alert firing. */
  list(options: { open: boolean; limit: number }): StoredAlertGroup[];
  /** Groups linked to an incident (newest first): what its playbook buttons are matched against. */
  forIncident(incidentId: string): StoredAlertGroup[];
  /** Inserts the alert, or updates its status and content (counting the receipt). */
  upsertAlert(groupId: number, alert: NormalizedAlert, at: number): void;
  /** In order of first receipt. */
  alerts(groupId: number): StoredAlert[];
  counts(groupId: number): AlertCounts;
  /** Every stored alert, all groups (tests and the bench count what was kept). */
  totalAlerts(): number;
}

interface Row {
  id: number;
  key: string;
  channel: string;
  labels: string;
  state: string;
  status: AlertStatus;
  notifyAt: number | null;
  version: number;
  postedVersion: number;
  messageTs: string | null;
  detailsTs: string | null;
  triage: TriageStatus;
  triageNote: string | null;
  triagedAt: number | null;
  triageOutcome: string | null;
  suggestion: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  incidentId: string | null;
  createdAt: number;
  updatedAt: number;
}

const COLUMN: Record<keyof AlertGroupPatch, string> = {
  state: 'state',
  status: 'status',
  notifyAt: 'notify_at',
  version: 'version',
  postedVersion: 'posted_version',
  messageTs: 'message_ts',
  detailsTs: 'details_ts',
  triage: 'triage',
  triageNote: 'triage_note',
  triagedAt: 'triaged_at',
  triageOutcome: 'triage_outcome',
  suggestion: 'suggestion',
  acknowledgedBy: 'acknowledged_by',
  acknowledgedAt: 'acknowledged_at',
  incidentId: 'incident_id',
};
const JSON_FIELDS = new Set<keyof AlertGroupPatch>(['state', 'triageOutcome', 'suggestion']);

const COLUMNS = `id, group_key AS key, channel, labels, state, status, notify_at AS notifyAt, version, posted_version AS postedVersion,
  message_ts AS messageTs, details_ts AS detailsTs, triage, triage_note AS triageNote, triaged_at AS triagedAt,
  triage_outcome AS triageOutcome, suggestion, acknowledged_by AS acknowledgedBy, acknowledged_at AS acknowledgedAt,
  incident_id AS incidentId, created_at AS createdAt, updated_at AS updatedAt`;

/** GroupState without its per-alert lists, as alert_groups.state holds it. */
type StateScalars = Omit<GroupState, 'alerts' | 'notifiedFiring' | 'notifiedResolved'>;

function scalars(state: GroupState): StateScalars {
  const { alerts: _alerts, notifiedFiring: _firing, notifiedResolved: _resolved, ...rest } = state;
  return rest;
}

interface AlertRow {
  groupId: number;
  fingerprint: string;
  status: AlertStatus;
  alert: string;
  firstSeenAt: number;
  lastSeenAt: number;
  received: number;
}

export function createAlertGroupRepo(db: Database.Database): AlertGroupRepo {
  const insert = db.prepare<{ key: string; channel: string; labels: string; state: string; status: string; notifyAt: number | null; at: number }, never>(
    `INSERT INTO alert_groups (group_key, channel, labels, state, status, notify_at, created_at, updated_at)
     VALUES (@key, @channel, @labels, @state, @status, @notifyAt, @at, @at)`,
  );
  const select = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM alert_groups WHERE id = ?`);
  const selectLatest = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM alert_groups WHERE channel = ? AND group_key = ? ORDER BY id DESC LIMIT 1`);
  const selectDue = db.prepare<[number, number], { id: number }>('SELECT id FROM alert_groups WHERE notify_at <= ? ORDER BY notify_at, id LIMIT ?');
  const selectNextDue = db.prepare<[], { at: number | null }>('SELECT MIN(notify_at) AS at FROM alert_groups WHERE notify_at IS NOT NULL');
  const selectUndelivered = db.prepare<[], { id: number }>('SELECT id FROM alert_groups WHERE version > posted_version ORDER BY id');
  const selectTriagePending = db.prepare<[], { id: number }>("SELECT id FROM alert_groups WHERE triage IN ('due', 'running') ORDER BY id");
  const selectOpen = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM alert_groups WHERE status = 'firing' ORDER BY id DESC LIMIT ?`);
  const selectAll = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM alert_groups ORDER BY id DESC LIMIT ?`);
  const selectForIncident = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM alert_groups WHERE incident_id = ? ORDER BY id DESC LIMIT 20`);
  const upsert = db.prepare<{ groupId: number; fingerprint: string; status: string; name: string; severity: string | null; source: string; alert: string; at: number }, never>(
    `INSERT INTO alerts (group_id, fingerprint, status, name, severity, source, alert, first_seen_at, last_seen_at)
     VALUES (@groupId, @fingerprint, @status, @name, @severity, @source, @alert, @at, @at)
     ON CONFLICT (group_id, fingerprint) DO UPDATE SET status = excluded.status, name = excluded.name, severity = excluded.severity,
       source = excluded.source, alert = excluded.alert, last_seen_at = excluded.last_seen_at, received = received + 1`,
  );
  const selectAlerts = db.prepare<[number], AlertRow>(
    `SELECT group_id AS groupId, fingerprint, status, alert, first_seen_at AS firstSeenAt, last_seen_at AS lastSeenAt, received
     FROM alerts WHERE group_id = ? ORDER BY first_seen_at, fingerprint`,
  );
  const selectCounts = db.prepare<[number], { status: AlertStatus; n: number }>('SELECT status, COUNT(*) AS n FROM alerts WHERE group_id = ? GROUP BY status');
  const selectTotal = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM alerts');
  // Covered by alerts_state: the state's lists without reading each alert's content.
  const selectState = db.prepare<[number], [string, AlertStatus, AlertStatus | null]>('SELECT fingerprint, status, notified FROM alerts WHERE group_id = ? ORDER BY fingerprint').raw();
  const updateNotified = db.prepare<[number], never>('UPDATE alerts SET notified = status WHERE group_id = ? AND notified IS NOT status');
  /** One prepared UPDATE per set of columns changed (a handful in practice). */
  const updates = new Map<string, Database.Statement>();

  const stateOf = (id: number, stored: string): GroupState => {
    const state: GroupState = { ...(JSON.parse(stored) as StateScalars), alerts: [], notifiedFiring: [], notifiedResolved: [] };
    for (const [fingerprint, status, notified] of selectState.all(id)) {
      state.alerts.push({ fingerprint, status });
      if (notified === 'firing') state.notifiedFiring.push(fingerprint);
      else if (notified === 'resolved') state.notifiedResolved.push(fingerprint);
    }
    return state;
  };

  const toGroup = (row: Row | undefined): StoredAlertGroup | undefined =>
    row && {
      ...row,
      groupId: alertGroupId(row.id),
      labels: JSON.parse(row.labels) as Record<string, string>,
      state: stateOf(row.id, row.state),
      triageOutcome: row.triageOutcome === null ? null : (JSON.parse(row.triageOutcome) as TriageSummary),
      suggestion: row.suggestion === null ? null : (JSON.parse(row.suggestion) as GroupSuggestion),
    };

  return {
    insert: (group) =>
      Number(
        insert.run({
          key: group.key,
          channel: group.channel,
          labels: JSON.stringify(group.labels),
          state: JSON.stringify(scalars(group.state)),
          status: group.status,
          notifyAt: group.notifyAt,
          at: group.at,
        }).lastInsertRowid,
      ),
    get: (id) => toGroup(select.get(id)),
    latest: (channel, key) => toGroup(selectLatest.get(channel, key)),
    update(id, patch, at) {
      const fields = (Object.keys(patch) as Array<keyof AlertGroupPatch>).filter((field) => field in COLUMN).sort();
      const sqlKey = fields.join(',');
      let statement = updates.get(sqlKey);
      if (!statement) {
        const sets = [...fields.map((field) => `${COLUMN[field]} = @${field}`), 'updated_at = @updatedAt'];
        statement = db.prepare(`UPDATE alert_groups SET ${sets.join(', ')} WHERE id = @id`);
        updates.set(sqlKey, statement);
      }
      const params: Record<string, unknown> = { id, updatedAt: at };
      for (const field of fields) {
        const value = patch[field];
        const stored = field === 'state' && value ? scalars(value as GroupState) : value;
        params[field] = JSON_FIELDS.has(field) && stored !== null && stored !== undefined ? JSON.stringify(stored) : (stored ?? null);
      }
      statement.run(params);
    },
    markNotified(id) {
      updateNotified.run(id);
    },
    due: (now, limit) => selectDue.all(now, limit).map((r) => r.id),
    nextDue: () => selectNextDue.get()?.at ?? undefined,
    undelivered: () => selectUndelivered.all().map((r) => r.id),
    triagePending: () => selectTriagePending.all().map((r) => r.id),
    list: ({ open, limit }) => (open ? selectOpen : selectAll).all(limit).map((row) => toGroup(row)!),
    forIncident: (incidentId) => selectForIncident.all(incidentId).map((row) => toGroup(row)!),
    upsertAlert(groupId, alert, at) {
      upsert.run({ groupId, fingerprint: alert.fingerprint, status: alert.status, name: alert.name, severity: alert.severity ?? null, source: alert.source, alert: JSON.stringify(alert), at });
    },
    alerts: (groupId) => selectAlerts.all(groupId).map((row) => ({ ...row, alert: JSON.parse(row.alert) as NormalizedAlert })),
    counts(groupId) {
      const counts: AlertCounts = { firing: 0, resolved: 0 };
      for (const row of selectCounts.all(groupId)) counts[row.status] = row.n;
      return counts;
    },
    totalAlerts: () => selectTotal.get()?.n ?? 0,
  };
}
