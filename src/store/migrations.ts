import type Database from 'better-sqlite3';
import { OpsError, errorMessage } from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, as an append-only list: a released migration is never edited, a change is a new
 * entry. Times are INTEGER milliseconds since the epoch.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core tables: audit, roles, processed events, inbox, cursors, instance lock',
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        channel TEXT,
        action TEXT NOT NULL,
        command TEXT,
        args TEXT,
        outcome TEXT NOT NULL,
        detail TEXT
      ) STRICT;
      CREATE INDEX audit_log_actor ON audit_log (actor, id);
      -- The audit log is evidence: not even a bug in opsbot may rewrite or remove it.
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

      CREATE TABLE roles (
        user_id TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'responder', 'deployer', 'admin')),
        granted_by TEXT NOT NULL,
        granted_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE processed_events (
        key TEXT PRIMARY KEY,
        at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      -- Retention prunes by age; without this the hourly sweep would scan the table.
      CREATE INDEX processed_events_at ON processed_events (at);

      CREATE TABLE inbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'running', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        received_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        error TEXT
      ) STRICT;
      -- Only what start-up resumes and the depth gauge counts; finished rows leave the index.
      CREATE INDEX inbox_unfinished ON inbox (id) WHERE status IN ('pending', 'running');

      CREATE TABLE cursors (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE instance_lock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'workflow runs, steps, approvals and decisions',
    sql: `
      -- A run keeps the definition it started with: a resumed or retried run follows the YAML
      -- as it was, not as it was edited since. The id is 'wf-' || rowid.
      CREATE TABLE workflow_runs (
        id TEXT PRIMARY KEY,
        workflow TEXT NOT NULL,
        definition TEXT NOT NULL,
        params TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'paused', 'succeeded', 'failed',
          'cancelled', 'rolling_back', 'rolled_back')),
        requested_by TEXT NOT NULL,
        channel TEXT,
        thread_ts TEXT,
        trigger TEXT NOT NULL,
        concurrency_key TEXT,
        -- The Slack request that started the run: a replayed request finds its run instead of starting another.
        request_key TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX workflow_runs_request ON workflow_runs (request_key) WHERE request_key IS NOT NULL;
      -- What start-up resumes, and who holds a concurrency key; finished runs leave both indexes.
      CREATE INDEX workflow_runs_unfinished ON workflow_runs (status)
        WHERE status IN ('queued', 'running', 'waiting', 'paused', 'rolling_back');
      CREATE INDEX workflow_runs_key ON workflow_runs (workflow, concurrency_key)
        WHERE concurrency_key IS NOT NULL AND status IN ('queued', 'running', 'waiting', 'paused', 'rolling_back');
      -- History of one workflow, newest first (the rowid rides along in the index).
      CREATE INDEX workflow_runs_workflow ON workflow_runs (workflow);

      -- One row per step execution unit: 'deploy', 'checks/0/lint' (a parallel branch's step),
      -- 'notify[2]' (a for_each item). attempt counts executions; a retried run keeps counting,
      -- so an idempotency key (run:path:attempt) is never handed out twice.
      CREATE TABLE workflow_steps (
        run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'waiting',
          'cancelled', 'interrupted')),
        attempt INTEGER NOT NULL,
        idempotency_key TEXT,
        outputs TEXT,
        items TEXT,
        error TEXT,
        started_at INTEGER,
        finished_at INTEGER,
        wake_at INTEGER,
        completed_seq INTEGER,
        pid INTEGER,
        pid_started_at INTEGER,
        argv0 TEXT,
        undo_status TEXT CHECK (undo_status IN ('pending', 'running', 'succeeded', 'failed')),
        undo_attempt INTEGER NOT NULL,
        undo_error TEXT,
        PRIMARY KEY (run_id, path)
      ) STRICT, WITHOUT ROWID;
      -- Start-up kills what a crashed opsbot left running; only rows with a live record are indexed.
      CREATE INDEX workflow_steps_process ON workflow_steps (pid) WHERE pid IS NOT NULL;

      CREATE TABLE workflow_approvals (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        approvers TEXT NOT NULL,
        min INTEGER NOT NULL,
        message TEXT,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
        message_ts TEXT,
        created_at INTEGER NOT NULL,
        decided_at INTEGER
      ) STRICT;
      CREATE INDEX workflow_approvals_run ON workflow_approvals (run_id, path);

      -- The primary key is the rule: one decision per person per approval.
      CREATE TABLE workflow_decisions (
        approval_id INTEGER NOT NULL REFERENCES workflow_approvals (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
        reason TEXT,
        at INTEGER NOT NULL,
        PRIMARY KEY (approval_id, user_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'agent runs and thread memory',
    sql: `
      -- One row per agent answer: what went in (redacted), every tool call, what came out, and
      -- what it cost. The id is 'ag-' || rowid.
      CREATE TABLE agent_runs (
        id TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        provider TEXT NOT NULL CHECK (provider IN ('anthropic', 'offline')),
        model TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'fallback', 'failed')),
        requested_by TEXT NOT NULL,
        subject TEXT,
        input TEXT NOT NULL,
        transcript TEXT NOT NULL DEFAULT '[]',
        output TEXT,
        notes TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        llm_requests INTEGER NOT NULL DEFAULT 0,
        tool_calls INTEGER NOT NULL DEFAULT 0,
        started_at INTEGER NOT NULL,
        finished_at INTEGER
      ) STRICT;
      CREATE INDEX agent_runs_started ON agent_runs (started_at);
      CREATE INDEX agent_runs_subject ON agent_runs (subject) WHERE subject IS NOT NULL;

      -- Short memory of a Slack thread for the intent agent: the last turns, each expiring.
      CREATE TABLE thread_turns (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        thread_ts TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        user_id TEXT,
        text TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX thread_turns_thread ON thread_turns (channel, thread_ts, at);
    `,
  },
  {
    version: 4,
    name: 'CI runs: failed GitHub Actions runs handled once per attempt, their re-runs',
    sql: `
      -- One row per failed run attempt opsbot handles; the primary key is what makes the several
      -- webhook events GitHub sends for one failure (and their redeliveries) one notification.
      -- repo_key is owner/repo lower-cased: GitHub names are case-insensitive.
      CREATE TABLE ci_runs (
        repo_key TEXT NOT NULL,
        run_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        repo TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('analyzing', 'notified', 'failed')),
        -- The inbox key of the delivery working on it: a resumed entry goes on, another waits.
        claimed_by TEXT NOT NULL,
        run TEXT,
        analysis TEXT,
        channel TEXT,
        message_ts TEXT,
        error TEXT,
        issue_by TEXT,
        issue_url TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (repo_key, run_id, attempt)
      ) STRICT;

      -- At most one re-run per run attempt, by a person or automatically: a double click or a
      -- second automatic decision finds the row and does nothing.
      CREATE TABLE ci_reruns (
        repo_key TEXT NOT NULL,
        run_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        requested_by TEXT NOT NULL,
        automatic INTEGER NOT NULL CHECK (automatic IN (0, 1)),
        at INTEGER NOT NULL,
        PRIMARY KEY (repo_key, run_id, attempt)
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'incidents: record, responders, timeline, PagerDuty events',
    sql: `
      -- INC-<number>. Timers are columns (next_page_at, next_reminder_at): what is due survives a
      -- restart and is taken up again by the clock. request_key: the Slack request that declared
      -- it, so a replayed request finds its incident instead of declaring a second one.
      CREATE TABLE incidents (
        number INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
        status TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
        service TEXT,
        summary TEXT,
        last_update TEXT,
        commander TEXT NOT NULL,
        communications TEXT,
        declared_by TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('channel', 'thread')),
        channel TEXT,
        thread_ts TEXT,
        summary_ts TEXT,
        announce_channel TEXT,
        announce_ts TEXT,
        request_key TEXT,
        declared_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        acknowledged_by TEXT,
        mitigated_at INTEGER,
        resolved_at INTEGER,
        resolution TEXT,
        last_update_at INTEGER NOT NULL,
        escalation_level INTEGER NOT NULL DEFAULT 0,
        pages INTEGER NOT NULL DEFAULT 0,
        paged_at INTEGER,
        next_page_at INTEGER,
        next_reminder_at INTEGER,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX incidents_request ON incidents (request_key) WHERE request_key IS NOT NULL;
      CREATE INDEX incidents_channel ON incidents (channel, thread_ts) WHERE channel IS NOT NULL;
      CREATE INDEX incidents_open ON incidents (status) WHERE status <> 'resolved';
      CREATE INDEX incidents_declared ON incidents (declared_at);

      CREATE TABLE incident_responders (
        incident INTEGER NOT NULL REFERENCES incidents (number) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        added_by TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (incident, user_id)
      ) STRICT, WITHOUT ROWID;

      -- The timeline. ref: what an event is about when it may be reported twice (a message pinned
      -- by two people, a run reported again after a restart); with it, the event is kept once.
      CREATE TABLE incident_events (
        id INTEGER PRIMARY KEY,
        incident INTEGER NOT NULL REFERENCES incidents (number) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        who TEXT,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        ref TEXT,
        recorded_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX incident_events_incident ON incident_events (incident, at, id);
      CREATE UNIQUE INDEX incident_events_ref ON incident_events (incident, ref) WHERE ref IS NOT NULL;

      -- PagerDuty Events API v2 messages, sent in order per incident and retried by the clock;
      -- the routing key is not stored (it is a secret and comes from the environment at send time).
      CREATE TABLE pagerduty_events (
        id INTEGER PRIMARY KEY,
        incident INTEGER NOT NULL REFERENCES incidents (number) ON DELETE CASCADE,
        action TEXT NOT NULL CHECK (action IN ('trigger', 'acknowledge', 'resolve')),
        payload TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      ) STRICT;
      CREATE INDEX pagerduty_events_pending ON pagerduty_events (incident, id) WHERE status = 'pending';
    `,
  },
  {
    version: 6,
    name: 'alerts: groups with their notification state, alerts, silences',
    sql: `
      -- One row per alert group as people see it: one Slack message, one triage. A group resolved
      -- for long (grouping-policy reopenAfterMs) that fires again is a new row. state holds the
      -- grouping policy's GroupState without its per-alert lists (JSON of its times and flags):
      -- those are the alerts rows' status and notified, so a batch writes what it changed, not
      -- the whole group again. notify_at is the next due time, which the scheduler arms the clock
      -- for, so windows survive a restart. version counts notifications decided, posted_version
      -- those delivered to Slack: a group with version > posted_version is delivered again at
      -- start-up. channel '' means no alert channel is configured.
      CREATE TABLE alert_groups (
        id INTEGER PRIMARY KEY,
        group_key TEXT NOT NULL,
        channel TEXT NOT NULL,
        labels TEXT NOT NULL,
        state TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        notify_at INTEGER,
        version INTEGER NOT NULL DEFAULT 0,
        posted_version INTEGER NOT NULL DEFAULT 0,
        message_ts TEXT,
        details_ts TEXT,
        triage TEXT NOT NULL DEFAULT 'pending' CHECK (triage IN ('pending', 'due', 'running', 'done', 'failed', 'skipped')),
        triage_note TEXT,
        triaged_at INTEGER,
        triage_outcome TEXT,
        suggestion TEXT,
        acknowledged_by TEXT,
        acknowledged_at INTEGER,
        incident_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX alert_groups_key ON alert_groups (channel, group_key, id);
      CREATE INDEX alert_groups_due ON alert_groups (notify_at) WHERE notify_at IS NOT NULL;
      CREATE INDEX alert_groups_undelivered ON alert_groups (id) WHERE version > posted_version;
      CREATE INDEX alert_groups_triage ON alert_groups (id) WHERE triage IN ('due', 'running');
      CREATE INDEX alert_groups_status ON alert_groups (status, id);

      -- The alerts of a group by fingerprint: latest status and content (the NormalizedAlert as
      -- JSON), and the status the group's last notification showed (notified; null: not shown).
      CREATE TABLE alerts (
        group_id INTEGER NOT NULL REFERENCES alert_groups (id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        notified TEXT CHECK (notified IN ('firing', 'resolved')),
        name TEXT NOT NULL,
        severity TEXT,
        source TEXT NOT NULL,
        alert TEXT NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        received INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (group_id, fingerprint)
      ) STRICT, WITHOUT ROWID;
      -- The group's state without reading each alert's content.
      CREATE INDEX alerts_state ON alerts (group_id, fingerprint, status, notified);

      -- A silence holds a group key (the Silence buttons) or label matchers (all equal), until ends_at.
      CREATE TABLE alert_silences (
        id INTEGER PRIMARY KEY,
        group_key TEXT,
        matchers TEXT,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        reason TEXT,
        removed_by TEXT,
        removed_at INTEGER,
        CHECK (group_key IS NOT NULL OR matchers IS NOT NULL)
      ) STRICT;
      CREATE INDEX alert_silences_active ON alert_silences (ends_at) WHERE removed_at IS NULL;
    `,
  },
];

