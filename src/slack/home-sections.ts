import type { Logger } from 'pino';
import { escapeMrkdwn } from '../commands/blocks.ts';
import { formatDuration } from '../agents/offline/postmortem-template.ts';
import type { IncidentService } from '../incidents/incident-service.ts';
import { SEVERITY_MARK, STATUS_LABEL } from '../incidents/incident-types.ts';
import type { Store, WorkflowRunStatus } from '../store/types.ts';
import type { ApprovalStep } from '../workflows/definition.ts';
import { HOME_LIST_MAX, type HomeItem, type HomeSections } from './home-view.ts';

/**
 * What App Home lists for one person: open incidents, approvals they may decide and have not
 * (never their own run's: the requester cannot approve), and their runs still going; each with
 * the permalink of the message to jump to.
 */

export interface HomeSectionDeps {
  incidents: Pick<IncidentService, 'list'>;
  store: Pick<Store, 'workflowApprovals' | 'workflowRuns'>;
  isApprover(userId: string, approvers: ApprovalStep['approvers']): Promise<boolean>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
  clock: { now(): number };
  log: Logger;
}

const LIVE: readonly WorkflowRunStatus[] = ['queued', 'running', 'waiting', 'paused', 'rolling_back'];
/** How many pending approvals and live runs are looked through for one person. */
const SCAN = 100;

export function createHomeSections(deps: HomeSectionDeps): (userId: string) => Promise<HomeSections> {
  const link = async (channel: string | null, ts: string | null): Promise<string | undefined> => (channel && ts ? deps.permalink(channel, ts) : undefined);
  const item = async (text: string, channel: string | null, ts: string | null): Promise<HomeItem> => {
    const url = await link(channel, ts);
    return url ? { text, url } : { text };
  };

  return async (userId) => {
    const now = deps.clock.now();
    const incidents: HomeItem[] = [];
    for (const incident of deps.incidents.list({ open: true, limit: HOME_LIST_MAX + 1 })) {
      const text = `${SEVERITY_MARK[incident.severity]} *${incident.id}* ${escapeMrkdwn(incident.title)} — ${STATUS_LABEL[incident.status]}, commander <@${incident.commander}>, for ${formatDuration(now - incident.declaredAt)}`;
      incidents.push(await item(text, incident.channel, incident.summaryTs));
    }

    const approvals: HomeItem[] = [];
    for (const approval of deps.store.workflowApprovals.pending(SCAN)) {
      if (approvals.length > HOME_LIST_MAX) break;
      if (approval.expiresAt <= now) continue;
      const run = deps.store.workflowRuns.get(approval.runId);
      if (!run || run.requestedBy === userId) continue;
      if (deps.store.workflowApprovals.decisions(approval.id).some((d) => d.userId === userId)) continue;
      let may = false;
      try {
        may = await deps.isApprover(userId, approval.approvers);
      } catch (err) {
        deps.log.warn({ err, approval: approval.id }, 'approver check failed for App Home');
      }
      if (!may) continue;
      const text = `*${escapeMrkdwn(run.workflow)}* \`${run.id}\` · ${escapeMrkdwn(approval.path)}${approval.message ? `: ${escapeMrkdwn(approval.message)}` : ''} — requested by <@${run.requestedBy}>, expires in ${formatDuration(approval.expiresAt - now)}`;
      approvals.push(await item(text, run.channel, approval.messageTs ?? run.threadTs));
    }

    const runs: HomeItem[] = [];
    for (const run of deps.store.workflowRuns.list({ limit: SCAN, status: LIVE })) {
      if (run.requestedBy !== userId) continue;
      if (runs.length > HOME_LIST_MAX) break;
      runs.push(await item(`*${escapeMrkdwn(run.workflow)}* \`${run.id}\` — ${run.status}, started ${formatDuration(now - run.createdAt)} ago`, run.channel, run.threadTs));
    }
    return { incidents, approvals, runs };
  };
}
