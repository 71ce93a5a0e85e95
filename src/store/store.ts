import type Database from 'better-sqlite3';
import { createAgentRunRepo } from './agent-run-repo.ts';
import { createAuditRepo } from './audit-repo.ts';
import { createCursorRepo } from './cursor-repo.ts';
import { createInboxRepo } from './inbox-repo.ts';
import { createInstanceLock } from './instance-lock.ts';
import { createProcessedEventRepo } from './processed-event-repo.ts';
import { createRoleRepo } from './role-repo.ts';
import { createThreadMemoryRepo } from './thread-memory-repo.ts';
import type { Store } from './types.ts';
import { createWorkflowApprovalRepo } from './workflow-approval-repo.ts';
import { createWorkflowRunRepo } from './workflow-run-repo.ts';
import { createWorkflowStepRepo } from './workflow-step-repo.ts';

export interface StoreOptions {
  isProcessAlive: (pid: number) => boolean;
  lockStaleAfterMs?: number;
}

/** Expects a database already opened (and migrated) by openDatabase. */
export function createStore(db: Database.Database, options: StoreOptions): Store {
  return {
    db,
    agentRuns: createAgentRunRepo(db),
    threadMemory: createThreadMemoryRepo(db),
    audit: createAuditRepo(db),
    roles: createRoleRepo(db),
    events: createProcessedEventRepo(db),
    inbox: createInboxRepo(db),
    cursors: createCursorRepo(db),
    lock: createInstanceLock(db, {
      isProcessAlive: options.isProcessAlive,
      ...(options.lockStaleAfterMs === undefined ? {} : { staleAfterMs: options.lockStaleAfterMs }),
    }),
    workflowRuns: createWorkflowRunRepo(db),
    workflowSteps: createWorkflowStepRepo(db),
    workflowApprovals: createWorkflowApprovalRepo(db),
    // better-sqlite3 rolls back and throws if fn returns a promise: an await inside would
    // otherwise commit half the work.
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close() {
      if (db.open) db.close();
    },
  };
}
