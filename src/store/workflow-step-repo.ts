import type Database from 'better-sqlite3';
import type { RecordedProcess, UndoStatus, WorkflowStep, WorkflowStepRepo, WorkflowStepStatus } from './types.ts';

const COLUMNS = `path, status, attempt, idempotency_key AS idempotencyKey, outputs, items, error,
  started_at AS startedAt, finished_at AS finishedAt, wake_at AS wakeAt, completed_seq AS completedSeq,
  pid, pid_started_at AS pidStartedAt, argv0, undo_status AS undoStatus, undo_attempt AS undoAttempt,
  undo_error AS undoError`;

type Row = Omit<WorkflowStep, 'outputs' | 'items'> & { outputs: string | null; items: string | null };
type Params = Row & { runId: string };

export function createWorkflowStepRepo(db: Database.Database): WorkflowStepRepo {
  const selectRun = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM workflow_steps WHERE run_id = ? ORDER BY path`);
  const select = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM workflow_steps WHERE run_id = ? AND path = ?`);
  // The engine holds the whole row and writes it at each transition: one statement for all of
  // them keeps the write path to a single prepared UPSERT.
  const upsert = db.prepare<Params, never>(
    `INSERT INTO workflow_steps (run_id, path, status, attempt, idempotency_key, outputs, items, error, started_at,
       finished_at, wake_at, completed_seq, pid, pid_started_at, argv0, undo_status, undo_attempt, undo_error)
     VALUES (@runId, @path, @status, @attempt, @idempotencyKey, @outputs, @items, @error, @startedAt,
       @finishedAt, @wakeAt, @completedSeq, @pid, @pidStartedAt, @argv0, @undoStatus, @undoAttempt, @undoError)
     ON CONFLICT (run_id, path) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
       idempotency_key = excluded.idempotency_key, outputs = excluded.outputs, items = excluded.items,
       error = excluded.error, started_at = excluded.started_at, finished_at = excluded.finished_at,
       wake_at = excluded.wake_at, completed_seq = excluded.completed_seq, pid = excluded.pid,
       pid_started_at = excluded.pid_started_at, argv0 = excluded.argv0, undo_status = excluded.undo_status,
       undo_attempt = excluded.undo_attempt, undo_error = excluded.undo_error`,
  );
  const selectProcesses = db.prepare<[], RecordedProcess>(
    `SELECT run_id AS runId, path, pid, pid_started_at AS pidStartedAt, argv0 FROM workflow_steps WHERE pid IS NOT NULL`,
  );
  const forgetProcess = db.prepare<[string, string, number], never>(
    `UPDATE workflow_steps SET pid = NULL, pid_started_at = NULL, argv0 = NULL WHERE run_id = ? AND path = ? AND pid = ?`,
  );

  return {
    withProcess: () => selectProcesses.all(),
    clearProcess(runId, path, pid) {
      forgetProcess.run(runId, path, pid);
    },
    forRun: (runId) => selectRun.all(runId).map(toStep),
    get(runId, path) {
      const row = select.get(runId, path);
      return row && toStep(row);
    },
    put(runId, step) {
      upsert.run({
        runId,
        path: step.path,
        status: step.status,
        attempt: step.attempt,
        idempotencyKey: step.idempotencyKey,
        outputs: step.outputs === null ? null : JSON.stringify(step.outputs),
        items: step.items === null ? null : JSON.stringify(step.items),
        error: step.error,
        startedAt: step.startedAt,
        finishedAt: step.finishedAt,
        wakeAt: step.wakeAt,
        completedSeq: step.completedSeq,
        pid: step.pid,
        pidStartedAt: step.pidStartedAt,
        argv0: step.argv0,
        undoStatus: step.undoStatus,
        undoAttempt: step.undoAttempt,
        undoError: step.undoError,
      });
    },
  };
}

function toStep(row: Row): WorkflowStep {
  return {
    ...row,
    status: row.status as WorkflowStepStatus,
    undoStatus: row.undoStatus as UndoStatus | null,
    outputs: row.outputs === null ? null : (JSON.parse(row.outputs) as Record<string, unknown>),
    items: row.items === null ? null : (JSON.parse(row.items) as unknown[]),
  };
}
