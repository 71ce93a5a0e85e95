import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { type Route, sendJson } from '../http/server.ts';
import { createWorkflowWebhook } from '../http/workflow-webhook.ts';
import type { WorkflowServices } from '../commands/workflow-command-deps.ts';
import type { Role } from '../roles.ts';
import type { ChatPort } from '../slack/chat-port.ts';
import type { ViewCommand } from '../slack/request-handlers.ts';
import { paramsModalErrors, readParamsModal, runCommandText, WORKFLOW_RUN_CALLBACK } from '../slack/views/workflow-params-modal.ts';
import { rejectCommand, WORKFLOW_DECISION_CALLBACK } from '../slack/views/workflow-decision-modal.ts';
import type { Store } from '../store/types.ts';
import type { GitHubOps } from '../integrations/github/github-types.ts';
import type { KubeOps } from '../integrations/kubernetes/kube-types.ts';
import { createActionCatalog } from './actions/catalog.ts';
import { killOrphans } from './actions/process-groups.ts';
import { createApproverCheck, type UsergroupClient } from './approvers.ts';
import type { WorkflowDefinition } from './definition.ts';
import { createWorkflowEngine, type WorkflowEngine, type WorkflowEvents } from './engine.ts';
import { formatDefinitionError, loadDefinitions } from './load-definitions.ts';
import { createScheduler, type Scheduler } from './scheduler.ts';
import { createWorkflowUi, type WorkflowUi } from './workflow-ui.ts';

/**
 * Workflows as the app runs them: definitions loaded from workflows/ and playbooks/ (a bad file
 * is logged with its file:line and the others still load), the action catalog, the approver
 * check, the Slack UI and the engine reporting to it.
 */

export interface WorkflowRuntimeDeps {
  store: Store;
  chat: ChatPort;
  client: UsergroupClient;
  clock: Clock;
  log: Logger;
  roleOf(userId: string): Promise<Role | null>;
  dryRun: boolean;
  workflowsDir: string;
  playbooksDir: string;
  /** What shell steps inherit (PATH, HOME, LANG). */
  baseEnv: Readonly<Record<string, string>>;
  /** Where shell steps run and relative `cwd`s resolve (an absolute path; app.ts resolves it). */
  workDir?: string;
  /** Values of the environment variables workflows name for their webhook tokens. */
  secretEnv: (name: string) => string | undefined;
  /** For the github.* actions; absent without GITHUB_TOKEN. */
  github?: GitHubOps;
  /** For the k8s.* actions; absent without a kubeconfig. */
  kube?: KubeOps;
}

export interface WorkflowRuntime {
  engine: WorkflowEngine;
  ui: WorkflowUi;
  definitions: ReadonlyMap<string, WorkflowDefinition>;
  /** For the `workflow …` commands. */
  services: WorkflowServices;
  /** For the request handlers and the ack path: the params modal's submission. */
  viewCommands: Record<string, ViewCommand>;
  /** Fires `schedule:` triggers by the clock. */
  scheduler: Scheduler;
  /** POST /webhooks/workflows/<name>; answers 503 until `markReady()` (after the engine resumed). */
  webhook: Route['handler'];
  markReady(): void;
  /**
   * Also tells `listener` what the engine reports (after the Slack UI, after each commit); a
   * listener that throws is logged and the others still hear it. Returns a function that stops it.
   * The playbook runner puts linked runs and their approvals on incident timelines this way.
   */
  observe(listener: Partial<WorkflowEvents>): () => void;
}

