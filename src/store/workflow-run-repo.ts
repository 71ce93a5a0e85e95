import type Database from 'better-sqlite3';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import type { WorkflowRun, WorkflowRunRepo, WorkflowRunStatus, WorkflowRunSummary } from './types.ts';

const SUMMARY_COLUMNS = `id, workflow, params, status, requested_by AS requestedBy, channel, thread_ts AS threadTs,
  trigger, concurrency_key AS concurrencyKey, error, created_at AS createdAt, updated_at AS updatedAt,
  finished_at AS finishedAt`;
const COLUMNS = `${SUMMARY_COLUMNS}, definition`;
/** Must match the partial indexes of migration 2 for SQLite to use them. */
const UNFINISHED = `status IN ('queued', 'running', 'waiting', 'paused', 'rolling_back')`;

type SummaryRow = Omit<WorkflowRunSummary, 'params'> & { params: string };
type Row = SummaryRow & { definition: string };

export function createWorkflowRunRepo(db: Database.Database): WorkflowRunRepo {
  const nextNumber = db.prepare<[], { n: number }>('SELECT coalesce(max(rowid), 0) + 1 AS n FROM workflow_runs');
  const insert = db.prepare<
    {
      n: number;
      id: string;
      workflow: string;
      definition: string;
      params: string;
      status: WorkflowRunStatus;
      requestedBy: string;
      channel: string | null;
      threadTs: string | null;
      trigger: string;
      concurrencyKey: string | null;
      requestKey: string | null;
      at: number;
    },
    never
  >(
    `INSERT INTO workflow_runs (rowid, id, workflow, definition, params, status, requested_by, channel, thread_ts,
       trigger, concurrency_key, request_key, created_at, updated_at)
     VALUES (@n, @id, @workflow, @definition, @params, @status, @requestedBy, @channel, @threadTs,
       @trigger, @concurrencyKey, @requestKey, @at, @at)`,
  );
  const selectByRequest = db.prepare<[string], { id: string; status: WorkflowRunStatus }>('SELECT id, status FROM workflow_runs WHERE request_key = ?');
  const select = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM workflow_runs WHERE id = ?`);
  const updateStatus = db.prepare<{ id: string; status: WorkflowRunStatus; at: number; error: string | null; finishedAt: number | null; keepError: number; keepFinished: number }, never>(
    `UPDATE workflow_runs SET status = @status, updated_at = @at,
       error = CASE WHEN @keepError = 1 THEN error ELSE @error END,
       finished_at = CASE WHEN @keepFinished = 1 THEN finished_at ELSE @finishedAt END
     WHERE id = @id`,
  );
  const updateThread = db.prepare<[string, number, string], never>('UPDATE workflow_runs SET thread_ts = ?, updated_at = max(updated_at, ?) WHERE id = ?');
  const selectUnfinished = db.prepare<[], Row>(`SELECT ${COLUMNS} FROM workflow_runs WHERE ${UNFINISHED} ORDER BY rowid`);
  const selectHolder = db.prepare<[string, string], SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM workflow_runs
     WHERE workflow = ? AND concurrency_key = ? AND concurrency_key IS NOT NULL AND ${UNFINISHED} AND status <> 'queued'
     ORDER BY rowid LIMIT 1`,
  );
  const selectQueued = db.prepare<[string, string], SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM workflow_runs
     WHERE workflow = ? AND concurrency_key = ? AND concurrency_key IS NOT NULL AND ${UNFINISHED} AND status = 'queued'
     ORDER BY rowid LIMIT 1`,
  );
  const selectNewest = db.prepare<{ workflow: string | null; statuses: string | null; limit: number }, SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM workflow_runs
     WHERE (@workflow IS NULL OR workflow = @workflow)
       AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
     ORDER BY rowid DESC LIMIT @limit`,
  );

  return {
    create(run) {
      const n = nextNumber.get()?.n ?? 1;
      // Bound as text from here: SQLite would print a bound number as a real (`wf-1.0`).
      const id = `wf-${n}`;
      insert.run({
        n,
        id,
        workflow: run.workflow,
        definition: JSON.stringify(run.definition),
        params: JSON.stringify(run.params),
        status: run.status,
        requestedBy: run.requestedBy,
        channel: run.channel,
        threadTs: run.threadTs ?? null,
        trigger: run.trigger,
        concurrencyKey: run.concurrencyKey,
        requestKey: run.requestKey ?? null,
        at: run.createdAt,
      });
      return id;
    },
    byRequest: (requestKey) => selectByRequest.get(requestKey),
    get(id) {
      const row = select.get(id);
      return row && toRun(row);
    },
    setStatus(id, { status, at, error, finishedAt }) {
      updateStatus.run({
        id,
        status,
        at,
        error: error ?? null,
        finishedAt: finishedAt ?? null,
        keepError: error === undefined ? 1 : 0,
        keepFinished: finishedAt === undefined ? 1 : 0,
      });
    },
    setThread(id, threadTs, at) {
      updateThread.run(threadTs, at, id);
    },
    unfinished: () => selectUnfinished.all().map(toRun),
    holder(workflow, key) {
      const row = selectHolder.get(workflow, key);
      return row && toSummary(row);
    },
    nextQueued(workflow, key) {
      const row = selectQueued.get(workflow, key);
      return row && toSummary(row);
    },
    list({ limit, workflow, status }) {
      const n = Math.max(0, Math.floor(limit));
      return selectNewest
        .all({ workflow: workflow ?? null, statuses: status ? JSON.stringify(status) : null, limit: n })
        .map(toSummary);
    },
  };
}

function toSummary(row: SummaryRow): WorkflowRunSummary {
  return { ...row, params: JSON.parse(row.params) as WorkflowRunSummary['params'] };
}

function toRun(row: Row): WorkflowRun {
  const { definition, ...rest } = row;
  return { ...toSummary(rest), definition: JSON.parse(definition) as WorkflowDefinition };
}
