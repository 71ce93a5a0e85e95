import type Database from 'better-sqlite3';
import type { ApprovalStatus, WorkflowApproval, WorkflowApprovalRepo, WorkflowDecision } from './types.ts';

const COLUMNS = `id, run_id AS runId, path, approvers, min, message, expires_at AS expiresAt, status,
  message_ts AS messageTs, created_at AS createdAt, decided_at AS decidedAt`;
const DECISION_COLUMNS = 'approval_id AS approvalId, user_id AS userId, decision, reason, at';

type Row = Omit<WorkflowApproval, 'approvers'> & { approvers: string };

export function createWorkflowApprovalRepo(db: Database.Database): WorkflowApprovalRepo {
  const insert = db.prepare<{ runId: string; path: string; approvers: string; min: number; message: string | null; expiresAt: number; createdAt: number }, never>(
    `INSERT INTO workflow_approvals (run_id, path, approvers, min, message, expires_at, status, created_at)
     VALUES (@runId, @path, @approvers, @min, @message, @expiresAt, 'pending', @createdAt)`,
  );
  const select = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM workflow_approvals WHERE id = ?`);
  const selectRun = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM workflow_approvals WHERE run_id = ? ORDER BY id`);
  const selectLatest = db.prepare<[string, string], Row>(
    `SELECT ${COLUMNS} FROM workflow_approvals WHERE run_id = ? AND path = ? ORDER BY id DESC LIMIT 1`,
  );
  const settlePending = db.prepare<[ApprovalStatus, number, number], never>(
    `UPDATE workflow_approvals SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending'`,
  );
  const updateMessageTs = db.prepare<[string, number], never>('UPDATE workflow_approvals SET message_ts = ? WHERE id = ?');
  const insertDecision = db.prepare<WorkflowDecision, never>(
    `INSERT INTO workflow_decisions (approval_id, user_id, decision, reason, at)
     VALUES (@approvalId, @userId, @decision, @reason, @at) ON CONFLICT (approval_id, user_id) DO NOTHING`,
  );
  const selectDecisions = db.prepare<[number], WorkflowDecision>(
    `SELECT ${DECISION_COLUMNS} FROM workflow_decisions WHERE approval_id = ? ORDER BY at, user_id`,
  );
  const selectRunDecisions = db.prepare<[string], WorkflowDecision>(
    `SELECT ${DECISION_COLUMNS} FROM workflow_decisions
     WHERE approval_id IN (SELECT id FROM workflow_approvals WHERE run_id = ?) ORDER BY at, approval_id, user_id`,
  );

  const selectPending = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM workflow_approvals WHERE status = 'pending' ORDER BY id DESC LIMIT ?`);

  return {
    create(approval) {
      const result = insert.run({ ...approval, approvers: JSON.stringify(approval.approvers) });
      return Number(result.lastInsertRowid);
    },
    get(id) {
      const row = select.get(id);
      return row && toApproval(row);
    },
    forRun: (runId) => selectRun.all(runId).map(toApproval),
    latest(runId, path) {
      const row = selectLatest.get(runId, path);
      return row && toApproval(row);
    },
    settle: (id, status, at) => settlePending.run(status, at, id).changes === 1,
    setMessageTs(id, messageTs) {
      updateMessageTs.run(messageTs, id);
    },
    addDecision: (decision) => insertDecision.run(decision).changes === 1,
    decisions: (approvalId) => selectDecisions.all(approvalId),
    decisionsForRun: (runId) => selectRunDecisions.all(runId),
    pending: (limit) => selectPending.all(limit).map(toApproval),
  };
}

function toApproval(row: Row): WorkflowApproval {
  return { ...row, approvers: JSON.parse(row.approvers) as WorkflowApproval['approvers'] };
}