export const SCHEMA_VERSION: number = MIGRATIONS.length;

export interface MigrationResult {
  /** Schema version found in the file. */
  from: number;
  /** Schema version after migrating. */
  to: number;
}

/**
 * Brings the database up to the newest migration. Pending migrations run in one transaction,
 * `user_version` included, so a failure leaves the file exactly as it was.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  assertContiguous(migrations);
  const newest = migrations.length;
  const found = checkNotTooNew(db, newest);
  if (found === newest) return { from: found, to: found };

  // A table rebuild (create new, copy, drop old, rename) must not fire ON DELETE actions or
  // trip foreign keys halfway; SQLite only lets this pragma change outside a transaction, so
  // it is switched off around the transaction and the result is checked before commit.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  if (foreignKeys) db.pragma('foreign_keys = OFF');
  try {
    // IMMEDIATE: a second process opening the same file waits here, then sees our version.
    return db
      .transaction(() => {
        const from = checkNotTooNew(db, newest);
        for (const migration of migrations.slice(from)) {
          try {
            db.exec(migration.sql);
          } catch (err) {
            throw new OpsError(
              'migration_failed',
              `Migration ${migration.version} (${migration.name}) failed: ${errorMessage(err)}; ` +
                `the database was left at schema ${from}`,
              { cause: err },
            );
          }
        }
        const violations = db.pragma('foreign_key_check') as unknown[];
        if (violations.length > 0) {
          throw new OpsError(
            'migration_failed',
            `Migrations ${from + 1}..${newest} leave ${violations.length} rows breaking foreign keys; ` +
              `the database was left at schema ${from}`,
          );
        }
        db.pragma(`user_version = ${newest}`);
        return { from, to: newest };
      })
      .immediate();
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
}

/**
 * For connections that may not write (read-only opens): the file must be at exactly the schema
 * this build knows.
 */
export function assertSchemaCurrent(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  const newest = migrations.length;
  const found = checkNotTooNew(db, newest);
  if (found < newest) {
    throw new OpsError(
      'database_outdated',
      `Database ${db.name} is at schema ${found}, this build needs ${newest}; open it once read-write (or run \`opsbot migrate\`) to upgrade it`,
    );
  }
}

/** The schema version of the file; refuses one written by a newer opsbot. */
export function readSchemaVersion(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  return checkNotTooNew(db, migrations.length);
}

function checkNotTooNew(db: Database.Database, newest: number): number {
  const found = db.pragma('user_version', { simple: true }) as number;
  if (found > newest) {
    throw new OpsError(
      'database_too_new',
      `Database ${db.name} was written by a newer opsbot (schema ${found}, this build knows up to ${newest}); ` +
        'upgrade opsbot or restore a backup',
    );
  }
  return found;
}

function assertContiguous(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new OpsError(
        'migrations_invalid',
        `Migration at position ${index + 1} has version ${migration.version}; versions must run 1..${migrations.length} without gaps`,
      );
    }
  });
}