export function createWorkflowRuntime(deps: WorkflowRuntimeDeps): WorkflowRuntime {
  const { store, chat, clock } = deps;
  const log = deps.log.child({ component: 'workflows' });
  // The UI reads runs through the engine it reports for; it is only called once both exist.
  const ui = createWorkflowUi({ chat, store, clock, log, view: (runId) => engine.get(runId), dryRun: deps.dryRun });
  const catalog = createActionCatalog({
    chat,
    runLocation: (runId) => ui.location(runId),
    baseEnv: deps.baseEnv,
    ...(deps.workDir !== undefined ? { workDir: deps.workDir } : {}),
    ...(deps.github ? { github: deps.github } : {}),
    ...(deps.kube ? { kube: deps.kube } : {}),
    audit: store.audit,
  });
  const definitions = loadAll(deps, new Set(catalog.keys()), log);
  const observers = new Set<Partial<WorkflowEvents>>();
  const approvers = createApproverCheck({ client: deps.client, clock, log, roleOf: deps.roleOf });
  const engine: WorkflowEngine = createWorkflowEngine({
    store,
    clock,
    log,
    catalog,
    definitions: () => definitions,
    isApprover: (userId, set) => approvers.isApprover(userId, set),
    killOrphans: (records) => {
      const killed = killOrphans(records);
      if (killed.length > 0) log.warn({ killed }, 'killed step processes left by an earlier opsbot');
      return killed;
    },
    events: fanOut(ui, observers, log),
    dryRun: deps.dryRun,
  });
  const services: WorkflowServices = { engine, definitions: () => definitions, chat, whenPosted: (runId) => ui.whenPosted(runId) };
  const viewCommands: Record<string, ViewCommand> = {
    [WORKFLOW_DECISION_CALLBACK]: { command: (view) => rejectCommand(view) },
    [WORKFLOW_RUN_CALLBACK]: {
      errors: (view) => paramsModalErrors(view, definitions),
      command: (view) => {
        const read = readParamsModal(view);
        return read && { text: runCommandText(read.workflow, read.params), channelId: read.target.channel };
      },
    },
  };
  const scheduler = createScheduler({
    clock,
    log: log.child({ component: 'scheduler' }),
    definitions: () => definitions,
    store,
    start: (name, params, trigger) => engine.start(name, params, { userId: 'schedule', channel: null }, trigger),
  });
  const handleWebhook = createWorkflowWebhook({
    definitions: () => definitions,
    start: (name, params, requester, trigger) => engine.start(name, params, requester, trigger),
    tokenFor: deps.secretEnv,
    log: log.child({ component: 'workflow-webhook' }),
  });
  let ready = false;
  // Until resume() has run, a new run could race the runs being taken up again.
  const webhook: Route['handler'] = (req, res) => (ready ? handleWebhook(req, res) : sendJson(res, 503, { ok: false, error: 'starting' }));
  const observe = (listener: Partial<WorkflowEvents>) => {
    observers.add(listener);
    return () => void observers.delete(listener);
  };
  return { engine, ui, definitions, services, viewCommands, scheduler, webhook, markReady: () => (ready = true), observe };
}

/** The UI first (it must not wait on anyone), then each observer, each on its own. */
function fanOut(ui: WorkflowEvents, observers: ReadonlySet<Partial<WorkflowEvents>>, log: Logger): WorkflowEvents {
  const tell = <K extends keyof WorkflowEvents>(event: K, ...args: Parameters<WorkflowEvents[K]>) => {
    (ui[event] as (...a: Parameters<WorkflowEvents[K]>) => void)(...args);
    for (const observer of observers) {
      const listener = observer[event] as ((...a: Parameters<WorkflowEvents[K]>) => void) | undefined;
      if (!listener) continue;
      try {
        listener.call(observer, ...args);
      } catch (err) {
        log.warn({ err, event }, 'workflow observer failed');
      }
    }
  };
  return {
    runChanged: (runId) => tell('runChanged', runId),
    approvalRequested: (approvalId) => tell('approvalRequested', approvalId),
    approvalDecided: (approvalId) => tell('approvalDecided', approvalId),
    stepLog: (runId, path, text) => tell('stepLog', runId, path, text),
  };
}

function loadAll(deps: WorkflowRuntimeDeps, knownActions: ReadonlySet<string>, log: Logger): Map<string, WorkflowDefinition> {
  const workflows = loadDefinitions({ dir: deps.workflowsDir, source: 'workflow', knownActions });
  const playbooks = loadDefinitions({ dir: deps.playbooksDir, source: 'playbook', knownActions });
  for (const error of [...workflows.errors, ...playbooks.errors]) {
    log.warn({ file: error.file, line: error.line, column: error.column }, `workflow definition skipped: ${formatDefinitionError(error)}`);
  }
  const definitions = new Map(workflows.definitions);
  for (const [name, playbook] of playbooks.definitions) {
    const workflow = definitions.get(name);
    if (workflow) {
      log.warn({ file: playbook.file, line: 1, column: 1 }, `workflow definition skipped: ${playbook.file}:1:1: name: ${name} is already defined by ${workflow.file}`);
      continue;
    }
    definitions.set(name, playbook);
  }
  log.info({ workflows: workflows.definitions.size, playbooks: playbooks.definitions.size, skipped: workflows.errors.length + playbooks.errors.length }, 'workflow definitions loaded');
  return definitions;
}
